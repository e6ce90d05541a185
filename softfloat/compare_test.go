package softfloat

import (
	"math"
	"testing"
)

// refMinMax is RISC-V fmin/fmax as the ISA manual words it (version 2.2
// semantics, IEEE 754-2019 minimumNumber/maximumNumber): "if only one
// operand is a NaN, the result is the non-NaN operand"; both NaN give the
// canonical NaN; signalling NaN inputs set NV; -0.0 is less than +0.0.
func refMinMax(f refFmt, a, b uint64, isMax bool) (uint64, Flags) {
	var fl Flags
	if f.isSNaN(a) || f.isSNaN(b) {
		fl = NV
	}
	x, y := f.value(a), f.value(b)
	switch {
	case math.IsNaN(x) && math.IsNaN(y):
		return f.nan(), fl
	case math.IsNaN(x):
		return b, fl
	case math.IsNaN(y):
		return a, fl
	}
	if x == 0 && y == 0 {
		// Signs decide: min takes a negative zero, max a positive one.
		if math.Signbit(x) == isMax {
			return b, fl
		}
		return a, fl
	}
	if (x < y) != isMax {
		return a, fl
	}
	return b, fl
}

// refCmp is feq/flt/fle: Go's comparisons, with the flags the ISA manual
// gives (feq quiet: NV for sNaN only; flt/fle signalling: NV for any NaN).
func refCmp(f refFmt, a, b uint64, op string) (bool, Flags) {
	x, y := f.value(a), f.value(b)
	nan := math.IsNaN(x) || math.IsNaN(y)
	switch op {
	case "eq":
		if f.isSNaN(a) || f.isSNaN(b) {
			return false, NV
		}
		return x == y, 0
	case "lt":
		if nan {
			return false, NV
		}
		return x < y, 0
	}
	if nan {
		return false, NV
	}
	return x <= y, 0
}

func TestRandomMinMaxCompare(t *testing.T) {
	for _, f := range []refFmt{ref64, ref32} {
		t.Run(fmtName(f), func(t *testing.T) {
			g := newGen(700, f)
			n := cases(t)
			for k := 0; k < n; k++ {
				a, b := g.value(), g.value()
				if g.r.Intn(4) == 0 {
					b = a ^ uint64(g.r.Intn(2))<<(g.fb+g.eb) // equal or negated
				}
				var mn, mx uint64
				var fmn, fmx Flags
				var eq, lt, le bool
				var feq, flt, fle Flags
				if f.is32 {
					var r uint32
					r, fmn = F32Min(uint32(a), uint32(b))
					mn = uint64(r)
					r, fmx = F32Max(uint32(a), uint32(b))
					mx = uint64(r)
					eq, feq = F32Eq(uint32(a), uint32(b))
					lt, flt = F32Lt(uint32(a), uint32(b))
					le, fle = F32Le(uint32(a), uint32(b))
				} else {
					mn, fmn = F64Min(a, b)
					mx, fmx = F64Max(a, b)
					eq, feq = F64Eq(a, b)
					lt, flt = F64Lt(a, b)
					le, fle = F64Le(a, b)
				}
				if w, wf := refMinMax(f, a, b, false); mn != w || fmn != wf {
					t.Fatalf("min(%#x, %#x) = %#x %s, want %#x %s", a, b, mn, fmn, w, wf)
				}
				if w, wf := refMinMax(f, a, b, true); mx != w || fmx != wf {
					t.Fatalf("max(%#x, %#x) = %#x %s, want %#x %s", a, b, mx, fmx, w, wf)
				}
				for _, c := range []struct {
					op  string
					got bool
					fl  Flags
				}{{"eq", eq, feq}, {"lt", lt, flt}, {"le", le, fle}} {
					if w, wf := refCmp(f, a, b, c.op); c.got != w || c.fl != wf {
						t.Fatalf("%s(%#x, %#x) = %v %s, want %v %s", c.op, a, b, c.got, c.fl, w, wf)
					}
				}
			}
			t.Logf("%d random cases", n)
		})
	}
}

