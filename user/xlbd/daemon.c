// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "lib/addr.h"
#include "xlbd/apply.h"
#include "xlbd/daemon.h"
#include "lib/loader.h"
#include "lib/log.h"
#include "lib/names.h"
#include "lib/stats.h"
#include "lib/ctl.h"

struct xlbd_sample {
	struct timespec at;
	struct xlb_vip_stats vip[XLB_MAX_VIPS];
	struct xlb_counter be[XLB_MAX_BACKENDS];
};

int xlbd_start(struct xlbd *d, const char *config_path, char *err,
	       size_t errlen)
{
	struct xlb_apply_stats st;
	struct xlb_cfg cfg;
	int rc;

	memset(d, 0, sizeof(*d));
	xlb_cfg_init(&d->running);
	snprintf(d->config_path, sizeof(d->config_path), "%s", config_path);
	rc = xlb_cfg_load(config_path, &cfg, err, errlen);
	if (rc)
		return rc;
	d->prev = calloc(1, sizeof(*d->prev));
	d->cur = calloc(1, sizeof(*d->cur));
	if (!d->prev || !d->cur) {
		rc = xlb_errf(err, errlen, -ENOMEM, "out of memory");
		goto out_cfg;
	}
	rc = xlb_maps_open_pinned(cfg.pin_dir, cfg.ct_entries, &d->maps,
				  &d->ct_size, err, errlen);
	if (rc)
		goto out_cfg;
	d->ct_adopted = d->ct_size != 0;
	if (!d->ct_adopted)
		d->ct_size = cfg.ct_entries;
	else if (d->ct_size != cfg.ct_entries)
		pr_info("conntrack.entries is %u but the pinned table has %u: "
			"keeping %u (resizing would drop every tracked flow)\n",
			cfg.ct_entries, d->ct_size, d->ct_size);
	rc = xlb_apply(&d->maps, NULL, &cfg, &st, err, errlen);
	if (rc) {
		xlb_maps_close(&d->maps);
		goto out_cfg;
	}
	d->running = cfg;
	d->started = time(NULL);
	xlbd_sample(d);
	return 0;
out_cfg:
	xlb_cfg_free(&cfg);
	free(d->prev);
	free(d->cur);
	d->prev = d->cur = NULL;
	return rc;
}

void xlbd_stop(struct xlbd *d)
{
	xlb_maps_close(&d->maps);
	xlb_cfg_free(&d->running);
	free(d->prev);
	free(d->cur);
	free(d->drained);
	memset(d, 0, sizeof(*d));
}

/* Applies @next over the running model and makes it the running one. */
static int commit(struct xlbd *d, struct xlb_cfg *next,
		  struct xlb_apply_stats *st, char *err, size_t errlen)
{
	char pin[XLB_PATH_MAX];
	int rc;

	if (strcmp(next->pin_dir, d->running.pin_dir)) {
		snprintf(pin, sizeof(pin), "%s", next->pin_dir);
		return xlb_errf(err, errlen, -EINVAL,
			    "pin_dir: changing it from %s to %s needs a "
			    "restart of xlbd",
			    d->running.pin_dir, pin);
	}
	rc = xlb_apply(&d->maps, &d->running, next, st, err, errlen);
	if (rc)
		return rc;
	xlb_cfg_free(&d->running);
	d->running = *next;
	xlb_cfg_init(next);
	return 0;
}

int xlbd_reload(struct xlbd *d, char *err, size_t errlen)
{
	struct xlb_apply_stats st;
	struct xlb_cfg cfg;
	int rc;

	rc = xlb_cfg_load(d->config_path, &cfg, err, errlen);
	if (rc)
		return rc;
	rc = commit(d, &cfg, &st, err, errlen);
	xlb_cfg_free(&cfg);
	if (!rc)
		pr_info("reloaded %s: %zu VIPs, %zu backends, %u tables "
			"swapped, %u VIPs removed, %u backends deactivated\n",
			d->config_path, d->running.nvips,
			d->running.nbackends, st.tables_installed,
			st.vips_removed, st.backends_deactivated);
	return rc;
}

static void read_sample(struct xlbd *d, struct xlbd_sample *s);

void xlbd_sample(struct xlbd *d)
{
	struct xlbd_sample *s = d->prev;

	/* the older sample is overwritten: cur becomes prev */
	d->prev = d->cur;
	d->cur = s;
	read_sample(d, s);
}

/*
 * The VIP and backend counters, in two batch reads up to the highest id in
 * use rather than a lookup per id: cheap enough for a scrape of every VIP.
 */
