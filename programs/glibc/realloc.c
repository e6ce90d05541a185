/* realloc of a large block, as a program that grows an array or reads a
 * file of unknown size does: glibc maps a block of 128 KiB or more with
 * mmap and grows it with mremap. Each round grows a block from 256 KiB to
 * 16 MiB by doubling, checking the bytes it had at each step; the last
 * round's block is still allocated at exit. argv[1] is the number of
 * rounds (default 1). */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 1;
	uint64_t sum = 0;
	unsigned char *keep = NULL;
	for (int r = 0; r < rounds; r++) {
		size_t size = 256 << 10;
		unsigned char *p = malloc(size);
		if (!p) {
			printf("malloc of %zu failed\n", size);
			return 1;
		}
		for (size_t i = 0; i < size; i += 64)
			p[i] = (unsigned char)(i >> 6) + r;
		while (size < (16u << 20)) {
			unsigned char *q = realloc(p, 2 * size);
			if (!q) {
				printf("realloc to %zu failed\n", 2 * size);
				return 1;
			}
			for (size_t i = 0; i < size; i += 64)
				if (q[i] != (unsigned char)((i >> 6) + r)) {
					printf("round %d: byte %zu of %zu changed when the block grew\n", r, i, size);
					return 1;
				}
			for (size_t i = size; i < 2 * size; i += 64)
				q[i] = (unsigned char)(i >> 6) + r;
			p = q;
			size *= 2;
		}
		for (size_t i = 0; i < size; i += 4096)
			sum = sum * 31 + p[i];
		free(keep);
		keep = p;
	}
	printf("%d rounds of realloc from 256 KiB to 16 MiB: checksum %llu\n", rounds, (unsigned long long)sum);
	return 0;
}
