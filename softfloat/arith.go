package softfloat

import (
	"math"
	"math/bits"
)

// nanResult returns the canonical NaN, with NV when either operand is a
// signalling NaN.
func (f format) nanResult(a, b unpacked) (uint64, Flags) {
	if a.cls == clsSNaN || b.cls == clsSNaN {
		return f.nan(), NV
	}
	return f.nan(), 0
}

func isNaNCls(c uint8) bool { return c >= clsQNaN }

func (f format) add(a, b uint64, neg bool, rm RM) (uint64, Flags) {
	x := f.unpack(a)
	y := f.unpack(b)
	if neg {
		y.sign = !y.sign
	}
	if isNaNCls(x.cls) || isNaNCls(y.cls) {
		return f.nanResult(x, y)
	}
	if x.cls == clsInf {
		if y.cls == clsInf && x.sign != y.sign {
			return f.nan(), NV
		}
		return f.zero(x.sign) | f.inf(), 0
	}
	if y.cls == clsInf {
		return f.zero(y.sign) | f.inf(), 0
	}
	if x.cls == clsZero {
		if y.cls == clsZero {
			if x.sign == y.sign {
				return f.zero(x.sign), 0
			}
			return f.zero(rm == RDN), 0
		}
		return f.zero(y.sign) | b&^f.signBit(), 0
	}
	if y.cls == clsZero {
		return a, 0
	}
	return f.addFinite(x, y, rm)
}

// addFinite adds two finite nonzero unpacked values.
func (f format) addFinite(x, y unpacked, rm RM) (uint64, Flags) {
	if x.exp < y.exp || x.exp == y.exp && x.sig < y.sig {
		x, y = y, x
	}
	d := uint(x.exp - y.exp)
	ys := shiftRightJam(y.sig, d)
	if x.sign == y.sign {
		return f.normRound(x.sign, x.exp, x.sig+ys, rm)
	}
	s := x.sig - ys
	if s == 0 {
		return f.zero(rm == RDN), 0
	}
	return f.normRound(x.sign, x.exp, s, rm)
}

func (f format) mul(a, b uint64, rm RM) (uint64, Flags) {
	x := f.unpack(a)
	y := f.unpack(b)
	if isNaNCls(x.cls) || isNaNCls(y.cls) {
		return f.nanResult(x, y)
	}
	sign := x.sign != y.sign
	if x.cls == clsInf || y.cls == clsInf {
		if x.cls == clsZero || y.cls == clsZero {
			return f.nan(), NV
		}
		return f.zero(sign) | f.inf(), 0
	}
	if x.cls == clsZero || y.cls == clsZero {
		return f.zero(sign), 0
	}
	hi, lo := bits.Mul64(x.sig, y.sig)
	sig := hi<<2 | lo>>62
	if lo<<2 != 0 {
		sig |= 1
	}
	return f.normRound(sign, x.exp+y.exp, sig, rm)
}

func (f format) div(a, b uint64, rm RM) (uint64, Flags) {
	x := f.unpack(a)
	y := f.unpack(b)
	if isNaNCls(x.cls) || isNaNCls(y.cls) {
		return f.nanResult(x, y)
	}
	sign := x.sign != y.sign
	switch {
	case x.cls == clsInf:
		if y.cls == clsInf {
			return f.nan(), NV
		}
		return f.zero(sign) | f.inf(), 0
	case y.cls == clsInf:
		return f.zero(sign), 0
	case y.cls == clsZero:
		if x.cls == clsZero {
			return f.nan(), NV
		}
		return f.zero(sign) | f.inf(), DZ
	case x.cls == clsZero:
		return f.zero(sign), 0
	}
	q, r := bits.Div64(x.sig>>1, x.sig<<63, y.sig)
	if r != 0 {
		q |= 1
	}
	return f.normRound(sign, x.exp-y.exp-1, q, rm)
}

func (f format) sqrt(a uint64, rm RM) (uint64, Flags) {
	x := f.unpack(a)
	switch x.cls {
	case clsQNaN:
		return f.nan(), 0
	case clsSNaN:
		return f.nan(), NV
	case clsZero:
		return a, 0
	case clsInf:
		if x.sign {
			return f.nan(), NV
		}
		return a, 0
	}
	if x.sign {
		return f.nan(), NV
	}
	// value = sig * 2^(exp-62); N = sig * 2^62 (exp even) or 2^63 (odd),
	// so sqrt(N) = sqrt(value) * 2^(62 - exp>>1), in [2^62, 2^63).
	var nhi, nlo uint64
	if x.exp&1 == 0 {
		nhi, nlo = x.sig>>2, x.sig<<62
	} else {
		nhi, nlo = x.sig>>1, x.sig<<63
	}
	r, exact := isqrt128(nhi, nlo)
	if !exact {
		r |= 1
	}
	return f.roundPack(false, x.exp>>1, r, rm)
}

// isqrt128 returns floor(sqrt(N)) for N = hi*2^64+lo in [2^124, 2^126) and
// whether it is exact.
func isqrt128(hi, lo uint64) (uint64, bool) {
	// A float64 estimate (good to about 2^11), one Newton step (good to
	// one), then an exact correction.
	r := uint64(math.Sqrt(float64(hi)*0x1p64 + float64(lo)))
	q, _ := bits.Div64(hi, lo, r) // hi < r/2: no overflow
	r = (r >> 1) + (q >> 1) + (r & q & 1)
	for {
		h, l := bits.Mul64(r, r)
		if h > hi || h == hi && l > lo {
			r--
			continue
		}
		break
	}
	for {
		n := r + 1
		h, l := bits.Mul64(n, n)
		if h < hi || h == hi && l <= lo {
			r = n
			continue
		}
		break
	}
	h, l := bits.Mul64(r, r)
	return r, h == hi && l == lo
}

// shiftRightJam128 shifts (hi,lo) right by n, ORing the bits shifted out
// into bit 0.
func shiftRightJam128(hi, lo uint64, n uint) (uint64, uint64) {
	switch {
	case n == 0:
		return hi, lo
	case n < 64:
		sticky := lo<<(64-n) != 0
		lo = lo>>n | hi<<(64-n)
		hi >>= n
		if sticky {
			lo |= 1
		}
		return hi, lo
	case n < 128:
		sticky := lo != 0 || (n > 64 && hi<<(128-n) != 0)
		lo = hi >> (n - 64)
		if sticky {
			lo |= 1
		}
		return 0, lo
	default:
		if hi|lo != 0 {
			return 0, 1
		}
		return 0, 0
	}
}

func (f format) mulAdd(a, b, c uint64, rm RM) (uint64, Flags) {
	x := f.unpack(a)
	y := f.unpack(b)
	z := f.unpack(c)
	var fl Flags
	if x.cls == clsSNaN || y.cls == clsSNaN || z.cls == clsSNaN {
		fl = NV
	}
	// RISC-V: infinity times zero is invalid even when c is a quiet NaN.
	if x.cls == clsInf && y.cls == clsZero || x.cls == clsZero && y.cls == clsInf {
		return f.nan(), NV
	}
	if isNaNCls(x.cls) || isNaNCls(y.cls) || isNaNCls(z.cls) {
		return f.nan(), fl
	}
	ps := x.sign != y.sign
	if x.cls == clsInf || y.cls == clsInf {
		if z.cls == clsInf && z.sign != ps {
			return f.nan(), NV
		}
		return f.zero(ps) | f.inf(), 0
	}
	if z.cls == clsInf {
		return c, 0
	}
	if x.cls == clsZero || y.cls == clsZero {
		if z.cls == clsZero {
			if z.sign == ps {
				return f.zero(ps), 0
			}
			return f.zero(rm == RDN), 0
		}
		return c, 0
	}
	// Exact product in 128 bits, leading one at bit 126: value = P * 2^(pe-126).
	phi, plo := bits.Mul64(x.sig, y.sig)
	pe := x.exp + y.exp
	if phi>>61 != 0 { // bit 125
		phi, plo = phi<<1|plo>>63, plo<<1
		pe++
	} else {
		phi, plo = phi<<2|plo>>62, plo<<2
	}
	if z.cls == clsZero {
		sig := phi
		if plo != 0 {
			sig |= 1
		}
		// phi has its leading one at bit 62: value = phi * 2^(pe-62).
		return f.roundPack(ps, pe, sig, rm)
	}
	// Addend with leading one at bit 126: value = C * 2^(ze-126).
	chi, clo := z.sig, uint64(0)
	ze := z.exp
	// Put the larger magnitude in (hi1,lo1,e1,s1).
	h1, l1, e1, s1 := phi, plo, pe, ps
	h2, l2, e2, s2 := chi, clo, ze, z.sign
	if e1 < e2 || e1 == e2 && (h1 < h2 || h1 == h2 && l1 < l2) {
		h1, l1, e1, s1, h2, l2, e2, s2 = h2, l2, e2, s2, h1, l1, e1, s1
	}
	h2, l2 = shiftRightJam128(h2, l2, uint(e1-e2))
	var rh, rl uint64
	if s1 == s2 {
		var carry uint64
		rl, carry = bits.Add64(l1, l2, 0)
		rh, _ = bits.Add64(h1, h2, carry)
	} else {
		var borrow uint64
		rl, borrow = bits.Sub64(l1, l2, 0)
		rh, _ = bits.Sub64(h1, h2, borrow)
		if rh|rl == 0 {
			return f.zero(rm == RDN), 0
		}
	}
	// Normalize to a 64-bit significand with the leading one at bit 62.
	var sig uint64
	var t int // position of the leading one
	if rh != 0 {
		t = 127 - bits.LeadingZeros64(rh)
	} else {
		t = 63 - bits.LeadingZeros64(rl)
	}
	if t >= 62 {
		_, sig = shiftRightJam128(rh, rl, uint(t-62))
	} else {
		sig = rl << uint(62-t)
	}
	return f.roundPack(s1, e1-126+int32(t), sig, rm)
}

