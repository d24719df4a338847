// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the conntrack module's tests against a real map made like
 * xlb_conntrack as releases before the common LRU made it (per-CPU LRU
 * lists, still adopted; the same key and value): insert, count,
 * filtered count, walk, delete, flush by VIP and by backend, through the
 * batch ops and through the get_next_key fallback.
 */
#include <errno.h>
#include <stdlib.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include "lib/conntrack.h"
#include "xlb_lb.skel.h"

/* More than one batch, so walks cross batch boundaries. */
#define N 3000

static int fd = -1;

/*
 * Per-CPU LRU lists split max_entries between the possible CPUs, and entries
 * written from user space land on the writer's CPU's list: sized so one
 * CPU's share holds every entry with room, nothing is evicted.
 */
static void setup(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_COMMON_LRU);
	int ncpu = libbpf_num_possible_cpus();

	cr_assert_gt(ncpu, 0, "the number of possible CPUs is known");
	fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "xlb_ct_test",
			    sizeof(struct xlb_flow), sizeof(struct xlb_ct_entry),
			    (__u32)(4 * N * ncpu), &opts);
	cr_assert_geq(fd, 0, "a per-CPU LRU hash is created: %s",
		      strerror(errno));
}

static void teardown(void)
{
	close(fd);
}

TestSuite(conntrack, .init = setup, .fini = teardown);

static struct xlb_flow flow(int i)
{
	struct xlb_flow f = { .family = XLB_AF_INET, .proto = IPPROTO_TCP };

	f.src.v4 = htonl(0xcb007100u + (__u32)(i >> 16)); /* 203.0.113.x */
	f.sport = htons((__u16)i);
	f.dst.v4 = htonl(0xc000020au); /* 192.0.2.10 */
	f.dport = htons(80);
	return f;
}

/* Entry i: VIP i % 3, backend 1 + i % 5. */
static void fill(void)
{
	for (int i = 0; i < N; i++) {
		struct xlb_flow f = flow(i);
		struct xlb_ct_entry e = { .vip_id = (__u32)(i % 3),
					  .backend_id = (__u32)(1 + i % 5) };

		cr_assert_eq(xlb_ct_insert(fd, &f, &e), 0, "entry %d is inserted", i);
	}
}

/* How many of 0..N-1 have i % 3 == vip and 1 + i % 5 == be (0: any). */
static long expected(int vip, __u32 be)
{
	long n = 0;

	for (int i = 0; i < N; i++)
		if ((vip < 0 || i % 3 == vip) && (!be || (__u32)(1 + i % 5) == be))
			n++;
	return n;
}

Test(conntrack, insert_writes_what_the_datapath_reads)
{
	struct xlb_flow f = flow(7);
	struct xlb_ct_entry e = { .vip_id = 2, .backend_id = 9 }, got;

	f.pad[0] = 0xff; /* the datapath looks up with zero padding */
	cr_assert_eq(xlb_ct_insert(fd, &f, &e), 0);
	f.pad[0] = 0;
	cr_assert_eq(xlb_ct_lookup(fd, &f, &got), 0,
		     "the entry is found under the zero-padded key");
	cr_assert_eq(got.backend_id, 9);
	cr_assert_eq(got.vip_id, 2);
	cr_assert_neq(got.last_seen_ns, 0, "last_seen defaults to now");
	e.backend_id = 0;
	cr_assert_eq(xlb_ct_insert(fd, &f, &e), -EINVAL,
		     "backend 0 (no backend) is refused");
	cr_assert_eq(xlb_ct_delete(fd, &f), 0, "the entry is deleted");
	cr_assert_eq(xlb_ct_lookup(fd, &f, &got), -ENOENT, "and gone");
	cr_assert_eq(xlb_ct_delete(fd, &f), -ENOENT, "deleting twice says so");
}

Test(conntrack, count_and_filtered_count)
{
	cr_assert_eq(xlb_ct_count(fd, NULL), 0, "a new table is empty");
	fill();
	cr_assert_eq(xlb_ct_count(fd, NULL), N, "every inserted entry counts");
	cr_assert_eq(xlb_ct_count(fd, &XLB_CT_ALL), N);
	for (int v = 0; v < 3; v++)
		cr_assert_eq(xlb_ct_count(fd, &(struct xlb_ct_filter){ .vip_id = v }),
			     expected(v, 0), "VIP %d's share is counted", v);
	cr_assert_eq(xlb_ct_count(fd, &(struct xlb_ct_filter){
			     .vip_id = XLB_CT_ANY_VIP, .backend_id = 4 }),
		     expected(-1, 4), "backend 4's share is counted");
	cr_assert_eq(xlb_ct_count(fd, &(struct xlb_ct_filter){
			     .vip_id = 1, .backend_id = 2 }),
		     expected(1, 2), "both filters at once");
	cr_assert_eq(xlb_ct_count(fd, &(struct xlb_ct_filter){ .vip_id = 9 }), 0,
		     "an unknown VIP has none");
}

