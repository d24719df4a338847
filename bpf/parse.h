/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the packet parser of the LB: Ethernet with at most one
 * 802.1Q tag, IPv4 with any IHL, IPv6 with up to XLB_MAX_EXT_HDRS extension
 * headers, and the TCP/UDP ports. Every stage returns XLB_CONTINUE or the
 * outcome (enum xlb_stat) that ends the packet's trip.
 *
 * Malformed packets: until the destination address is read nothing is known,
 * so the packet passes to the stack untouched (XLB_PASS_MALFORMED); once it
 * is known and is a VIP address, a broken header is dropped
 * (XLB_DROP_MALFORMED) so nothing broken is ever forwarded. Every header
 * read lies inside the IP packet's own length (total length, payload
 * length), never in the Ethernet padding or trailer after it.
 *
 * Packets to a VIP address from a source that can never be a client, with
 * IPv6 extension headers out of RFC 8200's order or with a Routing header
 * that still has segments left are dropped by reason; to other addresses
 * they pass, the stack's to judge (README, "Policies for odd packets").
 */
#ifndef XLB_BPF_PARSE_H
#define XLB_BPF_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include "maps.h"
#include "stats.h"
#include "csum.h"
#include "eth.h"
#include "ip.h"
#include "ptr.h"

#ifndef XLB_MAX_EXT_HDRS
#define XLB_MAX_EXT_HDRS 4
#endif

#define XLB_TCP_FIN 0x01
#define XLB_TCP_SYN 0x02
#define XLB_TCP_RST 0x04
#define XLB_TCP_ACK 0x10

/* What the parser learnt; offsets are from ctx->data at entry. */
struct xlb_pkt {
	/* as the client sent it; 8-aligned: the flow cache reads it in words */
	struct xlb_flow flow __attribute__((aligned(8)));
	__u32 pkt_len; /* frame length at entry */
	__u16 l3_off; /* 14, or 18 with a VLAN tag */
	__u16 l4_off;
	__u16 l3_len; /* IP total length, from the header */
	__u8 family; /* XLB_AF_* of the received packet */
	__u8 l4_proto;
	__u8 tos; /* IPv4 TOS or IPv6 traffic class */
	__u8 df; /* IPv4 DF; IPv6 never fragments in flight */
	__u8 fragment;
	__u8 icmp_error; /* flow comes from the packet an ICMP error quotes */
	__u8 tcp_flags; /* TCP: the flags byte (FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10) */
	__u8 maybe_vip; /* xlb_fast_not_vip found flow.dst's filter bit set */
};

static __always_inline int xlb_is_vip_addr(const struct xlb_addr *a,
					   __u8 family, __u32 flag)
{
	struct xlb_addr_key k = { .addr = *a, .family = family };
	struct xlb_addr_info *ai = bpf_map_lookup_elem(&xlb_vip_addrs, &k);

	return ai && (!flag || (ai->flags & flag));
}

/* What xlb_fast_not_vip found. */
enum xlb_fast {
	XLB_FAST_PASS, /* not for a VIP: pass_not_vip, as the full parse says */
	XLB_FAST_MAYBE_VIP, /* TCP/UDP in the common shape, filter bit set */
	XLB_FAST_UNSURE, /* another shape: the full parse decides */
};

/* The filter bit of an address given as the XOR of its words. */
static __always_inline int xlb_maybe_vip_hash(__u32 x)
{
	__u32 bit = xlb_addr_filter_hash(x), word = bit / 64;
	__u64 *w = bpf_map_lookup_elem(&xlb_vip_addr_filter, &word);

	return !w || ((*w >> (bit % 64)) & 1);
}

/*
 * The TCP or UDP header at @l4 of an IP packet whose payload is @plen
 * bytes lies inside the frame and the packet, as xlb_parse_l4 requires.
 */
static __always_inline int xlb_fast_l4_ok(void *l4, void *data_end, __u8 proto,
					  __u32 plen)
{
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;
		__u32 doff;

		if ((void *)(th + 1) > data_end || plen < sizeof(*th))
			return 0;
		doff = th->doff * 4;
		return doff >= sizeof(*th) && doff <= plen;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr *uh = l4;
		__u32 ulen;

		if ((void *)(uh + 1) > data_end || plen < sizeof(*uh))
			return 0;
		ulen = bpf_ntohs(uh->len);
		return ulen >= sizeof(*uh) && ulen <= plen;
	}
	return 0;
}

