/* Opens argv[1] read-only, prints its size (fstat) and its contents. */
#include <stdio.h>
#include "sys.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: readfile PATH\n");
		return 2;
	}
	long fd = sys6(SYS_openat, LX_AT_FDCWD, (long)argv[1], 0, 0, 0, 0);
	if (fd < 0) {
		printf("openat %s: errno %ld\n", argv[1], -fd);
		return 2;
	}
	struct rv_stat st;
	long r = sys3(SYS_fstat, fd, &st, 0);
	printf("fstat %ld: size %lld\n", r, (long long)st.size);
	char buf[256];
	long n, total = 0;
	while ((n = sys3(SYS_read, fd, buf, sizeof buf)) > 0) {
		fwrite(buf, 1, (size_t)n, stdout);
		total += n;
	}
	printf("read %ld bytes, close %ld\n", total, sys3(SYS_close, fd, 0, 0));
	printf("write to read-only file: %ld\n", sys3(SYS_write, fd, "x", 1));
	return 0;
}
