/* A Linux user-mode program that dies of a fault (ebreak): rvsim and
 * qemu-riscv64 must end it the same way. */
#include "fault.h"
FAULT_BEGIN(ebreak)
	ebreak
FAULT_END(ebreak)
