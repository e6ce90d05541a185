/* A Linux user-mode program that dies of a fault (xndrr_user): rvsim and
 * qemu-riscv64 must end it the same way. */
	.file "xndrr_user.S"
	.globl _start
_start:
	li	a0, 1
	la	a1, msg
	la	a2, msgend
	sub	a2, a2, a1
	li	a7, 64
	ecall
	csrr a0, 0x7c0
	li	a0, 0
	li	a7, 93
	ecall
	.section .rodata
msg:	.ascii "about to fault: xndrr_user\n"
msgend:
