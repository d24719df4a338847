// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the health-check scheduler (xlbd/health.h): the plan
 * that turns a model into state machines and down flags, the state
 * machines themselves (rise/fall in a row, interval, fastinterval,
 * downinterval, timeout, first probes spread over the interval) and the
 * commit of transitions through the model-edit API.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <event2/event.h>

#include "lib/addr.h"
#include "lib/conntrack.h"
#include "lib/healthmap.h"
#include "lib/log.h"
#include "xlbd/apply.h"
#include "xlbd/daemon.h"
#include "xlbd/edit.h"
#include "lib/prom.h"
#include "xlbd/health.h"

/* Buckets of the index by backend id (ids are < 16384). */
#define HBUCKETS 4096
#define BY_HEALTH "health check"

/* A state machine the next model needs: kept, or to be made. */
struct plan_ent {
	struct xlbd_check *reuse;
	struct xlb_cfg_check cfg;
	__u32 id;
	bool up;
	struct xlbd_check_ref *refs;
	size_t nrefs;
	int hnext;
};

struct xlbd_health {
	struct xlbd *d;
	struct event_base *base;
	struct xlbd_check *list;
	struct xlbd_check *hash[HBUCKETS];
	/* the plan of the last prepare, until commit or abort */
	struct plan_ent *plan;
	size_t nplan;
	bool planned;
	int phash[HBUCKETS];
	int map_fd; /* the pinned states, or -1 */
	bool seed; /* the next plan reads pinned states (start) */
	void *http; /* health_http.c's */
	void *tcp; /* health_tcp.c's */
	struct xlbd_tunnel *tunnel; /* health_tunnel.c's */
	struct event *flush; /* commits transitions, once per loop turn */
	bool dirty;
	/* what committing transitions costs: commits, and their time */
	unsigned long commits;
	double commit_s;
	/*
	 * No commit before this (CLOCK_MONOTONIC): after a commit that took
	 * T, the next waits T (at most 1 s), so a storm of transitions over
	 * many tables leaves the loop at least half its time for probes, and
	 * what lands meanwhile is one commit.
	 */
	struct timespec hold;
	/* VIPs failing open now, and in the plan */
	char (*panic)[XLB_NAME_MAX];
	size_t npanic;
	char (*ppanic)[XLB_NAME_MAX];
	size_t nppanic;
	/*
	 * Slow starts: references ramping in the running model and in the
	 * plan, and when the next step is due (CLOCK_MONOTONIC ms; 0: none).
	 * The timer commits it, no sooner than 1 s after its last firing.
	 */
	size_t nramps, pnramps;
	__u64 next_step, pnext_step;
	__u64 last_step;
	struct event *ramp;
};

static void on_timer(evutil_socket_t fd, short what, void *arg);
static void on_deadline(evutil_socket_t fd, short what, void *arg);
static void on_flush(evutil_socket_t fd, short what, void *arg);
static void on_ramp(evutil_socket_t fd, short what, void *arg);

__u64 xlbd_check_mono_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (__u64)now.tv_sec * 1000 + (__u64)now.tv_nsec / 1000000;
}

struct event_base *xlbd_check_base(const struct xlbd_check *ck)
{
	return ck->h->base;
}

unsigned int xlbd_check_sockaddr(const struct xlbd_check *ck,
				 struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ck->cfg.family == XLB_AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(ck->cfg.port);
		s4->sin_addr.s_addr = ck->cfg.addr.v4;
		return sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(ck->cfg.port);
		memcpy(&s6->sin6_addr, ck->cfg.addr.bytes, 16);
		return sizeof(*s6);
	}
}

void xlbd_check_agent_changed(struct xlbd_check *ck)
{
	ck->h->dirty = true;
	event_active(ck->h->flush, EV_TIMEOUT, 0);
}

void **xlbd_health_http_slot(struct xlbd_health *h)
{
	return &h->http;
}

void **xlbd_health_tcp_slot(struct xlbd_health *h)
{
	return &h->tcp;
}

struct xlbd_tunnel **xlbd_health_tunnel_slot(struct xlbd_health *h)
{
	return &h->tunnel;
}

struct xlbd *xlbd_health_daemon(struct xlbd_health *h)
{
	return h->d;
}

const struct xlbd_check *xlbd_health_list(const struct xlbd_health *h)
{
	return h->list;
}

struct xlbd_health *xlbd_health_new(struct xlbd *d, struct event_base *base)
{
	struct xlbd_health *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->d = d;
	h->base = base;
	h->map_fd = -1;
	h->seed = true;
	h->flush = event_new(base, -1, 0, on_flush, h);
	h->ramp = event_new(base, -1, 0, on_ramp, h);
	if (!h->flush || !h->ramp) {
		if (h->flush)
			event_free(h->flush);
		free(h);
		return NULL;
	}
	return h;
}

static void plan_free(struct xlbd_health *h)
{
	for (size_t i = 0; i < h->nplan; i++)
		free(h->plan[i].refs);
	free(h->plan);
	h->plan = NULL;
	h->nplan = 0;
	free(h->ppanic);
	h->ppanic = NULL;
	h->nppanic = 0;
	h->planned = false;
}

static void check_free(struct xlbd_check *ck)
{
	if (ck->running && ck->ops->cancel)
		ck->ops->cancel(ck);
	if (ck->timer)
		event_free(ck->timer);
	if (ck->deadline)
		event_free(ck->deadline);
	free(ck->refs);
	free(ck);
}

void xlbd_health_free(struct xlbd_health *h)
{
	struct xlbd_check *ck, *n;

	if (!h)
		return;
	for (ck = h->list; ck; ck = n) {
		n = ck->next;
		check_free(ck);
	}
	plan_free(h);
	xlbd_check_http_cleanup(h);
	xlbd_check_tcp_cleanup(h);
	xlbd_tunnel_free(h);
	event_free(h->flush);
	event_free(h->ramp);
	if (h->map_fd >= 0)
		close(h->map_fd);
	free(h->panic);
	free(h);
}

