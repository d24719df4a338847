// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Backend decap tests: the real xlb_decap object driven by
 * BPF_PROG_TEST_RUN, table-driven as {description, tunnel packet, outcome,
 * expected output}; every truncation and many mutations of tunnel packets;
 * the round trip client -> xlb_lb -> xlb_decap, which must give back the
 * client's packet; and attach / detach on a veth in a private network
 * namespace. Tunnel packets and expected packets are built by pkt.c (and
 * broken here, field by field), never by the code under test.
 *
 * MACs: decap keeps the frame's MACs (the backend's as destination, the
 * sender's, usually a router, as source) and its 802.1Q tag; every
 * expected packet says so byte for byte.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <linux/bpf.h>

#include "lib/addr.h"
#include "decap/decap.h"
#include "lb_env.h"
#include "testrun.h"
#include "xlb_decap.skel.h"

#define LOCAL4 "198.51.100.1"
#define LOCAL6 "2001:db8:100::1"
#define OTHER4 "198.51.100.99"
#define OTHER6 "2001:db8:100::99"
#define TUN_SRC4 "198.18.0.7"
#define TUN_SRC6 "2001:db8:ffff::7"
#define CLIENT4 "203.0.113.7"
#define CLIENT6 "2001:db8:c::7"
#define VIP4 "192.0.2.10"
#define VIP6 "2001:db8::10"
#define ENTROPY 0x5a5a5u
#define MUTATIONS 30000
#define SEED 0x9e3779b9u

/* The backend's own MAC: the outer frame's destination, kept by decap. */
#define MAC_BACKEND ((const uint8_t[6]){ 0x02, 0, 0, 0, 0x0b, 0x01 })

static struct {
	struct xlb_decap *skel;
	struct xlb_decap_maps maps;
	int prog_fd;
} denv;

static void set_addrs(const char *const *addrs, size_t n)
{
	cr_assert_eq(xlb_decap_addr_clear(&denv.maps), 0,
		     "the address map empties");
	for (size_t i = 0; i < n; i++) {
		struct xlb_addr a;
		__u8 fam;

		cr_assert_eq(xlb_addr_parse(addrs[i], &a, &fam), 0,
			     "%s parses", addrs[i]);
		cr_assert_eq(xlb_decap_addr_add(&denv.maps, &a, fam), 0,
			     "%s is added to xlb_decap_addrs", addrs[i]);
	}
}

static void setup(void)
{
	static const char *const local[] = { LOCAL4, LOCAL6 };

	denv.skel = xlb_decap__open_and_load();
	cr_assert_not_null(denv.skel, "the decap object loads (verifier)");
	cr_assert_eq(xlb_decap_maps_from_object(denv.skel->obj, &denv.maps), 0,
		     "both decap maps are found");
	cr_assert_eq(denv.maps.nstats, XLB_DECAP_STAT_MAX,
		     "xlb_decap_stats has one entry per outcome");
	denv.prog_fd = bpf_program__fd(denv.skel->progs.xlb_decap);
	set_addrs(local, 2);
}

static void teardown(void)
{
	xlb_decap__destroy(denv.skel);
	memset(&denv, 0, sizeof(denv));
}

TestSuite(decap, .init = setup, .fini = teardown, .timeout = 300);

static uint64_t dstat(uint32_t idx)
{
	struct xlb_counter c;

	cr_assert_eq(xlb_decap_stat_read(&denv.maps, idx, &c), 0,
		     "counter %s reads", xlb_decap_stat_name(idx));
	return c.packets;
}

static uint64_t stat_total(void)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < XLB_DECAP_STAT_MAX; i++)
		n += dstat(i);
	return n;
}

static uint32_t run(const struct pkt *in, struct pkt *out)
{
	__u32 verdict = 0;
	int err = xdp_run(denv.prog_fd, in, out, &verdict);

	cr_assert_eq(err, 0, "BPF_PROG_TEST_RUN runs decap (err %d)", err);
	return verdict;
}

static bool same(const struct pkt *a, const struct pkt *b)
{
	return a->len == b->len && !memcmp(a->data, b->data, a->len);
}

/* Byte helpers for breaking packets on purpose. */
static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint16_t csum(const uint8_t *p, size_t len)
{
	return pkt_csum_fold(pkt_sum16(p, len, 0));
}

static uint8_t *outer(struct pkt *p)
{
	return p->data + pkt_l3_off(p);
}

static size_t outer_hlen(const struct pkt *p)
{
	const uint8_t *ip = p->data + pkt_l3_off(p);

	return ip[0] >> 4 == 4 ? (size_t)(ip[0] & 0xf) * 4 : 40;
}

static uint8_t *inner(struct pkt *p)
{
	return outer(p) + outer_hlen(p);
}

static void ip4_fix_csum(uint8_t *ip)
{
	put16(ip + 10, 0);
	put16(ip + 10, csum(ip, (size_t)(ip[0] & 0xf) * 4));
}

/* Ways to break (or bend) a tunnel packet; each keeps checksums right
 * unless breaking the checksum is the point. */
static void m_outer_proto_4(struct pkt *p)
{
	outer(p)[9] = IPPROTO_IPIP;
	ip4_fix_csum(outer(p));
}

static void m_outer_proto_41(struct pkt *p)
{
	outer(p)[9] = IPPROTO_IPV6;
	ip4_fix_csum(outer(p));
}

static void m_outer_nh_4(struct pkt *p)
{
	outer(p)[6] = IPPROTO_IPIP;
}

static void m_outer_nh_41(struct pkt *p)
{
	outer(p)[6] = IPPROTO_IPV6;
}

static void m_outer4_short(struct pkt *p)
{
	put16(outer(p) + 2, 20 + 10);
	ip4_fix_csum(outer(p));
}

static void m_outer6_short(struct pkt *p)
{
	put16(outer(p) + 4, 10);
}

