// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds xlbd's HTTP endpoint (xlbd/metrics.h). It uses the HTTP
 * server of libevent (evhttp), the library xlbd's loop already runs on:
 * one loop, no second library or thread, and a slow HTTP client costs the
 * loop nothing (evhttp buffers and times out per connection).
 *
 * What a request costs: one batched read per per-CPU map (xlb_stats, VIP
 * and backend counters) and one lookup per VIP for its id; the model is in
 * memory; conntrack numbers are the last timed walk's.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "lib/addr.h"
#include "lib/conntrack.h"
#include "lib/loader.h"
#include "lib/log.h"
#include "lib/opt.h"
#include "lib/parse.h"
#include "lib/stats.h"
#include "xlbd/apply.h"
#include "xlbd/daemon.h"
#include "xlbd/loop.h"
#include "xlbd/metrics.h"

/* The status page, embedded at build time from user/xlbd/status.html. */
static const char status_html[] =
#include "gen/status_html.h"
	;

/* Counters at one moment: for rates (the 1 s tick) and for a scrape. */
struct sample {
	struct timespec at;
	__u32 nvip, nbe; /* entries read: highest id in use + 1 */
	struct xlb_vip_stats vip[XLB_MAX_VIPS];
	struct xlb_counter be[XLB_MAX_BACKENDS];
};

struct xlbd_metrics {
	struct xlbd *d;
	struct xlbd_loop *loop;
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	/* what sock listens on; port 0: nothing */
	struct xlb_addr addr;
	__u8 family;
	__u16 port;
	char bind_err[XLB_ERR_MAX]; /* the last bind failure, logged once */
	struct xlbd_src *tick;
	/* rates: two samples a tick apart; now: a scrape's scratch */
	struct sample *prev, *cur, *now;
	/* conntrack as the reaper's last complete pass counted it */
	struct {
		bool valid;
		int err;
		long n[2]; /* live entries: [0] active, [1] closing */
		__u32 (*per_be)[2]; /* [backend id][active, closing] */
		double walk_s; /* how long the walk took */
		double at; /* when (Unix time) */
	} ct;
	/* Maglev inputs per VIP id: fingerprint and how often it changed */
	__u32 fp[XLB_MAX_VIPS];
	__u64 gen[XLB_MAX_VIPS];
	struct xlbd_metrics_ext ext[XLBD_METRICS_EXT_MAX];
	size_t next;
	/*
	 * The running model indexed once per request (index_model()): each
	 * VIP's id in the maps, and each backend id's place in the pool + 1
	 * (0: not in it). A scrape of 1,000 VIPs x 10 backends looks each up
	 * thousands of times; a linear search each time cost 200 ms.
	 */
	int *vid;
	size_t nvid;
	__u32 *be_at;
	/* each pool backend's labels, as text once per request */
	struct be_label {
		char id[12];
		char addr[XLB_ADDR_STRLEN];
	} * lbl;
	size_t nlbl;
};

