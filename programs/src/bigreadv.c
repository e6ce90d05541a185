/* Reads standard input with readv(0, iov, 1024), every one of the 1024
 * vectors 1 MiB long (they share one buffer), ROUNDS times (argv[1],
 * default 4), and prints what each call returned and a checksum of the
 * buffer, computed PASSES times over (argv[2], default 1: more passes make
 * a long computation between two reads). Linux may return less than
 * asked; rvsim returns at most 1 MiB from one read or readv, so that a
 * recorded input event stays small. */
#include <stdio.h>
#include <stdlib.h>
#include "sys.h"

#define NVEC 1024
#define VLEN (1L << 20)

static unsigned char buf[VLEN];
static struct rv_iovec iov[NVEC];

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 4;
	long passes = argc > 2 ? atol(argv[2]) : 1;
	for (int i = 0; i < NVEC; i++) {
		iov[i].base = buf;
		iov[i].len = VLEN;
	}
	for (long r = 0; r < rounds; r++) {
		long n = sys3(SYS_readv, 0, iov, NVEC);
		unsigned long sum = 0;
		for (long p = 0; p < passes; p++)
			for (long i = 0; i < VLEN; i++)
				sum = sum * 31 + buf[i];
		printf("readv %ld: %ld bytes, checksum %016lx\n", r, n, sum);
		fflush(stdout);
		if (n <= 0)
			return n < 0 ? 1 : 0;
	}
	return 0;
}
