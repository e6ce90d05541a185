/* Self-checking: a Linux user-mode program that attacks the monitor
 * through system calls and survives. Each call must return what Linux
 * (and so qemu-riscv64) returns:
 *  - buffers in the record/replay unit's buffer (0x10010000, just past
 *    the end of guest memory with the default --mem 256M), at low and
 *    high addresses, straddling the end of memory, and huge lengths, for
 *    every call that reads or writes guest memory: -EFAULT, nothing
 *    written, nothing leaked; a zero length needs no memory;
 *  - bad descriptors (-1, 2^31-1, stdin for writing, a file for a
 *    directory): -EBADF, -ENOTDIR;
 *  - bad clocks, flags, sizes, signals, limits, offsets, alignments:
 *    -EINVAL, -ERANGE, -ESRCH;
 *  - brk and mmap beyond memory: the unchanged break, -ENOMEM;
 *  - unknown system call numbers: -ENOSYS;
 *  - self-modifying code in an anonymous RWX mapping after fence.i:
 *    rewritten from elsewhere, rewritten in the page that runs, and
 *    overwritten by read(2) from standard input (8 bytes of code:
 *    testdata/hostile-code.bin), which replay writes from the trace;
 *  - signal actions and masks read back as set.
 * It prints "hostile_sys: all checks passed" and exits through
 * exit_group(0x100) (status 0: only the low 8 bits count), or prints the
 * failed check and the value seen and exits with the check's number. */
	.file "hostile_sys.S"
#define NDBUF 0x10010000
#define EPERM -1
#define ENOENT -2
#define ESRCH -3
#define EBADF -9
#define ENOMEM -12
#define EFAULT -14
#define ENOTDIR -20
#define EINVAL -22
#define ERANGE -34
#define ENOSYS -38

#define SYS_getcwd 17
#define SYS_openat 56
#define SYS_close 57
#define SYS_lseek 62
#define SYS_read 63
#define SYS_write 64
#define SYS_readv 65
#define SYS_writev 66
#define SYS_fstat 80
#define SYS_exit_group 94
#define SYS_nanosleep 101
#define SYS_clock_gettime 113
#define SYS_sigaction 134
#define SYS_sigprocmask 135
#define SYS_uname 160
#define SYS_gettimeofday 169
#define SYS_brk 214
#define SYS_munmap 215
#define SYS_mmap 222
#define SYS_mprotect 226
#define SYS_prlimit64 261
#define SYS_getrandom 278

/* s11: the check under way; the result is in a0. */
#define CHECK(n, val) li s11, n; li t5, val; bne a0, t5, fail
#define CHECK_REG(n, reg) li s11, n; bne a0, reg, fail
/* A call with immediate arguments. */
#define SYS(nr, x0, x1, x2) li a0, x0; li a1, x1; li a2, x2; li a7, nr; ecall
#define SYS4(nr, x0, x1, x2, x3) li a3, x3; SYS(nr, x0, x1, x2)
#define SYS6(nr, x0, x1, x2, x3, x4, x5) li a4, x4; li a5, x5; SYS4(nr, x0, x1, x2, x3)
/* Stores a doubleword into the scratch buffer at s1+off. */
#define PUT(off, val) li t0, val; sd t0, off(s1)

	.globl _start
