/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the LB's counter helpers and the one place that turns an
 * outcome (enum xlb_stat) into an XDP verdict, read from the outcome list
 * (include/xlb/outcomes.h), so every packet is counted by exactly one
 * reason.
 */
#ifndef XLB_BPF_STATS_H
#define XLB_BPF_STATS_H

#include "maps.h"
#include "counter.h"

/* A stage returns this to let the next stage run, or an enum xlb_stat. */
#define XLB_CONTINUE (-1)

static __always_inline void xlb_count(__u32 idx, __u64 bytes)
{
	xlb_counter_add(&xlb_stats, idx, bytes);
}

static __always_inline void xlb_event(__u32 idx)
{
	xlb_count(idx, 0);
}

static __always_inline void xlb_count_forward(__u32 vip_id, __u32 backend_id,
					      __u64 bytes)
{
	struct xlb_vip_stats *vs = bpf_map_lookup_elem(&xlb_vip_stats, &vip_id);

	if (vs) {
		vs->packets++;
		vs->bytes += bytes;
	}
	xlb_counter_add(&xlb_backend_stats, backend_id, bytes);
}

static __always_inline void xlb_count_new_flow(__u32 vip_id)
{
	struct xlb_vip_stats *vs = bpf_map_lookup_elem(&xlb_vip_stats, &vip_id);

	if (vs)
		vs->new_flows++;
}

/* "case e:" for every entry of the list that ends a packet (no event). */
#define XLB__CASE_PASS(e) case e:
#define XLB__CASE_DROP(e) case e:
#define XLB__CASE_TX(e) case e:
#define XLB__CASE_EVENT(e)
#define XLB__OUTCOME_CASE(e, name, v, help) XLB__CASE_##v(e)

/*
 * @r as it will be counted: a stage that returned something that is not an
 * outcome (XLB_CONTINUE, an event, garbage) is a bug in xlb, counted as such
 * instead of as a reason it is not. A switch, not a mask: the compiler
 * knows what each stage can return and folds it away.
 */
static __always_inline __u32 xlb_outcome(int r)
{
	switch (r) {
	XLB_STAT_LIST(XLB__OUTCOME_CASE)
		return (__u32)r;
	default:
		return XLB_DROP_NO_OUTCOME;
	}
}

/*
 * The verdict of an outcome (< XLB_STAT_SLOTS), from the outcome list:
 * XDP_DROP, plus 1 for PASS or 2 for TX; no branch.
 */
_Static_assert(XDP_PASS == XDP_DROP + 1 && XDP_TX == XDP_DROP + 2,
	       "verdicts as offsets from XDP_DROP");
static __always_inline int xlb_verdict(__u32 outcome)
{
	return XDP_DROP + ((XLB_STAT_PASS_MASK >> outcome) & 1) +
	       (((XLB_STAT_TX_MASK >> outcome) & 1) << 1);
}

#endif /* XLB_BPF_STATS_H */
