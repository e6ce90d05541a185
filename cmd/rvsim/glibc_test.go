package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/vmm"
)

// Programs built as users build them, with Debian's glibc cross compiler
// (riscv64-linux-gnu-gcc, -O2, its default -march=rv64gc), static and
// dynamic (PIE), run under rvsim and under qemu-riscv64 (-L for dynamic
// ones), the referee.

// glibcSources are the C programs the tests build. Their output does not
// depend on the host (clocks and entropy are used, not printed).
var glibcSources = map[string]string{
	"hello": `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
int main(int argc, char **argv) {
	printf("hello from glibc, %d arguments:", argc);
	for (int i = 1; i < argc; i++)
		printf(" [%s]", argv[i]);
	printf("\n%.10f %g %e\n", 1.0 / 3, sqrt(2.0), 6.02214076e23 * argc);
	size_t n = 1 << 20; /* above the mmap threshold: an anonymous mapping */
	unsigned char *p = malloc(n);
	memset(p, 7, n);
	unsigned long sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += p[i];
	free(p);
	char *q = malloc(100); /* the heap: brk */
	strcpy(q, "heap");
	unsigned r;
	struct timespec ts;
	int ok = getrandom(&r, sizeof r, 0) == sizeof r && clock_gettime(CLOCK_MONOTONIC, &ts) == 0 &&
		clock_gettime(CLOCK_REALTIME, &ts) == 0 && ts.tv_sec > 1600000000;
	printf("sum %lu, %s, clocks and entropy %s, pid %s\n", sum, q, ok ? "ok" : "BAD", getpid() > 0 ? "ok" : "BAD");
	fprintf(stderr, "to stderr\n");
	return 3;
}
`,
	"auxv": `#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
extern char _start[];
static int first(struct dl_phdr_info *info, size_t size, void *data) {
	*(const void **)data = info->dlpi_phdr;
	return 1;
}
int main(int argc, char **argv) {
	const ElfW(Phdr) *ph = (const void *)getauxval(AT_PHDR), *main_phdr = 0;
	unsigned long n = getauxval(AT_PHNUM), base = getauxval(AT_BASE);
	dl_iterate_phdr(first, &main_phdr);
	printf("phent %lu phnum %lu pagesz %lu, types", getauxval(AT_PHENT), n, getauxval(AT_PAGESZ));
	for (unsigned long i = 0; i < n; i++)
		printf(" %#x", ph[i].p_type);
	printf("\nphdr is the program's: %d; entry is _start: %d\n", ph == main_phdr, getauxval(AT_ENTRY) == (unsigned long)_start);
	printf("interpreter: %s\n", base == 0 ? "none" : memcmp((void *)base, ELFMAG, SELFMAG) == 0 ? "an ELF at AT_BASE" : "BAD");
	printf("hwcap %#lx flags %lu secure %lu clktck %lu platform %s\n", getauxval(AT_HWCAP), getauxval(AT_FLAGS),
		getauxval(AT_SECURE), getauxval(AT_CLKTCK), getauxval(AT_PLATFORM) ? "set" : "none");
	printf("execfn is argv[0]: %d; random: %d\n", strcmp((char *)getauxval(AT_EXECFN), argv[0]) == 0, getauxval(AT_RANDOM) != 0);
	return 0;
}
`,
	"files": `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
int main(void) {
	struct stat st;
	if (fstat(0, &st) == 0)
		printf("stdin: regular %d fifo %d chr %d size %lld\n", S_ISREG(st.st_mode), S_ISFIFO(st.st_mode), S_ISCHR(st.st_mode),
			S_ISREG(st.st_mode) ? (long long)st.st_size : -1LL);
	off_t end = lseek(0, 0, SEEK_END);
	printf("lseek to the end %lld, back %lld\n", (long long)end, (long long)lseek(0, 0, SEEK_SET));
	char buf[64];
	printf("read %zd\n", read(0, buf, sizeof buf));
	size_t sz = 1 << 20; /* realloc of a mapped block: mremap */
	char *p = malloc(sz);
	memset(p, 'x', sz);
	for (int i = 0; i < 4; i++) {
		char *q = malloc(1 << 18); /* a mapping in the way */
		p = realloc(p, sz * 2);
		memset(p + sz, 'y', sz);
		sz *= 2;
		q[0] = 1;
	}
	long sum = 0;
	for (size_t i = 0; i < sz; i++)
		sum += p[i];
	p = realloc(p, 1 << 19);
	printf("realloc: sum %ld, first %c\n", sum, p[0]);
	FILE *f = fopen("/lib/riscv64-linux-gnu/no-such-library.so", "r");
	printf("fopen of a missing library: %s\n", f ? "opened" : "NULL");
	return 0;
}
`,
	"dir": `#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
int main(int argc, char **argv) {
	for (int pass = 0; pass < 2; pass++) {
		DIR *d = opendir(argv[1]);
		if (!d) {
			perror("opendir");
			return 1;
		}
		char *names[1024];
		int n = 0;
		struct dirent *e;
		while ((e = readdir(d)) && n < 1024) {
			char *s = malloc(strlen(e->d_name) + 8);
			sprintf(s, "%s %d", e->d_name, e->d_type);
			names[n++] = s;
		}
		rewinddir(d);
		int again = 0;
		while (readdir(d))
			again++;
		closedir(d);
		qsort(names, n, sizeof *names, cmp);
		printf("%d entries, %d after rewinddir:", n, again);
		for (int i = 0; i < n; i++)
			printf(" [%s]", names[i]);
		printf("\n");
	}
	return 0;
}
`,
	// once: what a process of one thread asks of futex (glibc's
	// pthread_once and iconv_open wake its waiters once the initialiser has
	// run), futex's answers to the calls a single thread can make, and
	// umask.
	"once": `#include <errno.h>
#include <iconv.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
static int calls;
static void init(void) { calls++; }
static void futex(const char *what, void *addr, int op, uint32_t val, const struct timespec *ts, uint32_t val3) {
	errno = 0;
	long r = syscall(SYS_futex, addr, op, val, ts, 0, val3);
	printf("%s: %ld %d\n", what, r, errno);
}
int main(void) {
	pthread_once_t o = PTHREAD_ONCE_INIT;
	pthread_once(&o, init);
	pthread_once(&o, init);
	iconv_t cd = iconv_open("UTF-8", "ISO-8859-1");
	printf("pthread_once ran its function %d time, iconv_open %s\n", calls, cd == (iconv_t)-1 ? "failed" : "opened");
	uint32_t w = 5;
	struct timespec ts = {0, 1000}, bad = {0, 2000000000};
	futex("wake", &w, FUTEX_WAKE_PRIVATE, 1, 0, 0);
	futex("wake shared", &w, FUTEX_WAKE, 1, 0, 0);
	futex("wake unaligned", (char *)&w + 1, FUTEX_WAKE_PRIVATE, 1, 0, 0);
	futex("wake bitset", &w, FUTEX_WAKE_BITSET_PRIVATE, 1, 0, 3);
	futex("wake bitset 0", &w, FUTEX_WAKE_BITSET_PRIVATE, 1, 0, 0);
	futex("wake realtime", &w, FUTEX_WAKE_PRIVATE | FUTEX_CLOCK_REALTIME, 1, 0, 0);
	futex("wait, another value", &w, FUTEX_WAIT_PRIVATE, 4, 0, 0);
	futex("wait, timed out", &w, FUTEX_WAIT_PRIVATE, 5, &ts, 0);
	futex("wait bitset realtime, timed out", &w, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 5, &ts, ~0u);
	futex("wait, bad timeout", &w, FUTEX_WAIT_PRIVATE, 5, &bad, 0);
	futex("wait, bad address", (uint32_t *)8, FUTEX_WAIT_PRIVATE, 5, 0, 0);
	futex("wait bitset 0", &w, FUTEX_WAIT_BITSET_PRIVATE, 5, &ts, 0);
	mode_t old = umask(077);
	printf("umask %03o, then %03o\n", (unsigned)old, (unsigned)umask(old));
	return 0;
}
`,
	// signals: a signal raised while blocked is pending (sigpending says
	// so) until unblocked, when its action is taken: discarded if it is
	// now ignored, the end of the process by default.
	"signals": `#include <signal.h>
#include <stdio.h>
#include <string.h>
int main(void) {
	sigset_t set, pend;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("raise SIGUSR1 %d, SIGTERM %d\n", raise(SIGUSR1), raise(SIGTERM));
	sigemptyset(&pend);
	printf("sigpending %d: SIGUSR1 %d SIGTERM %d SIGINT %d\n", sigpending(&pend), sigismember(&pend, SIGUSR1),
		sigismember(&pend, SIGTERM), sigismember(&pend, SIGINT));
	signal(SIGUSR1, SIG_IGN); /* discards the pending one */
	sigemptyset(&pend);
	sigpending(&pend);
	printf("SIGUSR1 ignored: pending %d\n", sigismember(&pend, SIGUSR1));
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &usr1, NULL);
	printf("SIGUSR1 unblocked, still here; SIGTERM next\n");
	fflush(stdout);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	printf("not reached\n");
	return 0;
}
`,
	// links: lstat (fstatat with AT_SYMLINK_NOFOLLOW) of symbolic links
	// below the directory given, readlink, realpath, chdir and fchdir
	// through them, trailing slashes, O_NOFOLLOW, and a shared writable
	// mapping of a file opened read-only (EACCES).
	"links": `#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
static void show(const char *name) {
	struct stat st;
	errno = 0;
	int r = lstat(name, &st);
	printf("lstat %s: %d %d link %d size %ld;", name, r, errno, r == 0 && S_ISLNK(st.st_mode), r == 0 ? (long)st.st_size : -1L);
	errno = 0;
	r = stat(name, &st);
	printf(" stat: %d %d link %d size %ld;", r, errno, r == 0 && S_ISLNK(st.st_mode), r == 0 ? (long)st.st_size : -1L);
	char buf[64];
	errno = 0;
	ssize_t n = readlink(name, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	printf(" readlink: %ld %d [%s]\n", (long)n, errno, buf);
}
int main(int argc, char **argv) {
	if (strcmp(argv[1], "/") != 0 && chdir(argv[1]) != 0) /* rvsim's guest starts at the root of --fs */
		return 1;
	show("data.txt");
	show("link.txt");
	show("dangling");
	show("sublink");
	show("sublink/a.txt");
	char buf[8];
	errno = 0;
	printf("readlink short: %ld %d [%.3s]\n", (long)readlink("link.txt", buf, 3), errno, buf);
	struct stat st;
	errno = 0;
	int r = fstatat(AT_FDCWD, "sublink", &st, AT_SYMLINK_NOFOLLOW);
	printf("fstatat nofollow: %d %d link %d\n", r, errno, r == 0 && S_ISLNK(st.st_mode));
	char *p = realpath("sublink/a.txt", NULL);
	char cwd[PATH_MAX];
	getcwd(cwd, sizeof cwd);
	printf("realpath: %s\n", p ? p + (strcmp(cwd, "/") ? strlen(cwd) : 0) : "(null)");
	char here[PATH_MAX];
	errno = 0;
	r = chdir("sublink");
	printf("chdir sublink: %d %d, cwd %s", r, errno, getcwd(here, sizeof here) + strlen(cwd) - (strcmp(cwd, "/") ? 0 : 1));
	FILE *f = fopen("a.txt", "r");
	printf(", a.txt %s", f && fgetc(f) == 'a' ? "read" : "not read");
	errno = 0;
	r = chdir("..");
	printf("; chdir ..: %d %d, cwd [%s]\n", r, errno, getcwd(here, sizeof here) + strlen(cwd));
	errno = 0;
	r = chdir("data.txt");
	printf("chdir to a file: %d %d; ", r, errno);
	errno = 0;
	r = chdir("dangling");
	printf("to a dangling link: %d %d; ", r, errno);
	int dfd = open("sub", O_RDONLY | O_DIRECTORY);
	errno = 0;
	r = fchdir(dfd);
	printf("fchdir sub: %d %d, cwd %s; ", r, errno, getcwd(here, sizeof here) + strlen(cwd) - (strcmp(cwd, "/") ? 0 : 1));
	errno = 0;
	printf("fchdir of a file: %d %d\n", fchdir(0), errno);
	chdir("..");
	errno = 0;
	r = chdir("deep");
	printf("chdir deep: %d %d, cwd %s\n", r, errno, getcwd(here, sizeof here) + strlen(cwd) - (strcmp(cwd, "/") ? 0 : 1));
	chdir("../..");
	errno = 0;
	r = lstat("sublink/", &st);
	printf("lstat sublink/: %d %d dir %d; ", r, errno, r == 0 && S_ISDIR(st.st_mode));
	errno = 0;
	r = lstat("link.txt/", &st);
	printf("link.txt/: %d %d; ", r, errno);
	errno = 0;
	r = open("data.txt/", O_RDONLY);
	printf("open data.txt/: %d %d; ", r, errno);
	errno = 0;
	r = open("link.txt", O_RDONLY | O_NOFOLLOW);
	printf("O_NOFOLLOW link.txt: %d %d; ", r, errno);
	errno = 0;
	r = open("sublink", O_RDONLY | O_NOFOLLOW | O_DIRECTORY);
	printf("O_NOFOLLOW|O_DIRECTORY sublink: %d %d\n", r, errno);
	if (argc > 2) { /* rvsim only: DIR is the guest's "/", as in a chroot */
		f = fopen("abs/a.txt", "r");
		printf("absolute link: %s\n", f && fgetc(f) == 'a' ? "followed inside" : "not followed");
	}
	int fd = open("data.txt", O_RDONLY);
	errno = 0;
	void *m = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("shared writable mapping of a read-only descriptor: %s %d\n", m == MAP_FAILED ? "failed" : "mapped", errno);
	errno = 0;
	m = mmap(0, 4096, PROT_READ, MAP_SHARED, fd, 0);
	printf("shared read-only mapping: %s %d [%.4s]\n", m == MAP_FAILED ? "failed" : "mapped", errno, m == MAP_FAILED ? "" : (char *)m);
	return 0;
}
`,
	// futexwait: a wait on a futex that no thread could end.
	"futexwait": `#include <linux/futex.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
	uint32_t w = 0;
	printf("waiting\n");
	fflush(stdout);
	syscall(SYS_futex, &w, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0);
	printf("woken\n");
	return 0;
}
`,
	// usage: clock_getres, times and getrusage, whose values depend on
	// the run only through what is printed of them.
	"usage": `#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <time.h>
int main(void) {
	struct timespec r;
	for (int c = 0; c < 12; c++) {
		r.tv_sec = r.tv_nsec = -1;
		errno = 0;
		int rc = clock_getres(c, &r);
		if (c == CLOCK_REALTIME_COARSE || c == CLOCK_MONOTONIC_COARSE)
			printf("clock %d: %d %d coarse %d\n", c, rc, errno, r.tv_sec == 0 && r.tv_nsec > 1 && r.tv_nsec <= 10000000);
		else
			printf("clock %d: %d %d %ld.%09ld\n", c, rc, errno, (long)r.tv_sec, r.tv_nsec);
	}
	printf("clock_getres NULL: %d\n", clock_getres(CLOCK_MONOTONIC, NULL));
	struct tms t0, t1;
	clock_t c0 = times(&t0);
	volatile unsigned long x = 0;
	for (unsigned long i = 0; i < 3000000; i++)
		x += i;
	clock_t c1 = times(&t1);
	printf("times: %d %d, children %ld %ld\n", c0 != (clock_t)-1, c1 >= c0 && t1.tms_utime + t1.tms_stime >= t0.tms_utime + t0.tms_stime,
		(long)t1.tms_cutime, (long)t1.tms_cstime);
	printf("times NULL: %d\n", times(NULL) != (clock_t)-1); /* (glibc reads a buffer times refused: no bad pointer) */
	struct rusage u;
	int rc = getrusage(RUSAGE_SELF, &u);
	printf("getrusage self: %d, maxrss %d\n", rc, u.ru_maxrss > 0);
	rc = getrusage(RUSAGE_CHILDREN, &u);
	printf("getrusage children: %d, %ld %ld\n", rc, (long)u.ru_utime.tv_sec, (long)u.ru_utime.tv_usec);
	errno = 0;
	rc = getrusage(5, &u);
	printf("getrusage 5: %d %d\n", rc, errno);
	errno = 0;
	rc = getrusage(RUSAGE_SELF, (struct rusage *)8);
	printf("getrusage bad pointer: %d %d\n", rc, errno);
	return 0;
}
`,
	// sigorder: which of the pending signals ends the process when the
	// mask is lifted: the thread's own (tgkill) before the process's
	// (kill), and a synchronous one (SIGSEGV) before a lower-numbered other.
	"sigorder": `#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) {
	(void)argc;
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	int pid = getpid();
	if (argv[1][0] == '1') {
		syscall(SYS_tgkill, pid, pid, SIGTERM);
		syscall(SYS_kill, pid, SIGHUP);
	} else {
		syscall(SYS_tgkill, pid, pid, SIGINT);
		syscall(SYS_tgkill, pid, pid, SIGSEGV);
	}
	printf("both pending\n");
	fflush(stdout);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	printf("not reached\n");
	return 0;
}
`,
	"dup": `#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(void) {
	int fd = dup(1);
	printf("dup: %d\n", fd > 2);
	fflush(stdout);
	write(fd, "via dup\n", 8);
	int fd2 = fcntl(1, F_DUPFD_CLOEXEC, 10);
	printf("F_DUPFD_CLOEXEC: %d, FD_CLOEXEC %d, then %d\n", fd2 >= 10, fcntl(fd2, F_GETFD), fcntl(fd2, F_SETFD, 0) | fcntl(fd2, F_GETFD));
	printf("F_GETFL: stdout %d, stdin %d\n", fcntl(1, F_GETFL) & O_ACCMODE, fcntl(0, F_GETFL) & O_ACCMODE);
	fflush(stdout);
	dup2(2, 1);
	printf("to stderr through dup2\n");
	fflush(stdout);
	dup2(fd, 1);
	close(fd);
	close(fd2);
	printf("back on stdout; dup3 of a descriptor onto itself: %d\n", dup3(1, 1, 0));
	FILE *f = fdopen(dup(0), "r");
	printf("fdopen of stdin: %s, fcntl of a closed descriptor: %d\n", f ? "ok" : "NULL", fcntl(fd2, F_GETFD));
	return 0;
}
`,
	// Code written at run time, as a JIT writes it: GCC's
	// __builtin___clear_cache is the riscv_flush_icache system call.
	"clearcache": `#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <sys/syscall.h>
typedef long (*fn)(void);
static void put(unsigned *code, long n) {
	code[0] = 0x00000513u | (unsigned)n << 20; /* li a0, n (addi a0, zero, n) */
	code[1] = 0x00008067u;                      /* ret */
	__builtin___clear_cache((char *)code, (char *)(code + 2));
}
int main(void) {
	unsigned *code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (code == MAP_FAILED)
		return 1;
	put(code, 42);
	long a = ((fn)code)();
	put(code, 43);
	long b = ((fn)code)();
	long r = syscall(SYS_riscv_flush_icache, code, code + 2, 0);
	printf("%ld %ld %ld\n", a, b, r);
	return 0;
}
`,
	"abort": `#include <stdio.h>
#include <stdlib.h>
int main(void) {
	printf("about to abort\n");
	fflush(stdout);
	abort();
}
`,
	"thread": `#include <pthread.h>
#include <stdio.h>
static void *run(void *arg) { return arg; }
int main(void) {
	pthread_t t;
	int e = pthread_create(&t, 0, run, 0);
	printf("pthread_create: %d\n", e);
	return e;
}
`,
}

