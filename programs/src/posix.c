/* The POSIX calls of the runtime (sys.c) that C programs commonly make,
 * through picolibc's declarations as a program uses them: clock_gettime
 * with every clock (picolibc numbers its clocks unlike Linux), clock,
 * time, gettimeofday, nanosleep, sleep, usleep, getrandom, getentropy,
 * arc4random, getenv and environ, isatty, fstat and stat, and kill. Run
 * with a file on stdin. Prints only what does not vary between
 * runs, so that its output equals qemu-riscv64's; exits with the number of
 * failed checks. With the argument "abort", ends by a failed assert(),
 * which aborts: status 134 (SIGABRT), as under Linux. */
#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>

extern char **environ;

static int failed;

static void check(int ok, const char *what)
{
	printf("%-52s %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failed++;
}

static int64_t ns(struct timespec t) { return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec; }

static int valid(struct timespec t) { return t.tv_sec >= 0 && t.tv_nsec >= 0 && t.tv_nsec < 1000000000; }

static void clocks(void)
{
	struct timespec real, mono, mono2, t;
	check(clock_gettime(CLOCK_REALTIME, &real) == 0 && valid(real), "clock_gettime(CLOCK_REALTIME)");
	time_t now = time(NULL);
	check(real.tv_sec > 1600000000 && real.tv_sec - now <= 5 && now - real.tv_sec <= 5,
	      "CLOCK_REALTIME is within 5 s of time()");
	struct timeval tv;
	check(gettimeofday(&tv, NULL) == 0 && tv.tv_usec >= 0 && tv.tv_usec < 1000000 && tv.tv_sec - now <= 5 &&
		      now - tv.tv_sec <= 5,
	      "gettimeofday is within 5 s of time()");
	time_t t2;
	check(time(&t2) == t2 && t2 >= now, "time(&t) returns t");

	check(clock_gettime(CLOCK_MONOTONIC, &mono) == 0 && valid(mono), "clock_gettime(CLOCK_MONOTONIC)");
	/* Linux's CLOCK_MONOTONIC counts from boot (qemu) or from the start
	 * of the process (rvsim): far from the epoch's 1.7e9 s. */
	check(mono.tv_sec < real.tv_sec / 2, "CLOCK_MONOTONIC is not the wall clock");
	check(clock_gettime(CLOCK_MONOTONIC, &mono2) == 0 && ns(mono2) >= ns(mono), "CLOCK_MONOTONIC does not go back");

	static const struct {
		clockid_t id;
		const char *name;
		int wall;
	} others[] = {
		{ CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE", 1 },
		{ CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID", 0 },
		{ CLOCK_THREAD_CPUTIME_ID, "CLOCK_THREAD_CPUTIME_ID", 0 },
		{ CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW", 0 },
		{ CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE", 0 },
		{ CLOCK_BOOTTIME, "CLOCK_BOOTTIME", 0 },
	};
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
		char what[64];
		snprintf(what, sizeof what, "clock_gettime(%s)", others[i].name);
		int ok = clock_gettime(others[i].id, &t) == 0 && valid(t);
		ok = ok && (others[i].wall ? t.tv_sec - real.tv_sec <= 5 && real.tv_sec - t.tv_sec <= 5
					   : t.tv_sec < real.tv_sec / 2);
		check(ok, what);
	}
	errno = 0;
	check(clock_gettime((clockid_t)99, &t) == -1 && errno == EINVAL, "clock_gettime(99) fails with EINVAL");

	clock_t c1 = clock(), c2 = clock();
	check(c1 != (clock_t)-1 && c2 >= c1, "clock() counts up");
	check(CLOCKS_PER_SEC == 1000000, "CLOCKS_PER_SEC is 1000000");
}

static void sleeping(void)
{
	struct timespec req = { 0, 1000 }, rem = { 7, 7 };
	check(nanosleep(&req, &rem) == 0, "nanosleep(1 us)");
	struct timespec bad = { 0, 1000000000 };
	errno = 0;
	check(nanosleep(&bad, NULL) == -1 && errno == EINVAL, "nanosleep(1e9 ns) fails with EINVAL");
	check(sleep(0) == 0, "sleep(0)");
	check(usleep(10) == 0, "usleep(10)");
}

static int nonzero(const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 1;
	return 0;
}

static void entropy(void)
{
	unsigned char a[32], b[32];
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	check(getrandom(a, sizeof a, 0) == (ssize_t)sizeof a && nonzero(a, sizeof a), "getrandom(32 bytes)");
	check(getrandom(b, sizeof b, GRND_NONBLOCK) == (ssize_t)sizeof b && memcmp(a, b, sizeof a) != 0,
	      "getrandom(GRND_NONBLOCK) gives other bytes");
	errno = 0;
	check(getrandom(a, sizeof a, 0x80) == -1 && errno == EINVAL, "getrandom(unknown flag) fails with EINVAL");
	memset(a, 0, sizeof a);
	check(getentropy(a, sizeof a) == 0 && nonzero(a, sizeof a), "getentropy(32 bytes)");
	uint32_t r1 = arc4random(), r2 = arc4random(), r3 = arc4random();
	check(r1 != r2 || r2 != r3, "arc4random varies");
}

static void environment(char **envp)
{
	check(environ == envp, "environ is main's envp");
	int ok = 1;
	if (envp[0]) {
		/* getenv finds the first variable with its value. */
		char name[128];
		const char *eq = strchr(envp[0], '=');
		size_t n = eq ? (size_t)(eq - envp[0]) : 0;
		if (eq && n < sizeof name) {
			memcpy(name, envp[0], n);
			name[n] = 0;
			const char *v = getenv(name);
			ok = v && strcmp(v, eq + 1) == 0;
		}
	}
	check(ok, "getenv finds the environment's variables");
	check(getenv("RVSIM_POSIX_NO_SUCH_VARIABLE") == NULL, "getenv of a missing variable is NULL");
}

static void files(void)
{
	errno = 0;
	check(isatty(0) == 0 && errno == ENOTTY, "isatty(stdin, a file) is 0, ENOTTY");
	errno = 0;
	check(isatty(99) == 0 && errno == EBADF, "isatty(99) is 0, EBADF");
	/* Standard output is a pipe under qemu and a character device
	 * under rvsim, which does not show the host's descriptors. */
	struct stat st;
	memset(&st, 0xff, sizeof st);
	check(fstat(1, &st) == 0 && st.st_nlink >= 1 && st.st_blksize > 0 && !S_ISDIR(st.st_mode),
	      "fstat(stdout)");
	errno = 0;
	check(fstat(99, &st) == -1 && errno == EBADF, "fstat(99) fails with EBADF");
	errno = 0;
	check(stat("no-such-file.txt", &st) == -1 && errno == ENOENT, "stat(a missing file) fails with ENOENT");
}

static void signals(void)
{
	check(kill(getpid(), 0) == 0, "kill(self, 0)");
	check(kill(getpid(), SIGCHLD) == 0, "kill(self, SIGCHLD) is ignored");
	check(raise(SIGWINCH) == 0, "raise(SIGWINCH) is ignored");
	errno = 0;
	check(kill(getpid(), 1000) == -1 && errno == EINVAL, "kill(self, 1000) fails with EINVAL");
}

int main(int argc, char **argv, char **envp)
{
	clocks();
	sleeping();
	entropy();
	environment(envp);
	files();
	signals();
	printf("%d checks failed\n", failed);
	if (argc > 1 && strcmp(argv[1], "abort") == 0) {
		fflush(stdout);
		assert(argc == 1); /* fails: prints a line on stderr, then abort() */
	}
	return failed;
}
