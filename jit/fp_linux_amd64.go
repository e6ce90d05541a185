//go:build linux && amd64

package jit

import (
	"unsafe"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/rv64"
)

// The F and D extensions in native code, on SSE (and FMA3 for the fused
// multiply-adds, where the host has it). The results SSE computes are the
// ones IEEE 754 defines, as package softfloat's are: in each rounding
// mode x86 has, tininess detected after rounding, and the same five
// exception flags, invalid for a signalling operand or an invalid
// operation. A NaN result is RISC-V's canonical NaN where x86 keeps the
// first NaN operand or gives its own default NaN: the code writes the
// canonical one instead (fpResult). FMIN and FMAX of a NaN give the other
// operand (x86's give the second). The code runs with MXCSR rounding as
// frm says (syncFrm), and switches it around an instruction with a static
// rounding mode (roundAs). What else differs is left to the interpreter,
// with a side exit:
//
//   - a NaN result of a fused multiply-add with a NaN addend: RISC-V
//     raises invalid for infinity times zero plus a quiet NaN, x86 does
//     not;
//   - a single operand not NaN-boxed (it reads as the canonical NaN);
//   - a conversion to an unsigned integer of a NaN, a negative value (but
//     one above -1 towards zero or up) or one too large, and from one of
//     2^63 or more (checked before the conversion); a conversion to a
//     signed integer saturates as RISC-V does (saturate);
//   - mstatus.FS not Dirty (Off makes the instruction illegal; Initial or
//     Clean must become Dirty), or, for an instruction that rounds as frm
//     says, frm to nearest with ties away from zero (rmRMM, which x86
//     has not) or reserved: fpGuard checks both once per block, at its
//     first F or D instruction (nothing native code runs changes them).
//
// The exception flags accrue in MXCSR while the code runs (enter clears
// them first), and Go adds them to fflags when the code returns
// (accrueFlags); a CSR instruction on fflags reads and writes them there
// (fflags_linux_amd64.go). FCLASS, which x86 has no instruction for,
// looks at the bits. The static mode rmRMM ends the block for
// arithmetic, which the interpreter then runs; conversions into integers
// round in it with SSE4.1, those from integers convert in it only values
// they hold exactly.

// fpCtx is the part of ctx that F and D instructions read.
type fpCtx struct {
	mstatus  uintptr           // the CSR file's storage of mstatus
	frm      uintptr           // and of frm
	fflags   uintptr           // and of fflags
	mxTmp    uint32            // MXCSR, stored and loaded by a CSR instruction on fflags or a static rounding mode
	mxSave   uint32            // MXCSR before an instruction with a static rounding mode (roundAs)
	mxStatic [rmRUP + 1]uint32 // by rm, MXCSR for an instruction with that static rounding mode (roundAs)
	flagTab  [64]byte          // the fflags of MXCSR's six exception flags (fflagsOf)
}

var (
	offMstatus = int32(unsafe.Offsetof(ctx{}.fp) + unsafe.Offsetof(fpCtx{}.mstatus))
	offFrm     = int32(unsafe.Offsetof(ctx{}.fp) + unsafe.Offsetof(fpCtx{}.frm))
	offFflags  = int32(unsafe.Offsetof(ctx{}.fp) + unsafe.Offsetof(fpCtx{}.fflags))
	offMxTmp   = int32(unsafe.Offsetof(ctx{}.fp) + unsafe.Offsetof(fpCtx{}.mxTmp))
	offMxSave  = int32(unsafe.Offsetof(ctx{}.fp) + unsafe.Offsetof(fpCtx{}.mxSave))
	offMxStat  = int32(unsafe.Offsetof(ctx{}.fp) + unsafe.Offsetof(fpCtx{}.mxStatic))
	offFlagTab = int32(unsafe.Offsetof(ctx{}.fp) + unsafe.Offsetof(fpCtx{}.flagTab))
	// offF is where the f registers are, from the x registers' R15.
	offF = int32(unsafe.Offsetof(rv64.Hart{}.F) - unsafe.Offsetof(rv64.Hart{}.X))
)

// fmem is f register f; fmemHi its upper 32 bits, all ones when it holds
// a NaN-boxed single.
func fmem(f uint8) mem   { return at(r15, offF+int32(f&31)*8) }
func fmemHi(f uint8) mem { return at(r15, offF+int32(f&31)*8+4) }

// syncFP fills the F and D instructions' part of ctx.
func (e *Engine) syncFP() {
	f := e.h.CSR
	e.c.fp.mstatus = uintptr(unsafe.Pointer(f.Addr(csr.Mstatus)))
	e.c.fp.frm = uintptr(unsafe.Pointer(f.Addr(csr.Frm)))
	e.c.fp.fflags = uintptr(unsafe.Pointer(f.Addr(csr.Fflags)))
}

