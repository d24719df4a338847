/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds xlb's configuration model and its YAML form: the global
 * settings, the backend pool (stable ids) and the VIPs with their weighted
 * backend references. Parsing validates the whole file before returning, so
 * a caller either gets a complete, consistent model or an error that names
 * file, line and field; nothing half-parsed escapes. Pure C with libyaml: no
 * BPF, no network, so it tests without root.
 */
#ifndef XLB_USER_CONFIG_H
#define XLB_USER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include <xlb/abi.h>

#include "lib/parse.h"

#define XLB_NAME_MAX 64
#define XLB_IFNAME_MAX 16
#define XLB_PATH_MAX 256
#define XLB_ERR_MAX 512
#define XLB_WEIGHT_MAX 65535
/* 1280 (IPv6 minimum MTU) + 40 (IP6IP6 header) */
#define XLB_MTU_MIN_V6 1320

#define XLB_DEFAULT_PIN_DIR "/sys/fs/bpf/xlb"
/* Like IPVS's defaults (ipvsadm --set 900 120 300). */
#define XLB_DEFAULT_CT_TIMEOUT_TCP 900
#define XLB_DEFAULT_CT_TIMEOUT_TCP_FIN 120
#define XLB_DEFAULT_CT_TIMEOUT_UDP 300
#define XLB_DEFAULT_CT_ENTRIES (1u << 20)

/* A server, by stable id: the same id means the same server on every node. */
struct xlb_cfg_backend {
	__u32 id; /* 1 .. XLB_MAX_BACKENDS-1 */
	struct xlb_addr addr;
	__u8 family; /* XLB_AF_* */
	bool has_mac; /* L2 DSR: given, else resolved from the neighbour table */
	__u8 mac[6];
	/*
	 * Health, runtime only (never in the file): a down backend is in no
	 * Maglev table, as if each VIP gave it weight 0, and keeps its
	 * configured weights for when it is up again.
	 */
	bool down;
	int line; /* where it was defined, for messages; 0 if not from a file */
};

/*
 * Health checks (README, "Health checks"). A VIP's `check:` gives the
 * defaults for its backends, a reference's `check:` overrides single keys
 * (HAProxy's server line over its defaults section). One struct serves
 * both: @set says which keys were written, so the writer writes only those
 * and a reference inherits the rest. xlb_cfg_check_of() gives the check one
 * (VIP, backend) runs, defaults filled in.
 */
enum xlb_check_kind {
	XLB_CHECK_NONE, /* no check: the backend is taken as up */
	XLB_CHECK_TCP,
	XLB_CHECK_HTTP,
	XLB_CHECK_HTTPS,
	XLB_CHECK_UDP,
	XLB_CHECK_EXEC,
	XLB_CHECK_AGENT,
};

enum xlb_check_on_down {
	XLB_ON_DOWN_RESET, /* its conntrack entries in the VIP are deleted */
	XLB_ON_DOWN_KEEP, /* established flows stay on it */
};

/* The keys of a check: mapping, in the order the writer writes them. */
enum xlb_check_key {
	XLB_CK_KIND,
	XLB_CK_PORT,
	XLB_CK_ADDRESS,
	XLB_CK_INTERVAL,
	XLB_CK_FASTINTERVAL,
	XLB_CK_DOWNINTERVAL,
	XLB_CK_TIMEOUT,
	XLB_CK_RISE,
	XLB_CK_FALL,
	XLB_CK_INITIAL,
	XLB_CK_ON_DOWN,
	XLB_CK_PATH,
	XLB_CK_HOST,
	XLB_CK_STATUS,
	XLB_CK_BODY,
	XLB_CK_TLS_VERIFY,
	XLB_CK_COMMAND,
	XLB_CK_PAYLOAD,
	XLB_CK_EXPECT,
	XLB_CK_REQUIRE_REPLY,
	XLB_CK_TUNNEL,
	XLB_CK_SLOWSTART,
	XLB_CHECK_NKEYS
};
#define XLB_CHECK_F(k) (1u << (k))

