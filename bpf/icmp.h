/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the ICMP side of the LB: echo requests to a VIP address
 * are answered; errors about a VIP flow (destination unreachable, among them
 * frag-needed, time exceeded, packet too big) addressed to the VIP address
 * the quoted packet came from go to the backend that owns the flow they
 * quote (other errors are the stack's); a packet too big to encapsulate
 * gets frag-needed / packet-too-big back, so the client's PMTU discovery
 * works through the LB.
 */
#ifndef XLB_BPF_ICMP_H
#define XLB_BPF_ICMP_H

#include <linux/icmpv6.h>
#include "csum.h"
#include "encap.h"
#include "parse.h"

/* <linux/icmp.h> pulls in libc's socket headers, which a BPF target lacks. */
#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_FRAG_NEEDED 4

struct icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	union {
		struct {
			__be16 id;
			__be16 sequence;
		} echo;
		struct {
			__be16 __unused;
			__be16 mtu;
		} frag;
	} un;
};

#define XLB_ICMP_TTL 64
/* Bytes of the offending packet quoted in frag-needed (RFC 792 asks for the
 * IP header and 8 bytes; 128 covers any IHL plus a TCP header) and in
 * packet-too-big (RFC 4443: as much as fits; 256 keeps the checksum within
 * one bpf_csum_diff() call). Multiples of 4 for bpf_csum_diff(). */
#define XLB_ICMP4_QUOTE 128
#define XLB_ICMP6_QUOTE 256

struct xlb_icmp6_pseudo {
	struct in6_addr saddr;
	struct in6_addr daddr;
	__be32 len;
	__be32 nexthdr;
};

static __always_inline int xlb_echo_reply4(struct xdp_md *ctx,
					   struct xlb_pkt *p)
{
	void *data, *data_end;
	struct icmphdr *ic;
	struct iphdr *iph;
	__u16 old;
	__be32 a;

	if (xlb_trim_trailer(ctx, p) != XLB_CONTINUE)
		return XLB_DROP_ENCAP;
	data = xlb_data(ctx);
	data_end = xlb_data_end(ctx);
	iph = data + (p->l3_off & 0x1f);
	ic = data + (p->l4_off & 0x7f);
	if ((void *)(iph + 1) > data_end || (void *)(ic + 1) > data_end ||
	    (void *)(data + sizeof(struct ethhdr)) > data_end)
		return XLB_DROP_MALFORMED;
	xlb_swap_macs(data);
	a = iph->saddr;
	iph->saddr = iph->daddr;
	iph->daddr = a;
	old = *(__u16 *)&iph->ttl;
	iph->ttl = XLB_ICMP_TTL;
	xlb_csum_replace2(&iph->check, old, *(__u16 *)&iph->ttl);
	old = *(__u16 *)ic;
	ic->type = ICMP_ECHOREPLY;
	xlb_csum_replace2(&ic->checksum, old, *(__u16 *)ic);
	return XLB_TX_ECHO_REPLY;
}

static __always_inline int xlb_echo_reply6(struct xdp_md *ctx,
					   struct xlb_pkt *p)
{
	void *data, *data_end;
	struct ipv6hdr *ip6h;
	struct icmp6hdr *ic;
	struct in6_addr a;
	__u16 old;

	if (xlb_trim_trailer(ctx, p) != XLB_CONTINUE)
		return XLB_DROP_ENCAP;
	data = xlb_data(ctx);
	data_end = xlb_data_end(ctx);
	ip6h = data + (p->l3_off & 0x1f);
	ic = data + (p->l4_off & 0xfff);
	if ((void *)(ip6h + 1) > data_end || (void *)(ic + 1) > data_end ||
	    (void *)(data + sizeof(struct ethhdr)) > data_end)
		return XLB_DROP_MALFORMED;
	xlb_swap_macs(data);
	/* the pseudo header sums the same with the addresses swapped */
	a = ip6h->saddr;
	ip6h->saddr = ip6h->daddr;
	ip6h->daddr = a;
	ip6h->hop_limit = XLB_ICMP_TTL;
	old = *(__u16 *)ic;
	ic->icmp6_type = ICMPV6_ECHO_REPLY;
	xlb_csum_replace2(&ic->icmp6_cksum, old, *(__u16 *)ic);
	return XLB_TX_ECHO_REPLY;
}