// needGlibcTools skips the test unless the glibc cross compiler and the
// hart's extensions for what it builds (RV64GC) are there.
func needGlibcTools(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("riscv64-linux-gnu-gcc"); err != nil {
		t.Skip("riscv64-linux-gnu-gcc not installed (Debian: gcc-riscv64-linux-gnu)")
	}
	const gc = 1<<('A'-'A') | 1<<('C'-'A') | 1<<('D'-'A') | 1<<('F'-'A')
	if csr.MisaValue&gc != gc {
		t.Skipf("this build's hart is not RV64GC (misa %#x): glibc's code needs A, C, F and D", uint64(csr.MisaValue))
	}
}

// buildGlibc compiles the test program name, static or dynamic (PIE).
func buildGlibc(t *testing.T, name string, static bool) string {
	t.Helper()
	return buildGlibcSource(t, name, glibcSources[name], static)
}

// buildGlibcSource compiles the C source text as program name.
func buildGlibcSource(t *testing.T, name, text string, static bool) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, name+".c")
	if err := os.WriteFile(src, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name)
	args := []string{"-O2", "-o", out, src, "-lm"}
	if static {
		args = append([]string{"-static"}, args...)
	}
	if b, err := exec.Command("riscv64-linux-gnu-gcc", args...).CombinedOutput(); err != nil {
		t.Fatalf("riscv64-linux-gnu-gcc %v: %v\n%s", args, err, b)
	}
	return out
}

