/* The program of scripts/bench-reverse, the reverse-execution benchmark:
 * ROUNDS rounds (argv[1], default 1000) of about a hundred instructions of
 * integer work and one read of the cycle or time counter each, as
 * src/ndloop.c does, so that a recording has a non-deterministic event
 * every round. eighth(k) is called as round k*ROUNDS/8 begins (k = 1 ..
 * 7) and finish() after the last round: breakpoints on them are hit once
 * each, at known fractions of the run. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include "sys.h"

int reached;

void eighth(int k)
{
	reached = k;
}

void finish(void)
{
	reached = 8;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 1000;
	uint64_t acc = 0, x = 88172645463325252ull;
	int next = 1;
	for (long i = 0; i < rounds; i++) {
		if (next < 8 && i == rounds * next / 8)
			eighth(next++);
		for (int j = 0; j < 12; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			acc += x * 3 + (x >> 11);
		}
		acc += (i & 1) ? rd_time() : rd_cycle();
	}
	finish();
	printf("long: %ld rounds, checksum %016llx\n", rounds, (unsigned long long)acc);
	return reached == 8 ? 0 : 1;
}