#define XLB_CHECK_DEFAULT_INTERVAL_MS 2000
#define XLB_CHECK_DEFAULT_TIMEOUT_MS 1000 /* or half the interval, if less */
#define XLB_CHECK_DEFAULT_RISE 2
#define XLB_CHECK_DEFAULT_FALL 3
#define XLB_CHECK_DEFAULT_STATUS "200-399"
#define XLB_CHECK_STR_MAX 256
#define XLB_CHECK_STATUS_MAX 64

struct xlb_cfg_check {
	__u32 set; /* XLB_CHECK_F(key) for each key written */
	__u8 kind; /* enum xlb_check_kind */
	__u8 on_down; /* enum xlb_check_on_down */
	__u8 family; /* of @addr; 0: the backend's address */
	bool initial_up; /* false: down until rise successes (default) */
	bool tls_verify; /* https: verify the certificate (default true) */
	/*
	 * udp: a reply is needed (default); false: a probe passes unless an
	 * ICMP error (port unreachable) comes back within the timeout.
	 */
	bool require_reply;
	/*
	 * tunnel: true: the probe goes to the VIP on the backend, sent as the
	 * VIP sends clients' packets (xlb_probe.bpf.c); @mode is the VIP's,
	 * filled in by xlb_cfg_check_of()
	 */
	bool tunnel;
	__u8 mode;
	__u16 port; /* 0: the VIP's port */
	struct xlb_addr addr;
	__u32 interval_ms, fastinterval_ms, downinterval_ms, timeout_ms;
	__u32 rise, fall;
	/*
	 * slowstart: a reference coming back (from down or maint) ramps its
	 * weight over this long (xlb_slowstart_step()); 0: off (default)
	 */
	__u32 slowstart_ms;
	char path[XLB_CHECK_STR_MAX]; /* http(s): the request's path */
	char host[XLB_CHECK_STR_MAX]; /* http(s): Host header and TLS SNI */
	char status[XLB_CHECK_STATUS_MAX]; /* "200-399", "200,204" */
	char body[XLB_CHECK_STR_MAX]; /* http(s): the body must hold this */
	char command[XLB_CHECK_STR_MAX]; /* exec: run by /bin/sh -c */
	char payload[XLB_CHECK_STR_MAX]; /* udp, agent: what the probe sends */
	char expect[XLB_CHECK_STR_MAX]; /* udp: the reply must hold this */
	int line; /* of the check: key; 0 if not from a file */
	int lines[XLB_CHECK_NKEYS]; /* of each key; 0 if not from a file */
};

/* An administrative state, as HAProxy has them: the strongest one wins. */
enum xlb_admin {
	XLB_ADMIN_READY, /* takes new flows */
	XLB_ADMIN_DRAIN, /* no new flows, established ones stay */
	XLB_ADMIN_MAINT, /* no traffic at all, no check */
};

/* A backend as one VIP uses it. */
struct xlb_cfg_ref {
	__u32 id; /* a backend of the pool */
	__u32 weight; /* 0 .. XLB_WEIGHT_MAX; 0: no new flows */
	/*
	 * drain: true in the file: no new flows, established ones stay;
	 * @weight is kept as configured, so undrain restores it.
	 */
	bool drained;
	/*
	 * maint: true in the file (HAProxy's MAINT): no traffic at all. Out of
	 * the table, its conntrack entries in the VIP deleted, no check run;
	 * @weight and @drained are kept for when it leaves maintenance.
	 */
	bool maint;
	/*
	 * backup: true in the file (HAProxy's backup server, keepalived's
	 * sorry_server): no new flows while a reference of the VIP that is
	 * not a backup can take them; see xlb_cfg_vip_bench().
	 */
	bool backup;
	/*
	 * Runtime only (never in the file): a backup kept out of the table
	 * because a primary can take flows (or none of the backups can).
	 * Not down: no check changes state, no flows are reset, established
	 * flows stay on it, as on a drained one.
	 */
	bool benched;
	/*
	 * What the reference's agent check last said (runtime only, never in
	 * the file), beside its health and beside the file's drain and maint:
	 * enum xlb_admin (ready, drain, maint), and a weight in percent of
	 * @weight when @agent_pct_set ("75%").
	 */
	__u8 agent_admin;
	bool agent_pct_set;
	__u16 agent_pct;
	/*
	 * Health in this VIP, runtime only (never in the file): the VIP's
	 * check found it down, so it is out of this VIP's table, weight kept.
	 */
	bool down;
	/*
	 * Slow start, runtime only (never in the file): while @ramp_pct is
	 * 1..99 the table gives the reference that percent of its weight; it
	 * came back at @ramp_start (CLOCK_MONOTONIC, ms) and ramps over
	 * @ramp_ms. 0: no ramp, its full weight.
	 */
	__u16 ramp_pct;
	__u32 ramp_ms;
	__u64 ramp_start;
	/* its own check: keys: xlb_cfg.checks[check - 1]; 0: none */
	__u32 check;
	int line; /* where it was written, for messages; 0 if not from a file */
};

