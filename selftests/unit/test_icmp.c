// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ICMP through the LB: echo replies, errors about a VIP flow steered to the
 * flow's backend, and frag-needed / packet-too-big for packets that would
 * not fit the tunnel. Expected replies are built here field by field, with
 * checksums computed from scratch (the program updates them incrementally).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <criterion/criterion.h>
#include <linux/bpf.h>

#include "lb_env.h"
#include "testrun.h"

#define CLIENT4 "203.0.113.7"
#define CLIENT6 "2001:db8:c::7"
#define ROUTER4 "203.0.113.254"
#define ROUTER6 "2001:db8:c::fe"

static struct lb_env env;

static void setup(void)
{
	lb_env_setup(&env);
}

static void teardown(void)
{
	lb_env_teardown(&env);
}

TestSuite(icmp, .init = setup, .fini = teardown);

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* ICMPv6 checksum over the pseudo header and @len bytes at @l4. */
static uint16_t icmp6_csum(const uint8_t *ip6, const uint8_t *l4, size_t len)
{
	uint32_t sum = pkt_sum16(ip6 + 8, 32, 0);

	sum += (uint32_t)len;
	sum += IPPROTO_ICMPV6;
	return pkt_csum_fold(pkt_sum16(l4, len, sum));
}

static void assert_same(const char *what, const struct pkt *got,
			const struct pkt *want)
{
	if (got->len != want->len || memcmp(got->data, want->data, want->len))
		pkt_dump_diff(what, got, want);
	cr_assert(got->len == want->len &&
			  !memcmp(got->data, want->data, want->len),
		  "%s: output is the expected packet", what);
}

Test(icmp, echo_request_to_a_vip_address_is_answered_v4)
{
	struct pkt_spec s = { .family = 4, .src = CLIENT4, .dst = "192.0.2.10",
			      .sport = 77, .dport = 3, .proto = IPPROTO_ICMP,
			      .payload_len = 56, .ttl = 30, .ihl = 6 };
	struct pkt in, out, want;
	uint8_t *ip, *ic;

	cr_assert_eq(pkt_build(&in, &s), 0);
	want = in;
	memcpy(want.data, in.data + 6, 6);
	memcpy(want.data + 6, in.data, 6);
	ip = want.data + 14;
	memcpy(ip + 12, in.data + 14 + 16, 4);
	memcpy(ip + 16, in.data + 14 + 12, 4);
	ip[8] = 64;
	put16(ip + 10, 0);
	put16(ip + 10, pkt_csum_fold(pkt_sum16(ip, 24, 0)));
	ic = ip + 24;
	ic[0] = 0;
	put16(ic + 2, 0);
	put16(ic + 2, pkt_csum_fold(pkt_sum16(ic, in.len - 14 - 24, 0)));

	cr_assert_eq(env_run(&env, &in, &out), XDP_TX, "the echo is answered");
	assert_same("echo reply v4", &out, &want);
	cr_assert_eq(env_stat(&env, XLB_TX_ECHO_REPLY), 1, "counted as echo reply");
}

Test(icmp, echo_request_to_a_vip_address_is_answered_v6)
{
	struct pkt_spec s = { .family = 6, .src = CLIENT6,
			      .dst = "2001:db8::10", .sport = 77, .dport = 3,
			      .proto = IPPROTO_ICMPV6, .payload_len = 56,
			      .ttl = 30, .vlan = 12 };
	struct pkt in, out, want;
	uint8_t *ip, *ic;
	size_t l3 = 18;

	cr_assert_eq(pkt_build(&in, &s), 0);
	want = in;
	memcpy(want.data, in.data + 6, 6);
	memcpy(want.data + 6, in.data, 6);
	ip = want.data + l3;
	memcpy(ip + 8, in.data + l3 + 24, 16);
	memcpy(ip + 24, in.data + l3 + 8, 16);
	ip[7] = 64;
	ic = ip + 40;
	ic[0] = 129;
	put16(ic + 2, 0);
	put16(ic + 2, icmp6_csum(ip, ic, in.len - l3 - 40));

	cr_assert_eq(env_run(&env, &in, &out), XDP_TX, "the echo is answered");
	assert_same("echo reply v6", &out, &want);
}

