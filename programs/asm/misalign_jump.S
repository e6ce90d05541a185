/* A Linux user-mode program that jumps to a target that is 2 but not 4
 * byte aligned. Without the C extension that is an instruction address
 * misaligned exception: SIGBUS, exit status 135 under rvsim. (qemu-riscv64
 * has the C extension and runs the halfword instead, so this program is
 * not cross-checked with it.) */
#include "fault.h"
FAULT_BEGIN(misalign_jump)
	la	t0, 1f
	jalr	ra, 2(t0)
1:	li	a0, 0		/* not reached */
	li	a7, 93
	ecall
FAULT_END(misalign_jump)