struct xlb_cfg_vip {
	char name[XLB_NAME_MAX]; /* unique; how the CLI names it */
	struct xlb_addr addr;
	__u8 family; /* XLB_AF_* */
	__u16 port; /* host order; 0 takes every port */
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 mode; /* enum xlb_fwd_mode */
	__u8 hash_fields; /* XLB_HASH_*, never 0 after parsing */
	__u32 flags; /* XLB_VIP_F_* */
	bool echo; /* answer ICMP echo requests to the address */
	__u32 table_size; /* Maglev M, prime; 0 after parsing never */
	struct xlb_cfg_check check; /* defaults for its backends; set 0: none */
	struct xlb_cfg_ref *refs;
	size_t nrefs;
	int line;
};

/*
 * The line each global setting was read from, so a check that runs later
 * (cross-field rules, apply-time resolution) still cites FILE:LINE; 0 when
 * the setting is not in the file (its default) or the model was built in
 * code.
 */
struct xlb_cfg_lines {
	int pin_dir, hash_seed, maglev_size, mtu, ct_entries, ct_insert_rate;
	int ct_timeout_tcp, ct_timeout_tcp_fin, ct_timeout_udp;
	int encap_src4, encap_src6;
	int nexthop, nexthop_mac, nexthop_ifname, nexthop_addr;
	int allow_empty;
	int metrics_listen;
};

/* An address and UDP port, "192.0.2.1:7400" or "[2001:db8::1]:7400". */
struct xlb_cfg_endpoint {
	struct xlb_addr addr;
	__u8 family; /* XLB_AF_* */
	__u16 port; /* host order */
	int line;
};

#define XLB_SYNC_PEERS_MAX 8
#define XLB_SYNC_DEFAULT_INTERVAL 10

/*
 * Connection-state sync with other LB nodes (README, "State sync and
 * failover"). Read when xlbd starts: a reload that changes it is logged
 * and takes effect at the next start.
 */
struct xlb_cfg_sync {
	bool enabled; /* the file has a sync: section */
	struct xlb_cfg_endpoint listen;
	struct xlb_cfg_endpoint peers[XLB_SYNC_PEERS_MAX];
	size_t npeers;
	char key_file[XLB_PATH_MAX]; /* "ID HEX" lines, mode 0600 */
	__u32 key_id; /* the key this node sends with */
	__u32 interval; /* s between walks of the table (refresh, catch-up) */
	int line, key_file_line, key_id_line, interval_line;
};

