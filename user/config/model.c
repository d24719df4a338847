// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the config model's life cycle: init, free, deep copy,
 * lookups and the equality that tells a reload with no effect.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/maglev.h"
#include "config/internal.h"

void xlb_cfg_init(struct xlb_cfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->pin_dir, sizeof(c->pin_dir), "%s", XLB_DEFAULT_PIN_DIR);
	c->maglev_size = XLB_MAGLEV_DEFAULT_SIZE;
	c->mtu = 1500;
	c->ct_entries = XLB_DEFAULT_CT_ENTRIES;
	c->ct_timeout_tcp = XLB_DEFAULT_CT_TIMEOUT_TCP;
	c->ct_timeout_tcp_fin = XLB_DEFAULT_CT_TIMEOUT_TCP_FIN;
	c->ct_timeout_udp = XLB_DEFAULT_CT_TIMEOUT_UDP;
	c->sync.interval = XLB_SYNC_DEFAULT_INTERVAL;
}

void xlb_cfg_free(struct xlb_cfg *c)
{
	size_t i;

	for (i = 0; i < c->nvips; i++)
		free(c->vips[i].refs);
	free(c->vips);
	free(c->backends);
	free(c->be_pos);
	free(c->checks);
	xlb_cfg_init(c);
}

int xlb_cfg_copy(struct xlb_cfg *dst, const struct xlb_cfg *src)
{
	struct xlb_cfg t = *src;
	size_t i;

	t.backends = NULL;
	t.nbackends = 0;
	t.be_pos = NULL;
	t.vips = NULL;
	t.nvips = 0;
	t.checks = NULL;
	t.nchecks = 0;
	if (src->nchecks) {
		t.checks = malloc(src->nchecks * sizeof(*t.checks));
		if (!t.checks)
			goto nomem;
		memcpy(t.checks, src->checks,
		       src->nchecks * sizeof(*t.checks));
		t.nchecks = src->nchecks;
	}
	if (src->nbackends) {
		t.backends = malloc(src->nbackends * sizeof(*t.backends));
		if (!t.backends)
			goto nomem;
		memcpy(t.backends, src->backends,
		       src->nbackends * sizeof(*t.backends));
		t.nbackends = src->nbackends;
	}
	if (src->nvips) {
		/* zeroed, so a failure half way frees only what was copied */
		t.vips = calloc(src->nvips, sizeof(*t.vips));
		if (!t.vips)
			goto nomem;
		t.nvips = src->nvips;
		for (i = 0; i < src->nvips; i++) {
			const struct xlb_cfg_vip *sv = &src->vips[i];
			struct xlb_cfg_ref *refs = NULL;

			if (sv->nrefs) {
				refs = malloc(sv->nrefs * sizeof(*refs));
				if (!refs)
					goto nomem;
				memcpy(refs, sv->refs,
				       sv->nrefs * sizeof(*refs));
			}
			t.vips[i] = *sv;
			t.vips[i].refs = refs;
		}
	}
	*dst = t;
	return 0;
nomem:
	xlb_cfg_free(&t);
	xlb_cfg_init(dst);
	return -ENOMEM;
}

struct xlb_cfg_vip *xlb_cfg_vip_find(const struct xlb_cfg *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nvips; i++)
		if (!strncmp(c->vips[i].name, name, XLB_NAME_MAX))
			return &c->vips[i];
	return NULL;
}

/*
 * Every table build, commit and audit looks backends up by id, once per
 * reference: a linear search made a commit of 10,000 backends quadratic.
 */
static void be_index(struct xlb_cfg *c)
{
	if (!c->be_pos)
		c->be_pos = malloc(XLB_MAX_BACKENDS * sizeof(*c->be_pos));
	if (!c->be_pos)
		return; /* the linear search still answers */
	memset(c->be_pos, 0, XLB_MAX_BACKENDS * sizeof(*c->be_pos));
	for (size_t i = 0; i < c->nbackends; i++)
		if (c->backends[i].id < XLB_MAX_BACKENDS &&
		    !c->be_pos[c->backends[i].id])
			c->be_pos[c->backends[i].id] = (__u32)i + 1;
}

