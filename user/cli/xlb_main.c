// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlb: the command line. attach/detach/status act on the kernel directly
 * (through libxdp), so they work with no daemon; everything else is one
 * JSON request to xlbd's control socket, printed as a table for people or
 * as the raw JSON with --json.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "lib/ctl.h"
#include "lib/loader.h"
#include "lib/log.h"

struct cli {
	const char *sock;
	const char *pin_dir;
	int json;
	int argc;
	char **argv;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xlb [--json] [-s SOCKET] [--pin-dir DIR] [-v] COMMAND ...\n"
		"datapath (no daemon needed):\n"
		"  attach IFACE [--mode native|skb]   attach the LB to a NIC\n"
		"  detach IFACE                        detach it\n"
		"  status                              where it runs, what xlbd serves\n"
		"through xlbd:\n"
		"  reload                              re-read the config file\n"
		"  config dump                         the running config, as a file\n"
		"  vip list\n"
		"  vip add NAME --address A --port P --proto tcp|udp [--mode tunnel|l2dsr]\n"
		"          [--hash 5tuple|source] [--no-conntrack] [--no-echo] [--table-size M]\n"
		"  vip del NAME\n"
		"  backend list [VIP]\n"
		"  backend add VIP ID [--address A] [--mac M] [--weight W]\n"
		"  backend del VIP ID\n"
		"  backend weight VIP ID W\n"
		"  backend drain VIP ID | backend undrain VIP ID\n"
		"  stats\n"
		"  conntrack count|list|flush [--vip NAME] [--limit N]\n"
		"  maglev show VIP\n");
}

