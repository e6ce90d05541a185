/* Self-checking: calls every system call number from 0 to 511 (and a few
 * beyond) with three sets of garbage arguments - all ones (negative
 * descriptors, pointers and sizes), pointers in the canonical hole and
 * huge lengths, and pointers into the record/replay unit's buffer
 * (0x10010000, just past guest memory with the default --mem 256M) - and
 * requires each result to be what Linux returns for those arguments:
 * -ENOSYS for the calls rvsim does not implement, and -EFAULT, -EBADF,
 * -EINVAL, the unchanged break or a fixed identity for the others.
 * exit (93) and exit_group (94) are left out; the program ends through
 * exit_group. It prints the result of every implemented call and exits
 * 0 only if every result is the expected one. Not for qemu-riscv64:
 * calls such as kill or reboot with garbage arguments would reach the
 * host. */
#include <stdio.h>
#include <stdint.h>
#include "sys.h"

#define NDBUF 0x10010000L
#define E2BIG 7
#define ESRCH 3
#define ENOMEM 12
#define EFAULT 14
#define EBADF 9
#define EINVAL 22
#define ENOSYS 38
#define SAME_BRK 1000 /* not an errno: the unchanged program break */

static const long garbage[3][6] = {
	{ -1, -1, -1, -1, -1, -1 },
	{ (long)0x8000000012345678UL, 0x4000000000L, 1L << 62, 0xdeadbeefL, -4096, 0x7fffffff },
	{ NDBUF, NDBUF, 24, NDBUF, NDBUF, NDBUF },
};

/* The result Linux gives call nr with garbage set g: -errno, a value, or
 * SAME_BRK. Every set has invalid descriptors and pointers, so that no
 * call can succeed in doing anything. */
static long expected(long nr, int g)
{
	switch (nr) {
	case 49: /* chdir: the path */
	case 17: /* getcwd: room for "/", no memory for it */
	case 56: /* openat: the path */
	case 221: /* execve: the path */
	case 281: /* execveat: the path */
	case 101: /* nanosleep: the request */
	case 160: /* uname */
	case 179: /* sysinfo */
	case 169: /* gettimeofday */
		return -EFAULT;
	case 29: /* ioctl */
	case 23: /* dup */
	case 25: /* fcntl */
	case 57: /* close */
	case 61: /* getdents64 */
	case 62: /* lseek */
	case 63: /* read */
	case 64: /* write */
	case 65: /* readv */
	case 66: /* writev */
	case 80: /* fstat */
	case 50: /* fchdir */
		return -EBADF;
	case 48: /* faccessat: the mode */
	case 79: /* newfstatat: the flags */
	case 216: /* mremap: the flags */
	case 220: /* clone: the flags */
	case 439: /* faccessat2: the mode */
		return -EINVAL;
	case 24: /* dup3: the flags, else the descriptor */
		return g == 1 ? -EBADF : -EINVAL;
	case 67: /* pread64: the offset, else the descriptor */
		return g == 0 ? -EINVAL : -EBADF;
	case 78: /* readlinkat: the size, else the path */
		return g == 2 ? -EFAULT : -EINVAL;
	case 129: /* kill: the signal of -1 (every process), else no such process */
	case 130: /* tkill: the thread id, else no such thread */
		return g == 0 ? -EINVAL : -ESRCH;
	case 131: /* tgkill: the ids, else no such thread */
		return g == 2 ? -ESRCH : -EINVAL;
	case 233: /* madvise: the advice, else nothing mapped there */
		return g == 2 ? -ENOMEM : -EINVAL;
	case 435: /* clone3: the size */
		return -E2BIG;
	case 99: /* set_robust_list: the size of the head */
	case 113: /* clock_gettime: the clock */
	case 115: /* clock_nanosleep: the clock */
	case 134: /* rt_sigaction: the sigset size */
	case 135: /* rt_sigprocmask: the sigset size */
	case 226: /* mprotect: the protection or the alignment */
	case 259: /* riscv_flush_icache: the flags */
	case 278: /* getrandom: the flags */
		return -EINVAL;
	case 98: /* futex: the timeout of FUTEX_WAIT (op 0), else no such op */
		return g == 1 ? -EFAULT : -ENOSYS;
	case 114: /* clock_getres: the clock */
	case 136: /* rt_sigpending: the sigset size */
		return -EINVAL;
	case 153: /* times: the buffer */
		return -EFAULT;
	case 165: /* getrusage: the buffer for RUSAGE_CHILDREN (-1), else who */
		return g == 0 ? -EFAULT : -EINVAL;
	case 166: /* umask: the previous mask (022 at start), each call setting the next */
		return g == 0 ? 022 : g == 1 ? 0777 : 0x078;
	case 261: /* prlimit64: the new limits */
		return -EFAULT;
	case 215: /* munmap: unaligned, or nothing mapped there */
		return g == 2 ? 0 : -EINVAL;
	case 222: /* mmap: the offset, or a file mapping of a bad descriptor */
		return g == 2 ? -EBADF : -EINVAL;
	case 214: /* brk */
		return SAME_BRK;
	case 96: /* set_tid_address */
	case 172: /* getpid */
	case 178: /* gettid */
		return 1;
	case 124: /* sched_yield */
	case 173: /* getppid */
	case 174: /* getuid */
	case 175: /* geteuid */
	case 176: /* getgid */
	case 177: /* getegid */
		return 0;
	}
	return -ENOSYS;
}

static int failures;

static long call(long nr, int g)
{
	const long *a = garbage[g];
	return sys6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static void check(long nr, int g, long got, long brk)
{
	long want = expected(nr, g);
	if (want == SAME_BRK)
		want = brk;
	if (got != want) {
		printf("MISMATCH: system call %ld, garbage set %d: got %ld, want %ld\n", nr, g, got, want);
		failures++;
	}
}

int main(void)
{
	long brk = sys1(SYS_brk, 0);
	long unsupported = 0, calls = 0;
	for (long nr = 0; nr < 512; nr++) {
		if (nr == SYS_exit || nr == SYS_exit_group)
			continue;
		long got[3];
		for (int g = 0; g < 3; g++) {
			got[g] = call(nr, g);
			calls++;
			check(nr, g, got[g], brk);
		}
		if (expected(nr, 0) == -ENOSYS && expected(nr, 1) == -ENOSYS && expected(nr, 2) == -ENOSYS) {
			unsupported++;
			continue;
		}
		if (nr == SYS_brk)
			printf("%3ld: the break unchanged: %d %d %d\n", nr, got[0] == brk, got[1] == brk, got[2] == brk);
		else
			printf("%3ld: %ld %ld %ld\n", nr, got[0], got[1], got[2]);
	}
	static const long beyond[] = { 512, 1000, 1L << 32 | 64, (long)(1UL << 63), -1 };
	for (unsigned i = 0; i < sizeof beyond / sizeof beyond[0]; i++) {
		long got = call(beyond[i], 0);
		calls++;
		if (got != -ENOSYS) {
			printf("MISMATCH: system call %ld: got %ld, want %d\n", beyond[i], got, -ENOSYS);
			failures++;
		}
	}
	printf("%ld calls, %ld numbers unsupported (-ENOSYS), %d unexpected results\n", calls, unsupported, failures);
	return failures ? 1 : 0;
}
