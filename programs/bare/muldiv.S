/* Self-checking: M extension edge cases (specification table 13.1). */
#include "test.h"
#define CHK(insn, a, b, want) li t0, a; li t1, b; insn t2, t0, t1; EXPECT(t2, want)
	PROLOGUE
	TEST(1)
	CHK(div, 7, 0, -1)
	CHK(divu, 7, 0, -1)
	CHK(rem, 7, 0, 7)
	CHK(remu, 7, 0, 7)
	CHK(divw, 7, 0, -1)
	CHK(divuw, 7, 0, -1)
	CHK(remw, 7, 0, 7)
	CHK(remuw, 0x80000007, 0, 0xffffffff80000007)
	TEST(2)
	CHK(div, 0x8000000000000000, -1, 0x8000000000000000)
	CHK(rem, 0x8000000000000000, -1, 0)
	CHK(divw, 0x80000000, -1, 0xffffffff80000000)
	CHK(remw, 0x80000000, -1, 0)
	TEST(3)
	CHK(div, -7, 2, -3)
	CHK(rem, -7, 2, -1)
	CHK(divu, -7, 2, 0x7ffffffffffffffc)
	CHK(remu, -7, 2, 1)
	CHK(divw, 0x1fffffff9, 2, -3)
	CHK(divuw, 0x1fffffff9, 2, 0x7ffffffc)
	TEST(4)
	CHK(mul, 0x100000001, 0x100000001, 0x200000001)
	CHK(mulh, -1, -1, 0)
	CHK(mulh, 0x8000000000000000, 2, -1)
	CHK(mulhu, -1, -1, -2)
	CHK(mulhsu, -1, -1, -1)
	CHK(mulhsu, 2, -1, 1)
	CHK(mulw, 0x7fffffff, 2, -2)
	CHK(mulw, 0x12345678, 0x100, 0x34567800)
	TEST(5)
	CHK(addw, 0x7fffffff, 1, 0xffffffff80000000)
	CHK(subw, 0, 1, -1)
	CHK(sllw, 1, 31, 0xffffffff80000000)
	CHK(sllw, 1, 32, 1)
	CHK(srlw, 0x80000000, 31, 1)
	CHK(sraw, 0x80000000, 31, -1)
	CHK(sll, 1, 63, 0x8000000000000000)
	CHK(sll, 1, 64, 1)
	CHK(sra, 0x8000000000000000, 63, -1)
	CHK(srl, 0x8000000000000000, 63, 1)
	li t0, 0x80000000
	sraiw t2, t0, 4
	EXPECT(t2, 0xfffffffff8000000)
	addiw t2, t0, 0
	EXPECT(t2, 0xffffffff80000000)
	TEST(6)		/* x0 stays zero */
	li t0, 5
	add zero, t0, t0
	EXPECT(zero, 0)
	j pass
	EPILOGUE
