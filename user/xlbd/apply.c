// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "lib/addr.h"
#include "lib/conntrack.h"
#include "lib/log.h"
#include "lib/maglev.h"
#include "lib/neigh.h"
#include "xlbd/apply.h"

void xlb_vip_key_of(const struct xlb_cfg_vip *v, struct xlb_vip_key *k)
{
	memset(k, 0, sizeof(*k));
	k->addr = v->addr;
	k->port = htons(v->port);
	k->proto = v->proto;
	k->family = v->family;
}

int xlb_vip_id_of(const struct xlb_lb_maps *m, const struct xlb_cfg_vip *v)
{
	struct xlb_vip_key k;
	struct xlb_vip_info info;

	xlb_vip_key_of(v, &k);
	if (xlb_vip_read(m, &k, &info))
		return -ENOENT;
	return (int)info.vip_id;
}

/* One VIP as it will be written. */
struct plan_vip {
	const struct xlb_cfg_vip *v;
	const struct xlb_cfg_vip *prev; /* the same key in the old model */
	struct xlb_vip_key key;
	struct xlb_vip_info info;
	__u32 addr_flags;
	__u32 *table; /* NULL: the installed one stays */
};

struct plan {
	struct xlb_config config;
	struct xlb_backend *bes; /* parallel to next->backends */
	struct plan_vip *vips; /* parallel to next->vips */
	size_t nvips;
	/*
	 * Pinned VIPs that are going away and whose ids new VIPs take: they
	 * are deleted (and their flows flushed) before anything else is
	 * written, so an id never names two VIPs at once.
	 */
	struct xlb_vip_entry *reclaim;
	size_t nreclaim;
};

static void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->nvips; i++)
		free(p->vips[i].table);
	free(p->vips);
	free(p->bes);
	free(p->reclaim);
	memset(p, 0, sizeof(*p));
}

/* The first tunnel VIP with a backend in the pool: it needs a next hop. */
static const struct xlb_cfg_vip *first_tunnel(const struct xlb_cfg *c)
{
	for (size_t i = 0; i < c->nvips; i++) {
		const struct xlb_cfg_vip *v = &c->vips[i];

		if (v->mode != XLB_FWD_TUNNEL)
			continue;
		for (size_t r = 0; r < v->nrefs; r++)
			if (xlb_cfg_backend_find(c, v->refs[r].id))
				return v;
	}
	return NULL;
}

static int plan_config(const struct xlb_cfg *c, struct xlb_config *out,
		       char *err, size_t errlen)
{
	char a[XLB_ADDR_STRLEN];
	int rc;

	memset(out, 0, sizeof(*out));
	out->hash_seed = c->hash_seed;
	out->mtu = c->mtu;
	out->ct_insert_rate = c->ct_insert_rate;
	out->ct_timeout_tcp = (__u16)c->ct_timeout_tcp;
	out->ct_timeout_tcp_fin = (__u16)c->ct_timeout_tcp_fin;
	out->ct_timeout_udp = (__u16)c->ct_timeout_udp;
	out->encap_src4 = c->encap_src4;
	out->encap_src6 = c->encap_src6;
	if (c->has_nexthop_mac) {
		memcpy(out->nexthop_mac, c->nexthop_mac, 6);
		return 0;
	}
	if (!c->nexthop_family) {
		const struct xlb_cfg_vip *t = first_tunnel(c);

		if (!t)
			return 0;
		/* no nexthop key to point at: point at the VIP that needs it */
		xlb_cfg_errf(c, c->lines.nexthop ?: t->line, "nexthop", err,
			     errlen,
			     "tunnel VIPs (\"%s\" is one) need nexthop.mac or "
			     "nexthop.interface and nexthop.address",
			     t->name);
		return -EINVAL;
	}
	rc = xlb_neigh_resolve(&c->nexthop_addr, c->nexthop_family,
			       c->nexthop_ifname, XLB_NEIGH_WAIT_MS,
			       out->nexthop_mac);
	if (rc) {
		xlb_cfg_errf(c, c->lines.nexthop_addr ?: c->lines.nexthop,
			     "nexthop.address", err, errlen,
			     "no MAC for %s on %s in the neighbour table (%s); "
			     "is it reachable? or set nexthop.mac",
			     xlb_addr_str(&c->nexthop_addr, c->nexthop_family,
					  a, sizeof(a)),
			     c->nexthop_ifname, strerror(-rc));
		return rc;
	}
	return 0;
}

