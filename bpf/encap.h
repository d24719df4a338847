/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds what happens to a packet on its way to a backend: IPIP,
 * IP6IP6, 4in6 or 6in4 encapsulation (the backend's family picks the outer
 * header), or the MAC rewrite of L2 DSR. The VLAN tag, if any, is kept:
 * the balancer is one-arm, in and out the same link.
 */
#ifndef XLB_BPF_ENCAP_H
#define XLB_BPF_ENCAP_H

#include "csum.h"
#include "outer.h"
#include "parse.h"
#include "xlb/flow_hash.h"

static __always_inline __u32 xlb_encap_overhead(const struct xlb_backend *be)
{
	return be->family == XLB_AF_INET ? sizeof(struct iphdr) :
					   sizeof(struct ipv6hdr);
}

/* The outer headers themselves are outer.h's, shared with xlb_probe. */
static __always_inline void xlb_outer_ipv4(struct iphdr *o,
					   const struct xlb_pkt *p,
					   const struct xlb_backend *be,
					   const struct xlb_config *cfg,
					   __u32 entropy)
{
	xlb_outer4(o, p->tos, p->l3_len, p->family, &be->addr, cfg, entropy);
}

static __always_inline void xlb_outer_ipv6(struct ipv6hdr *o,
					   const struct xlb_pkt *p,
					   const struct xlb_backend *be,
					   const struct xlb_config *cfg,
					   __u32 entropy)
{
	xlb_outer6(o, p->tos, p->l3_len, p->family, &be->addr, cfg, entropy);
}

/*
 * Cuts what follows the IP packet in the frame before it is sent on:
 * Ethernet padding, which has no use once the frame grows, or a trailer a
 * switch or NIC appended. Those bytes are no part of the packet, and the
 * MTU check counts the IP length, so what leaves is exactly what it
 * counted. A trailer on a frame longer than the Ethernet minimum is
 * counted; padding is not (the frame was short, nothing odd). A frame
 * without either costs one compare.
 */
static __always_inline int xlb_trim_trailer(struct xdp_md *ctx,
					    const struct xlb_pkt *p)
{
	__u32 ip_end = p->l3_off + p->l3_len;

	if (p->pkt_len <= ip_end)
		return XLB_CONTINUE;
	if (p->pkt_len > p->l3_off + (ETH_ZLEN - ETH_HLEN))
		xlb_event(XLB_EV_TRAILER_TRIMMED);
	if (bpf_xdp_adjust_tail(ctx, -(int)(p->pkt_len - ip_end)))
		return XLB_DROP_ENCAP;
	return XLB_CONTINUE;
}

/*
 * Prepends the outer header for @be and sends towards the next hop. The
 * caller has checked the MTU; the trailer is cut first, so the outer
 * length fields and the MTU check describe the whole frame.
 */
static __always_inline int xlb_encap(struct xdp_md *ctx,
				     const struct xlb_pkt *p,
				     const struct xlb_backend *be,
				     const struct xlb_config *cfg)
{
	__u32 entropy = xlb_encap_entropy(&p->flow);
	void *data, *data_end;
	struct xlb_l2 l2;
	int l3;

	if (xlb_trim_trailer(ctx, p) != XLB_CONTINUE ||
	    xlb_l2_save(ctx, p->l3_off, &l2))
		return XLB_DROP_ENCAP;
	if (be->family == XLB_AF_INET) {
		struct iphdr *o;

		if (bpf_xdp_adjust_head(ctx, -(int)sizeof(*o)))
			return XLB_DROP_ENCAP;
		l3 = xlb_l2_write(ctx, &l2, cfg->nexthop_mac, l2.dst,
				  bpf_htons(ETH_P_IP));
		data = xlb_data(ctx);
		data_end = xlb_data_end(ctx);
		o = data + (l3 & 0x1f);
		if (l3 < 0 || (void *)(o + 1) > data_end)
			return XLB_DROP_ENCAP;
		xlb_outer_ipv4(o, p, be, cfg, entropy);
	} else {
		struct ipv6hdr *o;

		if (bpf_xdp_adjust_head(ctx, -(int)sizeof(*o)))
			return XLB_DROP_ENCAP;
		l3 = xlb_l2_write(ctx, &l2, cfg->nexthop_mac, l2.dst,
				  bpf_htons(ETH_P_IPV6));
		data = xlb_data(ctx);
		data_end = xlb_data_end(ctx);
		o = data + (l3 & 0x1f);
		if (l3 < 0 || (void *)(o + 1) > data_end)
			return XLB_DROP_ENCAP;
		xlb_outer_ipv6(o, p, be, cfg, entropy);
	}
	return XLB_CONTINUE;
}

/* L2 DSR: the backend holds the VIP itself; only the MACs change. */
static __always_inline int xlb_l2dsr(struct xdp_md *ctx, const struct xlb_pkt *p,
				     const struct xlb_backend *be)
{
	void *data, *data_end;
	struct ethhdr *eth;

	if (xlb_trim_trailer(ctx, p) != XLB_CONTINUE)
		return XLB_DROP_ENCAP;
	data = xlb_data(ctx);
	data_end = xlb_data_end(ctx);
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return XLB_DROP_ENCAP;
	xlb_mac_copy(eth->h_source, eth->h_dest);
	xlb_mac_copy(eth->h_dest, be->mac);
	return XLB_CONTINUE;
}

#endif /* XLB_BPF_ENCAP_H */
