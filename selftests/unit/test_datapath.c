// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Datapath tests: the real xlb_lb object driven by BPF_PROG_TEST_RUN,
 * table-driven as {description, input packet, expected outcome, expected
 * output bytes}. Expected packets come from pkt.c, never from the program.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <time.h>
#include <netinet/in.h>
#include <string.h>
#include <criterion/criterion.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "lb_env.h"
#include "lib/addr.h"
#include "lib/conntrack.h"
#include "testrun.h"
#include "xlb/flow_hash.h"

#define CLIENT4 "203.0.113.7"
#define CLIENT6 "2001:db8:c::7"
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

TestSuite(datapath, .init = setup, .fini = teardown);

enum expect { EXPECT_SAME, EXPECT_DROP, EXPECT_FORWARD };

struct fixture {
	const char *desc;
	struct pkt_spec spec;
	int vip; /* EXPECT_FORWARD: the VIP it belongs to */
	uint32_t outcome; /* enum xlb_stat that must count it */
	enum expect expect;
};

#define TCP4(to, dp, ...)                                                     \
	{ .family = 4, .src = CLIENT4, .dst = to, .sport = 40000,             \
	  .dport = dp, .proto = IPPROTO_TCP, .tcp_flags = SYN, .df = true,    \
	  __VA_ARGS__ }
#define TCP6(to, dp, ...)                                                     \
	{ .family = 6, .src = CLIENT6, .dst = to, .sport = 40000,             \
	  .dport = dp, .proto = IPPROTO_TCP, .tcp_flags = SYN, __VA_ARGS__ }

static const struct fixture fixtures[] = {
	{ "IPv4 TCP SYN to a VIP goes IPIP to its Maglev backend",
	  TCP4("192.0.2.10", 80), VIP_TCP4, XLB_TX_FORWARD, EXPECT_FORWARD },
	{ "IPv4 TCP with payload and an ACK goes IPIP",
	  TCP4("192.0.2.10", 80, .tcp_flags = ACK, .payload_len = 1000),
	  VIP_TCP4, XLB_TX_FORWARD, EXPECT_FORWARD },
	{ "IPv4 TCP in an 802.1Q tag keeps its tag",
	  TCP4("192.0.2.10", 80, .vlan = 100), VIP_TCP4, XLB_TX_FORWARD,
	  EXPECT_FORWARD },
	{ "IPv4 with options (IHL 8) is carried whole",
	  TCP4("192.0.2.10", 80, .ihl = 8), VIP_TCP4, XLB_TX_FORWARD,
	  EXPECT_FORWARD },
	{ "IPv4 without DF still goes IPIP with outer DF (ID 0 is atomic only)",
	  TCP4("192.0.2.10", 80, .df = false, .tos = 0x28), VIP_TCP4,
	  XLB_TX_FORWARD, EXPECT_FORWARD },
	{ "a short IPv4 frame goes IPIP without its Ethernet padding",
	  TCP4("192.0.2.10", 80, .payload_len = 0), VIP_TCP4, XLB_TX_FORWARD,
	  EXPECT_FORWARD },
	{ "IPv4 UDP to a stateless VIP goes IPIP",
	  { .family = 4, .src = CLIENT4, .dst = "192.0.2.10", .sport = 5353,
	    .dport = 53, .proto = IPPROTO_UDP, .payload_len = 40 },
	  VIP_UDP4_NOCT, XLB_TX_FORWARD, EXPECT_FORWARD },
	{ "a port-0 VIP takes port 8080", TCP4("192.0.2.20", 8080), VIP_ANY4,
	  XLB_TX_FORWARD, EXPECT_FORWARD },
	{ "a port-0 VIP takes port 22", TCP4("192.0.2.20", 22), VIP_ANY4,
	  XLB_TX_FORWARD, EXPECT_FORWARD },
	{ "IPv6 TCP to a VIP goes IP6IP6", TCP6("2001:db8::10", 443), VIP_TCP6,
	  XLB_TX_FORWARD, EXPECT_FORWARD },
	{ "IPv6 TCP with traffic class and VLAN goes IP6IP6",
	  TCP6("2001:db8::10", 443, .tos = 0xb8, .vlan = 7,
	       .payload_len = 500),
	  VIP_TCP6, XLB_TX_FORWARD, EXPECT_FORWARD },
	{ "IPv6 UDP to a VIP goes IP6IP6",
	  { .family = 6, .src = CLIENT6, .dst = "2001:db8::10", .sport = 999,
	    .dport = 53, .proto = IPPROTO_UDP, .payload_len = 100 },
	  VIP_UDP6, XLB_TX_FORWARD, EXPECT_FORWARD },
	{ "IPv4 VIP with IPv6 backends goes 4in6", TCP4("192.0.2.40", 80),
	  VIP_4IN6, XLB_TX_FORWARD, EXPECT_FORWARD },
	{ "IPv6 VIP with IPv4 backends goes 6in4", TCP6("2001:db8::20", 80),
	  VIP_6IN4, XLB_TX_FORWARD, EXPECT_FORWARD },
	{ "IPv4 L2 DSR rewrites only the MACs", TCP4("192.0.2.30", 80),
	  VIP_DSR4, XLB_TX_FORWARD, EXPECT_FORWARD },
	{ "IPv4 L2 DSR keeps the VLAN tag",
	  TCP4("192.0.2.30", 80, .vlan = 4000), VIP_DSR4, XLB_TX_FORWARD,
	  EXPECT_FORWARD },
	{ "IPv6 L2 DSR rewrites only the MACs", TCP6("2001:db8::30", 80),
	  VIP_DSR6, XLB_TX_FORWARD, EXPECT_FORWARD },
	{ "source-hashed VIP goes IPIP", TCP4("192.0.2.50", 80), VIP_SRC4,
	  XLB_TX_FORWARD, EXPECT_FORWARD },

	{ "TCP to a VIP address on another port passes untouched",
	  TCP4("192.0.2.10", 81), 0, XLB_PASS_NOT_VIP, EXPECT_SAME },
	{ "UDP to a TCP VIP's port passes untouched",
	  { .family = 4, .src = CLIENT4, .dst = "192.0.2.10", .sport = 1,
	    .dport = 80, .proto = IPPROTO_UDP },
	  0, XLB_PASS_NOT_VIP, EXPECT_SAME },
	{ "TCP to another address passes untouched", TCP4("192.0.2.99", 80), 0,
	  XLB_PASS_NOT_VIP, EXPECT_SAME },
	{ "IPv6 to another address passes untouched",
	  TCP6("2001:db8::99", 443), 0, XLB_PASS_NOT_VIP, EXPECT_SAME },
	{ "a fragment to another address passes untouched",
	  TCP4("192.0.2.99", 80, .df = false, .frag = 0x2000), 0,
	  XLB_PASS_NOT_VIP, EXPECT_SAME },
	{ "an echo request to another address passes untouched",
	  { .family = 4, .src = CLIENT4, .dst = "192.0.2.99", .sport = 1,
	    .dport = 1, .proto = IPPROTO_ICMP },
	  0, XLB_PASS_ICMP_NOT_VIP, EXPECT_SAME },
	{ "an ICMPv6 echo request to another address passes untouched",
	  { .family = 6, .src = CLIENT6, .dst = "2001:db8::99", .sport = 1,
	    .dport = 1, .proto = IPPROTO_ICMPV6 },
	  0, XLB_PASS_ICMP_NOT_VIP, EXPECT_SAME },

	{ "the first IPv4 fragment to a VIP is dropped",
	  TCP4("192.0.2.10", 80, .df = false, .frag = 0x2000), 0,
	  XLB_DROP_FRAGMENT, EXPECT_DROP },
	{ "a later IPv4 fragment to a VIP is dropped",
	  TCP4("192.0.2.10", 80, .df = false, .frag = 185), 0,
	  XLB_DROP_FRAGMENT, EXPECT_DROP },
	{ "an IPv6 fragment to a VIP is dropped",
	  TCP6("2001:db8::10", 443, .frag = 0x0001), 0, XLB_DROP_FRAGMENT,
	  EXPECT_DROP },
	{ "a VIP without backends drops", TCP4("192.0.2.60", 80), 0,
	  XLB_DROP_NO_BACKEND, EXPECT_DROP },
	{ "IPv4 without DF too big for the tunnel is dropped",
	  TCP4("192.0.2.10", 80, .df = false, .tcp_flags = ACK,
	       .payload_len = 1460),
	  0, XLB_DROP_TOO_BIG, EXPECT_DROP },
};

