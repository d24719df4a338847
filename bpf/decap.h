/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the backend side of xlb's tunnels: the maps and stages of
 * xlb_decap, which strips the outer IPv4/IPv6 header of IPIP, IP6IP6, 4in6
 * and 6in4 packets addressed to this host and passes the inner packet to
 * the stack, in place of the kernel's ipip/ip6_tunnel/sit modules.
 *
 * Policy, stage by stage:
 *  - anything that is not IP protocol 4 or 41 to an address in
 *    xlb_decap_addrs passes untouched (XLB_DECAP_PASS_NOT_TUNNEL), without
 *    further checks: the backend's ordinary traffic pays one lookup at most;
 *  - a frame too short to hold the outer header passes untouched
 *    (XLB_DECAP_PASS_MALFORMED): nothing says it is ours, the stack judges;
 *  - a tunnel packet for us is decapsulated only if the outer header (any
 *    IHL, checksum, lengths) and the inner one (version matching protocol
 *    4 or 41, lengths within the outer payload) hold; otherwise it is
 *    dropped and counted. The outer header is verified here because the
 *    stack never sees it; the inner one gets the stack's full checks after
 *    XDP_PASS, so only what decides its framing is checked here;
 *  - outer IPv4 fragments are dropped (XDP cannot reassemble; the LB sends
 *    DF whenever the inner packet allows it); an outer IPv6 header followed
 *    by extension headers is not treated as a tunnel (the LB never sends
 *    one), so it passes untouched;
 *  - ECN as the kernel's tunnels do it (RFC 6040): an outer CE mark is
 *    copied to an ECN-capable inner packet, and a CE mark on a packet that
 *    is not ECN-capable drops it, since the mark could not be kept.
 *
 * The MACs and the 802.1Q tag of the frame are kept; only the Ethernet type
 * changes. Ethernet padding after the inner packet is left in place, as
 * after the outer one: the stack trims a frame to its IP length.
 */
#ifndef XLB_BPF_DECAP_H
#define XLB_BPF_DECAP_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "csum.h"
#include "counter.h"
#include "eth.h"
#include "ip.h"
#include "ptr.h"
#include "xlb/abi.h"

/* Addresses this host terminates tunnels on; the value is reserved. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XLB_MAX_DECAP_ADDRS);
	__type(key, struct xlb_addr_key);
	__type(value, struct xlb_addr_info);
} xlb_decap_addrs SEC(".maps");

/*
 * Per-CPU so the hot path never takes an atomic or bounces a cache line;
 * sized with room for outcomes added later (include/xlb/outcomes.h).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_DECAP_STAT_SLOTS);
	__type(key, __u32);
	__type(value, struct xlb_counter);
} xlb_decap_stats SEC(".maps");

/* A stage returns this to let the next one run, or an enum xlb_decap_stat. */
#define XLB_DECAP_CONTINUE (-1)

/* What the stages learnt; offsets are from ctx->data at entry. */
struct xlb_decap_pkt {
	__u32 pkt_len; /* frame length at entry */
	__u16 l3_off; /* 14, or 18 with a VLAN tag */
	__u16 inner_off; /* l3_off + the outer header's length */
	__u16 inner_room; /* the outer payload: what the inner packet may use */
	__u8 family; /* XLB_AF_* of the outer header */
	__u8 proto; /* IPPROTO_IPIP or IPPROTO_IPV6: the inner family */
	__u8 outer_ecn;
	__u8 pad[3];
};

static __always_inline void xlb_decap_count(__u32 idx, __u64 bytes)
{
	xlb_counter_add(&xlb_decap_stats, idx, bytes);
}

/* A stage's result as counted: anything that is not an outcome is a bug. */
static __always_inline __u32 xlb_decap_outcome(int r)
{
	return (__u32)r < XLB_DECAP_STAT_MAX ? (__u32)r :
					       XLB_DECAP_DROP_NO_OUTCOME;
}

/* The verdict of an outcome, from the outcome list (outcomes.h). */
static __always_inline int xlb_decap_verdict(__u32 outcome)
{
	return (XLB_DECAP_STAT_PASS_MASK >> outcome) & 1 ? XDP_PASS : XDP_DROP;
}

static __always_inline int xlb_decap_is_tunnel(__u8 proto)
{
	return proto == IPPROTO_IPIP || proto == IPPROTO_IPV6;
}

