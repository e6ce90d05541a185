/* A benchmark of glibc's rounding functions: floor, ceil, trunc, round,
 * lround, llrint, nearbyint and rint on a walk of doubles and floats with
 * fractions of every kind (halves included), their sum and a count of the
 * results' classes, and fetestexcept's view of the inexact flag, which
 * these functions (but not lrint and llrint) leave as they found it.
 * glibc's rv64gc code rounds with fcvt in a static rounding mode between
 * frflags and fsflags. Prints the sums and counts; the argument is the
 * number of steps (20000 by default). */
#include <fenv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	volatile double step = 0.3125, grow = 1.0000003;
	double x = -2.5, sum = 0;
	float xf = -2.5f, sumf = 0;
	long li = 0, classes[5] = {0};
	int leaked = 0;
	for (long i = 0; i < n; i++) {
		x = x * grow + step;
		if (x > 3e6)
			x = -x / 7;
		xf = (float)x / 3;
		volatile double a = -x, b = x * 3, c = x / 2, d = x * 5, e = x;
		volatile float af = -xf, bf = xf / 2, cf = xf * 3, ef = xf;
		feclearexcept(FE_ALL_EXCEPT);
		double r = floor(e) + ceil(a) + trunc(b) + round(c) + nearbyint(d);
		float rf = floorf(ef) + ceilf(af) + roundf(bf) + truncf(cf);
		if (fetestexcept(FE_INEXACT))
			leaked++; /* the sums are of integers: exact */
		sum += r;
		sumf += rf;
		li += lround(x / 4) + llrint(x * 7) + lroundf(xf) + (long)rint(x / 3);
		switch (fpclassify(sum)) {
		case FP_NAN: classes[0]++; break;
		case FP_INFINITE: classes[1]++; break;
		case FP_ZERO: classes[2]++; break;
		case FP_SUBNORMAL: classes[3]++; break;
		default: classes[4]++;
		}
	}
	printf("steps %ld\nsum %.17g\nsumf %.9g\nints %ld\n", n, sum, (double)sumf, li);
	printf("classes nan %ld inf %ld zero %ld subnormal %ld normal %ld\n", classes[0], classes[1], classes[2], classes[3], classes[4]);
	printf("inexact raised by the functions that must not: %d\n", leaked);
	return 0;
}
