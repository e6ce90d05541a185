/* CRC-32 (bitwise and table-driven) and FNV-1a over a generated buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

static uint32_t table[256];

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 4;
	static uint8_t buf[1 << 16];
	for (unsigned i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 131 + (i >> 8) * 7);
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		table[i] = c;
	}
	uint32_t crc = 0xFFFFFFFFu, bit = 0xFFFFFFFFu;
	uint64_t fnv = 0xcbf29ce484222325ull;
	for (int r = 0; r < rounds; r++)
		for (unsigned i = 0; i < sizeof buf; i++) {
			crc = table[(crc ^ buf[i]) & 0xFF] ^ (crc >> 8);
			fnv = (fnv ^ buf[i]) * 0x100000001b3ull;
			if (r == 0) {
				bit ^= buf[i];
				for (int k = 0; k < 8; k++)
					bit = bit & 1 ? 0xEDB88320u ^ (bit >> 1) : bit >> 1;
			}
		}
	printf("crc32 %08x bitwise-first-round %08x fnv1a %016llx\n", ~crc, ~bit, (unsigned long long)fnv);
	return 0;
}
