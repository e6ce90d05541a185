package softfloat

import (
	"math/rand"
)

// gen makes operands biased to the hard cases: specials of both signs,
// signalling NaNs, subnormals, the ends of the exponent range, and
// significands with long runs of zeros or ones (which put exact results
// on or next to halfway points).
type gen struct {
	r   *rand.Rand
	f   refFmt
	eb  uint   // exponent bits
	fb  uint   // fraction bits
	emx uint64 // all-ones exponent field
}

func newGen(seed int64, f refFmt) *gen {
	g := &gen{r: rand.New(rand.NewSource(seed)), f: f, eb: 11, fb: 52, emx: 0x7ff}
	if f.is32 {
		g.eb, g.fb, g.emx = 8, 23, 0xff
	}
	return g
}

func (g *gen) pack(neg bool, e, m uint64) uint64 {
	v := e<<g.fb | m&(1<<g.fb-1)
	if neg {
		v |= 1 << (g.fb + g.eb)
	}
	return v
}

func (g *gen) frac() uint64 {
	r := g.r
	mask := uint64(1)<<g.fb - 1
	switch r.Intn(9) {
	case 0:
		return 0
	case 1:
		return mask
	case 2: // only the top k bits random
		k := uint(r.Intn(int(g.fb) + 1))
		return r.Uint64() & mask &^ (mask >> k)
	case 3: // one bit
		return 1 << uint(r.Intn(int(g.fb)))
	case 4: // a run of ones then zeros, or zeros then ones
		k := uint(r.Intn(int(g.fb)))
		if r.Intn(2) == 0 {
			return mask &^ (mask >> k)
		}
		return mask >> k
	case 5: // near the ends
		d := uint64(r.Intn(4))
		if r.Intn(2) == 0 {
			return d
		}
		return mask - d
	case 6: // sparse
		return r.Uint64() & r.Uint64() & r.Uint64() & mask
	case 7: // dense
		return (r.Uint64() | r.Uint64() | r.Uint64()) & mask
	default:
		return r.Uint64() & mask
	}
}

// expNear returns a biased exponent field near e (clamped to finite).
func (g *gen) expNear(e int64, spread int) uint64 {
	e += int64(g.r.Intn(2*spread+1) - spread)
	if e < 0 {
		e = 0
	}
	if e >= int64(g.emx) {
		e = int64(g.emx) - 1
	}
	return uint64(e)
}

func (g *gen) bias() int64 { return int64(g.emx >> 1) }

// value returns one operand.
func (g *gen) value() uint64 {
	r := g.r
	neg := r.Intn(2) == 0
	switch r.Intn(16) {
	case 0: // specials
		switch r.Intn(6) {
		case 0:
			return g.pack(neg, 0, 0)
		case 1:
			return g.pack(neg, g.emx, 0)
		case 2: // quiet NaN, any payload
			return g.pack(neg, g.emx, 1<<(g.fb-1)|r.Uint64())
		case 3: // signalling NaN
			m := r.Uint64() & (1<<(g.fb-1) - 1)
			if m == 0 {
				m = 1
			}
			return g.pack(neg, g.emx, m)
		case 4: // largest finite
			return g.pack(neg, g.emx-1, 1<<g.fb-1)
		default: // smallest normal / largest subnormal
			if r.Intn(2) == 0 {
				return g.pack(neg, 1, 0)
			}
			return g.pack(neg, 0, 1<<g.fb-1)
		}
	case 1, 2: // subnormal
		return g.pack(neg, 0, g.frac())
	case 3: // bottom of the range, and the floor of the fast paths
		if !g.f.is32 && r.Intn(2) == 0 {
			return g.pack(neg, g.expNear(expMin64, 2), g.frac())
		}
		return g.pack(neg, g.expNear(2, 3), g.frac())
	case 4: // top of the range
		return g.pack(neg, g.expNear(int64(g.emx)-2, 3), g.frac())
	case 5: // any bits
		return r.Uint64() & (1<<(g.fb+g.eb+1) - 1)
	default: // moderate magnitudes
		return g.pack(neg, g.expNear(g.bias(), 40), g.frac())
	}
}

// expOf returns the exponent field of a.
func (g *gen) expOf(a uint64) int64 { return int64(a >> g.fb & g.emx) }

// related returns an operand whose exponent is set relative to a (target
// field value e0 plus a small spread), with a random or a's significand.
func (g *gen) related(a uint64, e0 int64, spread int) uint64 {
	r := g.r
	neg := r.Intn(2) == 0
	m := g.frac()
	if r.Intn(4) == 0 {
		m = a // same significand: cancellation, exact ties
	}
	return g.pack(neg, g.expNear(e0, spread), m)
}

// pair returns two operands for an operation: independent, or with the
// exponent of b chosen so that the result lands at an interesting place.
func (g *gen) pair(op string) (uint64, uint64) {
	a := g.value()
	if g.r.Intn(3) == 0 {
		return a, g.value()
	}
	ea := g.expOf(a)
	p := int(g.f.p)
	switch op {
	case "add", "sub":
		return a, g.related(a, ea-int64(g.r.Intn(p+4)), 1)
	case "mul":
		// ea+eb-bias near the bottom, the top, or the subnormal range.
		targets := []int64{1, int64(g.emx) - 1, -int64(p) / 2, g.bias(), expMin64}
		t := targets[g.r.Intn(len(targets))]
		return a, g.related(a, t-ea+g.bias(), 3)
	case "div":
		targets := []int64{1, int64(g.emx) - 1, -int64(p) / 2, g.bias()}
		t := targets[g.r.Intn(len(targets))]
		return a, g.related(a, ea-t+g.bias(), 3)
	}
	return a, g.value()
}

// triple returns operands for a fused multiply-add, often with c near the
// product's magnitude and its negation (massive cancellation).
func (g *gen) triple() (uint64, uint64, uint64) {
	a, b := g.pair("mul")
	if g.r.Intn(3) == 0 {
		return a, b, g.value()
	}
	ep := g.expOf(a) + g.expOf(b) - g.bias()
	c := g.related(a, ep-int64(g.r.Intn(g.f.p+3))+int64(g.r.Intn(3)), 1)
	if g.r.Intn(3) == 0 {
		// c = -(a*b) rounded: the sum is the product's rounding error.
		c = g.f.negProduct(a, b)
	}
	return a, b, c
}

// negProduct is -(a*b) rounded to nearest by the referee.
func (f refFmt) negProduct(a, b uint64) uint64 {
	p, _ := f.mul(a, b, RNE)
	if f.is32 {
		return p ^ 0x80000000
	}
	return p ^ 1<<63
}

// rm returns a rounding mode.
func (g *gen) rm() RM { return RM(g.r.Intn(5)) }