/*
 * An ICMPv4 error quotes a packet the VIP sent (source VIP, destination the
 * client): reverse it into the flow as the client sends it. The quote must
 * lie inside the error's IP packet and come from the address the error is
 * addressed to (p->flow.dst until now): an error sent to one address about
 * another's packet concerns no backend of ours.
 */
static __always_inline int xlb_icmp4_error_flow(struct xdp_md *ctx,
						struct xlb_pkt *p, __u32 off)
{
	void *data = xlb_data(ctx), *data_end = xlb_data_end(ctx);
	__u32 l3_end = p->l3_off + p->l3_len, hlen;
	struct iphdr *in;
	__be16 *ports;

	off &= 0x7f; /* at most 18 + 60 + 8 */
	in = data + off;
	if ((void *)(in + 1) > data_end || off + sizeof(*in) > l3_end ||
	    in->version != 4 || in->ihl < 5)
		return xlb_malformed(p);
	if (in->protocol != IPPROTO_TCP && in->protocol != IPPROTO_UDP)
		return XLB_PASS_ICMP_NOT_VIP;
	hlen = (in->ihl * 4) & 0x3f;
	ports = (void *)in + hlen;
	if ((void *)(ports + 2) > data_end || off + hlen + 4 > l3_end)
		return xlb_malformed(p);
	if (in->saddr != p->flow.dst.v4)
		return XLB_PASS_ICMP_NOT_VIP;
	p->flow.src.v4 = in->daddr;
	p->flow.dst.v4 = in->saddr;
	p->flow.sport = ports[1];
	p->flow.dport = ports[0];
	p->flow.proto = in->protocol;
	p->icmp_error = 1;
	return XLB_CONTINUE;
}

static __always_inline int xlb_icmp6_error_flow(struct xdp_md *ctx,
						struct xlb_pkt *p, __u32 off)
{
	void *data = xlb_data(ctx), *data_end = xlb_data_end(ctx);
	__u32 l3_end = p->l3_off + p->l3_len;
	struct ipv6hdr *in;
	__be16 *ports;
	__u32 *qs;

	off &= 0xfff;
	in = data + off;
	ports = (void *)(in + 1);
	if ((void *)(ports + 2) > data_end || off + sizeof(*in) + 4 > l3_end ||
	    in->version != 6)
		return xlb_malformed(p);
	/* a VIP's own packets carry no extension headers */
	if (in->nexthdr != IPPROTO_TCP && in->nexthdr != IPPROTO_UDP)
		return XLB_PASS_ICMP_NOT_VIP;
	qs = (__u32 *)&in->saddr;
	if (qs[0] != p->flow.dst.v6[0] || qs[1] != p->flow.dst.v6[1] ||
	    qs[2] != p->flow.dst.v6[2] || qs[3] != p->flow.dst.v6[3])
		return XLB_PASS_ICMP_NOT_VIP;
	__builtin_memcpy(&p->flow.src, &in->daddr, sizeof(p->flow.src));
	__builtin_memcpy(&p->flow.dst, &in->saddr, sizeof(p->flow.dst));
	p->flow.sport = ports[1];
	p->flow.dport = ports[0];
	p->flow.proto = in->nexthdr;
	p->icmp_error = 1;
	return XLB_CONTINUE;
}

/*
 * Only an error addressed to a VIP address can be about a packet a VIP
 * sent; the rest (errors about the node's own traffic, or forged to steer
 * a quoted flow) are the stack's. The filter's bit first: most errors are
 * not for a VIP and cost one array load.
 */
static __always_inline int xlb_icmp_error(struct xdp_md *ctx, struct xlb_pkt *p,
					  __u32 off)
{
	if (!xlb_maybe_vip_addr(&p->flow.dst) ||
	    !xlb_is_vip_addr(&p->flow.dst, p->family, 0))
		return XLB_PASS_ICMP_NOT_TO_VIP;
	if (p->family == XLB_AF_INET)
		return xlb_icmp4_error_flow(ctx, p, off);
	return xlb_icmp6_error_flow(ctx, p, off);
}

