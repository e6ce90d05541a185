/* clock: the non-deterministic semihosting inputs. It prints the host
 * time (SYS_TIME, through time()), the tick frequency (SYS_TICKFREQ), the
 * elapsed ticks (SYS_ELAPSED) before and after some work, the centiseconds
 * of SYS_CLOCK, and checks that they make sense: each run prints other
 * numbers, and a replay prints those of its recording. Exit status 0 when
 * every check holds, 1 otherwise. */
#include <semihost.h>
#include <stdio.h>
#include <time.h>

int main(void)
{
	time_t now = time(NULL);
	uint64_t freq = sys_semihost_tickfreq();
	uint64_t t0 = sys_semihost_elapsed();
	volatile unsigned long x = 0;
	for (unsigned long i = 0; i < 200000; i++)
		x += i * i;
	uint64_t t1 = sys_semihost_elapsed();
	int cs = sys_semihost_clock();
	printf("time %lld\n", (long long)now);
	printf("tickfreq %llu\n", (unsigned long long)freq);
	printf("elapsed %llu -> %llu ticks\n", (unsigned long long)t0, (unsigned long long)t1);
	printf("clock %d cs\n", cs);
	int ok = now > 1600000000 && freq == 1000000000 && t1 > t0 && cs >= 0;
	printf("plausible: %s\n", ok ? "yes" : "no");
	return !ok;
}
