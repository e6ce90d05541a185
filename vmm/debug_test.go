package vmm

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rvsim/rvsim/logfmt"
)

// plainMachine loads a shipped program for a plain run.
func plainMachine(t *testing.T, elf string, out io.Writer, args ...string) *Machine {
	t.Helper()
	prog, err := LoadFile(filepath.Join("..", "programs", "bin", elf))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(prog, Config{MemSize: 16 << 20, Args: append([]string{prog.Path}, args...), Stdin: strings.NewReader(""), Stdout: out, Stderr: out})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// Advance in random chunks ends a plain run where Run does, with the same
// status, output and final state.
func TestAdvancePlainRunEqualsRun(t *testing.T) {
	for _, c := range []struct {
		elf  string
		args []string
	}{{"hello.elf", []string{"one", "two"}}, {"exitcode.elf", []string{"42"}}, {"bare_hello.elf", nil}, {"semihost_hello.elf", []string{"x", "7"}}, {"illegal.elf", nil}} {
		t.Run(c.elf, func(t *testing.T) {
			var runOut, advOut bytes.Buffer
			ref := plainMachine(t, c.elf, &runOut, c.args...)
			res, runErr := ref.Run()
			m := plainMachine(t, c.elf, &advOut, c.args...)
			rng := rand.New(rand.NewSource(1))
			var st Stop
			for st = m.Advance(0); st.Kind == StopLimit; st = m.Advance(m.Icount() + uint64(rng.Intn(5000))) {
			}
			if st.Kind != StopEnd {
				t.Fatalf("Advance: %v %v", st.Kind, st.Err)
			}
			if st.Result.Status != res.Status || st.Result.Instret != res.Instret || (st.Err == nil) != (runErr == nil) ||
				st.Err != nil && st.Err.Error() != runErr.Error() {
				t.Fatalf("Advance ended with status %d at %d (%v); Run: %d at %d (%v)", st.Result.Status, st.Result.Instret, st.Err, res.Status, res.Instret, runErr)
			}
			// A Linux program's plain runs differ in their AT_RANDOM bytes.
			if advOut.String() != runOut.String() || m.Prog.Kind != KindLinux && m.Digest() != ref.Digest() {
				t.Fatalf("output %q, Run's %q; digests equal: %v", advOut.String(), runOut.String(), m.Digest() == ref.Digest())
			}
			if again := m.Advance(^uint64(0)); again.Kind != StopEnd || again.Result.Status != res.Status {
				t.Fatalf("Advance after the end: %v", again.Kind)
			}
		})
	}
}

// A replay of a guest that dies of a fault ends with the fault, as Run.
func TestAdvanceReplayFault(t *testing.T) {
	rec := recordDbgAllowErr(t, dbgProgram{name: "illegal", elf: "illegal.elf", mem: 16 << 20})
	m := replayDbg(t, rec, nil)
	st := m.Advance(^uint64(0))
	var fe *FaultError
	if st.Kind != StopEnd || !errors.As(st.Err, &fe) || fe.Status != 132 || st.Result.Stats.Digest != rec.footer.Digest {
		t.Fatalf("Advance: %v, %v, status %d", st.Kind, st.Err, st.Result.Status)
	}
}

// recordDbgAllowErr records a program whose run ends in an error (a fault).
func recordDbgAllowErr(t *testing.T, p dbgProgram) dbgRec {
	t.Helper()
	saved := dbgAllowRunErr
	dbgAllowRunErr = true
	defer func() { dbgAllowRunErr = saved }()
	return recordDbg(t, p)
}

// Stop before Advance makes it return StopInterrupted at once, and the
// flag is then cleared; Stop during a long Advance interrupts it.
func TestAdvanceInterrupted(t *testing.T) {
	m := plainMachine(t, "forever.elf", io.Discard)
	m.Stop()
	if st := m.Advance(1000); st.Kind != StopInterrupted || m.Icount() != 0 {
		t.Fatalf("Advance after Stop: %v at %d", st.Kind, m.Icount())
	}
	if st := m.Advance(1000); st.Kind != StopLimit || m.Icount() != 1000 {
		t.Fatalf("the next Advance: %v at %d", st.Kind, m.Icount())
	}
	timer := time.AfterFunc(20*time.Millisecond, m.Stop)
	defer timer.Stop()
	if st := m.Advance(^uint64(0)); st.Kind != StopInterrupted {
		t.Fatalf("Advance with Stop called during it: %v", st.Kind)
	}
}

// A recording cannot be advanced.
func TestAdvanceRecordRefused(t *testing.T) {
	prog, err := LoadFile(filepath.Join("..", "programs", "bin", "hello.elf"))
	if err != nil {
		t.Fatal(err)
	}
	var trace bytes.Buffer
	m, err := New(prog, Config{MemSize: 16 << 20, Record: &trace, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if st := m.Advance(10); st.Kind != StopError || st.Err == nil {
		t.Fatalf("Advance of a recording: %v", st.Kind)
	}
}

// UpcomingEvents returns the trace's events from the replay's position,
// across segments, without moving the replay.
func TestUpcomingEvents(t *testing.T) {
	rec := recordDbg(t, dbgProgram{name: "ndloop-long", elf: "ndloop.elf", args: []string{"10000"}, nd: 3, mem: 16 << 20})
	var all []logfmt.Event
	r := openTrace(t, rec)
	segs := 0
	for {
		evs, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		segs++
		for _, ev := range evs {
			all = append(all, copyEvent(ev))
		}
	}
	if segs < 2 {
		t.Fatalf("the recording has %d segments: the test needs more", segs)
	}
	m := replayDbg(t, rec, nil)
	rng := rand.New(rand.NewSource(1))
	end := rec.footer.Instret
	for m.Icount() < end {
		taken := 0
		for _, n := range m.events {
			taken += int(n)
		}
		k := 1 + rng.Intn(6000)
		got, err := m.UpcomingEvents(k)
		if err != nil {
			t.Fatal(err)
		}
		want := all[min(taken, len(all)):min(taken+k, len(all))]
		if len(got) != len(want) {
			t.Fatalf("at %d (%d events taken): %d upcoming events, want %d", m.Icount(), taken, len(got), len(want))
		}
		for i := range got {
			if got[i].Kind != want[i].Kind || got[i].Instret != want[i].Instret || got[i].PC != want[i].PC || got[i].Value != want[i].Value {
				t.Fatalf("at %d: upcoming event %d is %+v, the trace's %+v", m.Icount(), i, got[i], want[i])
			}
		}
		st := m.Advance(m.Icount() + uint64(rng.Intn(20000)))
		if st.Kind == StopEnd {
			if st.Err != nil {
				t.Fatalf("end after UpcomingEvents: %v", st.Err)
			}
			break
		}
		if st.Kind != StopLimit {
			t.Fatalf("Advance: %v %v", st.Kind, st.Err)
		}
	}
}

// Advance stops at every breakpoint hit and every store into a watched
// range, at the instruction counts a replay stepped one instruction at a
// time finds them, with the state there the same; a restored replay does
// too; the run then ends as recorded.
func TestAdvanceBreakAndWatch(t *testing.T) {
	rec := recordDbg(t, dbgProg("nondet"))
	// The referee steps, noting where pc is what the breakpoint is set on
	// and which steps store into the watched range.
	type visit struct{ icount, pc, addr, size uint64 }
	var trail []visit
	step := replayDbg(t, rec, nil)
	for {
		addr, n, _, store := step.Hart.Access()
		v := visit{icount: step.Icount(), pc: step.Hart.PC}
		if store {
			v.addr, v.size = addr, n
		}
		trail = append(trail, v)
		if st := step.Advance(step.Icount() + 1); st.Kind == StopEnd {
			break
		} else if st.Kind != StopLimit {
			t.Fatal(st.Kind, st.Err)
		}
	}
	mid := trail[len(trail)/2]
	bp := mid.pc
	var watch visit
	for _, v := range trail[len(trail)/3:] {
		if v.size != 0 {
			watch = v
			break
		}
	}
	if watch.size == 0 {
		t.Fatal("no store in the second two thirds of the run")
	}
	var wantBreaks, wantWatch []uint64
	for i, v := range trail {
		if v.pc == bp {
			wantBreaks = append(wantBreaks, v.icount)
		}
		if v.size != 0 && v.addr < watch.addr+watch.size && watch.addr < v.addr+v.size && i+1 < len(trail) {
			wantWatch = append(wantWatch, trail[i+1].icount)
		}
	}

	m := replayDbg(t, rec, nil)
	m.Hart.SetBreakpoint(bp)
	m.Hart.SetWatch(watch.addr, watch.size)
	ref := &referee{t: t, rec: rec}
	var gotBreaks, gotWatch []uint64
	var cp *Checkpoint
	for {
		st := m.Advance(^uint64(0))
		if st.Kind == StopEnd {
			if st.Err != nil || st.Result.Stats.Digest != rec.footer.Digest {
				t.Fatalf("end: %v", st.Err)
			}
			break
		}
		switch st.Kind {
		case StopBreak:
			if st.PC != bp || m.Hart.PC != bp {
				t.Fatalf("breakpoint stop at %#x, set at %#x", st.PC, bp)
			}
			gotBreaks = append(gotBreaks, m.Icount())
			m.Hart.SkipBreakpointOnce()
		case StopWatch:
			if st.Addr >= watch.addr+watch.size || watch.addr >= st.Addr+st.Size {
				t.Fatalf("watch stop for a store of %d at %#x, watching %d at %#x", st.Size, st.Addr, watch.size, watch.addr)
			}
			// A system call writing the range stops too
			// (TestWatchMonitorWrite); the referee's trail has the
			// guest's stores only.
			if prev := trail[m.Icount()-1]; m.Icount() > 0 && prev.size == 0 {
				if w, _ := m.insnAt(prev.pc); w == 0x73 {
					break
				}
			}
			gotWatch = append(gotWatch, m.Icount())
		default:
			t.Fatalf("Advance: %v %v", st.Kind, st.Err)
		}
		if err := sameState(m, ref.at(m.Icount())); err != nil {
			t.Fatalf("at a %v stop at %d: %v", st.Kind, m.Icount(), err)
		}
		if cp == nil {
			var err error
			if cp, err = m.Checkpoint(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !slices.Equal(gotBreaks, wantBreaks) || !slices.Equal(gotWatch, wantWatch) {
		t.Fatalf("breakpoint stops %v, want %v; watch stops %v, want %v", gotBreaks, wantBreaks, gotWatch, wantWatch)
	}
	// From the first stop again: the same stops.
	if err := m.Restore(cp); err != nil {
		t.Fatal(err)
	}
	var again []uint64
	for {
		if st := m.Advance(^uint64(0)); st.Kind == StopEnd {
			break
		} else if st.Kind == StopBreak {
			m.Hart.SkipBreakpointOnce()
		}
		again = append(again, m.Icount())
	}
	all := slices.Sorted(slices.Values(append(slices.Clone(gotBreaks), gotWatch...)))
	if i := slices.Index(all, cp.Icount()); i < 0 || !slices.Equal(again, all[i+1:]) && !slices.Equal(again, all[i:]) {
		t.Fatalf("after a restore to %d: stops at %v, first time %v", cp.Icount(), again, all)
	}
	t.Logf("%d breakpoint stops at %#x, %d watch stops on %d bytes at %#x", len(gotBreaks), bp, len(gotWatch), watch.size, watch.addr)
}

// A watchpoint over a buffer that a replayed read(2) fills stops Advance
// right after the system call, with the write's range; a restored run
// stops there again.
func TestWatchMonitorWrite(t *testing.T) {
	rec := recordDbg(t, dbgProg("nondet"))
	// The referee steps to the first read that returns bytes.
	step := replayDbg(t, rec, nil)
	var n, buf, got uint64
	for {
		w, _ := step.insnAt(step.Hart.PC)
		isRead := w == 0x73 && step.Hart.X[17] == sysRead
		at, a1 := step.Icount(), step.Hart.X[11]
		if st := step.Advance(at + 1); st.Kind != StopLimit {
			t.Fatalf("no read found: %v", st.Kind)
		}
		if isRead && int64(step.Hart.X[10]) > 0 {
			n, buf, got = at, a1, step.Hart.X[10]
			break
		}
	}
	// Watch the buffer's last byte read; no store of the guest writes it
	// before the call (the referee's Access says so).
	watch := buf + got - 1
	check := replayDbg(t, rec, nil)
	for check.Icount() < n {
		if addr, size, _, store := check.Hart.Access(); store && addr <= watch && watch < addr+size {
			t.Skipf("the guest stores into the buffer at icount %d, before the read", check.Icount())
		}
		check.Advance(check.Icount() + 1)
	}
	m := replayDbg(t, rec, nil)
	m.Hart.SetWatch(watch, 1)
	c, err := m.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		st := m.Advance(^uint64(0))
		if st.Kind != StopWatch || m.Icount() != n+1 || st.Addr > watch || watch >= st.Addr+st.Size || st.PC != m.Hart.PC {
			t.Fatalf("run %d: %v at %d (want a watch stop at %d, after the read at %d), write of %d at %#x", i, st.Kind, m.Icount(), n+1, n, st.Size, st.Addr)
		}
		if err := sameState(m, step); err != nil {
			t.Fatal(err)
		}
		if err := m.Restore(c); err != nil {
			t.Fatal(err)
		}
	}
	m.Hart.ClearWatch(watch, 1)
	if st := m.Advance(^uint64(0)); st.Kind != StopEnd || st.Err != nil {
		t.Fatalf("to the end: %v %v", st.Kind, st.Err)
	}
}
