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
#include "parse.h"
#include "xlb/flow_hash.h"

#define XLB_OUTER_TTL 64

static __always_inline __u32 xlb_encap_overhead(const struct xlb_backend *be)
{
	return be->family == XLB_AF_INET ? sizeof(struct iphdr) :
					   sizeof(struct ipv6hdr);
}

/*
 * The header is built in registers and stored a word at a time, and its
 * checksum summed from those registers: reading back what was just
 * written with stores of other widths stalls store forwarding (measured:
 * a tenth of the established-flow path went to that read-back).
 */
static __always_inline void xlb_outer_ipv4(struct iphdr *o,
					   const struct xlb_pkt *p,
					   const struct xlb_backend *be,
					   const struct xlb_config *cfg,
					   __u32 entropy)
{
	/* version 4, IHL 5, TOS, total length */
	__be32 w0 = bpf_htonl(0x45000000 | (__u32)p->tos << 16 |
			      (__u16)(p->l3_len + sizeof(*o)));
	/*
	 * ID 0 and always DF: the MTU check keeps the packet within the path
	 * MTU, and ID 0 is allowed by RFC 6864 only for atomic datagrams; a
	 * fragmented outer packet could be reassembled with another's pieces.
	 */
	__be32 w1 = bpf_htonl(XLB_IP_DF);
	__be16 ttl_proto = bpf_htons(XLB_OUTER_TTL << 8 |
				     (p->family == XLB_AF_INET ? IPPROTO_IPIP :
								 IPPROTO_IPV6));
	__be32 saddr = (cfg->encap_src4 & bpf_htonl(0xffff0000)) |
		       bpf_htonl(entropy & 0xffff);
	__be32 daddr = be->addr.v4;
	__u32 *w = (__u32 *)o;

	w[0] = w0;
	w[1] = w1;
	*(__be16 *)&o->ttl = ttl_proto;
	o->check = xlb_csum_fold((__u64)w0 + w1 + ttl_proto + saddr + daddr);
	w[3] = saddr;
	w[4] = daddr;
}

static __always_inline void xlb_outer_ipv6(struct ipv6hdr *o,
					   const struct xlb_pkt *p,
					   const struct xlb_backend *be,
					   const struct xlb_config *cfg,
					   __u32 entropy)
{
	o->version = 6;
	o->priority = p->tos >> 4;
	o->flow_lbl[0] = ((p->tos & 0xf) << 4) | ((entropy >> 16) & 0xf);
	o->flow_lbl[1] = entropy >> 8;
	o->flow_lbl[2] = entropy;
	o->payload_len = bpf_htons(p->l3_len);
	o->nexthdr = p->family == XLB_AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6;
	o->hop_limit = XLB_OUTER_TTL;
	__builtin_memcpy(&o->saddr, &cfg->encap_src6, 12);
	o->saddr.in6_u.u6_addr32[3] = bpf_htonl(entropy);
	__builtin_memcpy(&o->daddr, &be->addr, sizeof(o->daddr));
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
	__builtin_memcpy(eth->h_source, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, be->mac, 6);
	return XLB_CONTINUE;
}

#endif /* XLB_BPF_ENCAP_H */
