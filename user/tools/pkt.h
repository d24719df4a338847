/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds a small packet crafter: Ethernet (optionally 802.1Q),
 * IPv4 or IPv6, TCP, UDP or ICMP echo, ICMP errors quoting a packet, and the
 * tunnelled form of a packet as a backend should receive it. Tests build
 * their expected output with it (independently of the BPF code), the
 * simulator and the traffic generator their input. Every checksum is
 * computed from scratch.
 */
#ifndef XLB_USER_PKT_H
#define XLB_USER_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for a jumbo-less frame plus two tunnel headers and a VLAN tag. */
#define PKT_MAX 2048
#define PKT_ETH_MIN 60 /* shortest Ethernet frame without FCS */

/* MACs of the canned topology: the sender, the LB, the next hop. */
#define PKT_MAC_PEER ((const uint8_t[6]){ 0x02, 0, 0, 0, 0x0a, 0x02 })
#define PKT_MAC_LB ((const uint8_t[6]){ 0x02, 0, 0, 0, 0x0a, 0x01 })
#define PKT_MAC_ROUTER ((const uint8_t[6]){ 0x02, 0, 0, 0, 0x0a, 0xfe })

struct pkt {
	size_t len;
	uint8_t data[PKT_MAX];
};

/* What to build; zero fields take the defaults noted. */
struct pkt_spec {
	int family; /* 4 or 6 */
	const char *src; /* addresses as text */
	const char *dst;
	uint16_t sport; /* ICMP echo: the identifier */
	uint16_t dport; /* ICMP echo: the sequence number */
	uint8_t proto; /* IPPROTO_TCP, _UDP, _ICMP or _ICMPV6 (echo request) */
	uint8_t tcp_flags; /* TCP flags byte */
	bool df; /* IPv4 DF */
	uint8_t ihl; /* IPv4 header words, 0 means 5; options are NOPs */
	uint8_t tos; /* IPv4 TOS or IPv6 traffic class */
	uint8_t ttl; /* 0 means 64 */
	uint16_t frag; /* IPv4: MF and offset bits; IPv6: a fragment header
			* with this frag_off field when nonzero */
	uint16_t vlan; /* 802.1Q VLAN id, 0 for untagged */
	uint16_t payload_len; /* bytes after the L4 header */
	const uint8_t *smac; /* NULL: PKT_MAC_PEER */
	const uint8_t *dmac; /* NULL: PKT_MAC_LB */
};

/* Builds @s into @p, padded to PKT_ETH_MIN. Returns 0 or -EINVAL. */
int pkt_build(struct pkt *p, const struct pkt_spec *s);

/*
 * Builds the ICMP error a router at @src sends to @dst about @quoted (a
 * frame from pkt_build): IPv4 type/code with @mtu in the frag-needed field,
 * or ICMPv6 type/code with @mtu in the packet-too-big field. The quote is
 * @quoted's IP packet, cut to @quote_max bytes (0: to fit 576 bytes for
 * IPv4, 1280 for IPv6). Tagged with @vlan when nonzero.
 */
int pkt_build_icmp_error(struct pkt *p, const char *src, const char *dst,
			 uint8_t type, uint8_t code, uint32_t mtu,
			 const struct pkt *quoted, uint16_t vlan,
			 size_t quote_max);

/*
 * Builds what a tunnel to a backend carries for @in: Ethernet @dmac/@smac
 * (keeping @in's VLAN tag), an outer IPv4 (@ofam 4) or IPv6 header from
 * @osrc to @odst, then @in's L3 bytes, Ethernet padding included. The outer
 * header takes TOS from the inner one, IPv4 always has DF; @entropy is the IPv6 flow
 * label. Returns 0 or -EINVAL.
 */
int pkt_encap(struct pkt *out, const struct pkt *in, int ofam,
	      const char *osrc, const char *odst, uint32_t entropy,
	      const uint8_t *dmac, const uint8_t *smac);

/*
 * The Internet checksum (RFC 1071) in two steps, for building and checking
 * packets: pkt_sum16() adds @len bytes as big-endian 16-bit words to @sum
 * (an odd last byte padded with zero), pkt_csum_fold() folds the carries
 * and complements. A correct packet's checksum over itself folds to 0.
 */
uint32_t pkt_sum16(const uint8_t *p, size_t len, uint32_t sum);
uint16_t pkt_csum_fold(uint32_t sum);

/* Offset of the L3 header: 14, or 18 behind a VLAN tag. */
size_t pkt_l3_off(const struct pkt *p);

/* Prints both packets to stderr, marking the bytes that differ. */
void pkt_dump_diff(const char *what, const struct pkt *got,
		   const struct pkt *want);

#endif /* XLB_USER_PKT_H */
