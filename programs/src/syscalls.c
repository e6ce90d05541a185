/* System call results that Linux (and so qemu-riscv64) and rvsim must give
 * the same way: writev, bad descriptors, bad buffers, bad clocks, unknown
 * calls, uname's fixed fields, and the POSIX wrappers of the runtime. No
 * time, pid or address is printed. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/time.h>
#include "sys.h"

int main(void)
{
	/* Raw writes: stdio's buffer first. */
	printf("writev:\n");
	fflush(stdout);
	struct rv_iovec iov[4] = {
		{ "one ", 4 }, { "", 0 }, { "two ", 4 }, { "three\n", 6 },
	};
	long w = sys3(SYS_writev, 1, iov, 4);
	printf("writev returned %ld\n", w);
	printf("write of 0 bytes: %ld\n", sys3(SYS_write, 1, "", 0));
	printf("write to fd 99: %ld\n", sys3(SYS_write, 99, "x", 1));
	printf("write to fd -1: %ld\n", sys3(SYS_write, -1, "x", 1));
	printf("read from fd 99: %ld\n", sys3(SYS_read, 99, &w, 1));
	printf("close fd 99: %ld\n", sys1(SYS_close, 99));
	printf("write from an unmapped buffer: %ld\n", sys3(SYS_write, 1, 16, 4));

	struct rv_timespec ts = { -1, -1 };
	printf("clock_gettime(REALTIME): %ld, nsec in range: %d\n", sys2(SYS_clock_gettime, LX_CLOCK_REALTIME, &ts),
	       ts.nsec >= 0 && ts.nsec < 1000000000);
	struct rv_timespec m1, m2;
	sys2(SYS_clock_gettime, LX_CLOCK_MONOTONIC, &m1);
	sys2(SYS_clock_gettime, LX_CLOCK_MONOTONIC, &m2);
	printf("monotonic clock does not go back: %d\n", m2.sec > m1.sec || (m2.sec == m1.sec && m2.nsec >= m1.nsec));
	printf("clock_gettime(clock 99): %ld\n", sys2(SYS_clock_gettime, 99, &ts));
	printf("clock_gettime to an unmapped buffer: %ld\n", sys2(SYS_clock_gettime, LX_CLOCK_REALTIME, 16));
	struct rv_timeval tv = { -1, -1 };
	printf("gettimeofday: %ld, usec in range: %d\n", sys2(SYS_gettimeofday, &tv, 0), tv.usec >= 0 && tv.usec < 1000000);

	unsigned char rnd[40];
	memset(rnd, 0, sizeof rnd);
	printf("getrandom(32): %ld\n", sys3(SYS_getrandom, rnd, 32, 0));
	printf("getrandom left the bytes after 32 alone: %d\n", rnd[32] == 0 && rnd[39] == 0);
	printf("getrandom(0): %ld\n", sys3(SYS_getrandom, rnd, 0, 0));

	struct rv_utsname u;
	memset(&u, 0x55, sizeof u);
	long r = sys1(SYS_uname, &u);
	printf("uname: %ld sysname %s machine %s\n", r, u.sysname, u.machine);

	printf("getpid positive: %d\n", sys0(SYS_getpid) > 0);
	printf("set_tid_address positive: %d\n", sys1(SYS_set_tid_address, &w) > 0);
	printf("unknown system call 2000: %ld\n", sys0(2000));

	/* The runtime's POSIX wrappers set errno. */
	errno = 0;
	long pr = write(42, "x", 1);
	printf("write(42): %ld errno %d\n", pr, errno);
	struct timeval ptv;
	printf("gettimeofday(): %d\n", gettimeofday(&ptv, NULL));
	unsigned char ent[16];
	printf("getentropy(16): %d\n", getentropy(ent, sizeof ent));
	errno = 0;
	int fd = open("/no/such/file", O_RDONLY);
	printf("open(/no/such/file): %d errno %d\n", fd, errno);
	return 0;
}