struct seen {
	unsigned char *hit;
	long n, dup;
	long stop_at;
};

static int see(const struct xlb_flow *k, const struct xlb_ct_entry *e,
	       void *arg)
{
	struct seen *s = arg;
	int i = ntohs(k->sport) | (int)((ntohl(k->src.v4) & 0xff) << 16);

	cr_assert_lt(i, N, "the walk returns inserted keys only");
	cr_assert_eq(e->backend_id, (__u32)(1 + i % 5),
		     "entry %d comes with its own value", i);
	if (s->hit[i]++)
		s->dup++;
	s->n++;
	return s->stop_at && s->n == s->stop_at ? 7 : 0;
}

static void walk_both_ways(unsigned int flags)
{
	unsigned char hit[N] = {};
	struct seen s = { .hit = hit };
	struct xlb_ct_filter f = { .vip_id = 0 };

	fill();
	cr_assert_eq(xlb_ct_walk(fd, NULL, flags, see, &s), 0, "the walk ends");
	cr_assert_eq(s.n, N, "the walk sees every entry");
	cr_assert_eq(s.dup, 0, "and none twice");
	memset(hit, 0, sizeof(hit));
	s = (struct seen){ .hit = hit };
	cr_assert_eq(xlb_ct_walk(fd, &f, flags, see, &s), 0);
	cr_assert_eq(s.n, expected(0, 0), "a filtered walk sees VIP 0's share");
	for (int i = 0; i < N; i++)
		cr_assert_eq(hit[i], i % 3 == 0, "entry %d is seen iff on VIP 0", i);
	memset(hit, 0, sizeof(hit));
	s = (struct seen){ .hit = hit, .stop_at = 10 };
	cr_assert_eq(xlb_ct_walk(fd, NULL, flags, see, &s), 7,
		     "the callback's return stops the walk and is returned");
	cr_assert_eq(s.n, 10, "no entry after the stop");
}

Test(conntrack, walk_in_batches)
{
	walk_both_ways(0);
}

Test(conntrack, walk_with_get_next_key)
{
	walk_both_ways(XLB_CT_F_NO_BATCH);
}

static void flush_both_ways(unsigned int flags)
{
	struct xlb_ct_filter by_vip = { .vip_id = 1 };
	struct xlb_ct_filter by_be = { .vip_id = XLB_CT_ANY_VIP, .backend_id = 3 };
	long left = N;

	fill();
	cr_assert_eq(xlb_ct_flush(fd, &by_vip, flags), expected(1, 0),
		     "flushing VIP 1 deletes its share");
	left -= expected(1, 0);
	cr_assert_eq(xlb_ct_count(fd, &by_vip), 0, "VIP 1 has no entry left");
	cr_assert_eq(xlb_ct_count(fd, NULL), left, "the others stay");
	/* backend 3's entries not already gone with VIP 1 */
	cr_assert_eq(xlb_ct_flush(fd, &by_be, flags),
		     expected(-1, 3) - expected(1, 3),
		     "flushing backend 3 deletes what is left of its share");
	left -= expected(-1, 3) - expected(1, 3);
	cr_assert_eq(xlb_ct_count(fd, &by_be), 0, "backend 3 has no entry left");
	cr_assert_eq(xlb_ct_count(fd, NULL), left, "the others stay");
	cr_assert_eq(xlb_ct_count(fd, &(struct xlb_ct_filter){ .vip_id = 0 }),
		     expected(0, 0) - expected(0, 3), "VIP 0 lost only backend 3");
	cr_assert_eq(xlb_ct_flush(fd, NULL, flags), left,
		     "a flush of everything deletes the rest");
	cr_assert_eq(xlb_ct_count(fd, NULL), 0, "and the table is empty");
}

Test(conntrack, flush_in_batches)
{
	flush_both_ways(0);
}

Test(conntrack, flush_with_get_next_key)
{
	flush_both_ways(XLB_CT_F_NO_BATCH);
}