/* Establishes the flow, then sends the ICMP error quoting its reply. */
static void check_error_follows_flow(int vip, struct pkt_spec *client,
				     struct pkt_spec *reply, const char *router,
				     uint8_t type, uint8_t code, uint32_t mtu)
{
	struct pkt syn, quoted, err, out, want;
	struct xlb_flow f;
	uint32_t be = 0;
	const struct env_vip *ev = &env_vips[vip];

	cr_assert_eq(pkt_build(&syn, client), 0);
	cr_assert_eq(env_run(&env, &syn, &out), XDP_TX, "the SYN is forwarded");
	env_flow(client, &f);
	for (size_t i = 0; i < ev->nbe && !be; i++) {
		env_expect_forward(&env, vip, ev->be[i], &syn, &f, &want);
		if (want.len == out.len && !memcmp(want.data, out.data, out.len))
			be = ev->be[i];
	}
	cr_assert_neq(be, 0, "the SYN went to a backend of the VIP");

	/* make the table point elsewhere: only conntrack knows the flow now */
	struct xlb_maglev_backend other = { be == ev->be[0] ? ev->be[1] :
							      ev->be[0], 1 };
	lb_env_set_table(&env, vip, &other, 1);

	cr_assert_eq(pkt_build(&quoted, reply), 0);
	cr_assert_eq(pkt_build_icmp_error(&err, router, reply->src, type, code,
					  mtu, &quoted, 0, 0),
		     0);
	cr_assert_eq(env_run(&env, &err, &out), XDP_TX,
		     "the ICMP error is forwarded");
	env_expect_forward(&env, vip, be, &err, &f, &want);
	assert_same("ICMP error to the flow's backend", &out, &want);
	cr_assert_eq(env_stat(&env, XLB_TX_ICMP_ERROR), 1,
		     "counted as an ICMP error forwarded");
}

Test(icmp, frag_needed_goes_to_the_backend_of_the_flow)
{
	struct pkt_spec client = { .family = 4, .src = CLIENT4,
				   .dst = "192.0.2.10", .sport = 40000,
				   .dport = 80, .proto = IPPROTO_TCP,
				   .tcp_flags = 0x02, .df = true };
	struct pkt_spec reply = { .family = 4, .src = "192.0.2.10",
				  .dst = CLIENT4, .sport = 80, .dport = 40000,
				  .proto = IPPROTO_TCP, .tcp_flags = 0x10,
				  .df = true, .payload_len = 1400 };

	check_error_follows_flow(VIP_TCP4, &client, &reply, ROUTER4, 3, 4,
				 1300);
}

Test(icmp, packet_too_big_goes_to_the_backend_of_the_flow)
{
	struct pkt_spec client = { .family = 6, .src = CLIENT6,
				   .dst = "2001:db8::10", .sport = 40000,
				   .dport = 443, .proto = IPPROTO_TCP,
				   .tcp_flags = 0x02 };
	struct pkt_spec reply = { .family = 6, .src = "2001:db8::10",
				  .dst = CLIENT6, .sport = 443, .dport = 40000,
				  .proto = IPPROTO_TCP, .tcp_flags = 0x10,
				  .payload_len = 1400 };

	check_error_follows_flow(VIP_TCP6, &client, &reply, ROUTER6, 2, 0,
				 1280);
}

Test(icmp, error_about_another_flow_passes)
{
	struct pkt_spec reply = { .family = 4, .src = "192.0.2.99",
				  .dst = CLIENT4, .sport = 80, .dport = 40000,
				  .proto = IPPROTO_TCP, .payload_len = 100 };
	struct pkt quoted, err, out;

	cr_assert_eq(pkt_build(&quoted, &reply), 0);
	cr_assert_eq(pkt_build_icmp_error(&err, ROUTER4, "192.0.2.99", 3, 1, 0,
					  &quoted, 0, 0),
		     0);
	cr_assert_eq(env_run(&env, &err, &out), XDP_PASS);
	cr_assert(out.len == err.len && !memcmp(out.data, err.data, err.len),
		  "an ICMP error about no VIP passes untouched");
	cr_assert_eq(env_stat(&env, XLB_PASS_ICMP_NOT_TO_VIP), 1,
		     "an error to an address without a VIP is not looked into");
}

