// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Time to build a Maglev table, per backend count and table size: what the
 * control plane pays on every backend change, per VIP. Every timed table is
 * checked full, so a build that gave up early cannot look fast.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/types.h>

#include "bench_maglev.h"
#include "lib/maglev.h"

#define RUNS 5
#define SEED 42
#define MAX_BE 1000
#define MAX_M 1048573
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const __u32 sizes[] = { 65537, 655373, MAX_M };
static const __u32 nbes[] = { 10, 100, MAX_BE };

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* One timed build; returns its ns, or 0 when it failed or left a slot empty. */
static __u64 timed_build(const struct xlb_maglev_backend *bes, __u32 n,
			 __u32 m, __u32 *table)
{
	__u64 t0, t1;
	int err;

	t0 = now_ns();
	err = xlb_maglev_build(bes, n, SEED, m, table);
	t1 = now_ns();
	if (err) {
		fprintf(stderr, "xlb-bench: maglev build of %u backends into %u slots: %s\n",
			n, m, strerror(-err));
		return 0;
	}
	for (__u32 i = 0; i < m; i++) {
		if (!table[i]) {
			fprintf(stderr, "xlb-bench: maglev build of %u backends into %u slots left slot %u empty\n",
				n, m, i);
			return 0;
		}
	}
	return t1 > t0 ? t1 - t0 : 1;
}

int bench_maglev_run(FILE *md, FILE *json)
{
	static struct xlb_maglev_backend bes[MAX_BE];
	bool first = true;
	__u32 *table;

	for (__u32 i = 0; i < MAX_BE; i++)
		bes[i] = (struct xlb_maglev_backend){ .id = i + 1, .weight = 1 };
	table = malloc(MAX_M * sizeof(*table));
	if (!table)
		return -ENOMEM;
	/*
	 * Fault the pages in once: the control plane rebuilds into a table it
	 * already holds, and page faults would swamp the smaller sizes.
	 */
	memset(table, 0, MAX_M * sizeof(*table));

	fprintf(md, "\n### Maglev table build, weight 1 each (median of %u runs)\n\n",
		RUNS);
	fprintf(md, "| backends | table size | build ms | ns/slot |\n");
	fprintf(md, "|---:|---:|---:|---:|\n");
	for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
		for (size_t b = 0; b < ARRAY_SIZE(nbes); b++) {
			__u32 m = sizes[s], n = nbes[b];
			__u64 ns[RUNS], med;

			for (int r = 0; r < RUNS; r++) {
				ns[r] = timed_build(bes, n, m, table);
				if (!ns[r]) {
					free(table);
					return -EIO;
				}
			}
			qsort(ns, RUNS, sizeof(ns[0]), cmp_u64);
			med = ns[RUNS / 2];
			fprintf(md, "| %u | %u | %.2f | %.1f |\n", n, m, med / 1e6,
				(double)med / m);
			if (json)
				fprintf(json,
					"%s{\"bench\":\"maglev_build\",\"backends\":%u,"
					"\"table_size\":%u,\"build_ns\":%llu,\"runs\":%u}",
					first ? "" : ",\n", n, m,
					(unsigned long long)med, RUNS);
			first = false;
		}
	}
	free(table);
	return 0;
}
