package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The end-to-end tests run the real rvsim binary on the programs that
// scripts/build-programs.sh builds with the Debian RISC-V cross compiler,
// and use qemu-riscv64 as the independent referee.

var rvsimBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rvsim-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	rvsimBin = filepath.Join(dir, "rvsim")
	out, err := exec.Command("go", "build", "-o", rvsimBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building rvsim: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const repo = "../.."

// manifestEntry is one line of programs/manifest.tsv.
type manifestEntry struct {
	name, kind string
	args       []string
	stdin      string // path relative to programs/, or ""
	check      string // qemu, selfcheck or nondet
	status     int
}

func readManifest(t *testing.T) []manifestEntry {
	t.Helper()
	f, err := os.Open(filepath.Join(repo, "programs", "manifest.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []manifestEntry
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		s := sc.Text()
		if strings.TrimSpace(s) == "" || strings.HasPrefix(s, "#") {
			continue
		}
		c := strings.Split(s, "\t")
		if len(c) != 6 {
			t.Fatalf("manifest.tsv:%d: %d columns, want 6: %q", line, len(c), s)
		}
		e := manifestEntry{name: c[0], kind: c[1], check: c[4]}
		if c[2] != "-" {
			e.args = strings.Fields(c[2])
		}
		if c[3] != "-" {
			e.stdin = c[3]
		}
		if e.status, err = strconv.Atoi(c[5]); err != nil {
			t.Fatalf("manifest.tsv:%d: status %q: %v", line, c[5], err)
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		t.Fatal("manifest.tsv lists no programs")
	}
	return out
}

// runResult is what one process did.
type runResult struct {
	stdout, stderr string
	status         int
}

func runProc(t *testing.T, stdin string, name string, args ...string) runResult {
	t.Helper()
	cmd := exec.Command(name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != "" {
		f, err := os.Open(stdin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd.Stdin = f
	}
	err := cmd.Run()
	status := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		status = ee.ExitCode()
		if status < 0 { // killed by a signal, as qemu-user re-raises guest signals
			status = 128 + signalNumber(ee)
		}
	case err != nil:
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return runResult{out.String(), errb.String(), status}
}

// rvsim runs the rvsim binary.
func rvsim(t *testing.T, stdin string, args ...string) runResult {
	t.Helper()
	return runProc(t, stdin, rvsimBin, args...)
}

func programPath(name string) string {
	return filepath.Join(repo, "programs", "bin", name+".elf")
}

func entryStdin(e manifestEntry) string {
	if e.stdin == "" {
		return ""
	}
	return filepath.Join(repo, "programs", e.stdin)
}

// TestProgramsAgainstQemu runs every deterministic Linux program under rvsim
// and qemu-riscv64 and requires the same stdout and exit status.
func TestProgramsAgainstQemu(t *testing.T) {
	qemu, err := exec.LookPath("qemu-riscv64")
	if err != nil {
		t.Fatal("qemu-riscv64 is needed as the referee (Debian package qemu-user)")
	}
	n := 0
	for _, e := range readManifest(t) {
		if e.check != "qemu" {
			continue
		}
		n++
		t.Run(e.name, func(t *testing.T) {
			elf := programPath(e.name)
			want := runProc(t, entryStdin(e), qemu, append([]string{elf}, e.args...)...)
			got := rvsim(t, entryStdin(e), append([]string{"run", "--", elf}, e.args...)...)
			if got.stdout != want.stdout {
				t.Errorf("stdout differs from qemu-riscv64:\nrvsim:\n%s\nqemu:\n%s", got.stdout, want.stdout)
			}
			if got.status != want.status {
				t.Errorf("exit status %d, qemu-riscv64 %d (rvsim stderr: %s)", got.status, want.status, got.stderr)
			}
			if got.status != e.status {
				t.Errorf("exit status %d, manifest says %d", got.status, e.status)
			}
		})
	}
	t.Logf("%d programs cross-checked against qemu-riscv64", n)
}

// TestSelfCheckingPrograms runs the bare-metal and other self-checking
// programs, which exit with the manifest's status only if every check passed.
func TestSelfCheckingPrograms(t *testing.T) {
	for _, e := range readManifest(t) {
		if e.check != "selfcheck" && e.check != "nondet" {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			got := rvsim(t, entryStdin(e), append([]string{"run", "--max-insns", "2000000000", "--", programPath(e.name)}, e.args...)...)
			if got.status != e.status {
				t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", got.status, e.status, got.stdout, got.stderr)
			}
			if strings.Contains(got.stderr, "goroutine") || strings.Contains(got.stderr, "panic:") {
				t.Errorf("rvsim panicked:\n%s", got.stderr)
			}
		})
	}
}

// TestProgramsRebuild rebuilds every program from source with the cross
// compiler and requires the committed ELF files to be identical.
func TestProgramsRebuild(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command("bash", filepath.Join(repo, "scripts", "build-programs.sh"), dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build-programs.sh: %v\n%s", err, out)
	}
	built, err := filepath.Glob(filepath.Join(dir, "*.elf"))
	if err != nil || len(built) == 0 {
		t.Fatalf("no ELF files built in %s", dir)
	}
	for _, b := range built {
		fresh, _ := os.ReadFile(b)
		committed, err := os.ReadFile(filepath.Join(repo, "programs", "bin", filepath.Base(b)))
		if err != nil {
			t.Errorf("%s is built from source but not committed: %v", filepath.Base(b), err)
			continue
		}
		if !bytes.Equal(fresh, committed) {
			t.Errorf("programs/bin/%s differs from a fresh build: run scripts/build-programs.sh", filepath.Base(b))
		}
	}
	for _, e := range readManifest(t) {
		if _, err := os.Stat(filepath.Join(dir, e.name+".elf")); err != nil {
			t.Errorf("manifest lists %s but the build script does not build it", e.name)
		}
	}
}