/* The XDP action the outcome list gives @outcome. */
static uint32_t table_verdict(uint32_t outcome)
{
	switch (xlb_stat_descs[outcome].verdict) {
	case XLB_V_PASS:
		return XDP_PASS;
	case XLB_V_TX:
		return XDP_TX;
	case XLB_V_DROP:
		return XDP_DROP;
	default:
		cr_assert_fail("%s is an event, not an outcome",
			       xlb_stat_name(outcome));
		return ~0u;
	}
}

static void check_fixture(const struct fixture *fx)
{
	struct pkt in, out, want;
	struct xlb_flow f;
	uint64_t before = env_stat(&env, fx->outcome);
	uint32_t verdict, be;

	cr_assert_eq(pkt_build(&in, &fx->spec), 0, "%s: input builds",
		     fx->desc);
	verdict = env_run(&env, &in, &out);
	cr_assert_eq(env_stat(&env, fx->outcome), before + 1,
		     "%s: counted as %s", fx->desc,
		     xlb_stat_name(fx->outcome));
	cr_assert_eq(verdict, table_verdict(fx->outcome),
		     "%s: verdict %u is the outcome table's for %s", fx->desc,
		     verdict, xlb_stat_name(fx->outcome));
	switch (fx->expect) {
	case EXPECT_SAME:
		cr_assert_eq(verdict, XDP_PASS, "%s: verdict is XDP_PASS (%u)",
			     fx->desc, verdict);
		if (out.len != in.len || memcmp(out.data, in.data, in.len))
			pkt_dump_diff(fx->desc, &out, &in);
		cr_assert(out.len == in.len && !memcmp(out.data, in.data, in.len),
			  "%s: packet passes byte-identical", fx->desc);
		break;
	case EXPECT_DROP:
		cr_assert_eq(verdict, XDP_DROP, "%s: verdict is XDP_DROP (%u)",
			     fx->desc, verdict);
		break;
	case EXPECT_FORWARD:
		env_flow(&fx->spec, &f);
		be = env_table_pick(&env, fx->vip, &f);
		cr_assert_neq(be, 0, "%s: the table has a backend", fx->desc);
		env_expect_forward(&env, fx->vip, be, &in, &f, &want);
		cr_assert_eq(verdict, XDP_TX, "%s: verdict is XDP_TX (%u)",
			     fx->desc, verdict);
		if (out.len != want.len || memcmp(out.data, want.data, want.len))
			pkt_dump_diff(fx->desc, &out, &want);
		cr_assert(out.len == want.len &&
				  !memcmp(out.data, want.data, want.len),
			  "%s: output is the expected packet to backend %u",
			  fx->desc, be);
		break;
	}
}

Test(datapath, fixtures)
{
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
		check_fixture(&fixtures[i]);
}

Test(datapath, non_ip_frames_pass_untouched)
{
	/* an ARP request and a QinQ frame: neither is parsed */
	static const uint8_t arp[42] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					 2, 0, 0, 0, 0, 1, 0x08, 0x06, 0, 1,
					 0x08, 0x00, 6, 4, 0, 1 };
	static const uint8_t qinq[64] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1,
					  0x88, 0xa8, 0, 5, 0x81, 0x00, 0, 6,
					  0x08, 0x00, 0x45 };
	const uint8_t *frames[] = { arp, qinq };
	size_t lens[] = { sizeof(arp), sizeof(qinq) };

	for (int i = 0; i < 2; i++) {
		struct pkt in = { .len = lens[i] }, out;
		uint64_t before = env_stat(&env, XLB_PASS_NOT_IP);

		memcpy(in.data, frames[i], lens[i]);
		cr_assert_eq(env_run(&env, &in, &out), XDP_PASS,
			     "non-IP frame %d passes", i);
		cr_assert(out.len == in.len && !memcmp(out.data, in.data, in.len),
			  "non-IP frame %d is unchanged", i);
		cr_assert_eq(env_stat(&env, XLB_PASS_NOT_IP), before + 1,
			     "non-IP frame %d is counted as pass_not_ip", i);
	}
}

