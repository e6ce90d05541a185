/* The frame of the Linux user-mode assembly programs that die of one
 * fault: announce on stdout, run the faulting code, and exit 0 should the
 * fault not come. */
#define FAULT_STR(x) #x

#define FAULT_BEGIN(name) \
	.file FAULT_STR(name.S); \
	.globl _start; \
_start: \
	li a0, 1; \
	la a1, 9f; \
	la a2, 8f; \
	sub a2, a2, a1; \
	li a7, 64; \
	ecall

#define FAULT_END(name) \
	li a0, 0; \
	li a7, 93; \
	ecall; \
	.section .rodata; \
9:	.ascii "about to fault: ", FAULT_STR(name), "\n"; \
8:
