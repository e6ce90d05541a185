/* The C runtime of rvsim's Linux user-mode programs: picolibc's stdio
 * (tinystdio) on the read and write system calls, malloc's sbrk on brk,
 * exit on exit_group, and the few POSIX calls picolibc may want. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/time.h>
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

int main(int argc, char **argv, char **envp);

void __libc_init_array(void);

/* Called by crt0 with the loader's argc, argv and envp. Constructors run
 * first; exit() runs destructors (fini_array), flushes stdio and ends the
 * process with exit_group. */
void __rt_main(int argc, char **argv, char **envp)
{
	__libc_init_array();
	exit(main(argc, argv, envp));
}