// qemuRun runs prog under qemu-riscv64 (with the default sysroot for a
// dynamic one), or skips the test if it is not installed.
func qemuRun(t *testing.T, stdin, prog string, static bool, args ...string) runResult {
	t.Helper()
	if _, err := exec.LookPath("qemu-riscv64"); err != nil {
		t.Skip("qemu-riscv64 not installed")
	}
	qargs := append([]string{prog}, args...)
	if !static {
		qargs = append([]string{"-L", vmm.DefaultSysroot}, qargs...)
	}
	return runProc(t, stdin, "qemu-riscv64", qargs...)
}

func needSysroot(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(vmm.DefaultSysroot, "lib", "libc.so.6")); err != nil {
		t.Skipf("no sysroot at %s", vmm.DefaultSysroot)
	}
}

var replayIdentical = regexp.MustCompile(`(?m)^rvsim: replay identical: \d+ instructions`)

// TestGlibcAgainstQemu: static and dynamic glibc programs print the same,
// on stdout and stderr, and exit with the same status under rvsim as
// under qemu-riscv64; their recordings replay identically.
func TestGlibcAgainstQemu(t *testing.T) {
	needGlibcTools(t)
	for _, static := range []bool{true, false} {
		kind := map[bool]string{true: "static", false: "dynamic"}[static]
		for _, name := range []string{"hello", "auxv", "files", "dup", "abort", "clearcache", "once", "signals", "usage"} {
			t.Run(kind+"/"+name, func(t *testing.T) {
				if !static {
					needSysroot(t)
				}
				prog := buildGlibc(t, name, static)
				args := []string{"one", "two words"}
				stdin := ""
				if name == "files" {
					stdin = filepath.Join(repo, "programs", "testdata", "cat-input.txt")
				}
				want := qemuRun(t, stdin, prog, static, args...)
				got := rvsim(t, stdin, append([]string{"run", prog}, args...)...)
				if got.stdout != want.stdout || got.status != want.status {
					t.Fatalf("rvsim: status %d, stdout %q\nqemu-riscv64: status %d, stdout %q", got.status, got.stdout, want.status, want.stdout)
				}
				if got.stderr != want.stderr {
					t.Errorf("stderr: rvsim %q, qemu-riscv64 %q", got.stderr, want.stderr)
				}
				trace := filepath.Join(t.TempDir(), "t.zst")
				rec := rvsim(t, stdin, append([]string{"record", "-o", trace, prog}, args...)...)
				if rec.stdout != want.stdout || rec.status != want.status || rec.stderr != want.stderr {
					t.Fatalf("record: status %d, stdout %q, stderr %q", rec.status, rec.stdout, rec.stderr)
				}
				rep := rvsim(t, "", "replay", prog, trace)
				if rep.stdout != want.stdout || rep.status != want.status || !replayIdentical.MatchString(rep.stderr) {
					t.Fatalf("replay: status %d, stdout %q, stderr %q", rep.status, rep.stdout, rep.stderr)
				}
			})
		}
	}
}

