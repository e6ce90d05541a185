package softfloat

// The test referee: exact values in math/big (big.Rat for the rational
// operations, a comparison with t*t for square roots) rounded by a simple
// reference rounding with explicit exponent range handling. Nothing here
// uses the package's own unpacking or rounding.

import (
	"math"
	"math/big"
)

// refFmt is a binary format as the referee sees it.
type refFmt struct {
	p, emin, emax int // precision in bits, exponent range of normal numbers
	is32          bool
}

var (
	ref64 = refFmt{p: 53, emin: -1022, emax: 1023}
	ref32 = refFmt{p: 24, emin: -126, emax: 127, is32: true}
)

func (f refFmt) nan() uint64 {
	if f.is32 {
		return 0x7fc00000
	}
	return 0x7ff8000000000000
}

// value decodes bits of the format into a float64 (exact for both formats).
func (f refFmt) value(a uint64) float64 {
	if f.is32 {
		return float64(math.Float32frombits(uint32(a)))
	}
	return math.Float64frombits(a)
}

// bits encodes a float64 known to be representable in the format.
func (f refFmt) bits(v float64) uint64 {
	if f.is32 {
		return uint64(math.Float32bits(float32(v)))
	}
	return math.Float64bits(v)
}

func (f refFmt) isSNaN(a uint64) bool {
	if f.is32 {
		return a&0x7f800000 == 0x7f800000 && a&0x7fffff != 0 && a&0x400000 == 0
	}
	return a&0x7ff0000000000000 == 0x7ff0000000000000 && a&0xfffffffffffff != 0 && a&(1<<51) == 0
}

func (f refFmt) inf(neg bool) uint64 {
	if neg {
		return f.bits(math.Inf(-1))
	}
	return f.bits(math.Inf(1))
}

func (f refFmt) zero(neg bool) uint64 {
	if neg {
		return f.bits(math.Copysign(0, -1))
	}
	return 0
}

func (f refFmt) maxFinite(neg bool) uint64 {
	v := math.MaxFloat64
	if f.is32 {
		v = math.MaxFloat32
	}
	if neg {
		v = -v
	}
	return f.bits(v)
}

func ratOf(v float64) *big.Rat {
	r, _ := new(big.Float).SetFloat64(v).Rat(nil)
	return r
}

func pow2Rat(e int) *big.Rat {
	one := big.NewInt(1)
	if e >= 0 {
		return new(big.Rat).SetInt(new(big.Int).Lsh(one, uint(e)))
	}
	return new(big.Rat).SetFrac(one, new(big.Int).Lsh(one, uint(-e)))
}

// magnitude is a positive real value the referee can compare exactly with
// rationals, with an approximation to start searches from.
type magnitude struct {
	cmp    func(t *big.Rat) int // sign of (value - t)
	approx *big.Float
}

func ratMag(v *big.Rat) magnitude {
	a := new(big.Rat).Abs(v)
	return magnitude{
		cmp:    func(t *big.Rat) int { return a.Cmp(t) },
		approx: new(big.Float).SetPrec(200).SetRat(a),
	}
}

// sqrtMag is the magnitude sqrt(x) for a positive rational x.
func sqrtMag(x *big.Rat) magnitude {
	ap := new(big.Float).SetPrec(300).SetRat(x)
	ap.Sqrt(ap)
	return magnitude{
		cmp: func(t *big.Rat) int {
			return x.Cmp(new(big.Rat).Mul(t, t))
		},
		approx: ap,
	}
}

// floorAt returns floor(v / 2^q) and whether v / 2^q is an integer, and
// the comparison of the remainder with one half (-1, 0, 1).
func (m magnitude) floorAt(q int) (n *big.Int, exact bool, half int) {
	s := new(big.Float).SetPrec(400).SetMantExp(m.approx, -q)
	n, _ = s.Int(nil)
	one := big.NewInt(1)
	scaled := func(k *big.Int) *big.Rat {
		return new(big.Rat).Mul(new(big.Rat).SetInt(k), pow2Rat(q))
	}
	for m.cmp(scaled(n)) < 0 {
		n.Sub(n, one)
	}
	for m.cmp(scaled(new(big.Int).Add(n, one))) >= 0 {
		n.Add(n, one)
	}
	exact = m.cmp(scaled(n)) == 0
	h := new(big.Rat).Add(new(big.Rat).SetInt(n), big.NewRat(1, 2))
	half = m.cmp(new(big.Rat).Mul(h, pow2Rat(q)))
	return n, exact, half
}

