/* Sleeping through glibc: nanosleep, clock_nanosleep (relative and to an
 * absolute time), usleep and sleep, and the errors of bad requests. */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int fails;

static void check(int ok, const char *what)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	fails += !ok;
}

int main(void)
{
	struct timespec req = {0, 1000}, rem = {7, 7}, now;
	struct timespec bad = {0, 1000000000};
	check(nanosleep(&req, &rem) == 0, "nanosleep 1 us");
	check(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL) == 0, "clock_nanosleep monotonic 1 us");
	check(clock_nanosleep(CLOCK_REALTIME, 0, &req, &rem) == 0, "clock_nanosleep realtime 1 us");
	check(clock_nanosleep(CLOCK_BOOTTIME, 0, &req, NULL) == 0, "clock_nanosleep boottime 1 us");
	check(clock_gettime(CLOCK_MONOTONIC, &now) == 0 &&
	      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &now, NULL) == 0,
	      "clock_nanosleep to a monotonic time now past");
	check(usleep(10) == 0, "usleep 10 us");
	check(sleep(0) == 0, "sleep 0");
	check(clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL) == EINVAL, "clock_nanosleep 1e9 ns: EINVAL");
	check(clock_nanosleep(CLOCK_MONOTONIC_COARSE, 0, &req, NULL) == EOPNOTSUPP,
	      "clock_nanosleep on the coarse monotonic clock: EOPNOTSUPP");
	check(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL) == EINVAL,
	      "clock_nanosleep on the thread's CPU clock: EINVAL");
	check(nanosleep(&bad, NULL) == -1 && errno == EINVAL, "nanosleep 1e9 ns: EINVAL");
	return fails;
}
