/* A Linux user-mode program that attacks the record/replay unit and the
 * memory outside the guest's, one attack per run: argument N picks
 * attack N of the table below (the Go test cmd/rvsim/hostile_test.go has
 * the same table with the fault each must raise). Every attack is fatal:
 * an Xndrr CSR (0x7c0-0x7c4) or a privileged instruction is SIGILL
 * (status 132); a load, store or jump outside guest memory - low
 * addresses, the ND buffer just past the end of memory (0x10010000 with
 * the default --mem 256M), straddling that end, 256 GiB, the canonical
 * hole, the top of the address space - is SIGSEGV (status 139). Before
 * the attack the program reads cycle and time and calls getrandom, so
 * that a recording holds events before the fault. "survived" and status
 * 0 mean the attack did not fault. */
	.file "hostile_fault.S"
#define NDBUF 0x10010000

/* An attack: its address goes into the table, its code into .text. */
#define ATTACK(...) \
	.pushsection .rodata.attacks, "a"; .dword 1f; .popsection; \
1:	__VA_ARGS__; \
	j survived

	.section .rodata.attacks, "a"
	.balign 8
table:
	.text
	.globl _start
_start:
	ld t0, 0(sp)			/* argc */
	li t1, 2
	bne t0, t1, usage
	ld s1, 16(sp)			/* argv[1]: the attack number */
	mv a0, s1
	li s0, 0
	li t2, 10
1:	lbu t0, 0(a0)
	beqz t0, 2f
	addi t0, t0, -'0'
	bgeu t0, t2, usage
	mul s0, s0, t2
	add s0, s0, t0
	addi a0, a0, 1
	j 1b
2:	beq a0, s1, usage		/* empty */
	la t0, table
	la t1, table_end
	sub t1, t1, t0
	srli t1, t1, 3
	bgeu s0, t1, usage
	/* events for the recording */
	rdcycle t1
	rdtime t1
	addi sp, sp, -16
	mv a0, sp
	li a1, 16
	li a2, 0
	li a7, 278			/* getrandom */
	ecall
	/* "attack N\n" */
	la a1, msg_attack
	li a2, 7
	call print
	mv a1, s1
	mv a2, zero
3:	add t0, s1, a2
	lbu t0, 0(t0)
	beqz t0, 4f
	addi a2, a2, 1
	j 3b
4:	call print
	la a1, msg_nl
	li a2, 1
	call print
	/* the attack */
	la t0, table
	slli t1, s0, 3
	add t0, t0, t1
	ld t0, 0(t0)
	li a0, 0x5a5a
	li a1, -1
	li ra, 0
	jr t0

/* write(1, a1, a2) */
print:
	li a0, 1
	li a7, 64
	ecall
	ret

usage:
	la a1, msg_usage
	la a2, msg_usage_end
	sub a2, a2, a1
	call print
	li a0, 2
	li a7, 94
	ecall

survived:
	la a1, msg_survived
	li a2, 9
	call print
	li a0, 0
	li a7, 94
	ecall

	/* 0-6: the record/replay unit's CSRs, with every kind of form */
	ATTACK(csrrs a0, 0x7c0, zero)		/* csrr ndmode */
	ATTACK(csrrw a0, 0x7c1, a1)		/* swap ndbase */
	ATTACK(csrrc a0, 0x7c2, a1)		/* clear ndsize */
	ATTACK(csrrwi a0, 0x7c3, 5)		/* write ndhead */
	ATTACK(csrrsi zero, 0x7c4, 31)		/* set bits of ndtail */
	ATTACK(csrrci a0, 0x7c0, 0)		/* read ndmode */
	ATTACK(csrrs zero, 0x7c0, a1)		/* csrs ndmode */
	/* 7-9: privileged instructions (Linux has S-mode: wfi traps too) */
	ATTACK(wfi)
	ATTACK(.word 0x30200073)		/* mret */
	ATTACK(.word 0x10200073)		/* sret */
	/* 10-17: the ND buffer and the end of guest memory */
	ATTACK(li t0, NDBUF; ld a0, 0(t0))
	ATTACK(li t0, NDBUF; sd a0, 0(t0))
	ATTACK(li t0, NDBUF; jalr ra, 0(t0))
	ATTACK(li t0, NDBUF; lb a0, 5(t0))
	ATTACK(li t0, NDBUF; sw a0, 24(t0))
	ATTACK(li t0, NDBUF + 0x18000; sd a0, 0(t0))	/* past the buffer */
	ATTACK(li t0, NDBUF - 4; ld a0, 0(t0))		/* straddling the end */
	ATTACK(li t0, NDBUF - 2; sw a0, 0(t0))
	/* 18-20: low addresses */
	ATTACK(li t0, 0; ld a0, 0(t0))
	ATTACK(li t0, 0xfff8; sd a0, 0(t0))		/* just below the program */
	ATTACK(li t0, 0x1000; jalr ra, 0(t0))
	/* 21-28: high addresses */
	ATTACK(li t0, 0x4000000000; jalr ra, 0(t0))
	ATTACK(li t0, 0x800000000000; ld a0, 0(t0))	/* the canonical hole */
	ATTACK(li t0, 0x800000000000; jalr ra, 0(t0))
	ATTACK(li t0, 0x8000000000000000; sd a0, 0(t0))
	ATTACK(li t0, 0x8000000000000000; jalr ra, 0(t0))
	ATTACK(li t0, -8; ld a0, 0(t0))
	ATTACK(li t0, -8; jalr ra, 0(t0))
	ATTACK(li t0, -4; sd a0, 0(t0))			/* straddling the wrap */

	.section .rodata.attacks, "a"
table_end:
	.section .rodata
msg_attack:	.ascii "attack "
msg_nl:		.ascii "\n"
msg_survived:	.ascii "survived\n"
msg_usage:	.ascii "usage: hostile_fault N (an attack number)\n"
msg_usage_end:
