/* A Linux user-mode program that jumps to a target that is 2 but not 4
 * byte aligned. With the C extension (IALIGN=16) that is legal: the
 * halfword there runs, the upper half of "li a0, 0" (0x00000513), 0x0000,
 * which is an illegal compressed instruction: SIGILL, exit status 132, as
 * under qemu-riscv64. */
#include "fault.h"
FAULT_BEGIN(misalign_jump)
	la	t0, 1f
	jalr	ra, 2(t0)
1:	li	a0, 0		/* not reached */
	li	a7, 93
	ecall
FAULT_END(misalign_jump)
