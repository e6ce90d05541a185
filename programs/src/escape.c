/* Tries to reach host files through openat: each argument is opened with
 * every access mode and the flags that create, truncate or append,
 * relative to the working directory and to directories it could open
 * ("." and "/"). What opens is read and printed, written to, mapped,
 * seeked and closed; then the program tries to create files and to run
 * out of descriptors. It prints every result (a leak shows as file
 * content in its output) and exits 0; cmd/rvsim/hostile_test.go judges
 * the output and checks the host's files afterwards. */
#include <stdio.h>
#include <string.h>
#include "sys.h"

#define O_PATH 010000000
#define O_TMPFILE 020200000

static const struct {
	long flags;
	const char *name;
} modes[] = {
	{ LX_O_RDONLY, "O_RDONLY" },
	{ LX_O_WRONLY, "O_WRONLY" },
	{ LX_O_RDWR, "O_RDWR" },
	{ LX_O_RDONLY | LX_O_CREAT, "O_RDONLY|O_CREAT" },
	{ LX_O_WRONLY | LX_O_CREAT | LX_O_TRUNC, "O_WRONLY|O_CREAT|O_TRUNC" },
	{ LX_O_RDONLY | LX_O_TRUNC, "O_RDONLY|O_TRUNC" },
	{ LX_O_WRONLY | LX_O_APPEND, "O_WRONLY|O_APPEND" },
	{ LX_O_RDWR | LX_O_CREAT | LX_O_EXCL, "O_RDWR|O_CREAT|O_EXCL" },
	{ O_TMPFILE | LX_O_RDWR, "O_TMPFILE|O_RDWR" },
	{ O_PATH, "O_PATH" },
	{ LX_O_DIRECTORY, "O_DIRECTORY" },
	{ 3, "O_ACCMODE" },
};

static char buf[65536];

static void use(long fd)
{
	struct rv_stat st;
	memset(&st, 0, sizeof st);
	printf("  fstat %ld size %lld\n", sys2(SYS_fstat, fd, &st), (long long)st.size);
	long n = sys3(SYS_read, fd, buf, sizeof buf);
	printf("  read %ld\n", n);
	if (n > 0) {
		printf("  <<<");
		fwrite(buf, 1, (size_t)n, stdout);
		printf(">>>\n");
	}
	printf("  write %ld\n", sys3(SYS_write, fd, "OVERWRITTEN", 11));
	printf("  lseek end %ld\n", sys3(SYS_lseek, fd, 0, 2));
	printf("  mmap %ld\n", sys6(SYS_mmap, 0, 4096, LX_PROT_READ | LX_PROT_WRITE, 1 /* MAP_SHARED */, fd, 0));
	printf("  close %ld\n", sys1(SYS_close, fd));
}

static void try_open(long dirfd, const char *dirname, const char *path)
{
	for (unsigned i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		long fd = sys6(SYS_openat, dirfd, (long)path, modes[i].flags, 0644, 0, 0);
		printf("openat(%s, \"%s\", %s) = %ld\n", dirname, path, modes[i].name, fd);
		if (fd >= 0)
			use(fd);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: escape PATH...\n");
		return 2;
	}
	char cwd[64];
	memset(cwd, 0, sizeof cwd);
	printf("getcwd %ld \"%s\"\n", sys2(SYS_getcwd, cwd, sizeof cwd), cwd);
	long dot = sys6(SYS_openat, LX_AT_FDCWD, (long)".", LX_O_DIRECTORY, 0, 0, 0);
	long root = sys6(SYS_openat, LX_AT_FDCWD, (long)"/", LX_O_DIRECTORY, 0, 0, 0);
	printf("directories: \".\" %ld, \"/\" %ld\n", dot, root);
	for (int a = 1; a < argc; a++) {
		try_open(LX_AT_FDCWD, "AT_FDCWD", argv[a]);
		if (dot >= 0)
			try_open(dot, "\".\"", argv[a]);
		if (root >= 0)
			try_open(root, "\"/\"", argv[a]);
	}
	/* Descriptors: the guest's run out, not the host's. */
	long first = -1, last = -1, n = 0, err = 0;
	for (int i = 0; i < 2000; i++) {
		long fd = sys6(SYS_openat, LX_AT_FDCWD, (long)".", 0, 0, 0, 0);
		if (fd < 0) {
			err = fd;
			break;
		}
		if (first < 0)
			first = fd;
		last = fd;
		n++;
	}
	printf("opened %ld descriptors (%ld to %ld), then %ld\n", n, first, last, err);
	for (long fd = first; fd >= 0 && fd <= last; fd++)
		sys1(SYS_close, fd);
	return 0;
}
