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
