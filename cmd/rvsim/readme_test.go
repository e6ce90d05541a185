package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
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
// cross compilers build the examples (with glibc, static and dynamic; with
// picolibc for semihosting; with picolibc and the project's runtime), and
// the rvsim on PATH is the one under test. The working directory is a
// temporary one holding a link to programs/, so that the outputs stay out
// of the tree.
func TestReadmeOwnProgram(t *testing.T) {
	for _, tool := range []string{"riscv64-unknown-elf-gcc", "riscv64-linux-gnu-gcc", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: install the Debian packages gcc-riscv64-unknown-elf and gcc-riscv64-linux-gnu (CI does)", tool)
		}
	}
	if _, err := os.Stat("/usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs"); err != nil {
		t.Skip("picolibc not found: install the Debian package picolibc-riscv64-unknown-elf (CI does)")
	}
	script := readmeCommands(t)
	for _, want := range []string{
		"riscv64-linux-gnu-gcc -static -O2 -o hello-static.elf", "riscv64-linux-gnu-gcc -O2 -o hello-dynamic.elf",
		"rvsim run -L /usr/riscv64-linux-gnu hello-dynamic.elf", "rvsim replay hello-dynamic.elf hello-dynamic.zst",
		"riscv64-unknown-elf-gcc --specs=picolibc.specs --oslib=semihost -O2", "rvsim replay semihost.elf semihost.zst",
		"riscv64-unknown-elf-gcc", "rvsim run hello.elf", "rvsim record",
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
	// A command that never ends (a guest looping for ever) fails the test
	// instead of hanging it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	killGroupOnCancel(cmd)
	cmd.WaitDelay = 5 * time.Second
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(rvsimBin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the README's commands failed: %v\nscript:\n%s\nstdout:\n%s\nstderr:\n%s", err, script, stdout.String(), stderr.String())
	}
	out, errs := stdout.String(), stderr.String()

	// run, record and replay each print the greeting; the replay prints
	// what the recording printed, numbers included. In order: the static
	// glibc build (run, record, replay), the dynamic one (run, run -L,
	// record, replay), the project runtime's (run, record, replay).
	greet := regexp.MustCompile(`(?m)^Hello, Ada!\nIt is \d+\.\d{9} seconds after 1970, cycle \d+\.\nYour lucky bytes: [0-9a-f ]{11}\n`)
	runs := greet.FindAllString(out, -1)
	if len(runs) != 10 {
		t.Fatalf("hello-static.elf, hello-dynamic.elf and hello.elf printed their greeting %d times, want 10 (3 + 4 + 3):\n%s", len(runs), out)
	}
	for _, rr := range [][2]int{{1, 2}, {5, 6}, {8, 9}} {
		if runs[rr[0]] != runs[rr[1]] {
			t.Errorf("the replay printed\n%s\nbut its recording printed\n%s", runs[rr[1]], runs[rr[0]])
		}
	}
	semi := regexp.MustCompile(`(?m)^Hello, Ada!\nIt is \d+ seconds after 1970, clock -?\d+, cycle \d+\.\n`).FindAllString(out, -1)
	if len(semi) != 4 || semi[1] != semi[2] {
		t.Errorf("semihost.elf and semihost-args.elf printed %q, want four greetings, the second and third equal", semi)
	}
	if n := strings.Count(out, "argument 1: one\nargument 2: two\n"); n != 1 {
		t.Errorf("semihost-args.elf printed its arguments %d times, want once:\n%s", n, out)
	}
	bare := regexp.MustCompile(`(?m)^Hello from bare metal! misa 0x800000000010112d, cycle \d+, seed 0x8000[0-9a-f]{4}$`).FindAllString(out, -1)
	if len(bare) != 3 || bare[1] != bare[2] {
		t.Errorf("bare.elf printed %q, want three greetings, the last two equal", bare)
	}
	if n := strings.Count(errs, "rvsim: replay identical: "); n != 5 {
		t.Errorf("%d replays said identical, want 5; stderr:\n%s", n, errs)
	}
	// inspect --events of hello-static.zst and hello.zst show the kinds
	// the README names.
	for _, want := range []string{"input ", "read (nr 63)", "clock_gettime (nr 113)", "getrandom (nr 278)", "cycle "} {
		if n := strings.Count(out, want); n < 2 {
			t.Errorf("inspect --events of hello-static.zst and hello.zst show %q %d times, want 2 or more:\n%s", want, n, out)
		}
	}
	// The README says the hello programs run under qemu-riscv64 as well.
	if qemu, err := exec.LookPath("qemu-riscv64"); err == nil {
		for _, args := range [][]string{{"hello-static.elf"}, {"-L", sysroot, "hello-dynamic.elf"}, {"hello.elf"}} {
			q := exec.Command(qemu, args...)
			q.Dir, q.Stdin = dir, strings.NewReader("Ada\n")
			qout, err := q.CombinedOutput()
			if err != nil || !greet.Match(qout) {
				t.Errorf("qemu-riscv64 %v: %v\n%s", args, err, qout)
			}
		}
	}
	for _, f := range []string{"hello-static.elf", "hello-static.zst", "hello-dynamic.elf", "hello-dynamic.zst",
		"semihost.elf", "semihost.zst", "semihost-args.elf", "hello.elf", "hello.zst", "bare.elf", "bare.zst"} {
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