/* Same probe, same thresholds: one state machine serves both. */
static bool same_target(const struct xlb_cfg_check *a, __u32 aid,
			const struct xlb_cfg_check *b, __u32 bid)
{
	return aid == bid && a->kind == b->kind && a->port == b->port &&
	       a->family == b->family &&
	       !memcmp(&a->addr, &b->addr, sizeof(a->addr)) &&
	       a->interval_ms == b->interval_ms &&
	       a->fastinterval_ms == b->fastinterval_ms &&
	       a->downinterval_ms == b->downinterval_ms &&
	       a->timeout_ms == b->timeout_ms && a->rise == b->rise &&
	       a->fall == b->fall && a->initial_up == b->initial_up &&
	       a->tls_verify == b->tls_verify && a->tunnel == b->tunnel &&
	       a->mode == b->mode && !strcmp(a->path, b->path) &&
	       !strcmp(a->host, b->host) && !strcmp(a->status, b->status) &&
	       !strcmp(a->body, b->body) && !strcmp(a->command, b->command) &&
	       a->require_reply == b->require_reply &&
	       !strcmp(a->payload, b->payload) && !strcmp(a->expect, b->expect);
}

static struct xlbd_check *find_check(const struct xlbd_health *h,
				     const struct xlb_cfg_check *m, __u32 id)
{
	for (struct xlbd_check *ck = h->hash[id % HBUCKETS]; ck; ck = ck->hnext)
		if (same_target(&ck->cfg, ck->backend_id, m, id))
			return ck;
	return NULL;
}

const struct xlbd_check *xlbd_health_find(const struct xlbd_health *h,
					  const char *vip, __u32 id)
{
	if (!h)
		return NULL;
	for (struct xlbd_check *ck = h->hash[id % HBUCKETS]; ck;
	     ck = ck->hnext) {
		if (ck->backend_id != id)
			continue;
		for (size_t i = 0; i < ck->nrefs; i++)
			if (!strcmp(ck->refs[i].vip, vip))
				return ck;
	}
	return NULL;
}

/* The state a new check starts in. */
static bool initial_up(struct xlbd_health *h, const struct xlb_cfg_vip *v,
		       __u32 id, const struct xlb_cfg_check *m)
{
	struct xlb_health_val val;
	struct xlb_health_key k = { .backend_id = id };
	int vid;

	if (h->seed && h->map_fd >= 0) {
		vid = xlb_vip_id_of(&h->d->maps, v);
		k.vip_id = (__u32)vid;
		if (vid >= 0 && !xlb_health_map_get(h->map_fd, &k, &val))
			return val.up != 0;
	}
	return m->initial_up;
}

static int plan_add_ref(struct plan_ent *e, const char *vip, __u8 on_down)
{
	struct xlbd_check_ref *r =
		realloc(e->refs, (e->nrefs + 1) * sizeof(*r));

	if (!r)
		return -ENOMEM;
	e->refs = r;
	snprintf(r[e->nrefs].vip, sizeof(r[e->nrefs].vip), "%s", vip);
	r[e->nrefs].on_down = on_down;
	e->nrefs++;
	return 0;
}

static struct plan_ent *plan_get(struct xlbd_health *h,
				 const struct xlb_cfg_vip *v, __u32 id,
				 const struct xlb_cfg_check *m, size_t *cap)
{
	struct plan_ent *e;

	for (int i = h->phash[id % HBUCKETS]; i >= 0; i = h->plan[i].hnext)
		if (same_target(&h->plan[i].cfg, h->plan[i].id, m, id))
			return &h->plan[i];
	if (h->nplan == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct plan_ent *p = realloc(h->plan, ncap * sizeof(*p));

		if (!p)
			return NULL;
		h->plan = p;
		*cap = ncap;
	}
	e = &h->plan[h->nplan];
	memset(e, 0, sizeof(*e));
	e->cfg = *m;
	e->id = id;
	e->reuse = find_check(h, m, id);
	e->up = e->reuse ? e->reuse->up : initial_up(h, v, id, m);
	e->hnext = h->phash[id % HBUCKETS];
	h->phash[id % HBUCKETS] = (int)h->nplan;
	h->nplan++;
	return e;
}

/*
 * Fail open: when every backend that could take flows in @v is down by its
 * check, they all stay in the table (an empty one would drop everything).
 * Backups do not count and do not join: a backup that can take flows
 * serves instead (xlb_cfg_vip_bench()), and one that cannot is benched.
 */
static int fail_open(struct xlbd_health *h, const struct xlb_cfg *c,
		     struct xlb_cfg_vip *v)
{
	size_t eligible = 0, live = 0;
	char(*p)[XLB_NAME_MAX];

