// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the fixtures of the datapath's harder edge (issue 11):
 * ICMP errors steered only when addressed to the VIP address they quote,
 * every header read inside the IP packet's own length, sources that can
 * never be a client, no too-big to a link-layer group, trailers cut before
 * sending, IPv6 extension header order and Routing headers, TTL 0 and 1.
 * Each runs the real xlb_lb object through BPF_PROG_TEST_RUN and checks the
 * verdict, the output byte for byte (built by pkt.c, never by the program)
 * and that the packet was counted once, under the reason README names.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <criterion/criterion.h>
#include <linux/bpf.h>

#include "lb_env.h"
#include "lib/stats.h"
#include "testrun.h"

#define CLIENT4 "203.0.113.7"
#define CLIENT6 "2001:db8:c::7"
#define ROUTER4 "203.0.113.254"
#define ROUTER6 "2001:db8:c::fe"
#define SYN 0x02
#define ACK 0x10

static struct lb_env env;

static void setup(void)
{
	lb_env_setup(&env);
}

static void teardown(void)
{
	lb_env_teardown(&env);
}

TestSuite(edges, .init = setup, .fini = teardown);

static uint64_t outcomes_total(void)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < XLB_STAT_MAX; i++)
		if ((XLB_STAT_OUTCOME_MASK >> i) & 1)
			n += env_stat(&env, i);
	return n;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* Recomputes the IPv4 header checksum of the frame's L3 header. */
static void fix_ip4_csum(struct pkt *p)
{
	uint8_t *ip = p->data + pkt_l3_off(p);

	put16(ip + 10, 0);
	put16(ip + 10, pkt_csum_fold(pkt_sum16(ip, (ip[0] & 0xf) * 4u, 0)));
}

/* Sets the IP length field so the packet ends @len bytes after L3. */
static void set_ip_len(struct pkt *p, size_t len)
{
	uint8_t *ip = p->data + pkt_l3_off(p);

	if (ip[0] >> 4 == 4) {
		put16(ip + 2, (uint16_t)len);
		fix_ip4_csum(p);
	} else {
		put16(ip + 4, (uint16_t)(len - 40));
	}
}

static void append(struct pkt *p, size_t n, uint8_t byte)
{
	cr_assert_leq(p->len + n, sizeof(p->data));
	memset(p->data + p->len, byte, n);
	p->len += n;
}

/* Runs @in; asserts @verdict and that it is counted once, as @outcome. */
static void run_counted(const char *what, const struct pkt *in, struct pkt *out,
			uint32_t verdict, uint32_t outcome)
{
	uint64_t before = env_stat(&env, outcome), total = outcomes_total();
	uint32_t got = env_run(&env, in, out);

	cr_assert_eq(got, verdict, "%s: verdict %u, want %u", what, got,
		     verdict);
	cr_assert_eq(env_stat(&env, outcome), before + 1, "%s: counted as %s",
		     what, xlb_stat_name(outcome));
	cr_assert_eq(outcomes_total(), total + 1, "%s: counted once", what);
}

static void expect_same(const char *what, const struct pkt *in,
			uint32_t outcome)
{
	struct pkt out;

	run_counted(what, in, &out, XDP_PASS, outcome);
	cr_assert(out.len == in->len && !memcmp(out.data, in->data, in->len),
		  "%s: passes byte-identical", what);
}

static void expect_drop(const char *what, const struct pkt *in,
			uint32_t outcome)
{
	struct pkt out;

	run_counted(what, in, &out, XDP_DROP, outcome);
}

/* @in (a packet of flow @f) must go to @vip's table pick, as pkt.c says. */
static void expect_forward(const char *what, int vip, const struct pkt *in,
			   const struct xlb_flow *f, uint32_t outcome,
			   struct pkt *out)
{
	uint32_t be = env_table_pick(&env, vip, f);
	struct pkt want;

	cr_assert_neq(be, 0, "%s: the table has a backend", what);
	run_counted(what, in, out, XDP_TX, outcome);
	env_expect_forward(&env, vip, be, in, f, &want);
	if (out->len != want.len || memcmp(out->data, want.data, want.len))
		pkt_dump_diff(what, out, &want);
	cr_assert(out->len == want.len &&
			  !memcmp(out->data, want.data, want.len),
		  "%s: output is the expected packet to backend %u", what, be);
}