static __always_inline int xlb_decap_is_local(const void *addr, __u32 len,
					      __u8 family)
{
	struct xlb_addr_key k = { .family = family };

	if (len == 4)
		__builtin_memcpy(&k.addr, addr, 4);
	else
		__builtin_memcpy(&k.addr, addr, 16);
	return bpf_map_lookup_elem(&xlb_decap_addrs, &k) != 0;
}

static __always_inline int xlb_decap_parse_l2(struct xdp_md *ctx,
					      struct xlb_decap_pkt *p)
{
	switch (xlb_parse_eth(xlb_data(ctx), xlb_data_end(ctx), &p->l3_off,
			      &p->family)) {
	case XLB_ETH_IP:
		return XLB_DECAP_CONTINUE;
	case XLB_ETH_NOT_IP:
		return XLB_DECAP_PASS_NOT_TUNNEL;
	default:
		return XLB_DECAP_PASS_MALFORMED;
	}
}

/*
 * Checksum of the outer IPv4 header, options included: the stack would
 * have verified it (RFC 1812 5.2.2), and after decap it never sees it.
 */
static __always_inline int xlb_decap_csum4_ok(struct xdp_md *ctx, __u32 l3_off,
					      __u32 hwords)
{
	return xlb_ipv4_hdr_csum_ok(xlb_data(ctx), xlb_data_end(ctx), l3_off,
				    hwords);
}

static __always_inline int xlb_decap_outer4(struct xdp_md *ctx,
					    struct xlb_decap_pkt *p)
{
	void *data = xlb_data(ctx), *data_end = xlb_data_end(ctx);
	struct iphdr *iph = data + p->l3_off;
	__u32 hlen, tot;

	if ((void *)(iph + 1) > data_end)
		return XLB_DECAP_PASS_MALFORMED;
	if (!xlb_decap_is_tunnel(iph->protocol) ||
	    !xlb_decap_is_local(&iph->daddr, 4, XLB_AF_INET))
		return XLB_DECAP_PASS_NOT_TUNNEL;
	hlen = iph->ihl * 4;
	tot = bpf_ntohs(iph->tot_len);
	if (iph->version != 4 || hlen < sizeof(*iph) || tot < hlen ||
	    p->l3_off + tot > p->pkt_len ||
	    !xlb_decap_csum4_ok(ctx, p->l3_off, hlen / 4))
		return XLB_DECAP_DROP_INNER_MALFORMED;
	if (iph->frag_off & bpf_htons(XLB_IP_MF | XLB_IP_OFFSET))
		return XLB_DECAP_DROP_FRAGMENT;
	p->proto = iph->protocol;
	p->outer_ecn = iph->tos & XLB_ECN_MASK;
	p->inner_off = p->l3_off + hlen;
	p->inner_room = tot - hlen;
	return XLB_DECAP_CONTINUE;
}

static __always_inline int xlb_decap_outer6(struct xdp_md *ctx,
					    struct xlb_decap_pkt *p)
{
	void *data = xlb_data(ctx), *data_end = xlb_data_end(ctx);
	struct ipv6hdr *ip6h = data + p->l3_off;
	__u32 plen;

	if ((void *)(ip6h + 1) > data_end)
		return XLB_DECAP_PASS_MALFORMED;
	if (!xlb_decap_is_tunnel(ip6h->nexthdr) ||
	    !xlb_decap_is_local(&ip6h->daddr, 16, XLB_AF_INET6))
		return XLB_DECAP_PASS_NOT_TUNNEL;
	plen = bpf_ntohs(ip6h->payload_len);
	if (ip6h->version != 6 ||
	    p->l3_off + sizeof(*ip6h) + plen > p->pkt_len)
		return XLB_DECAP_DROP_INNER_MALFORMED;
	p->proto = ip6h->nexthdr;
	/* traffic class bits 1..0 are the top of flow_lbl[0]'s high nibble */
	p->outer_ecn = (ip6h->flow_lbl[0] >> 4) & XLB_ECN_MASK;
	p->inner_off = p->l3_off + sizeof(*ip6h);
	p->inner_room = plen;
	return XLB_DECAP_CONTINUE;
}

/*
 * Checks the inner header and applies the outer ECN mark to it (the only
 * change made to the inner packet).
 */
static __always_inline int xlb_decap_inner(struct xdp_md *ctx,
					   struct xlb_decap_pkt *p)
{
	void *data = xlb_data(ctx), *data_end = xlb_data_end(ctx);
	int ce = p->outer_ecn == XLB_ECN_CE;

