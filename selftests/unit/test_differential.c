// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the differential test of the datapath's shortcut for
 * packets not to a VIP (xlb_fast_not_vip, bpf/parse.h): every frame goes
 * through xlb_lb and through the full parse alone (xlb_ref_full in
 * bpf/xlb_bench.bpf.c), each with its own copy of the same maps, and must
 * leave both with the same verdict, the same bytes, the same counter
 * deltas (outcomes and events) and the same learning-ring records. The
 * frames: the robustness suite's (frames.h), the same shapes to an address
 * whose filter bit is clear and to one whose bit is set by a collision
 * with a VIP's, every IP and L4 length of each, and 100,000 mutations.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <linux/bpf.h>

#include "frames.h"
#include "lb_env.h"
#include "lib/addr.h"
#include "lib/conntrack.h"
#include "testrun.h"

#define MUTATIONS 100000
#define SEED 0x12345678u /* the robustness suite's */
#define MAX_SEEDS 96
#define MAX_RECS 8

/* enum xlb_fast (bpf/parse.h): what xlb_ref_route returns */
enum route { ROUTE_PASS, ROUTE_MAYBE_VIP, ROUTE_UNSURE, NROUTES };
static const char *const route_names[NROUTES] = { "pass", "maybe_vip",
						  "unsure" };

struct side {
	struct lb_env env;
	struct xlb_ct_learn *ring;
	struct xlb_counter stats[XLB_STAT_MAX]; /* as read after the last frame */
	struct xlb_ct_event recs[MAX_RECS];
	int nrecs;
};

static struct side lb, ref;
static uint64_t routes[NROUTES], verdicts[NROUTES][XDP_REDIRECT + 1];
static uint64_t frames;

static void on_record(const struct xlb_ct_event *ev, void *arg)
{
	struct side *s = arg;

	if (s->nrecs < MAX_RECS)
		s->recs[s->nrecs] = *ev;
	s->nrecs++;
}

static void read_stats(struct side *s)
{
	cr_assert_eq(xlb_stats_read_all(&s->env.maps, s->stats), XLB_STAT_MAX,
		     "every counter reads");
}

static void setup(void)
{
	cpu_set_t one;
	int cpu = sched_getcpu();

	/*
	 * One CPU for both: the per-CPU parts of the maps (counters, the
	 * conntrack LRU's free lists) then see the same operations in the
	 * same order in both copies, and evict alike.
	 */
	cr_assert_geq(cpu, 0, "sched_getcpu");
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	cr_assert_eq(sched_setaffinity(0, sizeof(one), &one), 0,
		     "pinned to CPU %d", cpu);
	lb_env_setup(&lb.env);
	lb_env_setup_ref(&ref.env);
	lb.ring = xlb_ct_learn_open(lb.env.maps.ct_events, on_record, &lb);
	ref.ring = xlb_ct_learn_open(ref.env.maps.ct_events, on_record, &ref);
	cr_assert(lb.ring && ref.ring, "both learning rings open");
	read_stats(&lb);
	read_stats(&ref);
}

static void teardown(void)
{
	xlb_ct_learn_close(lb.ring);
	xlb_ct_learn_close(ref.ring);
	lb_env_teardown(&lb.env);
	lb_env_teardown(&ref.env);
}

TestSuite(differential, .init = setup, .fini = teardown, .timeout = 300);

