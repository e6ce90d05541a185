/* getrandom(2) for rvsim's Linux user-mode programs, as Linux's C
 * libraries declare it (picolibc has no <sys/random.h>). The runtime's
 * sys.c defines it on the getrandom system call. */
#ifndef RVSIM_SYS_RANDOM_H
#define RVSIM_SYS_RANDOM_H
#include <stddef.h>
#include <sys/types.h>

#define GRND_NONBLOCK 0x01
#define GRND_RANDOM 0x02
#define GRND_INSECURE 0x04

ssize_t getrandom(void *buf, size_t n, unsigned int flags);
#endif