static void read_sample(struct xlbd *d, struct xlbd_sample *s)
{
	__u32 nvip = 0, nbe = 0;

	clock_gettime(CLOCK_MONOTONIC, &s->at);
	for (size_t i = 0; i < d->running.nvips; i++) {
		int id = xlb_vip_id_of(&d->maps, &d->running.vips[i]);

		if (id >= 0 && (__u32)id + 1 > nvip)
			nvip = (__u32)id + 1;
	}
	for (size_t i = 0; i < d->running.nbackends; i++)
		if (d->running.backends[i].id + 1 > nbe)
			nbe = d->running.backends[i].id + 1;
	if (xlb_vip_stats_read_range(&d->maps, 0, nvip, s->vip) < 0)
		memset(s->vip, 0, sizeof(s->vip));
	if (xlb_backend_stats_read_range(&d->maps, 0, nbe, s->be) < 0)
		memset(s->be, 0, sizeof(s->be));
}

/* ---- request fields ---------------------------------------------------- */

static const char *get_str(struct json_object *req, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* 1: present and in range; 0: absent; -1: wrong type or out of range. */
static int get_u32(struct json_object *req, const char *key, __u32 max,
		   __u32 *out)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(req, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return -1;
	n = json_object_get_int64(v);
	if (n < 0 || n > (int64_t)max)
		return -1;
	*out = (__u32)n;
	return 1;
}

static int get_bool(struct json_object *req, const char *key, bool *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return -1;
	*out = json_object_get_boolean(v);
	return 1;
}

/* ---- model edits (on a copy) -------------------------------------------- */

static struct xlb_cfg_vip *vip_of(struct xlb_cfg *c, const char *name)
{
	return name ? xlb_cfg_vip_find(c, name) : NULL;
}

static struct xlb_cfg_ref *ref_of(struct xlb_cfg_vip *v, __u32 id)
{
	for (size_t r = 0; r < v->nrefs; r++)
		if (v->refs[r].id == id)
			return &v->refs[r];
	return NULL;
}

static bool backend_used(const struct xlb_cfg *c, __u32 id)
{
	for (size_t i = 0; i < c->nvips; i++)
		for (size_t r = 0; r < c->vips[i].nrefs; r++)
			if (c->vips[i].refs[r].id == id)
				return true;
	return false;
}

static void drop_backend(struct xlb_cfg *c, __u32 id)
{
	for (size_t i = 0; i < c->nbackends; i++) {
		if (c->backends[i].id != id)
			continue;
		memmove(&c->backends[i], &c->backends[i + 1],
			(c->nbackends - i - 1) * sizeof(c->backends[0]));
		c->nbackends--;
		return;
	}
}

static struct json_object *applied(struct xlbd *d, struct xlb_cfg *next)
{
	struct xlb_apply_stats st;
	char err[XLB_ERR_MAX];
	struct json_object *o;

	if (commit(d, next, &st, err, sizeof(err))) {
		xlb_cfg_free(next);
		return xlb_ctl_error("%s", err);
	}
	o = xlb_ctl_ok();
	json_object_object_add(o, "tables_swapped",
			       json_object_new_int((int)st.tables_installed));
	json_object_object_add(o, "flows_flushed",
			       json_object_new_int64((int64_t)st.ct_flushed));
	return o;
}

/* Starts an edit: a deep copy of the running model, or an error reply. */
static struct json_object *edit_begin(struct xlbd *d, struct xlb_cfg *c)
{
	if (xlb_cfg_copy(c, &d->running))
		return xlb_ctl_error("out of memory");
	return NULL;
}

static struct json_object *cmd_vip_add(struct xlbd *d, struct json_object *rq)
{
	const char *name = get_str(rq, "name"), *addr = get_str(rq, "address");
	const char *proto = get_str(rq, "protocol"), *mode = get_str(rq, "mode");
	const char *hash = get_str(rq, "hash");
	struct xlb_cfg_vip v = { .mode = XLB_FWD_TUNNEL,
				 .hash_fields = XLB_HASH_5TUPLE,
				 .echo = true };
	struct xlb_cfg_vip *nv;
	struct json_object *e;
	struct xlb_cfg c;
	__u32 port = 0, size = d->running.maglev_size;
	bool ct = true;

	if (!name || !*name || strlen(name) >= sizeof(v.name))
		return xlb_ctl_error("vip add: name: missing or too long");
	if (xlb_cfg_vip_find(&d->running, name))
		return xlb_ctl_error("vip add: %s: a VIP of that name exists",
				     name);
	if (!addr || xlb_addr_parse(addr, &v.addr, &v.family))
		return xlb_ctl_error("vip add %s: address: not an IPv4 or IPv6 "
				     "address: %s", name, addr ? addr : "(none)");
	if (get_u32(rq, "port", 65535, &port) < 0)
		return xlb_ctl_error("vip add %s: port: 0..65535", name);
	if (!proto || xlb_proto_parse(proto, &v.proto))
		return xlb_ctl_error("vip add %s: protocol: tcp or udp", name);
	if (mode && xlb_mode_parse(mode, &v.mode))
		return xlb_ctl_error("vip add %s: mode: tunnel or l2dsr", name);
	if (hash && xlb_hash_parse(hash, &v.hash_fields))
		return xlb_ctl_error("vip add %s: hash: 5tuple or source", name);
	if (get_bool(rq, "conntrack", &ct) < 0 ||
	    get_bool(rq, "echo", &v.echo) < 0)
		return xlb_ctl_error("vip add %s: conntrack and echo are "
				     "true or false", name);
	if (get_u32(rq, "table_size", XLB_MAGLEV_MAX_SIZE, &size) < 0)
		return xlb_ctl_error("vip add %s: table_size: a prime up to %u",
				     name, XLB_MAGLEV_MAX_SIZE);
	snprintf(v.name, sizeof(v.name), "%s", name);
	v.port = (__u16)port;
	v.flags = ct ? 0 : XLB_VIP_F_NO_CONNTRACK;
	v.table_size = size;
	if ((e = edit_begin(d, &c)))
		return e;
	nv = realloc(c.vips, (c.nvips + 1) * sizeof(*nv));
	if (!nv) {
		xlb_cfg_free(&c);
		return xlb_ctl_error("out of memory");
	}
	c.vips = nv;
	c.vips[c.nvips++] = v;
	return applied(d, &c);
}

static struct json_object *cmd_vip_del(struct xlbd *d, struct json_object *rq)
{
	const char *name = get_str(rq, "name");
	struct xlb_cfg_vip *v;
	struct json_object *e;
	struct xlb_cfg c;
	size_t i;

	if (!vip_of(&d->running, name))
		return xlb_ctl_error("vip del: no VIP named %s",
				     name ? name : "(none)");
	if ((e = edit_begin(d, &c)))
		return e;
	v = vip_of(&c, name);
	i = (size_t)(v - c.vips);
	free(v->refs);
	memmove(v, v + 1, (c.nvips - i - 1) * sizeof(*v));
	c.nvips--;
	/* backends only this VIP used leave the pool with it */
	for (size_t b = c.nbackends; b-- > 0;)
		if (!backend_used(&c, c.backends[b].id) &&
		    backend_used(&d->running, c.backends[b].id))
			drop_backend(&c, c.backends[b].id);
	return applied(d, &c);
}

static struct json_object *cmd_backend_add(struct xlbd *d,
					   struct json_object *rq)
{
	const char *vip = get_str(rq, "vip"), *addr = get_str(rq, "address");
	const char *mac = get_str(rq, "mac");
	struct xlb_cfg_backend nb = {}, *pool;
	struct xlb_cfg_ref *refs;
	struct xlb_cfg_vip *v;
	struct json_object *e;
	struct xlb_cfg c;
	__u32 id = 0, weight = 1;

	if (!vip_of(&d->running, vip))
		return xlb_ctl_error("backend add: no VIP named %s",
				     vip ? vip : "(none)");
	if (get_u32(rq, "id", XLB_MAX_BACKENDS - 1, &id) != 1 || !id)
		return xlb_ctl_error("backend add: id: 1..%d",
				     XLB_MAX_BACKENDS - 1);
	if (get_u32(rq, "weight", XLB_WEIGHT_MAX, &weight) < 0)
		return xlb_ctl_error("backend add %u: weight: 0..%d", id,
				     XLB_WEIGHT_MAX);
	if (addr && xlb_addr_parse(addr, &nb.addr, &nb.family))
		return xlb_ctl_error("backend add %u: address: not an IPv4 or "
				     "IPv6 address: %s", id, addr);
	if (mac && xlb_mac_parse(mac, nb.mac))
		return xlb_ctl_error("backend add %u: mac: not a MAC: %s", id,
				     mac);
	nb.has_mac = mac != NULL;
	nb.id = id;
	if ((e = edit_begin(d, &c)))
		return e;
	pool = xlb_cfg_backend_find(&c, id);
	if (!pool && !addr) {
		xlb_cfg_free(&c);
		return xlb_ctl_error("backend add %u: address: needed for a "
				     "backend not yet in the pool", id);
	}
	if (pool && addr && (pool->family != nb.family ||
			     memcmp(&pool->addr, &nb.addr, sizeof(nb.addr)))) {
		char a[XLB_ADDR_STRLEN];

		xlb_cfg_free(&c);
		return xlb_ctl_error("backend add %u: id %u is %s already; a "
				     "stable id names one server", id, id,
				     xlb_addr_str(&pool->addr, pool->family,
						  a, sizeof(a)));
	}
	v = vip_of(&c, vip);
	if (ref_of(v, id)) {
		xlb_cfg_free(&c);
		return xlb_ctl_error("backend add %u: VIP %s has it already",
				     id, vip);
	}
	if (!pool) {
		pool = realloc(c.backends, (c.nbackends + 1) * sizeof(*pool));
		if (!pool) {
			xlb_cfg_free(&c);
			return xlb_ctl_error("out of memory");
		}
		c.backends = pool;
		c.backends[c.nbackends++] = nb;
	}
	refs = realloc(v->refs, (v->nrefs + 1) * sizeof(*refs));
	if (!refs) {
		xlb_cfg_free(&c);
		return xlb_ctl_error("out of memory");
	}
	v->refs = refs;
	v->refs[v->nrefs++] = (struct xlb_cfg_ref){ .id = id, .weight = weight };
	return applied(d, &c);
}

static struct json_object *cmd_backend_del(struct xlbd *d,
					   struct json_object *rq)
{
	const char *vip = get_str(rq, "vip");
	struct xlb_cfg_vip *v;
	struct xlb_cfg_ref *r;
	struct json_object *e;
	struct xlb_cfg c;
	__u32 id = 0;

	if (!vip_of(&d->running, vip))
		return xlb_ctl_error("backend del: no VIP named %s",
				     vip ? vip : "(none)");
	if (get_u32(rq, "id", XLB_MAX_BACKENDS - 1, &id) != 1 ||
	    !ref_of(vip_of(&d->running, vip), id))
		return xlb_ctl_error("backend del: VIP %s has no backend %u",
				     vip, id);
	if ((e = edit_begin(d, &c)))
		return e;
	v = vip_of(&c, vip);
	r = ref_of(v, id);
	memmove(r, r + 1, (v->nrefs - (size_t)(r - v->refs) - 1) * sizeof(*r));
	v->nrefs--;
	if (!backend_used(&c, id))
		drop_backend(&c, id);
	return applied(d, &c);
}

static struct xlbd_drained *drained_of(struct xlbd *d, const char *vip,
				       __u32 id)
{
	for (size_t i = 0; i < d->ndrained; i++)
		if (d->drained[i].id == id && !strcmp(d->drained[i].vip, vip))
			return &d->drained[i];
	return NULL;
}

/* weight, drain and undrain: the same edit with a different weight. */
static struct json_object *cmd_backend_weight(struct xlbd *d,
					      struct json_object *rq,
					      const char *what)
{
	const char *vip = get_str(rq, "vip");
	struct xlbd_drained *dr;
	struct xlb_cfg_ref *r;
	struct json_object *e, *resp;
	struct xlb_cfg c;
	__u32 id = 0, weight = 0, old;

	if (!vip_of(&d->running, vip))
		return xlb_ctl_error("backend %s: no VIP named %s", what,
				     vip ? vip : "(none)");
	if (get_u32(rq, "id", XLB_MAX_BACKENDS - 1, &id) != 1 ||
	    !(r = ref_of(vip_of(&d->running, vip), id)))
		return xlb_ctl_error("backend %s: VIP %s has no backend %u",
				     what, vip, id);
	old = r->weight;
	if (!strcmp(what, "weight")) {
		if (get_u32(rq, "weight", XLB_WEIGHT_MAX, &weight) != 1)
			return xlb_ctl_error("backend weight %u: weight: 0..%d",
					     id, XLB_WEIGHT_MAX);
	} else if (!strcmp(what, "undrain")) {
		dr = drained_of(d, vip, id);
		weight = dr ? dr->weight : (old ? old : 1);
	} else if (!old) {
		return xlb_ctl_error("backend drain %u: already drained", id);
	}
	if ((e = edit_begin(d, &c)))
		return e;
	ref_of(vip_of(&c, vip), id)->weight = weight;
	resp = applied(d, &c);
	if (!json_object_get_boolean(json_object_object_get(resp, "ok")))
		return resp;
	/* remember what a drain replaced, so undrain can put it back */
	dr = drained_of(d, vip, id);
	if (!strcmp(what, "drain")) {
		if (!dr) {
			struct xlbd_drained *n = realloc(
				d->drained, (d->ndrained + 1) * sizeof(*n));

			if (n) {
				d->drained = n;
				dr = &d->drained[d->ndrained++];
				snprintf(dr->vip, sizeof(dr->vip), "%s", vip);
				dr->id = id;
			}
		}
		if (dr)
			dr->weight = old;
	} else if (dr) {
		*dr = d->drained[--d->ndrained];
	}
	json_object_object_add(resp, "weight", json_object_new_int64(weight));
	return resp;
}

/* ---- read-only views ---------------------------------------------------- */

static struct json_object *addr_json(const struct xlb_addr *a, __u8 family)
{
	char buf[XLB_ADDR_STRLEN];

	return json_object_new_string(xlb_addr_str(a, family, buf, sizeof(buf)));
}

static void add_int(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static struct json_object *vip_json(struct xlbd *d, const struct xlb_cfg_vip *v)
{
	struct json_object *o = json_object_new_object();
	struct json_object *bes = json_object_new_array();

	json_object_object_add(o, "name", json_object_new_string(v->name));
	add_int(o, "id", xlb_vip_id_of(&d->maps, v));
	json_object_object_add(o, "address", addr_json(&v->addr, v->family));
	add_int(o, "port", v->port);
	json_object_object_add(o, "protocol",
			       json_object_new_string(xlb_proto_name(v->proto)));
	json_object_object_add(o, "mode",
			       json_object_new_string(xlb_mode_name(v->mode)));
	json_object_object_add(o, "hash",
			       json_object_new_string(xlb_hash_name(v->hash_fields)));
	json_object_object_add(o, "conntrack",
			       json_object_new_boolean(!(v->flags &
							 XLB_VIP_F_NO_CONNTRACK)));
	json_object_object_add(o, "echo", json_object_new_boolean(v->echo));
	add_int(o, "table_size", v->table_size);
	for (size_t r = 0; r < v->nrefs; r++) {
		const struct xlb_cfg_backend *b =
			xlb_cfg_backend_find(&d->running, v->refs[r].id);
		struct json_object *bo = json_object_new_object();

		add_int(bo, "id", v->refs[r].id);
		if (b)
			json_object_object_add(bo, "address",
					       addr_json(&b->addr, b->family));
		add_int(bo, "weight", v->refs[r].weight);
		json_object_array_add(bes, bo);
	}
	json_object_object_add(o, "backends", bes);
	return o;
}

static struct json_object *cmd_vip_list(struct xlbd *d)
{
	struct json_object *o = xlb_ctl_ok(), *a = json_object_new_array();

	for (size_t i = 0; i < d->running.nvips; i++)
		json_object_array_add(a, vip_json(d, &d->running.vips[i]));
	json_object_object_add(o, "vips", a);
	return o;
}

static struct json_object *cmd_backend_list(struct xlbd *d,
					    struct json_object *rq)
{
	const char *vip = get_str(rq, "vip");
	const struct xlb_cfg_vip *v = vip ? vip_of(&d->running, vip) : NULL;
	struct json_object *o, *a;

	if (vip && !v)
		return xlb_ctl_error("backend list: no VIP named %s", vip);
	o = xlb_ctl_ok();
	a = json_object_new_array();
	for (size_t i = 0; i < d->running.nbackends; i++) {
		const struct xlb_cfg_backend *b = &d->running.backends[i];
		struct json_object *bo, *vs;

		if (v && !ref_of((struct xlb_cfg_vip *)v, b->id))
			continue;
		bo = json_object_new_object();
		vs = json_object_new_array();
		add_int(bo, "id", b->id);
		json_object_object_add(bo, "address",
				       addr_json(&b->addr, b->family));
		for (size_t j = 0; j < d->running.nvips; j++) {
			struct xlb_cfg_ref *r =
				ref_of(&d->running.vips[j], b->id);
			struct json_object *vo;

			if (!r)
				continue;
			vo = json_object_new_object();
			json_object_object_add(
				vo, "vip",
				json_object_new_string(d->running.vips[j].name));
			add_int(vo, "weight", r->weight);
			json_object_array_add(vs, vo);
		}
		json_object_object_add(bo, "vips", vs);
		json_object_array_add(a, bo);
	}
	json_object_object_add(o, "backends", a);
	return o;
}

static double secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static double rate(__u64 now, __u64 then, double dt)
{
	return dt > 0 && now >= then ? (double)(now - then) / dt : 0;
}

static struct json_object *cmd_stats(struct xlbd *d)
{
	struct json_object *o = xlb_ctl_ok(), *g = json_object_new_object();
	struct json_object *vs = json_object_new_array();
	struct json_object *bs = json_object_new_array();
	struct json_object *outs = json_object_new_array();
	struct xlbd_sample *now = calloc(1, sizeof(*now));
	double dt = secs(&d->prev->at, &d->cur->at);
	struct xlb_counter ctr[XLB_STAT_MAX];
	int n;

	/* xlb_stats may have been replaced by an attach since we opened it */
	xlb_maps_stats_refresh(d->running.pin_dir, &d->maps);
	n = xlb_stats_read_all(&d->maps, ctr);
	/* an older release's map lacks the newer outcomes: not listed */
	for (int i = 0; i < n; i++) {
		const struct xlb_stat_desc *sd = &xlb_stat_descs[i];
		struct json_object *so = json_object_new_object();

		add_int(g, sd->name, (int64_t)ctr[i].packets);
		json_object_object_add(so, "name",
				       json_object_new_string(sd->name));
		json_object_object_add(so, "verdict", json_object_new_string(
			xlb_verdict_class_name(sd->verdict)));
		add_int(so, "packets", (int64_t)ctr[i].packets);
		add_int(so, "bytes", (int64_t)ctr[i].bytes);
		json_object_object_add(so, "help",
				       json_object_new_string(sd->help));
		json_object_array_add(outs, so);
	}
	json_object_object_add(o, "counters", g);
	json_object_object_add(o, "outcomes", outs);
	json_object_object_add(o, "rate_interval_s", json_object_new_double(dt));
	if (now)
		read_sample(d, now);
	for (size_t i = 0; i < d->running.nvips; i++) {
		const struct xlb_cfg_vip *v = &d->running.vips[i];
		int id = xlb_vip_id_of(&d->maps, v);
		struct xlb_vip_stats *n, *p, *c;
		struct json_object *vo;

		if (id < 0)
			continue;
		n = now ? &now->vip[id] : &d->cur->vip[id];
		p = &d->prev->vip[id];
		c = &d->cur->vip[id];
		vo = json_object_new_object();
		json_object_object_add(vo, "name", json_object_new_string(v->name));
		add_int(vo, "packets", (int64_t)n->packets);
		add_int(vo, "bytes", (int64_t)n->bytes);
		add_int(vo, "new_flows", (int64_t)n->new_flows);
		json_object_object_add(vo, "pps", json_object_new_double(
			rate(c->packets, p->packets, dt)));
		json_object_object_add(vo, "bps", json_object_new_double(
			8 * rate(c->bytes, p->bytes, dt)));
		json_object_object_add(vo, "new_flows_ps", json_object_new_double(
			rate(c->new_flows, p->new_flows, dt)));
		json_object_array_add(vs, vo);
	}
	for (size_t i = 0; i < d->running.nbackends; i++) {
		const struct xlb_cfg_backend *b = &d->running.backends[i];
		struct xlb_counter *p = &d->prev->be[b->id],
				   *c = &d->cur->be[b->id],
				   *n = now ? &now->be[b->id] : c;
		struct json_object *bo = json_object_new_object();

		add_int(bo, "id", b->id);
		json_object_object_add(bo, "address",
				       addr_json(&b->addr, b->family));
		add_int(bo, "packets", (int64_t)n->packets);
		add_int(bo, "bytes", (int64_t)n->bytes);
		json_object_object_add(bo, "pps", json_object_new_double(
			rate(c->packets, p->packets, dt)));
		json_object_object_add(bo, "bps", json_object_new_double(
			8 * rate(c->bytes, p->bytes, dt)));
		json_object_array_add(bs, bo);
	}
	json_object_object_add(o, "vips", vs);
	json_object_object_add(o, "backends", bs);
	free(now);
	return o;
}

/* -1 for every VIP, the VIP's id, or -2 (error reply set) when unknown. */
static long vip_filter(struct xlbd *d, struct json_object *rq,
		       struct json_object **err)
{
	const char *vip = get_str(rq, "vip");
	const struct xlb_cfg_vip *v;
	int id;

	if (!vip)
		return -1;
	v = vip_of(&d->running, vip);
	id = v ? xlb_vip_id_of(&d->maps, v) : -1;
	if (id < 0) {
		*err = xlb_ctl_error("conntrack: no VIP named %s", vip);
		return -2;
	}
	return id;
}

static const struct xlb_cfg_vip *vip_by_id(struct xlbd *d, __u32 id)
{
	for (size_t i = 0; i < d->running.nvips; i++)
		if (xlb_vip_id_of(&d->maps, &d->running.vips[i]) == (int)id)
			return &d->running.vips[i];
	return NULL;
}

static struct json_object *cmd_ct_list(struct xlbd *d, struct json_object *rq,
				       long vip)
{
	struct json_object *o, *a;
	struct xlb_flow k, next;
	struct xlb_ct_entry e;
	struct timespec now;
	__u32 limit = 100, n = 0;
	void *prev = NULL;

	if (get_u32(rq, "limit", 1u << 24, &limit) < 0)
		return xlb_ctl_error("conntrack list: limit: 0..%u", 1u << 24);
	clock_gettime(CLOCK_MONOTONIC, &now);
	o = xlb_ctl_ok();
	a = json_object_new_array();
	while (n < limit && !bpf_map_get_next_key(d->maps.conntrack, prev, &next)) {
		const struct xlb_cfg_vip *v;
		struct json_object *eo;
		__u64 t = (__u64)now.tv_sec * 1000000000ull + (__u64)now.tv_nsec;

		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(d->maps.conntrack, &k, &e) ||
		    (vip >= 0 && e.vip_id != (__u32)vip))
			continue;
		v = vip_by_id(d, e.vip_id);
		eo = json_object_new_object();
		json_object_object_add(eo, "client", addr_json(&k.src, k.family));
		add_int(eo, "client_port", ntohs(k.sport));
		json_object_object_add(eo, "vip_address", addr_json(&k.dst, k.family));
		add_int(eo, "vip_port", ntohs(k.dport));
		json_object_object_add(eo, "protocol",
				       json_object_new_string(xlb_proto_name(k.proto)));
		json_object_object_add(eo, "vip",
				       json_object_new_string(v ? v->name : "?"));
		add_int(eo, "backend", e.backend_id);
		json_object_object_add(eo, "idle_s", json_object_new_double(
			t > e.last_seen_ns ? (double)(t - e.last_seen_ns) / 1e9 : 0));
		json_object_array_add(a, eo);
		n++;
	}
	json_object_object_add(o, "entries", a);
	return o;
}

static struct json_object *cmd_conntrack(struct xlbd *d, struct json_object *rq,
					 const char *what)
{
	struct json_object *err = NULL, *o;
	long vip = vip_filter(d, rq, &err), n;

	if (vip == -2)
		return err;
	if (!strcmp(what, "list"))
		return cmd_ct_list(d, rq, vip);
	n = !strcmp(what, "flush") ? xlb_ct_flush(&d->maps, vip, 0) :
				     xlb_ct_count(&d->maps, vip);
	if (n < 0)
		return xlb_ctl_error("conntrack %s: %s", what, strerror((int)-n));
	o = xlb_ctl_ok();
	add_int(o, !strcmp(what, "flush") ? "flushed" : "count", n);
	add_int(o, "capacity", d->ct_size);
	return o;
}

static struct json_object *cmd_maglev_show(struct xlbd *d,
					   struct json_object *rq)
{
	const char *vip = get_str(rq, "vip");
	const struct xlb_cfg_vip *v = vip_of(&d->running, vip);
	struct json_object *o, *a;
	__u32 inner_id, size = 0, zero = 0, *slots = NULL, total = 0;
	int id, fd;

	if (!v)
		return xlb_ctl_error("maglev show: no VIP named %s",
				     vip ? vip : "(none)");
	id = xlb_vip_id_of(&d->maps, v);
	if (id < 0 || bpf_map_lookup_elem(d->maps.maglev, &id, &inner_id))
		return xlb_ctl_error("maglev show %s: no table installed", vip);
	/* read what the datapath really uses, not what we meant to install */
	fd = bpf_map_get_fd_by_id(inner_id);
	if (fd < 0)
		return xlb_ctl_error("maglev show %s: open table: %s", vip,
				     strerror(errno));
	if (bpf_map_lookup_elem(fd, &zero, &size) || !size) {
		close(fd);
		return xlb_ctl_error("maglev show %s: table has no size", vip);
	}
	slots = calloc(XLB_MAX_BACKENDS, sizeof(*slots));
	if (!slots) {
		close(fd);
		return xlb_ctl_error("out of memory");
	}
	for (__u32 i = 1; i <= size; i++) {
		__u32 be;

		if (!bpf_map_lookup_elem(fd, &i, &be) && be < XLB_MAX_BACKENDS)
			slots[be]++;
	}
	close(fd);
	for (size_t r = 0; r < v->nrefs; r++)
		total += v->refs[r].weight;
	o = xlb_ctl_ok();
	json_object_object_add(o, "vip", json_object_new_string(v->name));
	add_int(o, "size", size);
	add_int(o, "empty", slots[0]);
	a = json_object_new_array();
	for (size_t r = 0; r < v->nrefs; r++) {
		struct json_object *bo = json_object_new_object();
		__u32 bid = v->refs[r].id;

		add_int(bo, "id", bid);
		add_int(bo, "weight", v->refs[r].weight);
		add_int(bo, "slots", slots[bid]);
		json_object_object_add(bo, "share", json_object_new_double(
			(double)slots[bid] / size));
		json_object_object_add(bo, "ideal", json_object_new_double(
			total ? (double)v->refs[r].weight / total : 0));
		json_object_array_add(a, bo);
	}
	json_object_object_add(o, "backends", a);
	free(slots);
	return o;
}

static struct json_object *cmd_config_dump(struct xlbd *d)
{
	struct json_object *o;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f)
		return xlb_ctl_error("out of memory");
	rc = xlb_cfg_write(&d->running, f);
	fclose(f);
	if (rc) {
		free(buf);
		return xlb_ctl_error("config dump: %s", strerror(-rc));
	}
	o = xlb_ctl_ok();
	json_object_object_add(o, "config", json_object_new_string(buf));
	free(buf);
	return o;
}

