package vmm

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/logfmt"
)

// recordReplayStopped records the semihosting program at path, then
// replays the trace: both must stop with an error that is want, with the
// same message and output, and the trace's footer must say reason at the
// instruction count where both stopped.
func recordReplayStopped(t *testing.T, path string, want error, reason string) (out string) {
	t.Helper()
	var trace []byte
	res, out, _, err := semiRun(t, path, Config{MaxInsns: 100_000_000}, &trace, "record")
	if !errors.Is(err, want) {
		t.Fatalf("record: %v, want %v", err, want)
	}
	rd, rerr := logfmt.NewReader(bytes.NewReader(trace), "t.zst")
	if rerr != nil {
		t.Fatal(rerr)
	}
	for {
		if _, e := rd.Next(); e != nil {
			break
		}
	}
	f, ok := rd.Footer()
	if !ok || f.Reason != reason || f.Instret != res.Instret {
		t.Fatalf("footer %+v (present %v): want reason %q at instruction %d", f, ok, reason, res.Instret)
	}
	rres, rout, _, rerr2 := semiRun(t, path, Config{}, &trace, "replay")
	if !errors.Is(rerr2, want) || rerr2.Error() != err.Error() {
		t.Fatalf("replay: %v; recorded %v", rerr2, err)
	}
	if rout != out || rres.Instret != res.Instret || rres.Stats.Digest != f.Digest {
		t.Fatalf("replay: stdout %q at instruction %d (digest %s); recorded %q at %d (digest %s)",
			rout, rres.Instret, rres.Stats.Digest, out, res.Instret, f.Digest)
	}
	return out
}

// TestStuckRecordReplay: exitcode built without --crt0 returns into
// picolibc's default crt0, which jumps to itself; the recording stops with
// ErrStuck and a footer of reason stuck, and the replay reproduces the
// output and stops at the same instruction with the same message.
func TestStuckRecordReplay(t *testing.T) {
	path := func() string {
		semiBuildMu.Lock()
		defer semiBuildMu.Unlock()
		return buildSemihost(t, "exitcode", "exitcode-crt0-stopend.elf", "--specs=picolibc.specs", "--oslib=semihost", "-O2")
	}()
	if out := recordReplayStopped(t, path, ErrStuck, ReasonStuck); out != "return 3\n" {
		t.Errorf("stdout %q, want the program's %q", out, "return 3\n")
	}
}

// semiUnknownSrc prints a line, reads the time (a recorded event), then
// makes semihosting operation 0x100, which does not exist.
const semiUnknownSrc = `#include <stdio.h>
#include <time.h>
static long semi(long op, long arg)
{
	register long a0 asm("a0") = op;
	register long a1 asm("a1") = arg;
	asm volatile(".option push\n.option norvc\n.balign 16\nslli x0, x0, 0x1f\nebreak\nsrai x0, x0, 7\n.option pop"
		     : "+r"(a0) : "r"(a1) : "memory");
	return a0;
}
int main(void)
{
	printf("before %d\n", time(0) > 0);
	fflush(stdout);
	semi(0x100, 0x1234);
	printf("after\n");
	return 0;
}
`

// TestUnknownSemihostOpRecordReplay: a semihosting operation that does not
// exist stops the recording with ErrSemihostOp and a footer of reason
// unsupported; the replay reproduces the output written before it and
// stops at the same call with the same message.
func TestUnknownSemihostOpRecordReplay(t *testing.T) {
	if _, err := exec.LookPath(semihostCC[0]); err != nil {
		t.Skipf("%s is not installed", semihostCC[0])
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "unknown.c")
	if err := os.WriteFile(src, []byte(semiUnknownSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "unknown.elf")
	if b, err := exec.Command(semihostCC[0], append(semihostCC[1:], "-o", out, src)...).CombinedOutput(); err != nil {
		t.Fatalf("building: %v\n%s", err, b)
	}
	if got := recordReplayStopped(t, out, ErrSemihostOp, ReasonUnsupported); got != "before 1\n" {
		t.Errorf("stdout %q, want %q", got, "before 1\n")
	}
}

// TestSemihostBrokenPipe: a semihosting program whose standard output is a
// pipe that no one reads dies of SIGPIPE at its first write (status 141,
// reason signal), instead of being told "nothing written" for ever; the
// replay ends the same way.
func TestSemihostBrokenPipe(t *testing.T) {
	path := semihostProgram(t, "hello")
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	pr.Close() // the reader quits at once
	defer pw.Close()
	prog, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var trace bytes.Buffer
	m, err := New(prog, Config{Stdin: strings.NewReader(""), Stdout: pw, Stderr: pw, Record: &trace, MaxInsns: 100_000_000})
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Run()
	m.Close()
	if err != nil || res.Status != 128+sigPIPE {
		t.Fatalf("record: status %d, %v; want %d", res.Status, err, 128+sigPIPE)
	}
	rd, err := logfmt.NewReader(bytes.NewReader(trace.Bytes()), "t.zst")
	if err != nil {
		t.Fatal(err)
	}
	var rout bytes.Buffer
	rm, err := New(prog, Config{Stdin: strings.NewReader(""), Stdout: &rout, Stderr: &rout, Replay: rd})
	if err != nil {
		t.Fatal(err)
	}
	rres, err := rm.Run()
	rm.Close()
	f, _ := rd.Footer()
	if err != nil || rres.Status != 128+sigPIPE || rres.Instret != res.Instret || rout.Len() != 0 {
		t.Fatalf("replay: status %d at instruction %d, output %q, %v; recorded %d at %d", rres.Status, rres.Instret, rout.String(), err, res.Status, res.Instret)
	}
	if f.Reason != ReasonSignal || f.Status != 128+sigPIPE {
		t.Errorf("footer: %s, status %d; want %s, %d", f.Reason, f.Status, ReasonSignal, 128+sigPIPE)
	}
}