/* Sends one packet of @s and returns the backend it went to (by address). */
static uint32_t send_and_backend(int vip, const struct pkt_spec *s)
{
	struct pkt in, out, want;
	struct xlb_flow f;
	const struct env_vip *ev = &env_vips[vip];

	cr_assert_eq(pkt_build(&in, s), 0);
	cr_assert_eq(env_run(&env, &in, &out), XDP_TX, "VIP %d forwards", vip);
	env_flow(s, &f);
	for (size_t i = 0; i < ev->nbe; i++) {
		env_expect_forward(&env, vip, ev->be[i], &in, &f, &want);
		if (out.len == want.len && !memcmp(out.data, want.data, out.len))
			return ev->be[i];
	}
	pkt_dump_diff("forwarded packet", &out, &want);
	cr_assert_fail("VIP %d: output matches no backend of the VIP", vip);
	return 0;
}

Test(datapath, conntrack_keeps_flows_across_a_table_change)
{
	struct pkt_spec s = TCP4("192.0.2.10", 80);
	struct xlb_maglev_backend only[1];
	uint32_t first, other, again;

	first = send_and_backend(VIP_TCP4, &s);
	/* the new table sends everything to another backend */
	other = first == 1 ? 2 : 1;
	only[0] = (struct xlb_maglev_backend){ other, 1 };
	lb_env_set_table(&env, VIP_TCP4, only, 1);

	s.tcp_flags = ACK;
	again = send_and_backend(VIP_TCP4, &s);
	cr_assert_eq(again, first,
		     "an established flow stays on backend %u after the table "
		     "changes (went to %u)", first, again);
	s.sport = 40001;
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), other,
		     "a new flow follows the new table to backend %u", other);
	cr_assert_geq(env_stat(&env, XLB_EV_CT_HIT), 1, "a conntrack hit is counted");
}

Test(datapath, deleted_backend_resteers_its_flows)
{
	struct pkt_spec s = TCP4("192.0.2.10", 80);
	struct xlb_maglev_backend rest[2];
	uint32_t first, now;
	size_t n = 0;

	first = send_and_backend(VIP_TCP4, &s);
	for (uint32_t id = 1; id <= 3; id++)
		if (id != first)
			rest[n++] = (struct xlb_maglev_backend){ id, 1 };
	lb_env_set_table(&env, VIP_TCP4, rest, n);
	lb_env_backend_active(&env, first, false);

	s.tcp_flags = ACK;
	now = send_and_backend(VIP_TCP4, &s);
	cr_assert_neq(now, first, "a flow leaves its deleted backend %u", first);
	cr_assert_eq(env_stat(&env, XLB_EV_CT_STALE_BACKEND), 1,
		     "the stale conntrack entry is counted");
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), now,
		     "the re-steered flow sticks to its new backend %u", now);
}

Test(datapath, stateless_vip_follows_the_table)
{
	struct pkt_spec s = { .family = 4, .src = CLIENT4, .dst = "192.0.2.10",
			      .sport = 5353, .dport = 53,
			      .proto = IPPROTO_UDP, .payload_len = 8 };
	struct xlb_maglev_backend only[1];
	uint32_t first, other, misses;

	misses = env_stat(&env, XLB_EV_CT_MISS);
	first = send_and_backend(VIP_UDP4_NOCT, &s);
	other = first == 3 ? 2 : 3;
	only[0] = (struct xlb_maglev_backend){ other, 1 };
	lb_env_set_table(&env, VIP_UDP4_NOCT, only, 1);
	cr_assert_eq(send_and_backend(VIP_UDP4_NOCT, &s), other,
		     "without conntrack the flow follows the table to %u", other);
	cr_assert_eq(env_stat(&env, XLB_EV_CT_MISS), misses,
		     "a stateless VIP never looks in conntrack");
}

Test(datapath, conntrack_insert_rate_is_capped)
{
	struct pkt_spec s = TCP4("192.0.2.10", 80);
	struct pkt in, out;

	env.cfg.ct_insert_rate = 3;
	cr_assert_eq(xlb_config_write(&env.maps, &env.cfg), 0);
	for (int i = 0; i < 5; i++) {
		s.sport = 50000 + i;
		cr_assert_eq(pkt_build(&in, &s), 0);
		cr_assert_eq(env_run(&env, &in, &out), XDP_TX,
			     "new flow %d is forwarded even past the cap", i);
	}
	cr_assert_eq(env_stat(&env, XLB_EV_CT_INSERT_THROTTLED), 2,
		     "2 of 5 new flows in one second are not recorded");
	cr_assert_eq(env_stat(&env, XLB_EV_CT_MISS), 5, "5 misses are counted");
}

Test(datapath, source_hash_keeps_a_client_on_one_backend)
{
	struct pkt_spec s = TCP4("192.0.2.50", 80);
	struct pkt_spec t = TCP4("192.0.2.10", 80);
	uint32_t first, seen5 = 0;

	first = send_and_backend(VIP_SRC4, &s);
	for (int i = 1; i < 40; i++) {
		s.sport = 41000 + i;
		cr_assert_eq(send_and_backend(VIP_SRC4, &s), first,
			     "source port %u of one client goes to backend %u",
			     s.sport, first);
		t.sport = 41000 + i;
		seen5 |= 1u << send_and_backend(VIP_TCP4, &t);
	}
	cr_assert_eq(__builtin_popcount(seen5), 3,
		     "the 5-tuple VIP spreads 40 flows over all 3 backends");
}

Test(datapath, per_vip_and_backend_counters)
{
	struct pkt_spec s = TCP4("192.0.2.10", 80, .payload_len = 100);
	struct xlb_vip_stats vs;
	struct xlb_counter bs;
	struct pkt in;
	uint32_t be;

	be = send_and_backend(VIP_TCP4, &s);
	s.tcp_flags = ACK;
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), be);
	cr_assert_eq(pkt_build(&in, &s), 0);
	cr_assert_eq(xlb_vip_stats_read(&env.maps, VIP_TCP4, &vs), 0);
	cr_assert_eq(vs.packets, 2, "the VIP counted 2 packets");
	cr_assert_eq(vs.bytes, 2 * in.len, "the VIP counted 2 frames' bytes");
	cr_assert_eq(vs.new_flows, 1, "the VIP counted 1 new flow");
	cr_assert_eq(xlb_backend_stats_read(&env.maps, be, &bs), 0);
	cr_assert_eq(bs.packets, 2, "backend %u counted 2 packets", be);
}

