/* Linux system calls and counter/entropy CSR reads for rvsim's user-mode
 * programs (riscv64 Linux ABI: number in a7, arguments in a0..a5, result
 * in a0, -errno on failure). */
#ifndef RVSIM_SYS_H
#define RVSIM_SYS_H
#include <stddef.h>
#include <stdint.h>

#define SYS_getcwd 17
#define SYS_ioctl 29
#define SYS_openat 56
#define SYS_close 57
#define SYS_lseek 62
#define SYS_read 63
#define SYS_write 64
#define SYS_readv 65
#define SYS_writev 66
#define SYS_fstat 80
#define SYS_exit 93
#define SYS_exit_group 94
#define SYS_set_tid_address 96
#define SYS_nanosleep 101
#define SYS_clock_gettime 113
#define SYS_kill 129
#define SYS_uname 160
#define SYS_gettimeofday 169
#define SYS_getpid 172
#define SYS_brk 214
#define SYS_munmap 215
#define SYS_mmap 222
#define SYS_getrandom 278

/* Linux constants (not picolibc's, which differ for open flags). */
#define LX_AT_FDCWD (-100)
#define LX_O_RDONLY 0
#define LX_O_WRONLY 1
#define LX_O_RDWR 2
#define LX_O_CREAT 0100
#define LX_O_EXCL 0200
#define LX_O_TRUNC 01000
#define LX_O_APPEND 02000
#define LX_O_NONBLOCK 04000
#define LX_O_DIRECTORY 0200000
#define LX_O_CLOEXEC 02000000
#define LX_PROT_READ 1
#define LX_PROT_WRITE 2
#define LX_MAP_PRIVATE 0x02
#define LX_MAP_ANONYMOUS 0x20
#define LX_CLOCK_REALTIME 0
#define LX_CLOCK_MONOTONIC 1
#define LX_CLOCK_PROCESS_CPUTIME_ID 2
#define LX_CLOCK_THREAD_CPUTIME_ID 3
#define LX_CLOCK_MONOTONIC_RAW 4
#define LX_CLOCK_REALTIME_COARSE 5
#define LX_CLOCK_MONOTONIC_COARSE 6
#define LX_CLOCK_BOOTTIME 7
#define LX_CLOCK_REALTIME_ALARM 8
#define LX_CLOCK_BOOTTIME_ALARM 9
#define LX_TCGETS 0x5401

static inline long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long a0 __asm__("a0") = a;
	register long a1 __asm__("a1") = b;
	register long a2 __asm__("a2") = c;
	register long a3 __asm__("a3") = d;
	register long a4 __asm__("a4") = e;
	register long a5 __asm__("a5") = f;
	register long a7 __asm__("a7") = n;
	__asm__ volatile("ecall"
			 : "+r"(a0)
			 : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a5), "r"(a7)
			 : "memory");
	return a0;
}
#define sys0(n) sys6(n, 0, 0, 0, 0, 0, 0)
#define sys1(n, a) sys6(n, (long)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) sys6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* Kernel structures of riscv64 Linux. */
struct rv_timespec { int64_t sec; int64_t nsec; };
struct rv_timeval { int64_t sec; int64_t usec; };
struct rv_iovec { const void *base; size_t len; };
struct rv_stat {
	uint64_t dev, ino;
	uint32_t mode, nlink, uid, gid;
	uint64_t rdev, pad1;
	int64_t size;
	int32_t blksize, pad2;
	int64_t blocks, atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
	uint32_t unused[2];
};
struct rv_utsname { char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65]; };

/* Counters (Zicntr) and the entropy source (Zkr). Under rvsim these are
 * the non-deterministic instructions that record mode logs. */
static inline uint64_t rd_cycle(void) { uint64_t v; __asm__ volatile("rdcycle %0" : "=r"(v)); return v; }
static inline uint64_t rd_time(void) { uint64_t v; __asm__ volatile("rdtime %0" : "=r"(v)); return v; }
static inline uint64_t rd_instret(void) { uint64_t v; __asm__ volatile("rdinstret %0" : "=r"(v)); return v; }
/* The same reads spelled with other CSR instructions (all read-only forms). */
static inline uint64_t rd_cycle_csrrs(void) { uint64_t v; __asm__ volatile("csrrs %0, cycle, x0" : "=r"(v)); return v; }
static inline uint64_t rd_cycle_csrrc(void) { uint64_t v; __asm__ volatile("csrrc %0, cycle, x0" : "=r"(v)); return v; }
static inline uint64_t rd_time_csrrsi(void) { uint64_t v; __asm__ volatile("csrrsi %0, time, 0" : "=r"(v)); return v; }
static inline uint64_t rd_time_csrrci(void) { uint64_t v; __asm__ volatile("csrrci %0, time, 0" : "=r"(v)); return v; }
/* seed must be accessed with a read-write instruction: csrrs/csrrc with
 * rs1=x0 (plain csrr) is an illegal instruction. Bits 31:30 are OPST
 * (0b10 = ES16: bits 15:0 hold 16 bits of entropy). */
static inline uint64_t rd_seed(void) { uint64_t v; __asm__ volatile("csrrw %0, 0x015, x0" : "=r"(v)); return v; }
static inline uint64_t rd_seed_csrrwi(void) { uint64_t v; __asm__ volatile("csrrwi %0, 0x015, 0" : "=r"(v)); return v; }
#define SEED_OPST(v) (((v) >> 30) & 3)
#define SEED_ES16 2

long rv_write(int fd, const void *buf, size_t n);
long rv_read(int fd, void *buf, size_t n);
/* Writes out what stdio has buffered for stdout and stderr. */
void rv_flush(void);
#endif