_start:
	addi sp, sp, -512
	mv s1, sp			/* s1: 512 bytes of scratch on the stack */
	la s2, msg			/* s2: a readable string */

	/* The record/replay unit's buffer and memory outside the guest's,
	 * for every call that reads or writes guest memory. */
	SYS(SYS_write, 1, NDBUF, 24)
	CHECK(1, EFAULT)
	SYS(SYS_write, 1, 0x10, 8)
	CHECK(2, EFAULT)
	SYS(SYS_write, 1, -8, 8)
	CHECK(3, EFAULT)
	SYS(SYS_write, 1, 0x8000000000000000, 1)
	CHECK(4, EFAULT)
	SYS(SYS_write, 1, NDBUF - 16, 32)	/* straddling the end */
	CHECK(5, EFAULT)
	li a0, 1; mv a1, s2; li a2, 0x4000000000000000; li a7, SYS_write; ecall
	CHECK(6, EFAULT)			/* huge length */
	li a0, 1; mv a1, s2; li a2, -1; li a7, SYS_write; ecall
	CHECK(7, EFAULT)
	li a0, 1; mv a1, s2; li a2, 0x7ffff000; li a7, SYS_write; ecall
	CHECK(8, EFAULT)			/* 2 GiB from the program */
	li a0, -1; mv a1, s2; li a2, 1; li a7, SYS_write; ecall
	CHECK(9, EBADF)
	li a0, 0x7fffffff; mv a1, s2; li a2, 1; li a7, SYS_write; ecall
	CHECK(10, EBADF)
	li a0, 0; mv a1, s2; li a2, 1; li a7, SYS_write; ecall
	CHECK(11, EBADF)			/* stdin is not for writing */
	SYS(SYS_write, 1, 0x10, 0)
	CHECK(12, 0)				/* nothing to read: no fault */
	SYS(SYS_read, 0, NDBUF, 24)
	CHECK(13, EFAULT)
	SYS(SYS_read, 0, 0x10, 8)
	CHECK(14, EFAULT)
	li a0, 0; mv a1, s1; li a2, 0x10000000000; li a7, SYS_read; ecall
	CHECK(15, EFAULT)			/* 1 TiB into the stack */
	li a0, -1; mv a1, s1; li a2, 8; li a7, SYS_read; ecall
	CHECK(16, EBADF)
	SYS(SYS_getrandom, NDBUF, 24, 0)
	CHECK(17, EFAULT)
	mv a0, s1; li a1, 16; li a2, 0x100; li a7, SYS_getrandom; ecall
	CHECK(18, EINVAL)			/* unknown flag */
	mv a0, s1; li a1, 0x10000000000; li a2, 0; li a7, SYS_getrandom; ecall
	CHECK(19, EFAULT)
	SYS(SYS_clock_gettime, 0, NDBUF, 0)
	CHECK(20, EFAULT)
	li a0, 99; mv a1, s1; li a7, SYS_clock_gettime; ecall
	CHECK(21, EINVAL)
	li a0, -1; mv a1, s1; li a7, SYS_clock_gettime; ecall
	CHECK(22, EINVAL)
	SYS(SYS_gettimeofday, NDBUF, 0, 0)
	CHECK(23, EFAULT)
	SYS(SYS_gettimeofday, 0, NDBUF, 0)
	CHECK(24, EFAULT)
	SYS(SYS_uname, NDBUF, 0, 0)
	CHECK(25, EFAULT)
	SYS(SYS_uname, -8, 0, 0)
	CHECK(26, EFAULT)
	SYS(SYS_fstat, 1, NDBUF, 0)
	CHECK(27, EFAULT)
	li a0, -1; mv a1, s1; li a7, SYS_fstat; ecall
	CHECK(28, EBADF)
	SYS(SYS_getcwd, NDBUF, 100, 0)
	CHECK(29, EFAULT)
	mv a0, s1; li a1, 1; li a7, SYS_getcwd; ecall
	CHECK(30, ERANGE)			/* no room for "/" and its NUL */

	/* Paths and descriptors. */
	SYS(SYS_openat, -100, NDBUF, 0)
	CHECK(31, EFAULT)
	SYS(SYS_openat, -100, 0x10, 0)
	CHECK(32, EFAULT)
	li a0, -1; la a1, relpath; li a2, 0; li a7, SYS_openat; ecall
	CHECK(33, EBADF)
	li a0, 1; la a1, relpath; li a2, 0; li a7, SYS_openat; ecall
	CHECK(34, ENOTDIR)			/* stdout is not a directory */
	li a0, -100; la a1, abspath; li a2, 0; li a7, SYS_openat; ecall
	CHECK(35, ENOENT)
	SYS(SYS_lseek, -1, 0, 0)
	CHECK(36, EBADF)
	SYS(SYS_close, -1, 0, 0)
	CHECK(37, EBADF)
	SYS(SYS_close, 0x7fffffff, 0, 0)
	CHECK(38, EBADF)

	/* Vectors. */
	SYS(SYS_writev, 1, NDBUF, 1)
	CHECK(39, EFAULT)
	li a0, 1; mv a1, s1; li a2, 1025; li a7, SYS_writev; ecall
	CHECK(40, EINVAL)			/* more than IOV_MAX */
	PUT(0, NDBUF)
	PUT(8, 24)
	li a0, 1; mv a1, s1; li a2, 1; li a7, SYS_writev; ecall
	CHECK(41, EFAULT)
	li a0, 0; mv a1, s1; li a2, 1; li a7, SYS_readv; ecall
	CHECK(42, EFAULT)
	sd s2, 0(s1)
	PUT(8, -1)
	li a0, 1; mv a1, s1; li a2, 1; li a7, SYS_writev; ecall
	CHECK(43, EINVAL)			/* a negative length */

	/* brk and mmap beyond memory. */
	SYS(SYS_brk, 0, 0, 0)
	mv s3, a0				/* s3: the break */
	SYS(SYS_brk, 0x10000000000, 0, 0)
	CHECK_REG(44, s3)
	SYS(SYS_brk, -1, 0, 0)
	CHECK_REG(45, s3)
	SYS(SYS_brk, 0x10, 0, 0)
	CHECK_REG(46, s3)
	SYS(SYS_brk, 0, 0, 0)
	CHECK_REG(47, s3)
	SYS6(SYS_mmap, 0, 0x10000000000, 3, 0x22, -1, 0)
	CHECK(48, ENOMEM)			/* 1 TiB */
	SYS6(SYS_mmap, 0, -4096, 3, 0x22, -1, 0)
	CHECK(49, ENOMEM)
	SYS6(SYS_mmap, 0, 4096, 3, 0x22, -1, 1)
	CHECK(50, EINVAL)			/* offset not page-aligned */
	SYS6(SYS_mmap, 0, 0, 3, 0x22, -1, 0)
	CHECK(51, EINVAL)			/* zero length */
	SYS6(SYS_mmap, 0, 4096, 3, 0x20, -1, 0)
	CHECK(52, EINVAL)			/* neither shared nor private */
	SYS6(SYS_mmap, 0, 4096, 3, 0x02, -1, 0)
	CHECK(53, EBADF)			/* a file mapping of fd -1 */
	SYS(SYS_munmap, 0x10001, 4096, 0)
	CHECK(54, EINVAL)
	SYS(SYS_munmap, 0x10000, 0, 0)
	CHECK(55, EINVAL)
	SYS(SYS_mprotect, 0x10001, 4096, 1)
	CHECK(56, EINVAL)
	SYS(SYS_mprotect, 0x10000, 4096, 0x100)
	CHECK(57, EINVAL)

	/* Signals, limits, sleeps. */
	SYS4(SYS_sigaction, 0, 0, 0, 8)
	CHECK(58, EINVAL)
	SYS4(SYS_sigaction, 65, 0, 0, 8)
	CHECK(59, EINVAL)
	li a0, 9; mv a1, s1; li a2, 0; li a3, 8; li a7, SYS_sigaction; ecall
	CHECK(60, EINVAL)			/* SIGKILL's action */
	SYS4(SYS_sigaction, 10, 0x10, 0, 8)
	CHECK(61, EFAULT)
	SYS4(SYS_sigaction, 10, 0, NDBUF, 8)
	CHECK(62, EFAULT)
	SYS4(SYS_sigaction, 10, 0, 0, 9)
	CHECK(63, EINVAL)			/* sigset size */
	li a0, 5; mv a1, s1; li a2, 0; li a3, 8; li a7, SYS_sigprocmask; ecall
	CHECK(64, EINVAL)			/* how */
	SYS4(SYS_sigprocmask, 0, 0x10, 0, 8)
	CHECK(65, EFAULT)
	SYS4(SYS_sigprocmask, 0, 0, NDBUF, 8)
	CHECK(66, EFAULT)
	SYS4(SYS_prlimit64, 0, 99, 0, 0)
	CHECK(67, EINVAL)
	SYS4(SYS_prlimit64, 0x7ffffff0, 0, 0, 0)
	CHECK(68, ESRCH)			/* beyond any pid */
	SYS4(SYS_prlimit64, 0, 7, 0x10, 0)
	CHECK(69, EFAULT)
	SYS4(SYS_prlimit64, 0, 7, 0, NDBUF)
	CHECK(70, EFAULT)
	PUT(0, 0)
	PUT(8, 1000000000)
	mv a0, s1; li a1, 0; li a7, SYS_nanosleep; ecall
	CHECK(71, EINVAL)
	PUT(0, -1)
	PUT(8, 0)
	mv a0, s1; li a1, 0; li a7, SYS_nanosleep; ecall
	CHECK(72, EINVAL)
	PUT(0, 0)
	mv a0, s1; li a1, 0; li a7, SYS_nanosleep; ecall
	CHECK(73, 0)
	/* an action and a mask read back as set */
	PUT(0, 0x12340)				/* handler */
	PUT(8, 0)				/* flags */
	PUT(16, 0x8200)				/* mask: SIGUSR1, SIGPIPE */
	li a0, 10; mv a1, s1; li a2, 0; li a3, 8; li a7, SYS_sigaction; ecall
	CHECK(74, 0)
	PUT(24, -1)
	PUT(40, -1)
	li a0, 10; li a1, 0; addi a2, s1, 24; li a3, 8; li a7, SYS_sigaction; ecall
	CHECK(75, 0)
	ld a0, 24(s1)
	CHECK(76, 0x12340)
	ld a0, 40(s1)
	CHECK(77, 0x8200)
	PUT(0, 0x200)
	li a0, 0; mv a1, s1; li a2, 0; li a3, 8; li a7, SYS_sigprocmask; ecall
	CHECK(78, 0)
	PUT(8, -1)
	li a0, 0; li a1, 0; addi a2, s1, 8; li a3, 8; li a7, SYS_sigprocmask; ecall
	CHECK(79, 0)
	ld a0, 8(s1)
	CHECK(80, 0x200)

	/* Unknown system calls. */
	SYS(500, 1, 2, 3)
	CHECK(81, ENOSYS)
	SYS(511, -1, -1, -1)
	CHECK(82, ENOSYS)
	SYS(-1, 0, 0, 0)
	CHECK(83, ENOSYS)

	/* Self-modifying code in an anonymous RWX mapping. */
	SYS6(SYS_mmap, 0, 8192, 7, 0x22, -1, 0)
	mv s4, a0				/* s4: the code page */
	li s11, 84
	bltz a0, fail
	li t0, 0x02a00513			/* addi a0, zero, 42 */
	sw t0, 0(s4)
	li t0, 0x00008067			/* ret */
	sw t0, 4(s4)
	fence.i
	li a0, 0
	jalr ra, 0(s4)
	CHECK(85, 42)
	li t0, 0x02b00513			/* addi a0, zero, 43 */
	sw t0, 0(s4)
	fence.i
	jalr ra, 0(s4)
	CHECK(86, 43)
	/* code that rewrites an instruction ahead of it in its own page */
	la t0, tmpl
	addi t1, s4, 64
	li t2, 5