/* What health checks use: pairs of (VIP, backend) from many VIPs, one walk. */
Test(conntrack, flush_by_vip_and_backend_pairs)
{
	__u8 *pairs = calloc(XLB_CT_PAIR_BITS / 8, 1);
	struct xlb_ct_filter f = { .vip_id = XLB_CT_ANY_VIP };
	long want = expected(0, 2) + expected(2, 5);

	cr_assert_not_null(pairs);
	fill();
	xlb_ct_pair_add(pairs, 0, 2);
	xlb_ct_pair_add(pairs, 2, 5);
	f.pair_set = pairs;
	cr_assert_gt(want, 0, "the pairs have entries");
	cr_assert_eq(xlb_ct_count(fd, &f), want, "the filter takes exactly the pairs");
	cr_assert_eq(xlb_ct_flush(fd, &f, 0), want,
		     "one flush deletes both pairs' entries");
	cr_assert_eq(xlb_ct_count(fd, NULL), N - want, "nothing else went");
	cr_assert_eq(xlb_ct_count(fd, &(struct xlb_ct_filter){
					  .vip_id = 1, .backend_id = 2 }),
		     expected(1, 2), "backend 2 keeps its flows of VIP 1");
	free(pairs);
}

static int lru_map(__u32 entries)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_COMMON_LRU);

	return bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "xlb_ct_spread",
			      sizeof(struct xlb_flow),
			      sizeof(struct xlb_ct_entry), entries, &opts);
}

/*
 * What the sync receiver relies on: entries written from one CPU fill only
 * that CPU's share of a per-CPU LRU table; spread, they fill it all.
 */
Test(conntrack, spread_inserts_fill_every_cpus_lru_list)
{
	int ncpu = libbpf_num_possible_cpus(), share = 4096, m, a, b;
	struct xlb_ct_entry e = { .backend_id = 1, .vip_id = 1 };
	struct xlb_ct_spreader sp;
	cpu_set_t all, one;
	long held_one, held_spread;

	cr_assert_eq(sched_getaffinity(0, sizeof(all), &all), 0);
	if (ncpu < 2 || CPU_COUNT(&all) < ncpu)
		cr_skip_test("needs every possible CPU (%d) to be usable", ncpu);
	m = share * ncpu * 3 / 4; /* more than one CPU's share */
	a = lru_map((__u32)(share * ncpu));
	b = lru_map((__u32)(share * ncpu));
	cr_assert(a >= 0 && b >= 0, "per-CPU LRU maps: %s", strerror(errno));
	cr_assert_eq(xlb_ct_spread_init(&sp), 0);
	CPU_ZERO(&one);
	CPU_SET(sp.cpus[0], &one);
	cr_assert_eq(sched_setaffinity(0, sizeof(one), &one), 0);
	for (int i = 0; i < m; i++) {
		struct xlb_flow f = flow(i);

		cr_assert_eq(xlb_ct_insert(a, &f, &e), 0);
	}
	cr_assert_eq(sched_setaffinity(0, sizeof(all), &all), 0);
	for (int i = 0; i < m; i++) {
		struct xlb_flow f = flow(i);

		cr_assert_eq(xlb_ct_insert_spread(&sp, b, &f, &e), 0);
	}
	xlb_ct_spread_end(&sp);
	held_one = xlb_ct_count(a, NULL);
	held_spread = xlb_ct_count(b, NULL);
	cr_assert_leq(held_one, share + share / 8,
		      "written from one CPU, the table holds about its share "
		      "(%ld of %d written, share %d)",
		      held_one, m, share);
	cr_assert_eq(held_spread, m,
		     "spread over the CPUs it holds every entry (%ld of %d)",
		     held_spread, m);
	cr_assert_eq(sched_getaffinity(0, sizeof(one), &one), 0);
	cr_assert(CPU_EQUAL(&one, &all), "the thread has its CPUs back");
	close(a);
	close(b);
}

/*
 * A standby holds what the active node holds: xlb_conntrack as the LB
 * object defines it (its real type and flags, its default size), written
 * from user space the way sync writes, by an xlbd confined to one CPU (the
 * spreader then cannot move it), keeps every entry up to well past one
 * CPU's share. With per-CPU LRU lists (releases before the common LRU) it
 * kept about max_entries / CPUs: 52% of 1M entries written on one of 2
 * CPUs here.
 */