static void m_outer6_plen0(struct pkt *p)
{
	put16(outer(p) + 4, 0);
}

static void m_inner4_long(struct pkt *p)
{
	uint8_t *ip = inner(p);

	put16(ip + 2, get16(ip + 2) + 1);
	ip4_fix_csum(ip);
}

static void m_inner6_long(struct pkt *p)
{
	uint8_t *ip = inner(p);

	put16(ip + 4, get16(ip + 4) + 1);
}

static void m_inner4_ihl4(struct pkt *p)
{
	uint8_t *ip = inner(p);

	ip[0] = 0x44;
}

static void m_inner6_plen0(struct pkt *p)
{
	put16(inner(p) + 4, 0);
}

static void m_cut_last_byte(struct pkt *p)
{
	p->len--;
}

static void m_outer4_bad_csum(struct pkt *p)
{
	outer(p)[10] ^= 0x55;
}

static void m_outer4_ihl4(struct pkt *p)
{
	outer(p)[0] = 0x44;
	put16(outer(p) + 10, 0);
	put16(outer(p) + 10, csum(outer(p), 20));
}

static void m_outer4_version5(struct pkt *p)
{
	outer(p)[0] = 0x55;
	ip4_fix_csum(outer(p));
}

static void m_outer6_version4(struct pkt *p)
{
	outer(p)[0] = (uint8_t)((outer(p)[0] & 0x0f) | 0x40);
}

static void m_outer4_mf(struct pkt *p)
{
	put16(outer(p) + 6, get16(outer(p) + 6) | 0x2000);
	ip4_fix_csum(outer(p));
}

static void m_outer4_offset(struct pkt *p)
{
	put16(outer(p) + 6, 185);
	ip4_fix_csum(outer(p));
}

/* Outer IPv4 options: 8 bytes of NOPs, IHL 7. */
static void m_outer4_options(struct pkt *p)
{
	uint8_t *ip = outer(p);
	size_t l3 = pkt_l3_off(p);

	memmove(ip + 28, ip + 20, p->len - l3 - 20);
	memset(ip + 20, 1, 8);
	ip[0] = 0x47;
	put16(ip + 2, get16(ip + 2) + 8);
	p->len += 8;
	ip4_fix_csum(ip);
}

static void m_outer4_ce(struct pkt *p)
{
	outer(p)[1] |= 3;
	ip4_fix_csum(outer(p));
}

static void m_outer6_ce(struct pkt *p)
{
	outer(p)[1] |= 0x30;
}

static void m_outer6_exthdr(struct pkt *p)
{
	/* a destination options header (8 bytes of PadN) before the tunnel */
	uint8_t *ip = outer(p);
	size_t l3 = pkt_l3_off(p);

	memmove(ip + 48, ip + 40, p->len - l3 - 40);
	ip[40] = ip[6];
	ip[41] = 0;
	ip[42] = 1; /* PadN */
	ip[43] = 4;
	memset(ip + 44, 0, 4);
	ip[6] = 60; /* NEXTHDR_DEST */
	put16(ip + 4, get16(ip + 4) + 8);
	p->len += 8;
}

enum expect {
	EXPECT_DECAP, /* the stack gets the inner frame */
	EXPECT_DECAP_CE, /* the same, the inner packet marked CE */
	EXPECT_SAME, /* passes byte-identical */
	EXPECT_DROP,
};

struct fixture {
	const char *desc;
	struct pkt_spec inner; /* the client's frame */
	int ofam; /* outer family; 0: @inner is sent as it is */
	const char *odst; /* outer destination */
	void (*mangle)(struct pkt *p); /* applied to the tunnel packet */
	uint32_t outcome; /* enum xlb_decap_stat that must count it */
	enum expect expect;
};

#define TCP4(...)                                                             \
	{ .family = 4, .src = CLIENT4, .dst = VIP4, .sport = 40000,           \
	  .dport = 80, .proto = IPPROTO_TCP, .tcp_flags = 0x02, .df = true,   \
	  __VA_ARGS__ }
#define TCP6(...)                                                             \
	{ .family = 6, .src = CLIENT6, .dst = VIP6, .sport = 40000,           \
	  .dport = 443, .proto = IPPROTO_TCP, .tcp_flags = 0x02, __VA_ARGS__ }