// newFlagTab returns fpCtx.flagTab: the fflags of each combination of
// MXCSR's six exception flags.
func newFlagTab() (tab [64]byte) {
	for m := range tab {
		tab[m] = fflagsOf(uint32(m))
	}
	return tab
}

// MXCSR's exception flags (Intel SDM volume 1, 10.2.3); DE, a denormal
// operand, has no RISC-V flag and is left out.
const (
	mxIE    = 1 << 0 // invalid operation: NV
	mxDE    = 1 << 1 // denormal operand: no RISC-V flag
	mxZE    = 1 << 2 // divide by zero: DZ
	mxOE    = 1 << 3 // overflow: OF
	mxUE    = 1 << 4 // underflow: UF
	mxPE    = 1 << 5 // precision (inexact): NX
	mxFlags = mxIE | mxZE | mxOE | mxUE | mxPE
)

// fflags bits (unprivileged specification, figure 11.2).
const (
	flagNX = 1 << iota
	flagUF
	flagOF
	flagDZ
	flagNV
)

// fflagsOf returns the fflags of MXCSR's exception flags m.
func fflagsOf(m uint32) uint8 {
	var f uint8
	if m&mxIE != 0 {
		f |= flagNV
	}
	if m&mxZE != 0 {
		f |= flagDZ
	}
	if m&mxOE != 0 {
		f |= flagOF
	}
	if m&mxUE != 0 {
		f |= flagUF
	}
	if m&mxPE != 0 {
		f |= flagNX
	}
	return f
}

// accrueFlags adds the exception flags the code raised to fflags. The
// code ran F and D instructions only with mstatus.FS Dirty already.
func (e *Engine) accrueFlags() {
	if m := e.c.mxcsr & mxFlags; m != 0 {
		e.h.CSR.FPWrote(fflagsOf(m))
	}
}

// hasFMA reports whether the host has the FMA3 instructions, and the
// operating system the AVX state their VEX encoding needs.
func hasFMA() bool { return hasCPUFlag("fma") && hasCPUFlag("avx") }

// hasSSE41 reports whether the host has SSE4.1 (roundsd and roundss).
func hasSSE41() bool { return hasCPUFlag("sse4_1") }

// Rounding modes of the rm field (unprivileged specification, table 11.1).
const (
	rmRNE = 0
	rmRTZ = 1
	rmRDN = 2
	rmRUP = 3
	rmRMM = 4
	rmDyn = 7
)

// mxRound is the value in MXCSR's rounding control field (bits 14:13,
// Intel SDM volume 1, 10.2.3.3) of each rounding mode x86 has, by rm: to
// nearest even 0, down 1, up 2, towards zero 3. x86 has no rounding to
// nearest with ties away from zero (rmRMM).
var mxRound = [...]uint32{rmRNE: 0, rmRTZ: 3 << 13, rmRDN: 1 << 13, rmRUP: 2 << 13}

// mxDefault is MXCSR with every exception masked, no flag set and
// rounding to nearest even: Go's, and the code's while frm is not one of
// x86's modes (a block that rounds as frm says then leaves at fpGuard).
const mxDefault = 0x1f80

// syncFrm sets the MXCSR the code runs with: its rounding control is
// frm's, for the instructions that round as frm says. Only the
// interpreter writes frm (CSR instructions on frm and fcsr end native
// code), so it holds while the code runs.
func (e *Engine) syncFrm() {
	e.c.mxIn = mxDefault
	if frm := e.h.CSR.Raw(csr.Frm); frm <= rmRUP {
		e.c.mxIn = e.c.fp.mxStatic[frm]
	}
}

// x86Rounds reports whether the rounding mode field rm names a mode x86
// rounds in: a static one other than rmRMM, or frm's (fpGuard leaves the
// block while frm is another).
func x86Rounds(rm uint32) bool { return rm <= rmRUP || rm == rmDyn }

// roundAs emits, before an instruction that rounds as the field rm
// says, MXCSR's switch to static mode rm (which x86Rounds): MXCSR saved,
// then ctx's mxStatic[rm] loaded, with no flag set. It returns the
// function that emits the switch back, to be called right after that
// instruction: the MXCSR saved with the flags the instruction raised
// added. For rmDyn it emits nothing: MXCSR already rounds as frm says.
// The switch back uses RDX.
func (t *xlate) roundAs(rm uint32) (back func()) {
	if rm == rmDyn {
		return func() {}
	}
	a := &t.a
	a.stmxcsr(at(r13, offMxSave))
	a.ldmxcsr(at(r13, offMxStat+4*int32(rm)))
	return func() {
		a.stmxcsr(at(r13, offMxTmp))
		a.load(false, rdx, at(r13, offMxTmp))
		a.aluRI(false, aluAND, rdx, mxFlags|mxDE)
		a.aluRM(false, aluOR, rdx, at(r13, offMxSave))
		a.store(false, at(r13, offMxTmp), rdx)
		a.ldmxcsr(at(r13, offMxTmp))
	}
}

