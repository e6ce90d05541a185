/* Copies standard input to standard output and counts the bytes on stderr. */
#include <stdio.h>
#include "sys.h"

int main(void)
{
	static char buf[4096];
	long total = 0, n;
	while ((n = rv_read(0, buf, sizeof buf)) > 0) {
		long off = 0;
		while (off < n) {
			long w = rv_write(1, buf + off, (size_t)(n - off));
			if (w <= 0)
				return 1;
			off += w;
		}
		total += n;
	}
	fprintf(stderr, "cat: %ld bytes\n", total);
	return n < 0 ? 1 : 0;
}
