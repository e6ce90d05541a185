/* fileio: file access through semihosting. It opens the file named by its
 * last argument (below rvsim's --fs directory, read-only), prints its
 * length (SYS_FLEN through lseek SEEK_END), the four bytes at offset 6
 * (SYS_SEEK, SYS_READ), its first line and a checksum of the whole file
 * read with stdio (sum = sum * 31 + byte, from 0, 32 bits), and what
 * opening it for writing (EACCES, 13) and opening a missing file (ENOENT,
 * 2) give: errno comes from SYS_ERRNO. For programs/testdata/hello.txt
 * ("hello from a file the guest may read\n", 37 bytes) with --fs
 * programs/testdata it prints
 *   length 37
 *   at 6: 4 bytes "from"
 *   first line: hello from a file the guest may read
 *   read 37 bytes, checksum <the sum>
 *   open for writing: -1 errno 13
 *   open missing: -1 errno 2
 * exit status 0, or 1 if the file cannot be opened. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[argc - 1] : "hello.txt";
	int fd = open(name, O_RDONLY);
	if (fd < 0) {
		printf("open %s: errno %d\n", name, errno);
		return 1;
	}
	off_t len = lseek(fd, 0, SEEK_END);
	printf("length %ld\n", (long)len);
	char buf[64];
	if (lseek(fd, 6, SEEK_SET) != 6) {
		printf("seek failed: errno %d\n", errno);
		return 1;
	}
	ssize_t n = read(fd, buf, 4);
	printf("at 6: %zd bytes \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
	close(fd);

	FILE *f = fopen(name, "r");
	if (!f) {
		printf("fopen %s: errno %d\n", name, errno);
		return 1;
	}
	unsigned sum = 0;
	size_t total = 0;
	if (fgets(buf, sizeof buf, f)) {
		printf("first line: %s", buf);
		for (char *p = buf; *p; p++, total++)
			sum = sum * 31 + (unsigned char)*p;
	}
	int c;
	while ((c = getc(f)) != EOF) {
		sum = sum * 31 + (unsigned char)c;
		total++;
	}
	fclose(f);
	printf("read %zu bytes, checksum %08x\n", total, sum);

	errno = 0;
	fd = open(name, O_WRONLY | O_TRUNC);
	printf("open for writing: %d errno %d\n", fd, errno);
	errno = 0;
	fd = open("no-such-file", O_RDONLY);
	printf("open missing: %d errno %d\n", fd, errno);
	return 0;
}