static const struct fixture fixtures[] = {
	{ "IPIP (4in4) to a local address is decapsulated", TCP4(), 4, LOCAL4,
	  NULL, XLB_DECAP_OK_4IN4, EXPECT_DECAP },
	{ "4in4 in an 802.1Q tag keeps its tag", TCP4(.vlan = 100), 4, LOCAL4,
	  NULL, XLB_DECAP_OK_4IN4, EXPECT_DECAP },
	{ "IP6IP6 (6in6) to a local address is decapsulated", TCP6(), 6,
	  LOCAL6, NULL, XLB_DECAP_OK_6IN6, EXPECT_DECAP },
	{ "6in6 in an 802.1Q tag keeps its tag", TCP6(.vlan = 4000), 6, LOCAL6,
	  NULL, XLB_DECAP_OK_6IN6, EXPECT_DECAP },
	{ "4in6 is decapsulated", TCP4(), 6, LOCAL6, NULL, XLB_DECAP_OK_4IN6,
	  EXPECT_DECAP },
	{ "4in6 in an 802.1Q tag keeps its tag", TCP4(.vlan = 7), 6, LOCAL6,
	  NULL, XLB_DECAP_OK_4IN6, EXPECT_DECAP },
	{ "6in4 is decapsulated", TCP6(), 4, LOCAL4, NULL, XLB_DECAP_OK_6IN4,
	  EXPECT_DECAP },
	{ "6in4 in an 802.1Q tag keeps its tag", TCP6(.vlan = 1), 4, LOCAL4,
	  NULL, XLB_DECAP_OK_6IN4, EXPECT_DECAP },
	{ "a full-size 4in4 packet is decapsulated",
	  TCP4(.tcp_flags = 0x10, .payload_len = 1400), 4, LOCAL4, NULL,
	  XLB_DECAP_OK_4IN4, EXPECT_DECAP },
	{ "a full-size UDP 6in6 packet is decapsulated",
	  { .family = 6, .src = CLIENT6, .dst = VIP6, .sport = 999,
	    .dport = 53, .proto = IPPROTO_UDP, .payload_len = 1400 },
	  6, LOCAL6, NULL, XLB_DECAP_OK_6IN6, EXPECT_DECAP },
	{ "inner IPv4 options (IHL 8), TOS and no DF come through",
	  TCP4(.ihl = 8, .tos = 0x28, .df = false), 4, LOCAL4, NULL,
	  XLB_DECAP_OK_4IN4, EXPECT_DECAP },
	{ "an inner ICMP echo request is decapsulated",
	  { .family = 4, .src = CLIENT4, .dst = VIP4, .sport = 7, .dport = 1,
	    .proto = IPPROTO_ICMP, .payload_len = 56 },
	  6, LOCAL6, NULL, XLB_DECAP_OK_4IN6, EXPECT_DECAP },
	{ "outer IPv4 options (IHL 7) are cut with the header", TCP4(), 4,
	  LOCAL4, m_outer4_options, XLB_DECAP_OK_4IN4, EXPECT_DECAP },
	{ "outer CE marks an ECT(0) inner IPv4 packet CE (RFC 6040)",
	  TCP4(.tos = 0x02), 4, LOCAL4, m_outer4_ce, XLB_DECAP_OK_4IN4,
	  EXPECT_DECAP_CE },
	{ "outer CE marks an ECT(1) inner IPv6 packet CE (RFC 6040)",
	  TCP6(.tos = 0x01), 6, LOCAL6, m_outer6_ce, XLB_DECAP_OK_6IN6,
	  EXPECT_DECAP_CE },
	{ "outer CE on 6in4 marks the ECT inner packet CE", TCP6(.tos = 0xb2),
	  4, LOCAL4, m_outer4_ce, XLB_DECAP_OK_6IN4, EXPECT_DECAP_CE },
	{ "an inner packet already CE stays CE", TCP4(.tos = 0x03), 6, LOCAL6,
	  m_outer6_ce, XLB_DECAP_OK_4IN6, EXPECT_DECAP },

	{ "IPIP to another address passes untouched", TCP4(), 4, OTHER4, NULL,
	  XLB_DECAP_PASS_NOT_TUNNEL, EXPECT_SAME },
	{ "IP6IP6 to another address passes untouched", TCP6(), 6, OTHER6,
	  NULL, XLB_DECAP_PASS_NOT_TUNNEL, EXPECT_SAME },
	{ "IPIP to a local IPv6 address's bytes as IPv4 passes untouched",
	  TCP4(), 4, "32.1.13.184", NULL, XLB_DECAP_PASS_NOT_TUNNEL,
	  EXPECT_SAME },
	{ "plain TCP to a local IPv4 address passes untouched",
	  TCP4(.dst = LOCAL4), 0, NULL, NULL, XLB_DECAP_PASS_NOT_TUNNEL,
	  EXPECT_SAME },
	{ "plain TCP to a local IPv6 address passes untouched",
	  TCP6(.dst = LOCAL6, .vlan = 3), 0, NULL, NULL,
	  XLB_DECAP_PASS_NOT_TUNNEL, EXPECT_SAME },
	{ "plain UDP to a local address passes untouched",
	  { .family = 4, .src = CLIENT4, .dst = LOCAL4, .sport = 5,
	    .dport = 53, .proto = IPPROTO_UDP, .payload_len = 20 },
	  0, NULL, NULL, XLB_DECAP_PASS_NOT_TUNNEL, EXPECT_SAME },
	{ "an ICMPv6 echo request to a local address passes untouched",
	  { .family = 6, .src = CLIENT6, .dst = LOCAL6, .sport = 1,
	    .dport = 1, .proto = IPPROTO_ICMPV6 },
	  0, NULL, NULL, XLB_DECAP_PASS_NOT_TUNNEL, EXPECT_SAME },
	{ "an outer IPv6 extension header is not a tunnel we take", TCP4(), 6,
	  LOCAL6, m_outer6_exthdr, XLB_DECAP_PASS_NOT_TUNNEL, EXPECT_SAME },

	{ "protocol 4 carrying IPv6 is dropped", TCP6(), 4, LOCAL4,
	  m_outer_proto_4, XLB_DECAP_DROP_INNER_MALFORMED, EXPECT_DROP },
	{ "protocol 41 carrying IPv4 is dropped", TCP4(), 4, LOCAL4,
	  m_outer_proto_41, XLB_DECAP_DROP_INNER_MALFORMED, EXPECT_DROP },
	{ "next header 4 carrying IPv6 is dropped", TCP6(), 6, LOCAL6,
	  m_outer_nh_4, XLB_DECAP_DROP_INNER_MALFORMED, EXPECT_DROP },
	{ "next header 41 carrying IPv4 is dropped", TCP4(), 6, LOCAL6,
	  m_outer_nh_41, XLB_DECAP_DROP_INNER_MALFORMED, EXPECT_DROP },
	{ "an outer IPv4 length too short for the inner header is dropped",
	  TCP4(), 4, LOCAL4, m_outer4_short, XLB_DECAP_DROP_INNER_MALFORMED,
	  EXPECT_DROP },
	{ "an outer IPv6 length too short for the inner header is dropped",
	  TCP6(), 6, LOCAL6, m_outer6_short, XLB_DECAP_DROP_INNER_MALFORMED,
	  EXPECT_DROP },
	{ "an outer IPv6 payload length of 0 is dropped", TCP4(), 6, LOCAL6,
	  m_outer6_plen0, XLB_DECAP_DROP_INNER_MALFORMED, EXPECT_DROP },
	{ "an inner IPv4 longer than the outer payload is dropped",
	  TCP4(.payload_len = 40), 4, LOCAL4, m_inner4_long,
	  XLB_DECAP_DROP_INNER_MALFORMED, EXPECT_DROP },
	{ "an inner IPv6 longer than the outer payload is dropped",
	  TCP6(.payload_len = 40), 4, LOCAL4, m_inner6_long,
	  XLB_DECAP_DROP_INNER_MALFORMED, EXPECT_DROP },
	{ "an inner IPv4 IHL of 4 is dropped", TCP4(), 6, LOCAL6,
	  m_inner4_ihl4, XLB_DECAP_DROP_INNER_MALFORMED, EXPECT_DROP },
	{ "an inner IPv6 payload length of 0 is dropped", TCP6(), 6, LOCAL6,
	  m_inner6_plen0, XLB_DECAP_DROP_INNER_MALFORMED, EXPECT_DROP },
	{ "a 4in4 frame cut by one byte is dropped", TCP4(.payload_len = 40),
	  4, LOCAL4, m_cut_last_byte, XLB_DECAP_DROP_INNER_MALFORMED,
	  EXPECT_DROP },
	{ "a 6in6 frame cut by one byte is dropped",
	  TCP6(.payload_len = 40, .vlan = 9), 6, LOCAL6, m_cut_last_byte,
	  XLB_DECAP_DROP_INNER_MALFORMED, EXPECT_DROP },
	{ "a bad outer IPv4 checksum is dropped", TCP4(), 4, LOCAL4,
	  m_outer4_bad_csum, XLB_DECAP_DROP_INNER_MALFORMED, EXPECT_DROP },
	{ "an outer IPv4 IHL of 4 is dropped", TCP4(), 4, LOCAL4,
	  m_outer4_ihl4, XLB_DECAP_DROP_INNER_MALFORMED, EXPECT_DROP },
	{ "an outer IPv4 header of version 5 is dropped", TCP4(), 4, LOCAL4,
	  m_outer4_version5, XLB_DECAP_DROP_INNER_MALFORMED, EXPECT_DROP },
	{ "an outer IPv6 header of version 4 is dropped", TCP6(), 6, LOCAL6,
	  m_outer6_version4, XLB_DECAP_DROP_INNER_MALFORMED, EXPECT_DROP },
	{ "the first outer IPv4 fragment is dropped", TCP4(.df = false), 4,
	  LOCAL4, m_outer4_mf, XLB_DECAP_DROP_FRAGMENT, EXPECT_DROP },
	{ "a later outer IPv4 fragment is dropped", TCP6(), 4, LOCAL4,
	  m_outer4_offset, XLB_DECAP_DROP_FRAGMENT, EXPECT_DROP },
	{ "outer CE on a not-ECT inner IPv4 packet is dropped (RFC 6040)",
	  TCP4(), 4, LOCAL4, m_outer4_ce, XLB_DECAP_DROP_ECN, EXPECT_DROP },
	{ "outer CE on a not-ECT inner IPv6 packet is dropped (RFC 6040)",
	  TCP6(), 6, LOCAL6, m_outer6_ce, XLB_DECAP_DROP_ECN, EXPECT_DROP },
};

