package softfloat

import (
	"flag"
	"testing"
)

var randomCases = flag.Int("softfloat.cases", 10000, "random cases per operation, format and test")

func cases(t testing.TB) int {
	if testing.Short() {
		return *randomCases / 10
	}
	return *randomCases
}

// Widened forms of the functions under test, so that one table covers both
// formats.
type (
	binFn  func(a, b uint64, rm RM) (uint64, Flags)
	unFn   func(a uint64, rm RM) (uint64, Flags)
	fmaFn  func(a, b, c uint64, rm RM) (uint64, Flags)
	arithT struct {
		name string
		f    refFmt
		bin  binFn
		ref  binFn
	}
)

func w32(fn func(a, b uint32, rm RM) (uint32, Flags)) binFn {
	return func(a, b uint64, rm RM) (uint64, Flags) {
		r, fl := fn(uint32(a), uint32(b), rm)
		return uint64(r), fl
	}
}

func binOps() []arithT {
	return []arithT{
		{"add", ref64, F64Add, ref64.add},
		{"sub", ref64, F64Sub, ref64.sub},
		{"mul", ref64, F64Mul, ref64.mul},
		{"div", ref64, F64Div, ref64.div},
		{"add", ref32, w32(F32Add), ref32.add},
		{"sub", ref32, w32(F32Sub), ref32.sub},
		{"mul", ref32, w32(F32Mul), ref32.mul},
		{"div", ref32, w32(F32Div), ref32.div},
	}
}

func fmtName(f refFmt) string {
	if f.is32 {
		return "F32"
	}
	return "F64"
}

func TestRandomBinary(t *testing.T) {
	for i, op := range binOps() {
		t.Run(fmtName(op.f)+op.name, func(t *testing.T) {
			g := newGen(int64(100+i), op.f)
			n := cases(t)
			for k := 0; k < n; k++ {
				a, b := g.pair(op.name)
				rm := g.rm()
				checkBin(t, op, a, b, rm)
				if t.Failed() {
					return
				}
			}
			t.Logf("%d random cases", n)
		})
	}
}

func checkBin(t *testing.T, op arithT, a, b uint64, rm RM) {
	t.Helper()
	got, gfl := op.bin(a, b, rm)
	want, wfl := op.ref(a, b, rm)
	if got != want || gfl != wfl {
		t.Errorf("%s%s(%#x, %#x, rm=%d) = %#x flags %s, want %#x flags %s",
			fmtName(op.f), op.name, a, b, rm, got, gfl, want, wfl)
	}
}

func sqrtOps() []struct {
	f   refFmt
	fn  unFn
	ref unFn
} {
	return []struct {
		f   refFmt
		fn  unFn
		ref unFn
	}{
		{ref64, F64Sqrt, ref64.sqrt},
		{ref32, func(a uint64, rm RM) (uint64, Flags) {
			r, fl := F32Sqrt(uint32(a), rm)
			return uint64(r), fl
		}, ref32.sqrt},
	}
}

func TestRandomSqrt(t *testing.T) {
	for i, op := range sqrtOps() {
		t.Run(fmtName(op.f)+"sqrt", func(t *testing.T) {
			g := newGen(int64(200+i), op.f)
			n := cases(t)
			for k := 0; k < n; k++ {
				a := g.value()
				if g.r.Intn(4) == 0 {
					// Exact squares and their neighbours.
					s, _ := op.f.mul(a, a, RNE)
					a = s + uint64(g.r.Intn(3)) - 1
				}
				rm := g.rm()
				got, gfl := op.fn(a, rm)
				want, wfl := op.ref(a, rm)
				if got != want || gfl != wfl {
					t.Fatalf("%ssqrt(%#x, rm=%d) = %#x %s, want %#x %s", fmtName(op.f), a, rm, got, gfl, want, wfl)
				}
			}
			t.Logf("%d random cases", n)
		})
	}
}