// newMxStatic returns fpCtx.mxStatic.
func newMxStatic() (m [rmRUP + 1]uint32) {
	for rm := range m {
		m[rm] = mxDefault | mxRound[rm]
	}
	return m
}

// fpTranslatable reports whether the engine translates the F or D
// instruction d.
func (e *Engine) fpTranslatable(d rv64.Decoded) bool {
	if d.Op != rv64.OperFP {
		return true // FLW, FLD, FSW, FSD
	}
	rm := d.Insn.Funct3()
	switch d.FP {
	case rv64.FAddS, rv64.FSubS, rv64.FMulS, rv64.FDivS, rv64.FSqrtS,
		rv64.FAddD, rv64.FSubD, rv64.FMulD, rv64.FDivD, rv64.FSqrtD, rv64.FCvtSD:
		return x86Rounds(rm)
	case rv64.FMaddS, rv64.FMsubS, rv64.FNmsubS, rv64.FNmaddS,
		rv64.FMaddD, rv64.FMsubD, rv64.FNmsubD, rv64.FNmaddD:
		return x86Rounds(rm) && e.fma
	case rv64.FCvtWS, rv64.FCvtLS, rv64.FCvtWD, rv64.FCvtLD,
		rv64.FCvtWUS, rv64.FCvtLUS, rv64.FCvtWUD, rv64.FCvtLUD:
		return x86Rounds(rm) || e.sse41 && rm == rmRMM
	case rv64.FCvtSW, rv64.FCvtSWU, rv64.FCvtSL, rv64.FCvtSLU, rv64.FCvtDL, rv64.FCvtDLU:
		return rm <= rmRMM || rm == rmDyn // rmRMM: exact values only
	case rv64.FCvtDW, rv64.FCvtDWU, rv64.FCvtDS, // exact: any rounding mode
		rv64.FSgnjS, rv64.FSgnjnS, rv64.FSgnjxS, rv64.FEqS, rv64.FLtS, rv64.FLeS, rv64.FMvXW, rv64.FMvWX,
		rv64.FSgnjD, rv64.FSgnjnD, rv64.FSgnjxD, rv64.FEqD, rv64.FLtD, rv64.FLeD, rv64.FMvXD, rv64.FMvDX,
		rv64.FMinS, rv64.FMaxS, rv64.FMinD, rv64.FMaxD, rv64.FClassS, rv64.FClassD:
		return true
	}
	return false
}

// fclass emits FCLASS d, of a double (w) or a single: rd = one bit, by
// the class of the value (unprivileged specification, table 11.5): for
// a number, bit 7 - c if negative and bit c if not, where c is 4 for a
// zero, 5 for a subnormal, 6 for a normal number and 7 for an infinity;
// bit 8 for a signalling NaN and 9 for a quiet one. The class comes from
// the magnitude's bits (rdx: the value shifted left by one, the sign out).
func (t *xlate) fclass(w bool, d rv64.Decoded) {
	a := &t.a
	inf, normal, quiet := uint64(0xff<<24), uint64(1<<24), uint8(22)
	if w {
		inf, normal, quiet = 0x7ff<<53, 1<<53, 51
	}
	a.load(w, rax, fmem(d.Rs1))
	a.movRR(w, rdx, rax)
	a.shiftI(w, shSHL, rdx, 1)
	a.movImm(rcx, inf)
	a.aluRR(w, aluCMP, rdx, rcx)
	nan := a.jcc(ccA)
	a.movImm(rcx, 7) // an infinity (mov leaves the flags)
	isInf := a.jcc(ccE)
	a.movImm(rcx, normal)
	a.aluRR(w, aluCMP, rdx, rcx)
	a.movImm(rcx, 6)
	isNormal := a.jcc(ccAE)
	a.movImm(rcx, 5)
	a.test(w, rdx, rdx)
	isSub := a.jcc(ccNE)
	a.movImm(rcx, 4) // a zero
	a.bind(isInf)
	a.bind(isNormal)
	a.bind(isSub)
	a.test(w, rax, rax)
	positive := a.jcc(ccNS)
	a.neg(false, rcx)
	a.aluRI(false, aluADD, rcx, 7)
	a.bind(positive)
	done := a.jmp()
	a.bind(nan)
	a.shiftI(w, shSHR, rax, quiet)
	a.aluRI(false, aluAND, rax, 1)
	a.lea(rcx, at(rax, 8))
	a.bind(done)
	if d.Rd != 0 {
		a.movImm(rax, 1)
		a.shiftCL(false, shSHL, rax)
		t.putRAX(d.Rd, true)
	}
}

// directed reports whether rm is a static rounding mode the conversions
// into integers make with SSE4.1's rounds: down, up, or to nearest with
// ties away from zero.
func directed(rm uint32) bool { return rm == rmRDN || rm == rmRUP || rm == rmRMM }

