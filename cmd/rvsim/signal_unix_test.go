//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestRecordKeepsIgnoredSignals starts a recording with SIGINT and SIGHUP
// ignored, as nohup or a script's background job starts it: they do not
// stop it (the trace goes on growing), and SIGTERM still finishes the
// trace, marked interrupted.
func TestRecordKeepsIgnoredSignals(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "t.zst")
	sh := exec.Command("sh", append([]string{"-c", `trap '' INT HUP; exec "$0" "$@"`, rvsimBin}, recordArgs(trace, "ndloop", longRun)...)...)
	r := startCmd(t, trace, nil, sh)
	r.waitSize(t, 16<<10, 30*time.Second)
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT} {
		if err := r.cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(trace)
	if err != nil {
		t.Fatal(err)
	}
	r.waitSize(t, fi.Size()+64<<10, 30*time.Second) // fails if the recording ended
	st := r.signal(t, syscall.SIGTERM, 10*time.Second)
	n, _ := checkInterrupted(t, trace, "ndloop", r.stderr.String(), st)
	t.Logf("SIGHUP and SIGINT ignored; SIGTERM interrupted at instruction %d", n)
}

// TestSIGQUIT: SIGQUIT ends run and replay as its default action does
// (death by SIGQUIT), without the Go runtime's dump of its goroutines on
// stderr, and finishes a recording as SIGTERM does.
func TestSIGQUIT(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "t.zst")
	rec := startCmd(t, trace, nil, exec.Command(rvsimBin, recordArgs(trace, "ndloop", longRun)...))
	rec.waitSize(t, 4<<20, 60*time.Second) // a replay of it takes most of a second
	st := rec.signal(t, syscall.SIGQUIT, 10*time.Second)
	checkInterrupted(t, trace, "ndloop", rec.stderr.String(), st)

	for _, args := range [][]string{{"run", programPath("forever")}, {"replay", programPath("ndloop"), trace}} {
		r := startCmd(t, "", nil, exec.Command(rvsimBin, args...))
		time.Sleep(100 * time.Millisecond)
		if st := r.signal(t, syscall.SIGQUIT, 10*time.Second); st != 128+int(syscall.SIGQUIT) || r.stderr.String() != "" {
			t.Errorf("%s: status %d, stderr %.200q; want death by SIGQUIT and nothing on stderr", args[0], st, r.stderr.String())
		}
	}
}