// The fmin/fmax NaN rules of the ISA manual, as a table.
func TestMinMaxNaNTable(t *testing.T) {
	const (
		qnan = 0x7ff8000000000000
		qpay = 0xfff8000000001234 // a quiet NaN with sign and payload
		snan = 0x7ff4000000000000
		one  = 0x3ff0000000000000
		pz   = 0
		nz   = 0x8000000000000000
	)
	rows := []struct {
		a, b, min, max uint64
		fl             Flags
	}{
		{qnan, one, one, one, 0},
		{one, qpay, one, one, 0},
		{snan, one, one, one, NV},
		{one, snan, one, one, NV},
		{qnan, qpay, qnan, qnan, 0},
		{snan, qpay, qnan, qnan, NV},
		{snan, snan, qnan, qnan, NV},
		{pz, nz, nz, pz, 0},
		{nz, pz, nz, pz, 0},
	}
	for _, r := range rows {
		if got, fl := F64Min(r.a, r.b); got != r.min || fl != r.fl {
			t.Errorf("fmin.d(%#x, %#x) = %#x %s, want %#x %s", r.a, r.b, got, fl, r.min, r.fl)
		}
		if got, fl := F64Max(r.a, r.b); got != r.max || fl != r.fl {
			t.Errorf("fmax.d(%#x, %#x) = %#x %s, want %#x %s", r.a, r.b, got, fl, r.max, r.fl)
		}
	}
	if got, fl := F32Min(0x7fa00000, 0x7fc00001); got != 0x7fc00000 || fl != NV {
		t.Errorf("fmin.s(sNaN, qNaN) = %#x %s", got, fl)
	}
	if got, fl := F32Max(0x80000000, 0x00000000); got != 0 || fl != 0 {
		t.Errorf("fmax.s(-0, +0) = %#x %s", got, fl)
	}
}

// The fclass table of the ISA manual: bit i set for exactly one class.
func TestClassTable(t *testing.T) {
	rows := []struct {
		d   uint64
		s   uint32
		bit uint
	}{
		{0xfff0000000000000, 0xff800000, 0}, // -inf
		{0xbff0000000000000, 0xbf800000, 1}, // -normal
		{0xffefffffffffffff, 0xff7fffff, 1},
		{0x8010000000000000, 0x80800000, 1},
		{0x800fffffffffffff, 0x807fffff, 2}, // -subnormal
		{0x8000000000000001, 0x80000001, 2},
		{0x8000000000000000, 0x80000000, 3}, // -0
		{0x0000000000000000, 0x00000000, 4}, // +0
		{0x0000000000000001, 0x00000001, 5}, // +subnormal
		{0x000fffffffffffff, 0x007fffff, 5},
		{0x0010000000000000, 0x00800000, 6}, // +normal
		{0x7fefffffffffffff, 0x7f7fffff, 6},
		{0x7ff0000000000000, 0x7f800000, 7}, // +inf
		{0x7ff0000000000001, 0x7f800001, 8}, // sNaN
		{0xfff4000000000000, 0xffa00000, 8},
		{0x7ff8000000000000, 0x7fc00000, 9}, // qNaN
		{0xffffffffffffffff, 0xffffffff, 9},
	}
	for _, r := range rows {
		if got := F64Class(r.d); got != 1<<r.bit {
			t.Errorf("fclass.d(%#x) = %#x, want bit %d", r.d, got, r.bit)
		}
		if got := F32Class(r.s); got != 1<<r.bit {
			t.Errorf("fclass.s(%#x) = %#x, want bit %d", r.s, got, r.bit)
		}
	}
}

