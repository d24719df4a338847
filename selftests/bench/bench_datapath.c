// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ns per packet of the LB through BPF_PROG_TEST_RUN, per packet class,
 * beside the floor (the same template restore, then XDP_TX) in the same
 * run. Each timed run is checked: the verdict, the counter of the intended
 * outcome and event grew by exactly the repeat count, and the output is
 * what one plain run of the LB produces.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <xlb/abi.h>
#include <xlb/bench.h>

#include "lib/addr.h"
#include "bench_datapath.h"
#include "lib/conntrack.h"
#include "lib/lbmaps.h"
#include "lib/stats.h"
#include "lib/maglev.h"
#include "tools/pkt.h"
#include "xlb_bench.skel.h"

#define REPEAT 200000
#define RUNS 5
#define NBE 100
#define TABLE 65537
#define NONE 0xffffffffu

struct klass {
	const char *name;
	struct pkt_spec spec;
	__u32 flags;
	__u32 verdict;
	__u32 outcome;
	__u32 event;
};

static const struct klass classes[] = {
	{ "tcp4 SYN, new flow",
	  { .family = 4, .src = "203.0.113.7", .dst = "192.0.2.10",
	    .sport = 1, .dport = 80, .proto = IPPROTO_TCP, .tcp_flags = 0x02,
	    .df = true },
	  XLB_BENCH_F_NEW_FLOW, XDP_TX, XLB_TX_FORWARD, XLB_EV_CT_MISS },
	/* an ACK of a flow conntrack does not hold (a failover without sync):
	 * picked by Maglev and recorded, like a SYN */
	{ "tcp4 ACK, unknown flow",
	  { .family = 4, .src = "203.0.113.7", .dst = "192.0.2.10",
	    .sport = 1, .dport = 80, .proto = IPPROTO_TCP, .tcp_flags = 0x10,
	    .df = true, .payload_len = 64 },
	  XLB_BENCH_F_NEW_FLOW, XDP_TX, XLB_TX_FORWARD, XLB_EV_CT_MISS },
	{ "tcp4 established (conntrack hit)",
	  { .family = 4, .src = "203.0.113.7", .dst = "192.0.2.10",
	    .sport = 40000, .dport = 80, .proto = IPPROTO_TCP,
	    .tcp_flags = 0x10, .df = true, .payload_len = 64 },
	  0, XDP_TX, XLB_TX_FORWARD, XLB_EV_CT_HIT },
	{ "udp4 established",
	  { .family = 4, .src = "203.0.113.7", .dst = "192.0.2.10",
	    .sport = 40000, .dport = 53, .proto = IPPROTO_UDP,
	    .payload_len = 64 },
	  0, XDP_TX, XLB_TX_FORWARD, XLB_EV_CT_HIT },
	{ "tcp6 established",
	  { .family = 6, .src = "2001:db8:c::7", .dst = "2001:db8::10",
	    .sport = 40000, .dport = 443, .proto = IPPROTO_TCP,
	    .tcp_flags = 0x10, .payload_len = 64 },
	  0, XDP_TX, XLB_TX_FORWARD, XLB_EV_CT_HIT },
	{ "tcp6 SYN, new flow",
	  { .family = 6, .src = "2001:db8:c::7", .dst = "2001:db8::10",
	    .sport = 1, .dport = 443, .proto = IPPROTO_TCP,
	    .tcp_flags = 0x02 },
	  XLB_BENCH_F_NEW_FLOW, XDP_TX, XLB_TX_FORWARD, XLB_EV_CT_MISS },
	{ "non-VIP pass",
	  { .family = 4, .src = "203.0.113.7", .dst = "192.0.2.99",
	    .sport = 40000, .dport = 80, .proto = IPPROTO_TCP,
	    .tcp_flags = 0x10, .payload_len = 64 },
	  0, XDP_PASS, XLB_PASS_NOT_VIP, NONE },
};

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static int setup(struct xlb_bench *skel, struct xlb_lb_maps *m)
{
	static const char *vips[][2] = { { "192.0.2.10", "80" },
					 { "192.0.2.10", "53" },
					 { "2001:db8::10", "443" } };
	struct xlb_maglev_backend bes[NBE];
	struct xlb_config cfg = { .hash_seed = 42, .mtu = 1500 };
	__u32 *table;
	char addr[64];
	int err;

	err = xlb_maps_from_object(skel->obj, m);
	if (err)
		return err;
	inet_pton(AF_INET, "198.18.0.0", &cfg.encap_src4);
	inet_pton(AF_INET6, "2001:db8:ffff::", cfg.encap_src6.bytes);
	memcpy(cfg.nexthop_mac, PKT_MAC_ROUTER, 6);
	err = xlb_config_write(m, &cfg);
	for (__u32 i = 1; !err && i <= 2 * NBE; i++) {
		struct xlb_backend be = { .flags = XLB_BE_F_ACTIVE };

		if (i <= NBE)
			snprintf(addr, sizeof(addr), "198.51.%u.%u", 100 + i / 250,
				 i % 250 + 1);
		else
			snprintf(addr, sizeof(addr), "2001:db8:100::%x", i);
		if (xlb_addr_parse(addr, &be.addr, &be.family))
			return -EINVAL;
		err = xlb_backend_write(m, i, &be);
	}
	table = calloc(TABLE, sizeof(*table));
	if (!table)
		return -ENOMEM;
	for (__u32 v = 0; !err && v < 3; v++) {
		struct xlb_vip_key k = { .port = htons(atoi(vips[v][1])) };
		struct xlb_vip_info info = { .vip_id = v };
		__u8 fam;

		if (xlb_addr_parse(vips[v][0], &k.addr, &fam)) {
			err = -EINVAL;
			break;
		}
		k.family = fam;
		k.proto = v == 1 ? IPPROTO_UDP : IPPROTO_TCP;
		for (__u32 b = 0; b < NBE; b++)
			bes[b] = (struct xlb_maglev_backend){
				(fam == XLB_AF_INET ? 1 : NBE + 1) + b, 1 };
		err = xlb_vip_write(m, &k, &info, XLB_ADDR_F_ECHO) ?:
		      xlb_maglev_build(bes, NBE, cfg.hash_seed, TABLE, table) ?:
		      xlb_table_install(m, v, table, TABLE);
	}
	free(table);
	return err;
}

