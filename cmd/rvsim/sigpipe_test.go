package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startRecordPiped starts rvsim record of prog with its standard output
// the write end of a fresh pipe, whose read end it returns.
func startRecordPiped(t *testing.T, trace, prog string, args ...string) (*recording, *os.File) {
	t.Helper()
	return startPiped(t, trace, append([]string{"record", "--nd-buffer", "16", "-o", trace, programPath(prog)}, args...))
}

// startPiped starts rvsim with args, a recording into trace, with its
// standard output the write end of a fresh pipe, whose read end it
// returns.
func startPiped(t *testing.T, trace string, args []string) (*recording, *os.File) {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pr.Close() })
	cmd := exec.Command(rvsimBin, args...)
	cmd.Stdout = pw
	r := startCmd(t, trace, nil, cmd)
	pw.Close() // rvsim holds the only write end
	return r, pr
}

// exitStatus waits at most limit for the recorder to end by itself and
// returns its exit status; it fails the test if rvsim was killed by a
// signal (it must exit, with the guest's status).
func (r *recording) exitStatus(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case err := <-r.waited:
		status, sig, ok := waitStatus(err)
		switch {
		case !ok:
			t.Fatalf("rvsim record: %v", err)
		case sig != 0:
			t.Fatalf("rvsim record was killed by signal %d: %s", sig, r.stderr.String())
		}
		return status
	case <-time.After(limit):
		t.Fatalf("rvsim record did not end within %v: %s", limit, r.stderr.String())
	}
	return 0
}

// checkComplete checks a finished trace as a user would: zstd -t accepts
// it, inspect finds it complete with a footer of reason and status, and
// replay ends identical with that status. It returns the replay.
func checkComplete(t *testing.T, trace, prog, reason string, status int) runResult {
	t.Helper()
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	if err := zstdTest(t, data); err != nil {
		t.Errorf("zstd -t rejects the trace: %v", err)
	}
	in, ir := inspectTraceJSON(t, trace)
	if in == nil || ir.status != 0 || !in.Complete || in.Footer == nil {
		t.Fatalf("inspect: status %d, the trace is not complete: %s", ir.status, ir.stderr)
	}
	if f := in.Footer; f.Reason != reason || f.Status != status {
		t.Errorf("footer: reason %q, status %d; want %q, %d", f.Reason, f.Status, reason, status)
	}
	rep := rvsim(t, "", "replay", programPath(prog), trace)
	id := identicalRE.FindStringSubmatch(rep.stderr)
	if rep.status != status || id == nil || id[2] != in.Footer.Digest || badPanic(rep.stderr) {
		t.Errorf("replay: status %d (want %d), not identical to digest %s:\n%s", rep.status, status, in.Footer.Digest, rep.stderr)
	}
	return rep
}

// TestRecordReaderQuits is `rvsim record prog | head -1`: the reader takes
// one line and quits. The guest's next write fails with EPIPE and SIGPIPE
// kills it (status 141, rvsim itself is not killed); the trace is
// complete with reason "signal", and replay dies the same death after
// the same output, of which the line read is the start.
func TestRecordReaderQuits(t *testing.T) {
	for _, c := range []struct {
		prog string
		args []string
	}{
		{"forever", []string{"print"}}, // picolibc's buffered stdout
		{"sigpipe", nil},               // one write(2) per line
	} {
		t.Run(c.prog, func(t *testing.T) {
			trace := filepath.Join(t.TempDir(), "t.zst")
			r, pr := startRecordPiped(t, trace, c.prog, c.args...)
			line, err := bufio.NewReader(pr).ReadString('\n')
			if err != nil {
				t.Fatalf("reading the first line: %v (%s)", err, r.stderr.String())
			}
			pr.Close()
			st := r.exitStatus(t, 20*time.Second)
			if st != 128+13 || strings.Contains(r.stderr.String(), "rvsim:") || badPanic(r.stderr.String()) {
				t.Fatalf("record: status %d, stderr %q; want 141 and no rvsim message", st, r.stderr.String())
			}
			rep := checkComplete(t, trace, c.prog, "signal", 128+13)
			if !strings.HasPrefix(rep.stdout, line) {
				t.Errorf("replay output starts %q, the reader read %q", rep.stdout[:min(len(rep.stdout), 40)], line)
			}
			t.Logf("the reader read %q; the guest had written %d bytes when it died", line, len(rep.stdout))
		})
	}
}

// TestRecordReaderQuitsIgnored: a guest that ignores SIGPIPE
// (rt_sigaction SIG_IGN) gets -EPIPE from the write after the reader
// quit and exits normally; replay gives the guest the same result and
// outputs exactly the lines its successful writes put into the pipe.
func TestRecordReaderQuitsIgnored(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "t.zst")
	r, pr := startRecordPiped(t, trace, "sigpipe", "ignore")
	if _, err := bufio.NewReader(pr).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	pr.Close()
	st := r.exitStatus(t, 20*time.Second)
	m := regexp.MustCompile(`^sigpipe: write (\d+) returned -32\n$`).FindStringSubmatch(r.stderr.String())
	if st != 0 || m == nil {
		t.Fatalf("record: status %d, stderr %q; want 0 and the guest's -EPIPE", st, r.stderr.String())
	}
	rep := checkComplete(t, trace, "sigpipe", "exit", 0)
	var want strings.Builder
	var n int
	fmt.Sscan(m[1], &n)
	for i := range n {
		fmt.Fprintf(&want, "line %d\n", i)
	}
	if rep.stdout != want.String() {
		t.Errorf("replay wrote %d bytes, want the %d lines the recording wrote (%d bytes)", len(rep.stdout), n, want.Len())
	}
	if !strings.Contains(rep.stderr, m[0]) {
		t.Errorf("replay: the guest did not get -EPIPE at write %s:\n%s", m[1], rep.stderr)
	}
}

