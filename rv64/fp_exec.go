package rv64

import (
	"github.com/rvsim/rvsim/softfloat"
)

// Execution of the F and D extensions (unprivileged specification,
// chapters 11 and 12). Run calls these methods, which are never inlined
// into it, for the FP ops; the arithmetic is package softfloat's.

// noTrap is the cause fpLoad and fpStore return when nothing traps: cause 0
// (instruction address misaligned) is never one of theirs.
const noTrap = 0

// boxOnes are the upper 32 bits of a NaN-boxed single value.
const boxOnes = 0xffffffff_00000000

// canonicalNaN32 is the canonical single NaN, what a single read of an
// improperly boxed register sees.
const canonicalNaN32 = 0x7fc00000

const signBit32, signBit64 = 1 << 31, 1 << 63

// box NaN-boxes a single value for an f register.
func box(v uint32) uint64 { return boxOnes | uint64(v) }

// unbox returns the single value in an f register: the canonical NaN if
// the register does not hold a properly NaN-boxed value.
func unbox(v uint64) uint32 {
	if v&boxOnes != boxOnes {
		return canonicalNaN32
	}
	return uint32(v)
}

// fpStored is the cause fp returns for a store that Run must take through
// its stored path: one into decoded code or the watched range; tval is
// its width in bytes.
const fpStored = 1 << 63

// fp executes the F or D instruction of slot s for Run. It returns noTrap,
// fpStored, or the exception the instruction raises with its tval.
func (h *Hart) fp(s *slot) (cause, tval uint64) {
	switch s.op {
	case opFLW, opFLD:
		return h.fpLoad(s)
	case opFSW, opFSD:
		cause, tval = h.fpStore(s)
		if cause == noTrap && tval != 0 {
			cause = fpStored
		}
		return cause, tval
	}
	if !h.execFP(s) {
		return CauseIllegal, uint64(s.insn)
	}
	return noTrap, 0
}

// fpLoad executes FLW and FLD: the checks of the integer loads, and an
// illegal instruction while mstatus.FS is Off.
func (h *Hart) fpLoad(s *slot) (cause, tval uint64) {
	if h.CSR.FPOff() {
		return CauseIllegal, uint64(s.insn)
	}
	mem := h.Mem.Data
	a := h.X[s.rs1&31] + s.imm
	o := a - h.Mem.Base
	n := uint64(8)
	if s.op == opFLW {
		n = 4
	}
	if o > uint64(len(mem))-n {
		return CauseLoadAccess, a
	}
	if n == 4 { // FLW
		h.F[s.rd&31] = box(ld32(mem, o))
	} else { // FLD
		h.F[s.rd&31] = ld64(mem, o)
	}
	h.CSR.FPWrote(0)
	return noTrap, 0
}

// fpStore executes FSW and FSD: the checks of the integer stores, and an
// illegal instruction while mstatus.FS is Off. FSW stores the low 32 bits
// of the register as they are, boxed or not. When the store wrote into
// decoded code or the watched range (tohost, a reservation), tval is its
// width in bytes, for Run's stored path; it is 0 otherwise.
func (h *Hart) fpStore(s *slot) (cause, tval uint64) {
	if h.CSR.FPOff() {
		return CauseIllegal, uint64(s.insn)
	}
	mem := h.Mem.Data
	a := h.X[s.rs1&31] + s.imm
	o := a - h.Mem.Base
	n := uint64(8)
	if s.op == opFSW {
		n = 4
	}
	if o > uint64(len(mem))-n {
		return CauseStoreAccess, a
	}
	v := h.F[s.rs2&31]
	if n == 4 { // FSW
		st32(mem, o, uint32(v))
	} else { // FSD
		st64(mem, o, v)
	}
	if h.code[o>>pageShift] != nil || h.code[(o+n-1)>>pageShift] != nil || a-h.watchLo < h.watchLen {
		return noTrap, n
	}
	return noTrap, 0
}

