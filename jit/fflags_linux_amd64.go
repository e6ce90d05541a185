//go:build linux && amd64

package jit

import (
	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/rv64"
)

// A CSR instruction on fflags in native code (frflags, fsflags and the
// other CSRRW, CSRRS and CSRRC forms, with a register or an immediate):
// libm's functions read the flags and write them back around conversions
// (glibc's floor, ceil, round, ...). While native code runs, fflags is
// the CSR file's value ORed with the flags in MXCSR, which Go adds to it
// when the code returns (accrueFlags): the instruction reads both; a
// write stores the new value in the CSR file and clears MXCSR's flags.
// Like an F or D instruction, it runs only while mstatus.FS is Dirty
// (fpGuard): FS Off makes it illegal, and a write makes FS Dirty.

// fflags emits the CSR instruction d on fflags at pc, the block's k-th.
func (t *xlate) fflags(pc uint64, k int, d rv64.Decoded) {
	t.fpGuard(pc, k)
	a := &t.a
	f3 := d.Insn.Funct3()
	op, uimm := f3&3, f3&4 != 0
	src := uint8(d.Insn.Rs1()) // a register, or the immediate
	write := op == csr.OpWrite || src != 0
	// rax = fflags: the CSR file's, and those MXCSR holds.
	a.stmxcsr(at(r13, offMxTmp))
	a.load(false, rax, at(r13, offMxTmp))
	a.aluRI(false, aluAND, rax, 0x3f)
	a.loadZX8(rax, atIdx(r13, rax, 1, offFlagTab))
	a.load(true, rdx, at(r13, offFflags))
	a.aluRM(true, aluOR, rax, at(rdx, 0))
	if write {
		// rcx = the value written.
		switch {
		case uimm && op == csr.OpWrite:
			a.movImm(rcx, uint64(src))
		case uimm && op == csr.OpSet:
			a.movRR(true, rcx, rax)
			a.aluRI(true, aluOR, rcx, int32(src))
		case uimm:
			a.movRR(true, rcx, rax)
			a.aluRI(true, aluAND, rcx, ^int32(src))
		case op == csr.OpWrite:
			a.movRR(true, rcx, t.get(src))
		default:
			s := t.get(src)
			a.movRR(true, rcx, rax)
			a.aluRR(true, aluOR, rcx, s)
			if op == csr.OpClear {
				a.aluRR(true, aluXOR, rcx, s) // (old | s) ^ s: old &^ s
			}
		}
		a.aluRI(true, aluAND, rcx, csr.FflagsMask)
		a.store(true, at(rdx, 0), rcx)
		a.aluMI(false, aluAND, at(r13, offMxTmp), ^int32(mxFlags|mxDE))
		a.ldmxcsr(at(r13, offMxTmp))
	}
	if d.Rd != 0 {
		t.putRAX(d.Rd, true)
	}
}