/*
 * New-flow classes must meet flows conntrack has never seen: every run
 * starts its flow counter where the previous one stopped.
 */
static __u64 next_flow = 1;

static int set_template(int fd, const struct pkt *p, __u32 flags)
{
	struct xlb_bench_tpl t = { .len = p->len, .flags = flags,
				   .iter = next_flow };
	size_t l3 = pkt_l3_off(p), ip_len;
	__u32 zero = 0;

	if (p->len > sizeof(p->data))
		return -EINVAL;
	memcpy(t.data, p->data,
	       p->len < XLB_BENCH_HDR ? p->len : XLB_BENCH_HDR);
	if (p->data[l3] >> 4 == 4) {
		t.sport_off = l3 + (p->data[l3] & 0xf) * 4;
		t.saddr_off = l3 + 14;
		t.ip4_csum_off = l3 + 10;
		ip_len = (size_t)p->data[l3 + 2] << 8 | p->data[l3 + 3];
	} else {
		t.sport_off = l3 + 40;
		t.saddr_off = l3 + 8 + 14;
		ip_len = 40 + ((size_t)p->data[l3 + 4] << 8 | p->data[l3 + 5]);
	}
	/*
	 * The LB cuts the Ethernet padding of what it forwards; the wrapper
	 * tells a forwarded frame from a passed one by its length, so the
	 * padding must not equal what encapsulation adds (20 or 40 bytes).
	 */
	if (l3 + ip_len > p->len || p->len - (l3 + ip_len) >= 20)
		return -EINVAL;
	t.trailer = p->len - (l3 + ip_len);
	return bpf_map_update_elem(fd, &zero, &t, BPF_ANY) ? -errno : 0;
}

