package softfloat

import "math"

// Hardware fast paths for round-to-nearest-even, the mode compiled code
// uses almost always. Go's float64 operations are IEEE 754 binary64 with
// RNE, so the result bits are right whenever the operation is finite; what
// the hardware does not give is the flags. These paths are taken only when
// the flags can be derived exactly and cheaply:
//
//   - NX from an exact residual: Fast2Sum for sums, math.FMA for products,
//     quotients and square roots (x*y-p, x-q*y, x-r*r are nonzero exactly
//     when the result is inexact, provided the residual's last bit is above
//     the subnormal range, hence the exponent floors below);
//   - no UF and no OF: the result is finite and at least twice the smallest
//     normal (tininess is decided after rounding, and a result that rounded
//     up to the smallest normal may still be tiny), or it is a sum (a sum
//     in the subnormal range is exact);
//   - no NaN, infinity or zero operands reach a finite normal result in a
//     way the flags would depend on (NaN or infinite results, and zeros
//     where their sign could matter, take the integer path).
//
// binary32 operations run in float64 and round once more to float32: for
// +, -, *, / and sqrt, 53 >= 2*24+2 bits makes the double rounding
// innocuous; products of two binary32 values are exact in float64.
// Conversions: float to integer rounds in hardware (math.Trunc, Floor,
// Ceil, Round, RoundToEven: every mode) when the rounded value is in
// range, where the only possible flag is NX; integer to float converts in
// hardware in RNE when the integer is small enough that the conversion is
// one rounding, with NX when it does not convert back; binary64 to
// binary32 in RNE as for the other binary32 results.
//
// Anything outside these conditions returns ok == false and takes the
// exact integer path.

const (
	signBit64 = 1 << 63
	expMin64  = 0x100 // exponent field floor for residual-checked results
)

func exp64(a uint64) uint64 { return a >> 52 & 0x7ff }
func exp32(a uint32) uint32 { return a >> 23 & 0xff }

func f64AddFast(a, b uint64) (uint64, Flags, bool) {
	x, y := math.Float64frombits(a), math.Float64frombits(b)
	s := x + y
	sb := math.Float64bits(s)
	if exp64(sb) == 0x7ff {
		return 0, 0, false
	}
	// Fast2Sum: with |x| >= |y|, y - (s - x) is the exact rounding error.
	if a&^signBit64 < b&^signBit64 {
		x, y = y, x
	}
	if y-(s-x) != 0 {
		return sb, NX, true
	}
	return sb, 0, true
}

func f64MulFast(a, b uint64) (uint64, Flags, bool) {
	x, y := math.Float64frombits(a), math.Float64frombits(b)
	p := float64(x * y)
	pb := math.Float64bits(p)
	if e := exp64(pb); e < expMin64 || e == 0x7ff {
		return 0, 0, false
	}
	if math.FMA(x, y, -p) != 0 {
		return pb, NX, true
	}
	return pb, 0, true
}

func f64DivFast(a, b uint64) (uint64, Flags, bool) {
	x, y := math.Float64frombits(a), math.Float64frombits(b)
	q := float64(x / y)
	qb := math.Float64bits(q)
	if e := exp64(qb); e < 2 || e == 0x7ff {
		return 0, 0, false
	}
	if e := exp64(a); e < expMin64 || e == 0x7ff {
		return 0, 0, false
	}
	if math.FMA(-q, y, x) != 0 {
		return qb, NX, true
	}
	return qb, 0, true
}

func f64SqrtFast(a uint64) (uint64, Flags, bool) {
	if e := exp64(a); a&signBit64 != 0 || e < expMin64 || e == 0x7ff {
		return 0, 0, false
	}
	x := math.Float64frombits(a)
	r := math.Sqrt(x)
	if math.FMA(-r, r, x) != 0 {
		return math.Float64bits(r), NX, true
	}
	return math.Float64bits(r), 0, true
}

func f32AddFast(a, b uint32) (uint32, Flags, bool) {
	x := float64(math.Float32frombits(a))
	y := float64(math.Float32frombits(b))
	s := x + y
	r := float32(s)
	rb := math.Float32bits(r)
	if exp32(rb) == 0xff {
		return 0, 0, false
	}
	if a&^(1<<31) < b&^(1<<31) {
		x, y = y, x
	}
	if y-(s-x) != 0 || float64(r) != s {
		return rb, NX, true
	}
	return rb, 0, true
}

func f32MulFast(a, b uint32) (uint32, Flags, bool) {
	x := float64(math.Float32frombits(a))
	y := float64(math.Float32frombits(b))
	p := float64(x * y) // exact: 48 bits
	r := float32(p)
	rb := math.Float32bits(r)
	if e := exp32(rb); e < 2 || e == 0xff {
		return 0, 0, false
	}
	if float64(r) != p {
		return rb, NX, true
	}
	return rb, 0, true
}

func f32DivFast(a, b uint32) (uint32, Flags, bool) {
	x := float64(math.Float32frombits(a))
	y := float64(math.Float32frombits(b))
	r := float32(x / y)
	rb := math.Float32bits(r)
	if e := exp32(rb); e < 2 || e == 0xff {
		return 0, 0, false
	}
	if float64(float64(r)*y) != x { // the product is exact: 48 bits
		return rb, NX, true
	}
	return rb, 0, true
}

