// lrscread: an LR/SC pair around a read into the reserved bytes. A read
// that returns no bytes writes nothing, so the reservation holds and the
// SC succeeds (sc=0); a read that returns bytes breaks it (sc=1). rvsim
// must answer as qemu-riscv64 does, in run, record and replay alike.
#include <stdio.h>

static long buf[8] __attribute__((aligned(64)));

static void lrsc_read(const char *what, long n) {
	long sc, ret;
	__asm__ volatile(
	    "lr.d t3, (%[b])\n"
	    "li a0, 0\n mv a1, %[b]\n mv a2, %[n]\n li a7, 63\n ecall\n mv %[ret], a0\n"
	    "li t4, 77\n sc.d %[sc], t4, (%[b])\n"
	    : [sc] "=&r"(sc), [ret] "=&r"(ret)
	    : [b] "r"(buf), [n] "r"(n)
	    : "a0", "a1", "a2", "a7", "t3", "t4", "memory");
	printf("%s: read=%ld sc=%ld\n", what, ret, sc);
}

int main(void) {
	lrsc_read("read 8", 8);
	lrsc_read("read 0", 0);
	lrsc_read("read 8 again", 8);
	return 0;
}
