/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds xlbd's health checks: one scheduler on the event loop,
 * one state machine per check target, and the check kinds (health_tcp.c,
 * health_http.c, health_udp.c, health_exec.c, health_agent.c;
 * keepalived's check_*.c shape) behind one
 * small vtable.
 *
 * What is checked: a check belongs to a (VIP, backend) reference, as a
 * HAProxy server line or a keepalived real server of a virtual server does:
 * a backend serving web on 80 and DNS on 53 can be down for one and up for
 * the other. References whose merged check is the same (same backend, kind,
 * address, port and settings) share one state machine, so a backend behind
 * two VIPs with the same check is probed once. The result goes to every
 * reference that uses it: xlb_cfg_ref.down, and the reference leaves its
 * VIP's table.
 *
 * How a result reaches the tables: through the model-edit API. Every commit
 * (xlb_edit_commit: a control edit, a reload, a transition) asks
 * xlbd_health_prepare() to set the down flags of the next model from the
 * checks' states, then applies it whole (one validated, atomic swap per
 * table that changed); xlbd_health_commit() then starts, keeps or stops
 * state machines to match it, deletes the conntrack entries of references
 * that went down with on_down: reset, and records states in the pinned
 * health map (lib/healthmap.h). A refused commit calls xlbd_health_abort()
 * and nothing changes.
 *
 * All backends of a VIP down by their checks: the VIP keeps serving all of
 * them (fail open, like Envoy's panic mode), logged loudly, rather than an
 * empty table that drops every packet.
 *
 * Slow start (check key slowstart): a reference coming back from down (its
 * check, or backend.down) or from maint ramps its table weight in steps
 * (xlb_slowstart_step()); the prepare of each commit sets the step the
 * clock says (xlb_cfg_ref.ramp_*), and a timer commits the next step, at
 * most one such commit a second.
 */
#ifndef XLB_XLBD_HEALTH_H
#define XLB_XLBD_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <json-c/json.h>

#include "config/config.h"

struct event;
struct event_base;
struct xlbd;
struct xlbd_health;
struct xlbd_check;
struct xlb_prom;

/* A check kind: one file each. */
struct xlbd_check_ops {
	const char *name;
	/*
	 * Starts one probe of @ck. It ends with exactly one
	 * xlbd_check_done(), from a loop callback, never from start(); or the
	 * scheduler's timeout calls cancel() first. Returns 0, or a negative
	 * errno with why in @why (the probe failed at once).
	 */
	int (*start)(struct xlbd_check *ck, char *why, size_t n);
	/* Stops a running probe and frees what it holds; no done() follows. */
	void (*cancel)(struct xlbd_check *ck);
	/*
	 * The timeout came (NULL: it fails the probe): stops the probe as
	 * cancel() does and says whether that is a pass, why in @why (a UDP
	 * probe that needs no reply passes on silence).
	 */
	bool (*expire)(struct xlbd_check *ck, char *why, size_t n);
};

extern const struct xlbd_check_ops xlbd_check_tcp, xlbd_check_http,
	xlbd_check_exec, xlbd_check_udp, xlbd_check_agent;

/*
 * An agent's reply line, HAProxy's agent-check vocabulary: words split by
 * blanks or commas, any case; "up"; "down", "fail", "stopped" (a reason
 * may follow after "#"); "ready", "drain", "maint"; "NN%" (the weight, in
 * percent of the configured one); "maxconn:N" (taken, ignored). What a
 * reply leaves out stays as the agent last said it.
 */
struct xlbd_agent_reply {
	bool has_health, up;
	bool has_admin;
	__u8 admin; /* enum xlb_admin */
	bool has_pct;
	__u16 pct; /* 0 .. XLBD_AGENT_PCT_MAX */
	char word[16]; /* the health word as said ("stopped") */
	char reason[96]; /* after "#" */
};
#define XLBD_AGENT_PCT_MAX 25600 /* HAProxy's cap */
/*
 * Parses the first line of @buf (@len bytes, up to "\n"). Returns 0, or
 * -EINVAL with why in @why (empty, no word it knows, a bad percentage).
 */
int xlbd_agent_parse(const char *buf, size_t len, struct xlbd_agent_reply *out,
		     char *why, size_t n);

/* A reference a check decides for. */
struct xlbd_check_ref {
	char vip[XLB_NAME_MAX];
	__u8 on_down; /* enum xlb_check_on_down */
};

/* One state machine: what it checks, its state and its last result. */
struct xlbd_check {
	struct xlbd_health *h;
	struct xlb_cfg_check cfg; /* merged: address and port filled in */
	__u32 backend_id;
	const struct xlbd_check_ops *ops;
	void *priv; /* the kind's state while a probe runs */
	__u32 mark; /* tunnel: the probe socket's SO_MARK; 0: plain check */
	/*
	 * A half-open TCP probe to IPv4: the source address the kernel picks
	 * for it (network order, for the checksum) and when it was learnt
	 * (CLOCK_MONOTONIC ms; 0: learn it again)
	 */
	__u32 syn_src;
	__u64 syn_src_ms;

	bool up;
	unsigned int count; /* results in a row against the state */
	time_t since; /* CLOCK_REALTIME of the last transition or start */
	bool checked; /* a probe has ended */
	bool last_ok;
	char last_reason[160];
	double last_ms; /* how long the last probe took */
	time_t last_at;
	unsigned long probes, failures, transitions;
	/*
	 * An agent check's word: its last health word (down: false until it
	 * says otherwise) and the admin state and weight it set, which reach
	 * every reference it serves (xlb_cfg_ref.agent_*).
	 */
	bool agent_down;
	__u8 agent_admin;
	bool agent_pct_set;
	__u16 agent_pct;

	struct xlbd_check_ref *refs;
	size_t nrefs;

	struct event *timer; /* next probe */
	struct event *deadline; /* the running probe's timeout */
	bool running;
	bool grace; /* the deadline gave the loop one more turn */
	struct timespec started; /* CLOCK_MONOTONIC */
	unsigned int spread_ms; /* the first probe's offset in the interval */
	/*
	 * Its next up starts its references' slow start: false only for a
	 * check xlbd started with, until it first goes down (HAProxy: slow
	 * start applies to a server seen failed, never at start).
	 */
	bool ramps;
	bool persisted; /* the pinned map holds the state for every ref */
	bool kept; /* commit: the new plan keeps it */
	struct xlbd_check *next, *hnext;
};

/* For the kinds. */
struct event_base *xlbd_check_base(const struct xlbd_check *ck);
/* CLOCK_MONOTONIC in milliseconds. */
__u64 xlbd_check_mono_ms(void);
struct sockaddr_storage;
/* The check's address and port as a sockaddr; returns its length. */
unsigned int xlbd_check_sockaddr(const struct xlbd_check *ck,
				 struct sockaddr_storage *ss);
/*
 * An agent's admin state or weight changed: the tables follow in this
 * loop turn (one commit with the transitions).
 */
void xlbd_check_agent_changed(struct xlbd_check *ck);
/* Ends the running probe: @ok, and why in printf form. */
void xlbd_check_done(struct xlbd_check *ck, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* health_http.c's shared libcurl multi handle, freed with the scheduler. */
void xlbd_check_http_cleanup(struct xlbd_health *h);
void **xlbd_health_http_slot(struct xlbd_health *h);
/* health_tcp.c's socket pool, freed with the scheduler. */
void xlbd_check_tcp_cleanup(struct xlbd_health *h);
void **xlbd_health_tcp_slot(struct xlbd_health *h);
/*
 * Half-open TCP probes (health_tcp_syn.c), which health_tcp.c uses for
 * plain checks when raw sockets can be opened: NULL with why in @why when
 * they cannot (no CAP_NET_RAW), and health_tcp.c connects instead.
 */
struct xlbd_tcp_syn;
struct xlbd_tcp_syn *xlbd_tcp_syn_new(struct event_base *base, char *why,
				      size_t n);
void xlbd_tcp_syn_free(struct xlbd_tcp_syn *s);
/* As xlbd_check_ops.start and .cancel, for @ck's probe through @s. */
int xlbd_tcp_syn_start(struct xlbd_tcp_syn *s, struct xlbd_check *ck,
		       char *why, size_t n);
void xlbd_tcp_syn_cancel(struct xlbd_tcp_syn *s, struct xlbd_check *ck);
/* Answers the raw sockets' full queues dropped (SO_RXQ_OVFL), so far. */
unsigned long xlbd_tcp_syn_dropped(const struct xlbd_tcp_syn *s);
/*
 * How TCP checks probe: "half-open", "connect", or NULL before the first
 * TCP probe; *@dropped: xlbd_tcp_syn_dropped() (0 when connecting).
 */
const char *xlbd_check_tcp_mode(struct xlbd_health *h,
				unsigned long *dropped);

/*
 * Checks through the tunnel (health_tunnel.c): the probe program
 * (lib/probe.h) attached to the interfaces xlb's XDP program is on while
 * some check needs it, its targets following the checks.
 */
struct xlbd_tunnel;
struct xlbd_tunnel **xlbd_health_tunnel_slot(struct xlbd_health *h);
struct xlbd *xlbd_health_daemon(struct xlbd_health *h);
const struct xlbd_check *xlbd_health_list(const struct xlbd_health *h);
/* After a commit of a model on @pin_dir: targets, attach or detach to
 * match the checks. */
void xlbd_tunnel_sync(struct xlbd_health *h, const char *pin_dir);
/*
 * For a kind's start(): a tunnel check's probe can go (the program is on
 * an interface; else it tries to attach now), and @fd carries its mark.
 * 0, or a negative errno with why in @why. A plain check: 0 at once.
 */
int xlbd_tunnel_prepare(struct xlbd_check *ck, int fd, char *why, size_t n);
/* Sets @ck's mark on @fd (SO_MARK); 0 or a negative errno. */
int xlbd_tunnel_mark(const struct xlbd_check *ck, int fd);
/* Detaches what this xlbd attached, closes the program. */
void xlbd_tunnel_free(struct xlbd_health *h);
/* The probe program's counters as a Prometheus family. */
void xlbd_tunnel_prom(struct xlb_prom *p, struct xlbd_health *h);

/*
 * A scheduler on @base for daemon @d (its running model, maps and edit
 * API). NULL when out of memory.
 */
struct xlbd_health *xlbd_health_new(struct xlbd *d, struct event_base *base);
/* Stops every probe and frees the scheduler. */
void xlbd_health_free(struct xlbd_health *h);

/*
 * Sets every reference's down flag in @next from the checks' states (a
 * check @next adds starts in its initial state or, on the first call after
 * xlbd started over pinned maps, in the state pinned for it), with the
 * fail-open rule above, and plans the state machines @next needs. Pure
 * planning: nothing starts or stops until xlbd_health_commit().
 */
int xlbd_health_prepare(struct xlbd_health *h, struct xlb_cfg *next, char *err,
			size_t errlen);
/*
 * @next is in force (the maps say it): starts, keeps and stops state
 * machines to match it, resets flows of references that went down with
 * on_down: reset (@prev: the model before; NULL at start), records states.
 */
void xlbd_health_commit(struct xlbd_health *h, const struct xlb_cfg *prev,
			const struct xlb_cfg *next);
/* The prepared plan was not applied: drops it. */
void xlbd_health_abort(struct xlbd_health *h);

/* The check deciding for backend @id in VIP @vip, or NULL. */
const struct xlbd_check *xlbd_health_find(const struct xlbd_health *h,
					  const char *vip, __u32 id);
/* {"kind", "state", "since", "last": {...}, ...} for the control socket. */
struct json_object *xlbd_check_json(const struct xlbd_check *ck);
struct xlb_prom;
/*
 * The checks' Prometheus families, per (VIP, backend): up, the last probe's
 * duration, transitions, probes and failures. The metrics endpoint calls it
 * (xlbd_metrics_register(), @arg the struct xlbd_health).
 */
void xlbd_health_prom(struct xlb_prom *p, void *arg);

/* Counters over every check, for status. */
struct xlbd_health_totals {
	size_t checks, up;
	unsigned long transitions, probes, failures;
	unsigned long commits; /* commits of transitions to the tables */
	double commit_s; /* the time they took */
	bool pending; /* transitions not in the tables yet */
	const char *tcp_probe; /* xlbd_check_tcp_mode() */
	unsigned long tcp_answers_dropped;
};
void xlbd_health_counts(const struct xlbd_health *h,
			struct xlbd_health_totals *t);

#endif /* XLB_XLBD_HEALTH_H */
