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
#include "lib/addr.h"
#include "lib/log.h"
#include "lib/opt.h"
#include "lib/parse.h"

struct cli {
	const char *sock;
	const char *pin_dir;
	bool json, verbose;
	int argc;
	char **argv;
};

static const char commands_text[] =
	"\n"
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
	"  maglev show VIP\n"
	"(xlb COMMAND --help: a command's options)\n";

/* Options before the command; the command's own come after it. */
static const struct xlb_opt global_table[] = {
	XLB_OPT_FLAG("json", 0, struct cli, json, "print the daemon's JSON"),
	XLB_OPT_OF("socket", 's', XLB_OPT_STR, struct cli, sock, "SOCKET",
		   "xlbd's control socket"),
	XLB_OPT_OF("pin-dir", 0, XLB_OPT_STR, struct cli, pin_dir, "DIR",
		   "where the maps are pinned (attach)"),
	XLB_OPT_FLAG("verbose", 'v', struct cli, verbose,
		     "show libbpf's messages"),
};

static const struct xlb_opts global_opts = {
	.prog = "xlb",
	.usage = "[--json] [-s SOCKET] [--pin-dir DIR] [-v] COMMAND ...",
	.opts = global_table,
	.nopts = sizeof(global_table) / sizeof(global_table[0]),
	.stop_at_positional = true,
	.epilog = commands_text,
};

static void usage(FILE *f)
{
	xlb_opt_help(&global_opts, f);
}


