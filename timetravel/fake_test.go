package timetravel

import (
	"errors"
	"math/rand"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/vmm"
)

// fakeMachine is a deterministic program of T instructions for the engine:
// instruction t is at pcs[t] and may load or store access[t]. Breakpoints
// and write watchpoints behave as the hart's: a breakpoint stops before the
// instruction (unless skipped once), a write watchpoint after the store.
type fakeMachine struct {
	T      uint64
	pcs    []uint64
	access []fakeAccess
	bps    map[uint64]bool
	watch  []watch // write watches set in the "hart"

	t        uint64
	skip     bool
	ended    bool
	stopFlag bool
	executed uint64 // instructions run, over all Advance calls
	kept     map[*fakeCkpt]bool
	ckBytes  uint64 // bytes per checkpoint
}

type fakeAccess struct {
	addr, n     uint64
	load, store bool
}

type fakeCkpt struct{ t uint64 }

func (c *fakeCkpt) Icount() uint64 { return c.t }

// newFake makes a program of T instructions: pcs from a small loop-ish
// space, a store to one of 16 words every few instructions and a load as
// often.
func newFake(seed int64, T uint64) *fakeMachine {
	r := rand.New(rand.NewSource(seed))
	f := &fakeMachine{T: T, bps: map[uint64]bool{}, kept: map[*fakeCkpt]bool{}, ckBytes: 1000}
	f.pcs = make([]uint64, T+1)
	f.access = make([]fakeAccess, T+1)
	for t := range f.pcs {
		f.pcs[t] = 0x1000 + 4*uint64(r.Intn(64))
		switch r.Intn(6) {
		case 0:
			f.access[t] = fakeAccess{addr: 0x8000 + 8*uint64(r.Intn(16)), n: 8, store: true}
		case 1:
			f.access[t] = fakeAccess{addr: 0x8000 + 4*uint64(r.Intn(32)), n: 4, load: true}
		}
	}
	return f
}

func (f *fakeMachine) Icount() uint64 { return f.t }
func (f *fakeMachine) PC() uint64     { return f.pcs[f.t] }
func (f *fakeMachine) Stop()          { f.stopFlag = true }
func (f *fakeMachine) SkipBreakpointOnce() {
	f.skip = true
}
func (f *fakeMachine) Access() (uint64, uint64, bool, bool) {
	a := f.access[f.t]
	return a.addr, a.n, a.load, a.store
}

func (f *fakeMachine) Advance(limit uint64) mstop {
	if f.ended {
		return mstop{kind: stopEnd, result: vmm.Result{Status: 3, Instret: f.T}}
	}
	skip := f.skip
	f.skip = false
	for {
		if f.stopFlag {
			f.stopFlag = false
			return mstop{kind: stopInterrupted}
		}
		if f.t >= limit {
			return mstop{kind: stopLimit, pc: f.PC()}
		}
		if f.t == f.T {
			f.ended = true
			return mstop{kind: stopEnd, result: vmm.Result{Status: 3, Instret: f.T}}
		}
		if f.bps[f.PC()] && !skip {
			return mstop{kind: stopBreak, pc: f.PC()}
		}
		skip = false
		a := f.access[f.t]
		f.t++
		f.executed++
		if a.store {
			for _, w := range f.watch {
				if overlaps(a.addr, a.n, w.addr, w.n) {
					return mstop{kind: stopWatch, pc: f.PC(), addr: a.addr, size: a.n}
				}
			}
		}
	}
}

func (f *fakeMachine) Checkpoint() (ckpt, error) {
	c := &fakeCkpt{t: f.t}
	f.kept[c] = true
	return c, nil
}

func (f *fakeMachine) Restore(c ckpt) error {
	k := c.(*fakeCkpt)
	if !f.kept[k] {
		panic("restore of a released checkpoint")
	}
	f.t, f.ended, f.skip = k.t, false, false
	return nil
}

func (f *fakeMachine) Release(c ckpt) {
	k := c.(*fakeCkpt)
	if !f.kept[k] {
		panic("double release")
	}
	delete(f.kept, k)
}

