package jit

// The SSE and FMA forms the translator emits for the F and D extensions
// (Intel SDM volume 2). An xmm register is named by its number, 0-15, in
// a reg; the translator uses xmm0-xmm2 only.

const (
	xmm0 reg = 0
	xmm1 reg = 1
	xmm2 reg = 2
)

// Condition codes for the flags a scalar comparison sets.
const (
	ccO  = 0x0 // overflow
	ccP  = 0xa // parity: unordered after ucomis/comis
	ccNP = 0xb
)

// Mandatory prefixes of the scalar forms: F2 double, F3 single, 66 for
// the double comparisons (none for the single ones).
const (
	pfxSD = 0xf2
	pfxSS = 0xf3
	pfxPD = 0x66
)

// sseRM emits prefix pfx (0: none), then opcode 0F op with ModRM.reg x
// and memory operand m (REX.W when w).
func (a *asm) sseRM(pfx byte, w bool, x reg, m mem, op byte) {
	if pfx != 0 {
		a.emit(pfx)
	}
	a.rm(w, x, m, false, 0, 0x0f, op)
}

// sseRR emits prefix pfx, then opcode 0F op with ModRM.reg r and
// register rm (REX.W when w).
func (a *asm) sseRR(pfx byte, w bool, r, rm reg, op byte) {
	if pfx != 0 {
		a.emit(pfx)
	}
	a.rr(w, r, rm, false, 0x0f, op)
}

// Scalar arithmetic opcodes (0F xx, with pfxSD or pfxSS).
const (
	sseSQRT = 0x51
	sseADD  = 0x58
	sseMUL  = 0x59
	sseSUB  = 0x5c
	sseDIV  = 0x5e
	sseMIN  = 0x5d // x = the lesser, or [m] if either is a NaN or both are zeros
	sseMAX  = 0x5f
)

// movsLoad: x = the scalar at m (movsd with pfxSD, movss with pfxSS).
func (a *asm) movsLoad(pfx byte, x reg, m mem) { a.sseRM(pfx, false, x, m, 0x10) }

// movsStore: the scalar at m = x.
func (a *asm) movsStore(pfx byte, m mem, x reg) { a.sseRM(pfx, false, x, m, 0x11) }

// arithM: x = x op [m], op one of sseADD..sseMAX, or x = sqrt([m]).
func (a *asm) arithM(pfx byte, op byte, x reg, m mem) { a.sseRM(pfx, false, x, m, op) }

// movToX: x = the low 64 (w) or 32 bits of general register r, the
// rest zero (movq, movd).
func (a *asm) movToX(w bool, x, r reg) { a.sseRR(pfxPD, w, x, r, 0x6e) }

// zeroX: x = 0 (xorps).
func (a *asm) zeroX(x reg) { a.sseRR(0, false, x, x, 0x57) }

// ucomis: flags of x compared with y, unordered (quiet) comparison: ucomisd
// with pfxPD, ucomiss with 0.
func (a *asm) ucomis(pfx byte, x, y reg) { a.sseRR(pfx, false, x, y, 0x2e) }

// ucomisM, comisM: flags of x compared with [m]; comis signals invalid on
// any NaN, ucomis on a signalling one only.
func (a *asm) ucomisM(pfx byte, x reg, m mem) { a.sseRM(pfx, false, x, m, 0x2e) }
func (a *asm) comisM(pfx byte, x reg, m mem)  { a.sseRM(pfx, false, x, m, 0x2f) }

// cvtsi2s: x = the signed integer in r (64-bit when w) converted to the
// scalar of pfx, rounded as MXCSR says.
func (a *asm) cvtsi2s(pfx byte, w bool, x, r reg) { a.sseRR(pfx, w, x, r, 0x2a) }

// cvts2si: r = the scalar at m converted to a signed integer (64-bit when
// w); trunc truncates (cvtts*2si), else MXCSR's rounding. Out of range or
// NaN gives the integer indefinite, the lowest integer.
func (a *asm) cvts2si(pfx byte, w, trunc bool, r reg, m mem) {
	op := byte(0x2d)
	if trunc {
		op = 0x2c
	}
	a.sseRM(pfx, w, r, m, op)
}

// Rounding modes of rounds (imm8 bits 1:0), and the bit that keeps it
// from raising the precision (inexact) exception.
const (
	roundDown    = 1
	roundUp      = 2
	roundTrunc   = 3
	roundNoPrecE = 8
)

// rounds: x = the scalar at m rounded to an integer as mode says
// (SSE4.1's roundsd with pfxSD, roundss with pfxSS).
func (a *asm) rounds(pfx byte, x reg, m mem, mode byte) {
	op := byte(0x0b)
	if pfx == pfxSS {
		op = 0x0a
	}
	a.emit(pfxPD)
	a.rm(false, x, m, false, 1, 0x0f, 0x3a, op)
	a.emit(mode)
}

// arithR: x = x op y, op one of sseADD..sseMAX.
func (a *asm) arithR(pfx byte, op byte, x, y reg) { a.sseRR(pfx, false, x, y, op) }

// movFromX: r = the low 64 (w) or 32 bits of x (movq, movd).
func (a *asm) movFromX(w bool, r, x reg) { a.sseRR(pfxPD, w, x, r, 0x7e) }

// cvtts2siR: r = the scalar in x truncated to a signed integer (64-bit
// when w): cvttsd2si with pfxSD, cvttss2si with pfxSS.
func (a *asm) cvtts2siR(pfx byte, w bool, r, x reg) { a.sseRR(pfx, w, r, x, 0x2c) }

// cvts2s: x = the scalar at m converted to the other precision: cvtsd2ss
// with pfxSD, cvtss2sd with pfxSS.
func (a *asm) cvts2s(pfx byte, x reg, m mem) { a.sseRM(pfx, false, x, m, 0x5a) }

// FMA opcodes (VEX.66.0F38, the 231 forms: x = ±(y*z) ± x).
const (
	fmaADD  = 0xb9 // vfmadd231s: x = y*z + x
	fmaSUB  = 0xbb // vfmsub231s: x = y*z - x
	fmaNADD = 0xbd // vfnmadd231s: x = -(y*z) + x
	fmaNSUB = 0xbf // vfnmsub231s: x = -(y*z) - x
)

// fma231 emits the FMA op on xmm registers below 8: x = ±(y*z) ± x,
// double when w (VEX.W1), single otherwise.
func (a *asm) fma231(op byte, w bool, x, y, z reg) {
	wv := byte(0x01) // pp = 66, L = 0
	if w {
		wv |= 0x80
	}
	wv |= byte(^y&15) << 3
	a.emit(0xc4, 0xe2, wv, op, 0xc0|byte(x&7)<<3|byte(z&7)) // R, X, B set (inverted: registers below 8), map 0F38
}

// stmxcsr: the 32 bits at m = MXCSR; ldmxcsr: MXCSR = them.
func (a *asm) stmxcsr(m mem) { a.rm(false, 3, m, false, 0, 0x0f, 0xae) }
func (a *asm) ldmxcsr(m mem) { a.rm(false, 2, m, false, 0, 0x0f, 0xae) }

// storeImm32: the 32 bits at m = imm.
func (a *asm) storeImm32(m mem, imm int32) {
	a.rm(false, 0, m, false, 4, 0xc7)
	a.u32(uint32(imm))
}
