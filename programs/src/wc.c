/* Reads standard input through stdio (getchar, then sscanf on each line):
 * counts lines, words and bytes, adds up the integers it finds, and echoes
 * the longest line. (Lines are read with getchar rather than fgets: this
 * picolibc's fgets drops a last line that has no newline.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

/* Reads a line of at most n - 1 bytes, with its newline if any; NULL at
 * the end of input. */
static char *get_line(char *buf, int n)
{
	int i = 0, c = 0;
	while (i < n - 1 && (c = getchar()) != EOF) {
		buf[i++] = (char)c;
		if (c == '\n')
			break;
	}
	buf[i] = 0;
	return i ? buf : NULL;
}

int main(void)
{
	char line[512], longest[512] = "";
	long lines = 0, words = 0, bytes = 0, numbers = 0, sum = 0;
	while (get_line(line, sizeof line)) {
		size_t n = strlen(line);
		bytes += (long)n;
		if (n && line[n - 1] == '\n')
			lines++;
		int inword = 0;
		for (char *p = line; *p; p++) {
			if (isspace((unsigned char)*p))
				inword = 0;
			else if (!inword) {
				inword = 1;
				words++;
			}
		}
		/* Every token that reads as a whole integer. */
		const char *p = line;
		char tok[128];
		int used;
		while (sscanf(p, "%127s%n", tok, &used) == 1) {
			char *end;
			long v = strtol(tok, &end, 0);
			if (*end == 0) {
				numbers++;
				sum += v;
			}
			p += used;
		}
		if (strlen(line) > strlen(longest))
			strcpy(longest, line);
	}
	printf("lines %ld words %ld bytes %ld\n", lines, words, bytes);
	printf("numbers %ld sum %ld\n", numbers, sum);
	printf("longest: %s", longest);
	if (longest[0] && longest[strlen(longest) - 1] != '\n')
		printf("\n");
	return ferror(stdin) ? 1 : 0;
}