func (f *fakeMachine) CheckpointBytes() uint64 { return uint64(len(f.kept)) * f.ckBytes }

// newFakeEngine makes an engine over f with a small interval and
// distances, as a long run would have them relative to its length.
func newFakeEngine(t *testing.T, f *fakeMachine, interval uint64) *engine {
	t.Helper()
	e, err := newEngine(f, true, interval, 1<<40, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.cps.near, e.cps.user = 8, 100
	return e
}

// addWatch sets a watchpoint in the engine and, for a write one, the fake hart.
func addWatch(e *engine, f *fakeMachine, w watch) {
	e.watches = append(e.watches, w)
	if w.kind == watchWrite {
		f.watch = append(f.watch, w)
	}
}

func TestFakeStepReverseStep(t *testing.T) {
	f := newFake(1, 3000)
	e := newFakeEngine(t, f, 256)
	if err := e.seek(1234); err != nil {
		t.Fatal(err)
	}
	var fwd []uint64
	for i := 0; i < 10; i++ {
		fwd = append(fwd, f.PC())
		if r := e.step(); r.kind != resDone {
			t.Fatalf("step %d: %+v", i, r)
		}
	}
	if f.Icount() != 1244 {
		t.Fatalf("icount %d after 10 steps from 1234", f.Icount())
	}
	for i := 9; i >= 0; i-- {
		before := f.executed
		if r := e.reverseStep(); r.kind != resDone {
			t.Fatalf("reverse step: %+v", r)
		}
		if f.PC() != fwd[i] || f.Icount() != 1234+uint64(i) {
			t.Fatalf("reverse step to %d: pc %#x icount %d, want %#x", 1234+i, f.PC(), f.Icount(), fwd[i])
		}
		if i < 9 && f.executed-before > 2*e.cps.near {
			t.Errorf("reverse step to %d ran %d instructions: the checkpoint dropped near the target was not used", 1234+i, f.executed-before)
		}
	}
	if err := e.seek(0); err != nil {
		t.Fatal(err)
	}
	if r := e.reverseStep(); r.kind != resBegin || f.Icount() != 0 {
		t.Fatalf("reverse step at 0: %+v at %d", r, f.Icount())
	}
}

// refereeHits lists, by brute force over the program, the positions where
// a reverse stop would be: instructions at a breakpoint pc, stores (or
// loads) overlapping the watches.
func refereeHits(f *fakeMachine, bps map[uint64]bool, ws []watch) []uint64 {
	var out []uint64
	for t := uint64(0); t < f.T; t++ {
		a := f.access[t]
		hit := bps[f.pcs[t]]
		for _, w := range ws {
			switch w.kind {
			case watchWrite:
				hit = hit || a.store && overlaps(a.addr, a.n, w.addr, w.n)
			case watchRead:
				hit = hit || a.load && overlaps(a.addr, a.n, w.addr, w.n)
			case watchAccess:
				hit = hit || (a.load || a.store) && overlaps(a.addr, a.n, w.addr, w.n)
			}
		}
		if hit {
			out = append(out, t)
		}
	}
	return out
}

func TestFakeReverseContinue(t *testing.T) {
	cases := []struct {
		name string
		bps  []uint64
		ws   []watch
	}{
		{"break", []uint64{0x1000 + 4*7, 0x1000 + 4*50}, nil},
		{"rare break", []uint64{0x1000 + 4*7}, nil},
		{"write watch", nil, []watch{{watchWrite, 0x8010, 8}}},
		{"write watch partial", nil, []watch{{watchWrite, 0x8014, 2}}},
		{"read watch", nil, []watch{{watchRead, 0x8008, 4}}},
		{"access watch", nil, []watch{{watchAccess, 0x8020, 8}}},
		{"all", []uint64{0x1000 + 4*33}, []watch{{watchWrite, 0x8030, 8}, {watchRead, 0x8000, 4}}},
	}
	for seed, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(int64(seed+10), 4000)
			// Rare breakpoint: keep only a few hits.
			if c.name == "rare break" {
				for i := range f.pcs {
					if f.pcs[i] == 0x1000+4*7 && i%50 != 0 {
						f.pcs[i] = 0x1004
					}
				}
			}
			e := newFakeEngine(t, f, 300)
			bps := map[uint64]bool{}
			for _, b := range c.bps {
				bps[b] = true
				f.bps[b] = true
			}
			for _, w := range c.ws {
				addWatch(e, f, w)
			}
			want := refereeHits(f, bps, c.ws)
			if len(want) < 3 {
				t.Fatalf("the program has %d hits: a poor test", len(want))
			}
			// Forward: continue visits every hit in order. A write
			// watch stops after the store, the others before the
			// instruction.
			// A position that is both a breakpoint and a watched
			// access stops twice going forward (before and after the
			// instruction) and once going back.
			var got []uint64
			for len(got) <= len(want) {
				r := e.cont()
				if r.kind == resEnd {
					break
				}
				if r.kind != resBreak && r.kind != resWatch {
					t.Fatalf("continue: %+v at %d", r, f.Icount())
				}
				at := f.Icount()
				if r.kind == resWatch {
					at-- // a watchpoint stops after the instruction
					found := false
					for _, w := range c.ws {
						found = found || w.addr == r.addr && w.kind == r.wkind
					}
					if !found {
						t.Fatalf("continue: watch address %#x kind %d is not a watchpoint", r.addr, r.wkind)
					}
				}
				if len(got) == 0 || got[len(got)-1] != at {
					got = append(got, at)
				}
			}
			// Going forward, a breakpoint right after a watched access
			// (where that watchpoint stopped, after the instruction) is
			// stepped over when continuing, as gdb itself does when it
			// resumes at a breakpoint's address.
			wantFwd := forwardStops(f, bps, c.ws)
			if !equalU64(got, wantFwd) {
				t.Fatalf("continue stopped at %v, want %v", got, wantFwd)
			}
			if r := e.cont(); r.kind != resEnd || r.end.result.Status != 3 {
				t.Fatalf("continue past the last hit: %+v", r)
			}
			// Backward from the end: every hit, last first, then the start.
			for k := len(want) - 1; k >= 0; k-- {
				r := e.reverseCont()
				if r.kind != resBreak && r.kind != resWatch {
					t.Fatalf("reverse-continue to hit %d (%d): %+v at %d", k, want[k], r, f.Icount())
				}
				if f.Icount() != want[k] {
					t.Fatalf("reverse-continue: at %d, want the hit at %d", f.Icount(), want[k])
				}
			}
			if r := e.reverseCont(); r.kind != resBegin || f.Icount() != 0 {
				t.Fatalf("reverse-continue before the first hit: %+v at %d", r, f.Icount())
			}
		})
	}
}

