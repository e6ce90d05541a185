/* Self-checking: the CSR instructions and the access rules of rvsim's
 * CSRs (identity registers, read-only and privilege rules, WARL fields,
 * counters, seed, and the record/replay unit's custom CSRs). */
	.file "csr.S"
#define TEST_NAME "bare_csr"
#include "test.h"
	PROLOGUE

	TEST(1)		/* identity CSRs */
	csrr a0, misa
	li t0, 0x800000000010112d	/* RV64, A, C, D, F, I, M, U */
	EXPECT_REG(a0, t0)
	csrw misa, zero			/* writes are ignored */
	csrr a0, misa
	EXPECT_REG(a0, t0)
	li t1, 0x1000
	csrc misa, t1			/* try to drop M */
	csrr a0, misa
	EXPECT_REG(a0, t0)
	csrr a0, mhartid
	EXPECT(a0, 0)
	csrr a0, mvendorid
	EXPECT(a0, 0)
	csrr a0, marchid
	EXPECT(a0, 0)
	csrr a0, mimpid
	EXPECT(a0, 0)

	TEST(2)		/* read-only CSRs (bits 11:10 = 11): reads fine, writes illegal */
	li t1, 1
	LEGAL(csrr a0, mhartid)
	LEGAL(csrrs a0, mhartid, zero)
	LEGAL(csrrc a0, mvendorid, zero)
	LEGAL(csrrsi a0, marchid, 0)
	LEGAL(csrrci a0, mimpid, 0)
	ILLEGAL(csrw mhartid, zero)		/* csrrw always writes, even x0 */
	ILLEGAL(csrrw zero, mhartid, t1)	/* and with rd = x0 */
	ILLEGAL(csrrwi a0, mhartid, 0)
	ILLEGAL(csrrs a0, mhartid, t1)
	ILLEGAL(csrrc a0, mvendorid, t1)
	ILLEGAL(csrrsi a0, marchid, 1)
	ILLEGAL(csrrci a0, mimpid, 31)
	TEST(3)		/* the same on the user counters */
	LEGAL(csrrs a0, cycle, zero)
	LEGAL(csrrc a0, cycle, zero)
	LEGAL(csrrsi a0, time, 0)
	LEGAL(csrrci a0, instret, 0)
	ILLEGAL(csrrsi a0, cycle, 1)
	ILLEGAL(csrrw a0, cycle, zero)
	ILLEGAL(csrrw a0, instret, zero)
	ILLEGAL(csrrs a0, time, t1)
	ILLEGAL(csrrc a0, time, t1)
	ILLEGAL(csrrwi a0, time, 0)
	ILLEGAL(.word 0xc0001073)		/* csrw cycle, zero */
	ARM
1:	csrrs a0, cycle, t1
	EXPECT_TRAP(2, 0xc0032573)		/* mtval = the instruction */
	EXPECT_LABEL(s3, 1b)

	TEST(4)		/* the six instructions on mscratch */
	li t0, 0xf0
	csrw mscratch, t0
	li t1, 0x0f
	csrrs a0, mscratch, t1
	EXPECT(a0, 0xf0)
	csrr a0, mscratch
	EXPECT(a0, 0xff)
	li t1, 0x3c
	csrrc a0, mscratch, t1
	EXPECT(a0, 0xff)
	csrr a0, mscratch
	EXPECT(a0, 0xc3)
	csrrwi a0, mscratch, 17
	EXPECT(a0, 0xc3)
	csrrsi a0, mscratch, 8
	EXPECT(a0, 17)
	csrrci a0, mscratch, 1
	EXPECT(a0, 25)
	csrr a0, mscratch
	EXPECT(a0, 24)
	li t1, -1
	csrrw a0, mscratch, t1		/* all 64 bits */
	EXPECT(a0, 24)
	csrrw a0, mscratch, zero
	EXPECT(a0, -1)
	csrr a0, mscratch
	EXPECT(a0, 0)
	li t1, 0x5555
	csrrw t1, mscratch, t1		/* rd = rs1: reads the old value */
	EXPECT(t1, 0)
	csrr a0, mscratch
	EXPECT(a0, 0x5555)
	csrrs zero, mscratch, zero	/* no effect */
	csrrci zero, mscratch, 0x15
	csrr a0, mscratch
	EXPECT(a0, 0x5540)

	TEST(5)		/* mstatus: only MIE, MPIE, MPP, MPRV, TW, FS are writable; SD = FS Dirty */
	csrr s8, mstatus
	li t0, -1
	csrw mstatus, t0
	csrr a0, mstatus
	li t0, 0x8000000200227888	/* SD, UXL=2, TW, MPRV, FS=3, MPP=3, MPIE, MIE */
	EXPECT_REG(a0, t0)
	csrw mstatus, zero
	csrr a0, mstatus
	li t0, 0x200000000		/* UXL reads 2 */
	EXPECT_REG(a0, t0)
	li t0, 0x800			/* MPP = 1 (S): not a legal value */
	csrw mstatus, t0
	csrr a0, mstatus
	li t0, 0x1800
	and a0, a0, t0
	beqz a0, 1f			/* reads as a legal value: U or M */
	EXPECT(a0, 0x1800)
