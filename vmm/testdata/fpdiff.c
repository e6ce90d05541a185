/* Differential test of the F and D extensions: every operation on a table
 * of boundary values, in every rounding mode, printing the result's bits
 * and fflags. rvsim's output must equal qemu-riscv64's (vmm/fp_test.go). */
#include <stdio.h>
#include <stdint.h>

static const uint64_t d[] = {
	0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000, 0xbff0000000000000,
	0x4008000000000000, 0x3fb999999999999a, 0x7fefffffffffffff, 0xffefffffffffffff,
	0x0010000000000000, 0x000fffffffffffff, 0x0000000000000001, 0x8000000000000001,
	0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000, 0x7ff4000000000000,
	0xfff8000000000001, 0x41dfffffffc00000, 0x41e0000000000000, 0xc1e0000000000000,
	0x43e0000000000000, 0xc3e0000000000000, 0x43f0000000000000, 0x4330000000000001,
	0x3fe0000000000000, 0x3ff8000000000000, 0x4004000000000000, 0xc004000000000000,
	0x3ff0000000000001, 0x47efffffe0000000, 0x36a0000000000000, 0x380fffffe0000000,
};
static const uint32_t s[] = {
	0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x40400000, 0x3dcccccd,
	0x7f7fffff, 0xff7fffff, 0x00800000, 0x007fffff, 0x00000001, 0x80000001,
	0x7f800000, 0xff800000, 0x7fc00000, 0x7fa00000, 0xffc00001, 0x4effffff,
	0x4f000000, 0xcf000000, 0x5f000000, 0xdf000000, 0x5f800000, 0x3f000000,
	0x3fc00000, 0x40200000, 0xc0200000, 0x3f800001, 0x4b000001, 0xcb7fffff,
};
static const uint64_t x[] = {
	0, 1, (uint64_t)-1, 0x7fffffff, 0x80000000, 0xffffffff80000000, 0x7fffffffffffffff,
	0x8000000000000000, 0xffffffff, 0x100000001, 0x1fffffffffffff, 0x20000000000001,
	0xfffffffffffff801, 0x1000001, 0x12345678, 0xfffffffffffffffe,
};
#define N(a) (sizeof(a) / sizeof(a[0]))

static unsigned flags(void) { unsigned f; __asm__ volatile("csrrw %0, fflags, zero" : "=r"(f)); return f; }
static void setrm(unsigned rm) { __asm__ volatile("csrw frm, %0" : : "r"(rm)); }

#define DD(name, insn) static uint64_t name(uint64_t a, uint64_t b) { \
	double fa, fb, fr; uint64_t r; \
	__asm__ volatile("fmv.d.x %1, %3\n\tfmv.d.x %2, %4\n\t" insn " %0, %1, %2\n\t" : "=&f"(fr), "=&f"(fa), "=&f"(fb) : "r"(a), "r"(b)); \
	__asm__ volatile("fmv.x.d %0, %1" : "=r"(r) : "f"(fr)); return r; }
#define SS(name, insn) static uint64_t name(uint64_t a, uint64_t b) { \
	float fa, fb, fr; uint64_t r; \
	__asm__ volatile("fmv.w.x %1, %3\n\tfmv.w.x %2, %4\n\t" insn " %0, %1, %2\n\t" : "=&f"(fr), "=&f"(fa), "=&f"(fb) : "r"(a), "r"(b)); \
	__asm__ volatile("fmv.x.w %0, %1" : "=r"(r) : "f"(fr)); return r; }
#define XDD(name, insn) static uint64_t name(uint64_t a, uint64_t b) { \
	double fa, fb; uint64_t r; \
	__asm__ volatile("fmv.d.x %1, %3\n\tfmv.d.x %2, %4\n\t" insn " %0, %1, %2\n\t" : "=r"(r), "=&f"(fa), "=&f"(fb) : "r"(a), "r"(b)); return r; }
