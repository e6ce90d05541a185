/* Flat code, as generated programs have it: 2,000 small functions, each
 * called once a round from its own site in a long straight-line main, and
 * a small hot function called from 2,000 more sites. Every site runs once
 * a round, N rounds (argv[1], default 10): code that runs a few times
 * costs more to translate than to interpret, and the hot function is
 * entered from code that is never hot. The macros expand to the functions
 * f1000 ... f2999 and their sites. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

#define FN(n)                                                                   \
	__attribute__((noinline)) static uint64_t f##n(uint64_t x)             \
	{                                                                       \
		return (x * (2 * n + 3)) ^ (x >> (n % 13 + 1));                 \
	}
#define CALL(n) a = f##n(a);
#define HOT(n) b = hot(b, 2 * n + 1) + n;

#define TEN(M, p) M(p##0) M(p##1) M(p##2) M(p##3) M(p##4) M(p##5) M(p##6) M(p##7) M(p##8) M(p##9)
#define HUNDRED(M, p) TEN(M, p##0) TEN(M, p##1) TEN(M, p##2) TEN(M, p##3) TEN(M, p##4) \
	TEN(M, p##5) TEN(M, p##6) TEN(M, p##7) TEN(M, p##8) TEN(M, p##9)
#define THOUSAND(M, p) HUNDRED(M, p##0) HUNDRED(M, p##1) HUNDRED(M, p##2) HUNDRED(M, p##3) \
	HUNDRED(M, p##4) HUNDRED(M, p##5) HUNDRED(M, p##6) HUNDRED(M, p##7) HUNDRED(M, p##8) \
	HUNDRED(M, p##9)

THOUSAND(FN, 1)
THOUSAND(FN, 2)

/* The hot function: a short loop. */
__attribute__((noinline)) static uint64_t hot(uint64_t x, uint64_t k)
{
	for (int j = 0; j < 8; j++)
		x = (x * k) ^ (x >> 7);
	return x;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 10;
	uint64_t a = 1, b = 1;
	for (long r = 0; r < rounds; r++) {
		THOUSAND(CALL, 1)
		THOUSAND(CALL, 2)
		THOUSAND(HOT, 1)
		THOUSAND(HOT, 2)
	}
	printf("flat %ld rounds, checksum %016llx %016llx\n", rounds, (unsigned long long)a,
	       (unsigned long long)b);
	return 0;
}
