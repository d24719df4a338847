/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* This file holds Internet checksum helpers (RFC 1071, RFC 1624). */
#ifndef XLB_BPF_CSUM_H
#define XLB_BPF_CSUM_H

#include <linux/types.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>

static __always_inline __u16 xlb_csum_fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* ~sum folded to 16 bits, for a sum that fits 32 bits (two folds do). */
static __always_inline __u16 xlb_csum_fold32(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Checksum of a 20-byte IPv4 header whose check field is zero. */
static __always_inline __u16 xlb_ipv4_csum(const struct iphdr *iph)
{
	const __u16 *w = (const __u16 *)iph;
	__u64 sum = 0;

#pragma unroll
	for (int i = 0; i < (int)(sizeof(*iph) / 2); i++)
		sum += w[i];
	return xlb_csum_fold(sum);
}

/*
 * True when the IPv4 header of @hwords 32-bit words at @l3_off (an offset
 * below 32: Ethernet and one VLAN tag) sums to zero, options included, as
 * a router checks it (RFC 1812 5.2.2). A header without options (IHL 5,
 * nearly every packet) takes five loads behind one bounds check; the loop
 * with a check per word is only for options.
 */
static __always_inline int xlb_ipv4_hdr_csum_ok(void *data, void *data_end,
						__u32 l3_off, __u32 hwords)
{
	__u32 *w = data + (l3_off & 0x1f);
	__u64 sum = 0;
	int ok = 1;

	if (hwords == 5) {
		if ((void *)(w + 5) > data_end)
			return 0;
		sum = (__u64)w[0] + w[1] + w[2] + w[3] + w[4];
		return xlb_csum_fold(sum) == 0;
	}
#pragma unroll
	for (__u32 i = 0; i < 15; i++) {
		if (i < hwords) {
			if ((void *)(w + i + 1) > data_end)
				ok = 0;
			else
				sum += w[i];
		}
	}
	if (!ok)
		return 0;
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	return xlb_csum_fold(sum) == 0;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for one 16-bit word changing. */
static __always_inline void xlb_csum_replace2(__u16 *check, __u16 old,
					      __u16 new)
{
	__u32 sum = (__u16)~*check;

	sum += (__u16)~old;
	sum += new;
	*check = xlb_csum_fold32(sum);
}

#endif /* XLB_BPF_CSUM_H */
