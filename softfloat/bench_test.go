package softfloat

import (
	"math"
	"testing"
)

// No function allocates.
func TestNoAllocs(t *testing.T) {
	a, b, c := math.Float64bits(1.1), math.Float64bits(3.3), math.Float64bits(-7e-300)
	x, y, z := math.Float32bits(1.1), math.Float32bits(3.3), math.Float32bits(-7e-30)
	var sink uint64
	var fs Flags
	n := testing.AllocsPerRun(100, func() {
		for rm := RNE; rm <= RMM; rm++ {
			r, f := F64Add(a, b, rm)
			sink += r
			fs |= f
			r, f = F64Sub(a, b, rm)
			sink += r
			r, f = F64Mul(a, c, rm)
			sink += r
			r, f = F64Div(a, c, rm)
			sink += r
			r, f = F64Sqrt(b, rm)
			sink += r
			r, f = F64MulAdd(a, b, c, rm)
			sink += r
			s, f := F32Add(x, y, rm)
			sink += uint64(s)
			s, f = F32Sub(x, y, rm)
			s, f = F32Mul(x, z, rm)
			s, f = F32Div(x, z, rm)
			s, f = F32Sqrt(y, rm)
			s, f = F32MulAdd(x, y, z, rm)
			sink += uint64(s)
			fs |= f
			s, f = F64ToF32(c, rm)
			r, f = F64ToI32(b, rm)
			r, f = F64ToU32(b, rm)
			r, f = F64ToI64(b, rm)
			r, f = F64ToU64(b, rm)
			r, f = F32ToI32(y, rm)
			r, f = F32ToU32(y, rm)
			r, f = F32ToI64(y, rm)
			r, f = F32ToU64(y, rm)
			r, f = I32ToF64(a, rm)
			r, f = U32ToF64(a, rm)
			r, f = I64ToF64(a, rm)
			r, f = U64ToF64(a, rm)
			s, f = I32ToF32(a, rm)
			s, f = U32ToF32(a, rm)
			s, f = I64ToF32(a, rm)
			s, f = U64ToF32(a, rm)
			sink += r + uint64(s)
			fs |= f
		}
		r, f := F32ToF64(x)
		r, f = F64Min(a, b)
		r, f = F64Max(a, b)
		s, f := F32Min(x, y)
		s, f = F32Max(x, y)
		sink += r + uint64(s) + F64Class(a) + F32Class(x)
		e, f := F64Eq(a, b)
		l, f := F64Lt(a, b)
		q, f := F64Le(a, b)
		e2, _ := F32Eq(x, y)
		l2, _ := F32Lt(x, y)
		q2, _ := F32Le(x, y)
		if e || l || q || e2 || l2 || q2 {
			sink++
		}
		fs |= f
	})
	if n != 0 {
		t.Errorf("%v allocations per run, want 0", n)
	}
	_ = sink
	_ = fs
}

var benchSink uint64

// Operands for the common case: normal numbers, results normal and inexact.
var benchA, benchB, benchC = []uint64{
	math.Float64bits(1.1), math.Float64bits(-2.7182818), math.Float64bits(1e10), math.Float64bits(3.3e-5),
}, []uint64{
	math.Float64bits(0.3), math.Float64bits(7.77), math.Float64bits(-1.5e-3), math.Float64bits(123456.789),
}, []uint64{
	math.Float64bits(0.1), math.Float64bits(-3.5), math.Float64bits(2e7), math.Float64bits(1e-4),
}

func benchBin(b *testing.B, fn func(a, b uint64, rm RM) (uint64, Flags)) {
	var s uint64
	for i := 0; b.Loop(); i++ {
		r, f := fn(benchA[i&3], benchB[i&3], RNE)
		s += r + uint64(f)
	}
	benchSink = s
}

func BenchmarkF64Add(b *testing.B) { benchBin(b, F64Add) }
func BenchmarkF64Mul(b *testing.B) { benchBin(b, F64Mul) }
func BenchmarkF64Div(b *testing.B) { benchBin(b, F64Div) }

func BenchmarkF64MulAdd(b *testing.B) {
	var s uint64
	for i := 0; b.Loop(); i++ {
		r, f := F64MulAdd(benchA[i&3], benchB[i&3], benchC[i&3], RNE)
		s += r + uint64(f)
	}
	benchSink = s
}

func BenchmarkF64Sqrt(b *testing.B) {
	var s uint64
	for i := 0; b.Loop(); i++ {
		r, f := F64Sqrt(benchA[i&3]&^(1<<63), RNE)
		s += r + uint64(f)
	}
	benchSink = s
}

func BenchmarkF64AddRTZ(b *testing.B) {
	benchBin(b, func(a, b uint64, _ RM) (uint64, Flags) { return F64Add(a, b, RTZ) })
}

func BenchmarkF32Add(b *testing.B) {
	var s uint64
	for i := 0; b.Loop(); i++ {
		r, f := F32Add(uint32(benchA[i&3]>>32), uint32(benchB[i&3]>>32), RNE)
		s += uint64(r) + uint64(f)
	}
	benchSink = s
}

func BenchmarkF32MulAdd(b *testing.B) {
	var s uint64
	for i := 0; b.Loop(); i++ {
		r, f := F32MulAdd(uint32(benchA[i&3]>>32), uint32(benchB[i&3]>>32), uint32(benchC[i&3]>>32), RNE)
		s += uint64(r) + uint64(f)
	}
	benchSink = s
}

func BenchmarkF64SqrtRTZ(b *testing.B) {
	var s uint64
	for i := 0; b.Loop(); i++ {
		r, f := F64Sqrt(benchA[i&3]&^(1<<63), RTZ)
		s += r + uint64(f)
	}
	benchSink = s
}

// fcvt.w.d with rtz is what a C cast compiles to.
func BenchmarkF64ToI32RTZ(b *testing.B) {
	var s uint64
	for i := 0; b.Loop(); i++ {
		r, f := F64ToI32(benchB[i&3], RTZ)
		s += r + uint64(f)
	}
	benchSink = s
}

func BenchmarkI64ToF64(b *testing.B) {
	var s uint64
	for i := 0; b.Loop(); i++ {
		r, f := I64ToF64(uint64(i)*0x9e3779b97f4a7c15>>uint(i&63), RNE)
		s += r + uint64(f)
	}
	benchSink = s
}

func BenchmarkF64ToF32(b *testing.B) {
	var s uint64
	for i := 0; b.Loop(); i++ {
		r, f := F64ToF32(benchA[i&3], RNE)
		s += uint64(r) + uint64(f)
	}
	benchSink = s
}
