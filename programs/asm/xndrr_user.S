/* A Linux user-mode program that dies of a fault (xndrr_user): rvsim and
 * qemu-riscv64 must end it the same way. */
#include "fault.h"
FAULT_BEGIN(xndrr_user)
	csrr a0, 0x7c0
FAULT_END(xndrr_user)
