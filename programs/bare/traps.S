/* Self-checking: synchronous exceptions (cause, mepc, mtval), jumps and
 * branches to 2-byte aligned targets (legal with the C extension: they run
 * the compressed instruction there), misaligned loads and stores, access faults,
 * vectored mtvec, mstatus across traps and mret, and U-mode. */
	.file "traps.S"
#define TEST_NAME "bare_traps"
#include "test.h"
	PROLOGUE

	TEST(1)		/* ecall from M: cause 11, mepc at the ecall, mtval 0 */
	ARM
1:	ecall
	EXPECT_TRAP(11, 0)
	EXPECT_LABEL(s3, 1b)

	TEST(2)		/* ebreak: cause 3, mepc and mtval = its pc */
	ARM
1:	ebreak
	EXPECT(s6, 1)
	EXPECT(s2, 3)
	EXPECT_LABEL(s3, 1b)
	EXPECT_LABEL(s4, 1b)

	TEST(3)		/* illegal instruction: mtval = the instruction */
	ARM
1:	.half 0x0000		/* the all-zero halfword: an illegal compressed instruction */
	.half 0x0001		/* c.nop, skipped by the handler's mepc+4 */
	EXPECT_TRAP(2, 0)
	EXPECT_LABEL(s3, 1b)
	ARM
	.word 0xffffffff
	EXPECT_TRAP(2, 0xffffffff)
	ARM
	.word 0x10200073	/* sret: no S-mode */
	EXPECT_TRAP(2, 0x10200073)
	ARM
	.word 0x2800202f	/* AMO with funct5 00101: reserved */
	EXPECT_TRAP(2, 0x2800202f)
	ARM
	.word 0x00004007	/* flq ft0, 0(zero): no Q extension */
	EXPECT_TRAP(2, 0x00004007)
	ARM
	.word 0x0000000b	/* custom-0 opcode */
	EXPECT_TRAP(2, 0x0000000b)
	ARM
1:	.half 0x8002		/* c.jr with rs1 = 0: reserved; mtval = the halfword */
	.half 0x0001
	EXPECT_TRAP(2, 0x8002)
	EXPECT_LABEL(s3, 1b)
	ARM
	li a0, 0
	.half 0x4505		/* c.li a0, 1: the C extension */
	.half 0x0505		/* c.addi a0, 1 */
	EXPECT(a0, 2)
	EXPECT_NO_TRAP

	TEST(4)		/* loads outside memory: cause 5, mtval = address, rd kept */
	ARM
	li a0, 77
	li t0, 0x10
1:	ld a0, 8(t0)
	EXPECT_TRAP(5, 0x18)
	EXPECT_LABEL(s3, 1b)
	EXPECT(a0, 77)
	ARM
	li t0, 0x7ffffff8	/* just below RAM */
	lw a0, 4(t0)
	EXPECT_TRAP(5, 0x7ffffffc)
	ARM
	li t0, -0x80000000
	lbu a0, 0(t0)
	EXPECT_TRAP(5, -0x80000000)
	ARM
	li t0, 0x40
	lh a0, -2(t0)
	EXPECT_TRAP(5, 0x3e)
	EXPECT(a0, 77)

	TEST(5)		/* stores outside memory: cause 7, mtval = address */
	ARM
	li t0, 0x20
1:	sw a0, 0(t0)
	EXPECT_TRAP(7, 0x20)
	EXPECT_LABEL(s3, 1b)
	ARM
	li t0, 0x7ffffff0
	sd a0, 8(t0)
	EXPECT_TRAP(7, 0x7ffffff8)
	ARM
	li t0, 0x1000
	sb a0, -1(t0)
	EXPECT_TRAP(7, 0xfff)

	TEST(6)		/* misaligned loads and stores are carried out */
	ARM
	la t0, buf
	li t1, 0x1122334455667788
	sd t1, 3(t0)
	ld t2, 3(t0)
	EXPECT_REG(t2, t1)
	lw t2, 5(t0)
	EXPECT(t2, 0x33445566)
	lhu t2, 2(t0)
	EXPECT(t2, 0x8800)
	lh t2, 2(t0)
	EXPECT(t2, -0x7800)
	lbu t2, 3(t0)
	EXPECT(t2, 0x88)
	lb t2, 3(t0)
	EXPECT(t2, -0x78)
	li t1, 0x89abcdef
	sw t1, 9(t0)
	lw t2, 9(t0)
	EXPECT(t2, 0xffffffff89abcdef)	/* sign-extended */
	lwu t2, 9(t0)
	EXPECT(t2, 0x89abcdef)
	li t1, 0xfedc
	sh t1, 15(t0)
	lbu t2, 15(t0)
	EXPECT(t2, 0xdc)
	lbu t2, 16(t0)
	EXPECT(t2, 0xfe)
	lh t2, 15(t0)
	EXPECT(t2, -0x124)
	EXPECT_NO_TRAP

	TEST(7)		/* misaligned accesses across a page boundary */
	ARM
	la t0, pagebuf
	li t1, 4096
	add t0, t0, t1		/* t0 = a page boundary */
	li t1, 0x0102030405060708
	sd t1, -3(t0)
	ld t2, -3(t0)
	EXPECT_REG(t2, t1)
	lbu t2, -3(t0)
	EXPECT(t2, 0x08)
	lbu t2, 4(t0)
	EXPECT(t2, 0x01)
	lw t2, -2(t0)
	EXPECT(t2, 0x04050607)
	EXPECT_NO_TRAP

	/* IALIGN=16 (the C extension): a jump or branch to a target that is
	 * 2 but not 4 byte aligned is legal and runs the halfword there. The
	 * halfwords: c.li a0, 2 (0x4509), then c.addi a0, 1 (0x0505). */
	TEST(8)		/* jalr to a 2-aligned target runs the compressed instruction there */
	ARM
	li a0, 0
	la t0, 2f
1:	jalr ra, 2(t0)		/* to 2f+2, past c.li */
2:	.half 0x4509		/* c.li a0, 2 (skipped) */
	.half 0x0505		/* c.addi a0, 1 */
	EXPECT(a0, 1)
	EXPECT_LABEL(ra, 2b)
	EXPECT_NO_TRAP
	ARM
	li a0, 0
	la t0, 2f
	jalr ra, 3(t0)		/* bit 0 is cleared: target 2f+2 */
2:	.half 0x4509
	.half 0x0505
	EXPECT(a0, 1)
	EXPECT_NO_TRAP
	ARM
	li ra, 0
	la t0, 2f
	jalr ra, 1(t0)		/* bit 0 cleared: 2f itself */
2:	EXPECT_NO_TRAP
	la t1, 2b
	EXPECT_REG(ra, t1)

	TEST(9)		/* jal to pc+6 runs the halfword there; rd = pc+4 */
	ARM
	li a0, 0
1:	.word 0x006000ef	/* jal ra, .+6 */
	.half 0x4509		/* c.li a0, 2 (skipped) */
	.half 0x0505		/* c.addi a0, 1: the target */
	EXPECT(a0, 1)
	EXPECT_NO_TRAP
	la t0, 1b
	addi t0, t0, 4
	EXPECT_REG(ra, t0)

	TEST(10)	/* a taken branch to pc+6 runs the halfword there */
	ARM
	li a0, 0
1:	.word 0x00000363	/* beq zero, zero, .+6 */
	.half 0x4509		/* c.li a0, 2 (skipped) */
	.half 0x0505		/* c.addi a0, 1: the target */
	EXPECT(a0, 1)
	EXPECT_NO_TRAP
	ARM
	li a0, 0
	.word 0x00001363	/* bne zero, zero, .+6: not taken */
	.half 0x4509		/* c.li a0, 2 */
	.half 0x0505		/* c.addi a0, 1 */
	EXPECT(a0, 3)
	EXPECT_NO_TRAP

	TEST(11)	/* fetch outside memory: cause 1, mepc = mtval = target */
	ARM
	la s7, 1f
	li t0, 0x1000
	jr t0
1:	EXPECT_TRAP(1, 0x1000)
	EXPECT(s3, 0x1000)
	ARM
	la s7, 1f
	li ra, 0
	li t0, 0x90000000	/* just past the default 256 MiB of RAM */
	jalr ra, 0(t0)
1:	EXPECT_TRAP(1, 0x90000000)
	la t1, 1b
	EXPECT_REG(ra, t1)	/* the jump itself completed */

	TEST(12)	/* vectored mtvec: exceptions still go to BASE */
	la t0, trap_handler
	ori t0, t0, 1
	csrw mtvec, t0
	csrr t1, mtvec
	EXPECT_REG(t1, t0)
	ARM
	ecall
	EXPECT_TRAP(11, 0)
	ARM
	.word 0
	EXPECT_TRAP(2, 0)
	la t0, trap_handler
	csrw mtvec, t0

	TEST(13)	/* mstatus across a trap and mret, MIE set */
	csrsi mstatus, 8		/* MIE */
	ARM
	ecall
	li t0, 0x1888
	and t1, s5, t0
	EXPECT(t1, 0x1880)		/* in the handler: MPP=M, MPIE=1, MIE=0 */
	csrr t1, mstatus
	and t1, t1, t0
	EXPECT(t1, 0x88)		/* after mret: MIE=1, MPIE=1, MPP=U */
	csrci mstatus, 8

	TEST(14)	/* the same with MIE clear */
	li t0, 0x80
	csrc mstatus, t0		/* MPIE=0 too */
	ARM
	ecall
	li t0, 0x1888
	and t1, s5, t0
	EXPECT(t1, 0x1800)		/* MPP=M, MPIE=0, MIE=0 */
	csrr t1, mstatus
	and t1, t1, t0
	EXPECT(t1, 0x80)		/* after mret: MIE=0, MPIE=1, MPP=U */

	TEST(15)	/* mret to U-mode with no counters or seed for U */
	csrw mcounteren, zero
	li t0, 0x100
	csrc 0x747, t0			/* mseccfg.USEED = 0 */
	li t0, 0x200000
	csrc mstatus, t0		/* TW = 0 */
	ENTER_USER(user1)
user1:
	TEST(16)
	ARM
1:	csrr a0, mstatus		/* an M-mode CSR from U */
	EXPECT_TRAP(2, 0x30002573)
	EXPECT_LABEL(s3, 1b)
	ARM
	csrr a0, mscratch
	EXPECT(s2, 2)
	ARM
	csrw mtvec, zero
	EXPECT(s2, 2)
	ARM
	csrr a0, mhartid
	EXPECT(s2, 2)
	TEST(17)	/* mcounteren = 0: counters are illegal in U */
	ARM
	rdcycle a0
	EXPECT_TRAP(2, 0xc0002573)
	ARM
	rdtime a0
	EXPECT_TRAP(2, 0xc0102573)
	ARM
	rdinstret a0
	EXPECT_TRAP(2, 0xc0202573)
	TEST(18)	/* seed without mseccfg.USEED */
	ARM
	csrrw a0, 0x015, zero
	EXPECT(s6, 1)
	EXPECT(s2, 2)
	TEST(19)	/* mret and wfi with TW=0 */
	ARM
	mret				/* mret from U */
	EXPECT_TRAP(2, 0x30200073)
	ARM
	wfi				/* TW=0: a nop in U */
	EXPECT_NO_TRAP
	TEST(20)	/* ebreak from U */
	ARM
1:	ebreak
	EXPECT(s2, 3)
	EXPECT_LABEL(s4, 1b)
	li t0, 0x1800
	and t1, s5, t0
	EXPECT(t1, 0)			/* trapped from U: MPP = U */
	TEST(21)	/* ecall from U: cause 8, back to M */
	ARM
	la s7, back
1:	ecall
back:	EXPECT_TRAP(8, 0)
	EXPECT_LABEL(s3, 1b)
	li t0, 0x1800
	and t1, s5, t0
	EXPECT(t1, 0)			/* MPP = U in the handler */
	csrr t1, mstatus		/* in M-mode again: legal */

	TEST(22)	/* mcounteren bit by bit */
	li t0, 1
	csrw mcounteren, t0		/* CY only */
	ENTER_USER(user2)
user2:
	LEGAL(rdcycle a0)
	ILLEGAL(rdtime a0)
	ILLEGAL(rdinstret a0)
	ENTER_MACHINE(1f)
1:	li t0, 2
	csrw mcounteren, t0		/* TM only */
	ENTER_USER(user3)
user3:
	ILLEGAL(rdcycle a0)
	LEGAL(rdtime a0)
	ILLEGAL(rdinstret a0)
	ENTER_MACHINE(1f)
1:	li t0, 4
	csrw mcounteren, t0		/* IR only */
	ENTER_USER(user4)
user4:
	ILLEGAL(rdcycle a0)
	ILLEGAL(rdtime a0)
	LEGAL(rdinstret a0)
	ILLEGAL(csrrw a0, 0x015, zero)	/* still no USEED */
	ENTER_MACHINE(1f)

1:	TEST(23)	/* everything allowed; TW=1 */
	li t0, 7
	csrw mcounteren, t0
	li t0, 0x100
	csrs 0x747, t0			/* USEED */
	li t0, 0x200000
	csrs mstatus, t0		/* TW */
	ENTER_USER(user5)
user5:
	ARM
	rdcycle a0
	rdtime a0
	rdinstret a1
	rdinstret a2
	sub a1, a2, a1
	csrrw a0, 0x015, zero
	EXPECT_NO_TRAP
	EXPECT(a1, 1)			/* instret counts in U-mode too */
	srli a0, a0, 30
	EXPECT(a0, 2)			/* OPST = ES16 */
	ILLEGAL(csrr a0, 0x015)		/* read-only access to seed: illegal */
	TEST(24)
	ARM
	wfi				/* TW=1: illegal in U */
	EXPECT_TRAP(2, 0x10500073)
	ENTER_MACHINE(m2)
m2:	TEST(25)	/* wfi in M-mode is a nop, TW or not */
	LEGAL(wfi)
	li t0, 0x200000
	csrc mstatus, t0
	LEGAL(wfi)

	TEST(26)	/* MPP=M and mret: stays in M-mode */
	li t0, 0x1800
	csrs mstatus, t0
	la t0, 1f
	csrw mepc, t0
	mret
1:	LEGAL(csrr a0, mscratch)
	j pass

	EPILOGUE
	.data
	.align 3
buf:	.space 32
	.align 12
pagebuf: .space 8192
