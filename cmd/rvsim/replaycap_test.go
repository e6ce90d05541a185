package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A recording ended by --max-insns, --timeout or a signal replays to the
// instruction count where it was stopped, and stops there with the
// early-end message after "replay identical", whatever the trace holds:
// bare-metal programs without a single event included (the replay must
// know where to stop before any event tells it). Never a divergence, never
// a run on to the program's own end or for ever.

// checkEarlyEndReplay replays trace with a guard against a hang and checks
// it stops at the footer's count for reason.
func checkEarlyEndReplay(t *testing.T, prog, trace, reason string) {
	t.Helper()
	f := footerOf(t, trace)
	if f.Reason != reason {
		t.Fatalf("the recording ended by %q, want %q", f.Reason, reason)
	}
	rep := rvsimWithin(t, 60*time.Second, nil, "replay", programPath(prog), trace)
	if rep.status != exitSimError {
		t.Errorf("replay: status %d, want %d; stderr %q", rep.status, exitSimError, rep.stderr)
	}
	want := regexp.MustCompile(fmt.Sprintf(`^rvsim: replay identical: %d instructions, final state digest %s\nrvsim: the recorded run was stopped here \(%s\): .* at instruction %d, pc 0x[0-9a-f]+\n$`,
		f.Instret, f.Digest, reason, f.Instret))
	if !want.MatchString(rep.stderr) {
		t.Errorf("replay stderr %q does not match %q", rep.stderr, want)
	}
	t.Logf("%s: %d instructions, %d events", reason, f.Instret, sum(f.Events))
}

func TestReplayStopsAtRecordedEnd(t *testing.T) {
	cases := []struct {
		name, prog string
		flags      []string
		reason     string
	}{
		// bare_spin never ends: a replay that does not stop hangs.
		{"spin-max-insns", "bare_spin", []string{"--max-insns", "1000000"}, "limit"},
		{"spin-max-insns-1", "bare_spin", []string{"--max-insns", "1"}, "limit"},
		{"spin-timeout", "bare_spin", []string{"--timeout", "100ms"}, "timeout"},
		// bare_hello ends by itself: a replay that does not stop runs
		// to its end and diverges.
		{"hello-max-insns", "bare_hello", []string{"--max-insns", "1000"}, "limit"},
		// A Linux program stopped before its first system call: its
		// only event is the start-up input.
		{"linux-max-insns", "hello", []string{"--max-insns", "50"}, "limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			trace := filepath.Join(t.TempDir(), "t.zst")
			rec := rvsimWithin(t, 60*time.Second, nil, append(append([]string{"record", "-o", trace}, c.flags...), programPath(c.prog))...)
			if rec.status != exitSimError {
				t.Fatalf("record: status %d, want %d: %s", rec.status, exitSimError, rec.stderr)
			}
			if c.prog != "hello" && sum(footerOf(t, trace).Events) != 0 {
				t.Fatalf("the recording of %s holds events: the case is not the one without any", c.prog)
			}
			checkEarlyEndReplay(t, c.prog, trace, c.reason)
		})
	}
	t.Run("spin-sigint", func(t *testing.T) {
		trace := filepath.Join(t.TempDir(), "t.zst")
		r := startRecord(t, trace, nil, "bare_spin")
		r.waitSize(t, 1, 30*time.Second)
		time.Sleep(100 * time.Millisecond)
		if st := r.signal(t, syscall.SIGINT, 30*time.Second); st != exitSimError {
			t.Fatalf("record: status %d after SIGINT, want %d: %s", st, exitSimError, r.stderr.String())
		}
		if !strings.Contains(r.stderr.String(), "interrupted") {
			t.Fatalf("record stderr %q does not say it was interrupted", r.stderr.String())
		}
		checkEarlyEndReplay(t, "bare_spin", trace, "interrupted")
	})
	t.Run("spin-killed", func(t *testing.T) {
		// A recorder killed at once leaves a header and no event: the
		// replay stops before the first instruction it cannot confirm.
		trace := filepath.Join(t.TempDir(), "t.zst")
		r := startRecord(t, trace, nil, "bare_spin")
		r.waitSize(t, 1, 30*time.Second)
		time.Sleep(100 * time.Millisecond)
		if st := r.signal(t, syscall.SIGKILL, 30*time.Second); st != 128+int(syscall.SIGKILL) {
			t.Fatalf("record: status %d after SIGKILL: %s", st, r.stderr.String())
		}
		rep := rvsimWithin(t, 60*time.Second, nil, "replay", programPath("bare_spin"), trace)
		if rep.status != exitSimError {
			t.Errorf("replay: status %d, want %d; stderr %q", rep.status, exitSimError, rep.stderr)
		}
		oneLine(t, rep, `^rvsim: end of trace: replay stopped at instruction 1 \(pc 0x[0-9a-f]+\): the trace holds no event to replay: trace \S+: frame 1 \(segment 0\) at offset \d+: .*incomplete trace$`)
	})
}
