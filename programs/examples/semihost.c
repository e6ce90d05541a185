/* An example bare-metal program with picolibc's semihosting library
 * (README.md, "Running your own program"): standard input and output, the
 * time and the processor clock go through semihosting calls, which rvsim
 * serves (and records) as qemu-system's -semihosting serves them. It reads
 * a name, prints a greeting, the time, the clock and the cycle counter,
 * then the arguments given after the program (with --crt0=semihost, which
 * passes them: argv[0] is "program-name", argv[1] the program's path),
 * and ends with exit(0): picolibc's default start-up code loops forever
 * once main returns (link with --crt0=semihost for one that calls exit
 * with main's value). Two runs print different numbers, a replay what its
 * recording printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	char name[64] = "world";
	if (fgets(name, sizeof name, stdin))
		name[strcspn(name, "\n")] = 0;
	printf("Hello, %s!\n", name);
	unsigned long cycles;
	__asm__ volatile("csrr %0, mcycle" : "=r"(cycles));
	printf("It is %lld seconds after 1970, clock %ld, cycle %lu.\n", (long long)time(NULL), (long)clock(), cycles);
	for (int i = 2; i < argc; i++)
		printf("argument %d: %s\n", i - 1, argv[i]);
	exit(0);
}
