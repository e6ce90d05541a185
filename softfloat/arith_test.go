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
