/* A Linux user-mode program that dies of a fault (illegal): rvsim and
 * qemu-riscv64 must end it the same way. */
#include "fault.h"
FAULT_BEGIN(illegal)
	.word 0x00000000
FAULT_END(illegal)