/*
 * Flows end (issue "operator day one"): a SYN on a tracked 5-tuple is a new
 * connection and takes a fresh pick; an entry idle past its timeout is
 * dead; the client's FIN or RST switches an entry to the shorter timeout.
 */
#define FIN 0x01
#define RST 0x04

/* Moves VIP_TCP4's whole table to the one backend that is not @from. */
static uint32_t table_to_other(uint32_t from)
{
	struct xlb_maglev_backend only[1];
	uint32_t other = from == 1 ? 2 : 1;

	only[0] = (struct xlb_maglev_backend){ other, 1 };
	lb_env_set_table(&env, VIP_TCP4, only, 1);
	return other;
}

static void set_timeouts(__u16 tcp, __u16 fin, __u16 udp)
{
	env.cfg.ct_timeout_tcp = tcp;
	env.cfg.ct_timeout_tcp_fin = fin;
	env.cfg.ct_timeout_udp = udp;
	cr_assert_eq(xlb_config_write(&env.maps, &env.cfg), 0);
}

/* Reads the entry of @s's flow; false when there is none. */
static bool ct_get(const struct pkt_spec *s, struct xlb_ct_entry *e)
{
	struct xlb_flow f;

	env_flow(s, &f);
	return !xlb_ct_lookup(env.maps.conntrack, &f, e);
}

/* Makes the entry of @s's flow look idle for @secs seconds. */
static void ct_age(const struct pkt_spec *s, __u64 secs)
{
	struct xlb_ct_entry e;
	struct xlb_flow f;

	env_flow(s, &f);
	cr_assert_eq(xlb_ct_lookup(env.maps.conntrack, &f, &e), 0,
		     "the flow has an entry to age");
	e.last_seen_ns = xlb_ct_now() - secs * 1000000000ull;
	cr_assert_eq(xlb_ct_insert(env.maps.conntrack, &f, &e), 0);
	/* a write from user space, as xlbd's: the cached hit goes stale */
	cr_assert_eq(xlb_ct_gen_bump(&env.maps), 0);
}

Test(datapath, syn_on_a_tracked_flow_takes_a_fresh_pick)
{
	struct pkt_spec s = TCP4("192.0.2.10", 80);
	struct xlb_ct_entry e;
	uint32_t first, other;

	first = send_and_backend(VIP_TCP4, &s);
	/* the backend is drained: the table no longer names it */
	other = table_to_other(first);
	s.tcp_flags = ACK;
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), first,
		     "the established flow stays on its drained backend %u",
		     first);
	s.tcp_flags = SYN; /* the client reuses the port for a new connection */
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), other,
		     "a SYN from a reused port reaches live backend %u, not "
		     "the drained %u", other, first);
	cr_assert_eq(env_stat(&env, XLB_EV_CT_SYN_REPICK), 1,
		     "the re-pick is counted as ct_syn_repick");
	cr_assert(ct_get(&s, &e) && e.backend_id == other,
		  "the entry now names backend %u", other);
	s.tcp_flags = ACK;
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), other,
		     "the new connection's next packets follow its entry");
	s.tcp_flags = SYN | ACK; /* not a connection start: no re-pick */
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), other);
	cr_assert_eq(env_stat(&env, XLB_EV_CT_SYN_REPICK), 1,
		     "only a bare SYN re-picks");
}

/*
 * xlbd writes synced entries with its fine clock (now - age), which can be
 * up to a tick ahead of the datapath's coarse clock: such an entry is
 * fresh. The unsigned age used to wrap, and the flow was re-picked (a
 * reset when the backend set had changed: failover.sh (a)).
 */
Test(datapath, an_entry_written_a_little_ahead_of_the_coarse_clock_is_fresh)
{
	struct pkt_spec s = TCP4("192.0.2.10", 80, .tcp_flags = ACK);
	struct xlb_ct_entry e;
	struct xlb_flow f;
	uint32_t first;

	set_timeouts(60, 10, 30);
	first = send_and_backend(VIP_TCP4, &s);
	table_to_other(first);
	env_flow(&s, &f);
	cr_assert_eq(xlb_ct_lookup(env.maps.conntrack, &f, &e), 0);
	e.last_seen_ns = xlb_ct_now() + 20000000ull; /* 20 ms ahead */
	cr_assert_eq(xlb_ct_insert(env.maps.conntrack, &f, &e), 0);
	cr_assert_eq(xlb_ct_gen_bump(&env.maps), 0);
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), first,
		     "the synced entry holds the flow on backend %u", first);
	cr_assert_eq(env_stat(&env, XLB_EV_CT_EXPIRED), 0,
		     "not counted as ct_expired");
}

Test(datapath, idle_entries_expire_and_the_flow_takes_a_fresh_pick)
{
	struct pkt_spec s = TCP4("192.0.2.10", 80, .tcp_flags = ACK);
	struct xlb_ct_entry e;
	uint32_t first, other;

	set_timeouts(60, 10, 30);
	first = send_and_backend(VIP_TCP4, &s);
	other = table_to_other(first);
	ct_age(&s, 59);
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), first,
		     "59 s idle with a 60 s timeout: still on backend %u",
		     first);
	cr_assert_eq(env_stat(&env, XLB_EV_CT_EXPIRED), 0);
	ct_age(&s, 61);
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), other,
		     "61 s idle: the entry is dead, the flow follows the table "
		     "to %u", other);
	cr_assert_eq(env_stat(&env, XLB_EV_CT_EXPIRED), 1,
		     "the expiry is counted as ct_expired");
	cr_assert(ct_get(&s, &e) && e.backend_id == other &&
			  xlb_ct_now() - e.last_seen_ns < 5000000000ull,
		  "the entry was renewed for backend %u", other);
}

