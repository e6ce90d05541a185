/* Self-checking: CSR instructions and the access rules of the CSRs. */
#include "test.h"
#define ILLEGAL(...) ARM; __VA_ARGS__; EXPECT(s6, 1); EXPECT(s2, 2)
#define LEGAL(...) ARM; __VA_ARGS__; EXPECT_NO_TRAP
	PROLOGUE

	TEST(1)		/* identity CSRs */
	csrr a0, misa
	li t0, 0x8000000000101100
	EXPECT_REG(a0, t0)
	csrw misa, zero			/* WARL: ignored */
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

	TEST(2)		/* read-only CSRs: reads fine, writes illegal */
	LEGAL(csrr a0, mhartid)
	ILLEGAL(csrw mhartid, zero)
	ILLEGAL(csrrwi a0, mhartid, 0)
	li t1, 1
	ILLEGAL(csrrs a0, mhartid, t1)
	LEGAL(csrrs a0, cycle, zero)
	LEGAL(csrrc a0, cycle, zero)
	LEGAL(csrrsi a0, cycle, 0)
	ILLEGAL(csrrsi a0, cycle, 1)
	ILLEGAL(csrrw a0, cycle, zero)
	ILLEGAL(csrrw a0, instret, zero)
	ILLEGAL(csrrs a0, time, t1)

	TEST(3)		/* the six instructions on mscratch */
	li t0, 0xf0
	csrw mscratch, t0
	li t1, 0x0f
	csrrs a0, mscratch, t1
	EXPECT(a0, 0xf0)
	csrr a0, mscratch
	EXPECT(a0, 0xff)
	li t1, 0x3c
	csrrc a0, mscratch, t1
	csrr a0, mscratch
	EXPECT(a0, 0xc3)
	csrrwi a0, mscratch, 17
	EXPECT(a0, 0xc3)
	csrrsi a0, mscratch, 8
	csrrci a0, mscratch, 1
	EXPECT(a0, 25)
	csrr a0, mscratch
	EXPECT(a0, 24)
	csrrw zero, mscratch, zero
	csrr a0, mscratch
	EXPECT(a0, 0)

	TEST(4)		/* WARL fields */
	li t0, 0x800			/* MPP = 1 (S): not supported */
	csrw mstatus, t0
	csrr a0, mstatus
	li t0, 0x1800
	and a0, a0, t0
	EXPECT(a0, 0)
	csrs mstatus, t0
	csrr a0, mstatus
	and a0, a0, t0
	EXPECT(a0, 0x1800)
	csrr a0, mstatus
	srli a0, a0, 32
	andi a0, a0, 3
	EXPECT(a0, 2)			/* UXL = 64 */
	li t0, 0x8000000000000001	/* satp Sv39: not supported */
	csrw satp, t0
	csrr a0, satp
	EXPECT(a0, 0)
	li t0, -1
	csrw pmpaddr0, t0
	csrr a0, pmpaddr0
	EXPECT(a0, 0)
	csrw pmpcfg0, t0
	csrr a0, pmpcfg0
	EXPECT(a0, 0)
	ILLEGAL(csrr a0, 0x3a1)		/* pmpcfg1 does not exist on RV64 */
	csrw medeleg, t0
	csrr a0, medeleg
	EXPECT(a0, 0)
	csrw mip, t0
	csrr a0, mip
	EXPECT(a0, 0)
	csrw mie, t0
	csrr a0, mie
	EXPECT(a0, 0x888)
	csrw mie, zero
	li t0, 0x80000003
	csrw mepc, t0
	csrr a0, mepc
	EXPECT(a0, 0x80000000)
	csrr s8, mtvec
	li t0, 0x80000002
	csrw mtvec, t0
	csrr a0, mtvec
	EXPECT(a0, 0x80000000)
	csrw mtvec, s8

	TEST(5)		/* unimplemented CSRs */
	ILLEGAL(csrr a0, 0x800)
	ILLEGAL(csrr a0, 0x100)		/* sstatus: no S-mode */
	ILLEGAL(csrr a0, 0x7a0)

	TEST(6)		/* seed: only read-write access forms */
	ILLEGAL(csrr a0, 0x015)
	ILLEGAL(csrrsi a0, 0x015, 0)
	ILLEGAL(csrrci a0, 0x015, 0)
	ILLEGAL(csrrc a0, 0x015, zero)
	LEGAL(csrrw a0, 0x015, zero)
	srli t0, a0, 30
	EXPECT(t0, 2)
	srli t0, a0, 16
	slli t0, t0, 50
	srli t0, t0, 50
	EXPECT(t0, 0)
	LEGAL(csrrwi a0, 0x015, 5)
	li t1, 1
	LEGAL(csrrs a0, 0x015, t1)
	LEGAL(csrrsi a0, 0x015, 1)

	TEST(7)		/* instret and minstret */
	csrr a0, instret
	csrr a1, instret
	sub a2, a1, a0
	EXPECT(a2, 1)
	li t0, 100
	csrw minstret, t0
	csrr a0, minstret
	EXPECT(a0, 100)
	csrr a0, instret
	EXPECT(a0, 103)			/* csrr, li, bne retired since */
	csrw mcycle, zero
	csrr a0, mcycle
	li t0, 1000000000
	bgeu a0, t0, fail

	TEST(8)		/* the record/replay unit belongs to the monitor */
	ILLEGAL(csrr a0, 0x7c0)
	ILLEGAL(csrw 0x7c1, zero)
	ILLEGAL(csrrs a0, 0x7c2, zero)
	ILLEGAL(csrrci a0, 0x7c3, 1)
	ILLEGAL(csrrwi a0, 0x7c4, 0)
	j pass

	EPILOGUE
