//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRecordRefusesTraceBeingRecorded starts a second recording into the
// trace a first one is writing: the second fails at once, says why and
// writes nothing; the first goes on, and its trace is whole (finished by
// SIGINT, it replays identically to where it stopped). Without the lock
// the second emptied the file under the first and both wrote into it.
func TestRecordRefusesTraceBeingRecorded(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "t.zst")
	first := startRecord(t, trace, strings.NewReader(""), "ndloop", longRun)
	first.waitSize(t, 64<<10, 30*time.Second)

	second := rvsim(t, "", "record", "-o", trace, programPath("hello"))
	if second.status != exitSimError || !strings.Contains(second.stderr, "another rvsim is recording into this trace") || badPanic(second.stderr) {
		t.Errorf("second recording: status %d, stderr %q; want %d and the trace named as being recorded", second.status, second.stderr, exitSimError)
	}
	if fi, err := os.Stat(trace); err != nil || fi.Size() < 64<<10 {
		t.Fatalf("the first recording's trace after the second's attempt: %v, %v; want it kept", fi, err)
	}
	st := first.signal(t, syscall.SIGINT, 30*time.Second)
	checkInterrupted(t, trace, "ndloop", first.stderr.String(), st)

	// Once the first has ended, the trace can be recorded over.
	if r := rvsim(t, "", "record", "-o", trace, programPath("hello")); r.status != 0 {
		t.Errorf("recording over the finished trace: status %d, stderr %q", r.status, r.stderr)
	}
}