static void dump_frame(const char *what, const struct pkt *p)
{
	fprintf(stderr, "%s (%zu bytes):", what, p->len);
	for (size_t i = 0; i < p->len; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", p->data[i]);
	fputc('\n', stderr);
}

/* The entry as written, less its timestamp (the two runs differ in time). */
static bool same_record(const struct xlb_ct_event *a,
			const struct xlb_ct_event *b)
{
	return !memcmp(&a->flow, &b->flow, sizeof(a->flow)) &&
	       a->entry.backend_id == b->entry.backend_id &&
	       a->entry.vip_id == b->entry.vip_id &&
	       a->entry.flags == b->entry.flags;
}

/*
 * One frame through the shape check, the reference and xlb_lb. Failures
 * name the frame (generator, seed, argument) and dump it for a replay.
 */
static void diff_one(const struct pkt *in, const char *what, size_t seed,
		     size_t arg, void *ctx)
{
	struct xlb_counter lb0[XLB_STAT_MAX], ref0[XLB_STAT_MAX];
	static struct pkt out_lb, out_ref, out_route;
	__u32 route = ~0u, v_ref, v_lb;
	int err;

	(void)ctx;
	frames++;
	err = xdp_run(ref.env.route_fd, in, &out_route, &route);
	cr_assert_eq(err, 0, "the shape check runs (err %d)", err);
	if (route >= NROUTES || out_route.len != in->len ||
	    memcmp(out_route.data, in->data, in->len)) {
		dump_frame("frame", in);
		cr_assert_fail("%s %zu (seed %zu): the shape check returned %u "
			       "and left the frame as it came",
			       what, arg, seed, route);
	}
	v_ref = env_run(&ref.env, in, &out_ref);
	v_lb = env_run(&lb.env, in, &out_lb);
	routes[route]++;
	if (v_lb <= XDP_REDIRECT)
		verdicts[route][v_lb]++;
	if (v_lb != v_ref || out_lb.len != out_ref.len ||
	    memcmp(out_lb.data, out_ref.data, out_lb.len)) {
		dump_frame("frame", in);
		pkt_dump_diff("xlb_lb against the full parse", &out_lb,
			      &out_ref);
		cr_assert_fail(
			"%s %zu (seed %zu, route %s): xlb_lb gives verdict "
			"%u, %zu bytes; the full parse %u, %zu bytes",
			what, arg, seed, route_names[route], v_lb, out_lb.len,
			v_ref, out_ref.len);
	}

	memcpy(lb0, lb.stats, sizeof(lb0));
	memcpy(ref0, ref.stats, sizeof(ref0));
	read_stats(&lb);
	read_stats(&ref);
	for (__u32 i = 0; i < XLB_STAT_MAX; i++) {
		__u64 dp = lb.stats[i].packets - lb0[i].packets;
		__u64 db = lb.stats[i].bytes - lb0[i].bytes;
		__u64 rp = ref.stats[i].packets - ref0[i].packets;
		__u64 rb = ref.stats[i].bytes - ref0[i].bytes;

		/* whether a hit came from the per-CPU flow cache depends on
		 * the CPU and the clock (a copy lives 250 ms), not on the
		 * parse: both count it as ct_hit either way */
		if ((dp == rp && db == rb) || i == XLB_EV_CT_CACHE_HIT)
			continue;
		dump_frame("frame", in);
		cr_assert_fail("%s %zu (seed %zu, route %s): %s counted %llu "
			       "packets, %llu bytes by xlb_lb; %llu, %llu by "
			       "the full parse",
			       what, arg, seed, route_names[route],
			       xlb_stat_name(i), (unsigned long long)dp,
			       (unsigned long long)db, (unsigned long long)rp,
			       (unsigned long long)rb);
	}
	if (route == ROUTE_PASS &&
	    ref.stats[XLB_PASS_NOT_VIP].packets -
			    ref0[XLB_PASS_NOT_VIP].packets !=
		    1) {
		dump_frame("frame", in);
		cr_assert_fail("%s %zu (seed %zu): the shortcut's frame is "
			       "pass_not_vip by the full parse",
			       what, arg, seed);
	}

	lb.nrecs = ref.nrecs = 0;
	cr_assert_geq(xlb_ct_learn_poll(lb.ring), 0);
	cr_assert_geq(xlb_ct_learn_poll(ref.ring), 0);
	if (lb.nrecs != ref.nrecs) {
		dump_frame("frame", in);
		cr_assert_fail("%s %zu (seed %zu): %d learning records from "
			       "xlb_lb, %d from the full parse",
			       what, arg, seed, lb.nrecs, ref.nrecs);
	}
	for (int i = 0; i < lb.nrecs && i < MAX_RECS; i++) {
		if (same_record(&lb.recs[i], &ref.recs[i]))
			continue;
		dump_frame("frame", in);
		cr_assert_fail("%s %zu (seed %zu): learning record %d differs "
			       "(backend %u against %u)",
			       what, arg, seed, i, lb.recs[i].entry.backend_id,
			       ref.recs[i].entry.backend_id);
	}
}

/* Where a seed is sent: see the addresses below. */
enum dst { DST_CLEAR, DST_COLLISION, DST_VIP, NDSTS };

/*
 * Addresses of no VIP: one whose filter bit is clear, and one whose bit a
 * VIP's address set (IPv6: 2001:db8:0:1::11 XORs to 2001:db8::10's word;
 * IPv4: found below). VIPs: 192.0.2.10 (tcp 80, udp 53), 2001:db8::10
 * (tcp 443, udp 53).
 */
static const char *dst4[NDSTS] = { "198.51.100.99", NULL, "192.0.2.10" };
static const char *dst6[NDSTS] = { "2001:db8:c::99", "2001:db8:0:1::11",
				   "2001:db8::10" };
static char coll4[INET_ADDRSTRLEN];

static bool filter_bit(const char *text)
{
	struct xlb_addr a = {};
	__u32 bit, word;
	__u64 w;
	__u8 fam;

	cr_assert_eq(xlb_addr_parse(text, &a, &fam), 0, "%s parses", text);
	bit = xlb_addr_filter_bit(&a);
	word = bit / 64;
	cr_assert_eq(bpf_map_lookup_elem(lb.env.maps.vip_addr_filter, &word,
					 &w),
		     0, "filter word %u reads", word);
	return (w >> (bit % 64)) & 1;
}

static bool is_vip_addr(const char *text)
{
	struct xlb_addr_key k = {};
	struct xlb_addr_info ai;
	__u8 fam;

	cr_assert_eq(xlb_addr_parse(text, &k.addr, &fam), 0);
	k.family = fam;
	return !bpf_map_lookup_elem(lb.env.maps.vip_addrs, &k, &ai);
}

/* The first 10.0.0.0/8 address whose filter bit is 192.0.2.10's. */
static void find_collision4(void)
{
	struct xlb_addr vip = {}, a = {};
	__u8 fam;

	cr_assert_eq(xlb_addr_parse("192.0.2.10", &vip, &fam), 0);
	for (__u32 i = 1; i < 1u << 24; i++) {
		a.v4 = htonl(0x0a000000u | i);
		if (xlb_addr_filter_bit(&a) != xlb_addr_filter_bit(&vip))
			continue;
		cr_assert_not_null(
			inet_ntop(AF_INET, &a.v4, coll4, sizeof(coll4)));
		dst4[DST_COLLISION] = coll4;
		return;
	}
	cr_assert_fail("no address in 10.0.0.0/8 collides with 192.0.2.10");
}

/* A shape, sent to each kind of address. */
struct shape {
	struct pkt_spec s; /* dst and dport filled in */
	uint8_t ext6; /* an IPv6 extension header of this type in front */
	bool trailer; /* 24 bytes after the IP packet */
};

#define C4 "203.0.113.7"
#define C6 "2001:db8:c::7"
/* one shape a line or two */
/* clang-format off */
static const struct shape shapes[] = {
	{ .s = { .family = 4, .src = C4, .proto = IPPROTO_TCP, .tcp_flags = 2,
		 .df = true, .payload_len = 20 } },
	{ .s = { .family = 4, .src = C4, .proto = IPPROTO_UDP, .payload_len = 30 } },
	{ .s = { .family = 6, .src = C6, .proto = IPPROTO_TCP, .tcp_flags = 0x10,
		 .payload_len = 20 } },
	{ .s = { .family = 6, .src = C6, .proto = IPPROTO_UDP, .payload_len = 20 } },
	/* TTL 1: ttl_low to a VIP */
	{ .s = { .family = 4, .src = C4, .proto = IPPROTO_TCP, .tcp_flags = 0x11,
		 .ttl = 1 } },
	{ .s = { .family = 6, .src = C6, .proto = IPPROTO_UDP, .ttl = 1 } },
	/* never a client: dropped to a VIP, the stack's to others */
	{ .s = { .family = 4, .src = "127.0.0.1", .proto = IPPROTO_TCP,
		 .tcp_flags = 2 } },
	{ .s = { .family = 6, .src = "::ffff:203.0.113.7", .proto = IPPROTO_TCP,
		 .tcp_flags = 2 } },
	/* fragments: first (MF), later (offset), IPv6's header */
	{ .s = { .family = 4, .src = C4, .proto = IPPROTO_UDP, .frag = 0x2000,
		 .payload_len = 16 } },
	{ .s = { .family = 4, .src = C4, .proto = IPPROTO_TCP, .frag = 0x0010,
		 .payload_len = 16 } },
	{ .s = { .family = 6, .src = C6, .proto = IPPROTO_UDP, .frag = 0x0001,
		 .payload_len = 16 } },
	/* IPv4 options, VLAN tags */
	{ .s = { .family = 4, .src = C4, .proto = IPPROTO_TCP, .tcp_flags = 2,
		 .ihl = 6 } },
	{ .s = { .family = 4, .src = C4, .proto = IPPROTO_TCP, .tcp_flags = 2,
		 .vlan = 7 } },
	{ .s = { .family = 6, .src = C6, .proto = IPPROTO_UDP, .vlan = 7,
		 .payload_len = 8 } },
	/* ICMP echo */
	{ .s = { .family = 4, .src = C4, .proto = IPPROTO_ICMP, .sport = 7,
		 .dport = 1, .payload_len = 16 } },
	{ .s = { .family = 6, .src = C6, .proto = IPPROTO_ICMPV6, .sport = 7,
		 .dport = 1, .payload_len = 16 } },
	/* a trailer after the IP packet */
	{ .s = { .family = 4, .src = C4, .proto = IPPROTO_TCP, .tcp_flags = 0x10,
		 .payload_len = 40 }, .trailer = true },
	{ .s = { .family = 6, .src = C6, .proto = IPPROTO_UDP, .payload_len = 40 },
	  .trailer = true },
	/* IPv6 extension headers */
	{ .s = { .family = 6, .src = C6, .proto = IPPROTO_TCP, .tcp_flags = 2 },
	  .ext6 = IPPROTO_HOPOPTS },
	{ .s = { .family = 6, .src = C6, .proto = IPPROTO_UDP, .payload_len = 4 },
	  .ext6 = IPPROTO_DSTOPTS },
	/* full-sized */
	{ .s = { .family = 4, .src = C4, .proto = IPPROTO_TCP, .tcp_flags = 0x10,
		 .df = true, .payload_len = 1400 } },
};
/* clang-format on */
#define NSHAPES (sizeof(shapes) / sizeof(shapes[0]))

/* Puts an 8-byte extension header of @type (PadN inside) after IPv6's. */
static void add_ext6(struct pkt *p, uint8_t type)
{
	size_t l3 = pkt_l3_off(p), at = l3 + 40;
	uint8_t *ip = p->data + l3;
	uint16_t plen = (uint16_t)(ip[4] << 8 | ip[5]) + 8;

	cr_assert_leq(p->len + 8, sizeof(p->data));
	memmove(p->data + at + 8, p->data + at, p->len - at);
	memcpy(p->data + at, (uint8_t[8]){ ip[6], 0, 1, 4, 0, 0, 0, 0 }, 8);
	ip[6] = type;
	ip[4] = (uint8_t)(plen >> 8);
	ip[5] = (uint8_t)plen;
	p->len += 8;
}

/*
 * The robustness suite's seeds, each shape to each kind of address, and
 * ICMP errors quoting a VIP's packet sent to the two non-VIP addresses.
 */
static size_t build_seeds(struct pkt *out)
{
	struct pkt_spec r4 = { .family = 4,
			       .src = "192.0.2.10",
			       .dst = C4,
			       .sport = 80,
			       .dport = 40000,
			       .proto = IPPROTO_TCP,
			       .payload_len = 100 };
	size_t n = FRAMES_NSEEDS;
	struct pkt q;

	find_collision4();
	for (int d = 0; d < NDSTS; d++) {
		cr_assert_eq(filter_bit(dst4[d]), d != DST_CLEAR,
			     "%s: filter bit %s", dst4[d],
			     d != DST_CLEAR ? "set" : "clear");
		cr_assert_eq(filter_bit(dst6[d]), d != DST_CLEAR,
			     "%s: filter bit %s", dst6[d],
			     d != DST_CLEAR ? "set" : "clear");
		cr_assert_eq(is_vip_addr(dst4[d]), d == DST_VIP);
		cr_assert_eq(is_vip_addr(dst6[d]), d == DST_VIP);
	}
	frames_seeds(out);
	for (size_t i = 0; i < NSHAPES; i++) {
		for (int d = 0; d < NDSTS; d++) {
			const struct shape *sh = &shapes[i];
			struct pkt_spec s = sh->s;
			struct pkt *p = &out[n++];

			s.dst = s.family == 4 ? dst4[d] : dst6[d];
			if (s.proto == IPPROTO_TCP || s.proto == IPPROTO_UDP) {
				s.sport = 40000 + i;
				s.dport = s.proto == IPPROTO_UDP ? 53 :
					  s.family == 4		 ? 80 :
								   443;
			}
			cr_assert_eq(pkt_build(p, &s), 0, "shape %zu builds",
				     i);
			if (sh->ext6)
				add_ext6(p, sh->ext6);
			if (sh->trailer) {
				memset(p->data + p->len, 0xee, 24);
				p->len += 24;
			}
		}
	}
	cr_assert_eq(pkt_build(&q, &r4), 0);
	cr_assert_eq(pkt_build_icmp_error(&out[n++], "203.0.113.254",
					  dst4[DST_CLEAR], 3, 4, 1400, &q, 0,
					  0),
		     0);
	cr_assert_eq(pkt_build_icmp_error(&out[n++], "203.0.113.254",
					  dst4[DST_COLLISION], 11, 0, 0, &q, 0,
					  0),
		     0);
	cr_assert_leq(n, MAX_SEEDS);
	return n;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Sets the IPv4 total length or IPv6 payload length, checksum kept right. */
static void set_ip_len(struct pkt *p, size_t l3, uint16_t v)
{
	uint8_t *ip = p->data + l3;
	size_t hlen = (ip[0] & 0xf) * 4u;

	if (ip[0] >> 4 == 6) {
		put16(ip + 4, v);
		return;
	}
	put16(ip + 2, v);
	put16(ip + 10, 0);
	if (l3 + hlen <= p->len)
		put16(ip + 10, pkt_csum_fold(pkt_sum16(ip, hlen, 0)));
}

/*
 * Every IP length of each seed up to 8 past its own (at most 200, and the
 * 8 either side of its own), then every TCP data offset and UDP length up
 * to 8 past its own, where the L4 header follows the IP header directly.
 */
static void each_length(const struct pkt *seeds, size_t n)
{
	static struct pkt in;

	for (size_t s = 0; s < n; s++) {
		size_t l3 = pkt_l3_off(&seeds[s]), l4, own, top;
		const uint8_t *ip = seeds[s].data + l3;
		uint8_t proto;

		if (ip[0] >> 4 == 4) {
			own = (size_t)(ip[2] << 8 | ip[3]);
			l4 = l3 + (ip[0] & 0xf) * 4u;
			proto = ip[9];
		} else {
			own = (size_t)(ip[4] << 8 | ip[5]);
			l4 = l3 + 40;
			proto = ip[6];
		}
		top = own + 8 < 200 ? own + 8 : 200;
		for (size_t v = 0; v <= own + 8; v++) {
			if (v > top && v + 8 < own)
				continue;
			in = seeds[s];
			set_ip_len(&in, l3, (uint16_t)v);
			diff_one(&in, "IP length", s, v, NULL);
		}
		if (proto == IPPROTO_TCP && l4 + 20 <= seeds[s].len) {
			for (size_t v = 0; v < 16; v++) {
				in = seeds[s];
				in.data[l4 + 12] = (uint8_t)(v << 4);
				diff_one(&in, "TCP data offset", s, v, NULL);
			}
		} else if (proto == IPPROTO_UDP && l4 + 8 <= seeds[s].len) {
			own = (size_t)(seeds[s].data[l4 + 4] << 8 |
				       seeds[s].data[l4 + 5]);
			for (size_t v = 0; v <= own + 8; v++) {
				in = seeds[s];
				put16(in.data + l4 + 4, (uint16_t)v);
				diff_one(&in, "UDP length", s, v, NULL);
			}
		}
	}
}

static void assert_same_totals(void)
{
	struct xlb_vip_stats vl[ENV_NVIPS], vr[ENV_NVIPS];
	struct xlb_counter bl[32], br[32];
	struct xlb_flow k, next;
	struct xlb_ct_entry el, er;
	size_t n = 0;
	void *prev = NULL;

	cr_assert_geq(xlb_vip_stats_read_range(&lb.env.maps, 0, ENV_NVIPS, vl),
		      0);
	cr_assert_geq(xlb_vip_stats_read_range(&ref.env.maps, 0, ENV_NVIPS, vr),
		      0);
	cr_assert_arr_eq(vl, vr, sizeof(vl), "the same per-VIP counters");
	cr_assert_geq(xlb_backend_stats_read_range(&lb.env.maps, 0, 32, bl), 0);
	cr_assert_geq(xlb_backend_stats_read_range(&ref.env.maps, 0, 32, br),
		      0);
	cr_assert_arr_eq(bl, br, sizeof(bl), "the same per-backend counters");

	/* the same conntrack entries: both tables saw the same operations */
	while (!bpf_map_get_next_key(lb.env.maps.conntrack, prev, &next)) {
		k = next;
		prev = &k;
		n++;
		cr_assert_eq(
			bpf_map_lookup_elem(lb.env.maps.conntrack, &k, &el), 0);
		cr_assert_eq(bpf_map_lookup_elem(ref.env.maps.conntrack, &k,
						 &er),
			     0, "conntrack entry %zu is in both tables", n);
		cr_assert(el.backend_id == er.backend_id &&
				  el.vip_id == er.vip_id &&
				  el.flags == er.flags,
			  "conntrack entry %zu is the same in both", n);
	}
	prev = NULL;
	while (!bpf_map_get_next_key(ref.env.maps.conntrack, prev, &next)) {
		k = next;
		prev = &k;
		n--;
	}
	cr_assert_eq(n, 0, "both tables hold as many entries");
}

Test(differential, shortcut_against_full_parse)
{
	static struct pkt seeds[MAX_SEEDS];
	size_t n = build_seeds(seeds), made;
	uint64_t v[3];

	made = frames_each_truncation(seeds, n, diff_one, NULL);
	each_length(seeds, n);
	frames_each_mutation(seeds, n, MUTATIONS, SEED, diff_one, NULL);
	assert_same_totals();

	for (int r = 0; r < NROUTES; r++)
		cr_log_info("differential: route %s: %llu frames (pass %llu, "
			    "drop %llu, tx %llu)",
			    route_names[r], (unsigned long long)routes[r],
			    (unsigned long long)verdicts[r][XDP_PASS],
			    (unsigned long long)verdicts[r][XDP_DROP],
			    (unsigned long long)verdicts[r][XDP_TX]);
	cr_log_info("differential: %llu frames from %zu seeds (%zu "
		    "truncated, %d mutated)",
		    (unsigned long long)frames, n, made, MUTATIONS);
	/* not vacuous: the shortcut was taken, and every other way too */
	cr_assert_gt(routes[ROUTE_PASS], 1000,
		     "the shortcut passed %llu frames",
		     (unsigned long long)routes[ROUTE_PASS]);
	cr_assert_gt(verdicts[ROUTE_MAYBE_VIP][XDP_TX], 1000,
		     "frames in the common shape reached backends");
	cr_assert_gt(verdicts[ROUTE_MAYBE_VIP][XDP_PASS], 100,
		     "and some with the filter bit set passed (collisions)");
	for (int i = 0; i < 3; i++)
		v[i] = verdicts[ROUTE_UNSURE][XDP_DROP + i];
	cr_assert(v[0] > 100 && v[1] > 100 && v[2] > 100,
		  "other shapes took the full parse to each verdict "
		  "(drop %llu, pass %llu, tx %llu)",
		  (unsigned long long)v[0], (unsigned long long)v[1],
		  (unsigned long long)v[2]);
	cr_assert_gt(lb.stats[XLB_EV_TTL_LOW].packets, 0);
	cr_assert_gt(lb.stats[XLB_EV_TRAILER_TRIMMED].packets, 0);
	cr_assert_gt(lb.stats[XLB_DROP_FRAGMENT].packets, 0);
	cr_assert_gt(lb.stats[XLB_PASS_MALFORMED].packets, 0);
	cr_assert_gt(lb.stats[XLB_DROP_MALFORMED].packets, 0);
	cr_assert_gt(lb.stats[XLB_DROP_SRC_LOOPBACK].packets, 0);
	cr_assert_gt(lb.stats[XLB_EV_CT_HIT].packets, 0);
}
