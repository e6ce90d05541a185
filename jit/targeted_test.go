//go:build linux && amd64

package jit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/ndbuf"
	"github.com/rvsim/rvsim/rv64"
)

// Targeted tests of what translation can break. Each runs a small
// program on both engines in lockstep (so the engine must equal the
// interpreter at every exit) and checks the outcome against values the
// test works out itself from the ISA's rules.

// jSelf is "j .": where the targeted programs park.
var jSelf = jal(0, 0)

// progMachine returns a machine in M-mode at codeAt running code, with
// mtvec at handlerAt, where "j ." parks a trap.
func progMachine(code ...uint32) *machine { return progMachineAt(memBase, code...) }

// highBase is a guest memory base past 2^32: the translated code loads
// pcs there as 64-bit immediates (below it, as 32-bit ones).
const highBase = 1 << 36

// progMachineAt is progMachine with guest memory at base: the code and
// the handler at the same offsets from it.
func progMachineAt(base uint64, code ...uint32) *machine {
	off := base - memBase
	return &machine{
		base: base,
		pc:   codeAt + off,
		priv: csr.PrivM,
		code: map[uint64][]byte{codeAt + off: words(code...), handlerAt + off: words(jSelf)},
		csrs: map[uint16]uint64{csr.Mtvec: handlerAt + off},
	}
}

// expectX checks integer registers of the engine's hart (equal to the
// interpreter's, which step checked).
func (p *pair) expectX(want map[int]uint64) {
	p.t.Helper()
	for r, v := range want {
		if got := p.jh.X[r]; got != v {
			p.t.Errorf("%s: got %#x, want %#x", regName(r), got, v)
		}
	}
}

// expectAt checks pc and instret of the engine's hart.
func (p *pair) expectAt(pc, instret uint64) {
	p.t.Helper()
	if p.jh.PC != pc || p.jh.Instret() != instret {
		p.t.Errorf("pc %#x instret %d, want pc %#x instret %d", p.jh.PC, p.jh.Instret(), pc, instret)
	}
}

// expectExit checks an exit.
func expectExit(t testing.TB, got, want rv64.Exit) {
	t.Helper()
	if got != want {
		t.Errorf("exit %s, want %s", exitString(got), exitString(want))
	}
}

// runChunks runs the pair to total instructions in chunks of chunk
// (budget exits only).
func (p *pair) runChunks(total, chunk uint64) {
	p.t.Helper()
	for done := uint64(0); done < total; {
		c := min(chunk, total-done)
		if e := p.step(c); e.Kind != rv64.ExitBudget {
			p.t.Fatalf("exit %s after %d instructions", exitString(e), done)
		}
		done += c
	}
}

var chunkSizes = []uint64{1, 2, 3, 5, 7, 13, 64, 1 << 20}

// repeat runs body n times, each from the state the harts have now
// (registers, CSRs, the ND buffer, memory): the engine translates code
// only once it has started a few times (code run once is interpreted),
// so the later runs of a straight-line program run it as native code.
// Every run is compared in lockstep and checked by body.
func (p *pair) repeat(n int, body func()) {
	p.t.Helper()
	var sa, sb rv64.State
	p.ref.Save(&sa)
	p.jh.Save(&sb)
	ma, mb := append([]byte(nil), p.ref.Mem.Data...), append([]byte(nil), p.jh.Mem.Data...)
	for i := 0; i < n; i++ {
		if i > 0 {
			p.log = append(p.log, fmt.Sprintf("run %d from the same state", i+1))
			for _, x := range []struct {
				h   *rv64.Hart
				s   *rv64.State
				mem []byte
			}{{p.ref, &sa, ma}, {p.jh, &sb, mb}} {
				copy(x.h.Mem.Data, x.mem)
				x.h.Invalidate(x.h.Mem.Base, x.h.Mem.Size())
				x.h.Restore(x.s)
			}
		}
		body()
		if p.t.Failed() {
			return
		}
	}
}