/* Indexes the running model; -ENOMEM leaves the old index. */
static int index_model(struct xlbd_metrics *m)
{
	const struct xlb_cfg *c = &m->d->running;

	if (c->nvips > m->nvid) {
		int *v = realloc(m->vid, c->nvips * sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->vid = v;
		m->nvid = c->nvips;
	}
	if (c->nbackends > m->nlbl) {
		struct be_label *l = realloc(m->lbl, c->nbackends * sizeof(*l));

		if (!l)
			return -ENOMEM;
		m->lbl = l;
		m->nlbl = c->nbackends;
	}
	for (size_t i = 0; i < c->nbackends; i++) {
		const struct xlb_cfg_backend *b = &c->backends[i];

		snprintf(m->lbl[i].id, sizeof(m->lbl[i].id), "%u", b->id);
		xlb_addr_str(&b->addr, b->family, m->lbl[i].addr,
			     sizeof(m->lbl[i].addr));
	}
	for (size_t i = 0; i < c->nvips; i++)
		m->vid[i] = xlb_vip_id_of(&m->d->maps, &c->vips[i]);
	memset(m->be_at, 0, XLB_MAX_BACKENDS * sizeof(*m->be_at));
	for (size_t i = 0; i < c->nbackends; i++)
		if (c->backends[i].id < XLB_MAX_BACKENDS)
			m->be_at[c->backends[i].id] = (__u32)i + 1;
	return 0;
}

static const struct xlb_cfg_backend *be_of(const struct xlbd_metrics *m,
					   __u32 id)
{
	return id < XLB_MAX_BACKENDS && m->be_at[id] ?
		       &m->d->running.backends[m->be_at[id] - 1] :
		       NULL;
}

/* A reference's backend id as a label (from the index when it can). */
static const char *ref_id(const struct xlbd_metrics *m,
			  const struct xlb_cfg_ref *r, char *buf, size_t n)
{
	if (r->id < XLB_MAX_BACKENDS && m->be_at[r->id])
		return m->lbl[m->be_at[r->id] - 1].id;
	snprintf(buf, n, "%u", r->id);
	return buf;
}

/* xlb_cfg_ref_weight() through the index. */
static __u32 ref_weight(const struct xlbd_metrics *m,
			const struct xlb_cfg_ref *r)
{
	return xlb_cfg_ref_weight_be(r, be_of(m, r->id));
}

static double secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* The VIP and backend counters in two batch reads up to the highest id. */
static void read_sample(struct xlbd_metrics *m, struct sample *s)
{
	struct xlbd *d = m->d;

	clock_gettime(CLOCK_MONOTONIC, &s->at);
	s->nvip = s->nbe = 0;
	for (size_t i = 0; i < d->running.nvips; i++) {
		int id = m->vid[i];

		if (id >= 0 && (__u32)id + 1 > s->nvip)
			s->nvip = (__u32)id + 1;
	}
	for (size_t i = 0; i < d->running.nbackends; i++)
		if (d->running.backends[i].id + 1 > s->nbe)
			s->nbe = d->running.backends[i].id + 1;
	if (xlb_vip_stats_read_range(&d->maps, 0, s->nvip, s->vip) < 0) {
		memset(s->vip, 0, sizeof(s->vip[0]) * s->nvip);
		s->nvip = 0;
	}
	if (xlb_backend_stats_read_range(&d->maps, 0, s->nbe, s->be) < 0) {
		memset(s->be, 0, sizeof(s->be[0]) * s->nbe);
		s->nbe = 0;
	}
}

/*
 * What decides a VIP's Maglev table: the seed, the size and each backend
 * id with the weight the table gives it (sorted: the table does not depend
 * on order). Equal inputs build byte-identical tables on every node, so
 * equal fingerprints mean equal tables (FNV-1a, 32 bits: exact in a
 * Prometheus float).
 */
static __u32 fnv(__u32 h, __u32 v)
{
	for (int i = 0; i < 4; i++) {
		h ^= (v >> (8 * i)) & 0xff;
		h *= 16777619u;
	}
	return h;
}

static __u32 table_fingerprint(const struct xlbd_metrics *m,
			       const struct xlb_cfg *c,
			       const struct xlb_cfg_vip *v)
{
	__u32 h = 2166136261u, last = 0;

	h = fnv(h, c->hash_seed);
	h = fnv(h, v->table_size);
	/* selection by ascending id: no allocation, nrefs is small */
	for (size_t n = 0; n < v->nrefs; n++) {
		const struct xlb_cfg_ref *best = NULL;

		for (size_t r = 0; r < v->nrefs; r++)
			if (v->refs[r].id > last &&
			    (!best || v->refs[r].id < best->id))
				best = &v->refs[r];
		if (!best)
			break;
		last = best->id;
		h = fnv(h, best->id);
		h = fnv(h, ref_weight(m, best));
	}
	return h;
}

/* Notes each VIP's table inputs; a change is a new generation. */
static void track_tables(struct xlbd_metrics *m)
{
	struct xlbd *d = m->d;

	for (size_t i = 0; i < d->running.nvips; i++) {
		const struct xlb_cfg_vip *v = &d->running.vips[i];
		int id = m->vid[i];
		__u32 fp;

		if (id < 0)
			continue;
		fp = table_fingerprint(m, &d->running, v);
		if (!m->gen[id] || m->fp[id] != fp) {
			m->fp[id] = fp;
			m->gen[id]++;
		}
	}
}

/* ---- conntrack: the reaper's last complete pass ------------------------- */

/*
 * xlbd's reaper walks the table a slice at a time and counts live entries
 * as it goes (daemon.h); a scrape reads what its last complete pass
 * counted, so no request ever waits on a walk of the whole table.
 */
void xlbd_metrics_ct_refresh(struct xlbd_metrics *m)
{
	const struct xlbd_ct_census *c = &m->d->census;

	m->ct.valid = c->valid && c->per_be;
	m->ct.err = 0;
	if (!m->ct.valid)
		return;
	m->ct.n[0] = c->n[0];
	m->ct.n[1] = c->n[1];
	memcpy(m->ct.per_be, c->per_be, sizeof(*m->ct.per_be) * XLB_MAX_BACKENDS);
	m->ct.walk_s = c->pass_s;
	m->ct.at = c->at;
}

/* ---- /metrics ------------------------------------------------------------ */

static void proc_metrics(struct xlb_prom *p)
{
	long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	unsigned long long utime = 0, stime = 0, start = 0, vsize = 0,
			   btime = 0;
	long long rss = 0;
	char line[1024], *s;
	struct rlimit rl;
	struct dirent *e;
	long fds = 0;
	FILE *f;
	DIR *dir;

	f = fopen("/proc/self/stat", "r");
	if (f) {
		/* the name may hold blanks and parens: fields follow the last ')' */
		if (fgets(line, sizeof(line), f) && (s = strrchr(line, ')')))
			sscanf(s + 2,
			       "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			       "%llu %llu %*d %*d %*d %*d %*d %*d %llu %llu %lld",
			       &utime, &stime, &start, &vsize, &rss);
		fclose(f);
	}
	f = fopen("/proc/stat", "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "btime %llu", &btime) == 1)
				break;
		fclose(f);
	}
	dir = opendir("/proc/self/fd");
	if (dir) {
		while ((e = readdir(dir)))
			fds += e->d_name[0] != '.';
		fds--; /* the directory's own fd */
		closedir(dir);
	}
	if (tick <= 0)
		tick = 100;
	xlb_prom_family(p, "process_cpu_seconds_total", "counter",
			"Total user and system CPU time spent in seconds.");
	xlb_prom_f64(p, "process_cpu_seconds_total",
		     (double)(utime + stime) / (double)tick, NULL);
	xlb_prom_family(
		p, "process_start_time_seconds", "gauge",
		"Start time of the process since unix epoch in seconds.");
	xlb_prom_f64(p, "process_start_time_seconds",
		     (double)btime + (double)start / (double)tick, NULL);
	xlb_prom_family(p, "process_resident_memory_bytes", "gauge",
			"Resident memory size in bytes.");
	xlb_prom_u64(p, "process_resident_memory_bytes",
		     (__u64)(rss > 0 ? rss : 0) * (__u64)page, NULL);
	xlb_prom_family(p, "process_virtual_memory_bytes", "gauge",
			"Virtual memory size in bytes.");
	xlb_prom_u64(p, "process_virtual_memory_bytes", vsize, NULL);
	xlb_prom_family(p, "process_open_fds", "gauge",
			"Number of open file descriptors.");
	xlb_prom_u64(p, "process_open_fds", (__u64)(fds > 0 ? fds : 0), NULL);
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		xlb_prom_family(p, "process_max_fds", "gauge",
				"Maximum number of open file descriptors.");
		xlb_prom_u64(p, "process_max_fds", (__u64)rl.rlim_cur, NULL);
	}
}

