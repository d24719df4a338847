/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds xlbd's state and its control commands: the model in
 * force, the pinned maps it is written to, counter samples for rates, and
 * the command table of the control protocol (one row per request: name,
 * handler, arguments, help). Handlers decode the request and call the
 * model-edit API (xlbd/edit.h: a copy of the model, applied whole, then in
 * force, so a rejected request changes nothing) or a read. The event loop
 * lives in xlbd_main.c.
 */
#ifndef XLB_USER_DAEMON_H
#define XLB_USER_DAEMON_H

#include <stddef.h>
#include <time.h>
#include <json-c/json.h>

#include "config/config.h"
#include "lib/lbmaps.h"
#include "lib/opt.h"

struct xlbd_sample;
struct xlbd_sync;

struct xlbd {
	char config_path[XLB_PATH_MAX];
	struct xlb_cfg running;
	struct xlb_lb_maps maps;
	__u32 ct_size; /* entries of the conntrack map in use */
	int ct_adopted; /* the conntrack map was pinned before we started */
	time_t started;
	/* counters one sampling interval apart, for rates */
	struct xlbd_sample *prev, *cur;
	struct xlbd_sync *sync; /* NULL: no sync: section (xlbd/sync.h) */
};

/*
 * Loads @config_path, checks everything that can refuse it (validation,
 * resolution, tables), then opens (or creates) the pinned maps and applies
 * the config over whatever they hold. A refused config creates no map and
 * no pin. On failure nothing is left open and the reason is in @err.
 */
int xlbd_start(struct xlbd *d, const char *config_path, char *err,
	       size_t errlen);
void xlbd_stop(struct xlbd *d);

/*
 * Re-reads the config file; on any error the running config stays and no
 * map is written. A file with no VIP over running VIPs is refused unless it
 * says allow_empty: true. Each change is logged (xlbd/audit.h).
 */
int xlbd_reload(struct xlbd *d, char *err, size_t errlen);

/*
 * What `xlbd --check -c FILE` does: loads and validates @path, resolves
 * what it can (next hop, L2 DSR neighbours), builds the tables, and
 * describes the result in @out (one line for the file, one per VIP);
 * touches no map and no pin. Returns 0, or a negative errno with the
 * reason ("FILE:LINE: FIELD: ...") in @out.
 */
int xlbd_check(const char *path, char *out, size_t outlen);

/* Takes a counter sample; the event loop calls it once a second. */
void xlbd_sample(struct xlbd *d);

/* How often the event loop deletes conntrack entries idle past their timeout. */
#define XLBD_CT_REAP_MS 5000

/*
 * Deletes conntrack entries idle past their timeout (the datapath already
 * ignores them; this keeps counts and listings true). Returns how many, or
 * a negative errno.
 */
long xlbd_ct_reap(struct xlbd *d);

/*
 * A request's fields once its command's spec accepted them (the command
 * table in daemon.c, checker in lib/ctl_decode.h); has_X: X was given.
 * Strings point into the request.
 */
struct xlbd_args {
	const char *name, *vip;
	struct xlb_opt_addr address;
	__u8 mac[6];
	__u32 port, protocol, mode, hash, table_size, id, weight, limit;
	bool conntrack, echo;
	bool has_name, has_vip, has_address, has_mac, has_port, has_protocol,
		has_mode, has_hash, has_table_size, has_id, has_weight,
		has_limit, has_conntrack, has_echo;
};

/*
 * Holds @req against the command table: a known "cmd" and exactly the
 * fields its row lists, each of its type and range. Returns the row's
 * index with the values in @a, or -EINVAL with the reason in @err. Reads
 * no daemon state, so it runs without maps (the fuzzer calls it).
 */
int xlbd_args_check(struct json_object *req, struct xlbd_args *a, char *err,
	       size_t errlen);

/* Answers one control request (never NULL). */
struct json_object *xlbd_handle(struct xlbd *d, struct json_object *req);

#endif /* XLB_USER_DAEMON_H */
