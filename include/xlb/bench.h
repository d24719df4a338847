/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the ABI of the benchmark wrapper (bpf/xlb_bench.bpf.c):
 * the template packet it restores before every iteration of a
 * BPF_PROG_TEST_RUN with repeat > 1, so each iteration times the LB on the
 * packet it was meant to time, not on its own output of the iteration before.
 */
#ifndef XLB_BENCH_H
#define XLB_BENCH_H

#include <linux/types.h>

/* Restored bytes: Ethernet + VLAN + IPv6 + TCP (78) and then some. */
#define XLB_BENCH_HDR 96

/* Make every iteration a new flow: source port and address low bits count up. */
#define XLB_BENCH_F_NEW_FLOW (1u << 0)

struct xlb_bench_tpl {
	__u32 len; /* frame length of the template */
	__u32 flags; /* XLB_BENCH_F_* */
	__u16 sport_off; /* offset of the source port */
	__u16 saddr_off; /* offset of the source address' last 16 bits */
	__u16 ip4_csum_off; /* offset of the IPv4 header checksum; 0 for IPv6 */
	__u16 trailer; /* bytes after the IP packet (padding) the LB cuts */
	__u64 iter; /* next new flow; runs continue where the last one ended */
	__u8 data[XLB_BENCH_HDR];
};

/*
 * The parts' flows ("What the parts cost"): flow i is the part key with
 * source address XLB_BENCH_PART_SRC + i, i < 2^24. The bench writes them
 * into the table; the cold parts look them up.
 */
#define XLB_BENCH_PART_SRC 0x0a000000u /* 10.0.0.0 */

#ifndef __bpf__
_Static_assert(sizeof(struct xlb_bench_tpl) == 120, "xlb_bench_tpl layout");
#endif

#endif /* XLB_BENCH_H */