// TestSelfModifyingCode: a store rewrites an instruction that runs after
// it, in the same block, in another block of the same page, and in the
// successor block a direct jump leads to (in the next page); each
// iteration flips the instruction between "addi a3, a3, 1" and "addi a3,
// a3, 100", so ten iterations add 5*100 + 5*1. Run in chunks of every
// size, so that the blocks are translated, chained and entered anew at
// every point.
func TestSelfModifyingCode(t *testing.T) {
	one, hundred := addi(rA3, rA3, 1), addi(rA3, rA3, 100)
	const iters = 10
	cases := []struct {
		name   string
		code   []uint32
		extra  map[uint64][]byte // more code
		target uint64            // the rewritten word
		insns  uint64            // instructions per iteration
		total  uint64            // instructions in all, if not iters*insns
		end    uint64            // the final pc, if not the last word of code
	}{
		{"same block", []uint32{
			insR(0, rA2, rA1, 4, rA1, opOp), // xor a1, a1, a2
			sw(rA1, rS1, 12),                // the addi at +12
			insnNop,
			one,
			addi(rA4, rA4, -1),
			bne(rA4, 0, -20),
			jSelf,
		}, nil, codeAt + 12, 6, 0, 0},
		{"next instruction", []uint32{
			insR(0, rA2, rA1, 4, rA1, opOp),
			sw(rA1, rS1, 8), // the very next instruction
			one,
			addi(rA4, rA4, -1),
			bne(rA4, 0, -16),
			jSelf,
		}, nil, codeAt + 8, 5, 0, 0},
		{"same page", []uint32{
			insR(0, rA2, rA1, 4, rA1, opOp),
			sw(rA1, rS1, 0x400),
			jal(rRA, 0x400-8), // call codeAt+0x400
			addi(rA4, rA4, -1),
			bne(rA4, 0, -16),
			jSelf,
		}, map[uint64][]byte{codeAt + 0x400: words(one, jalr(0, rRA, 0))}, codeAt + 0x400, 7, 0, 0},
		{"chained successor in the next page", []uint32{
			insR(0, rA2, rA1, 4, rA1, opOp),
			sw(rA1, rT2, 0), // t2 = codeAt+0x1000
			jal(0, 0x1000-8),
		}, map[uint64][]byte{codeAt + 0x1000: words(
			one,
			addi(rA4, rA4, -1),
			beq(rA4, 0, 8),
			jal(0, -0x1000-12), // back to codeAt
			jSelf,
		)}, codeAt + 0x1000, 7, iters*7 - 1, codeAt + 0x1000 + 16},
		{"store from a page without code across into the code's page", []uint32{
			insR(0, rA2, rA1, 4, rA1, opOp),
			sd(rA1, rT3, -4), // t3 = codeAt+0x2000: bytes +0x1ffc..+0x2003, the high word the addi
			jal(0, 0x2000-8),
		}, map[uint64][]byte{codeAt + 0x2000: words(
			one,
			addi(rA4, rA4, -1),
			beq(rA4, 0, 8),
			jal(0, -0x2000-12),
			jSelf,
		)}, codeAt + 0x2000, 7, iters*7 - 1, codeAt + 0x2000 + 16},
		{"store from below the code across into its first page", []uint32{
			one, // rewritten
			insR(0, rA2, rA1, 4, rA1, opOp),
			sd(rA1, rS1, -4), // bytes codeAt-4..codeAt+3 (page 0 holds no code), the high word the addi
			addi(rA4, rA4, -1),
			bne(rA4, 0, -16),
			jSelf,
		}, nil, codeAt, 5, 0, 0},
		{"fence.i after the store", []uint32{
			insR(0, rA2, rA1, 4, rA1, opOp),
			sw(rA1, rS1, 12),
			insnFenceI,
			one,
			addi(rA4, rA4, -1),
			bne(rA4, 0, -20),
			jSelf,
		}, nil, codeAt + 12, 6, 0, 0},
	}
	for _, c := range cases {
		for _, chunk := range chunkSizes {
			forBothCodeChecks(t, fmt.Sprintf("%s/chunk%d", c.name, chunk), func(t *testing.T, hullMax uint64) {
				m := progMachine(c.code...)
				for a, b := range c.extra {
					m.code[a] = b
				}
				m.x[rS1], m.x[rT2], m.x[rT3] = codeAt, codeAt+0x1000, codeAt+0x2000
				m.x[rA1], m.x[rA2], m.x[rA4] = uint64(one), uint64(one^hundred), iters
				if strings.HasPrefix(c.name, "store from") {
					m.x[rA1], m.x[rA2] = uint64(one)<<32, uint64(one^hundred)<<32
				}
				p := newPair(t, m)
				p.eng.hullMax = hullMax
				total, end := c.total, c.end
				if total == 0 {
					total, end = iters*c.insns, codeAt+uint64(4*(len(c.code)-1))
				}
				p.runChunks(total, chunk)
				p.expectX(map[int]uint64{rA3: iters/2*100 + iters/2*1, rA4: 0})
				p.expectAt(end, total)
				b, _ := p.jh.Mem.Slice(c.target, 4)
				if w := binary.LittleEndian.Uint32(b); w != one {
					t.Errorf("rewritten word %#x, want %#x", w, one)
				}
			})
		}
	}
}

// forBothCodeChecks runs test as subtest name twice: with the engine's
// hullMax (the code's few pages: stores compare their address with the
// code's hull first) and with 0 (as for code spread out: every store
// looks into the code table).
func forBothCodeChecks(t *testing.T, name string, test func(t *testing.T, hullMax uint64)) {
	t.Run(name+"/hull", func(t *testing.T) { test(t, hullMax) })
	t.Run(name+"/table", func(t *testing.T) { test(t, 0) })
}

// TestStoreLastByteOfBlock: a one-byte store rewrites the last byte of a
// block, the top byte of "addi a3, a3, 1" at the end of a page (where a
// block ends), flipping its immediate between 1 and 0x61 = 97.
func TestStoreLastByteOfBlock(t *testing.T) {
	const iters = 10
	for _, chunk := range chunkSizes {
		forBothCodeChecks(t, fmt.Sprintf("chunk%d", chunk), func(t *testing.T, hullMax uint64) {
			m := progMachine(
				insR(0, rA2, rA1, 4, rA1, opOp), // xor a1, a1, a2
				sb(rA1, rT3, 0),                 // t3 = codeAt+0xfff
				jal(0, 0xffc-8),
			)
			m.code[codeAt+0xffc] = words(
				addi(rA3, rA3, 1), // the last instruction of its page
				addi(rA4, rA4, -1),
				beq(rA4, 0, 8),
				jal(0, -0x1008),
				jSelf,
			)
			m.x[rT3], m.x[rA1], m.x[rA2], m.x[rA4] = codeAt+0xfff, 0, 0x06, iters
			p := newPair(t, m)
			p.eng.hullMax = hullMax
			p.runChunks(iters*7-1, chunk)
			p.expectX(map[int]uint64{rA3: iters/2*97 + iters/2*1, rA4: 0})
			p.expectAt(codeAt+0x100c, iters*7-1)
		})
	}
}

// TestStoreRewritesItself: a store that rewrites its own word (to a store
// of t0 elsewhere) runs the new word the next time round; the block that
// holds it is the one running.
func TestStoreRewritesItself(t *testing.T) {
	for _, chunk := range chunkSizes {
		t.Run(fmt.Sprintf("chunk%d", chunk), func(t *testing.T) {
			m := progMachine(
				addi(rT0, rT0, 1),
				sw(rA1, rA2, 0), // -> sw t0, 0(a3)
				jal(0, -8),
			)
			m.x[rA1], m.x[rA2], m.x[rA3] = uint64(sw(rT0, rA3, 0)), codeAt+4, dataAt
			p := newPair(t, m)
			p.runChunks(30, chunk)
			b, _ := p.jh.Mem.Slice(dataAt, 4)
			// Ten iterations; the first stored the new word, the nine
			// others t0 (2..10) into dataAt.
			if got := binary.LittleEndian.Uint32(b); got != 10 {
				t.Errorf("stored %d, want 10", got)
			}
		})
	}
}

// TestMonitorWriteInvalidates: the monitor (the test) rewrites a
// translated instruction between runs and calls Invalidate: the next run
// executes the new word.
func TestMonitorWriteInvalidates(t *testing.T) {
	p := newPair(t, progMachine(addi(rA0, rA0, 1), jal(0, -4)))
	p.step(100)
	p.expectX(map[int]uint64{rA0: 50})
	p.both(func(h *rv64.Hart) {
		b, _ := h.Mem.Slice(codeAt, 4)
		binary.LittleEndian.PutUint32(b, addi(rA0, rA0, 3))
		h.Invalidate(codeAt, 4)
	})
	p.step(100)
	p.expectX(map[int]uint64{rA0: 50 + 50*3})
}