struct xlb_cfg_backend *xlb_cfg_backend_find(const struct xlb_cfg *c, __u32 id)
{
	struct xlb_cfg *m = (struct xlb_cfg *)c; /* the index is a cache */
	size_t i;

	if (c->be_pos && id < XLB_MAX_BACKENDS) {
		i = c->be_pos[id];
		if (i && i <= c->nbackends && c->backends[i - 1].id == id)
			return &c->backends[i - 1];
	}
	for (i = 0; i < c->nbackends; i++)
		if (c->backends[i].id == id) {
			/* no index yet: build it; a stale entry: fix it */
			if (!c->be_pos && c->nbackends > 16)
				be_index(m);
			else if (c->be_pos && id < XLB_MAX_BACKENDS)
				m->be_pos[id] = (__u32)i + 1;
			return &c->backends[i];
		}
	return NULL;
}

/* Only the bytes the family uses: a model built in code may leave junk. */
bool cfg_addr_eq(__u8 family, const struct xlb_addr *a,
		 const struct xlb_addr *b)
{
	return family == XLB_AF_INET ? a->v4 == b->v4 :
				       !memcmp(a->bytes, b->bytes, 16);
}

static bool backend_eq(const struct xlb_cfg_backend *a,
		       const struct xlb_cfg_backend *b)
{
	return a->id == b->id && a->family == b->family &&
	       cfg_addr_eq(a->family, &a->addr, &b->addr) &&
	       a->has_mac == b->has_mac &&
	       (!a->has_mac || !memcmp(a->mac, b->mac, 6));
}

static const struct xlb_cfg_ref *ref_find(const struct xlb_cfg_vip *v,
					  size_t hint, __u32 id)
{
	size_t i;

	/* Same order is the common case: try the same index first. */
	if (hint < v->nrefs && v->refs[hint].id == id)
		return &v->refs[hint];
	for (i = 0; i < v->nrefs; i++)
		if (v->refs[i].id == id)
			return &v->refs[i];
	return NULL;
}

/* Both references' overrides, by value (their indexes may differ). */
static bool ref_check_eq(const struct xlb_cfg *ca, const struct xlb_cfg_ref *a,
			 const struct xlb_cfg *cb, const struct xlb_cfg_ref *b)
{
	const struct xlb_cfg_check *x = xlb_cfg_ref_check(ca, a);
	const struct xlb_cfg_check *y = xlb_cfg_ref_check(cb, b);

	if (!x || !y)
		return !x == !y;
	return xlb_cfg_check_eq(x, y);
}

static bool vip_eq(const struct xlb_cfg *ca, const struct xlb_cfg_vip *a,
		   const struct xlb_cfg *cb, const struct xlb_cfg_vip *b)
{
	size_t i;

	if (strncmp(a->name, b->name, XLB_NAME_MAX) || a->family != b->family ||
	    !cfg_addr_eq(a->family, &a->addr, &b->addr) || a->port != b->port ||
	    a->proto != b->proto || a->mode != b->mode ||
	    a->hash_fields != b->hash_fields || a->flags != b->flags ||
	    a->echo != b->echo || a->table_size != b->table_size ||
	    a->nrefs != b->nrefs || !xlb_cfg_check_eq(&a->check, &b->check))
		return false;
	for (i = 0; i < a->nrefs; i++) {
		const struct xlb_cfg_ref *r = ref_find(b, i, a->refs[i].id);

		if (!r || r->weight != a->refs[i].weight ||
		    r->drained != a->refs[i].drained ||
		    r->maint != a->refs[i].maint ||
		    r->backup != a->refs[i].backup ||
		    !ref_check_eq(ca, &a->refs[i], cb, r))
			return false;
	}
	return true;
}

static bool ep_eq(const struct xlb_cfg_endpoint *a,
		  const struct xlb_cfg_endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(&a->addr, &b->addr, sizeof(a->addr));
}

