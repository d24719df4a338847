// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Option parser tests (lib/opt.h): every type with good and bad values and
 * the exact message, ranges, required options, unknown options and missing
 * values, positionals in order, and a generated help that names every
 * option of the table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <criterion/criterion.h>

#include "lib/opt.h"

TestSuite(opt);

struct o {
	bool json;
	__u32 weight;
	const char *sock;
	struct xlb_opt_addr addr;
	__u8 mac[6];
	char ifname[XLB_OPT_IFNAMSIZ];
	__u32 proto;
};

static const struct xlb_opt table[] = {
	XLB_OPT_FLAG("json", 'j', struct o, json, "print JSON"),
	XLB_OPT_NUM("weight", 'w', struct o, weight, "W", 0, 65535,
		    "the backend's weight"),
	XLB_OPT_OF("socket", 's', XLB_OPT_STR, struct o, sock, "PATH",
		   "the control socket"),
	XLB_OPT_OF("address", 0, XLB_OPT_ADDR, struct o, addr, "ADDR",
		   "an address"),
	XLB_OPT_OF("mac", 0, XLB_OPT_MAC, struct o, mac, "MAC", "a MAC"),
	XLB_OPT_OF("dev", 'i', XLB_OPT_IFNAME, struct o, ifname, "IFACE",
		   "an interface"),
	XLB_OPT_WORD("proto", 0, struct o, proto, xlb_words_proto,
		     "the protocol"),
};

static const struct xlb_opts set = {
	.prog = "xlb",
	.cmd = "backend add",
	.usage = "VIP ID [OPTIONS]",
	.opts = table,
	.nopts = sizeof(table) / sizeof(table[0]),
};

/* Splits @line on blanks into a fresh argv (owned by a static buffer). */
static int split(const char *line, char **argv)
{
	static char buf[512];
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t; t = strtok(NULL, " "))
		argv[n++] = t;
	return n;
}

static int run(const char *line, struct o *o, struct xlb_opt_result *r,
	       char *err)
{
	static char *argv[32]; /* r->pos points into it after we return */
	int argc = split(line, argv);

	memset(o, 0, sizeof(*o));
	return xlb_opt_parse(&set, argc, argv, o, r, err, 256);
}

Test(opt, every_type_reads_its_value)
{
	struct xlb_opt_result r;
	char err[256];
	struct o o;

	cr_assert_eq(run("web --json 7 -w 65535 --socket=/tmp/s --address 2001:db8::1 "
			 "--mac 02:00:00:00:00:0a -i eth0 --proto UDP",
			 &o, &r, err),
		     0, "%s", err);
	cr_expect(o.json);
	cr_expect_eq(o.weight, 65535);
	cr_expect_str_eq(o.sock, "/tmp/s");
	cr_expect_eq(o.addr.family, XLB_AF_INET6);
	cr_expect_eq(o.addr.addr.bytes[0], 0x20);
	cr_expect_eq(o.addr.addr.bytes[15], 1);
	cr_expect_eq(o.mac[5], 0x0a);
	cr_expect_str_eq(o.ifname, "eth0");
	cr_expect_eq(o.proto, IPPROTO_UDP, "words in any case");
	cr_assert_eq(r.npos, 2, "positionals");
	cr_expect_str_eq(r.pos[0], "web");
	cr_expect_str_eq(r.pos[1], "7");
	cr_expect(xlb_opt_given(&r, 0) && xlb_opt_given(&r, 6));
	cr_expect_eq(run("-w5 -- --json", &o, &r, err), 0, "%s", err);
	cr_expect_eq(o.weight, 5, "a short option's glued value");
	cr_expect(!o.json, "after --, options are positionals");
	cr_assert_eq(r.npos, 1);
	cr_expect_str_eq(r.pos[0], "--json");
}

struct bad {
	const char *line;
	const char *msg;
};

static const struct bad bad_cases[] = {
	{ "--weight abc", "--weight: \"abc\" is not a number (0..65535)" },
	{ "--weight 65536", "--weight: 65536 is out of range 0..65535" },
	{ "--weight 010",
	  "--weight: \"010\": a leading 0 is refused, since YAML 1.1 reads it as octal; write 10" },
	{ "--weight -1", "--weight: \"-1\" is not a number (0..65535)" },
	{ "--weight", "--weight needs a value (W)" },
	{ "--proto", "--proto needs a value (tcp|udp)" },
	{ "--proto sctp", "--proto: \"sctp\" is not one of tcp, udp" },
	{ "--address 10.0.0.300",
	  "--address: \"10.0.0.300\" is not an IPv4 or IPv6 address" },
	{ "--mac 02:00", "--mac: \"02:00\" is not a MAC address like 02:00:00:00:00:01" },
	{ "--dev eth0:1",
	  "--dev: \"eth0:1\" is not an interface name (1..15 bytes, no '/', ':' or blanks)" },
	{ "-i 0123456789abcdef",
	  "--dev: \"0123456789abcdef\" is not an interface name (1..15 bytes, no '/', ':' or blanks)" },
	{ "--json=yes", "--json takes no value" },
	{ "--jsn", "unknown option \"--jsn\"" },
	{ "-x", "unknown option \"-x\"" },
};

