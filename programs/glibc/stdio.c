/* Standard input through glibc's stdio: reads lines with getline, parses
 * numbers with strtod and strtol, sorts them with qsort, prints
 * statistics with %g, writes a summary to stdout with fwrite and reports
 * on stderr how much it read; isatty of stdin and stdout. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(void)
{
	printf("stdin is a terminal: %d, stdout: %d\n", isatty(0), isatty(1));
	char *line = NULL;
	size_t cap = 0, lines = 0, words = 0, bytes = 0, nnum = 0, maxnum = 16;
	double *nums = malloc(maxnum * sizeof *nums);
	ssize_t len;
	while ((len = getline(&line, &cap, stdin)) > 0) {
		lines++;
		bytes += len;
		for (char *p = line;;) {
			while (*p == ' ' || *p == '\t' || *p == '\n')
				p++;
			if (!*p)
				break;
			words++;
			char *end;
			errno = 0;
			double d = strtod(p, &end);
			if (end != p && (*end == 0 || *end == ' ' || *end == '\n' || *end == '\t')) {
				if (nnum == maxnum)
					nums = realloc(nums, (maxnum *= 2) * sizeof *nums);
				nums[nnum++] = d;
				p = end;
				continue;
			}
			while (*p && *p != ' ' && *p != '\t' && *p != '\n')
				p++;
		}
	}
	free(line);
	printf("%zu lines, %zu words, %zu bytes, %zu numbers\n", lines, words, bytes, nnum);
	if (nnum) {
		qsort(nums, nnum, sizeof *nums, cmp);
		double sum = 0, sq = 0;
		for (size_t i = 0; i < nnum; i++)
			sum += nums[i];
		double mean = sum / nnum;
		for (size_t i = 0; i < nnum; i++)
			sq += (nums[i] - mean) * (nums[i] - mean);
		printf("min %g max %g median %g mean %.17g stddev %g\n", nums[0], nums[nnum - 1], nums[nnum / 2], mean,
		       sqrt(sq / nnum));
	}
	free(nums);
	char summary[64];
	int n = snprintf(summary, sizeof summary, "summary: %zu/%zu/%zu\n", lines, words, bytes);
	fwrite(summary, 1, n, stdout);
	fprintf(stderr, "stdio: read %zu bytes\n", bytes);
	long v = strtol("  -0x7fffffff", NULL, 16);
	printf("strtol: %ld, strtod(\"1e-400\"): %g\n", v, strtod("1e-400", NULL));
	return 0;
}
