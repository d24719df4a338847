// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlb-sim: runs the real xlb_lb program on packets through BPF_PROG_TEST_RUN,
 * no NIC needed. One VIP, three weighted backends: shows where new flows
 * go, that established flows keep their backend when one is drained, and
 * the counters. `make run` starts it.
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

#include "lib/addr.h"
#include "lib/lbmaps.h"
#include "lib/stats.h"
#include "lib/maglev.h"
#include "lib/opt.h"
#include "tools/pkt.h"
#include "xlb_lb.skel.h"

#define VIP "192.0.2.10"
#define NBE 3
#define M XLB_MAGLEV_DEFAULT_SIZE

static const struct {
	__u32 id;
	const char *addr;
	__u32 weight;
} backends[NBE] = {
	{ 1, "198.51.100.1", 1 },
	{ 2, "198.51.100.2", 1 },
	{ 3, "198.51.100.3", 2 },
};

static int install(struct xlb_lb_maps *m, const __u32 *weights, __u32 *table)
{
	struct xlb_maglev_backend bes[NBE];

	for (int i = 0; i < NBE; i++)
		bes[i] = (struct xlb_maglev_backend){ backends[i].id, weights[i] };
	return xlb_maglev_build(bes, NBE, 42, M, table) ?:
	       xlb_table_install(m, 0, table, M);
}

/* Sends one packet; returns the backend index it was tunnelled to, or -1. */
static int send_flow(int prog, const char *client, __u16 sport, __u8 flags)
{
	struct pkt_spec s = { .family = 4, .src = client, .dst = VIP,
			      .sport = sport, .dport = 80,
			      .proto = IPPROTO_TCP, .tcp_flags = flags,
			      .df = true };
	struct pkt in, out;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_out = out.data,
		    .data_size_out = sizeof(out.data), .repeat = 1);
	struct in_addr dst;

	if (pkt_build(&in, &s))
		return -1;
	o.data_in = in.data;
	o.data_size_in = in.len;
	if (bpf_prog_test_run_opts(prog, &o) || o.retval != XDP_TX)
		return -1;
	/* outer IPv4 destination: Ethernet 14 + 16 */
	memcpy(&dst, out.data + 14 + 16, 4);
	for (int i = 0; i < NBE; i++)
		if (!strcmp(inet_ntoa(dst), backends[i].addr))
			return i;
	return -1;
}

static void print_counts(const char *title, const unsigned *n, unsigned total)
{
	printf("%s\n", title);
	for (int i = 0; i < NBE; i++)
		printf("  backend %u %-14s %6u flows  %5.1f%%\n", backends[i].id,
		       backends[i].addr, n[i], 100.0 * n[i] / total);
}

struct sim_opts {
	__u32 flows;
};

static const struct xlb_opt sim_table[] = {
	XLB_OPT_NUM("flows", 'n', struct sim_opts, flows, "FLOWS", 1, 64000,
		    "flows to send through the table"),
};

static const struct xlb_opts sim_opts = {
	.prog = "xlb-sim",
	.usage = "[-n FLOWS]",
	.opts = sim_table,
	.nopts = sizeof(sim_table) / sizeof(sim_table[0]),
};

int main(int argc, char **argv)
{
	struct sim_opts o = { .flows = 30000 };
	struct xlb_opt_result res;
	int ret;
	unsigned flows = 30000, n[NBE] = {}, moved = 0, kept = 0;
	__u32 weights[NBE], *table = NULL;
	struct xlb_config cfg = { .hash_seed = 42, .mtu = 1500 };
	struct xlb_vip_key k = { .port = htons(80), .proto = IPPROTO_TCP };
	struct xlb_vip_info info = { .vip_id = 0, .mode = XLB_FWD_TUNNEL };
	struct xlb_lb *skel;
	struct xlb_lb_maps m;
	int *first = NULL, prog, err;
	__u8 fam;

	ret = xlb_opt_run(&sim_opts, argc - 1, argv + 1, &o, &res);
	if (ret >= 0)
		return ret;
	if (res.npos)
		return xlb_opt_fail(&sim_opts, "takes no arguments");
	flows = o.flows;
	skel = xlb_lb__open_and_load();
	if (!skel) {
		fprintf(stderr, "xlb-sim: load xlb_lb.bpf.o: %s (run as root)\n",
			strerror(errno));
		return 1;
	}
	table = calloc(M, sizeof(*table));
	first = calloc(flows, sizeof(*first));
	err = !table || !first ? -ENOMEM : xlb_maps_from_object(skel->obj, &m);
	if (err)
		goto out;
	memcpy(cfg.nexthop_mac, PKT_MAC_ROUTER, 6);
	inet_pton(AF_INET, "198.18.0.0", &cfg.encap_src4);
	xlb_addr_parse(VIP, &k.addr, &fam);
	k.family = fam;
	err = xlb_config_write(&m, &cfg) ?:
	      xlb_vip_write(&m, &k, &info, XLB_ADDR_F_ECHO);
	for (int i = 0; !err && i < NBE; i++) {
		struct xlb_backend be = { .flags = XLB_BE_F_ACTIVE };

		xlb_addr_parse(backends[i].addr, &be.addr, &be.family);
		err = xlb_backend_write(&m, backends[i].id, &be);
		weights[i] = backends[i].weight;
	}
	if (err || (err = install(&m, weights, table)))
		goto out;
	prog = bpf_program__fd(skel->progs.xlb_lb);

	printf("xlb-sim: VIP %s:80/tcp, IPIP to 3 backends (weights 1:1:2), "
	       "Maglev M=%u, real xlb_lb via BPF_PROG_TEST_RUN\n\n", VIP, M);
	for (unsigned f = 0; f < flows; f++) {
		first[f] = send_flow(prog, "203.0.113.7", 1024 + f, 0x02);
		if (first[f] < 0) {
			err = -EIO;
			goto out;
		}
		n[first[f]]++;
	}
	print_counts("new flows (SYN):", n, flows);

	printf("\ndraining backend 2 (weight 0) and swapping the table...\n");
	weights[1] = 0;
	if ((err = install(&m, weights, table)))
		goto out;
	memset(n, 0, sizeof(n));
	for (unsigned f = 0; f < flows; f++) {
		int b = send_flow(prog, "203.0.113.7", 1024 + f, 0x10);

		if (b < 0) {
			err = -EIO;
			goto out;
		}
		b == first[f] ? kept++ : moved++;
	}
	printf("established flows (ACK): %u kept their backend, %u moved\n",
	       kept, moved);
	for (unsigned f = 0; f < flows; f++) {
		int b = send_flow(prog, "203.0.113.8", 1024 + f, 0x02);

		if (b < 0) {
			err = -EIO;
			goto out;
		}
		n[b]++;
	}
	print_counts("new flows after the drain:", n, flows);

	printf("\ncounters (xlb_stats, summed over CPUs):\n");
	{
		struct xlb_counter ctr[XLB_STAT_MAX];
		int n = xlb_stats_read_all(&m, ctr);

		for (int i = 0; i < n; i++)
			if (ctr[i].packets)
				printf("  %-22s %8llu  %s\n",
				       xlb_stat_descs[i].name,
				       (unsigned long long)ctr[i].packets,
				       xlb_stat_descs[i].help);
	}
	printf("\nnext: `make test` runs the suite; README.md explains modes and maps.\n");
out:
	if (err)
		fprintf(stderr, "xlb-sim: %s\n", strerror(-err));
	free(table);
	free(first);
	xlb_lb__destroy(skel);
	return err ? 1 : 0;
}
