/* Entry of Linux user-mode programs. The kernel (rvsim's monitor, or
 * qemu-riscv64) leaves sp at argc, followed by argv[], NULL, envp[], NULL
 * and the auxiliary vector; .bss is zero as the loader leaves it. */
	.file "runtime/crt0.S"
	.section .text.start, "ax"
	.globl _start
	.type _start, @function
_start:
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	la	tp, __tls_base		/* one thread: its TLS block is used in place */
	ld	a0, 0(sp)		/* argc */
	addi	a1, sp, 8		/* argv */
	slli	t0, a0, 3
	add	a2, a1, t0
	addi	a2, a2, 8		/* envp: after argv's NULL */
	andi	sp, sp, -16
	call	__rt_main		/* does not return: exit() ends the process */
	li	a7, 94			/* exit_group(a0), should it return */
	ecall
1:	j	1b
	.size _start, . - _start