#define XSS(name, insn) static uint64_t name(uint64_t a, uint64_t b) { \
	float fa, fb; uint64_t r; \
	__asm__ volatile("fmv.w.x %1, %3\n\tfmv.w.x %2, %4\n\t" insn " %0, %1, %2\n\t" : "=r"(r), "=&f"(fa), "=&f"(fb) : "r"(a), "r"(b)); return r; }
#define XD(name, insn) static uint64_t name(uint64_t a, uint64_t b) { \
	double fa; uint64_t r; (void)b; \
	__asm__ volatile("fmv.d.x %1, %2\n\t" insn " %0, %1\n\t" : "=r"(r), "=&f"(fa) : "r"(a)); return r; }
#define XS(name, insn) static uint64_t name(uint64_t a, uint64_t b) { \
	float fa; uint64_t r; (void)b; \
	__asm__ volatile("fmv.w.x %1, %2\n\t" insn " %0, %1\n\t" : "=r"(r), "=&f"(fa) : "r"(a)); return r; }
#define DX(name, insn) static uint64_t name(uint64_t a, uint64_t b) { \
	double fr; uint64_t r; (void)b; \
	__asm__ volatile(insn " %0, %1\n\t" : "=f"(fr) : "r"(a)); \
	__asm__ volatile("fmv.x.d %0, %1" : "=r"(r) : "f"(fr)); return r; }
#define SX(name, insn) static uint64_t name(uint64_t a, uint64_t b) { \
	float fr; uint64_t r; (void)b; \
	__asm__ volatile(insn " %0, %1\n\t" : "=f"(fr) : "r"(a)); \
	__asm__ volatile("fmv.x.w %0, %1" : "=r"(r) : "f"(fr)); return r; }
#define D1(name, insn) static uint64_t name(uint64_t a, uint64_t b) { \
	double fa, fr; uint64_t r; (void)b; \
	__asm__ volatile("fmv.d.x %1, %2\n\t" insn " %0, %1\n\t" : "=f"(fr), "=&f"(fa) : "r"(a)); \
	__asm__ volatile("fmv.x.d %0, %1" : "=r"(r) : "f"(fr)); return r; }
#define S1(name, insn) static uint64_t name(uint64_t a, uint64_t b) { \
	float fa, fr; uint64_t r; (void)b; \
	__asm__ volatile("fmv.w.x %1, %2\n\t" insn " %0, %1\n\t" : "=f"(fr), "=&f"(fa) : "r"(a)); \
	__asm__ volatile("fmv.x.w %0, %1" : "=r"(r) : "f"(fr)); return r; }
/* single from double register and back */
#define SD1(name, insn) static uint64_t name(uint64_t a, uint64_t b) { \
	double fa; float fr; uint64_t r; (void)b; \
	__asm__ volatile("fmv.d.x %1, %2\n\t" insn " %0, %1\n\t" : "=f"(fr), "=&f"(fa) : "r"(a)); \
	__asm__ volatile("fmv.x.w %0, %1" : "=r"(r) : "f"(fr)); return r; }
#define DS1(name, insn) static uint64_t name(uint64_t a, uint64_t b) { \
	float fa; double fr; uint64_t r; (void)b; \
	__asm__ volatile("fmv.w.x %1, %2\n\t" insn " %0, %1\n\t" : "=f"(fr), "=&f"(fa) : "r"(a)); \
	__asm__ volatile("fmv.x.d %0, %1" : "=r"(r) : "f"(fr)); return r; }
#define D3(name, insn) static uint64_t name3##name(uint64_t a, uint64_t b, uint64_t c) { \
	double fa, fb, fc, fr; uint64_t r; \
	__asm__ volatile("fmv.d.x %1, %4\n\tfmv.d.x %2, %5\n\tfmv.d.x %3, %6\n\t" insn " %0, %1, %2, %3\n\t" \
		: "=&f"(fr), "=&f"(fa), "=&f"(fb), "=&f"(fc) : "r"(a), "r"(b), "r"(c)); \
	__asm__ volatile("fmv.x.d %0, %1" : "=r"(r) : "f"(fr)); return r; }
