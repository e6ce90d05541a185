/* An example bare-metal program to build with the project's bare-metal
 * runtime (README.md, "Running your own program"): it starts in M-mode,
 * prints through HTIF, reads the cycle counter and the seed CSR, and ends
 * with status 0 by returning from main (crt.S calls bare_exit). */
#include "htif.h"

int main(void)
{
	uint64_t seed;
	__asm__ volatile("csrrw %0, seed, x0" : "=r"(seed)); /* seed needs a read-write form */
	bare_printf("Hello from bare metal! misa %#lx, cycle %lu, seed %#lx\n", csr_read(misa), csr_read(cycle),
		    seed);
	return 0;
}
