// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The Maglev table builder (user/maglev.c): even and weighted shares,
 * draining, movement when a backend goes, independence from input order,
 * seeding, argument checks, and the primality test behind table sizes.
 * Pure user space: no BPF, no root.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <xlb/abi.h>

#include "lib/maglev.h"

#define M_SMALL 1009
#define M_DEFAULT 65537
#define M_LARGE 1048573
#define M_ABOVE_MAX 16777259 /* smallest prime above 2^24 */
#define MAX_BE 1000

/* a builder that loops (a probe never finding a free slot) fails, not hangs */
TestSuite(maglev, .timeout = 30);

/* Knuth's MMIX LCG, fixed seeds: the same "random" sets on every run. */
static __u32 rnd(__u64 *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (__u32)(*s >> 33);
}

static __u32 *build_ok(const struct xlb_maglev_backend *bes, size_t n,
		       __u32 seed, __u32 m)
{
	__u32 *t = malloc((size_t)m * sizeof(*t));
	int err;

	cr_assert_not_null(t, "a table of %u slots can be allocated", m);
	err = xlb_maglev_build(bes, n, seed, m, t);
	cr_assert_eq(err, 0, "building %zu backends into %u slots returns 0, got %d",
		     n, m, err);
	return t;
}

/* Slots per backend id; ids must be at most @max_id. */
static __u32 *count_owners(const __u32 *t, __u32 m, __u32 max_id)
{
	__u32 *c = calloc(max_id + 1, sizeof(*c));

	cr_assert_not_null(c, "a count array can be allocated");
	for (__u32 i = 0; i < m; i++) {
		cr_assert_leq(t[i], max_id, "slot %u holds id %u, which no backend has",
			      i, t[i]);
		c[t[i]]++;
	}
	return c;
}

static void set_equal(struct xlb_maglev_backend *bes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bes[i] = (struct xlb_maglev_backend){ .id = i + 1, .weight = 1 };
}

Test(maglev, equal_weights_give_every_backend_floor_or_ceil_of_m_over_n)
{
	static const struct {
		size_t n;
		__u32 m;
	} cases[] = {
		{ 1, M_SMALL }, { 3, M_SMALL }, { 100, M_DEFAULT },
		{ 1000, M_DEFAULT }, { M_SMALL, M_SMALL }, { 10, M_LARGE },
	};
	static struct xlb_maglev_backend bes[M_SMALL];

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		size_t n = cases[k].n;
		__u32 m = cases[k].m, lo = m / n, hi = (m + n - 1) / n;
		__u32 *t, *c;

		set_equal(bes, n);
		t = build_ok(bes, n, 42, m);
		c = count_owners(t, m, n);
		cr_assert_eq(c[0], 0, "%u of %u slots are empty with %zu backends",
			     c[0], m, n);
		for (__u32 id = 1; id <= n; id++)
			cr_assert(c[id] == lo || c[id] == hi,
				  "backend %u owns %u slots, want %u or %u (N=%zu, M=%u)",
				  id, c[id], lo, hi, n, m);
		free(c);
		free(t);
	}
}

/*
 * Checks each backend's share against w / sum(w) * m. @slack_slots is the
 * absolute error allowed on top of @rel_tol of the ideal share.
 */
static void check_shares(const struct xlb_maglev_backend *bes, size_t n,
			 __u32 m, double rel_tol, double slack_slots)
{
	__u32 max_id = 0, *t, *c;
	double sum = 0, worst = 0, worst_slots = 0;

	for (size_t i = 0; i < n; i++) {
		sum += bes[i].weight;
		if (bes[i].id > max_id)
			max_id = bes[i].id;
	}
	t = build_ok(bes, n, 42, m);
	c = count_owners(t, m, max_id);
	cr_assert_eq(c[0], 0, "%u of %u slots are empty", c[0], m);
	for (size_t i = 0; i < n; i++) {
		double ideal = bes[i].weight / sum * m;
		double err = fabs(c[bes[i].id] - ideal);
		double bound = fmax(rel_tol * ideal, slack_slots);

		worst = fmax(worst, err / ideal);
		worst_slots = fmax(worst_slots, err);
		cr_assert_leq(err, bound,
			      "backend %u (weight %u) owns %u slots, %.2f from its ideal %.2f (bound %.2f)",
			      bes[i].id, bes[i].weight, c[bes[i].id], err, ideal,
			      bound);
	}
	cr_log_info("maglev: %zu weighted backends in %u slots: worst share error %.3f%% of ideal, %.2f slots\n",
		    n, m, 100 * worst, worst_slots);
	free(c);
	free(t);
}

