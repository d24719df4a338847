/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the outer IPv4 and IPv6 headers of xlb's tunnels, map-free,
 * so the LB (encap.h) and the health-probe program (xlb_probe.bpf.c) write
 * the very same header: a probe must reach a backend exactly as a client's
 * packet does.
 */
#ifndef XLB_BPF_OUTER_H
#define XLB_BPF_OUTER_H

#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include "csum.h"
#include "ip.h"
#include "xlb/abi.h"

#define XLB_OUTER_TTL 64

/*
 * The header is built in registers and stored a word at a time, and its
 * checksum summed from those registers: reading back what was just
 * written with stores of other widths stalls store forwarding (measured:
 * a tenth of the established-flow path went to that read-back).
 * @inner: XLB_AF_* of the packet inside; @l3_len its length.
 */
static __always_inline void xlb_outer4(struct iphdr *o, __u8 tos, __u16 l3_len,
				       __u8 inner, const struct xlb_addr *dst,
				       const struct xlb_config *cfg,
				       __u32 entropy)
{
	/* version 4, IHL 5, TOS, total length */
	__be32 w0 = bpf_htonl(0x45000000 | (__u32)tos << 16 |
			      (__u16)(l3_len + sizeof(*o)));
	/*
	 * ID 0 and always DF: the MTU check keeps the packet within the path
	 * MTU, and ID 0 is allowed by RFC 6864 only for atomic datagrams; a
	 * fragmented outer packet could be reassembled with another's pieces.
	 */
	__be32 w1 = bpf_htonl(XLB_IP_DF);
	__be16 ttl_proto =
		bpf_htons(XLB_OUTER_TTL << 8 |
			  (inner == XLB_AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6));
	__be32 saddr = (cfg->encap_src4 & bpf_htonl(0xffff0000)) |
		       bpf_htonl(entropy & 0xffff);
	__be32 daddr = dst->v4;
	__u32 *w = (__u32 *)o;

	w[0] = w0;
	w[1] = w1;
	*(__be16 *)&o->ttl = ttl_proto;
	o->check = xlb_csum_fold((__u64)w0 + w1 + ttl_proto + saddr + daddr);
	w[3] = saddr;
	w[4] = daddr;
}

static __always_inline void xlb_outer6(struct ipv6hdr *o, __u8 tos,
				       __u16 l3_len, __u8 inner,
				       const struct xlb_addr *dst,
				       const struct xlb_config *cfg,
				       __u32 entropy)
{
	o->version = 6;
	o->priority = tos >> 4;
	o->flow_lbl[0] = ((tos & 0xf) << 4) | ((entropy >> 16) & 0xf);
	o->flow_lbl[1] = entropy >> 8;
	o->flow_lbl[2] = entropy;
	o->payload_len = bpf_htons(l3_len);
	o->nexthdr = inner == XLB_AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6;
	o->hop_limit = XLB_OUTER_TTL;
	__builtin_memcpy(&o->saddr, &cfg->encap_src6, 12);
	o->saddr.in6_u.u6_addr32[3] = bpf_htonl(entropy);
	__builtin_memcpy(&o->daddr, dst, sizeof(o->daddr));
}

#endif /* XLB_BPF_OUTER_H */