static bool sync_eq(const struct xlb_cfg_sync *a, const struct xlb_cfg_sync *b)
{
	if (a->enabled != b->enabled)
		return false;
	if (!a->enabled)
		return true;
	if (!ep_eq(&a->listen, &b->listen) || a->npeers != b->npeers ||
	    strncmp(a->key_file, b->key_file, XLB_PATH_MAX) ||
	    a->key_id != b->key_id || a->interval != b->interval)
		return false;
	for (size_t i = 0; i < a->npeers; i++)
		if (!ep_eq(&a->peers[i], &b->peers[i]))
			return false;
	return true;
}

bool xlb_cfg_equal(const struct xlb_cfg *a, const struct xlb_cfg *b)
{
	size_t i;

	if (strncmp(a->pin_dir, b->pin_dir, XLB_PATH_MAX) ||
	    a->hash_seed != b->hash_seed || a->maglev_size != b->maglev_size ||
	    a->mtu != b->mtu || a->ct_insert_rate != b->ct_insert_rate ||
	    a->ct_entries != b->ct_entries ||
	    a->ct_timeout_tcp != b->ct_timeout_tcp ||
	    a->ct_timeout_tcp_fin != b->ct_timeout_tcp_fin ||
	    a->ct_timeout_udp != b->ct_timeout_udp || a->encap_src4 != b->encap_src4 ||
	    memcmp(&a->encap_src6, &b->encap_src6, sizeof(a->encap_src6)) ||
	    strncmp(a->nexthop_ifname, b->nexthop_ifname, XLB_IFNAME_MAX) ||
	    a->nexthop_family != b->nexthop_family ||
	    (a->nexthop_family &&
	     !cfg_addr_eq(a->nexthop_family, &a->nexthop_addr,
			  &b->nexthop_addr)) ||
	    a->has_nexthop_mac != b->has_nexthop_mac ||
	    (a->has_nexthop_mac && memcmp(a->nexthop_mac, b->nexthop_mac, 6)) ||
	    a->metrics_port != b->metrics_port ||
	    a->metrics_family != b->metrics_family ||
	    (a->metrics_port &&
	     !cfg_addr_eq(a->metrics_family, &a->metrics_addr,
			  &b->metrics_addr)) ||
	    a->nbackends != b->nbackends || a->nvips != b->nvips ||
	    !sync_eq(&a->sync, &b->sync))
		return false;
	for (i = 0; i < a->nbackends; i++) {
		const struct xlb_cfg_backend *x = &a->backends[i];
		const struct xlb_cfg_backend *y = &b->backends[i];

		if (y->id != x->id)
			y = xlb_cfg_backend_find(b, x->id);
		if (!y || !backend_eq(x, y))
			return false;
	}
	for (i = 0; i < a->nvips; i++) {
		const struct xlb_cfg_vip *x = &a->vips[i];
		const struct xlb_cfg_vip *y = &b->vips[i];

		if (strncmp(x->name, y->name, XLB_NAME_MAX))
			y = xlb_cfg_vip_find(b, x->name);
		if (!y || !vip_eq(a, x, b, y))
			return false;
	}
	return true;
}

const char *xlb_admin_name(enum xlb_admin a)
{
	switch (a) {
	case XLB_ADMIN_DRAIN:
		return "drain";
	case XLB_ADMIN_MAINT:
		return "maint";
	default:
		return "ready";
	}
}

enum xlb_vip_serving xlb_cfg_vip_bench(const struct xlb_cfg *c,
				       struct xlb_cfg_vip *v)
{
	bool primary = false, backup = false;

	for (size_t k = 0; k < v->nrefs; k++) {
		const struct xlb_cfg_ref *r = &v->refs[k];

		if (!xlb_cfg_ref_fit_weight(c, r))
			continue;
		if (r->backup)
			backup = true;
		else
			primary = true;
	}
	/* backups serve only while no primary can; never in a fail open */
	for (size_t k = 0; k < v->nrefs; k++)
		v->refs[k].benched = v->refs[k].backup && (primary || !backup);
	if (primary)
		return XLB_SERVING_PRIMARY;
	return backup ? XLB_SERVING_BACKUP : XLB_SERVING_NONE;
}

void xlb_cfg_bench(struct xlb_cfg *c)
{
	for (size_t i = 0; i < c->nvips; i++)
		xlb_cfg_vip_bench(c, &c->vips[i]);
}
