/* Self-checking: M extension edge cases (specification table 13.1). */
	.file "muldiv.S"
#define TEST_NAME "bare_muldiv"
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
	TEST(6)		/* more of mulh*, and the W forms' sign extension */
	CHK(mulhsu, -2, 3, -1)
	CHK(mulhsu, -1, 0, 0)
	CHK(mulhsu, 0x8000000000000000, -1, 0x8000000000000000)
	CHK(mulh, -2, 3, -1)
	CHK(mulh, 0x7fffffffffffffff, 0x7fffffffffffffff, 0x3fffffffffffffff)
	CHK(mulhu, 0x8000000000000000, 4, 2)
	CHK(mulhu, -1, 2, 1)
	CHK(mul, -1, -1, 1)
	CHK(mulw, 0x80000000, 1, 0xffffffff80000000)
	CHK(mulw, 0xffffffff00000003, 0x5, 15)		/* upper halves ignored */
	CHK(divw, 5, 0x100000000, -1)			/* low 32 bits of rs2 are 0 */
	CHK(remw, 5, 0x100000000, 5)
	CHK(divuw, 0xffffffff00000010, 0x100000004, 4)
	CHK(remuw, 0xffffffff00000013, 4, 3)
	CHK(remw, -7, 2, -1)
	CHK(divuw, 0xffffffff, 1, -1)			/* 32-bit result sign-extended */
	CHK(remuw, 0x80000000, 0x90000000, 0xffffffff80000000)
	CHK(divu, -1, 1, -1)
	CHK(remu, 5, -1, 5)
	CHK(div, -1, -1, 1)
	CHK(rem, -9, -4, -1)
	CHK(div, 9, -4, -2)

	TEST(7)		/* shifts: amounts from the low 5 (W) or 6 bits */
	CHK(sraw, 0x80000000, 33, 0xffffffffc0000000)
	CHK(srlw, 0x80000000, 32, 0xffffffff80000000)
	CHK(srlw, 0xffffffff80000000, 1, 0x40000000)
	CHK(sra, -8, 65, -4)
	CHK(srl, -1, 127, 1)
	li t0, 0x40000000
	slliw t2, t0, 1
	EXPECT(t2, 0xffffffff80000000)
	li t0, 0xffffffff80000000
	srliw t2, t0, 1
	EXPECT(t2, 0x40000000)
	li t0, -1
	srliw t2, t0, 0
	EXPECT(t2, -1)
	li t0, 0x7fffffff00000000
	sraiw t2, t0, 3
	EXPECT(t2, 0)
	li t0, -8
	srai t2, t0, 1
	EXPECT(t2, -4)
	srli t2, t0, 63
	EXPECT(t2, 1)
	li t0, 1
	slli t2, t0, 63
	EXPECT(t2, 0x8000000000000000)

	TEST(8)		/* lui, addiw, subw, comparisons */
	lui t2, 0x80000
	EXPECT(t2, 0xffffffff80000000)
	lui t2, 0x7ffff
	EXPECT(t2, 0x7ffff000)
	addiw t2, zero, -1
	EXPECT(t2, -1)
	li t0, 0x17fffffff
	addiw t2, t0, 1
	EXPECT(t2, 0xffffffff80000000)
	CHK(subw, 0x80000000, 1, 0x7fffffff)
	sltiu t2, zero, -1
	EXPECT(t2, 1)
	li t0, -1
	slti t2, t0, 0
	EXPECT(t2, 1)
	sltiu t2, t0, 0
	EXPECT(t2, 0)
	CHK(sltu, -1, 0, 0)
	CHK(slt, -1, 0, 1)
	CHK(sltu, 0, -1, 1)
	li t0, 0x5a5a
	xori t2, t0, -1
	EXPECT(t2, ~0x5a5a)
	andi t2, t0, -16
	EXPECT(t2, 0x5a50)

	TEST(9)		/* x0 stays zero */
	li t0, 5
	add zero, t0, t0
	EXPECT(zero, 0)
	j pass
	EPILOGUE
