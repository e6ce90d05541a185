package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rvsim/rvsim/logfmt"
)

// stopendSources are the programs of the tests below: each is built by
// the real cross compiler named in stopendBuild.
var stopendSources = map[string]string{
	// stuck: returns from main into picolibc's default crt0 (built
	// without --crt0), which jumps to itself; time() is a recorded event.
	"stuck": `#include <stdio.h>
#include <time.h>
int main(void) { printf("time %d\n", time(0) > 0); return 2; }
`,
	// silent: a picolibc program with its default crt0 that makes no
	// semihosting call at all.
	"silent": `int main(void) { return 3; }
`,
	// unknown: makes semihosting operation 0x100, which does not exist,
	// after a line of output and a recorded event.
	"unknown": `#include <stdio.h>
#include <time.h>
int main(void)
{
	printf("time %d\n", time(0) > 0);
	fflush(stdout);
	register long a0 asm("a0") = 0x100;
	register long a1 asm("a1") = 0x1234;
	asm volatile(".option push\n.option norvc\n.balign 16\nslli x0, x0, 0x1f\nebreak\nsrai x0, x0, 7\n.option pop"
		     : "+r"(a0) : "r"(a1) : "memory");
	printf("after\n");
	return 0;
}
`,
	// fork: a static glibc program that forks after a line of output.
	"fork": `#include <stdio.h>
#include <time.h>
#include <unistd.h>
int main(void)
{
	printf("time %d\n", time(0) > 0);
	fflush(stdout);
	fork();
	printf("after\n");
	return 0;
}
`,
	// handler: a static glibc program that raises a signal it has a
	// handler for, which the monitor cannot run.
	"handler": `#include <signal.h>
#include <stdio.h>
#include <time.h>
static void h(int sig) { (void)sig; }
int main(void)
{
	printf("time %d\n", time(0) > 0);
	fflush(stdout);
	signal(SIGUSR1, h);
	raise(SIGUSR1);
	printf("after\n");
	return 0;
}
`,
	// spam: a semihosting program that writes lines until printf fails.
	"spam": `#include <stdio.h>
#include <stdlib.h>
int main(void)
{
	for (int i = 0; i < 1000000; i++)
		if (printf("line %d\n", i) < 0) {
			fprintf(stderr, "printf failed at %d\n", i);
			exit(7);
		}
	return 0;
}
`,
}

// stopendBuild builds stopendSources[name] with its compiler: picolibc's
// semihosting library (with its semihost crt0 except for stuck), or
// Debian's glibc cross compiler, static. It skips the test when the
// compiler is not installed.
func stopendBuild(t *testing.T, name string) string {
	t.Helper()
	cc, flags := "riscv64-unknown-elf-gcc", []string{"--specs=picolibc.specs", "--oslib=semihost", "--crt0=semihost", "-O2"}
	switch name {
	case "stuck", "silent":
		flags = flags[:2:2]
	case "fork", "handler":
		cc, flags = "riscv64-linux-gnu-gcc", []string{"-static", "-O2"}
	}
	if _, err := exec.LookPath(cc); err != nil {
		t.Skipf("%s is not installed", cc)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, name+".c")
	if err := os.WriteFile(src, []byte(stopendSources[name]), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name+".elf")
	if b, err := exec.Command(cc, append(flags, "-o", out, src)...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", cc, flags, err, b)
	}
	return out
}

// TestPicolibcWithoutSemihosting: a picolibc program that makes no
// semihosting call (its default crt0, main returning) is still taken for
// a picolibc program, by its __stack symbol: it runs, in M-mode, until
// it is stuck in crt0's endless loop, which is said. Stripped of its
// symbols it cannot be told from a Linux program; its layout does not
// fit one, and the message says why more --mem would not help.
func TestPicolibcWithoutSemihosting(t *testing.T) {
	prog := stopendBuild(t, "silent")
	r := rvsim(t, "", "run", prog)
	if want := regexp.MustCompile(`^rvsim: the guest is stuck in an endless loop at pc 0x[0-9a-f]+ \(j \., a jump to itself\) after \d+ instructions: .*--crt0=semihost`); r.status != 125 || !want.MatchString(r.stderr) {
		t.Errorf("run: status %d, stderr %q; want 125 and %s", r.status, r.stderr, want)
	}
	stripped := prog + ".stripped"
	if b, err := exec.Command("riscv64-unknown-elf-strip", "-o", stripped, prog).CombinedOutput(); err != nil {
		t.Fatalf("strip: %v\n%s", err, b)
	}
	r = rvsim(t, "", "run", stripped)
	if want := regexp.MustCompile(`^rvsim: load .*: segment 1 \[0x20000000, .*bad program layout; the program has no Linux ABI note and makes no semihosting call: .*--crt0=semihost\)\n$`); r.status != 125 || !want.MatchString(r.stderr) {
		t.Errorf("run stripped: status %d, stderr %q; want 125 and %s", r.status, r.stderr, want)
	}
}

// TestStoppedRunsReplay: a run the monitor stops itself (a semihosting
// program stuck in j ., an unknown semihosting operation, a glibc
// program's fork, or its raise of a signal it has a handler for) ends its
// recording with status 125, one line, and a complete trace whose footer
// names the reason; the replay writes the same output, says "replay
// identical", and ends with the same line and status.
func TestStoppedRunsReplay(t *testing.T) {
	for _, c := range []struct {
		name, reason string
		msg          *regexp.Regexp
	}{
		{"stuck", "stuck", regexp.MustCompile(`^rvsim: the guest is stuck in an endless loop at pc 0x[0-9a-f]+ \(j \., a jump to itself\) after \d+ instructions: .*--crt0=semihost`)},
		{"unknown", "unsupported", regexp.MustCompile(`^rvsim: unsupported semihosting operation 0x100 \(a1 0x1234\) at pc 0x[0-9a-f]+\n$`)},
		{"fork", "unsupported", regexp.MustCompile(`^rvsim: unsupported system call: clone \(220\) at pc 0x[0-9a-f]+: the monitor runs one thread of one process\n$`)},
		{"handler", "unsupported", regexp.MustCompile(`^rvsim: unsupported system call: tgkill of signal 10 at pc 0x[0-9a-f]+: the guest's handler at 0x[0-9a-f]+ cannot be run \(the monitor delivers no signals\)\n$`)},
	} {
		t.Run(c.name, func(t *testing.T) {
			prog := stopendBuild(t, c.name)
			trace := filepath.Join(t.TempDir(), "t.zst")
			rec := rvsim(t, "", "record", "--nd-buffer", "16", "-o", trace, prog)
			if rec.status != 125 || rec.stdout != "time 1\n" || !c.msg.MatchString(rec.stderr) || strings.Count(rec.stderr, "\n") != 1 {
				t.Fatalf("record: status %d, stdout %q, stderr %q; want 125, the line before the stop, and %s", rec.status, rec.stdout, rec.stderr, c.msg)
			}
			f := footerOf(t, trace)
			if f.Reason != c.reason {
				t.Errorf("footer reason %q, want %q", f.Reason, c.reason)
			}
			rep := rvsim(t, "", "replay", prog, trace)
			want := fmt.Sprintf("rvsim: replay identical: %d instructions, final state digest %s\n%s", f.Instret, f.Digest, rec.stderr)
			if rep.status != 125 || rep.stdout != rec.stdout || rep.stderr != want {
				t.Errorf("replay: status %d, stdout %q, stderr:\n%s\nwant 125, %q,\n%s", rep.status, rep.stdout, rep.stderr, rec.stdout, want)
			}
		})
	}
}

// startRecordPipedPath starts rvsim record of the program at path with its
// standard output the write end of a fresh pipe, whose read end it
// returns.
func startRecordPipedPath(t *testing.T, trace, path string) (*recording, *os.File) {
	t.Helper()
	return startPiped(t, trace, []string{"record", "-o", trace, path})
}

// TestSemihostReaderQuits is `rvsim record spam.elf | head -1` for a
// picolibc semihosting program: once the reader quits, the console write
// meets EPIPE and the guest dies of SIGPIPE, status 141, as a Linux guest
// does (picolibc would otherwise retry a write of nothing for ever); the
// trace is complete with reason signal and replays identically. run ends
// the same way.
func TestSemihostReaderQuits(t *testing.T) {
	prog := stopendBuild(t, "spam")
	trace := filepath.Join(t.TempDir(), "t.zst")
	r, pr := startRecordPipedPath(t, trace, prog)
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil || line != "line 0\n" {
		t.Fatalf("reading the first line: %q, %v (%s)", line, err, r.stderr.String())
	}
	pr.Close()
	if st := r.exitStatus(t, 20*time.Second); st != 141 || r.stderr.String() != "" {
		t.Fatalf("record: status %d, stderr %q; want 141 and nothing", st, r.stderr.String())
	}
	f := footerOf(t, trace)
	if f.Reason != "signal" || f.Status != 141 {
		t.Errorf("footer: reason %q, status %d; want signal, 141", f.Reason, f.Status)
	}
	rep := rvsim(t, "", "replay", prog, trace)
	id := identicalRE.FindStringSubmatch(rep.stderr)
	if rep.status != 141 || id == nil || id[2] != f.Digest || !strings.HasPrefix(rep.stdout, line) || strings.Contains(rep.stdout, "printf failed") {
		t.Errorf("replay: status %d, stdout starts %q, stderr %q", rep.status, rep.stdout[:min(len(rep.stdout), 40)], rep.stderr)
	}
	if st, stderr := runToClosedPipe(t, true, "run", prog); st != 141 || stderr != "" {
		t.Errorf("run into a pipe whose reader quits: status %d, stderr %q; want 141 and nothing", st, stderr)
	}
}

// TestFalseStuckFooterDiverges: a trace of a run stopped by --max-insns
// whose footer is edited to say "stuck" does not replay as stuck where the
// guest is not jumping to itself: the replay reports a divergence.
func TestFalseStuckFooterDiverges(t *testing.T) {
	prog := stopendBuild(t, "spam")
	dir := t.TempDir()
	trace, edited := filepath.Join(dir, "t.zst"), filepath.Join(dir, "stuck.zst")
	if r := rvsim(t, "", "record", "--max-insns", "5000", "-o", trace, prog); r.status != 125 || !strings.Contains(r.stderr, "instruction limit reached") {
		t.Fatalf("record: status %d, %s", r.status, r.stderr)
	}
	copyTrace(t, trace, edited, nil, nil, func(f *logfmt.Footer) { f.Reason = "stuck" })
	r := rvsim(t, "", "replay", prog, edited)
	if r.status != 125 || !strings.Contains(r.stderr, "rvsim: replay diverged: the recorded run was stopped stuck in a jump to itself at instruction 5000, but the guest is at pc ") ||
		strings.Contains(r.stderr, "replay identical") {
		t.Errorf("replay: status %d, stderr %q; want a divergence", r.status, r.stderr)
	}
}
