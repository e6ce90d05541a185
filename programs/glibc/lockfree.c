/* A benchmark of compare-and-swap loops as lock-free code runs them on one
 * thread: a Treiber stack of nodes (push and pop by
 * atomic_compare_exchange_weak on the head), a counter bumped by a strong
 * compare-exchange loop, and a 64-bit maximum kept by one, all of which
 * rv64gc compiles to LR/SC loops, with fetch_add (an AMO) beside them.
 * Prints checksums; the argument is the number of rounds (20000 by
 * default). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

struct node {
	struct node *next;
	long value;
};

static struct node nodes[64];
static _Atomic(struct node *) head;
static _Atomic long counter, maximum, added;

static void push(struct node *n)
{
	struct node *h = atomic_load_explicit(&head, memory_order_relaxed);
	do
		n->next = h;
	while (!atomic_compare_exchange_weak_explicit(&head, &h, n, memory_order_release, memory_order_relaxed));
}

static struct node *pop(void)
{
	struct node *h = atomic_load_explicit(&head, memory_order_acquire);
	while (h && !atomic_compare_exchange_weak_explicit(&head, &h, h->next, memory_order_acquire, memory_order_acquire))
		;
	return h;
}

static void bump(long by)
{
	long v = atomic_load(&counter);
	while (!atomic_compare_exchange_strong(&counter, &v, v + by))
		;
}

static void keep_max(long v)
{
	long m = atomic_load(&maximum);
	while (v > m && !atomic_compare_exchange_strong(&maximum, &m, v))
		;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	long sum = 0;
	unsigned long r = 88172645463325252ul;
	for (int i = 0; i < 64; i++) {
		nodes[i].value = i * 7 + 1;
		push(&nodes[i]);
	}
	for (long i = 0; i < n; i++) {
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		int k = 1 + (int)(r % 5);
		struct node *got[5];
		for (int j = 0; j < k; j++) {
			got[j] = pop();
			sum += got[j]->value;
		}
		for (int j = k - 1; j >= 0; j--)
			push(got[j]);
		bump((long)(r & 15));
		keep_max((long)(r >> 20 & 0xfffff));
		atomic_fetch_add(&added, k);
	}
	printf("rounds %ld\npopped %ld\ncounter %ld\nmaximum %ld\nadded %ld\ntop %ld\n", n, sum,
	       atomic_load(&counter), atomic_load(&maximum), atomic_load(&added), atomic_load(&head)->value);
	return 0;
}