// roundInt rounds v/2^q to an integer magnitude under rm for a value of the
// given sign; it returns the magnitude and whether it was inexact.
func (m magnitude) roundInt(neg bool, q int, rm RM) (*big.Int, bool) {
	n, exact, half := m.floorAt(q)
	if exact {
		return n, false
	}
	up := false
	switch rm {
	case RNE:
		up = half > 0 || half == 0 && n.Bit(0) == 1
	case RMM:
		up = half >= 0
	case RTZ:
	case RDN:
		up = neg
	case RUP:
		up = !neg
	}
	if up {
		n.Add(n, big.NewInt(1))
	}
	return n, true
}

// exponent returns e with 2^e <= v < 2^(e+1).
func (m magnitude) exponent() int {
	e := m.approx.MantExp(nil) - 1
	for m.cmp(pow2Rat(e)) < 0 {
		e--
	}
	for m.cmp(pow2Rat(e+1)) >= 0 {
		e++
	}
	return e
}

// round is the reference rounding of a nonzero value of the given sign
// and magnitude into format f.
func (f refFmt) round(neg bool, m magnitude, rm RM) (uint64, Flags) {
	e := m.exponent()
	// Rounded with an unbounded exponent range: decides tininess and
	// overflow.
	qu := e - f.p + 1
	nu, inexact := m.roundInt(neg, qu, rm)
	ru := new(big.Rat).Mul(new(big.Rat).SetInt(nu), pow2Rat(qu))
	if ru.Cmp(pow2Rat(f.emax+1)) >= 0 {
		switch {
		case rm == RTZ, rm == RDN && !neg, rm == RUP && neg:
			return f.maxFinite(neg), OF | NX
		}
		return f.inf(neg), OF | NX
	}
	tiny := ru.Cmp(pow2Rat(f.emin)) < 0
	q := max(e, f.emin) - f.p + 1
	n, inexact := m.roundInt(neg, q, rm)
	var fl Flags
	if inexact {
		fl |= NX
		if tiny {
			fl |= UF
		}
	}
	v, acc := new(big.Float).SetMantExp(new(big.Float).SetInt(n), q).Float64()
	if acc != big.Exact {
		panic("reference result not exact in float64")
	}
	if neg {
		v = -v
	}
	return f.bits(v), fl
}

// roundRat rounds a nonzero rational.
func (f refFmt) roundRat(v *big.Rat, rm RM) (uint64, Flags) {
	return f.round(v.Sign() < 0, ratMag(v), rm)
}

// nanIn reports whether any operand is a NaN and whether any is signalling.
func (f refFmt) nanIn(xs ...uint64) (nan, snan bool) {
	for _, x := range xs {
		if math.IsNaN(f.value(x)) {
			nan = true
		}
		if f.isSNaN(x) {
			snan = true
		}
	}
	return
}

func (f refFmt) nanResult(xs ...uint64) (uint64, Flags) {
	_, s := f.nanIn(xs...)
	if s {
		return f.nan(), NV
	}
	return f.nan(), 0
}

// exactZero is the sign of an exact zero sum: negative only when both
// addends are negative zeros, or in RDN when the signs differ.
func (f refFmt) exactZero(negA, negB bool, rm RM) uint64 {
	if negA == negB {
		return f.zero(negA)
	}
	return f.zero(rm == RDN)
}

func (f refFmt) add(a, b uint64, rm RM) (uint64, Flags) {
	if n, _ := f.nanIn(a, b); n {
		return f.nanResult(a, b)
	}
	x, y := f.value(a), f.value(b)
	if math.IsInf(x, 0) && math.IsInf(y, 0) && x != y {
		return f.nan(), NV
	}
	if math.IsInf(x, 0) {
		return a, 0
	}
	if math.IsInf(y, 0) {
		return b, 0
	}
	s := new(big.Rat).Add(ratOf(x), ratOf(y))
	if s.Sign() == 0 {
		return f.exactZero(math.Signbit(x), math.Signbit(y), rm), 0
	}
	return f.roundRat(s, rm)
}

func (f refFmt) sub(a, b uint64, rm RM) (uint64, Flags) {
	if f.is32 {
		return f.add(a, b^0x80000000, rm)
	}
	return f.add(a, b^1<<63, rm)
}

func (f refFmt) mul(a, b uint64, rm RM) (uint64, Flags) {
	if n, _ := f.nanIn(a, b); n {
		return f.nanResult(a, b)
	}
	x, y := f.value(a), f.value(b)
	neg := math.Signbit(x) != math.Signbit(y)
	if math.IsInf(x, 0) || math.IsInf(y, 0) {
		if x == 0 || y == 0 {
			return f.nan(), NV
		}
		return f.inf(neg), 0
	}
	if x == 0 || y == 0 {
		return f.zero(neg), 0
	}
	return f.roundRat(new(big.Rat).Mul(ratOf(x), ratOf(y)), rm)
}

