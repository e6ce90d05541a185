/* Entry of bare-metal C programs: M-mode at the ELF entry. Sets gp and sp,
 * clears .bss, points mtvec at a handler that reports an unexpected trap,
 * runs main and ends the run with its return value as exit status. */
	.file "runtime/bare/crt.S"
	.section .text.start, "ax"
	.globl _start
_start:
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	la	sp, __stack_top
	la	t0, __bss_start
	la	t1, _end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:	la	t0, bare_trap
	csrw	mtvec, t0
	li	a0, 0
	li	a1, 0
	call	main
	call	bare_exit
3:	j	3b

/* An unexpected trap: report it and exit with status 128 + mcause
 * (masked to 7 bits). */
	.text
	.align 2
bare_trap:
	la	sp, __stack_top
	csrr	a0, mcause
	csrr	a1, mepc
	csrr	a2, mtval
	call	bare_unexpected_trap
4:	j	4b
