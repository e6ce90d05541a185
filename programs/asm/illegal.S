/* A Linux user-mode program that dies of a fault (illegal): rvsim and
 * qemu-riscv64 must end it the same way. */
	.file "illegal.S"
	.globl _start
_start:
	li	a0, 1
	la	a1, msg
	la	a2, msgend
	sub	a2, a2, a1
	li	a7, 64
	ecall
	.word 0x00000000
	li	a0, 0
	li	a7, 93
	ecall
	.section .rodata
msg:	.ascii "about to fault: illegal\n"
msgend:
