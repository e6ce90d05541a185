/* C11 atomics as a single-threaded program uses them (the A extension:
 * LR/SC and the AMO instructions, and libatomic's LR/SC loops for 8- and
 * 16-bit objects): fetch_add/sub/and/or/xor, exchange, strong and weak
 * compare_exchange that succeed and fail, loads and stores with every
 * memory order, atomic_flag as a spinlock, and the lock-free queries, on
 * int, long, short and char. It prints every old and new value and exits
 * with the number of failed checks; qemu-riscv64 is the referee. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

static int failed;

static void check(const char *what, bool ok)
{
	if (!ok) {
		printf("FAILED: %s\n", what);
		failed++;
	}
}

static _Atomic int ai = 5;
static _Atomic long al = 0x100000000L;
static _Atomic unsigned int au = 0xf0f0f0f0u;
static _Atomic unsigned long aul = 0xffffffff00000000UL;
static _Atomic short as = 1000;
static _Atomic char ac = 'a';
static atomic_flag lock = ATOMIC_FLAG_INIT;
static _Atomic long counters[8];

static void ints(void)
{
	printf("-- int\n");
	int old = atomic_fetch_add(&ai, 10);
	printf("fetch_add: old %d new %d\n", old, atomic_load(&ai));
	old = atomic_fetch_sub_explicit(&ai, 20, memory_order_acq_rel);
	printf("fetch_sub: old %d new %d\n", old, atomic_load(&ai));
	old = atomic_fetch_or(&ai, 0x70);
	printf("fetch_or: old %d new %d\n", old, atomic_load(&ai));
	old = atomic_fetch_and_explicit(&ai, 0x3c, memory_order_relaxed);
	printf("fetch_and: old %d new %d\n", old, atomic_load(&ai));
	old = atomic_fetch_xor_explicit(&ai, -1, memory_order_seq_cst);
	printf("fetch_xor: old %d new %d\n", old, atomic_load(&ai));
	old = atomic_exchange(&ai, 0x7fffffff);
	printf("exchange: old %d new %d\n", old, atomic_load(&ai));
	old = atomic_fetch_add(&ai, 1);
	printf("fetch_add wraps: old %d new %d\n", old, atomic_load(&ai));
	int expect = 0;
	bool ok = atomic_compare_exchange_strong(&ai, &expect, 42);
	printf("cas strong with a wrong expectation: %d, expected now %d, value %d\n", ok, expect, atomic_load(&ai));
	ok = atomic_compare_exchange_strong(&ai, &expect, 42);
	printf("cas strong with the right one: %d, value %d\n", ok, atomic_load(&ai));
	check("cas succeeds", ok && atomic_load(&ai) == 42);
	unsigned u = atomic_fetch_add(&au, 0x10101010u);
	printf("unsigned fetch_add: old %08x new %08x\n", u, atomic_load(&au));
}

static void longs(void)
{
	printf("-- long\n");
	long old = atomic_fetch_add(&al, 0x7fffffffL);
	printf("fetch_add: old %#lx new %#lx\n", old, atomic_load(&al));
	old = atomic_fetch_sub(&al, 0x200000000L);
	printf("fetch_sub: old %#lx new %ld\n", old, atomic_load(&al));
	old = atomic_fetch_or(&al, 0x5500000000000000L);
	printf("fetch_or: old %ld new %#lx\n", old, atomic_load(&al));
	old = atomic_fetch_and(&al, 0x0ff00000ffff0000L);
	printf("fetch_and: old %#lx new %#lx\n", old, atomic_load(&al));
	old = atomic_fetch_xor(&al, 0x123456789abcdef0L);
	printf("fetch_xor: old %#lx new %#lx\n", old, atomic_load(&al));
	old = atomic_exchange_explicit(&al, -1L, memory_order_acquire);
	printf("exchange: old %#lx new %ld\n", old, atomic_load_explicit(&al, memory_order_acquire));
	unsigned long uo = atomic_fetch_add(&aul, 0x100000000UL);
	printf("unsigned fetch_add wraps: old %#lx new %#lx\n", uo, atomic_load(&aul));
	long expect = -1;
	int tries = 0;
	while (!atomic_compare_exchange_weak(&al, &expect, expect * 3))
		tries++;
	printf("cas weak: value %ld after %d retries\n", atomic_load(&al), tries);
	expect = 7;
	bool ok = atomic_compare_exchange_weak_explicit(&al, &expect, 99, memory_order_release, memory_order_relaxed);
	printf("cas weak with a wrong expectation: %d, expected now %ld\n", ok, expect);
	check("failed cas leaves the value", !ok && atomic_load(&al) == -3);
	atomic_store_explicit(&al, 1234567890123L, memory_order_release);
	printf("store/load: %ld\n", atomic_load_explicit(&al, memory_order_relaxed));
	long sum = 0;
	for (int i = 0; i < 1000; i++) {
		atomic_fetch_add_explicit(&counters[i % 8], i, memory_order_relaxed);
		sum += i;
	}
	long total = 0;
	for (int i = 0; i < 8; i++)
		total += atomic_load(&counters[i]);
	printf("1000 fetch_adds over 8 counters: %ld (want %ld)\n", total, sum);
	check("counters", total == sum);
}

static void small(void)
{
	printf("-- short and char (LR/SC loops)\n");
	short so = atomic_fetch_add(&as, 30000);
	printf("short fetch_add: old %d new %d\n", so, atomic_load(&as));
	so = atomic_exchange(&as, -2);
	printf("short exchange: old %d new %d\n", so, atomic_load(&as));
	short se = -2;
	bool ok = atomic_compare_exchange_strong(&as, &se, 77);
	printf("short cas: %d value %d\n", ok, atomic_load(&as));
	char co = atomic_fetch_add(&ac, 1);
	printf("char fetch_add: old %c new %c\n", co, atomic_load(&ac));
	co = atomic_fetch_or(&ac, 0x20);
	printf("char fetch_or: old %c new %c\n", co, atomic_load(&ac));
	char ce = 'x';
	ok = atomic_compare_exchange_strong(&ac, &ce, 'z');
	printf("char cas with a wrong expectation: %d, expected now %c\n", ok, ce);
	check("char cas fails", !ok && ce == 'b');
}

/* amomin/amomax have no C11 spelling: inline assembly, as a lock-free
 * statistics counter would use them. */
