// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlb-decap: puts the backend decap program (bpf/xlb_decap.bpf.c) on an
 * interface, shows its counters and takes it off again. The work is in
 * decap.c; this file is the command line.
 *
 *   xlb-decap attach IFACE ADDR [ADDR...] [--mode native|skb]
 *   xlb-decap detach IFACE
 *   xlb-decap stats IFACE
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/addr.h"
#include "decap/decap.h"

enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1, /* the command could not be done; stderr says why */
	EXIT_USAGE = 2,
};

static int verbose;

static const char usage_text[] =
	"usage: xlb-decap [-v] attach IFACE ADDR [ADDR...] [--mode native|skb]\n"
	"       xlb-decap [-v] detach IFACE\n"
	"       xlb-decap [-v] stats IFACE\n"
	"\n"
	"attach  load xlb_decap and attach it to IFACE (native XDP by default):\n"
	"        IPIP/IP6IP6/4in6/6in4 packets to an ADDR (IPv4 or IPv6, up to\n"
	"        %d) lose their outer header; everything else passes untouched.\n"
	"        It stays attached after the tool exits.\n"
	"detach  take xlb_decap off IFACE (never another program)\n"
	"stats   show the program, its addresses and its counters\n"
	"  -v    show libbpf's messages\n";

static int usage(FILE *f)
{
	fprintf(f, usage_text, XLB_MAX_DECAP_ADDRS);
	return EXIT_USAGE;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	/* the tool's own message says what failed; -v shows libbpf's detail */
	if (!verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int failed(const char *cmd, const char *ifname, const char *why)
{
	fprintf(stderr, "xlb-decap: %s %s: %s\n", cmd, ifname, why);
	return EXIT_FAILED;
}

static int cmd_attach(const char *ifname, char **addrs, int n,
		      enum xlb_xdp_mode mode)
{
	struct xlb_addr_key keys[XLB_MAX_DECAP_ADDRS];
	char why[256];

	if (n > XLB_MAX_DECAP_ADDRS) {
		snprintf(why, sizeof(why), "at most %d addresses",
			 XLB_MAX_DECAP_ADDRS);
		return failed("attach", ifname, why);
	}
	memset(keys, 0, sizeof(keys));
	for (int i = 0; i < n; i++) {
		if (xlb_addr_parse(addrs[i], &keys[i].addr, &keys[i].family)) {
			snprintf(why, sizeof(why),
				 "\"%s\" is not an IPv4 or IPv6 address",
				 addrs[i]);
			return failed("attach", ifname, why);
		}
	}
	if (xlb_decap_attach(ifname, keys, (size_t)n, mode, why, sizeof(why)))
		return failed("attach", ifname, why);
	return EXIT_OK;
}

static int cmd_detach(const char *ifname)
{
	char why[256];

	if (xlb_decap_detach(ifname, why, sizeof(why)))
		return failed("detach", ifname, why);
	return EXIT_OK;
}

static int cmd_stats(const char *ifname)
{
	struct xlb_addr_key keys[XLB_MAX_DECAP_ADDRS];
	struct xlb_decap_handle h;
	char why[256], text[XLB_ADDR_STRLEN];
	struct xlb_counter c;
	size_t n;
	int err;

	if (xlb_decap_open(ifname, &h, why, sizeof(why)))
		return failed("stats", ifname, why);
	err = xlb_decap_addr_list(&h.maps, keys, XLB_MAX_DECAP_ADDRS, &n);
	if (err)
		goto out;
	printf("xlb_decap on %s: prog id %u, %s mode\naddresses:", ifname,
	       h.prog_id, xlb_xdp_mode_str(h.mode));
	for (size_t i = 0; i < n; i++)
		printf(" %s", xlb_addr_str(&keys[i].addr, keys[i].family, text,
					   sizeof(text)));
	printf("\n%-22s %14s %16s\n", "counter", "packets", "bytes");
	for (__u32 i = 0; i < h.maps.nstats; i++) {
		err = xlb_decap_stat_read(&h.maps, i, &c);
		if (err)
			goto out;
		printf("%-22s %14llu %16llu\n", xlb_decap_stat_name(i),
		       (unsigned long long)c.packets,
		       (unsigned long long)c.bytes);
	}
out:
	xlb_decap_close(&h);
	if (err) {
		snprintf(why, sizeof(why), "reading its maps: %s",
			 strerror(-err));
		return failed("stats", ifname, why);
	}
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	enum xlb_xdp_mode mode = XLB_XDP_NATIVE;
	int c, have_mode = 0, nargs;
	const char *cmd;

	while ((c = getopt_long(argc, argv, "m:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (xlb_xdp_mode_parse(optarg, &mode)) {
				fprintf(stderr, "xlb-decap: --mode takes native "
						"or skb, not \"%s\"\n", optarg);
				return EXIT_USAGE;
			}
			have_mode = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			return usage(stderr);
		}
	}
	libbpf_set_print(libbpf_print);
	nargs = argc - optind;
	if (nargs < 2)
		return usage(stderr);
	cmd = argv[optind];
	if (!strcmp(cmd, "attach") && nargs >= 3)
		return cmd_attach(argv[optind + 1], argv + optind + 2,
				  nargs - 2, mode);
	if (have_mode)
		return usage(stderr); /* --mode only means something to attach */
	if (!strcmp(cmd, "detach") && nargs == 2)
		return cmd_detach(argv[optind + 1]);
	if (!strcmp(cmd, "stats") && nargs == 2)
		return cmd_stats(argv[optind + 1]);
	return usage(stderr);
}
