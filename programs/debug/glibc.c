/* A glibc program to debug in gdb (rv64gc, static, built with -g -O0): the
 * shape of debug/linux.c with glibc's clock_gettime (a system call rvsim
 * records) and the time CSR as the non-deterministic inputs, and a double
 * among step's locals. counter is written with 1000 in main, counter + n
 * in each call of step (n = 1 .. ROUNDS, argv[1], default 12) and
 * counter * 2 after the loop; the exit status is the final value modulo
 * 100 (12 rounds: 2156, status 56). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

long counter = 7;
uint64_t seen;

long step(long n, uint64_t stamp)
{
	long sq = n * n;
	double half = (double)sq / 2;
	long mixed = sq ^ (long)(stamp & 0xff);
	counter = counter + n;
	seen ^= stamp;
	return mixed + (long)half;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 12;
	long total = 0;
	counter = 1000;
	for (long i = 1; i <= rounds; i++) {
		struct timespec ts;
		uint64_t t;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		__asm__ volatile("rdtime %0" : "=r"(t));
		total += step(i, (uint64_t)ts.tv_nsec ^ (t << 1));
	}
	counter = counter * 2;
	printf("debug_glibc: %ld rounds, counter %ld, total %ld, seen %016llx\n", rounds, counter, total,
	       (unsigned long long)seen);
	return (int)(counter % 100);
}
