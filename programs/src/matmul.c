/* Integer matrix multiply. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

#define M 64
static int64_t a[M][M], b[M][M], c[M][M];

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 2;
	for (int i = 0; i < M; i++)
		for (int j = 0; j < M; j++) {
			a[i][j] = (i * 7 + j * 3) % 23 - 11;
			b[i][j] = (i * 5 - j * 2) % 19 - 9;
		}
	int64_t trace = 0;
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < M; i++)
			for (int j = 0; j < M; j++) {
				int64_t s = 0;
				for (int k = 0; k < M; k++)
					s += a[i][k] * b[k][j];
				c[i][j] = s;
			}
		for (int i = 0; i < M; i++) {
			trace += c[i][i];
			a[i][(i + r) % M] += c[i][M - 1 - i] % 5;
		}
	}
	printf("matmul %dx%d rounds %d trace %lld c[3][5] %lld\n", M, M, rounds, (long long)trace, (long long)c[3][5]);
	return 0;
}
