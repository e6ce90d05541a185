package softfloat

import (
	"math"
	"math/big"
	"testing"
)

type toIntT struct {
	name   string
	f      refFmt
	fn     unFn
	width  int
	signed bool
}

func toIntOps() []toIntT {
	n32 := func(fn func(a uint32, rm RM) (uint64, Flags)) unFn {
		return func(a uint64, rm RM) (uint64, Flags) { return fn(uint32(a), rm) }
	}
	return []toIntT{
		{"F64ToI32", ref64, F64ToI32, 32, true},
		{"F64ToU32", ref64, F64ToU32, 32, false},
		{"F64ToI64", ref64, F64ToI64, 64, true},
		{"F64ToU64", ref64, F64ToU64, 64, false},
		{"F32ToI32", ref32, n32(F32ToI32), 32, true},
		{"F32ToU32", ref32, n32(F32ToU32), 32, false},
		{"F32ToI64", ref32, n32(F32ToI64), 64, true},
		{"F32ToU64", ref32, n32(F32ToU64), 64, false},
	}
}

// intOperand returns a float near integer boundaries: around 0, +-0.5,
// +-1, and the limits of 32- and 64-bit integers.
func (g *gen) intOperand() uint64 {
	r := g.r
	if r.Intn(3) == 0 {
		return g.value()
	}
	centres := []float64{0, 0.5, 1, 1.5, 2.5, 1 << 31, 1 << 32, 1 << 63, 1 << 64, 1 << 52, 1 << 23}
	c := centres[r.Intn(len(centres))]
	if r.Intn(2) == 0 {
		c = -c
	}
	v := g.f.bits(c)
	if g.f.is32 {
		v = uint64(math.Float32bits(float32(c)))
	}
	// A few ulps either side (stepping the bit pattern).
	d := uint64(r.Intn(9)) - 4
	if c == 0 {
		return g.value()&(1<<(g.fb+g.eb)) | uint64(r.Intn(1<<20))&(1<<g.fb-1)
	}
	return v + d
}

func TestRandomToInt(t *testing.T) {
	for i, op := range toIntOps() {
		t.Run(op.name, func(t *testing.T) {
			g := newGen(int64(400+i), op.f)
			n := cases(t)
			for k := 0; k < n; k++ {
				a := g.intOperand()
				rm := g.rm()
				got, gfl := op.fn(a, rm)
				want, wfl := refToInt(op.f, a, rm, op.width, op.signed)
				if got != want || gfl != wfl {
					t.Fatalf("%s(%#x, rm=%d) = %#x %s, want %#x %s", op.name, a, rm, got, gfl, want, wfl)
				}
			}
			t.Logf("%d random cases", n)
		})
	}
}

type fromIntT struct {
	name   string
	f      refFmt
	fn     unFn
	width  int
	signed bool
}

func fromIntOps() []fromIntT {
	n32 := func(fn func(a uint64, rm RM) (uint32, Flags)) unFn {
		return func(a uint64, rm RM) (uint64, Flags) {
			r, fl := fn(a, rm)
			return uint64(r), fl
		}
	}
	return []fromIntT{
		{"I32ToF64", ref64, I32ToF64, 32, true},
		{"U32ToF64", ref64, U32ToF64, 32, false},
		{"I64ToF64", ref64, I64ToF64, 64, true},
		{"U64ToF64", ref64, U64ToF64, 64, false},
		{"I32ToF32", ref32, n32(I32ToF32), 32, true},
		{"U32ToF32", ref32, n32(U32ToF32), 32, false},
		{"I64ToF32", ref32, n32(I64ToF32), 64, true},
		{"U64ToF32", ref32, n32(U64ToF32), 64, false},
	}
}

// intOf interprets the register value a as the instruction does: the low
// 32 bits for W forms, signed or not.
func intOf(a uint64, width int, signed bool) *big.Int {
	switch {
	case width == 32 && signed:
		return big.NewInt(int64(int32(a)))
	case width == 32:
		return new(big.Int).SetUint64(uint64(uint32(a)))
	case signed:
		return big.NewInt(int64(a))
	}
	return new(big.Int).SetUint64(a)
}

