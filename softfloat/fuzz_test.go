package softfloat

import (
	"math"
	"math/big"
	"testing"
)

// Fuzz targets: each op family against the referee. The seed corpus is in
// testdata/fuzz (specials, boundaries, ties, and cases that once failed).

func fuzzArith(t *testing.T, f refFmt, a, b, c uint64, op, rm uint8) {
	m := RM(rm % 5)
	var got, want uint64
	var gfl, wfl Flags
	name := ""
	switch op % 6 {
	case 0, 1, 2, 3:
		o := binOps()[op%4]
		if f.is32 {
			o = binOps()[4+op%4]
		}
		name = o.name
		got, gfl = o.bin(a, b, m)
		want, wfl = o.ref(a, b, m)
	case 4:
		s := sqrtOps()[0]
		if f.is32 {
			s = sqrtOps()[1]
		}
		name = "sqrt"
		got, gfl = s.fn(a, m)
		want, wfl = s.ref(a, m)
	default:
		s := fmaOps()[0]
		if f.is32 {
			s = fmaOps()[1]
		}
		name = "muladd"
		got, gfl = s.fn(a, b, c, m)
		want, wfl = s.ref(a, b, c, m)
	}
	if got != want || gfl != wfl {
		t.Fatalf("%s%s(%#x, %#x, %#x, rm=%d) = %#x %s, want %#x %s", fmtName(f), name, a, b, c, m, got, gfl, want, wfl)
	}
}

func FuzzF64Arith(f *testing.F) {
	f.Add(uint64(0x3ff0000000000001), uint64(0x3ca0000000000000), uint64(0), uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, a, b, c uint64, op, rm uint8) {
		fuzzArith(t, ref64, a, b, c, op, rm)
	})
}

func FuzzF32Arith(f *testing.F) {
	f.Add(uint32(0x3f800001), uint32(0x33000000), uint32(0), uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, a, b, c uint32, op, rm uint8) {
		fuzzArith(t, ref32, uint64(a), uint64(b), uint64(c), op, rm)
	})
}

// FuzzConvert covers every conversion: op selects float-to-int (0-7),
// int-to-float (8-15) or between the formats (16, 17).
func FuzzConvert(f *testing.F) {
	f.Add(uint64(0xc1e0000000000000), uint8(0), uint8(1))
	f.Fuzz(func(t *testing.T, a uint64, op, rm uint8) {
		m := RM(rm % 5)
		op %= 18
		var got, want uint64
		var gfl, wfl Flags
		var name string
		switch {
		case op < 8:
			o := toIntOps()[op]
			name = o.name
			got, gfl = o.fn(a, m)
			want, wfl = refToInt(o.f, a, m, o.width, o.signed)
		case op < 16:
			o := fromIntOps()[op-8]
			name = o.name
			got, gfl = o.fn(a, m)
			want, wfl = refFromInt(o.f, intOf(a, o.width, o.signed), m)
		case op == 16:
			name = "F64ToF32"
			var r uint32
			r, gfl = F64ToF32(a, m)
			got = uint64(r)
			want, wfl = ref32.convert(ref64, a, m)
		default:
			name = "F32ToF64"
			got, gfl = F32ToF64(uint32(a))
			want, wfl = ref64.convert(ref32, uint64(uint32(a)), RNE)
		}
		if got != want || gfl != wfl {
			t.Fatalf("%s(%#x, rm=%d) = %#x %s, want %#x %s", name, a, m, got, gfl, want, wfl)
		}
	})
}

// FuzzCompare covers min, max, eq, lt, le and class in both formats.
func FuzzCompare(f *testing.F) {
	f.Add(uint64(0x7ff4000000000000), uint64(0x8000000000000000), false)
	f.Fuzz(func(t *testing.T, a, b uint64, single bool) {
		fm := ref64
		if single {
			fm = ref32
			a, b = uint64(uint32(a)), uint64(uint32(b))
		}
		type res struct {
			mn, mx     uint64
			fmn, fmx   Flags
			eq, lt, le bool
			fe, fl, fq Flags
		}
		var g res
		if single {
			var r uint32
			r, g.fmn = F32Min(uint32(a), uint32(b))
			g.mn = uint64(r)
			r, g.fmx = F32Max(uint32(a), uint32(b))
			g.mx = uint64(r)
			g.eq, g.fe = F32Eq(uint32(a), uint32(b))
			g.lt, g.fl = F32Lt(uint32(a), uint32(b))
			g.le, g.fq = F32Le(uint32(a), uint32(b))
		} else {
			g.mn, g.fmn = F64Min(a, b)
			g.mx, g.fmx = F64Max(a, b)
			g.eq, g.fe = F64Eq(a, b)
			g.lt, g.fl = F64Lt(a, b)
			g.le, g.fq = F64Le(a, b)
		}
		var w res
		w.mn, w.fmn = refMinMax(fm, a, b, false)
		w.mx, w.fmx = refMinMax(fm, a, b, true)
		w.eq, w.fe = refCmp(fm, a, b, "eq")
		w.lt, w.fl = refCmp(fm, a, b, "lt")
		w.le, w.fq = refCmp(fm, a, b, "le")
		if g != w {
			t.Fatalf("compare(%#x, %#x) single=%v: got %+v, want %+v", a, b, single, g, w)
		}
		var cls uint64
		if single {
			cls = F32Class(uint32(a))
		} else {
			cls = F64Class(a)
		}
		if want := refClass(fm, a); cls != want {
			t.Fatalf("class(%#x) = %#x, want %#x", a, cls, want)
		}
	})
}

// refClass classifies with the math package and the referee's sNaN test.
func refClass(f refFmt, a uint64) uint64 {
	x := f.value(a)
	minNormal := 0x1p-1022
	if f.is32 {
		minNormal = 0x1p-126
	}
	neg := x < 0 || x == 0 && (a>>63 == 1 || f.is32 && a>>31 == 1)
	var bit uint
	switch {
	case f.isSNaN(a):
		bit = 8
	case x != x:
		bit = 9
	case math.IsInf(x, 0):
		bit = 7
	case x == 0:
		bit = 4
	case -minNormal < x && x < minNormal:
		bit = 5
	default:
		bit = 6
	}
	if neg && bit <= 7 {
		bit = 7 - bit
	}
	return 1 << bit
}

var _ = big.NewInt
