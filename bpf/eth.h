/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the Ethernet parsing both XDP programs share: one
 * Ethernet header and at most one 802.1Q tag in front of IPv4 or IPv6
 * (QinQ and anything else is not ours to touch).
 */
#ifndef XLB_BPF_ETH_H
#define XLB_BPF_ETH_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_endian.h>
#include "xlb/abi.h"

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

#endif /* XLB_BPF_ETH_H */
