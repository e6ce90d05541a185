package rv64

import (
	"fmt"
	"testing"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/ndbuf"
)

// machineState is what a restored run is compared on: registers, pc,
// privilege, every CSR's raw value and the counters as the guest reads
// them, the reservation, the ND buffer and memory.
type machineState struct {
	X, F        [32]uint64
	PC          uint64
	Priv        uint8
	Instret     uint64
	CSR         [4096]uint64
	Counters    [3]uint64
	Res         [2]uint64
	ND          string
	Mem         string
	Exit        Exit
	ExitInstret uint64
}

func captureState(h *Hart, e Exit) *machineState {
	s := &machineState{X: h.X, F: h.F, PC: h.PC, Priv: h.Priv, Instret: h.CSR.Instret, Exit: e}
	for n := range s.CSR {
		s.CSR[n] = h.CSR.Raw(uint16(n))
	}
	s.Counters = [3]uint64{h.CSR.Get(csr.Minstret), h.CSR.Get(csr.Mcycle), h.CSR.Get(csr.Fcsr)}
	s.Res[0], s.Res[1] = h.Reservation()
	if h.ND != nil {
		s.ND = string(h.ND.Mem)
	}
	s.Mem = string(h.Mem.Data)
	return s
}

func (s *machineState) diff(o *machineState) string {
	switch {
	case s.X != o.X:
		return fmt.Sprintf("x registers %#x, want %#x", s.X, o.X)
	case s.F != o.F:
		return "f registers differ"
	case s.PC != o.PC || s.Priv != o.Priv || s.Instret != o.Instret:
		return fmt.Sprintf("pc %#x priv %d instret %d, want %#x %d %d", s.PC, s.Priv, s.Instret, o.PC, o.Priv, o.Instret)
	case s.CSR != o.CSR:
		for n := range s.CSR {
			if s.CSR[n] != o.CSR[n] {
				return fmt.Sprintf("CSR %s = %#x, want %#x", csr.Name(uint16(n)), s.CSR[n], o.CSR[n])
			}
		}
	case s.Counters != o.Counters:
		return fmt.Sprintf("minstret, mcycle, fcsr %#x, want %#x", s.Counters, o.Counters)
	case s.Res != o.Res:
		return fmt.Sprintf("reservation %#x, want %#x", s.Res, o.Res)
	case s.ND != o.ND:
		return "ND buffer differs"
	case s.Mem != o.Mem:
		for i := range s.Mem {
			if s.Mem[i] != o.Mem[i] {
				return fmt.Sprintf("memory differs first at offset %#x", i)
			}
		}
	case s.Exit != o.Exit:
		return fmt.Sprintf("exit %+v, want %+v", s.Exit, o.Exit)
	}
	return ""
}

// runTo runs h until instret reaches n in chunks of chunk, answering
// ecalls with kernel; it stops at an exit kernel does not take.
func runTo(h *Hart, n, chunk uint64, kernel func(h *Hart, e Exit) bool) Exit {
	e := Exit{Kind: ExitBudget, PC: h.PC}
	for h.Instret() < n {
		if e = h.Run(min(chunk, n-h.Instret())); e.Kind != ExitBudget && !kernel(h, e) {
			return e
		}
	}
	return e
}