	if (xlb_cfg_vip_bench(c, v) != XLB_SERVING_NONE)
		return 0;
	for (size_t k = 0; k < v->nrefs; k++) {
		const struct xlb_cfg_ref *r = &v->refs[k];
		const struct xlb_cfg_backend *b =
			xlb_cfg_backend_find(c, r->id);

		if (r->backup || !r->weight ||
		    xlb_cfg_ref_admin(r) != XLB_ADMIN_READY || (b && b->down))
			continue;
		eligible++;
		live += !r->down;
	}
	if (!eligible || live)
		return 0;
	for (size_t k = 0; k < v->nrefs; k++)
		if (!v->refs[k].backup)
			v->refs[k].down = false;
	p = realloc(h->ppanic, (h->nppanic + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	h->ppanic = p;
	snprintf(p[h->nppanic++], XLB_NAME_MAX, "%s", v->name);
	return 0;
}

/* @r's reference in the running model's VIP @ov (NULL: none); at @k first. */
static const struct xlb_cfg_ref *prev_ref(const struct xlb_cfg_vip *ov,
					  size_t k, __u32 id)
{
	if (!ov)
		return NULL;
	if (k < ov->nrefs && ov->refs[k].id == id)
		return &ov->refs[k];
	for (size_t i = 0; i < ov->nrefs; i++)
		if (ov->refs[i].id == id)
			return &ov->refs[i];
	return NULL;
}

/* Out of the table by maint or down, whatever its weight says. */
static bool ref_out(const struct xlb_cfg *c, const struct xlb_cfg_ref *r)
{
	const struct xlb_cfg_backend *b = xlb_cfg_backend_find(c, r->id);

	return xlb_cfg_ref_admin(r) == XLB_ADMIN_MAINT || r->down ||
	       (b && b->down);
}

/*
 * Slow start for reference @r of @next (its health set, before fail
 * open): a ramp starts when it comes back, from maint or down (by its
 * check, unless that is a check's first up since xlbd started, @ramps
 * false; or by backend.down), or is added after xlbd started, into a
 * state that takes flows; it goes on while the reference stays in; it
 * stops when the reference goes out or the ramp is over. @o: the
 * reference in the running model (NULL: new), @ob its backend there.
 */
static void ramp_ref(struct xlbd_health *h, const struct xlb_cfg *next,
		     struct xlb_cfg_ref *r, const struct xlb_cfg_ref *o,
		     __u32 slowstart_ms, bool ramps, __u64 now)
{
	const struct xlb_cfg_backend *ob =
		o ? xlb_cfg_backend_find(&h->d->running, o->id) : NULL;
	bool in = !ref_out(next, r);
	bool o_maint = o && xlb_cfg_ref_admin(o) == XLB_ADMIN_MAINT;
	bool o_out = o && (o_maint || o->down || (ob && ob->down));
	bool by_check = o_out && !o_maint && !(ob && ob->down);
	__u64 next_ms;
	unsigned int pct;

	r->ramp_pct = 0;
	r->ramp_ms = 0;
	r->ramp_start = 0;
	if (!in || !slowstart_ms)
		return;
	if (!h->seed && (o_out || !o) && (!by_check || ramps))
		r->ramp_start = now;
	else if (o && o->ramp_start)
		r->ramp_start = o->ramp_start;
	else
		return;
	pct = xlb_slowstart_step(slowstart_ms, now - r->ramp_start, &next_ms);
	if (pct >= 100) {
		r->ramp_start = 0;
		return;
	}
	r->ramp_pct = (__u16)pct;
	r->ramp_ms = slowstart_ms;
	h->pnramps++;
	next_ms += r->ramp_start;
	if (!h->pnext_step || next_ms < h->pnext_step)
		h->pnext_step = next_ms;
}

int xlbd_health_prepare(struct xlbd_health *h, struct xlb_cfg *next, char *err,
			size_t errlen)
{
	const struct xlb_cfg *run = &h->d->running;
	__u64 now = xlbd_check_mono_ms();
	struct xlb_cfg_check m;
	size_t cap = 0;

	plan_free(h);
	/* at start, the maps are open: read what an earlier xlbd pinned */
	if (h->map_fd < 0 && h->seed) {
		char why[256];

		h->map_fd =
			xlb_health_map_open(next->pin_dir, why, sizeof(why));
		if (h->map_fd < 0)
			pr_err("health: %s; states are not kept across "
			       "restarts\n",
			       why);
	}
	for (size_t i = 0; i < HBUCKETS; i++)
		h->phash[i] = -1;
	h->pnramps = 0;
	h->pnext_step = 0;
	for (size_t i = 0; i < next->nvips; i++) {
		struct xlb_cfg_vip *v = &next->vips[i];
		const struct xlb_cfg_vip *ov =
			i < run->nvips && !strcmp(run->vips[i].name, v->name) ?
				&run->vips[i] :
				xlb_cfg_vip_find(run, v->name);

		for (size_t k = 0; k < v->nrefs; k++) {
			struct xlb_cfg_ref *r = &v->refs[k];
			const struct xlb_cfg_ref *o = prev_ref(ov, k, r->id);
			bool checked = xlb_cfg_check_of(next, v, r, &m);
			struct plan_ent *e;

			r->down = false;
			r->agent_admin = XLB_ADMIN_READY;
			r->agent_pct_set = false;
			r->agent_pct = 0;
			/* maintenance: no check runs (HAProxy's MAINT) */
			if (r->maint || !checked) {
				/* kind none may still say slowstart (m is all
				 * zero when there is no check at all) */
				ramp_ref(h, next, r, o, m.slowstart_ms,
					 !h->seed, now);
				continue;
			}
			e = plan_get(h, v, r->id, &m, &cap);
			if (!e || plan_add_ref(e, v->name, m.on_down)) {
				plan_free(h);
				return xlb_errf(err, errlen, -ENOMEM,
						"health: out of memory");
			}
			r->down = !e->up;
			if (e->reuse && m.kind == XLB_CHECK_AGENT) {
				r->agent_admin = e->reuse->agent_admin;
				r->agent_pct_set = e->reuse->agent_pct_set;
				r->agent_pct = e->reuse->agent_pct;
			}
			ramp_ref(h, next, r, o, m.slowstart_ms,
				 e->reuse ? e->reuse->ramps : !h->seed, now);
		}
		if (fail_open(h, next, v)) {
			plan_free(h);
			return xlb_errf(err, errlen, -ENOMEM,
					"health: out of memory");
		}
	}
	h->planned = true;
	return 0;
}

void xlbd_health_abort(struct xlbd_health *h)
{
	plan_free(h);
}

static unsigned int interval_of(const struct xlbd_check *ck)
{
	if (ck->count)
		return ck->cfg.fastinterval_ms;
	return ck->up ? ck->cfg.interval_ms : ck->cfg.downinterval_ms;
}

static void arm(struct event *ev, unsigned int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (suseconds_t)(ms % 1000) * 1000 };

	if (event_add(ev, &tv))
		pr_err("health: cannot arm a timer\n");
}

/*
 * @ms as one of libevent's common timeouts: the timers of one duration
 * wait in a list, not in its heap. At 10,000 checks a second the heap
 * (one next-probe timer per check) was xlbd's largest user-space cost: a
 * pop of its minimum walks 14 levels of cache misses.
 */
static void arm_common(struct xlbd_check *ck, struct event *ev, unsigned int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (suseconds_t)(ms % 1000) * 1000 };
	const struct timeval *ct =
		event_base_init_common_timeout(ck->h->base, &tv);

