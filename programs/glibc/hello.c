/* The plain C program a new user tries first: printf of strings and
 * numbers (glibc's buffered stdout), its arguments, a line on stderr,
 * malloc of small and large blocks (brk and mmap), and an exit status
 * chosen by the arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	printf("Hello from glibc! argc %d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d] = \"%s\"\n", i, i == 0 ? "(program)" : argv[i]);
	printf("%d %5.2f %-6s| %x %lu %e\n", -42, 3.14159, "pad", 0xbeef, 18446744073709551615UL, 6.02e23);
	fprintf(stderr, "hello: a line on stderr\n");

	size_t sizes[] = {16, 1000, 200000, 4 << 20};
	unsigned long sum = 0;
	for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		unsigned char *p = malloc(sizes[i]);
		if (!p) {
			printf("malloc(%zu) failed\n", sizes[i]);
			return 2;
		}
		memset(p, i + 1, sizes[i]);
		for (size_t j = 0; j < sizes[i]; j += 4096)
			sum += p[j];
		p = realloc(p, sizes[i] * 2);
		sum += p[sizes[i] - 1];
		free(p);
	}
	printf("malloc, memset, realloc, free: checksum %lu\n", sum);
	int status = argc > 1 ? atoi(argv[argc - 1]) : 0;
	printf("exit status %d\n", status);
	return status;
}
