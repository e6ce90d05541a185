# A bare-metal program whose memory starts at address 0, with fromhost at
# 0 and tohost at 8 (htif_zero.ld): it prints "ok" through the console
# device, waiting for fromhost's acknowledgement after each character,
# takes an LR of a data word between the two (the watch range of the
# reservation and of tohost both start at 0), then exits with status 3.
	.section .htif, "aw"
	.align 3
	.globl fromhost, tohost
fromhost: .dword 0
tohost:   .dword 0

	.data
	.align 3
word:	.dword 0

	.text
	.globl _start
_start:
	li	a0, 'o'
	call	putchar
	la	t0, word
	lr.d	t1, (t0)
	li	a0, 'k'
	call	putchar
	li	t0, (3 << 1) | 1
	sd	t0, tohost, t1
1:	j	1b

# putchar writes the console command for a0 into tohost and waits until
# fromhost holds the reply, which it clears.
putchar:
	li	t0, (1 << 56) | (1 << 48)
	or	t0, t0, a0
	sd	t0, tohost, t1
2:	ld	t0, fromhost
	beqz	t0, 2b
	sd	zero, fromhost, t1
	ret
