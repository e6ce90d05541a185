package softfloat

// less reports a < b for non-NaN values, with -0 < +0 when orderedZero.
func (f format) less(a, b uint64, orderedZero bool) bool {
	sa, sb := f.sign(a), f.sign(b)
	ma, mb := a&^f.signBit(), b&^f.signBit()
	if sa != sb {
		if ma|mb == 0 {
			return orderedZero && sa
		}
		return sa
	}
	if sa {
		return ma > mb
	}
	return ma < mb
}

func (f format) minMax(a, b uint64, max bool) (uint64, Flags) {
	var fl Flags
	if f.isSNaN(a) || f.isSNaN(b) {
		fl = NV
	}
	an, bn := f.isNaN(a), f.isNaN(b)
	switch {
	case an && bn:
		return f.nan(), fl
	case an:
		return b, fl
	case bn:
		return a, fl
	}
	if f.less(a, b, true) != max {
		return a, fl
	}
	return b, fl
}

func (f format) eq(a, b uint64) (bool, Flags) {
	if f.isNaN(a) || f.isNaN(b) {
		if f.isSNaN(a) || f.isSNaN(b) {
			return false, NV
		}
		return false, 0
	}
	if (a|b)&^f.signBit() == 0 {
		return true, 0
	}
	return a == b, 0
}

func (f format) lt(a, b uint64) (bool, Flags) {
	if f.isNaN(a) || f.isNaN(b) {
		return false, NV
	}
	return f.less(a, b, false), 0
}

func (f format) le(a, b uint64) (bool, Flags) {
	if f.isNaN(a) || f.isNaN(b) {
		return false, NV
	}
	return !f.less(b, a, false), 0
}

// fclass result bits.
const (
	classNegInf    = 1 << 0
	classNegNormal = 1 << 1
	classNegSub    = 1 << 2
	classNegZero   = 1 << 3
	classPosZero   = 1 << 4
	classPosSub    = 1 << 5
	classPosNormal = 1 << 6
	classPosInf    = 1 << 7
	classSNaN      = 1 << 8
	classQNaN      = 1 << 9
)

func (f format) class(a uint64) uint64 {
	e, m, s := f.expf(a), f.fracf(a), f.sign(a)
	var c uint64
	switch {
	case e == f.emax && m != 0:
		if m&(1<<(f.frac-1)) != 0 {
			return classQNaN
		}
		return classSNaN
	case e == f.emax:
		c = classPosInf
	case e == 0 && m == 0:
		c = classPosZero
	case e == 0:
		c = classPosSub
	default:
		c = classPosNormal
	}
	if s {
		// The negative classes mirror the positive ones around bit 3.5.
		switch c {
		case classPosInf:
			c = classNegInf
		case classPosNormal:
			c = classNegNormal
		case classPosSub:
			c = classNegSub
		case classPosZero:
			c = classNegZero
		}
	}
	return c
}

// F64Min returns the smaller of a and b as RISC-V fmin.d does: -0 is less
// than +0, a NaN operand is ignored when the other is a number, two NaNs
// give the canonical NaN, and a signalling NaN raises NV.
func F64Min(a, b uint64) (uint64, Flags) { return f64.minMax(a, b, false) }

// F64Max returns the larger of a and b as RISC-V fmax.d does (see F64Min).
func F64Max(a, b uint64) (uint64, Flags) { return f64.minMax(a, b, true) }

// F32Min returns the smaller of a and b as RISC-V fmin.s does (see F64Min).
func F32Min(a, b uint32) (uint32, Flags) {
	r, fl := f32.minMax(uint64(a), uint64(b), false)
	return uint32(r), fl
}

// F32Max returns the larger of a and b as RISC-V fmax.s does (see F64Min).
func F32Max(a, b uint32) (uint32, Flags) {
	r, fl := f32.minMax(uint64(a), uint64(b), true)
	return uint32(r), fl
}

// F64Eq reports a == b (feq.d): a quiet comparison, NV only for a
// signalling NaN operand.
func F64Eq(a, b uint64) (bool, Flags) { return f64.eq(a, b) }

// F64Lt reports a < b (flt.d): a signalling comparison, NV for any NaN.
func F64Lt(a, b uint64) (bool, Flags) { return f64.lt(a, b) }

// F64Le reports a <= b (fle.d): a signalling comparison, NV for any NaN.
func F64Le(a, b uint64) (bool, Flags) { return f64.le(a, b) }

// F32Eq reports a == b (feq.s): NV only for a signalling NaN operand.
func F32Eq(a, b uint32) (bool, Flags) { return f32.eq(uint64(a), uint64(b)) }

// F32Lt reports a < b (flt.s): NV for any NaN.
func F32Lt(a, b uint32) (bool, Flags) { return f32.lt(uint64(a), uint64(b)) }

// F32Le reports a <= b (fle.s): NV for any NaN.
func F32Le(a, b uint32) (bool, Flags) { return f32.le(uint64(a), uint64(b)) }

// F64Class returns the RISC-V fclass.d mask of a: exactly one of bits 0-9
// (-inf, -normal, -subnormal, -0, +0, +subnormal, +normal, +inf, sNaN, qNaN).
func F64Class(a uint64) uint64 { return f64.class(a) }

// F32Class returns the RISC-V fclass.s mask of a (see F64Class).
func F32Class(a uint32) uint64 { return f32.class(uint64(a)) }