/* The tunnel packet of @inner: backend MAC <- router MAC, outer header. */
static void encap(struct pkt *out, const struct pkt *in, int ofam,
		  const char *odst)
{
	cr_assert_eq(pkt_encap(out, in, ofam, ofam == 4 ? TUN_SRC4 : TUN_SRC6,
			       odst, ENTROPY, MAC_BACKEND, PKT_MAC_ROUTER),
		     0, "the tunnel packet to %s builds", odst);
}

/* What decap must hand the stack: @inner under the tunnel frame's MACs. */
static void expect_inner(struct pkt *want, const struct pkt_spec *inner,
			 bool ce)
{
	struct pkt_spec s = *inner;

	if (ce)
		s.tos |= 3;
	s.dmac = MAC_BACKEND;
	s.smac = PKT_MAC_ROUTER;
	cr_assert_eq(pkt_build(want, &s), 0, "the expected packet builds");
}

static void check_fixture(const struct fixture *fx)
{
	uint64_t before = dstat(fx->outcome), total = stat_total();
	struct pkt client, in, out, want;
	uint32_t verdict;

	cr_assert_eq(pkt_build(&client, &fx->inner), 0, "%s: inner builds",
		     fx->desc);
	if (fx->ofam)
		encap(&in, &client, fx->ofam, fx->odst);
	else
		in = client;
	if (fx->mangle)
		fx->mangle(&in);
	verdict = run(&in, &out);
	cr_assert_eq(dstat(fx->outcome), before + 1, "%s: counted as %s",
		     fx->desc, xlb_decap_stat_name(fx->outcome));
	cr_assert_eq(stat_total(), total + 1, "%s: counted once", fx->desc);
	switch (fx->expect) {
	case EXPECT_DECAP:
	case EXPECT_DECAP_CE:
		expect_inner(&want, &fx->inner, fx->expect == EXPECT_DECAP_CE);
		cr_assert_eq(verdict, XDP_PASS, "%s: verdict is XDP_PASS (%u)",
			     fx->desc, verdict);
		if (!same(&out, &want))
			pkt_dump_diff(fx->desc, &out, &want);
		cr_assert(same(&out, &want),
			  "%s: the stack gets the inner frame, MACs and tag "
			  "kept", fx->desc);
		break;
	case EXPECT_SAME:
		cr_assert_eq(verdict, XDP_PASS, "%s: verdict is XDP_PASS (%u)",
			     fx->desc, verdict);
		if (!same(&out, &in))
			pkt_dump_diff(fx->desc, &out, &in);
		cr_assert(same(&out, &in), "%s: passes byte-identical",
			  fx->desc);
		break;
	case EXPECT_DROP:
		cr_assert_eq(verdict, XDP_DROP, "%s: verdict is XDP_DROP (%u)",
			     fx->desc, verdict);
		break;
	}
}

