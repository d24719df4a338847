// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Benchmark wrappers for BPF_PROG_TEST_RUN with repeat > 1. The kernel does
 * not reset the packet between iterations, so an encapsulating program
 * would re-parse its own output; each wrapper first restores the template
 * packet (same cost for the LB and the floor), then runs the LB's real
 * code, xlb_lb_main(), or returns XDP_TX for the floor.
 *
 * Also the reference the differential unit test (selftests/unit, suite
 * differential) holds xlb_lb to: the full parse alone, and the shape
 * check's answer. Neither runs on a NIC.
 */
#include "lb_main.h"
#include "csum.h"
#include "xlb/bench.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_bench_tpl);
} xlb_bench_tpl SEC(".maps");

static __always_inline int bench_restore(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct xlb_bench_tpl *t = bpf_map_lookup_elem(&xlb_bench_tpl, &zero);
	void *data, *data_end;
	__u16 *sp, *sa, *ck, old;
	int cur, trimmed, delta, full, grow;
	__u64 i;

	if (!t || t->len > 4096 || t->trailer >= t->len)
		return -1;
	/*
	 * Back to the template: a forwarded frame grew at the head and lost
	 * its trailer (Ethernet padding) at the tail; a passed one is as it
	 * came. The head goes back by what it grew, the tail regrows below.
	 */
	cur = (int)(ctx->data_end - ctx->data);
	trimmed = cur != (int)t->len ? (int)t->trailer : 0;
	delta = cur - ((int)t->len - trimmed);
	if (delta && bpf_xdp_adjust_head(ctx, delta))
		return -1;
	/*
	 * The copy is a constant XLB_BENCH_HDR bytes (the verifier wants a
	 * fixed size): a shorter frame grows at the tail for it and shrinks
	 * back after, so the head never drifts between iterations.
	 */
	full = t->len < XLB_BENCH_HDR ? XLB_BENCH_HDR : (int)t->len;
	grow = full - ((int)t->len - trimmed);
	if (grow && bpf_xdp_adjust_tail(ctx, grow))
		return -1;
	/*
	 * Word by word: a memcpy to a packet pointer (alignment unknown to
	 * clang) is byte by byte, 192 instructions, and the LB's first
	 * loads of the packet, each spanning several pending byte stores,
	 * could not be forwarded from them and stalled, a cost a packet
	 * written by a NIC never pays. The frame starts 8-byte aligned
	 * (XDP_PACKET_HEADROOM) and the template's data is at offset 24.
	 */
	data = xlb_data(ctx);
	data_end = xlb_data_end(ctx);
	if (data + XLB_BENCH_HDR > data_end)
		return -1;
#pragma unroll
	for (int k = 0; k < XLB_BENCH_HDR / 8; k++)
		((__u64 *)data)[k] = ((const __u64 *)t->data)[k];
	if (full != (int)t->len && bpf_xdp_adjust_tail(ctx, (int)t->len - full))
		return -1;
	data = xlb_data(ctx);
	data_end = xlb_data_end(ctx);
	if (!(t->flags & XLB_BENCH_F_NEW_FLOW))
		return 0;
	i = t->iter++;
	sp = data + (t->sport_off & 0x3f);
	sa = data + (t->saddr_off & 0x3f);
	ck = data + (t->ip4_csum_off & 0x3f);
	if ((void *)(sp + 1) > data_end || (void *)(sa + 1) > data_end ||
	    (void *)(ck + 1) > data_end)
		return -1;
	*sp = bpf_htons((__u16)i);
	old = *sa;
	*sa = bpf_htons((__u16)(i >> 16));
	if (t->ip4_csum_off)
		xlb_csum_replace2(ck, old, *sa);
	return 0;
}

SEC("xdp")
int xlb_bench_lb(struct xdp_md *ctx)
{
	if (bench_restore(ctx))
		return XDP_ABORTED;
	return xlb_lb_main(ctx);
}

SEC("xdp")
int xlb_bench_floor(struct xdp_md *ctx)
{
	if (bench_restore(ctx))
		return XDP_ABORTED;
	return XDP_TX;
}

/* The bare floor: what BPF_PROG_TEST_RUN costs around any program. */
SEC("xdp")
int xlb_bench_tx(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_TX;
}

/*
 * The LB without the shortcut for packets not to a VIP (xlb_fast_not_vip):
 * every packet takes the full parse, as before the shortcut. Every packet
 * must leave it with xlb_lb's verdict, bytes, counters and events.
 */
SEC("xdp")
int xlb_ref_full(struct xdp_md *ctx)
{
	return xlb_lb_full(ctx, 0);
}

/*
 * Which way xlb_lb_main() sends the packet (enum xlb_fast), as the return
 * value: the test counts the packets that took each, so it cannot pass
 * without the shortcut having been taken. The packet is not touched.
 */
SEC("xdp")
int xlb_ref_route(struct xdp_md *ctx)
{
	return xlb_fast_not_vip(ctx);
}