func TestFakeReverseContinueFromMiddle(t *testing.T) {
	f := newFake(7, 5000)
	e := newFakeEngine(t, f, 200)
	bp := uint64(0x1000 + 4*21)
	f.bps[bp] = true
	want := refereeHits(f, map[uint64]bool{bp: true}, nil)
	r := rand.New(rand.NewSource(3))
	for i := 0; i < 40; i++ {
		now := uint64(r.Intn(int(f.T)))
		if err := e.seek(now); err != nil {
			t.Fatal(err)
		}
		var last uint64
		found := false
		for _, h := range want {
			if h < now {
				last, found = h, true
			}
		}
		res := e.reverseCont()
		switch {
		case !found && (res.kind != resBegin || f.Icount() != 0):
			t.Fatalf("from %d: %+v at %d, want the start", now, res, f.Icount())
		case found && (res.kind != resBreak || f.Icount() != last):
			t.Fatalf("from %d: %+v at %d, want the breakpoint at %d", now, res, f.Icount(), last)
		}
	}
}

func TestFakeSeekRandom(t *testing.T) {
	f := newFake(5, 20000)
	e := newFakeEngine(t, f, 512)
	r := rand.New(rand.NewSource(9))
	for i := 0; i < 200; i++ {
		n := uint64(r.Intn(int(f.T) + 1))
		before := f.executed
		if err := e.seek(n); err != nil {
			t.Fatalf("seek %d: %v", n, err)
		}
		if f.Icount() != n {
			t.Fatalf("seek %d: at %d", n, f.Icount())
		}
		// From the nearest checkpoint: at most the gap to the next one.
		// Checkpoints exist every interval only where a run has been,
		// so bound by what a seek from the first one costs at most.
		if ran := f.executed - before; ran > n+1 {
			t.Fatalf("seek %d ran %d instructions", n, ran)
		}
	}
	if err := e.seek(f.T + 1); err == nil {
		// The end is not known until the run got there; once it is, a
		// seek past it is refused.
		if err := e.seek(f.T + 1); err == nil {
			t.Fatalf("seek past the end: no error")
		}
	}
	// Every checkpoint interval is at most the interval wherever a run
	// passed (the whole program, by now).
	for i := 1; i < len(e.cps.list); i++ {
		if gap := e.cps.list[i].at - e.cps.list[i-1].at; gap > e.cps.interval {
			t.Fatalf("checkpoints at %d and %d: gap %d > interval %d", e.cps.list[i-1].at, e.cps.list[i].at, gap, e.cps.interval)
		}
	}
}

