/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the one list of the datapath's outcomes and events, like
 * the kernel's dropreason-core.h: each entry gives the enum name, the short
 * name tools print, the XDP verdict and a line of help. From it come the
 * enums (enum xlb_stat, enum xlb_decap_stat: the indices of the per-CPU
 * counter maps), the verdict each BPF program returns, and user space's
 * tables of names and help.
 *
 * The index of an entry is a counter's address in a pinned map, so it is
 * ABI: entries are only ever appended (selftests/unit/test_outcomes.c pins
 * every existing index, name and verdict). The maps have XLB_STAT_SLOTS
 * entries, more than the list, so appending one needs no new map.
 *
 * Verdicts: PASS, DROP and TX end a packet (every packet lands in exactly
 * one such counter); EVENT entries count something on the way and overlap
 * with them. The decap program's OK entries pass the decapsulated packet.
 */
#ifndef XLB_OUTCOMES_H
#define XLB_OUTCOMES_H

#include <linux/types.h>

/* Entries of the counter maps; both lists must stay below this. */
#define XLB_STAT_SLOTS 64
#define XLB_DECAP_STAT_SLOTS 64

/* X(enum name, short name, verdict, help) for xlb_lb (map xlb_stats). */
#define XLB_STAT_LIST(X)                                                       \
	X(XLB_PASS_NOT_IP, "pass_not_ip", PASS,                                \
	  "not IPv4/IPv6 (ARP, LLDP, QinQ, ...)")                              \
	X(XLB_PASS_NOT_VIP, "pass_not_vip", PASS, "IP, but no VIP matches")    \
	X(XLB_PASS_MALFORMED, "pass_malformed", PASS,                          \
	  "broken header, not addressed to a VIP address")                     \
	X(XLB_PASS_ICMP_NOT_VIP, "pass_icmp_not_vip", PASS,                    \
	  "ICMP not about a VIP flow")                                         \
	X(XLB_DROP_MALFORMED, "drop_malformed", DROP,                          \
	  "VIP address, broken or truncated header")                           \
	X(XLB_DROP_FRAGMENT, "drop_fragment", DROP,                            \
	  "VIP traffic fragmented: not forwarded")                             \
	X(XLB_DROP_NO_BACKEND, "drop_no_backend", DROP,                        \
	  "VIP has no table or an empty slot")                                 \
	X(XLB_DROP_BAD_BACKEND, "drop_bad_backend", DROP,                      \
	  "table names a backend that is not there")                           \
	X(XLB_DROP_TOO_BIG, "drop_too_big", DROP,                              \
	  "would exceed the MTU and no ICMP could be sent")                    \
	X(XLB_DROP_ENCAP, "drop_encap", DROP,                                  \
	  "growing or shrinking the packet failed")                            \
	X(XLB_DROP_NO_CONFIG, "drop_no_config", DROP,                          \
	  "xlb_config unreadable (never expected)")                            \
	X(XLB_TX_FORWARD, "tx_forward", TX, "sent to a backend")               \
	X(XLB_TX_ICMP_ERROR, "tx_icmp_error", TX,                              \
	  "ICMP error about a VIP flow sent to its backend")                   \
	X(XLB_TX_ECHO_REPLY, "tx_echo_reply", TX,                              \
	  "answered an echo request to a VIP address")                         \
	X(XLB_TX_TOO_BIG, "tx_too_big", TX,                                    \
	  "answered with frag-needed / packet-too-big")                        \
	X(XLB_EV_CT_HIT, "ct_hit", EVENT, "conntrack entry found")             \
	X(XLB_EV_CT_MISS, "ct_miss", EVENT, "no conntrack entry: Maglev pick") \
	X(XLB_EV_CT_INSERT_THROTTLED, "ct_insert_throttled", EVENT,            \
	  "new flow not recorded: insert rate cap")                            \
	X(XLB_EV_CT_INSERT_FAILED, "ct_insert_failed", EVENT,                  \
	  "new flow not recorded: the map refused it")                         \
	X(XLB_EV_CT_STALE_BACKEND, "ct_stale_backend", EVENT,                  \
	  "entry named a deleted backend: re-steered")                         \
	X(XLB_DROP_NO_OUTCOME, "drop_no_outcome", DROP,                        \
	  "a stage returned no outcome (a bug in xlb)")                        \
	X(XLB_EV_CT_EXPIRED, "ct_expired", EVENT,                              \
	  "entry idle past its timeout: the flow took a fresh pick")           \
	X(XLB_EV_CT_SYN_REPICK, "ct_syn_repick", EVENT,                        \
	  "SYN on a tracked 5-tuple: a new connection, fresh pick")            \
	X(XLB_EV_CT_LEARN_LOST, "ct_learn_lost", EVENT,                        \
	  "new entry not told to xlbd: event ring full (sync walk catches it)") \
	X(XLB_PASS_ICMP_NOT_TO_VIP, "pass_icmp_not_to_vip", PASS,              \
	  "ICMP error not addressed to a VIP address: the stack's")            \
	X(XLB_DROP_SRC_UNSPEC, "drop_src_unspecified", DROP,                   \
	  "VIP address, source 0.0.0.0/8 or ::: nobody to answer")             \
	X(XLB_DROP_SRC_LOOPBACK, "drop_src_loopback", DROP,                    \
	  "VIP address, source 127/8 or ::1 from the wire: spoofed")           \
	X(XLB_DROP_SRC_MULTICAST, "drop_src_multicast", DROP,                  \
	  "VIP address, source 224/4 or ff00::/8: never a sender")             \
	X(XLB_DROP_SRC_RESERVED, "drop_src_reserved", DROP,                    \
	  "VIP address, source 240/4 (broadcast too) or ::ffff:0:0/96")        \
	X(XLB_DROP_EXT_ORDER, "drop_ext_order", DROP,                          \
	  "VIP address, IPv6 extension headers out of RFC 8200 order")         \
	X(XLB_DROP_ROUTING_HDR, "drop_routing_header", DROP,                   \
	  "VIP address, IPv6 Routing header with segments left: not the end")  \
	X(XLB_EV_TTL_LOW, "ttl_low", EVENT,                                    \
	  "VIP address, TTL/hop limit 0 or 1: forwarded as-is (no hop)")       \
	X(XLB_EV_TRAILER_TRIMMED, "trailer_trimmed", EVENT,                    \
	  "bytes after the IP packet (not padding) cut before sending")        \
	X(XLB_EV_CT_CACHE_HIT, "ct_cache_hit", EVENT,                          \
	  "ct_hit served by this CPU's flow cache")

