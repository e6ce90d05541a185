/* The record/replay demo: reads every non-deterministic source rvsim
 * offers (cycle, time, seed, the clocks, random bytes, standard input) and
 * prints what it saw. Two runs print different things; a replay prints
 * exactly what its recording printed. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include "sys.h"

static uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ull; }

int main(void)
{
	uint64_t h = 0xcbf29ce484222325ull;
	/* Every read-only spelling of the counter reads, and the read-write
	 * ones of seed (a read-only access to seed is illegal). */
	uint64_t c1 = rd_cycle(), c2 = rd_cycle_csrrs(), c3 = rd_cycle_csrrc();
	uint64_t t1 = rd_time(), t2 = rd_time_csrrsi(), t3 = rd_time_csrrci();
	uint64_t i1 = rd_instret(), i2;
	__asm__ volatile("csrrs %0, instret, x0" : "=r"(i2));
	printf("cycle    %llu %llu %llu\n", (unsigned long long)c1, (unsigned long long)c2, (unsigned long long)c3);
	printf("time     %llu %llu %llu\n", (unsigned long long)t1, (unsigned long long)t2, (unsigned long long)t3);
	printf("instret  %llu %llu\n", (unsigned long long)i1, (unsigned long long)i2);
	/* qemu-riscv64 7.2 does not give user mode the seed CSR (SIGILL):
	 * what came before is out by then. */
	fflush(stdout);
	uint64_t s1 = rd_seed(), s2 = rd_seed_csrrwi(), s3;
	__asm__ volatile("csrrsi %0, 0x015, 1" : "=r"(s3)); /* a write form: allowed */
	printf("seed     %#llx %#llx %#llx (OPST %llu %llu %llu)\n", (unsigned long long)s1, (unsigned long long)s2,
	       (unsigned long long)s3, (unsigned long long)SEED_OPST(s1), (unsigned long long)SEED_OPST(s2),
	       (unsigned long long)SEED_OPST(s3));
	h = mix(mix(mix(mix(mix(mix(h, c1), c2 ^ c3), t1), t2 ^ t3), i2 - i1), s1 ^ s2 ^ s3);

	struct rv_timespec rt, mt;
	struct rv_timeval tv;
	long r1 = sys3(SYS_clock_gettime, 0, &rt, 0);
	long r2 = sys3(SYS_clock_gettime, 1, &mt, 0);
	long r3 = sys3(SYS_gettimeofday, &tv, 0, 0);
	printf("realtime %lld.%09lld (%ld)\n", (long long)rt.sec, (long long)rt.nsec, r1);
	printf("monotime %lld.%09lld (%ld)\n", (long long)mt.sec, (long long)mt.nsec, r2);
	printf("timeofday %lld.%06lld (%ld)\n", (long long)tv.sec, (long long)tv.usec, r3);
	h = mix(mix(mix(h, (uint64_t)rt.nsec), (uint64_t)mt.nsec), (uint64_t)tv.usec);

	unsigned char rnd[16];
	long n = sys3(SYS_getrandom, rnd, sizeof rnd, 0);
	printf("random   %ld bytes:", n);
	for (int i = 0; i < 16; i++) {
		printf(" %02x", rnd[i]);
		h = mix(h, rnd[i]);
	}
	printf("\n");

	char line[128];
	long got = sys3(SYS_read, 0, line, sizeof line - 1);
	if (got < 0)
		got = 0;
	line[got] = 0;
	char *nl = strchr(line, '\n'); /* the first line only */
	if (nl)
		*nl = 0;
	printf("stdin    %ld bytes, first line \"%s\"\n", got, line);
	for (long i = 0; i < got; i++)
		h = mix(h, (unsigned char)line[i]);

	/* A loop whose length depends on what was read. */
	uint64_t spins = 0;
	while (rd_time() == t3 && spins < 100000)
		spins++;
	printf("spins    %llu until time moved\n", (unsigned long long)spins);
	printf("digest   %016llx\n", (unsigned long long)mix(h, spins));
	return 0;
}
