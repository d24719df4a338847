/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the flow hash that picks a Maglev slot. BPF and user space
 * must compute the same value (tests predict backends, tools explain where a
 * flow goes), so the one definition lives here. It is Bob Jenkins' lookup3
 * hash (as the kernel's jhash2) over the ten 32-bit words of a masked flow,
 * unrolled so the BPF verifier sees straight-line code.
 */
#ifndef XLB_FLOW_HASH_H
#define XLB_FLOW_HASH_H

#include "abi.h"

static inline __u32 xlb_rol32(__u32 w, unsigned int s)
{
	return (w << s) | (w >> (32 - s));
}

#define XLB_JHASH_MIX(a, b, c)                                                 \
	do {                                                                   \
		a -= c; a ^= xlb_rol32(c, 4); c += b;                          \
		b -= a; b ^= xlb_rol32(a, 6); a += c;                          \
		c -= b; c ^= xlb_rol32(b, 8); b += a;                          \
		a -= c; a ^= xlb_rol32(c, 16); c += b;                         \
		b -= a; b ^= xlb_rol32(a, 19); a += c;                         \
		c -= b; c ^= xlb_rol32(b, 4); b += a;                          \
	} while (0)

#define XLB_JHASH_FINAL(a, b, c)                                               \
	do {                                                                   \
		c ^= b; c -= xlb_rol32(b, 14);                                 \
		a ^= c; a -= xlb_rol32(c, 11);                                 \
		b ^= a; b -= xlb_rol32(a, 25);                                 \
		c ^= b; c -= xlb_rol32(b, 16);                                 \
		a ^= c; a -= xlb_rol32(c, 4);                                  \
		b ^= a; b -= xlb_rol32(a, 14);                                 \
		c ^= b; c -= xlb_rol32(b, 24);                                 \
	} while (0)

/*
 * Hash of the fields of @f selected by @fields (XLB_HASH_*; 0 means all).
 * Unselected fields hash as zero, so "source only" sends every flow of a
 * client to the same slot.
 */
static inline __u32 xlb_flow_hash(const struct xlb_flow *f, __u32 fields,
				  __u32 seed)
{
	__u32 s0 = 0, s1 = 0, s2 = 0, s3 = 0, d0 = 0, d1 = 0, d2 = 0, d3 = 0;
	__u32 ports = 0, proto = 0;
	__u32 a, b, c;

	if (!fields)
		fields = XLB_HASH_5TUPLE;
	if (fields & XLB_HASH_SRC_ADDR) {
		s0 = f->src.v6[0]; s1 = f->src.v6[1];
		s2 = f->src.v6[2]; s3 = f->src.v6[3];
	}
	if (fields & XLB_HASH_DST_ADDR) {
		d0 = f->dst.v6[0]; d1 = f->dst.v6[1];
		d2 = f->dst.v6[2]; d3 = f->dst.v6[3];
	}
	if (fields & XLB_HASH_SRC_PORT)
		ports |= (__u32)f->sport << 16;
	if (fields & XLB_HASH_DST_PORT)
		ports |= f->dport;
	if (fields & XLB_HASH_PROTO)
		proto = f->proto;

	a = b = c = 0xdeadbeef + (10u << 2) + seed;
	a += s0; b += s1; c += s2;
	XLB_JHASH_MIX(a, b, c);
	a += s3; b += d0; c += d1;
	XLB_JHASH_MIX(a, b, c);
	a += d2; b += d3; c += ports;
	XLB_JHASH_MIX(a, b, c);
	a += proto;
	XLB_JHASH_FINAL(a, b, c);
	return c;
}

/*
 * Per-flow bits for the outer header: the low 16 bits of the outer IPv4
 * source, the low 32 bits of the outer IPv6 source and the IPv6 flow label.
 * Backends' NICs spread tunnelled packets over queues by the outer header
 * only, so it must vary per flow; it needs no more than a cheap mix of the
 * client's address and ports, always the whole tuple (not the VIP's hash
 * fields) so one client's flows still spread.
 */
static inline __u32 xlb_encap_entropy(const struct xlb_flow *f)
{
	__u32 x = f->src.v6[0] ^ f->src.v6[1] ^ f->src.v6[2] ^ f->src.v6[3];

	x ^= ((__u32)f->sport << 16) | f->dport;
	x ^= x >> 16;
	x *= 0x7feb352d;
	x ^= x >> 15;
	return x;
}

/*
 * The flow cache's hash (bpf/flow_cache.h): the flow's five 64-bit words
 * multiplied and folded, cheaper than lookup3 and spread over every bit of
 * addresses, ports and protocol. Here so tests can place flows in slots.
 */
static inline __u64 xlb_flow_cache_word(const struct xlb_flow *f, int i)
{
	const __u32 *v = (const __u32 *)f; /* 4-aligned: read in halves */

	return (__u64)v[2 * i] | (__u64)v[2 * i + 1] << 32;
}

static inline __u64 xlb_flow_cache_hash(const struct xlb_flow *f)
{
	__u64 h;

	h = xlb_flow_cache_word(f, 0) * 0x9e3779b97f4a7c15ULL +
	    xlb_flow_cache_word(f, 1) * 0xc2b2ae3d27d4eb4fULL +
	    xlb_flow_cache_word(f, 2) * 0x165667b19e3779f9ULL +
	    xlb_flow_cache_word(f, 3) * 0xd6e8feb86659fd93ULL +
	    xlb_flow_cache_word(f, 4) * 0xff51afd7ed558ccdULL;
	h ^= h >> 31;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 29);
}

/* The slot of xlb_flow_cache and of xlb_ct_versions for hash @h. */
static inline __u32 xlb_flow_cache_slot_of(__u64 h)
{
	return (__u32)h & (XLB_FLOW_CACHE_SLOTS - 1);
}

static inline __u32 xlb_flow_cache_version_of(__u64 h)
{
	return (__u32)(h >> 32) & (XLB_CT_VERSIONS - 1);
}

#endif /* XLB_FLOW_HASH_H */
