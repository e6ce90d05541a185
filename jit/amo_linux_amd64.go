//go:build linux && amd64

package jit

import "github.com/rvsim/rvsim/rv64"

// The A extension's AMOs in native code: a load, the operation and a
// store, with the checks of a store (the interpreter's amo makes the same
// accesses). One hart sees its own accesses in order, so aq and rl ask
// for nothing more. A misaligned address (the store/AMO misaligned
// exception), one outside memory, one in a page with code or in the watch
// range (which holds the LR/SC reservation an AMO must break) is a side
// exit: the interpreter runs the instruction. LR and SC, which keep the
// reservation, are the interpreter's.

// isAMO reports whether o is an AMO.
func isAMO(o rv64.Operation) bool { return o >= rv64.OperAMOSWAPW && o <= rv64.OperAMOMAXUD }

// amo emits the AMO d at pc, the block's k-th.
func (t *xlate) amo(pc uint64, k int, d rv64.Decoded) {
	a := &t.a
	w := d.Op >= rv64.OperAMOSWAPD
	n := 4
	if w {
		n = 8
	}
	s1, s2 := t.get(d.Rs1), t.get(d.Rs2)
	a.testRI(false, s1, int32(n-1))
	t.sideExit(ccNE, pc, k)
	t.storeAddress(d, n, pc, k, true) // d.Imm is 0
	m := atIdx(r14, rcx, 1, 0)
	if w {
		a.load(true, rax, m)
	} else {
		a.loadSX32(rax, m)
	}
	// rdx = the value stored: the operation of the old value (rax) and
	// rs2, compared in 32 bits for the .W forms.
	op := d.Op
	if w {
		op -= rv64.OperAMOSWAPD - rv64.OperAMOSWAPW
	}
	switch op {
	case rv64.OperAMOSWAPW:
		a.movRR(true, rdx, s2)
	case rv64.OperAMOADDW:
		a.lea(rdx, atIdx(rax, s2, 1, 0))
	case rv64.OperAMOXORW, rv64.OperAMOANDW, rv64.OperAMOORW:
		a.movRR(true, rdx, rax)
		a.aluRR(true, [...]int{aluXOR, aluAND, aluOR}[op-rv64.OperAMOXORW], rdx, s2)
	default: // min, max, minu, maxu: rs2, or the old value where it wins
		a.movRR(true, rdx, s2)
		a.aluRR(w, aluCMP, rax, s2)
		a.cmov(true, [...]byte{ccL, ccG, ccB, ccA}[op-rv64.OperAMOMINW], rdx, rax)
	}
	a.store(w, m, rdx)
	if d.Rd != 0 {
		a.movRR(true, t.put(d.Rd), rax)
	}
}