Test(maglev, weights_1_2_3_4_get_shares_within_1_percent)
{
	static const struct xlb_maglev_backend bes[] = {
		{ 1, 1 }, { 2, 2 }, { 3, 3 }, { 4, 4 }
	};

	check_shares(bes, 4, M_DEFAULT, 0.01, 0);
}

/*
 * Slots are whole, so a backend whose ideal share is a few dozen slots
 * cannot be within 1%: one slot is already more than that. The builder
 * hands out slots in weighted rounds and stops mid-round, which leaves each
 * backend within about two slots of its exact share (measured worst over
 * such sets: 1.7). So the bound is 1% or 2 slots, whichever is larger; it
 * is 1% for every share of 200 slots or more.
 */
Test(maglev, fifty_random_weights_get_shares_within_1_percent_or_2_slots)
{
	struct xlb_maglev_backend bes[50];
	__u64 s = 2016;

	for (__u32 i = 0; i < 50; i++)
		bes[i] = (struct xlb_maglev_backend){ .id = 1 + 3 * i,
						      .weight = rnd(&s) % 100 + 1 };
	/* the lightest weight there is: the share where whole slots hurt most */
	bes[17].weight = 1;
	check_shares(bes, 50, M_DEFAULT, 0.01, 2.0);
}

Test(maglev, weight_0_owns_no_slot_and_the_others_fill_the_table)
{
	static const struct xlb_maglev_backend bes[] = {
		{ 10, 5 }, { 20, 0 }, { 30, 3 }, { 40, 0 }, { 50, 1 }
	};
	__u32 *t = build_ok(bes, 5, 42, M_DEFAULT);
	__u32 *c = count_owners(t, M_DEFAULT, 50);

	cr_assert_eq(c[20], 0, "draining backend 20 owns %u slots, want 0", c[20]);
	cr_assert_eq(c[40], 0, "draining backend 40 owns %u slots, want 0", c[40]);
	cr_assert_eq(c[0], 0, "%u slots are empty though 3 backends have weight",
		     c[0]);
	free(c);
	free(t);
}

/*
 * Draining then removing a backend must not move flows twice: the table
 * with the backend at weight 0 is the table without it.
 */
Test(maglev, weight_0_builds_the_same_table_as_leaving_the_backend_out)
{
	static const struct xlb_maglev_backend with[] = {
		{ 10, 5 }, { 20, 0 }, { 30, 3 }, { 40, 0 }, { 50, 1 }
	};
	static const struct xlb_maglev_backend without[] = {
		{ 10, 5 }, { 30, 3 }, { 50, 1 }
	};
	__u32 *a = build_ok(with, 5, 42, M_DEFAULT);
	__u32 *b = build_ok(without, 3, 42, M_DEFAULT);

	cr_assert(!memcmp(a, b, M_DEFAULT * sizeof(*a)),
		  "the table with two weight-0 backends equals the table without them");
	free(a);
	free(b);
}

static void check_all_zero(const char *what,
			   const struct xlb_maglev_backend *bes, size_t n)
{
	__u32 *t = malloc(M_SMALL * sizeof(*t));
	int err;

	cr_assert_not_null(t, "a table can be allocated");
	/* garbage first, so "all zero" proves the builder wrote the zeros */
	memset(t, 0xa5, M_SMALL * sizeof(*t));
	err = xlb_maglev_build(bes, n, 42, M_SMALL, t);
	cr_assert_eq(err, 0, "%s: build returns 0, got %d", what, err);
	for (__u32 i = 0; i < M_SMALL; i++)
		cr_assert_eq(t[i], 0, "%s: slot %u holds %#x, want 0 (no backend)",
			     what, i, t[i]);
	free(t);
}

Test(maglev, all_weights_0_or_no_backends_leave_every_slot_0)
{
	static const struct xlb_maglev_backend zero[] = {
		{ 1, 0 }, { 2, 0 }, { 3, 0 }
	};

	check_all_zero("three backends of weight 0", zero, 3);
	check_all_zero("no backends", zero, 0);
}

/*
 * Removing one of @n equal backends: its slots must all go to survivors,
 * and slots of survivors that change owner ("extra" movement, flows broken
 * for no reason) must stay rare. Measured at M = 65537: 0.5-0.6% of the
 * table for both N = 100 and N = 1000 (over seeds 1-3 and 42), so 1% leaves
 * room without hiding a regression to naive rehashing, which moves nearly
 * every slot.
 */