1:	li t0, 0x1000			/* MPP = 2 (reserved) */
	csrw mstatus, t0
	csrr a0, mstatus
	li t0, 0x1800
	and a0, a0, t0
	beqz a0, 1f
	EXPECT(a0, 0x1800)
1:	li t0, 3
	slli t0, t0, 32
	csrc mstatus, t0		/* UXL cannot be changed */
	csrr a0, mstatus
	srli a0, a0, 32
	andi a0, a0, 3
	EXPECT(a0, 2)
	csrw mstatus, s8

	TEST(6)		/* WARL registers of features rvsim lacks */
	li t0, 0x8000000000000001	/* satp: Sv39 is not supported */
	csrw satp, t0
	csrr a0, satp
	EXPECT(a0, 0)
	li t0, -1
	csrw satp, t0
	csrr a0, satp
	EXPECT(a0, 0)
	csrw pmpaddr0, t0		/* PMP: no entries, writes ignored */
	csrr a0, pmpaddr0
	EXPECT(a0, 0)
	csrw pmpaddr63, t0
	csrr a0, pmpaddr63
	EXPECT(a0, 0)
	csrw pmpcfg0, t0
	csrr a0, pmpcfg0
	EXPECT(a0, 0)
	csrw pmpcfg14, t0
	csrr a0, pmpcfg14
	EXPECT(a0, 0)
	ILLEGAL(csrr a0, 0x3a1)		/* pmpcfg1: odd pmpcfg do not exist on RV64 */
	csrw medeleg, t0		/* no S-mode: nothing to delegate */
	csrr a0, medeleg
	EXPECT(a0, 0)
	csrw mideleg, t0
	csrr a0, mideleg
	EXPECT(a0, 0)
	csrw mip, t0
	csrr a0, mip
	EXPECT(a0, 0)
	csrw mie, t0			/* MSIE, MTIE, MEIE */
	csrr a0, mie
	EXPECT(a0, 0x888)
	csrw mie, zero
	csrr a0, mie
	EXPECT(a0, 0)
	li t0, 0x80000003		/* mepc: bit 0 reads 0 (C: IALIGN=16) */
	csrw mepc, t0
	csrr a0, mepc
	EXPECT(a0, 0x80000002)
	csrr s8, mtvec			/* mtvec MODE 2 is reserved */
	li t0, 0x80000002
	csrw mtvec, t0
	csrr a0, mtvec
	EXPECT(a0, 0x80000000)
	li t0, 0x80000101		/* vectored: BASE 4-byte aligned, MODE 1 */
	csrw mtvec, t0
	csrr a0, mtvec
	EXPECT(a0, 0x80000101)
	csrw mtvec, s8
	li t0, 2
	csrw mcause, t0			/* mcause and mtval hold what is written */
	csrr a0, mcause
	EXPECT(a0, 2)
	li t0, 0x123456789
	csrw mtval, t0
	csrr a0, mtval
	EXPECT_REG(a0, t0)

	TEST(7)		/* CSRs that do not exist */
	ILLEGAL(csrr a0, 0x800)		/* a custom user CSR */
	ILLEGAL(csrr a0, 0x100)		/* sstatus: no S-mode */
	ILLEGAL(csrr a0, 0x105)		/* stvec */
	ILLEGAL(csrr a0, 0x7a0)		/* tselect: no debug triggers */
	ILLEGAL(csrr a0, 0x001)		/* fflags: no F */
	ILLEGAL(csrr a0, 0x003)		/* fcsr */
	ILLEGAL(csrw 0xfff, zero)
	ILLEGAL(csrr a0, 0xc80)		/* cycleh: RV32 only */
	ILLEGAL(csrr a0, 0xb80)		/* mcycleh: RV32 only */

	TEST(8)		/* seed: only read-write access forms */
	ILLEGAL(csrr a0, 0x015)
	ILLEGAL(csrrs a0, 0x015, zero)
	ILLEGAL(csrrsi a0, 0x015, 0)
	ILLEGAL(csrrci a0, 0x015, 0)
	ILLEGAL(csrrc a0, 0x015, zero)
	LEGAL(csrrw a0, 0x015, zero)
	srli t0, a0, 30
	EXPECT(t0, 2)			/* OPST = ES16 */
	srli t0, a0, 16
	slli t0, t0, 50
	srli t0, t0, 50
	EXPECT(t0, 0)			/* bits 29:16 are zero */
	li t1, 1
	LEGAL(csrrwi a0, 0x015, 5)
	srli t0, a0, 30
	EXPECT(t0, 2)
	LEGAL(csrrs a0, 0x015, t1)
	srli t0, a0, 30
	EXPECT(t0, 2)
	LEGAL(csrrsi a0, 0x015, 1)
	LEGAL(csrrc a0, 0x015, t1)
	LEGAL(csrrci a0, 0x015, 1)
	LEGAL(csrrw zero, 0x015, t1)
	/* 64 reads: all ES16 with bits 63:32 and 29:16 zero, not all equal */
	li t2, 64
	csrrw s8, 0x015, zero
	li s9, 0
	li t3, 0xffffffff3fff0000