// TestBudgetInChainedLoop: after a three-instruction loop has run long
// enough to be translated and chained to itself, every budget from 1 to
// 40 (in one Run, and in Runs of 1) stops at exactly that instruction.
func TestBudgetInChainedLoop(t *testing.T) {
	loop := []uint32{addi(rA0, rA0, 1), add(rA1, rA1, rA0), jal(0, -8)}
	// state returns a0, a1 and pc after n instructions of the loop.
	state := func(n uint64) (a0, a1, pc uint64) {
		for i := uint64(0); i < n; i++ {
			switch i % 3 {
			case 0:
				a0++
			case 1:
				a1 += a0
			}
		}
		return a0, a1, codeAt + 4*(n%3)
	}
	p := budgetSweep(t, loop, 3000, func(p *pair, n uint64) {
		a0, a1, pc := state(n)
		p.expectX(map[int]uint64{rA0: a0, rA1: a1})
		p.expectAt(pc, n)
	})
	if p.loops() == 0 {
		t.Errorf("the loop was not translated as a loop, with its registers in host registers")
	}
}

// budgetSweep runs code warm instructions on a new pair (long enough for
// its blocks to be translated and chained), then b more for each b from 1
// to 40, in one step or one instruction at a time, and has check look at
// the pair after warm+b instructions. It returns the last pair.
func budgetSweep(t *testing.T, code []uint32, warm uint64, check func(p *pair, n uint64)) *pair {
	var p *pair
	for b := uint64(1); b <= 40; b++ {
		for _, single := range []bool{false, true} {
			p = newPair(t, progMachine(code...))
			p.step(warm)
			if single {
				p.runChunks(b, 1)
			} else {
				p.step(b)
			}
			check(p, warm+b)
		}
	}
	return p
}

// andi is "andi rd, rs1, imm".
func andi(rd, rs1 uint32, imm int64) uint32 { return insI(imm, rs1, 7, rd, opImm) }

// branchLoop is a loop whose block goes on past two forward branches,
// each taken on some iterations (a0's bits 0 and 1), so that the block
// leaves from its middle, from its end, or runs whole.
var branchLoop = []uint32{
	addi(rA0, rA0, 1),  // +0
	andi(rT1, rA0, 1),  // +4
	beq(rT1, 0, 8),     // +8: a0 even: to +16
	addi(rA1, rA1, 3),  // +12
	andi(rT1, rA0, 2),  // +16
	bne(rT1, 0, 8),     // +20: a0's bit 1 set: to +28
	addi(rA2, rA2, 5),  // +24
	add(rA3, rA3, rA0), // +28
	jal(0, -32),        // +32: to +0
}

// branchLoopState runs branchLoop's n first instructions by the ISA's
// rules: a0 to a3 and pc after them.
func branchLoopState(n uint64) (x [4]uint64, pc uint64) {
	off := uint64(0)
	for range n {
		a0, t1 := &x[0], uint64(0)
		switch off {
		case 0:
			*a0++
		case 8:
			if t1 = *a0 & 1; t1 == 0 {
				off = 16
				continue
			}
		case 12:
			x[1] += 3
		case 20:
			if t1 = *a0 & 2; t1 != 0 {
				off = 28
				continue
			}
		case 24:
			x[2] += 5
		case 28:
			x[3] += *a0
		case 32:
			off = 0
			continue
		}
		off += 4
	}
	return x, codeAt + off
}

// TestForwardBranchesMidBlock: a block goes on past a forward branch (not
// taken) and leaves from its middle when it is taken. Run from every
// point after a warm-up (the blocks translated and chained), with budgets
// of 1 to 40 instructions in one piece or one at a time, the loop's
// registers, pc and instret are the ISA's: the budget ends at the exact
// instruction in every part of the block, and a branch taken in its
// middle gives the budget of the instructions after it back.
func TestForwardBranchesMidBlock(t *testing.T) {
	p := budgetSweep(t, branchLoop, 3001, func(p *pair, n uint64) {
		x, pc := branchLoopState(n)
		p.expectX(map[int]uint64{rA0: x[0], rA1: x[1], rA2: x[2], rA3: x[3]})
		p.expectAt(pc, n)
	})
	// The loop is one block, from +0 through the jal: both branches
	// inside it.
	if b := p.eng.blocks[codeAt]; b == nil || b.code == 0 || len(b.guest) != 4*len(branchLoop) {
		t.Fatalf("the block at the loop's start is not the whole loop: %+v", b)
	}
	if p.loops() == 0 {
		t.Errorf("the loop was not translated as a loop, with its registers in host registers")
	}
}

// TestNDReadsAfterBranch: in replay mode (where reads run inline
// whatever the host), reads of cycle and time in the parts of a block
// after forward branches not taken check their entries' instruction
// counts and pcs, which the ISA gives: the right entries are taken; with
// one entry the second read exits with ND-empty at its pc, the
// instructions before it retired; an entry one instruction off is a
// divergence.
func TestNDReadsAfterBranch(t *testing.T) { chunksAndBases(t, testNDReadsAfterBranch) }

func testNDReadsAfterBranch(t *testing.T, chunk, base uint64) {
	codeAt := base - memBase + codeAt
	m := progMachineAt(base,
		addi(rT0, rT0, 1),    // +0
		bne(0, 0, 8),         // +4: never taken
		csrr(rA0, csr.Cycle), // +8, instret 2
		beq(rT0, 0, 8),       // +12: t0 is 1: not taken
		addi(rT0, rT0, 1),    // +16
		csrr(rA1, csr.Time),  // +20, instret 5
		addi(rT0, rT0, 1),    // +24
		jSelf,                // +28
	)
	m.ndMode, m.ndSize = ndbuf.Replay, 2
	first := ndbuf.Entry{Kind: ndbuf.KindCycle, Instret: 2, PC: codeAt + 8, Value: 0x1111}
	second := ndbuf.Entry{Kind: ndbuf.KindTime, Instret: 5, PC: codeAt + 20, Value: 0x2222}
	m.ndFill = []ndbuf.Entry{first}
	p := newPair(t, m)
	run := 0
	p.repeat(5, func() {
		run++
		before := p.eng.Stats().Interpreted
		stepToExit(t, p, chunk, rv64.Exit{Kind: rv64.ExitNDEmpty, Cause: rv64.CauseNDEmpty, PC: codeAt + 20})
		p.expectAt(codeAt+20, 5)
		p.expectX(map[int]uint64{rA0: 0x1111, rA1: 0, rT0: 2})
		// Translated (from the third run on) and given the budget for
		// it, the block takes the first entry inline: the interpreter
		// retires nothing (it is handed only the read that finds the
		// buffer empty, which does not retire).
		if n := p.eng.Stats().Interpreted - before; run >= 3 && chunk >= 100 && n != 0 {
			t.Errorf("run %d: the interpreter retired %d instructions up to the empty buffer, want 0", run, n)
		}

		off := second
		off.Instret--
		p.both(func(h *rv64.Hart) { h.ND.Fill([]ndbuf.Entry{off}) })
		expectExit(t, p.step(100), rv64.Exit{Kind: rv64.ExitDiverge, Tval: uint64(ndbuf.KindTime), PC: codeAt + 20})
		p.expectAt(codeAt+20, 5)

		p.both(func(h *rv64.Hart) { h.ND.Fill([]ndbuf.Entry{second}) })
		p.step(100)
		p.expectAt(codeAt+28, 105)
		p.expectX(map[int]uint64{rA1: 0x2222, rT0: 3})
	})
	if b := p.eng.blocks[codeAt]; b == nil || b.code == 0 || len(b.guest) != 32 {
		t.Errorf("the block at the program's start is not the whole program: %+v", b)
	}
}