#define AMO(insn, ptr, val)                                                                         \
	({                                                                                          \
		__typeof__(*(ptr)) old_;                                                            \
		__asm__ volatile(insn " %0, %2, %1" : "=r"(old_), "+A"(*(ptr)) : "r"(val) : "memory"); \
		old_;                                                                               \
	})

static void minmax(void)
{
	printf("-- amomin/amomax\n");
	static int wi = -5;
	static long dl = 100;
	int o = AMO("amomin.w", &wi, -7);
	printf("amomin.w: old %d new %d\n", o, wi);
	o = AMO("amomax.w.aq", &wi, 3);
	printf("amomax.w: old %d new %d\n", o, wi);
	o = AMO("amominu.w.rl", &wi, -1);
	printf("amominu.w: old %d new %d\n", o, wi);
	o = AMO("amomaxu.w.aqrl", &wi, -1);
	printf("amomaxu.w: old %d new %d\n", o, wi);
	long ol = AMO("amomin.d", &dl, -100L);
	printf("amomin.d: old %ld new %ld\n", ol, dl);
	ol = AMO("amomaxu.d", &dl, 5L);
	printf("amomaxu.d: old %ld new %ld\n", ol, dl);
	ol = AMO("amominu.d", &dl, 5L);
	printf("amominu.d: old %ld new %ld\n", ol, dl);
	ol = AMO("amomax.d", &dl, -1L);
	printf("amomax.d: old %ld new %ld\n", ol, dl);
	check("amomax.d", dl == 5);
}

static void flags(void)
{
	printf("-- atomic_flag\n");
	bool was = atomic_flag_test_and_set(&lock);
	bool again = atomic_flag_test_and_set_explicit(&lock, memory_order_acquire);
	printf("test_and_set: %d then %d\n", was, again);
	atomic_flag_clear_explicit(&lock, memory_order_release);
	was = atomic_flag_test_and_set(&lock);
	printf("after clear: %d\n", was);
	atomic_flag_clear(&lock);
	int held = 0;
	for (int i = 0; i < 100; i++) {
		while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire))
			;
		held++;
		atomic_flag_clear_explicit(&lock, memory_order_release);
	}
	printf("spinlock taken %d times\n", held);
	atomic_thread_fence(memory_order_seq_cst);
	atomic_signal_fence(memory_order_seq_cst);
	printf("lock free: flag %d char %d short %d int %d long %d pointer %d\n", ATOMIC_BOOL_LOCK_FREE,
	       atomic_is_lock_free(&ac), atomic_is_lock_free(&as), atomic_is_lock_free(&ai), atomic_is_lock_free(&al),
	       ATOMIC_POINTER_LOCK_FREE);
	check("int is lock free", atomic_is_lock_free(&ai));
	check("long is lock free", atomic_is_lock_free(&al));
}

int main(void)
{
	ints();
	longs();
	small();
	minmax();
	flags();
	printf("%d checks failed\n", failed);
	return failed;
}
