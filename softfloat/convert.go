package softfloat

import (
	"math"
	"math/bits"
)

// F64ToF32 rounds binary64 a to binary32.
func F64ToF32(a uint64, rm RM) (uint32, Flags) {
	if rm == RNE {
		r := float32(math.Float64frombits(a))
		if e := exp32(math.Float32bits(r)); e >= 2 && e != 0xff {
			if float64(r) != math.Float64frombits(a) {
				return math.Float32bits(r), NX
			}
			return math.Float32bits(r), 0
		}
	}
	x := f64.unpack(a)
	switch x.cls {
	case clsQNaN:
		return F32NaN, 0
	case clsSNaN:
		return F32NaN, NV
	case clsInf:
		return uint32(f32.zero(x.sign) | f32.inf()), 0
	case clsZero:
		return uint32(f32.zero(x.sign)), 0
	}
	r, fl := f32.roundPack(x.sign, x.exp, x.sig, rm)
	return uint32(r), fl
}

// F32ToF64 widens binary32 a to binary64 (exact; NV for a signalling NaN).
func F32ToF64(a uint32) (uint64, Flags) {
	x := f32.unpack(uint64(a))
	switch x.cls {
	case clsQNaN:
		return F64NaN, 0
	case clsSNaN:
		return F64NaN, NV
	case clsInf:
		return f64.zero(x.sign) | f64.inf(), 0
	case clsZero:
		return f64.zero(x.sign), 0
	}
	r, _ := f64.roundPack(x.sign, x.exp, x.sig, RNE)
	return r, 0
}

// intKind selects the integer type of a conversion.
type intKind uint8

const (
	kI32 intKind = iota
	kU32
	kI64
	kU64
)

// limits returns the saturation values for NaN/positive overflow and for
// negative overflow, as 64-bit register values, and the largest magnitudes
// allowed for positive and negative results.
func (k intKind) limits() (posSat, negSat, posMax, negMax uint64) {
	switch k {
	case kI32:
		return 0x7fffffff, 0xffffffff80000000, 1<<31 - 1, 1 << 31
	case kU32:
		return 0xffffffffffffffff, 0, 1<<32 - 1, 0
	case kI64:
		return 1<<63 - 1, 1 << 63, 1<<63 - 1, 1 << 63
	default:
		return 0xffffffffffffffff, 0, 0xffffffffffffffff, 0
	}
}

// toInt converts a to an integer of kind k with rounding mode rm.
func (f format) toInt(a uint64, rm RM, k intKind) (uint64, Flags) {
	posSat, negSat, posMax, negMax := k.limits()
	x := f.unpack(a)
	switch x.cls {
	case clsQNaN, clsSNaN:
		return posSat, NV
	case clsInf:
		if x.sign {
			return negSat, NV
		}
		return posSat, NV
	case clsZero:
		return 0, 0
	}
	// value = sig * 2^(exp-62).
	if x.exp >= 64 {
		if x.sign {
			return negSat, NV
		}
		return posSat, NV
	}
	var m uint64
	inexact := false
	switch {
	case x.exp >= 62:
		m = x.sig << uint(x.exp-62)
	case x.exp < 0:
		// Below one half: only a directed mode away from zero gives 1.
		// (exp == -1 is [0.5, 1): handled by the general case below.)
		if x.exp == -1 {
			m, inexact = roundToInt(x.sign, x.sig, 63, rm)
		} else {
			inexact = true
			if rm == RDN && x.sign || rm == RUP && !x.sign {
				m = 1
			}
		}
	default:
		m, inexact = roundToInt(x.sign, x.sig, uint(62-x.exp), rm)
	}
	if x.sign {
		if m > negMax {
			return negSat, NV
		}
		var fl Flags
		if inexact {
			fl = NX
		}
		r := -m
		if k == kI32 || k == kU32 {
			r = uint64(int64(int32(r)))
		}
		return r, fl
	}
	if m > posMax {
		return posSat, NV
	}
	var fl Flags
	if inexact {
		fl = NX
	}
	if k == kI32 || k == kU32 {
		m = uint64(int64(int32(m)))
	}
	return m, fl
}

// roundToInt rounds sig / 2^n (1 <= n <= 63) to an integer magnitude.
func roundToInt(sign bool, sig uint64, n uint, rm RM) (uint64, bool) {
	m := sig >> n
	rem := sig & (1<<n - 1)
	if roundIncrement(sign, m, rem, 1<<(n-1), rm) {
		m++
	}
	return m, rem != 0
}

// fromInt rounds the integer sign*m to the format.
func (f format) fromInt(sign bool, m uint64, rm RM) (uint64, Flags) {
	if m == 0 {
		return 0, 0
	}
	lz := bits.LeadingZeros64(m)
	if lz == 0 {
		return f.roundPack(sign, 63, shiftRightJam(m, 1), rm)
	}
	return f.roundPack(sign, int32(63-lz), m<<uint(lz-1), rm)
}

func signMag32(a uint64) (bool, uint64) {
	v := int32(a)
	if v < 0 {
		return true, uint64(-int64(v))
	}
	return false, uint64(v)
}

func signMag64(a uint64) (bool, uint64) {
	if int64(a) < 0 {
		return true, -a
	}
	return false, a
}

// F64ToI32 converts a to a signed 32-bit integer (fcvt.w.d), returned
// sign-extended to 64 bits. NaN and overflow saturate with NV.
func F64ToI32(a uint64, rm RM) (uint64, Flags) {
	if r, fl, ok := toIntFast(math.Float64frombits(a), rm, i32lo, i32hi); ok {
		return uint64(r), fl
	}
	return f64.toInt(a, rm, kI32)
}