	if (p->proto == IPPROTO_IPIP) {
		struct iphdr *in = data + (p->inner_off & 0x7f);
		__u32 tot;
		__u16 old;

		if ((void *)(in + 1) > data_end || p->inner_room < sizeof(*in))
			return XLB_DECAP_DROP_INNER_MALFORMED;
		tot = bpf_ntohs(in->tot_len);
		if (in->version != 4 || in->ihl < 5 || tot < in->ihl * 4u ||
		    tot > p->inner_room)
			return XLB_DECAP_DROP_INNER_MALFORMED;
		if (!ce || (in->tos & XLB_ECN_MASK) == XLB_ECN_CE)
			return XLB_DECAP_CONTINUE;
		if (!(in->tos & XLB_ECN_MASK))
			return XLB_DECAP_DROP_ECN;
		old = *(__u16 *)in;
		in->tos |= XLB_ECN_CE;
		xlb_csum_replace2(&in->check, old, *(__u16 *)in);
	} else {
		struct ipv6hdr *in = data + (p->inner_off & 0x7f);
		__u8 ecn;

		if ((void *)(in + 1) > data_end || p->inner_room < sizeof(*in))
			return XLB_DECAP_DROP_INNER_MALFORMED;
		/* payload length 0 would be a jumbogram: never in a tunnel */
		if (in->version != 6 || !in->payload_len ||
		    sizeof(*in) + bpf_ntohs(in->payload_len) > p->inner_room)
			return XLB_DECAP_DROP_INNER_MALFORMED;
		ecn = (in->flow_lbl[0] >> 4) & XLB_ECN_MASK;
		if (!ce || ecn == XLB_ECN_CE)
			return XLB_DECAP_CONTINUE;
		if (!ecn)
			return XLB_DECAP_DROP_ECN;
		in->flow_lbl[0] |= XLB_ECN_CE << 4;
	}
	return XLB_DECAP_CONTINUE;
}

/*
 * Cuts the outer header out: the Ethernet header (and tag) is saved, the
 * head moved past the outer header, and the header written back in front
 * of the inner packet with the inner packet's Ethernet type.
 */
static __always_inline int xlb_decap_strip(struct xdp_md *ctx,
					   const struct xlb_decap_pkt *p)
{
	__u32 olen = (__u32)p->inner_off - p->l3_off;
	struct xlb_l2 l2;
	__be16 type;

	if (xlb_l2_save(ctx, p->l3_off, &l2))
		return XLB_DECAP_DROP_ERROR;
	type = p->proto == IPPROTO_IPIP ? bpf_htons(ETH_P_IP) :
					  bpf_htons(ETH_P_IPV6);
	if (olen < sizeof(struct iphdr) || olen > 60 ||
	    bpf_xdp_adjust_head(ctx, (int)olen))
		return XLB_DECAP_DROP_ERROR;
	if (xlb_l2_write(ctx, &l2, l2.dst, l2.src, type) < 0)
		return XLB_DECAP_DROP_ERROR;
	if (p->family == XLB_AF_INET)
		return p->proto == IPPROTO_IPIP ? XLB_DECAP_OK_4IN4 :
						  XLB_DECAP_OK_6IN4;
	return p->proto == IPPROTO_IPIP ? XLB_DECAP_OK_4IN6 : XLB_DECAP_OK_6IN6;
}

/* The whole program: parse, check, strip, count once. */
static __always_inline int xlb_decap_main(struct xdp_md *ctx)
{
	struct xlb_decap_pkt p = {};
	__u32 outcome;
	int r;

	p.pkt_len = ctx->data_end - ctx->data;
	r = xlb_decap_parse_l2(ctx, &p);
	if (r == XLB_DECAP_CONTINUE)
		r = p.family == XLB_AF_INET ? xlb_decap_outer4(ctx, &p) :
					      xlb_decap_outer6(ctx, &p);
	if (r == XLB_DECAP_CONTINUE)
		r = xlb_decap_inner(ctx, &p);
	if (r == XLB_DECAP_CONTINUE)
		r = xlb_decap_strip(ctx, &p);
	outcome = xlb_decap_outcome(r);
	xlb_decap_count(outcome, p.pkt_len);
	return xlb_decap_verdict(outcome);
}

#endif /* XLB_BPF_DECAP_H */
