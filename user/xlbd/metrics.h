/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds xlbd's HTTP endpoint (libevent's evhttp on the daemon's
 * own loop): /metrics in the Prometheus text format, /healthz for
 * keepalived, BIRD or systemd, /status.json and the status page at /.
 * Off unless the config has metrics.listen; a reload that changes it
 * rebinds within a second (the old listener stays if the new bind fails).
 *
 * A scrape is cheap and never walks the conntrack table: per-CPU counter
 * maps are summed with batch lookups, and the conntrack numbers are those
 * of the reaper's last complete pass (daemon.h: it walks a slice at a time).
 *
 * Health checks and connection sync add their own families, status and
 * readiness through xlbd_metrics_register() (the extension point below).
 */
#ifndef XLB_XLBD_METRICS_H
#define XLB_XLBD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "lib/prom.h"

struct xlbd;
struct xlbd_loop;
struct xlbd_metrics;

/* Extensions one endpoint takes (health, sync, and room). */
#define XLBD_METRICS_EXT_MAX 8

/*
 * What a module (health checks, sync) adds to the endpoint. Every hook is
 * optional and runs on the loop, so it reads its module's state without
 * locks; none may block.
 */
struct xlbd_metrics_ext {
	const char *name; /* "health", "sync": the key in /healthz and status */
	/*
	 * Writes the module's families (xlb_prom_family(), then samples),
	 * e.g. xlb_backend_check_duration_seconds or xlb_sync_lag_seconds.
	 */
	void (*prom)(struct xlb_prom *p, void *arg);
	/* Adds the module's part to /status.json's object @st (key: name). */
	void (*status)(struct json_object *st, void *arg);
	/*
	 * /healthz: 0 when the module is ready (sync: "synced"); else
	 * non-zero with why in @why, and /healthz answers 503.
	 */
	int (*ready)(void *arg, char *why, size_t whylen);
	void *arg;
};

/*
 * A new endpoint for @d. With a loop it binds metrics.listen (if set) and
 * registers its timers; without one (tests, benchmarks) it only renders.
 * A failed bind is logged, not fatal: the datapath and the control socket
 * matter more, and the bind is retried each second. NULL on no memory.
 */
struct xlbd_metrics *xlbd_metrics_new(struct xlbd *d, struct xlbd_loop *l,
				      char *err, size_t errlen);
void xlbd_metrics_free(struct xlbd_metrics *m);

/* Adds an extension (copied); -ENOSPC past XLBD_METRICS_EXT_MAX. */
int xlbd_metrics_register(struct xlbd_metrics *m,
			  const struct xlbd_metrics_ext *e);

/* Renders /metrics into @p (initialised by the caller). 0 or -errno. */
int xlbd_metrics_render(struct xlbd_metrics *m, struct xlb_prom *p);
/* /status.json (the caller puts it). */
struct json_object *xlbd_metrics_status(struct xlbd_metrics *m);
/* /healthz: the body in *@body (caller puts), the HTTP status returned. */
int xlbd_metrics_healthz(struct xlbd_metrics *m, struct json_object **body);
/* Walks conntrack now and caches the counts (the timer calls it). */
void xlbd_metrics_ct_refresh(struct xlbd_metrics *m);
/* The port the endpoint is listening on, 0 when it is not. */
unsigned int xlbd_metrics_port(const struct xlbd_metrics *m);

#endif /* XLB_XLBD_METRICS_H */
