/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the ABI between xlb's BPF programs and user space: map
 * keys and values, flags and limits (the counters' list is outcomes.h). It
 * is the only definition; both sides include it, and the sizes are asserted
 * so a change that would break a pinned map fails the build instead of a
 * packet.
 *
 * Byte order: fields typed __be* are in network order, everything else in
 * host order.
 */
#ifndef XLB_ABI_H
#define XLB_ABI_H

#include <linux/types.h>

/* Every limit can be overridden at build time (-DXLB_MAX_VIPS=...). */
#ifndef XLB_MAX_VIPS
#define XLB_MAX_VIPS 1024
#endif
/* Backend ids are 1 .. XLB_MAX_BACKENDS-1; 0 means "no backend". */
#ifndef XLB_MAX_BACKENDS
#define XLB_MAX_BACKENDS 16384
#endif
#ifndef XLB_CT_ENTRIES
#define XLB_CT_ENTRIES (1 << 20)
#endif
/* Distinct VIP addresses (an address may carry many VIP ports). */
#ifndef XLB_MAX_VIP_ADDRS
#define XLB_MAX_VIP_ADDRS XLB_MAX_VIPS
#endif
#ifndef XLB_MAX_DECAP_ADDRS
#define XLB_MAX_DECAP_ADDRS 64
#endif

#define XLB_MAGLEV_DEFAULT_SIZE 65537
#define XLB_MAGLEV_MAX_SIZE 16777213 /* largest prime below 2^24 */

/* Address families as stored in maps (not AF_*: BPF has no socket.h). */
#define XLB_AF_INET 4
#define XLB_AF_INET6 6

/* An IPv4 address lives in v4 (== v6[0]); the other 12 bytes are zero. */
struct xlb_addr {
	union {
		__be32 v4;
		__be32 v6[4];
		__u8 bytes[16];
	};
};

/* Key of xlb_vips: a service. port 0 matches every port of (addr, proto). */
struct xlb_vip_key {
	struct xlb_addr addr;
	__be16 port;
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family; /* XLB_AF_* */
};

enum xlb_fwd_mode {
	/* IPIP, IP6IP6, 4in6 or 6in4: the backend's family picks the outer header */
	XLB_FWD_TUNNEL = 0,
	/* rewrite the destination MAC to the backend's; backend on this segment */
	XLB_FWD_L2DSR = 1,
	XLB_FWD_MAX,
};

/* Fields fed to the flow hash that picks a Maglev slot (xlb_vip_info.hash_fields). */
#define XLB_HASH_SRC_ADDR (1u << 0)
#define XLB_HASH_DST_ADDR (1u << 1)
#define XLB_HASH_SRC_PORT (1u << 2)
#define XLB_HASH_DST_PORT (1u << 3)
#define XLB_HASH_PROTO (1u << 4)
#define XLB_HASH_5TUPLE                                                        \
	(XLB_HASH_SRC_ADDR | XLB_HASH_DST_ADDR | XLB_HASH_SRC_PORT |           \
	 XLB_HASH_DST_PORT | XLB_HASH_PROTO)
/* Client persistence, like HAProxy's "balance source". */
#define XLB_HASH_SOURCE XLB_HASH_SRC_ADDR

/*
 * No conntrack: every packet goes where the Maglev table says. For UDP
 * services that tolerate re-steering when backends change, and to keep
 * state out of the LRU.
 */
#define XLB_VIP_F_NO_CONNTRACK (1u << 0)
#define XLB_VIP_F_ALL (XLB_VIP_F_NO_CONNTRACK)

struct xlb_vip_info {
	__u32 vip_id; /* index into xlb_maglev and xlb_vip_stats, < XLB_MAX_VIPS */
	__u32 flags; /* XLB_VIP_F_* */
	__u8 mode; /* enum xlb_fwd_mode */
	__u8 hash_fields; /* XLB_HASH_*, 0 means XLB_HASH_5TUPLE */
	__u8 pad[2];
};

/*
 * xlb_vip_by_id: an array indexed by vip_id holding each VIP's key and
 * info, so a conntrack hit finds its VIP with one array load (by the
 * entry's vip_id) instead of the two hash lookups of xlb_vips. The slot
 * counts only while it matches the packet (family, protocol, address, and
 * port or a port-0 VIP) and the VIP tracks connections; anything else
 * (an empty slot, a VIP since deleted or its id given to another VIP, a
 * map not yet filled after an upgrade) sends the packet the long way,
 * through xlb_vips, as before. xlbd writes the slot before the VIP goes
 * into xlb_vips and clears it before the VIP leaves, and rebuilds the
 * whole array from xlb_vips when it starts (only xlbd writes it: a slot
 * written back by another opener racing a delete would outlive its VIP).
 */
struct xlb_vip_slot {
	struct xlb_vip_key key;
	struct xlb_vip_info info;
};

/* Key of xlb_vip_addrs: every address that carries at least one VIP. */
struct xlb_addr_key {
	struct xlb_addr addr;
	__u8 family;
	__u8 pad[3];
};

/*
 * xlb_vip_addr_filter: an array of XLB_ADDR_FILTER_WORDS 64-bit words, one
 * bit per hash of an address (xlb_addr_filter_bit). xlbd sets an address's
 * bit before the address goes into xlb_vip_addrs, and the bit of every
 * address there each time it opens the maps; it never clears one. So a
 * clear bit proves the address carries no VIP, and the datapath passes such
 * a packet after one array load instead of two hash lookups; a set bit (a
 * VIP address, a collision, an address since removed) only means "look it
 * up". 2^16 bits: 8 KiB, cache-resident; 1024 addresses set at most 1.6% of
 * them.
 */
#define XLB_ADDR_FILTER_BITS (1u << 16)
#define XLB_ADDR_FILTER_WORDS (XLB_ADDR_FILTER_BITS / 64)

/* @x: the XOR of the address's four words (an IPv4 address: itself). */
static inline __u32 xlb_addr_filter_hash(__u32 x)
{
	/* Fibonacci hashing: the top 16 bits of the product */
	return (x * 0x9e3779b1u) >> 16;
}

static inline __u32 xlb_addr_filter_bit(const struct xlb_addr *a)
{
	return xlb_addr_filter_hash(a->v6[0] ^ a->v6[1] ^ a->v6[2] ^ a->v6[3]);
}

/* Answer ICMP echo requests sent to this address. */
#define XLB_ADDR_F_ECHO (1u << 0)

struct xlb_addr_info {
	__u32 flags; /* XLB_ADDR_F_* */
};

/*
 * A backend, by its stable id (the index of xlb_backends): the same id means
 * the same server on every node, so a synced conntrack entry stays valid.
 */
#define XLB_BE_F_ACTIVE (1u << 0) /* cleared on delete: flows naming it re-steer */

struct xlb_backend {
	struct xlb_addr addr; /* tunnel destination */
	__u8 family; /* XLB_AF_* */
	__u8 flags; /* XLB_BE_F_* */
	__u8 mac[6]; /* L2 DSR: the backend's MAC on this segment */
};

/*
 * xlb_maglev is an array of maps indexed by vip_id. Each inner map is an
 * array of __u32 with M + 1 entries: entry 0 holds M (the table size), entries
 * 1 .. M hold backend ids. Keeping M inside the table makes a swap of the
 * outer slot atomic: a packet sees the old table with its size or the new one
 * with its size, never a mix.
 */
#define XLB_MAGLEV_HDR_SLOTS 1

/* A flow as the client sent it (for ICMP errors, the embedded one reversed). */
struct xlb_flow {
	struct xlb_addr src;
	struct xlb_addr dst;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 family;
	__u8 pad[2];
};

/* The client sent FIN or RST: the entry ages with ct_timeout_tcp_fin. */
#define XLB_CT_F_CLOSING (1u << 0)
/*
 * Written by xlbd's state sync from a peer's entry, not by this node's
 * datapath (which ignores the bit): the periodic walk does not send such
 * entries back where they came from.
 */
#define XLB_CT_F_SYNCED (1u << 1)

/*
 * vip_id was a __u32 before flags existed: VIP ids are below XLB_MAX_VIPS,
 * so on a little-endian host an entry written by that release reads as the
 * same VIP with no flags, and adopted tables keep working.
 */
struct xlb_ct_entry {
	__u32 backend_id;
	__u16 vip_id;
	__u8 flags; /* XLB_CT_F_* */
	__u8 pad;
	__u64 last_seen_ns; /* CLOCK_MONOTONIC, coarse; refreshed at most once a second */
};

/*
 * The flow cache (bpf/flow_cache.h): per CPU, XLB_FLOW_CACHE_SLOTS
 * direct-mapped slots, each a copy of one conntrack hit that lets the next
 * packets of the flow skip the conntrack hash lookup (a kernel call). A
 * slot serves only while the generation and the flow's version it was
 * filled with are current and until_ns has not passed; see flow_cache.h
 * for what bumps them.
 */
#define XLB_FLOW_CACHE_SLOTS 4096
/* Versions of conntrack buckets (xlb_ct_versions), bumped by the datapath. */
#define XLB_CT_VERSIONS 65536
struct xlb_flow_cache_slot {
	struct xlb_flow flow;
	__u32 backend_id;
	__u16 vip_id;
	__u16 pad;
	__u32 gen; /* xlb_ct_gen when filled */
	__u32 version; /* the flow's xlb_ct_versions slot when filled */
	__u64 until_ns; /* served until then (the datapath's coarse clock) */
};

/*
 * What the datapath tells xlbd about a conntrack entry it has just written
 * (a new flow, or a re-pick replacing an entry), through the ring buffer
 * xlb_ct_events: the state sync sends it to the peers. @entry is the value
 * as written (last_seen_ns: when the flow started on this node).
 */
struct xlb_ct_event {
	struct xlb_flow flow;
	struct xlb_ct_entry entry;
};

/* Bytes of xlb_ct_events: about 20k events (48 bytes + an 8-byte header). */
#ifndef XLB_CT_EVENTS_BYTES
#define XLB_CT_EVENTS_BYTES (1u << 20)
#endif

/* Global settings, the one entry of xlb_config. Zeroes are safe defaults. */
struct xlb_config {
	__u32 hash_seed; /* the same on every node: flow hash and Maglev */
	__u32 mtu; /* L3 MTU towards the backends; 0: no check */
	__u32 ct_insert_rate; /* new conntrack entries per CPU per second; 0: no cap */
	__u8 nexthop_mac[6]; /* tunnel mode: the router towards the backends */
	/*
	 * Conntrack idle timeouts in seconds; 0: never (what a config map
	 * written by a release without them holds, so it keeps its meaning).
	 * They sit in what was padding, so the map's value size is unchanged.
	 */
	__u16 ct_timeout_udp;
	__be32 encap_src4; /* outer IPv4 source; its low 16 bits vary per flow */
	__u16 ct_timeout_tcp; /* established (no FIN or RST seen) */
	__u16 ct_timeout_tcp_fin; /* after the client's FIN or RST */
	struct xlb_addr encap_src6; /* outer IPv6 source; low 32 bits vary per flow */
};

/*
 * Health probes through the tunnel (bpf/xlb_probe.bpf.c, a TC egress
 * program on the LB's interfaces). xlbd's checker sets SO_MARK on a probe's
 * socket to xlb_probe_mark(backend, mode); the program looks the mark up in
 * xlb_probe_targets and sends the packet (to the VIP) to that backend the
 * way the datapath sends clients' packets. A packet without a mark of this
 * form is not touched.
 */
#define XLB_PROBE_MARK 0x584c0000u /* "XL" */
#define XLB_PROBE_MARK_MASK 0xffff0000u
#define XLB_PROBE_MARK_L2DSR (1u << 14) /* the MAC rewrite, not a tunnel */
#define XLB_PROBE_MAX_TARGETS (2 * XLB_MAX_BACKENDS)

static inline __u32 xlb_probe_mark(__u32 backend_id, __u8 mode)
{
	return XLB_PROBE_MARK | (backend_id & (XLB_PROBE_MARK_L2DSR - 1)) |
	       (mode == XLB_FWD_L2DSR ? XLB_PROBE_MARK_L2DSR : 0);
}

/* Value of xlb_probe_targets: where a marked probe goes, and how. */
struct xlb_probe_target {
	struct xlb_addr addr; /* the backend's address: the tunnel's end */
	__u8 family; /* XLB_AF_* of @addr */
	__u8 mode; /* enum xlb_fwd_mode */
	__u8 mac[6]; /* L2 DSR: the backend's MAC */
};

/* Per-CPU state of the conntrack insert rate cap (xlb_ct_rate). */
struct xlb_ct_rate {
	__u64 window_start_ns;
	__u64 inserts;
};

struct xlb_counter {
	__u64 packets;
	__u64 bytes;
};

struct xlb_vip_stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
	__u64 pad;
};

