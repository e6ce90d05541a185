/* Self-checking: code the program writes runs after fence.i, and runs
 * again as rewritten after another fence.i. */
	.file "fencei.S"
#define TEST_NAME "bare_fencei"
#include "test.h"
	PROLOGUE
	TEST(1)
	la t0, code
	li t1, 0x02a00513	/* addi a0, zero, 42 */
	sw t1, 0(t0)
	li t1, 0x00008067	/* ret */
	sw t1, 4(t0)
	fence.i
	li a0, 0
	jalr ra, 0(t0)
	EXPECT(a0, 42)
	TEST(2)
	li t1, 0x00700513	/* addi a0, zero, 7 */
	sw t1, 0(t0)
	fence.i
	jalr ra, 0(t0)
	EXPECT(a0, 7)
	TEST(3)			/* rewrite the next instruction in a loop */
	la t0, patch
	li t1, 0x00150513	/* addi a0, a0, 1 */
	li a0, 0
	li t2, 3
1:	fence.i
patch:	nop
	sw t1, 0(t0)
	addi t2, t2, -1
	bnez t2, 1b
	EXPECT(a0, 2)
	TEST(4)			/* generate 64 instructions, run, regenerate, run */
	li s8, 1		/* round: immediates are i * round */
1:	la t0, big
	li t1, 0		/* i */
	li t2, 64
2:	mul t3, t1, s8		/* addi a0, a0, i*round: imm<<20 | 0x00050513 */
	slli t3, t3, 20
	li t6, 0x00050513
	or t3, t3, t6
	slli t6, t1, 2
	add t6, t6, t0
	sw t3, 0(t6)
	addi t1, t1, 1
	bne t1, t2, 2b
	li t3, 0x00008067	/* ret */
	sw t3, 256(t0)
	fence.i
	li a0, 0
	jalr ra, 0(t0)
	li t3, 2016		/* 0 + 1 + ... + 63 */
	mul t3, t3, s8
	EXPECT_REG(a0, t3)
	addi s8, s8, 1
	li t3, 4
	bne s8, t3, 1b
	j pass
	EPILOGUE
	.data
	.align 2
code:	.space 16
	.align 2
big:	.space 260