// Special cases the ISA manual and IEEE 754 spell out, for every rounding
// mode where the mode matters.
func TestSpecialCases(t *testing.T) {
	const (
		pinf = 0x7ff0000000000000
		ninf = 0xfff0000000000000
		qnan = 0x7ff8000000000000
		snan = 0x7ff0000000000001
		one  = 0x3ff0000000000000
		pz   = 0
		nz   = 0x8000000000000000
		maxf = 0x7fefffffffffffff
		minS = 0x0000000000000001
	)
	type c struct {
		name   string
		got    uint64
		fl     Flags
		want   uint64
		wantFl Flags
	}
	var cs []c
	add := func(name string, got uint64, fl Flags, want uint64, wfl Flags) {
		cs = append(cs, c{name, got, fl, want, wfl})
	}
	r, f := F64Sub(pinf, pinf, RNE)
	add("inf-inf", r, f, qnan, NV)
	r, f = F64Mul(pz, ninf, RNE)
	add("0*inf", r, f, qnan, NV)
	r, f = F64Div(pz, nz, RNE)
	add("0/0", r, f, qnan, NV)
	r, f = F64Div(pinf, ninf, RNE)
	add("inf/inf", r, f, qnan, NV)
	r, f = F64Div(one, nz, RNE)
	add("1/-0", r, f, ninf, DZ)
	r, f = F64Div(pinf, pz, RNE)
	add("inf/0", r, f, pinf, 0)
	r, f = F64Sqrt(0xbff0000000000000, RNE)
	add("sqrt(-1)", r, f, qnan, NV)
	r, f = F64Sqrt(nz, RNE)
	add("sqrt(-0)", r, f, nz, 0)
	r, f = F64Sqrt(ninf, RNE)
	add("sqrt(-inf)", r, f, qnan, NV)
	r, f = F64Add(snan, one, RNE)
	add("sNaN+1", r, f, qnan, NV)
	r, f = F64Add(0xfff8000000000abc, one, RNE)
	add("qNaN payload+1", r, f, qnan, 0)
	r, f = F64MulAdd(pinf, pz, qnan, RNE)
	add("fma(inf,0,qNaN)", r, f, qnan, NV)
	r, f = F64MulAdd(pz, ninf, 0xfff8000000000001, RNE)
	add("fma(0,-inf,qNaN)", r, f, qnan, NV)
	r, f = F64MulAdd(pinf, one, ninf, RNE)
	add("fma(inf,1,-inf)", r, f, qnan, NV)
	r, f = F64MulAdd(one, one, snan, RNE)
	add("fma(1,1,sNaN)", r, f, qnan, NV)
	r, f = F64MulAdd(pz, one, nz, RNE)
	add("fma(+0,1,-0)", r, f, pz, 0)
	r, f = F64MulAdd(pz, one, nz, RDN)
	add("fma(+0,1,-0) rdn", r, f, nz, 0)
	r, f = F64MulAdd(nz, one, nz, RNE)
	add("fma(-0,1,-0)", r, f, nz, 0)
	r, f = F64Sub(one, one, RDN)
	add("1-1 rdn", r, f, nz, 0)
	r, f = F64Sub(one, one, RUP)
	add("1-1 rup", r, f, pz, 0)
	r, f = F64Add(nz, nz, RNE)
	add("-0+-0", r, f, nz, 0)
	// Overflow by mode and sign.
	for _, o := range []struct {
		rm       RM
		pos, neg uint64
	}{
		{RNE, pinf, ninf}, {RMM, pinf, ninf}, {RTZ, maxf, maxf | 1<<63},
		{RDN, maxf, ninf}, {RUP, pinf, maxf | 1<<63},
	} {
		r, f = F64Mul(maxf, 0x4000000000000000, o.rm)
		add("max*2", r, f, o.pos, OF|NX)
		r, f = F64Mul(maxf|1<<63, 0x4000000000000000, o.rm)
		add("-max*2", r, f, o.neg, OF|NX)
	}
	// Underflow: the smallest subnormal halved, by mode.
	for _, u := range []struct {
		rm   RM
		want uint64
	}{{RNE, pz}, {RTZ, pz}, {RDN, pz}, {RUP, minS}, {RMM, minS}} {
		r, f = F64Mul(minS, 0x3fe0000000000000, u.rm)
		add("minsub/2", r, f, u.want, UF|NX)
	}
	// Tininess after rounding: 2^-1022(1+2^-52) * (1-2^-52) is
	// 2^-1022(1 - 2^-104), which rounds to 53 bits as 2^-1022 in RNE, so it
	// is not tiny: NX without UF. In RTZ it rounds below 2^-1022: tiny.
	r, f = F64Mul(0x0010000000000001, 0x3feffffffffffffe, RNE)
	add("tiny after rounding", r, f, 0x0010000000000000, NX)
	r, f = F64Mul(0x0010000000000001, 0x3feffffffffffffe, RTZ)
	add("tiny after rounding rtz", r, f, 0x000fffffffffffff, UF|NX)
	// 2^-1022(1 - 2^-53) is a 53-bit number below 2^-1022: tiny even
	// though it rounds (to nearest) up to 2^-1022.
	r, f = F64Mul(0x001fffffffffffff, 0x3fe0000000000000, RNE)
	add("tiny, rounds to min normal", r, f, 0x0010000000000000, UF|NX)
	r, f = F64Div(0x3fffffffffffffff, 0x7fe0000000000000, RNE)
	add("div tiny, rounds to min normal", r, f, 0x0010000000000000, UF|NX)
	r, f = F64MulAdd(0x001fffffffffffff, 0x3fe0000000000000, 0, RNE)
	add("fma tiny, rounds to min normal", r, f, 0x0010000000000000, UF|NX)
	r, f = F64Sqrt(0x0000000000000004, RNE)
	add("sqrt of a subnormal", r, f, 0x1e70000000000000, 0)
	s, f := F32Mul(0x00ffffff, 0x3f000000, RNE)
	add("f32 mul tiny, rounds to min normal", uint64(s), f, 0x00800000, UF|NX)
	s, f = F32Div(0x3fffffff, 0x7f000000, RNE)
	add("f32 div tiny, rounds to min normal", uint64(s), f, 0x00800000, UF|NX)
	s, f = F32MulAdd(0x00ffffff, 0x3f000000, 0x80000000, RNE)
	add("f32 fma tiny, rounds to min normal", uint64(s), f, 0x00800000, UF|NX)
	s, f = F32Add(0x00800000, 0x80000001, RNE)
	add("f32 add to a subnormal is exact", uint64(s), f, 0x007fffff, 0)
	s, f = F64ToF32(0x380fffffe0000000, RNE)
	add("f64->f32 tiny, rounds to min normal", uint64(s), f, 0x00800000, UF|NX)
	s, f = F64ToF32(0x380fffffffffffff, RNE)
	add("f64->f32 not tiny after rounding", uint64(s), f, 0x00800000, NX)
	// A product far below the subnormal range still makes the sum inexact.
	r, f = F64MulAdd(0x1d90000000000000, 0x1d90000000000000, one, RNE)
	add("fma(2^-550, 2^-550, 1)", r, f, one, NX)
	r, f = F64MulAdd(0x1d90000000000000, 0x9d90000000000000, one, RUP)
	add("fma(2^-550, -2^-550, 1) rup", r, f, one, NX)
	r, f = F64MulAdd(0x1d90000000000000, 0x9d90000000000000, one, RDN)
	add("fma(2^-550, -2^-550, 1) rdn", r, f, 0x3fefffffffffffff, NX)
	// An exact subnormal result raises nothing.
	r, f = F64Mul(0x0010000000000000, 0x3fe0000000000000, RNE)
	add("exact subnormal", r, f, 0x0008000000000000, 0)
	for _, x := range cs {
		if x.got != x.want || x.fl != x.wantFl {
			t.Errorf("%s = %#x %s, want %#x %s", x.name, x.got, x.fl, x.want, x.wantFl)
		}
	}
}

