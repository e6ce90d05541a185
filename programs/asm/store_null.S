/* A Linux user-mode program that dies of a fault (store_null): rvsim and
 * qemu-riscv64 must end it the same way. */
#include "fault.h"
FAULT_BEGIN(store_null)
	li t0, 8
	sd a0, 0(t0)
FAULT_END(store_null)
