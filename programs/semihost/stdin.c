/* stdin: reads standard input through semihosting and echoes each line
 * upper-cased with its number, then the counts. picolibc's stdin reads
 * with SYS_READC, which has no end of file (qemu-system's console has
 * none either): the program opens the console ":tt" for reading instead
 * and reads it with SYS_READ, which reports the end. For the input
 * "ab\ncd\n" it prints
 *   1: AB
 *   2: CD
 *   2 lines, 6 bytes
 * exit status 0 (1 if ":tt" does not open). */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	int fd = open(":tt", O_RDONLY);
	if (fd < 0) {
		printf("open :tt failed\n");
		return 1;
	}
	char buf[100];
	int lines = 0, start = 1;
	long bytes = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (start) {
				printf("%d: ", ++lines);
				start = 0;
			}
			putchar(toupper((unsigned char)buf[i]));
			start = buf[i] == '\n';
		}
		bytes += n;
	}
	if (!start)
		putchar('\n');
	printf("%d lines, %ld bytes\n", lines, bytes);
	return 0;
}