func fmaOps() []struct {
	f   refFmt
	fn  fmaFn
	ref fmaFn
} {
	return []struct {
		f   refFmt
		fn  fmaFn
		ref fmaFn
	}{
		{ref64, F64MulAdd, ref64.mulAdd},
		{ref32, func(a, b, c uint64, rm RM) (uint64, Flags) {
			r, fl := F32MulAdd(uint32(a), uint32(b), uint32(c), rm)
			return uint64(r), fl
		}, ref32.mulAdd},
	}
}

func TestRandomMulAdd(t *testing.T) {
	for i, op := range fmaOps() {
		t.Run(fmtName(op.f)+"muladd", func(t *testing.T) {
			g := newGen(int64(300+i), op.f)
			n := cases(t)
			for k := 0; k < n; k++ {
				a, b, c := g.triple()
				rm := g.rm()
				got, gfl := op.fn(a, b, c, rm)
				want, wfl := op.ref(a, b, c, rm)
				if got != want || gfl != wfl {
					t.Fatalf("%smuladd(%#x, %#x, %#x, rm=%d) = %#x %s, want %#x %s", fmtName(op.f), a, b, c, rm, got, gfl, want, wfl)
				}
			}
			t.Logf("%d random cases", n)
		})
	}
}

// The RNE fused multiply-add goes through the hardware with residual
// checks; this aims at it: products in and around its exponent window,
// exact results (short significands, c = -RN(a*b)) and near-exact ones.
func TestMulAddRNE(t *testing.T) {
	g := newGen(310, ref64)
	n := cases(t)
	for k := 0; k < n; k++ {
		a, b, c := g.triple()
		switch g.r.Intn(4) {
		case 0: // short significands: exact products and sums
			a &^= 1<<uint(g.r.Intn(50)) - 1
			b &^= 1<<uint(g.r.Intn(50)) - 1
			c &^= 1<<uint(g.r.Intn(50)) - 1
		case 1: // c = -RN(a*b) plus a few ulps: the sum is near the error term
			c = ref64.negProduct(a, b) + uint64(g.r.Intn(5)) - 2
		}
		got, gfl := F64MulAdd(a, b, c, RNE)
		want, wfl := ref64.mulAdd(a, b, c, RNE)
		if got != want || gfl != wfl {
			t.Fatalf("F64MulAdd(%#x, %#x, %#x, RNE) = %#x %s, want %#x %s", a, b, c, got, gfl, want, wfl)
		}
	}
	t.Logf("%d random cases", n)
}

// TestFastPathFloors sweeps results and operands across the exponent
// floors below which the RNE hardware paths hand over to the integer path
// (residuals that would fall below the subnormal range), with full
// significands so that every result is inexact.
func TestFastPathFloors(t *testing.T) {
	g := newGen(320, ref64)
	m := func() uint64 { return g.r.Uint64()&(1<<52-1) | 1 }
	for e := uint64(1); e < 0x180; e++ {
		for k := 0; k < 4; k++ {
			x := e<<52 | m()
			y := 0x3ff<<52 | m()               // in [1, 2)
			h := (0x3ff+(e-0x3ff)/2)<<52 | m() // about sqrt(2^(e-1023))
			c := []struct {
				name      string
				got, want uint64
				gf, wf    Flags
			}{}
			add := func(name string, got uint64, gf Flags, want uint64, wf Flags) {
				c = append(c, struct {
					name      string
					got, want uint64
					gf, wf    Flags
				}{name, got, want, gf, wf})
			}
			r, f := F64Div(x, y, RNE)
			w, wf := ref64.div(x, y, RNE)
			add("div", r, f, w, wf)
			r, f = F64Sqrt(x, RNE)
			w, wf = ref64.sqrt(x, RNE)
			add("sqrt", r, f, w, wf)
			r, f = F64Mul(h, h, RNE)
			w, wf = ref64.mul(h, h, RNE)
			add("mul", r, f, w, wf)
			r, f = F64MulAdd(h, h, y, RNE)
			w, wf = ref64.mulAdd(h, h, y, RNE)
			add("muladd", r, f, w, wf)
			for _, c := range c {
				if c.got != c.want || c.gf != c.wf {
					t.Fatalf("%s at exponent field %#x: got %#x %s, want %#x %s", c.name, e, c.got, c.gf, c.want, c.wf)
				}
			}
		}
	}
}