// F64ToU32 converts a to an unsigned 32-bit integer (fcvt.wu.d), returned
// sign-extended to 64 bits as RISC-V writes it.
func F64ToU32(a uint64, rm RM) (uint64, Flags) {
	if r, fl, ok := toIntFast(math.Float64frombits(a), rm, 0, u32hi); ok {
		return uint64(int64(int32(r))), fl
	}
	return f64.toInt(a, rm, kU32)
}

// F64ToI64 converts a to a signed 64-bit integer (fcvt.l.d).
func F64ToI64(a uint64, rm RM) (uint64, Flags) {
	if r, fl, ok := toIntFast(math.Float64frombits(a), rm, i64lo, i64hi); ok {
		return uint64(r), fl
	}
	return f64.toInt(a, rm, kI64)
}

// F64ToU64 converts a to an unsigned 64-bit integer (fcvt.lu.d).
func F64ToU64(a uint64, rm RM) (uint64, Flags) {
	if r, fl, ok := toIntFast(math.Float64frombits(a), rm, 0, u64hi); ok {
		return uint64(r), fl
	}
	return f64.toInt(a, rm, kU64)
}

// F32ToI32 converts a to a signed 32-bit integer (fcvt.w.s), sign-extended.
func F32ToI32(a uint32, rm RM) (uint64, Flags) {
	if r, fl, ok := toIntFast(float64(math.Float32frombits(a)), rm, i32lo, i32hi); ok {
		return uint64(r), fl
	}
	return f32.toInt(uint64(a), rm, kI32)
}

// F32ToU32 converts a to an unsigned 32-bit integer (fcvt.wu.s), sign-extended.
func F32ToU32(a uint32, rm RM) (uint64, Flags) {
	if r, fl, ok := toIntFast(float64(math.Float32frombits(a)), rm, 0, u32hi); ok {
		return uint64(int64(int32(r))), fl
	}
	return f32.toInt(uint64(a), rm, kU32)
}

// F32ToI64 converts a to a signed 64-bit integer (fcvt.l.s).
func F32ToI64(a uint32, rm RM) (uint64, Flags) {
	if r, fl, ok := toIntFast(float64(math.Float32frombits(a)), rm, i64lo, i64hi); ok {
		return uint64(r), fl
	}
	return f32.toInt(uint64(a), rm, kI64)
}

// F32ToU64 converts a to an unsigned 64-bit integer (fcvt.lu.s).
func F32ToU64(a uint32, rm RM) (uint64, Flags) {
	if r, fl, ok := toIntFast(float64(math.Float32frombits(a)), rm, 0, u64hi); ok {
		return uint64(r), fl
	}
	return f32.toInt(uint64(a), rm, kU64)
}

// I32ToF64 converts the signed low 32 bits of a to binary64 (fcvt.d.w; exact).
func I32ToF64(a uint64, rm RM) (uint64, Flags) {
	return math.Float64bits(float64(int32(a))), 0 // always exact
}

// U32ToF64 converts the unsigned low 32 bits of a to binary64 (fcvt.d.wu).
func U32ToF64(a uint64, rm RM) (uint64, Flags) {
	return math.Float64bits(float64(uint32(a))), 0 // always exact
}

// I64ToF64 converts signed a to binary64 (fcvt.d.l).
func I64ToF64(a uint64, rm RM) (uint64, Flags) {
	if rm == RNE {
		if r, fl, ok := fromInt64Fast(int64(a)); ok {
			return r, fl
		}
	}
	s, m := signMag64(a)
	return f64.fromInt(s, m, rm)
}

// U64ToF64 converts unsigned a to binary64 (fcvt.d.lu).
func U64ToF64(a uint64, rm RM) (uint64, Flags) {
	if rm == RNE {
		if r, fl, ok := fromInt64Fast(int64(a)); ok && int64(a) >= 0 {
			return r, fl
		}
	}
	return f64.fromInt(false, a, rm)
}

// I32ToF32 converts the signed low 32 bits of a to binary32 (fcvt.s.w).
func I32ToF32(a uint64, rm RM) (uint32, Flags) {
	s, m := signMag32(a)
	r, fl := f32.fromInt(s, m, rm)
	return uint32(r), fl
}

// U32ToF32 converts the unsigned low 32 bits of a to binary32 (fcvt.s.wu).
func U32ToF32(a uint64, rm RM) (uint32, Flags) {
	r, fl := f32.fromInt(false, uint64(uint32(a)), rm)
	return uint32(r), fl
}

// I64ToF32 converts signed a to binary32 (fcvt.s.l).
func I64ToF32(a uint64, rm RM) (uint32, Flags) {
	if rm == RNE {
		if r, fl, ok := fromInt64Fast32(int64(a)); ok {
			return r, fl
		}
	}
	s, m := signMag64(a)
	r, fl := f32.fromInt(s, m, rm)
	return uint32(r), fl
}

// U64ToF32 converts unsigned a to binary32 (fcvt.s.lu).
func U64ToF32(a uint64, rm RM) (uint32, Flags) {
	if rm == RNE {
		if r, fl, ok := fromInt64Fast32(int64(a)); ok && int64(a) >= 0 {
			return r, fl
		}
	}
	r, fl := f32.fromInt(false, a, rm)
	return uint32(r), fl
}
