/* The HTIF tohost channel of bare-metal programs. */
#ifndef RVSIM_HTIF_H
#define RVSIM_HTIF_H
#include <stdint.h>
void bare_exit(int code) __attribute__((noreturn));
long bare_write(int fd, const void *buf, unsigned long n);
void bare_puts(const char *s);
void bare_putu(uint64_t v, int base);
#endif