// TestTrapMidBlock: a load from outside memory and an illegal word in the
// middle of a straight-line block: the instructions before them retire,
// those after do not; the trap's cause, tval and epc (M-mode: mcause,
// mtval, mepc and pc = mtvec; U-mode with traps as exits: the exit) are
// the ISA's.
func TestTrapMidBlock(t *testing.T) {
	const bad = 0x1234_0000_0000
	illegalWord := uint32(0xffffffff)
	for _, c := range []struct {
		name  string
		insn  uint32
		cause uint64
		tval  uint64
	}{
		{"load fault", ld(rA1, rT0, 8), rv64.CauseLoadAccess, bad + 8},
		{"store fault", sd(rA1, rT0, -8), rv64.CauseStoreAccess, bad - 8},
		{"illegal", illegalWord, rv64.CauseIllegal, uint64(illegalWord)},
		{"ecall", insnEcall, rv64.CauseEcallM, 0},
		{"ebreak", insnEbreak, rv64.CauseBreakpoint, codeAt + 12},
	} {
		code := []uint32{addi(rA0, rA0, 1), addi(rA0, rA0, 2), addi(rA0, rA0, 4), c.insn, addi(rA0, rA0, 8), jSelf}
		t.Run(c.name+"/M", func(t *testing.T) {
			m := progMachine(code...)
			m.x[rT0] = bad
			p := newPair(t, m)
			p.repeat(5, func() {
				p.step(100) // the trap, then "j ." at mtvec
				p.expectX(map[int]uint64{rA0: 7})
				if p.jh.PC != handlerAt || p.jh.Priv != csr.PrivM {
					t.Errorf("pc %#x priv %d, want mtvec %#x in M", p.jh.PC, p.jh.Priv, handlerAt)
				}
				for n, want := range map[uint16]uint64{csr.Mcause: c.cause, csr.Mtval: c.tval, csr.Mepc: codeAt + 12} {
					if got := p.jh.CSR.Get(n); got != want {
						t.Errorf("%s = %#x, want %#x", csr.Name(n), got, want)
					}
				}
			})
		})
		t.Run(c.name+"/U", func(t *testing.T) {
			m := progMachine(code...)
			m.priv, m.userExits = csr.PrivU, true
			m.x[rT0] = bad
			p := newPair(t, m)
			p.repeat(5, func() {
				e := p.step(100)
				want := rv64.Exit{Kind: rv64.ExitTrap, Cause: c.cause, Tval: c.tval, PC: codeAt + 12}
				if c.insn == insnEcall {
					want = rv64.Exit{Kind: rv64.ExitEcall, Cause: rv64.CauseEcallU, PC: codeAt + 12}
				}
				expectExit(t, rv64.Exit{Kind: e.Kind, Cause: e.Cause, Tval: e.Tval, PC: e.PC}, want)
				p.expectX(map[int]uint64{rA0: 7})
				p.expectAt(codeAt+12, 3)
			})
		})
	}
}

// TestJumpIntoBlockMiddle: a block run first from its start is then
// entered in its middle, by jal, by jalr, and in the middle of a 32-bit
// instruction whose upper half is a compressed instruction of its own
// (lui t0, 0x45150 holds c.li a0, 5).
func TestJumpIntoBlockMiddle(t *testing.T) {
	const luiT0 = 0x451502b7 // lui t0, 0x45150
	const cli = 0x4515       // c.li a0, 5
	if luiT0>>16 != cli || lui(rT0, 0x45150) != luiT0 {
		t.Fatal("the encodings of the test are wrong")
	}
	blk := uint64(codeAt + 0x100)
	// The block: a0 += 1, 2, 4, 8; then back to the caller in ra.
	block := words(addi(rA0, rA0, 1), addi(rA0, rA0, 2), addi(rA0, rA0, 4), addi(rA0, rA0, 8), jalr(0, rRA, 0))
	m := progMachine(
		jal(rRA, 0x100),      // the whole block: a0 = 15
		mvA0To(rS2),          // s2 = a0
		addi(rA0, 0, 0),      //
		jal(rRA, 0x100-12+8), // from its third instruction: a0 = 12
		mvA0To(rS3),
		addi(rA0, 0, 0),
		addi(rT1, 0, 0x100+12), // jalr to the fourth: a0 = 8
		add(rT1, rT1, rS1),
		jalr(rRA, rT1, 0),
		mvA0To(rS4),
		jal(rRA, 0x200-40), // the lui block from its start
		mvT0To(rS5),
		jal(rRA, 0x200-48+2), // into the lui's upper half: c.li a0, 5
		mvA0To(rS6),
		jSelf,
	)
	m.code[blk] = block
	m.code[codeAt+0x200] = words(luiT0, jalr(0, rRA, 0))
	m.x[rS1] = codeAt
	for _, chunk := range []uint64{1, 3, 1 << 20} {
		t.Run(fmt.Sprintf("chunk%d", chunk), func(t *testing.T) {
			p := newPair(t, m)
			p.repeat(5, func() {
				for i := 0; i < 80/int(chunk)+1; i++ {
					p.step(chunk)
				}
				p.expectX(map[int]uint64{rS2: 15, rS3: 12, rS4: 8, rS5: 0x45150000, rS6: 5})
				if p.jh.PC != codeAt+14*4 {
					t.Errorf("pc %#x, want the final j . at %#x", p.jh.PC, codeAt+14*4)
				}
			})
		})
	}
}

// Registers s2-s6 for the targeted tests.
const (
	rS2 = 18
	rS3 = 19
	rS4 = 20
	rS5 = 21
	rS6 = 22
)

