package vmm

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/logfmt"
)

// recordSyscalls records programs/bin/cat.elf reading input and returns
// the trace.
func recordSyscalls(t *testing.T, input string) (*Program, []byte) {
	t.Helper()
	p, err := LoadFile("../programs/bin/cat.elf")
	if err != nil {
		t.Fatal(err)
	}
	var trace bytes.Buffer
	m, err := New(p, Config{Record: &trace, Stdin: strings.NewReader(input), Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Run(); err != nil {
		t.Fatal(err)
	}
	return p, trace.Bytes()
}

// rewriteTrace decodes trace and writes it again with edit applied to
// every event.
func rewriteTrace(t *testing.T, trace []byte, edit func(*logfmt.Event)) []byte {
	t.Helper()
	r, err := logfmt.NewReader(bytes.NewReader(trace), "in.zst")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w, err := logfmt.NewWriter(&out, r.Header())
	if err != nil {
		t.Fatal(err)
	}
	for {
		evs, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := range evs {
			edit(&evs[i])
		}
		if err := w.WriteSegment(evs); err != nil {
			t.Fatal(err)
		}
	}
	f, _ := r.Footer()
	if err := w.Close(f); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestSyscallRegsRecorded: every system call event of a recording carries
// the hash of the registers at its ecall, and the trace replays identical.
func TestSyscallRegsRecorded(t *testing.T) {
	p, trace := recordSyscalls(t, "one\ntwo\n")
	r, err := logfmt.NewReader(bytes.NewReader(trace), "t.zst")
	if err != nil {
		t.Fatal(err)
	}
	if !r.HasRegs() {
		t.Fatalf("a new trace (version %d) does not carry register hashes", r.Version())
	}
	n := 0
	for {
		evs, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Kind == logfmt.KindSyscall {
				n++
				if e.Regs == 0 {
					t.Errorf("system call %d at instruction %d has no register hash", e.Nr, e.Instret)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("cat recorded no system call event")
	}
	if _, err := replayWithin(t, p, trace, 30e9); err != nil {
		t.Fatalf("replay: %v", err)
	}
}

// TestSyscallRegsDiverge: a replay whose registers at a system call differ
// from the recorded ones stops there, at that instruction, with a
// divergence that says so, even though the call's number, instruction
// count and pc match (here the recorded hash of one call is changed).
func TestSyscallRegsDiverge(t *testing.T) {
	p, trace := recordSyscalls(t, "one\ntwo\n")
	var at uint64
	seen := 0
	bad := rewriteTrace(t, trace, func(e *logfmt.Event) {
		if e.Kind != logfmt.KindSyscall {
			return
		}
		if seen++; seen == 2 {
			e.Regs ^= 1
			at = e.Instret
		}
	})
	if at == 0 {
		t.Fatal("the recording has fewer than two system call events")
	}
	res, err := replayWithin(t, p, bad, 30e9)
	switch {
	case !errors.Is(err, ErrDivergence):
		t.Fatalf("replay of a trace with a changed register hash: %v, want a divergence", err)
	case !strings.Contains(err.Error(), "registers differ"):
		t.Fatalf("the divergence %q does not say that the registers differ", err)
	case res.Instret != at:
		t.Fatalf("the replay stopped at instruction %d, the changed call is at %d", res.Instret, at)
	}
}
