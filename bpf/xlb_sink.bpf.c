// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The sink: an XDP program that counts what arrives on an interface and
 * drops it (or passes it on to the stack), so a benchmark can count what
 * reaches a backend. Optionally it counts packets per TCP/UDP source port
 * (how many flows arrived) and keeps copies of a few frames (so a test can
 * check what was on the wire). On a veth it is also what lets the peer
 * XDP_TX into this end at all: veth takes XDP frames only on a peer with an
 * XDP program.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "eth.h"
#include "ptr.h"
#include "xlb/pktgen.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 xlb_sink_verdict = XDP_DROP;
const volatile __u32 xlb_sink_flags = 0; /* XLB_SINK_F_* */
/* XLB_SINK_F_CAPTURE: capture after this many packets (per CPU) */
const volatile __u64 xlb_sink_cap_after = 0;

/* Per CPU, so the hot path takes no atomics. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_sink_stats);
} xlb_sink_stats SEC(".maps");

/*
 * In .bss, which user space reads through the skeleton's mmap: no 65536
 * map lookups to collect the port counts.
 */
__u32 xlb_sink_sports[65536] = {}; /* packets per source port */
struct xlb_sink_cap xlb_sink_caps[XLB_SINK_CAP_N] = {};
/*
 * Frames captured so far. Only receive queue 0 captures: NAPI polls a queue
 * on one CPU at a time, so this has one writer and needs no atomics (a veth
 * has one queue).
 */
__u32 xlb_sink_ncap = 0;

/* Source port of a TCP or UDP packet (both start with it), or -1. */
static __always_inline int sink_sport(void *data, void *data_end)
{
	__u16 l3_off;
	__u8 family, l4proto;
	__be16 *sp;
	void *l3;

	if (xlb_parse_eth(data, data_end, &l3_off, &family) != XLB_ETH_IP)
		return -1;
	l3 = data + l3_off;
	if (family == XLB_AF_INET) {
		struct iphdr *iph = l3;

		if ((void *)(iph + 1) > data_end || iph->ihl < 5)
			return -1;
		l4proto = iph->protocol;
		sp = l3 + iph->ihl * 4;
	} else {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		l4proto = ip6->nexthdr; /* extension headers: not counted */
		sp = (void *)(ip6 + 1);
	}
	if (l4proto != IPPROTO_TCP && l4proto != IPPROTO_UDP)
		return -1;
	if ((void *)(sp + 1) > data_end)
		return -1;
	return bpf_ntohs(*sp);
}

/* Overwrites the frame's first XLB_PG_TPL_MAX bytes (as far as it goes). */
static __always_inline void sink_scribble(void *data, void *data_end)
{
#pragma unroll
	for (int i = 0; i < XLB_PG_TPL_MAX / 8; i++) {
		__u64 *p = data + i * 8;

		if ((void *)(p + 1) > data_end)
			break;
		*p = 0xa5a5a5a5a5a5a5a5ull;
	}
}

static __always_inline void sink_capture(struct xdp_md *ctx, __u32 len)
{
	__u32 idx = xlb_sink_ncap;
	struct xlb_sink_cap *c;
	__u64 n = len; /* 64-bit: the bounds checks and the call see one register */

	if (idx >= XLB_SINK_CAP_N || ctx->rx_queue_index != 0)
		return;
	c = &xlb_sink_caps[idx];
	if (n > XLB_SINK_CAP_BYTES)
		n = XLB_SINK_CAP_BYTES;
	if (n < 1)
		return;
	if (bpf_xdp_load_bytes(ctx, 0, c->data, (__u32)n))
		return;
	c->len = len;
	xlb_sink_ncap = idx + 1;
}

SEC("xdp")
int xlb_sink(struct xdp_md *ctx)
{
	void *data = xlb_data(ctx), *data_end = xlb_data_end(ctx);
	__u32 zero = 0, len = (__u32)(data_end - data);
	struct xlb_sink_stats *st;

	st = bpf_map_lookup_elem(&xlb_sink_stats, &zero);
	if (!st)
		return xlb_sink_verdict;
	/* read the clock for 1 packet in 64, not for each: the rate is then
	 * exact to within 63 packets per CPU */
	if (!(st->packets & (XLB_SINK_STAMP_EVERY - 1))) {
		__u64 now = bpf_ktime_get_ns();

		if (!st->first_ns)
			st->first_ns = now;
		st->last_ns = now;
		st->last_pkts = st->packets + 1;
	}
	st->packets++;
	st->bytes += len;

	if (xlb_sink_flags & XLB_SINK_F_PORTS) {
		int sp = sink_sport(data, data_end);

		if (sp >= 0)
			__sync_fetch_and_add(&xlb_sink_sports[sp & 0xffff], 1);
	}
	if ((xlb_sink_flags & XLB_SINK_F_CAPTURE) &&
	    st->packets > xlb_sink_cap_after)
		sink_capture(ctx, len);
	if (xlb_sink_flags & XLB_SINK_F_SCRIBBLE)
		sink_scribble(data, data_end);
	return xlb_sink_verdict;
}