func mvA0To(rd uint32) uint32 { return addi(rd, rA0, 0) }
func mvT0To(rd uint32) uint32 { return addi(rd, rT0, 0) }

// csrrwSeed is "csrrw rd, seed, zero".
func csrrwSeed(rd uint32) uint32 { return uint32(csr.Seed)<<20 | 1<<12 | rd<<7 | opSystem }

// ndProgram reads cycle, time, seed and cycle again, with other
// instructions in between, in one block.
var ndProgram = []uint32{
	addi(rT0, rT0, 1),
	csrr(rA0, csr.Cycle), // +4, instret 1
	addi(rT0, rT0, 1),
	csrr(rA1, csr.Time), // +12, instret 3
	addi(rT0, rT0, 1),
	csrrwSeed(rA2), // +20, instret 5
	addi(rT0, rT0, 1),
	csrr(rA3, csr.Cycle), // +28, instret 7
	addi(rT0, rT0, 1),
	jSelf,
}

// TestNDRecordFullMidBlock: in record mode with a buffer of two entries,
// the third read of the block exits with ND-full at its pc, not
// executed, with the instructions before it retired; the two entries
// hold the reads' kinds, counts, pcs and values. Drained, the run goes
// on and records the other two.
func TestNDRecordFullMidBlock(t *testing.T) { chunksAndBases(t, testNDRecordFullMidBlock) }

// chunksAndBases runs test with budgets (chunks) of 1, 4 and 100
// instructions, with the program at memBase and at highBase.
func chunksAndBases(t *testing.T, test func(t *testing.T, chunk, base uint64)) {
	for _, chunk := range []uint64{1, 4, 100} {
		for _, base := range []uint64{memBase, highBase} {
			t.Run(fmt.Sprintf("chunk%d/base%#x", chunk, base), func(t *testing.T) { test(t, chunk, base) })
		}
	}
}

// stepToExit steps p by chunk until it exits other than at the end of
// its budget (or 100 instructions have run), and checks that exit's kind,
// cause and pc against want.
func stepToExit(t *testing.T, p *pair, chunk uint64, want rv64.Exit) {
	t.Helper()
	var e rv64.Exit
	for e.Kind == rv64.ExitBudget && p.jh.Instret() < 100 {
		e = p.step(chunk)
	}
	expectExit(t, rv64.Exit{Kind: e.Kind, Cause: e.Cause, PC: e.PC}, want)
}

func testNDRecordFullMidBlock(t *testing.T, chunk, base uint64) {
	codeAt := base - memBase + codeAt
	m := progMachineAt(base, ndProgram...)
	m.ndMode, m.ndSize = ndbuf.Record, 2
	p := newPair(t, m)
	p.repeat(5, func() {
		stepToExit(t, p, chunk, rv64.Exit{Kind: rv64.ExitNDFull, Cause: rv64.CauseNDFull, PC: codeAt + 20})
		p.expectAt(codeAt+20, 5)
		p.expectX(map[int]uint64{rA0: hostCycle, rA1: hostTime, rA2: 0, rT0: 3})
		got := p.jh.ND.Drain(nil)
		p.ref.ND.Drain(nil)
		want := []ndbuf.Entry{
			{Kind: ndbuf.KindCycle, Instret: 1, PC: codeAt + 4, Value: hostCycle},
			{Kind: ndbuf.KindTime, Instret: 3, PC: codeAt + 12, Value: hostTime},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("entries %v, want %v", got, want)
		}
		p.step(100)
		p.expectAt(codeAt+36, 105)
		p.expectX(map[int]uint64{rA2: csr.SeedES16 | hostEntropy, rA3: hostCycle, rT0: 5})
		got = p.jh.ND.Drain(nil)
		want = []ndbuf.Entry{
			{Kind: ndbuf.KindSeed, Instret: 5, PC: codeAt + 20, Value: csr.SeedES16 | hostEntropy},
			{Kind: ndbuf.KindCycle, Instret: 7, PC: codeAt + 28, Value: hostCycle},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("entries %v, want %v", got, want)
		}
	})
}

// TestNDReplayEmptyMidBlock: in replay mode the reads take the buffer's
// values (not the host's); with two entries the third read exits with
// ND-empty at its pc, not executed; given an entry of another kind, pc or
// instruction count, it exits with a divergence (tval the kind it reads)
// and takes nothing; given the right one, it runs on.
func TestNDReplayEmptyMidBlock(t *testing.T) { chunksAndBases(t, testNDReplayEmptyMidBlock) }

func testNDReplayEmptyMidBlock(t *testing.T, chunk, base uint64) {
	codeAt := base - memBase + codeAt
	m := progMachineAt(base, ndProgram...)
	m.ndMode, m.ndSize = ndbuf.Replay, 2
	m.ndFill = []ndbuf.Entry{
		{Kind: ndbuf.KindCycle, Instret: 1, PC: codeAt + 4, Value: 0x1111},
		{Kind: ndbuf.KindTime, Instret: 3, PC: codeAt + 12, Value: 0x2222},
	}
	p := newPair(t, m)
	p.repeat(5, func() {
		stepToExit(t, p, chunk, rv64.Exit{Kind: rv64.ExitNDEmpty, Cause: rv64.CauseNDEmpty, PC: codeAt + 20})
		p.expectAt(codeAt+20, 5)
		p.expectX(map[int]uint64{rA0: 0x1111, rA1: 0x2222, rT0: 3})

		for _, wrong := range []ndbuf.Entry{
			{Kind: ndbuf.KindCycle, Instret: 5, PC: codeAt + 20, Value: 0x3333}, // another kind
			{Kind: ndbuf.KindSeed, Instret: 5, PC: codeAt + 24, Value: 0x3333},  // another pc
			{Kind: ndbuf.KindSeed, Instret: 4, PC: codeAt + 20, Value: 0x3333},  // another count
		} {
			p.both(func(h *rv64.Hart) { h.ND.Fill([]ndbuf.Entry{wrong}) })
			e := p.step(100)
			expectExit(t, e, rv64.Exit{Kind: rv64.ExitDiverge, Tval: uint64(ndbuf.KindSeed), PC: codeAt + 20})
			p.expectAt(codeAt+20, 5)
			p.expectX(map[int]uint64{rA2: 0})
		}

		right := []ndbuf.Entry{
			{Kind: ndbuf.KindSeed, Instret: 5, PC: codeAt + 20, Value: 0x3333},
			{Kind: ndbuf.KindCycle, Instret: 7, PC: codeAt + 28, Value: 0x4444},
		}
		p.both(func(h *rv64.Hart) { h.ND.Fill(right) })
		p.step(100)
		p.expectAt(codeAt+36, 105)
		p.expectX(map[int]uint64{rA2: 0x3333, rA3: 0x4444, rT0: 5})
	})
}

