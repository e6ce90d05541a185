package main

import (
	"path/filepath"
	"regexp"
	"testing"
)

// TestRuntimeGetenv runs programs/bin/posix.elf with an environment: the
// runtime must hand the loader's envp to picolibc's environ, or getenv
// finds nothing (the manifest runs it with rvsim's empty environment,
// where that check cannot fail).
func TestRuntimeGetenv(t *testing.T) {
	got := rvsim(t, filepath.Join(repo, "programs", "testdata", "cat-input.txt"),
		"run", "--env", "RVSIM_POSIX_FIRST=value one", "--env", "OTHER=2", programPath("posix"))
	if got.status != 0 {
		t.Errorf("posix.elf: status %d, want 0\n%s", got.status, got.stdout)
	}
	if !regexp.MustCompile(`(?m)^getenv finds the environment's variables +ok$`).MatchString(got.stdout) {
		t.Errorf("getenv did not find RVSIM_POSIX_FIRST:\n%s", got.stdout)
	}
}
