/* tohost/fromhost as Spike and the RISC-V test suites define them. */
#include "htif.h"

volatile uint64_t tohost __attribute__((section(".tohost"), aligned(64)));
volatile uint64_t fromhost __attribute__((section(".tohost"), aligned(64)));
static volatile uint64_t magic[8] __attribute__((aligned(64)));

void bare_exit(int code)
{
	for (;;)
		tohost = ((uint64_t)code << 1) | 1;
}

long bare_write(int fd, const void *buf, unsigned long n)
{
	magic[0] = 64; /* SYS_write */
	magic[1] = (uint64_t)fd;
	magic[2] = (uint64_t)(uintptr_t)buf;
	magic[3] = n;
	__asm__ volatile("fence" ::: "memory");
	tohost = (uint64_t)(uintptr_t)magic;
	while (fromhost == 0)
		;
	fromhost = 0;
	__asm__ volatile("fence" ::: "memory");
	return (long)magic[0];
}

void bare_puts(const char *s)
{
	unsigned long n = 0;
	while (s[n])
		n++;
	bare_write(1, s, n);
}

void bare_putu(uint64_t v, int base)
{
	char b[24];
	int i = sizeof b;
	b[--i] = 0;
	do {
		b[--i] = "0123456789abcdef"[v % (unsigned)base];
		v /= (unsigned)base;
	} while (v);
	bare_puts(&b[i]);
}
