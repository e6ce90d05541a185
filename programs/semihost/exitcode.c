/* exitcode: how a semihosting program ends; it prints what it does. With
 * no argument main returns 3 (picolibc's semihost crt0 passes it to exit:
 * SYS_EXIT_EXTENDED, status 3); with "abort" it calls abort(), which
 * picolibc's semihost kill ends with _exit(128 + SIGABRT): status 134;
 * with a number N it calls _exit(N): status N & 255. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *a = argc > 2 ? argv[argc - 1] : "";
	if (strcmp(a, "abort") == 0) {
		printf("abort\n");
		fflush(stdout);
		abort();
	}
	if (*a) {
		printf("_exit %d\n", atoi(a));
		fflush(stdout);
		_exit(atoi(a));
	}
	printf("return 3\n");
	return 3;
}
