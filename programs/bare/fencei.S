/* Self-checking: code written by the guest runs after fence.i. */
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
	j pass
	EPILOGUE
	.data
	.align 2
code:	.space 16
