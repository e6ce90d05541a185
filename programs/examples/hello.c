/* An example Linux user-mode program to build with the project's runtime
 * (README.md, "Running your own program"). It reads a name from standard
 * input, reads the clock, the cycle counter and some entropy, and prints
 * them: two runs print different lines; a replay prints what its
 * recording printed. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

int main(void)
{
	char name[64] = "world";
	if (fgets(name, sizeof name, stdin))
		name[strcspn(name, "\n")] = 0;
	printf("Hello, %s!\n", name);

	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	unsigned long cycles;
	__asm__ volatile("rdcycle %0" : "=r"(cycles));
	unsigned char lucky[4];
	getrandom(lucky, sizeof lucky, 0);

	printf("It is %lld.%09ld seconds after 1970, cycle %lu.\n", (long long)now.tv_sec, now.tv_nsec, cycles);
	printf("Your lucky bytes: %02x %02x %02x %02x\n", lucky[0], lucky[1], lucky[2], lucky[3]);
	return 0;
}
