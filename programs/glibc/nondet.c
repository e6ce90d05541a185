/* Every source of non-determinism a glibc program commonly reads: the
 * clocks (clock_gettime, gettimeofday, time), getrandom, the auxiliary
 * vector's AT_RANDOM bytes (glibc's stack protector and pointer guard
 * come from them), the cycle, time and instret counters read with csrr,
 * and a line of standard input. Two runs print different numbers; a
 * replay prints exactly what its recording printed. Beside the numbers it
 * prints checks that do not vary (the clocks move forward, the counters
 * count), so that qemu-riscv64's output, numbers masked, is the referee. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>

static int failed;

static void check(const char *what, int ok)
{
	printf("check %s: %s\n", what, ok ? "ok" : "FAILED");
	failed += !ok;
}

static uint64_t rdcycle(void)
{
	uint64_t v;
	__asm__ volatile("csrr %0, cycle" : "=r"(v));
	return v;
}

static uint64_t rdtime(void)
{
	uint64_t v;
	__asm__ volatile("rdtime %0" : "=r"(v));
	return v;
}

static uint64_t rdinstret(void)
{
	uint64_t v;
	__asm__ volatile("csrrs %0, instret, x0" : "=r"(v));
	return v;
}

static void hex(const char *what, const unsigned char *b, size_t n)
{
	printf("%s", what);
	for (size_t i = 0; i < n; i++)
		printf(" %02x", b[i]);
	printf("\n");
}

int main(void)
{
	struct timespec rt, mono, mono2;
	check("clock_gettime REALTIME", clock_gettime(CLOCK_REALTIME, &rt) == 0);
	check("clock_gettime MONOTONIC", clock_gettime(CLOCK_MONOTONIC, &mono) == 0);
	printf("realtime %lld.%09ld\n", (long long)rt.tv_sec, rt.tv_nsec);
	printf("monotonic %lld.%09ld\n", (long long)mono.tv_sec, mono.tv_nsec);
	check("realtime after 2023", rt.tv_sec > 1700000000);

	struct timeval tv;
	check("gettimeofday", gettimeofday(&tv, NULL) == 0);
	printf("gettimeofday %lld.%06ld\n", (long long)tv.tv_sec, (long)tv.tv_usec);
	time_t t = time(NULL);
	printf("time %lld\n", (long long)t);
	check("time and realtime agree within a minute", t - rt.tv_sec < 60 && rt.tv_sec - t < 60);

	uint64_t c0 = rdcycle(), t0 = rdtime(), i0 = rdinstret();
	volatile uint64_t spin = 0;
	for (int i = 0; i < 100000; i++)
		spin += i;
	uint64_t c1 = rdcycle(), t1 = rdtime(), i1 = rdinstret();
	printf("cycle %llu then %llu\n", (unsigned long long)c0, (unsigned long long)c1);
	printf("time %llu then %llu\n", (unsigned long long)t0, (unsigned long long)t1);
	printf("instret %llu then %llu\n", (unsigned long long)i0, (unsigned long long)i1);
	check("cycle counts", c1 > c0);
	check("time does not go back", t1 >= t0);
	check("instret counts the loop", i1 - i0 >= 100000);

	unsigned char rnd[16];
	ssize_t n = getrandom(rnd, sizeof rnd, 0);
	check("getrandom gives 16 bytes", n == 16);
	hex("getrandom", rnd, sizeof rnd);
	const unsigned char *at = (const unsigned char *)getauxval(AT_RANDOM);
	check("AT_RANDOM present", at != NULL);
	if (at)
		hex("AT_RANDOM", at, 16);

	char line[128];
	if (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\n")] = 0;
		printf("stdin line of %zu bytes: %s\n", strlen(line), line);
	} else {
		printf("stdin: nothing\n");
	}
	check("monotonic clock again", clock_gettime(CLOCK_MONOTONIC, &mono2) == 0);
	check("monotonic does not go back",
	      mono2.tv_sec > mono.tv_sec || (mono2.tv_sec == mono.tv_sec && mono2.tv_nsec >= mono.tv_nsec));
	printf("%d checks failed\n", failed);
	return failed;
}