// F64Add returns a+b rounded to binary64.
func F64Add(a, b uint64, rm RM) (uint64, Flags) {
	if rm == RNE {
		if r, fl, ok := f64AddFast(a, b); ok {
			return r, fl
		}
	}
	return f64.add(a, b, false, rm)
}

// F64Sub returns a-b rounded to binary64.
func F64Sub(a, b uint64, rm RM) (uint64, Flags) {
	if rm == RNE {
		if r, fl, ok := f64AddFast(a, b^signBit64); ok {
			return r, fl
		}
	}
	return f64.add(a, b, true, rm)
}

// F64Mul returns a*b rounded to binary64.
func F64Mul(a, b uint64, rm RM) (uint64, Flags) {
	if rm == RNE {
		if r, fl, ok := f64MulFast(a, b); ok {
			return r, fl
		}
	}
	return f64.mul(a, b, rm)
}

// F64Div returns a/b rounded to binary64.
func F64Div(a, b uint64, rm RM) (uint64, Flags) {
	if rm == RNE {
		if r, fl, ok := f64DivFast(a, b); ok {
			return r, fl
		}
	}
	return f64.div(a, b, rm)
}

// F64Sqrt returns the square root of a rounded to binary64.
func F64Sqrt(a uint64, rm RM) (uint64, Flags) {
	if rm == RNE {
		if r, fl, ok := f64SqrtFast(a); ok {
			return r, fl
		}
	}
	return f64.sqrt(a, rm)
}

// F64MulAdd returns a*b+c with a single rounding to binary64.
func F64MulAdd(a, b, c uint64, rm RM) (uint64, Flags) {
	if rm == RNE {
		if r, fl, ok := f64MulAddFast(a, b, c); ok {
			return r, fl
		}
	}
	return f64.mulAdd(a, b, c, rm)
}

// F32Add returns a+b rounded to binary32.
func F32Add(a, b uint32, rm RM) (uint32, Flags) {
	if rm == RNE {
		if r, fl, ok := f32AddFast(a, b); ok {
			return r, fl
		}
	}
	r, fl := f32.add(uint64(a), uint64(b), false, rm)
	return uint32(r), fl
}

// F32Sub returns a-b rounded to binary32.
func F32Sub(a, b uint32, rm RM) (uint32, Flags) {
	if rm == RNE {
		if r, fl, ok := f32AddFast(a, b^(1<<31)); ok {
			return r, fl
		}
	}
	r, fl := f32.add(uint64(a), uint64(b), true, rm)
	return uint32(r), fl
}

// F32Mul returns a*b rounded to binary32.
func F32Mul(a, b uint32, rm RM) (uint32, Flags) {
	if rm == RNE {
		if r, fl, ok := f32MulFast(a, b); ok {
			return r, fl
		}
	}
	r, fl := f32.mul(uint64(a), uint64(b), rm)
	return uint32(r), fl
}

// F32Div returns a/b rounded to binary32.
func F32Div(a, b uint32, rm RM) (uint32, Flags) {
	if rm == RNE {
		if r, fl, ok := f32DivFast(a, b); ok {
			return r, fl
		}
	}
	r, fl := f32.div(uint64(a), uint64(b), rm)
	return uint32(r), fl
}

// F32Sqrt returns the square root of a rounded to binary32.
func F32Sqrt(a uint32, rm RM) (uint32, Flags) {
	if rm == RNE {
		if r, fl, ok := f32SqrtFast(a); ok {
			return r, fl
		}
	}
	r, fl := f32.sqrt(uint64(a), rm)
	return uint32(r), fl
}

// F32MulAdd returns a*b+c with a single rounding to binary32.
func F32MulAdd(a, b, c uint32, rm RM) (uint32, Flags) {
	if rm == RNE {
		if r, fl, ok := f32MulAddFast(a, b, c); ok {
			return r, fl
		}
	}
	r, fl := f32.mulAdd(uint64(a), uint64(b), uint64(c), rm)
	return uint32(r), fl
}