#define S3(name, insn) static uint64_t name3##name(uint64_t a, uint64_t b, uint64_t c) { \
	float fa, fb, fc, fr; uint64_t r; \
	__asm__ volatile("fmv.w.x %1, %4\n\tfmv.w.x %2, %5\n\tfmv.w.x %3, %6\n\t" insn " %0, %1, %2, %3\n\t" \
		: "=&f"(fr), "=&f"(fa), "=&f"(fb), "=&f"(fc) : "r"(a), "r"(b), "r"(c)); \
	__asm__ volatile("fmv.x.w %0, %1" : "=r"(r) : "f"(fr)); return r; }

DD(fadd_d, "fadd.d") DD(fsub_d, "fsub.d") DD(fmul_d, "fmul.d") DD(fdiv_d, "fdiv.d")
DD(fmin_d, "fmin.d") DD(fmax_d, "fmax.d") DD(fsgnj_d, "fsgnj.d") DD(fsgnjn_d, "fsgnjn.d") DD(fsgnjx_d, "fsgnjx.d")
SS(fadd_s, "fadd.s") SS(fsub_s, "fsub.s") SS(fmul_s, "fmul.s") SS(fdiv_s, "fdiv.s")
SS(fmin_s, "fmin.s") SS(fmax_s, "fmax.s") SS(fsgnj_s, "fsgnj.s") SS(fsgnjn_s, "fsgnjn.s") SS(fsgnjx_s, "fsgnjx.s")
XDD(feq_d, "feq.d") XDD(flt_d, "flt.d") XDD(fle_d, "fle.d")
XSS(feq_s, "feq.s") XSS(flt_s, "flt.s") XSS(fle_s, "fle.s")
D1(fsqrt_d, "fsqrt.d") S1(fsqrt_s, "fsqrt.s")
XD(fclass_d, "fclass.d") XS(fclass_s, "fclass.s")
XD(fcvt_w_d, "fcvt.w.d") XD(fcvt_wu_d, "fcvt.wu.d") XD(fcvt_l_d, "fcvt.l.d") XD(fcvt_lu_d, "fcvt.lu.d")
XS(fcvt_w_s, "fcvt.w.s") XS(fcvt_wu_s, "fcvt.wu.s") XS(fcvt_l_s, "fcvt.l.s") XS(fcvt_lu_s, "fcvt.lu.s")
DX(fcvt_d_w, "fcvt.d.w") DX(fcvt_d_wu, "fcvt.d.wu") DX(fcvt_d_l, "fcvt.d.l") DX(fcvt_d_lu, "fcvt.d.lu")
SX(fcvt_s_w, "fcvt.s.w") SX(fcvt_s_wu, "fcvt.s.wu") SX(fcvt_s_l, "fcvt.s.l") SX(fcvt_s_lu, "fcvt.s.lu")
SD1(fcvt_s_d, "fcvt.s.d") DS1(fcvt_d_s, "fcvt.d.s")
D3(fmadd_d, "fmadd.d") D3(fmsub_d, "fmsub.d") D3(fnmsub_d, "fnmsub.d") D3(fnmadd_d, "fnmadd.d")
S3(fmadd_s, "fmadd.s") S3(fmsub_s, "fmsub.s") S3(fnmsub_s, "fnmsub.s") S3(fnmadd_s, "fnmadd.s")

