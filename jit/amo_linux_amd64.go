//go:build linux && amd64

package jit

import (
	"unsafe"

	"github.com/rvsim/rvsim/rv64"
)

// The A extension in native code. An AMO is a load, the operation and a
// store, with the checks of a store (the interpreter's amo makes the same
// accesses). One hart sees its own accesses in order, so aq and rl ask
// for nothing more. A misaligned address (the store/AMO misaligned
// exception), one outside memory, one in a page with code or in the watch
// range (which holds the LR/SC reservation an AMO must break) is a side
// exit: the interpreter runs the instruction.
//
// LR and SC keep the reservation in ctx while native code runs (the engine
// copies the hart's in before, and hands it back with
// rv64.Hart.SetReservation after), and the watch range with it: an LR
// widens the range to hold the stores that may touch what it reserved, as
// the hart's setWatch does, and an SC narrows it back to what the rest of
// the range holds (tohost, watchpoints: rv64.Hart.FixedWatch). Where that
// part is empty (no tohost: a Linux program) and memory starts at 7 or
// above, as when the code was translated (the engine drops it when that
// changes), an LR sets the range to [a-7, a+n) and an SC empties it, with
// no look at the fixed part (plainRes). A block with an LR checks the
// range at every store, so a store after it in the same block breaks the
// reservation through the interpreter. A misaligned address or one outside
// memory is a side exit, as is an SC into a page with code or into the
// rest of the watch range, whether or not it would succeed.

// resCtx is the reservation and the fixed part of the watch range, in
// ctx.
type resCtx struct {
	addr, len uint64 // the reservation, as rv64.Hart.Reservation gives it
	fixLo     uint64 // FixedWatch's range: its first address,
	fixLen    uint64 // its length,
	fixHi     uint64 // and its end (fixLo+fixLen)
}

var offRes = int32(unsafe.Offsetof(ctx{}.res))

func resOff(o uintptr) int32 { return offRes + int32(o) }

var (
	offResAddr = resOff(unsafe.Offsetof(resCtx{}.addr))
	offResLen  = resOff(unsafe.Offsetof(resCtx{}.len))
	offFixLo   = resOff(unsafe.Offsetof(resCtx{}.fixLo))
	offFixLen  = resOff(unsafe.Offsetof(resCtx{}.fixLen))
	offFixHi   = resOff(unsafe.Offsetof(resCtx{}.fixHi))
)

// syncRes copies the hart's reservation and the fixed part of its watch
// range into ctx.
func (e *Engine) syncRes() {
	r := &e.c.res
	r.addr, r.len = e.h.Reservation()
	r.fixLo, r.fixLen = e.h.FixedWatch()
	r.fixHi = r.fixLo + r.fixLen
}

// leaveRes hands the reservation native code left back to the hart,
// which then sets its watch range, if it changed.
func (e *Engine) leaveRes() {
	r := &e.c.res
	if a, n := e.h.Reservation(); a != r.addr || n != r.len {
		e.h.SetReservation(r.addr, r.len)
	}
}

// fixedWatch reports whether the hart's watch range has a part beside the
// reservation's (rv64.Hart.FixedWatch): code translated while it had
// none is dropped when it has (sync).
func (e *Engine) fixedWatch() bool {
	_, n := e.h.FixedWatch()
	return n != 0
}

// isLR reports whether d is an LR.
func isLR(d rv64.Decoded) bool { return d.Op == rv64.OperLRW || d.Op == rv64.OperLRD }

// lr emits LR d at pc, the block's k-th: the checks, the reservation of
// the n bytes at X[rs1] with the watch range widened as the hart's
// setWatch widens it, then the load.
func (t *xlate) lr(pc uint64, k int, d rv64.Decoded) {
	a := &t.a
	n := 4
	if d.Op == rv64.OperLRD {
		n = 8
	}
	s1 := t.get(d.Rs1)
	a.testRI(false, s1, int32(n-1))
	t.sideExit(ccNE, pc, k) // the load misaligned exception
	t.address(d, n, pc, k)  // d.Imm is 0
	if t.plainRes() {
		a.lea(rax, at(rcx, -7))
		a.store(true, at(r13, offWatchLo), rax)
		a.storeImm(at(r13, offWatchLen), int32(n+7))
	} else {
		t.widenWatch(s1, n)
	}
	a.store(true, at(r13, offResAddr), s1)
	a.storeImm(at(r13, offResLen), int32(n))
	if d.Rd == 0 {
		return
	}
	m := atIdx(r14, rcx, 1, 0)
	if n == 8 {
		a.load(true, t.put(d.Rd), m)
	} else {
		a.loadSX32(t.put(d.Rd), m)
	}
}

