//go:build unix

package main

import (
	"bytes"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// recordToPipe starts rvsim record of cat.elf, fed 3 MB of random bytes
// (several segments of trace), with its trace written to the pipe w
// (`-o /dev/fd/3`), and returns the command and a channel of its end.
func recordToPipe(t *testing.T, w *os.File) (*exec.Cmd, *bytes.Buffer, chan error) {
	t.Helper()
	input := make([]byte, 3<<20)
	rand.Read(input)
	cmd := exec.Command(rvsimBin, "record", "-o", "/dev/fd/3", programPath("cat"))
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stderr = bytes.NewReader(input), &stderr
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-done
		}
	})
	return cmd, &stderr, done
}

// waitExit waits at most limit for cmd to end and returns its status.
func waitExit(t *testing.T, cmd *exec.Cmd, done chan error, limit time.Duration, what string) int {
	t.Helper()
	select {
	case <-done:
		return cmd.ProcessState.ExitCode()
	case <-time.After(limit):
		t.Fatalf("%s: rvsim record still runs after %v", what, limit)
	}
	return 0
}

// TestTracePipeReaderStalls: a trace written to a pipe whose reader never
// reads blocks the recorder, as any writer; SIGINT still ends it, within
// the grace period, with one line saying the trace could not be written.
// (The trace was opened read-write before, so that rvsim was a reader of
// its own pipe, and the write never came back.)
func TestTracePipeReaderStalls(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close() // open, never read
	cmd, stderr, done := recordToPipe(t, w)
	time.Sleep(500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	if st := waitExit(t, cmd, done, traceWriteGrace+10*time.Second, "stalled reader, SIGINT"); st != exitSimError {
		t.Fatalf("status %d, want %d; stderr %q", st, exitSimError, stderr.String())
	}
	if !regexp.MustCompile(`rvsim: record: /dev/fd/3: writing trace .*i/o timeout \(the trace is incomplete`).MatchString(stderr.String()) {
		t.Fatalf("stderr %q does not say that the trace could not be written", stderr.String())
	}
}

// TestTracePipeReaderQuits: a trace reader that quits gives the recorder
// EPIPE: one line, status 125, at once.
func TestTracePipeReaderQuits(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd, stderr, done := recordToPipe(t, w)
	buf := make([]byte, 100)
	r.Read(buf)
	r.Close()
	if st := waitExit(t, cmd, done, 20*time.Second, "reader quits"); st != exitSimError {
		t.Fatalf("status %d, want %d; stderr %q", st, exitSimError, stderr.String())
	}
	if !regexp.MustCompile(`rvsim: record: /dev/fd/3: writing trace .*broken pipe`).MatchString(stderr.String()) {
		t.Fatalf("stderr %q does not say that the trace's reader went away", stderr.String())
	}
}

// TestTraceFIFONoReader: -o naming a FIFO that no process reads fails at
// once instead of waiting in open(2).
func TestTraceFIFONoReader(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(rvsimBin, "record", "-o", fifo, programPath("hello"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-done
		}
	})
	if st := waitExit(t, cmd, done, 10*time.Second, "FIFO without reader"); st != exitSimError {
		t.Fatalf("status %d, want %d; stderr %q", st, exitSimError, stderr.String())
	}
	if !regexp.MustCompile(`^rvsim: record: open .*fifo: a FIFO that no process reads\n$`).MatchString(stderr.String()) {
		t.Fatalf("stderr %q", stderr.String())
	}
}
