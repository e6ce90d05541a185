/* CPU-heavy integer benchmark: arithmetic, multiply and divide, memory
 * traffic (array walks, a sieve, a hash table). argv[1] scales it: each
 * unit is about 2.2 million instructions; the default, 450, is about a
 * billion. The checksum depends on the scale only. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#define N 4096
static uint32_t arr[N];
static uint8_t sieve[65536];
static uint64_t table[1024];

static uint64_t round_(uint64_t seed)
{
	uint64_t h = seed;
	for (int i = 0; i < N; i++) {
		h = h * 6364136223846793005ull + 1442695040888963407ull;
		arr[i] = (uint32_t)(h >> 33);
	}
	uint64_t s = 0;
	for (int i = 0; i < N; i++) {
		uint32_t v = arr[i];
		s += v / (uint32_t)(i + 1) + v % 97;
		s ^= (uint64_t)v * (uint64_t)arr[(i * 7) & (N - 1)];
	}
	memset(sieve, 1, sizeof sieve);
	int primes = 0;
	for (int i = 2; i < 65536; i++) {
		if (!sieve[i])
			continue;
		primes++;
		for (int j = i * 2; j < 65536; j += i)
			sieve[j] = 0;
	}
	uint64_t probes = 0;
	for (int i = 0; i < N; i++) {
		uint64_t k = arr[i];
		unsigned slot = (unsigned)((k * 0x9E3779B97F4A7C15ull) >> 54);
		while (table[slot] != 0 && table[slot] != k) {
			slot = (slot + 1) & 1023;
			probes++;
		}
		table[slot] = k;
		if ((i & 1023) == 1023)
			memset(table, 0, sizeof table);
	}
	return s + probes * 131 + (uint64_t)primes * 31 + (uint64_t)(int64_t)((int64_t)s / -7);
}

int main(int argc, char **argv)
{
	long scale = argc > 1 ? atol(argv[1]) : 450;
	uint64_t sum = 0;
	for (long r = 0; r < scale; r++)
		sum += round_((uint64_t)r + 1);
	printf("bench scale %ld checksum %016llx\n", scale, (unsigned long long)sum);
	return 0;
}