// execFP executes the opFP slot s and reports false if it is an illegal
// instruction: mstatus.FS is Off, or the rounding mode is dynamic and frm
// holds a reserved mode. A result for an f register makes FS Dirty; the
// exception flags accrue into fflags.
func (h *Hart) execFP(s *slot) bool {
	f := h.CSR
	if f.FPOff() {
		return false
	}
	o := fpOp(s.imm)
	rm := softfloat.RM(s.insn.Funct3())
	if o < fpNoRM && rm == rmDyn {
		rm = softfloat.RM(f.RoundingMode())
		if rm > softfloat.RMM {
			return false
		}
	}
	rd := s.rd & 31
	// The operands: a, b, c as doubles, sa, sb, sc as singles.
	a, b := h.F[s.rs1&31], h.F[s.rs2&31]
	c := h.F[uint32(s.insn)>>27]
	sa, sb, sc := unbox(a), unbox(b), unbox(c)
	xa := h.X[s.rs1&31]

	var (
		d     uint64          // the result
		s32   uint32          // the result, for a single result (toS)
		fl    softfloat.Flags // the exception flags raised
		toX   bool            // d goes to x[rd], not f[rd]
		toS   bool            // s32 goes to f[rd], NaN-boxed
		cmp   bool            // the result of a comparison
		isCmp bool
	)
	switch o {
	case fADDS: // FADD.S
		s32, fl = softfloat.F32Add(sa, sb, rm)
		toS = true
	case fSUBS: // FSUB.S
		s32, fl = softfloat.F32Sub(sa, sb, rm)
		toS = true
	case fMULS: // FMUL.S
		s32, fl = softfloat.F32Mul(sa, sb, rm)
		toS = true
	case fDIVS: // FDIV.S
		s32, fl = softfloat.F32Div(sa, sb, rm)
		toS = true
	case fSQRTS: // FSQRT.S
		s32, fl = softfloat.F32Sqrt(sa, rm)
		toS = true
	case fMADDS: // FMADD.S: a*b+c
		s32, fl = softfloat.F32MulAdd(sa, sb, sc, rm)
		toS = true
	case fMSUBS: // FMSUB.S: a*b-c
		s32, fl = softfloat.F32MulAdd(sa, sb, sc^signBit32, rm)
		toS = true
	case fNMSUBS: // FNMSUB.S: -(a*b)+c
		s32, fl = softfloat.F32MulAdd(sa^signBit32, sb, sc, rm)
		toS = true
	case fNMADDS: // FNMADD.S: -(a*b)-c
		s32, fl = softfloat.F32MulAdd(sa^signBit32, sb, sc^signBit32, rm)
		toS = true
	case fCVTWS: // FCVT.W.S
		d, fl = softfloat.F32ToI32(sa, rm)
		d, toX = sext32(uint32(d)), true
	case fCVTWUS: // FCVT.WU.S
		d, fl = softfloat.F32ToU32(sa, rm)
		d, toX = sext32(uint32(d)), true
	case fCVTLS: // FCVT.L.S
		d, fl = softfloat.F32ToI64(sa, rm)
		toX = true
	case fCVTLUS: // FCVT.LU.S
		d, fl = softfloat.F32ToU64(sa, rm)
		toX = true
	case fCVTSW: // FCVT.S.W
		s32, fl = softfloat.I32ToF32(xa, rm)
		toS = true
	case fCVTSWU: // FCVT.S.WU
		s32, fl = softfloat.U32ToF32(xa, rm)
		toS = true
	case fCVTSL: // FCVT.S.L
		s32, fl = softfloat.I64ToF32(xa, rm)
		toS = true
	case fCVTSLU: // FCVT.S.LU
		s32, fl = softfloat.U64ToF32(xa, rm)
		toS = true
	case fADDD: // FADD.D
		d, fl = softfloat.F64Add(a, b, rm)
	case fSUBD: // FSUB.D
		d, fl = softfloat.F64Sub(a, b, rm)
	case fMULD: // FMUL.D
		d, fl = softfloat.F64Mul(a, b, rm)
	case fDIVD: // FDIV.D
		d, fl = softfloat.F64Div(a, b, rm)
	case fSQRTD: // FSQRT.D
		d, fl = softfloat.F64Sqrt(a, rm)
	case fMADDD: // FMADD.D: a*b+c
		d, fl = softfloat.F64MulAdd(a, b, c, rm)
	case fMSUBD: // FMSUB.D: a*b-c
		d, fl = softfloat.F64MulAdd(a, b, c^signBit64, rm)
	case fNMSUBD: // FNMSUB.D: -(a*b)+c
		d, fl = softfloat.F64MulAdd(a^signBit64, b, c, rm)
	case fNMADDD: // FNMADD.D: -(a*b)-c
		d, fl = softfloat.F64MulAdd(a^signBit64, b, c^signBit64, rm)
	case fCVTWD: // FCVT.W.D
		d, fl = softfloat.F64ToI32(a, rm)
		d, toX = sext32(uint32(d)), true
	case fCVTWUD: // FCVT.WU.D
		d, fl = softfloat.F64ToU32(a, rm)
		d, toX = sext32(uint32(d)), true
	case fCVTLD: // FCVT.L.D
		d, fl = softfloat.F64ToI64(a, rm)
		toX = true
	case fCVTLUD: // FCVT.LU.D
		d, fl = softfloat.F64ToU64(a, rm)
		toX = true
	case fCVTDW: // FCVT.D.W
		d, fl = softfloat.I32ToF64(xa, rm)
	case fCVTDWU: // FCVT.D.WU
		d, fl = softfloat.U32ToF64(xa, rm)
	case fCVTDL: // FCVT.D.L
		d, fl = softfloat.I64ToF64(xa, rm)
	case fCVTDLU: // FCVT.D.LU
		d, fl = softfloat.U64ToF64(xa, rm)
	case fCVTSD: // FCVT.S.D
		s32, fl = softfloat.F64ToF32(a, rm)
		toS = true
	case fCVTDS: // FCVT.D.S
		d, fl = softfloat.F32ToF64(sa)

	case fSGNJS: // FSGNJ.S
		s32, toS = sa&^signBit32|sb&signBit32, true
	case fSGNJNS: // FSGNJN.S
		s32, toS = sa&^signBit32|^sb&signBit32, true
	case fSGNJXS: // FSGNJX.S
		s32, toS = sa^sb&signBit32, true
	case fMINS: // FMIN.S
		s32, fl = softfloat.F32Min(sa, sb)
		toS = true
	case fMAXS: // FMAX.S
		s32, fl = softfloat.F32Max(sa, sb)
		toS = true
	case fEQS: // FEQ.S
		cmp, fl = softfloat.F32Eq(sa, sb)
		isCmp = true
	case fLTS: // FLT.S
		cmp, fl = softfloat.F32Lt(sa, sb)
		isCmp = true
	case fLES: // FLE.S
		cmp, fl = softfloat.F32Le(sa, sb)
		isCmp = true
	case fCLASSS: // FCLASS.S
		d, toX = softfloat.F32Class(sa), true
	case fMVXW: // FMV.X.W: the low 32 bits as they are, boxed or not
		d, toX = sext32(uint32(a)), true
	case fMVWX: // FMV.W.X
		s32, toS = uint32(xa), true
	case fSGNJD: // FSGNJ.D
		d = a&^signBit64 | b&signBit64
	case fSGNJND: // FSGNJN.D
		d = a&^signBit64 | ^b&signBit64
	case fSGNJXD: // FSGNJX.D
		d = a ^ b&signBit64
	case fMIND: // FMIN.D
		d, fl = softfloat.F64Min(a, b)
	case fMAXD: // FMAX.D
		d, fl = softfloat.F64Max(a, b)
	case fEQD: // FEQ.D
		cmp, fl = softfloat.F64Eq(a, b)
		isCmp = true
	case fLTD: // FLT.D
		cmp, fl = softfloat.F64Lt(a, b)
		isCmp = true
	case fLED: // FLE.D
		cmp, fl = softfloat.F64Le(a, b)
		isCmp = true
	case fCLASSD: // FCLASS.D
		d, toX = softfloat.F64Class(a), true
	case fMVXD: // FMV.X.D
		d, toX = a, true
	case fMVDX: // FMV.D.X
		d = xa
	default: // decodeFP makes no other fpOp
		return false
	}
	switch {
	case isCmp:
		if rd != 0 {
			h.X[rd] = b2u(cmp)
		}
	case toX:
		if rd != 0 {
			h.X[rd] = d
		}
	case toS:
		h.F[rd] = box(s32)
		f.FPWrote(uint8(fl))
		return true
	default:
		h.F[rd] = d
		f.FPWrote(uint8(fl))
		return true
	}
	if fl != 0 {
		f.FPWrote(uint8(fl))
	}
	return true
}
