// Package softfloat is IEEE 754-2008 binary32 and binary64 arithmetic in
// software, on bit patterns, with every rounding mode and the five exception
// flags, in the RISC-V flavour the F and D extensions specify:
//
//   - any NaN result is the canonical NaN (0x7ff8000000000000, 0x7fc00000);
//   - tininess is detected after rounding, and the underflow flag is raised
//     only when the tiny result is also inexact;
//   - fused multiply-add raises NV for infinity times zero even when the
//     addend is a quiet NaN;
//   - min and max are IEEE 754-2019 minimumNumber/maximumNumber with -0 < +0;
//   - conversions to integers saturate as the RISC-V table says (NaN gives
//     the largest positive value) and 32-bit results come back
//     sign-extended to 64 bits, as they land in an x register.
//
// Every function is pure: it takes bit patterns and a rounding mode and
// returns the result bits with the flags it raised (the caller ORs them
// into fflags). Nothing allocates. The work is done in integers: the
// operands are unpacked into sign, exponent and a 63-bit significand, the
// exact result is kept to a few guard bits and a sticky bit (products and
// quotients in 128 bits from math/bits), and one rounding routine packs it
// for the destination format. That path is exact in every mode. In
// round-to-nearest-even, the mode compiled code uses, add, sub, mul, div,
// sqrt, fma and the conversions first try the host's IEEE float64
// hardware, taking its result only when the flags follow exactly from
// cheap residual checks (see fast.go); the tests check both paths against
// an exact math/big referee and against qemu-riscv64.
//
// The caller (the hart) handles what is not arithmetic: sign injection,
// moves, NaN-boxing, choosing the dynamic rounding mode and rejecting
// reserved ones, and the sign flips that make FMSUB, FNMSUB and FNMADD out
// of MulAdd.
package softfloat