// roundInt emits xmm0 = f register fs rounded to an integer as rm says
// (directed), raising no flag but invalid for a signalling NaN (or, with
// rmRMM, for an infinity, which is out of every integer's range anyway).
// To nearest with ties away from zero is the value truncated, then taken
// one further from zero if the part cut off (exact) is a half or more.
func (t *xlate) roundInt(pfx byte, fs uint8, rm uint32) {
	a := &t.a
	switch rm {
	case rmRDN:
		a.rounds(pfx, xmm0, fmem(fs), roundDown|roundNoPrecE)
		return
	case rmRUP:
		a.rounds(pfx, xmm0, fmem(fs), roundUp|roundNoPrecE)
		return
	}
	w := pfx == pfxSD
	half, one := uint64(0x3f000000), uint64(0x3f800000)
	sign := uint8(31)
	if w {
		half, one, sign = 0x3fe0000000000000, 0x3ff0000000000000, 63
	}
	a.rounds(pfx, xmm0, fmem(fs), roundTrunc|roundNoPrecE)
	a.movsLoad(pfx, xmm1, fmem(fs))
	a.arithR(pfx, sseSUB, xmm1, xmm0)
	a.movFromX(w, rax, xmm1)
	a.shiftI(w, shSHL, rax, 1) // |the part cut off|, shifted left
	a.movImm(rdx, half<<1)
	a.aluRR(w, aluCMP, rax, rdx)
	less := a.jcc(ccB)
	a.load(w, rax, fmem(fs))
	a.shiftI(w, shSHR, rax, sign)
	a.shiftI(w, shSHL, rax, sign) // the sign of fs
	a.movImm(rdx, one)
	a.aluRR(w, aluOR, rax, rdx)
	a.movToX(w, xmm1, rax)
	a.arithR(pfx, sseADD, xmm0, xmm1) // exact: below 2^53 or 2^24
	a.bind(less)
}

// viaRoundInt reports whether toInt rounds to an integer with roundInt
// before it converts, in rounding mode rm: in a directed mode, on a host
// with SSE4.1. The conversion then raises no inexact flag; inexact
// raises it.
func (t *xlate) viaRoundInt(rm uint32) bool { return t.e.sse41 && directed(rm) }

// toInt emits rax = f register fs converted to a signed integer of 64
// (w) or 32 bits, rounded as rm says: with roundInt first (viaRoundInt),
// towards zero, as frm says (by MXCSR), or in another static mode by
// MXCSR switched to it (roundAs). Out of range or NaN gives x86's
// integer indefinite.
func (t *xlate) toInt(pfx byte, w bool, fs uint8, rm uint32) {
	switch {
	case t.viaRoundInt(rm):
		t.roundInt(pfx, fs, rm)
		t.a.cvtts2siR(pfx, w, rax, xmm0) // exact
	case rm == rmRTZ || rm == rmDyn:
		t.a.cvts2si(pfx, w, rm == rmRTZ, rax, fmem(fs))
	default:
		back := t.roundAs(rm)
		t.a.cvts2si(pfx, w, false, rax, fmem(fs))
		back()
	}
}

// saturate emits, after toInt gave x86's integer indefinite (the lowest
// integer) in rax, RISC-V's result: the greatest integer for a NaN or a
// positive value, the lowest for a negative one (unprivileged
// specification, table 11.4). The flags are x86's: invalid for a NaN or a
// value out of range, as RISC-V raises, and none (but inexact from the
// conversion) for a value that rounds to the lowest integer itself, which
// roundInt's path (viaRoundInt) still has to raise.
func (t *xlate) saturate(pfx byte, w bool, fs uint8, rm uint32) {
	a := &t.a
	single, cmpPfx := pfx == pfxSS, byte(pfxPD)
	if single {
		cmpPfx = 0
	}
	a.movsLoad(pfx, xmm1, fmem(fs))
	a.ucomis(cmpPfx, xmm1, xmm1)
	nan := a.jcc(ccP)
	a.load(!single, rdx, fmem(fs))
	a.test(!single, rdx, rdx)
	negative := a.jcc(ccS)
	a.bind(nan)
	greatest := uint64(1<<31 - 1)
	if w {
		greatest = 1<<63 - 1
	}
	a.movImm(rax, greatest)
	done := a.jmp()
	a.bind(negative)
	if t.viaRoundInt(rm) {
		// xmm0 holds the value roundInt rounded: the lowest integer
		// exactly, or below it (out of range).
		lowest := uint64(0xc1e0000000000000) // -2^31, a double
		switch {
		case single && w:
			lowest = 0xdf000000 // -2^63
		case single:
			lowest = 0xcf000000
		case w:
			lowest = 0xc3e0000000000000
		}
		a.movImm(rdx, lowest)
		a.movToX(!single, xmm1, rdx)
		a.ucomis(cmpPfx, xmm0, xmm1)
		below := a.jcc(ccNE)
		t.inexact(pfx, fs)
		a.bind(below)
	}
	a.bind(done)
}