// TestNDNormalReads: with no record/replay unit, reads of cycle, mcycle,
// time, instret and minstret in a block give the host's values and the
// instruction count, after writes of mcycle and minstret set their
// offsets; in U-mode mcounteren decides, a denied read trapping as an
// illegal instruction.
func TestNDNormalReads(t *testing.T) {
	{
		cycle, tm := uint64(hostCycle), uint64(hostTime)
		{
			code := []uint32{
				csrr(rA0, csr.Cycle),    // 0: instret 0
				csrr(rA1, csr.Time),     // 1
				csrr(rA2, csr.Instret),  // 2: 2
				addi(rT0, 0, 1000),      // 3
				csrw(csr.Mcycle, rT0),   // 4: cycle reads 1000 from now on
				csrr(rA3, csr.Cycle),    // 5
				csrr(rA4, csr.Mcycle),   // 6
				csrw(csr.Minstret, rT0), // 7: minstret reads 1000 at the next instruction
				csrr(rA5, csr.Minstret), // 8
				csrr(rA6, csr.Instret),  // 9
				jSelf,
			}
			for _, chunk := range []uint64{1, 3, 100} {
				p := newPair(t, progMachine(code...))
				p.repeat(5, func() {
					for p.jh.Instret() < 30 {
						p.step(chunk)
					}
					p.expectX(map[int]uint64{rA0: cycle, rA1: tm, rA2: 2, rA3: 1000, rA4: 1000, rA5: 1000, rA6: 1001})
				})
			}
			// In U-mode: cycle allowed by mcounteren bit 0, time (bit 1) not.
			m := progMachine(csrr(rA0, csr.Cycle), csrr(rA1, csr.Time), jSelf)
			m.priv, m.userExits = csr.PrivU, true
			m.csrs[csr.Mcounteren] = 1
			p := newPair(t, m)
			p.repeat(5, func() {
				e := p.step(10)
				expectExit(t, e, rv64.Exit{Kind: rv64.ExitTrap, Cause: rv64.CauseIllegal, Tval: uint64(csrr(rA1, csr.Time)), PC: codeAt + 4})
				p.expectX(map[int]uint64{rA0: cycle})
			})
		}
	}
}

// TestNDClockReads: with the host's time-stamp counter as the clock
// (csr.DefaultHost where the kernel uses it), which the engine reads
// inline, reads of cycle and time fall between the clock's values read
// before and after the run, in order, and in record mode the entries hold
// the reads' kinds, counts, pcs and the values the registers got; with a
// buffer of two entries the third read exits with ND-full. mcycle is set
// first, so that cycle reads add an offset. The engine and the
// interpreter each run the program alone (their values cannot be equal).
func TestNDClockReads(t *testing.T) {
	host := csr.DefaultHost()
	if host.Clock == nil {
		t.Skip("the host's time-stamp counter is not its clock: the engine interprets these reads")
	}
	for _, engine := range []string{"interp", "jit"} {
		for _, c := range []struct {
			name string
			mode ndbuf.Mode
			size uint64
		}{{"normal", ndbuf.Normal, 0}, {"record", ndbuf.Record, 8}, {"record-full", ndbuf.Record, 2}} {
			for _, base := range []uint64{memBase, highBase} {
				t.Run(fmt.Sprintf("%s/%s/base%#x", engine, c.name, base), func(t *testing.T) {
					codeAt := base - memBase + codeAt
					m := progMachineAt(base, ndProgram...)
					m.host = &host
					m.ndMode, m.ndSize = c.mode, c.size
					m.csrs[csr.Mcycle] = 1 << 50
					h := m.build(t)
					defer h.Mem.Close()
					run := h.Run
					if engine == "jit" {
						e, err := New(h)
						if errors.Is(err, ErrUnsupported) {
							t.Skipf("no native-code engine here: %v", err)
						} else if err != nil {
							t.Fatal(err)
						}
						defer e.Close()
						e.hotAfter = 0 // translate at once: the reads under test are the translated ones
						run = e.Run
					}
					c0, t0 := h.CSR.Get(csr.Mcycle), h.CSR.Get(csr.Time)
					if c0 < 1<<50 {
						t.Fatalf("mcycle %#x after setting it to 1<<50", c0)
					}
					e := run(20)
					c1, t1 := h.CSR.Get(csr.Mcycle), h.CSR.Get(csr.Time)
					if c.size == 2 {
						expectExit(t, rv64.Exit{Kind: e.Kind, Cause: e.Cause, PC: e.PC}, rv64.Exit{Kind: rv64.ExitNDFull, Cause: rv64.CauseNDFull, PC: codeAt + 20})
						if h.PC != codeAt+20 || h.Instret() != 5 {
							t.Errorf("pc %#x instret %d, want %#x, 5", h.PC, h.Instret(), codeAt+20)
						}
						a0, a1 := h.X[rA0], h.X[rA1]
						if !(c0 <= a0 && a0 <= c1) || !(t0 <= a1 && a1 <= t1) {
							t.Errorf("cycle %d outside [%d, %d] or time %d outside [%d, %d]", a0, c0, c1, a1, t0, t1)
						}
						got := h.ND.Drain(nil)
						want := []ndbuf.Entry{
							{Kind: ndbuf.KindCycle, Instret: 1, PC: codeAt + 4, Value: a0},
							{Kind: ndbuf.KindTime, Instret: 3, PC: codeAt + 12, Value: a1},
						}
						if fmt.Sprint(got) != fmt.Sprint(want) {
							t.Errorf("entries %v, want %v", got, want)
						}
						return
					}
					expectExit(t, e, rv64.Exit{Kind: rv64.ExitBudget, PC: codeAt + 36})
					a0, a1, a2, a3 := h.X[rA0], h.X[rA1], h.X[rA2], h.X[rA3]
					if !(c0 <= a0 && a0 <= a3 && a3 <= c1) {
						t.Errorf("cycle reads %d, %d outside [%d, %d] or out of order", a0, a3, c0, c1)
					}
					if !(t0 <= a1 && a1 <= t1) {
						t.Errorf("time read %d outside [%d, %d]", a1, t0, t1)
					}
					if a2&^0xffff != csr.SeedES16 {
						t.Errorf("seed read %#x: not ES16 with 16 bits of entropy", a2)
					}
					if c.mode != ndbuf.Record {
						return
					}
					got := h.ND.Drain(nil)
					want := []ndbuf.Entry{
						{Kind: ndbuf.KindCycle, Instret: 1, PC: codeAt + 4, Value: a0},
						{Kind: ndbuf.KindTime, Instret: 3, PC: codeAt + 12, Value: a1},
						{Kind: ndbuf.KindSeed, Instret: 5, PC: codeAt + 20, Value: a2},
						{Kind: ndbuf.KindCycle, Instret: 7, PC: codeAt + 28, Value: a3},
					}
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("entries %v, want %v", got, want)
					}
				})
			}
		}
	}
}

