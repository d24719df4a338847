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
#include "lib/conntrack.h"
#include "lib/opt.h"

struct xlbd_sample;
struct xlbd_health;

/* Live conntrack entries as the reaper's last complete pass counted them. */
struct xlbd_ct_census {
	bool valid;
	long n[2]; /* [0] active, [1] closing */
	__u32 (*per_be)[2]; /* [backend id][active, closing] */
	double pass_s; /* time the pass's slices took, summed */
	double at; /* when it completed (Unix time) */
};
struct xlbd_sync;
struct xlbd_ctl;

struct xlbd {
	char config_path[XLB_PATH_MAX];
	/* the config file's content when last read (xlbd/state.h) */
	__u64 config_hash;
	struct xlb_cfg running;
	struct xlb_lb_maps maps;
	__u32 ct_size; /* entries of the conntrack map in use */
	int ct_adopted; /* the conntrack map was pinned before we started */
	int lock_fd; /* the pin dir's lock (lib/loader.h), held while running */
	time_t started;
	/* counters one sampling interval apart, for rates */
	struct xlbd_sample *prev, *cur;
	/* health checks (xlbd/health.h); NULL: none run (tests, --check) */
	struct xlbd_health *health;
	/* the reaper: its place in the table, the pass being counted, the
	 * last complete one (what metrics and status report) */
	struct xlb_ct_cursor ct_cursor;
	struct xlbd_ct_census census, counting;
	double pass_started; /* CLOCK_MONOTONIC seconds */
	struct xlbd_sync *sync; /* NULL: no sync: section (xlbd/sync.h) */
	/*
	 * The control server whose requests xlbd_handle() answers: walks of
	 * the conntrack table then answer later, a slice per loop turn
	 * (XLBD_CT_WALK_BUDGET). NULL: they walk the whole table at once
	 * (tests calling xlbd_handle() directly).
	 */
	struct xlbd_ctl *ctl;
};

/*
 * Loads @config_path, checks everything that can refuse it (validation,
 * resolution, tables), then opens (or creates) the pinned maps and applies
 * the config over whatever they hold. A refused config creates no map and
 * no pin. When a state file written for this config file's content holds
 * live changes (xlbd/state.h), it is loaded instead, and logged. The pin
 * dir's lock is taken before the first map is opened and
 * held until xlbd_stop(): a second xlbd on the same pin dir is refused,
 * naming the holder's pid. On failure nothing is left open and the reason
 * is in @err.
 */
int xlbd_start(struct xlbd *d, const char *config_path, char *err,
	       size_t errlen);
/*
 * The same with health checks @h: the first model's down flags come from
 * @h (states pinned by an earlier xlbd, else each check's initial state)
 * before the first map write, so a restart flaps nothing.
 */
int xlbd_start_health(struct xlbd *d, const char *config_path,
		      struct xlbd_health *h, char *err, size_t errlen);
void xlbd_stop(struct xlbd *d);

/*
 * Re-reads the config file; on any error the running config stays and no
 * map is written. A reload that took removes the state file (xlbd/state.h):
 * the file is in force again. A file with no VIP over running VIPs is refused unless it
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

/*
 * After xlbd wrote or deleted conntrack entries outside a config apply
 * (the reaper, a flush request, health's resets): the datapath's cached
 * conntrack hits go stale (xlb_ct_gen_bump). A failure is logged; cached
 * hits then last at most their 250 ms.
 */
void xlbd_ct_changed(struct xlbd *d);

/*
 * The reaper: every XLBD_CT_REAP_MS the loop walks the next slice of about
 * XLBD_CT_REAP_BUDGET conntrack entries, deleting those idle past their
 * timeout (the datapath already ignores them) and counting the live ones.
 * A slice costs a few ms whatever the table's size, so the loop never
 * waits on a walk of millions of entries; a pass over 1M entries takes
 * about 25 s. A new pass starts at most every XLBD_CT_PASS_MIN_MS.
 */
#define XLBD_CT_REAP_MS 100
#define XLBD_CT_REAP_BUDGET 4096
#define XLBD_CT_PASS_MIN_MS 2000

/*
 * Control requests that walk the conntrack table (backend.list,
 * conntrack.count/list/flush) take this many entries per loop turn,
 * shared by the walks under way (each at least one batch, XLB_CT_BATCH).
 */
#define XLBD_CT_WALK_BUDGET 4096

/*
 * One slice of the reaper's pass. Returns how many entries it deleted, or
 * a negative errno.
 */
long xlbd_ct_reap(struct xlbd *d);

/*
 * A request's fields once its command's spec accepted them (the command
 * table in daemon.c, checker in lib/ctl_decode.h); has_X: X was given.
 * Strings point into the request.
 */
struct xlbd_args {
	const char *name, *vip, *file;
	struct xlb_opt_addr address;
	__u8 mac[6];
	__u32 port, protocol, mode, hash, table_size, id, weight, limit,
		backend, after;
	bool conntrack, echo, backup;
	bool has_name, has_vip, has_address, has_mac, has_port, has_protocol,
		has_mode, has_hash, has_table_size, has_id, has_weight,
		has_limit, has_conntrack, has_echo, has_file, has_backup,
		has_backend, has_after;
};

/*
 * Holds @req against the command table: a known "cmd" and exactly the
 * fields its row lists, each of its type and range. Returns the row's
 * index with the values in @a, or -EINVAL with the reason in @err. Reads
 * no daemon state, so it runs without maps (the fuzzer calls it).
 */
int xlbd_args_check(struct json_object *req, struct xlbd_args *a, char *err,
	       size_t errlen);

/*
 * Answers one control request. NULL only with @d->ctl set, from inside its
 * handler: the request walks the conntrack table, and @d->ctl answers it
 * when the walk ends (xlbd_ctl_defer).
 */
struct json_object *xlbd_handle(struct xlbd *d, struct json_object *req);

#endif /* XLB_USER_DAEMON_H */
