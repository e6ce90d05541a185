/* tohost/fromhost, printing through HTIF, and a small printf. */
#include "htif.h"

volatile uint64_t tohost __attribute__((section(".tohost"), aligned(64)));
volatile uint64_t fromhost __attribute__((section(".tohost"), aligned(64)));
static volatile uint64_t magic_mem[8] __attribute__((aligned(64)));

void bare_exit(int code)
{
	__asm__ volatile("fence" ::: "memory");
	for (;;)
		tohost = ((uint64_t)code << 1) | 1;
}

long bare_write(int fd, const void *buf, unsigned long n)
{
	if (n == 0)
		return 0;
	magic_mem[0] = 64; /* SYS_write */
	magic_mem[1] = (uint64_t)fd;
	magic_mem[2] = (uint64_t)(uintptr_t)buf;
	magic_mem[3] = n;
	__asm__ volatile("fence" ::: "memory");
	tohost = (uint64_t)(uintptr_t)magic_mem;
	while (fromhost == 0)
		;
	fromhost = 0;
	__asm__ volatile("fence" ::: "memory");
	return (long)magic_mem[0];
}

static unsigned long len(const char *s)
{
	unsigned long n = 0;
	while (s[n])
		n++;
	return n;
}

void bare_putstr(const char *s) { bare_write(1, s, len(s)); }

void bare_putu(uint64_t v, int base)
{
	char b[72];
	int i = sizeof b;
	b[--i] = 0;
	do {
		b[--i] = "0123456789abcdef"[v % (unsigned)base];
		v /= (unsigned)base;
	} while (v);
	bare_putstr(&b[i]);
}

/* Formatting goes to a sink: a buffer flushed to a file descriptor, or a
 * caller's string. */
struct sink {
	char *buf;
	unsigned long size, n, total;
	int fd; /* -1: string */
	char local[128];
};

static void emit(struct sink *s, char c)
{
	s->total++;
	if (s->fd < 0) {
		if (s->n + 1 < s->size)
			s->buf[s->n++] = c;
		return;
	}
	s->local[s->n++] = c;
	if (s->n == sizeof s->local) {
		bare_write(s->fd, s->local, s->n);
		s->n = 0;
	}
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			emit(s, *fmt);
			continue;
		}
		fmt++;
		int zero = 0, left = 0, alt = 0, width = 0, lng = 0;
		for (;; fmt++) {
			if (*fmt == '0')
				zero = 1;
			else if (*fmt == '-')
				left = 1;
			else if (*fmt == '#')
				alt = 1;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			lng++, fmt++;
		char tmp[72];
		const char *str = tmp;
		int n = 0, neg = 0, prefix = 0; /* sign or 0x, before zero padding */
		uint64_t v;
		unsigned base = 10;
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t x = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			neg = x < 0;
			v = neg ? -(uint64_t)x : (uint64_t)x;
			goto number;
		}
		case 'p':
			lng = 1;
			alt = 1;
			/* fall through */
		case 'x':
		case 'X':
			base = 16;
			goto unsigned_;
		case 'o':
			base = 8;
			goto unsigned_;
		case 'u':
		unsigned_:
			v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
		number: {
			const char *digits = *fmt == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
			char *p = tmp + sizeof tmp;
			do {
				*--p = digits[v % base];
				v /= base;
			} while (v);
			if (alt && base == 16) {
				*--p = *fmt == 'X' ? 'X' : 'x';
				*--p = '0';
			}
			if (neg)
				*--p = '-';
			prefix = neg ? 1 : alt && base == 16 ? 2 : 0;
			str = p;
			n = (int)(tmp + sizeof tmp - p);
			break;
		}
		case 'c':
			tmp[0] = (char)va_arg(ap, int);
			n = 1;
			break;
		case 's':
			str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			n = (int)len(str);
			break;
		case '%':
			tmp[0] = '%';
			n = 1;
			break;
		case 0:
			return;
		default:
			tmp[0] = '%';
			tmp[1] = *fmt;
			n = 2;
			break;
		}
		int pad = width > n ? width - n : 0;
		if (!left) {
			if (zero)
				for (; prefix > 0; prefix--, n--)
					emit(s, *str++);
			while (pad-- > 0)
				emit(s, zero ? '0' : ' ');
		}
		for (int i = 0; i < n; i++)
			emit(s, str[i]);
		if (left)
			while (pad-- > 0)
				emit(s, ' ');
	}
}

int bare_vdprintf(int fd, const char *fmt, va_list ap)
{
	struct sink s;
	s.fd = fd;
	s.n = s.total = 0;
	format(&s, fmt, ap);
	if (s.n)
		bare_write(fd, s.local, s.n);
	return (int)s.total;
}

int bare_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = bare_vdprintf(1, fmt, ap);
	va_end(ap);
	return n;
}

int bare_snprintf(char *buf, unsigned long size, const char *fmt, ...)
{
	struct sink s;
	s.fd = -1;
	s.buf = buf;
	s.size = size;
	s.n = s.total = 0;
	va_list ap;
	va_start(ap, fmt);
	format(&s, fmt, ap);
	va_end(ap);
	if (size)
		buf[s.n] = 0;
	return (int)s.total;
}

/* Called by the self-checking assembly programs (test.h). */
void bare_test_fail(const char *name, uint64_t check, uint64_t cause, uint64_t epc, uint64_t tval)
{
	bare_printf("%s: check %lu FAILED (last trap: mcause %#lx mepc %#lx mtval %#lx)\n", name, check, cause, epc, tval);
	bare_exit(check ? (int)check : 255);
}

void bare_test_pass(const char *name)
{
	bare_printf("%s: all checks passed\n", name);
	bare_exit(0);
}

/* The C runtime's trap handler (crt.S). */
void bare_unexpected_trap(uint64_t cause, uint64_t epc, uint64_t tval)
{
	bare_printf("unexpected trap: mcause %#lx mepc %#lx mtval %#lx\n", cause, epc, tval);
	bare_exit(128 + (int)(cause & 127));
}