// TestArithmeticEdges: division by zero and the signed overflow
// MinInt64/-1 (and their 32-bit forms), W shifts by amounts of 32 and
// more (only the low five bits count), and the high multiplies with
// negative operands, against Go's arithmetic and math/big.
func TestArithmeticEdges(t *testing.T) {
	minI64 := uint64(1) << 63
	neg1 := ^uint64(0)
	sext32 := func(v uint64) uint64 { return uint64(int64(int32(uint32(v)))) }
	mulh := func(a, b *big.Int) uint64 {
		p := new(big.Int).Mul(a, b)
		p.Rsh(p, 64)
		return new(big.Int).And(p, new(big.Int).SetUint64(neg1)).Uint64()
	}
	signed := func(v uint64) *big.Int { return big.NewInt(int64(v)) }
	unsigned := func(v uint64) *big.Int { return new(big.Int).SetUint64(v) }

	type op struct {
		name string
		insn uint32 // rd a0, rs1 a1, rs2 a2
		a, b uint64
		want uint64
	}
	const x = 0x1234_5678_9abc_def1
	negX := ^uint64(x) + 1
	dividend, divisor := int64(math.MaxInt64-6), int64(-7)
	divQuot := uint64(dividend / divisor)
	ops := []op{
		{"div by 0", mop(4, rA0, rA1, rA2, false), x, 0, neg1},
		{"divu by 0", mop(5, rA0, rA1, rA2, false), x, 0, neg1},
		{"rem by 0", mop(6, rA0, rA1, rA2, false), x, 0, x},
		{"remu by 0", mop(7, rA0, rA1, rA2, false), x, 0, x},
		{"divw by 0", mop(4, rA0, rA1, rA2, true), x, 0, neg1},
		{"divuw by 0", mop(5, rA0, rA1, rA2, true), x, 0, neg1},
		{"remw by 0", mop(6, rA0, rA1, rA2, true), x, 0, sext32(x)},
		{"remuw by 0", mop(7, rA0, rA1, rA2, true), x, 0, sext32(x)},
		{"div overflow", mop(4, rA0, rA1, rA2, false), minI64, neg1, minI64},
		{"rem overflow", mop(6, rA0, rA1, rA2, false), minI64, neg1, 0},
		{"divw overflow", mop(4, rA0, rA1, rA2, true), 1 << 31, neg1, sext32(1 << 31)},
		{"remw overflow", mop(6, rA0, rA1, rA2, true), 1 << 31, neg1, 0},
		{"div", mop(4, rA0, rA1, rA2, false), math.MaxInt64 - 6, ^uint64(6), divQuot},
		{"sllw by 33", insR(0, rA2, rA1, 1, rA0, opOp32), 0x8000_0001, 33, sext32(0x8000_0001 << 1)},
		{"srlw by 63", insR(0, rA2, rA1, 5, rA0, opOp32), 0x8000_0000, 63, 1},
		{"sraw by 32", insR(0x20, rA2, rA1, 5, rA0, opOp32), 0x8000_0000, 32, sext32(0x8000_0000)},
		{"sraw by 36", insR(0x20, rA2, rA1, 5, rA0, opOp32), 0x8000_0000, 36, sext32(0xf800_0000)},
		{"sll by 64+3", insR(0, rA2, rA1, 1, rA0, opOp), 1, 67, 8},
		{"slliw 31", insI(31, rA1, 1, rA0, opImm32), 3, 0, sext32(1 << 31)},
		{"sraiw 31", insI(0x400|31, rA1, 5, rA0, opImm32), 0x8000_0000, 0, neg1},
		{"mulhsu -1, max", mop(2, rA0, rA1, rA2, false), neg1, neg1, mulh(signed(neg1), unsigned(neg1))},
		{"mulhsu min, 3", mop(2, rA0, rA1, rA2, false), minI64, 3, mulh(signed(minI64), unsigned(3))},
		{"mulhsu x, -x", mop(2, rA0, rA1, rA2, false), x, negX, mulh(signed(x), unsigned(negX))},
		{"mulh min, min", mop(1, rA0, rA1, rA2, false), minI64, minI64, mulh(signed(minI64), signed(minI64))},
		{"mulh -1, x", mop(1, rA0, rA1, rA2, false), neg1, x, mulh(signed(neg1), signed(x))},
		{"mulhu max, max", mop(3, rA0, rA1, rA2, false), neg1, neg1, mulh(unsigned(neg1), unsigned(neg1))},
		{"mulw overflow", mop(0, rA0, rA1, rA2, true), 0x7fff_ffff, 2, sext32(0xffff_fffe)},
	}
	for _, o := range ops {
		t.Run(o.name, func(t *testing.T) {
			// The operation twice in a loop: once translated, once
			// more, with a budget ending before and after it.
			m := progMachine(o.insn, addi(rT0, rT0, 1), bne(rT0, rT1, -8), jSelf)
			m.x[rA1], m.x[rA2], m.x[rT1] = o.a, o.b, 2
			for _, chunk := range []uint64{1, 2, 100} {
				p := newPair(t, m)
				p.repeat(5, func() {
					p.runChunks(7, chunk)
					p.expectX(map[int]uint64{rA0: o.want})
					p.expectAt(codeAt+12, 6+1)
				})
			}
		})
	}
}

