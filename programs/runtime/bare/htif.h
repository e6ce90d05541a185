/* The HTIF tohost/fromhost channel of bare-metal programs, as Spike and the
 * RISC-V test suites use it: (code << 1) | 1 in tohost ends the run with
 * exit status code; the address of a 64-byte aligned block
 * {SYS_write, fd, buf, len, ...} in tohost asks the host to write, and the
 * host answers with fromhost = 1 and the result in the block's first word. */
#ifndef RVSIM_HTIF_H
#define RVSIM_HTIF_H
#include <stdarg.h>
#include <stdint.h>

extern volatile uint64_t tohost, fromhost;

void bare_exit(int code) __attribute__((noreturn));
long bare_write(int fd, const void *buf, unsigned long n);
void bare_putstr(const char *s);
void bare_putu(uint64_t v, int base);
/* A small printf: %d %i %u %x %X %o %c %s %p %%, the l and ll length
 * modifiers, a field width, and the flags 0, - and #. Writes to fd 1. */
int bare_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int bare_vdprintf(int fd, const char *fmt, va_list ap);
int bare_snprintf(char *buf, unsigned long size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Read a CSR by name: csr_read(mhartid). */
#define csr_read(csr) ({ uint64_t v_; __asm__ volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define csr_write(csr, val) __asm__ volatile("csrw " #csr ", %0" ::"r"((uint64_t)(val)))
#endif