static const char *u32s(char *buf, size_t n, __u32 v)
{
	snprintf(buf, n, "%u", v);
	return buf;
}

static const char *vip_addr(const struct xlb_cfg_vip *v, char *buf, size_t n)
{
	return xlb_addr_str(&v->addr, v->family, buf, n);
}

static void vip_families(struct xlbd_metrics *m, struct xlb_prom *p,
			 const struct sample *s)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} ctr[] = {
		{ "xlb_vip_packets_total",
		  "Packets sent to the VIP's backends.",
		  offsetof(struct xlb_vip_stats, packets) },
		{ "xlb_vip_bytes_total",
		  "Bytes sent to the VIP's backends (as received).",
		  offsetof(struct xlb_vip_stats, bytes) },
		{ "xlb_vip_new_flows_total",
		  "Flows that took a Maglev pick (no conntrack entry).",
		  offsetof(struct xlb_vip_stats, new_flows) },
	};
	const struct xlb_cfg *c = &m->d->running;
	char a[XLB_ADDR_STRLEN], port[8], id[12];

	xlb_prom_family(
		p, "xlb_vip_info", "gauge",
		"A configured VIP: its address, port, protocol, mode and hash (value 1).");
	for (size_t i = 0; i < c->nvips; i++) {
		const struct xlb_cfg_vip *v = &c->vips[i];

		xlb_prom_u64(p, "xlb_vip_info", 1, "vip", v->name, "address",
			     vip_addr(v, a, sizeof(a)), "port",
			     v->port ? u32s(port, sizeof(port), v->port) :
				       "any",
			     "protocol", xlb_proto_name(v->proto), "mode",
			     xlb_mode_name(v->mode), "hash",
			     xlb_hash_name(v->hash_fields), NULL);
	}
	for (size_t k = 0; k < sizeof(ctr) / sizeof(ctr[0]); k++) {
		xlb_prom_family(p, ctr[k].name, "counter", ctr[k].help);
		for (size_t i = 0; i < c->nvips; i++) {
			int vid = m->vid[i];
			__u64 val = 0;

			if (vid < 0)
				continue;
			if ((__u32)vid < s->nvip)
				memcpy(&val,
				       (const char *)&s->vip[vid] + ctr[k].off,
				       sizeof(val));
			xlb_prom_u64(p, ctr[k].name, val, "vip",
				     c->vips[i].name, NULL);
		}
	}
	/* the admin state of each backend in each VIP */
	xlb_prom_family(
		p, "xlb_vip_backend_weight", "gauge",
		"The weight the VIP's Maglev table gives the backend (0 while drained or down).");
	for (size_t i = 0; i < c->nvips; i++)
		for (size_t r = 0; r < c->vips[i].nrefs; r++)
			xlb_prom_u64(p, "xlb_vip_backend_weight",
				     ref_weight(m, &c->vips[i].refs[r]), "vip",
				     c->vips[i].name, "backend",
				     ref_id(m, &c->vips[i].refs[r], id,
					    sizeof(id)),
				     NULL);
	xlb_prom_family(
		p, "xlb_vip_backend_configured_weight", "gauge",
		"The backend's configured weight in the VIP (what undrain and up restore).");
	for (size_t i = 0; i < c->nvips; i++)
		for (size_t r = 0; r < c->vips[i].nrefs; r++)
			xlb_prom_u64(p, "xlb_vip_backend_configured_weight",
				     c->vips[i].refs[r].weight, "vip",
				     c->vips[i].name, "backend",
				     ref_id(m, &c->vips[i].refs[r], id,
					    sizeof(id)),
				     NULL);
	xlb_prom_family(
		p, "xlb_vip_backend_drained", "gauge",
		"1 while the backend is drained in the VIP: no new flows, open ones stay.");
	for (size_t i = 0; i < c->nvips; i++)
		for (size_t r = 0; r < c->vips[i].nrefs; r++)
			xlb_prom_u64(p, "xlb_vip_backend_drained",
				     c->vips[i].refs[r].drained, "vip",
				     c->vips[i].name, "backend",
				     ref_id(m, &c->vips[i].refs[r], id,
					    sizeof(id)),
				     NULL);
}

