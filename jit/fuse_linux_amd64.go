//go:build linux && amd64

package jit

import "github.com/rvsim/rvsim/rv64"

// An indexed load: the address of an array element computed into the
// register the load then overwrites, as compilers emit a table lookup,
//
//	slli x, y, s   (s from 0 to 3; or no shift)
//	add  x, b, x   (or x, b: b is not x)
//	l*   x, imm(x)
//
// runs as one x86 load from [b + y<<s + imm]: the values x takes in
// between are never read, so the address costs no dependent additions. If
// the address is outside memory, the side exit has the interpreter run
// the two or three instructions from the first, which takes the fault
// with every register as it was.

// indexedLoad emits the indexed load that starts at ins[k], at pc, if it
// is one, and returns how many instructions it took (0 if none).
func (t *xlate) indexedLoad(pc uint64, k int, ins []rv64.Decoded) int {
	n, y, shift := 2, uint8(0), uint8(0)
	if ins[k].Op == rv64.OperSLLI {
		if ins[k].Imm > 3 {
			return 0
		}
		n, y, shift = 3, ins[k].Rs1, uint8(ins[k].Imm)
	}
	if k+n > len(ins) {
		return 0 // (no part of the budget starts in between: parts start after branches)
	}
	add, ld := ins[k+n-2], ins[k+n-1]
	x := ld.Rd
	if x == 0 || ld.Rs1 != x || add.Op != rv64.OperADD || add.Rd != x || !isLoad(ld.Op) {
		return 0
	}
	b := add.Rs1
	switch {
	case add.Rs2 == x && add.Rs1 != x:
	case add.Rs1 == x && add.Rs2 != x:
		b = add.Rs2
	default:
		return 0
	}
	if n == 3 {
		if ins[k].Rd != x {
			return 0
		}
	} else {
		y = x // the index is x itself, as the add found it
	}
	br, yr := t.get(b), t.get(y)
	t.offset(atIdx(br, yr, 1<<shift, 0), ld.Imm, width(ld.Op, ld.Insn))
	t.exits = append(t.exits, pending{fix: t.a.jcc(ccA), pc: pc, back: int64(t.end - k), count: uint64(n), dirty: t.dirtyRegs()})
	t.loadOp(ld, t.put(x))
	return n
}

// isLoad reports whether o is an integer load into a register other
// than x0.
func isLoad(o rv64.Operation) bool {
	switch o {
	case rv64.OperLB, rv64.OperLH, rv64.OperLW, rv64.OperLD, rv64.OperLBU, rv64.OperLHU, rv64.OperLWU:
		return true
	}
	return false
}
