/* A Linux user-mode program that dies of a fault (csr_priv): rvsim and
 * qemu-riscv64 must end it the same way. */
#include "fault.h"
FAULT_BEGIN(csr_priv)
	csrr a0, mstatus
FAULT_END(csr_priv)
