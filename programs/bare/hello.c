/* A bare-metal program: prints through HTIF and exits with status 0. */
#include "htif.h"

int main(void)
{
	bare_puts("Hello from bare metal!\n");
	uint64_t misa;
	__asm__ volatile("csrr %0, misa" : "=r"(misa));
	bare_puts("misa = 0x");
	bare_putu(misa, 16);
	bare_puts("\n");
	return 0;
}
