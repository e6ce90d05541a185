package timetravel

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rvsim/rvsim/gdbstub"
	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/vmm"
)

// recording is a shipped program recorded by vmm: the referee run.
type recording struct {
	name   string
	prog   *vmm.Program
	trace  []byte
	res    vmm.Result
	err    error // how the recording ended (nil for an exit)
	status int
}

// record records programs/bin/NAME.elf with args, an ND buffer of nd
// entries (0: the default) and a 1 MiB memory for Linux programs.
func record(t testing.TB, name string, args []string, nd uint64) *recording {
	t.Helper()
	p, err := vmm.LoadFile(filepath.Join("..", "programs", "bin", name+".elf"))
	if err != nil {
		t.Fatal(err)
	}
	var trace bytes.Buffer
	cfg := vmm.Config{Args: append([]string{p.Path}, args...), Stdin: strings.NewReader(""),
		Stdout: io.Discard, Stderr: io.Discard, Record: &trace, TraceName: "t.zst", NDBuffer: nd}
	if p.Kind == vmm.KindLinux {
		cfg.MemSize = 4 << 20
	}
	m, err := vmm.New(p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	res, err := m.Run()
	var fe *vmm.FaultError
	if err != nil && !errors.As(err, &fe) {
		t.Fatalf("record %s: %v", name, err)
	}
	return &recording{name: name, prog: p, trace: trace.Bytes(), res: res, err: err, status: res.Status}
}

// replay makes a replay machine of the recording, reading the trace from
// a seekable reader.
func (r *recording) replay(t testing.TB) *vmm.Machine {
	t.Helper()
	rd, err := logfmt.NewReader(bytes.NewReader(r.trace), "t.zst")
	if err != nil {
		t.Fatal(err)
	}
	h := rd.Header()
	m, err := vmm.New(r.prog, vmm.Config{MemSize: h.MemSize, Args: h.Args, Env: h.Env, Replay: rd, TraceName: "t.zst",
		Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// session makes a Session over a fresh replay with checkpoints every
// interval instructions.
func (r *recording) session(t testing.TB, interval uint64) (*Session, *vmm.Machine) {
	t.Helper()
	m := r.replay(t)
	s, err := New(m, Config{Interval: interval})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, m
}

// scan single-steps a straight replay to its end and calls visit before
// each instruction with the icount and the machine (the referee: no
// breakpoint, watchpoint or checkpoint involved).
func (r *recording) scan(t testing.TB, visit func(n uint64, m *vmm.Machine)) uint64 {
	t.Helper()
	m := r.replay(t)
	for {
		n := m.Icount()
		visit(n, m)
		s := m.Advance(n + 1)
		switch s.Kind {
		case vmm.StopLimit:
		case vmm.StopEnd:
			return m.Icount()
		default:
			t.Fatalf("referee scan at %d: stop %d %v", n, s.Kind, s.Err)
		}
	}
}

// resume runs an action and fails the test on an error stop.
func resume(t *testing.T, s *Session, a gdbstub.Action) gdbstub.Stop {
	t.Helper()
	st := s.Resume(a)
	if st.Reason == gdbstub.StopError {
		t.Fatalf("resume %d at icount %d: %v", a, s.Icount(), st.Err)
	}
	return st
}

// runToEnd continues (through any breakpoints and watchpoints still set)
// to the end and checks the recorded exit and final digest.
func runToEnd(t *testing.T, s *Session, r *recording) {
	t.Helper()
	for i := 0; ; i++ {
		st := resume(t, s, gdbstub.Continue)
		if st.Reason == gdbstub.StopExited || st.Reason == gdbstub.StopKilled || st.Reason == gdbstub.StopReplayEnd {
			break
		}
		if i > 100000 {
			t.Fatal("continue never reached the end")
		}
	}
	res, err, ended := s.End()
	if !ended {
		t.Fatal("the end was reported but End says otherwise")
	}
	if (err == nil) != (r.err == nil) || res.Status != r.status || res.Stats.Digest != r.res.Stats.Digest || res.Instret != r.res.Instret {
		t.Fatalf("end: status %d, %d instructions, digest %s, err %v; recorded status %d, %d instructions, digest %s, err %v",
			res.Status, res.Instret, res.Stats.Digest, err, r.status, r.res.Instret, r.res.Stats.Digest, r.err)
	}
}

// programs the real tests run on: Linux, bare metal, a recording with a
// buffer of 3 entries (many refills).
func testRecordings(t *testing.T) []*recording {
	return []*recording{
		record(t, "ndloop", []string{"3000"}, 3),
		record(t, "crc", nil, 0),
		record(t, "bare_hello", nil, 0),
	}
}

func TestStepThenReverseStep(t *testing.T) {
	for _, r := range testRecordings(t) {
		t.Run(r.name, func(t *testing.T) {
			s, m := r.session(t, 20000)
			for _, at := range []uint64{0, r.res.Instret / 3, r.res.Instret - 40} {
				if err := s.Seek(at); err != nil {
					t.Fatal(err)
				}
				var pcs []uint64
				var digests []string
				for i := 0; i < 10; i++ {
					pcs = append(pcs, m.Hart.PC)
					digests = append(digests, m.Digest())
					if st := resume(t, s, gdbstub.Step); st.Reason != gdbstub.StopSignal || st.Signal != 5 {
						t.Fatalf("step: %+v", st)
					}
				}
				for i := 9; i >= 0; i-- {
					if st := resume(t, s, gdbstub.ReverseStep); st.Reason != gdbstub.StopSignal {
						t.Fatalf("reverse step: %+v", st)
					}
					if m.Hart.PC != pcs[i] || m.Digest() != digests[i] {
						t.Fatalf("reverse step %d from %d: pc %#x, want %#x (digest equal %v)", i, at, m.Hart.PC, pcs[i], m.Digest() == digests[i])
					}
				}
				if s.Icount() == 0 {
					if st := resume(t, s, gdbstub.ReverseStep); st.Reason != gdbstub.StopReplayBegin || s.Icount() != 0 {
						t.Fatalf("reverse step at 0: %+v at %d", st, s.Icount())
					}
				}
			}
			runToEnd(t, s, r)
		})
	}
}

func TestReverseContinueBreakpoint(t *testing.T) {
	for _, r := range testRecordings(t) {
		t.Run(r.name, func(t *testing.T) {
			// A pc that runs several times: the one at a third of the run.
			var bp uint64
			third := r.res.Instret / 3
			var hits []uint64
			r.scan(t, func(n uint64, m *vmm.Machine) {
				if n == third {
					bp = m.Hart.PC
				}
			})
			r.scan(t, func(n uint64, m *vmm.Machine) {
				if m.Hart.PC == bp {
					hits = append(hits, n)
				}
			})
			if len(hits) < 2 {
				t.Fatalf("pc %#x runs %d times", bp, len(hits))
			}
			s, m := r.session(t, 5000)
			if err := s.InsertBreak(gdbstub.BreakSoftware, bp, 4); err != nil {
				t.Fatal(err)
			}
			// Forward: every hit in order.
			for k := 0; k < len(hits) && k < 50; k++ {
				st := resume(t, s, gdbstub.Continue)
				if st.Reason != gdbstub.StopBreakpoint || s.Icount() != hits[k] || m.Hart.PC != bp || st.Addr != bp {
					t.Fatalf("continue %d: %+v at icount %d pc %#x, want the breakpoint at %d", k, st, s.Icount(), m.Hart.PC, hits[k])
				}
			}
			// From the end, backward: the last hits, last first.
			if err := s.RemoveBreak(gdbstub.BreakSoftware, bp, 4); err != nil {
				t.Fatal(err)
			}
			runToEnd(t, s, r)
			if err := s.InsertBreak(gdbstub.BreakSoftware, bp, 4); err != nil {
				t.Fatal(err)
			}
			for k := len(hits) - 1; k >= 0 && k >= len(hits)-50; k-- {
				st := resume(t, s, gdbstub.ReverseContinue)
				if st.Reason != gdbstub.StopBreakpoint || s.Icount() != hits[k] || m.Hart.PC != bp {
					t.Fatalf("reverse-continue to hit %d: %+v at icount %d pc %#x, want icount %d", k, st, s.Icount(), m.Hart.PC, hits[k])
				}
			}
			// From a random place: the last hit before it.
			rng := rand.New(rand.NewSource(1))
			for i := 0; i < 5; i++ {
				at := uint64(rng.Int63n(int64(r.res.Instret)))
				if err := s.Seek(at); err != nil {
					t.Fatal(err)
				}
				want := -1
				for k, h := range hits {
					if h < at {
						want = k
					}
				}
				st := resume(t, s, gdbstub.ReverseContinue)
				switch {
				case want < 0 && (st.Reason != gdbstub.StopReplayBegin || s.Icount() != 0):
					t.Fatalf("reverse-continue from %d: %+v at %d, want the start", at, st, s.Icount())
				case want >= 0 && (st.Reason != gdbstub.StopBreakpoint || s.Icount() != hits[want]):
					t.Fatalf("reverse-continue from %d: %+v at %d, want %d", at, st, s.Icount(), hits[want])
				}
			}
			if err := s.RemoveBreak(gdbstub.BreakSoftware, bp, 4); err != nil {
				t.Fatal(err)
			}
			runToEnd(t, s, r)
		})
	}
}

// storeAddr finds the doubleword most stored to by the program (the
// referee's own count, through Access at each instruction).
func storeAddr(t *testing.T, r *recording, load bool) (uint64, []uint64) {
	counts := map[uint64]int{}
	r.scan(t, func(n uint64, m *vmm.Machine) {
		if a, _, l, st := m.Hart.Access(); st && !load || l && load {
			counts[a&^7]++
		}
	})
	var best uint64
	for a, c := range counts {
		if c > counts[best] && c < 5000 || best == 0 {
			best = a
		}
	}
	var hits []uint64
	r.scan(t, func(n uint64, m *vmm.Machine) {
		if a, sz, l, st := m.Hart.Access(); (st && !load || l && load) && overlaps(a, sz, best, 8) {
			hits = append(hits, n)
		}
	})
	return best, hits
}

func TestReverseContinueWatchpoint(t *testing.T) {
	for _, r := range testRecordings(t) {
		for _, kind := range []gdbstub.BreakType{gdbstub.WatchWrite, gdbstub.WatchRead} {
			t.Run(r.name, func(t *testing.T) {
				addr, hits := storeAddr(t, r, kind == gdbstub.WatchRead)
				if len(hits) < 2 {
					t.Fatalf("the most used doubleword %#x is accessed %d times", addr, len(hits))
				}
				s, _ := r.session(t, 5000)
				if err := s.InsertBreak(kind, addr, 8); err != nil {
					t.Fatal(err)
				}
				// Forward: each stop right after the access.
				for k := 0; k < len(hits) && k < 20; k++ {
					st := resume(t, s, gdbstub.Continue)
					if st.Reason != gdbstub.StopWatch || st.WatchKind != kind || st.Addr != addr || s.Icount() != hits[k]+1 || !st.SteppedOver {
						t.Fatalf("continue %d: %+v at icount %d, want the watchpoint after %d", k, st, s.Icount(), hits[k])
					}
				}
				if err := s.Seek(r.res.Instret); err != nil {
					t.Fatal(err)
				}
				// Backward from the end: before each access, last first.
				for k := len(hits) - 1; k >= 0 && k >= len(hits)-20; k-- {
					st := resume(t, s, gdbstub.ReverseContinue)
					if st.Reason != gdbstub.StopWatch || st.Addr != addr || s.Icount() != hits[k] || !st.SteppedOver {
						t.Fatalf("reverse-continue to access %d: %+v at icount %d, want %d", k, st, s.Icount(), hits[k])
					}
				}
				if err := s.RemoveBreak(kind, addr, 8); err != nil {
					t.Fatal(err)
				}
				runToEnd(t, s, r)
			})
		}
	}
}

// A seek to random counts in random order leaves the machine in the state
// of a straight replay stopped there (digest, pc, registers).
func TestRandomSeek(t *testing.T) {
	for _, r := range testRecordings(t) {
		t.Run(r.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(int64(len(r.name))))
			counts := []uint64{0, r.res.Instret}
			for i := 0; i < 25; i++ {
				counts = append(counts, uint64(rng.Int63n(int64(r.res.Instret))))
			}
			sorted := append([]uint64(nil), counts...)
			sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
			want := map[uint64]string{}
			ref := r.replay(t)
			for _, n := range sorted {
				if st := ref.Advance(n); ref.Icount() != n {
					t.Fatalf("straight replay to %d: stop %d at %d", n, st.Kind, ref.Icount())
				}
				want[n] = ref.Digest()
			}
			s, m := r.session(t, 7000)
			for _, n := range counts {
				if err := s.Seek(n); err != nil {
					t.Fatalf("seek %d: %v", n, err)
				}
				if got := m.Digest(); s.Icount() != n || got != want[n] {
					t.Fatalf("seek %d: at %d, digest %s, want %s", n, s.Icount(), got, want[n])
				}
			}
			runToEnd(t, s, r)
		})
	}
}

func TestRegistersAndMemory(t *testing.T) {
	r := record(t, "crc", nil, 0)
	s, m := r.session(t, 0)
	if err := s.Seek(r.res.Instret / 2); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 32; i++ {
		if v, ok := s.ReadRegister(i); !ok || v != m.Hart.X[i] {
			t.Fatalf("x%d: %#x %v, want %#x", i, v, ok, m.Hart.X[i])
		}
	}
	if v, ok := s.ReadRegister(0); !ok || v != 0 {
		t.Fatalf("x0: %#x %v", v, ok)
	}
	if v, ok := s.ReadRegister(32); !ok || v != m.Hart.PC {
		t.Fatalf("pc: %#x %v", v, ok)
	}
	if _, ok := s.ReadRegister(65 + 0xc01); ok {
		t.Fatal("time is readable: it would read the host clock")
	}
	if v, ok := s.ReadRegister(65 + 0x301); !ok || v == 0 {
		t.Fatalf("misa: %#x %v", v, ok)
	}
	if err := s.WriteRegister(5, 1); !errors.Is(err, ErrReplayWrite) {
		t.Fatalf("register write in a replay: %v", err)
	}
	if err := s.WriteMemory(m.Hart.Mem.Base, []byte{1}); !errors.Is(err, ErrReplayWrite) {
		t.Fatalf("memory write in a replay: %v", err)
	}
	mem := m.Hart.Mem
	b := make([]byte, 16)
	if n, err := s.ReadMemory(mem.Base, b); n != 16 || err != nil || !bytes.Equal(b, mem.Data[:16]) {
		t.Fatalf("read at the base: %d %v", n, err)
	}
	if n, err := s.ReadMemory(mem.End()-4, b); n != 4 || err != nil {
		t.Fatalf("read across the end: %d %v, want the 4 bytes inside", n, err)
	}
	for _, a := range []uint64{mem.End(), mem.End() + 4096, mem.Base - 1, 0, ^uint64(0)} {
		if n, err := s.ReadMemory(a, b); n != 0 || !errors.Is(err, ErrNotGuestMemory) {
			t.Fatalf("read at %#x: %d %v", a, n, err)
		}
	}
}

func TestMonitor(t *testing.T) {
	r := record(t, "ndloop", []string{"500"}, 4)
	s, m := r.session(t, 10000)
	out, err := s.Monitor("seek 12345")
	if err != nil || s.Icount() != 12345 || !strings.Contains(out, "12345") || !strings.Contains(out, "flush register-cache") {
		t.Fatalf("seek: %q %v at %d", out, err, s.Icount())
	}
	if out, err := s.Monitor("icount"); err != nil || !strings.HasPrefix(out, "icount 12345, instret ") {
		t.Fatalf("icount: %q %v", out, err)
	}
	if out, err := s.Monitor("checkpoints"); err != nil || !strings.Contains(out, "icount 0 ") || !strings.Contains(out, "icount 10000 ") || !strings.Contains(out, "cap 268435456 bytes") {
		t.Fatalf("checkpoints: %q %v", out, err)
	}
	// The next events are the referee's: the trace read by a Reader.
	rd, err := logfmt.NewReader(bytes.NewReader(r.trace), "t.zst")
	if err != nil {
		t.Fatal(err)
	}
	var next []logfmt.Event
	for len(next) < 3 {
		seg, err := rd.Next()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range seg {
			if e.Instret >= m.Hart.Instret() && e.Kind != logfmt.KindInput && len(next) < 3 {
				next = append(next, e)
			}
		}
	}
	out, err = s.Monitor("events 3")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("events 3: %q", out)
	}
	for i, e := range next {
		if !strings.Contains(lines[i], e.Kind.String()) || !strings.Contains(lines[i], " instret "+itoa(e.Instret)+" ") {
			t.Fatalf("event %d: %q, want kind %s instret %d", i, lines[i], e.Kind, e.Instret)
		}
	}
	if s.Icount() != 12345 {
		t.Fatalf("events moved the replay to %d", s.Icount())
	}
	for _, bad := range []string{"seek", "seek x", "seek -1", "seek 1 2", "events 0", "events x", "icount 3", "frobnicate"} {
		if _, err := s.Monitor(bad); !errors.Is(err, ErrMonitor) {
			t.Errorf("monitor %q: %v, want ErrMonitor", bad, err)
		}
	}
	// A seek past the end leaves the replay where it was, the first
	// time (when it runs to the end to find it) and the next.
	for range 2 {
		if _, err := s.Monitor("seek 99999999999"); !errors.Is(err, ErrPastEnd) || !strings.Contains(err.Error(), "still at icount 12345") {
			t.Errorf("seek past the end: %v", err)
		}
		if s.Icount() != 12345 {
			t.Fatalf("a seek past the end moved the replay to %d", s.Icount())
		}
	}
	if out, err := s.Monitor("help"); err != nil || !strings.Contains(out, "events [N]") {
		t.Fatalf("help: %q %v", out, err)
	}
}

func itoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// A small cap thins the checkpoints (never the first) and keeps the memory
// within it, and seeks still land in the straight replay's state.
func TestCheckpointCapReal(t *testing.T) {
	r := record(t, "ndloop", []string{"6000"}, 0)
	m := r.replay(t)
	s, err := New(m, Config{Interval: 20000, CheckpointMem: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	first := m.CheckpointBytes()
	if st := s.Resume(gdbstub.Continue); st.Reason != gdbstub.StopExited {
		t.Fatalf("continue: %+v", st)
	}
	cps := s.Checkpoints()
	if got := m.CheckpointBytes(); got > 1<<20 {
		t.Fatalf("checkpoint memory %d above the cap of 1 MiB (the first holds %d)", got, first)
	}
	if len(cps) < 3 || cps[0].Icount != 0 {
		t.Fatalf("checkpoints after thinning: %+v", cps)
	}
	// Thinned: fewer than one per interval over the run.
	if uint64(len(cps)) >= s.Icount()/20000 {
		t.Fatalf("%d checkpoints for %d instructions: none thinned", len(cps), s.Icount())
	}
	ref := r.replay(t)
	for _, n := range []uint64{s.Icount() / 3, s.Icount() / 2} {
		ref.Advance(n)
		if err := s.Seek(n); err != nil {
			t.Fatal(err)
		}
		if m.Digest() != ref.Digest() {
			t.Fatalf("seek %d after thinning: digest differs from the straight replay", n)
		}
	}
}

// Interrupt from another goroutine stops a running continue (SIGINT), and
// the session goes on from there.
func TestInterrupt(t *testing.T) {
	r := record(t, "ndloop", []string{"200000"}, 0)
	s, _ := r.session(t, 0)
	done := make(chan gdbstub.Stop)
	go func() { done <- s.Resume(gdbstub.Continue) }()
	time.Sleep(20 * time.Millisecond)
	s.Interrupt()
	st := <-done
	if st.Reason != gdbstub.StopSignal || st.Signal != 2 {
		t.Fatalf("interrupted continue: %+v", st)
	}
	at := s.Icount()
	if at == 0 || at >= r.res.Instret {
		t.Fatalf("interrupted at %d of %d", at, r.res.Instret)
	}
	// A reverse-continue with nothing to find, interrupted, ends where it
	// started.
	go func() { done <- s.Resume(gdbstub.ReverseContinue) }()
	time.Sleep(5 * time.Millisecond)
	s.Interrupt()
	st = <-done
	if st.Reason == gdbstub.StopSignal && s.Icount() != at || st.Reason == gdbstub.StopReplayBegin && s.Icount() != 0 {
		t.Fatalf("interrupted reverse-continue: %+v at %d, started at %d", st, s.Icount(), at)
	}
	runToEnd(t, s, r)
}

// A plain run goes forward only, and may be changed.
func TestPlainRun(t *testing.T) {
	p, err := vmm.LoadFile(filepath.Join("..", "programs", "bin", "exitcode.elf"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := vmm.New(p, vmm.Config{MemSize: 1 << 20, Args: []string{p.Path, "42"}, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s, err := New(m, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if s.CanReverse() || len(s.Checkpoints()) != 0 {
		t.Fatal("a plain run offers reverse execution")
	}
	for i := 0; i < 5; i++ {
		if st := resume(t, s, gdbstub.Step); st.Reason != gdbstub.StopSignal {
			t.Fatalf("step: %+v", st)
		}
	}
	if s.Icount() != 5 {
		t.Fatalf("5 steps: icount %d", s.Icount())
	}
	if st := s.Resume(gdbstub.ReverseStep); st.Reason != gdbstub.StopError || !errors.Is(st.Err, ErrForwardOnly) {
		t.Fatalf("reverse step of a plain run: %+v", st)
	}
	if err := s.WriteRegister(10, 77); err != nil || m.Hart.X[10] != 77 {
		t.Fatalf("register write: %v", err)
	}
	orig := append([]byte(nil), m.Hart.Mem.Data[:2]...)
	if err := s.WriteMemory(m.Hart.Mem.Base, []byte{1, 2}); err != nil || m.Hart.Mem.Data[1] != 2 {
		t.Fatalf("memory write: %v", err)
	}
	if err := s.WriteMemory(m.Hart.Mem.End()-1, []byte{1, 2}); !errors.Is(err, ErrNotGuestMemory) {
		t.Fatalf("memory write across the end: %v", err)
	}
	if err := s.WriteMemory(m.Hart.Mem.Base, orig); err != nil {
		t.Fatal(err)
	}
	if st := resume(t, s, gdbstub.Continue); st.Reason != gdbstub.StopExited || st.Status != 42 {
		t.Fatalf("continue: %+v, want exit 42", st)
	}
	if _, err := s.Monitor("seek 1"); !errors.Is(err, ErrForwardOnly) {
		t.Fatalf("seek back in a plain run: %v", err)
	}
}

// The end of a recording: X with the signal for a fault, replaylog:end for
// a recording stopped early (from where reverse execution goes on).
func TestEnds(t *testing.T) {
	r := record(t, "load_null", nil, 0)
	s, _ := r.session(t, 0)
	if st := resume(t, s, gdbstub.Continue); st.Reason != gdbstub.StopKilled || st.Signal != 11 {
		t.Fatalf("continue to a fault: %+v, want X 11", st)
	}
	if _, err, ended := s.End(); !ended || err == nil {
		t.Fatalf("End after a fault: %v %v", err, ended)
	}

	p, err := vmm.LoadFile(filepath.Join("..", "programs", "bin", "ndloop.elf"))
	if err != nil {
		t.Fatal(err)
	}
	var trace bytes.Buffer
	m, err := vmm.New(p, vmm.Config{MemSize: 4 << 20, Args: []string{p.Path, "100000"}, MaxInsns: 300000, Stdin: strings.NewReader(""),
		Stdout: io.Discard, Stderr: io.Discard, Record: &trace})
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Run()
	m.Close()
	if !errors.Is(err, vmm.ErrInsnLimit) {
		t.Fatalf("record with a limit: %v", err)
	}
	r = &recording{name: "ndloop-limit", prog: p, trace: trace.Bytes(), res: res, err: err}
	s, m = r.session(t, 50000)
	if st := resume(t, s, gdbstub.Continue); st.Reason != gdbstub.StopReplayEnd || m.Hart.Instret() != 300000 {
		t.Fatalf("continue to the recorded limit: %+v at instret %d", st, m.Hart.Instret())
	}
	end := s.Icount()
	if st := resume(t, s, gdbstub.ReverseStep); st.Reason != gdbstub.StopSignal || s.Icount() != end-1 {
		t.Fatalf("reverse step from the end: %+v at %d of %d", st, s.Icount(), end)
	}
	if st := resume(t, s, gdbstub.Continue); st.Reason != gdbstub.StopReplayEnd || s.Icount() != end {
		t.Fatalf("continue to the end again: %+v at %d", st, s.Icount())
	}
	if got, _, _ := s.End(); got.Stats.Digest != res.Stats.Digest {
		t.Fatalf("digest at the end %s, recorded %s", got.Stats.Digest, res.Stats.Digest)
	}
}

// A random mix of forward and reverse commands, with a breakpoint and a
// write watchpoint set: every stop is in the state a straight replay has
// at that count, and continuing to the end gives the recorded exit and
// digest.
func TestRandomCommands(t *testing.T) {
	for _, r := range []*recording{record(t, "ndloop", []string{"2000"}, 3), record(t, "bare_hello", nil, 0)} {
		t.Run(r.name, func(t *testing.T) {
			var bp uint64
			r.scan(t, func(n uint64, m *vmm.Machine) {
				if n == r.res.Instret/2 {
					bp = m.Hart.PC
				}
			})
			addr, _ := storeAddr(t, r, false)
			s, m := r.session(t, 3000)
			if err := s.InsertBreak(gdbstub.BreakHardware, bp, 4); err != nil {
				t.Fatal(err)
			}
			if err := s.InsertBreak(gdbstub.WatchWrite, addr, 8); err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewSource(42))
			got := map[uint64]string{}
			actions := []gdbstub.Action{gdbstub.Step, gdbstub.Continue, gdbstub.ReverseStep, gdbstub.ReverseContinue}
			for i := 0; i < 300; i++ {
				a := actions[rng.Intn(len(actions))]
				if rng.Intn(10) == 0 {
					if err := s.Seek(uint64(rng.Int63n(int64(r.res.Instret)))); err != nil {
						t.Fatal(err)
					}
				} else {
					st := resume(t, s, a)
					if st.Reason == gdbstub.StopExited || st.Reason == gdbstub.StopKilled {
						// Back into the run: the end is where gdb would
						// have stopped.
						if err := s.Seek(r.res.Instret / 3); err != nil {
							t.Fatal(err)
						}
					}
				}
				got[s.Icount()] = m.Digest()
			}
			counts := make([]uint64, 0, len(got))
			for n := range got {
				counts = append(counts, n)
			}
			if len(counts) < 30 {
				t.Fatalf("300 commands stopped at only %d places", len(counts))
			}
			sort.Slice(counts, func(i, j int) bool { return counts[i] < counts[j] })
			ref := r.replay(t)
			for _, n := range counts {
				ref.Advance(n)
				if ref.Icount() != n || ref.Digest() != got[n] {
					t.Fatalf("the state at icount %d differs from the straight replay's", n)
				}
			}
			if err := s.RemoveBreak(gdbstub.BreakHardware, bp, 4); err != nil {
				t.Fatal(err)
			}
			if err := s.RemoveBreak(gdbstub.WatchWrite, addr, 8); err != nil {
				t.Fatal(err)
			}
			runToEnd(t, s, r)
		})
	}
}
