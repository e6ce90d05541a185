/* picolibc string functions and formatting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 200;
	char buf[256], copy[256];
	unsigned long h = 5381;
	for (int r = 0; r < rounds; r++) {
		snprintf(buf, sizeof buf, "alpha %d,beta %x;gamma %-5s|delta %+08d end", r, r * 7919, "ab", -r * 13);
		strcpy(copy, buf);
		for (char *p = copy; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		for (char *tok = strtok(copy, " ,;|"); tok; tok = strtok(NULL, " ,;|"))
			for (const char *q = tok; *q; q++)
				h = h * 33 + (unsigned char)*q;
		long v = strtol(strchr(buf, '+') ? strchr(buf, '+') : "0", NULL, 10);
		int a = 0, b = 0;
		sscanf(buf, "alpha %d,beta %x", &a, &b);
		h += (unsigned long)(v + a + b) + strlen(buf) + (strstr(buf, "gamma") - buf);
		h ^= (unsigned long)memcmp(buf, copy, 5) & 0xff;
	}
	printf("strings rounds %d hash %lu last \"%s\"\n", rounds, h, buf);
	return 0;
}