	if (!ct || event_add(ev, ct))
		arm(ev, ms);
}

/*
 * Where in its interval a check's first probe goes: a hash of what it
 * checks, so 10,000 checks made at once spread evenly over the interval
 * and a restarted xlbd spreads them the same way.
 */
static unsigned int spread_of(const struct xlbd_check *ck)
{
	__u32 x = 2166136261u;
	const __u8 *p = (const __u8 *)&ck->cfg.addr;

	for (size_t i = 0; i < sizeof(ck->cfg.addr); i++)
		x = (x ^ p[i]) * 16777619u;
	x = (x ^ ck->backend_id) * 16777619u;
	x = (x ^ ck->cfg.port) * 16777619u;
	x = (x ^ ck->cfg.kind) * 16777619u;
	return (unsigned int)((__u64)x * ck->cfg.interval_ms >> 32);
}

static const struct xlbd_check_ops *ops_of(__u8 kind)
{
	switch (kind) {
	case XLB_CHECK_TCP:
		return &xlbd_check_tcp;
	case XLB_CHECK_HTTP:
	case XLB_CHECK_HTTPS:
		return &xlbd_check_http;
	case XLB_CHECK_EXEC:
		return &xlbd_check_exec;
	case XLB_CHECK_UDP:
		return &xlbd_check_udp;
	case XLB_CHECK_AGENT:
		return &xlbd_check_agent;
	default:
		return NULL;
	}
}

static struct xlbd_check *check_new(struct xlbd_health *h, struct plan_ent *e)
{
	struct xlbd_check *ck = calloc(1, sizeof(*ck));

	if (!ck)
		return NULL;
	ck->h = h;
	ck->cfg = e->cfg;
	ck->backend_id = e->id;
	ck->ops = ops_of(e->cfg.kind);
	ck->up = e->up;
	ck->ramps = !h->seed;
	ck->since = time(NULL);
	ck->timer = event_new(h->base, -1, 0, on_timer, ck);
	ck->deadline = event_new(h->base, -1, 0, on_deadline, ck);
	if (!ck->ops || !ck->timer || !ck->deadline) {
		check_free(ck);
		return NULL;
	}
	if (ck->cfg.tunnel)
		ck->mark = xlb_probe_mark(e->id, ck->cfg.mode);
	ck->spread_ms = spread_of(ck);
	arm(ck->timer, ck->spread_ms);
	return ck;
}

static const struct xlb_cfg_ref *ref_in(const struct xlb_cfg *c,
					const char *vip, __u32 id)
{
	const struct xlb_cfg_vip *v = xlb_cfg_vip_find(c, vip);

	for (size_t k = 0; v && k < v->nrefs; k++)
		if (v->refs[k].id == id)
			return &v->refs[k];
	return NULL;
}

/*
 * on_down: reset: the flows of references that just went down, in one walk
 * of the connection table however many went down (a walk of a table of
 * millions costs tens of ms: one per reference made 100 backends going down
 * at once cost seconds).
 */
static void reset_flows(struct xlbd_health *h, const struct xlb_cfg *prev,
			const struct xlb_cfg *next)
{
	struct xlb_ct_filter f = { .vip_id = XLB_CT_ANY_VIP };
	__u8 *pairs = NULL;
	size_t n = 0;
	char one[XLB_NAME_MAX + 32];
	long got;

	for (struct xlbd_check *ck = h->list; ck; ck = ck->next) {
		/*
		 * Only a check that failed cuts flows: one still in its initial
		 * down state (a check just added, leaving fail open as its
		 * first sibling comes up) proved nothing wrong with the flows
		 * it has.
		 */
		if (!ck->checked || ck->last_ok)
			continue;
		for (size_t i = 0; i < ck->nrefs; i++) {
			const struct xlbd_check_ref *cr = &ck->refs[i];
			const struct xlb_cfg_ref *o, *nr;
			const struct xlb_cfg_vip *v;
			int vid;

			if (cr->on_down != XLB_ON_DOWN_RESET)
				continue;
			nr = ref_in(next, cr->vip, ck->backend_id);
			o = ref_in(prev, cr->vip, ck->backend_id);
			if (!nr || !o || !nr->down || o->down)
				continue;
			v = xlb_cfg_vip_find(next, cr->vip);
			vid = xlb_vip_id_of(&h->d->maps, v);
			if (vid < 0 || vid >= XLB_MAX_VIPS)
				continue;
			if (!pairs)
				pairs = calloc(XLB_CT_PAIR_BITS / 8, 1);
			if (!pairs) {
				pr_err("health: reset flows: out of memory\n");
				return;
			}
			xlb_ct_pair_add(pairs, (__u32)vid, ck->backend_id);
			snprintf(one, sizeof(one), "%s backend %u", cr->vip,
				 ck->backend_id);
			n++;
		}
	}
	if (!n)
		return;
	f.pair_set = pairs;
	got = xlb_ct_flush(h->d->maps.conntrack, &f, 0);
	free(pairs);
	if (got > 0)
		xlbd_ct_changed(h->d);
	if (got < 0)
		pr_err("health: reset flows of %s: %s\n",
		       n == 1 ? one : "the backends that went down",
		       strerror((int)-got));
	else if (got && n == 1)
		pr_info("health: %s: %ld flows reset (on_down: reset)\n", one,
			got);
	else if (got)
		pr_info("health: %ld flows of %zu backends that went down reset "
			"(on_down: reset)\n",
			got, n);
}