Test(decap, fixtures)
{
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
		check_fixture(&fixtures[i]);
}

Test(decap, short_frames_keep_their_padding)
{
	/* a SYN is 54 bytes, padded to 60; the padding rides in the tunnel */
	struct pkt_spec s = TCP4(.payload_len = 0);
	struct pkt client, in, out, want;

	cr_assert_eq(pkt_build(&client, &s), 0);
	cr_assert_eq(client.len, PKT_ETH_MIN, "the client frame is padded");
	encap(&in, &client, 4, LOCAL4);
	cr_assert_eq(run(&in, &out), XDP_PASS, "a padded 4in4 passes");
	expect_inner(&want, &s, false);
	cr_assert(same(&out, &want),
		  "the client's padding comes out after the inner packet");

	/* padding after the outer packet stays too; the stack trims it */
	encap(&in, &client, 6, LOCAL6);
	memset(in.data + in.len, 0, 10);
	in.len += 10;
	cr_assert_eq(run(&in, &out), XDP_PASS, "a padded 4in6 passes");
	memset(want.data + want.len, 0, 10);
	want.len += 10;
	if (!same(&out, &want))
		pkt_dump_diff("outer padding", &out, &want);
	cr_assert(same(&out, &want), "outer padding stays after the inner one");
	cr_assert_eq(dstat(XLB_DECAP_OK_4IN4), 1, "counted as ok_4in4");
	cr_assert_eq(dstat(XLB_DECAP_OK_4IN6), 1, "counted as ok_4in6");
}

Test(decap, non_ip_and_short_frames_pass_untouched)
{
	static const uint8_t arp[42] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					 2, 0, 0, 0, 0, 1, 0x08, 0x06, 0, 1,
					 0x08, 0x00, 6, 4, 0, 1 };
	static const uint8_t qinq[64] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1,
					  0x88, 0xa8, 0, 5, 0x81, 0x00, 0, 6,
					  0x08, 0x00, 0x45 };
	/* IPv4 type, 19 bytes of header: too short to say whose it is */
	static const uint8_t stub4[33] = { 2, 0, 0, 0, 0xb, 1, 2, 0, 0, 0, 0,
					   1, 0x08, 0x00, 0x45, 0, 0, 40, 0,
					   0, 0x40, 0, 64, IPPROTO_IPIP };
	/* a VLAN tag cut in half */
	static const uint8_t stubvlan[16] = { 2, 0, 0, 0, 0xb, 1, 2, 0, 0, 0,
					      0, 1, 0x81, 0x00, 0, 5 };
	const struct {
		const uint8_t *bytes;
		size_t len;
		uint32_t outcome;
	} frames[] = {
		{ arp, sizeof(arp), XLB_DECAP_PASS_NOT_TUNNEL },
		{ qinq, sizeof(qinq), XLB_DECAP_PASS_NOT_TUNNEL },
		{ stub4, sizeof(stub4), XLB_DECAP_PASS_MALFORMED },
		{ stubvlan, sizeof(stubvlan), XLB_DECAP_PASS_MALFORMED },
	};

	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		struct pkt in = { .len = frames[i].len }, out;
		uint64_t before = dstat(frames[i].outcome);

		memcpy(in.data, frames[i].bytes, frames[i].len);
		cr_assert_eq(run(&in, &out), XDP_PASS, "frame %zu passes", i);
		cr_assert(same(&out, &in), "frame %zu is unchanged", i);
		cr_assert_eq(dstat(frames[i].outcome), before + 1,
			     "frame %zu is counted as %s", i,
			     xlb_decap_stat_name(frames[i].outcome));
	}
}

Test(decap, counters_count_bytes_at_entry)
{
	struct pkt_spec s = TCP6(.payload_len = 100);
	struct pkt client, in, out;
	struct xlb_counter c;

	cr_assert_eq(pkt_build(&client, &s), 0);
	encap(&in, &client, 4, LOCAL4);
	cr_assert_eq(run(&in, &out), XDP_PASS);
	cr_assert_eq(run(&in, &out), XDP_PASS);
	cr_assert_eq(xlb_decap_stat_read(&denv.maps, XLB_DECAP_OK_6IN4, &c), 0);
	cr_assert_eq(c.packets, 2, "2 packets counted");
	cr_assert_eq(c.bytes, 2 * in.len,
		     "bytes are the tunnel frames' (%zu each)", in.len);
}

Test(decap, address_map_add_list_clear)
{
	static const char *const addrs[] = { "10.1.2.3", "fd00::1", "10.1.2.4" };
	struct xlb_addr_key keys[XLB_MAX_DECAP_ADDRS];
	size_t n;

	set_addrs(addrs, 3);
	cr_assert_eq(xlb_decap_addr_list(&denv.maps, keys, 64, &n), 0);
	cr_assert_eq(n, 3, "3 addresses are listed");
	for (size_t i = 0; i < n; i++)
		cr_assert(keys[i].family == XLB_AF_INET ?
				  !keys[i].addr.v6[1] && !keys[i].addr.v6[2] &&
					  !keys[i].addr.v6[3] :
				  keys[i].family == XLB_AF_INET6,
			  "key %zu: an IPv4 key has 12 zero bytes", i);
	cr_assert_eq(xlb_decap_addr_list(&denv.maps, keys, 2, &n), 0);
	cr_assert_eq(n, 2, "the list stops at the room given");
	cr_assert_eq(xlb_decap_addr_clear(&denv.maps), 0);
	cr_assert_eq(xlb_decap_addr_list(&denv.maps, keys, 64, &n), 0);
	cr_assert_eq(n, 0, "the map is empty after clear");
}