/*
 * ICMP stage: echo requests to a VIP address are answered here; errors
 * continue with the quoted flow; anything else is the stack's.
 */
static __always_inline int xlb_icmp(struct xdp_md *ctx, struct xlb_pkt *p)
{
	void *data = xlb_data(ctx), *data_end = xlb_data_end(ctx);
	__u32 off = p->l4_off & 0xfff;
	__u8 *type = data + off;

	if ((void *)(type + 8) > data_end || off + 8 > p->l3_off + p->l3_len)
		return xlb_malformed(p);
	if (p->family == XLB_AF_INET && p->l4_proto == IPPROTO_ICMP) {
		if (*type == ICMP_ECHO) {
			if (!xlb_is_vip_addr(&p->flow.dst, p->family,
					     XLB_ADDR_F_ECHO))
				return XLB_PASS_ICMP_NOT_VIP;
			if (!xlb_ipv4_csum_ok(ctx, p))
				return XLB_DROP_MALFORMED;
			return xlb_echo_reply4(ctx, p);
		}
		if (*type == ICMP_DEST_UNREACH || *type == ICMP_TIME_EXCEEDED)
			return xlb_icmp_error(ctx, p, off + 8);
	} else if (p->family == XLB_AF_INET6 &&
		   p->l4_proto == IPPROTO_ICMPV6) {
		if (*type == ICMPV6_ECHO_REQUEST) {
			if (!xlb_is_vip_addr(&p->flow.dst, p->family,
					     XLB_ADDR_F_ECHO))
				return XLB_PASS_ICMP_NOT_VIP;
			return xlb_echo_reply6(ctx, p);
		}
		if (*type == ICMPV6_DEST_UNREACH || *type == ICMPV6_PKT_TOOBIG ||
		    *type == ICMPV6_TIME_EXCEED)
			return xlb_icmp_error(ctx, p, off + 8);
	}
	return XLB_PASS_ICMP_NOT_VIP;
}

/*
 * No ICMP error about a frame sent to a link-layer broadcast or multicast
 * address (RFC 1812 4.3.2.7, RFC 4443 2.4(e)): one such frame would draw
 * an answer from every balancer on the segment. Group sources never get
 * here (xlb_src_reason4/6 drop them).
 */
static __always_inline int xlb_l2_group(const struct xlb_l2 *l2)
{
	return l2->dst[0] & 1;
}

/*
 * Turns the packet into frag-needed for its sender: Ethernet (MACs swapped),
 * IPv4 from the VIP, ICMP 3/4 with @mtu, and the first XLB_ICMP4_QUOTE bytes
 * of the original IP packet. Room is made by cutting the tail and growing the
 * head by exactly the new IP + ICMP headers, so the quote stays in place.
 */
static __always_inline int xlb_send_frag_needed(struct xdp_md *ctx,
						struct xlb_pkt *p, __u16 mtu)
{
	const __u32 grow = sizeof(struct iphdr) + sizeof(struct icmphdr);
	void *data, *data_end;
	struct icmphdr *ic;
	struct iphdr *iph;
	struct xlb_l2 l2;
	int l3;