Test(datapath, expiry_replaces_entries_even_past_the_insert_cap)
{
	struct pkt_spec s = TCP4("192.0.2.10", 80, .tcp_flags = ACK);
	uint32_t first, other;

	set_timeouts(60, 10, 30);
	first = send_and_backend(VIP_TCP4, &s);
	env.cfg.ct_insert_rate = 1; /* this second's one insert is spent */
	cr_assert_eq(xlb_config_write(&env.maps, &env.cfg), 0);
	other = table_to_other(first);
	ct_age(&s, 120);
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), other);
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), other,
		     "the renewed entry holds the flow on %u: replacing a dead "
		     "entry does not count against the cap", other);
	cr_assert_eq(env_stat(&env, XLB_EV_CT_INSERT_THROTTLED), 0);
}

Test(datapath, fin_or_rst_switches_to_the_closing_timeout)
{
	struct pkt_spec s = TCP4("192.0.2.10", 80, .tcp_flags = ACK);
	struct xlb_ct_entry e;
	uint32_t first, other;

	set_timeouts(600, 10, 30);
	first = send_and_backend(VIP_TCP4, &s);
	cr_assert(ct_get(&s, &e) && !(e.flags & XLB_CT_F_CLOSING));
	s.tcp_flags = FIN | ACK;
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), first);
	cr_assert(ct_get(&s, &e) && (e.flags & XLB_CT_F_CLOSING),
		  "the client's FIN marks the entry closing");
	other = table_to_other(first);
	s.tcp_flags = ACK;
	ct_age(&s, 11);
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), other,
		     "11 s after FIN, with a 10 s closing timeout, the entry "
		     "is dead though the established timeout is 600 s");

	s.sport = 40123; /* RST does the same */
	s.tcp_flags = ACK;
	send_and_backend(VIP_TCP4, &s);
	s.tcp_flags = RST;
	send_and_backend(VIP_TCP4, &s);
	cr_assert(ct_get(&s, &e) && (e.flags & XLB_CT_F_CLOSING),
		  "the client's RST marks the entry closing");
}

Test(datapath, zero_timeouts_never_expire_and_udp_has_its_own)
{
	struct pkt_spec t = TCP4("192.0.2.10", 80, .tcp_flags = ACK);
	struct pkt_spec u = { .family = 6, .src = "2001:db8:c::7",
			      .dst = "2001:db8::10", .sport = 5353, .dport = 53,
			      .proto = IPPROTO_UDP, .payload_len = 8 };
	uint32_t first;

	set_timeouts(0, 0, 30);
	first = send_and_backend(VIP_TCP4, &t);
	table_to_other(first);
	ct_age(&t, 86400 * 30);
	cr_assert_eq(send_and_backend(VIP_TCP4, &t), first,
		     "timeout 0 (what a config map of the previous release "
		     "holds): a month-idle entry still holds");
	send_and_backend(VIP_UDP6, &u);
	ct_age(&u, 31);
	send_and_backend(VIP_UDP6, &u);
	cr_assert_eq(env_stat(&env, XLB_EV_CT_EXPIRED), 1,
		     "a UDP flow idle past timeout_udp expires");
}

static bool filter_bit(const char *addr)
{
	struct xlb_addr a = {};
	__u32 bit, word;
	__u64 w;

	cr_assert_eq(xlb_addr_parse(addr, &a, &(__u8){ 0 }), 0);
	bit = xlb_addr_filter_bit(&a);
	word = bit / 64;
	cr_assert_eq(bpf_map_lookup_elem(env.maps.vip_addr_filter, &word, &w), 0);
	return (w >> (bit % 64)) & 1;
}

/*
 * xlb_vip_addr_filter lets packets to other addresses pass after one array
 * load; it must never turn a VIP's packet away, and an address it cannot
 * tell from a VIP address (a shared bit) still gets the full lookup.
 */
Test(datapath, address_filter_only_skips_addresses_without_a_vip)
{
	struct pkt_spec vip = TCP4("192.0.2.10", 80, .tcp_flags = ACK);
	struct xlb_addr a = {}, v = {};
	char other[INET_ADDRSTRLEN];
	struct pkt in, out;
	__u64 zero = 0;
	uint64_t before;

	cr_assert(filter_bit("192.0.2.10") && filter_bit("2001:db8::10") &&
			  filter_bit("192.0.2.30") && filter_bit("2001:db8::30"),
		  "every VIP address has its bit");
	cr_assert_not(filter_bit("192.0.2.99"), "192.0.2.99's bit is clear");

	/* an address sharing 192.0.2.10's bit: filtered in, looked up, passed */
	cr_assert_eq(xlb_addr_parse("192.0.2.10", &v, &(__u8){ 0 }), 0);
	for (__u32 i = 1;; i++) {
		a.v4 = htonl(0x0a000000u + i);
		if (xlb_addr_filter_bit(&a) == xlb_addr_filter_bit(&v))
			break;
		cr_assert_lt(i, 1u << 24, "no address shares the VIP's bit");
	}
	inet_ntop(AF_INET, &a.v4, other, sizeof(other));
	{
		struct pkt_spec s = TCP4(other, 80);

		before = env_stat(&env, XLB_PASS_NOT_VIP);
		cr_assert_eq(pkt_build(&in, &s), 0);
		cr_assert_eq(env_run(&env, &in, &out), XDP_PASS,
			     "%s (the VIP's bit) passes", other);
		cr_assert(out.len == in.len && !memcmp(out.data, in.data, in.len));
		cr_assert_eq(env_stat(&env, XLB_PASS_NOT_VIP), before + 1);
	}

	/* the filter is what the datapath reads: emptied, the VIP passes... */
	for (__u32 w = 0; w < XLB_ADDR_FILTER_WORDS; w++)
		cr_assert_eq(bpf_map_update_elem(env.maps.vip_addr_filter, &w,
						 &zero, BPF_ANY),
			     0);
	cr_assert_eq(pkt_build(&in, &vip), 0);
	before = env_stat(&env, XLB_PASS_NOT_VIP);
	cr_assert_eq(env_run(&env, &in, &out), XDP_PASS,
		     "with an empty filter the VIP's packet passes");
	cr_assert_eq(env_stat(&env, XLB_PASS_NOT_VIP), before + 1);
	/* ...and xlb_addr_filter_sync (what the loader runs) restores it */
	cr_assert_eq(xlb_addr_filter_sync(&env.maps), 0);
	cr_assert_eq(env_run(&env, &in, &out), XDP_TX,
		     "refilled from xlb_vip_addrs, the VIP forwards again");
}