static void persist(struct xlbd_health *h, struct xlbd_check *ck,
		    const struct xlb_cfg *c)
{
	struct xlb_health_val val = { .up = ck->up, .since = (__u64)ck->since };

	if (h->map_fd < 0)
		return;
	for (size_t i = 0; i < ck->nrefs; i++) {
		const struct xlb_cfg_vip *v =
			xlb_cfg_vip_find(c, ck->refs[i].vip);
		struct xlb_health_key k = { .backend_id = ck->backend_id };
		int vid = v ? xlb_vip_id_of(&h->d->maps, v) : -1;

		if (vid < 0)
			continue;
		k.vip_id = (__u32)vid;
		if (xlb_health_map_put(h->map_fd, &k, &val))
			pr_debug("health: cannot record %s backend %u\n",
				 ck->refs[i].vip, ck->backend_id);
	}
	ck->persisted = true;
}

static bool has_name(char (*l)[XLB_NAME_MAX], size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(l[i], name))
			return true;
	return false;
}

/* Same VIPs, names and keys, in the same order: pinned states stay valid. */
static bool same_vips(const struct xlb_cfg *a, const struct xlb_cfg *b)
{
	struct xlb_vip_key ka, kb;

	if (!a || a->nvips != b->nvips)
		return false;
	for (size_t i = 0; i < a->nvips; i++) {
		xlb_vip_key_of(&a->vips[i], &ka);
		xlb_vip_key_of(&b->vips[i], &kb);
		if (strcmp(a->vips[i].name, b->vips[i].name) ||
		    memcmp(&ka, &kb, sizeof(ka)))
			return false;
	}
	return true;
}

static bool same_refs(const struct xlbd_check *ck, const struct plan_ent *e)
{
	if (ck->nrefs != e->nrefs)
		return false;
	for (size_t i = 0; i < e->nrefs; i++)
		if (strcmp(ck->refs[i].vip, e->refs[i].vip))
			return false;
	return true;
}

/* Says which slow starts began, and which ended or stopped. */
static void log_ramps(const struct xlb_cfg *prev, const struct xlb_cfg *next,
		      __u64 now)
{
	char t[16];

	for (size_t i = 0; i < next->nvips; i++) {
		const struct xlb_cfg_vip *v = &next->vips[i];
		const struct xlb_cfg_vip *ov =
			i < prev->nvips &&
					!strcmp(prev->vips[i].name, v->name) ?
				&prev->vips[i] :
				xlb_cfg_vip_find(prev, v->name);

		for (size_t k = 0; k < v->nrefs; k++) {
			const struct xlb_cfg_ref *r = &v->refs[k];
			const struct xlb_cfg_ref *o = prev_ref(ov, k, r->id);

			if (r->ramp_start &&
			    (!o || o->ramp_start != r->ramp_start))
				pr_info("health: backend %u in %s: slow start, "
					"%u%% of its weight, all of it in %s\n",
					r->id, v->name, r->ramp_pct,
					xlb_check_ms_str(r->ramp_ms, t,
							 sizeof(t)));
			else if (r->ramp_start && o->ramp_pct != r->ramp_pct)
				pr_debug("health: backend %u in %s: slow start "
					 "at %u%%\n",
					 r->id, v->name, r->ramp_pct);
			else if (!r->ramp_start && o && o->ramp_start)
				pr_info("health: backend %u in %s: %s\n", r->id,
					v->name,
					now >= o->ramp_start + o->ramp_ms ?
						"slow start over, at its full "
						"weight" :
					ref_out(next, r) ?
						"slow start stopped (out of the "
						"table)" :
						"slow start off (slowstart "
						"changed), at its full weight");
		}
	}
}

/*
 * The backups of @v that take new flows, as "7, 8" in @buf; returns how
 * many.
 */
static size_t backups_serving(const struct xlb_cfg *c,
			      const struct xlb_cfg_vip *v, char *buf, size_t n)
{
	size_t cnt = 0, used = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < v->nrefs; k++) {
		const struct xlb_cfg_ref *r = &v->refs[k];

		if (!r->backup || !xlb_cfg_ref_weight(c, r))
			continue;
		if (used < n)
			used += (size_t)snprintf(buf + used, n - used, "%s%u",
						 cnt ? ", " : "", r->id);
		cnt++;
	}
	return cnt;
}

/*
 * VIP @name of @prev (NULL: none), at @i first, so a walk over 1024 VIPs
 * that did not move stays linear.
 */
static const struct xlb_cfg_vip *prev_vip(const struct xlb_cfg *prev, size_t i,
					  const char *name)
{
	if (!prev)
		return NULL;
	if (i < prev->nvips && !strcmp(prev->vips[i].name, name))
		return &prev->vips[i];
	return xlb_cfg_vip_find(prev, name);
}

/*
 * Says, loudly, which VIPs went over to their backups, which came back to
 * their primaries, and which lost their backups too (fail open, if it
 * comes, says so itself). @prev: NULL at start.
 */
static void log_backups(const struct xlb_cfg *prev, const struct xlb_cfg *next)
{
	char now[256], was[256];

	for (size_t i = 0; i < next->nvips; i++) {
		const struct xlb_cfg_vip *v = &next->vips[i];
		const struct xlb_cfg_vip *ov = prev_vip(prev, i, v->name);
		size_t nb = backups_serving(next, v, now, sizeof(now));
		size_t ob = ov ? backups_serving(prev, ov, was, sizeof(was)) :
				 0;
		bool primary = false;

		if (nb && (!ob || strcmp(now, was))) {
			pr_err("health: VIP %s: no primary backend can take "
			       "flows; serving backup%s %s\n",
			       v->name, nb > 1 ? "s" : "", now);
			continue;
		}
		if (nb || !ob)
			continue;
		for (size_t k = 0; k < v->nrefs; k++)
			primary |= !v->refs[k].backup &&
				   xlb_cfg_ref_weight(next, &v->refs[k]);
		if (primary)
			pr_info("health: VIP %s: a primary backend can take "
				"flows again; backup%s %s take%s no new flows "
				"(open ones stay)\n",
				v->name, ob > 1 ? "s" : "", was,
				ob > 1 ? "" : "s");
		else
			pr_err("health: VIP %s: no backup can take flows "
			       "either (backup%s %s out)\n",
			       v->name, ob > 1 ? "s" : "", was);
	}
}

