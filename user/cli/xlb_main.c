// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlb: the command line. attach/detach/status act on the kernel directly
 * (through libxdp), so they work with no daemon; everything else is one
 * JSON request to xlbd's control socket, printed as a table for people or
 * as the raw JSON with --json.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/top.h"
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
	/* where each came from, for error messages: "-s", "XLB_SOCKET", "default" */
	const char *sock_from, *pin_from;
	bool json, verbose;
	__u32 timeout; /* --timeout SECONDS, if given (0: no limit) */
	bool has_timeout;
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
	"  config save [FILE]                  write it (live changes included) to\n"
	"                                      the config file, or FILE\n"
	"  vip list\n"
	"  vip add NAME --address A --port P --proto tcp|udp [--mode tunnel|l2dsr]\n"
	"          [--hash 5tuple|source] [--no-conntrack] [--no-echo] [--table-size M]\n"
	"  vip del NAME\n"
	"  backend list [VIP]\n"
	"  backend add VIP ID [--address A] [--mac M] [--weight W] [--backup]\n"
	"  backend del VIP ID\n"
	"  backend weight VIP ID W\n"
	"  backend drain VIP ID | backend undrain VIP ID\n"
	"  backend maint VIP ID | backend unmaint VIP ID\n"
	"  stats\n"
	"  conntrack count|list [--vip NAME] [--backend ID] [--limit N|0]\n"
	"  conntrack flush [--vip NAME] [--backend ID]\n"
	"  maglev show VIP\n"
	"  top [--once] [--interval S] [--iterations N]   rates per VIP and backend\n"
	"  ha status                           role, synced or not, peers, lag,\n"
	"                                      fingerprints (exit 0: synced or no\n"
	"                                      sync, 3: not synced yet)\n"
	"  sync status                         the same; exit 1 without sync\n"
	"(xlb COMMAND --help: a command's options)\n"
	"environment (a flag wins over it):\n"
	"  XLB_SOCKET   xlbd's control socket (default " XLB_CTL_DEFAULT_SOCKET
	")\n"
	"  XLB_PIN_DIR  where the maps are pinned (default " XLB_DEFAULT_PIN_DIR
	")\n"
	"exit codes: 0 done, 1 failed or refused (nothing changed), 2 usage,\n"
	"  3 timed out waiting for xlbd (a change may still be applied)\n";

/* Options before the command; the command's own come after it. */
static const struct xlb_opt global_table[] = {
	XLB_OPT_FLAG("json", 0, struct cli, json, "print the daemon's JSON"),
	XLB_OPT_OF("socket", 's', XLB_OPT_STR, struct cli, sock, "SOCKET",
		   "xlbd's control socket (else $XLB_SOCKET)"),
	XLB_OPT_OF("pin-dir", 0, XLB_OPT_STR, struct cli, pin_dir, "DIR",
		   "where the maps are pinned, for attach (else $XLB_PIN_DIR)"),
	XLB_OPT_FLAG("verbose", 'v', struct cli, verbose,
		     "show libbpf's messages"),
	XLB_OPT_NUM("timeout", 0, struct cli, timeout, "SECONDS", 0, 86400,
		    "wait at most this long for xlbd's answer (0: no limit; "
		    "default 30 for reads, 600 for walks of the conntrack "
		    "table, no limit for changes)"),
};
#define OPT_TIMEOUT 4 /* its index above */