/* The key and info lb_env wrote for @vip. */
static void env_vip_key(int vip, struct xlb_vip_key *k, struct xlb_vip_info *i)
{
	const struct env_vip *ev = &env_vips[vip];
	__u8 fam;

	*k = (struct xlb_vip_key){ .port = htons(ev->port), .proto = ev->proto };
	cr_assert_eq(xlb_addr_parse(ev->addr, &k->addr, &fam), 0);
	k->family = fam;
	*i = (struct xlb_vip_info){ .vip_id = (__u32)vip, .flags = ev->flags,
				    .mode = ev->mode,
				    .hash_fields = ev->hash_fields };
}

/*
 * A conntrack hit finds its VIP by the entry's vip_id (xlb_vip_by_id), not
 * through xlb_vips: it must stop forwarding when the VIP goes, when its id
 * is given to another VIP, and when the VIP stops tracking connections,
 * and must still be right with the array empty (maps adopted from a
 * release without it) until the loader's sync fills it.
 */
Test(datapath, conntrack_hit_follows_its_vip_by_id_only_while_it_exists)
{
	struct pkt_spec s = TCP4("192.0.2.10", 80);
	struct xlb_vip_key k, other_k;
	struct xlb_vip_info info, other_i;
	struct xlb_vip_slot slot, empty = {};
	struct xlb_maglev_backend only[1];
	__u32 id = VIP_TCP4;
	uint32_t first, other;
	struct pkt in, out;
	uint64_t hits, notvip;

	env_vip_key(VIP_TCP4, &k, &info);
	first = send_and_backend(VIP_TCP4, &s);
	s.tcp_flags = ACK;
	other = first == 1 ? 2 : 1;
	only[0] = (struct xlb_maglev_backend){ other, 1 };
	lb_env_set_table(&env, VIP_TCP4, only, 1);
	hits = env_stat(&env, XLB_EV_CT_HIT);
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), first,
		     "the established flow stays on backend %u", first);
	cr_assert_eq(env_stat(&env, XLB_EV_CT_HIT), hits + 1,
		     "through its conntrack entry");

	/* an empty slot (adopted maps): the long way, the same backend */
	cr_assert_eq(bpf_map_update_elem(env.maps.vip_by_id, &id, &empty,
					 BPF_ANY), 0);
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), first,
		     "with an empty slot the entry still holds the flow");
	cr_assert_eq(env_stat(&env, XLB_EV_CT_HIT), hits + 2);
	cr_assert_eq(xlb_vip_by_id_sync(&env.maps), 0);
	cr_assert_eq(bpf_map_lookup_elem(env.maps.vip_by_id, &id, &slot), 0);
	cr_assert(!memcmp(&slot.key, &k, sizeof(k)) &&
			  !memcmp(&slot.info, &info, sizeof(info)),
		  "the sync refills the slot from xlb_vips");

	/* the VIP stops tracking: the flow follows the table */
	info.flags = XLB_VIP_F_NO_CONNTRACK;
	cr_assert_eq(xlb_vip_write(&env.maps, &k, &info, XLB_ADDR_F_ECHO), 0);
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), other,
		     "a VIP without conntrack ignores the entry, goes to %u",
		     other);
	info.flags = 0;
	cr_assert_eq(xlb_vip_write(&env.maps, &k, &info, XLB_ADDR_F_ECHO), 0);
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), first,
		     "tracking again, the entry (still there) holds the flow");

	/* the VIP is deleted (its entries stay in conntrack): it passes */
	cr_assert_eq(xlb_vip_delete(&env.maps, &k, id, false), 0);
	cr_assert_eq(bpf_map_lookup_elem(env.maps.vip_by_id, &id, &slot), 0);
	cr_assert(!memcmp(&slot, &empty, sizeof(slot)),
		  "deleting the VIP empties its slot");
	cr_assert_eq(pkt_build(&in, &s), 0);
	notvip = env_stat(&env, XLB_PASS_NOT_VIP);
	cr_assert_eq(env_run(&env, &in, &out), XDP_PASS,
		     "a deleted VIP's established flow is not forwarded");
	cr_assert_eq(env_stat(&env, XLB_PASS_NOT_VIP), notvip + 1);

	/* its id goes to another VIP on the same address: still not ours */
	other_k = k;
	other_k.port = htons(81);
	other_i = info;
	cr_assert_eq(xlb_vip_write(&env.maps, &other_k, &other_i,
				   XLB_ADDR_F_ECHO), 0);
	cr_assert_eq(env_run(&env, &in, &out), XDP_PASS,
		     "an entry naming a reused id does not forward for it");
	cr_assert_eq(env_stat(&env, XLB_PASS_NOT_VIP), notvip + 2);
}

/* A VIP rewritten under another id leaves no slot behind at the old one. */
Test(datapath, a_vip_moved_to_another_id_empties_its_old_slot)
{
	struct xlb_vip_slot slot, empty = {};
	struct xlb_vip_key k;
	struct xlb_vip_info info;
	__u32 old_id = VIP_TCP4, new_id = ENV_NVIPS + 5;

	env_vip_key(VIP_TCP4, &k, &info);
	info.vip_id = new_id;
	cr_assert_eq(xlb_vip_write(&env.maps, &k, &info, XLB_ADDR_F_ECHO), 0);
	cr_assert_eq(bpf_map_lookup_elem(env.maps.vip_by_id, &old_id, &slot), 0);
	cr_assert(!memcmp(&slot, &empty, sizeof(slot)),
		  "the old id's slot is empty");
	cr_assert_eq(bpf_map_lookup_elem(env.maps.vip_by_id, &new_id, &slot), 0);
	cr_assert(!memcmp(&slot.key, &k, sizeof(k)) && slot.info.vip_id == new_id,
		  "the new id's slot holds the VIP");
}

/* ---- flow cache (bpf/flow_cache.h) ------------------------------------ */