static void expect_forward_spec(const char *what, int vip,
				const struct pkt_spec *s, const struct pkt *in)
{
	struct xlb_flow f;
	struct pkt out;

	env_flow(s, &f);
	expect_forward(what, vip, in, &f, XLB_TX_FORWARD, &out);
}

static const struct pkt_spec vip4_reply = {
	.family = 4, .src = "192.0.2.10", .dst = CLIENT4, .sport = 80,
	.dport = 40000, .proto = IPPROTO_TCP, .tcp_flags = ACK, .df = true,
	.payload_len = 100
};
static const struct pkt_spec vip4_client = {
	.family = 4, .src = CLIENT4, .dst = "192.0.2.10", .sport = 40000,
	.dport = 80, .proto = IPPROTO_TCP
};
static const struct pkt_spec vip6_reply = {
	.family = 6, .src = "2001:db8::10", .dst = CLIENT6, .sport = 443,
	.dport = 40000, .proto = IPPROTO_TCP, .tcp_flags = ACK,
	.payload_len = 100
};
static const struct pkt_spec vip6_client = {
	.family = 6, .src = CLIENT6, .dst = "2001:db8::10", .sport = 40000,
	.dport = 443, .proto = IPPROTO_TCP
};

/* The ICMP error @router sends to @to about @quoted_spec's packet. */
static void icmp_error(struct pkt *err, const struct pkt_spec *quoted_spec,
		       const char *to)
{
	int v4 = quoted_spec->family == 4;
	struct pkt quoted;

	cr_assert_eq(pkt_build(&quoted, quoted_spec), 0);
	cr_assert_eq(pkt_build_icmp_error(err, v4 ? ROUTER4 : ROUTER6, to,
					  v4 ? 3 : 1, v4 ? 1 : 3, 0, &quoted,
					  0, 0),
		     0);
}

/* Rule 1: an error is steered only when sent to the VIP address it quotes */

Test(edges, icmp_error_to_the_vip_address_goes_to_the_flow_backend)
{
	struct pkt err, out;
	struct xlb_flow f;

	icmp_error(&err, &vip4_reply, "192.0.2.10");
	env_flow(&vip4_client, &f);
	expect_forward("host unreachable to the VIP address", VIP_TCP4, &err,
		       &f, XLB_TX_ICMP_ERROR, &out);
	icmp_error(&err, &vip6_reply, "2001:db8::10");
	env_flow(&vip6_client, &f);
	expect_forward("ICMPv6 unreachable to the VIP address", VIP_TCP6,
		       &err, &f, XLB_TX_ICMP_ERROR, &out);
}

Test(edges, icmp_error_to_another_address_passes)
{
	struct pkt err;

	/* quoting a VIP flow, but sent to an address that carries no VIP */
	icmp_error(&err, &vip4_reply, "192.0.2.99");
	expect_same("IPv4 error about a VIP flow, to a non-VIP address", &err,
		    XLB_PASS_ICMP_NOT_TO_VIP);
	icmp_error(&err, &vip6_reply, "2001:db8::99");
	expect_same("IPv6 error about a VIP flow, to a non-VIP address", &err,
		    XLB_PASS_ICMP_NOT_TO_VIP);
	cr_assert_eq(env_stat(&env, XLB_TX_ICMP_ERROR), 0,
		     "no error reached a backend");
}

Test(edges, icmp_error_to_another_vip_address_passes)
{
	struct pkt err;

	/* 192.0.2.20 is a VIP address, but the quote came from 192.0.2.10 */
	icmp_error(&err, &vip4_reply, "192.0.2.20");
	expect_same("IPv4 error to one VIP address quoting another's packet",
		    &err, XLB_PASS_ICMP_NOT_VIP);
	icmp_error(&err, &vip6_reply, "2001:db8::20");
	expect_same("IPv6 error to one VIP address quoting another's packet",
		    &err, XLB_PASS_ICMP_NOT_VIP);
}

/* Rule 2: the quote, like every header, lies inside the IP length */

