/* The C runtime of rvsim's Linux user-mode programs: picolibc stdio on the
 * read and write system calls, malloc's sbrk on brk, exit on exit_group. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "sys.h"

long rv_write(int fd, const void *buf, size_t n) { return sys3(SYS_write, fd, buf, n); }
long rv_read(int fd, void *buf, size_t n) { return sys3(SYS_read, fd, buf, n); }

/* Output is buffered per stream and written by write(2). */
struct outbuf { int fd; size_t n; char b[1024]; };
static struct outbuf outs[2] = { { 1, 0, {0} }, { 2, 0, {0} } };

static void drain(struct outbuf *o)
{
	size_t off = 0;
	while (off < o->n) {
		long w = rv_write(o->fd, o->b + off, o->n - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	o->n = 0;
}

void rv_flush(void) { drain(&outs[0]); drain(&outs[1]); }

static int put(char c, struct outbuf *o)
{
	o->b[o->n++] = c;
	if (o->n == sizeof o->b || (o->fd == 2 && c == '\n'))
		drain(o);
	return (unsigned char)c;
}
static int put_out(char c, FILE *f) { (void)f; return put(c, &outs[0]); }
static int put_err(char c, FILE *f) { (void)f; drain(&outs[0]); return put(c, &outs[1]); }
static int get_in(FILE *f)
{
	(void)f;
	unsigned char c;
	rv_flush();
	return rv_read(0, &c, 1) == 1 ? c : EOF;
}
static int flush_out(FILE *f) { (void)f; drain(&outs[0]); return 0; }
static int flush_err(FILE *f) { (void)f; drain(&outs[1]); return 0; }

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
		sys3(SYS_exit_group, status, 0, 0);
}

void *sbrk(ptrdiff_t incr)
{
	static char *cur;
	if (!cur)
		cur = (char *)sys3(SYS_brk, 0, 0, 0);
	char *want = cur + incr;
	char *got = (char *)sys3(SYS_brk, want, 0, 0);
	if (got != want) {
		errno = ENOMEM;
		return (void *)-1;
	}
	char *old = cur;
	cur = got;
	return old;
}

int main(int argc, char **argv, char **envp);

void __rt_main(int argc, char **argv, char **envp)
{
	exit(main(argc, argv, envp));
}
