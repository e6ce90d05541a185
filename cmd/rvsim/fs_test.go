package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadFileBelowRoot: a granted directory's files read the same as under
// qemu-riscv64, and the recorded run replays without the file.
func TestReadFileBelowRoot(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join(repo, "programs", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	elf := absProgramPath(t, "readfile")
	q := exec.Command("qemu-riscv64", elf, "hello.txt")
	q.Dir = dir
	want, err := q.Output()
	if err != nil {
		t.Fatalf("qemu-riscv64: %v", err)
	}
	got := rvsim(t, "", "run", "--fs", dir, "--", elf, "hello.txt")
	if got.status != 0 || got.stdout != string(want) {
		t.Fatalf("rvsim (status %d):\n%s\nqemu:\n%s\n%s", got.status, got.stdout, want, got.stderr)
	}
	abs := rvsim(t, "", "run", "--fs", dir, "--", elf, "/hello.txt")
	if abs.status != 0 || !strings.Contains(abs.stdout, "hello from a file") {
		t.Errorf("absolute path inside the root: status %d\n%s", abs.status, abs.stdout)
	}

	copyDir := t.TempDir()
	data, _ := os.ReadFile(filepath.Join(dir, "hello.txt"))
	os.WriteFile(filepath.Join(copyDir, "hello.txt"), data, 0o644)
	trace := filepath.Join(t.TempDir(), "readfile.zst")
	rec := rvsim(t, "", "record", "--fs", copyDir, "-o", trace, "--", elf, "hello.txt")
	os.RemoveAll(copyDir)
	rep := rvsim(t, "", "replay", elf, trace)
	if rec.status != 0 || rep.status != 0 || rep.stdout != rec.stdout || !strings.Contains(rep.stdout, "hello from a file") {
		t.Errorf("replay without the file: status %d/%d\nrecord:\n%s\nreplay:\n%s%s", rec.status, rep.status, rec.stdout, rep.stdout, rep.stderr)
	}
}

// TestFilesOutsideRootAreUnreachable tries to leave the granted directory.
func TestFilesOutsideRootAreUnreachable(t *testing.T) {
	root := t.TempDir()
	secret := filepath.Join(t.TempDir(), "secret.txt")
	os.WriteFile(secret, []byte("SECRET CONTENT\n"), 0o644)
	if err := os.Symlink(secret, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(root, "sub"), 0o755)
	elf := programPath("readfile")
	for _, c := range []struct {
		fs, path, errno string
	}{
		{"", "hello.txt", "errno 2"},       // no directory granted
		{"", secret, "errno 2"},            // not even absolute paths
		{root, "../secret.txt", "errno 2"}, // .. stops at the root
		{root, "sub/../../" + filepath.Base(secret), "errno 2"},
		{root, "link", "errno 2"}, // an absolute link is followed inside the root, as in a chroot: its target is not there
		{root, secret, "errno 2"}, // host absolute path is inside the root
	} {
		args := []string{"run"}
		if c.fs != "" {
			args = append(args, "--fs", c.fs)
		}
		r := rvsim(t, "", append(args, "--", elf, c.path)...)
		if strings.Contains(r.stdout, "SECRET") || r.status != 2 || !strings.Contains(r.stdout, c.errno) {
			t.Errorf("--fs %q %s: status %d, stdout %q, want %s", c.fs, c.path, r.status, r.stdout, c.errno)
		}
	}
}
