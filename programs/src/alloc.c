/* malloc, realloc and free on brk; anonymous mmap and munmap; and what
 * happens when memory runs out. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include "sys.h"

int main(void)
{
	uint64_t h = 0;
	char *blocks[64] = {0};
	for (int r = 0; r < 2000; r++) {
		int i = (r * 37) % 64;
		size_t sz = (size_t)((r * 7919) % 5000) + 1;
		if (blocks[i] && r % 3 == 0) {
			free(blocks[i]);
			blocks[i] = NULL;
		} else {
			char *p = realloc(blocks[i], sz);
			if (!p) {
				printf("realloc failed\n");
				return 1;
			}
			memset(p, r & 0xff, sz);
			blocks[i] = p;
			h = h * 31 + (uint64_t)(unsigned char)p[sz - 1] + sz;
		}
	}
	for (int i = 0; i < 64; i++)
		free(blocks[i]);
	printf("malloc hash %016llx\n", (unsigned long long)h);

	long len = 3 * 4096 + 100;
	char *m = (char *)sys6(SYS_mmap, 0, len, 3, 0x22, -1, 0);
	if ((long)m < 0) {
		printf("mmap failed %ld\n", (long)m);
		return 1;
	}
	int zero = 1;
	for (long i = 0; i < len; i++)
		zero &= m[i] == 0;
	memset(m, 0x5a, len);
	long r = sys3(SYS_munmap, m, len, 0);
	printf("mmap zeroed %d munmap %ld\n", zero, r);
	long bad = sys6(SYS_mmap, 0, 0, 3, 0x22, -1, 0);
	printf("mmap of 0 bytes: %ld\n", bad);

	/* Ask for far more than any machine here gives a guest. */
	long huge = sys6(SYS_mmap, 0, 1l << 40, 3, 0x22, -1, 0);
	printf("mmap of 1 TiB fails: %d\n", huge < 0);
	void *big = malloc((size_t)1 << 40);
	printf("malloc of 1 TiB fails: %d\n", big == NULL);
	return 0;
}