Test(edges, icmp_quote_past_the_ip_length_is_dropped)
{
	struct pkt err, full;

	icmp_error(&full, &vip4_reply, "192.0.2.10");
	/* the quoted IP header inside, its ports only in the trailer */
	err = full;
	set_ip_len(&err, 20 + 8 + 20);
	expect_drop("IPv4 error whose quoted ports lie past the total length",
		    &err, XLB_DROP_MALFORMED);
	/* half the quoted IP header inside */
	err = full;
	set_ip_len(&err, 20 + 8 + 10);
	expect_drop("IPv4 error whose quoted header ends past the total length",
		    &err, XLB_DROP_MALFORMED);

	icmp_error(&full, &vip6_reply, "2001:db8::10");
	err = full;
	set_ip_len(&err, 40 + 8 + 40);
	expect_drop("IPv6 error whose quoted ports lie past the payload length",
		    &err, XLB_DROP_MALFORMED);
	cr_assert_eq(env_stat(&env, XLB_TX_ICMP_ERROR), 0,
		     "no quote from a trailer steered an error");
}

Test(edges, tcp_header_past_the_ip_length_is_dropped)
{
	struct pkt_spec s = vip4_client;
	struct pkt in;

	s.tcp_flags = ACK;
	s.payload_len = 40;
	cr_assert_eq(pkt_build(&in, &s), 0);
	set_ip_len(&in, 20 + 16); /* TCP header cut by the total length */
	expect_drop("IPv4 TCP header ending past the total length", &in,
		    XLB_DROP_MALFORMED);
}

/* Rule 3: sources that can never be a client */

static const struct {
	int family;
	const char *src;
	uint32_t outcome;
} bogus_sources[] = {
	{ 4, "0.0.0.0", XLB_DROP_SRC_UNSPEC },
	{ 4, "0.1.2.3", XLB_DROP_SRC_UNSPEC },
	{ 4, "127.0.0.1", XLB_DROP_SRC_LOOPBACK },
	{ 4, "127.255.0.9", XLB_DROP_SRC_LOOPBACK },
	{ 4, "224.0.0.1", XLB_DROP_SRC_MULTICAST },
	{ 4, "239.255.255.250", XLB_DROP_SRC_MULTICAST },
	{ 4, "240.0.0.1", XLB_DROP_SRC_RESERVED },
	{ 4, "255.255.255.255", XLB_DROP_SRC_RESERVED },
	{ 6, "::", XLB_DROP_SRC_UNSPEC },
	{ 6, "::1", XLB_DROP_SRC_LOOPBACK },
	{ 6, "ff02::1", XLB_DROP_SRC_MULTICAST },
	{ 6, "ff0e::1:3", XLB_DROP_SRC_MULTICAST },
	{ 6, "::ffff:203.0.113.7", XLB_DROP_SRC_RESERVED },
};

/* Borders of the ranges above: real clients, forwarded. */
static const struct {
	int family;
	const char *src;
} good_sources[] = {
	{ 4, "1.0.0.0" },   { 4, "126.255.255.255" }, { 4, "128.0.0.0" },
	{ 4, "223.255.255.255" }, { 4, "169.254.1.1" }, { 6, "::2" },
	{ 6, "::fffe:cb00:7107" }, { 6, "fe80::1" }, { 6, "feff::1" },
};

static void syn_from(struct pkt_spec *s, int family, const char *src,
		     const char *dst)
{
	*s = family == 4 ? vip4_client : vip6_client;
	s->src = src;
	if (dst)
		s->dst = dst;
	s->tcp_flags = SYN;
}