/*
 * Most packets that are not for a VIP have the common shape: Ethernet
 * without a tag, IPv4 without options (or IPv6 without extension headers),
 * an unfragmented TCP or UDP packet whose headers lie inside the IP length.
 * For those, straight from the frame, before anything is stored: when the
 * destination's filter bit is clear the full parse could only say
 * pass_not_vip (an address without a VIP: its source, TTL and hop limit
 * are the stack's to judge), so the packet passes after about a quarter of
 * the instructions. Any other shape, every malformed header among them,
 * takes the full parse and keeps its own outcome.
 */
static __always_inline enum xlb_fast xlb_fast_not_vip(struct xdp_md *ctx)
{
	void *data = xlb_data(ctx), *data_end = xlb_data_end(ctx);
	struct ethhdr *eth = data;
	__u32 len = data_end - data;
	__be16 proto;

	if ((void *)(eth + 1) > data_end)
		return XLB_FAST_UNSURE;
	/* one load: struct ethhdr is packed, so h_proto is read bytewise */
	proto = *(__be16 *)(data + offsetof(struct ethhdr, h_proto));
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);
		__u32 tot;

		if ((void *)(iph + 1) > data_end || ((__u8 *)iph)[0] != 0x45 ||
		    (iph->frag_off & bpf_htons(XLB_IP_MF | XLB_IP_OFFSET)))
			return XLB_FAST_UNSURE;
		tot = bpf_ntohs(iph->tot_len);
		if (tot < sizeof(*iph) || sizeof(*eth) + tot > len ||
		    !xlb_fast_l4_ok(iph + 1, data_end, iph->protocol,
				    tot - sizeof(*iph)))
			return XLB_FAST_UNSURE;
		return xlb_maybe_vip_hash(iph->daddr) ? XLB_FAST_MAYBE_VIP :
							XLB_FAST_PASS;
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (void *)(eth + 1);
		__u32 plen, *d;

		if ((void *)(ip6h + 1) > data_end || ip6h->version != 6)
			return XLB_FAST_UNSURE;
		plen = bpf_ntohs(ip6h->payload_len);
		if (!plen || sizeof(*eth) + sizeof(*ip6h) + plen > len ||
		    !xlb_fast_l4_ok(ip6h + 1, data_end, ip6h->nexthdr, plen))
			return XLB_FAST_UNSURE;
		d = ip6h->daddr.in6_u.u6_addr32;
		return xlb_maybe_vip_hash(d[0] ^ d[1] ^ d[2] ^ d[3]) ?
			       XLB_FAST_MAYBE_VIP :
			       XLB_FAST_PASS;
	}
	return XLB_FAST_UNSURE;
}

/*
 * False only when @a surely carries no VIP (its bit in xlb_vip_addr_filter
 * is clear): one array load, where the VIP lookup costs two hash lookups
 * for such a packet.
 */
static __always_inline int xlb_maybe_vip_addr(const struct xlb_addr *a)
{
	return xlb_maybe_vip_hash(a->v6[0] ^ a->v6[1] ^ a->v6[2] ^ a->v6[3]);
}

/* @reason for a packet to a VIP address; other packets are the stack's. */
static __always_inline int xlb_vip_addr_drop(const struct xlb_pkt *p,
					     int reason)
{
	if (xlb_is_vip_addr(&p->flow.dst, p->flow.family, 0))
		return reason;
	return XLB_PASS_NOT_VIP;
}

/*
 * Sources that can never be a client: nothing can answer them, or they
 * are a reflection vector (RFC 1812 5.3.7, RFC 4443 2.4(e)). IPv4-mapped
 * addresses never appear on the wire (RFC 4291 2.5.5.2): one as a source
 * would pass an IPv6 packet off as an IPv4 client to a dual-stack backend.
 * Link-local sources are left alone: an on-link client may use one.
 */
static __always_inline int xlb_src_reason4(__be32 saddr)
{
	__u32 a = bpf_ntohl(saddr) >> 24;

	if (a == 0)
		return XLB_DROP_SRC_UNSPEC;
	if (a == 127)
		return XLB_DROP_SRC_LOOPBACK;
	if (a >= 240) /* 255.255.255.255 included */
		return XLB_DROP_SRC_RESERVED;
	if (a >= 224)
		return XLB_DROP_SRC_MULTICAST;
	return XLB_CONTINUE;
}

