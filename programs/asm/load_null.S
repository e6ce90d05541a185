/* A Linux user-mode program that dies of a fault (load_null): rvsim and
 * qemu-riscv64 must end it the same way. */
#include "fault.h"
FAULT_BEGIN(load_null)
	li t0, 16
	ld a0, 0(t0)
FAULT_END(load_null)