/* One timed run; returns ns per packet or 0 on failure. */
static __u32 timed(int prog, const struct pkt *in, struct pkt *out,
		   __u32 repeat, __u32 *verdict)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in->data,
		    .data_size_in = in->len, .data_out = out->data,
		    .data_size_out = sizeof(out->data), .repeat = repeat);

	if (bpf_prog_test_run_opts(prog, &o))
		return 0;
	out->len = o.data_size_out;
	*verdict = o.retval;
	return o.duration ? o.duration : 1;
}

static __u64 counter(const struct xlb_lb_maps *m, __u32 idx)
{
	struct xlb_counter c = {};

	if (idx == NONE || xlb_stat_read(m, idx, &c))
		return 0;
	return c.packets;
}

struct progs {
	int lb, floor, bare, tpl;
};

/*
 * Times class @k RUNS times (the LB, the floor and the bare XDP_TX in each
 * run) and checks every LB run did the intended work; the medians go to
 * @med: LB, floor, bare.
 */
static int measure(const struct progs *pr, const struct xlb_lb_maps *m,
		   const struct klass *k, __u32 med[3])
{
	__u32 lb_ns[RUNS], fl_ns[RUNS], bare_ns[RUNS], v, v1;
	struct pkt in, out, once;
	int err;

	if (pkt_build(&in, &k->spec) || set_template(pr->tpl, &in, 0))
		return -EINVAL;
	/* a plain run: the reference output, and the flow's entry */
	if (!timed(pr->lb, &in, &once, 1, &v1) || v1 != k->verdict) {
		fprintf(stderr, "xlb-bench: %s: reference run gave %u\n",
			k->name, v1);
		return -EIO;
	}
	for (int r = 0; r < RUNS; r++) {
		__u64 o0 = counter(m, k->outcome);
		__u64 e0 = counter(m, k->event);
		__u64 c0 = counter(m, XLB_EV_CT_CACHE_HIT);

		if ((err = set_template(pr->tpl, &in, k->flags)))
			return err;
		lb_ns[r] = timed(pr->lb, &in, &out, REPEAT, &v);
		next_flow += REPEAT;
		/* prove the timed work was the intended work */
		if (!lb_ns[r] || v != k->verdict ||
		    counter(m, k->outcome) - o0 != REPEAT ||
		    (k->event != NONE && counter(m, k->event) - e0 != REPEAT) ||
		    /* an established flow is served by the flow cache: the
		     * first packet of a run, and one at a 250 ms refresh,
		     * may read conntrack instead */
		    (k->event == XLB_EV_CT_HIT &&
		     counter(m, XLB_EV_CT_CACHE_HIT) - c0 + 2 < REPEAT) ||
		    out.len != once.len ||
		    (!k->flags && memcmp(out.data, once.data, out.len))) {
			fprintf(stderr,
				"xlb-bench: %s: timed run did not do the intended work "
				"(verdict %u, outcome +%llu, event +%llu, cache hits +%llu, "
				"len %zu/%zu)\n",
				k->name, v,
				(unsigned long long)(counter(m, k->outcome) -
						     o0),
				(unsigned long long)(counter(m, k->event) - e0),
				(unsigned long long)(counter(m,
							     XLB_EV_CT_CACHE_HIT) -
						     c0),
				out.len, once.len);
			return -EIO;
		}
		if ((err = set_template(pr->tpl, &in, k->flags)))
			return err;
		fl_ns[r] = timed(pr->floor, &in, &out, REPEAT, &v);
		next_flow += REPEAT;
		bare_ns[r] = timed(pr->bare, &in, &out, REPEAT, &v);
		if (!fl_ns[r] || !bare_ns[r])
			return -EIO;
	}
	qsort(lb_ns, RUNS, sizeof(__u32), cmp_u32);
	qsort(fl_ns, RUNS, sizeof(__u32), cmp_u32);
	qsort(bare_ns, RUNS, sizeof(__u32), cmp_u32);
	med[0] = lb_ns[RUNS / 2];
	med[1] = fl_ns[RUNS / 2];
	med[2] = bare_ns[RUNS / 2];
	return 0;
}