func (f refFmt) div(a, b uint64, rm RM) (uint64, Flags) {
	if n, _ := f.nanIn(a, b); n {
		return f.nanResult(a, b)
	}
	x, y := f.value(a), f.value(b)
	neg := math.Signbit(x) != math.Signbit(y)
	switch {
	case math.IsInf(x, 0) && math.IsInf(y, 0), x == 0 && y == 0:
		return f.nan(), NV
	case math.IsInf(x, 0):
		return f.inf(neg), 0
	case math.IsInf(y, 0):
		return f.zero(neg), 0
	case y == 0:
		return f.inf(neg), DZ
	case x == 0:
		return f.zero(neg), 0
	}
	return f.roundRat(new(big.Rat).Quo(ratOf(x), ratOf(y)), rm)
}

func (f refFmt) sqrt(a uint64, rm RM) (uint64, Flags) {
	if n, _ := f.nanIn(a); n {
		return f.nanResult(a)
	}
	x := f.value(a)
	switch {
	case x == 0:
		return a, 0
	case x < 0:
		return f.nan(), NV
	case math.IsInf(x, 1):
		return a, 0
	}
	return f.round(false, sqrtMag(ratOf(x)), rm)
}

func (f refFmt) mulAdd(a, b, c uint64, rm RM) (uint64, Flags) {
	x, y, z := f.value(a), f.value(b), f.value(c)
	if (math.IsInf(x, 0) && y == 0) || (x == 0 && math.IsInf(y, 0)) {
		return f.nan(), NV // RISC-V: even when c is a quiet NaN
	}
	if n, _ := f.nanIn(a, b, c); n {
		return f.nanResult(a, b, c)
	}
	pneg := math.Signbit(x) != math.Signbit(y)
	if math.IsInf(x, 0) || math.IsInf(y, 0) {
		if math.IsInf(z, 0) && math.Signbit(z) != pneg {
			return f.nan(), NV
		}
		return f.inf(pneg), 0
	}
	if math.IsInf(z, 0) {
		return c, 0
	}
	s := new(big.Rat).Mul(ratOf(x), ratOf(y))
	s.Add(s, ratOf(z))
	if s.Sign() == 0 {
		if x == 0 || y == 0 {
			return f.exactZero(pneg, math.Signbit(z), rm), 0
		}
		return f.zero(rm == RDN), 0
	}
	return f.roundRat(s, rm)
}

// convert rounds a value of format src to format f.
func (f refFmt) convert(src refFmt, a uint64, rm RM) (uint64, Flags) {
	if n, s := src.nanIn(a); n {
		if s {
			return f.nan(), NV
		}
		return f.nan(), 0
	}
	x := src.value(a)
	if math.IsInf(x, 0) || x == 0 {
		return f.bits(x), 0
	}
	return f.roundRat(ratOf(x), rm)
}

// refToInt converts as fcvt to an integer of the given width and
// signedness, returning the 64-bit register value.
func refToInt(f refFmt, a uint64, rm RM, width int, signed bool) (uint64, Flags) {
	var lo, hi *big.Int
	if signed {
		hi = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(width-1)), big.NewInt(1))
		lo = new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), uint(width-1)))
	} else {
		hi = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(width)), big.NewInt(1))
		lo = big.NewInt(0)
	}
	reg := func(v *big.Int) uint64 {
		// Two's complement in width bits, sign-extended to 64.
		m := new(big.Int).And(v, new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(width)), big.NewInt(1)))
		u := m.Uint64()
		if width == 32 {
			u = uint64(int64(int32(uint32(u))))
		}
		return u
	}
	x := f.value(a)
	switch {
	case math.IsNaN(x), math.IsInf(x, 1):
		return reg(hi), NV
	case math.IsInf(x, -1):
		return reg(lo), NV
	case x == 0:
		return 0, 0
	}
	r := ratOf(x)
	neg := r.Sign() < 0
	n, inexact := ratMag(r).roundInt(neg, 0, rm)
	if neg {
		n.Neg(n)
	}
	if n.Cmp(hi) > 0 {
		return reg(hi), NV
	}
	if n.Cmp(lo) < 0 {
		return reg(lo), NV
	}
	if inexact {
		return reg(n), NX
	}
	return reg(n), 0
}

// refFromInt converts the integer v (already sign- or zero-extended) to f.
func refFromInt(f refFmt, v *big.Int, rm RM) (uint64, Flags) {
	if v.Sign() == 0 {
		return 0, 0
	}
	return f.roundRat(new(big.Rat).SetInt(v), rm)
}