func f32SqrtFast(a uint32) (uint32, Flags, bool) {
	if e := exp32(a); a>>31 != 0 || e == 0 || e == 0xff {
		return 0, 0, false
	}
	x := float64(math.Float32frombits(a))
	r := float32(math.Sqrt(x))
	rr := float64(r)
	if float64(rr*rr) != x {
		return math.Float32bits(r), NX, true
	}
	return math.Float32bits(r), 0, true
}

func f32MulAddFast(a, b, c uint32) (uint32, Flags, bool) {
	x := float64(math.Float32frombits(a))
	y := float64(math.Float32frombits(b))
	z := float64(math.Float32frombits(c))
	p := float64(x * y) // exact
	s := p + z
	// Only when the float64 sum is exact, so that float32(s) is the one
	// rounding.
	if math.Abs(p) >= math.Abs(z) {
		if z-(s-p) != 0 {
			return 0, 0, false
		}
	} else if p-(s-z) != 0 {
		return 0, 0, false
	}
	r := float32(s)
	rb := math.Float32bits(r)
	if e := exp32(rb); e < 2 || e == 0xff {
		return 0, 0, false
	}
	if float64(r) != s {
		return rb, NX, true
	}
	return rb, 0, true
}

// roundFloat rounds x to an integral value in mode rm, in hardware (or
// math's exact software fallbacks).
func roundFloat(x float64, rm RM) float64 {
	switch rm {
	case RTZ:
		return math.Trunc(x)
	case RDN:
		return math.Floor(x)
	case RUP:
		return math.Ceil(x)
	case RMM:
		return math.Round(x)
	default:
		return math.RoundToEven(x)
	}
}

// toIntFast converts x to an integer when x and its rounding lie strictly
// inside (lo-1, hi+1), where every flag is NX or nothing. The bounds are
// powers of two (or zero), so they and the test are exact.
func toIntFast(x float64, rm RM, lo, hi float64) (int64, Flags, bool) {
	if !(x > lo-1 && x < hi+1) { // also false for NaN
		return 0, 0, false
	}
	r := roundFloat(x, rm)
	if r < lo || r > hi {
		return 0, 0, false
	}
	if r != x {
		return int64(r), NX, true
	}
	return int64(r), 0, true
}

// Bounds for toIntFast; the signed upper bounds are one below a power of
// two, which float64 cannot hold for 64 bits, so I64 uses a smaller bound.
const (
	i32lo, i32hi = -(1 << 31), 1<<31 - 1
	u32hi        = 1<<32 - 1
	i64lo, i64hi = -(1 << 62), 1 << 62
	u64hi        = 1 << 62
)

// fromInt64Fast converts |v| < 2^62 to binary64 in hardware (RNE).
func fromInt64Fast(v int64) (uint64, Flags, bool) {
	if v < -(1<<62) || v > 1<<62 {
		return 0, 0, false
	}
	f := float64(v)
	if int64(f) != v {
		return math.Float64bits(f), NX, true
	}
	return math.Float64bits(f), 0, true
}

// fromInt64Fast32 converts |v| <= 2^53 to binary32 in hardware (RNE):
// through float64, which holds v exactly, so there is one rounding.
func fromInt64Fast32(v int64) (uint32, Flags, bool) {
	if v < -(1<<53) || v > 1<<53 {
		return 0, 0, false
	}
	f := float32(float64(v))
	if int64(f) != v {
		return math.Float32bits(f), NX, true
	}
	return math.Float32bits(f), 0, true
}

// f64MulAddFast is a*b+c from the hardware (math.FMA). Exactness is
// decided from residuals: with d = RN(r-c) and g = (r-c)-d (Fast2Sum),
// a*b+c-r = (a*b-d) - g, and w = RN(a*b-d) is computed by another FMA. If g
// is zero the result is exact exactly when w is zero; otherwise w != g
// proves it inexact (an exact result makes a*b-d = g, so w = g), and w ==
// g is left to the integer path. The exponent windows keep every residual
// above the subnormal range and every intermediate finite, and the result
// at least 2^-767, so neither UF nor OF can arise.
func f64MulAddFast(a, b, c uint64) (uint64, Flags, bool) {
	fa, fb, fc := exp64(a), exp64(b), exp64(c)
	if fa-1 >= 0x7fe || fb-1 >= 0x7fe || fc >= 0x7fe || fa+fb < 1076 || fa+fb > 3066 {
		return 0, 0, false
	}
	x, y, z := math.Float64frombits(a), math.Float64frombits(b), math.Float64frombits(c)
	r := math.FMA(x, y, z)
	rb := math.Float64bits(r)
	if e := exp64(rb); e < expMin64 || e >= 0x7fe {
		return 0, 0, false
	}
	d := r - z
	var g float64
	if rb&^signBit64 >= c&^signBit64 {
		g = (r - d) - z // = -z - (d - r), with d - r exact
	} else {
		g = r - (d + z)
	}
	w := math.FMA(x, y, -d)
	if g == 0 {
		if w != 0 {
			return rb, NX, true
		}
		return rb, 0, true
	}
	if w != g {
		return rb, NX, true
	}
	return 0, 0, false
}
