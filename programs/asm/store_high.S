/* A Linux user-mode program that dies of a fault: a store to a high
 * unmapped address (256 GiB). SIGSEGV, exit status 139. */
	.file "store_high.S"
	.globl _start
_start:
	li	a0, 1
	la	a1, msg
	la	a2, msgend
	sub	a2, a2, a1
	li	a7, 64
	ecall
	li	t0, 0x4000000000
	sd	a0, 8(t0)
	li	a0, 0
	li	a7, 93
	ecall
	.section .rodata
msg:	.ascii "about to fault: store_high\n"
msgend:
