/* A bare-metal program that never ends (for --max-insns): counts in a0
 * forever. */
	.file "spin.S"
	.section .text.start, "ax"
	.globl _start
_start:
	li	a0, 0
1:	addi	a0, a0, 1
	j	1b
