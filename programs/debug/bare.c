/* A bare-metal program to debug in gdb (M-mode, HTIF; built with -g -O0):
 * the same shape as debug/linux.c. counter is written with 1000 in main,
 * counter + n in each call of step (n = 1 .. 12) and counter * 2 after the
 * loop: 2156 at the end, and the exit status is 2156 % 100 = 56. step gets
 * a stamp read from the cycle and time CSRs (two non-deterministic reads
 * per round). */
#include <stdint.h>
#include "htif.h"

#define ROUNDS 12

long counter = 7;
uint64_t seen;

long step(long n, uint64_t stamp)
{
	long sq = n * n;
	long mixed = sq ^ (long)(stamp & 0xff);
	counter = counter + n;
	seen ^= stamp;
	return mixed;
}

int main(void)
{
	long total = 0;
	counter = 1000;
	for (long i = 1; i <= ROUNDS; i++) {
		uint64_t stamp = csr_read(time) ^ (csr_read(cycle) << 1);
		total += step(i, stamp);
	}
	counter = counter * 2;
	bare_printf("debug_bare: %d rounds, counter %ld, total %ld, seen %#lx\n", ROUNDS, counter, total,
		    (unsigned long)seen);
	return (int)(counter % 100);
}
