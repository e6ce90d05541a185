//go:build linux && amd64

package jit

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/ndbuf"
	"github.com/rvsim/rvsim/rv64"
)

// Targeted tests of blocks that loop on themselves with the guest's
// registers in host registers (xlate.emit with regs): a trap, a store
// into the loop's own code and reads of cycle in the middle of such a
// loop, and a loop with more registers than there are host registers for.

// loops returns how many blocks the engine translated as loops.
func (p *pair) loops() uint64 { return p.eng.Stats().Loops }

// TestLoopTrapMidLoop: a loop walks a pointer up to the end of memory,
// adding the doublewords it loads. The load past the end faults in the
// iteration the ISA says, after the two instructions before it in that
// iteration retired and wrote their registers (which the loop kept in
// host registers only), whatever the budgets the run is cut into.
func TestLoopTrapMidLoop(t *testing.T) {
	loop := []uint32{
		addi(rA2, rA2, 1),  // +0: iterations
		addi(rA0, rA0, 8),  // +4
		ld(rT0, rA0, -8),   // +8
		add(rA1, rA1, rT0), // +12
		jal(0, -16),        // +16
	}
	const iters = 600 // loads inside memory; the next one faults
	start := uint64(memEnd - 8*iters)
	for _, chunk := range chunkSizes {
		m := progMachine(loop...)
		m.priv, m.userExits = csr.PrivU, true
		m.x[rA0] = start
		m.prepare = func(h *rv64.Hart) {
			for i := range iters {
				binary.LittleEndian.PutUint64(h.Mem.Data[start-memBase+8*uint64(i):], uint64(i)*0x1_0001)
			}
			h.Invalidate(start, 8*iters)
		}
		p := newPair(t, m)
		var e rv64.Exit
		for e.Kind == rv64.ExitBudget && p.jh.Instret() < 10*iters {
			e = p.step(chunk)
		}
		sum := uint64(0)
		for i := range uint64(iters) {
			sum += i * 0x1_0001
		}
		expectExit(t, e, rv64.Exit{Kind: rv64.ExitTrap, Cause: rv64.CauseLoadAccess, Tval: memEnd, PC: codeAt + 8})
		p.expectAt(codeAt+8, 5*iters+2)
		p.expectX(map[int]uint64{rA0: memEnd + 8, rA1: sum, rA2: iters + 1})
		if p.loops() == 0 {
			t.Errorf("chunk %d: the loop was not translated as a loop", chunk)
		}
	}
}

// TestLoopRewritesItself: each iteration of a loop flips the instruction
// after its store between "addi a3, a3, 1" and "addi a3, a3, 100", so
// that iteration i runs the version it wrote: 100 on odd iterations, 1 on
// even ones. The store leaves the native loop with a2 written in that
// iteration and kept in a host register.
func TestLoopRewritesItself(t *testing.T) {
	const n = 400
	bump := addi(rA3, rA3, 1)
	loop := []uint32{
		addi(rA2, rA2, 1),  // +0
		lw(rT0, rS1, 16),   // +4
		xor(rT0, rT0, rT1), // +8
		sw(rT0, rS1, 16),   // +12: rewrites +16
		bump,               // +16
		blt(rA2, rA4, -20), // +20: to +0
		jSelf,              // +24
	}
	newLoop := func() *pair {
		m := progMachine(loop...)
		m.x[rS1], m.x[rT1], m.x[rA4] = codeAt, uint64(bump^addi(rA3, rA3, 100)), n
		return newPair(t, m)
	}
	for _, chunk := range chunkSizes {
		p := newLoop()
		for p.jh.Instret() < 6*n+1 {
			if e := p.step(min(chunk, 6*n+1-p.jh.Instret())); e.Kind != rv64.ExitBudget {
				t.Fatalf("chunk %d: exit %s", chunk, exitString(e))
			}
		}
		p.expectAt(codeAt+24, 6*n+1)
		p.expectX(map[int]uint64{rA2: n, rA3: n / 2 * 101})
	}
	// The interpreter runs a loop that keeps writing its own code, once
	// the engine has seen it leave native code at each store: the loop was
	// translated as one at first.
	p := newLoop()
	p.step(6*n + 1)
	if p.loops() == 0 {
		t.Errorf("the loop was not translated as a loop")
	}
}