// TestRecordDiskFullOutput: a guest whose standard output is /dev/full gets
// ENOSPC (the host's errno, not EINVAL), recorded and replayed.
func TestRecordDiskFullOutput(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full on this host")
	}
	defer full.Close()
	trace := filepath.Join(t.TempDir(), "t.zst")
	cmd := exec.Command(rvsimBin, "record", "-o", trace, programPath("sigpipe"), "ignore")
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = full, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || stderr.String() != "sigpipe: write 0 returned -28\n" {
		t.Fatalf("record: %v, stderr %q; want status 1 and -ENOSPC (-28)", err, stderr.String())
	}
	rep := checkComplete(t, trace, "sigpipe", "exit", 1)
	if rep.stdout != "" || !strings.HasPrefix(rep.stderr, "sigpipe: write 0 returned -28\n") {
		t.Errorf("replay: stdout %q, stderr %q", rep.stdout, rep.stderr)
	}
}

// TestRecordSIGHUP: a hang-up (the terminal closed) ends a recording as
// SIGINT and SIGTERM do: a complete trace marked interrupted.
func TestRecordSIGHUP(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "t.zst")
	r := startRecord(t, trace, nil, "ndloop", longRun)
	r.waitSize(t, 16<<10, 30*time.Second)
	st := r.signal(t, syscall.SIGHUP, 10*time.Second)
	n, segs := checkInterrupted(t, trace, "ndloop", r.stderr.String(), st)
	t.Logf("SIGHUP: interrupted at instruction %d, %d segments", n, segs)
}

// runToClosedPipe runs rvsim with args, its standard output a pipe whose
// reader quits after the first line (at once if first is false), and
// returns rvsim's exit status and stderr. rvsim must exit, not be killed.
func runToClosedPipe(t *testing.T, first bool, args ...string) (int, string) {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if !first {
		pr.Close()
	}
	cmd := exec.Command(rvsimBin, args...)
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = pw, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if first {
		bufio.NewReader(pr).ReadString('\n')
		pr.Close()
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("rvsim %s did not end", args[0])
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stderr.String()
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return ee.ExitCode(), stderr.String()
	case errors.As(err, &ee):
		t.Fatalf("rvsim %s was killed by signal %d: %s", args[0], signalNumber(ee), stderr.String())
	}
	t.Fatal(err)
	return 0, ""
}

// TestRunReplayReaderQuits: `rvsim run prog | head -1` exits with the
// guest's status, 141, as the guest dies of SIGPIPE, and rvsim is not
// killed; `rvsim replay ... | head -1` reproduces the recorded run whatever
// happens to its own output (one warning), identical, with its status.
func TestRunReplayReaderQuits(t *testing.T) {
	st, stderr := runToClosedPipe(t, true, "run", programPath("forever"), "print")
	if st != 141 || stderr != "" {
		t.Errorf("run: status %d, stderr %q; want 141 and nothing", st, stderr)
	}
	trace := filepath.Join(t.TempDir(), "t.zst")
	r, pr := startRecordPiped(t, trace, "sigpipe", "ignore")
	bufio.NewReader(pr).ReadString('\n')
	pr.Close()
	if st := r.exitStatus(t, 20*time.Second); st != 0 {
		t.Fatalf("record: status %d: %s", st, r.stderr.String())
	}
	st, stderr = runToClosedPipe(t, false, "replay", programPath("sigpipe"), trace)
	if st != 0 || !identicalRE.MatchString(stderr) || strings.Count(stderr, "rvsim: warn: replay: writing the guest's stdout failed") != 1 {
		t.Errorf("replay into a closed pipe: status %d, stderr:\n%s", st, stderr)
	}
}

// TestOpenWithoutFS: a guest open with no --fs directory is warned about
// once, the guest's path quoted.
func TestOpenWithoutFS(t *testing.T) {
	r := rvsim(t, "", "run", programPath("readfile"), "no\x1bfile.txt")
	want := `rvsim: warn: the guest opened "no\x1bfile.txt" but no --fs directory was given: it sees no files` + "\n"
	if r.status != 2 || !strings.Contains(r.stderr, want) || strings.Count(r.stderr, "rvsim: warn:") != 1 {
		t.Errorf("status %d, stderr %q; want 2 and %q", r.status, r.stderr, want)
	}
}

// TestRecordBareDiskFullOutput: a bare-metal program's HTIF write that the
// host refuses (standard error on /dev/full) returns -ENOSPC to the guest,
// which bare_hello checks (it exits 1); the result is recorded, and replay
// gives the guest the same result, outputs nothing for that write, and
// ends identical.
func TestRecordBareDiskFullOutput(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full on this host")
	}
	defer full.Close()
	trace := filepath.Join(t.TempDir(), "t.zst")
	cmd := exec.Command(rvsimBin, "record", "-o", trace, programPath("bare_hello"))
	var stdout strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, full
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("record: %v; want status 1 (the guest saw its stderr write fail)", err)
	}
	rep := checkComplete(t, trace, "bare_hello", "exit", 1)
	if rep.stdout != stdout.String() || strings.Contains(rep.stderr, "a line on stderr") {
		t.Errorf("replay: stdout %q (recorded %q), stderr %q", rep.stdout, stdout.String(), rep.stderr)
	}
}