/* Tunnel packets without any Ethernet padding: every cut breaks them. */
static const struct {
	struct pkt_spec inner;
	int ofam;
	const char *odst;
	void (*mangle)(struct pkt *p);
} seeds[] = {
	{ TCP4(.payload_len = 40), 4, LOCAL4, NULL },
	{ TCP4(.payload_len = 40, .vlan = 5), 4, LOCAL4, NULL },
	{ TCP6(.payload_len = 40), 6, LOCAL6, NULL },
	{ TCP6(.payload_len = 40, .vlan = 5), 6, LOCAL6, NULL },
	{ TCP4(.payload_len = 40, .ihl = 6), 6, LOCAL6, NULL },
	{ TCP4(.payload_len = 40, .vlan = 5), 6, LOCAL6, NULL },
	{ TCP6(.payload_len = 40), 4, LOCAL4, NULL },
	{ TCP6(.payload_len = 40, .vlan = 5), 4, LOCAL4, NULL },
	{ TCP4(.payload_len = 40, .vlan = 5), 4, LOCAL4, m_outer4_options },
	{ TCP4(.payload_len = 40, .tos = 1), 4, LOCAL4, m_outer4_ce },
};
#define NSEEDS (sizeof(seeds) / sizeof(seeds[0]))

static void build_seed(size_t i, struct pkt *p)
{
	struct pkt client;
	size_t l3;

	cr_assert_eq(pkt_build(&client, &seeds[i].inner), 0, "seed %zu", i);
	encap(p, &client, seeds[i].ofam, seeds[i].odst);
	if (seeds[i].mangle)
		seeds[i].mangle(p);
	l3 = pkt_l3_off(p);
	cr_assert_eq(l3 + (seeds[i].ofam == 4 ? get16(p->data + l3 + 2) :
				40 + get16(p->data + l3 + 4)),
		     p->len, "seed %zu has no Ethernet padding", i);
}

/*
 * Checks that @out is @in decapsulated: same MACs and tag, the Ethernet
 * type of the inner version, the bytes after the outer header moved up
 * unchanged but for the inner ECN bits (and the IPv4 checksum that covers
 * them), and an inner header whose lengths fit. NULL or what is wrong.
 */
static const char *check_decapped(const struct pkt *in, const struct pkt *out)
{
	size_t l3 = pkt_l3_off(in), olen, ilen;
	const uint8_t *ip = out->data + l3;
	int ver;

	olen = in->data[l3] >> 4 == 4 ? (size_t)(in->data[l3] & 0xf) * 4 : 40;
	if (out->len != in->len - olen)
		return "length is not the input's less the outer header";
	if (memcmp(out->data, in->data, l3 - 2))
		return "MACs or VLAN tag changed";
	ver = ip[0] >> 4;
	if (get16(out->data + l3 - 2) != (ver == 4 ? 0x0800 : 0x86dd) ||
	    (ver != 4 && ver != 6))
		return "Ethernet type does not match the inner version";
	for (size_t i = 0; i < out->len - l3; i++) {
		bool ecn = ver == 4 ? (i == 1 || i == 10 || i == 11) : i == 1;

		if (!ecn && ip[i] != in->data[l3 + olen + i])
			return "inner bytes changed";
	}
	if (ver == 4) {
		if (out->len - l3 < 20 || (ip[0] & 0xf) < 5)
			return "inner IPv4 header truncated";
		ilen = get16(ip + 2);
		if (ilen < (size_t)(ip[0] & 0xf) * 4)
			return "inner IPv4 length shorter than its header";
	} else {
		if (out->len - l3 < 40)
			return "inner IPv6 header truncated";
		ilen = 40 + get16(ip + 4);
	}
	if (l3 + ilen > out->len)
		return "inner packet longer than the frame";
	return NULL;
}

static uint64_t runs;

/* Whatever comes in: PASS byte-identical, a well-formed decap, or DROP. */
static void run_checked(const struct pkt *in, const char *what, size_t arg,
			bool may_decap)
{
	struct pkt out;
	uint32_t v = run(in, &out);
	const char *bad;

	runs++;
	cr_assert(v == XDP_PASS || v == XDP_DROP,
		  "%s %zu: verdict %u is PASS or DROP", what, arg, v);
	if (v != XDP_PASS || same(&out, in))
		return;
	cr_assert(may_decap, "%s %zu: a broken packet passed changed", what,
		  arg);
	bad = check_decapped(in, &out);
	if (bad)
		pkt_dump_diff(what, &out, in);
	cr_assert_null(bad, "%s %zu: decapsulated packet is well-formed (%s)",
		       what, arg, bad ? bad : "");
}

Test(decap, every_truncation)
{
	uint64_t before = stat_total();
	struct pkt seed, in;

	runs = 0;
	for (size_t s = 0; s < NSEEDS; s++) {
		build_seed(s, &seed);
		for (size_t len = 14; len < seed.len; len++) {
			in = seed;
			in.len = len;
			run_checked(&in, "truncated seed length", len, false);
		}
	}
	cr_assert_eq(stat_total() - before, runs,
		     "each of %lu truncated packets is counted exactly once",
		     (unsigned long)runs);
	cr_assert_gt(dstat(XLB_DECAP_DROP_INNER_MALFORMED), 0,
		     "cut tunnel packets are counted as drop_inner_malformed");
	cr_assert_gt(dstat(XLB_DECAP_PASS_MALFORMED), 0,
		     "cuts inside the outer header are pass_malformed");
	for (uint32_t i = XLB_DECAP_OK_4IN4; i <= XLB_DECAP_OK_6IN4; i++)
		cr_assert_eq(dstat(i), 0, "no truncated packet counted as %s",
			     xlb_decap_stat_name(i));
}

static uint32_t rnd_state = SEED;

static uint32_t rnd(void)
{
	return xorshift32(&rnd_state);
}

