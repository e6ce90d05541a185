/* Writes numbered lines to stdout with write(2) until a write fails.
 *   sigpipe ignore   ignores SIGPIPE (rt_sigaction SIG_IGN) first: the
 *                    failing write must return -EPIPE; it says so on
 *                    stderr and exits 0 (1 for any other result);
 *   sigpipe          keeps SIGPIPE's default action: the first write to a
 *                    pipe with no reader kills it (status 141), so it
 *                    never gets past the loop (it would exit 2). */
#include <string.h>
#include <stdio.h>
#include "sys.h"

#define SYS_rt_sigaction 134
#define LX_SIGPIPE 13
#define LX_EPIPE 32

struct rv_sigaction { unsigned long handler, flags, mask; };

static long put(int fd, const char *s)
{
	return rv_write(fd, s, strlen(s));
}

int main(int argc, char **argv)
{
	int ignore = argc > 1 && strcmp(argv[1], "ignore") == 0;
	if (ignore) {
		struct rv_sigaction sa = { 1 /* SIG_IGN */, 0, 0 };
		if (sys6(SYS_rt_sigaction, LX_SIGPIPE, (long)&sa, 0, 8, 0, 0) != 0) {
			put(2, "sigpipe: rt_sigaction failed\n");
			return 3;
		}
	}
	char line[64];
	long r;
	unsigned long i;
	for (i = 0;; i++) {
		int n = snprintf(line, sizeof line, "line %lu\n", i);
		r = rv_write(1, line, (size_t)n);
		if (r != n)
			break;
	}
	snprintf(line, sizeof line, "sigpipe: write %lu returned %ld\n", i, r);
	put(2, line);
	if (!ignore)
		return 2;
	return r == -LX_EPIPE ? 0 : 1;
}