/*
 * New flows are timed against a full conntrack table, as on a node that has
 * run for a while: every insert evicts.
 * @k's flows are sent, untimed, until the table holds as many entries as
 * it has room for; the outcome counter proves they were forwarded.
 */
static int fill_conntrack(const struct progs *pr, const struct xlb_lb_maps *m,
			  const struct klass *k, __u32 n)
{
	__u32 v;
	__u64 o0 = counter(m, k->outcome);
	struct pkt in, out;
	int err;

	if (pkt_build(&in, &k->spec))
		return -EINVAL;
	if ((err = set_template(pr->tpl, &in, k->flags)))
		return err;
	if (!timed(pr->lb, &in, &out, n, &v) || v != k->verdict ||
	    counter(m, k->outcome) - o0 != n) {
		fprintf(stderr, "xlb-bench: filling conntrack with %u flows failed\n", n);
		return -EIO;
	}
	next_flow += n;
	return 0;
}

static void progs_of(struct xlb_bench *skel, struct progs *pr)
{
	pr->lb = bpf_program__fd(skel->progs.xlb_bench_lb);
	pr->floor = bpf_program__fd(skel->progs.xlb_bench_floor);
	pr->bare = bpf_program__fd(skel->progs.xlb_bench_tx);
	pr->tpl = bpf_map__fd(skel->maps.xlb_bench_tpl);
}

/*
 * How cost grows: one IPv4 VIP under test (192.0.2.10:80) among @nvips
 * (the others on 10.0.x.y:80, every address distinct), @nbe backends per
 * VIP, Maglev tables of @size slots, in a fresh object each time.
 */
static int setup_scale(struct xlb_bench *skel, struct xlb_lb_maps *m,
		       __u32 nvips, __u32 nbe, __u32 size)
{
	struct xlb_config cfg = { .hash_seed = 42, .mtu = 1500 };
	struct xlb_maglev_backend *bes;
	__u32 *table;
	int err;

	err = xlb_maps_from_object(skel->obj, m);
	if (err)
		return err;
	inet_pton(AF_INET, "198.18.0.0", &cfg.encap_src4);
	memcpy(cfg.nexthop_mac, PKT_MAC_ROUTER, 6);
	err = xlb_config_write(m, &cfg);
	for (__u32 i = 1; !err && i <= nbe; i++) {
		struct xlb_backend be = { .flags = XLB_BE_F_ACTIVE,
					  .family = XLB_AF_INET };

		be.addr.v4 = htonl(0xc6330000 + i); /* 198.51.0.0/16 */
		err = xlb_backend_write(m, i, &be);
	}
	if (err)
		return err;
	table = calloc(size, sizeof(*table));
	bes = calloc(nbe, sizeof(*bes));
	if (!table || !bes) {
		free(table);
		free(bes);
		return -ENOMEM;
	}
	for (__u32 b = 0; b < nbe; b++)
		bes[b] = (struct xlb_maglev_backend){ b + 1, 1 };
	err = xlb_maglev_build(bes, nbe, cfg.hash_seed, size, table);
	for (__u32 v = 0; !err && v < nvips; v++) {
		struct xlb_vip_key k = { .port = htons(80),
					 .proto = IPPROTO_TCP,
					 .family = XLB_AF_INET };
		struct xlb_vip_info info = { .vip_id = v };

		k.addr.v4 = v ? htonl(0x0a000000 + v) : htonl(0xc000020a);
		err = xlb_vip_write(m, &k, &info, 0) ?:
		      xlb_table_install(m, v, table, size);
	}
	free(table);
	free(bes);
	return err;
}