// copySysroot copies what a dynamic glibc program needs from the default
// sysroot (the interpreter and libc, libm) into a new directory.
func copySysroot(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sysroot")
	if err := os.MkdirAll(filepath.Join(dir, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"ld-linux-riscv64-lp64d.so.1", "libc.so.6", "libm.so.6"} {
		b, err := os.ReadFile(filepath.Join(vmm.DefaultSysroot, "lib", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "lib", f), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestGlibcDynamicReplayWithoutSysroot: a dynamic program recorded with -L
// pointing at a copy of the libraries it needs replays identically once
// that copy is gone: the trace holds the interpreter and every byte the
// guest mapped or read. RVSIM_LD_PREFIX gives the sysroot as -L does.
func TestGlibcDynamicReplayWithoutSysroot(t *testing.T) {
	needGlibcTools(t)
	needSysroot(t)
	prog := buildGlibc(t, "hello", false)
	want := qemuRun(t, "", prog, false)
	sysroot := copySysroot(t)
	trace := filepath.Join(t.TempDir(), "t.zst")
	rec := rvsim(t, "", "record", "-L", sysroot, "-o", trace, prog)
	if rec.stdout != want.stdout || rec.status != want.status || rec.stderr != want.stderr {
		t.Fatalf("record -L copy: status %d, stdout %q, stderr %q; qemu-riscv64: %d %q %q", rec.status, rec.stdout, rec.stderr, want.status, want.stdout, want.stderr)
	}
	t.Setenv(sysrootEnv, sysroot)
	env := rvsim(t, "", "run", prog)
	if env.stdout != want.stdout || env.status != want.status {
		t.Errorf("run with %s: status %d, stdout %q", sysrootEnv, env.status, env.stdout)
	}
	if err := os.RemoveAll(sysroot); err != nil {
		t.Fatal(err)
	}
	// The sysroot is gone, and no other is reachable either.
	t.Setenv(sysrootEnv, filepath.Join(t.TempDir()))
	rep := rvsim(t, "", "replay", prog, trace)
	if rep.stdout != want.stdout || rep.status != want.status || !replayIdentical.MatchString(rep.stderr) {
		t.Fatalf("replay without the sysroot: status %d, stdout %q, stderr %q", rep.status, rep.stdout, rep.stderr)
	}
	// Run now fails, with one line that says where it looked and what to do.
	r := rvsim(t, "", "run", prog)
	if r.status != 125 {
		t.Errorf("run without the sysroot: status %d, want 125", r.status)
	}
	oneLine(t, r, `^rvsim: load .*: interpreter /lib/ld-linux-riscv64-lp64d\.so\.1 not found in the sysroot .* -L DIR, --sysroot DIR or RVSIM_LD_PREFIX`)
}

// TestGlibcThreadsRefused: a program that creates a thread stops with one
// rvsim line naming the system call, never a wrong answer.
func TestGlibcThreadsRefused(t *testing.T) {
	needGlibcTools(t)
	for _, static := range []bool{true, false} {
		if !static {
			needSysroot(t)
		}
		prog := buildGlibc(t, "thread", static)
		r := rvsim(t, "", "run", prog)
		if r.status != 125 || r.stdout != "" {
			t.Errorf("static %v: status %d, stdout %q; want 125 and nothing printed", static, r.status, r.stdout)
		}
		oneLine(t, r, `^rvsim: unsupported system call: clone3? \(\d+\) at pc 0x[0-9a-f]+: the monitor runs one thread of one process$`)
	}
}

// TestGlibcSignalOrder: of the signals pending when the mask is lifted,
// the one Linux delivers first ends the guest, as under qemu-riscv64:
// SIGTERM sent to the thread before SIGHUP sent to the process (143), and
// SIGSEGV before the lower-numbered SIGINT (139); a recording replays.
func TestGlibcSignalOrder(t *testing.T) {
	needGlibcTools(t)
	prog := buildGlibc(t, "sigorder", true)
	for arg, status := range map[string]int{"1": 143, "2": 139} {
		want := qemuRun(t, "", prog, true, arg)
		got := rvsim(t, "", "run", prog, arg)
		if got.status != status || got.status != want.status || got.stdout != want.stdout {
			t.Errorf("%s: rvsim %d %q, qemu-riscv64 %d %q; want status %d", arg, got.status, got.stdout, want.status, want.stdout, status)
		}
		trace := filepath.Join(t.TempDir(), "t.zst")
		if rec := rvsim(t, "", "record", "-o", trace, prog, arg); rec.status != status {
			t.Fatalf("%s: record: %d %q", arg, rec.status, rec.stderr)
		}
		if rep := rvsim(t, "", "replay", prog, trace); rep.status != status || !replayIdentical.MatchString(rep.stderr) {
			t.Errorf("%s: replay: %d %q %q", arg, rep.status, rep.stdout, rep.stderr)
		}
	}
}

// TestFutexWaitForEver: a futex wait with no timeout on a word that holds
// the value expected would never end in a process of one thread: the run
// stops (status 125) with the reason, rather than hang, and so does the
// replay of its recording.
func TestFutexWaitForEver(t *testing.T) {
	needGlibcTools(t)
	prog := buildGlibc(t, "futexwait", true)
	const msg = `^rvsim: unsupported system call: futex wait at pc 0x[0-9a-f]+ on the word at 0x[0-9a-f]+, with no timeout: the guest has no other thread to wake it, so it would wait for ever$`
	r := rvsim(t, "", "run", prog)
	if r.status != 125 || r.stdout != "waiting\n" {
		t.Errorf("run: status %d, stdout %q; want 125 and waiting", r.status, r.stdout)
	}
	oneLine(t, r, msg)
	trace := filepath.Join(t.TempDir(), "t.zst")
	if r := rvsim(t, "", "record", "-o", trace, prog); r.status != 125 || r.stdout != "waiting\n" {
		t.Fatalf("record: status %d, stdout %q, stderr %q", r.status, r.stdout, r.stderr)
	}
	rep := rvsim(t, "", "replay", prog, trace)
	if rep.status != 125 || rep.stdout != "waiting\n" || !strings.Contains(rep.stderr, "so it would wait for ever") || !replayIdentical.MatchString(rep.stderr) {
		t.Errorf("replay: status %d, stdout %q, stderr %q", rep.status, rep.stdout, rep.stderr)
	}
}

// TestSysrootFlag: for a dynamic program, -L and --sysroot must name a
// directory; the error names the flag; -L wins over RVSIM_LD_PREFIX, which
// must be a directory too. (A static program needs none: TestSysrootMissing.)
func TestSysrootFlag(t *testing.T) {
	needSysroot(t)
	hello := programPath("glibc_hello_dynamic")
	missing := filepath.Join(t.TempDir(), "none")
	for _, args := range [][]string{{"-L", missing}, {"--sysroot", missing}, {"--sysroot=" + missing}} {
		r := cli(t, "", append(append([]string{"run"}, args...), hello)...)
		if r.status != 125 {
			t.Errorf("%v: status %d, want 125", args, r.status)
		}
		oneLine(t, r, `^rvsim: -L ".*none": no such directory$`)
	}
	t.Setenv(sysrootEnv, missing)
	r := cli(t, "", "run", hello)
	oneLine(t, r, `^rvsim: RVSIM_LD_PREFIX ".*none": no such directory$`)
	r = cli(t, "", "run", "-L", "/usr/riscv64-linux-gnu", hello)
	if r.status != 0 || r.stdout == "" {
		t.Errorf("-L over a bad RVSIM_LD_PREFIX: status %d, stdout %q, stderr %q", r.status, r.stdout, r.stderr)
	}
}

// TestGlibcReaddir: readdir (getdents64) of a directory below --fs lists
// what qemu-riscv64 lists of the same host directory, "." and ".."
// included, and again after rewinddir; a recording replays it.
func TestGlibcReaddir(t *testing.T) {
	needGlibcTools(t)
	dir := t.TempDir()
	for i := 0; i < 300; i++ { // more than one getdents64 buffer of glibc's
		name := filepath.Join(dir, fmt.Sprintf("file-with-a-long-name-%03d", i))
		if err := os.WriteFile(name, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	prog := buildGlibc(t, "dir", true)
	want := qemuRun(t, "", prog, true, dir)
	got := rvsim(t, "", "run", "--fs", dir, prog, "/")
	if got != want || !strings.Contains(got.stdout, "[. 4] [.. 4]") || !strings.Contains(got.stdout, "[sub 4]") {
		t.Fatalf("rvsim: %d %q %q\nqemu-riscv64: %d %q %q", got.status, got.stdout, got.stderr, want.status, want.stdout, want.stderr)
	}
	replayWithoutDir(t, prog, dir, want)
}

// replayWithoutDir records prog run with --fs dir (its argument "/"), which
// must print what want printed, removes dir, and replays the recording,
// which must print the same and be identical.
func replayWithoutDir(t *testing.T, prog, dir string, want runResult) {
	t.Helper()
	trace := filepath.Join(t.TempDir(), "t.zst")
	if rec := rvsim(t, "", "record", "--fs", dir, "-o", trace, prog, "/"); rec.stdout != want.stdout {
		t.Fatalf("record: %q", rec.stdout)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if rep := rvsim(t, "", "replay", prog, trace); rep.stdout != want.stdout || !replayIdentical.MatchString(rep.stderr) {
		t.Fatalf("replay: %q %q", rep.stdout, rep.stderr)
	}
}

// TestGlibcLinks: lstat, fstatat with AT_SYMLINK_NOFOLLOW, readlink and
// realpath see the symbolic links below --fs as qemu-riscv64 sees them in
// the same host directory, and a shared writable mapping of a file opened
// read-only is refused (EACCES) as Linux refuses it; a recording replays
// once the directory is gone.
func TestGlibcLinks(t *testing.T) {
	needGlibcTools(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sub", "inner"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"data.txt": "some data\n", "sub/a.txt": "a\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{"link.txt": "data.txt", "dangling": "nowhere", "sublink": "sub", "deep": "sub/inner"} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	prog := buildGlibc(t, "links", true)
	want := qemuRun(t, "", prog, true, dir)
	for _, w := range []string{"lstat link.txt: 0 0 link 1 size 8;", "readlink: 8 0 [data.txt]", "lstat dangling: 0 0 link 1",
		"realpath: /sub/a.txt", "read-only descriptor: failed 13", "chdir deep: 0 0, cwd /sub/inner",
		"lstat sublink/: 0 0 dir 1;", "O_NOFOLLOW link.txt: -1 40;"} {
		if !strings.Contains(want.stdout, w) {
			t.Fatalf("qemu-riscv64 printed no %q: %q %q", w, want.stdout, want.stderr)
		}
	}
	got := rvsim(t, "", "run", "--fs", dir, prog, "/")
	if got != want {
		t.Fatalf("rvsim: %d %q %q\nqemu-riscv64: %d %q %q", got.status, got.stdout, got.stderr, want.status, want.stdout, want.stderr)
	}
	// An absolute link, which qemu-riscv64 would follow out on the host.
	if err := os.Symlink("/sub", filepath.Join(dir, "abs")); err != nil {
		t.Fatal(err)
	}
	if got := rvsim(t, "", "run", "--fs", dir, prog, "/", "abs"); !strings.Contains(got.stdout, "absolute link: followed inside\n") {
		t.Errorf("absolute link: %d %q %q", got.status, got.stdout, got.stderr)
	}
	replayWithoutDir(t, prog, dir, want)
}