static uint64_t cache_hits(void)
{
	return env_stat(&env, XLB_EV_CT_CACHE_HIT);
}

/* Runs the test on CPU @cpu (a test run executes where its caller is). */
static void on_cpu(int cpu)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	cr_assert_eq(sched_setaffinity(0, sizeof(one), &one), 0,
		     "run on CPU %d: %s", cpu, strerror(errno));
}

/*
 * Sends @s (a SYN or an ACK), then two ACKs of its flow on CPU 0: the
 * flow is in CPU 0's cache after. Returns its backend and *hits, the
 * cache hits counted by then.
 */
static uint32_t warm_flow(struct pkt_spec *s, uint64_t *hits)
{
	uint32_t be;

	on_cpu(0);
	be = send_and_backend(VIP_TCP4, s);
	s->tcp_flags = ACK;
	send_and_backend(VIP_TCP4, s);
	send_and_backend(VIP_TCP4, s);
	*hits = cache_hits();
	cr_assert_gt(*hits, 0, "warm: the last ACK was a cache hit");
	return be;
}

/* The second and later packets of a flow on one CPU are cache hits that
 * send exactly what the conntrack hit sent; a SYN never is one. */
Test(datapath, flow_cache_serves_established_packets_as_conntrack_did)
{
	static const struct {
		int vip;
		struct pkt_spec s;
	} flows[] = {
		{ VIP_TCP4, TCP4("192.0.2.10", 80) },
		{ VIP_TCP6, TCP6("2001:db8::10", 443) },
		{ VIP_UDP6,
		  { .family = 6,
		    .src = CLIENT6,
		    .dst = "2001:db8::10",
		    .sport = 5353,
		    .dport = 53,
		    .proto = IPPROTO_UDP,
		    .payload_len = 20 } },
	};

	on_cpu(0);
	for (size_t i = 0; i < sizeof(flows) / sizeof(flows[0]); i++) {
		struct pkt_spec s = flows[i].s;
		uint64_t hits = cache_hits(),
			 ct = env_stat(&env, XLB_EV_CT_HIT);
		uint32_t be = send_and_backend(flows[i].vip, &s);

		cr_assert_eq(cache_hits(), hits, "a new flow is no cache hit");
		if (s.proto == IPPROTO_TCP)
			s.tcp_flags = ACK;
		cr_assert_eq(send_and_backend(flows[i].vip, &s), be);
		cr_assert_eq(cache_hits(), hits,
			     "the first conntrack hit fills the slot");
		for (int k = 0; k < 3; k++)
			cr_assert_eq(
				send_and_backend(flows[i].vip, &s), be,
				"flow %zu: the cached hit sends to backend "
				"%u, byte for byte",
				i, be);
		cr_assert_eq(cache_hits(), hits + 3, "flow %zu: 3 cache hits",
			     i);
		cr_assert_eq(env_stat(&env, XLB_EV_CT_HIT), ct + 4,
			     "a cache hit is a conntrack hit too");
		if (s.proto == IPPROTO_TCP) {
			s.tcp_flags = SYN;
			send_and_backend(flows[i].vip, &s);
			cr_assert_eq(cache_hits(), hits + 3,
				     "a SYN takes the conntrack path");
		}
	}
}

/* A FIN marks the entry closing through the conntrack path, and makes the
 * cached copies stale: the next packet reads the entry again. */
Test(datapath, flow_cache_leaves_fin_to_conntrack)
{
	struct pkt_spec s = TCP4("192.0.2.10", 80);
	struct xlb_ct_entry e;
	uint64_t hits;
	uint32_t be;

	be = warm_flow(&s, &hits);
	s.tcp_flags = FIN | ACK;
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), be);
	cr_assert_eq(cache_hits(), hits, "a FIN is no cache hit");
	cr_assert(ct_get(&s, &e) && (e.flags & XLB_CT_F_CLOSING),
		  "the FIN marked the entry closing");
	s.tcp_flags = ACK;
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), be);
	cr_assert_eq(cache_hits(), hits,
		     "the entry changed: the next ACK reads it again");
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), be);
	cr_assert_eq(cache_hits(), hits + 1, "and the one after is cached");
}

/* xlbd's writes (here a delete, as a flush does) go through the
 * generation: after the bump no cached copy of the entry serves. */
Test(datapath, flow_cache_goes_stale_when_xlbd_writes_conntrack)
{
	struct pkt_spec s = TCP4("192.0.2.10", 80, .tcp_flags = ACK);
	uint32_t first, other;
	struct xlb_flow f;
	uint64_t hits, miss;

	first = warm_flow(&s, &hits);
	other = table_to_other(first); /* a table install bumps nothing */
	env_flow(&s, &f);
	cr_assert_eq(xlb_ct_delete(env.maps.conntrack, &f), 0);
	cr_assert_eq(xlb_ct_gen_bump(&env.maps), 0);
	miss = env_stat(&env, XLB_EV_CT_MISS);
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), other,
		     "the flushed flow takes the table's pick, %u", other);
	cr_assert_eq(cache_hits(), hits, "not served from the cache");
	cr_assert_eq(env_stat(&env, XLB_EV_CT_MISS), miss + 1);
}

/*
 * A source port for a flow like @a's whose cache slot is @a's (@same_slot)
 * or another, and whose version is another; 0 when none is.
 */
static uint16_t port_beside(const struct pkt_spec *a, bool same_slot)
{
	struct pkt_spec b = *a;
	struct xlb_flow fa, fb;
	uint64_t ha, hb;

	env_flow(a, &fa);
	ha = xlb_flow_cache_hash(&fa);
	for (b.sport = 1; b.sport; b.sport++) {
		env_flow(&b, &fb);
		hb = xlb_flow_cache_hash(&fb);
		if (b.sport != a->sport &&
		    (xlb_flow_cache_slot_of(hb) == xlb_flow_cache_slot_of(ha)) ==
			    same_slot &&
		    xlb_flow_cache_version_of(hb) != xlb_flow_cache_version_of(ha))
			return b.sport;
	}
	return 0;
}

/*
 * State sync's inserts invalidate by flow (xlb_ct_flows_changed): the
 * rewritten flow's copy stops serving, another flow's stays cached, and
 * the generation, which would empty every CPU's cache, is not bumped.
 */