/* X(enum name, short name, verdict, help) for xlb_decap (xlb_decap_stats). */
#define XLB_DECAP_STAT_LIST(X)                                                 \
	X(XLB_DECAP_PASS_NOT_TUNNEL, "pass_not_tunnel", PASS,                  \
	  "not IPIP/IPv6-in-x for a local address")                            \
	X(XLB_DECAP_PASS_MALFORMED, "pass_malformed", PASS,                    \
	  "header too short to tell: left to the stack")                       \
	X(XLB_DECAP_OK_4IN4, "ok_4in4", OK, "IPv4 in IPv4, decapsulated")      \
	X(XLB_DECAP_OK_6IN6, "ok_6in6", OK, "IPv6 in IPv6, decapsulated")      \
	X(XLB_DECAP_OK_4IN6, "ok_4in6", OK, "IPv4 in IPv6, decapsulated")      \
	X(XLB_DECAP_OK_6IN4, "ok_6in4", OK, "IPv6 in IPv4, decapsulated")      \
	X(XLB_DECAP_DROP_INNER_MALFORMED, "drop_inner_malformed", DROP,        \
	  "tunnel for us, broken outer lengths or checksum, or inner header")  \
	X(XLB_DECAP_DROP_ERROR, "drop_error", DROP,                            \
	  "shrinking the packet failed")                                       \
	X(XLB_DECAP_DROP_FRAGMENT, "drop_fragment", DROP,                      \
	  "outer IPv4 fragment: XDP cannot reassemble")                        \
	X(XLB_DECAP_DROP_ECN, "drop_ecn", DROP,                                \
	  "outer CE, inner not ECN-capable (RFC 6040)")                        \
	X(XLB_DECAP_DROP_NO_OUTCOME, "drop_no_outcome", DROP,                  \
	  "a stage returned no outcome (a bug in xlb)")

/*
 * X(enum name, short name, verdict, help) for xlb_probe (xlb_probe_stats):
 * every packet leaving an interface it is attached to, once.
 */
