/* The C runtime of rvsim's Linux user-mode programs: picolibc's stdio
 * (tinystdio) on the read and write system calls, malloc's sbrk on brk,
 * exit on exit_group, environ for getenv, and the POSIX calls C programs
 * commonly make (files, clocks, sleeping, entropy, isatty, kill for abort). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <signal.h>
#include <time.h> /* this directory's: picolibc's and the clocks */
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/random.h>
#include "sys.h"

long rv_write(int fd, const void *buf, size_t n) { return sys3(SYS_write, fd, buf, n); }
long rv_read(int fd, void *buf, size_t n) { return sys3(SYS_read, fd, buf, n); }

/* Output is buffered per stream and written by write(2): stdout when its
 * buffer fills, at exit, before stderr output and before reading stdin;
 * stderr at each newline. */
struct outbuf { size_t n; char b[1024]; };
static struct outbuf outs[2]; /* stdout, stderr */

static void drain(int i)
{
	struct outbuf *o = &outs[i];
	size_t off = 0;
	while (off < o->n) {
		long w = rv_write(i + 1, o->b + off, o->n - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	o->n = 0;
}

void rv_flush(void) { drain(0); drain(1); }

static int put_out(char c, FILE *f)
{
	(void)f;
	outs[0].b[outs[0].n++] = c;
	if (outs[0].n == sizeof outs[0].b)
		drain(0);
	return (unsigned char)c;
}
static int put_err(char c, FILE *f)
{
	(void)f;
	drain(0);
	outs[1].b[outs[1].n++] = c;
	if (outs[1].n == sizeof outs[1].b || c == '\n')
		drain(1);
	return (unsigned char)c;
}
static int flush_out(FILE *f) { (void)f; drain(0); return 0; }
static int flush_err(FILE *f) { (void)f; drain(1); return 0; }

/* Input is read in chunks of what read(2) returns. */
static struct { size_t pos, len; unsigned char b[512]; } in;
static int get_in(FILE *f)
{
	(void)f;
	if (in.pos == in.len) {
		rv_flush();
		long n = rv_read(0, in.b, sizeof in.b);
		if (n <= 0)
			return n == 0 ? _FDEV_EOF : _FDEV_ERR;
		in.pos = 0;
		in.len = (size_t)n;
	}
	return in.b[in.pos++];
}

static FILE f_in = FDEV_SETUP_STREAM(NULL, get_in, NULL, _FDEV_SETUP_READ);
static FILE f_out = FDEV_SETUP_STREAM(put_out, NULL, flush_out, _FDEV_SETUP_WRITE);
static FILE f_err = FDEV_SETUP_STREAM(put_err, NULL, flush_err, _FDEV_SETUP_WRITE);
FILE *const stdin = &f_in;
FILE *const stdout = &f_out;
FILE *const stderr = &f_err;

void _exit(int status)
{
	rv_flush();
	for (;;)
		sys1(SYS_exit_group, status);
}

/* malloc's heap: the program break, grown with brk(2). */
void *sbrk(ptrdiff_t incr)
{
	static char *cur;
	if (!cur)
		cur = (char *)sys1(SYS_brk, 0);
	char *want = cur + incr;
	char *got = (char *)sys1(SYS_brk, want);
	if (got != want) {
		errno = ENOMEM;
		return (void *)-1;
	}
	char *old = cur;
	cur = got;
	return old;
}

static long ret(long r)
{
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

ssize_t read(int fd, void *buf, size_t n) { return ret(rv_read(fd, buf, n)); }
ssize_t write(int fd, const void *buf, size_t n) { return ret(rv_write(fd, buf, n)); }
int close(int fd) { return (int)ret(sys1(SYS_close, fd)); }
off_t lseek(int fd, off_t off, int whence) { return ret(sys3(SYS_lseek, fd, off, whence)); }
pid_t getpid(void) { return (pid_t)sys0(SYS_getpid); }

int open(const char *path, int flags, ...)
{
	/* picolibc's O_ flags are not Linux's. */
	long lf = flags & O_ACCMODE;
	if (flags & O_CREAT)
		lf |= LX_O_CREAT;
	if (flags & O_EXCL)
		lf |= LX_O_EXCL;
	if (flags & O_TRUNC)
		lf |= LX_O_TRUNC;
	if (flags & O_APPEND)
		lf |= LX_O_APPEND;
	if (flags & O_NONBLOCK)
		lf |= LX_O_NONBLOCK;
	if (flags & O_DIRECTORY)
		lf |= LX_O_DIRECTORY;
	if (flags & O_CLOEXEC)
		lf |= LX_O_CLOEXEC;
	return (int)ret(sys6(SYS_openat, LX_AT_FDCWD, (long)path, lf, 0644, 0, 0));
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	(void)tz;
	struct rv_timeval k;
	long r = sys2(SYS_gettimeofday, &k, 0);
	if (r == 0 && tv) {
		tv->tv_sec = k.sec;
		tv->tv_usec = k.usec;
	}
	return (int)ret(r);
}

int getentropy(void *buf, size_t n)
{
	if (n > 256) {
		errno = EIO;
		return -1;
	}
	size_t off = 0;
	while (off < n) {
		long r = sys3(SYS_getrandom, (char *)buf + off, n - off, 0);
		if (r < 0)
			return (int)ret(r);
		off += (size_t)r;
	}
	return 0;
}

/* picolibc numbers its clocks differently from Linux (its CLOCK_REALTIME
 * is 1, Linux's CLOCK_MONOTONIC): -1 for a clock Linux does not have. */
static long linux_clock(clockid_t c)
{
	switch (c) {
	case CLOCK_REALTIME: return LX_CLOCK_REALTIME;
	case CLOCK_MONOTONIC: return LX_CLOCK_MONOTONIC;
	case CLOCK_PROCESS_CPUTIME_ID: return LX_CLOCK_PROCESS_CPUTIME_ID;
	case CLOCK_THREAD_CPUTIME_ID: return LX_CLOCK_THREAD_CPUTIME_ID;
	case CLOCK_MONOTONIC_RAW: return LX_CLOCK_MONOTONIC_RAW;
	case CLOCK_REALTIME_COARSE: return LX_CLOCK_REALTIME_COARSE;
	case CLOCK_MONOTONIC_COARSE: return LX_CLOCK_MONOTONIC_COARSE;
	case CLOCK_BOOTTIME: return LX_CLOCK_BOOTTIME;
	case CLOCK_REALTIME_ALARM: return LX_CLOCK_REALTIME_ALARM;
	case CLOCK_BOOTTIME_ALARM: return LX_CLOCK_BOOTTIME_ALARM;
	}
	return -1;
}

int clock_gettime(clockid_t c, struct timespec *tp)
{
	long lc = linux_clock(c);
	if (lc < 0) {
		errno = EINVAL;
		return -1;
	}
	struct rv_timespec k;
	long r = sys2(SYS_clock_gettime, lc, &k);
	if (r == 0) {
		tp->tv_sec = k.sec;
		tp->tv_nsec = k.nsec;
	}
	return (int)ret(r);
}

/* clock() is the process's CPU time (under rvsim: the time since it
 * started), in CLOCKS_PER_SEC units; picolibc's needs times(2). */
clock_t clock(void)
{
	struct timespec t = { 0, 0 };
	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) != 0)
		return (clock_t)-1;
	return (clock_t)t.tv_sec * CLOCKS_PER_SEC + (clock_t)t.tv_nsec / (1000000000 / CLOCKS_PER_SEC);
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	struct rv_timespec k = { req->tv_sec, req->tv_nsec }, left = { 0, 0 };
	long r = sys2(SYS_nanosleep, &k, &left);
	if (r < 0 && rem) {
		rem->tv_sec = left.sec;
		rem->tv_nsec = left.nsec;
	}
	return (int)ret(r);
}

unsigned sleep(unsigned s)
{
	struct timespec req = { s, 0 }, rem = { 0, 0 };
	if (nanosleep(&req, &rem) != 0)
		return (unsigned)rem.tv_sec;
	return 0;
}

int usleep(useconds_t us)
{
	struct timespec req = { us / 1000000, (long)(us % 1000000) * 1000 };
	return nanosleep(&req, NULL);
}

ssize_t getrandom(void *buf, size_t n, unsigned int flags)
{
	return ret(sys3(SYS_getrandom, buf, n, flags));
}

int fstat(int fd, struct stat *st)
{
	struct rv_stat k;
	long r = sys2(SYS_fstat, fd, &k);
	if (r < 0)
		return (int)ret(r);
	memset(st, 0, sizeof *st);
	st->st_dev = (dev_t)k.dev;
	st->st_ino = (ino_t)k.ino;
	st->st_mode = (mode_t)k.mode;
	st->st_nlink = (nlink_t)k.nlink;
	st->st_uid = (uid_t)k.uid;
	st->st_gid = (gid_t)k.gid;
	st->st_rdev = (dev_t)k.rdev;
	st->st_size = (off_t)k.size;
	st->st_blksize = (blksize_t)k.blksize;
	st->st_blocks = (blkcnt_t)k.blocks;
	st->st_atim.tv_sec = k.atime;
	st->st_atim.tv_nsec = k.atime_ns;
	st->st_mtim.tv_sec = k.mtime;
	st->st_mtim.tv_nsec = k.mtime_ns;
	st->st_ctim.tv_sec = k.ctime;
	st->st_ctim.tv_nsec = k.ctime_ns;
	return 0;
}

/* stat opens the file read-only and asks fstat: rvsim has openat and fstat
 * but not newfstatat. */
int stat(const char *restrict path, struct stat *restrict st)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	int r = fstat(fd, st);
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

int isatty(int fd)
{
	unsigned char termios[64]; /* struct termios of the kernel: 36 bytes */
	long r = sys3(SYS_ioctl, fd, LX_TCGETS, termios);
	if (r < 0) {
		errno = (int)-r;
		return 0;
	}
	return 1;
}

/* picolibc numbers signals as BSD does: the Linux number of each, 0 for
 * those Linux lacks. */
static const unsigned char linux_signal[NSIG] = {
	[SIGHUP] = 1, [SIGINT] = 2, [SIGQUIT] = 3, [SIGILL] = 4, [SIGTRAP] = 5,
	[SIGABRT] = 6, [SIGFPE] = 8, [SIGKILL] = 9, [SIGBUS] = 7, [SIGSEGV] = 11,
	[SIGSYS] = 31, [SIGPIPE] = 13, [SIGALRM] = 14, [SIGTERM] = 15,
	[SIGURG] = 23, [SIGSTOP] = 19, [SIGTSTP] = 20, [SIGCONT] = 18,
	[SIGCHLD] = 17, [SIGTTIN] = 21, [SIGTTOU] = 22, [SIGIO] = 29,
	[SIGXCPU] = 24, [SIGXFSZ] = 25, [SIGVTALRM] = 26, [SIGPROF] = 27,
	[SIGWINCH] = 28, [SIGUSR1] = 10, [SIGUSR2] = 12,
};

/* kill: what picolibc's raise() calls for a signal whose action is the
 * default, as abort() and a failed assert() do. No signal is ever
 * delivered under rvsim, so a signal sent to the process itself takes
 * its default action here: the ones Linux ignores (SIGCHLD, SIGCONT,
 * SIGURG, SIGWINCH) and the stop signals do nothing; any other ends the
 * process with status 128 + its Linux number, the status a shell sees
 * for a process killed by it. */
int kill(pid_t pid, int sig)
{
	if (sig < 0 || sig >= NSIG || (sig > 0 && linux_signal[sig] == 0)) {
		errno = EINVAL;
		return -1;
	}
	int lsig = sig ? linux_signal[sig] : 0;
	if (pid != getpid() && pid != 0 && pid != -1)
		return (int)ret(sys2(SYS_kill, pid, lsig));
	switch (sig) {
	case 0:
	case SIGCHLD:
	case SIGCONT:
	case SIGURG:
	case SIGWINCH:
	case SIGSTOP:
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
		return 0;
	}
	_exit(128 + lsig);
}

/* The environment getenv reads: picolibc's environ, set from the loader's
 * envp before main. */
extern char **environ;

int main(int argc, char **argv, char **envp);

void __libc_init_array(void);

/* Called by crt0 with the loader's argc, argv and envp. Constructors run
 * first; exit() runs destructors (fini_array), flushes stdio and ends the
 * process with exit_group. */
void __rt_main(int argc, char **argv, char **envp)
{
	environ = envp;
	__libc_init_array();
	exit(main(argc, argv, envp));
}