static const struct xlb_opts global_opts = {
	.prog = "xlb",
	.usage = "[--json] [-s SOCKET] [--pin-dir DIR] [-v] [--timeout SECONDS] COMMAND ...",
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

	/* ACTIVE/INACTIVE: live flows, like ipvsadm's ActiveConn/InActConn */
	printf("%5s  %-28s %-6s %8s %8s  %s\n", "ID", "ADDRESS", "HEALTH",
	       "ACTIVE", "INACTIVE", "VIPS (name:weight)");
	for (size_t i = 0; i < json_object_array_length(bes); i++) {
		struct json_object *b = json_object_array_get_idx(bes, i);
		struct json_object *vs = json_object_object_get(b, "vips");

		printf("%5lld  %-28s %-6s %8lld %8lld ", (long long)i_of(b, "id"),
		       s_of(b, "address"), s_of(b, "health"),
		       (long long)i_of(b, "active_conns"),
		       (long long)i_of(b, "inactive_conns"));
		for (size_t v = 0; v < json_object_array_length(vs); v++) {
			struct json_object *vo = json_object_array_get_idx(vs, v);
			bool down = !strcmp(s_of(vo, "health"), "down");
			const char *adm = s_of(vo, "admin");
			struct json_object *ag = json_object_object_get(vo, "agent");
			struct json_object *bk =
				json_object_object_get(vo, "backup");
			struct json_object *bn =
				json_object_object_get(vo, "benched");
			bool benched = bn && json_object_get_boolean(bn);

			/* health and admin state apart: web4:0(down)(maint) */
			printf(" %s:%lld%s%s", s_of(vo, "vip"),
			       (long long)i_of(vo, "weight"),
			       down ? "(down)" : "",
			       !strcmp(adm, "maint") ? "(maint)" :
			       !strcmp(adm, "drain") || (!down && !benched &&
							 !i_of(vo, "weight")) ?
						       "(drained)" :
						       "");
			/* a backup standing by for the others: web4:0(backup) */
			if (bk && json_object_get_boolean(bk))
				printf("(backup)");
			if (ag && json_object_object_get(ag, "weight_pct"))
				printf("(agent %lld%%)",
				       (long long)i_of(ag, "weight_pct"));
			else if (ag)
				printf("(agent)");
			if (json_object_object_get(vo, "slowstart_pct"))
				printf("(slowstart %lld%%)",
				       (long long)i_of(vo, "slowstart_pct"));
		}
		printf("\n");
		/* one line per health check: state, since, the last result */
		for (size_t v = 0; v < json_object_array_length(vs); v++) {
			struct json_object *vo = json_object_array_get_idx(vs, v);
			struct json_object *ck = json_object_object_get(vo, "check");
			struct json_object *last;
			time_t since;
			char when[32];

			if (!ck)
				continue;
			last = json_object_object_get(ck, "last");
			since = (time_t)i_of(ck, "since");
			strftime(when, sizeof(when), "%F %T",
				 localtime(&since));
			printf("%7s check %s: %s%s", "", s_of(vo, "vip"),
			       s_of(ck, "kind"),
			       json_object_object_get(ck, "tunnel") ?
				       " through the tunnel to" : "");
			if (json_object_object_get(ck, "address"))
				printf(strchr(s_of(ck, "address"), ':') ?
					       " [%s]:%lld" : " %s:%lld",
				       s_of(ck, "address"),
				       (long long)i_of(ck, "port"));
			printf(" %s since %s (%llds)", s_of(ck, "state"), when,
			       (long long)(time(NULL) - since));
			if (i_of(ck, "count"))
				printf(", %lld of %lld to go %s",
				       (long long)i_of(ck, "count"),
				       (long long)i_of(ck, !strcmp(s_of(ck, "state"), "up") ?
							   "fall" : "rise"),
				       !strcmp(s_of(ck, "state"), "up") ? "down" : "up");
			if (last)
				printf("; last: %s, %.1f ms",
				       s_of(last, "reason"),
				       d_of(last, "duration_ms"));
			printf("\n");
		}
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

/* "addr:port", "[addr]:port" for IPv6, as every other table prints it. */
static const char *host_port(char *buf, size_t len, const char *addr,
			     const char *port)
{
	snprintf(buf, len, strchr(addr, ':') ? "[%s]:%s" : "%s:%s", addr,
		 port);
	return buf;
}

static void print_ct_head(void)
{
	printf("%-46s %-46s %-5s %-12s %7s %8s\n", "CLIENT", "VIP ADDRESS",
	       "PROTO", "VIP", "BACKEND", "IDLE s");
}

static void print_ct_row(struct json_object *e)
{
	char c[64], v[64];

	printf("%-46s %-46s %-5s %-12s %7lld %8.1f\n",
	       host_port(c, sizeof(c), s_of(e, "client"),
			 s_of(e, "client_port")),
	       host_port(v, sizeof(v), s_of(e, "vip_address"),
			 s_of(e, "vip_port")),
	       s_of(e, "protocol"), s_of(e, "vip"),
	       (long long)i_of(e, "backend"), d_of(e, "idle_s"));
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

		printf("%7lld %7lld %9lld %7.2f%% %7.2f%%",
		       (long long)i_of(b, "id"), (long long)i_of(b, "weight"),
		       (long long)i_of(b, "slots"), 100 * d_of(b, "share"),
		       100 * d_of(b, "ideal"));
		if (json_object_object_get(b, "slowstart_pct"))
			printf("  slowstart %lld%%",
			       (long long)i_of(b, "slowstart_pct"));
		printf("\n");
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
 * A command word without what it needs, or with too much: "xlb: maglev:
 * missing VIP" and the command's usage line, exit 2. Not "unknown command":
 * the command is known, its arguments are not right.
 */
static int need(const char *cmd, const char *usage_line, const char *what)
{
	const struct xlb_opts set = { .prog = "xlb", .cmd = cmd,
				      .usage = usage_line };

	return xlb_opt_fail(&set, what);
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

/*
 * A command (of @skip words) that takes no arguments: --help prints its
 * usage line; anything else is an error. Returns -1 to go on, else the
 * exit code.
 */
static int no_args(struct cli *c, const char *cmd, int skip)
{
	const struct xlb_opts set = { .prog = "xlb", .cmd = cmd,
				      .usage = "(no arguments)" };
	struct xlb_opt_result r;
	char why[320];
	int ret = sub_opts(&set, c, skip, NULL, &r);

	if (ret >= 0)
		return ret;
	if (!r.npos)
		return -1;
	snprintf(why, sizeof(why), "takes no arguments (got %s)%s", r.pos[0],
		 strcmp(cmd, "stats") ? "" :
		 "; it shows every VIP: one VIP's backends are in `xlb "
		 "backend list VIP`, its table in `xlb maglev show VIP`");
	return xlb_opt_fail(&set, why);
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

/*
 * Where the socket came from, appended to a failed connect: the operator
 * sees which path was tried and how to point at another.
 */
static void print_unreachable(const struct cli *c, const char *err)
{
	fprintf(stderr, "xlb: %s\n", err);
	fprintf(stderr, "xlb: socket %s is the %s; -s SOCKET or XLB_SOCKET "
			"choose another\n",
		c->sock,
		!strcmp(c->sock_from, "default") ? "default" :
		!strcmp(c->sock_from, "-s")	   ? "one given with -s" :
						     "one in $XLB_SOCKET");
}

/* Requests that change nothing; any other may change the running model. */
static bool reads_only(const char *cmd)
{
	static const char *const reads[] = {
		"status",	   "config.dump",     "vip.list",
		"backend.list",	   "stats",	      "conntrack.count",
		"conntrack.list", "maglev.show",     "help",
	};

	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
		if (!strcmp(cmd, reads[i]))
			return true;
	return false;
}

#define READ_TIMEOUT_S 30
/*
 * Reads that walk the whole conntrack table: xlbd does it a slice per loop
 * turn between its other work, so millions of entries take seconds to
 * minutes on a busy host.
 */
#define WALK_TIMEOUT_S 600

static bool walks_conntrack(const char *cmd)
{
	return !strcmp(cmd, "backend.list") ||
	       !strcmp(cmd, "conntrack.count") ||
	       !strcmp(cmd, "conntrack.list");
}
#define TICK_MS 2000

/* While a long request runs: a line, then a dot every TICK_MS (a TTY). */
static void progress_tick(void *arg)
{
	int *dots = arg;

	if (!(*dots)++)
		fputs("xlb: waiting for xlbd", stderr);
	fputc('.', stderr);
	fflush(stderr);
}

/*
 * Sends @req (taken); the answer, or NULL with the failure printed. A
 * change may take long (big tables): it waits without limit unless
 * --timeout says otherwise, and leaving early is "timed out", exit 3,
 * never "failed": xlbd goes on applying the change.
 */
static struct json_object *ask(struct cli *c, struct json_object *req)
{
	char err[512], cmd[64];
	bool change;
	int dots = 0, wait_s = 0; /* 0: as long as it takes */
	struct xlb_ctl_wait w = {};
	struct json_object *resp;

	snprintf(cmd, sizeof(cmd), "%s", s_of(req, "cmd"));
	change = !reads_only(cmd);
	if (c->has_timeout)
		wait_s = (int)c->timeout;
	else if (!change)
		wait_s = walks_conntrack(cmd) ? WALK_TIMEOUT_S : READ_TIMEOUT_S;
	w.timeout_ms = wait_s * 1000;
	if (isatty(STDERR_FILENO)) {
		w.tick_ms = TICK_MS;
		w.tick = progress_tick;
		w.arg = &dots;
	}
	resp = xlb_ctl_call_wait(c->sock, req, &w, err, sizeof(err));
	json_object_put(req);
	if (dots)
		fputc('\n', stderr);
	if (!resp && w.timed_out) {
		fprintf(stderr, "xlb: %s: %s%s\n", cmd, err,
			change ? " (the change may still be applied: check "
				 "with xlb status)" : "");
		exit(3);
	}
	if (!resp)
		print_unreachable(c, err);
	return resp;
}

static bool ok_of(struct json_object *resp)
{
	return json_object_get_boolean(json_object_object_get(resp, "ok"));
}

/* Sends @req; prints the answer with @print (or as JSON). Returns the exit code. */
static int call(struct cli *c, struct json_object *req,
		void (*print)(struct json_object *))
{
	struct json_object *resp = ask(c, req);
	int ok;

	if (!resp)
		return 1;
	ok = ok_of(resp);
	if (c->json)
		printf("%s\n", json_object_to_json_string_ext(
				       resp, JSON_C_TO_STRING_PRETTY));
	else if (!ok)
		fprintf(stderr, "xlb: %s\n", s_of(resp, "error"));
	else if (print)
		print(resp);
	else if (json_object_object_get(resp, "change"))
		/* an edit: confirm it in the words xlbd's log uses */
		printf("%s\n", s_of(resp, "change"));
	/* a live change: where it is not (xlbd's state file keeps it) */
	if (ok && !c->json && json_object_object_get(resp, "note"))
		printf("(%s)\n", s_of(resp, "note"));
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

#define VIP_SUBS "list | add NAME --address A --port P --proto P | del NAME"

static int cmd_vip(struct cli *c)
{
	struct json_object *req;
	const char *sub = c->argc > 1 ? c->argv[1] : "";
	int ret;

	if (!strcmp(sub, "list")) {
		ret = no_args(c, "vip list", 2);
		return ret >= 0 ? ret : call(c, request("vip.list"), print_vips);
	}
	if (!strcmp(sub, "del")) {
		if (c->argc != 3)
			return need("vip del", "NAME",
				    c->argc < 3 ? "missing NAME" :
						  "one NAME only");
		req = request("vip.del");
		add_str(req, "name", c->argv[2]);
		return call(c, req, NULL);
	}
	if (!strcmp(sub, "add"))
		return cmd_vip_add(c);
	return need("vip", VIP_SUBS,
		    *sub ? "unknown subcommand (list, add or del)" :
			   "missing list, add or del");
}

struct backend_opts {
	struct xlb_opt_addr address;
	__u8 mac[6];
	__u32 weight;
	bool backup;
};

static const struct xlb_opt backend_add_table[] = {
	XLB_OPT_OF("address", 0, XLB_OPT_ADDR, struct backend_opts, address,
		   "A", "the backend's address (needed for a new id)"),
	XLB_OPT_OF("mac", 0, XLB_OPT_MAC, struct backend_opts, mac, "M",
		   "the backend's MAC (l2dsr), else resolved"),
	XLB_OPT_NUM("weight", 0, struct backend_opts, weight, "W", 0,
		    XLB_WEIGHT_MAX, "its weight in this VIP (default 1)"),
	XLB_OPT_FLAG("backup", 0, struct backend_opts, backup,
		     "a backup: new flows only while no other backend can"),
};

/* One table per subcommand, so each one's help and usage line fit it. */
#define BACKEND_SET(sub, use, n)                                          \
	{ .prog = "xlb", .cmd = "backend " sub, .usage = use,             \
	  .opts = backend_add_table, .nopts = n }
static const struct xlb_opts backend_sets[] = {
	BACKEND_SET("add",
		    "VIP ID [--address A] [--mac M] [--weight W] [--backup]", 4),
	BACKEND_SET("del", "VIP ID", 0),
	BACKEND_SET("weight", "VIP ID W", 0),
	BACKEND_SET("drain", "VIP ID", 0),
	BACKEND_SET("undrain", "VIP ID", 0),
	BACKEND_SET("maint", "VIP ID", 0),
	BACKEND_SET("unmaint", "VIP ID", 0),
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

	if (!strcmp(sub, "list")) {
		if (c->argc > 3)
			return need("backend list", "[VIP]", "one VIP at most");
		req = request("backend.list");
		if (c->argc == 3)
			add_str(req, "vip", c->argv[2]);
		return call(c, req, print_backends);
	}
	for (size_t i = 0; i < sizeof(backend_sets) / sizeof(backend_sets[0]); i++)
		if (!strcmp(backend_sets[i].cmd + strlen("backend "), sub))
			set = &backend_sets[i];
	if (!set)
		return need("backend",
			    "list [VIP] | add|del|drain|undrain|maint|unmaint "
			    "VIP ID | weight VIP ID W",
			    *sub ? "unknown subcommand (list, add, del, weight, "
				   "drain, undrain, maint or unmaint)" :
				   "missing list, add, del, weight, drain, "
				   "undrain, maint or unmaint");
	ret = sub_opts(set, c, 2, &o, &r);
	if (ret >= 0)
		return ret;
	if (r.npos < (!strcmp(sub, "weight") ? 3 : 2))
		return bad(set, "missing %s",
			   r.npos == 0 ? "VIP" : r.npos == 1 ? "ID" : "W");
	if (r.npos > (!strcmp(sub, "weight") ? 3 : 2))
		return bad(set, "unexpected argument: %s",
			   r.pos[!strcmp(sub, "weight") ? 3 : 2]);
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
	if (xlb_opt_given(&r, 3))
		json_object_object_add(req, "backup",
				       json_object_new_boolean(true));
	return call(c, req, NULL);
}

/* xlbd lists at most this many entries in one reply (daemon.c). */
#define CT_LIST_MAX (1u << 24)
#define CT_LIST_DEFAULT 100

struct ct_opts {
	const char *vip;
	__u32 backend, limit;
};

static const struct xlb_opt ct_table[] = {
	XLB_OPT_OF("vip", 0, XLB_OPT_STR, struct ct_opts, vip, "NAME",
		   "only this VIP's entries"),
	XLB_OPT_NUM("backend", 0, struct ct_opts, backend, "ID", 1,
		    XLB_MAX_BACKENDS - 1, "only entries to this backend"),
	XLB_OPT_NUM("limit", 0, struct ct_opts, limit, "N", 0, CT_LIST_MAX - 1,
		    "list at most N entries (default 100; 0: all)"),
};

static const struct xlb_opts ct_set = {
	.prog = "xlb",
	.cmd = "conntrack",
	.usage = "count|list [--vip NAME] [--backend ID] [--limit N|0] | "
		 "flush [--vip NAME] [--backend ID]",
	.opts = ct_table,
	.nopts = sizeof(ct_table) / sizeof(ct_table[0]),
};

static struct json_object *ct_request(const char *cmd, const struct ct_opts *o,
				      __u32 limit)
{
	struct json_object *req = request(cmd);

	if (o->vip)
		add_str(req, "vip", o->vip);
	if (o->backend)
		add_int(req, "backend", o->backend);
	if (limit)
		add_int(req, "limit", limit);
	return req;
}

/* How many entries match --vip and --backend, or -1 (printed). */
static long long ct_total(struct cli *c, const struct ct_opts *o)
{
	struct json_object *resp = ask(c, ct_request("conntrack.count", o, 0));
	long long n = -1;

	if (!resp)
		return -1;
	if (ok_of(resp))
		n = i_of(resp, "count");
	else
		fprintf(stderr, "xlb: %s\n", s_of(resp, "error"));
	json_object_put(resp);
	return n;
}

/*
 * Entries asked for per page of a long listing: an answer of about 2.5
 * MB, well under the 16 MiB a control message may hold (lib/ctl.h), which
 * one answer for a table of a million flows would not be.
 * XLB_CT_LIST_PAGE sets it (tests cover paging with a small table).
 */
#define CT_LIST_PAGE 20000

static __u32 ct_page_size(void)
{
	const char *e = getenv("XLB_CT_LIST_PAGE");
	long v = e ? strtol(e, NULL, 10) : 0;

	return v > 0 && v < (long)CT_LIST_MAX ? (__u32)v : CT_LIST_PAGE;
}

/* Shows entries [0, @n) of @m, @*shown so far (a comma before all but
 * the first, in JSON). */
static void ct_show(struct cli *c, struct json_object *m, size_t n,
		    size_t *shown)
{
	for (size_t i = 0; i < n; i++, (*shown)++) {
		struct json_object *e = json_object_array_get_idx(m, i);

		if (c->json)
			printf("%s\n    %s", *shown ? "," : "",
			       json_object_to_json_string_ext(
				       e, JSON_C_TO_STRING_PLAIN));
		else
			print_ct_row(e);
	}
}

/*
 * conntrack list: pages of the table (xlbd applies --vip and --backend and
 * says where the next page starts), shown as they come, so a table of
 * millions never makes one answer. A page may hold more than asked (xlbd
 * ends it with a whole batch); the listing stops at --limit and then
 * counts the matches to say how many were not shown. Like ipvsadm -Lnc,
 * it is the table as the walk met it, not a snapshot: a flow that starts
 * or ends meanwhile may or may not be listed, none twice. JSON is
 * streamed too: {"entries": [...], "total": N, "ok": true}.
 */
static int ct_list(struct cli *c, const struct ct_opts *o)
{
	__u32 want = !o->limit ? UINT32_MAX : o->limit, page = ct_page_size();
	size_t shown = 0;
	long long after = 0, total = -1;
	bool more = true, cut = false, opened = false;
	int ret = 0;

	while (more && !cut) {
		size_t left = want - shown;
		/* one past what is still wanted: a cut is seen */
		__u32 ask_n = left < page ? (__u32)left + 1 : page;
		struct json_object *req = ct_request("conntrack.list", o, ask_n);
		struct json_object *resp, *m, *next;
		long long at;
		size_t got, use;

		json_object_object_add(req, "after",
				       json_object_new_int64(after));
		resp = ask(c, req);
		if (!resp) {
			ret = 1;
			break;
		}
		if (!ok_of(resp)) {
			if (c->json && !opened)
				printf("%s\n", json_object_to_json_string_ext(
						       resp, JSON_C_TO_STRING_PRETTY));
			else
				fprintf(stderr, "xlb: %s\n", s_of(resp, "error"));
			json_object_put(resp);
			ret = 1;
			break;
		}
		if (!opened) {
			if (c->json)
				printf("{\n  \"entries\": [");
			else
				print_ct_head();
			opened = true;
		}
		m = json_object_object_get(resp, "entries");
		got = json_object_array_length(m);
		use = got < left ? got : left;
		cut = got > left;
		more = json_object_object_get_ex(resp, "next", &next);
		at = more ? (long long)json_object_get_int64(next) : after;
		ct_show(c, m, use, &shown);
		if (more && at <= after) {
			/* positions only grow within a walk */
			fprintf(stderr,
				"xlb: conntrack list: xlbd's next page starts at "
				"%lld, not past %lld\n",
				at, after);
			ret = 1;
		}
		after = at;
		json_object_put(resp);
		if (ret)
			break;
	}
	if (!ret) {
		/* stopped at --limit with entries left: count them all */
		total = cut || more ? ct_total(c, o) : (long long)shown;
		if (total < 0)
			ret = 1;
	}
	if (c->json) {
		if (opened)
			printf("\n  ],\n  \"total\": %lld,\n  \"ok\": %s\n}\n",
			       total, ret ? "false" : "true");
		return ret;
	}
	if (ret && shown)
		printf("... %zu shown, then the listing failed\n", shown);
	else if (!ret && (long long)shown < total)
		printf("... %zu of %lld shown; --limit 0 for all\n", shown,
		       total);
	return ret;
}

static int cmd_conntrack(struct cli *c)
{
	struct ct_opts o = { .limit = CT_LIST_DEFAULT };
	const char *sub = c->argc > 1 ? c->argv[1] : "";
	struct json_object *req, *resp;
	struct xlb_opt_result r;
	int ret, ok;

	if (strcmp(sub, "count") && strcmp(sub, "list") && strcmp(sub, "flush"))
		return need("conntrack", ct_set.usage,
			    *sub ? "unknown subcommand (count, list or flush)" :
				   "missing count, list or flush");
	ret = sub_opts(&ct_set, c, 2, &o, &r);
	if (ret >= 0)
		return ret;
	if (r.npos)
		return bad(&ct_set, "unexpected argument: %s", r.pos[0]);
	if (strcmp(sub, "list") && xlb_opt_given(&r, 2))
		return bad(&ct_set, "--limit is for list, not %s", sub);
	if (!strcmp(sub, "list"))
		return ct_list(c, &o);
	req = ct_request(!strcmp(sub, "flush") ? "conntrack.flush" :
						 "conntrack.count", &o, 0);
	if (c->json)
		return call(c, req, NULL);
	/* one line for people: "1234 entries (capacity 1048576)" */
	resp = ask(c, req);
	if (!resp)
		return 1;
	ok = ok_of(resp);
	if (!ok)
		fprintf(stderr, "xlb: %s\n", s_of(resp, "error"));
	else if (!strcmp(sub, "flush"))
		printf("%lld entries flushed\n", (long long)i_of(resp, "flushed"));
	else if (o.backend)
		printf("%lld entries to backend %u\n",
		       (long long)i_of(resp, "count"), o.backend);
	else
		printf("%lld entries (capacity %lld)\n",
		       (long long)i_of(resp, "count"),
		       (long long)i_of(resp, "capacity"));
	json_object_put(resp);
	return ok ? 0 : 1;
}

/*
 * After an attach: says whether the maps hold a config. Without one the
 * program forwards nothing (no VIPs: every packet goes on to the stack)
 * until xlbd writes a config into the same pin dir; an operator who
 * attached by hand should hear that rather than wonder.
 */
static int attach_vips(struct cli *c)
{
	struct xlb_vip_entry *vips = NULL;
	struct xlb_lb_maps m;
	size_t n = 0;
	char err[512];
	__u32 ct;
	int rc;

	rc = xlb_maps_open_pinned(c->pin_dir, 0, &m, &ct, err, sizeof(err));
	if (!rc) {
		rc = xlb_vip_list(&m, &vips, &n);
		xlb_maps_close(&m);
		free(vips);
		if (rc)
			snprintf(err, sizeof(err), "list VIPs in %s: %s",
				 c->pin_dir, strerror(-rc));
	}
	if (rc) {
		fprintf(stderr, "xlb: attached, but %s\n", err);
		return 1;
	}
	if (n)
		printf("%zu VIPs in the maps (written by xlbd)\n", n);
	else
		printf("no VIPs in the maps: the LB forwards nothing (every "
		       "packet goes on to the stack) until xlbd writes a "
		       "config there (pin_dir: %s in its config file)\n",
		       c->pin_dir);
	return 0;
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
	printf("attached to %s (%s mode); maps pinned in %s (%s)\n", r.pos[0],
	       xlb_xdp_mode_str(mode), c->pin_dir, c->pin_from);
	return attach_vips(c);
}

static int cmd_detach(struct cli *c)
{
	char err[512];

	if (c->argc != 2)
		return need("detach", "IFACE",
			    c->argc < 2 ? "missing IFACE" : "one IFACE only");
	if (xlb_detach(c->argv[1], err, sizeof(err))) {
		fprintf(stderr, "xlb: %s\n", err);
		return 1;
	}
	printf("detached from %s\n", c->argv[1]);
	return 0;
}

/* The network namespace of @pid ("net:[4026531840]"), or "" if unreadable. */
static void net_ns_of(const char *pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%s/ns/net", pid);
	n = readlink(path, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
}

/*
 * Where the LB runs and what xlbd serves. XDP attachments are per network
 * namespace: run outside the LB's namespace, this one lists none although
 * xlbd serves, so the empty list says whose namespace it looked at and
 * where xlbd's attachments are. Exits 1 when xlbd cannot be reached.
 */
static int cmd_status(struct cli *c)
{
	struct xlb_attachment at[64];
	struct json_object *resp, *xat = NULL;
	char me[64], it[64], pid[24];
	size_t nx = 0;
	int n, ret = no_args(c, "status", 1);

	if (ret >= 0)
		return ret;
	if (c->json)
		return call(c, request("status"), NULL);
	n = xlb_attachments(at, 64);
	if (n < 0) {
		fprintf(stderr, "xlb: list attachments: %s\n", strerror(-n));
		return 1;
	}
	resp = ask(c, request("status"));
	if (resp && !ok_of(resp)) {
		fprintf(stderr, "xlb: status: %s\n", s_of(resp, "error"));
		json_object_put(resp);
		return 1;
	}
	if (resp) {
		xat = json_object_object_get(resp, "attached");
		nx = json_object_array_length(xat);
	}
	if (n) {
		printf("datapath: attached\n");
		for (int i = 0; i < n; i++)
			printf("  %-16s %-6s prog id %u%s\n", at[i].ifname,
			       xlb_xdp_mode_str(at[i].mode), at[i].prog_id,
			       at[i].multiprog ? " (libxdp dispatcher)" : "");
	} else {
		printf("datapath: no xlb program attached in this network "
		       "namespace\n");
	}
	if (!resp)
		return 1; /* ask() said where it looked */
	snprintf(pid, sizeof(pid), "%lld", (long long)i_of(resp, "pid"));
	net_ns_of("self", me, sizeof(me));
	net_ns_of(pid, it, sizeof(it));
	if (!n && nx) {
		printf("  xlbd (pid %s) has it attached in its namespace%s%s:",
		       pid, *it ? " " : "", it);
		for (size_t i = 0; i < nx; i++)
			printf(" %s", s_of(json_object_array_get_idx(xat, i),
					   "interface"));
		printf("\n  look there: nsenter --net=/proc/%s/ns/net xlb "
		       "status (in the lab: scripts/lab.sh exec lb1 xlb "
		       "status)\n",
		       pid);
	} else if (*me && *it && strcmp(me, it)) {
		printf("  (this is %s; xlbd runs in %s)\n", me, it);
	}
	printf("xlbd: pid %s, up %llds, config %s, socket %s\n"
	       "  %lld VIPs, %lld backends; maps in %s; conntrack "
	       "capacity %lld (%s)\n",
	       pid, (long long)i_of(resp, "uptime_s"),
	       s_of(resp, "config_path"), c->sock,
	       (long long)i_of(resp, "vips"),
	       (long long)i_of(resp, "backends"), s_of(resp, "pin_dir"),
	       (long long)i_of(resp, "conntrack_capacity"),
	       json_object_get_boolean(json_object_object_get(
		       resp, "conntrack_adopted")) ?
		       "adopted from a previous run" :
		       "created at start");
	if (i_of(resp, "health_checks"))
		printf("  health checks: %lld, %lld up; %lld transitions\n",
		       (long long)i_of(resp, "health_checks"),
		       (long long)i_of(resp, "health_checks_up"),
		       (long long)i_of(resp, "health_transitions"));
	json_object_put(resp);
	return 0;
}

/* ---- top ------------------------------------------------------------------ */

static const struct xlb_opt top_table[] = {
	XLB_OPT_FLAG("once", 0, struct xlb_top_opts, once,
		     "print one frame and exit (no terminal control)"),
	XLB_OPT_NUM("interval", 'd', struct xlb_top_opts, interval, "S", 1, 3600,
		    "seconds between frames (default 1)"),
	XLB_OPT_NUM("iterations", 'n', struct xlb_top_opts, iterations, "N", 1,
		    1000000, "quit after N frames"),
};

static const struct xlb_opts top_set = {
	.prog = "xlb",
	.cmd = "top",
	.usage = "[--once] [--interval S] [--iterations N]   (q or Ctrl-C quits)",
	.opts = top_table,
	.nopts = sizeof(top_table) / sizeof(top_table[0]),
};

static struct json_object *top_ask(void *ctx, struct json_object *req)
{
	return ask(ctx, req);
}

static int cmd_top(struct cli *c)
{
	struct xlb_top_opts o = { .interval = 1 };
	struct xlb_opt_result r;
	int ret = sub_opts(&top_set, c, 1, &o, &r);

	if (ret >= 0)
		return ret;
	if (r.npos)
		return xlb_opt_fail(&top_set, "takes no arguments");
	return xlb_top(&o, top_ask, c);
}

static void print_saved(struct json_object *r)
{
	printf("saved the running config to %s\n", s_of(r, "file"));
}

/*
 * config dump | config save [FILE]: save writes the running model (live
 * changes included) to the config file, or to FILE, through xlbd, which
 * knows the model; a relative FILE is this directory's, not xlbd's.
 */
static int cmd_config(struct cli *c)
{
	const char *sub = c->argc > 1 ? c->argv[1] : "";
	struct json_object *req;
	char path[PATH_MAX];
	int ret;

	if (!strcmp(sub, "dump")) {
		ret = no_args(c, "config dump", 2);
		return ret >= 0 ? ret :
				  call(c, request("config.dump"), print_config);
	}
	if (strcmp(sub, "save"))
		return need("config", "dump | save [FILE]",
			    *sub ? "unknown subcommand (dump or save)" :
				   "missing dump or save");
	if (c->argc > 3)
		return need("config save", "[FILE]", "one FILE at most");
	req = request("config.save");
	if (c->argc == 3) {
		const char *f = c->argv[2];
		char cwd[PATH_MAX];

		if (f[0] != '/' && !getcwd(cwd, sizeof(cwd))) {
			json_object_put(req);
			fprintf(stderr, "xlb: config save: getcwd: %s\n",
				strerror(errno));
			return 1;
		}
		if ((size_t)snprintf(path, sizeof(path), "%s%s%s",
				     f[0] == '/' ? "" : cwd,
				     f[0] == '/' ? "" : "/", f) >= sizeof(path)) {
			json_object_put(req);
			return die("config save: %s: name too long\n", f);
		}
		add_str(req, "file", path);
	}
	return call(c, req, print_saved);
}

/*
 * xlb ha status and xlb sync status (the same output): a line for this
 * node (role, synced, fingerprint), one per peer, a warning per peer whose
 * fingerprint differs, the rejects that are not zero. Exits 0 when synced
 * (ha status: also when the node has no sync), 3 when not yet (keepalived's
 * track_script and a BIRD wrapper can use it as it is), 1 on error (sync
 * status: also without sync), 2 on usage. A fingerprint mismatch does not
 * change the exit code: a node that decides differently still holds every
 * synced flow, and taking over beats having no master.
 */
static int cmd_ha(struct cli *c, const char *cmd)
{
	struct json_object *resp, *peers, *rj;
	bool ha = !strcmp(cmd, "ha");
	int ret, synced;

	if (c->argc < 2 || strcmp(c->argv[1], "status"))
		return need(cmd, "status",
			    c->argc < 2 ? "missing status" :
					  "unknown subcommand (status)");
	ret = no_args(c, ha ? "ha status" : "sync status", 2);
	if (ret >= 0)
		return ret;
	resp = ask(c, request(ha ? "ha.status" : "sync.status"));
	if (!resp)
		return 1;
	if (!ok_of(resp)) {
		if (c->json)
			printf("%s\n", json_object_to_json_string_ext(
					       resp, JSON_C_TO_STRING_PRETTY));
		else
			fprintf(stderr, "xlb: %s\n", s_of(resp, "error"));
		json_object_put(resp);
		return 1;
	}
	synced = json_object_get_boolean(json_object_object_get(resp, "synced"));
	if (c->json) {
		printf("%s\n", json_object_to_json_string_ext(
				       resp, JSON_C_TO_STRING_PRETTY));
		json_object_put(resp);
		return synced ? 0 : 3;
	}
	if (!json_object_get_boolean(
		    json_object_object_get(resp, "configured"))) {
		printf("role: %s (no sync: section; nothing to wait for)\n",
		       s_of(resp, "role"));
		json_object_put(resp);
		return 0;
	}
	printf("role: %s; sync: %s on %s, fingerprint %s, %lld entries; "
	       "learned %lld, %lld walks\n",
	       s_of(resp, "role"), synced ? "synced" : "NOT synced",
	       s_of(resp, "listen"), s_of(resp, "fingerprint"),
	       (long long)i_of(resp, "ct_entries"),
	       (long long)i_of(resp, "learned"), (long long)i_of(resp, "walks"));
	peers = json_object_object_get(resp, "peers");
	for (size_t i = 0; i < json_object_array_length(peers); i++) {
		struct json_object *p = json_object_array_get_idx(peers, i);
		struct json_object *lag = json_object_object_get(p, "lag_ms");
		bool match = json_object_get_boolean(
			json_object_object_get(p, "fingerprint_match"));

		printf("  peer %-22s %-10s %s  queue %lld  sent %lld  "
		       "applied %lld  resends %lld",
		       s_of(p, "peer"), s_of(p, "state"),
		       json_object_get_boolean(json_object_object_get(p, "up")) ?
			       "up  " :
			       "down",
		       (long long)i_of(p, "queue_entries"),
		       (long long)i_of(p, "sent_entries"),
		       (long long)i_of(p, "applied"),
		       (long long)i_of(p, "resends"));
		if (lag)
			printf("  lag p50 %.1f p99 %.1f max %.1f ms",
			       d_of(lag, "p50"), d_of(lag, "p99"),
			       d_of(lag, "max"));
		printf("\n");
		if (*s_of(p, "fingerprint") && !match)
			printf("    FINGERPRINT MISMATCH: %s differs from ours "
			       "(%s differ): this peer picks backends "
			       "differently for new flows\n",
			       s_of(p, "fingerprint"),
			       s_of(p, "fingerprint_differs"));
	}
	rj = json_object_object_get(resp, "rejects");
	json_object_object_foreach(rj, k, v) {
		if (json_object_get_int64(v))
			printf("  rejected %s: %lld\n", k,
			       (long long)json_object_get_int64(v));
	}
	json_object_put(resp);
	return synced ? 0 : 3;
}

/* A flag wins over the environment, which wins over the default. */
static void from_env(const struct xlb_opt_result *r, size_t opt,
		     const char *var, const char **val, const char **from)
{
	const char *e = getenv(var);

	if (xlb_opt_given(r, opt))
		*from = opt == 1 ? "-s" : "--pin-dir";
	else if (e && *e) {
		*val = e;
		*from = var;
	} else {
		*from = "default";
	}
}

/*
 * Commands whose words are read by hand, not through an option table:
 * there, -h or --help would be taken for a file, VIP or interface name
 * (`xlb config save --help` wrote ./--help). Each prints its usage instead.
 */
static const struct {
	const char *cmd, *sub, *usage;
} hand_read[] = {
	{ "config", NULL, "dump | save [FILE]" },
	{ "detach", NULL, "IFACE" },
	{ "maglev", NULL, "show VIP" },
	{ "backend", "list", "[VIP]" },
	{ "vip", "list", "" },
	{ "vip", "del", "NAME" },
	{ "reload", NULL, "" },
	{ "status", NULL, "" },
	{ "stats", NULL, "" },
};

static bool asks_help(const struct cli *c)
{
	for (int i = 1; i < c->argc; i++)
		if (!strcmp(c->argv[i], "-h") || !strcmp(c->argv[i], "--help"))
			return true;
	return false;
}

static int hand_read_help(const struct cli *c)
{
	for (size_t i = 0; i < sizeof(hand_read) / sizeof(hand_read[0]); i++) {
		const char *sub = hand_read[i].sub;

		if (strcmp(c->argv[0], hand_read[i].cmd) ||
		    (sub && (c->argc < 2 || strcmp(c->argv[1], sub))))
			continue;
		printf("usage: xlb [GLOBAL OPTIONS] %s%s%s%s%s\n",
		       hand_read[i].cmd, sub ? " " : "", sub ? sub : "",
		       *hand_read[i].usage ? " " : "", hand_read[i].usage);
		printf("(xlb --help lists the global options and every command)\n");
		return 1;
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
	from_env(&r, 1, "XLB_SOCKET", &c.sock, &c.sock_from);
	from_env(&r, 2, "XLB_PIN_DIR", &c.pin_dir, &c.pin_from);
	c.has_timeout = xlb_opt_given(&r, OPT_TIMEOUT);
	if (!r.npos) {
		usage(stderr);
		return 2;
	}
	xlb_log_init("xlb", c.verbose ? XLB_LOG_DEBUG : XLB_LOG_INFO);
	c.argc = r.npos;
	c.argv = r.pos;
	cmd = c.argv[0];
	if (asks_help(&c) && hand_read_help(&c))
		return 0;
	if (!strcmp(cmd, "attach"))
		return cmd_attach(&c);
	if (!strcmp(cmd, "detach"))
		return cmd_detach(&c);
	if (!strcmp(cmd, "status"))
		return cmd_status(&c);
	if (!strcmp(cmd, "reload")) {
		ret = no_args(&c, "reload", 1);
		return ret >= 0 ? ret : call(&c, request("reload"), NULL);
	}
	if (!strcmp(cmd, "config"))
		return cmd_config(&c);
	if (!strcmp(cmd, "vip"))
		return cmd_vip(&c);
	if (!strcmp(cmd, "backend"))
		return cmd_backend(&c);
	if (!strcmp(cmd, "stats")) {
		ret = no_args(&c, "stats", 1);
		return ret >= 0 ? ret : call(&c, request("stats"), print_stats);
	}
	if (!strcmp(cmd, "conntrack"))
		return cmd_conntrack(&c);
	if (!strcmp(cmd, "sync") || !strcmp(cmd, "ha"))
		return cmd_ha(&c, cmd);
	if (!strcmp(cmd, "maglev")) {
		struct json_object *req;

		if (c.argc < 2 || strcmp(c.argv[1], "show"))
			return need("maglev", "show VIP",
				    c.argc < 2 ? "missing show VIP" :
						 "unknown subcommand (show)");
		if (c.argc != 3)
			return need("maglev show", "VIP",
				    c.argc < 3 ? "missing VIP" : "one VIP only");
		req = request("maglev.show");
		add_str(req, "vip", c.argv[2]);
		return call(&c, req, print_maglev);
	}
	if (!strcmp(cmd, "top"))
		return cmd_top(&c);
	return die("unknown command: %s (xlb --help)\n", cmd);
}