static const struct klass *klass_named(const char *prefix)
{
	for (size_t c = 0; c < sizeof(classes) / sizeof(classes[0]); c++)
		if (!strncmp(classes[c].name, prefix, strlen(prefix)))
			return &classes[c];
	return NULL;
}

static int bench_scale(FILE *md, FILE *json)
{
	static const struct {
		__u32 vips, backends, size;
	} pts[] = {
		{ 1, 16, 65537 },    { 1000, 16, 65537 }, { 1, 1000, 65537 },
		{ 1, 16000, 65537 }, { 1, 16, 1048573 },  { 1, 1000, 1048573 },
	};
	/* the established and new-flow classes of the table above */
	const struct klass *est = klass_named("tcp4 established");
	const struct klass *syn = klass_named("tcp4 SYN");
	int err = 0;

	fprintf(md, "\n### Per-packet cost against VIPs, backends per VIP and Maglev table size "
		    "(tcp4, repeat %u, median of %u runs)\n\n", REPEAT, RUNS);
	fprintf(md, "| VIPs | backends per VIP | table size | established ns | ratio | "
		    "new flow ns | ratio | floor ns |\n");
	fprintf(md, "|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < sizeof(pts) / sizeof(pts[0]); i++) {
		struct xlb_bench *skel = xlb_bench__open_and_load();
		__u32 e[3], n[3];
		struct xlb_lb_maps m;
		struct progs pr;

		if (!skel) {
			fprintf(stderr, "xlb-bench: load xlb_bench.bpf.o: %s\n",
				strerror(errno));
			return -1;
		}
		progs_of(skel, &pr);
		err = setup_scale(skel, &m, pts[i].vips, pts[i].backends,
				  pts[i].size);
		if (err)
			fprintf(stderr, "xlb-bench: scale: configure maps: %s\n",
				strerror(-err));
		err = err ?: measure(&pr, &m, est, e) ?:
		      fill_conntrack(&pr, &m, syn,
				     bpf_map__max_entries(skel->maps.xlb_conntrack)) ?:
		      measure(&pr, &m, syn, n);
		xlb_bench__destroy(skel);
		if (err)
			return err;
		fprintf(md, "| %u | %u | %u | %u | %.2f | %u | %.2f | %u |\n",
			pts[i].vips, pts[i].backends, pts[i].size, e[0],
			(double)e[0] / e[1], n[0], (double)n[0] / n[1], e[1]);
		if (json)
			fprintf(json,
				",\n{\"bench\":\"per_packet_scale\",\"vips\":%u,\"backends\":%u,"
				"\"table_size\":%u,\"established_ns\":%u,\"established_floor_ns\":%u,"
				"\"new_flow_ns\":%u,\"new_flow_floor_ns\":%u,\"repeat\":%u,\"runs\":%u}",
				pts[i].vips, pts[i].backends, pts[i].size, e[0], e[1],
				n[0], n[1], REPEAT, RUNS);
	}
	return 0;
}

/*
 * The parts' flows 0 .. @n - 1 (xlb/bench.h, XLB_BENCH_PART_SRC), for @n
 * the table's size: the table is then full of them, as on a node carrying
 * that many flows.
 */
static int parts_fill(int fd, const struct xlb_flow *key, __u32 n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	struct xlb_flow *keys = calloc(n, sizeof(*keys));
	struct xlb_ct_entry *vals = calloc(n, sizeof(*vals));
	__u32 count = n;
	int err = 0;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (__u32 i = 0; i < n; i++) {
		keys[i] = *key;
		keys[i].src.v4 = htonl(XLB_BENCH_PART_SRC | i);
		vals[i].backend_id = 1;
	}
	if (bpf_map_update_batch(fd, keys, vals, &count, &o))
		err = -errno;
	else if (count != n)
		err = -EIO;
out:
	free(keys);
	free(vals);
	return err;
}

/*
 * What the parts cost: each xlb_part_* program of xlb_bench.bpf.c beside
 * the bare XDP_TX, RUNS interleaved runs of REPEAT on the tcp4 established
 * class's frame, medians, in an object of their own whose conntrack table
 * is full of the parts' flows. Every run must have done its work every
 * iteration (xlb_part_done grew by the repeat count: every lookup hit,
 * every insert succeeded, every head move) and end with XDP_TX.
 */