func TestFlagsString(t *testing.T) {
	for _, c := range []struct {
		f    Flags
		want string
	}{{0, "-"}, {NX, "NX"}, {OF | NX, "OFNX"}, {UF | NX, "UFNX"}, {NV, "NV"}, {DZ, "DZ"}, {NV | DZ | OF | UF | NX, "NVDZOFUFNX"}} {
		if got := c.f.String(); got != c.want {
			t.Errorf("Flags(%#x).String() = %q, want %q", uint8(c.f), got, c.want)
		}
	}
}

// Rounding modes above RMM (the reserved 5 and 6, and 7, which the caller
// resolves from frm) round to nearest, ties to even.
func TestReservedModesRoundToNearest(t *testing.T) {
	g := newGen(800, ref64)
	for k := 0; k < 2000; k++ {
		a, b := g.pair("add")
		for rm := RM(5); rm <= 7; rm++ {
			got, gfl := F64Add(a, b, rm)
			want, wfl := ref64.add(a, b, RNE)
			if got != want || gfl != wfl {
				t.Fatalf("F64Add(%#x, %#x, rm=%d) = %#x %s, want (RNE) %#x %s", a, b, rm, got, gfl, want, wfl)
			}
			gi, gfl := F64ToI64(a, rm)
			wi, wfl := refToInt(ref64, a, RNE, 64, true)
			if gi != wi || gfl != wfl {
				t.Fatalf("F64ToI64(%#x, rm=%d) = %#x %s, want %#x %s", a, rm, gi, gfl, wi, wfl)
			}
		}
	}
}
