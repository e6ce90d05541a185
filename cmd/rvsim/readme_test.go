package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README's commands are run as written, so that they cannot rot.

const (
	ownProgramBegin = "<!-- own-program:begin -->"
	ownProgramEnd   = "<!-- own-program:end -->"
)

// readmeCommands returns the commands of README.md between the
// own-program markers: every line indented by four spaces (the Markdown
// code blocks), without the indentation, as one shell script.
func readmeCommands(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(repo, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), ownProgramBegin)
	if !ok {
		t.Fatalf("README.md has no %s marker", ownProgramBegin)
	}
	section, _, ok := strings.Cut(rest, ownProgramEnd)
	if !ok {
		t.Fatalf("README.md has no %s marker after %s", ownProgramEnd, ownProgramBegin)
	}
	var script strings.Builder
	for line := range strings.SplitSeq(section, "\n") {
		if cmd, ok := strings.CutPrefix(line, "    "); ok {
			script.WriteString(cmd + "\n")
		}
	}
	if script.Len() == 0 {
		t.Fatal("README.md has no commands between the own-program markers")
	}
	return script.String()
}

// TestReadmeOwnProgram runs the README's "Running your own program"
// commands with bash, as a user would from the top of a checkout: the real
// cross compiler builds the examples with the project's runtime, and the
// rvsim on PATH is the one under test. The working directory is a
// temporary one holding a link to programs/, so that the outputs stay out
// of the tree.
func TestReadmeOwnProgram(t *testing.T) {
	for _, tool := range []string{"riscv64-unknown-elf-gcc", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: install the Debian package gcc-riscv64-unknown-elf (CI does)", tool)
		}
	}
	if _, err := os.Stat("/usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs"); err != nil {
		t.Skip("picolibc not found: install the Debian package picolibc-riscv64-unknown-elf (CI does)")
	}
	script := readmeCommands(t)
	for _, want := range []string{"riscv64-unknown-elf-gcc", "rvsim run hello.elf", "rvsim record",
		"rvsim replay hello.elf hello.zst", "rvsim inspect", "rvsim run bare.elf"} {
		if !strings.Contains(script, want) {
			t.Errorf("the README's commands lack %q:\n%s", want, script)
		}
	}

	dir := t.TempDir()
	programs, err := filepath.Abs(filepath.Join(repo, "programs"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(programs, filepath.Join(dir, "programs")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(rvsimBin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the README's commands failed: %v\nscript:\n%s\nstdout:\n%s\nstderr:\n%s", err, script, stdout.String(), stderr.String())
	}
	out, errs := stdout.String(), stderr.String()

	// run, record and replay each print the greeting; the replay prints
	// what the recording printed, numbers included.
	greet := regexp.MustCompile(`(?m)^Hello, Ada!\nIt is \d+\.\d{9} seconds after 1970, cycle \d+\.\nYour lucky bytes: [0-9a-f ]{11}\n`)
	runs := greet.FindAllString(out, -1)
	if len(runs) != 3 {
		t.Fatalf("hello.elf printed its greeting %d times, want 3 (run, record, replay):\n%s", len(runs), out)
	}
	if runs[1] != runs[2] {
		t.Errorf("the replay printed\n%s\nbut its recording printed\n%s", runs[2], runs[1])
	}
	bare := regexp.MustCompile(`(?m)^Hello from bare metal! misa 0x800000000010112d, cycle \d+, seed 0x8000[0-9a-f]{4}$`).FindAllString(out, -1)
	if len(bare) != 3 || bare[1] != bare[2] {
		t.Errorf("bare.elf printed %q, want three greetings, the last two equal", bare)
	}
	if n := strings.Count(errs, "rvsim: replay identical: "); n != 2 {
		t.Errorf("%d replays said identical, want 2; stderr:\n%s", n, errs)
	}
	// inspect --events shows the kinds the README names.
	for _, want := range []string{"input ", "read (nr 63)", "clock_gettime (nr 113)", "getrandom (nr 278)", "cycle "} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect --events of hello.zst shows no %q:\n%s", want, out)
		}
	}
	// The README says hello.elf runs under qemu-riscv64 as well.
	if qemu, err := exec.LookPath("qemu-riscv64"); err == nil {
		q := exec.Command(qemu, "hello.elf")
		q.Dir, q.Stdin = dir, strings.NewReader("Ada\n")
		qout, err := q.CombinedOutput()
		if err != nil || !greet.Match(qout) {
			t.Errorf("qemu-riscv64 hello.elf: %v\n%s", err, qout)
		}
	}
	for _, f := range []string{"hello.elf", "hello.zst", "bare.elf", "bare.zst"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("the README's commands did not make %s: %v", f, err)
		}
	}
}

// TestReadmeFaultLine requires the README's example of a guest fault to be
// exactly what rvsim prints for the shipped programs/bin/illegal.elf.
func TestReadmeFaultLine(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repo, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("`(rvsim: guest fault: illegal instruction [^`]*)`").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md shows no `rvsim: guest fault: illegal instruction ...` line")
	}
	got := rvsim(t, "", "run", programPath("illegal"))
	if got.status != 132 {
		t.Errorf("illegal.elf: status %d, want 132", got.status)
	}
	if line := strings.TrimRight(got.stderr, "\n"); line != string(m[1]) {
		t.Errorf("illegal.elf prints\n%s\nbut README.md shows\n%s", line, m[1])
	}
}
