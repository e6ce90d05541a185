/* A Linux user-mode program that dies of a fault (load_null): rvsim and
 * qemu-riscv64 must end it the same way. */
	.file "load_null.S"
	.globl _start
_start:
	li	a0, 1
	la	a1, msg
	la	a2, msgend
	sub	a2, a2, a1
	li	a7, 64
	ecall
	li t0, 16
	ld a0, 0(t0)
	li	a0, 0
	li	a7, 93
	ecall
	.section .rodata
msg:	.ascii "about to fault: load_null\n"
msgend:
