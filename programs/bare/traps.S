/* Self-checking: synchronous traps, their CSRs, mret and U-mode. */
#include "test.h"
	PROLOGUE

	TEST(1)		/* ecall from M: cause 11, mepc at the ecall, mtval 0 */
	ARM
1:	ecall
	EXPECT_TRAP(11, 0)
	la t0, 1b
	EXPECT_REG(s3, t0)

	TEST(2)		/* ebreak: cause 3, mtval = pc */
	ARM
1:	ebreak
	la t0, 1b
	EXPECT_REG(s4, t0)
	EXPECT(s2, 3)

	TEST(3)		/* illegal instruction: mtval = the instruction */
	ARM
	.word 0x00000000
	EXPECT_TRAP(2, 0)
	ARM
	.word 0xffffffff
	EXPECT_TRAP(2, 0xffffffff)
	ARM
	.word 0x10200073	/* sret: no S-mode */
	EXPECT_TRAP(2, 0x10200073)

	TEST(4)		/* load and store outside memory: access faults */
	ARM
	li t0, 0x10
	ld a0, 0(t0)
	EXPECT_TRAP(5, 0x10)
	ARM
	li t0, 0x20
	sw a0, 0(t0)
	EXPECT_TRAP(7, 0x20)

	TEST(5)		/* misaligned loads and stores are carried out */
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
	EXPECT_NO_TRAP

	TEST(6)		/* jalr to a 2-aligned target: cause 0, rd untouched */
	ARM
	li ra, 1234
	la t0, 2f
1:	jalr ra, 2(t0)
	EXPECT(ra, 1234)
	EXPECT(s2, 0)
	la t1, 1b
	EXPECT_REG(s3, t1)
	addi t0, t0, 2
	EXPECT_REG(s4, t0)
2:	nop

	TEST(7)		/* taken branch to pc+6 traps; not taken does not */
	ARM
1:	.word 0x00000363	/* beq zero, zero, .+6 */
	EXPECT(s2, 0)
	la t0, 1b
	addi t0, t0, 6
	EXPECT_REG(s4, t0)
	ARM
	.word 0x00001363	/* bne zero, zero, .+6 */
	EXPECT_NO_TRAP

	TEST(8)		/* fetch outside memory: cause 1 at the target */
	ARM
	la s7, 1f
	li t0, 0x1000
	jr t0
1:	EXPECT_TRAP(1, 0x1000)
	EXPECT(s3, 0x1000)

	TEST(9)		/* vectored mtvec: exceptions still go to BASE */
	la t0, trap_handler
	ori t0, t0, 1
	csrw mtvec, t0
	csrr t1, mtvec
	EXPECT_REG(t1, t0)
	ARM
	ecall
	EXPECT_TRAP(11, 0)
	la t0, trap_handler
	csrw mtvec, t0

	TEST(10)	/* mstatus across a trap and mret */
	csrsi mstatus, 8		/* MIE */
	ARM
	ecall
	li t0, 0x1888
	and t1, s5, t0
	EXPECT(t1, 0x1880)		/* MPP=M, MPIE=1, MIE=0 in the handler */
	csrr t1, mstatus
	and t1, t1, t0
	EXPECT(t1, 0x88)		/* after mret: MIE=1, MPIE=1, MPP=U */
	csrci mstatus, 8

	TEST(11)	/* mret to U-mode; U-mode traps */
	li t0, 0x1800
	csrc mstatus, t0		/* MPP = U */
	la t0, user
	csrw mepc, t0
	csrw mcounteren, zero
	li t0, 0x100
	csrc 0x747, t0			/* mseccfg.USEED = 0 */
	ARM
	mret
user:	/* U-mode */
	TEST(12)
	ARM
	csrr a0, mstatus		/* M CSR from U */
	EXPECT_TRAP(2, 0x30002573)
	TEST(13)
	ARM
	rdcycle a0			/* mcounteren.CY = 0 */
	EXPECT_TRAP(2, 0xc0002573)
	ARM
	rdtime a0
	EXPECT(s2, 2)
	ARM
	rdinstret a0
	EXPECT(s2, 2)
	TEST(14)
	ARM
	csrrw a0, 0x015, zero		/* seed without USEED */
	EXPECT(s2, 2)
	TEST(15)
	ARM
	mret				/* mret from U */
	EXPECT_TRAP(2, 0x30200073)
	TEST(16)
	ARM
	la s7, back
1:	ecall				/* cause 8, back to M */
back:	EXPECT_TRAP(8, 0)
	la t0, 1b
	EXPECT_REG(s3, t0)
	li t0, 0x1800
	and t1, s5, t0
	EXPECT(t1, 0)			/* trapped from U: MPP = 0 */

	TEST(17)	/* now let U-mode read counters and seed */
	li t0, 7
	csrw mcounteren, t0
	li t0, 0x100
	csrs 0x747, t0
	li t0, 0x200000
	csrs mstatus, t0		/* TW */
	li t0, 0x1800
	csrc mstatus, t0
	la t0, user2
	csrw mepc, t0
	mret
user2:
	ARM
	rdcycle a0
	rdtime a0
	rdinstret a0
	csrrw a0, 0x015, zero
	EXPECT_NO_TRAP
	srli a0, a0, 30
	EXPECT(a0, 2)			/* ES16 */
	TEST(18)
	ARM
	wfi				/* TW=1: illegal in U */
	EXPECT_TRAP(2, 0x10500073)
	la s7, m2
	ecall
m2:	TEST(19)
	li t0, 0x200000
	csrc mstatus, t0
	ARM
	wfi				/* M-mode: a nop */
	EXPECT_NO_TRAP
	j pass

	EPILOGUE
	.data
	.align 3
buf:	.space 32
