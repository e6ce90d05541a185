/* <time.h> for rvsim's Linux user-mode programs: picolibc's, and what its
 * riscv64-unknown-elf build leaves out because it defines neither
 * _POSIX_TIMERS nor _POSIX_MONOTONIC_CLOCK: clock_gettime, nanosleep and
 * the clock ids. The ids keep picolibc's numbering (its CLOCK_REALTIME is
 * 1); sys.c translates them to Linux's. Programs built with -I pointing
 * at this directory get it for #include <time.h>. */
#ifndef RVSIM_TIME_H
#define RVSIM_TIME_H
#include_next <time.h>

#ifndef CLOCK_REALTIME_COARSE
#define CLOCK_REALTIME_COARSE ((clockid_t)0)
#endif
#ifndef CLOCK_PROCESS_CPUTIME_ID
#define CLOCK_PROCESS_CPUTIME_ID ((clockid_t)2)
#endif
#ifndef CLOCK_THREAD_CPUTIME_ID
#define CLOCK_THREAD_CPUTIME_ID ((clockid_t)3)
#endif
#ifndef CLOCK_MONOTONIC
#define CLOCK_MONOTONIC ((clockid_t)4)
#endif
#ifndef CLOCK_MONOTONIC_RAW
#define CLOCK_MONOTONIC_RAW ((clockid_t)5)
#endif
#ifndef CLOCK_MONOTONIC_COARSE
#define CLOCK_MONOTONIC_COARSE ((clockid_t)6)
#endif
#ifndef CLOCK_BOOTTIME
#define CLOCK_BOOTTIME ((clockid_t)7)
#endif
#ifndef CLOCK_REALTIME_ALARM
#define CLOCK_REALTIME_ALARM ((clockid_t)8)
#endif
#ifndef CLOCK_BOOTTIME_ALARM
#define CLOCK_BOOTTIME_ALARM ((clockid_t)9)
#endif

#ifdef __cplusplus
extern "C" {
#endif
int clock_gettime(clockid_t clock_id, struct timespec *tp);
int nanosleep(const struct timespec *rqtp, struct timespec *rmtp);
#ifdef __cplusplus
}
#endif
#endif