Test(edges, sources_that_are_never_clients_are_dropped)
{
	char what[128];

	for (size_t i = 0; i < sizeof(bogus_sources) / sizeof(bogus_sources[0]);
	     i++) {
		struct pkt_spec s;
		struct pkt in;

		syn_from(&s, bogus_sources[i].family, bogus_sources[i].src,
			 NULL);
		cr_assert_eq(pkt_build(&in, &s), 0);
		snprintf(what, sizeof(what), "SYN from %s to a VIP",
			 bogus_sources[i].src);
		expect_drop(what, &in, bogus_sources[i].outcome);

		/* to an address without a VIP: the stack's to judge */
		syn_from(&s, bogus_sources[i].family, bogus_sources[i].src,
			 bogus_sources[i].family == 4 ? "192.0.2.99" :
							"2001:db8::99");
		cr_assert_eq(pkt_build(&in, &s), 0);
		snprintf(what, sizeof(what), "SYN from %s to a non-VIP address",
			 bogus_sources[i].src);
		expect_same(what, &in, XLB_PASS_NOT_VIP);
	}
	for (size_t i = 0; i < sizeof(good_sources) / sizeof(good_sources[0]);
	     i++) {
		struct pkt_spec s;
		struct pkt in;

		syn_from(&s, good_sources[i].family, good_sources[i].src,
			 NULL);
		cr_assert_eq(pkt_build(&in, &s), 0);
		snprintf(what, sizeof(what), "SYN from %s to a VIP",
			 good_sources[i].src);
		expect_forward_spec(what,
				    good_sources[i].family == 4 ? VIP_TCP4 :
								  VIP_TCP6,
				    &s, &in);
	}
}

Test(edges, no_too_big_to_a_group_source_or_frame)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mcast6[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	struct pkt_spec s4 = vip4_client, s6 = vip6_client;
	struct pkt in, out;

	s4.tcp_flags = ACK;
	s4.df = true;
	s4.payload_len = 1460; /* 1500 bytes: IPIP would make it 1520 */
	s6.tcp_flags = ACK;
	s6.payload_len = 1440;

	s4.src = "224.0.0.5";
	cr_assert_eq(pkt_build(&in, &s4), 0);
	expect_drop("too big from a multicast source", &in,
		    XLB_DROP_SRC_MULTICAST);
	s6.src = "ff02::1";
	cr_assert_eq(pkt_build(&in, &s6), 0);
	expect_drop("too big from an IPv6 multicast source", &in,
		    XLB_DROP_SRC_MULTICAST);

	/* a unicast client in a broadcast / multicast frame */
	s4.src = CLIENT4;
	s4.dmac = bcast;
	cr_assert_eq(pkt_build(&in, &s4), 0);
	expect_drop("too big in a broadcast frame", &in, XLB_DROP_TOO_BIG);
	s6.src = CLIENT6;
	s6.dmac = mcast6;
	cr_assert_eq(pkt_build(&in, &s6), 0);
	expect_drop("too big in an IPv6 multicast frame", &in,
		    XLB_DROP_TOO_BIG);
	cr_assert_eq(env_stat(&env, XLB_TX_TOO_BIG), 0, "nothing answered");

	/* the same client in a unicast frame gets its answer */
	s4.dmac = NULL;
	cr_assert_eq(pkt_build(&in, &s4), 0);
	run_counted("too big in a unicast frame", &in, &out, XDP_TX,
		    XLB_TX_TOO_BIG);
}

/* Rule 4: bytes after the IP packet are cut before the frame leaves */

Test(edges, trailer_is_cut_before_encapsulation)
{
	struct pkt_spec s = vip4_client;
	struct pkt in, out;
	struct xlb_flow f;

	s.tcp_flags = ACK;
	s.payload_len = 100;
	cr_assert_eq(pkt_build(&in, &s), 0);
	append(&in, 24, 0xa5);
	env_flow(&s, &f);
	expect_forward("IPv4 with a 24-byte trailer", VIP_TCP4, &in, &f,
		       XLB_TX_FORWARD, &out);
	cr_assert_eq(out.len, 14 + 20 + 20 + 20 + 100,
		     "the trailer did not travel");
	cr_assert_eq(env_stat(&env, XLB_EV_TRAILER_TRIMMED), 1,
		     "a trailer is counted");

	s = vip6_client;
	s.dst = "2001:db8::30"; /* L2 DSR */
	s.dport = 80;
	cr_assert_eq(pkt_build(&in, &s), 0);
	append(&in, 4, 0x5a); /* an FCS left on by the NIC */
	env_flow(&s, &f);
	expect_forward("IPv6 L2 DSR with a 4-byte trailer", VIP_DSR6, &in, &f,
		       XLB_TX_FORWARD, &out);
	cr_assert_eq(out.len, 14 + 40 + 20, "L2 DSR cut the trailer too");
	cr_assert_eq(env_stat(&env, XLB_EV_TRAILER_TRIMMED), 2);

	/* Ethernet padding of a short frame is cut, but not counted */
	s = vip4_client;
	s.tcp_flags = SYN;
	cr_assert_eq(pkt_build(&in, &s), 0);
	cr_assert_eq(in.len, 60, "a SYN is padded to 60 bytes");
	env_flow(&s, &f);
	expect_forward("a padded SYN", VIP_TCP4, &in, &f, XLB_TX_FORWARD, &out);
	cr_assert_eq(out.len, 14 + 20 + 40, "the padding did not travel");
	cr_assert_eq(env_stat(&env, XLB_EV_TRAILER_TRIMMED), 2,
		     "padding is not a trailer");
}