static void check_removal(size_t n, __u32 gone)
{
	static struct xlb_maglev_backend bes[MAX_BE];
	__u32 *before, *after, m = M_DEFAULT, owned = 0, extra = 0;

	set_equal(bes, n);
	before = build_ok(bes, n, 42, m);
	bes[gone - 1] = bes[n - 1];
	after = build_ok(bes, n - 1, 42, m);
	for (__u32 i = 0; i < m; i++) {
		if (before[i] == gone) {
			owned++;
			cr_assert(after[i] && after[i] != gone,
				  "slot %u of removed backend %u now holds %u, want a survivor",
				  i, gone, after[i]);
		} else if (after[i] != before[i]) {
			extra++;
		}
	}
	cr_log_info("maglev: removing 1 of %zu backends (M=%u): %u slots reassigned, %u extra moves (%.3f%% of M)\n",
		    n, m, owned, extra, 100.0 * extra / m);
	cr_assert_gt(owned, 0, "removed backend %u owned some slots", gone);
	cr_assert_lt(extra, m / 100,
		     "removing 1 of %zu backends moved %u slots of survivors (%.3f%% of M), want under 1%%",
		     n, extra, 100.0 * extra / m);
	free(before);
	free(after);
}

Test(maglev, removing_1_of_100_backends_moves_few_other_slots)
{
	check_removal(100, 50);
}

Test(maglev, removing_1_of_1000_backends_moves_few_other_slots)
{
	check_removal(1000, 500);
}

Test(maglev, shuffled_input_builds_a_byte_identical_table)
{
	struct xlb_maglev_backend bes[200];
	__u32 *ref, *t;
	__u64 s = 7;

	for (__u32 i = 0; i < 200; i++)
		bes[i] = (struct xlb_maglev_backend){ .id = 1000 + 17 * i,
						      .weight = rnd(&s) % 10 };
	ref = build_ok(bes, 200, 42, M_DEFAULT);
	for (int round = 0; round < 5; round++) {
		/* Fisher-Yates with a fixed seed: the same shuffles every run */
		for (__u32 i = 199; i > 0; i--) {
			__u32 j = rnd(&s) % (i + 1);
			struct xlb_maglev_backend tmp = bes[i];

			bes[i] = bes[j];
			bes[j] = tmp;
		}
		t = build_ok(bes, 200, 42, M_DEFAULT);
		cr_assert(!memcmp(ref, t, M_DEFAULT * sizeof(*t)),
			  "shuffle %d of the same backends builds the same table",
			  round);
		free(t);
	}
	free(ref);
}

Test(maglev, the_same_seed_builds_the_same_table_twice)
{
	static struct xlb_maglev_backend bes[100];
	__u32 *a, *b;

	set_equal(bes, 100);
	a = build_ok(bes, 100, 42, M_DEFAULT);
	b = build_ok(bes, 100, 42, M_DEFAULT);
	cr_assert(!memcmp(a, b, M_DEFAULT * sizeof(*a)),
		  "two builds with seed 42 give the same table");
	free(a);
	free(b);
}

/*
 * With independent tables a slot keeps its owner with chance 1/N, so for
 * N = 100 about 99% of slots differ; 90% still catches a seed that only
 * shifts the tables or is ignored in some bits.
 */
Test(maglev, different_seeds_build_mostly_different_tables)
{
	static const __u32 pairs[][2] = { { 0, 1 },
					  { 42, 43 },
					  { 0, 0x80000000 },
					  { 0xffffffff, 0x7fffffff } };
	static struct xlb_maglev_backend bes[100];

	set_equal(bes, 100);
	for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
		__u32 *a = build_ok(bes, 100, pairs[k][0], M_DEFAULT);
		__u32 *b = build_ok(bes, 100, pairs[k][1], M_DEFAULT);
		__u32 differ = 0;

		for (__u32 i = 0; i < M_DEFAULT; i++)
			differ += a[i] != b[i];
		cr_assert_geq(differ, M_DEFAULT / 10 * 9,
			      "seeds %#x and %#x give tables that differ in %u of %u slots, want at least 90%%",
			      pairs[k][0], pairs[k][1], differ, M_DEFAULT);
		free(a);
		free(b);
	}
}