Test(opt, bad_values_say_which_option_and_what_it_takes)
{
	struct xlb_opt_result r;
	char err[256];
	struct o o;

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		int ret = run(bad_cases[i].line, &o, &r, err);

		cr_expect_eq(ret, -EINVAL, "%s: want -EINVAL, got %d",
			     bad_cases[i].line, ret);
		cr_expect_str_eq(err, bad_cases[i].msg, "%s",
				 bad_cases[i].line);
	}
}

Test(opt, required_help_and_version)
{
	static const struct xlb_opt req[] = {
		XLB_OPT_NUM("flows", 'n', struct o, weight, "N", 1, 64000,
			    "flows"),
		{ .name = "dev", .type = XLB_OPT_IFNAME,
		  .off = offsetof(struct o, ifname), .arg = "IFACE",
		  .help = "where", .required = true },
	};
	static const struct xlb_opts rs = { .prog = "t", .opts = req,
					    .nopts = 2 };
	struct xlb_opt_result r;
	char *argv[4], err[256], a0[] = "-n", a1[] = "3", a2[] = "--help",
					     a3[] = "--version";
	struct o o = { 0 };

	argv[0] = a0;
	argv[1] = a1;
	cr_expect_eq(xlb_opt_parse(&rs, 2, argv, &o, &r, err, sizeof(err)),
		     -EINVAL);
	cr_expect_str_eq(err, "--dev is required (IFACE)");
	argv[2] = a2;
	cr_expect_eq(xlb_opt_parse(&rs, 3, argv, &o, &r, err, sizeof(err)),
		     XLB_OPT_HELP);
	argv[0] = a3;
	cr_expect_eq(xlb_opt_parse(&rs, 1, argv, &o, &r, err, sizeof(err)),
		     XLB_OPT_VERSION);
	cr_expect(strlen(xlb_version()) > 0, "a version string");
}

Test(opt, stop_at_positional_leaves_the_command_its_options)
{
	struct xlb_opts s = set;
	struct xlb_opt_result r;
	char *argv[32], err[256];
	struct o o = { 0 };
	int argc = split("--json vip add web --weight 3", argv);

	s.stop_at_positional = true;
	cr_assert_eq(xlb_opt_parse(&s, argc, argv, &o, &r, err, sizeof(err)), 0,
		     "%s", err);
	cr_expect(o.json);
	cr_expect_eq(o.weight, 0, "--weight belongs to the command");
	cr_assert_eq(r.npos, 5);
	cr_expect_str_eq(r.pos[0], "vip");
	cr_expect_str_eq(r.pos[3], "--weight");
}

Test(opt, help_names_every_option)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert(f);
	xlb_opt_help(&set, f);
	fclose(f);
	cr_expect(strstr(buf, "usage: xlb backend add VIP ID [OPTIONS]\n"), "%s",
		  buf);
	for (size_t i = 0; i < set.nopts; i++) {
		char want[64];

		snprintf(want, sizeof(want), "--%s", table[i].name);
		cr_expect(strstr(buf, want), "help lacks %s:\n%s", want, buf);
		cr_expect(strstr(buf, table[i].help), "help lacks \"%s\"",
			  table[i].help);
	}
	cr_expect(strstr(buf, "-w, --weight W"), "%s", buf);
	cr_expect(strstr(buf, "(0..65535)"), "the range");
	cr_expect(strstr(buf, "--proto tcp|udp"), "the words");
	cr_expect(strstr(buf, "--help") && strstr(buf, "--version"));
	free(buf);
}

/* A repeatable option (xlbd -i eth0 -i eth1): each use appends, up to 16. */
Test(opt, repeatable_option_collects_every_value)
{
	struct r {
		struct xlb_opt_strs ifs;
	} v = {};
	static const struct xlb_opt rt[] = {
		XLB_OPT_OF("interface", 'i', XLB_OPT_STRS, struct r, ifs,
			   "IFACE", "attach here"),
	};
	const struct xlb_opts rs = { .prog = "xlbd", .opts = rt, .nopts = 1 };
	struct xlb_opt_result res;
	char *argv[40], err[256], line[512] = "";
	int n;

	n = split("-i eth0 --interface eth1 -ieth2", argv);
	cr_assert_eq(xlb_opt_parse(&rs, n, argv, &v, &res, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(v.ifs.n, 3);
	cr_assert_str_eq(v.ifs.v[0], "eth0");
	cr_assert_str_eq(v.ifs.v[1], "eth1");
	cr_assert_str_eq(v.ifs.v[2], "eth2");

	memset(&v, 0, sizeof(v));
	for (int i = 0; i < XLB_OPT_STRS_MAX + 1; i++)
		strcat(line, "-i x ");
	n = split(line, argv);
	cr_assert_eq(xlb_opt_parse(&rs, n, argv, &v, &res, err, sizeof(err)),
		     -EINVAL, "a 17th -i is refused");
	cr_assert_str_eq(err, "--interface: at most 16 times");
}
