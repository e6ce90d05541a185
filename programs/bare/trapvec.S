/* A bare-metal program whose trap vector points into the record/replay
 * unit's buffer (0x90000000, the first page above the default 256 MiB of
 * RAM) and then touches the unit's ndmode CSR. The illegal instruction's
 * trap would fetch its handler from the buffer, which faults again: rvsim
 * ends the run as an unhandled illegal instruction (exit status 132),
 * without executing the buffer's contents. */
	.file "trapvec.S"
	.section .text.start, "ax"
	.globl _start
_start:
	csrr	t1, cycle	/* an event for the recording */
	li	t0, 0x90000000
	csrw	mtvec, t0
	csrw	0x7c0, t0
	li	a0, 3		/* not reached: would report status 1 */
	la	t0, tohost
	sd	a0, 0(t0)
1:	j	1b