static __always_inline int xlb_src_reason6(const struct xlb_addr *a)
{
	if ((a->v6[0] & bpf_htonl(0xff000000)) == bpf_htonl(0xff000000))
		return XLB_DROP_SRC_MULTICAST;
	if (a->v6[0] || a->v6[1])
		return XLB_CONTINUE;
	if (a->v6[2] == bpf_htonl(0xffff))
		return XLB_DROP_SRC_RESERVED;
	if (a->v6[2])
		return XLB_CONTINUE;
	if (!a->v6[3])
		return XLB_DROP_SRC_UNSPEC;
	if (a->v6[3] == bpf_htonl(1))
		return XLB_DROP_SRC_LOOPBACK;
	return XLB_CONTINUE;
}

/*
 * TTL / hop limit 0 or 1 to a VIP address is forwarded as it came: the VIP
 * is the packet's destination and the tunnel is no hop of the inner
 * packet (it is not decremented, the outer header has its own TTL), and a
 * host must not discard a datagram for a TTL below 2 (RFC 1122 3.2.1.7).
 * Counted, so a loop or a scan by TTL shows.
 */
static __always_inline void xlb_note_ttl(const struct xlb_pkt *p, __u8 ttl)
{
	if (ttl <= 1 && xlb_is_vip_addr(&p->flow.dst, p->flow.family, 0))
		xlb_event(XLB_EV_TTL_LOW);
}

/*
 * RFC 8200 4.1's order as ranks that must grow along the chain:
 * Hop-by-Hop (only first), Destination Options, Routing, Fragment,
 * Destination Options (the final one). So each header appears at most
 * once, Destination Options at most twice.
 */
static __always_inline __u8 xlb_ext_rank(__u8 nh, __u8 last)
{
	switch (nh) {
	case IPPROTO_HOPOPTS:
		return 1;
	case IPPROTO_ROUTING:
		return 3;
	case IPPROTO_FRAGMENT:
		return 4;
	default: /* IPPROTO_DSTOPTS */
		return last < 2 ? 2 : 5;
	}
}

/* Outcome of a broken header once the destination address is known. */
static __always_inline int xlb_malformed(const struct xlb_pkt *p)
{
	if (xlb_is_vip_addr(&p->flow.dst, p->flow.family, 0))
		return XLB_DROP_MALFORMED;
	return XLB_PASS_MALFORMED;
}

/*
 * Verifies the IPv4 header checksum, options included, as a router must
 * (RFC 1812 5.2.2). Only VIP traffic pays for it: everything else goes to the
 * stack, which checks it anyway.
 */
static __always_inline int xlb_ipv4_csum_ok(struct xdp_md *ctx,
					    const struct xlb_pkt *p)
{
	return xlb_ipv4_hdr_csum_ok(xlb_data(ctx), xlb_data_end(ctx),
				    p->l3_off,
				    ((__u32)p->l4_off - (__u32)p->l3_off) >> 2);
}

static __always_inline int xlb_parse_l2(struct xdp_md *ctx, struct xlb_pkt *p)
{
	switch (xlb_parse_eth(xlb_data(ctx), xlb_data_end(ctx), &p->l3_off,
			      &p->family)) {
	case XLB_ETH_IP:
		return XLB_CONTINUE;
	case XLB_ETH_NOT_IP:
		return XLB_PASS_NOT_IP;
	default:
		return XLB_PASS_MALFORMED;
	}
}

/*
 * The rest of an IPv4 header whose length, total length and addresses
 * (in p->flow) are known good: the source's reason, the TTL, the fields.
 */
static __always_inline int
xlb_ipv4_fill(struct xlb_pkt *p, const struct iphdr *iph, __u32 tot, __u32 hlen)
{
	int r = xlb_src_reason4(iph->saddr);

	if (r != XLB_CONTINUE)
		return xlb_vip_addr_drop(p, r);
	xlb_note_ttl(p, iph->ttl);
	p->l3_len = tot;
	p->l4_off = p->l3_off + hlen;
	p->l4_proto = iph->protocol;
	p->flow.proto = iph->protocol;
	p->tos = iph->tos;
	p->df = !!(iph->frag_off & bpf_htons(XLB_IP_DF));
	p->fragment = !!(iph->frag_off & bpf_htons(XLB_IP_MF | XLB_IP_OFFSET));
	return XLB_CONTINUE;
}

/* Likewise for IPv6, up to the extension headers. */
static __always_inline int xlb_ipv6_fill(struct xlb_pkt *p,
					 const struct ipv6hdr *ip6h, __u32 end)
{
	int r = xlb_src_reason6(&p->flow.src);

	if (r != XLB_CONTINUE)
		return xlb_vip_addr_drop(p, r);
	xlb_note_ttl(p, ip6h->hop_limit);
	p->l3_len = end - p->l3_off;
	p->tos = (ip6h->priority << 4) | (ip6h->flow_lbl[0] >> 4);
	p->df = 1;
	return XLB_CONTINUE;
}