static void table_families(struct xlbd_metrics *m, struct xlb_prom *p)
{
	const struct xlb_cfg *c = &m->d->running;

	xlb_prom_family(p, "xlb_maglev_table_size", "gauge",
			"Slots of the VIP's Maglev table.");
	for (size_t i = 0; i < c->nvips; i++)
		xlb_prom_u64(p, "xlb_maglev_table_size", c->vips[i].table_size,
			     "vip", c->vips[i].name, NULL);
	xlb_prom_family(
		p, "xlb_maglev_table_fingerprint", "gauge",
		"FNV-1a of what decides the VIP's table (seed, size, backend ids and weights): equal on two nodes means equal tables.");
	for (size_t i = 0; i < c->nvips; i++) {
		int id = m->vid[i];

		if (id >= 0)
			xlb_prom_u64(p, "xlb_maglev_table_fingerprint",
				     m->fp[id], "vip", c->vips[i].name, NULL);
	}
	xlb_prom_family(
		p, "xlb_maglev_table_generation", "gauge",
		"Changes of the VIP's table this xlbd has seen (sampled each second), 1 at start.");
	for (size_t i = 0; i < c->nvips; i++) {
		int id = m->vid[i];

		if (id >= 0)
			xlb_prom_u64(p, "xlb_maglev_table_generation",
				     m->gen[id], "vip", c->vips[i].name, NULL);
	}
}

static void backend_families(struct xlbd_metrics *m, struct xlb_prom *p,
			     const struct sample *s)
{
	const struct xlb_cfg *c = &m->d->running;

#define EACH_BACKEND(NAME, VALUE)                                     \
	for (size_t i = 0; i < c->nbackends; i++) {                   \
		const struct xlb_cfg_backend *b = &c->backends[i];    \
		xlb_prom_u64(p, NAME, VALUE, "backend", m->lbl[i].id, \
			     "address", m->lbl[i].addr, NULL);        \
	}
	xlb_prom_family(p, "xlb_backend_packets_total", "counter",
			"Packets sent to the backend, over every VIP.");
	EACH_BACKEND("xlb_backend_packets_total",
		     b->id < s->nbe ? s->be[b->id].packets : 0)
	xlb_prom_family(
		p, "xlb_backend_bytes_total", "counter",
		"Bytes sent to the backend, over every VIP (as received).");
	EACH_BACKEND("xlb_backend_bytes_total",
		     b->id < s->nbe ? s->be[b->id].bytes : 0)
	xlb_prom_family(
		p, "xlb_backend_up", "gauge",
		"1 when the backend is up as xlbd's model knows it (health checks and backend.down/up), 0 when down.");
	EACH_BACKEND("xlb_backend_up", (__u64)!b->down)
	if (m->ct.valid) {
		xlb_prom_family(
			p, "xlb_backend_active_flows", "gauge",
			"Tracked flows to the backend, no FIN or RST seen (the reaper's last complete pass), like IPVS ActiveConn.");
		EACH_BACKEND("xlb_backend_active_flows", m->ct.per_be[b->id][0])
		xlb_prom_family(
			p, "xlb_backend_inactive_flows", "gauge",
			"Tracked flows to the backend after the client's FIN or RST (the reaper's last complete pass), like IPVS InActConn.");
		EACH_BACKEND("xlb_backend_inactive_flows",
			     m->ct.per_be[b->id][1])
	}
#undef EACH_BACKEND
}

