/* A bare-metal C program: prints through HTIF (stdout and stderr), shows
 * the machine's identity CSRs, and checks that the host's write replies
 * with the byte count and that the formatting works. Exits with status 0,
 * or with the number of the failed check. */
#include "htif.h"

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

int main(void)
{
	bare_putstr("Hello from bare metal!\n");
	bare_printf("misa      %#lx\n", csr_read(misa));
	bare_printf("mhartid   %lu\n", csr_read(mhartid));
	bare_printf("mstatus   %#lx\n", csr_read(mstatus));
	bare_printf("mvendorid %lu marchid %lu mimpid %lu\n", csr_read(mvendorid), csr_read(marchid), csr_read(mimpid));

	static const char line[] = "a line on stderr\n";
	long n = bare_write(2, line, sizeof line - 1);
	if (n != (long)sizeof line - 1)
		return 1;
	if (bare_write(1, "", 0) != 0)
		return 2;

	char buf[96];
	int len = bare_snprintf(buf, sizeof buf, "%d|%5d|%-5d|%05d|%u|%x|%X|%#lx|%lld|%s|%c|%%|%o", -42, 7, 7, -42,
				4000000000u, 0xbeefu, 0xbeefu, 0x80000000ul, -9000000000ll, "str", 'c', 8u);
	bare_printf("formatted %s (%d)\n", buf, len);
	if (!streq(buf, "-42|    7|7    |-0042|4000000000|beef|BEEF|0x80000000|-9000000000|str|c|%|10"))
		return 3;
	if (len != 76)
		return 4;
	char small[8];
	len = bare_snprintf(small, sizeof small, "%s", "truncated output");
	if (len != 16 || !streq(small, "truncat"))
		return 5;

	if (csr_read(misa) != 0x800000000010112dul)
		return 6;
	bare_printf("all checks passed\n");
	return 0;
}
