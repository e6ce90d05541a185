/* Reads cycle and time about once every 100 instructions, N times (argv[1],
 * default 10000): the record/replay overhead benchmark. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include "sys.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000;
	uint64_t acc = 0, x = 88172645463325252ull;
	for (long i = 0; i < n; i++) {
		for (int j = 0; j < 12; j++) { /* about 96 instructions of work */
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			acc += x * 3 + (x >> 11);
		}
		acc += (i & 1) ? rd_time() : rd_cycle();
	}
	printf("ndloop %ld reads, checksum %016llx\n", n, (unsigned long long)acc);
	return 0;
}