// TestLoopNDReplay: a loop reads cycle in replay mode (inline, whatever
// the host), adding the values. It takes the entries in order, at the
// instruction counts the ISA gives, and stops with ND-empty at the read
// once they are used up: with 50 entries, a1 is their sum, a2 is 50 and
// instret 200; after 50 more, the same again.
func TestLoopNDReplay(t *testing.T) {
	loop := []uint32{
		csrr(rA0, csr.Cycle), // +0
		add(rA1, rA1, rA0),   // +4
		addi(rA2, rA2, 1),    // +8
		jal(0, -12),          // +12
	}
	const k = 50
	entries := func(from int) []ndbuf.Entry {
		var l []ndbuf.Entry
		for i := from; i < from+k; i++ {
			l = append(l, ndbuf.Entry{Kind: ndbuf.KindCycle, Instret: 4 * uint64(i), PC: codeAt, Value: uint64(i) * 7})
		}
		return l
	}
	for _, chunk := range chunkSizes {
		m := progMachine(loop...)
		m.ndMode, m.ndSize = ndbuf.Replay, k
		m.ndFill = entries(0)
		p := newPair(t, m)
		sum := uint64(0)
		for round := 0; round < 4; round++ {
			var e rv64.Exit
			for e.Kind == rv64.ExitBudget {
				e = p.step(chunk)
			}
			for i := round * k; i < (round+1)*k; i++ {
				sum += uint64(i) * 7
			}
			expectExit(t, e, rv64.Exit{Kind: rv64.ExitNDEmpty, Cause: rv64.CauseNDEmpty, Tval: uint64(ndbuf.KindCycle), PC: codeAt})
			p.expectAt(codeAt, 4*k*uint64(round+1))
			p.expectX(map[int]uint64{rA1: sum, rA2: k * uint64(round+1)})
			p.both(func(h *rv64.Hart) { h.ND.Fill(entries((round + 1) * k)) })
		}
		if p.loops() == 0 {
			t.Errorf("chunk %d: the loop was not translated as a loop", chunk)
		}
	}
}

// TestLoopTooManyRegisters: a loop on eleven guest registers (more than
// the seven host registers that hold them) keeps the four it names most
// in host registers from one time round to the next, and the others
// share the other three, an instruction that names three of those
// included; it runs as the ISA says, cut anywhere.
func TestLoopTooManyRegisters(t *testing.T) {
	loop := []uint32{
		addi(rA0, rA0, 1),  // +0
		add(rA1, rA1, rA0), // +4
		add(rA2, rA2, rA1), // +8
		add(rA3, rA3, rA2), // +12
		add(rA4, rA4, rA3), // +16
		add(rA5, rA5, rA4), // +20
		add(rA6, rA6, rA5), // +24
		add(rA7, rA7, rA6), // +28
		add(rT2, rT0, rT1), // +32
		addi(rT0, rT0, 3),  // +36
		addi(rT1, rT1, 5),  // +40
		jal(0, -44),        // +44
	}
	p := budgetSweep(t, loop, 3000, func(p *pair, n uint64) {
		var x [8]uint64
		var t0, t1, t2 uint64
		for i := uint64(0); i < n; i++ {
			switch j := i % 12; {
			case j == 0:
				x[0]++
			case j < 8:
				x[j] += x[j-1]
			case j == 8:
				t2 = t0 + t1
			case j == 9:
				t0 += 3
			case j == 10:
				t1 += 5
			}
		}
		p.expectX(map[int]uint64{rA0: x[0], rA1: x[1], rA2: x[2], rA3: x[3], rA4: x[4], rA5: x[5], rA6: x[6], rA7: x[7],
			rT0: t0, rT1: t1, rT2: t2})
		p.expectAt(codeAt+4*(n%12), n)
	})
	if p.loops() == 0 {
		t.Errorf("the loop was not translated as a loop")
	}
	regs, pin := loopRegs(&[32]int32{0: 9, rA0: 2, rA1: 3, rA2: 3, rA3: 3, rA4: 3, rA5: 3, rA6: 3, rA7: 2, rT0: 4, rT1: 4, rT2: 1})
	if want := []uint8{rT0, rT1, rA1, rA2}; !pin || !slices.Equal(regs, want) {
		t.Errorf("loopRegs kept %v (pinned %v), want %v pinned: the most named, not x0", regs, pin, want)
	}
}
