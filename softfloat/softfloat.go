package softfloat

import "math/bits"

// Flags is a set of IEEE 754 exception flags in the layout of the RISC-V
// fflags CSR.
type Flags uint8

// The exception flags, with their fflags bit values.
const (
	NX Flags = 1  // inexact
	UF Flags = 2  // underflow
	OF Flags = 4  // overflow
	DZ Flags = 8  // division by zero
	NV Flags = 16 // invalid operation
)

// String returns the set flags by name, most significant first as fflags
// is usually read ("NV", "OFNX"), or "-" for none.
func (f Flags) String() string {
	var b [10]byte
	s := b[:0]
	for i, n := range [5]string{"NV", "DZ", "OF", "UF", "NX"} {
		if f&(NV>>uint(i)) != 0 {
			s = append(s, n...)
		}
	}
	if len(s) == 0 {
		return "-"
	}
	return string(s)
}

// RM is a rounding mode, numbered as the RISC-V frm field and rm
// instruction field encode it. Values 5 and 6 are reserved and 7 (dynamic)
// is resolved by the caller; functions given anything above RMM round to
// nearest, ties to even.
type RM uint8

// The rounding modes.
const (
	RNE RM = 0 // to nearest, ties to even
	RTZ RM = 1 // toward zero
	RDN RM = 2 // down, toward -infinity
	RUP RM = 3 // up, toward +infinity
	RMM RM = 4 // to nearest, ties away from zero (max magnitude)
)

// Canonical NaNs: the only NaNs an operation returns.
const (
	F64NaN uint64 = 0x7ff8000000000000 // canonical binary64 NaN
	F32NaN uint32 = 0x7fc00000         // canonical binary32 NaN
)

// format describes a binary interchange format held in the low bits of a
// uint64.
type format struct {
	frac uint // fraction bits (52 or 23)
	sgn  uint // position of the sign bit (63 or 31)
	bias int32
	emax uint64 // all-ones exponent field value
}

var (
	f64 = format{frac: 52, sgn: 63, bias: 1023, emax: 0x7ff}
	f32 = format{frac: 23, sgn: 31, bias: 127, emax: 0xff}
)

func (f format) sign(a uint64) bool   { return a>>f.sgn != 0 }
func (f format) expf(a uint64) uint64 { return a >> f.frac & f.emax }
func (f format) fracf(a uint64) uint64 {
	return a & (1<<f.frac - 1)
}
func (f format) signBit() uint64 { return 1 << f.sgn }
func (f format) inf() uint64     { return f.emax << f.frac }
func (f format) nan() uint64     { return f.emax<<f.frac | 1<<(f.frac-1) }
func (f format) maxFinite() uint64 {
	return (f.emax-1)<<f.frac | (1<<f.frac - 1)
}

func (f format) isNaN(a uint64) bool {
	return f.expf(a) == f.emax && f.fracf(a) != 0
}

func (f format) isSNaN(a uint64) bool {
	return f.isNaN(a) && a&(1<<(f.frac-1)) == 0
}

// class of an unpacked operand.
const (
	clsZero = iota
	clsFinite
	clsInf
	clsQNaN
	clsSNaN
)

// unpacked is a value sign * sig * 2^(exp-62); for finite nonzero values
// sig is normalized to [2^62, 2^63).
type unpacked struct {
	sign bool
	cls  uint8
	exp  int32
	sig  uint64
}

func (f format) unpack(a uint64) unpacked {
	u := unpacked{sign: f.sign(a)}
	e := f.expf(a)
	m := f.fracf(a)
	switch {
	case e == f.emax:
		switch {
		case m == 0:
			u.cls = clsInf
		case m&(1<<(f.frac-1)) != 0:
			u.cls = clsQNaN
		default:
			u.cls = clsSNaN
		}
	case e == 0:
		if m == 0 {
			u.cls = clsZero
			return u
		}
		u.cls = clsFinite
		lz := bits.LeadingZeros64(m) - 1
		u.sig = m << uint(lz)
		u.exp = 1 - f.bias - int32(lz-(62-int(f.frac)))
	default:
		u.cls = clsFinite
		u.sig = (m | 1<<f.frac) << (62 - f.frac)
		u.exp = int32(e) - f.bias
	}
	return u
}

// shiftRightJam shifts x right by n, ORing every bit shifted out into bit 0.
func shiftRightJam(x uint64, n uint) uint64 {
	if n == 0 {
		return x
	}
	if n >= 64 {
		if x != 0 {
			return 1
		}
		return 0
	}
	r := x >> n
	if x<<(64-n) != 0 {
		r |= 1
	}
	return r
}

// roundIncrement says whether m (the kept bits) must be incremented given
// the dropped bits rem out of a half of value half.
func roundIncrement(sign bool, m, rem, half uint64, rm RM) bool {
	switch rm {
	case RTZ:
		return false
	case RDN:
		return sign && rem != 0
	case RUP:
		return !sign && rem != 0
	case RMM:
		return rem >= half
	default:
		return rem > half || rem == half && m&1 != 0
	}
}

// overflowResult is what an overflowing result becomes: infinity, or the
// largest finite value when the mode rounds toward zero for that sign.
func (f format) overflowResult(sign bool, rm RM) uint64 {
	var s uint64
	if sign {
		s = f.signBit()
	}
	switch {
	case rm == RTZ, rm == RDN && !sign, rm == RUP && sign:
		return s | f.maxFinite()
	}
	return s | f.inf()
}

// roundPack rounds sign * sig * 2^(exp-62) to the format. sig must be
// nonzero with its leading one at bit 62 (bit 0 may be a sticky bit).
func (f format) roundPack(sign bool, exp int32, sig uint64, rm RM) (uint64, Flags) {
	drop := 62 - f.frac
	half := uint64(1) << (drop - 1)
	mask := uint64(1)<<drop - 1
	emin := 1 - f.bias
	var fl Flags
	tiny := false
	if exp < emin {
		// Tininess after rounding: tiny unless rounding to the full
		// precision (unbounded exponent) carries up to 2^emin.
		tiny = true
		if exp == emin-1 {
			m := sig >> drop
			if roundIncrement(sign, m, sig&mask, half, rm) && m+1 == 1<<(f.frac+1) {
				tiny = false
			}
		}
		sig = shiftRightJam(sig, uint(emin-exp))
		exp = emin
	}
	m := sig >> drop
	rem := sig & mask
	if rem != 0 {
		fl |= NX
		if tiny {
			fl |= UF
		}
	}
	if roundIncrement(sign, m, rem, half, rm) {
		m++
		if m == 1<<(f.frac+1) {
			m >>= 1
			exp++
		}
	}
	var s uint64
	if sign {
		s = f.signBit()
	}
	if m < 1<<f.frac {
		// Subnormal or zero.
		return s | m, fl
	}
	be := int64(exp) + int64(f.bias)
	if be >= int64(f.emax) {
		return f.overflowResult(sign, rm), fl | OF | NX
	}
	return s | uint64(be)<<f.frac | m&(1<<f.frac-1), fl
}

// normRound normalizes a nonzero sig (leading one anywhere) to bit 62,
// adjusting exp, then rounds.
func (f format) normRound(sign bool, exp int32, sig uint64, rm RM) (uint64, Flags) {
	lz := bits.LeadingZeros64(sig)
	if lz == 0 {
		sig = shiftRightJam(sig, 1)
		exp++
	} else {
		sig <<= uint(lz - 1)
		exp -= int32(lz - 1)
	}
	return f.roundPack(sign, exp, sig, rm)
}

func (f format) zero(sign bool) uint64 {
	if sign {
		return f.signBit()
	}
	return 0
}