static int bench_parts(FILE *md, FILE *json, bool *first)
{
	struct xlb_bench *skel = xlb_bench__open_and_load();
	const struct klass *k = klass_named("tcp4 established");
	__u32 ns[RUNS], bare[RUNS], v, bare_med, size;
	struct pkt in, out;
	struct xlb_flow *f;
	int err = 0;

	if (!skel) {
		fprintf(stderr, "xlb-bench: parts: load xlb_bench.bpf.o: %s\n",
			strerror(errno));
		return -1;
	}
	const struct {
		const char *key, *name;
		struct bpf_program *prog;
	} parts[] = {
		{ "call", "one kernel call (bpf_xdp_adjust_head by 0 bytes)",
		  skel->progs.xlb_part_call },
		{ "head",
		  "room for an outer IPv4 header and back (two head moves)",
		  skel->progs.xlb_part_head },
		{ "ct_hit",
		  "conntrack lookup, hit, one flow (xlb_conntrack, 40-byte key)",
		  skel->progs.xlb_part_ct_hit },
		{ "load_cold",
		  "one load from memory no cache holds (64 MiB array, inlined)",
		  skel->progs.xlb_part_load_cold },
		{ "ct_hit_cold",
		  "conntrack lookup, hit, a different flow of the full table each time",
		  skel->progs.xlb_part_ct_hit_cold },
		{ "ct_new",
		  "conntrack lookup that misses, then the insert (full table: evicts)",
		  skel->progs.xlb_part_ct_new },
		{ "counter", "one per-CPU counter (packets and bytes)",
		  skel->progs.xlb_part_counter_add },
	};

	f = &skel->bss->xlb_part_key;
	if (!k || pkt_build(&in, &k->spec) ||
	    xlb_addr_parse(k->spec.dst, &f->dst, &f->family)) {
		err = -EINVAL;
		goto out;
	}
	f->src.v4 = htonl(XLB_BENCH_PART_SRC); /* flow 0 of the parts' flows */
	f->sport = htons(k->spec.sport);
	f->dport = htons(k->spec.dport);
	f->proto = k->spec.proto;
	/* the programs' flow numbers wrap at the table's compiled-in size */
	size = bpf_map__max_entries(skel->maps.xlb_conntrack);
	if (size != XLB_CT_ENTRIES || size > 1u << 23) {
		fprintf(stderr,
			"xlb-bench: parts: conntrack holds %u, not %u\n", size,
			XLB_CT_ENTRIES);
		err = -EINVAL;
		goto out;
	}
	if ((err = parts_fill(bpf_map__fd(skel->maps.xlb_conntrack), f,
			      size))) {
		fprintf(stderr,
			"xlb-bench: parts: fill conntrack with %u flows: %s\n",
			size, strerror(-err));
		goto out;
	}
	fprintf(md,
		"\n### What the parts cost, BPF_PROG_TEST_RUN (repeat %u, median of %u runs; "
		"conntrack full, %u flows)\n\n",
		REPEAT, RUNS, size);
	fprintf(md,
		"| part | ns/pkt | over the bare XDP_TX |\n|---|---:|---:|\n");
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		struct bpf_program *prog = parts[i].prog;

		for (int r = 0; r < RUNS; r++) {
			__u64 d0 = skel->bss->xlb_part_done;

			ns[r] = timed(bpf_program__fd(prog), &in, &out, REPEAT,
				      &v);
			if (!ns[r] || v != XDP_TX ||
			    skel->bss->xlb_part_done - d0 != REPEAT) {
				fprintf(stderr,
					"xlb-bench: parts: %s: verdict %u, work done %llu of %u "
					"iterations\n",
					parts[i].name, v,
					(unsigned long long)(skel->bss->xlb_part_done -
							     d0),
					REPEAT);
				err = -EIO;
				goto out;
			}
			bare[r] =
				timed(bpf_program__fd(skel->progs.xlb_bench_tx),
				      &in, &out, REPEAT, &v);
			if (!bare[r]) {
				err = -EIO;
				goto out;
			}
		}
		qsort(ns, RUNS, sizeof(__u32), cmp_u32);
		qsort(bare, RUNS, sizeof(__u32), cmp_u32);
		bare_med = bare[RUNS / 2];
		if (!i)
			fprintf(md, "| bare XDP_TX | %u | |\n", bare_med);
		fprintf(md, "| %s | %u | %+d |\n", parts[i].name, ns[RUNS / 2],
			(int)ns[RUNS / 2] - (int)bare_med);
		if (json)
			fprintf(json,
				"%s{\"bench\":\"per_packet_part\",\"part\":\"%s\",\"ns\":%u,"
				"\"bare_tx_ns\":%u,\"repeat\":%u,\"runs\":%u}",
				*first ? "" : ",\n", parts[i].key, ns[RUNS / 2],
				bare_med, REPEAT, RUNS);
		*first = false;
	}