/* A usage error: one line through the one logger, exit code 2. */
#define die(...) (pr_err(__VA_ARGS__), 2)

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
	struct json_object *g = json_object_object_get(r, "counters");
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
	printf("\ncounters (packets; pass_/drop_/tx_ are outcomes, ct_ events):\n");
	json_object_object_foreach(g, k, val)
	{
		if (json_object_get_int64(val))
			printf("  %-22s %14lld\n", k,
			       (long long)json_object_get_int64(val));
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

/* A usage error of a subcommand: its message and usage line, exit 2. */
static int bad(const struct xlb_opts *set, const char *fmt, const char *arg)
{
	char err[256];

	snprintf(err, sizeof(err), fmt, arg);
	return xlb_opt_fail(set, err);
}

/*
 * Parses a subcommand's options with @set into @obj. Returns -1 to go on
 * (positionals in @res), else the exit code (help printed, or an error).
 */
static int sub_opts(const struct xlb_opts *set, struct cli *c, int skip,
		    void *obj, struct xlb_opt_result *res)
{
	return xlb_opt_run(set, c->argc - skip, c->argv + skip, obj, res);
}

static void add_str(struct json_object *req, const char *k, const char *v)
{
	json_object_object_add(req, k, json_object_new_string(v));
}

static void add_int(struct json_object *req, const char *k, __u32 v)
{
	json_object_object_add(req, k, json_object_new_int64(v));
}

static void add_addr(struct json_object *req, const char *k,
		     const struct xlb_opt_addr *a)
{
	char buf[XLB_ADDR_STRLEN];

	add_str(req, k, xlb_addr_str(&a->addr, a->family, buf, sizeof(buf)));
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

struct vip_add_opts {
	struct xlb_opt_addr address;
	__u32 port, proto, mode, hash, table_size;
	bool no_conntrack, no_echo;
};

static const struct xlb_opt vip_add_table[] = {
	{ .name = "address", .type = XLB_OPT_ADDR,
	  .off = offsetof(struct vip_add_opts, address), .arg = "A",
	  .help = "the VIP's IPv4 or IPv6 address", .required = true },
	{ .name = "port", .type = XLB_OPT_U32,
	  .off = offsetof(struct vip_add_opts, port), .arg = "P",
	  .help = "the port; 0 takes every port", .max = 65535,
	  .required = true },
	{ .name = "proto", .type = XLB_OPT_ENUM,
	  .off = offsetof(struct vip_add_opts, proto),
	  .words = xlb_words_proto, .help = "the protocol", .required = true },
	XLB_OPT_WORD("mode", 0, struct vip_add_opts, mode, xlb_words_mode,
		     "how packets reach the backends (default tunnel)"),
	XLB_OPT_WORD("hash", 0, struct vip_add_opts, hash, xlb_words_hash,
		     "what picks the backend (default 5tuple)"),
	XLB_OPT_FLAG("no-conntrack", 0, struct vip_add_opts, no_conntrack,
		     "no connection tracking for this VIP"),
	XLB_OPT_FLAG("no-echo", 0, struct vip_add_opts, no_echo,
		     "do not answer ICMP echo on the address"),
	XLB_OPT_NUM("table-size", 0, struct vip_add_opts, table_size, "M", 3,
		    XLB_MAGLEV_MAX_SIZE,
		    "Maglev table size, a prime (default maglev_size)"),
};

static const struct xlb_opts vip_add_opts = {
	.prog = "xlb",
	.cmd = "vip add",
	.usage = "NAME --address A --port P --proto tcp|udp [OPTIONS]",
	.opts = vip_add_table,
	.nopts = sizeof(vip_add_table) / sizeof(vip_add_table[0]),
};

static int cmd_vip_add(struct cli *c)
{
	struct vip_add_opts o = { 0 };
	struct xlb_opt_result r;
	struct json_object *req;
	int ret = sub_opts(&vip_add_opts, c, 2, &o, &r);

	if (ret >= 0)
		return ret;
	if (r.npos != 1)
		return bad(&vip_add_opts, "one NAME, not %s",
			   r.npos ? "more" : "none");
	req = request("vip.add");
	add_str(req, "name", r.pos[0]);
	add_addr(req, "address", &o.address);
	add_int(req, "port", o.port);
	add_str(req, "protocol", xlb_proto_name((__u8)o.proto));
	if (xlb_opt_given(&r, 3))
		add_str(req, "mode", xlb_mode_name((__u8)o.mode));
	if (xlb_opt_given(&r, 4))
		add_str(req, "hash", xlb_hash_name((__u8)o.hash));
	if (o.no_conntrack)
		json_object_object_add(req, "conntrack",
				       json_object_new_boolean(0));
	if (o.no_echo)
		json_object_object_add(req, "echo", json_object_new_boolean(0));
	if (xlb_opt_given(&r, 7))
		add_int(req, "table_size", o.table_size);
	return call(c, req, NULL);
}

static int cmd_vip(struct cli *c)
{
	struct json_object *req;
	const char *sub = c->argc > 1 ? c->argv[1] : "";

	if (!strcmp(sub, "list") && c->argc == 2)
		return call(c, request("vip.list"), print_vips);
	if (!strcmp(sub, "del") && c->argc == 3) {
		req = request("vip.del");
		add_str(req, "name", c->argv[2]);
		return call(c, req, NULL);
	}
	if (!strcmp(sub, "add"))
		return cmd_vip_add(c);
	usage(stderr);
	return 2;
}

struct backend_opts {
	struct xlb_opt_addr address;
	__u8 mac[6];
	__u32 weight;
};

static const struct xlb_opt backend_add_table[] = {
	XLB_OPT_OF("address", 0, XLB_OPT_ADDR, struct backend_opts, address,
		   "A", "the backend's address (needed for a new id)"),
	XLB_OPT_OF("mac", 0, XLB_OPT_MAC, struct backend_opts, mac, "M",
		   "the backend's MAC (l2dsr), else resolved"),
	XLB_OPT_NUM("weight", 0, struct backend_opts, weight, "W", 0,
		    XLB_WEIGHT_MAX, "its weight in this VIP (default 1)"),
};

/* One table per subcommand, so each one's help and usage line fit it. */
#define BACKEND_SET(sub, use, n)                                          \
	{ .prog = "xlb", .cmd = "backend " sub, .usage = use,             \
	  .opts = backend_add_table, .nopts = n }
static const struct xlb_opts backend_sets[] = {
	BACKEND_SET("add", "VIP ID [--address A] [--mac M] [--weight W]", 3),
	BACKEND_SET("del", "VIP ID", 0),
	BACKEND_SET("weight", "VIP ID W", 0),
	BACKEND_SET("drain", "VIP ID", 0),
	BACKEND_SET("undrain", "VIP ID", 0),
};

static int cmd_backend(struct cli *c)
{
	const char *sub = c->argc > 1 ? c->argv[1] : "";
	const struct xlb_opts *set = NULL;
	struct backend_opts o = { 0 };
	struct xlb_opt_result r;
	struct json_object *req;
	char cmd[32], why[128];
	__u32 id, w;
	int ret;

	if (!strcmp(sub, "list") && c->argc <= 3) {
		req = request("backend.list");
		if (c->argc == 3)
			add_str(req, "vip", c->argv[2]);
		return call(c, req, print_backends);
	}
	for (size_t i = 0; i < sizeof(backend_sets) / sizeof(backend_sets[0]); i++)
		if (!strcmp(backend_sets[i].cmd + strlen("backend "), sub))
			set = &backend_sets[i];
	if (!set) {
		usage(stderr);
		return 2;
	}
	ret = sub_opts(set, c, 2, &o, &r);
	if (ret >= 0)
		return ret;
	if (r.npos != (!strcmp(sub, "weight") ? 3 : 2))
		return bad(set, "%s", "wrong number of arguments");
	if (xlb_u32_parse(r.pos[1], 1, XLB_MAX_BACKENDS - 1, &id, why,
			  sizeof(why)))
		return bad(set, "ID: %s", why);
	snprintf(cmd, sizeof(cmd), "backend.%s", sub);
	req = request(cmd);
	add_str(req, "vip", r.pos[0]);
	add_int(req, "id", id);
	if (!strcmp(sub, "weight")) {
		if (xlb_u32_parse(r.pos[2], 0, XLB_WEIGHT_MAX, &w, why,
				  sizeof(why))) {
			json_object_put(req);
			return bad(set, "W: %s", why);
		}
		add_int(req, "weight", w);
	}
	if (xlb_opt_given(&r, 0))
		add_addr(req, "address", &o.address);
	if (xlb_opt_given(&r, 1)) {
		char m[18];

		snprintf(m, sizeof(m), "%02x:%02x:%02x:%02x:%02x:%02x",
			 o.mac[0], o.mac[1], o.mac[2], o.mac[3], o.mac[4],
			 o.mac[5]);
		add_str(req, "mac", m);
	}
	if (xlb_opt_given(&r, 2))
		add_int(req, "weight", o.weight);
	return call(c, req, NULL);
}

static int cmd_conntrack(struct cli *c)
{
	struct ct_opts {
		const char *vip;
		__u32 limit;
	} o = { 0 };
	static const struct xlb_opt table[] = {
		XLB_OPT_OF("vip", 0, XLB_OPT_STR, struct ct_opts, vip, "NAME",
			   "only this VIP's entries"),
		XLB_OPT_NUM("limit", 0, struct ct_opts, limit, "N", 0,
			    UINT32_MAX, "list at most N entries"),
	};
	const struct xlb_opts set = {
		.prog = "xlb",
		.cmd = "conntrack",
		.usage = "count|list|flush [--vip NAME] [--limit N]",
		.opts = table,
		.nopts = sizeof(table) / sizeof(table[0]),
	};
	const char *sub = c->argc > 1 ? c->argv[1] : "";
	struct xlb_opt_result r;
	struct json_object *req;
	char cmd[32];
	int ret;

	if (strcmp(sub, "count") && strcmp(sub, "list") && strcmp(sub, "flush")) {
		usage(stderr);
		return 2;
	}
	ret = sub_opts(&set, c, 2, &o, &r);
	if (ret >= 0)
		return ret;
	if (r.npos)
		return bad(&set, "unexpected argument: %s", r.pos[0]);
	/* xlbd refuses fields a command does not take */
	if (xlb_opt_given(&r, 1) && strcmp(sub, "list"))
		return bad(&set, "--limit: only for list, not %s", sub);
	snprintf(cmd, sizeof(cmd), "conntrack.%s", sub);
	req = request(cmd);
	if (o.vip)
		add_str(req, "vip", o.vip);
	if (xlb_opt_given(&r, 1))
		add_int(req, "limit", o.limit);
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
	struct attach_opts {
		__u32 mode;
	} o = { .mode = XLB_XDP_NATIVE };
	static const struct xlb_opt table[] = {
		XLB_OPT_WORD("mode", 0, struct attach_opts, mode,
			     xlb_words_xdp_mode,
			     "XDP in the driver or generic (default native)"),
	};
	const struct xlb_opts set = {
		.prog = "xlb",
		.cmd = "attach",
		.usage = "IFACE [--mode native|skb]",
		.opts = table,
		.nopts = 1,
	};
	enum xlb_xdp_mode mode;
	struct xlb_opt_result r;
	char err[512];
	int ret = sub_opts(&set, c, 1, &o, &r);

	if (ret >= 0)
		return ret;
	if (r.npos != 1)
		return bad(&set, "%s", "one IFACE");
	mode = (enum xlb_xdp_mode)o.mode;
	if (xlb_attach(c->pin_dir, 0, r.pos[0], mode, err, sizeof(err))) {
		fprintf(stderr, "xlb: %s\n", err);
		return 1;
	}
	printf("attached to %s (%s mode); maps in %s\n", r.pos[0],
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
	struct xlb_opt_result r;
	const char *cmd;
	int ret;

	ret = xlb_opt_run(&global_opts, argc - 1, argv + 1, &c, &r);
	if (ret >= 0)
		return ret;
	if (!r.npos) {
		usage(stderr);
		return 2;
	}
	xlb_log_init("xlb", c.verbose ? XLB_LOG_DEBUG : XLB_LOG_INFO);
	c.argc = r.npos;
	c.argv = r.pos;
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
	return die("unknown command: %s (xlb --help)\n", cmd);
}