func TestRandomFromInt(t *testing.T) {
	for i, op := range fromIntOps() {
		t.Run(op.name, func(t *testing.T) {
			g := newGen(int64(500+i), op.f)
			n := cases(t)
			for k := 0; k < n; k++ {
				a := g.r.Uint64()
				switch g.r.Intn(4) {
				case 0: // short integers: exact
					a >>= uint(g.r.Intn(64))
				case 1: // runs of ones: ties and carries
					a = ^uint64(0) >> uint(g.r.Intn(64)) << uint(g.r.Intn(64))
				case 2:
					a = uint64(1)<<uint(g.r.Intn(64)) + uint64(g.r.Intn(5)) - 2
				}
				rm := g.rm()
				got, gfl := op.fn(a, rm)
				want, wfl := refFromInt(op.f, intOf(a, op.width, op.signed), rm)
				if got != want || gfl != wfl {
					t.Fatalf("%s(%#x, rm=%d) = %#x %s, want %#x %s", op.name, a, rm, got, gfl, want, wfl)
				}
			}
			t.Logf("%d random cases", n)
		})
	}
}

func TestRandomF64ToF32(t *testing.T) {
	g := newGen(600, ref64)
	n := cases(t)
	for k := 0; k < n; k++ {
		var a uint64
		if g.r.Intn(2) == 0 {
			a = g.value()
		} else {
			// Around binary32's range: its overflow and subnormal
			// boundaries, with low bits that decide the rounding.
			e := []int64{1023 + 127, 1023 + 128, 1023 - 126, 1023 - 149, 1023 - 150, 1023}[g.r.Intn(6)]
			a = g.pack(g.r.Intn(2) == 0, g.expNear(e, 2), g.frac())
		}
		rm := g.rm()
		got, gfl := F64ToF32(a, rm)
		want, wfl := ref32.convert(ref64, a, rm)
		if uint64(got) != want || gfl != wfl {
			t.Fatalf("F64ToF32(%#x, rm=%d) = %#x %s, want %#x %s", a, rm, got, gfl, want, wfl)
		}
	}
	g = newGen(601, ref32)
	for k := 0; k < n; k++ {
		a := g.value()
		got, gfl := F32ToF64(uint32(a))
		want, wfl := ref64.convert(ref32, a, RNE)
		if got != want || gfl != wfl {
			t.Fatalf("F32ToF64(%#x) = %#x %s, want %#x %s", a, got, gfl, want, wfl)
		}
	}
	t.Logf("%d random cases each way", n)
}

