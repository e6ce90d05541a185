/* Floating point through glibc (printf %a, libm, fenv rounding modes and
 * flags, fma, conversions): vmm/fp_test.go runs it under rvsim and
 * qemu-riscv64, static and dynamic, and compares the output. */
#include <fenv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile double vd[] = {0.1, -2.5, 1e308, 4.9e-324, 3.0, -0.0, 1.0 / 3.0};
static volatile float vf[] = {0.1f, -2.5f, 3.4e38f, 1.4e-45f, 3.0f};

int main(int argc, char **argv) {
	double acc = 0;
	for (int i = 0; i < 7; i++)
		for (int j = 0; j < 7; j++) {
			double a = vd[i], b = vd[j];
			printf("%a %a: + %a * %a / %a fma %a sqrt %a min %a\n", a, b, a + b, a * b, a / b, fma(a, b, acc),
			       sqrt(fabs(a)), fmin(a, b));
			acc += a * b;
		}
	for (int i = 0; i < 5; i++)
		for (int j = 0; j < 5; j++) {
			float a = vf[i], b = vf[j];
			printf("%a %a: + %a * %a / %a fmaf %a sqrtf %a\n", a, b, (double)(a + b), (double)(a * b), (double)(a / b),
			       (double)fmaf(a, b, 1.0f), (double)sqrtf(fabsf(a)));
		}
	int modes[] = {FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD};
	for (int m = 0; m < 4; m++) {
		fesetround(modes[m]);
		feclearexcept(FE_ALL_EXCEPT);
		volatile double x = vd[0] + vd[6], y = vd[2] * 10;
		volatile long l = lrint(-2.5), k = lrint(2.5);
		volatile float f = (float)vd[6];
		printf("mode %d: %a %a %ld %ld %a flags %#x\n", m, x, y, l, k, (double)f, fetestexcept(FE_ALL_EXCEPT));
	}
	fesetround(FE_TONEAREST);
	printf("%.17g %.9g %g %g %g\n", exp(1.0), (float)log(10.0), sin(1e6), pow(2.0, 0.5), atan2(-1, -1));
	char buf[64];
	snprintf(buf, sizeof buf, "%.3f", strtod("123.4565", NULL));
	printf("%s %d %ld %lu\n", buf, (int)-3.99, (long)1e18, (unsigned long)(double)(1ul << 63));
	printf("acc %a argc %d\n", acc, argc + (argv[0] != NULL));
	return 0;
}
