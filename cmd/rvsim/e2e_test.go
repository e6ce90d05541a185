package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The end-to-end tests run the real rvsim binary on the programs that
// scripts/build-programs.sh builds with the Debian RISC-V cross compiler,
// and use qemu-riscv64 as the independent referee.

var rvsimBin string

func TestMain(m *testing.M) {
	unignoreForChildren()
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

// unignoreForChildren makes the rvsim processes the tests start begin
// with SIGINT and SIGHUP at their default action even when this test
// binary began with them ignored (a background job of a script, nohup):
// rvsim keeps an ignored one ignored, and the tests that send them would
// fail. A signal the process handles is reset to its default in a child;
// this one handles them by dropping them, so it still ignores them.
func unignoreForChildren() {
	for _, s := range []os.Signal{syscall.SIGINT, syscall.SIGHUP} {
		if signal.Ignored(s) {
			signal.Notify(make(chan os.Signal, 1), s)
		}
	}
}

const repo = "../.."

// manifestEntry is one line of programs/manifest.tsv.
type manifestEntry struct {
	name, kind string
	args       []string
	stdin      string // path relative to programs/, or ""
	check      string // qemu, masked, golden, selfcheck or nondet
	golden     string // check golden: the expected stdout's file, relative to programs/
	status     int
}

// The program kinds and checks that manifest.tsv may name.
var (
	manifestKinds  = []string{"linux", "bare", "glibc-static", "glibc-dynamic", "semihost"}
	manifestChecks = []string{"qemu", "masked", "golden", "selfcheck", "nondet"}
)

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
		if file, ok := strings.CutPrefix(e.check, "golden:"); ok {
			e.check, e.golden = "golden", file
		}
		if !slices.Contains(manifestKinds, e.kind) {
			t.Fatalf("manifest.tsv:%d: kind %q, want one of %v", line, e.kind, manifestKinds)
		}
		if !slices.Contains(manifestChecks, e.check) {
			t.Fatalf("manifest.tsv:%d: check %q, want one of %v", line, e.check, manifestChecks)
		}
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

// sysroot is where Debian's gcc-riscv64-linux-gnu installs the target's
// libraries: qemu-riscv64 -L and rvsim -L get it for dynamic programs.
const sysroot = "/usr/riscv64-linux-gnu"

// needGlibcSysroot fails the test when the glibc sysroot is missing.
func needGlibcSysroot(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(sysroot, "lib", "libc.so.6")); err != nil {
		t.Fatalf("the glibc sysroot %s is needed for dynamic programs (Debian package gcc-riscv64-linux-gnu): %v", sysroot, err)
	}
}

// runResult is what one process did.
type runResult struct {
	stdout, stderr string
	status         int
}

func runProc(t *testing.T, stdin string, name string, args ...string) runResult {
	t.Helper()
	return runProcEnv(t, nil, stdin, name, args...)
}

