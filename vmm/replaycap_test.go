package vmm

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rvsim/rvsim/logfmt"
)

// record records prog (bare-metal: no input) up to maxInsns and returns
// the trace.
func record(t *testing.T, path string, maxInsns uint64) (*Program, []byte) {
	t.Helper()
	p, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var trace bytes.Buffer
	m, err := New(p, Config{MaxInsns: maxInsns, Record: &trace, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Run(); !errors.Is(err, ErrInsnLimit) {
		t.Fatalf("record: %v, want the instruction limit", err)
	}
	return p, trace.Bytes()
}

// replayWithin replays trace, failing the test if it runs longer than
// limit (it is then stopped).
func replayWithin(t *testing.T, p *Program, trace []byte, limit time.Duration) (Result, error) {
	t.Helper()
	r, err := logfmt.NewReader(bytes.NewReader(trace), "t.zst")
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header()
	m, err := New(p, Config{MemSize: h.MemSize, Args: h.Args, Env: h.Env, Replay: r, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	var fired atomic.Bool
	timer := time.AfterFunc(limit, func() { fired.Store(true); m.Stop() })
	defer timer.Stop()
	res, err := m.Run()
	if fired.Load() {
		t.Fatalf("the replay was still running after %v, at instruction %d", limit, res.Instret)
	}
	return res, err
}

// A bare-metal recording without events, stopped by the instruction
// limit, replays to that limit: the footer is read before the first
// instruction.
func TestReplayWithoutEventsStops(t *testing.T) {
	for _, c := range []struct {
		name string
		n    uint64
	}{{"bare_spin", 1_000_000}, {"bare_spin", 1}, {"bare_hello", 1000}} {
		p, trace := record(t, filepath.Join("..", "programs", "bin", c.name+".elf"), c.n)
		res, err := replayWithin(t, p, trace, 30*time.Second)
		if !errors.Is(err, ErrInsnLimit) || res.Instret != c.n {
			t.Errorf("%s, %d instructions: replay stopped at %d with %v; want the recorded limit", c.name, c.n, res.Instret, err)
		}
	}
}

// A trace whose next event the guest never makes (here a cycle read
// written into the recording of bare_spin, which reads no CSR) stops the
// replay just past that event's instruction, with a divergence, before
// the footer has been read: it does not spin on.
func TestReplayStopsPastAMissedEvent(t *testing.T) {
	p, trace := record(t, filepath.Join("..", "programs", "bin", "bare_spin.elf"), 100_000_000)
	r, err := logfmt.NewReader(bytes.NewReader(trace), "t.zst")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("the recording holds events (%v): not the case under test", err)
	}
	f, _ := r.Footer()
	var forged bytes.Buffer
	w, err := logfmt.NewWriter(&forged, r.Header())
	if err != nil {
		t.Fatal(err)
	}
	const at = 1000
	if err := w.WriteSegment([]logfmt.Event{{Kind: logfmt.KindCycle, Instret: at, PC: p.Entry + 4, Value: 42}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(f); err != nil {
		t.Fatal(err)
	}
	res, err := replayWithin(t, p, forged.Bytes(), 30*time.Second)
	if !errors.Is(err, ErrDivergence) || !strings.Contains(err.Error(), "run past the trace's next event, a cycle event at instruction 1000") {
		t.Fatalf("replay stopped at %d with %v; want a divergence past instruction %d", res.Instret, err, at)
	}
	if res.Instret != at+2 {
		t.Errorf("replay stopped at instruction %d, want %d", res.Instret, at+2)
	}
}
