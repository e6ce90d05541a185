/* Sorts pseudo-random data with qsort and a merge sort, and checks both. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void msort(int64_t *a, int64_t *tmp, int n)
{
	if (n < 2)
		return;
	int m = n / 2;
	msort(a, tmp, m);
	msort(a + m, tmp, n - m);
	int i = 0, j = m, k = 0;
	while (i < m && j < n)
		tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
	while (i < m)
		tmp[k++] = a[i++];
	while (j < n)
		tmp[k++] = a[j++];
	for (k = 0; k < n; k++)
		a[k] = tmp[k];
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20000;
	int64_t *a = malloc(sizeof *a * n), *b = malloc(sizeof *b * n), *t = malloc(sizeof *t * n);
	if (!a || !b || !t) {
		fprintf(stderr, "sort: out of memory\n");
		return 1;
	}
	uint64_t x = 12345;
	for (int i = 0; i < n; i++) {
		x = x * 2862933555777941757ull + 3037000493ull;
		a[i] = b[i] = (int64_t)(x >> 16) - (1ll << 46);
	}
	qsort(a, n, sizeof *a, cmp);
	msort(b, t, n);
	uint64_t h = 0;
	for (int i = 0; i < n; i++) {
		if (a[i] != b[i] || (i && a[i - 1] > a[i])) {
			printf("sort: mismatch at %d\n", i);
			return 1;
		}
		h = h * 31 + (uint64_t)a[i];
	}
	printf("sort %d: min %lld max %lld hash %016llx\n", n, (long long)a[0], (long long)a[n - 1], (unsigned long long)h);
	return 0;
}