// TestMemoryEnd: loads and stores of the last bytes of memory work, and
// an access one byte past the end, or straddling it, faults with the
// access's address; a 32-bit instruction whose upper half lies past the
// end faults on fetch with tval the first address outside memory.
func TestMemoryEnd(t *testing.T) {
	for _, c := range []struct {
		name  string
		insn  uint32
		base  uint64
		cause uint64 // 0: no fault
		tval  uint64
	}{
		{"lbu last byte", lbu(rA0, rT0, 0), memEnd - 1, 0, 0},
		{"ld last doubleword", ld(rA0, rT0, 0), memEnd - 8, 0, 0},
		{"sd last doubleword", sd(rA1, rT0, 0), memEnd - 8, 0, 0},
		{"sb last byte", sb(rA1, rT0, 0), memEnd - 1, 0, 0},
		{"lbu one past", lbu(rA0, rT0, 0), memEnd, rv64.CauseLoadAccess, memEnd},
		{"ld straddling", ld(rA0, rT0, 0), memEnd - 4, rv64.CauseLoadAccess, memEnd - 4},
		{"sb one past", sb(rA1, rT0, 0), memEnd, rv64.CauseStoreAccess, memEnd},
		{"sw straddling", sw(rA1, rT0, 0), memEnd - 2, rv64.CauseStoreAccess, memEnd - 2},
		{"lw below memory", lw(rA0, rT0, -1), memBase, rv64.CauseLoadAccess, memBase - 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := progMachine(addi(rA2, rA2, 1), c.insn, addi(rA2, rA2, 1), jSelf)
			m.priv, m.userExits = csr.PrivU, true
			m.x[rT0], m.x[rA1] = c.base, 0x1122_3344_5566_7788
			m.prepare = func(h *rv64.Hart) {
				b := h.Mem.Data[len(h.Mem.Data)-8:]
				binary.LittleEndian.PutUint64(b, 0x9977_6655_4433_2211)
				h.Invalidate(memEnd-8, 8)
			}
			// A budget of the three instructions, and one that covers the
			// whole block (with "j ." after them).
			for _, budget := range []uint64{3, 20} {
				p := newPair(t, m)
				p.repeat(5, func() {
					e := p.step(budget)
					if c.cause != 0 {
						expectExit(t, e, rv64.Exit{Kind: rv64.ExitTrap, Cause: c.cause, Tval: c.tval, PC: codeAt + 4})
						p.expectAt(codeAt+4, 1)
						return
					}
					expectExit(t, e, rv64.Exit{Kind: rv64.ExitBudget, PC: codeAt + 12})
					p.expectAt(codeAt+12, budget)
					end := binary.LittleEndian.Uint64(p.jh.Mem.Data[len(p.jh.Mem.Data)-8:])
					switch c.name {
					case "lbu last byte":
						p.expectX(map[int]uint64{rA0: 0x99})
					case "ld last doubleword":
						p.expectX(map[int]uint64{rA0: 0x9977_6655_4433_2211})
					case "sd last doubleword":
						if end != 0x1122_3344_5566_7788 {
							t.Errorf("last doubleword %#x", end)
						}
					case "sb last byte":
						if end != 0x8877_6655_4433_2211 {
							t.Errorf("last doubleword %#x", end)
						}
					}
				})
			}
		})
	}
	t.Run("fetch straddling the end", func(t *testing.T) {
		m := progMachine(jalr(rRA, rT0, 0))
		m.priv, m.userExits = csr.PrivU, true
		m.x[rT0] = memEnd - 2
		m.prepare = func(h *rv64.Hart) { // the low half of an addi
			binary.LittleEndian.PutUint16(h.Mem.Data[len(h.Mem.Data)-2:], 0x0513)
			h.Invalidate(memEnd-2, 2)
		}
		p := newPair(t, m)
		p.repeat(5, func() {
			e := p.step(5)
			expectExit(t, e, rv64.Exit{Kind: rv64.ExitTrap, Cause: rv64.CauseFetchAccess, Tval: memEnd, PC: memEnd - 2})
			p.expectX(map[int]uint64{rRA: codeAt + 4})
			p.expectAt(memEnd-2, 1)
		})
	})
}

// TestJalrTargets: jalr clears bit 0 of its target (an odd target runs
// the instruction below it); a target outside memory faults on fetch at
// the target, after the jalr has retired and written its link.
func TestJalrTargets(t *testing.T) {
	t.Run("odd", func(t *testing.T) {
		m := progMachine(jalr(rRA, rT0, 1), addi(rA0, rA0, 1), addi(rA0, rA0, 2), jSelf)
		m.x[rT0] = codeAt + 8 // +1: odd, runs the addi at +8
		p := newPair(t, m)
		p.repeat(5, func() {
			p.step(3)
			p.expectX(map[int]uint64{rA0: 2, rRA: codeAt + 4})
			p.expectAt(codeAt+12, 3)
		})
	})
	t.Run("0 after a flush", func(t *testing.T) {
		// The indirect-jump table, filled and emptied again, sends
		// a jump to pc 0 (the pc of its empty entries but the first)
		// to the fault, not to code at address 0.
		m := progMachine(addi(rA0, rA0, 1), jalr(rRA, rT0, 0), jSelf)
		m.priv, m.userExits = csr.PrivU, true
		m.x[rT0] = codeAt
		p := newPair(t, m)
		p.eng.hotAfter = 0
		p.runChunks(200, 50)
		at := &p.eng.cc.lookup[(codeAt>>1)&(lookupLen-1)]
		if !p.eng.cc.filled || at.pc != codeAt {
			t.Fatalf("the jalr loop set no entry of the indirect-jump table (entry %#x)", *at)
		}
		if err := p.eng.flush(); err != nil {
			t.Fatal(err)
		}
		if p.eng.cc.filled || *at != (lookupEntry{}) || p.eng.cc.lookup[0].pc != 1 {
			t.Fatalf("the table after a flush: filled %v, entries %#x %#x", p.eng.cc.filled, p.eng.cc.lookup[0], *at)
		}
		p.runChunks(200, 50)
		p.both(func(h *rv64.Hart) { h.X[rT0] = 0 })
		e := p.step(10)
		expectExit(t, e, rv64.Exit{Kind: rv64.ExitTrap, Cause: rv64.CauseFetchAccess, Tval: 0, PC: 0})
	})
	for _, target := range []uint64{memEnd, memBase - 4, 0, 1 << 63} {
		t.Run(fmt.Sprintf("outside %#x", target), func(t *testing.T) {
			m := progMachine(addi(rA0, rA0, 1), jalr(rRA, rT0, 0), jSelf)
			m.priv, m.userExits = csr.PrivU, true
			m.x[rT0] = target
			p := newPair(t, m)
			p.repeat(5, func() {
				e := p.step(10)
				expectExit(t, e, rv64.Exit{Kind: rv64.ExitTrap, Cause: rv64.CauseFetchAccess, Tval: target, PC: target})
				p.expectX(map[int]uint64{rA0: 1, rRA: codeAt + 8})
				p.expectAt(target, 2)
			})
		})
	}
}