/*
 * The counters' indices (enum xlb_stat for xlb_stats, enum xlb_decap_stat for
 * xlb_decap_stats), with their names, verdicts and help, are listed once in
 * outcomes.h.
 */
#include "xlb/outcomes.h"

#ifndef __bpf__
_Static_assert(sizeof(struct xlb_addr) == 16, "xlb_addr is 16 bytes");
_Static_assert(sizeof(struct xlb_vip_key) == 20, "xlb_vip_key layout");
_Static_assert(sizeof(struct xlb_vip_info) == 12, "xlb_vip_info layout");
_Static_assert(sizeof(struct xlb_addr_key) == 20, "xlb_addr_key layout");
_Static_assert(sizeof(struct xlb_vip_slot) == 32, "xlb_vip_slot layout");
_Static_assert(sizeof(struct xlb_backend) == 24, "xlb_backend layout");
_Static_assert(sizeof(struct xlb_flow) == 40, "xlb_flow layout");
_Static_assert(sizeof(struct xlb_ct_entry) == 16, "xlb_ct_entry layout");
_Static_assert(sizeof(struct xlb_flow_cache_slot) == 64,
	       "xlb_flow_cache_slot: one cache line");
_Static_assert((XLB_FLOW_CACHE_SLOTS & (XLB_FLOW_CACHE_SLOTS - 1)) == 0 &&
		       (XLB_CT_VERSIONS & (XLB_CT_VERSIONS - 1)) == 0,
	       "flow cache and version tables are indexed by hash bits");
_Static_assert(sizeof(struct xlb_ct_event) == 56, "xlb_ct_event layout");
_Static_assert(XLB_MAX_VIPS <= 65536, "VIP ids must fit xlb_ct_entry.vip_id");
_Static_assert(__builtin_offsetof(struct xlb_config, ct_timeout_udp) == 18 &&
		       __builtin_offsetof(struct xlb_config, ct_timeout_tcp) == 24,
	       "conntrack timeouts sit where padding was");
_Static_assert(sizeof(struct xlb_config) == 44, "xlb_config layout");
_Static_assert(sizeof(struct xlb_vip_stats) == 32, "xlb_vip_stats layout");
_Static_assert(XLB_MAX_BACKENDS <= 65536, "backend ids must fit the table");
_Static_assert(sizeof(struct xlb_probe_target) == 24, "xlb_probe_target layout");
_Static_assert(XLB_MAX_BACKENDS <= XLB_PROBE_MARK_L2DSR,
	       "a backend id fits below the probe mark's mode bit");
#endif

#endif /* XLB_ABI_H */