static int die(const char *fmt, const char *arg)
{
	fprintf(stderr, "xlb: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	return 2;
}

/* ---- printing ------------------------------------------------------------ */

static const char *s_of(struct json_object *o, const char *k)
{
	struct json_object *v = json_object_object_get(o, k);

	return v ? json_object_get_string(v) : "";
}

static int64_t i_of(struct json_object *o, const char *k)
{
	return json_object_get_int64(json_object_object_get(o, k));
}

static double d_of(struct json_object *o, const char *k)
{
	return json_object_get_double(json_object_object_get(o, k));
}

static void print_vips(struct json_object *r)
{
	struct json_object *vips = json_object_object_get(r, "vips");

	printf("%-16s %3s %-28s %-6s %-6s %-7s %-3s %-7s %s\n", "VIP", "ID",
	       "ADDRESS", "PROTO", "MODE", "HASH", "CT", "M", "BACKENDS (id:weight)");
	for (size_t i = 0; i < json_object_array_length(vips); i++) {
		struct json_object *v = json_object_array_get_idx(vips, i);
		struct json_object *bes = json_object_object_get(v, "backends");
		char addr[64];

		snprintf(addr, sizeof(addr), strchr(s_of(v, "address"), ':') ?
						     "[%s]:%s" : "%s:%s",
			 s_of(v, "address"),
			 i_of(v, "port") ? s_of(v, "port") : "*");
		printf("%-16s %3lld %-28s %-6s %-6s %-7s %-3s %-7lld",
		       s_of(v, "name"), (long long)i_of(v, "id"), addr,
		       s_of(v, "protocol"), s_of(v, "mode"), s_of(v, "hash"),
		       json_object_get_boolean(json_object_object_get(v, "conntrack")) ?
			       "on" : "off",
		       (long long)i_of(v, "table_size"));
		for (size_t b = 0; b < json_object_array_length(bes); b++) {
			struct json_object *bo = json_object_array_get_idx(bes, b);

			printf(" %lld:%lld", (long long)i_of(bo, "id"),
			       (long long)i_of(bo, "weight"));
		}
		printf("\n");
	}
}

static void print_backends(struct json_object *r)
{
	struct json_object *bes = json_object_object_get(r, "backends");

	printf("%5s  %-28s %s\n", "ID", "ADDRESS", "VIPS (name:weight)");
	for (size_t i = 0; i < json_object_array_length(bes); i++) {
		struct json_object *b = json_object_array_get_idx(bes, i);
		struct json_object *vs = json_object_object_get(b, "vips");

		printf("%5lld  %-28s", (long long)i_of(b, "id"),
		       s_of(b, "address"));
		for (size_t v = 0; v < json_object_array_length(vs); v++) {
			struct json_object *vo = json_object_array_get_idx(vs, v);

			printf(" %s:%lld%s", s_of(vo, "vip"),
			       (long long)i_of(vo, "weight"),
			       i_of(vo, "weight") ? "" : "(drained)");
		}
		printf("\n");
	}
}

static void print_stats(struct json_object *r)
{
	struct json_object *os = json_object_object_get(r, "outcomes");
	struct json_object *vs = json_object_object_get(r, "vips");
	struct json_object *bs = json_object_object_get(r, "backends");

	printf("%-16s %14s %16s %12s %12s %12s\n", "VIP", "PACKETS", "BYTES",
	       "NEW FLOWS", "PPS", "MBIT/S");
	for (size_t i = 0; i < json_object_array_length(vs); i++) {
		struct json_object *v = json_object_array_get_idx(vs, i);

		printf("%-16s %14lld %16lld %12lld %12.0f %12.2f\n",
		       s_of(v, "name"), (long long)i_of(v, "packets"),
		       (long long)i_of(v, "bytes"),
		       (long long)i_of(v, "new_flows"), d_of(v, "pps"),
		       d_of(v, "bps") / 1e6);
	}
	printf("\n%-6s %-28s %14s %16s %12s %12s\n", "BACKEND", "ADDRESS",
	       "PACKETS", "BYTES", "PPS", "MBIT/S");
	for (size_t i = 0; i < json_object_array_length(bs); i++) {
		struct json_object *b = json_object_array_get_idx(bs, i);

		printf("%-7lld %-28s %14lld %16lld %12.0f %12.2f\n",
		       (long long)i_of(b, "id"), s_of(b, "address"),
		       (long long)i_of(b, "packets"), (long long)i_of(b, "bytes"),
		       d_of(b, "pps"), d_of(b, "bps") / 1e6);
	}
	/* the daemon's outcome table: each counter with its verdict and help */
	printf("\n%-22s %-7s %14s  %s\n", "COUNTER", "VERDICT", "PACKETS",
	       "MEANING (non-zero only; events overlap the outcomes)");
	for (size_t i = 0; i < json_object_array_length(os); i++) {
		struct json_object *so = json_object_array_get_idx(os, i);

		if (i_of(so, "packets"))
			printf("%-22s %-7s %14lld  %s\n", s_of(so, "name"),
			       s_of(so, "verdict"),
			       (long long)i_of(so, "packets"), s_of(so, "help"));
	}
}

static void print_ct(struct json_object *r)
{
	struct json_object *es = json_object_object_get(r, "entries");

	printf("%-40s %-40s %-5s %-12s %7s %8s\n", "CLIENT", "VIP ADDRESS",
	       "PROTO", "VIP", "BACKEND", "IDLE s");
	for (size_t i = 0; i < json_object_array_length(es); i++) {
		struct json_object *e = json_object_array_get_idx(es, i);
		char c[64], v[64];

		snprintf(c, sizeof(c), "%s %s", s_of(e, "client"),
			 s_of(e, "client_port"));
		snprintf(v, sizeof(v), "%s %s", s_of(e, "vip_address"),
			 s_of(e, "vip_port"));
		printf("%-40s %-40s %-5s %-12s %7lld %8.1f\n", c, v,
		       s_of(e, "protocol"), s_of(e, "vip"),
		       (long long)i_of(e, "backend"), d_of(e, "idle_s"));
	}
}

static void print_maglev(struct json_object *r)
{
	struct json_object *bs = json_object_object_get(r, "backends");

	printf("VIP %s: %lld slots, %lld empty\n", s_of(r, "vip"),
	       (long long)i_of(r, "size"), (long long)i_of(r, "empty"));
	printf("%7s %7s %9s %8s %8s\n", "BACKEND", "WEIGHT", "SLOTS", "SHARE",
	       "IDEAL");
	for (size_t i = 0; i < json_object_array_length(bs); i++) {
		struct json_object *b = json_object_array_get_idx(bs, i);

		printf("%7lld %7lld %9lld %7.2f%% %7.2f%%\n",
		       (long long)i_of(b, "id"), (long long)i_of(b, "weight"),
		       (long long)i_of(b, "slots"), 100 * d_of(b, "share"),
		       100 * d_of(b, "ideal"));
	}
}

/* ---- requests ------------------------------------------------------------- */

static int add_num(struct json_object *req, const char *k, const char *v)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 0);
	if (errno || *end || end == v)
		return die("not a number: %s", v);
	json_object_object_add(req, k, json_object_new_int64(n));
	return 0;
}

