/* Self-checking: a hostile guest in M-mode and U-mode attacks the
 * record/replay unit and the monitor, and every attack must end in the
 * right trap, seen by the program's own handler, with nothing else changed:
 *  - every CSR instruction form on each Xndrr CSR (0x7c0-0x7c4): illegal
 *    instruction, mepc = the instruction, mtval = its bits, rd kept;
 *  - loads (every width), stores (every width) and fetches at low
 *    addresses, around the start and end of RAM (straddling both), in the
 *    ND buffer (the first pages above RAM), at 256 GiB, in the canonical
 *    hole and at the top of the address space (straddling the wrap):
 *    access faults with mtval = the address, rd kept, a jump's link written;
 *  - HTIF: system call blocks outside RAM, in the ND buffer and straddling
 *    the end of RAM, proxy writes from the ND buffer, from outside RAM,
 *    of huge lengths, to bad descriptors, unknown calls, unknown devices,
 *    partial stores to tohost: the right error in the block, and fromhost;
 *  - code rewritten in the page that runs, in U-mode, after fence.i.
 * Between attacks the program reads cycle, time and seed, so that a
 * recording interleaves events with traps and still replays exactly.
 * RAM is rvsim's default 256 MiB (0x80000000-0x8fffffff); the ND buffer
 * is at 0x90000000, 4096 entries of 24 bytes by default. */
	.file "hostile.S"
#define TEST_NAME "bare_hostile"
#include "test.h"

#define RAM_END 0x90000000
#define NDBUF 0x90000000
#define NDBUF_LAST 0x90017ff8	/* last doubleword of 4096 entries */
#define MARK 0x5a5a5a5a

/* Non-deterministic reads: three events for the recording. */
#define ND_READS csrr t6, cycle; csrr t6, time; csrrw t6, 0x015, zero

/* The instruction traps as illegal: mepc is it, mtval its bits, a0 kept. */
#define XILL(...) ARM; li a0, MARK; \
1:	__VA_ARGS__; \
	EXPECT(s6, 1); EXPECT(s2, 2); EXPECT_LABEL(s3, 1b); \
	la t5, 1b; lwu t5, 0(t5); bne s4, t5, fail; \
	EXPECT(a0, MARK)

/* A load (into a0) and a store at addr fault with mtval = addr. */
#define LOADF(insn, addr) ARM; li a0, MARK; li t0, addr; \
1:	insn a0, 0(t0); \
	EXPECT_TRAP(5, addr); EXPECT_LABEL(s3, 1b); EXPECT(a0, MARK)
#define STOREF(insn, addr) ARM; li t0, addr; \
1:	insn a1, 0(t0); \
	EXPECT_TRAP(7, addr); EXPECT_LABEL(s3, 1b)
/* A jump to addr completes (the link is written) and the fetch there
 * faults: mepc = mtval = addr. */
#define FETCHF(addr) ARM; li ra, 0; li t0, addr; la s7, 2f; \
1:	jalr ra, 0(t0); \
2:	EXPECT_TRAP(1, addr); EXPECT(s3, addr); EXPECT_LABEL(ra, 2b)
#define REGION(addr) ND_READS; LOADF(ld, addr); STOREF(sd, addr); FETCHF(addr)

/* Every CSR instruction form on one CSR. */
.macro CSR_FORMS csr
	ND_READS
	XILL(csrrw a0, \csr, a1)
	XILL(csrrw zero, \csr, a1)
	XILL(csrrs a0, \csr, zero)
	XILL(csrrs a0, \csr, a1)
	XILL(csrrs zero, \csr, a1)
	XILL(csrrc a0, \csr, zero)
	XILL(csrrc a0, \csr, a1)
	XILL(csrrwi a0, \csr, 0)
	XILL(csrrwi zero, \csr, 31)
	XILL(csrrsi a0, \csr, 0)
	XILL(csrrsi a0, \csr, 31)
	XILL(csrrci a0, \csr, 0)
	XILL(csrrci a0, \csr, 31)
.endm

.macro ALL_CSRS
	CSR_FORMS 0x7c0
	CSR_FORMS 0x7c1
	CSR_FORMS 0x7c2
	CSR_FORMS 0x7c3
	CSR_FORMS 0x7c4
.endm

/* Loads, stores and fetches everywhere outside RAM. */
.macro ALL_REGIONS
	REGION(0)
	REGION(8)
	REGION(0x1000)
	REGION(0x7ffffff8)		/* just below RAM */
	REGION(NDBUF)			/* just past the end of RAM: the ND buffer */
	REGION(NDBUF + 24)		/* its second entry */
	REGION(NDBUF_LAST)
	REGION(NDBUF + 0x18000)		/* just past the buffer */
	REGION(0x4000000000)		/* 256 GiB */
	REGION(0x800000000000)		/* the canonical hole */
	REGION(0x8000000000000000)
	REGION(-8)			/* the top of the address space */
	ND_READS
	/* every width at the ND buffer */
	LOADF(lb, NDBUF + 1); LOADF(lbu, NDBUF + 2); LOADF(lh, NDBUF + 4)
	LOADF(lhu, NDBUF + 6); LOADF(lw, NDBUF + 8); LOADF(lwu, NDBUF + 12)
	STOREF(sb, NDBUF + 1); STOREF(sh, NDBUF + 2); STOREF(sw, NDBUF + 4)
	/* straddling the start and the end of RAM and the wrap-around */
	LOADF(ld, 0x7ffffffc); STOREF(sd, 0x7ffffffc); FETCHF(0x7ffffffc)
	LOADF(ld, RAM_END - 4); STOREF(sd, RAM_END - 4)
	LOADF(lw, RAM_END - 2); STOREF(sh, RAM_END - 1)
	LOADF(ld, -4); STOREF(sd, -4); FETCHF(-4)
	LOADF(lw, -2); STOREF(sw, -1)
.endm

/* An HTIF command: the monitor clears tohost and answers in fromhost. */
#define HTIF(cmd, reply) li t0, cmd; la t1, tohost; sd t0, 0(t1); \
	ld t2, 0(t1); EXPECT(t2, 0); \
	la t1, fromhost; ld t2, 0(t1); sd zero, 0(t1); EXPECT(t2, reply)
/* A proxy-kernel system call through the block: the result in block[0]. */
#define HSYS(nr, fd, buf, len, result) la a0, block; \
	li t0, nr; sd t0, 0(a0); li t0, fd; sd t0, 8(a0); \
	li t0, buf; sd t0, 16(a0); li t0, len; sd t0, 24(a0); \
	fence; HTIF_BLOCK; ld t2, 0(a0); EXPECT(t2, result)
#define HTIF_BLOCK la t1, tohost; sd a0, 0(t1); \
	la t1, fromhost; ld t2, 0(t1); sd zero, 0(t1); EXPECT(t2, 1)
#define EFAULT -14
#define EBADF -9
#define ENOSYS -38

	PROLOGUE
	li a1, -1
	li t0, 7
	csrw mcounteren, t0		/* cycle, time, instret for U-mode */
	li t0, 0x100
	csrs 0x747, t0			/* mseccfg.USEED: seed for U-mode */

	TEST(1)		/* M-mode: the Xndrr CSRs */
	ALL_CSRS
	TEST(2)		/* M-mode: memory outside RAM */
	ALL_REGIONS

	TEST(3)		/* HTIF system call blocks the monitor cannot use */
	HTIF(0x10, 1)			/* block at 0x10 */
	HTIF(NDBUF, 1)			/* block in the ND buffer */
	HTIF(RAM_END - 32, 1)		/* block straddling the end of RAM */
	HTIF(0x8000000000, 1)		/* device 0, command 0, payload 2^39 */
	TEST(4)		/* HTIF proxy writes with bad arguments */
	HSYS(64, 1, NDBUF, 24, EFAULT)	/* the ND buffer is not readable */
	HSYS(64, 1, 0x10, 8, EFAULT)
	HSYS(64, 2, RAM_END - 8, 16, EFAULT)
	HSYS(64, 1, 0x80000000, 0x4000000000000000, EFAULT)	/* huge length */
	HSYS(64, 1, 0x80000000, -1, EFAULT)
	HSYS(64, 3, 0x80000000, 1, EBADF)
	HSYS(64, -1, 0x80000000, 1, EBADF)
	HSYS(64, 0, 0x80000000, 1, EBADF)
	HSYS(64, 1, 0x10, 0, 0)		/* nothing to read: nothing faults */
	HSYS(0, 1, 0x80000000, 1, ENOSYS)
	HSYS(63, 0, 0x80000000, 1, ENOSYS)	/* read */
	HSYS(-1, 1, 0x80000000, 1, ENOSYS)
	TEST(5)		/* unknown devices and commands, partial stores */
	HTIF(0xff55000000001234, 0)	/* unknown device: no reply */
	HTIF(0x0101000000000000 + 10, 0x0101000000000000)	/* console putchar '\n' */
	la t1, tohost
	li t0, 2
	sw t0, 0(t1)			/* half a command: block at 2 */
	ld t2, 0(t1)
	EXPECT(t2, 0)
	la t1, fromhost
	ld t2, 0(t1)
	sd zero, 0(t1)
	EXPECT(t2, 1)
	la t1, tohost
	li t0, 0xff
	sb t0, 7(t1)			/* a byte of the device field */
	ld t2, 0(t1)
	EXPECT(t2, 0)
	la t1, fromhost
	ld t2, 0(t1)
	EXPECT(t2, 0)
	li t0, 1234
	sd t0, 0(t1)			/* the guest writes fromhost: nothing happens */
	ld t2, 0(t1)
	sd zero, 0(t1)
	EXPECT(t2, 1234)

	TEST(6)		/* the same attacks from U-mode */
	ENTER_USER(user)
user:
	ALL_CSRS
	TEST(7)
	ALL_REGIONS
	TEST(8)		/* HTIF from U-mode: RAM has no protection */
	HSYS(64, 1, NDBUF, 24, EFAULT)
	TEST(9)		/* rewrite an instruction of the running page, in U-mode */
	la t0, patch
	li t1, 0x02a00513		/* addi a0, zero, 42 */
	li t2, 2
1:	fence.i
patch:	addi a0, zero, 1
	sw t1, 0(t0)
	addi t2, t2, -1
	bnez t2, 1b
	EXPECT(a0, 42)
	TEST(10)	/* the unit is still out of reach after all that */
	XILL(csrr a0, 0x7c0)
	XILL(csrr a0, 0x7c3)
	ND_READS
	j pass
	EPILOGUE

	.data
	.align 6
block:	.space 64