// inexact emits the conversion of f register fs, whose value rounds into
// the 64-bit integers, to an integer, for its flag alone: inexact if fs
// is not an integer (what a conversion in a directed rounding mode
// raises, roundInt having raised none).
func (t *xlate) inexact(pfx byte, fs uint8) {
	t.a.cvts2si(pfx, true, false, rdx, fmem(fs))
}

// usesFrm reports whether d rounds as frm says (a reserved frm makes it
// illegal).
func usesFrm(d rv64.Decoded) bool {
	return d.Op == rv64.OperFP && d.FP < rv64.FPNoRM && d.Insn.Funct3() == rmDyn
}

// fpGuard emits, at the block's first F or D instruction (the k-th, at
// pc), the side exit taken unless mstatus.FS is Dirty and, if the block
// has an instruction that rounds as frm says, frm is a mode x86 rounds
// in (syncFrm set MXCSR to it): not rmRMM, nor a reserved one. Nothing
// the block's code does changes either, and its code runs in order (a
// branch taken leaves it), so checking them once is checking them at
// each instruction.
func (t *xlate) fpGuard(pc uint64, k int) {
	if t.fpGuarded {
		return
	}
	t.fpGuarded = true
	a := &t.a
	a.load(true, rax, at(r13, offMstatus))
	a.load(false, rax, at(rax, 0))
	a.aluRI(false, aluAND, rax, int32(csr.MstatusFS))
	a.aluRI(false, aluCMP, rax, int32(csr.FSDirty))
	t.sideExit(ccNE, pc, k)
	if t.fpFrm {
		a.load(true, rax, at(r13, offFrm))
		a.aluMI(true, aluCMP, at(rax, 0), rmRUP)
		t.sideExit(ccA, pc, k)
	}
}

// boxed emits the side exit taken if an f register in fs does not hold a
// NaN-boxed single.
func (t *xlate) boxed(pc uint64, k int, fs ...uint8) {
	for i, f := range fs {
		if i > 0 && fs[i-1] == f {
			continue
		}
		t.a.aluMI(false, aluCMP, fmemHi(f), -1)
		t.sideExit(ccNE, pc, k)
	}
}

// fpResult emits the write of the scalar result in xmm register x to f
// register rd (NaN-boxed if single), a NaN replaced by the canonical NaN
// (x86 keeps a quiet NaN operand's payload, RISC-V never does; the flags
// are the same).
func (t *xlate) fpResult(single bool, x reg, rd uint8) {
	a := &t.a
	cmpPfx := byte(pfxPD)
	if single {
		cmpPfx = 0
	}
	a.ucomis(cmpPfx, x, x)
	number := a.jcc(ccNP)
	t.canonicalNaN(single, x)
	a.bind(number)
	t.fpWrite(single, x, rd)
}

// canonicalNaN emits x = RISC-V's canonical NaN, single or double.
func (t *xlate) canonicalNaN(single bool, x reg) {
	canon := uint64(0x7ff8000000000000)
	if single {
		canon = 0x7fc00000
	}
	t.a.movImm(rax, canon)
	t.a.movToX(!single, x, rax)
}

// fpSingle reports whether o operates on singles (its sources, for a
// conversion from a float; its result, for one from an integer).
func fpSingle(o rv64.FPOp) bool {
	switch o {
	case rv64.FCvtSD:
		return false
	case rv64.FCvtDS:
		return true
	}
	return o < rv64.FAddD || o >= rv64.FSgnjS && o < rv64.FSgnjD
}

// nth returns the place of o, a single or double operation, in its group
// of operations, which starts at s for singles and at d for doubles (the
// groups list their operations in the same order).
func nth(o, s, d rv64.FPOp) int {
	if o >= d {
		return int(o - d)
	}
	return int(o - s)
}

