/* Reads standard input in pieces of many sizes and, between two reads, a
 * few times the cycle or time CSR, every 16th time up to 9,000 times,
 * sometimes seed: a recording whose
 * ND entries and system calls alternate, with buffer drains and segments
 * ending at every place relative to each other. Prints what it read and a
 * checksum of every value. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

static inline uint64_t rd_cycle(void)
{
	uint64_t v;
	__asm__ volatile("rdcycle %0" : "=r"(v));
	return v;
}

static inline uint64_t rd_time(void)
{
	uint64_t v;
	__asm__ volatile("rdtime %0" : "=r"(v));
	return v;
}

static inline uint64_t rd_seed(void)
{
	uint64_t v;
	__asm__ volatile("csrrw %0, 0x015, x0" : "=r"(v));
	return v;
}

static char buf[70000];

int main(void)
{
	uint64_t acc = 0;
	long total = 0;
	int round = 0;
	for (;;) {
		int reads = round % 16 == 0 ? (round * 1237) % 9000 : round % 5;
		for (int i = 0; i < reads; i++)
			acc = acc * 31 + (i % 3 == 0 ? rd_time() : rd_cycle());
		if (round % 7 == 0)
			acc ^= rd_seed();
		ssize_t n = read(0, buf, 1 + (round * 7919) % sizeof buf);
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i += 97)
			acc += (unsigned char)buf[i];
		total += n;
		round++;
	}
	printf("%d rounds, %ld bytes, checksum %016llx\n", round, total, (unsigned long long)acc);
	return 0;
}