	if (p->l3_len < XLB_ICMP4_QUOTE || xlb_l2_save(ctx, p->l3_off, &l2) ||
	    xlb_l2_group(&l2))
		return XLB_DROP_TOO_BIG;
	if (bpf_xdp_adjust_tail(ctx, -(int)(p->pkt_len - p->l3_off -
					    XLB_ICMP4_QUOTE)))
		return XLB_DROP_ENCAP;
	if (bpf_xdp_adjust_head(ctx, -(int)grow))
		return XLB_DROP_ENCAP;
	l3 = xlb_l2_write(ctx, &l2, l2.src, l2.dst, bpf_htons(ETH_P_IP));
	data = xlb_data(ctx);
	data_end = xlb_data_end(ctx);
	iph = data + (l3 & 0x1f);
	ic = (void *)(iph + 1);
	if (l3 < 0 || (void *)ic + sizeof(*ic) + XLB_ICMP4_QUOTE > data_end)
		return XLB_DROP_ENCAP;
	iph->version = 4;
	iph->ihl = 5;
	iph->tos = 0;
	iph->tot_len = bpf_htons(grow + XLB_ICMP4_QUOTE);
	iph->id = 0;
	iph->frag_off = 0;
	iph->ttl = XLB_ICMP_TTL;
	iph->protocol = IPPROTO_ICMP;
	iph->saddr = p->flow.dst.v4;
	iph->daddr = p->flow.src.v4;
	iph->check = 0;
	iph->check = xlb_ipv4_csum(iph);
	ic->type = ICMP_DEST_UNREACH;
	ic->code = ICMP_FRAG_NEEDED;
	ic->checksum = 0;
	ic->un.frag.__unused = 0;
	ic->un.frag.mtu = bpf_htons(mtu);
	ic->checksum = xlb_csum_fold((__u32)bpf_csum_diff(0, 0, (void *)ic,
						   sizeof(*ic) + XLB_ICMP4_QUOTE,
						   0));
	return XLB_TX_TOO_BIG;
}

static __always_inline int xlb_send_pkt_too_big(struct xdp_md *ctx,
						struct xlb_pkt *p, __u32 mtu)
{
	const __u32 grow = sizeof(struct ipv6hdr) + sizeof(struct icmp6hdr);
	struct xlb_icmp6_pseudo ph = {};
	void *data, *data_end;
	struct icmp6hdr *ic;
	struct ipv6hdr *o;
	struct xlb_l2 l2;
	__s64 sum;
	int l3;

	if (p->l3_len < XLB_ICMP6_QUOTE || xlb_l2_save(ctx, p->l3_off, &l2) ||
	    xlb_l2_group(&l2))
		return XLB_DROP_TOO_BIG;
	if (bpf_xdp_adjust_tail(ctx, -(int)(p->pkt_len - p->l3_off -
					    XLB_ICMP6_QUOTE)))
		return XLB_DROP_ENCAP;
	if (bpf_xdp_adjust_head(ctx, -(int)grow))
		return XLB_DROP_ENCAP;
	l3 = xlb_l2_write(ctx, &l2, l2.src, l2.dst, bpf_htons(ETH_P_IPV6));
	data = xlb_data(ctx);
	data_end = xlb_data_end(ctx);
	o = data + (l3 & 0x1f);
	ic = (void *)(o + 1);
	if (l3 < 0 || (void *)ic + sizeof(*ic) + XLB_ICMP6_QUOTE > data_end)
		return XLB_DROP_ENCAP;
	__builtin_memcpy(&ph.saddr, &p->flow.dst, sizeof(ph.saddr));
	__builtin_memcpy(&ph.daddr, &p->flow.src, sizeof(ph.daddr));
	ph.len = bpf_htonl(sizeof(*ic) + XLB_ICMP6_QUOTE);
	ph.nexthdr = bpf_htonl(IPPROTO_ICMPV6);
	o->version = 6;
	o->priority = 0;
	o->flow_lbl[0] = 0;
	o->flow_lbl[1] = 0;
	o->flow_lbl[2] = 0;
	o->payload_len = bpf_htons(sizeof(*ic) + XLB_ICMP6_QUOTE);
	o->nexthdr = IPPROTO_ICMPV6;
	o->hop_limit = XLB_ICMP_TTL;
	o->saddr = ph.saddr;
	o->daddr = ph.daddr;
	ic->icmp6_type = ICMPV6_PKT_TOOBIG;
	ic->icmp6_code = 0;
	ic->icmp6_cksum = 0;
	ic->icmp6_mtu = bpf_htonl(mtu);
	sum = bpf_csum_diff(0, 0, (void *)&ph, sizeof(ph), 0);
	sum = bpf_csum_diff(0, 0, (void *)ic, sizeof(*ic) + XLB_ICMP6_QUOTE,
			    (__u32)sum);
	ic->icmp6_cksum = xlb_csum_fold((__u32)sum);
	return XLB_TX_TOO_BIG;
}

#endif /* XLB_BPF_ICMP_H */
