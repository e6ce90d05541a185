/* Entry of Linux user-mode programs: the kernel (rvsim's monitor, or
 * qemu-riscv64) leaves sp at argc, followed by argv[], NULL, envp[], NULL
 * and the auxiliary vector. */
	.section .text.start
	.globl _start
_start:
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	la	tp, __tls_base		/* one thread: TLS used in place */
	ld	a0, 0(sp)		/* argc */
	addi	a1, sp, 8		/* argv */
	slli	t0, a0, 3
	add	a2, a1, t0
	addi	a2, a2, 8		/* envp */
	andi	sp, sp, -16
	call	__rt_main
1:	j	1b