/* The next step of a slow start: at most one such commit a second. */
static void arm_ramp(struct xlbd_health *h)
{
	__u64 now = xlbd_check_mono_ms(), at = h->next_step;

	event_del(h->ramp);
	if (!at)
		return;
	if (h->last_step && at < h->last_step + XLB_SLOWSTART_STEP_MS)
		at = h->last_step + XLB_SLOWSTART_STEP_MS;
	arm(h->ramp, at > now ? (unsigned int)(at - now) + 5 : 5);
}

void xlbd_health_commit(struct xlbd_health *h, const struct xlb_cfg *prev,
			const struct xlb_cfg *next)
{
	struct xlbd_check *ck, *n, *keep = NULL;
	/*
	 * A commit of 10,000 checks rewrites only the pinned states that
	 * changed: what transitioned, what is new, what serves other VIPs.
	 */
	bool vips_kept = same_vips(prev, next);

	if (!h->planned)
		return;
	/* keep what the plan reuses, make what it adds, stop the rest */
	for (ck = h->list; ck; ck = ck->next)
		ck->kept = false;
	for (size_t i = 0; i < h->nplan; i++)
		if (h->plan[i].reuse)
			h->plan[i].reuse->kept = true;
	for (ck = h->list; ck; ck = n) {
		n = ck->next;
		if (!ck->kept)
			check_free(ck);
	}
	for (size_t i = 0; i < h->nplan; i++) {
		struct plan_ent *e = &h->plan[i];

		ck = e->reuse;
		if (ck) {
			if (!vips_kept || !same_refs(ck, e))
				ck->persisted = false;
			free(ck->refs);
		} else {
			ck = check_new(h, e);
			if (!ck) {
				pr_err("health: backend %u: cannot start its "
				       "check (out of memory)\n",
				       e->id);
				continue;
			}
		}
		ck->refs = e->refs;
		ck->nrefs = e->nrefs;
		e->refs = NULL;
		ck->next = keep;
		keep = ck;
	}
	h->list = keep;
	memset(h->hash, 0, sizeof(h->hash));
	for (ck = h->list; ck; ck = ck->next) {
		ck->hnext = h->hash[ck->backend_id % HBUCKETS];
		h->hash[ck->backend_id % HBUCKETS] = ck;
	}
	if (prev)
		reset_flows(h, prev, next);
	for (ck = h->list; ck; ck = ck->next)
		if (!ck->persisted)
			persist(h, ck, next);
	xlbd_tunnel_sync(h, next->pin_dir);
	if (prev && (h->nramps || h->pnramps))
		log_ramps(prev, next, xlbd_check_mono_ms());
	h->nramps = h->pnramps;
	h->next_step = h->pnext_step;
	arm_ramp(h);
	log_backups(prev, next);
	for (size_t i = 0; i < h->nppanic; i++)
		if (!has_name(h->panic, h->npanic, h->ppanic[i]))
			pr_err("health: VIP %s: every backend is down by its "
			       "check; serving all of them (fail open) until "
			       "one is up\n",
			       h->ppanic[i]);
	for (size_t i = 0; i < h->npanic; i++)
		if (!has_name(h->ppanic, h->nppanic, h->panic[i]))
			pr_info("health: VIP %s: no longer failing open\n",
				h->panic[i]);
	free(h->panic);
	h->panic = h->ppanic;
	h->npanic = h->nppanic;
	h->ppanic = NULL;
	h->nppanic = 0;
	free(h->plan);
	h->plan = NULL;
	h->nplan = 0;
	h->planned = false;
	h->seed = false;
}

/* ---- the state machine ------------------------------------------------- */

static double ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) * 1e3 +
	       (double)(now.tv_nsec - t->tv_nsec) / 1e6;
}

static void describe(const struct xlbd_check *ck, char *buf, size_t n)
{
	char a[XLB_ADDR_STRLEN];

	if (ck->cfg.kind == XLB_CHECK_EXEC)
		snprintf(buf, n, "exec");
	else
		snprintf(buf, n, "%s%s %s%s%s:%u",
			 xlb_word_name(xlb_words_check_kind, ck->cfg.kind),
			 ck->mark ? " through the tunnel to" : "",
			 ck->cfg.family == XLB_AF_INET6 ? "[" : "",
			 xlb_addr_str(&ck->cfg.addr, ck->cfg.family, a,
				      sizeof(a)),
			 ck->cfg.family == XLB_AF_INET6 ? "]" : "",
			 ck->cfg.port);
}

/* Commits at the end of this loop turn, or when the hold-off ends. */
static void flush_soon(struct xlbd_health *h)
{
	double wait = -ms_since(&h->hold);

	if (event_pending(h->flush, EV_TIMEOUT, NULL))
		return;
	if (wait > 0)
		arm(h->flush, (unsigned int)wait + 1);
	else
		event_active(h->flush, EV_TIMEOUT, 0);
}

