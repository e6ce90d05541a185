/* Macros of the self-checking bare-metal assembly programs.
 *
 * s11 holds the number of the check under way; a failed check ends the run
 * with that number as exit status. The trap handler records mcause (s2),
 * mepc (s3), mtval (s4) and mstatus (s5) as it found them, counts traps in
 * s6, and resumes at s7 if it is set (then clears it) or after the trapping
 * instruction. An ecall from U-mode returns to M-mode. */
#define TEST(n) li s11, n
#define EXPECT(reg, val) li t5, val; bne reg, t5, fail
#define EXPECT_REG(reg, other) bne reg, other, fail
#define ARM li s2, -1; li s3, -1; li s4, -1; li s6, 0
#define EXPECT_TRAP(cause, tval) EXPECT(s6, 1); EXPECT(s2, cause); EXPECT(s4, tval)
#define EXPECT_NO_TRAP EXPECT(s6, 0)

#define PROLOGUE \
	.section .text.start; \
	.globl _start; \
_start: \
	la t0, trap_handler; \
	csrw mtvec, t0; \
	li s6, 0; \
	li s7, 0

#define EPILOGUE \
pass: \
	li a0, 1; \
	la t0, tohost; \
	sd a0, 0(t0); \
1:	j 1b; \
fail: \
	slli a0, s11, 1; \
	ori a0, a0, 1; \
	la t0, tohost; \
	sd a0, 0(t0); \
2:	j 2b; \
	.align 2; \
trap_handler: \
	csrr s2, mcause; \
	csrr s3, mepc; \
	csrr s4, mtval; \
	csrr s5, mstatus; \
	addi s6, s6, 1; \
	li t4, 8; \
	bne s2, t4, 3f; \
	li t4, 0x1800; \
	csrs mstatus, t4; \
3:	beqz s7, 4f; \
	csrw mepc, s7; \
	li s7, 0; \
	mret; \
4:	addi t4, s3, 4; \
	csrw mepc, t4; \
	mret; \
	.section .tohost, "aw"; \
	.align 6; \
	.globl tohost; \
tohost: .dword 0; \
	.align 6; \
	.globl fromhost; \
fromhost: .dword 0