Test(decap, random_mutations)
{
	uint64_t before = stat_total(), ok = 0;
	struct pkt seedpk[NSEEDS], in;

	for (size_t s = 0; s < NSEEDS; s++)
		build_seed(s, &seedpk[s]);
	runs = 0;
	for (size_t i = 0; i < MUTATIONS; i++) {
		uint32_t k = rnd();

		in = seedpk[k % NSEEDS];
		/* flip 1-4 bytes, mostly in the headers where parsing happens */
		for (uint32_t m = 0; m <= (k >> 8) % 4; m++) {
			uint32_t r = rnd();
			size_t span = (r & 3) ? 18 + 60 + 40 : in.len;

			if (span > in.len)
				span = in.len;
			in.data[(r >> 8) % span] = (uint8_t)(r >> 24);
		}
		if ((k >> 16) % 8 == 0)
			in.len = 14 + rnd() % (in.len - 13);
		run_checked(&in, "mutation", i, true);
	}
	cr_assert_eq(stat_total() - before, runs,
		     "each of %lu mutated packets is counted exactly once",
		     (unsigned long)runs);
	for (uint32_t i = XLB_DECAP_OK_4IN4; i <= XLB_DECAP_OK_6IN4; i++)
		ok += dstat(i);
	cr_assert_gt(ok, 0, "some mutated packets are still decapsulated");
	cr_assert_gt(dstat(XLB_DECAP_DROP_INNER_MALFORMED), 0,
		     "some mutated packets are dropped as malformed");
}

/* Round trip: the client's packet through the real LB, then decap. */
struct round_trip {
	const char *desc;
	int vip;
	struct pkt_spec spec;
	uint32_t outcome; /* enum xlb_decap_stat */
};

#define RT4(to, port, ...)                                                    \
	TCP4(.dst = to, .dport = port, __VA_ARGS__)
#define RT6(to, port, ...)                                                    \
	TCP6(.dst = to, .dport = port, __VA_ARGS__)

static const struct round_trip round_trips[] = {
	{ "IPv4 VIP, IPIP", VIP_TCP4, RT4("192.0.2.10", 80),
	  XLB_DECAP_OK_4IN4 },
	{ "IPv4 VIP, IPIP, VLAN", VIP_TCP4, RT4("192.0.2.10", 80, .vlan = 100),
	  XLB_DECAP_OK_4IN4 },
	{ "IPv6 VIP, IP6IP6", VIP_TCP6, RT6("2001:db8::10", 443),
	  XLB_DECAP_OK_6IN6 },
	{ "IPv6 VIP, IP6IP6, VLAN", VIP_TCP6,
	  RT6("2001:db8::10", 443, .vlan = 100), XLB_DECAP_OK_6IN6 },
	{ "IPv4 VIP, IPv6 backends (4in6)", VIP_4IN6, RT4("192.0.2.40", 80),
	  XLB_DECAP_OK_4IN6 },
	{ "IPv4 VIP, 4in6, VLAN", VIP_4IN6, RT4("192.0.2.40", 80, .vlan = 4094),
	  XLB_DECAP_OK_4IN6 },
	{ "IPv6 VIP, IPv4 backends (6in4)", VIP_6IN4, RT6("2001:db8::20", 80),
	  XLB_DECAP_OK_6IN4 },
	{ "IPv6 VIP, 6in4, VLAN", VIP_6IN4, RT6("2001:db8::20", 80, .vlan = 2),
	  XLB_DECAP_OK_6IN4 },
	{ "IPv4 VIP, IPIP, 1400 bytes, ECT(0), no DF", VIP_TCP4,
	  RT4("192.0.2.10", 80, .payload_len = 1400, .tos = 0x02,
	      .df = false, .tcp_flags = 0x10),
	  XLB_DECAP_OK_4IN4 },
	{ "IPv4 VIP with IPv4 options, IPIP", VIP_TCP4,
	  RT4("192.0.2.10", 80, .ihl = 10, .payload_len = 3),
	  XLB_DECAP_OK_4IN4 },
	{ "IPv6 UDP VIP, IP6IP6, 1000 bytes", VIP_UDP6,
	  { .family = 6, .src = CLIENT6, .dst = "2001:db8::10", .sport = 999,
	    .dport = 53, .proto = IPPROTO_UDP, .payload_len = 1000,
	    .tos = 0xb9 },
	  XLB_DECAP_OK_6IN6 },
	{ "IPv4 UDP stateless VIP, IPIP", VIP_UDP4_NOCT,
	  { .family = 4, .src = CLIENT4, .dst = "192.0.2.10", .sport = 5353,
	    .dport = 53, .proto = IPPROTO_UDP, .payload_len = 1 },
	  XLB_DECAP_OK_4IN4 },
};

/*
 * What the backend's stack must get: the client's frame from byte 12 on
 * (VLAN tag, Ethernet type, the L3 packet, not the padding the LB cut)
 * byte for byte, under the MACs of the LB's output, which decap keeps: the next hop's
 * (PKT_MAC_ROUTER, from the LB's config) and the LB's own (PKT_MAC_LB,
 * where the client sent its frame).
 */
static void expect_round_trip(const struct pkt *client, struct pkt *want)
{
	env_ip_only(client, want); /* the LB cut the padding */
	memcpy(want->data, PKT_MAC_ROUTER, 6);
	memcpy(want->data + 6, PKT_MAC_LB, 6);
}