1:	csrrw a0, 0x015, zero
	srli t0, a0, 30
	EXPECT(t0, 2)
	and t0, a0, t3
	bnez t0, fail
	beq a0, s8, 2f
	li s9, 1
2:	addi t2, t2, -1
	bnez t2, 1b
	EXPECT(s9, 1)

	TEST(9)		/* instret and minstret, cycle and mcycle */
	csrr a0, instret
	csrr a1, instret
	sub a2, a1, a0
	EXPECT(a2, 1)
	csrr a0, minstret
	csrr a1, instret
	sub a2, a1, a0
	EXPECT(a2, 1)			/* the same counter */
	li t0, 100
	csrw minstret, t0
	csrr a0, minstret
	EXPECT(a0, 100)			/* the csrw itself is not counted */
	csrr a0, instret
	EXPECT(a0, 103)			/* csrr, li, bne retired since */
	csrr a0, cycle
	csrr a1, cycle
	bltu a1, a0, fail		/* cycle does not go back */
	csrr a0, time
	li t2, 1000
1:	addi t2, t2, -1
	bnez t2, 1b
	csrr a1, time
	bltu a1, a0, fail		/* nor does time */
	csrw mcycle, zero
	csrr a0, mcycle
	li t0, 1000000000
	bgeu a0, t0, fail		/* restarted near 0 */

	TEST(10)	/* mcounteren and mseccfg hold their bits */
	li t0, 7
	csrw mcounteren, t0
	csrr a0, mcounteren
	andi a0, a0, 7
	EXPECT(a0, 7)
	csrw mcounteren, zero
	csrr a0, mcounteren
	EXPECT(a0, 0)
	li t0, 0x100
	csrs 0x747, t0
	csrr a0, 0x747
	and a0, a0, t0
	EXPECT(a0, 0x100)
	csrc 0x747, t0
	csrr a0, 0x747
	and a0, a0, t0
	EXPECT(a0, 0)

	TEST(11)	/* the record/replay unit's CSRs belong to the monitor */
	ILLEGAL(csrr a0, 0x7c0)
	ILLEGAL(csrw 0x7c1, zero)
	ILLEGAL(csrrs a0, 0x7c2, zero)
	ILLEGAL(csrrci a0, 0x7c3, 1)
	ILLEGAL(csrrwi a0, 0x7c4, 0)
	ARM
	csrr a0, 0x7c0
	EXPECT_TRAP(2, 0x7c002573)

	TEST(12)	/* U-mode: M-mode CSRs and the user counters */
	li t0, 7
	csrw mcounteren, t0
	ENTER_USER(user)
user:
	ILLEGAL(csrr a0, mhartid)	/* M-mode read-only: privilege first */
	ILLEGAL(csrr a0, misa)
	ILLEGAL(csrr a0, mcounteren)
	ILLEGAL(csrw mscratch, zero)
	ILLEGAL(csrr a0, minstret)
	ILLEGAL(csrr a0, mcycle)
	ILLEGAL(csrr a0, 0x747)
	ILLEGAL(csrr a0, pmpcfg0)
	ILLEGAL(csrr a0, 0x7c0)
	LEGAL(rdcycle a0)
	LEGAL(csrrsi a0, time, 0)
	LEGAL(csrrc a0, instret, zero)
	ILLEGAL(csrrw a0, cycle, zero)	/* read-only in U too */
	ILLEGAL(csrrsi a0, time, 2)
	ENTER_MACHINE(pass)

	EPILOGUE