1:	lw t3, 0(t0)
	sw t3, 0(t1)
	addi t0, t0, 4
	addi t1, t1, 4
	addi t2, t2, -1
	bnez t2, 1b
	fence.i
	addi t0, s4, 64
	li t1, 0x02a00513			/* addi a0, zero, 42 */
	jalr ra, 0(t0)
	CHECK(87, 42)
	/* code read from standard input over code that has run */
	li t0, 0x00100513			/* addi a0, zero, 1 */
	sw t0, 128(s4)
	li t0, 0x00008067
	sw t0, 132(s4)
	fence.i
	addi t0, s4, 128
	jalr ra, 0(t0)
	CHECK(88, 1)
	li a0, 0; addi a1, s4, 128; li a2, 8; li a7, SYS_read; ecall
	CHECK(89, 8)
	fence.i
	addi t0, s4, 128
	jalr ra, 0(t0)
	CHECK(90, 7)				/* addi a0, zero, 7 from the file */

	la a1, msg_pass
	la a2, msg_pass_end
	sub a2, a2, a1
	call print
	li a0, 0x100				/* exit status 0 */
	li a7, SYS_exit_group
	ecall

/* write(1, a1, a2) */
print:
	li a0, 1
	li a7, SYS_write
	ecall
	ret

/* "hostile_sys: check N failed: got V", exit status N. */
fail:
	mv s5, a0
	la a1, msg_fail
	la a2, msg_fail_end
	sub a2, a2, a1
	call print
	mv a0, s11
	call putnum
	la a1, msg_got
	la a2, msg_got_end
	sub a2, a2, a1
	call print
	mv a0, s5
	call putnum
	la a1, msg_nl
	li a2, 1
	call print
	mv a0, s11
	li a7, SYS_exit_group
	ecall

