// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds xlb's health-probe program: TC egress on the LB's
 * interfaces. xlbd's checker marks a probe's socket (SO_MARK, see
 * xlb_probe_mark() in abi.h) and connects to the VIP; every packet of that
 * connection leaving here is sent to the backend the mark names, exactly
 * as the LB sends a client's packet there: the same outer header (outer.h:
 * IPIP, IP6IP6, 4in6 or 6in4, outer source from encap.source4/6 with the
 * flow's entropy, DF, TTL 64), to the next hop's MAC; or, for an L2 DSR
 * VIP, the packet as it is to the backend's MAC. So a backend that lost the
 * VIP, its decap or its route back fails its check. Katran's healthchecking
 * program does the same with skb marks. Unmarked packets are not touched;
 * every packet is counted once in xlb_probe_stats.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "counter.h"
#include "outer.h"
#include "xlb/flow_hash.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* mark -> where the probe goes; xlbd fills it (lib/probe.h) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XLB_PROBE_MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct xlb_probe_target);
} xlb_probe_targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_PROBE_STAT_SLOTS);
	__type(key, __u32);
	__type(value, struct xlb_counter);
} xlb_probe_stats SEC(".maps");

/* The LB's own xlb_config (the same definition as maps.h): xlbd binds it
 * to the pinned one, so probes use the next hop and outer sources the
 * datapath uses. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_config);
} xlb_config SEC(".maps");

/* What the outer header needs from the probe packet. */
struct probe_pkt {
	struct xlb_flow flow;
	__u16 l3_len;
	__u8 tos;
};

/* The most of a probe packet the parse reads: Ethernet, IPv4 with options, ports. */
#define PROBE_PULL (ETH_HLEN + 60 + 4)

static __always_inline int probe_parse(struct __sk_buff *skb,
				       struct probe_pkt *p)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	__u8 l4 = 0;
	void *ports = 0;

	if ((void *)(eth + 1) > end)
		return -1;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		__u32 ihl;

		if ((void *)(ip + 1) > end || ip->version != 4 || ip->ihl < 5)
			return -1;
		ihl = ip->ihl * 4;
		p->flow.family = XLB_AF_INET;
		p->flow.src.v4 = ip->saddr;
		p->flow.dst.v4 = ip->daddr;
		p->l3_len = bpf_ntohs(ip->tot_len);
		p->tos = ip->tos;
		if (p->l3_len < ihl || p->l3_len > skb->len - ETH_HLEN)
			return -1;
		/* a later fragment has no ports: hashed without, as the LB does */
		if (!(ip->frag_off & bpf_htons(XLB_IP_OFFSET))) {
			l4 = ip->protocol;
			ports = (void *)ip + (ihl & 0x3c);
		}
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end || ip6->version != 6)
			return -1;
		p->flow.family = XLB_AF_INET6;
		__builtin_memcpy(&p->flow.src, &ip6->saddr, 16);
		__builtin_memcpy(&p->flow.dst, &ip6->daddr, 16);
		p->l3_len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
		p->tos = ip6->priority << 4 | ip6->flow_lbl[0] >> 4;
		if (p->l3_len > skb->len - ETH_HLEN)
			return -1;
		l4 = ip6->nexthdr;
		ports = ip6 + 1;
	} else {
		return -1;
	}
	if (l4 == IPPROTO_TCP || l4 == IPPROTO_UDP) {
		__be16 *pp = ports;

		if ((void *)(pp + 2) > end)
			return -1;
		p->flow.sport = pp[0];
		p->flow.dport = pp[1];
	}
	p->flow.proto = l4;
	return 0;
}

static __always_inline bool mac_zero(const __u8 *m)
{
	return !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]);
}

