/* Prints a greeting and its arguments. */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("Hello from an rvsim guest!\n");
	printf("argc = %d\n", argc);
	for (int i = 1; i < argc; i++)
		printf("argv[%d] = %s\n", i, argv[i]);
	fprintf(stderr, "a line on stderr\n");
	return 0;
}