// The fcvt table of the RISC-V ISA manual (F extension, "Single-Precision
// Floating-Point Conversion and Move Instructions"): the values written for
// out-of-range inputs and NaN, with NV; and the examples the brief names.
func TestConvertSaturationTable(t *testing.T) {
	const (
		nan64  = 0x7ff8000000000000
		snan64 = 0x7ff0000000000001
		inf64  = 0x7ff0000000000000
		ninf64 = 0xfff0000000000000
	)
	big64 := math.Float64bits(1e30)
	nbig64 := math.Float64bits(-1e30)
	type row struct {
		in   uint64
		want [4]uint64 // W, WU, L, LU register values
	}
	rows := []row{
		{nbig64, [4]uint64{0xffffffff80000000, 0, 1 << 63, 0}},            // below range
		{ninf64, [4]uint64{0xffffffff80000000, 0, 1 << 63, 0}},            // -inf
		{big64, [4]uint64{0x7fffffff, ^uint64(0), 1<<63 - 1, ^uint64(0)}}, // above range
		{inf64, [4]uint64{0x7fffffff, ^uint64(0), 1<<63 - 1, ^uint64(0)}},
		{nan64, [4]uint64{0x7fffffff, ^uint64(0), 1<<63 - 1, ^uint64(0)}},
		{snan64, [4]uint64{0x7fffffff, ^uint64(0), 1<<63 - 1, ^uint64(0)}},
		{nan64 | 1<<63, [4]uint64{0x7fffffff, ^uint64(0), 1<<63 - 1, ^uint64(0)}}, // NaN sign ignored
	}
	fns := []func(uint64, RM) (uint64, Flags){F64ToI32, F64ToU32, F64ToI64, F64ToU64}
	for _, r := range rows {
		for i, fn := range fns {
			for rm := RNE; rm <= RMM; rm++ {
				got, fl := fn(r.in, rm)
				if got != r.want[i] || fl != NV {
					t.Errorf("fcvt #%d of %#x rm=%d = %#x %s, want %#x NV", i, r.in, rm, got, fl, r.want[i])
				}
			}
		}
		// The same through binary32 (every row is representable or
		// overflows there too).
		s, _ := F64ToF32(r.in, RTZ)
		fns32 := []func(uint32, RM) (uint64, Flags){F32ToI32, F32ToU32, F32ToI64, F32ToU64}
		for i, fn := range fns32 {
			if got, fl := fn(s, RNE); got != r.want[i] || fl != NV {
				t.Errorf("fcvt.s #%d of %#x = %#x %s, want %#x NV", i, s, got, fl, r.want[i])
			}
		}
	}
	// Named cases.
	m05 := math.Float64bits(-0.5)
	if got, fl := F64ToU32(m05, RTZ); got != 0 || fl != NX {
		t.Errorf("fcvt.wu.d -0.5 rtz = %#x %s, want 0 NX", got, fl)
	}
	if got, fl := F64ToU64(math.Float64bits(-1), RTZ); got != 0 || fl != NV {
		t.Errorf("fcvt.lu.d -1.0 = %#x %s, want 0 NV", got, fl)
	}
	if got, fl := F64ToU32(m05, RDN); got != 0 || fl != NV {
		t.Errorf("fcvt.wu.d -0.5 rdn = %#x %s, want 0 NV (rounds to -1)", got, fl)
	}
	if got, fl := F64ToI32(math.Float64bits(-2147483648.9), RTZ); got != 0xffffffff80000000 || fl != NX {
		t.Errorf("fcvt.w.d -2147483648.9 rtz = %#x %s, want -2^31 NX", got, fl)
	}
	if got, fl := F64ToI32(math.Float64bits(-2147483648.9), RNE); got != 0xffffffff80000000 || fl != NV {
		t.Errorf("fcvt.w.d -2147483648.9 rne = %#x %s, want -2^31 NV", got, fl)
	}
	if got, fl := F64ToU32(math.Float64bits(4294967295.0), RNE); got != ^uint64(0) || fl != 0 {
		t.Errorf("fcvt.wu.d 2^32-1 = %#x %s, want sign-extended all ones", got, fl)
	}
	if got, fl := F64ToI64(math.Float64bits(-9223372036854775808.0), RNE); got != 1<<63 || fl != 0 {
		t.Errorf("fcvt.l.d -2^63 = %#x %s, want exact", got, fl)
	}
	if got, fl := F64ToI64(math.Float64bits(9223372036854775808.0), RNE); got != 1<<63-1 || fl != NV {
		t.Errorf("fcvt.l.d 2^63 = %#x %s, want max NV", got, fl)
	}
	if got, fl := F64ToI32(0x8000000000000000, RNE); got != 0 || fl != 0 {
		t.Errorf("fcvt.w.d -0 = %#x %s", got, fl)
	}
	if got, fl := I32ToF64(0x00000000ffffffff, RNE); got != math.Float64bits(-1) || fl != 0 {
		t.Errorf("fcvt.d.w uses the low 32 bits: got %#x %s", got, fl)
	}
	if got, _ := U32ToF32(0xffffffff00000001, RNE); got != math.Float32bits(1) {
		t.Errorf("fcvt.s.wu uses the low 32 bits: got %#x", got)
	}
}