/* static rounding modes, one instruction each */
static uint64_t fadd_rtz(uint64_t a, uint64_t b) {
	double fa, fb, fr; uint64_t r;
	__asm__ volatile("fmv.d.x %1, %3\n\tfmv.d.x %2, %4\n\tfadd.d %0, %1, %2, rtz" : "=&f"(fr), "=&f"(fa), "=&f"(fb) : "r"(a), "r"(b));
	__asm__ volatile("fmv.x.d %0, %1" : "=r"(r) : "f"(fr)); return r;
}
static uint64_t fmul_s_rup(uint64_t a, uint64_t b) {
	float fa, fb, fr; uint64_t r;
	__asm__ volatile("fmv.w.x %1, %3\n\tfmv.w.x %2, %4\n\tfmul.s %0, %1, %2, rup" : "=&f"(fr), "=&f"(fa), "=&f"(fb) : "r"(a), "r"(b));
	__asm__ volatile("fmv.x.w %0, %1" : "=r"(r) : "f"(fr)); return r;
}
static uint64_t fcvt_w_d_rmm(uint64_t a, uint64_t b) {
	double fa; uint64_t r; (void)b;
	__asm__ volatile("fmv.d.x %1, %2\n\tfcvt.w.d %0, %1, rmm" : "=r"(r), "=&f"(fa) : "r"(a)); return r;
}

struct op2 { const char *name; uint64_t (*f)(uint64_t, uint64_t); int kind; }; /* kind: 0 d, 1 s, 2 x */
static const struct op2 ops[] = {
	{"fadd.d", fadd_d, 0}, {"fsub.d", fsub_d, 0}, {"fmul.d", fmul_d, 0}, {"fdiv.d", fdiv_d, 0},
	{"fmin.d", fmin_d, 0}, {"fmax.d", fmax_d, 0}, {"fsgnj.d", fsgnj_d, 0}, {"fsgnjn.d", fsgnjn_d, 0},
	{"fsgnjx.d", fsgnjx_d, 0}, {"feq.d", feq_d, 0}, {"flt.d", flt_d, 0}, {"fle.d", fle_d, 0},
	{"fadd.d.rtz", fadd_rtz, 0},
	{"fadd.s", fadd_s, 1}, {"fsub.s", fsub_s, 1}, {"fmul.s", fmul_s, 1}, {"fdiv.s", fdiv_s, 1},
	{"fmin.s", fmin_s, 1}, {"fmax.s", fmax_s, 1}, {"fsgnj.s", fsgnj_s, 1}, {"fsgnjn.s", fsgnjn_s, 1},
	{"fsgnjx.s", fsgnjx_s, 1}, {"feq.s", feq_s, 1}, {"flt.s", flt_s, 1}, {"fle.s", fle_s, 1},
	{"fmul.s.rup", fmul_s_rup, 1},
};
static const struct op2 ops1[] = {
	{"fsqrt.d", fsqrt_d, 0}, {"fclass.d", fclass_d, 0}, {"fcvt.w.d", fcvt_w_d, 0}, {"fcvt.wu.d", fcvt_wu_d, 0},
	{"fcvt.l.d", fcvt_l_d, 0}, {"fcvt.lu.d", fcvt_lu_d, 0}, {"fcvt.s.d", fcvt_s_d, 0}, {"fcvt.w.d.rmm", fcvt_w_d_rmm, 0},
	{"fsqrt.s", fsqrt_s, 1}, {"fclass.s", fclass_s, 1}, {"fcvt.w.s", fcvt_w_s, 1}, {"fcvt.wu.s", fcvt_wu_s, 1},
	{"fcvt.l.s", fcvt_l_s, 1}, {"fcvt.lu.s", fcvt_lu_s, 1}, {"fcvt.d.s", fcvt_d_s, 1},
	{"fcvt.d.w", fcvt_d_w, 2}, {"fcvt.d.wu", fcvt_d_wu, 2}, {"fcvt.d.l", fcvt_d_l, 2}, {"fcvt.d.lu", fcvt_d_lu, 2},
	{"fcvt.s.w", fcvt_s_w, 2}, {"fcvt.s.wu", fcvt_s_wu, 2}, {"fcvt.s.l", fcvt_s_l, 2}, {"fcvt.s.lu", fcvt_s_lu, 2},
};
struct op3 { const char *name; uint64_t (*f)(uint64_t, uint64_t, uint64_t); int kind; };
static const struct op3 ops3[] = {
	{"fmadd.d", name3fmadd_d, 0}, {"fmsub.d", name3fmsub_d, 0}, {"fnmsub.d", name3fnmsub_d, 0}, {"fnmadd.d", name3fnmadd_d, 0},
	{"fmadd.s", name3fmadd_s, 1}, {"fmsub.s", name3fmsub_s, 1}, {"fnmsub.s", name3fnmsub_s, 1}, {"fnmadd.s", name3fnmadd_s, 1},
};