static void finish(struct xlbd_check *ck, bool ok, const char *reason)
{
	struct xlbd_health *h = ck->h;
	unsigned int need;
	char what[96], vips[256];
	double next;
	size_t used = 0;

	ck->running = false;
	ck->checked = true;
	ck->last_ok = ok;
	ck->last_ms = ms_since(&ck->started);
	ck->last_at = time(NULL);
	snprintf(ck->last_reason, sizeof(ck->last_reason), "%s", reason);
	if (!ok)
		ck->failures++;
	if (ok == ck->up) {
		ck->count = 0;
	} else {
		ck->count++;
		need = ck->up ? ck->cfg.fall : ck->cfg.rise;
		if (ck->count >= need) {
			ck->up = ok;
			/* seen failed: its next up is a slow start */
			if (!ok)
				ck->ramps = true;
			ck->count = 0;
			ck->since = time(NULL);
			ck->transitions++;
			ck->persisted = false;
			describe(ck, what, sizeof(what));
			vips[0] = '\0';
			for (size_t i = 0; i < ck->nrefs && used < sizeof(vips);
			     i++)
				used += (size_t)snprintf(vips + used,
							 sizeof(vips) - used,
							 "%s%s", i ? ", " : "",
							 ck->refs[i].vip);
			pr_info("health: backend %u %s in %s: %s (%s, %u of %u "
				"in a row, %.0f ms)\n",
				ck->backend_id, ok ? "up" : "down", vips,
				reason, what, need, need, ck->last_ms);
			h->dirty = true;
			flush_soon(h);
		}
	}
	/*
	 * The next probe an interval after this one started, not after it
	 * ended: checks keep their cadence and their place in the spread
	 * (10,000 checks a second stay 10,000, however long each probe took).
	 */
	next = (double)interval_of(ck) - ck->last_ms;
	/*
	 * A probe that took under a millisecond (most) waits the interval
	 * itself, a common timeout: its place in the spread moves by that
	 * much at most.
	 */
	if (ck->last_ms < 1)
		arm_common(ck, ck->timer, interval_of(ck));
	else
		arm(ck->timer, next > 0 ? (unsigned int)next : 0);
}

void xlbd_check_done(struct xlbd_check *ck, bool ok, const char *fmt, ...)
{
	char reason[160];
	va_list ap;

	if (!ck->running)
		return;
	event_del(ck->deadline);
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	finish(ck, ok, reason);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct xlbd_check *ck = arg;
	char why[160];

	(void)fd;
	(void)what;
	ck->running = true;
	ck->grace = false;
	ck->probes++;
	clock_gettime(CLOCK_MONOTONIC, &ck->started);
	why[0] = '\0';
	if (ck->ops->start(ck, why, sizeof(why))) {
		finish(ck, false, why);
		return;
	}
	arm_common(ck, ck->deadline, ck->cfg.timeout_ms);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct xlbd_check *ck = arg;
	char t[16], reason[64];

	(void)fd;
	(void)what;
	if (!ck->running)
		return;
	/*
	 * A loop held up (a commit building many tables) runs expired
	 * deadlines before the I/O that completed meanwhile: give that one
	 * more turn, or every probe in flight would fail at once and take
	 * its backend down, which means another commit.
	 */
	if (!ck->grace && ms_since(&ck->started) > ck->cfg.timeout_ms + 50) {
		ck->grace = true;
		arm(ck->deadline, 0);
		return;
	}
	if (ck->ops->expire) {
		bool ok = ck->ops->expire(ck, reason, sizeof(reason));

		finish(ck, ok, reason);
		return;
	}
	ck->ops->cancel(ck);
	snprintf(reason, sizeof(reason), "timeout after %s",
		 xlb_check_ms_str(ck->cfg.timeout_ms, t, sizeof(t)));
	finish(ck, false, reason);
}

/* A slow start's next step is due: commit it as a transition would. */
static void on_ramp(evutil_socket_t fd, short what, void *arg)
{
	struct xlbd_health *h = arg;
	__u64 now = xlbd_check_mono_ms();

	(void)fd;
	(void)what;
	/*
	 * Early: the loop's clock, cached before a long callback, placed the
	 * timer before the step is due; the commit would find nothing to do.
	 */
	if (h->next_step > now) {
		arm(h->ramp, (unsigned int)(h->next_step - now) + 5);
		return;
	}
	h->last_step = now;
	h->dirty = true;
	flush_soon(h);
}

/* Transitions of one loop turn become one commit: one swap per table. */
static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct xlbd_health *h = arg;
	struct xlb_apply_stats st;
	char err[XLB_ERR_MAX];
	struct timespec t0;
	double took;
	int rc;

	(void)fd;
	(void)what;
	if (!h->dirty)
		return;
	h->dirty = false;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = xlb_edit_health_sync(h->d, BY_HEALTH, &st, err, sizeof(err));
	took = ms_since(&t0);
	h->commits++;
	h->commit_s += took / 1e3;
	clock_gettime(CLOCK_MONOTONIC, &h->hold);
	took = took < 1000 ? took : 1000;
	h->hold.tv_sec += (time_t)(took / 1000);
	h->hold.tv_nsec +=
		(long)(took - (double)(time_t)(took / 1000) * 1000) * 1000000L;
	if (h->hold.tv_nsec >= 1000000000L) {
		h->hold.tv_sec++;
		h->hold.tv_nsec -= 1000000000L;
	}
	if (rc) {
		pr_err("health: the tables could not follow the checks: %s; "
		       "retrying in 1 s\n",
		       err);
		h->dirty = true;
		arm(h->flush, 1000);
	}
}

struct json_object *xlbd_check_json(const struct xlbd_check *ck)
{
	struct json_object *o = json_object_new_object(), *l;
	char a[XLB_ADDR_STRLEN];