/*
 * The parts every encapsulating LB pays, each alone, for the table "What
 * the parts cost" (bench_datapath.c): timed against the bare XDP_TX, so
 * the per-packet goals can be read against what one kernel call, the head
 * move and one conntrack lookup or insert cost on the machine at hand.
 * Each returns XDP_TX only when it did its work and counts the work in
 * xlb_part_done, which the bench checks grew by the repeat count.
 */

/* A flow xlb_conntrack holds: the bench writes both before timing. */
struct xlb_flow xlb_part_key;
/* iterations with the work done; the flow counter of the cold parts */
__u64 xlb_part_done, xlb_part_iter;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_counter);
} xlb_part_counter SEC(".maps");

static __always_inline int part_done(void)
{
	xlb_part_done++;
	return XDP_TX;
}

/* One call into the kernel that does nothing (a head move by 0 bytes). */
SEC("xdp")
int xlb_part_call(struct xdp_md *ctx)
{
	return bpf_xdp_adjust_head(ctx, 0) ? XDP_DROP : part_done();
}

/* Room for an outer IPv4 header, and the bench restore's undo of it. */
SEC("xdp")
int xlb_part_head(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return XDP_DROP;
	return bpf_xdp_adjust_head(ctx, sizeof(struct iphdr)) ? XDP_DROP :
								part_done();
}

/* The conntrack lookup of an established packet: the LB's map, its key
 * copied to the stack as the parser leaves it. One flow: always cached. */
SEC("xdp")
int xlb_part_ct_hit(struct xdp_md *ctx)
{
	struct xlb_flow k = xlb_part_key;

	(void)ctx;
	return bpf_map_lookup_elem(&xlb_conntrack, &k) ? part_done() : XDP_DROP;
}

/* Flow i of the parts' flows (xlb/bench.h, XLB_BENCH_PART_SRC). */
static __always_inline void part_flow(struct xlb_flow *k, __u32 i)
{
	*k = xlb_part_key;
	k->src.v4 = bpf_htonl(XLB_BENCH_PART_SRC | (i & 0xffffff));
}

/*
 * The next of XLB_CT_ENTRIES indexes in an order that jumps through
 * memory (an odd multiplier modulo a power of two visits each once),
 * shifted by @dep, which makes the index wait for what produced it.
 */
static __always_inline __u32 part_cold_index(__u64 dep)
{
	return (__u32)(xlb_part_iter++ * 2654435761u + dep) &
	       (XLB_CT_ENTRIES - 1);
}

/*
 * The memory's own latency, for reading the cold parts: one 8-byte load
 * from a 64 MiB array (an inlined lookup, no kernel call), a different
 * cache line each iteration in the cold hit's order. The array holds
 * zeros and each index adds the sum of the loads before it, so a load
 * cannot start before the previous one ended (as a hash lookup's bucket,
 * entry and key are read one after the other) and none is optimised away.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_CT_ENTRIES);
	__type(key, __u32);
	__type(value, __u64[8]);
} xlb_part_memory SEC(".maps");

__u64 xlb_part_sum;

SEC("xdp")
int xlb_part_load_cold(struct xdp_md *ctx)
{
	__u32 i = part_cold_index(xlb_part_sum);
	__u64 *line = bpf_map_lookup_elem(&xlb_part_memory, &i);

	(void)ctx;
	if (!line)
		return XDP_DROP;
	xlb_part_sum += line[0];
	return part_done();
}

/*
 * A conntrack hit on one of XLB_CT_ENTRIES flows in a full table, a
 * different one each iteration in an order that jumps through memory (an
 * odd multiplier modulo a power of two visits every flow once): what the
 * lookup costs when neither bucket nor entry is in a cache, as through a
 * node that carries a million flows.
 */
SEC("xdp")
int xlb_part_ct_hit_cold(struct xdp_md *ctx)
{
	struct xlb_flow k;

	(void)ctx;
	part_flow(&k, part_cold_index(0));
	return bpf_map_lookup_elem(&xlb_conntrack, &k) ? part_done() : XDP_DROP;
}

/*
 * What a new flow cannot skip: the lookup that misses and the insert of
 * its entry, into a full table (every insert evicts the least recently
 * used entry), with flows the table has never held.
 */
SEC("xdp")
int xlb_part_ct_new(struct xdp_md *ctx)
{
	struct xlb_ct_entry e = { .backend_id = 1 };
	struct xlb_flow k;

	(void)ctx;
	part_flow(&k, XLB_CT_ENTRIES + (__u32)xlb_part_iter++);
	if (bpf_map_lookup_elem(&xlb_conntrack, &k) ||
	    bpf_map_update_elem(&xlb_conntrack, &k, &e, BPF_NOEXIST))
		return XDP_DROP;
	return part_done();
}

/* One per-CPU counter, as the LB bumps four per packet. */
SEC("xdp")
int xlb_part_counter_add(struct xdp_md *ctx)
{
	xlb_counter_add(&xlb_part_counter, 0, ctx->data_end - ctx->data);
	return part_done();
}