Test(decap, round_trip_through_the_lb)
{
	struct lb_env lb;

	lb_env_setup(&lb);
	for (size_t i = 0; i < sizeof(round_trips) / sizeof(round_trips[0]);
	     i++) {
		const struct round_trip *rt = &round_trips[i];
		struct pkt client, tunnel, out, want;
		uint64_t fwd = env_stat(&lb, XLB_TX_FORWARD);
		uint64_t before = dstat(rt->outcome), total = stat_total();
		const struct env_backend *be;
		const char *addr[1];
		struct xlb_flow f;

		cr_assert_eq(pkt_build(&client, &rt->spec), 0, "%s: builds",
			     rt->desc);
		cr_assert_eq(env_run(&lb, &client, &tunnel), XDP_TX,
			     "%s: the LB forwards", rt->desc);
		cr_assert_eq(env_stat(&lb, XLB_TX_FORWARD), fwd + 1,
			     "%s: the LB counts tx_forward", rt->desc);
		env_flow(&rt->spec, &f);
		be = env_backend(env_table_pick(&lb, rt->vip, &f));
		cr_assert_not_null(be, "%s: the LB picked a known backend",
				   rt->desc);

		addr[0] = be->addr;
		set_addrs(addr, 1);
		cr_assert_eq(run(&tunnel, &out), XDP_PASS,
			     "%s: decap on backend %s passes", rt->desc,
			     be->addr);
		cr_assert_eq(dstat(rt->outcome), before + 1,
			     "%s: counted as %s", rt->desc,
			     xlb_decap_stat_name(rt->outcome));
		cr_assert_eq(stat_total(), total + 1, "%s: counted once",
			     rt->desc);
		expect_round_trip(&client, &want);
		if (!same(&out, &want))
			pkt_dump_diff(rt->desc, &out, &want);
		cr_assert(same(&out, &want),
			  "%s: backend %s gets the client's packet", rt->desc,
			  be->addr);

		/* another backend's decap leaves the packet alone */
		addr[0] = strchr(be->addr, ':') ? OTHER6 : OTHER4;
		set_addrs(addr, 1);
		total = stat_total();
		cr_assert_eq(run(&tunnel, &out), XDP_PASS);
		cr_assert(same(&out, &tunnel),
			  "%s: a host that is not the backend passes it "
			  "untouched", rt->desc);
		cr_assert_eq(stat_total(), total + 1);
	}
	lb_env_teardown(&lb);
}

Test(decap, l2dsr_packets_pass_untouched)
{
	struct pkt_spec s = RT4("192.0.2.30", 80);
	static const char *const addr[] = { "192.0.2.30" };
	struct pkt client, fwd, out;
	struct lb_env lb;

	lb_env_setup(&lb);
	cr_assert_eq(pkt_build(&client, &s), 0);
	cr_assert_eq(env_run(&lb, &client, &fwd), XDP_TX, "the LB forwards");
	set_addrs(addr, 1);
	cr_assert_eq(run(&fwd, &out), XDP_PASS);
	cr_assert(same(&out, &fwd), "an L2 DSR packet is not a tunnel");
	cr_assert_eq(dstat(XLB_DECAP_PASS_NOT_TUNNEL), 1,
		     "counted as pass_not_tunnel");
	lb_env_teardown(&lb);
}

/*
 * The attach / detach library on a real veth pair, in a network namespace
 * private to this test's process (Criterion forks each test): nothing is
 * sent, and nothing outlives the process.
 */
Test(decap, attach_find_detach_on_a_private_veth)
{
	struct xlb_addr_key keys[2] = {};
	struct xlb_addr_key got[XLB_MAX_DECAP_ADDRS];
	struct xlb_decap_handle h;
	char why[256];
	size_t n;

	cr_assert_eq(unshare(CLONE_NEWNET), 0, "a private netns (errno %d)",
		     errno);
	cr_assert_eq(system("ip link add xdc0 type veth peer name xdc1 && "
			    "ip link set xdc0 up && ip link set xdc1 up"),
		     0, "a veth pair is made");
	cr_assert_eq(xlb_addr_parse(LOCAL4, &keys[0].addr, &keys[0].family), 0);
	cr_assert_eq(xlb_addr_parse(LOCAL6, &keys[1].addr, &keys[1].family), 0);

	cr_assert_eq(xlb_decap_attach("xdc0", keys, 2, XLB_XDP_NATIVE,
				      why, sizeof(why)),
		     0, "attach in native mode: %s", why);
	cr_assert_eq(xlb_decap_open("xdc0", &h, why, sizeof(why)), 0,
		     "the attached program is found: %s", why);
	cr_assert_eq(h.mode, XLB_XDP_NATIVE);
	cr_assert_eq(xlb_decap_addr_list(&h.maps, got, 64, &n), 0);
	cr_assert_eq(n, 2, "its map holds the 2 addresses");
	cr_assert_eq(h.maps.nstats, XLB_DECAP_STAT_MAX);
	xlb_decap_close(&h);

	cr_assert_eq(xlb_decap_attach("xdc0", keys, 1, XLB_XDP_NATIVE,
				      why, sizeof(why)),
		     -EEXIST, "a second attach is refused");
	cr_assert(strstr(why, "already attached"), "and says why: %s", why);
	cr_assert_eq(xlb_decap_attach("nosuch0", keys, 1,
				      XLB_XDP_NATIVE, why, sizeof(why)),
		     -ENODEV, "an unknown interface is refused");
	cr_assert_eq(xlb_decap_attach("xdc1", keys, 0, XLB_XDP_SKB, why,
				      sizeof(why)),
		     -EINVAL, "no address is refused");
	cr_assert_eq(xlb_decap_open("xdc1", &h, why, sizeof(why)), -ENOENT,
		     "the failed attach left nothing on xdc1");

	cr_assert_eq(xlb_decap_attach("xdc1", keys, 1, XLB_XDP_SKB, why,
				      sizeof(why)),
		     0, "attach in skb mode: %s", why);
	cr_assert_eq(xlb_decap_open("xdc1", &h, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(h.mode, XLB_XDP_SKB, "found in skb mode");
	xlb_decap_close(&h);

	cr_assert_eq(xlb_decap_detach("xdc0", why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(xlb_decap_detach("xdc0", why, sizeof(why)), -ENOENT,
		     "a second detach finds nothing");
	cr_assert_eq(xlb_decap_detach("xdc1", why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(xlb_decap_open("xdc1", &h, why, sizeof(why)), -ENOENT,
		     "nothing is left attached");
}