	json_object_object_add(o, "kind",
			       json_object_new_string(xlb_word_name(
				       xlb_words_check_kind, ck->cfg.kind)));
	if (ck->cfg.kind != XLB_CHECK_EXEC) {
		json_object_object_add(
			o, "address",
			json_object_new_string(xlb_addr_str(
				&ck->cfg.addr, ck->cfg.family, a, sizeof(a))));
		json_object_object_add(o, "port",
				       json_object_new_int(ck->cfg.port));
	}
	if (ck->mark)
		json_object_object_add(o, "tunnel",
				       json_object_new_boolean(true));
	json_object_object_add(o, "state",
			       json_object_new_string(ck->up ? "up" : "down"));
	json_object_object_add(o, "since", json_object_new_int64(ck->since));
	json_object_object_add(o, "count", json_object_new_int((int)ck->count));
	json_object_object_add(o, "rise",
			       json_object_new_int((int)ck->cfg.rise));
	json_object_object_add(o, "fall",
			       json_object_new_int((int)ck->cfg.fall));
	json_object_object_add(o, "interval_ms",
			       json_object_new_int((int)interval_of(ck)));
	json_object_object_add(o, "probes",
			       json_object_new_int64((int64_t)ck->probes));
	json_object_object_add(o, "failures",
			       json_object_new_int64((int64_t)ck->failures));
	json_object_object_add(o, "transitions",
			       json_object_new_int64((int64_t)ck->transitions));
	if (ck->cfg.kind == XLB_CHECK_AGENT) {
		struct json_object *ag = json_object_new_object();

		json_object_object_add(
			ag, "health",
			json_object_new_string(ck->agent_down ? "down" : "up"));
		json_object_object_add(ag, "admin",
				       json_object_new_string(xlb_admin_name(
					       ck->agent_admin)));
		if (ck->agent_pct_set)
			json_object_object_add(
				ag, "weight_pct",
				json_object_new_int((int)ck->agent_pct));
		json_object_object_add(o, "agent", ag);
	}
	if (ck->checked) {
		l = json_object_new_object();
		json_object_object_add(l, "ok",
				       json_object_new_boolean(ck->last_ok));
		json_object_object_add(l, "reason",
				       json_object_new_string(ck->last_reason));
		json_object_object_add(l, "duration_ms",
				       json_object_new_double(ck->last_ms));
		json_object_object_add(l, "at",
				       json_object_new_int64(ck->last_at));
		json_object_object_add(o, "last", l);
	}
	return o;
}

void xlbd_health_counts(const struct xlbd_health *h,
			struct xlbd_health_totals *t)
{
	memset(t, 0, sizeof(*t));
	if (!h)
		return;
	for (const struct xlbd_check *ck = h->list; ck; ck = ck->next) {
		t->checks++;
		t->up += ck->up;
		t->transitions += ck->transitions;
		t->probes += ck->probes;
		t->failures += ck->failures;
	}
	t->commits = h->commits;
	t->commit_s = h->commit_s;
	t->pending = h->dirty;
	t->tcp_probe = xlbd_check_tcp_mode((struct xlbd_health *)h,
					   &t->tcp_answers_dropped);
}

/* One family over every (check, reference) pair. */
enum hp_what { HP_UP, HP_DURATION, HP_TRANSITIONS, HP_PROBES, HP_FAILURES };

static void health_family(struct xlb_prom *p, const struct xlbd_health *h,
			  const char *name, const char *type, const char *help,
			  enum hp_what w)
{
	char id[16];

	xlb_prom_family(p, name, type, help);
	for (const struct xlbd_check *ck = h->list; ck; ck = ck->next) {
		snprintf(id, sizeof(id), "%u", ck->backend_id);
		for (size_t r = 0; r < ck->nrefs; r++) {
			const char *vip = ck->refs[r].vip;

			switch (w) {
			case HP_UP:
				xlb_prom_u64(p, name, ck->up, "vip", vip,
					     "backend", id, "kind",
					     ck->ops ? ck->ops->name : "?", NULL);
				break;
			case HP_DURATION:
				xlb_prom_f64(p, name, ck->last_ms / 1000.0,
					     "vip", vip, "backend", id, NULL);
				break;
			case HP_TRANSITIONS:
				xlb_prom_u64(p, name, ck->transitions, "vip",
					     vip, "backend", id, NULL);
				break;
			case HP_PROBES:
				xlb_prom_u64(p, name, ck->probes, "vip", vip,
					     "backend", id, NULL);
				break;
			case HP_FAILURES:
				xlb_prom_u64(p, name, ck->failures, "vip", vip,
					     "backend", id, NULL);
				break;
			}
		}
	}
}

/* xlbd_check_tcp_mode()'s drop count, for the metrics. */
static unsigned long t_dropped(const struct xlbd_health *h)
{
	unsigned long n;

	xlbd_check_tcp_mode((struct xlbd_health *)h, &n);
	return n;
}

void xlbd_health_prom(struct xlb_prom *p, void *arg)
{
	const struct xlbd_health *h = arg;

	if (!h || !h->list)
		return;
	xlb_prom_family(p, "xlb_health_commits_total", "counter",
			"Commits of check transitions to the tables (one per "
			"loop turn with transitions).");
	xlb_prom_u64(p, "xlb_health_commits_total", h->commits, NULL);
	xlb_prom_family(p, "xlb_health_commit_seconds_total", "counter",
			"Time spent committing transitions to the tables.");
	xlb_prom_f64(p, "xlb_health_commit_seconds_total", h->commit_s, NULL);
	xlb_prom_family(p, "xlb_health_tcp_answers_dropped_total", "counter",
			"Answers to half-open TCP probes the raw socket's full "
			"queue dropped (their probes time out).");
	xlb_prom_u64(p, "xlb_health_tcp_answers_dropped_total",
		     t_dropped(h), NULL);
	health_family(p, h, "xlb_backend_check_up", "gauge",
		      "1 when the backend's health check in the VIP says up.",
		      HP_UP);
	health_family(p, h, "xlb_backend_check_duration_seconds", "gauge",
		      "How long the last probe of the check took.", HP_DURATION);
	health_family(p, h, "xlb_backend_check_transitions_total", "counter",
		      "Up/down transitions of the check since xlbd started.",
		      HP_TRANSITIONS);
	health_family(p, h, "xlb_backend_check_probes_total", "counter",
		      "Probes of the check since xlbd started.", HP_PROBES);
	health_family(p, h, "xlb_backend_check_failures_total", "counter",
		      "Failed probes of the check since xlbd started.",
		      HP_FAILURES);
	xlbd_tunnel_prom(p, (struct xlbd_health *)h);
}
