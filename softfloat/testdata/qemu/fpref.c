/* Runs one RISC-V F/D instruction per input line, the way the hardware
   (here qemu-riscv64) does, and prints the result bits and fflags.
   Input lines: "<mnemonic> <rm> <a> <b> <c>" (rm 0-4, operands hex bit
   patterns); output lines: "<result hex> <fflags hex>". Single-precision
   operands are the low 32 bits, NaN-boxed by fmv.w.x; single results are
   printed as their 32 bits; integer results as the 64-bit register.
   Used by softfloat's qemu cross-check test; built by the test itself. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static double D(uint64_t a) { double d; memcpy(&d, &a, 8); return d; }
static float S(uint64_t a) { uint32_t w = (uint32_t)a; float f; memcpy(&f, &w, 4); return f; }
static uint64_t BD(double d) { uint64_t a; memcpy(&a, &d, 8); return a; }
static uint64_t BS(float f) { uint32_t w; memcpy(&w, &f, 4); return w; }

#define FF(insn) asm volatile(insn " %0,%1,%2" : "=f"(fz) : "f"(fx), "f"(fy))
#define DD(insn) asm volatile(insn " %0,%1,%2" : "=f"(dz) : "f"(dx), "f"(dy))

int main(void) {
	char op[32];
	unsigned rm;
	unsigned long a, b, c;
	while (scanf("%31s %u %lx %lx %lx", op, &rm, &a, &b, &c) == 5) {
		double dx = D(a), dy = D(b), dc = D(c), dz = 0;
		float fx = S(a), fy = S(b), fc = S(c), fz = 0;
		uint64_t r = 0, fl;
		int kind = 0; /* 0: integer r, 1: double dz, 2: float fz */
		asm volatile("fsrm %0" ::"r"(rm));
		asm volatile("fsflags x0");
		if (!strcmp(op, "fadd.d")) { DD("fadd.d"); kind = 1; }
		else if (!strcmp(op, "fsub.d")) { DD("fsub.d"); kind = 1; }
		else if (!strcmp(op, "fmul.d")) { DD("fmul.d"); kind = 1; }
		else if (!strcmp(op, "fdiv.d")) { DD("fdiv.d"); kind = 1; }
		else if (!strcmp(op, "fmin.d")) { DD("fmin.d"); kind = 1; }
		else if (!strcmp(op, "fmax.d")) { DD("fmax.d"); kind = 1; }
		else if (!strcmp(op, "fsqrt.d")) { asm volatile("fsqrt.d %0,%1" : "=f"(dz) : "f"(dx)); kind = 1; }
		else if (!strcmp(op, "fmadd.d")) { asm volatile("fmadd.d %0,%1,%2,%3" : "=f"(dz) : "f"(dx), "f"(dy), "f"(dc)); kind = 1; }
		else if (!strcmp(op, "feq.d")) asm volatile("feq.d %0,%1,%2" : "=r"(r) : "f"(dx), "f"(dy));
		else if (!strcmp(op, "flt.d")) asm volatile("flt.d %0,%1,%2" : "=r"(r) : "f"(dx), "f"(dy));
		else if (!strcmp(op, "fle.d")) asm volatile("fle.d %0,%1,%2" : "=r"(r) : "f"(dx), "f"(dy));
		else if (!strcmp(op, "fclass.d")) asm volatile("fclass.d %0,%1" : "=r"(r) : "f"(dx));
		else if (!strcmp(op, "fcvt.w.d")) asm volatile("fcvt.w.d %0,%1" : "=r"(r) : "f"(dx));
		else if (!strcmp(op, "fcvt.wu.d")) asm volatile("fcvt.wu.d %0,%1" : "=r"(r) : "f"(dx));
		else if (!strcmp(op, "fcvt.l.d")) asm volatile("fcvt.l.d %0,%1" : "=r"(r) : "f"(dx));
		else if (!strcmp(op, "fcvt.lu.d")) asm volatile("fcvt.lu.d %0,%1" : "=r"(r) : "f"(dx));
		else if (!strcmp(op, "fcvt.d.w")) { asm volatile("fcvt.d.w %0,%1" : "=f"(dz) : "r"(a)); kind = 1; }
		else if (!strcmp(op, "fcvt.d.wu")) { asm volatile("fcvt.d.wu %0,%1" : "=f"(dz) : "r"(a)); kind = 1; }
		else if (!strcmp(op, "fcvt.d.l")) { asm volatile("fcvt.d.l %0,%1" : "=f"(dz) : "r"(a)); kind = 1; }
		else if (!strcmp(op, "fcvt.d.lu")) { asm volatile("fcvt.d.lu %0,%1" : "=f"(dz) : "r"(a)); kind = 1; }
		else if (!strcmp(op, "fcvt.s.d")) { asm volatile("fcvt.s.d %0,%1" : "=f"(fz) : "f"(dx)); kind = 2; }
		else if (!strcmp(op, "fcvt.d.s")) { asm volatile("fcvt.d.s %0,%1" : "=f"(dz) : "f"(fx)); kind = 1; }
		else if (!strcmp(op, "fadd.s")) { FF("fadd.s"); kind = 2; }
		else if (!strcmp(op, "fsub.s")) { FF("fsub.s"); kind = 2; }
		else if (!strcmp(op, "fmul.s")) { FF("fmul.s"); kind = 2; }
		else if (!strcmp(op, "fdiv.s")) { FF("fdiv.s"); kind = 2; }
		else if (!strcmp(op, "fmin.s")) { FF("fmin.s"); kind = 2; }
		else if (!strcmp(op, "fmax.s")) { FF("fmax.s"); kind = 2; }
		else if (!strcmp(op, "fsqrt.s")) { asm volatile("fsqrt.s %0,%1" : "=f"(fz) : "f"(fx)); kind = 2; }
		else if (!strcmp(op, "fmadd.s")) { asm volatile("fmadd.s %0,%1,%2,%3" : "=f"(fz) : "f"(fx), "f"(fy), "f"(fc)); kind = 2; }
		else if (!strcmp(op, "feq.s")) asm volatile("feq.s %0,%1,%2" : "=r"(r) : "f"(fx), "f"(fy));
		else if (!strcmp(op, "flt.s")) asm volatile("flt.s %0,%1,%2" : "=r"(r) : "f"(fx), "f"(fy));
		else if (!strcmp(op, "fle.s")) asm volatile("fle.s %0,%1,%2" : "=r"(r) : "f"(fx), "f"(fy));
		else if (!strcmp(op, "fclass.s")) asm volatile("fclass.s %0,%1" : "=r"(r) : "f"(fx));
		else if (!strcmp(op, "fcvt.w.s")) asm volatile("fcvt.w.s %0,%1" : "=r"(r) : "f"(fx));
		else if (!strcmp(op, "fcvt.wu.s")) asm volatile("fcvt.wu.s %0,%1" : "=r"(r) : "f"(fx));
		else if (!strcmp(op, "fcvt.l.s")) asm volatile("fcvt.l.s %0,%1" : "=r"(r) : "f"(fx));
		else if (!strcmp(op, "fcvt.lu.s")) asm volatile("fcvt.lu.s %0,%1" : "=r"(r) : "f"(fx));
		else if (!strcmp(op, "fcvt.s.w")) { asm volatile("fcvt.s.w %0,%1" : "=f"(fz) : "r"(a)); kind = 2; }
		else if (!strcmp(op, "fcvt.s.wu")) { asm volatile("fcvt.s.wu %0,%1" : "=f"(fz) : "r"(a)); kind = 2; }
		else if (!strcmp(op, "fcvt.s.l")) { asm volatile("fcvt.s.l %0,%1" : "=f"(fz) : "r"(a)); kind = 2; }
		else if (!strcmp(op, "fcvt.s.lu")) { asm volatile("fcvt.s.lu %0,%1" : "=f"(fz) : "r"(a)); kind = 2; }
		else { printf("unknown %s\n", op); return 1; }
		asm volatile("frflags %0" : "=r"(fl));
		if (kind == 1) r = BD(dz);
		if (kind == 2) r = BS(fz);
		printf("%lx %lx\n", (unsigned long)r, (unsigned long)fl);
	}
	return 0;
}
