/* Never ends by itself: the resource-limit tests stop it with --max-insns,
 * --timeout or a signal. argv[1] picks what it does without end:
 *   spin   computes and reads cycle and time (a non-deterministic event
 *          about every 100 instructions);
 *   alloc  allocates and touches 64 KiB blocks; when memory runs out it
 *          says so once and keeps asking;
 *   print  writes a numbered line to stdout, with the cycle counter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include "sys.h"

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "spin";
	uint64_t acc = 0, x = 88172645463325252ull;
	if (strcmp(mode, "alloc") == 0) {
		unsigned long kib = 0;
		int said = 0;
		for (;;) {
			char *p = malloc(64 << 10);
			if (p == NULL) {
				if (!said) {
					printf("alloc: out of memory after %lu KiB\n", kib);
					fflush(stdout);
					said = 1;
				}
				acc += rd_cycle();
				continue;
			}
			memset(p, (int)(kib >> 6), 64 << 10);
			kib += 64;
		}
	}
	if (strcmp(mode, "print") == 0) {
		for (unsigned long i = 0;; i++)
			printf("line %lu cycle %llu\n", i, (unsigned long long)rd_cycle());
	}
	for (;;) {
		for (int j = 0; j < 12; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			acc += x * 3 + (x >> 11);
		}
		acc += (acc & 1) ? rd_time() : rd_cycle();
	}
}