Test(datapath, flow_cache_loses_only_the_flows_xlbd_names)
{
	struct pkt_spec a = TCP4("192.0.2.10", 80), b = a;
	uint32_t be_a, be_b, other, zero = 0, gen0, gen1, vidx, v0, v1;
	struct xlb_flow fa;
	void *versions;
	struct xlb_ct_entry e;
	uint64_t hits;

	env_flow(&a, &fa);
	b.sport = port_beside(&a, false);
	cr_assert_neq(b.sport, 0, "some port has another slot and version");
	be_b = warm_flow(&b, &hits);
	be_a = warm_flow(&a, &hits);
	other = be_a == 1 ? 2 : 1;
	/* a peer's copy of flow A names the other backend */
	cr_assert(ct_get(&a, &e));
	e.backend_id = other;
	cr_assert_eq(xlb_ct_insert(env.maps.conntrack, &fa, &e), 0);
	vidx = xlb_flow_cache_version_of(xlb_flow_cache_hash(&fa));
	cr_assert_eq(bpf_map_lookup_elem(env.maps.ct_gen, &zero, &gen0), 0);
	cr_assert_eq(bpf_map_lookup_elem(env.maps.ct_versions, &vidx, &v0), 0);
	versions = xlb_ct_versions_map(&env.maps);
	cr_assert_not_null(versions, "xlb_ct_versions maps: %s",
			   strerror(errno));
	cr_assert_eq(xlb_ct_flows_changed(&env.maps, versions, &fa, 1), 0);
	xlb_ct_versions_unmap(versions);
	cr_assert_eq(bpf_map_lookup_elem(env.maps.ct_gen, &zero, &gen1), 0);
	cr_assert_eq(bpf_map_lookup_elem(env.maps.ct_versions, &vidx, &v1), 0);
	cr_assert_eq(gen1, gen0, "the generation is left alone");
	cr_assert_eq(v1, v0 + 1, "flow A's version went %u -> %u", v0, v1);
	cr_assert_eq(send_and_backend(VIP_TCP4, &a), other,
		     "flow A follows its rewritten entry to %u, not its copy "
		     "of %u",
		     other, be_a);
	cr_assert_eq(cache_hits(), hits, "A was read from conntrack");
	cr_assert_eq(send_and_backend(VIP_TCP4, &b), be_b);
	cr_assert_eq(cache_hits(), hits + 1, "B's copy still serves");
}

/* A backend taken out (flags cleared, no generation bump) is never sent
 * to from the cache: the conntrack path re-steers the flow. */
Test(datapath, flow_cache_checks_the_backend_on_every_hit)
{
	struct pkt_spec s = TCP4("192.0.2.10", 80, .tcp_flags = ACK);
	uint32_t first, other;
	uint64_t hits;

	first = warm_flow(&s, &hits);
	other = table_to_other(first);
	lb_env_backend_active(&env, first, false);
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), other);
	cr_assert_eq(cache_hits(), hits);
	cr_assert_eq(env_stat(&env, XLB_EV_CT_STALE_BACKEND), 1);
}

/* A flow re-picked on another CPU (a SYN on a reused port) is not served
 * from this CPU's old copy: the writer bumped the flow's version. */
Test(datapath, flow_cache_follows_a_repick_on_another_cpu)
{
	struct pkt_spec s = TCP4("192.0.2.10", 80);
	uint32_t first, other;
	cpu_set_t all;
	uint64_t hits;

	cr_assert_eq(sched_getaffinity(0, sizeof(all), &all), 0);
	if (!CPU_ISSET(0, &all) || !CPU_ISSET(1, &all))
		cr_skip_test("needs CPUs 0 and 1");
	first = warm_flow(&s, &hits);
	other = table_to_other(first);
	on_cpu(1);
	s.tcp_flags = SYN;
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), other,
		     "CPU 1: a new connection on the port, backend %u", other);
	on_cpu(0);
	s.tcp_flags = ACK;
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), other,
		     "CPU 0 follows the entry to %u, not its copy of %u", other,
		     first);
	cr_assert_eq(cache_hits(), hits);
	cr_assert_eq(send_and_backend(VIP_TCP4, &s), other);
	cr_assert_eq(cache_hits(), hits + 1, "then caches the new entry");
}

/* A slot serves for at most XLB_FLOW_CACHE_TTL_NS (250 ms) after its
 * fill, so conntrack still sees the flow used that often. */
Test(datapath, flow_cache_slots_expire)
{
	struct pkt_spec s = TCP4("192.0.2.10", 80, .tcp_flags = ACK);
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	uint64_t hits, ct;

	warm_flow(&s, &hits);
	nanosleep(&ts, NULL);
	ct = env_stat(&env, XLB_EV_CT_HIT);
	send_and_backend(VIP_TCP4, &s);
	cr_assert_eq(cache_hits(), hits, "300 ms on: read from conntrack");
	cr_assert_eq(env_stat(&env, XLB_EV_CT_HIT), ct + 1);
}

/* Two flows in one slot: the second never uses the first's copy, is sent
 * where its own entry says, and leaves the first's live copy in place. */
Test(datapath, flow_cache_keeps_colliding_flows_apart)
{
	struct pkt_spec a = TCP4("192.0.2.10", 80), b = a;
	struct xlb_ct_entry e;
	uint32_t be_a, be_b;
	uint64_t hits;

	on_cpu(0);
	b.sport = port_beside(&a, true);
	cr_assert_neq(b.sport, 0, "some port shares the slot of port %u",
		      a.sport);
	be_a = warm_flow(&a, &hits);
	be_b = send_and_backend(VIP_TCP4, &b);
	b.tcp_flags = ACK;
	for (int k = 0; k < 3; k++)
		cr_assert_eq(send_and_backend(VIP_TCP4, &b), be_b,
			     "flow B (port %u) stays on its backend %u",
			     b.sport, be_b);
	cr_assert(ct_get(&b, &e) && e.backend_id == be_b);
	cr_assert_eq(cache_hits(), hits, "B is never served from A's slot");
	cr_assert_eq(send_and_backend(VIP_TCP4, &a), be_a);
	cr_assert_eq(cache_hits(), hits + 1, "A's copy was left in place");
}