out:
	xlb_bench__destroy(skel);
	return err;
}

int bench_datapath_run(FILE *md, FILE *json)
{
	struct xlb_bench *skel = xlb_bench__open_and_load();
	const char *only = getenv("XLB_BENCH_ONLY");
	struct xlb_lb_maps m;
	struct progs pr;
	bool first = true, filled = false;
	int err = 0;

	if (!skel) {
		fprintf(stderr, "xlb-bench: load xlb_bench.bpf.o: %s\n",
			strerror(errno));
		return -1;
	}
	err = setup(skel, &m);
	if (err) {
		fprintf(stderr, "xlb-bench: configure maps: %s\n", strerror(-err));
		goto out;
	}
	progs_of(skel, &pr);

	/* XLB_BENCH_ONLY=parts: the parts' table alone */
	if (!only || strcmp(only, "parts")) {
		fprintf(md,
			"\n### Per-packet cost, BPF_PROG_TEST_RUN (repeat %u, median of %u runs)\n\n",
			REPEAT, RUNS);
		fprintf(md,
			"| class | xlb ns/pkt | floor ns/pkt | ratio | bare XDP_TX ns/pkt |\n");
		fprintf(md, "|---|---:|---:|---:|---:|\n");
	}
	for (size_t c = 0; c < sizeof(classes) / sizeof(classes[0]); c++) {
		const struct klass *k = &classes[c];
		__u32 med[3];

		/* XLB_BENCH_ONLY=substring: one class, e.g. for perf record */
		if (only && strcmp(only, "datapath") && !strstr(k->name, only))
			continue;
		if (k->flags & XLB_BENCH_F_NEW_FLOW && !filled) {
			if ((err = fill_conntrack(&pr, &m, k,
						  bpf_map__max_entries(skel->maps.xlb_conntrack))))
				goto out;
			filled = true;
		}
		if ((err = measure(&pr, &m, k, med)))
			goto out;
		fprintf(md, "| %s | %u | %u | %.2f | %u |\n", k->name, med[0],
			med[1], (double)med[0] / med[1], med[2]);
		if (json)
			fprintf(json,
				"%s{\"bench\":\"per_packet\",\"class\":\"%s\",\"xlb_ns\":%u,"
				"\"floor_ns\":%u,\"bare_tx_ns\":%u,\"repeat\":%u,\"runs\":%u}",
				first ? "" : ",\n", k->name, med[0], med[1], med[2],
				REPEAT, RUNS);
		first = false;
	}
	if (!only || !strcmp(only, "datapath") || !strcmp(only, "parts")) {
		if ((err = bench_parts(md, json, &first)))
			goto out;
	}
	xlb_bench__destroy(skel);
	skel = NULL;
	if (!only || !strcmp(only, "scale"))
		err = bench_scale(md, json);
out:
	xlb_bench__destroy(skel);
	return err;
}
