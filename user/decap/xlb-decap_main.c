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
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/addr.h"
#include "decap/decap.h"
#include "lib/opt.h"

#define XLB_STR2(x) #x
#define XLB_STR(x) XLB_STR2(x)
#define EXIT_OK XLB_EXIT_OK
#define EXIT_FAILED XLB_EXIT_FAILED

static int verbose;

static const char commands_text[] =
	"\n"
	"attach  load xlb_decap and attach it to IFACE (native XDP by default):\n"
	"        IPIP/IP6IP6/4in6/6in4 packets to an ADDR (IPv4 or IPv6, up to\n"
	"        " XLB_STR(XLB_MAX_DECAP_ADDRS) ") lose their outer header; everything else passes untouched.\n"
	"        It stays attached after the tool exits.\n"
	"detach  take xlb_decap off IFACE (never another program)\n"
	"stats   show the program, its addresses and its counters\n";

static const struct xlb_opt decap_table[];
static const struct xlb_opts decap_opts;

static int usage(FILE *f)
{
	(void)f;
	return xlb_opt_fail(&decap_opts, "a command and its interface are needed");
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

struct decap_opts {
	__u32 mode; /* enum xlb_xdp_mode */
	bool verbose;
};

static const struct xlb_opt decap_table[] = {
	XLB_OPT_WORD("mode", 'm', struct decap_opts, mode, xlb_words_xdp_mode,
		     "where attach runs XDP (default native)"),
	XLB_OPT_FLAG("verbose", 'v', struct decap_opts, verbose,
		     "show libbpf's messages"),
};

static const struct xlb_opts decap_opts = {
	.prog = "xlb-decap",
	.usage = "[-v] attach IFACE ADDR [ADDR...] [--mode native|skb] | detach IFACE | stats IFACE",
	.epilog = commands_text,
	.opts = decap_table,
	.nopts = sizeof(decap_table) / sizeof(decap_table[0]),
};

int main(int argc, char **argv)
{
	struct decap_opts o = { .mode = XLB_XDP_NATIVE };
	struct xlb_opt_result res;
	const char *cmd;
	char **pos;
	int ret, nargs;

	ret = xlb_opt_run(&decap_opts, argc - 1, argv + 1, &o, &res);
	if (ret >= 0)
		return ret;
	verbose = o.verbose;
	libbpf_set_print(libbpf_print);
	nargs = res.npos;
	pos = res.pos;
	if (nargs < 2)
		return usage(stderr);
	cmd = pos[0];
	if (!strcmp(cmd, "attach") && nargs >= 3)
		return cmd_attach(pos[1], pos + 2, nargs - 2,
				  (enum xlb_xdp_mode)o.mode);
	if (xlb_opt_given(&res, 0)) /* --mode only means something to attach */
		return xlb_opt_fail(&decap_opts, "--mode is for attach only");
	if (!strcmp(cmd, "detach") && nargs == 2)
		return cmd_detach(pos[1]);
	if (!strcmp(cmd, "stats") && nargs == 2)
		return cmd_stats(pos[1]);
	return usage(stderr);
}