static struct json_object *cmd_status(struct xlbd *d)
{
	struct json_object *o = xlb_ctl_ok(), *a = json_object_new_array();
	struct xlb_attachment at[64];
	int n = xlb_attachments(at, 64);

	json_object_object_add(o, "config_path",
			       json_object_new_string(d->config_path));
	json_object_object_add(o, "pin_dir",
			       json_object_new_string(d->running.pin_dir));
	add_int(o, "pid", getpid());
	add_int(o, "uptime_s", time(NULL) - d->started);
	add_int(o, "vips", (int64_t)d->running.nvips);
	add_int(o, "backends", (int64_t)d->running.nbackends);
	add_int(o, "conntrack_capacity", d->ct_size);
	json_object_object_add(o, "conntrack_adopted",
			       json_object_new_boolean(d->ct_adopted));
	for (int i = 0; i < n; i++) {
		struct json_object *ao = json_object_new_object();

		json_object_object_add(ao, "interface",
				       json_object_new_string(at[i].ifname));
		json_object_object_add(ao, "mode", json_object_new_string(
			xlb_xdp_mode_str(at[i].mode)));
		add_int(ao, "prog_id", at[i].prog_id);
		json_object_object_add(ao, "multiprog",
				       json_object_new_boolean(at[i].multiprog));
		json_object_array_add(a, ao);
	}
	json_object_object_add(o, "attached", a);
	return o;
}