Test(maglev, bad_arguments_are_rejected_with_einval)
{
	static const struct xlb_maglev_backend two[] = { { 1, 1 }, { 2, 1 } };
	static const struct xlb_maglev_backend four[] = {
		{ 1, 1 }, { 2, 1 }, { 3, 1 }, { 4, 1 }
	};
	static const struct xlb_maglev_backend id0[] = { { 1, 1 }, { 0, 1 } };
	/* not adjacent in the input: the check must not rely on its order */
	static const struct xlb_maglev_backend dup[] = {
		{ 5, 1 }, { 7, 1 }, { 5, 2 }
	};
	/* a drained backend still holds its id */
	static const struct xlb_maglev_backend dup0[] = { { 9, 0 }, { 9, 1 } };
	static const struct {
		const char *what;
		const struct xlb_maglev_backend *bes;
		size_t n;
		__u32 m;
		bool no_table;
	} cases[] = {
		{ "M = 65536 (not prime)", two, 2, 65536, false },
		{ "M = 1000 (not prime)", two, 2, 1000, false },
		{ "M = 1", two, 2, 1, false },
		{ "M = 0", two, 0, 0, false },
		{ "M = 2 (prime, below 3)", two, 2, 2, false },
		{ "M = 16777259 (prime, above XLB_MAGLEV_MAX_SIZE)", two, 2,
		  M_ABOVE_MAX, false },
		{ "backend id 0", id0, 2, M_SMALL, false },
		{ "duplicate id 5", dup, 3, M_SMALL, false },
		{ "duplicate id 9, one drained", dup0, 2, M_SMALL, false },
		{ "4 backends, M = 3", four, 4, 3, false },
		{ "NULL backends with n = 2", NULL, 2, M_SMALL, false },
		{ "NULL table", two, 2, M_SMALL, true },
	};
	/* big enough for every case, so a wrong "ok" cannot write out of bounds */
	__u32 *t = calloc(M_ABOVE_MAX, sizeof(*t));

	cr_assert_not_null(t, "a table can be allocated");
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		int err = xlb_maglev_build(cases[k].bes, cases[k].n, 42, cases[k].m,
					   cases[k].no_table ? NULL : t);

		cr_assert_eq(err, -EINVAL, "%s: build returns -EINVAL, got %d",
			     cases[k].what, err);
	}
	free(t);
}

/* Plain trial division: slow, obviously right. */
static bool ref_prime(__u64 n)
{
	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (__u64 d = 3; d * d <= n; d += 2)
		if (n % d == 0)
			return false;
	return true;
}

Test(maglev, is_prime_knows_primes_composites_and_pseudoprimes)
{
	static const __u32 primes[] = {
		2, 3, 5, 61, 67, 1009, 65537, 655373, 1048573, 16777213,
		2147483647, 4294967291,
	};
	/*
	 * 561 and 1105 are Carmichael numbers; 3215031751 is a strong
	 * pseudoprime to bases 2, 3, 5 and 7, so base 61 must catch it;
	 * 4293001441 is 65521^2.
	 */
	static const __u32 composites[] = {
		0, 1, 4, 561, 1105, 65536, 16777215, 3215031751, 4293001441,
		4294967295,
	};

	for (size_t k = 0; k < sizeof(primes) / sizeof(primes[0]); k++)
		cr_assert(xlb_is_prime(primes[k]), "%u is prime", primes[k]);
	for (size_t k = 0; k < sizeof(composites) / sizeof(composites[0]); k++)
		cr_assert(!xlb_is_prime(composites[k]), "%u is not prime",
			  composites[k]);
}

/*
 * Every n below 2^20 against a sieve (this covers the small strong
 * pseudoprimes to each base alone), and the top of the 32-bit range, where
 * the modular products come closest to overflowing, against trial division.
 */
Test(maglev, is_prime_agrees_with_a_sieve_and_trial_division)
{
	const __u32 lim = 1u << 20;
	char *composite = calloc(lim, 1);

	cr_assert_not_null(composite, "a sieve can be allocated");
	composite[0] = composite[1] = 1;
	for (__u32 p = 2; p * p < lim; p++)
		if (!composite[p])
			for (__u32 q = p * p; q < lim; q += p)
				composite[q] = 1;
	for (__u32 n = 0; n < lim; n++)
		cr_assert_eq(xlb_is_prime(n), !composite[n],
			     "xlb_is_prime(%u) is %d, the sieve says %d", n,
			     xlb_is_prime(n), !composite[n]);
	free(composite);

	for (__u32 n = 0xffffffff; n > 0xffffffff - 600; n--)
		cr_assert_eq(xlb_is_prime(n), ref_prime(n),
			     "xlb_is_prime(%u) is %d, trial division says %d", n,
			     xlb_is_prime(n), ref_prime(n));
}

Test(maglev, max_size_is_the_largest_prime_below_2_to_the_24)
{
	cr_assert(ref_prime(XLB_MAGLEV_MAX_SIZE), "XLB_MAGLEV_MAX_SIZE (%u) is prime",
		  XLB_MAGLEV_MAX_SIZE);
	for (__u32 n = XLB_MAGLEV_MAX_SIZE + 1; n < 1u << 24; n++)
		cr_assert(!ref_prime(n),
			  "%u is a prime between XLB_MAGLEV_MAX_SIZE and 2^24", n);
}
