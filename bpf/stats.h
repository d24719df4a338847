/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the counter helpers and the one place that turns an
 * outcome (enum xlb_stat) into an XDP verdict, so every packet is counted by
 * exactly one reason.
 */
#ifndef XLB_BPF_STATS_H
#define XLB_BPF_STATS_H

#include "maps.h"

/* A stage returns this to let the next stage run, or an enum xlb_stat. */
#define XLB_CONTINUE (-1)

static __always_inline void xlb_count(__u32 idx, __u64 bytes)
{
	struct xlb_counter *c = bpf_map_lookup_elem(&xlb_stats, &idx);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

static __always_inline void xlb_event(__u32 idx)
{
	xlb_count(idx, 0);
}

static __always_inline void xlb_count_forward(__u32 vip_id, __u32 backend_id,
					      __u64 bytes)
{
	struct xlb_vip_stats *vs = bpf_map_lookup_elem(&xlb_vip_stats, &vip_id);
	struct xlb_counter *bs;

	if (vs) {
		vs->packets++;
		vs->bytes += bytes;
	}
	bs = bpf_map_lookup_elem(&xlb_backend_stats, &backend_id);
	if (bs) {
		bs->packets++;
		bs->bytes += bytes;
	}
}

static __always_inline void xlb_count_new_flow(__u32 vip_id)
{
	struct xlb_vip_stats *vs = bpf_map_lookup_elem(&xlb_vip_stats, &vip_id);

	if (vs)
		vs->new_flows++;
}

/* The outcomes are ordered PASS, DROP, TX in enum xlb_stat. */
static __always_inline int xlb_verdict(int outcome)
{
	if (outcome < XLB_DROP_MALFORMED)
		return XDP_PASS;
	if (outcome < XLB_TX_FORWARD)
		return XDP_DROP;
	return XDP_TX;
}

#endif /* XLB_BPF_STATS_H */