/*
 * Turns "--flag value" and "--no-x" options of a subcommand into request
 * fields; @flags lists the accepted ones as "name=key" (value) or "!name=key"
 * (boolean set false).
 */
static int add_opts(struct json_object *req, int argc, char **argv,
		    const char *const *flags)
{
	for (int i = 0; i < argc; i++) {
		const char *const *f;
		int matched = 0;

		for (f = flags; *f && !matched; f++) {
			const char *spec = *f, *eq = strchr(spec, '=');
			int neg = spec[0] == '!';
			size_t nlen = (size_t)(eq - spec) - (size_t)neg;
			const char *key = eq + 1;
			int num = key[0] == '#';

			if (strncmp(argv[i], "--", 2) ||
			    strlen(argv[i] + 2) != nlen ||
			    strncmp(argv[i] + 2, spec + neg, nlen))
				continue;
			matched = 1;
			key += num;
			if (neg) {
				json_object_object_add(req, key,
						       json_object_new_boolean(0));
				continue;
			}
			if (i + 1 >= argc)
				return die("%s needs a value", argv[i]);
			if (num) {
				if (add_num(req, key, argv[++i]))
					return 2;
			} else {
				json_object_object_add(
					req, key, json_object_new_string(argv[++i]));
			}
		}
		if (!matched)
			return die("unexpected argument: %s", argv[i]);
	}
	return 0;
}

static struct json_object *request(const char *cmd)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "cmd", json_object_new_string(cmd));
	return r;
}

/* Sends @req; prints the answer with @print (or as JSON). Returns the exit code. */
static int call(struct cli *c, struct json_object *req,
		void (*print)(struct json_object *))
{
	char err[512];
	struct json_object *resp = xlb_ctl_call(c->sock, req, err, sizeof(err));
	int ok;

	json_object_put(req);
	if (!resp) {
		fprintf(stderr, "xlb: %s\n", err);
		return 1;
	}
	ok = json_object_get_boolean(json_object_object_get(resp, "ok"));
	if (c->json)
		printf("%s\n", json_object_to_json_string_ext(
				       resp, JSON_C_TO_STRING_PRETTY));
	else if (!ok)
		fprintf(stderr, "xlb: %s\n", s_of(resp, "error"));
	else if (print)
		print(resp);
	json_object_put(resp);
	return ok ? 0 : 1;
}

static void print_config(struct json_object *r)
{
	fputs(s_of(r, "config"), stdout);
}

static int cmd_vip(struct cli *c)
{
	static const char *const add_flags[] = {
		"address=address", "port=#port", "proto=protocol", "mode=mode",
		"hash=hash", "!conntrack=conntrack", "!echo=echo",
		"table-size=#table_size", NULL,
	};
	struct json_object *req;
	const char *sub = c->argc > 1 ? c->argv[1] : "";

	if (!strcmp(sub, "list") && c->argc == 2)
		return call(c, request("vip.list"), print_vips);
	if (!strcmp(sub, "del") && c->argc == 3) {
		req = request("vip.del");
		json_object_object_add(req, "name",
				       json_object_new_string(c->argv[2]));
		return call(c, req, NULL);
	}
	if (!strcmp(sub, "add") && c->argc >= 3) {
		req = request("vip.add");
		json_object_object_add(req, "name",
				       json_object_new_string(c->argv[2]));
		if (add_opts(req, c->argc - 3, c->argv + 3, add_flags)) {
			json_object_put(req);
			return 2;
		}
		return call(c, req, NULL);
	}
	usage(stderr);
	return 2;
}

