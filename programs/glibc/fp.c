/* Floating point as glibc programs use it: float and double arithmetic,
 * printf's %g, %.17g and %a, libm (sqrt, exp, log, sin, cos, pow, fma),
 * conversions to and from integers, comparisons and classification, the
 * rounding modes through fesetround and the exception flags through
 * fetestexcept. Every input goes through a volatile so that the compiler
 * cannot fold the operation: each line is computed by the F and D
 * instructions at run time. The output is deterministic; qemu-riscv64 is
 * the referee. Exits with the number of failed checks. */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int failed;

static void check(const char *what, int ok)
{
	if (!ok) {
		printf("FAILED: %s\n", what);
		failed++;
	}
}

static uint64_t bits64(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof u);
	return u;
}

static uint32_t bits32(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

static double from64(uint64_t u)
{
	double d;
	memcpy(&d, &u, sizeof d);
	return d;
}

static float from32(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

/* The flags raised since the last call, as letters (NV DZ OF UF NX). */
static const char *flags(void)
{
	static char s[32];
	int e = fetestexcept(FE_ALL_EXCEPT);
	snprintf(s, sizeof s, "%s%s%s%s%s", e & FE_INVALID ? " NV" : "", e & FE_DIVBYZERO ? " DZ" : "",
		 e & FE_OVERFLOW ? " OF" : "", e & FE_UNDERFLOW ? " UF" : "", e & FE_INEXACT ? " NX" : "");
	feclearexcept(FE_ALL_EXCEPT);
	return e ? s : " none";
}

static volatile double one = 1.0, two = 2.0, three = 3.0, ten = 10.0, zero = 0.0, mone = -1.0;
static volatile double qnan = NAN, big = 1e308, tiny = 1e-308, third = 1.0 / 3.0, half = 0.5;
static volatile float onef = 1.0f, threef = 3.0f, tenf = 10.0f, zerof = 0.0f, bigf = 3e38f, tinyf = 1e-38f;

static void arithmetic(void)
{
	printf("-- arithmetic\n");
	double a = one / three, b = two * third, c = ten - third, d = one + 1e-17;
	printf("double: %.17g %.17g %.17g %.17g\n", a, b, c, d);
	printf("double %%g: %g %g %g %g\n", a, big * 0.5, tiny * 3, -c);
	printf("double %%a: %a %a\n", a, c);
	float fa = onef / threef, fb = tenf * fa, fc = tenf - fa;
	printf("float: %.9g %.9g %.9g (bits %08x %08x)\n", fa, fb, fc, bits32(fa), bits32(fc));
	printf("sqrt: %.17g %.9g\n", sqrt(two), sqrtf(threef));
	double fm = fma(third, three, -one);
	float fmf = fmaf(onef / threef, threef, -onef);
	printf("fma: %a (the product unrounded), %a\n", fm, fmf);
	volatile double prod = third * three;
	printf("a*b-c rounded twice: %a\n", prod - one);
	printf("min/max: %g %g %g %g\n", fmin(one, mone), fmax(one, mone), fmin(zero, -zero), fmax(-zero, zero));
	printf("fmin with a NaN: %g %g\n", fmin(qnan, two), fmaxf((float)qnan, threef));
	printf("fabs/copysign/neg: %g %g %g\n", fabs(mone), copysign(three, mone), -ten);
	check("sqrt(2)^2 close to 2", fabs(sqrt(two) * sqrt(two) - 2) < 1e-15);
	check("fma rounds once", fm != prod - one);
}

static void library(void)
{
	printf("-- libm\n");
	printf("exp: %.17g %.17g\n", exp(one), exp(-ten));
	printf("log: %.17g %.17g\n", log(ten), log2(three));
	printf("sin/cos: %.17g %.17g %.17g\n", sin(one), cos(one), sin(1e6 * three));
	printf("pow: %.17g %.17g\n", pow(two, half), pow(ten, -three));
	printf("atan2/hypot: %.17g %.17g\n", atan2(one, mone), hypot(three, 4.0 * one));
	printf("float libm: %.9g %.9g %.9g\n", expf(onef), sinf(threef), logf(tenf));
	printf("floor/ceil/trunc/round: %g %g %g %g\n", floor(-2.5 * one), ceil(-2.5 * one), trunc(-2.5 * one), round(-2.5 * one));
	check("exp(log(10)) close to 10", fabs(exp(log(ten)) - 10) < 1e-14);
}

static void conversions(void)
{
	printf("-- conversions\n");
	volatile double x = 2.5, y = -2.5, huge = 1e30, nan = NAN;
	printf("(long) %ld %ld, (int) %d, (unsigned) %u\n", (long)x, (long)y, (int)(x * 3), (unsigned)(x * 4));
	printf("int to double: %.17g %.17g\n", (double)(long)(9007199254740993LL * (long)one),
	       (double)(unsigned long)(18446744073709551615ULL * (unsigned long)one));
	printf("long to float: %.9g\n", (float)(long)(16777217L * (long)one));
	printf("double to float: %.9g %a\n", (float)third, (double)(float)third);
	printf("float to double: %.17g\n", (double)(onef / threef));
	feclearexcept(FE_ALL_EXCEPT);
	long l = lrint(huge);
	printf("lrint(1e30): %ld flags%s\n", l, flags());
	printf("lrint(NaN): %ld flags%s\n", lrint(nan), flags());
	printf("llround(-2.5): %lld lround(2.5): %ld\n", llround(y), lround(x));
	int rm[] = {FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD};
	const char *rmn[] = {"nearest", "towardzero", "downward", "upward"};
	for (int i = 0; i < 4; i++) {
		fesetround(rm[i]);
		printf("%-10s lrint(2.5) %ld lrint(-2.5) %ld lrint(3.5) %ld rint(-0.5) %g nearbyint(1.5) %g lrintf(2.5f) %ld\n",
		       rmn[i], lrint(x), lrint(y), lrint(x + one), rint(-half), nearbyint(1.5 * one), lrintf((float)x));
	}
	fesetround(FE_TONEAREST);
}

static void rounding(void)
{
	printf("-- rounding modes\n");
	int rm[] = {FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD};
	const char *rmn[] = {"nearest", "towardzero", "downward", "upward"};
	for (int i = 0; i < 4; i++) {
		check("fesetround", fesetround(rm[i]) == 0);
		check("fegetround", fegetround() == rm[i]);
		double q = one / three, nq = mone / three, s = sqrt(two), m = third * ten, p = big + big;
		float qf = onef / threef, sf = sqrtf(tenf);
		double f = fma(third, three, -one);
		printf("%-10s 1/3 %a -1/3 %a sqrt2 %a 10/3 %a 2e308 %g\n", rmn[i], q, nq, s, m, p);
		printf("%-10s float 1/3 %a sqrt10 %a fma %a (float)1/3 %a\n", rmn[i], qf, sf, f, (double)(float)q);
	}
	fesetround(FE_TONEAREST);
	check("a bad rounding mode is refused", fesetround(12345) != 0);
}

static void exceptions(void)
{
	printf("-- exception flags\n");
	feclearexcept(FE_ALL_EXCEPT);
	printf("clear:%s\n", flags());
	volatile double r;
	volatile float rf;
	r = one + two;
	printf("1+2:%s\n", flags());
	r = one / three;
	printf("1/3:%s\n", flags());
	r = one / zero;
	printf("1/0 = %g:%s\n", r, flags());
	r = zero / zero;
	printf("0/0 = %g:%s\n", fabs(r), flags());
	r = sqrt(mone);
	printf("sqrt(-1) is NaN %d:%s\n", isnan(r), flags());
	r = big * ten;
	printf("1e308*10 = %g:%s\n", r, flags());
	r = tiny / 1e10;
	printf("1e-308/1e10 = %g:%s\n", r, flags());
	rf = bigf * tenf;
	printf("float 3e38*10 = %g:%s\n", rf, flags());
	rf = tinyf / tenf;
	printf("float 1e-38/10 = %g:%s\n", rf, flags());
	rf = zerof / zerof;
	printf("float 0/0 is NaN %d:%s\n", isnan(rf), flags());
	r = (double)(onef / threef);
	printf("float 1/3 to double:%s\n", flags());
	rf = (float)third;
	printf("1/3 to float:%s\n", flags());
	volatile int c = one < qnan;
	printf("1 < NaN = %d:%s\n", c, flags());
	c = one == qnan;
	printf("1 == NaN = %d:%s\n", c, flags());
	c = isless(one, qnan);
	printf("isless(1, NaN) = %d:%s\n", c, flags());
	volatile double snan = from64(0x7ff0000000000001ULL);
	r = snan + one;
	printf("sNaN+1 bits %016llx:%s\n", (unsigned long long)bits64(r), flags());
	r = fmax(snan, one);
	printf("fmax(sNaN, 1) = %g:%s\n", r, flags());
	volatile float snanf = from32(0x7f800001u);
	rf = fminf(snanf, onef);
	printf("fminf(sNaN, 1) = %g:%s\n", rf, flags());
	check("raise", feraiseexcept(FE_OVERFLOW) == 0 && fetestexcept(FE_OVERFLOW));
	printf("feraiseexcept(OF):%s\n", flags());
	fenv_t env;
	fegetenv(&env);
	fesetround(FE_UPWARD);
	r = one / three;
	fesetenv(&env);
	printf("after fesetenv: round %d%s\n", fegetround() == FE_TONEAREST, flags());
}

static void classify(void)
{
	printf("-- classification and bits\n");
	volatile double v[] = {0.0, -0.0, 1.0, -1.0, INFINITY, -INFINITY, NAN, 1e-310, DBL_MIN, DBL_MAX};
	for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++) {
		double x = v[i];
		printf("%-8g bits %016llx class %d nan %d inf %d normal %d signbit %d\n", x, (unsigned long long)bits64(x),
		       fpclassify(x), isnan(x), isinf(x), isnormal(x), signbit(x) != 0);
	}
	volatile float w[] = {0.0f, -0.0f, 1e-40f, FLT_MIN, FLT_MAX, INFINITY, NAN};
	for (unsigned i = 0; i < sizeof w / sizeof w[0]; i++) {
		float x = w[i];
		printf("%-8g bits %08x class %d\n", x, bits32(x), fpclassify(x));
	}
	printf("NaN result bits: %016llx %08x\n", (unsigned long long)bits64(zero / zero), bits32(zerof / zerof));
	printf("compare: %d %d %d %d\n", one < two, two <= two, three > two, -zero == zero);
}

/* Instructions that C does not reach as such, by inline assembly. */
static uint64_t fclass_d(double x)
{
	uint64_t r;
	__asm__ volatile("fclass.d %0, %1" : "=r"(r) : "f"(x));
	return r;
}

static uint64_t fclass_s(float x)
{
	uint64_t r;
	__asm__ volatile("fclass.s %0, %1" : "=r"(r) : "f"(x));
	return r;
}

/* fadd.s of a register written whole by fmv.d.x: a value that is not
 * NaN-boxed reads as the canonical NaN. */
static uint32_t boxed_add(uint64_t raw)
{
	float r;
	__asm__ volatile("fmv.d.x %0, %1\n\tfadd.s %0, %0, %0" : "=&f"(r) : "r"(raw));
	return bits32(r);
}

static void instructions(void)
{
	printf("-- instructions\n");
	volatile double snan = from64(0x7ff0000000000001ULL), qnanp = from64(0x7ff8000000000123ULL);
	volatile float snanf = from32(0x7f800001u);
	double r;
	float rf;
	feclearexcept(FE_ALL_EXCEPT);
	__asm__ volatile("fmax.d %0, %1, %2" : "=f"(r) : "f"(snan), "f"(one));
	printf("fmax.d(sNaN, 1) = %g:%s\n", r, flags());
	__asm__ volatile("fmin.d %0, %1, %2" : "=f"(r) : "f"(qnanp), "f"(mone));
	printf("fmin.d(qNaN, -1) = %g:%s\n", r, flags());
	__asm__ volatile("fmin.d %0, %1, %2" : "=f"(r) : "f"(qnanp), "f"(snan));
	printf("fmin.d(qNaN, sNaN) bits %016llx:%s\n", (unsigned long long)bits64(r), flags());
	__asm__ volatile("fmax.s %0, %1, %2" : "=f"(rf) : "f"(snanf), "f"(threef));
	printf("fmax.s(sNaN, 3) = %g:%s\n", rf, flags());
	__asm__ volatile("fmin.d %0, %1, %2" : "=f"(r) : "f"(-zero), "f"(zero));
	printf("fmin.d(-0, +0) = %g\n", r);
	r = qnanp + one;
	printf("qNaN with a payload + 1 bits %016llx:%s\n", (unsigned long long)bits64(r), flags());
	printf("NaN-boxing: fadd.s of 0x3f800000 unboxed %08x, boxed %08x\n", boxed_add(0x3f800000ULL),
	       boxed_add(0xffffffff3f800000ULL));
	int64_t x;
	__asm__ volatile("fmv.x.w %0, %1" : "=r"(x) : "f"(-onef));
	printf("fmv.x.w(-1.0f) %016llx\n", (unsigned long long)x);
	volatile double huge = 1e30, neg = -1.0;
	volatile int si = (int)huge;
	volatile unsigned su = (unsigned)neg;
	volatile long sl = (long)-huge;
	printf("saturating fcvt: (int)1e30 %d (unsigned)-1.0 %u (long)-1e30 %ld:%s\n", si, su, sl, flags());
	volatile double v[] = {-INFINITY, -1.0, -1e-310, -0.0, 0.0, 1e-310, 1.0, INFINITY};
	printf("fclass.d:");
	for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++)
		printf(" %#llx", (unsigned long long)fclass_d(v[i]));
	printf(" sNaN %#llx qNaN %#llx\n", (unsigned long long)fclass_d(snan), (unsigned long long)fclass_d(qnanp));
	printf("fclass.s: %#llx %#llx %#llx\n", (unsigned long long)fclass_s(snanf), (unsigned long long)fclass_s(-tinyf / 1e6f),
	       (unsigned long long)fclass_s(-onef));
	printf("fsgnj: %g %g %g\n", copysign(two, -zero), copysignf(threef, mone), fabs(-zero));
	/* Static rounding modes in the instruction, whatever frm holds. */
	fesetround(FE_UPWARD);
	feclearexcept(FE_ALL_EXCEPT);
	double q[5];
	__asm__ volatile("fdiv.d %0, %1, %2, rne" : "=f"(q[0]) : "f"(mone), "f"(three));
	__asm__ volatile("fdiv.d %0, %1, %2, rtz" : "=f"(q[1]) : "f"(mone), "f"(three));
	__asm__ volatile("fdiv.d %0, %1, %2, rdn" : "=f"(q[2]) : "f"(mone), "f"(three));
	__asm__ volatile("fdiv.d %0, %1, %2, rup" : "=f"(q[3]) : "f"(mone), "f"(three));
	__asm__ volatile("fdiv.d %0, %1, %2, rmm" : "=f"(q[4]) : "f"(mone), "f"(three));
	printf("fdiv.d -1/3 rne %a rtz %a rdn %a rup %a rmm %a\n", q[0], q[1], q[2], q[3], q[4]);
	long l[4];
	volatile double h = -2.5;
	__asm__ volatile("fcvt.l.d %0, %1, rne" : "=r"(l[0]) : "f"(h));
	__asm__ volatile("fcvt.l.d %0, %1, rmm" : "=r"(l[1]) : "f"(h));
	__asm__ volatile("fcvt.l.d %0, %1, rup" : "=r"(l[2]) : "f"(h));
	__asm__ volatile("fcvt.l.d %0, %1" : "=r"(l[3]) : "f"(h));
	printf("fcvt.l.d -2.5 rne %ld rmm %ld rup %ld dyn(upward) %ld:%s\n", l[0], l[1], l[2], l[3], flags());
	float fs;
	__asm__ volatile("fmadd.s %0, %1, %2, %3, rdn" : "=f"(fs) : "f"(onef / threef), "f"(threef), "f"(-onef));
	printf("fmadd.s rdn %a:%s\n", fs, flags());
	fesetround(FE_TONEAREST);
}

int main(void)
{
	arithmetic();
	library();
	conversions();
	rounding();
	exceptions();
	classify();
	instructions();
	printf("%d checks failed\n", failed);
	return failed;
}