static void ct_families(struct xlbd_metrics *m, struct xlb_prom *p,
			const struct xlb_counter *ctr)
{
	if (m->ct.valid) {
		xlb_prom_family(
			p, "xlb_conntrack_entries", "gauge",
			"Live conntrack entries by state, from the reaper's last complete pass over the table (expired ones left out).");
		xlb_prom_u64(p, "xlb_conntrack_entries", (__u64)m->ct.n[0],
			     "state", "active", NULL);
		xlb_prom_u64(p, "xlb_conntrack_entries", (__u64)m->ct.n[1],
			     "state", "closing", NULL);
		xlb_prom_family(p, "xlb_conntrack_walk_duration_seconds",
				"gauge",
				"Time the slices of the reaper's last complete pass took, summed.");
		xlb_prom_f64(p, "xlb_conntrack_walk_duration_seconds",
			     m->ct.walk_s, NULL);
		xlb_prom_family(
			p, "xlb_conntrack_walk_timestamp_seconds", "gauge",
			"When the reaper's last complete pass ended (Unix time).");
		xlb_prom_f64(p, "xlb_conntrack_walk_timestamp_seconds",
			     m->ct.at, NULL);
	}
	xlb_prom_family(
		p, "xlb_conntrack_entries_limit", "gauge",
		"Capacity of the conntrack table (an LRU: past it, the least recently used entries are evicted).");
	xlb_prom_u64(p, "xlb_conntrack_entries_limit", m->d->ct_size, NULL);
	xlb_prom_family(
		p, "xlb_conntrack_inserts_refused_total", "counter",
		"New flows the datapath could not record: the insert rate cap, or the map refused.");
	xlb_prom_u64(p, "xlb_conntrack_inserts_refused_total",
		     ctr[XLB_EV_CT_INSERT_THROTTLED].packets, "reason",
		     "rate_cap", NULL);
	xlb_prom_u64(p, "xlb_conntrack_inserts_refused_total",
		     ctr[XLB_EV_CT_INSERT_FAILED].packets, "reason",
		     "map_refused", NULL);
}

int xlbd_metrics_render(struct xlbd_metrics *m, struct xlb_prom *p)
{
	struct xlbd *d = m->d;
	struct xlb_counter ctr[XLB_STAT_MAX];
	int n;

	/* xlb_stats may have been replaced by an attach since it was opened */
	xlb_maps_stats_refresh(d->running.pin_dir, &d->maps);
	n = xlb_stats_read_all(&d->maps, ctr);
	if (n < 0)
		return n;
	n = index_model(m);
	if (n)
		return n;
	read_sample(m, m->now);
	track_tables(m);

	xlb_prom_family(p, "xlb_build_info", "gauge",
			"xlbd's version (value 1).");
	xlb_prom_u64(p, "xlb_build_info", 1, "version", xlb_version(), NULL);
	xlb_prom_family(p, "xlb_vips", "gauge", "VIPs in the running config.");
	xlb_prom_u64(p, "xlb_vips", d->running.nvips, NULL);
	xlb_prom_family(p, "xlb_backends", "gauge",
			"Backends in the running config's pool.");
	xlb_prom_u64(p, "xlb_backends", d->running.nbackends, NULL);
	xlb_prom_family(
		p, "xlbd_start_time_seconds", "gauge",
		"When xlbd loaded its config and took over the maps (Unix time).");
	xlb_prom_u64(p, "xlbd_start_time_seconds", (__u64)d->started, NULL);

	/*
	 * Every outcome and event of the datapath (include/xlb/outcomes.h).
	 * An older release's map lacks the newer ones: they read 0.
	 */
	xlb_prom_family(
		p, "xlb_packets_total", "counter",
		"Packets by datapath outcome (pass, drop, tx: each packet ends in exactly one) and event (counted on the way).");
	for (int i = 0; i < XLB_STAT_MAX; i++)
		xlb_prom_u64(p, "xlb_packets_total", ctr[i].packets, "outcome",
			     xlb_stat_descs[i].name, "verdict",
			     xlb_verdict_class_name(xlb_stat_descs[i].verdict),
			     NULL);
	xlb_prom_family(p, "xlb_bytes_total", "counter",
			"Bytes by datapath outcome and event, as received.");
	for (int i = 0; i < XLB_STAT_MAX; i++)
		xlb_prom_u64(p, "xlb_bytes_total", ctr[i].bytes, "outcome",
			     xlb_stat_descs[i].name, "verdict",
			     xlb_verdict_class_name(xlb_stat_descs[i].verdict),
			     NULL);
	vip_families(m, p, m->now);
	backend_families(m, p, m->now);
	table_families(m, p);
	ct_families(m, p, ctr);
	for (size_t i = 0; i < m->next; i++)
		if (m->ext[i].prom)
			m->ext[i].prom(p, m->ext[i].arg);
	proc_metrics(p);
	return xlb_prom_done(p);
}

/* ---- /status.json and /healthz ------------------------------------------ */