// runProcEnv runs name with the variables env added to the environment.
func runProcEnv(t *testing.T, env []string, stdin string, name string, args ...string) runResult {
	t.Helper()
	cmd := exec.Command(name, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
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

// absProgramPath is programPath made absolute, for a command run in
// another directory (a shell under script(1), gdb, a guest's working
// directory).
func absProgramPath(t testing.TB, name string) string {
	t.Helper()
	p, err := filepath.Abs(programPath(name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func entryStdin(e manifestEntry) string {
	if e.stdin == "" {
		return ""
	}
	return filepath.Join(repo, "programs", e.stdin)
}

// withoutRvsimMessages cuts rvsim's own messages out of its stderr, leaving what the
// guest wrote: each line from "rvsim: " on (a guest's last line may lack
// its newline, and rvsim's line then follows it on the same line).
func withoutRvsimMessages(s string) string {
	var keep strings.Builder
	for l := range strings.SplitAfterSeq(s, "\n") {
		if i := strings.Index(l, "rvsim: "); i >= 0 {
			l = l[:i]
		}
		keep.WriteString(l)
	}
	return keep.String()
}

// qemuStderr drops qemu-riscv64's own lines (qemu: uncaught target signal
// ...) from its stderr.
func qemuStderr(s string) string {
	var keep strings.Builder
	for l := range strings.SplitAfterSeq(s, "\n") {
		if !strings.HasPrefix(l, "qemu: ") {
			keep.WriteString(l)
		}
	}
	return keep.String()
}

// numberRE matches a number in decimal or hexadecimal, with or without
// 0x: every word made of hexadecimal digits only ("be" and "a" too, on
// both sides of a comparison alike).
var numberRE = regexp.MustCompile(`\b(0x)?[0-9a-f]+\b`)

// maskNumbers replaces every number by #: what a program whose numbers
// vary from run to run prints that does not vary.
func maskNumbers(s string) string { return numberRE.ReplaceAllString(s, "#") }

// qemuCommand is the qemu-riscv64 command line that runs the manifest
// entry: with -L and the glibc sysroot for a dynamic program.
func qemuCommand(e manifestEntry, elf string) []string {
	args := []string{elf}
	if e.kind == "glibc-dynamic" {
		args = []string{"-L", sysroot, elf}
	}
	return append(args, e.args...)
}

// rvsimRunCommand is the rvsim run command line of the manifest entry:
// with -L and the glibc sysroot for a dynamic program, as for qemu, and
// with --fs programs/testdata for a semihosting program, whose files are
// found there.
func rvsimRunCommand(e manifestEntry, extra ...string) []string {
	return append(append([]string{"run"}, extra...), rvsimArgs(e)...)
}

// rvsimArgs are the flags, program and arguments that run the manifest
// entry, for run and record alike.
func rvsimArgs(e manifestEntry) []string {
	var args []string
	switch e.kind {
	case "glibc-dynamic":
		args = append(args, "-L", sysroot)
	case "semihost":
		args = append(args, "--fs", filepath.Join(repo, "programs", "testdata"))
	}
	return append(append(args, "--", programPath(e.name)), e.args...)
}

// TestProgramsAgainstQemu runs every program that qemu-riscv64 can referee
// under rvsim and under qemu-riscv64, and requires the same stdout, the same
// stderr (without rvsim's and qemu's own messages) and the same exit status:
// as they are (check qemu), or with every number masked (check masked: the
// output varies from run to run).
func TestProgramsAgainstQemu(t *testing.T) {
	qemu, err := exec.LookPath("qemu-riscv64")
	if err != nil {
		t.Fatal("qemu-riscv64 is needed as the referee (Debian package qemu-user)")
	}
	n := 0
	for _, e := range readManifest(t) {
		if e.check != "qemu" && e.check != "masked" {
			continue
		}
		n++
		t.Run(e.name, func(t *testing.T) {
			if e.kind == "glibc-dynamic" {
				needGlibcSysroot(t)
			}
			want := runProc(t, entryStdin(e), qemu, qemuCommand(e, programPath(e.name))...)
			got := rvsim(t, entryStdin(e), rvsimRunCommand(e)...)
			gotOut, wantOut := got.stdout, want.stdout
			gotErr, wantErr := withoutRvsimMessages(got.stderr), qemuStderr(want.stderr)
			if e.check == "masked" {
				gotOut, wantOut = maskNumbers(gotOut), maskNumbers(wantOut)
				gotErr, wantErr = maskNumbers(gotErr), maskNumbers(wantErr)
			}
			if gotOut != wantOut {
				t.Errorf("stdout differs from qemu-riscv64's:\nrvsim:\n%s\nqemu:\n%s", gotOut, wantOut)
			}
			if gotErr != wantErr {
				t.Errorf("the guest's stderr differs from qemu-riscv64's:\nrvsim:\n%s\nqemu:\n%s", gotErr, wantErr)
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

// TestProgramsGolden runs the programs whose expected output is written
// out in a file (check golden:FILE: bare-metal semihosting programs, whose
// referee, qemu-system's -semihosting, is not among the test tools): their
// stdout must be the file's text, with {prog} standing for the program's
// path as given to rvsim, and their exit status the manifest's.
func TestProgramsGolden(t *testing.T) {
	for _, e := range readManifest(t) {
		if e.check != "golden" {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(repo, "programs", e.golden))
			if err != nil {
				t.Fatal(err)
			}
			got := rvsim(t, entryStdin(e), rvsimRunCommand(e)...)
			if w := strings.ReplaceAll(string(want), "{prog}", programPath(e.name)); got.stdout != w {
				t.Errorf("stdout differs from %s:\nrvsim:\n%s\nwant:\n%s", e.golden, got.stdout, w)
			}
			if got.status != e.status {
				t.Errorf("exit status %d, want %d (stderr: %s)", got.status, e.status, got.stderr)
			}
			if withoutRvsimMessages(got.stderr) != "" {
				t.Errorf("stderr %q, want nothing from the guest (semihosting writes to the console, stdout)", got.stderr)
			}
		})
	}
}

// TestSelfCheckingPrograms runs the bare-metal and other self-checking
// programs, which exit with the manifest's status only if every check passed.
func TestSelfCheckingPrograms(t *testing.T) {
	for _, e := range readManifest(t) {
		if e.check != "selfcheck" && e.check != "nondet" {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			got := rvsim(t, entryStdin(e), rvsimRunCommand(e, "--max-insns", "2000000000")...)
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