static __always_inline int xlb_parse_ipv4(struct xdp_md *ctx, struct xlb_pkt *p)
{
	void *data = xlb_data(ctx), *data_end = xlb_data_end(ctx);
	struct iphdr *iph = data + p->l3_off;
	__u32 hlen, tot;

	if ((void *)(iph + 1) > data_end)
		return XLB_PASS_MALFORMED;
	p->flow.family = XLB_AF_INET;
	p->flow.src.v4 = iph->saddr;
	p->flow.dst.v4 = iph->daddr;
	hlen = iph->ihl * 4;
	tot = bpf_ntohs(iph->tot_len);
	if (iph->version != 4 || hlen < sizeof(*iph) || tot < hlen ||
	    p->l3_off + tot > p->pkt_len)
		return xlb_malformed(p);
	return xlb_ipv4_fill(p, iph, tot, hlen);
}

static __always_inline int xlb_parse_ipv6(struct xdp_md *ctx, struct xlb_pkt *p)
{
	void *data = xlb_data(ctx), *data_end = xlb_data_end(ctx);
	struct ipv6hdr *ip6h = data + p->l3_off;
	__u8 nh, last = 0;
	__u32 off, end;
	int r;

	if ((void *)(ip6h + 1) > data_end)
		return XLB_PASS_MALFORMED;
	p->flow.family = XLB_AF_INET6;
	__builtin_memcpy(&p->flow.src, &ip6h->saddr, sizeof(p->flow.src));
	__builtin_memcpy(&p->flow.dst, &ip6h->daddr, sizeof(p->flow.dst));
	end = p->l3_off + sizeof(*ip6h) + bpf_ntohs(ip6h->payload_len);
	/* payload_len 0 is a jumbogram: never on a path with an MTU we serve */
	if (ip6h->version != 6 || !ip6h->payload_len || end > p->pkt_len)
		return xlb_malformed(p);
	r = xlb_ipv6_fill(p, ip6h, end);
	if (r != XLB_CONTINUE)
		return r;
	nh = ip6h->nexthdr;
	off = p->l3_off + sizeof(*ip6h);

#pragma unroll
	for (int i = 0; i < XLB_MAX_EXT_HDRS; i++) {
		struct ipv6_rt_hdr *oh; /* any extension header starts so */
		__u8 rank;

		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING &&
		    nh != IPPROTO_DSTOPTS && nh != IPPROTO_FRAGMENT)
			break;
		off &= 0xfff; /* bounded for the verifier; frames are < 4 KiB */
		oh = data + off;
		/* every extension header is 8 bytes or more */
		if ((void *)oh + 8 > data_end || off + 8 > end)
			return xlb_malformed(p);
		rank = xlb_ext_rank(nh, last);
		if (rank <= last)
			return xlb_vip_addr_drop(p, XLB_DROP_EXT_ORDER);
		last = rank;
		/*
		 * Segments left: the VIP is a waypoint, not the destination.
		 * A backend would route the packet on to the next segment
		 * (source routing through the pool), so it is not forwarded.
		 * With none left the header is done with (RFC 8200 4.4).
		 */
		if (nh == IPPROTO_ROUTING && oh->segments_left)
			return xlb_vip_addr_drop(p, XLB_DROP_ROUTING_HDR);
		if (nh == IPPROTO_FRAGMENT) {
			p->fragment = 1;
			off += 8;
		} else {
			off += (oh->hdrlen + 1) * 8;
		}
		nh = oh->nexthdr;
	}
	if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	    nh == IPPROTO_DSTOPTS || nh == IPPROTO_FRAGMENT || off > end)
		return xlb_malformed(p);
	p->l4_off = off;
	p->l4_proto = nh;
	p->flow.proto = nh;
	return XLB_CONTINUE;
}

static __always_inline void xlb_tcp_fill(struct xlb_pkt *p,
					 const struct tcphdr *th)
{
	p->flow.sport = th->source;
	p->flow.dport = th->dest;
	p->tcp_flags = ((const __u8 *)th)[13];
}

static __always_inline void xlb_udp_fill(struct xlb_pkt *p,
					 const struct udphdr *uh)
{
	p->flow.sport = uh->source;
	p->flow.dport = uh->dest;
}

/*
 * Ports of a TCP or UDP packet. Fragments to a VIP address are dropped:
 * only the first one carries ports, so the rest could not follow it to the
 * same backend (the policy of Katran and most L4 balancers).
 */
