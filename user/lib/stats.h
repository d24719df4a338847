/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the reading of xlb's counters: the outcome descriptors
 * (name, verdict, help) generated from include/xlb/outcomes.h, and the
 * per-CPU counter maps summed over CPUs, one entry or a range at a time
 * (ranges with batch lookups, so a scrape of every VIP is a few system
 * calls). Functions return 0 (or a count) or a negative errno.
 */
#ifndef XLB_USER_STATS_H
#define XLB_USER_STATS_H

#include <stddef.h>
#include <xlb/abi.h>

#include "lib/lbmaps.h"

struct xlb_stat_desc {
	const char *name; /* "drop_fragment" */
	const char *help; /* one line */
	enum xlb_verdict_class verdict;
};

/* Indexed by enum xlb_stat / enum xlb_decap_stat. */
extern const struct xlb_stat_desc xlb_stat_descs[XLB_STAT_MAX];
extern const struct xlb_stat_desc xlb_decap_stat_descs[XLB_DECAP_STAT_MAX];

/* Short name of an enum xlb_stat value, e.g. "drop_fragment"; "?" if none. */
const char *xlb_stat_name(__u32 idx);
/* "pass", "drop", "tx", "ok" or "event". */
const char *xlb_verdict_class_name(enum xlb_verdict_class v);

/* Sums over CPUs the xlb_stats counter @idx (enum xlb_stat). */
int xlb_stat_read(const struct xlb_lb_maps *m, __u32 idx,
		  struct xlb_counter *sum);
/*
 * Every counter of xlb_stats in one batch lookup. Returns how many it read:
 * XLB_STAT_MAX, or fewer from an older release's map that has no room for
 * the newer outcomes (the rest of @out is zeroed).
 */
int xlb_stats_read_all(const struct xlb_lb_maps *m,
		       struct xlb_counter out[XLB_STAT_MAX]);

int xlb_vip_stats_read(const struct xlb_lb_maps *m, __u32 vip_id,
		       struct xlb_vip_stats *sum);
int xlb_backend_stats_read(const struct xlb_lb_maps *m, __u32 id,
			   struct xlb_counter *sum);
/* Entries [@first, @first + @n) of xlb_vip_stats / xlb_backend_stats. */
int xlb_vip_stats_read_range(const struct xlb_lb_maps *m, __u32 first, __u32 n,
			     struct xlb_vip_stats *out);
int xlb_backend_stats_read_range(const struct xlb_lb_maps *m, __u32 first,
				 __u32 n, struct xlb_counter *out);

/*
 * Sums over CPUs the entries [@first, @first + @n) of the per-CPU array
 * @fd, each value @nwords u64s, into @out (@n * @nwords u64s; entries past
 * the map's end read as zero). Returns how many entries the map had in the
 * range.
 */
int xlb_percpu_read_range(int fd, __u32 first, __u32 n, size_t nwords,
			  __u64 *out);

#endif /* XLB_USER_STATS_H */