static void add_int(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void add_dbl(struct json_object *o, const char *k, double v)
{
	json_object_object_add(o, k, json_object_new_double(v));
}

static void add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static double rate(__u64 now, __u64 then, double dt)
{
	return dt > 0 && now >= then ? (double)(now - then) / dt : 0;
}

struct json_object *xlbd_metrics_status(struct xlbd_metrics *m)
{
	struct xlbd *d = m->d;
	const struct xlb_cfg *c = &d->running;
	struct json_object *o = json_object_new_object(), *x, *a, *ct;
	double dt = secs(&m->prev->at, &m->cur->at);
	struct xlb_counter ctr[XLB_STAT_MAX];
	char buf[XLB_ADDR_STRLEN];
	int n;

	xlb_maps_stats_refresh(c->pin_dir, &d->maps);
	if (index_model(m)) {
		add_str(o, "error", "out of memory");
		return o;
	}
	read_sample(m, m->now);
	track_tables(m);
	x = json_object_new_object();
	add_int(x, "pid", getpid());
	add_str(x, "version", xlb_version());
	add_str(x, "config_path", d->config_path);
	add_int(x, "started", (int64_t)d->started);
	add_int(x, "uptime_s", (int64_t)(time(NULL) - d->started));
	add_dbl(x, "rate_interval_s", dt);
	json_object_object_add(o, "xlbd", x);

	ct = json_object_new_object();
	add_int(ct, "capacity", d->ct_size);
	if (m->ct.valid) {
		add_int(ct, "active", m->ct.n[0]);
		add_int(ct, "closing", m->ct.n[1]);
		add_dbl(ct, "walked_at", m->ct.at);
		add_dbl(ct, "walk_s", m->ct.walk_s);
	}
	json_object_object_add(o, "conntrack", ct);

	a = json_object_new_array();
	for (size_t i = 0; i < c->nvips; i++) {
		const struct xlb_cfg_vip *v = &c->vips[i];
		int id = m->vid[i];
		struct json_object *vo = json_object_new_object();
		struct json_object *bs = json_object_new_array();

		add_str(vo, "name", v->name);
		add_str(vo, "address", vip_addr(v, buf, sizeof(buf)));
		add_int(vo, "port", v->port);
		add_str(vo, "protocol", xlb_proto_name(v->proto));
		add_str(vo, "mode", xlb_mode_name(v->mode));
		add_str(vo, "hash", xlb_hash_name(v->hash_fields));
		add_int(vo, "table_size", v->table_size);
		if (id >= 0) {
			const struct xlb_vip_stats *nw =
				(__u32)id < m->now->nvip ? &m->now->vip[id] :
							   NULL;
			/* an id past a sample's end is a VIP newer than it */
			static const struct xlb_vip_stats none;
			bool seen = (__u32)id < m->cur->nvip &&
				    (__u32)id < m->prev->nvip;
			const struct xlb_vip_stats *cu =
				seen ? &m->cur->vip[id] : &none;
			const struct xlb_vip_stats *pr =
				seen ? &m->prev->vip[id] : &none;

			add_int(vo, "id", id);
			add_int(vo, "packets", nw ? (int64_t)nw->packets : 0);
			add_int(vo, "bytes", nw ? (int64_t)nw->bytes : 0);
			add_int(vo, "new_flows",
				nw ? (int64_t)nw->new_flows : 0);
			add_dbl(vo, "pps", rate(cu->packets, pr->packets, dt));
			add_dbl(vo, "bps", 8 * rate(cu->bytes, pr->bytes, dt));
			add_dbl(vo, "new_flows_ps",
				rate(cu->new_flows, pr->new_flows, dt));
			snprintf(buf, sizeof(buf), "%08x", m->fp[id]);
			add_str(vo, "table_fingerprint", buf);
			add_int(vo, "table_generation", (int64_t)m->gen[id]);
		}
		for (size_t r = 0; r < v->nrefs; r++) {
			const struct xlb_cfg_ref *ref = &v->refs[r];
			const struct xlb_cfg_backend *b = be_of(m, ref->id);
			struct json_object *bo = json_object_new_object();

			add_int(bo, "id", ref->id);
			if (b)
				add_str(bo, "address",
					xlb_addr_str(&b->addr, b->family, buf,
						     sizeof(buf)));
			add_str(bo, "health", b && b->down ? "down" : "up");
			add_int(bo, "weight", ref_weight(m, ref));
			add_int(bo, "configured_weight", ref->weight);
			json_object_object_add(
				bo, "drained",
				json_object_new_boolean(ref->drained));
			add_str(bo, "admin",
				xlb_admin_name(xlb_cfg_ref_admin(ref)));
			/* a backup standing by while a primary can serve */
			if (ref->backup)
				json_object_object_add(
					bo, "benched",
					json_object_new_boolean(ref->benched));
			json_object_array_add(bs, bo);
		}
		json_object_object_add(vo, "backends", bs);
		json_object_array_add(a, vo);
	}
	json_object_object_add(o, "vips", a);

	a = json_object_new_array();
	for (size_t i = 0; i < c->nbackends; i++) {
		const struct xlb_cfg_backend *b = &c->backends[i];
		struct json_object *bo = json_object_new_object();
		static const struct xlb_counter none;
		bool seen = b->id < m->cur->nbe && b->id < m->prev->nbe;
		const struct xlb_counter *cu = seen ? &m->cur->be[b->id] :
						      &none;
		const struct xlb_counter *pr = seen ? &m->prev->be[b->id] :
						      &none;

		add_int(bo, "id", b->id);
		add_str(bo, "address",
			xlb_addr_str(&b->addr, b->family, buf, sizeof(buf)));
		add_str(bo, "health", b->down ? "down" : "up");
		add_int(bo, "packets",
			b->id < m->now->nbe ?
				(int64_t)m->now->be[b->id].packets :
				0);
		add_int(bo, "bytes",
			b->id < m->now->nbe ? (int64_t)m->now->be[b->id].bytes :
					      0);
		add_dbl(bo, "pps", rate(cu->packets, pr->packets, dt));
		add_dbl(bo, "bps", 8 * rate(cu->bytes, pr->bytes, dt));
		if (m->ct.valid) {
			add_int(bo, "active_flows", m->ct.per_be[b->id][0]);
			add_int(bo, "inactive_flows", m->ct.per_be[b->id][1]);
		}
		json_object_array_add(a, bo);
	}
	json_object_object_add(o, "backends", a);

	a = json_object_new_array();
	n = xlb_stats_read_all(&d->maps, ctr);
	for (int i = 0; i < n; i++) {
		struct json_object *so = json_object_new_object();

		add_str(so, "name", xlb_stat_descs[i].name);
		add_str(so, "verdict",
			xlb_verdict_class_name(xlb_stat_descs[i].verdict));
		add_str(so, "help", xlb_stat_descs[i].help);
		add_int(so, "packets", (int64_t)ctr[i].packets);
		json_object_array_add(a, so);
	}
	json_object_object_add(o, "outcomes", a);

	/* what the sync module will fill in; until then it says so */
	x = json_object_new_object();
	json_object_object_add(x, "configured", json_object_new_boolean(0));
	json_object_object_add(x, "peers", json_object_new_array());
	json_object_object_add(o, "sync", x);
	for (size_t i = 0; i < m->next; i++)
		if (m->ext[i].status)
			m->ext[i].status(o, m->ext[i].arg);
	return o;
}

int xlbd_metrics_healthz(struct xlbd_metrics *m, struct json_object **body)
{
	struct json_object *o = json_object_new_object();
	struct json_object *checks = json_object_new_object();
	bool ready = true;

	for (size_t i = 0; i < m->next; i++) {
		char why[256] = "";

		if (!m->ext[i].ready)
			continue;
		if (m->ext[i].ready(m->ext[i].arg, why, sizeof(why))) {
			ready = false;
			add_str(checks, m->ext[i].name,
				why[0] ? why : "not ready");
		} else {
			add_str(checks, m->ext[i].name, "ok");
		}
	}
	add_str(o, "status", ready ? "serving" : "not ready");
	add_int(o, "pid", getpid());
	add_int(o, "vips", (int64_t)m->d->running.nvips);
	add_int(o, "backends", (int64_t)m->d->running.nbackends);
	add_int(o, "uptime_s", (int64_t)(time(NULL) - m->d->started));
	json_object_object_add(o, "checks", checks);
	*body = o;
	return ready ? 200 : 503;
}

/* ---- HTTP ----------------------------------------------------------------- */

static void reply(struct evhttp_request *req, int code, const char *why,
		  const char *type, const char *body, size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	if (!b || evbuffer_add(b, body, len)) {
		evhttp_send_error(req, 500, "out of memory");
		if (b)
			evbuffer_free(b);
		return;
	}
	evhttp_send_reply(req, code, why, b);
	evbuffer_free(b);
}

static void reply_json(struct evhttp_request *req, int code, const char *why,
		       struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	reply(req, code, why, "application/json", s, strlen(s));
	json_object_put(o);
}

static void on_http(struct evhttp_request *req, void *arg)
{
	struct xlbd_metrics *m = arg;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	struct json_object *o;

	if (!path)
		path = "/";
	if (!strcmp(path, "/metrics")) {
		struct xlb_prom p;
		int rc;

		xlb_prom_init(&p);
		rc = xlbd_metrics_render(m, &p);
		if (rc) {
			char msg[128];

			snprintf(msg, sizeof(msg), "metrics: %s\n",
				 strerror(-rc));
			reply(req, 500, "Internal Server Error",
			      "text/plain; charset=utf-8", msg, strlen(msg));
		} else {
			reply(req, 200, "OK", XLB_PROM_CONTENT_TYPE, p.buf,
			      p.len);
		}
		xlb_prom_free(&p);
	} else if (!strcmp(path, "/healthz")) {
		int code = xlbd_metrics_healthz(m, &o);

		reply_json(req, code,
			   code == 200 ? "OK" : "Service Unavailable", o);
	} else if (!strcmp(path, "/status.json")) {
		reply_json(req, 200, "OK", xlbd_metrics_status(m));
	} else if (!strcmp(path, "/") || !strcmp(path, "/index.html")) {
		evhttp_add_header(
			evhttp_request_get_output_headers(req),
			"Content-Security-Policy",
			"default-src 'none'; script-src 'unsafe-inline'; "
			"style-src 'unsafe-inline'; connect-src 'self'");
		reply(req, 200, "OK", "text/html; charset=utf-8", status_html,
		      sizeof(status_html) - 1);
	} else {
		static const char nf[] =
			"not found: try /metrics, /healthz, /status.json or /\n";

		reply(req, 404, "Not Found", "text/plain; charset=utf-8", nf,
		      sizeof(nf) - 1);
	}
}

static bool listen_same(const struct xlbd_metrics *m, const struct xlb_cfg *c)
{
	return m->port == c->metrics_port &&
	       (!c->metrics_port ||
		(m->family == c->metrics_family &&
		 !memcmp(&m->addr, &c->metrics_addr, sizeof(m->addr))));
}

/*
 * Binds what the running config asks, if it is not what is bound: the new
 * socket first, so a failed bind keeps the old one serving.
 */
static void rebind(struct xlbd_metrics *m)
{
	const struct xlb_cfg *c = &m->d->running;
	struct evhttp_bound_socket *s = NULL;
	char a[XLB_ADDR_STRLEN], err[XLB_ERR_MAX];

	if (!m->http || listen_same(m, c))
		return;
	if (c->metrics_port) {
		xlb_addr_str(&c->metrics_addr, c->metrics_family, a, sizeof(a));
		s = evhttp_bind_socket_with_handle(m->http, a, c->metrics_port);
		if (!s) {
			snprintf(err, sizeof(err),
				 "metrics: listen %s%s%s:%u: %s%s",
				 c->metrics_family == XLB_AF_INET6 ? "[" : "",
				 a,
				 c->metrics_family == XLB_AF_INET6 ? "]" : "",
				 c->metrics_port, strerror(errno),
				 m->port ? "; the previous listener stays" :
					   "; retrying each second");
			if (strcmp(err, m->bind_err))
				pr_err("%s\n", err);
			snprintf(m->bind_err, sizeof(m->bind_err), "%s", err);
			return;
		}
		pr_info("metrics: serving /metrics, /healthz and the status "
			"page on http://%s%s%s:%u/\n",
			c->metrics_family == XLB_AF_INET6 ? "[" : "", a,
			c->metrics_family == XLB_AF_INET6 ? "]" : "",
			c->metrics_port);
	} else if (m->sock) {
		pr_info("metrics: endpoint off (metrics.listen removed)\n");
	}
	if (m->sock)
		evhttp_del_accept_socket(m->http, m->sock);
	m->sock = s;
	m->bind_err[0] = '\0';
	m->addr = c->metrics_addr;
	m->family = c->metrics_family;
	m->port = c->metrics_port;
}

static void on_tick(void *arg)
{
	struct xlbd_metrics *m = arg;
	struct sample *s = m->prev;

	rebind(m);
	if (index_model(m))
		return; /* no memory: the rates wait for the next tick */
	m->prev = m->cur;
	m->cur = s;
	read_sample(m, s);
	track_tables(m);
	/* a copy of the reaper's last complete pass: no walk here */
	xlbd_metrics_ct_refresh(m);
}

struct xlbd_metrics *xlbd_metrics_new(struct xlbd *d, struct xlbd_loop *l,
				      char *err, size_t errlen)
{
	struct xlbd_metrics *m = calloc(1, sizeof(*m));

	if (!m) {
		xlb_errf(err, errlen, -ENOMEM, "metrics: out of memory");
		return NULL;
	}
	m->d = d;
	m->loop = l;
	m->prev = calloc(1, sizeof(*m->prev));
	m->cur = calloc(1, sizeof(*m->cur));
	m->now = calloc(1, sizeof(*m->now));
	m->ct.per_be = calloc(XLB_MAX_BACKENDS, sizeof(*m->ct.per_be));
	m->be_at = calloc(XLB_MAX_BACKENDS, sizeof(*m->be_at));
	if (!m->prev || !m->cur || !m->now || !m->ct.per_be || !m->be_at ||
	    index_model(m)) {
		xlb_errf(err, errlen, -ENOMEM, "metrics: out of memory");
		goto fail;
	}
	read_sample(m, m->cur);
	*m->prev = *m->cur;
	track_tables(m);
	xlbd_metrics_ct_refresh(m);
	if (!l)
		return m;
	m->http = evhttp_new(xlbd_loop_base(l));
	if (!m->http) {
		xlb_errf(err, errlen, -ENOMEM, "metrics: evhttp_new failed");
		goto fail;
	}
	/* read-only endpoints: GET and HEAD; a stalled client is dropped */
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(m->http, 10);
	evhttp_set_max_headers_size(m->http, 16384);
	evhttp_set_max_body_size(m->http, 4096);
	evhttp_set_gencb(m->http, on_http, m);
	m->tick = xlbd_loop_timer(l, 1000, on_tick, m, err, errlen);
	if (!m->tick)
		goto fail;
	rebind(m);
	return m;
fail:
	xlbd_metrics_free(m);
	return NULL;
}

void xlbd_metrics_free(struct xlbd_metrics *m)
{
	if (!m)
		return;
	xlbd_src_del(m->tick);
	if (m->http)
		evhttp_free(m->http);
	free(m->prev);
	free(m->cur);
	free(m->now);
	free(m->ct.per_be);
	free(m->be_at);
	free(m->vid);
	free(m->lbl);
	free(m);
}

int xlbd_metrics_register(struct xlbd_metrics *m,
			  const struct xlbd_metrics_ext *e)
{
	if (m->next == XLBD_METRICS_EXT_MAX)
		return -ENOSPC;
	m->ext[m->next++] = *e;
	return 0;
}

unsigned int xlbd_metrics_port(const struct xlbd_metrics *m)
{
	return m->sock ? m->port : 0;
}
