/* Macros of the self-checking bare-metal assembly programs.
 *
 * A program defines TEST_NAME (a string), includes this file, and puts its
 * checks between PROLOGUE and EPILOGUE; it ends with `j pass` (every check
 * passed: "NAME: all checks passed", exit status 0), and any failed EXPECT
 * jumps to fail ("NAME: check N FAILED ...", exit status N).
 *
 * Registers: s11 holds the number of the check under way (TEST(n)). The
 * trap handler records mcause (s2), mepc (s3), mtval (s4) and mstatus (s5)
 * as it found them and counts traps in s6; it resumes at s7 if s7 is set
 * (and clears it), else after the trapping instruction. An ecall from
 * U-mode (cause 8) returns to M-mode. More than 32 traps without an ARM in
 * between means a runaway and fails the check. t4 belongs to the handler
 * and t5 to EXPECT; s8..s10 are clobbered on failure. tohost, fromhost
 * and the printing come from htif.c, linked into every bare-metal program. */
#ifndef TEST_NAME
#error define TEST_NAME before including test.h
#endif

/* gp and sp as the C runtime sets them, for calling C from a test. */
#define C_ENV \
	.option push; \
	.option norelax; \
	la gp, __global_pointer$; \
	.option pop; \
	la sp, __stack_top

#define TEST(n) li s11, n
#define EXPECT(reg, val) li t5, val; bne reg, t5, fail
#define EXPECT_REG(reg, other) bne reg, other, fail
#define EXPECT_LABEL(reg, label) la t5, label; bne reg, t5, fail
/* Clears what the handler recorded before an instruction that may trap. */
#define ARM li s2, -1; li s3, -1; li s4, -1; li s6, 0
#define EXPECT_TRAP(cause, tval) EXPECT(s6, 1); EXPECT(s2, cause); EXPECT(s4, tval)
#define EXPECT_NO_TRAP EXPECT(s6, 0)
/* The instruction at label trapped with the given cause. */
#define EXPECT_TRAP_AT(cause, label) EXPECT(s6, 1); EXPECT(s2, cause); EXPECT_LABEL(s3, label)
#define ILLEGAL(...) ARM; __VA_ARGS__; EXPECT(s6, 1); EXPECT(s2, 2)
#define LEGAL(...) ARM; __VA_ARGS__; EXPECT_NO_TRAP

/* Switches to U-mode at label (MPP = U, mret). */
#define ENTER_USER(label) li t4, 0x1800; csrc mstatus, t4; la t4, label; csrw mepc, t4; mret
/* Back to M-mode from U-mode (or M-mode), continuing at label. */
#define ENTER_MACHINE(label) la s7, label; ecall

#define PROLOGUE \
	.section .text.start, "ax"; \
	.globl _start; \
_start: \
	C_ENV; \
	la t0, trap_handler; \
	csrw mtvec, t0; \
	li s6, 0; \
	li s7, 0; \
	li s11, 0

#define EPILOGUE \
pass: \
	li s6, 0; \
	ENTER_MACHINE(pass_m); \
pass_m: \
	C_ENV; \
	la a0, test_name; \
	call bare_test_pass; \
fail: \
	mv s8, s2; \
	mv s9, s3; \
	mv s10, s4; \
	li s6, 0; \
	ENTER_MACHINE(fail_m); \
fail_m: \
	C_ENV; \
	la a0, test_name; \
	mv a1, s11; \
	mv a2, s8; \
	mv a3, s9; \
	mv a4, s10; \
	call bare_test_fail; \
	.align 2; \
trap_handler: \
	csrr s2, mcause; \
	csrr s3, mepc; \
	csrr s4, mtval; \
	csrr s5, mstatus; \
	addi s6, s6, 1; \
	li t4, 32; \
	bgeu s6, t4, runaway; \
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
runaway: \
	mv s8, s2; \
	mv s9, s3; \
	mv s10, s4; \
	j fail_m; \
	.section .rodata; \
test_name: .asciz TEST_NAME; \
	.text