/* Prints a0 as a signed decimal number. */
putnum:
	mv s6, ra
	addi sp, sp, -32
	addi t1, sp, 32			/* digits are written backwards */
	mv t0, a0
	bgez t0, 1f
	neg t0, t0
1:	li t2, 10
2:	remu t3, t0, t2
	addi t3, t3, '0'
	addi t1, t1, -1
	sb t3, 0(t1)
	divu t0, t0, t2
	bnez t0, 2b
	bgez a0, 3f
	li t3, '-'
	addi t1, t1, -1
	sb t3, 0(t1)
3:	mv a1, t1
	addi a2, sp, 32
	sub a2, a2, t1
	call print
	addi sp, sp, 32
	mv ra, s6
	ret

	.section .rodata
/* Copied into the code page: stores t1 over the addi below, then runs it. */
tmpl:
	sw t1, 12(t0)
	fence.i
	nop
	addi a0, zero, 1
	ret
msg:		.ascii "x"
relpath:	.asciz "relative"
abspath:	.asciz "/nonexistent-rvsim-hostile-sys"
msg_pass:	.ascii "hostile_sys: all checks passed\n"
msg_pass_end:
msg_fail:	.ascii "hostile_sys: check "
msg_fail_end:
msg_got:	.ascii " failed: got "
msg_got_end:
msg_nl:		.ascii "\n"