static int cmd_backend(struct cli *c)
{
	static const char *const add_flags[] = { "address=address", "mac=mac",
						 "weight=#weight", NULL };
	const char *sub = c->argc > 1 ? c->argv[1] : "";
	struct json_object *req;
	char cmd[32];

	if (!strcmp(sub, "list") && c->argc <= 3) {
		req = request("backend.list");
		if (c->argc == 3)
			json_object_object_add(req, "vip",
					       json_object_new_string(c->argv[2]));
		return call(c, req, print_backends);
	}
	if (c->argc < 4 || (strcmp(sub, "add") && strcmp(sub, "del") &&
			    strcmp(sub, "weight") && strcmp(sub, "drain") &&
			    strcmp(sub, "undrain"))) {
		usage(stderr);
		return 2;
	}
	snprintf(cmd, sizeof(cmd), "backend.%s", sub);
	req = request(cmd);
	json_object_object_add(req, "vip", json_object_new_string(c->argv[2]));
	if (add_num(req, "id", c->argv[3]))
		goto bad;
	if (!strcmp(sub, "add")) {
		if (add_opts(req, c->argc - 4, c->argv + 4, add_flags))
			goto bad;
	} else if (!strcmp(sub, "weight")) {
		if (c->argc != 5 || add_num(req, "weight", c->argv[4]))
			goto bad;
	} else if (c->argc != 4) {
		goto bad;
	}
	return call(c, req, NULL);
bad:
	json_object_put(req);
	return 2;
}

static int cmd_conntrack(struct cli *c)
{
	static const char *const flags[] = { "vip=vip", "limit=#limit", NULL };
	const char *sub = c->argc > 1 ? c->argv[1] : "";
	struct json_object *req;
	char cmd[32];

	if (strcmp(sub, "count") && strcmp(sub, "list") && strcmp(sub, "flush")) {
		usage(stderr);
		return 2;
	}
	snprintf(cmd, sizeof(cmd), "conntrack.%s", sub);
	req = request(cmd);
	if (add_opts(req, c->argc - 2, c->argv + 2, flags)) {
		json_object_put(req);
		return 2;
	}
	if (!strcmp(sub, "list"))
		return call(c, req, print_ct);
	if (c->json)
		return call(c, req, NULL);
	/* one line for people: "1234 entries (capacity 1048576)" */
	{
		char err[512];
		struct json_object *r = xlb_ctl_call(c->sock, req, err, sizeof(err));
		int ok;

		json_object_put(req);
		if (!r) {
			fprintf(stderr, "xlb: %s\n", err);
			return 1;
		}
		ok = json_object_get_boolean(json_object_object_get(r, "ok"));
		if (!ok)
			fprintf(stderr, "xlb: %s\n", s_of(r, "error"));
		else if (!strcmp(sub, "flush"))
			printf("%lld entries flushed\n",
			       (long long)i_of(r, "flushed"));
		else
			printf("%lld entries (capacity %lld)\n",
			       (long long)i_of(r, "count"),
			       (long long)i_of(r, "capacity"));
		json_object_put(r);
		return ok ? 0 : 1;
	}
}

static int cmd_attach(struct cli *c)
{
	enum xlb_xdp_mode mode = XLB_XDP_NATIVE;
	char err[512];

	if (c->argc == 4 && !strcmp(c->argv[2], "--mode")) {
		if (xlb_xdp_mode_parse(c->argv[3], &mode))
			return die("--mode: native or skb, not %s", c->argv[3]);
	} else if (c->argc != 2) {
		usage(stderr);
		return 2;
	}
	if (xlb_attach(c->pin_dir, 0, c->argv[1], mode, err, sizeof(err))) {
		fprintf(stderr, "xlb: %s\n", err);
		return 1;
	}
	printf("attached to %s (%s mode); maps in %s\n", c->argv[1],
	       xlb_xdp_mode_str(mode), c->pin_dir);
	return 0;
}

