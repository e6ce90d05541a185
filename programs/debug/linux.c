/* A program to debug in gdb (built with -g -O0): rvsim debug, reverse
 * execution and the end-to-end tests of cmd/rvsim/gdb_e2e_test.go.
 *
 * counter, a global, is written at known places: 1000 in main (the first
 * write), counter + n in each call of step (n = 1, 2, ... ROUNDS), and
 * counter * 2 after the loop (the last write). With ROUNDS (argv[1],
 * default 12) the final value is 2 * (1000 + ROUNDS*(ROUNDS+1)/2), and the
 * exit status that value modulo 100 (12 rounds: 2156, status 56).
 * step, the breakpoint target, is called once per round with n and a stamp
 * made of the cycle and time counters, read in main: two non-deterministic
 * reads per round, so that a recording with a small ND buffer refills
 * often and gdb sees the stamp change from call to call. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include "sys.h"

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

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 12;
	long total = 0;
	counter = 1000;
	for (long i = 1; i <= rounds; i++) {
		uint64_t stamp = rd_time() ^ (rd_cycle() << 1);
		total += step(i, stamp);
	}
	counter = counter * 2;
	printf("debug_linux: %ld rounds, counter %ld, total %ld, seen %016llx\n", rounds, counter, total,
	       (unsigned long long)seen);
	return (int)(counter % 100);
}