// fp emits the F or D instruction d at pc, the block's k-th.
func (t *xlate) fp(pc uint64, k int, d rv64.Decoded) {
	t.fpGuard(pc, k)
	a := &t.a
	switch d.Op {
	case rv64.OperFLW, rv64.OperFLD:
		n := width(d.Op, d.Insn)
		w := n == 8
		t.address(d, n, pc, k)
		a.load(w, rax, atIdx(r14, rcx, 1, 0))
		a.store(w, fmem(d.Rd), rax)
		if !w {
			a.storeImm32(fmemHi(d.Rd), -1)
		}
		return
	case rv64.OperFSW, rv64.OperFSD:
		n := width(d.Op, d.Insn)
		w := n == 8
		t.storeAddress(d, n, pc, k, false)
		a.load(w, rax, fmem(d.Rs2))
		a.store(w, atIdx(r14, rcx, 1, 0), rax)
		return
	}
	o := d.FP
	single := fpSingle(o)
	pfx, cmpPfx := byte(pfxSD), byte(pfxPD)
	if single {
		pfx, cmpPfx = pfxSS, 0
	}
	rs3 := uint8(uint32(d.Insn) >> 27)
	rm := d.Insn.Funct3()
	switch o {
	case rv64.FAddS, rv64.FSubS, rv64.FMulS, rv64.FDivS,
		rv64.FAddD, rv64.FSubD, rv64.FMulD, rv64.FDivD:
		if single {
			t.boxed(pc, k, d.Rs1, d.Rs2)
		}
		op := [...]byte{sseADD, sseSUB, sseMUL, sseDIV}[nth(o, rv64.FAddS, rv64.FAddD)]
		a.movsLoad(pfx, xmm0, fmem(d.Rs1))
		back := t.roundAs(rm)
		a.arithM(pfx, op, xmm0, fmem(d.Rs2))
		back()
		t.fpResult(single, xmm0, d.Rd)
	case rv64.FSqrtS, rv64.FSqrtD:
		if single {
			t.boxed(pc, k, d.Rs1)
		}
		back := t.roundAs(rm)
		a.arithM(pfx, sseSQRT, xmm0, fmem(d.Rs1))
		back()
		t.fpResult(single, xmm0, d.Rd)
	case rv64.FMaddS, rv64.FMsubS, rv64.FNmsubS, rv64.FNmaddS,
		rv64.FMaddD, rv64.FMsubD, rv64.FNmsubD, rv64.FNmaddD:
		if single {
			t.boxed(pc, k, d.Rs1, d.Rs2, rs3)
		}
		// FMADD, FMSUB a*b-c, FNMSUB -(a*b)+c, FNMADD -(a*b)-c: x86's
		// vfmadd, vfmsub, vfnmadd and vfnmsub.
		op := [...]byte{fmaADD, fmaSUB, fmaNADD, fmaNSUB}[nth(o, rv64.FMaddS, rv64.FMaddD)]
		a.movsLoad(pfx, xmm0, fmem(d.Rs1))
		a.movsLoad(pfx, xmm1, fmem(d.Rs2))
		a.movsLoad(pfx, xmm2, fmem(rs3))
		back := t.roundAs(rm)
		a.fma231(op, !single, xmm2, xmm0, xmm1)
		back()
		// A NaN result with a NaN addend is the interpreter's: infinity
		// times zero plus a quiet NaN raises invalid. Any other is the
		// canonical NaN.
		a.ucomis(cmpPfx, xmm2, xmm2)
		number := a.jcc(ccNP)
		a.movsLoad(pfx, xmm1, fmem(rs3))
		a.ucomis(cmpPfx, xmm1, xmm1)
		t.sideExit(ccP, pc, k)
		t.canonicalNaN(single, xmm2)
		a.bind(number)
		t.fpWrite(single, xmm2, d.Rd)

	case rv64.FCvtWS, rv64.FCvtLS, rv64.FCvtWD, rv64.FCvtLD:
		if single {
			t.boxed(pc, k, d.Rs1)
		}
		w := o == rv64.FCvtLS || o == rv64.FCvtLD
		t.toInt(pfx, w, d.Rs1, rm)
		// The integer indefinite (NaN, out of range, or the lowest
		// integer itself): the one value that overflows when 1 is
		// taken from it.
		a.aluRI(w, aluCMP, rax, 1)
		indefinite := a.jcc(ccO)
		if t.viaRoundInt(rm) {
			t.inexact(pfx, d.Rs1)
		}
		done := a.jmp()
		a.bind(indefinite)
		t.saturate(pfx, w, d.Rs1, rm)
		a.bind(done)
		if d.Rd != 0 {
			t.putRAX(d.Rd, w)
		}
	case rv64.FCvtSW, rv64.FCvtSWU, rv64.FCvtSL, rv64.FCvtSLU,
		rv64.FCvtDW, rv64.FCvtDWU, rv64.FCvtDL, rv64.FCvtDLU:
		// From an integer (single says the result's precision): the
		// signed conversion of 32 or 64 bits; an unsigned word
		// zero-extended to 64 bits first; an unsigned doubleword of
		// 2^63 or more is the interpreter's.
		//
		// With a static rounding mode, a value the result holds exactly
		// (of magnitude below 2^24 for a single, 2^53 for a double),
		// which every mode rounds alike, is converted as it is (glibc's
		// floor and ceil convert such values back in their mode); any
		// other in the mode (roundAs), or by the interpreter in rmRMM,
		// which x86 has not.
		src := t.get(d.Rs1)
		w := true
		switch o {
		case rv64.FCvtSW, rv64.FCvtDW:
			w = false
		case rv64.FCvtSWU, rv64.FCvtDWU:
			a.movRR(false, rax, src) // zero-extended
			src = rax
		case rv64.FCvtSLU, rv64.FCvtDLU:
			a.test(true, src, src)
			t.sideExit(ccS, pc, k)
		}
		if rm == rmDyn || o == rv64.FCvtDW || o == rv64.FCvtDWU {
			a.cvtsi2s(pfx, w, xmm0, src)
			t.fpWrite(single, xmm0, d.Rd)
			break
		}
		bits := uint8(53)
		if single {
			bits = 24
		}
		// rdx = the value + 2^bits, below 2^(bits+1) if exact
		// (unsigned values are below 2^63 here).
		if w {
			a.movRR(true, rdx, src)
		} else {
			a.movsxd(rdx, src)
		}
		a.movImm(rcx, 1<<bits)
		a.aluRR(true, aluADD, rdx, rcx)
		a.shiftI(true, shSHR, rdx, bits+1)
		if rm == rmRMM {
			t.sideExit(ccNE, pc, k)
			a.cvtsi2s(pfx, w, xmm0, src)
		} else {
			notExact := a.jcc(ccNE)
			a.cvtsi2s(pfx, w, xmm0, src)
			done := a.jmp()
			a.bind(notExact)
			back := t.roundAs(rm)
			a.cvtsi2s(pfx, w, xmm0, src)
			back()
			a.bind(done)
		}
		t.fpWrite(single, xmm0, d.Rd)
	case rv64.FCvtWUS, rv64.FCvtLUS, rv64.FCvtWUD, rv64.FCvtLUD:
		// To an unsigned integer: the signed conversion, for a source
		// in [0, 2^32-1) or [0, 2^63), whose result rounds into range
		// (from above -1 towards zero or up); any other (NaN, negative,
		// too large) is the interpreter's,
		// taken before anything is converted, so that no flag is raised
		// that RISC-V's saturation would not raise.
		if single {
			t.boxed(pc, k, d.Rs1)
		}
		w := o == rv64.FCvtLUS || o == rv64.FCvtLUD
		var bound uint64
		switch {
		case single && w:
			bound = 0x5f000000 // 2^63
		case single:
			bound = 0x4f800000 // 2^32: the greatest single below it is 2^32-256
		case w:
			bound = 0x43e0000000000000 // 2^63
		default:
			bound = 0x41efffffffe00000 // 2^32-1
		}
		a.movsLoad(pfx, xmm0, fmem(d.Rs1))
		below := byte(ccB) // below 0, or unordered
		if rm == rmRTZ || rm == rmRUP {
			// Above -1, which rounds to 0 towards zero or up (a C
			// cast of a small negative value): inexact, not invalid.
			minusOne := uint64(0xbff0000000000000)
			if single {
				minusOne = 0xbf800000
			}
			a.movImm(rax, minusOne)
			a.movToX(!single, xmm1, rax)
			below = ccBE // -1 or below, or unordered
		} else {
			a.zeroX(xmm1)
		}
		a.ucomis(cmpPfx, xmm0, xmm1)
		t.sideExit(below, pc, k)
		a.movImm(rax, bound)
		a.movToX(!single, xmm1, rax)
		a.ucomis(cmpPfx, xmm1, xmm0)
		t.sideExit(ccBE, pc, k) // not below the bound
		t.toInt(pfx, true, d.Rs1, rm)
		if t.viaRoundInt(rm) {
			t.inexact(pfx, d.Rs1)
		}
		if d.Rd != 0 {
			t.putRAX(d.Rd, w)
		}
	case rv64.FMinS, rv64.FMaxS, rv64.FMinD, rv64.FMaxD:
		// With a NaN operand RISC-V returns the other operand, or the
		// canonical NaN if both are NaNs (x86 returns the second); the
		// comparison raises invalid for a signalling one, as RISC-V
		// does. Equal operands are zeros of either sign or the same
		// number: the result is their sign bits ORed (min: -0 is less
		// than +0) or ANDed (max).
		if single {
			t.boxed(pc, k, d.Rs1, d.Rs2)
		}
		max := o == rv64.FMaxS || o == rv64.FMaxD
		a.movsLoad(pfx, xmm0, fmem(d.Rs1))
		a.ucomisM(cmpPfx, xmm0, fmem(d.Rs2))
		nan := a.jcc(ccP)
		equal := a.jcc(ccE)
		op := byte(sseMIN)
		if max {
			op = sseMAX
		}
		a.arithM(pfx, op, xmm0, fmem(d.Rs2))
		a.movsStore(pfx, fmem(d.Rd), xmm0)
		done := a.jmp()
		a.bind(nan)
		a.ucomis(cmpPfx, xmm0, xmm0)
		first := a.jcc(ccNP) // rs1 is a number: the result
		a.movsLoad(pfx, xmm0, fmem(d.Rs2))
		a.ucomis(cmpPfx, xmm0, xmm0)
		second := a.jcc(ccNP) // rs2 is a number: the result
		t.canonicalNaN(single, xmm0)
		a.bind(first)
		a.bind(second)
		a.movsStore(pfx, fmem(d.Rd), xmm0)
		doneNaN := a.jmp()
		a.bind(equal)
		a.load(!single, rax, fmem(d.Rs1))
		alu := aluOR
		if max {
			alu = aluAND
		}
		a.aluRM(!single, alu, rax, fmem(d.Rs2))
		a.store(!single, fmem(d.Rd), rax)
		a.bind(done)
		a.bind(doneNaN)
		if single {
			a.storeImm32(fmemHi(d.Rd), -1)
		}
	case rv64.FCvtSD:
		back := t.roundAs(rm)
		a.cvts2s(pfxSD, xmm0, fmem(d.Rs1))
		back()
		t.fpResult(true, xmm0, d.Rd)
	case rv64.FCvtDS:
		t.boxed(pc, k, d.Rs1)
		a.cvts2s(pfxSS, xmm0, fmem(d.Rs1))
		t.fpResult(false, xmm0, d.Rd)

	case rv64.FSgnjS, rv64.FSgnjnS, rv64.FSgnjxS, rv64.FSgnjD, rv64.FSgnjnD, rv64.FSgnjxD:
		w := !single
		bits := uint8(63)
		if single {
			bits = 31
			t.boxed(pc, k, d.Rs1, d.Rs2)
		}
		a.load(w, rax, fmem(d.Rs1))
		a.load(w, rcx, fmem(d.Rs2))
		if o == rv64.FSgnjnS || o == rv64.FSgnjnD {
			a.aluRI(w, aluXOR, rcx, -1)
		}
		a.shiftI(w, shSHR, rcx, bits) // rcx = the sign bit of rs2 (negated for FSGNJN)
		a.shiftI(w, shSHL, rcx, bits)
		if o == rv64.FSgnjxS || o == rv64.FSgnjxD {
			a.aluRR(w, aluXOR, rax, rcx)
		} else {
			a.shiftI(w, shSHL, rax, 1) // rax = rs1 without its sign
			a.shiftI(w, shSHR, rax, 1)
			a.aluRR(w, aluOR, rax, rcx)
		}
		a.store(w, fmem(d.Rd), rax)
		if single {
			a.storeImm32(fmemHi(d.Rd), -1)
		}

	case rv64.FEqS, rv64.FLtS, rv64.FLeS, rv64.FEqD, rv64.FLtD, rv64.FLeD:
		if single {
			t.boxed(pc, k, d.Rs1, d.Rs2)
		}
		var dst reg
		if d.Rd != 0 {
			dst = t.put(d.Rd)
		}
		switch o {
		case rv64.FEqS, rv64.FEqD:
			// Quiet: invalid for a signalling NaN only. Equal is ZF set
			// and PF clear (unordered sets both).
			a.movsLoad(pfx, xmm0, fmem(d.Rs1))
			a.ucomisM(cmpPfx, xmm0, fmem(d.Rs2))
			if d.Rd != 0 {
				a.setcc(ccE, dst)
				a.setcc(ccNP, rcx)
				a.aluRR(false, aluAND, dst, rcx)
			}
		default:
			// Signalling: invalid for any NaN. rs2 is compared with
			// rs1: rs1 < rs2 is above, rs1 <= rs2 above or equal, and
			// unordered neither (it sets CF).
			a.movsLoad(pfx, xmm0, fmem(d.Rs2))
			a.comisM(cmpPfx, xmm0, fmem(d.Rs1))
			if d.Rd != 0 {
				cc := byte(ccA)
				if o == rv64.FLeS || o == rv64.FLeD {
					cc = ccAE
				}
				a.setcc(cc, dst)
			}
		}

	case rv64.FClassS, rv64.FClassD:
		if single {
			t.boxed(pc, k, d.Rs1) // the canonical NaN: the interpreter's
		}
		t.fclass(!single, d)
	case rv64.FMvXW:
		if d.Rd != 0 {
			a.loadSX32(t.put(d.Rd), fmem(d.Rs1))
		}
	case rv64.FMvXD:
		if d.Rd != 0 {
			a.load(true, t.put(d.Rd), fmem(d.Rs1))
		}
	case rv64.FMvWX:
		a.store(false, fmem(d.Rd), t.get(d.Rs1))
		a.storeImm32(fmemHi(d.Rd), -1)
	case rv64.FMvDX:
		a.store(true, fmem(d.Rd), t.get(d.Rs1))
	}
}

// fpWrite emits the write of the scalar in xmm register x to f register
// rd, NaN-boxed if single: a result whose NaN is the canonical one
// (fpResult), or one that cannot be a NaN (a conversion from an integer).
func (t *xlate) fpWrite(single bool, x reg, rd uint8) {
	if single {
		t.a.movsStore(pfxSS, fmem(rd), x)
		t.a.storeImm32(fmemHi(rd), -1)
		return
	}
	t.a.movsStore(pfxSD, fmem(rd), x)
}