static bool backend_in_l2dsr(const struct xlb_cfg *c, __u32 id)
{
	for (size_t i = 0; i < c->nvips; i++) {
		if (c->vips[i].mode != XLB_FWD_L2DSR)
			continue;
		for (size_t r = 0; r < c->vips[i].nrefs; r++)
			if (c->vips[i].refs[r].id == id)
				return true;
	}
	return false;
}

static int plan_backends(const struct xlb_cfg *c, struct plan *p, char *err,
			 size_t errlen)
{
	char a[XLB_ADDR_STRLEN];

	p->bes = calloc(c->nbackends ? c->nbackends : 1, sizeof(*p->bes));
	if (!p->bes)
		return xlb_errf(err, errlen, -ENOMEM, "out of memory");
	for (size_t i = 0; i < c->nbackends; i++) {
		const struct xlb_cfg_backend *b = &c->backends[i];
		struct xlb_backend *be = &p->bes[i];
		int rc;

		be->addr = b->addr;
		be->family = b->family;
		be->flags = XLB_BE_F_ACTIVE;
		if (b->has_mac) {
			memcpy(be->mac, b->mac, 6);
			continue;
		}
		if (!backend_in_l2dsr(c, b->id))
			continue;
		rc = xlb_neigh_resolve(&b->addr, b->family, c->nexthop_ifname,
				       XLB_NEIGH_WAIT_MS, be->mac);
		if (rc) {
			char field[40];

			snprintf(field, sizeof(field), "backends[%zu]", i);
			xlb_cfg_errf(c, b->line, field, err, errlen,
				     "backend %u: no MAC for %s in the "
				     "neighbour table (%s); L2 DSR needs one: "
				     "set its mac",
				     b->id,
				     xlb_addr_str(&b->addr, b->family, a,
						  sizeof(a)),
				     strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static int cmp_be(const void *a, const void *b)
{
	const struct xlb_maglev_backend *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->weight < y->weight ? -1 : x->weight > y->weight;
}

/*
 * What a VIP's table is built from: its references with the weight each has
 * in the table (drained or down: 0; scaled, and ramping in a slow start).
 * Returns NULL when out of memory.
 */
static struct xlb_maglev_backend *table_input(const struct xlb_cfg *c,
					      const struct xlb_cfg_vip *v)
{
	struct xlb_maglev_backend *bes = calloc(v->nrefs ? v->nrefs : 1,
						sizeof(*bes));

	for (size_t r = 0; bes && r < v->nrefs; r++) {
		bes[r].id = v->refs[r].id;
		bes[r].weight = xlb_cfg_ref_table_weight(c, &v->refs[r]);
	}
	return bes;
}

/* True when both VIPs give the same table (it depends on the set only). */
static bool same_table(const struct xlb_cfg *ca, const struct xlb_cfg_vip *a,
		       const struct xlb_cfg *cb, const struct xlb_cfg_vip *b)
{
	struct xlb_maglev_backend *x, *y;
	bool same;

	if (a->table_size != b->table_size || a->nrefs != b->nrefs)
		return false;
	if (!a->nrefs)
		return true;
	x = table_input(ca, a);
	y = table_input(cb, b);
	if (!x || !y) {
		free(x);
		free(y);
		return false;
	}
	qsort(x, a->nrefs, sizeof(*x), cmp_be);
	qsort(y, b->nrefs, sizeof(*y), cmp_be);
	same = !memcmp(x, y, a->nrefs * sizeof(*x));
	free(x);
	free(y);
	return same;
}

static const struct xlb_cfg_vip *find_by_key(const struct xlb_cfg *c,
					     const struct xlb_vip_key *k)
{
	struct xlb_vip_key o;

	for (size_t i = 0; c && i < c->nvips; i++) {
		xlb_vip_key_of(&c->vips[i], &o);
		if (!memcmp(&o, k, sizeof(o)))
			return &c->vips[i];
	}
	return NULL;
}

static bool key_in(const struct xlb_cfg *c, const struct xlb_vip_key *k)
{
	return find_by_key(c, k) != NULL;
}

/*
 * VIP ids. A VIP that stays keeps its id (conntrack entries and counters
 * name it). A new VIP takes an id no pinned VIP holds, so old conntrack
 * entries never meet a new VIP's id; only when those run out does it take
 * the id of a pinned VIP that is going away, which is then deleted first
 * and its flows flushed (packets to a removed VIP pass to the stack, which
 * is what removing it means). So any valid model (at most XLB_MAX_VIPS)
 * gets its ids, whatever was pinned before.
 */
static int plan_vips(const struct xlb_lb_maps *m, const struct xlb_cfg *prev,
		     const struct xlb_cfg *c, struct plan *p, char *err,
		     size_t errlen)
{
	bool *used = calloc(XLB_MAX_VIPS, sizeof(*used));
	struct xlb_vip_entry *all = NULL;
	size_t nall = 0, next_stale = 0;
	__u32 next_free = 0;
	int rc;

	p->vips = calloc(c->nvips ? c->nvips : 1, sizeof(*p->vips));
	if (!used || !p->vips) {
		free(used);
		return xlb_errf(err, errlen, -ENOMEM, "out of memory");
	}
	p->nvips = c->nvips;
	rc = xlb_vip_list(m, &all, &nall);
	if (rc) {
		free(used);
		return xlb_errf(err, errlen, rc, "read xlb_vips: %s",
				strerror(-rc));
	}
	p->reclaim = calloc(nall ? nall : 1, sizeof(*p->reclaim));
	if (!p->reclaim) {
		free(used);
		free(all);
		return xlb_errf(err, errlen, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < nall; i++)
		if (all[i].info.vip_id < XLB_MAX_VIPS)
			used[all[i].info.vip_id] = true;
	for (size_t i = 0; i < c->nvips; i++) {
		struct plan_vip *pv = &p->vips[i];
		const struct xlb_cfg_vip *v = &c->vips[i];
		int id = -1;

		pv->v = v;
		xlb_vip_key_of(v, &pv->key);
		pv->prev = find_by_key(prev, &pv->key);
		for (size_t k = 0; k < nall && id < 0; k++)
			if (!memcmp(&all[k].key, &pv->key, sizeof(pv->key)))
				id = (int)all[k].info.vip_id;
		while (id < 0 && next_free < XLB_MAX_VIPS && used[next_free])
			next_free++;
		if (id < 0 && next_free < XLB_MAX_VIPS) {
			id = (int)next_free;
			used[next_free] = true;
		}
		/* no id free: take one a VIP that is going away gives up */
		while (id < 0 && next_stale < nall) {
			const struct xlb_vip_entry *e = &all[next_stale++];

			if (key_in(c, &e->key) || e->info.vip_id >= XLB_MAX_VIPS)
				continue;
			p->reclaim[p->nreclaim++] = *e;
			id = (int)e->info.vip_id;
		}
		if (id < 0) {
			char field[40];

			snprintf(field, sizeof(field), "vips[%zu]", i);
			xlb_cfg_errf(c, v->line, field, err, errlen,
				     "%s: no free VIP id (at most %d)", v->name,
				     XLB_MAX_VIPS);
			free(used);
			free(all);
			return -ENOSPC;
		}
		pv->info.vip_id = (__u32)id;
		pv->info.flags = v->flags;
		pv->info.mode = v->mode;
		pv->info.hash_fields = v->hash_fields;
		for (size_t j = 0; j < c->nvips; j++)
			if (c->vips[j].echo && c->vips[j].family == v->family &&
			    !memcmp(&c->vips[j].addr, &v->addr, sizeof(v->addr)))
				pv->addr_flags = XLB_ADDR_F_ECHO;
	}
	free(used);
	free(all);
	return 0;
}

static int plan_tables(const struct xlb_lb_maps *m, const struct xlb_cfg *prev,
		       const struct xlb_cfg *c, struct plan *p, char *err,
		       size_t errlen)
{
	for (size_t i = 0; i < p->nvips; i++) {
		struct plan_vip *pv = &p->vips[i];
		const struct xlb_cfg_vip *v = pv->v;
		struct xlb_maglev_backend *bes;
		int rc;

		if (pv->prev && prev->hash_seed == c->hash_seed &&
		    same_table(prev, pv->prev, c, v) &&
		    xlb_table_installed(m, pv->info.vip_id))
			continue;
		bes = table_input(c, v);
		pv->table = calloc(v->table_size, sizeof(*pv->table));
		if (!bes || !pv->table) {
			free(bes);
			return xlb_errf(err, errlen, -ENOMEM, "out of memory");
		}
		rc = xlb_maglev_build(bes, v->nrefs, c->hash_seed,
				      v->table_size, pv->table);
		free(bes);
		if (rc)
			return xlb_errf(err, errlen, rc, "vip %s: build table: %s",
				    v->name, strerror(-rc));
	}
	return 0;
}

static bool in_pool(const struct xlb_cfg *c, __u32 id)
{
	return xlb_cfg_backend_find(c, id) != NULL;
}

static bool has_ref(const struct xlb_cfg_vip *v, __u32 id)
{
	for (size_t r = 0; r < v->nrefs; r++)
		if (v->refs[r].id == id)
			return true;
	return false;
}

/*
 * A reference that went into maintenance (HAProxy's MAINT: no traffic at
 * all) loses its flows in the VIP once its new table is in, so their next
 * packet follows that table. At start (no previous model) every reference
 * in maintenance is flushed: whatever an earlier xlbd left tracked to it.
 */
static int flush_maint(const struct xlb_lb_maps *m, const struct plan *p,
		       struct xlb_apply_stats *st, char *err, size_t errlen)
{
	for (size_t i = 0; i < p->nvips; i++) {
		const struct plan_vip *pv = &p->vips[i];

		for (size_t r = 0; r < pv->v->nrefs; r++) {
			const struct xlb_cfg_ref *nr = &pv->v->refs[r], *o = NULL;
			struct xlb_ct_filter f = { .vip_id = (int)pv->info.vip_id,
						   .backend_id = nr->id };
			long n;

			if (xlb_cfg_ref_admin(nr) != XLB_ADMIN_MAINT)
				continue;
			for (size_t k = 0; pv->prev && k < pv->prev->nrefs; k++)
				if (pv->prev->refs[k].id == nr->id)
					o = &pv->prev->refs[k];
			if (o && xlb_cfg_ref_admin(o) == XLB_ADMIN_MAINT)
				continue;
			n = xlb_ct_flush(m->conntrack, &f, 0);
			if (n < 0)
				return xlb_errf(err, errlen, (int)n,
						"vip %s: flush flows of backend "
						"%u (maint): %s",
						pv->v->name, nr->id,
						strerror((int)-n));
			if (st)
				st->ct_flushed += (unsigned long)n;
		}
	}
	return 0;
}

static bool addr_still_used(const struct plan *p, const struct xlb_vip_key *k)
{
	for (size_t i = 0; i < p->nvips; i++)
		if (p->vips[i].key.family == k->family &&
		    !memcmp(&p->vips[i].key.addr, &k->addr, sizeof(k->addr)))
			return true;
	return false;
}

static int remove_stale_vips(const struct xlb_lb_maps *m, const struct plan *p,
			     struct xlb_apply_stats *st)
{
	struct xlb_vip_entry *all;
	size_t n;
	int rc = xlb_vip_list(m, &all, &n);

	for (size_t i = 0; !rc && i < n; i++) {
		const struct xlb_vip_key *k = &all[i].key;
		bool keep = false;

		for (size_t j = 0; j < p->nvips && !keep; j++)
			keep = !memcmp(&p->vips[j].key, k, sizeof(*k));
		if (keep)
			continue;
		rc = xlb_vip_delete(m, k, all[i].info.vip_id,
				    !addr_still_used(p, k));
		if (rc == -ENOENT) {
			rc = 0; /* gone already */
			continue;
		}
		if (!rc && st)
			st->vips_removed++;
	}
	free(all);
	return rc;
}

/*
 * Marks @id inactive (flows tracked to it re-steer on their next packet)
 * and adds it to @gone, whose entries are deleted once every backend is
 * done: an entry must never come back to life when the id returns.
 */
static int deactivate(const struct xlb_lb_maps *m, __u32 id, __u8 *gone,
		      struct xlb_apply_stats *st)
{
	struct xlb_backend be;

	int rc = xlb_backend_read(m, id, &be);

	if (rc)
		return rc;
	if (!(be.flags & XLB_BE_F_ACTIVE))
		return 0;
	be.flags &= (__u8)~XLB_BE_F_ACTIVE;
	rc = xlb_backend_write(m, id, &be);
	if (rc)
		return rc;
	xlb_ct_set_add(gone, id);
	if (st)
		st->backends_deactivated++;
	return 0;
}

/*
 * Backends that left the pool. After a start (@prev NULL) the maps may hold
 * anything an earlier xlbd wrote, so every id is checked; after that only
 * @prev's pool can hold one that @c dropped.
 */
static int deactivate_stale_backends(const struct xlb_lb_maps *m,
				     const struct xlb_cfg *prev,
				     const struct xlb_cfg *c,
				     struct xlb_apply_stats *st)
{
	__u8 gone[XLB_MAX_BACKENDS / 8 + 1] = {};
	struct xlb_ct_filter f = { .vip_id = XLB_CT_ANY_VIP,
				   .backend_set = gone };
	bool any = false;
	long n;
	int rc = 0;

	if (prev) {
		for (size_t i = 0; i < prev->nbackends && !rc; i++)
			if (!in_pool(c, prev->backends[i].id))
				rc = deactivate(m, prev->backends[i].id, gone,
						st);
	} else {
		for (__u32 id = 1; id < XLB_MAX_BACKENDS && !rc; id++)
			if (!in_pool(c, id))
				rc = deactivate(m, id, gone, st);
	}
	for (size_t i = 0; i < sizeof(gone); i++)
		any |= gone[i] != 0;
	if (rc || !any)
		return rc;
	n = xlb_ct_flush(m->conntrack, &f, 0);
	if (n < 0)
		return (int)n;
	if (st)
		st->ct_flushed += (unsigned long)n;
	return 0;
}

/*
 * Entries naming a backend that was not in service (inactive in the map:
 * an earlier xlbd or release left them) are deleted before the backend is
 * switched on, so they cannot send flows to it again.
 */
static int flush_returning_backends(const struct xlb_lb_maps *m,
				    const struct xlb_cfg *prev,
				    const struct xlb_cfg *c,
				    struct xlb_apply_stats *st)
{
	__u8 back[XLB_MAX_BACKENDS / 8 + 1] = {};
	struct xlb_ct_filter f = { .vip_id = XLB_CT_ANY_VIP,
				   .backend_set = back };
	struct xlb_backend be;
	bool any = false;
	long n;

	for (size_t i = 0; i < c->nbackends; i++) {
		__u32 id = c->backends[i].id;

		if (prev && in_pool(prev, id))
			continue;
		if (!xlb_backend_read(m, id, &be) &&
		    (be.flags & XLB_BE_F_ACTIVE))
			continue; /* in service already: its flows are valid */
		xlb_ct_set_add(back, id);
		any = true;
	}
	if (!any)
		return 0;
	n = xlb_ct_flush(m->conntrack, &f, 0);
	if (n < 0)
		return (int)n;
	if (st)
		st->ct_flushed += (unsigned long)n;
	return 0;
}

/*
 * The map holds @b as it would be written now: @prev (whose apply wrote
 * its pool active) had it with the same address and MAC, and no MAC comes
 * from the neighbour table (one resolved now may differ). A health commit
 * of 10,000 backends then writes only the tables that changed.
 */
static bool backend_written(const struct xlb_cfg *prev, const struct xlb_cfg *c,
			    const struct xlb_cfg_backend *b)
{
	const struct xlb_cfg_backend *o =
		prev ? xlb_cfg_backend_find(prev, b->id) : NULL;

	if (!o || o->family != b->family || o->has_mac != b->has_mac ||
	    memcmp(&o->addr, &b->addr, sizeof(b->addr)))
		return false;
	if (b->has_mac)
		return !memcmp(o->mac, b->mac, 6);
	return !backend_in_l2dsr(prev, b->id) && !backend_in_l2dsr(c, b->id);
}

static int write_plan(const struct xlb_lb_maps *m, const struct xlb_cfg *prev,
		      const struct xlb_cfg *c, const struct plan *p,
		      struct xlb_apply_stats *st, char *err, size_t errlen)
{
	int rc;

	/* ids new VIPs take: their old VIPs go first, flows and all */
	for (size_t i = 0; i < p->nreclaim; i++) {
		const struct xlb_vip_entry *e = &p->reclaim[i];
		struct xlb_ct_filter f = { .vip_id = (int)e->info.vip_id };
		long n;

		rc = xlb_vip_delete(m, &e->key, e->info.vip_id,
				    !addr_still_used(p, &e->key));
		if (rc && rc != -ENOENT)
			return xlb_errf(err, errlen, rc,
					"remove VIP id %u for reuse: %s",
					e->info.vip_id, strerror(-rc));
		if (st)
			st->vips_removed++;
		n = xlb_ct_flush(m->conntrack, &f, 0);
		if (n < 0)
			return xlb_errf(err, errlen, (int)n,
					"flush flows of VIP id %u: %s",
					e->info.vip_id, strerror((int)-n));
	}
	rc = xlb_config_write(m, &p->config);
	if (rc)
		return xlb_errf(err, errlen, rc, "write xlb_config: %s",
			    strerror(-rc));
	rc = flush_returning_backends(m, prev, c, st);
	if (rc)
		return xlb_errf(err, errlen, rc,
				"flush old flows of returning backends: %s",
				strerror(-rc));
	/* backends before the tables that name them */
	for (size_t i = 0; i < c->nbackends; i++) {
		if (backend_written(prev, c, &c->backends[i]))
			continue;
		rc = xlb_backend_write(m, c->backends[i].id, &p->bes[i]);
		if (rc)
			return xlb_errf(err, errlen, rc, "write backend %u: %s",
				    c->backends[i].id, strerror(-rc));
	}
	/* a VIP's table before the VIP, so it is never seen without one */
	for (size_t i = 0; i < p->nvips; i++) {
		const struct plan_vip *pv = &p->vips[i];

		if (pv->table) {
			rc = xlb_table_install(m, pv->info.vip_id, pv->table,
					       pv->v->table_size);
			if (rc)
				return xlb_errf(err, errlen, rc,
					    "vip %s: install table: %s",
					    pv->v->name, strerror(-rc));
			if (st)
				st->tables_installed++;
		}
		rc = xlb_vip_write(m, &pv->key, &pv->info, pv->addr_flags);
		if (rc)
			return xlb_errf(err, errlen, rc, "vip %s: write: %s",
				    pv->v->name, strerror(-rc));
	}
	rc = remove_stale_vips(m, p, st);
	if (rc)
		return xlb_errf(err, errlen, rc, "remove old VIPs: %s",
			    strerror(-rc));
	/* flows of a backend taken out of one VIP follow the new table */
	for (size_t i = 0; prev && i < p->nvips; i++) {
		const struct plan_vip *pv = &p->vips[i];

		for (size_t r = 0; pv->prev && r < pv->prev->nrefs; r++) {
			__u32 id = pv->prev->refs[r].id;
			struct xlb_ct_filter f = { .vip_id = (int)pv->info.vip_id,
						   .backend_id = id };
			long n;

			if (has_ref(pv->v, id))
				continue;
			n = xlb_ct_flush(m->conntrack, &f, 0);
			if (n < 0)
				return xlb_errf(err, errlen, (int)n,
					    "vip %s: flush flows of backend %u: %s",
					    pv->v->name, id, strerror((int)-n));
			if (st)
				st->ct_flushed += (unsigned long)n;
		}
	}
	rc = flush_maint(m, p, st, err, errlen);
	if (rc)
		return rc;
	rc = deactivate_stale_backends(m, prev, c, st);
	if (rc)
		return xlb_errf(err, errlen, rc, "deactivate old backends: %s",
			    strerror(-rc));
	return 0;
}

int xlb_apply_check(const struct xlb_cfg *c, struct xlb_apply_stats *st,
		    char *err, size_t errlen)
{
	struct plan p = {};
	int rc;

	if (st)
		memset(st, 0, sizeof(*st));
	rc = xlb_cfg_validate(c, err, errlen) ?:
	     plan_config(c, &p.config, err, errlen) ?:
	     plan_backends(c, &p, err, errlen);
	if (!rc) {
		/* ids come from the maps; here every table is built */
		p.vips = calloc(c->nvips ? c->nvips : 1, sizeof(*p.vips));
		if (!p.vips)
			rc = xlb_errf(err, errlen, -ENOMEM, "out of memory");
		p.nvips = p.vips ? c->nvips : 0;
		for (size_t i = 0; i < p.nvips; i++)
			p.vips[i].v = &c->vips[i];
		if (!rc)
			rc = plan_tables(NULL, NULL, c, &p, err, errlen);
		for (size_t i = 0; !rc && st && i < p.nvips; i++)
			st->tables_installed += p.vips[i].table != NULL;
	}
	plan_free(&p);
	return rc;
}

int xlb_apply(const struct xlb_lb_maps *m, const struct xlb_cfg *prev,
	      const struct xlb_cfg *next, struct xlb_apply_stats *st,
	      char *err, size_t errlen)
{
	struct plan p = {};
	char rb[XLB_ERR_MAX];
	size_t len;
	int rc, bump;

	if (st)
		memset(st, 0, sizeof(*st));
	/*
	 * Every check that can refuse runs here, before the first map write:
	 * a refusal writes nothing and has nothing to restore.
	 */
	rc = xlb_cfg_validate(next, err, errlen) ?:
	     plan_config(next, &p.config, err, errlen) ?:
	     plan_backends(next, &p, err, errlen) ?:
	     plan_vips(m, prev, next, &p, err, errlen) ?:
	     plan_tables(m, prev, next, &p, err, errlen);
	if (rc) {
		plan_free(&p);
		len = err ? strlen(err) : 0;
		if (err && errlen > len)
			snprintf(err + len, errlen - len,
				 "; nothing was changed");
		return rc;
	}
	rc = write_plan(m, prev, next, &p, st, err, errlen);
	plan_free(&p);
	/* flows flushed, VIPs written: the datapath's cached hits are stale
	 * (lib/lbmaps.h), whether or not every write went through */
	bump = xlb_ct_gen_bump(m);
	if (!rc && bump)
		rc = xlb_errf(err, errlen, bump,
			      "bump the flow cache generation: %s",
			      strerror(-bump));
	if (!rc)
		return 0;
	/* a map write failed half way: put back what was there */
	len = err ? strlen(err) : 0;
	if (!err || errlen <= len)
		;
	else if (!prev || prev == next)
		snprintf(err + len, errlen - len,
			 "; the maps may be partly written");
	else if (!xlb_apply(m, NULL, prev, NULL, rb, sizeof(rb)))
		snprintf(err + len, errlen - len,
			 "; the previous config was restored");
	else
		snprintf(err + len, errlen - len,
			 "; restoring the previous config failed too: %s", rb);
	return rc;
}
