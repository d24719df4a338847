// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Robustness of the LB: every seed packet truncated at every byte, and
 * 100,000 seeded random mutations (the generators: frames.h). Whatever
 * comes in, the program must load and run, pass packets byte-identical,
 * never transmit a packet whose headers are broken, and count every packet
 * under exactly one outcome.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <linux/bpf.h>

#include "frames.h"
#include "lb_env.h"
#include "testrun.h"

#define MUTATIONS 100000
#define SEED 0x12345678u

static struct lb_env env;

static void setup(void)
{
	lb_env_setup(&env);
}

static void teardown(void)
{
	lb_env_teardown(&env);
}

TestSuite(robustness, .init = setup, .fini = teardown, .timeout = 300);

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint16_t csum(const uint8_t *p, size_t len)
{
	return pkt_csum_fold(pkt_sum16(p, len, 0));
}

/*
 * Checks an IP packet of @len bytes at @ip (which may be followed by
 * Ethernet padding). @depth 0 is what the LB put on the wire; depth 1 is
 * the packet inside a tunnel. Returns NULL or what is wrong.
 */
static const char *check_ip(const uint8_t *ip, size_t len, int depth)
{
	size_t hlen, tot, l4len;
	uint8_t proto;
	const uint8_t *l4;

	if (len < 1)
		return "no IP header";
	if (ip[0] >> 4 == 4) {
		if (len < 20)
			return "IPv4 header truncated";
		hlen = (ip[0] & 0xf) * 4;
		tot = get16(ip + 2);
		if (hlen < 20 || hlen > len || tot < hlen || tot > len)
			return "IPv4 lengths inconsistent";
		if (csum(ip, hlen))
			return "IPv4 header checksum wrong";
		if (get16(ip + 6) & 0x3fff)
			return "IPv4 fragment transmitted";
		proto = ip[9];
		l4 = ip + hlen;
		l4len = tot - hlen;
	} else if (ip[0] >> 4 == 6) {
		if (len < 40)
			return "IPv6 header truncated";
		tot = 40 + get16(ip + 4);
		if (tot > len)
			return "IPv6 payload length beyond the frame";
		proto = ip[6];
		l4 = ip + 40;
		l4len = tot - 40;
	} else {
		return "not IP";
	}
	if (depth == 0 && (proto == IPPROTO_IPIP || proto == IPPROTO_IPV6))
		return check_ip(l4, l4len, 1);
	if (proto == IPPROTO_TCP) {
		if (l4len < 20 || (l4[12] >> 4) < 5 || (size_t)(l4[12] >> 4) * 4 > l4len)
			return "TCP header broken";
	} else if (proto == IPPROTO_UDP) {
		if (l4len < 8 || get16(l4 + 4) < 8 || get16(l4 + 4) > l4len)
			return "UDP header broken";
	} else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		if (l4len < 8)
			return "ICMP header truncated";
	} else if (depth == 1 && ip[0] >> 4 == 4) {
		return "tunnelled packet is neither TCP, UDP nor ICMP";
	}
	return NULL;
}

static const char *check_frame(const struct pkt *p)
{
	size_t l3 = 14;
	uint16_t type;

	if (p->len < 14)
		return "frame shorter than Ethernet";
	type = get16(p->data + 12);
	if (type == 0x8100) {
		if (p->len < 18)
			return "VLAN tag truncated";
		type = get16(p->data + 16);
		l3 = 18;
	}
	if (type != 0x0800 && type != 0x86dd)
		return "transmitted frame is not IP";
	if ((type == 0x0800) != (p->data[l3] >> 4 == 4))
		return "ethertype and IP version disagree";
	return check_ip(p->data + l3, p->len - l3, 0);
}

/* Packets counted by an outcome (events overlap them: not summed). */
static uint64_t outcomes_total(void)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < XLB_STAT_MAX; i++)
		if (xlb_stat_descs[i].verdict != XLB_V_EVENT)
			n += env_stat(&env, i);
	cr_assert_eq(env_stat(&env, XLB_DROP_NO_OUTCOME), 0,
		     "every stage returned an outcome");
	return n;
}

static uint64_t runs;

static void run_checked(const struct pkt *in, const char *what, size_t seed,
			size_t arg, void *ctx)
{
	struct pkt out;
	uint32_t v = env_run(&env, in, &out);
	const char *bad;

	(void)ctx;
	runs++;
	cr_assert(v == XDP_PASS || v == XDP_DROP || v == XDP_TX,
		  "%s %zu (seed %zu): verdict %u is PASS, DROP or TX", what,
		  arg, seed, v);
	if (v == XDP_PASS)
		cr_assert(out.len == in->len &&
				  !memcmp(out.data, in->data, in->len),
			  "%s %zu (seed %zu): a passed packet is byte-identical",
			  what, arg, seed);
	if (v == XDP_TX) {
		bad = check_frame(&out);
		if (bad)
			pkt_dump_diff(what, &out, in);
		cr_assert_null(bad,
			       "%s %zu (seed %zu): transmitted packet is well-formed (%s)",
			       what, arg, seed, bad ? bad : "");
	}
}

Test(robustness, every_truncation)
{
	struct pkt seedpk[FRAMES_NSEEDS];
	uint64_t before = outcomes_total();

	frames_seeds(seedpk);
	runs = 0;
	frames_each_truncation(seedpk, FRAMES_NSEEDS, run_checked, NULL);
	cr_assert_eq(outcomes_total() - before, runs,
		     "each of %lu truncated packets is counted exactly once",
		     (unsigned long)runs);
	cr_assert_gt(env_stat(&env, XLB_DROP_MALFORMED), 0,
		     "truncated VIP packets are counted as drop_malformed");
	cr_assert_gt(env_stat(&env, XLB_PASS_MALFORMED), 0,
		     "truncated headers before the address are pass_malformed");
}

Test(robustness, random_mutations)
{
	struct pkt seedpk[FRAMES_NSEEDS];
	uint64_t before = outcomes_total();

	frames_seeds(seedpk);
	runs = 0;
	frames_each_mutation(seedpk, FRAMES_NSEEDS, MUTATIONS, SEED,
			     run_checked, NULL);
	cr_assert_eq(outcomes_total() - before, runs,
		     "each of %lu mutated packets is counted exactly once",
		     (unsigned long)runs);
	cr_assert_gt(env_stat(&env, XLB_TX_FORWARD), 0,
		     "some mutated packets still reach a backend");
	cr_assert_gt(env_stat(&env, XLB_DROP_MALFORMED), 0,
		     "some mutated packets are dropped as malformed");
}