Test(edges, mtu_counts_what_leaves)
{
	struct pkt_spec s4 = vip4_client, s6 = vip6_client;
	struct pkt in, out;
	struct xlb_flow f;

	/* 1480 + IPIP 20 = the MTU exactly; 30 trailer bytes on top */
	s4.tcp_flags = ACK;
	s4.df = true;
	s4.payload_len = 1480 - 40;
	cr_assert_eq(pkt_build(&in, &s4), 0);
	append(&in, 30, 0);
	env_flow(&s4, &f);
	expect_forward("IPv4 at the MTU with a trailer", VIP_TCP4, &in, &f,
		       XLB_TX_FORWARD, &out);
	cr_assert_eq(out.len, 14 + ENV_MTU, "what leaves is exactly the MTU");

	s6.tcp_flags = ACK;
	s6.payload_len = 1460 - 60;
	cr_assert_eq(pkt_build(&in, &s6), 0);
	append(&in, 30, 0);
	env_flow(&s6, &f);
	expect_forward("IPv6 at the MTU with a trailer", VIP_TCP6, &in, &f,
		       XLB_TX_FORWARD, &out);
	cr_assert_eq(out.len, 14 + ENV_MTU, "what leaves is exactly the MTU");
}

Test(edges, echo_reply_carries_no_trailer)
{
	struct pkt_spec s = { .family = 4, .src = CLIENT4,
			      .dst = "192.0.2.10", .sport = 7, .dport = 1,
			      .proto = IPPROTO_ICMP, .payload_len = 56 };
	struct pkt in, out;

	cr_assert_eq(pkt_build(&in, &s), 0);
	append(&in, 16, 0xee);
	run_counted("echo request with a trailer", &in, &out, XDP_TX,
		    XLB_TX_ECHO_REPLY);
	cr_assert_eq(out.len, in.len - 16, "the reply is the IP packet only");
}

/* Rule 5: IPv6 extension headers, Routing headers, TTL 0 and 1 */

/* An extension header chain as letters: H(op-by-Hop), D(estination
 * options), R(outing), F(ragment). */
static uint8_t ext_type(char c)
{
	switch (c) {
	case 'H':
		return IPPROTO_HOPOPTS;
	case 'D':
		return IPPROTO_DSTOPTS;
	case 'R':
		return IPPROTO_ROUTING;
	default:
		cr_assert_eq(c, 'F', "extension header letter %c", c);
		return IPPROTO_FRAGMENT;
	}
}

/*
 * Inserts the headers of @chain after @p's IPv6 header: options headers of
 * 8 bytes (one PadN), Segment Routing headers of 24 bytes (one segment,
 * @segments_left left), atomic fragment headers. The TCP checksum stays
 * right: the pseudo header counts the upper layer only.
 */
static void add_ext(struct pkt *p, const char *chain, uint8_t segments_left)
{
	size_t l3 = pkt_l3_off(p), at = l3 + 40, total = 0;
	uint8_t hdrs[256] = { 0 }, *ip = p->data + l3, nh = ip[6];
	size_t n = strlen(chain);

	for (size_t i = 0; i < n; i++) {
		uint8_t *h = hdrs + total;

		h[0] = i + 1 < n ? ext_type(chain[i + 1]) : nh;
		if (chain[i] == 'R') {
			h[1] = 2;
			h[2] = 4; /* SRH */
			h[3] = segments_left;
			memset(h + 8, 0x20, 16);
			total += 24;
			continue;
		}
		if (chain[i] != 'F') {
			h[2] = 1; /* PadN */
			h[3] = 4;
		}
		total += 8;
	}
	ip[6] = ext_type(chain[0]);
	cr_assert_leq(p->len + total, sizeof(p->data));
	memmove(p->data + at + total, p->data + at, p->len - at);
	memcpy(p->data + at, hdrs, total);
	p->len += total;
	put16(ip + 4, (uint16_t)((ip[4] << 8 | ip[5]) + total));
}

