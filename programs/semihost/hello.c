/* hello: a picolibc semihosting program. It prints its arguments, an
 * integer and floating-point numbers with printf, a line to stderr, and
 * exits with the status given as its last argument (0 if none), through
 * exit() and SYS_EXIT_EXTENDED. picolibc's semihost crt0 (--crt0=semihost)
 * makes argv[0] "program-name" and splits the SYS_GET_CMDLINE string,
 * which is the program path and its arguments as with qemu-system's
 * -kernel and -append, into the rest. Expected output of "hello.elf x 7":
 *   argc 4: program-name hello.elf x 7
 *   int 42 hex 2a neg -17
 *   float 3.25 sci 1.500000e-03
 *   sum 0.1+0.2 = 0.30000000000000004
 *   to stderr
 * (picolibc writes stderr, like stdout, with SYS_WRITEC to the console,
 * which is standard output); exit status 7.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	printf("argc %d:", argc);
	for (int i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	printf("int %d hex %x neg %d\n", 42, 42, -17);
	volatile double a = 0.1, b = 0.2, c = 3.25, d = 0.0015;
	printf("float %g sci %e\n", c, d);
	printf("sum 0.1+0.2 = %.17g\n", a + b);
	fprintf(stderr, "to stderr\n");
	fflush(stdout);
	exit(argc > 2 ? atoi(argv[argc - 1]) : 0);
}