static __always_inline int probe_encap(struct __sk_buff *skb,
				       const struct probe_pkt *p,
				       const struct xlb_probe_target *t,
				       const struct xlb_config *cfg)
{
	__u32 entropy = xlb_encap_entropy(&p->flow);
	__be16 proto;
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
	} o = {};
	__u32 olen;
	__u64 flags;

	if (mac_zero(cfg->nexthop_mac))
		return XLB_PROBE_DROP_NO_CONFIG;
	if (t->family == XLB_AF_INET) {
		if (!cfg->encap_src4)
			return XLB_PROBE_DROP_NO_CONFIG;
		xlb_outer4(&o.v4, p->tos, p->l3_len, p->flow.family, &t->addr,
			   cfg, entropy);
		olen = sizeof(o.v4);
		proto = bpf_htons(ETH_P_IP);
		flags = BPF_F_ADJ_ROOM_ENCAP_L3_IPV4;
	} else {
		if (!(cfg->encap_src6.v6[0] | cfg->encap_src6.v6[1] |
		      cfg->encap_src6.v6[2]))
			return XLB_PROBE_DROP_NO_CONFIG;
		xlb_outer6(&o.v6, p->tos, p->l3_len, p->flow.family, &t->addr,
			   cfg, entropy);
		olen = sizeof(o.v6);
		proto = bpf_htons(ETH_P_IPV6);
		flags = BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;
	}
	/* room between the MAC header and the packet; the kernel keeps the
	 * inner headers' offsets (checksum offload, GSO) right */
	if (bpf_skb_adjust_room(skb, (__s32)olen, BPF_ADJ_ROOM_MAC, flags))
		return XLB_PROBE_DROP_ENCAP;
	if (bpf_skb_store_bytes(skb, ETH_HLEN, &o, olen, 0) ||
	    bpf_skb_store_bytes(skb, 0, cfg->nexthop_mac, ETH_ALEN, 0) ||
	    bpf_skb_store_bytes(skb, 2 * ETH_ALEN, &proto, sizeof(proto), 0))
		return XLB_PROBE_DROP_ENCAP;
	if (t->family == XLB_AF_INET)
		return p->flow.family == XLB_AF_INET ? XLB_PROBE_TX_IPIP :
						       XLB_PROBE_TX_6IN4;
	return p->flow.family == XLB_AF_INET6 ? XLB_PROBE_TX_IP6IP6 :
						XLB_PROBE_TX_4IN6;
}

static __always_inline int probe_main(struct __sk_buff *skb)
{
	__u32 mark = skb->mark, zero = 0;
	const struct xlb_probe_target *t;
	const struct xlb_config *cfg;
	struct probe_pkt p = {};

	if ((mark & XLB_PROBE_MARK_MASK) != XLB_PROBE_MARK)
		return XLB_PROBE_PASS_UNMARKED;
	t = bpf_map_lookup_elem(&xlb_probe_targets, &mark);
	if (!t)
		return XLB_PROBE_DROP_NO_TARGET;
	cfg = bpf_map_lookup_elem(&xlb_config, &zero);
	if (!cfg)
		return XLB_PROBE_DROP_NO_CONFIG;
	if (bpf_skb_pull_data(skb,
			      skb->len < PROBE_PULL ? skb->len : PROBE_PULL))
		return XLB_PROBE_DROP_MALFORMED;
	if (probe_parse(skb, &p))
		return XLB_PROBE_DROP_MALFORMED;
	if (t->mode == XLB_FWD_L2DSR) {
		if (p.flow.family != t->family)
			return XLB_PROBE_DROP_MALFORMED;
		if (bpf_skb_store_bytes(skb, 0, t->mac, ETH_ALEN, 0))
			return XLB_PROBE_DROP_ENCAP;
		return XLB_PROBE_TX_L2DSR;
	}
	return probe_encap(skb, &p, t, cfg);
}

SEC("tc")
int xlb_probe(struct __sk_buff *skb)
{
	__u32 len = skb->len;
	int out = probe_main(skb);

	if (out < 0 || out >= XLB_PROBE_STAT_MAX)
		out = XLB_PROBE_DROP_NO_OUTCOME;
	xlb_counter_add(&xlb_probe_stats, (__u32)out, len);
	switch (out) {
	case XLB_PROBE_PASS_UNMARKED:
	case XLB_PROBE_TX_IPIP:
	case XLB_PROBE_TX_IP6IP6:
	case XLB_PROBE_TX_4IN6:
	case XLB_PROBE_TX_6IN4:
	case XLB_PROBE_TX_L2DSR:
		return TC_ACT_OK;
	default:
		return TC_ACT_SHOT;
	}
}