struct json_object *xlbd_handle(struct xlbd *d, struct json_object *req)
{
	const char *cmd = get_str(req, "cmd");
	char err[XLB_ERR_MAX];

	if (!cmd)
		return xlb_ctl_error("request has no \"cmd\"");
	if (!strcmp(cmd, "status"))
		return cmd_status(d);
	if (!strcmp(cmd, "reload"))
		return xlbd_reload(d, err, sizeof(err)) ?
			       xlb_ctl_error("reload: %s; the running config "
					     "stays", err) :
			       xlb_ctl_ok();
	if (!strcmp(cmd, "config.dump"))
		return cmd_config_dump(d);
	if (!strcmp(cmd, "vip.list"))
		return cmd_vip_list(d);
	if (!strcmp(cmd, "vip.add"))
		return cmd_vip_add(d, req);
	if (!strcmp(cmd, "vip.del"))
		return cmd_vip_del(d, req);
	if (!strcmp(cmd, "backend.list"))
		return cmd_backend_list(d, req);
	if (!strcmp(cmd, "backend.add"))
		return cmd_backend_add(d, req);
	if (!strcmp(cmd, "backend.del"))
		return cmd_backend_del(d, req);
	if (!strcmp(cmd, "backend.weight"))
		return cmd_backend_weight(d, req, "weight");
	if (!strcmp(cmd, "backend.drain"))
		return cmd_backend_weight(d, req, "drain");
	if (!strcmp(cmd, "backend.undrain"))
		return cmd_backend_weight(d, req, "undrain");
	if (!strcmp(cmd, "stats"))
		return cmd_stats(d);
	if (!strcmp(cmd, "conntrack.count"))
		return cmd_conntrack(d, req, "count");
	if (!strcmp(cmd, "conntrack.list"))
		return cmd_conntrack(d, req, "list");
	if (!strcmp(cmd, "conntrack.flush"))
		return cmd_conntrack(d, req, "flush");
	if (!strcmp(cmd, "maglev.show"))
		return cmd_maglev_show(d, req);
	return xlb_ctl_error("unknown command \"%s\"", cmd);
}