// TestSaveRestoreBench runs a real program (programs/bin/bench_rv64gc.elf)
// to instruction k, saves the hart and memory, runs on to n; then
// restores the same hart and, from the same State, a second hart, and
// runs both to n again: each must end in the state of the straight run.
func TestSaveRestoreBench(t *testing.T) {
	const base, size = 0x10000, 1 << 20
	for _, c := range []struct{ k, n, chunk uint64 }{{0, 5000, 1 << 20}, {12345, 400000, 1 << 20}, {700001, 1300000, 777}, {2000000, 1 << 40, 1 << 20}} {
		h, _ := loadELF(t, "bench_rv64gc.elf", base, size)
		linuxStart(h, "bench", "1")
		kernel := miniKernel(nil)
		if e := runTo(h, c.k, c.chunk, kernel); e.Kind != ExitBudget {
			t.Fatalf("run to %d: exit %s", c.k, e.Kind.testName())
		}
		var s State
		h.Save(&s)
		img := append([]byte(nil), h.Mem.Data...)
		want := captureState(h, runTo(h, c.n, c.chunk, kernel))

		copy(h.Mem.Data, img)
		h.InvalidateCode(h.Mem.Base, h.Mem.Size())
		h.Restore(&s)
		if d := captureState(h, runTo(h, c.n, c.chunk, kernel)).diff(want); d != "" {
			t.Errorf("k %d n %d: restored: %s", c.k, c.n, d)
		}

		h2, _ := loadELF(t, "bench_rv64gc.elf", base, size)
		h2.UserTrapsExit = true
		copy(h2.Mem.Data, img)
		h2.Restore(&s)
		if d := captureState(h2, runTo(h2, c.n, c.chunk+1, kernel)).diff(want); d != "" {
			t.Errorf("k %d n %d: second hart: %s", c.k, c.n, d)
		}
	}
}

// TestSaveRestoreND replays reads of cycle and time through a small ND
// buffer, saves in the middle of a buffer, runs on; restored (the
// monitor's position in the recorded entries restored with it), the same
// hart and a second one read the same values and end in the same state.
func TestSaveRestoreND(t *testing.T) {
	code := []string{
		"csrr a0, cycle",
		"add s0, s0, a0",
		"csrr a1, time",
		"xor s1, s1, a1",
		"addi s2, s2, 1",
		"j .-20",
	}
	// Record with a host whose clocks move.
	rec := newTestHart(t)
	var clock uint64
	*rec.CSR = *csr.New(csr.Host{
		Cycle:   func() uint64 { clock += 7; return clock },
		Time:    func() uint64 { clock += 3; return clock * 5 },
		Entropy: func() uint16 { return 1 },
	})
	prog(t, rec, testPC, code...)
	rec.ND = ndbuf.New(rec.CSR, ndbuf.Record, rec.Mem.End(), 5)
	var entries []ndbuf.Entry
	for rec.Instret() < 3000 {
		if e := rec.Run(3000 - rec.Instret()); e.Kind == ExitNDFull {
			entries = rec.ND.Drain(entries)
		}
	}
	entries = rec.ND.Drain(entries)

	newReplay := func() *Hart {
		h := newTestHart(t)
		prog(t, h, testPC, code...)
		h.ND = ndbuf.New(h.CSR, ndbuf.Replay, h.Mem.End(), 5)
		return h
	}
	// replayTo runs to n, refilling from entries[*next:].
	replayTo := func(h *Hart, n uint64, next *int) {
		for h.Instret() < n {
			e := h.Run(n - h.Instret())
			switch e.Kind {
			case ExitBudget:
			case ExitNDEmpty:
				*next += h.ND.Fill(entries[*next:])
			default:
				t.Fatalf("replay: exit %s at %#x", e.Kind.testName(), e.PC)
			}
		}
	}
	for _, k := range []uint64{1, 999, 1002, 1003, 2222} {
		h := newReplay()
		next := 0
		replayTo(h, k, &next)
		var s State
		h.Save(&s)
		savedNext := next
		replayTo(h, 3000, &next)
		want := captureState(h, Exit{})
		if h.X[8] != rec.X[8] || h.X[9] != rec.X[9] {
			t.Fatalf("replay read other values than the recording")
		}

		h.Restore(&s)
		next = savedNext
		replayTo(h, 3000, &next)
		if d := captureState(h, Exit{}).diff(want); d != "" {
			t.Errorf("k %d: restored: %s", k, d)
		}
		h2 := newReplay()
		h2.Restore(&s)
		next = savedNext
		replayTo(h2, 3000, &next)
		if d := captureState(h2, Exit{}).diff(want); d != "" {
			t.Errorf("k %d: second hart: %s", k, d)
		}
	}
}

