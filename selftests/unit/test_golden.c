// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the golden vectors of the cross-node contract: literal
 * values of the flow hash, the encap entropy, the Maglev permutation and
 * tables, and the backend and outer addresses the real LB object picks for
 * a few packets.
 *
 * Two nodes running different xlb releases must send the same packet to the
 * same backend, or failover and conntrack sync re-steer live connections
 * during a rolling upgrade. Changing ANY value below is therefore a breaking
 * change for mixed-version clusters: it must be deliberate and come with a
 * release note telling operators to upgrade every node of a cluster at once
 * (or to drain first). Never "fix" a failure here by pasting the new value.
 *
 * How the literals were obtained: computed once with the code of main at
 * 8f50859 (include/xlb/flow_hash.h, user/lib/maglev.c, bpf/encap.h via the
 * real xlb_lb object), then cross-checked by an independent Python
 * re-implementation written from the definitions, not from this code: the
 * kernel's jhash2 (lookup3 hashword) over the ten 32-bit words of the
 * masked flow, the entropy mix of flow_hash.h, splitmix64 for the Maglev
 * permutation, the weighted Maglev population (k-th claim of a backend in
 * round ceil(k * max_w / w), ties in id order) and zlib.crc32. Every flow
 * hash, entropy, permutation, table checksum and first-16 list matched.
 * The datapath fixtures' backends and outer addresses were predicted by the
 * same script (hash % 1009 into its own table of lb_env's backends) and the
 * real LB object produced exactly those. The script is not kept: these
 * literals are the source of truth.
 *
 * Byte order: the flow hash reads struct xlb_flow's network-order words as
 * host integers, so its values are those of little-endian hosts (x86_64,
 * arm64). On a big-endian host the suite skips itself.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <criterion/criterion.h>
#include <linux/bpf.h>
#include <xlb/abi.h>
#include <xlb/flow_hash.h>

#include "lb_env.h"
#include "lib/maglev.h"
#include "testrun.h"

TestSuite(golden, .timeout = 60);

#define BREAKS "nodes running different releases would pick different backends"

static void little_endian_only(void)
{
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	cr_skip_test("golden vectors are those of little-endian hosts");
#endif
}

/* The tuples, as the client sent them; ports in host order here. */
struct tuple {
	const char *name;
	int family;
	const char *src, *dst;
	uint16_t sport, dport;
	uint8_t proto;
};

static const struct tuple tuples[] = {
	{ "v4 A (TCP)", 4, "203.0.113.7", "192.0.2.10", 40000, 80,
	  IPPROTO_TCP },
	{ "v4 B (UDP)", 4, "198.51.100.200", "192.0.2.10", 5353, 53,
	  IPPROTO_UDP },
	{ "v6 C (TCP)", 6, "2001:db8:c::7", "2001:db8::10", 40000, 443,
	  IPPROTO_TCP },
	{ "v6 D (UDP)", 6, "2001:db8:c::ffff:1234", "2001:db8::10", 999, 53,
	  IPPROTO_UDP },
	/* A with another source port: same source-only hash as A */
	{ "v4 E (A, sport+1)", 4, "203.0.113.7", "192.0.2.10", 40001, 80,
	  IPPROTO_TCP },
};

#define NTUPLES (sizeof(tuples) / sizeof(tuples[0]))

static void tuple_flow(const struct tuple *t, struct xlb_flow *f)
{
	int af = t->family == 4 ? AF_INET : AF_INET6;

	memset(f, 0, sizeof(*f));
	cr_assert_eq(inet_pton(af, t->src, f->src.bytes), 1,
		     "%s: source parses", t->name);
	cr_assert_eq(inet_pton(af, t->dst, f->dst.bytes), 1,
		     "%s: destination parses", t->name);
	f->family = t->family == 4 ? XLB_AF_INET : XLB_AF_INET6;
	f->sport = htons(t->sport);
	f->dport = htons(t->dport);
	f->proto = t->proto;
}

static const __u32 seeds[] = { 0, 0x5eed1234, 0xffffffff };

/* [tuple][seed][0: XLB_HASH_5TUPLE, 1: XLB_HASH_SOURCE] */
static const __u32 flow_hash_golden[NTUPLES][3][2] = {
	{ { 0x0da23599, 0x8eca7966 },
	  { 0x51b4ae3c, 0xbe8eb36c },
	  { 0x04cf065b, 0xfeb1efac } },
	{ { 0xdd79111f, 0x47b17b19 },
	  { 0x7da596ce, 0xf4982c6e },
	  { 0x2719d6c2, 0x20d27f27 } },
	{ { 0xc4983fe3, 0xb96a58a3 },
	  { 0x315b4db4, 0xc7982662 },
	  { 0x41800eff, 0x2341d415 } },
	{ { 0x85eb539b, 0x7d0f112b },
	  { 0x57049466, 0x92ae97b5 },
	  { 0x887a0784, 0x8a93dac2 } },
	{ { 0xd69bfcba, 0x8eca7966 },
	  { 0x88f54ae8, 0xbe8eb36c },
	  { 0xb5821e1c, 0xfeb1efac } },
};

Test(golden, flow_hash)
{
	static const __u32 masks[] = { XLB_HASH_5TUPLE, XLB_HASH_SOURCE };
	static const char *const mask_names[] = { "5-tuple", "source only" };

	little_endian_only();
	for (size_t i = 0; i < NTUPLES; i++) {
		struct xlb_flow f;

		tuple_flow(&tuples[i], &f);
		for (size_t s = 0; s < 3; s++) {
			for (size_t m = 0; m < 2; m++) {
				__u32 got =
					xlb_flow_hash(&f, masks[m], seeds[s]);
				__u32 want = flow_hash_golden[i][s][m];

				cr_assert_eq(
					got, want,
					"flow hash (%s, seed 0x%08x) of %s "
					"changed: 0x%08x, pinned 0x%08x: " BREAKS,
					mask_names[m], seeds[s], tuples[i].name,
					got, want);
			}
			/* hash_fields 0 in a VIP means the 5-tuple */
			cr_assert_eq(xlb_flow_hash(&f, 0, seeds[s]),
				     flow_hash_golden[i][s][0],
				     "flow hash with fields 0 (seed 0x%08x) of "
				     "%s is no longer the 5-tuple hash: VIPs "
				     "written without hash fields would pick "
				     "other backends on other releases",
				     seeds[s], tuples[i].name);
		}
	}
}

/*
 * The entropy and the outer source bits derived from it (bpf/encap.h):
 * IPv4 outer source = encap_src4's high 16 bits | entropy's low 16 bits;
 * IPv6 outer source = encap_src6's first 96 bits | entropy; IPv6 flow
 * label = entropy's low 20 bits. The backends' NICs and any ECMP in
 * between hash these, so a change moves flows between queues and paths.
 */
static const struct {
	__u32 entropy;
	const char *osrc4; /* with encap_src4 198.18.0.0 */
	const char *osrc6; /* with encap_src6 2001:db8:ffff:: */
	__u32 flow_label;
} entropy_golden[NTUPLES] = {
	{ 0xd458471d, "198.18.71.29", "2001:db8:ffff::d458:471d", 0x8471d },
	{ 0xd70006fd, "198.18.6.253", "2001:db8:ffff::d700:6fd", 0x006fd },
	{ 0xf55a8946, "198.18.137.70", "2001:db8:ffff::f55a:8946", 0xa8946 },
	{ 0x17cf92d8, "198.18.146.216", "2001:db8:ffff::17cf:92d8", 0xf92d8 },
	{ 0xbc25bae7, "198.18.186.231", "2001:db8:ffff::bc25:bae7", 0x5bae7 },
};

Test(golden, encap_entropy)
{
	struct in6_addr base6;
	__be32 base4;

	little_endian_only();
	cr_assert_eq(inet_pton(AF_INET, "198.18.0.0", &base4), 1);
	cr_assert_eq(inet_pton(AF_INET6, "2001:db8:ffff::", &base6), 1);
	for (size_t i = 0; i < NTUPLES; i++) {
		__u32 e, want = entropy_golden[i].entropy;
		struct in6_addr a6 = base6;
		char buf[INET6_ADDRSTRLEN];
		struct xlb_flow f;
		__be32 a4;

		tuple_flow(&tuples[i], &f);
		e = xlb_encap_entropy(&f);
		cr_assert_eq(e, want,
			     "encap entropy of %s changed: 0x%08x, pinned "
			     "0x%08x: outer sources and flow labels move, so "
			     "backends' RSS and ECMP paths change per release",
			     tuples[i].name, e, want);
		/* the same derivation as xlb_outer_ipv4/ipv6, on the literal */
		a4 = (base4 & htonl(0xffff0000)) | htonl(want & 0xffff);
		cr_assert_not_null(inet_ntop(AF_INET, &a4, buf, sizeof(buf)));
		cr_assert_str_eq(buf, entropy_golden[i].osrc4,
				 "outer IPv4 source of %s: %s, pinned %s",
				 tuples[i].name, buf, entropy_golden[i].osrc4);
		a6.s6_addr32[3] = htonl(want);
		cr_assert_not_null(inet_ntop(AF_INET6, &a6, buf, sizeof(buf)));
		cr_assert_str_eq(buf, entropy_golden[i].osrc6,
				 "outer IPv6 source of %s: %s, pinned %s",
				 tuples[i].name, buf, entropy_golden[i].osrc6);
		cr_assert_eq(want & 0xfffff, entropy_golden[i].flow_label,
			     "IPv6 flow label of %s", tuples[i].name);
	}
}

#define GOLDEN_SEED 0x5eed1234u

/* Each backend's preference list: (offset + j * skip) % M (lib/maglev.h). */
static const struct {
	__u32 id, m, offset, skip, slots[5];
} perm_golden[] = {
	{ 1, 251, 223, 33, { 223, 5, 38, 71, 104 } },
	{ 2, 251, 229, 109, { 229, 87, 196, 54, 163 } },
	{ 3, 251, 133, 115, { 133, 248, 112, 227, 91 } },
	{ 42, 251, 131, 146, { 131, 26, 172, 67, 213 } },
	{ 16383, 251, 85, 230, { 85, 64, 43, 22, 1 } },
	{ 1, 65537, 37568, 63763, { 37568, 35794, 34020, 32246, 30472 } },
	{ 2, 65537, 52728, 34319, { 52728, 21510, 55829, 24611, 58930 } },
	{ 3, 65537, 6249, 44037, { 6249, 50286, 28786, 7286, 51323 } },
	{ 42, 65537, 36614, 54542, { 36614, 25619, 14624, 3629, 58171 } },
	{ 16383, 65537, 3076, 17890, { 3076, 20966, 38856, 56746, 9099 } },
};

Test(golden, maglev_permutation)
{
	for (size_t i = 0; i < sizeof(perm_golden) / sizeof(perm_golden[0]);
	     i++) {
		__u32 id = perm_golden[i].id, m = perm_golden[i].m;
		__u32 off, skip;

		xlb_maglev_perm(id, GOLDEN_SEED, m, &off, &skip);
		cr_assert(
			off == perm_golden[i].offset &&
				skip == perm_golden[i].skip,
			"Maglev permutation of backend %u (M %u, seed 0x%08x) "
			"changed: offset %u skip %u, pinned %u %u: " BREAKS,
			id, m, GOLDEN_SEED, off, skip, perm_golden[i].offset,
			perm_golden[i].skip);
		for (__u32 j = 0; j < 5; j++) {
			__u32 slot = (__u32)((off + (__u64)j * skip) % m);

			cr_assert_eq(slot, perm_golden[i].slots[j],
				     "preferred slot %u of backend %u (M %u) "
				     "is %u, pinned %u: " BREAKS,
				     j, id, m, slot, perm_golden[i].slots[j]);
		}
	}
}

/* data tables: one entry a line, aligned for reading */
/* clang-format off */
/* Unequal weights and a weight 0 (id 3, id 8: they own no slot). */
static const struct xlb_maglev_backend bes3[] = { { 1, 1 }, { 2, 2 }, { 3, 0 } };
static const struct xlb_maglev_backend bes10[] = {
	{ 1, 1 },  { 2, 2 },  { 3, 3 },  { 5, 1 },  { 8, 0 },
	{ 13, 5 }, { 21, 1 }, { 34, 2 }, { 55, 1 }, { 16383, 4 },
};

/*
 * CRC-32 is zlib's crc32() (the IEEE 802.3 polynomial, as Python's
 * zlib.crc32) over the M table entries as little-endian __u32, without the
 * header slot the BPF map adds.
 */
static const struct {
	const char *name;
	const struct xlb_maglev_backend *bes;
	size_t n;
	__u32 m, crc;
	__u32 first16[16];
} table_golden[] = {
	{ "3 backends, M 251", bes3, 3, 251, 0x02787cea,
	  { 2, 1, 2, 1, 1, 1, 2, 2, 2, 2, 1, 1, 2, 2, 1, 2 } },
	{ "10 backends, M 251", bes10, 10, 251, 0x11c2b5bb,
	  { 16383, 16383, 13, 34, 13, 1, 34, 3, 2, 5, 5, 5, 13, 13, 13, 13 } },
	{ "3 backends, M 65537", bes3, 3, 65537, 0x622febb2,
	  { 2, 1, 2, 2, 2, 2, 1, 2, 2, 2, 2, 1, 1, 2, 1, 2 } },
	{ "10 backends, M 65537", bes10, 10, 65537, 0x234d1803,
	  { 16383, 34, 3, 13, 16383, 13, 34, 16383, 21, 2, 16383, 1, 3, 13,
	    16383, 21 } },
};
/* clang-format on */

Test(golden, maglev_tables)
{
	little_endian_only(); /* the CRC is over little-endian entries */
	for (size_t i = 0; i < sizeof(table_golden) / sizeof(table_golden[0]);
	     i++) {
		__u32 m = table_golden[i].m, *t = calloc(m, sizeof(*t));
		uLong crc;
		int err;

		cr_assert_not_null(t, "a table of %u slots can be allocated",
				   m);
		err = xlb_maglev_build(table_golden[i].bes, table_golden[i].n,
				       GOLDEN_SEED, m, t);
		cr_assert_eq(err, 0, "%s builds (%d)", table_golden[i].name,
			     err);
		for (int j = 0; j < 16; j++)
			cr_assert_eq(t[j], table_golden[i].first16[j],
				     "Maglev table (%s) slot %d holds %u, "
				     "pinned %u: " BREAKS,
				     table_golden[i].name, j, t[j],
				     table_golden[i].first16[j]);
		crc = crc32(0L, (const Bytef *)t, (uInt)(m * sizeof(*t)));
		cr_assert_eq(crc, table_golden[i].crc,
			     "Maglev table (%s, seed 0x%08x) changed: CRC-32 "
			     "0x%08lx, pinned 0x%08x: " BREAKS,
			     table_golden[i].name, GOLDEN_SEED, crc,
			     table_golden[i].crc);
		free(t);
	}
}

/*
 * The real LB object with lb_env's config (seed 0x5eed1234, M 1009, encap
 * sources 198.18.0.0 and 2001:db8:ffff::, equal weights; see lb_env.c).
 * For tunnel modes the outer source and destination are pinned, for L2
 * DSR the destination MAC (the backend's) and source MAC (the LB's).
 */
struct dp_golden {
	const char *desc;
	int vip;
	int family;
	const char *src, *dst;
	uint16_t sport, dport;
	__u32 backend;
	int ofam; /* 4, 6, or 0 for L2 DSR */
	const char *osrc, *odst;
	__u32 flow_label; /* ofam 6 */
	uint8_t mac[6]; /* L2 DSR */
};

#define DP4(to, sp, dp) \
	.family = 4, .src = "203.0.113.7", .dst = to, .sport = sp, .dport = dp
#define DP6(to, sp, dp) \
	.family = 6, .src = "2001:db8:c::7", .dst = to, .sport = sp, .dport = dp
#define MAC2(id)                        \
	{                               \
		0x02, 0, 0, 0, 0x02, id \
	}

static const struct dp_golden dp_golden[] = {
	{ "v4 TCP :40000 to 192.0.2.10:80 (IPIP)", VIP_TCP4,
	  DP4("192.0.2.10", 40000, 80), .backend = 3, .ofam = 4,
	  .osrc = "198.18.71.29", .odst = "198.51.100.3" },
	{ "v4 TCP :40001 to 192.0.2.10:80 (IPIP)", VIP_TCP4,
	  DP4("192.0.2.10", 40001, 80), .backend = 2, .ofam = 4,
	  .osrc = "198.18.186.231", .odst = "198.51.100.2" },
	{ "v4 TCP :40003 to 192.0.2.10:80 (IPIP)", VIP_TCP4,
	  DP4("192.0.2.10", 40003, 80), .backend = 1, .ofam = 4,
	  .osrc = "198.18.127.218", .odst = "198.51.100.1" },
	{ "v6 TCP :40000 to [2001:db8::10]:443 (IP6IP6)", VIP_TCP6,
	  DP6("2001:db8::10", 40000, 443), .backend = 12, .ofam = 6,
	  .osrc = "2001:db8:ffff::f55a:8946", .odst = "2001:db8:100::2",
	  .flow_label = 0xa8946 },
	{ "v6 TCP :40002 to [2001:db8::10]:443 (IP6IP6)", VIP_TCP6,
	  DP6("2001:db8::10", 40002, 443), .backend = 13, .ofam = 6,
	  .osrc = "2001:db8:ffff::71c5:5e7b", .odst = "2001:db8:100::3",
	  .flow_label = 0x55e7b },
	{ "v4 TCP :40001 to 192.0.2.40:80 (4in6)", VIP_4IN6,
	  DP4("192.0.2.40", 40001, 80), .backend = 11, .ofam = 6,
	  .osrc = "2001:db8:ffff::bc25:bae7", .odst = "2001:db8:100::1",
	  .flow_label = 0x5bae7 },
	{ "v6 TCP :40002 to [2001:db8::20]:80 (6in4)", VIP_6IN4,
	  DP6("2001:db8::20", 40002, 80), .backend = 3, .ofam = 4,
	  .osrc = "198.18.240.172", .odst = "198.51.100.3" },
	{ "v4 TCP :40005 to source-hashed 192.0.2.50:80 (IPIP)", VIP_SRC4,
	  DP4("192.0.2.50", 40005, 80), .backend = 1, .ofam = 4,
	  .osrc = "198.18.184.14", .odst = "198.51.100.1" },
	{ "v4 TCP :40000 to 192.0.2.30:80 (L2 DSR)", VIP_DSR4,
	  DP4("192.0.2.30", 40000, 80), .backend = 22, .mac = MAC2(22) },
	{ "v4 TCP :40005 to 192.0.2.30:80 (L2 DSR)", VIP_DSR4,
	  DP4("192.0.2.30", 40005, 80), .backend = 21, .mac = MAC2(21) },
	{ "v6 TCP :40002 to [2001:db8::30]:80 (L2 DSR)", VIP_DSR6,
	  DP6("2001:db8::30", 40002, 80), .backend = 23, .mac = MAC2(23) },
};

static void check_outer_addr(const struct dp_golden *g, int af,
			     const uint8_t *p, const char *want,
			     const char *what)
{
	char buf[INET6_ADDRSTRLEN];

	cr_assert_not_null(inet_ntop(af, p, buf, sizeof(buf)));
	cr_assert_str_eq(buf, want,
			 "%s: outer %s is %s, pinned %s: the encap entropy or "
			 "the backend choice changed between releases",
			 g->desc, what, buf, want);
}

static void check_dp(const struct lb_env *e, const struct dp_golden *g)
{
	struct pkt_spec s = { .family = g->family,
			      .src = g->src,
			      .dst = g->dst,
			      .sport = g->sport,
			      .dport = g->dport,
			      .proto = IPPROTO_TCP,
			      .tcp_flags = 0x02 /* SYN */,
			      .df = true };
	struct xlb_counter before, after;
	struct pkt in, out;
	const uint8_t *l3;
	__u32 verdict;

	cr_assert_eq(pkt_build(&in, &s), 0, "%s: input builds", g->desc);
	cr_assert_eq(xlb_backend_stats_read(&e->maps, g->backend, &before), 0);
	verdict = env_run(e, &in, &out);
	cr_assert_eq(verdict, XDP_TX, "%s: verdict is XDP_TX (%u)", g->desc,
		     verdict);
	cr_assert_eq(xlb_backend_stats_read(&e->maps, g->backend, &after), 0);
	cr_assert_eq(after.packets, before.packets + 1,
		     "%s: the packet did not go to backend %u: " BREAKS,
		     g->desc, g->backend);

	if (!g->ofam) {
		cr_assert(!memcmp(out.data, g->mac, 6),
			  "%s: destination MAC is not backend %u's "
			  "02:00:00:00:02:%02x: " BREAKS,
			  g->desc, g->backend, g->mac[5]);
		cr_assert(!memcmp(out.data + 6, PKT_MAC_LB, 6),
			  "%s: source MAC is the LB's (the frame's old "
			  "destination)",
			  g->desc);
		env_ip_only(&in, &in); /* the LB cut the padding */
		cr_assert(out.len == in.len &&
				  !memcmp(out.data + 12, in.data + 12,
					  in.len - 12),
			  "%s: L2 DSR changes nothing past the MACs", g->desc);
		return;
	}
	/* untagged frames: the outer header starts at byte 14 */
	l3 = out.data + 14;
	cr_assert(!memcmp(out.data, PKT_MAC_ROUTER, 6),
		  "%s: sent to the next hop's MAC", g->desc);
	if (g->ofam == 4) {
		cr_assert(out.data[12] == 0x08 && out.data[13] == 0x00 &&
				  (l3[0] >> 4) == 4,
			  "%s: outer header is IPv4", g->desc);
		check_outer_addr(g, AF_INET, l3 + 12, g->osrc, "source");
		check_outer_addr(g, AF_INET, l3 + 16, g->odst, "destination");
	} else {
		__u32 label = ((l3[1] & 0xf) << 16) | (l3[2] << 8) | l3[3];

		cr_assert(out.data[12] == 0x86 && out.data[13] == 0xdd &&
				  (l3[0] >> 4) == 6,
			  "%s: outer header is IPv6", g->desc);
		check_outer_addr(g, AF_INET6, l3 + 8, g->osrc, "source");
		check_outer_addr(g, AF_INET6, l3 + 24, g->odst, "destination");
		cr_assert_eq(label, g->flow_label,
			     "%s: outer flow label 0x%05x, pinned 0x%05x: the "
			     "encap entropy changed between releases",
			     g->desc, label, g->flow_label);
	}
}

Test(golden, datapath)
{
	struct lb_env e;

	little_endian_only();
	/* the literals hold for lb_env's configuration only */
	cr_assert(ENV_SEED == 0x5eed1234u && ENV_M == 1009 &&
			  !strcmp(ENV_ENCAP_SRC4, "198.18.0.0") &&
			  !strcmp(ENV_ENCAP_SRC6, "2001:db8:ffff::"),
		  "lb_env's seed, M or encap sources changed: the golden "
		  "datapath fixtures must be recomputed, not the product");
	lb_env_setup(&e);
	for (size_t i = 0; i < sizeof(dp_golden) / sizeof(dp_golden[0]); i++) {
		const struct env_backend *b = env_backend(dp_golden[i].backend);

		cr_assert_not_null(b, "%s: backend %u is in lb_env",
				   dp_golden[i].desc, dp_golden[i].backend);
		cr_assert_str_eq(env_vips[dp_golden[i].vip].addr,
				 dp_golden[i].dst,
				 "%s: lb_env's VIP is still %s",
				 dp_golden[i].desc, dp_golden[i].dst);
		if (dp_golden[i].ofam)
			cr_assert_str_eq(b->addr, dp_golden[i].odst,
					 "%s: lb_env's backend %u is still %s",
					 dp_golden[i].desc, b->id,
					 dp_golden[i].odst);
		check_dp(&e, &dp_golden[i]);
	}
	lb_env_teardown(&e);
}
