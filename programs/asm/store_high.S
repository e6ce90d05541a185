/* A Linux user-mode program that dies of a fault: a store to a high
 * unmapped address (256 GiB). SIGSEGV, exit status 139. */
#include "fault.h"
FAULT_BEGIN(store_high)
	li	t0, 0x4000000000
	sd	a0, 8(t0)
FAULT_END(store_high)
