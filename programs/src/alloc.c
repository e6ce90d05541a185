/* The heap and anonymous memory: brk directly (grow, touch, shrink, grow
 * again, refused requests), then malloc/realloc/free (picolibc's malloc on
 * sbrk, so on brk), then anonymous mmap/munmap (holes, reuse, zeroing) and
 * requests far beyond any guest's memory. Prints only what every Linux
 * gives the same way (no addresses), so that rvsim and qemu-riscv64 agree.
 * argv[1] scales the malloc rounds (default 2000). */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include "sys.h"

extern char _end[];

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static int all_zero(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static char *map(long len)
{
	return (char *)sys6(SYS_mmap, 0, len, LX_PROT_READ | LX_PROT_WRITE, LX_MAP_PRIVATE | LX_MAP_ANONYMOUS, -1, 0);
}

static void brk_tests(void)
{
	/* Runs before malloc's first sbrk, and leaves the break where it was. */
	char *b0 = (char *)sys1(SYS_brk, 0);
	printf("brk starts past the image: %d, page aligned: %d\n", b0 >= _end, ((uintptr_t)b0 & 4095) == 0);
	long grow = 3 * 4096 + 123;
	char *b1 = (char *)sys1(SYS_brk, b0 + grow);
	printf("brk grow by %ld: %d\n", grow, b1 == b0 + grow);
	printf("new heap reads zero: %d\n", all_zero(b0, (size_t)grow));
	memset(b0, 0xa5, (size_t)grow);
	char *b2 = (char *)sys1(SYS_brk, b0);
	printf("brk shrink: %d\n", b2 == b0);
	char *b3 = (char *)sys1(SYS_brk, b0 + 8 * 4096);
	/* Whole pages given back and taken again read zero on every Linux. */
	printf("brk regrow: %d, zero beyond the first page: %d\n", b3 == b0 + 8 * 4096,
	       all_zero(b0 + 4096, 7 * 4096));
	char *b4 = (char *)sys1(SYS_brk, b0 - 4096 * 16);
	printf("brk below the start refused: %d\n", b4 == b3);
	char *b5 = (char *)sys1(SYS_brk, b0 + (1l << 40));
	printf("brk of 1 TiB refused: %d\n", b5 == b3);
	sys1(SYS_brk, b0);
}

static void malloc_tests(int rounds)
{
	uint64_t h = 0xcbf29ce484222325ull;
	char *blocks[64] = {0};
	size_t sizes[64] = {0};
	for (int r = 0; r < rounds; r++) {
		int i = (r * 37) % 64;
		size_t sz = (size_t)((r * 7919) % 5000) + 1;
		if (r % 97 == 0)
			sz += 200000; /* now and then a big block */
		if (blocks[i] && r % 3 == 0) {
			h = fnv(h, (unsigned char *)blocks[i], sizes[i]);
			free(blocks[i]);
			blocks[i] = NULL;
			sizes[i] = 0;
			continue;
		}
		char *p = realloc(blocks[i], sz);
		if (!p) {
			printf("realloc of %zu failed\n", sz);
			exit(1);
		}
		/* realloc keeps the old contents up to the smaller size. */
		size_t keep = sizes[i] < sz ? sizes[i] : sz;
		for (size_t k = 0; k < keep; k++)
			if ((unsigned char)p[k] != (unsigned char)(i * 3 + k)) {
				printf("realloc lost data at round %d\n", r);
				exit(1);
			}
		for (size_t k = keep; k < sz; k++)
			p[k] = (char)(i * 3 + k);
		blocks[i] = p;
		sizes[i] = sz;
		h = h * 31 + sz;
	}
	for (int i = 0; i < 64; i++) {
		if (blocks[i])
			h = fnv(h, (unsigned char *)blocks[i], sizes[i]);
		free(blocks[i]);
	}
	char *z = calloc(1000, 33);
	printf("calloc zeroed: %d\n", z && all_zero(z, 33000));
	free(z);
	printf("malloc rounds %d hash %016llx\n", rounds, (unsigned long long)h);
}

static void mmap_tests(void)
{
	long len = 3 * 4096 + 100;
	char *m = map(len);
	if ((long)m < 0) {
		printf("mmap failed %ld\n", (long)m);
		exit(1);
	}
	printf("mmap page aligned: %d, zeroed: %d\n", ((uintptr_t)m & 4095) == 0, all_zero(m, (size_t)len));
	memset(m, 0x5a, (size_t)len);
	/* The rest of the last page is part of the mapping too. */
	m[4 * 4096 - 1] = 1;

	/* Three mappings; free the middle one and map it again. */
	char *a = map(4096), *b = map(2 * 4096), *c = map(4096);
	int ok = (long)a > 0 && (long)b > 0 && (long)c > 0;
	memset(a, 1, 4096);
	memset(b, 2, 2 * 4096);
	memset(c, 3, 4096);
	long r1 = sys2(SYS_munmap, b, 2 * 4096);
	char *d = map(2 * 4096);
	ok = ok && (long)d > 0 && all_zero(d, 2 * 4096);
	memset(d, 4, 2 * 4096);
	ok = ok && a[0] == 1 && a[4095] == 1 && c[0] == 3 && c[4095] == 3;
	printf("mmap/munmap/mmap: munmap %ld, neighbours intact and remap zeroed: %d\n", r1, ok);

	/* Partial munmap of the first mapping's head. */
	long r2 = sys2(SYS_munmap, m, 4096);
	int tail = 1;
	for (long i = 4096; i < len; i++)
		tail &= m[i] == 0x5a;
	printf("partial munmap %ld, rest intact: %d\n", r2, tail);
	long r3 = sys2(SYS_munmap, m + 4096, len - 4096);
	long r4 = sys2(SYS_munmap, a, 4096) | sys2(SYS_munmap, c, 4096) | sys2(SYS_munmap, d, 2 * 4096);
	printf("munmap rest %ld, others %ld\n", r3, r4);

	printf("mmap of 0 bytes: %ld\n", (long)map(0));
	printf("munmap of an unaligned address: %ld\n", sys2(SYS_munmap, (long)m + 1, 4096));
	printf("munmap of 0 bytes: %ld\n", sys2(SYS_munmap, m, 0));

	/* Far more than any machine here gives a guest. */
	long huge = (long)map(1l << 40);
	printf("mmap of 1 TiB fails: %d\n", huge < 0);
	void *big = malloc((size_t)1 << 40);
	printf("malloc of 1 TiB fails: %d\n", big == NULL);
	/* Memory is still usable after the failures. */
	char *after = malloc(100000);
	int fine = after != NULL;
	if (fine) {
		memset(after, 7, 100000);
		fine = after[99999] == 7;
	}
	free(after);
	printf("malloc after the failures: %d\n", fine);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 2000;
	brk_tests();
	malloc_tests(rounds);
	mmap_tests();
	return 0;
}
