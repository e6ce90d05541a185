/* Self-checking: the record/replay unit is out of the guest's reach in M
 * and U mode: its CSRs raise illegal instruction, and its buffer, which
 * rvsim places at the first page above guest memory (0x90000000 with the
 * default --mem 256M), raises access faults for loads, stores and fetches.
 * The program behaves the same in normal, record and replay mode. */
	.file "xndrr.S"
#define TEST_NAME "bare_xndrr"
#include "test.h"
#define ALL(csr) ILLEGAL(csrr a0, csr); ILLEGAL(csrw csr, a1); ILLEGAL(csrrs a0, csr, a1); \
	ILLEGAL(csrrc a0, csr, zero); ILLEGAL(csrrwi a0, csr, 1); ILLEGAL(csrrsi a0, csr, 0); ILLEGAL(csrrci a0, csr, 3)
#define NDBUF 0x90000000
	PROLOGUE
	li a1, 1
	TEST(1)
	ALL(0x7c0)
	ALL(0x7c1)
	ALL(0x7c2)
	ALL(0x7c3)
	ALL(0x7c4)
	TEST(2)
	ARM
	li t0, NDBUF
	ld a0, 0(t0)
	EXPECT_TRAP(5, NDBUF)
	ARM
	sd a0, 8(t0)
	EXPECT_TRAP(7, NDBUF + 8)
	ARM
	la s7, 1f
	jr t0
1:	EXPECT_TRAP(1, NDBUF)
	TEST(3)		/* the same from U-mode */
	li t0, 0x1800
	csrc mstatus, t0
	la t0, user
	csrw mepc, t0
	mret
user:
	ALL(0x7c0)
	ALL(0x7c3)
	ARM
	li t0, NDBUF
	lw a0, 16(t0)
	EXPECT_TRAP(5, NDBUF + 16)
	ARM
	sb a0, 0(t0)
	EXPECT_TRAP(7, NDBUF)
	la s7, pass
	ecall
	j fail
	EPILOGUE
