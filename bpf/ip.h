/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the IP header constants the XDP programs share that the
 * kernel's UAPI headers do not export (IP_DF and friends live in
 * net/ip.h, which BPF programs cannot include).
 */
#ifndef XLB_BPF_IP_H
#define XLB_BPF_IP_H

/* IPv4 frag_off, host order (compare with bpf_htons()). */
#define XLB_IP_DF 0x4000
#define XLB_IP_MF 0x2000
#define XLB_IP_OFFSET 0x1fff

/* The ECN field: the low two bits of the IPv4 TOS / IPv6 traffic class. */
#define XLB_ECN_MASK 3
#define XLB_ECN_CE 3

#endif /* XLB_BPF_IP_H */