static void ext_case(const char *chain, uint8_t segments_left,
		     uint32_t outcome)
{
	struct pkt_spec s = vip6_client;
	char what[96];
	struct pkt in;

	snprintf(what, sizeof(what), "IPv6 SYN with extension headers %s%s",
		 chain, segments_left ? " (segments left)" : "");
	s.tcp_flags = SYN;
	cr_assert_eq(pkt_build(&in, &s), 0);
	add_ext(&in, chain, segments_left);
	if (outcome == XLB_TX_FORWARD) {
		expect_forward_spec(what, VIP_TCP6, &s, &in);
		return;
	}
	expect_drop(what, &in, outcome);

	/* to an address without a VIP it is the stack's */
	s.dst = "2001:db8::99";
	cr_assert_eq(pkt_build(&in, &s), 0);
	add_ext(&in, chain, segments_left);
	expect_same(what, &in, XLB_PASS_NOT_VIP);
}

Test(edges, ipv6_extension_headers_in_rfc8200_order)
{
	ext_case("HDRD", 0, XLB_TX_FORWARD); /* the full order, 0 left */
	ext_case("DD", 0, XLB_TX_FORWARD); /* Destination Options twice */
	ext_case("DH", 0, XLB_DROP_EXT_ORDER); /* Hop-by-Hop not first */
	ext_case("HH", 0, XLB_DROP_EXT_ORDER);
	ext_case("RR", 0, XLB_DROP_EXT_ORDER);
	ext_case("FR", 0, XLB_DROP_EXT_ORDER);
	ext_case("DDD", 0, XLB_DROP_EXT_ORDER);
	ext_case("R", 1, XLB_DROP_ROUTING_HDR);
	ext_case("HR", 3, XLB_DROP_ROUTING_HDR);
}

Test(edges, ipv6_extension_header_past_the_payload_length_is_dropped)
{
	struct pkt_spec s = vip6_client;
	struct pkt in;

	/* Hop-by-Hop inside; its next header, Destination Options, lies in
	 * the trailer with the TCP header after it */
	s.tcp_flags = SYN;
	cr_assert_eq(pkt_build(&in, &s), 0);
	add_ext(&in, "HD", 0);
	set_ip_len(&in, 40 + 8);
	cr_assert_eq(in.data[14 + 40], IPPROTO_DSTOPTS);
	expect_drop("extension header in the trailer", &in,
		    XLB_DROP_MALFORMED);
}

static void ttl_case(int family, uint8_t ttl, int counted)
{
	struct pkt_spec s = family == 4 ? vip4_client : vip6_client;
	uint64_t before = env_stat(&env, XLB_EV_TTL_LOW);
	char what[64];
	struct pkt in;

	s.tcp_flags = SYN;
	s.ttl = ttl ? ttl : 64;
	cr_assert_eq(pkt_build(&in, &s), 0);
	if (!ttl) { /* the crafter reads 0 as its default */
		in.data[14 + (family == 4 ? 8 : 7)] = 0;
		if (family == 4)
			fix_ip4_csum(&in);
	}
	snprintf(what, sizeof(what), "IPv%d SYN with TTL %u", family, ttl);
	/* forwarded as it came: the inner TTL is not touched */
	expect_forward_spec(what, family == 4 ? VIP_TCP4 : VIP_TCP6, &s, &in);
	cr_assert_eq(env_stat(&env, XLB_EV_TTL_LOW), before + counted,
		     "%s: %scounted as ttl_low", what, counted ? "" : "not ");
}

Test(edges, ttl_0_and_1_are_forwarded_as_they_came)
{
	for (int family = 4; family <= 6; family += 2) {
		ttl_case(family, 0, 1);
		ttl_case(family, 1, 1);
		ttl_case(family, 2, 0);
	}
}
