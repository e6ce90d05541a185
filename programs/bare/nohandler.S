/* A bare-metal program that faults with no trap handler: mtvec = 0, which
 * is outside guest memory. The load from 0x10 raises a load access fault,
 * and the trap's fetch from mtvec faults again; rvsim ends the run as an
 * unhandled access fault (exit status 139). */
	.file "nohandler.S"
	.section .text.start, "ax"
	.globl _start
_start:
	csrw	mtvec, zero
	li	t0, 0x10
	ld	a0, 0(t0)
	li	a0, 3		/* not reached: would report status 1 */
	la	t0, tohost
	sd	a0, 0(t0)
1:	j	1b