struct xlb_cfg {
	/* where the model was read from, for messages; "" if not from a file */
	char source[XLB_PATH_MAX];
	struct xlb_cfg_lines lines;
	/*
	 * allow_empty: true in the file: a reload may remove every VIP. Off, a
	 * reload of a file with no VIP over running VIPs is refused (a file
	 * cut short after a valid prefix reads as zero VIPs).
	 */
	bool allow_empty;
	/* global */
	char pin_dir[XLB_PATH_MAX];
	__u32 hash_seed;
	__u32 maglev_size; /* default M for VIPs that do not set one */
	__u32 mtu; /* 0: no check */
	__u32 ct_insert_rate; /* per CPU per second; 0: no cap */
	__u32 ct_entries; /* conntrack map size, used when the maps are created */
	/* conntrack idle timeouts in seconds, 0: never (see README) */
	__u32 ct_timeout_tcp, ct_timeout_tcp_fin, ct_timeout_udp;
	__be32 encap_src4; /* 0 if unset */
	struct xlb_addr encap_src6; /* all zero if unset */
	char nexthop_ifname[XLB_IFNAME_MAX]; /* resolve the next hop's MAC here */
	struct xlb_addr nexthop_addr; /* ... for this address; family below */
	__u8 nexthop_family; /* 0 if no address given */
	bool has_nexthop_mac; /* a MAC given outright wins over resolving */
	__u8 nexthop_mac[6];
	/*
	 * metrics.listen: where xlbd serves /metrics, /healthz and the status
	 * page over HTTP. Off (metrics_port 0) unless the file asks; the
	 * address defaults to 127.0.0.1 when only a port is given.
	 */
	struct xlb_addr metrics_addr;
	__u8 metrics_family; /* 0 while off */
	__u16 metrics_port; /* 0: off */

	struct xlb_cfg_sync sync;

	struct xlb_cfg_backend *backends;
	size_t nbackends;
	/*
	 * xlb_cfg_backend_find()'s index: position + 1 by id, built on first
	 * use. Only a hint, checked against the id on every use (code edits
	 * backends[] freely), so a stale one costs a rebuild, never a wrong
	 * answer. Owned by the model: not copied, freed with it.
	 */
	__u32 *be_pos;
	struct xlb_cfg_vip *vips;
	size_t nvips;
	/*
	 * References' check overrides, pointed at by xlb_cfg_ref.check (an
	 * index, so edits that move or drop references own no memory; an
	 * override whose reference was deleted is simply never used).
	 */
	struct xlb_cfg_check *checks;
	size_t nchecks;
};

/* Fills @c with every default and no backend or VIP. */
void xlb_cfg_init(struct xlb_cfg *c);
/* Frees what @c owns and re-initialises it. */
void xlb_cfg_free(struct xlb_cfg *c);
/* Deep copy; returns 0 or -ENOMEM (and @dst is left initialised, empty). */
int xlb_cfg_copy(struct xlb_cfg *dst, const struct xlb_cfg *src);

/*
 * Messages read "FILE:LINE: FIELD: what is wrong", e.g.
 * "xlb.yaml:12: vips[1].backends[0].id: no backend 7 in the pool". FILE is
 * the name the model was parsed under (c->source), "<config>" for a model
 * built in code; ":LINE" is left out where no line is known (a setting
 * not in the file, or a model built in code). Cross-field checks cite the
 * line of the setting they blame (struct xlb_cfg_lines), and so do checks
 * made when the model is applied (xlb_cfg_errf()).
 */

/*
 * Writes "FILE:LINE: FIELD: what is wrong" for a check made outside the
 * config module (apply-time resolution, VIP ids) on model @c; FILE is
 * c->source, and ":LINE" is left out when @line is 0.
 */
