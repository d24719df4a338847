/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the datapath's clock: CLOCK_MONOTONIC at the resolution
 * of one tick, read once per tick per CPU.
 */
#ifndef XLB_BPF_CLOCK_H
#define XLB_BPF_CLOCK_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define XLB_NSEC_PER_SEC 1000000000ULL
/*
 * Conntrack ages and the insert-cap window are kept in seconds, so the
 * coarse clock (one tick's resolution) does: measured here, the precise
 * clock's TSC read cost 15 ns of a 180 ns conntrack hit. Even the coarse
 * clock is a helper call per packet; the tick counter (bpf_jiffies64) is
 * one load the verifier inlines, so the clock is read once per tick per
 * CPU and cached.
 */
struct xlb_clock {
	__u64 jiffies;
	__u64 ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_clock);
} xlb_clock SEC(".maps");

/* CLOCK_MONOTONIC at this tick's resolution. */
static __always_inline __u64 xlb_now(void)
{
	__u64 j = bpf_jiffies64();
	struct xlb_clock *c;
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&xlb_clock, &zero);
	if (!c)
		return bpf_ktime_get_coarse_ns();
	if (c->jiffies != j) {
		c->jiffies = j;
		c->ns = bpf_ktime_get_coarse_ns();
	}
	return c->ns;
}

/* A conntrack entry's last_seen is refreshed at most this often: a write on
 * every packet would dirty the entry's cache line for nothing. */
#define XLB_CT_REFRESH_NS XLB_NSEC_PER_SEC

#endif /* XLB_BPF_CLOCK_H */
