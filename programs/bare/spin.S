/* A bare-metal program that never ends (for --max-insns). */
	.section .text.start
	.globl _start
_start:
	addi a0, a0, 1
	j _start
	.section .tohost, "aw"
	.align 6
	.globl tohost
tohost: .dword 0
