/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the Ethernet code xlb's XDP programs share: parsing one
 * Ethernet header and at most one 802.1Q tag in front of IPv4 or IPv6
 * (QinQ and anything else is not ours to touch), and keeping that header
 * while the packet grows or shrinks in front of the L3 header.
 */
#ifndef XLB_BPF_ETH_H
#define XLB_BPF_ETH_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_endian.h>
#include "xlb/abi.h"
#include "ptr.h"

struct xlb_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

enum xlb_eth_result {
	XLB_ETH_IP = 0, /* *l3_off and *family are set */
	XLB_ETH_NOT_IP, /* ARP, LLDP, QinQ, ... */
	XLB_ETH_TRUNCATED, /* shorter than its own headers */
};

static __always_inline enum xlb_eth_result
xlb_parse_eth(void *data, void *data_end, __u16 *l3_off, __u8 *family)
{
	struct ethhdr *eth = data;
	__be16 proto;

	if ((void *)(eth + 1) > data_end)
		return XLB_ETH_TRUNCATED;
	proto = eth->h_proto;
	*l3_off = sizeof(*eth);
	if (proto == bpf_htons(ETH_P_8021Q)) {
		struct xlb_vlan_hdr *vh = (void *)(eth + 1);

		if ((void *)(vh + 1) > data_end)
			return XLB_ETH_TRUNCATED;
		proto = vh->proto;
		*l3_off += sizeof(*vh);
	}
	if (proto == bpf_htons(ETH_P_IP))
		*family = XLB_AF_INET;
	else if (proto == bpf_htons(ETH_P_IPV6))
		*family = XLB_AF_INET6;
	else
		return XLB_ETH_NOT_IP;
	return XLB_ETH_IP;
}

/*
 * Copies a MAC address as three 16-bit words: a memcpy of 6 bytes between
 * __u8 pointers is byte by byte (6 loads, 6 stores, and shifts where one
 * side is a register), on every forwarded packet several times. Every MAC
 * xlb copies starts at an even offset (in the frame, a map value or the
 * stack) and the two never overlap.
 */
typedef __u16 __attribute__((may_alias)) xlb_mac_word;

static __always_inline void xlb_mac_copy(void *to, const void *from)
{
	xlb_mac_word *t = to;
	const xlb_mac_word *f = from;

	t[0] = f[0];
	t[1] = f[1];
	t[2] = f[2];
}

/* The received Ethernet header and VLAN tag, kept while the packet moves. */
struct xlb_l2 {
	__u8 dst[6];
	__u8 src[6];
	__be16 tci;
	__u8 vlan;
};

/* Saves the header of a frame whose L3 header is at @l3_off. */
static __always_inline int xlb_l2_save(struct xdp_md *ctx, __u32 l3_off,
				       struct xlb_l2 *l2)
{
	void *data = xlb_data(ctx), *data_end = xlb_data_end(ctx);
	struct ethhdr *eth = data;
	struct xlb_vlan_hdr *vh = (void *)(eth + 1);

	if ((void *)(vh + 1) > data_end)
		return -1;
	xlb_mac_copy(l2->dst, eth->h_dest);
	xlb_mac_copy(l2->src, eth->h_source);
	l2->vlan = l3_off != sizeof(*eth);
	l2->tci = vh->tci;
	return 0;
}

/*
 * Writes an Ethernet header (and the saved VLAN tag) at the start of the
 * packet for an L3 payload of type @proto. Returns the L3 offset, or -1.
 */
static __always_inline int xlb_l2_write(struct xdp_md *ctx,
					const struct xlb_l2 *l2,
					const __u8 *dst, const __u8 *src,
					__be16 proto)
{
	void *data = xlb_data(ctx), *data_end = xlb_data_end(ctx);
	struct ethhdr *eth = data;
	struct xlb_vlan_hdr *vh = (void *)(eth + 1);

	if ((void *)(vh + 1) > data_end)
		return -1;
	xlb_mac_copy(eth->h_dest, dst);
	xlb_mac_copy(eth->h_source, src);
	if (!l2->vlan) {
		eth->h_proto = proto;
		return sizeof(*eth);
	}
	eth->h_proto = bpf_htons(ETH_P_8021Q);
	vh->tci = l2->tci;
	vh->proto = proto;
	return sizeof(*eth) + sizeof(*vh);
}

/* Answers go back where the packet came from. */
static __always_inline void xlb_swap_macs(struct ethhdr *eth)
{
	__u16 tmp[3];

	xlb_mac_copy(tmp, eth->h_source);
	xlb_mac_copy(eth->h_source, eth->h_dest);
	xlb_mac_copy(eth->h_dest, tmp);
}

#endif /* XLB_BPF_ETH_H */