#define XLB_PROBE_STAT_SLOTS 32
#define XLB_PROBE_STAT_LIST(X)                                                 \
	X(XLB_PROBE_PASS_UNMARKED, "pass_unmarked", PASS,                      \
	  "no probe mark: not a health probe, untouched")                      \
	X(XLB_PROBE_DROP_NO_TARGET, "drop_no_target", DROP,                    \
	  "a probe mark xlbd has no target for (dropped: unencapsulated it "   \
	  "would reach the VIP through the LB and test another backend)")      \
	X(XLB_PROBE_DROP_MALFORMED, "drop_malformed", DROP,                    \
	  "a marked packet that is not a whole IPv4/IPv6 packet")             \
	X(XLB_PROBE_DROP_NO_CONFIG, "drop_no_config", DROP,                    \
	  "no next-hop MAC or outer source in xlb_config yet")                 \
	X(XLB_PROBE_DROP_ENCAP, "drop_encap", DROP,                            \
	  "the kernel refused to make room for the outer header")              \
	X(XLB_PROBE_TX_IPIP, "tx_ipip", TX, "probe sent in IPv4 in IPv4")      \
	X(XLB_PROBE_TX_IP6IP6, "tx_ip6ip6", TX, "probe sent in IPv6 in IPv6")  \
	X(XLB_PROBE_TX_4IN6, "tx_4in6", TX, "probe sent in IPv4 in IPv6")      \
	X(XLB_PROBE_TX_6IN4, "tx_6in4", TX, "probe sent in IPv6 in IPv4")      \
	X(XLB_PROBE_TX_L2DSR, "tx_l2dsr", TX,                                  \
	  "probe sent to the backend's MAC (L2 DSR)")                          \
	X(XLB_PROBE_DROP_NO_OUTCOME, "drop_no_outcome", DROP,                  \
	  "a bug in xlb_probe: no stage gave an outcome")

#define XLB__ENUM(e, name, verdict, help) e,
enum xlb_stat { XLB_STAT_LIST(XLB__ENUM) XLB_STAT_MAX };
enum xlb_decap_stat { XLB_DECAP_STAT_LIST(XLB__ENUM) XLB_DECAP_STAT_MAX };
enum xlb_probe_stat { XLB_PROBE_STAT_LIST(XLB__ENUM) XLB_PROBE_STAT_MAX };
#undef XLB__ENUM

/*
 * The verdict classes as numbers, for user-space tables. The BPF side turns
 * an outcome into an XDP action with the masks below: a shift and a test,
 * whatever the order of the list.
 */
enum xlb_verdict_class {
	XLB_V_PASS = 0,
	XLB_V_DROP,
	XLB_V_TX,
	XLB_V_OK, /* decap: passed, decapsulated */
	XLB_V_EVENT, /* not an outcome: overlaps with one */
};

#define XLB__IS_PASS_PASS 1ull
#define XLB__IS_PASS_DROP 0ull
#define XLB__IS_PASS_TX 0ull
#define XLB__IS_PASS_OK 1ull /* a decapsulated packet passes */
#define XLB__IS_PASS_EVENT 0ull
#define XLB__IS_TX_PASS 0ull
#define XLB__IS_TX_DROP 0ull
#define XLB__IS_TX_TX 1ull
#define XLB__IS_TX_OK 0ull
#define XLB__IS_TX_EVENT 0ull
#define XLB__IS_EV_PASS 0ull
#define XLB__IS_EV_DROP 0ull
#define XLB__IS_EV_TX 0ull
#define XLB__IS_EV_OK 0ull
#define XLB__IS_EV_EVENT 1ull

#define XLB__PASS_BIT(e, name, v, help) | (XLB__IS_PASS_##v << (e))
#define XLB__TX_BIT(e, name, v, help) | (XLB__IS_TX_##v << (e))
#define XLB__EV_BIT(e, name, v, help) | (XLB__IS_EV_##v << (e))
#define XLB__ALL_BIT(e, name, v, help) | (1ull << (e))

/* Bit i set: outcome i of xlb_lb passes / is sent / is an event. */
#define XLB_STAT_PASS_MASK (0ull XLB_STAT_LIST(XLB__PASS_BIT))
#define XLB_STAT_TX_MASK (0ull XLB_STAT_LIST(XLB__TX_BIT))
#define XLB_STAT_EVENT_MASK (0ull XLB_STAT_LIST(XLB__EV_BIT))
/* Bit i set: i ends a packet (an outcome, not an event). */
#define XLB_STAT_OUTCOME_MASK                                                  \
	((0ull XLB_STAT_LIST(XLB__ALL_BIT)) & ~XLB_STAT_EVENT_MASK)
/* Bit i set: outcome i of xlb_decap passes (the rest drop). */
#define XLB_DECAP_STAT_PASS_MASK (0ull XLB_DECAP_STAT_LIST(XLB__PASS_BIT))

_Static_assert(XLB_STAT_MAX <= XLB_STAT_SLOTS && XLB_STAT_SLOTS <= 64,
	       "xlb_stats has a slot for every outcome, and the masks a bit");
_Static_assert(XLB_DECAP_STAT_MAX <= XLB_DECAP_STAT_SLOTS &&
		       XLB_DECAP_STAT_SLOTS <= 64,
	       "xlb_decap_stats has a slot for every outcome");

_Static_assert(XLB_PROBE_STAT_MAX <= XLB_PROBE_STAT_SLOTS,
	       "xlb_probe_stats has a slot for every outcome");

#endif /* XLB_OUTCOMES_H */