static int cmd_detach(struct cli *c)
{
	char err[512];

	if (c->argc != 2) {
		usage(stderr);
		return 2;
	}
	if (xlb_detach(c->argv[1], err, sizeof(err))) {
		fprintf(stderr, "xlb: %s\n", err);
		return 1;
	}
	printf("detached from %s\n", c->argv[1]);
	return 0;
}

static int cmd_status(struct cli *c)
{
	struct xlb_attachment at[64];
	struct json_object *r;
	char err[512];
	int n = xlb_attachments(at, 64);

	if (c->json)
		return call(c, request("status"), NULL);
	if (n < 0) {
		fprintf(stderr, "xlb: list attachments: %s\n", strerror(-n));
		return 1;
	}
	printf("datapath: %s\n", n ? "attached" : "not attached");
	for (int i = 0; i < n; i++)
		printf("  %-16s %-6s prog id %u%s\n", at[i].ifname,
		       xlb_xdp_mode_str(at[i].mode), at[i].prog_id,
		       at[i].multiprog ? " (libxdp dispatcher)" : "");
	r = request("status");
	{
		struct json_object *resp = xlb_ctl_call(c->sock, r, err, sizeof(err));

		json_object_put(r);
		if (!resp) {
			printf("xlbd: not reachable (%s)\n", err);
			return n ? 0 : 1;
		}
		printf("xlbd: pid %lld, up %llds, config %s\n"
		       "  %lld VIPs, %lld backends; maps in %s; conntrack "
		       "capacity %lld (%s)\n",
		       (long long)i_of(resp, "pid"),
		       (long long)i_of(resp, "uptime_s"),
		       s_of(resp, "config_path"), (long long)i_of(resp, "vips"),
		       (long long)i_of(resp, "backends"), s_of(resp, "pin_dir"),
		       (long long)i_of(resp, "conntrack_capacity"),
		       json_object_get_boolean(json_object_object_get(
			       resp, "conntrack_adopted")) ?
			       "adopted from a previous run" :
			       "created at start");
		json_object_put(resp);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli c = { .sock = XLB_CTL_DEFAULT_SOCKET,
			 .pin_dir = XLB_DEFAULT_PIN_DIR };
	int i = 1, verbose = 0;
	const char *cmd;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--json"))
			c.json = 1;
		else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			verbose = 1;
		else if ((!strcmp(argv[i], "-s") || !strcmp(argv[i], "--socket")) &&
			 i + 1 < argc)
			c.sock = argv[++i];
		else if (!strcmp(argv[i], "--pin-dir") && i + 1 < argc)
			c.pin_dir = argv[++i];
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	xlb_log_init("xlb", verbose ? XLB_LOG_DEBUG : XLB_LOG_INFO);
	c.argc = argc - i;
	c.argv = argv + i;
	cmd = c.argv[0];
	if (!strcmp(cmd, "attach"))
		return cmd_attach(&c);
	if (!strcmp(cmd, "detach"))
		return cmd_detach(&c);
	if (!strcmp(cmd, "status"))
		return cmd_status(&c);
	if (!strcmp(cmd, "reload") && c.argc == 1)
		return call(&c, request("reload"), NULL);
	if (!strcmp(cmd, "config") && c.argc == 2 && !strcmp(c.argv[1], "dump"))
		return call(&c, request("config.dump"), print_config);
	if (!strcmp(cmd, "vip"))
		return cmd_vip(&c);
	if (!strcmp(cmd, "backend"))
		return cmd_backend(&c);
	if (!strcmp(cmd, "stats") && c.argc == 1)
		return call(&c, request("stats"), print_stats);
	if (!strcmp(cmd, "conntrack"))
		return cmd_conntrack(&c);
	if (!strcmp(cmd, "maglev") && c.argc == 3 && !strcmp(c.argv[1], "show")) {
		struct json_object *req = request("maglev.show");

		json_object_object_add(req, "vip",
				       json_object_new_string(c.argv[2]));
		return call(&c, req, print_maglev);
	}
	die("unknown command: %s (xlb --help)", cmd);
	return 2;
}