Test(icmp, error_to_a_vip_address_about_no_vip_passes)
{
	struct pkt_spec reply = { .family = 4, .src = "192.0.2.10",
				  .dst = CLIENT4, .sport = 81, .dport = 40000,
				  .proto = IPPROTO_TCP, .payload_len = 100 };
	struct pkt quoted, err, out;

	cr_assert_eq(pkt_build(&quoted, &reply), 0);
	cr_assert_eq(pkt_build_icmp_error(&err, ROUTER4, "192.0.2.10", 3, 1, 0,
					  &quoted, 0, 0),
		     0);
	cr_assert_eq(env_run(&env, &err, &out), XDP_PASS);
	cr_assert(out.len == err.len && !memcmp(out.data, err.data, err.len),
		  "an ICMP error about port 81 (no VIP) passes untouched");
	cr_assert_eq(env_stat(&env, XLB_PASS_ICMP_NOT_VIP), 1);
}

Test(icmp, too_big_for_the_tunnel_gets_frag_needed)
{
	struct pkt_spec s = { .family = 4, .src = CLIENT4, .dst = "192.0.2.10",
			      .sport = 40000, .dport = 80,
			      .proto = IPPROTO_TCP, .tcp_flags = 0x10,
			      .df = true, .payload_len = 1460 };
	struct pkt in, out;
	const uint8_t *ip, *ic;

	cr_assert_eq(pkt_build(&in, &s), 0);
	cr_assert_eq(env_run(&env, &in, &out), XDP_TX,
		     "a 1500-byte DF packet gets an answer");
	cr_assert_eq(env_stat(&env, XLB_TX_TOO_BIG), 1, "counted as tx_too_big");
	cr_assert_eq(out.len, 14 + 20 + 8 + 128, "reply is headers + 128-byte quote");
	cr_assert(!memcmp(out.data, in.data + 6, 6) &&
			  !memcmp(out.data + 6, in.data, 6),
		  "MACs are swapped");
	ip = out.data + 14;
	ic = ip + 20;
	cr_assert_eq(ip[0], 0x45);
	cr_assert_eq(ip[9], IPPROTO_ICMP);
	cr_assert_eq((ip[2] << 8) | ip[3], 20 + 8 + 128, "IPv4 total length");
	cr_assert(!memcmp(ip + 12, in.data + 14 + 16, 4), "source is the VIP");
	cr_assert(!memcmp(ip + 16, in.data + 14 + 12, 4), "destination is the client");
	cr_assert_eq(pkt_csum_fold(pkt_sum16(ip, 20, 0)), 0, "IPv4 header checksum is valid");
	cr_assert_eq(ic[0], 3, "type destination unreachable");
	cr_assert_eq(ic[1], 4, "code fragmentation needed");
	cr_assert_eq((ic[6] << 8) | ic[7], ENV_MTU - 20,
		     "next-hop MTU leaves room for the IPIP header");
	cr_assert(!memcmp(ic + 8, in.data + 14, 128),
		  "the quote is the start of the original IP packet");
	cr_assert_eq(pkt_csum_fold(pkt_sum16(ic, 8 + 128, 0)), 0, "ICMP checksum is valid");
}

Test(icmp, too_big_for_the_tunnel_gets_packet_too_big)
{
	struct pkt_spec s = { .family = 6, .src = CLIENT6,
			      .dst = "2001:db8::10", .sport = 40000,
			      .dport = 443, .proto = IPPROTO_TCP,
			      .tcp_flags = 0x10, .payload_len = 1440 };
	struct pkt in, out;
	const uint8_t *ip, *ic;

	cr_assert_eq(pkt_build(&in, &s), 0);
	cr_assert_eq(env_run(&env, &in, &out), XDP_TX,
		     "a 1500-byte IPv6 packet gets an answer");
	cr_assert_eq(out.len, 14 + 40 + 8 + 256, "reply is headers + 256-byte quote");
	ip = out.data + 14;
	ic = ip + 40;
	cr_assert_eq(ip[0] >> 4, 6);
	cr_assert_eq(ip[6], IPPROTO_ICMPV6);
	cr_assert_eq((ip[4] << 8) | ip[5], 8 + 256, "payload length");
	cr_assert(!memcmp(ip + 8, in.data + 14 + 24, 16), "source is the VIP");
	cr_assert(!memcmp(ip + 24, in.data + 14 + 8, 16), "destination is the client");
	cr_assert_eq(ic[0], 2, "type packet too big");
	cr_assert_eq(((uint32_t)ic[4] << 24) | (ic[5] << 16) | (ic[6] << 8) | ic[7],
		     ENV_MTU - 40, "MTU leaves room for the IPv6 header");
	cr_assert(!memcmp(ic + 8, in.data + 14, 256),
		  "the quote is the start of the original packet");
	cr_assert_eq(icmp6_csum(ip, ic, 8 + 256), 0, "ICMPv6 checksum is valid");
}
