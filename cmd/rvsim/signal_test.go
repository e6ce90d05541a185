package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// signalNumber returns the signal that killed the process of ee, or 0.
func signalNumber(ee *exec.ExitError) int {
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return int(ws.Signal())
	}
	return 0
}

// checkInterrupted checks a trace that SIGINT or SIGTERM ended: a valid
// zstd file (zstd -t), complete, with a footer marked interrupted at the
// instruction record reported, which replays to that point, identical,
// and says why it stops there.
func checkInterrupted(t *testing.T, trace, prog, recStderr string, recStatus int) (instret uint64, segments int) {
	t.Helper()
	if recStatus != exitSimError {
		t.Errorf("record: exit status %d, want %d", recStatus, exitSimError)
	}
	m := regexp.MustCompile(`(?m)^rvsim: interrupted at instruction (\d+), pc 0x[0-9a-f]+$`).FindStringSubmatch(recStderr)
	if m == nil || badPanic(recStderr) {
		t.Fatalf("record does not say where it was interrupted: %q", recStderr)
	}
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	if err := zstdTest(t, data); err != nil {
		t.Errorf("zstd -t rejects the interrupted trace: %v", err)
	}
	in, r := inspectTraceJSON(t, trace)
	if in == nil || r.status != 0 || !in.Complete || in.Footer == nil {
		t.Fatalf("inspect: status %d, the trace is not complete: %s", r.status, r.stderr)
	}
	f := in.Footer
	if f.Reason != "interrupted" || strconv.FormatUint(f.Instret, 10) != m[1] || int(f.Segments) != len(in.Segments) {
		t.Errorf("footer: reason %q, instret %d, %d segments; want interrupted at %s, %d segments", f.Reason, f.Instret, f.Segments, m[1], len(in.Segments))
	}
	if last, _ := lastEvent(t, trace); last > f.Instret {
		t.Errorf("the last event is at instruction %d, after the footer's %d", last, f.Instret)
	}
	rep := rvsim(t, "", "replay", programPath(prog), trace)
	if rep.status != recStatus {
		t.Errorf("replay: exit status %d, record %d", rep.status, recStatus)
	}
	id := identicalRE.FindStringSubmatch(rep.stderr)
	if id == nil || id[1] != m[1] || id[2] != f.Digest {
		t.Errorf("replay is not identical to the recording up to instruction %s (digest %s):\n%s", m[1], f.Digest, rep.stderr)
	}
	if !strings.Contains(rep.stderr, "rvsim: the recorded run was stopped here (interrupted): interrupted at instruction "+m[1]) {
		t.Errorf("replay does not say the recording was interrupted there:\n%s", rep.stderr)
	}
	return f.Instret, len(in.Segments)
}

// TestRecordSignals sends SIGINT and SIGTERM to a recording in full
// flight: rvsim finishes the trace with the current segment and a footer
// marked interrupted.
func TestRecordSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			trace := filepath.Join(t.TempDir(), "t.zst")
			r := startRecord(t, trace, nil, "ndloop", longRun)
			r.waitSize(t, 16<<10, 30*time.Second)
			st := r.signal(t, sig, 10*time.Second)
			n, segs := checkInterrupted(t, trace, "ndloop", r.stderr.String(), st)
			t.Logf("%v: interrupted at instruction %d, %d segments; replay identical to that point", sig, n, segs)
		})
	}
}

// TestRecordSignalWhileReading interrupts a recording whose guest waits
// for standard input that never comes: the read is abandoned, the trace
// finished, and the replay prints what the guest had read before.
func TestRecordSignalWhileReading(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "cat.zst")
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	r := startRecord(t, trace, pr, "cat")
	pr.Close()
	if _, err := pw.WriteString("first line\n"); err != nil {
		t.Fatal(err)
	}
	// cat echoes the line, then waits in read for more.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(r.stdout.String(), "first line\n") {
		if time.Now().After(deadline) {
			t.Fatalf("cat did not echo its input: %q", r.stdout.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // into the next read
	st := r.signal(t, syscall.SIGINT, 5*time.Second)
	n, _ := checkInterrupted(t, trace, "cat", r.stderr.String(), st)
	rep := rvsim(t, "", "replay", programPath("cat"), trace)
	if rep.stdout != "first line\n" {
		t.Errorf("replay printed %q, the recording %q", rep.stdout, "first line\n")
	}
	t.Logf("interrupted in read at instruction %d", n)
}