static uint64_t val(int kind, unsigned i) { return kind == 0 ? d[i % N(d)] : kind == 1 ? s[i % N(s)] : x[i % N(x)]; }
static unsigned count(int kind) { return kind == 0 ? N(d) : kind == 1 ? N(s) : N(x); }

/* With an argument, every result is printed; without, one FNV-1a hash of
 * the results and flags per operation and rounding mode. */
static int verbose;
static uint64_t hash = 0xcbf29ce484222325;
static void mix(uint64_t v) {
	for (int i = 0; i < 8; i++) {
		hash ^= (v >> (8 * i)) & 0xff;
		hash *= 0x100000001b3;
	}
}
#define OUT(...) do { if (verbose) printf(__VA_ARGS__); } while (0)
static void done(unsigned rm, const char *name) {
	if (!verbose)
		printf("%u %s %016lx\n", rm, name, (unsigned long)hash);
	hash = 0xcbf29ce484222325;
}

int main(int argc, char **argv) {
	unsigned long lines = 0;
	verbose = argc > 1;
	(void)argv;
	for (unsigned rm = 0; rm < 5; rm++) {
		setrm(rm);
		for (unsigned o = 0; o < N(ops); o++) {
			for (unsigned i = 0; i < count(ops[o].kind); i++)
				for (unsigned j = 0; j < count(ops[o].kind); j++) {
					uint64_t a = val(ops[o].kind, i), b = val(ops[o].kind, j);
					flags();
					uint64_t r = ops[o].f(a, b);
					unsigned fl = flags();
					mix(r), mix(fl), lines++;
					OUT("%u %s %lx %lx = %lx %x\n", rm, ops[o].name, (unsigned long)a, (unsigned long)b, (unsigned long)r, fl);
				}
			done(rm, ops[o].name);
		}
		for (unsigned o = 0; o < N(ops1); o++) {
			for (unsigned i = 0; i < count(ops1[o].kind); i++) {
				uint64_t a = val(ops1[o].kind, i);
				flags();
				uint64_t r = ops1[o].f(a, 0);
				unsigned fl = flags();
				mix(r), mix(fl), lines++;
				OUT("%u %s %lx = %lx %x\n", rm, ops1[o].name, (unsigned long)a, (unsigned long)r, fl);
			}
			done(rm, ops1[o].name);
		}
		for (unsigned o = 0; o < N(ops3); o++) {
			unsigned n = count(ops3[o].kind);
			for (unsigned i = 0; i < n; i++)
				for (unsigned j = 0; j < n; j += 3)
					for (unsigned k = 0; k < n; k += 2) {
						uint64_t a = val(ops3[o].kind, i), b = val(ops3[o].kind, j), c = val(ops3[o].kind, k);
						flags();
						uint64_t r = ops3[o].f(a, b, c);
						unsigned fl = flags();
						mix(r), mix(fl), lines++;
						OUT("%u %s %lx %lx %lx = %lx %x\n", rm, ops3[o].name, (unsigned long)a, (unsigned long)b,
						    (unsigned long)c, (unsigned long)r, fl);
					}
			done(rm, ops3[o].name);
		}
	}
	unsigned fcsr;
	__asm__ volatile("csrr %0, fcsr" : "=r"(fcsr));
	printf("lines %lu fcsr %x\n", lines, fcsr);
	return 0;
}