Test(conntrack, the_lb_table_keeps_every_synced_entry_written_on_one_cpu,
     .timeout = 120)
{
	struct xlb_lb *skel = xlb_lb__open_and_load();
	struct xlb_ct_entry e = { .backend_id = 1, .vip_id = 1 };
	int ncpu = libbpf_num_possible_cpus(), ct;
	struct xlb_ct_spreader sp;
	cpu_set_t all, one;
	__u32 max, n;
	long held;

	cr_assert_not_null(skel, "the LB object loads: %s", strerror(errno));
	ct = bpf_map__fd(skel->maps.xlb_conntrack);
	max = bpf_map__max_entries(skel->maps.xlb_conntrack);
	/* 60%: more than one CPU's share of a per-CPU table with 2 CPUs */
	n = max / 5 * 3;
	cr_assert_gt(n, max / (__u32)(ncpu > 1 ? ncpu : 2),
		     "more than one CPU's share is written");
	cr_assert_eq(sched_getaffinity(0, sizeof(all), &all), 0);
	CPU_ZERO(&one);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all)) {
			CPU_SET(c, &one);
			break;
		}
	cr_assert_eq(sched_setaffinity(0, sizeof(one), &one), 0);
	cr_assert_eq(xlb_ct_spread_init(&sp), 0);
	for (__u32 i = 0; i < n; i++) {
		struct xlb_flow f = flow((int)i);

		cr_assert_eq(xlb_ct_insert_spread(&sp, ct, &f, &e), 0,
			     "entry %u is written", i);
	}
	xlb_ct_spread_end(&sp);
	cr_assert_eq(sched_setaffinity(0, sizeof(all), &all), 0);
	held = xlb_ct_count(ct, NULL);
	cr_assert_eq(held, (long)n,
		     "every entry written on one CPU is kept (%ld of %u, table "
		     "of %u, %d CPUs)",
		     held, n, max, ncpu);
	xlb_lb__destroy(skel);
}

/*
 * The sync receiver's batch writer: every entry of a batch lands, spread
 * over the CPUs like the one-by-one writer, in chunks that cross the
 * migration points (batches of 1000 against XLB_CT_SPREAD_EVERY 1024);
 * a batch the kernel refuses says so, and how many it wrote.
 */
Test(conntrack, batch_spread_inserts_write_every_entry_over_every_cpu)
{
	int ncpu = libbpf_num_possible_cpus(), share = 4096, m, b, n = 1000;
	struct xlb_flow *k;
	struct xlb_ct_entry *e;
	struct xlb_ct_spreader sp;
	cpu_set_t all, now;
	long written = 0;
	__u32 done;

	cr_assert_eq(sched_getaffinity(0, sizeof(all), &all), 0);
	if (ncpu < 2 || CPU_COUNT(&all) < ncpu)
		cr_skip_test("needs every possible CPU (%d) to be usable", ncpu);
	m = share * ncpu * 3 / 4; /* more than one CPU's share */
	b = lru_map((__u32)(share * ncpu));
	cr_assert(b >= 0, "per-CPU LRU map: %s", strerror(errno));
	k = calloc((size_t)n, sizeof(*k));
	e = calloc((size_t)n, sizeof(*e));
	cr_assert(k && e);
	cr_assert_eq(xlb_ct_spread_init(&sp), 0);
	for (int base = 0; base < m; base += n) {
		int c = m - base < n ? m - base : n, rc;

		for (int i = 0; i < c; i++) {
			k[i] = flow(base + i);
			e[i] = (struct xlb_ct_entry){ .backend_id = 1,
						      .vip_id = 1,
						      .last_seen_ns = xlb_ct_now() };
		}
		rc = xlb_ct_insert_batch_spread(&sp, b, k, e, (__u32)c, 0,
						&done);
		cr_assert_eq(rc, 0, "a batch of %d: %s", c, strerror(-rc));
		cr_assert_eq(done, (__u32)c);
		written += done;
	}
	xlb_ct_spread_end(&sp);
	cr_assert_eq(xlb_ct_count(b, NULL), m,
		     "the table holds every entry written (%ld of %d)",
		     xlb_ct_count(b, NULL), m);
	cr_assert_eq(written, m);
	/* a batch the kernel refuses (BPF_NOEXIST is no batch flag) says
	 * so and writes nothing */
	for (int i = 0; i < 12; i++)
		k[i] = flow(m + i);
	cr_assert_lt(xlb_ct_insert_batch_spread(&sp, b, k, e, 12, BPF_NOEXIST,
						&done),
		     0, "the kernel refuses BPF_NOEXIST for a batch");
	cr_assert_eq(done, 0);
	cr_assert_eq(xlb_ct_insert_batch_spread(&sp, b, k, e, 0, 0, &done),
		     0, "an empty batch writes nothing and fails nothing");
	cr_assert_eq(done, 0);
	xlb_ct_spread_end(&sp);
	cr_assert_eq(sched_getaffinity(0, sizeof(now), &now), 0);
	cr_assert(CPU_EQUAL(&now, &all), "the thread has its CPUs back");
	free(k);
	free(e);
	close(b);
}
