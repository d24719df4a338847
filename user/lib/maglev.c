// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xlb/abi.h>

#include "lib/maglev.h"

/* n^e mod m for m < 2^32: every product fits 64 bits. */
static __u32 pow_mod(__u32 b, __u32 e, __u32 m)
{
	__u64 r = 1, x = b % m;

	while (e) {
		if (e & 1)
			r = r * x % m;
		x = x * x % m;
		e >>= 1;
	}
	return (__u32)r;
}

/*
 * Miller-Rabin with the bases 2, 7 and 61 has no false positive below
 * 4,759,123,141 (Jaeschke 1993), which covers every __u32.
 */
bool xlb_is_prime(__u32 n)
{
	static const __u32 small[] = { 2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31,
				       37, 41, 43, 47, 53, 59, 61 };
	static const __u32 bases[] = { 2, 7, 61 };
	__u32 d = n - 1;
	unsigned int s = 0, i, r;

	if (n < 2)
		return false;
	for (i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		if (n == small[i])
			return true;
		if (n % small[i] == 0)
			return false;
	}
	while (!(d & 1)) {
		d >>= 1;
		s++;
	}
	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		__u64 x = pow_mod(bases[i], d, n);

		if (x == 1 || x == n - 1)
			continue;
		for (r = 1; r < s; r++) {
			x = x * x % n;
			if (x == n - 1)
				break;
		}
		if (r == s)
			return false;
	}
	return true;
}

/* splitmix64's output function: a bijection with full avalanche. */
static __u64 mix64(__u64 z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#define GOLDEN_GAMMA 0x9e3779b97f4a7c15ULL

void xlb_maglev_perm(__u32 id, __u32 seed, __u32 m, __u32 *offset,
		     __u32 *skip)
{
	/*
	 * The first two outputs of a splitmix64 stream keyed by (seed, id):
	 * independent enough that offset and skip do not correlate, and the
	 * seed moves every backend's list, not just its start.
	 */
	__u64 key = (__u64)seed << 32 | id;

	*offset = (__u32)(mix64(key + GOLDEN_GAMMA) % m);
	*skip = (__u32)(mix64(key + 2 * GOLDEN_GAMMA) % (m - 1)) + 1;
}

struct mg_be {
	__u64 next_round; /* the round-robin round of this backend's next claim */
	__u32 id;
	__u32 weight;
	__u32 pos; /* next slot of its preference list to try */
	__u32 skip;
	__u32 claims;
};

static int cmp_id(const void *a, const void *b)
{
	const struct mg_be *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Weighted round-robin, in rounds 1, 2, ...: each backend adds its weight
 * to a credit and claims a slot whenever the credit reaches max_w. Its k-th
 * claim thus falls in round ceil(k * max_w / w), and within a round backends
 * go in id order. A min-heap on (round, index) replays exactly that order in
 * O(log n) per slot, where scanning every backend every round would cost
 * O(n) per round even for backends whose turn is far off (weights 1 and
 * 1000000 would take a million rounds of n steps).
 */
static bool before(const struct mg_be *b, __u32 x, __u32 y)
{
	if (b[x].next_round != b[y].next_round)
		return b[x].next_round < b[y].next_round;
	return x < y;
}

static void sift_down(const struct mg_be *b, __u32 *heap, __u32 len, __u32 i)
{
	__u32 top = heap[i];

	for (;;) {
		__u32 c = 2 * i + 1;

		if (c >= len)
			break;
		if (c + 1 < len && before(b, heap[c + 1], heap[c]))
			c++;
		if (!before(b, heap[c], top))
			break;
		heap[i] = heap[c];
		i = c;
	}
	heap[i] = top;
}

static __u64 claim_round(__u32 k, __u32 max_w, __u32 w)
{
	/* k <= 2^24 and max_w < 2^32: the product fits 64 bits. */
	return ((__u64)k * max_w + w - 1) / w;
}

int xlb_maglev_build(const struct xlb_maglev_backend *bes, size_t n,
		     __u32 seed, __u32 m, __u32 *table)
{
	struct mg_be *b = NULL;
	__u32 *heap = NULL;
	__u32 i, len = 0, max_w = 0, filled;
	size_t j;

	if (!table || (n && !bes))
		return -EINVAL;
	if (m < 3 || m > XLB_MAGLEV_MAX_SIZE || !xlb_is_prime(m) || n > m)
		return -EINVAL;

	b = calloc(n ? n : 1, sizeof(*b));
	heap = calloc(n ? n : 1, sizeof(*heap));
	if (!b || !heap) {
		free(b);
		free(heap);
		return -ENOMEM;
	}
	for (j = 0; j < n; j++) {
		b[j].id = bes[j].id;
		b[j].weight = bes[j].weight;
	}
	/* Sorting makes the table a function of the set, not of its order. */
	qsort(b, n, sizeof(*b), cmp_id);
	for (j = 0; j < n; j++) {
		if (!b[j].id || (j && b[j].id == b[j - 1].id)) {
			free(b);
			free(heap);
			return -EINVAL;
		}
		if (b[j].weight > max_w)
			max_w = b[j].weight;
	}

	/* 0 is "no backend": it doubles as the "slot free" mark below. */
	memset(table, 0, (size_t)m * sizeof(*table));
	for (j = 0; j < n; j++) {
		if (!b[j].weight)
			continue;
		xlb_maglev_perm(b[j].id, seed, m, &b[j].pos, &b[j].skip);
		b[j].next_round = claim_round(1, max_w, b[j].weight);
		heap[len++] = (__u32)j;
	}
	if (len) {
		for (i = len / 2; i-- > 0;)
			sift_down(b, heap, len, i);
	}

	for (filled = 0; len && filled < m; filled++) {
		struct mg_be *be = &b[heap[0]];

		/*
		 * The list is a full cycle of the slots (m prime, skip in
		 * 1 .. m-1) and a slot is still free, so this ends.
		 */
		for (;;) {
			__u32 slot = be->pos;

			be->pos += be->skip;
			if (be->pos >= m)
				be->pos -= m;
			if (!table[slot]) {
				table[slot] = be->id;
				break;
			}
		}
		be->claims++;
		be->next_round = claim_round(be->claims + 1, max_w, be->weight);
		sift_down(b, heap, len, 0);
	}

	free(b);
	free(heap);
	return 0;
}
