/* A bare-metal program that faults with no trap handler (mtvec outside
 * memory): rvsim ends it as an unhandled access fault, status 139. */
	.section .text.start
	.globl _start
_start:
	csrw mtvec, zero
	li t0, 0x10
	ld a0, 0(t0)
	j _start
	.section .tohost, "aw"
	.align 6
	.globl tohost
tohost: .dword 0