func TestFakeCheckpointCap(t *testing.T) {
	f := newFake(2, 50000)
	e, err := newEngine(f, true, 100, 20*1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.cps.near, e.cps.user = 8, 100
	if r := e.cont(); r.kind != resEnd {
		t.Fatalf("continue: %+v", r)
	}
	if b := f.CheckpointBytes(); b > 20*1000 {
		t.Fatalf("checkpoint bytes %d above the cap", b)
	}
	if len(e.cps.list) < 10 || e.cps.list[0].at != 0 {
		t.Fatalf("kept %d checkpoints, first at %d", len(e.cps.list), e.cps.list[0].at)
	}
	// A spread: the kept ones reach from the start to near the end.
	if last := e.cps.list[len(e.cps.list)-1].at; last < f.T-100 {
		t.Fatalf("last checkpoint at %d of %d", last, f.T)
	}
	// Reverse still works after thinning.
	bp := f.pcs[30000]
	f.bps[bp] = true
	want := refereeHits(f, map[uint64]bool{bp: true}, nil)
	r := e.reverseCont()
	if r.kind != resBreak || f.Icount() != want[len(want)-1] {
		t.Fatalf("reverse-continue after thinning: %+v at %d, want %d", r, f.Icount(), want[len(want)-1])
	}
}

// TestFakeCheckpointCapBelowOne: a cap below what one checkpoint holds
// keeps only the first (the start), which it reports; reverse execution
// still works, from the start.
func TestFakeCheckpointCapBelowOne(t *testing.T) {
	f := newFake(2, 50000)
	var logged []string
	e, err := newEngine(f, true, 100, 1, func(m string) { logged = append(logged, m) })
	if err != nil {
		t.Fatal(err)
	}
	e.cps.near, e.cps.user = 8, 100
	if r := e.cont(); r.kind != resEnd {
		t.Fatalf("continue: %+v", r)
	}
	if len(e.cps.list) != 1 || e.cps.list[0].at != 0 || f.CheckpointBytes() != f.ckBytes {
		t.Fatalf("kept %d checkpoints (%d bytes), want the first alone (%d bytes)", len(e.cps.list), f.CheckpointBytes(), f.ckBytes)
	}
	if len(logged) != 1 || !strings.Contains(logged[0], "the checkpoint at the start holds") {
		t.Fatalf("logged %q, want one line about the first checkpoint", logged)
	}
	bp := f.pcs[30000]
	f.bps[bp] = true
	want := refereeHits(f, map[uint64]bool{bp: true}, nil)
	if r := e.reverseCont(); r.kind != resBreak || f.Icount() != want[len(want)-1] {
		t.Fatalf("reverse-continue: %+v at %d, want %d", r, f.Icount(), want[len(want)-1])
	}
	if len(e.cps.list) != 1 {
		t.Fatalf("kept %d checkpoints after reverse-continue, want 1", len(e.cps.list))
	}
}

func TestFakeInterrupt(t *testing.T) {
	f := newFake(4, 3000)
	e := newFakeEngine(t, f, 256)
	f.Stop()
	if r := e.cont(); r.kind != resInterrupted {
		t.Fatalf("continue with a stop pending: %+v", r)
	}
	if r := e.cont(); r.kind != resEnd {
		t.Fatalf("continue: %+v", r)
	}
}

func TestFakeForwardOnly(t *testing.T) {
	f := newFake(4, 3000)
	e, err := newEngine(f, false, 0, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.kept) != 0 {
		t.Fatalf("a plain run took %d checkpoints", len(f.kept))
	}
	if err := e.seek(100); err != nil {
		t.Fatal(err)
	}
	if err := e.seek(50); err == nil {
		t.Fatal("a plain run went back")
	}
	if r := e.reverseStep(); r.kind != resError {
		t.Fatalf("reverse step of a plain run: %+v", r)
	}
}

func equalU64(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// forwardStops is refereeHits as continue sees them: without the
// breakpoint-only hits at p whose p-1 is a watchpoint hit.
func forwardStops(f *fakeMachine, bps map[uint64]bool, ws []watch) []uint64 {
	all := refereeHits(f, bps, ws)
	wh := map[uint64]bool{}
	for _, h := range refereeHits(f, nil, ws) {
		wh[h] = true
	}
	var out []uint64
	for _, p := range all {
		if p > 0 && wh[p-1] && !wh[p] {
			continue
		}
		out = append(out, p)
	}
	return out
}

// An interrupt during a reverse step's seek is a SIGINT stop, not an error,
// and the step still lands one instruction back, not at the checkpoint the
// seek restored; an interrupted reverse continue stays where it started.
func TestFakeInterruptSeek(t *testing.T) {
	f := newFake(4, 3000)
	e := newFakeEngine(t, f, 256)
	if err := e.seek(2000); err != nil {
		t.Fatal(err)
	}
	f.Stop()
	if r := e.reverseStep(); r.kind != resInterrupted || f.Icount() != 1999 {
		t.Fatalf("interrupted reverse step: %+v at %d, want a SIGINT stop at 1999", r, f.Icount())
	}
	f.Stop()
	if r := e.reverseCont(); r.kind != resInterrupted || f.Icount() != 1999 {
		t.Fatalf("interrupted reverse continue: %+v at %d, want a SIGINT stop at 1999", r, f.Icount())
	}
}

// A session begun on a machine that has run reaches back to where it began.
func TestFakeLateStart(t *testing.T) {
	f := newFake(8, 3000)
	f.t = 1000
	e := newFakeEngine(t, f, 256)
	if err := e.seek(999); !errors.Is(err, errBeforeStart) {
		t.Fatalf("seek before the start: %v", err)
	}
	if r := e.reverseStep(); r.kind != resBegin || f.Icount() != 1000 {
		t.Fatalf("reverse step at the start: %+v at %d", r, f.Icount())
	}
	if err := e.seek(2000); err != nil {
		t.Fatal(err)
	}
	if r := e.reverseCont(); r.kind != resBegin || f.Icount() != 1000 {
		t.Fatalf("reverse continue without hits: %+v at %d", r, f.Icount())
	}
	f.bps[f.pcs[1500]] = true
	if err := e.seek(2000); err != nil {
		t.Fatal(err)
	}
	want := refereeHits(f, f.bps, nil)
	last := uint64(0)
	for _, h := range want {
		if h < 2000 {
			last = h
		}
	}
	if r := e.reverseCont(); r.kind != resBreak || f.Icount() != last {
		t.Fatalf("reverse continue: %+v at %d, want %d", r, f.Icount(), last)
	}
}