// TestSaveRestoreReservation: the LR/SC reservation is part of the
// state: an SC after Restore succeeds as it did where Save was called,
// though a store broke the reservation in between.
func TestSaveRestoreReservation(t *testing.T) {
	h := newTestHart(t)
	data := uint64(testBase + 0x3000)
	load(t, h, testPC,
		0x100636af, // lr.d a3, (a2)
		0x18a636af, // sc.d a3, a0, (a2)
		0x0000006f, // j .
	)
	h.X[12] = data
	h.Run(1)
	var s State
	h.Save(&s)
	if s.ResAddr != data || s.ResLen != 8 {
		t.Fatalf("saved reservation %#x %d", s.ResAddr, s.ResLen)
	}
	h.Invalidate(data, 8) // the monitor writes there: the reservation breaks
	h.Run(1)
	if h.X[13] != 1 {
		t.Fatalf("sc.d after a write into the reservation: a3 = %d, want 1", h.X[13])
	}
	h.Restore(&s)
	h.Run(1)
	if h.X[13] != 0 {
		t.Fatalf("sc.d after Restore: a3 = %d, want 0", h.X[13])
	}
	// And a watchpoint set before Restore still filters the stores
	// (Restore recomputes the watch range).
	h.Restore(&s)
	h.SetWatch(data+4, 1)
	expectExit(t, h.Run(1), Exit{Kind: ExitWatch, Tval: data, Cause: 8, PC: testPC + 8})
}

// FuzzSaveRestore runs random streams of parcels (as FuzzMixedBlocks),
// saves at step k, runs to n, restores memory and the hart and runs to n
// again; a second hart restored from the same State does the same. Both
// must end in the straight run's state, memory included.
func FuzzSaveRestore(f *testing.F) {
	f.Add([]byte{0x05, 0x05, 0x93, 0x85, 0x15, 0x00, 0xfd, 0x16, 0xfd, 0xfe}, uint64(0), uint8(5), uint8(40))
	f.Add([]byte{0x2f, 0xa5, 0xc5, 0x08, 0x23, 0xa0, 0xe7, 0x00, 0xf5, 0xb7}, uint64(0x1ff0), uint8(3), uint8(60))
	f.Add([]byte{0xaf, 0x36, 0x06, 0x10, 0xaf, 0x36, 0xa6, 0x18, 0xe3, 0x8c, 0x06, 0xfe}, uint64(0x40), uint8(1), uint8(30))
	f.Fuzz(func(t *testing.T, code []byte, at uint64, k, n uint8) {
		if len(code) > 256 {
			code = code[:256]
		}
		at = at &^ 1 % 0x1f00
		start := testBase + at
		h := newTestHart(t)
		b, _ := h.Mem.Slice(start, uint64(len(code)))
		copy(b, code)
		h.Invalidate(start, uint64(len(code)))
		h.PC = start
		for i := 1; i < 32; i++ {
			h.X[i] = start + uint64(i*6)%uint64(len(code)+8)
			h.F[i] = uint64(i) * 0x0101010101010101
		}
		h.CSR.Set(csr.Mstatus, h.CSR.Get(csr.Mstatus)|csr.FSInitial)
		h.UserTrapsExit = true
		h.Priv = csr.PrivU
		if e := runTo(h, uint64(k), 1<<20, userKernel); e.Kind != ExitBudget {
			return
		}
		var s State
		h.Save(&s)
		img := append([]byte(nil), h.Mem.Data...)
		end := uint64(k) + uint64(n)
		want := captureState(h, runTo(h, end, 1<<20, userKernel))

		copy(h.Mem.Data, img)
		h.InvalidateCode(h.Mem.Base, h.Mem.Size())
		h.Restore(&s)
		if d := captureState(h, runTo(h, end, 3, userKernel)).diff(want); d != "" {
			t.Errorf("restored: %s", d)
		}
		h2 := newTestHart(t)
		h2.UserTrapsExit = true
		copy(h2.Mem.Data, img)
		h2.Restore(&s)
		if d := captureState(h2, runTo(h2, end, 1<<20, userKernel)).diff(want); d != "" {
			t.Errorf("second hart: %s", d)
		}
	})
}
