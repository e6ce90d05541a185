/* A Linux user-mode program that dies of a fault (jump_null): rvsim and
 * qemu-riscv64 must end it the same way. */
#include "fault.h"
FAULT_BEGIN(jump_null)
	li t0, 0x100
	jr t0
FAULT_END(jump_null)