// plainRes reports whether the block is translated for a watch range
// that is only the reservation's (the fixed part empty: no tohost) and
// memory that starts at 7 or above: an LR's watch range is then [a-7,
// a+n), and an SC's empty.
func (t *xlate) plainRes() bool { return !t.e.fixed && t.e.base >= 7 }

// widenWatch emits the watch range of an LR of n bytes at X[rs1] (in
// s1): the stores that may touch [a, a+n), [a-7, a+n) ([0, a+n) below
// 7), with the fixed part of the range if it is not empty.
func (t *xlate) widenWatch(s1 reg, n int) {
	a := &t.a
	a.movImm(rax, 0)
	a.lea(rdx, at(s1, -7))
	a.aluRI(true, aluCMP, s1, 7)
	a.cmov(true, ccB, rdx, rax)
	a.lea(rax, at(s1, int32(n)))
	a.aluMI(true, aluCMP, at(r13, offFixLen), 0)
	skip := a.jcc(ccE)
	a.aluRM(true, aluCMP, rdx, at(r13, offFixLo))
	a.cmovRM(true, ccA, rdx, at(r13, offFixLo))
	a.aluRM(true, aluCMP, rax, at(r13, offFixHi))
	a.cmovRM(true, ccB, rax, at(r13, offFixHi))
	a.bind(skip)
	a.aluRR(true, aluSUB, rax, rdx)
	a.store(true, at(r13, offWatchLen), rax)
	a.aluRM(true, aluSUB, rdx, at(r13, offBase))
	a.store(true, at(r13, offWatchLo), rdx)
}

// sc emits SC d at pc, the block's k-th: the checks, then the store and
// rd = 0 if the reservation holds the n bytes at X[rs1], else rd = 1; the
// reservation ends either way, and the watch range is its fixed part.
func (t *xlate) sc(pc uint64, k int, d rv64.Decoded) {
	a := &t.a
	n := 4
	if d.Op == rv64.OperSCD {
		n = 8
	}
	s1, s2 := t.get(d.Rs1), t.get(d.Rs2)
	a.testRI(false, s1, int32(n-1))
	t.sideExit(ccNE, pc, k) // the store/AMO misaligned exception
	t.address(d, n, pc, k)
	t.codeCheck(n, pc, k, true)
	plain := t.plainRes()
	if !plain {
		a.movRR(true, rax, s1)
		a.aluRM(true, aluSUB, rax, at(r13, offFixLo))
		a.aluRM(true, aluCMP, rax, at(r13, offFixLen))
		t.sideExit(ccB, pc, k) // tohost or a watchpoint
	}
	var rd reg
	if d.Rd != 0 {
		rd = t.put(d.Rd)
	}
	a.aluMI(true, aluCMP, at(r13, offResLen), int32(n))
	short := a.jcc(ccB) // none (length 0), or of fewer bytes
	a.aluRM(true, aluCMP, s1, at(r13, offResAddr))
	other := a.jcc(ccNE)
	a.store(n == 8, atIdx(r14, rcx, 1, 0), s2)
	if d.Rd != 0 {
		a.movImm(rd, 0)
	}
	done := a.jmp()
	a.bind(short)
	a.bind(other)
	if d.Rd != 0 {
		a.movImm(rd, 1)
	}
	a.bind(done)
	a.storeImm(at(r13, offResLen), 0)
	if plain {
		a.storeImm(at(r13, offWatchLen), 0)
		return
	}
	a.load(true, rax, at(r13, offFixLo))
	a.aluRM(true, aluSUB, rax, at(r13, offBase))
	a.store(true, at(r13, offWatchLo), rax)
	a.load(true, rax, at(r13, offFixLen))
	a.store(true, at(r13, offWatchLen), rax)
}

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