static __always_inline int xlb_parse_l4(struct xdp_md *ctx, struct xlb_pkt *p)
{
	void *data = xlb_data(ctx), *data_end = xlb_data_end(ctx);
	__u32 l3_end = p->l3_off + p->l3_len;
	__u32 off = p->l4_off & 0xfff;

	if (p->fragment) {
		if ((p->l4_proto == IPPROTO_TCP || p->l4_proto == IPPROTO_UDP) &&
		    xlb_is_vip_addr(&p->flow.dst, p->flow.family, 0))
			return XLB_DROP_FRAGMENT;
		return XLB_PASS_NOT_VIP;
	}
	if (p->l4_proto == IPPROTO_TCP) {
		struct tcphdr *th = data + off;
		__u32 doff;

		if ((void *)(th + 1) > data_end || off + sizeof(*th) > l3_end)
			return xlb_malformed(p);
		xlb_tcp_fill(p, th);
		doff = th->doff * 4;
		if (doff < sizeof(*th) || off + doff > l3_end)
			return xlb_malformed(p);
		return XLB_CONTINUE;
	}
	if (p->l4_proto == IPPROTO_UDP) {
		struct udphdr *uh = data + off;
		__u32 ulen;

		if ((void *)(uh + 1) > data_end || off + sizeof(*uh) > l3_end)
			return xlb_malformed(p);
		xlb_udp_fill(p, uh);
		ulen = bpf_ntohs(uh->len);
		if (ulen < sizeof(*uh) || off + ulen > l3_end)
			return xlb_malformed(p);
		return XLB_CONTINUE;
	}
	if (p->l4_proto == IPPROTO_ICMP || p->l4_proto == IPPROTO_ICMPV6)
		return XLB_CONTINUE; /* the ICMP stage takes it */
	return XLB_PASS_NOT_VIP;
}

/*
 * The parse of a packet xlb_fast_not_vip found in the common shape with
 * its destination's filter bit set: its headers are known good, so only
 * the fields are read and the source and TTL judged, as xlb_parse_ipv4/6
 * and xlb_parse_l4 would for it, without checking the shape twice.
 */
static __always_inline int xlb_parse_common(struct xdp_md *ctx,
					    struct xlb_pkt *p)
{
	void *data = xlb_data(ctx), *data_end = xlb_data_end(ctx);
	__be16 proto;
	void *l4;
	int r;

	if (data + sizeof(struct ethhdr) > data_end)
		return XLB_PASS_MALFORMED;
	proto = *(__be16 *)(data + offsetof(struct ethhdr, h_proto));
	p->l3_off = sizeof(struct ethhdr);
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = data + sizeof(struct ethhdr);

		l4 = iph + 1;
		if (l4 + sizeof(struct udphdr) > data_end)
			return XLB_PASS_MALFORMED;
		p->family = XLB_AF_INET;
		p->flow.family = XLB_AF_INET;
		p->flow.src.v4 = iph->saddr;
		p->flow.dst.v4 = iph->daddr;
		r = xlb_ipv4_fill(p, iph, bpf_ntohs(iph->tot_len),
				  sizeof(*iph));
	} else {
		struct ipv6hdr *ip6h = data + sizeof(struct ethhdr);

		l4 = ip6h + 1;
		if (l4 + sizeof(struct udphdr) > data_end)
			return XLB_PASS_MALFORMED;
		p->family = XLB_AF_INET6;
		p->flow.family = XLB_AF_INET6;
		__builtin_memcpy(&p->flow.src, &ip6h->saddr,
				 sizeof(p->flow.src));
		__builtin_memcpy(&p->flow.dst, &ip6h->daddr,
				 sizeof(p->flow.dst));
		r = xlb_ipv6_fill(p, ip6h,
				  sizeof(struct ethhdr) + sizeof(*ip6h) +
					  bpf_ntohs(ip6h->payload_len));
		p->l4_off = sizeof(struct ethhdr) + sizeof(*ip6h);
		p->l4_proto = ip6h->nexthdr;
		p->flow.proto = ip6h->nexthdr;
	}
	if (r != XLB_CONTINUE)
		return r;
	/* the bounds the shape check proved, again for the verifier */
	if (p->l4_proto == IPPROTO_UDP) {
		xlb_udp_fill(p, l4);
		return XLB_CONTINUE;
	}
	if (l4 + sizeof(struct tcphdr) > data_end)
		return XLB_PASS_MALFORMED;
	xlb_tcp_fill(p, l4);
	return XLB_CONTINUE;
}

#endif /* XLB_BPF_PARSE_H */