void xlb_cfg_errf(const struct xlb_cfg *c, int line, const char *field,
		  char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/*
 * Parses and validates @path. On success fills @c (initialised by the call)
 * and returns 0. On failure returns a negative errno, leaves @c empty and
 * writes "FILE:LINE: FIELD: what is wrong" into @err.
 */
int xlb_cfg_load(const char *path, struct xlb_cfg *c, char *err, size_t errlen);
/* The same for YAML text in memory; @name stands for the file in errors. */
int xlb_cfg_parse(const char *name, const char *text, size_t len,
		  struct xlb_cfg *c, char *err, size_t errlen);

/*
 * Checks the cross-field rules on a model however it was built (file or
 * live change): unique VIP names and (addr, port, proto) keys, references
 * to existing backends, no duplicate reference in a VIP, one echo setting
 * per VIP address, backend families
 * each mode can carry, prime table sizes, limits. Returns 0 or -EINVAL with
 * a message in @err.
 */
int xlb_cfg_validate(const struct xlb_cfg *c, char *err, size_t errlen);

/*
 * Writes @c as a YAML config file that xlb_cfg_parse() reads back equal.
 * Returns 0, -EINVAL if @c holds a value the file format cannot say (an
 * unknown family, protocol, mode or hash; output may be partial then), -EIO
 * if @out fails or -ENOMEM.
 */
int xlb_cfg_write(const struct xlb_cfg *c, FILE *out);

/*
 * True when @a and @b configure the same thing: the same settings, the same
 * backends by id, the same VIPs by name with the same references by id.
 * Order, source and line numbers do not count, so a reload of a file that
 * only moved or commented things is a no-op. Meant for validated models
 * (unique ids and names).
 */
bool xlb_cfg_equal(const struct xlb_cfg *a, const struct xlb_cfg *b);

/* Lookups; NULL when absent. */
struct xlb_cfg_vip *xlb_cfg_vip_find(const struct xlb_cfg *c, const char *name);
struct xlb_cfg_backend *xlb_cfg_backend_find(const struct xlb_cfg *c, __u32 id);

/*
 * @r's administrative state: the file's (or CLI's) drain and maint and its
 * agent's, the strongest of them.
 */
static inline enum xlb_admin xlb_cfg_ref_admin(const struct xlb_cfg_ref *r)
{
	if (r->maint || r->agent_admin == XLB_ADMIN_MAINT)
		return XLB_ADMIN_MAINT;
	if (r->drained || r->agent_admin == XLB_ADMIN_DRAIN)
		return XLB_ADMIN_DRAIN;
	return XLB_ADMIN_READY;
}

/*
 * The weight @r could have in its VIP's Maglev table, whatever backup
 * selection says: its configured weight (in the percentage its agent
 * gave, at least 1 unless that is 0%), or 0 while it is drained or in
 * maintenance, its backend is down, or its check in the VIP is. @b: @r's
 * backend (NULL: none).
 */
static inline __u32 xlb_cfg_ref_fit_weight_be(const struct xlb_cfg_ref *r,
					      const struct xlb_cfg_backend *b)
{
	__u64 w;

	if (xlb_cfg_ref_admin(r) != XLB_ADMIN_READY || r->down ||
	    (b && b->down))
		return 0;
	if (!r->agent_pct_set)
		return r->weight;
	w = (__u64)r->weight * r->agent_pct / 100;
	if (!w && r->agent_pct && r->weight)
		w = 1;
	return w > XLB_WEIGHT_MAX ? XLB_WEIGHT_MAX : (__u32)w;
}

static inline __u32 xlb_cfg_ref_fit_weight(const struct xlb_cfg *c,
					   const struct xlb_cfg_ref *r)
{
	return xlb_cfg_ref_fit_weight_be(r, xlb_cfg_backend_find(c, r->id));
}

/*
 * The weight @r has in its VIP's Maglev table: the one above, or 0 while
 * it is a benched backup.
 */
static inline __u32 xlb_cfg_ref_weight_be(const struct xlb_cfg_ref *r,
					  const struct xlb_cfg_backend *b)
{
	return r->benched ? 0 : xlb_cfg_ref_fit_weight_be(r, b);
}

/* The same, @b looked up in @c. */
static inline __u32 xlb_cfg_ref_weight(const struct xlb_cfg *c,
				       const struct xlb_cfg_ref *r)
{
	return xlb_cfg_ref_weight_be(r, xlb_cfg_backend_find(c, r->id));
}

/*
 * Maglev weights are the references' weights times this, so a slow start
 * ramps even a weight-1 backend in steps of a percent. A factor common to
 * every backend of a VIP leaves its table byte for byte as it was (a
 * backend's k-th claim comes in round ceil(k * max / w)).
 */
#define XLB_RAMP_SCALE 100

/*
 * The weight @r has in the Maglev builder: xlb_cfg_ref_weight_be() times
 * XLB_RAMP_SCALE, or times its slow-start percent while it ramps.
 */
static inline __u32 xlb_cfg_ref_table_weight_be(const struct xlb_cfg_ref *r,
						const struct xlb_cfg_backend *b)
{
	__u32 w = xlb_cfg_ref_weight_be(r, b);

	if (r->ramp_pct && r->ramp_pct < XLB_RAMP_SCALE)
		return w * r->ramp_pct;
	return w * XLB_RAMP_SCALE;
}

static inline __u32 xlb_cfg_ref_table_weight(const struct xlb_cfg *c,
					     const struct xlb_cfg_ref *r)
{
	return xlb_cfg_ref_table_weight_be(r, xlb_cfg_backend_find(c, r->id));
}

/*
 * Which references of a VIP take new flows (README, "Every backend of a
 * VIP down"): the primaries (references that are not backups) while one
 * of them can; else the backups that can; else none of either, and the
 * caller may fail open over the primaries.
 */
enum xlb_vip_serving {
	XLB_SERVING_PRIMARY,
	XLB_SERVING_BACKUP,
	XLB_SERVING_NONE,
};

/*
 * Sets the benched flag of every reference of @v from the others' state
 * (admin, weight, down flags; benched ones are not read) and says who
 * serves. Backups are benched unless they serve, so a fail open over the
 * primaries leaves them out. Idempotent: calling it again after a fail
 * open cleared the primaries' down flags benches the same backups.
 */
enum xlb_vip_serving xlb_cfg_vip_bench(const struct xlb_cfg *c,
				       struct xlb_cfg_vip *v);
/* The same for every VIP of @c. */
void xlb_cfg_bench(struct xlb_cfg *c);

/* "ready", "drain", "maint". */
const char *xlb_admin_name(enum xlb_admin a);

/* Health checks (config/check.c) */

extern const struct xlb_word xlb_words_check_kind[]; /* none, tcp, http, ... */
extern const struct xlb_word xlb_words_on_down[]; /* reset, keep */
extern const struct xlb_word xlb_words_check_initial[]; /* down, up */

/* The key's name in the file ("fastinterval"). */
const char *xlb_check_key_name(enum xlb_check_key k);

/* The reference's own override, or NULL. */
const struct xlb_cfg_check *xlb_cfg_ref_check(const struct xlb_cfg *c,
					      const struct xlb_cfg_ref *r);

/*
 * The check reference @r of VIP @v runs: the defaults, then the VIP's
 * check: keys, then the reference's, with address and port filled in
 * (the backend's, the VIP's). Returns false when it runs none (no kind,
 * or kind none).
 */
bool xlb_cfg_check_of(const struct xlb_cfg *c, const struct xlb_cfg_vip *v,
		      const struct xlb_cfg_ref *r, struct xlb_cfg_check *out);

/* The same keys set to the same values (lines do not count). */
bool xlb_cfg_check_eq(const struct xlb_cfg_check *a,
		      const struct xlb_cfg_check *b);

/*
 * Whether HTTP status @code is in @spec ("200-399", "200,204,300-302");
 * the spec is a validated one.
 */
bool xlb_check_status_ok(const char *spec, long code);

/*
 * Slow start's ramp (README, "Slow start"): @dur_ms long, in at most
 * XLB_SLOWSTART_STEPS equal steps at least 1 s apart (one table swap
 * each), each giving the middle of the linear ramp over its span (4 s:
 * 12, 37, 62, 87 percent), so the flows a backend takes match HAProxy's
 * linear 0..100% on average. Returns the percent @elapsed_ms after the
 * start, 100 once the ramp is over; @next_ms (may be NULL) gets when the
 * next step is due, in ms after the start.
 */
#define XLB_SLOWSTART_STEPS 10
#define XLB_SLOWSTART_STEP_MS 1000
unsigned int xlb_slowstart_step(__u32 dur_ms, __u64 elapsed_ms, __u64 *next_ms);

/* "2s", "1500ms": how the file writes a duration. */
const char *xlb_check_ms_str(__u32 ms, char *buf, size_t n);

#endif /* XLB_USER_CONFIG_H */
