//go:build linux && amd64

package jit

import (
	"fmt"
	"testing"
)

// TestOperandAliasing: the register-register operations, and sext.w, with
// their destination the first source, the second, both, neither, and x0
// as either source, computed twice in a loop (so that the second time
// reads what the first wrote where they alias) and checked against the
// ISA's definitions worked out here; and li of the extreme immediates.
// The engine emits each case differently: into the destination at once,
// swapped for the commutative operations, through a negation for sub
// (and for neg), through a scratch register for the 32-bit forms.
func TestOperandAliasing(t *testing.T) {
	sext32 := func(v uint64) uint64 { return uint64(int64(int32(uint32(v)))) }
	ops := []struct {
		name   string
		f3, f7 uint32
		w      bool // the 32-bit (OP-32) form
		f      func(a, b uint64) uint64
	}{
		{"add", 0, 0, false, func(a, b uint64) uint64 { return a + b }},
		{"sub", 0, 0x20, false, func(a, b uint64) uint64 { return a - b }},
		{"xor", 4, 0, false, func(a, b uint64) uint64 { return a ^ b }},
		{"or", 6, 0, false, func(a, b uint64) uint64 { return a | b }},
		{"and", 7, 0, false, func(a, b uint64) uint64 { return a & b }},
		{"sll", 1, 0, false, func(a, b uint64) uint64 { return a << (b & 63) }},
		{"srl", 5, 0, false, func(a, b uint64) uint64 { return a >> (b & 63) }},
		{"sra", 5, 0x20, false, func(a, b uint64) uint64 { return uint64(int64(a) >> (b & 63)) }},
		{"mul", 0, 1, false, func(a, b uint64) uint64 { return a * b }},
		{"addw", 0, 0, true, func(a, b uint64) uint64 { return sext32(a + b) }},
		{"subw", 0, 0x20, true, func(a, b uint64) uint64 { return sext32(a - b) }},
		{"mulw", 0, 1, true, func(a, b uint64) uint64 { return sext32(a * b) }},
	}
	regs := []struct{ rd, rs1, rs2 uint32 }{
		{rA0, rA1, rA2}, // all different
		{rA1, rA1, rA2}, // rd = rs1
		{rA2, rA1, rA2}, // rd = rs2
		{rA1, rA1, rA1}, // all the same
		{rA2, 0, rA2},   // rs1 = x0, rd = rs2
		{rA1, rA1, 0},   // rs2 = x0, rd = rs1
		{rA0, 0, rA2},   // rs1 = x0
	}
	for _, o := range ops {
		for _, r := range regs {
			op := uint32(opOp)
			if o.w {
				op = opOp32
			}
			insn := insR(o.f7, r.rs2, r.rs1, o.f3, r.rd, op)
			t.Run(fmt.Sprintf("%s x%d,x%d,x%d", o.name, r.rd, r.rs1, r.rs2), func(t *testing.T) {
				x := aliasStart()
				for range 2 {
					x[r.rd] = o.f(x[r.rs1], x[r.rs2]) // x[0] is never set: zero
				}
				runAliasCase(t, insn, x)
			})
		}
	}
	for _, r := range regs[:4] { // sext.w is addiw rd, rs1, 0
		t.Run(fmt.Sprintf("sext.w x%d,x%d", r.rd, r.rs1), func(t *testing.T) {
			x := aliasStart()
			for range 2 {
				x[r.rd] = sext32(x[r.rs1])
			}
			runAliasCase(t, insI(0, r.rs1, 0, r.rd, opImm32), x)
		})
	}
	for _, imm := range []int64{-2048, -1, 0, 1, 2047} { // li is addi rd, x0, imm
		t.Run(fmt.Sprintf("li a1,%d", imm), func(t *testing.T) {
			x := aliasStart()
			x[rA1] = uint64(imm)
			runAliasCase(t, insI(imm, 0, 0, rA1, opImm), x)
		})
	}
}

// aliasA1 and aliasA2 are a1 and a2 before an aliasing case runs (a0 is
// zero); aliasA2's low six bits, a shift amount, are 39.
const aliasA1, aliasA2 = 0x8123_4567_89ab_cdef, 0x0fed_cba9_8765_4327

// aliasStart returns a0, a1 and a2 as an aliasing case starts.
func aliasStart() map[uint32]uint64 { return map[uint32]uint64{rA0: 0, rA1: aliasA1, rA2: aliasA2} }

// runAliasCase runs insn twice in a loop, from aliasStart's registers,
// and checks a0, a1 and a2 against want.
func runAliasCase(t *testing.T, insn uint32, want map[uint32]uint64) {
	t.Helper()
	m := progMachine(insn, addi(rT0, rT0, 1), bne(rT0, rT1, -8), jSelf)
	for r, v := range aliasStart() {
		m.x[r] = v
	}
	m.x[rT1] = 2
	for _, chunk := range []uint64{1, 2, 100} {
		p := newPair(t, m)
		p.repeat(5, func() {
			p.runChunks(7, chunk)
			p.expectX(map[int]uint64{rA0: want[rA0], rA1: want[rA1], rA2: want[rA2]})
			p.expectAt(codeAt+12, 7)
		})
	}
}

// TestBranchAgainstZero: each conditional branch with x0 as its second
// source, as its first, and as both, on a negative, a zero and a
// positive register, taken or not as the ISA says (signed and unsigned
// comparisons with zero), twice in a loop.
func TestBranchAgainstZero(t *testing.T) {
	branches := []struct {
		name string
		f3   uint32
		take func(a, b uint64) bool
	}{
		{"beq", 0, func(a, b uint64) bool { return a == b }},
		{"bne", 1, func(a, b uint64) bool { return a != b }},
		{"blt", 4, func(a, b uint64) bool { return int64(a) < int64(b) }},
		{"bge", 5, func(a, b uint64) bool { return int64(a) >= int64(b) }},
		{"bltu", 6, func(a, b uint64) bool { return a < b }},
		{"bgeu", 7, func(a, b uint64) bool { return a >= b }},
	}
	for _, br := range branches {
		for _, v := range []uint64{1 << 63, ^uint64(0), 0, 1, 1<<63 - 1} {
			for _, rs := range [][2]uint32{{rA1, 0}, {0, rA1}, {0, 0}} {
				t.Run(fmt.Sprintf("%s x%d,x%d a1=%#x", br.name, rs[0], rs[1], v), func(t *testing.T) {
					val := func(r uint32) uint64 {
						if r == 0 {
							return 0
						}
						return v
					}
					taken := br.take(val(rs[0]), val(rs[1]))
					// The branch skips "addi a3, a3, 1" when taken.
					m := progMachine(insB(8, rs[1], rs[0], br.f3), addi(rA3, rA3, 1),
						addi(rT0, rT0, 1), bne(rT0, rT1, -12), jSelf)
					m.x[rA1], m.x[rT1] = v, 2
					a3, per := uint64(2), uint64(4)
					if taken {
						a3, per = 0, 3
					}
					for _, chunk := range []uint64{1, 3, 100} {
						p := newPair(t, m)
						p.repeat(5, func() {
							p.runChunks(2*per+1, chunk)
							p.expectX(map[int]uint64{rA3: a3})
							p.expectAt(codeAt+16, 2*per+1)
						})
					}
				})
			}
		}
	}
}
