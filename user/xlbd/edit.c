// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the model-edit API: each edit is begin (a deep copy of
 * the running model), a change to the copy, and commit (validate, apply,
 * take over), or the copy is freed and nothing changed.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/log.h"
#include "xlbd/audit.h"
#include "xlbd/edit.h"
#include "xlbd/health.h"

/* Who made the change, for the audit line. */
#define BY_SOCKET "control socket"

static void log_change(const char *change, void *by)
{
	pr_info("change: %s (by %s)\n", change, (const char *)by);
}

int xlb_edit_commit(struct xlbd *d, struct xlb_cfg *next, const char *by,
		    struct xlb_apply_stats *st, char *err, size_t errlen)
{
	struct xlb_apply_stats local;
	int rc;

	if (strcmp(next->pin_dir, d->running.pin_dir))
		return xlb_errf(err, errlen, -EINVAL,
				"pin_dir: changing it from %s to %s needs a "
				"restart of xlbd",
				d->running.pin_dir, next->pin_dir);
	/* health checks set every reference's down flag from their states */
	if (d->health) {
		rc = xlbd_health_prepare(d->health, next, err, errlen);
		if (rc)
			return rc;
	} else {
		/* backups stand by while a primary can serve (health does
		 * this itself, with the fail open) */
		xlb_cfg_bench(next);
	}
	/* xlb_apply validates the whole model before it touches a map */
	rc = xlb_apply(&d->maps, &d->running, next, st ? st : &local, err,
		       errlen);
	if (rc) {
		if (d->health)
			xlbd_health_abort(d->health);
		return rc;
	}
	/* the audit trail: one greppable line per change; the same words
	 * confirm the change to whoever asked for it */
	xlb_audit_diff(&d->running, next, log_change, (void *)(by ? by : BY_SOCKET));
	xlb_audit_text(&d->running, next, "; ", (st ? st : &local)->change,
		       sizeof(local.change));
	if (d->health)
		xlbd_health_commit(d->health, &d->running, next);
	xlb_cfg_free(&d->running);
	d->running = *next;
	xlb_cfg_init(next);
	return 0;
}

/* Starts an edit: a deep copy of the running model. */
static int begin(struct xlbd *d, struct xlb_cfg *c, char *err, size_t errlen)
{
	if (xlb_cfg_copy(c, &d->running))
		return xlb_errf(err, errlen, -ENOMEM, "out of memory");
	return 0;
}

/*
 * A refusal of an edit names the request, not the file the running model
 * came from: "demo.yaml: vips[3].table_size: ..." becomes
 * "vip add web4: table_size: ...". @err holds the model's message;
 * @source is the model's file, @vip the index of the VIP the request is
 * about (-1: none), whose "vips[N]." goes, as the request names it.
 */
static void name_request(char *err, size_t errlen, const char *label,
			 const char *source, long vip)
{
	char body[XLB_ERR_MAX], pre[32];
	const char *m = err;
	size_t n = strlen(source);

	if (!err || !errlen)
		return;
	if (n && !strncmp(m, source, n) && m[n] == ':') {
		m += n + 1;
		while (isdigit((unsigned char)*m))
			m++;
		if (*m == ':')
			m++;
		if (*m == ' ')
			m++;
	}
	if (vip >= 0) {
		snprintf(pre, sizeof(pre), "vips[%ld].", vip);
		if (!strncmp(m, pre, strlen(pre)))
			m += strlen(pre);
	}
	snprintf(body, sizeof(body), "%s", m);
	snprintf(err, errlen, "%s: %s", label, body);
}

/*
 * Ends an edit: commits @c, or frees it when @rc says the edit failed.
 * @label names the request in a refusal ("vip add web4"); @vip as above.
 */
static int end(struct xlbd *d, struct xlb_cfg *c, int rc, const char *label,
	       long vip, struct xlb_apply_stats *st, char *err, size_t errlen)
{
	char source[XLB_PATH_MAX];

	if (st)
		memset(st, 0, sizeof(*st));
	snprintf(source, sizeof(source), "%s",
		 c->source[0] ? c->source : "<config>");
	if (!rc) {
		rc = xlb_edit_commit(d, c, BY_SOCKET, st, err, errlen);
		if (rc)
			name_request(err, errlen, label, source, vip);
	}
	xlb_cfg_free(c);
	return rc;
}

static struct xlb_cfg_ref *ref_of(struct xlb_cfg_vip *v, __u32 id)
{
	for (size_t r = 0; v && r < v->nrefs; r++)
		if (v->refs[r].id == id)
			return &v->refs[r];
	return NULL;
}

static bool backend_used(const struct xlb_cfg *c, __u32 id)
{
	for (size_t i = 0; i < c->nvips; i++)
		if (ref_of(&c->vips[i], id))
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

static struct xlb_cfg_vip *vip_named(const struct xlb_cfg *c, const char *name)
{
	return name ? xlb_cfg_vip_find(c, name) : NULL;
}

int xlb_edit_vip_add(struct xlbd *d, const struct xlb_cfg_vip *v,
		     struct xlb_apply_stats *st, char *err, size_t errlen)
{
	char label[XLB_NAME_MAX + 16];
	struct xlb_cfg_vip *nv;
	struct xlb_cfg c;
	int rc;

	if (v->nrefs)
		return xlb_errf(err, errlen, -EINVAL,
				"vip add %s: add its backends one by one",
				v->name);
	if (vip_named(&d->running, v->name))
		return xlb_errf(err, errlen, -EEXIST,
				"vip add: %s: a VIP of that name exists",
				v->name);
	rc = begin(d, &c, err, errlen);
	if (rc)
		return rc;
	nv = realloc(c.vips, (c.nvips + 1) * sizeof(*nv));
	if (!nv) {
		rc = xlb_errf(err, errlen, -ENOMEM, "out of memory");
	} else {
		c.vips = nv;
		c.vips[c.nvips] = *v;
		c.vips[c.nvips].refs = NULL;
		c.vips[c.nvips].line = 0; /* not from the file */
		c.nvips++;
	}
	snprintf(label, sizeof(label), "vip add %s", v->name);
	return end(d, &c, rc, label, (long)c.nvips - 1, st, err, errlen);
}

int xlb_edit_vip_del(struct xlbd *d, const char *name,
		     struct xlb_apply_stats *st, char *err, size_t errlen)
{
	char label[XLB_NAME_MAX + 16];
	struct xlb_cfg_vip *v;
	struct xlb_cfg c;
	size_t i;
	int rc;

	if (!vip_named(&d->running, name))
		return xlb_errf(err, errlen, -ENOENT, "vip del: no VIP named %s",
				name ? name : "(none)");
	rc = begin(d, &c, err, errlen);
	if (rc)
		return rc;
	v = vip_named(&c, name);
	i = (size_t)(v - c.vips);
	free(v->refs);
	memmove(v, v + 1, (c.nvips - i - 1) * sizeof(*v));
	c.nvips--;
	/* backends only this VIP used leave the pool with it (a backend the
	 * file lists without a VIP stays) */
	for (size_t b = c.nbackends; b-- > 0;)
		if (!backend_used(&c, c.backends[b].id) &&
		    backend_used(&d->running, c.backends[b].id))
			drop_backend(&c, c.backends[b].id);
	snprintf(label, sizeof(label), "vip del %s", name);
	return end(d, &c, 0, label, -1, st, err, errlen);
}

int xlb_edit_backend_add(struct xlbd *d, const char *vip,
			 const struct xlb_cfg_backend *b, bool has_addr,
			 __u32 weight, bool backup, struct xlb_apply_stats *st,
			 char *err, size_t errlen)
{
	char label[XLB_NAME_MAX + 32];
	const struct xlb_cfg_backend *pool;
	struct xlb_cfg_backend *grown;
	struct xlb_cfg_ref *refs;
	char a[XLB_ADDR_STRLEN];
	struct xlb_cfg_vip *v;
	struct xlb_cfg c;
	int rc;

	if (!vip_named(&d->running, vip))
		return xlb_errf(err, errlen, -ENOENT,
				"backend add: no VIP named %s",
				vip ? vip : "(none)");
	/* refusals are decided on the running model, before any copy */
	pool = xlb_cfg_backend_find(&d->running, b->id);
	if (!pool && !has_addr)
		return xlb_errf(err, errlen, -EINVAL,
				"backend add %u: address: needed for a backend "
				"not yet in the pool", b->id);
	if (pool && has_addr &&
	    (pool->family != b->family ||
	     memcmp(&pool->addr, &b->addr, sizeof(b->addr))))
		return xlb_errf(err, errlen, -EEXIST,
				"backend add %u: id %u is %s already; a stable "
				"id names one server", b->id, b->id,
				xlb_addr_str(&pool->addr, pool->family, a,
					     sizeof(a)));
	if (ref_of(vip_named(&d->running, vip), b->id))
		return xlb_errf(err, errlen, -EEXIST,
				"backend add %u: VIP %s has it already", b->id,
				vip);
	rc = begin(d, &c, err, errlen);
	if (rc)
		return rc;
	snprintf(label, sizeof(label), "backend add %s %u%s", vip, b->id,
		 backup ? " (backup)" : "");
	if (!pool) {
		grown = realloc(c.backends, (c.nbackends + 1) * sizeof(*grown));
		if (!grown)
			return end(d, &c, xlb_errf(err, errlen, -ENOMEM,
						   "out of memory"),
				   label, -1, st, err, errlen);
		c.backends = grown;
		c.backends[c.nbackends] = *b;
		c.backends[c.nbackends].down = false;
		c.backends[c.nbackends].line = 0;
		c.nbackends++;
	}
	v = vip_named(&c, vip);
	refs = realloc(v->refs, (v->nrefs + 1) * sizeof(*refs));
	if (!refs)
		return end(d, &c, xlb_errf(err, errlen, -ENOMEM, "out of memory"),
			   label, -1, st, err, errlen);
	v->refs = refs;
	v->refs[v->nrefs++] = (struct xlb_cfg_ref){ .id = b->id,
						    .weight = weight,
						    .backup = backup };
	return end(d, &c, 0, label, v - c.vips, st, err, errlen);
}

int xlb_edit_backend_del(struct xlbd *d, const char *vip, __u32 id,
			 struct xlb_apply_stats *st, char *err, size_t errlen)
{
	char label[XLB_NAME_MAX + 32];
	struct xlb_cfg_vip *v;
	struct xlb_cfg_ref *r;
	struct xlb_cfg c;
	int rc;

	if (!vip_named(&d->running, vip))
		return xlb_errf(err, errlen, -ENOENT,
				"backend del: no VIP named %s",
				vip ? vip : "(none)");
	if (!ref_of(vip_named(&d->running, vip), id))
		return xlb_errf(err, errlen, -ENOENT,
				"backend del: VIP %s has no backend %u", vip, id);
	rc = begin(d, &c, err, errlen);
	if (rc)
		return rc;
	v = vip_named(&c, vip);
	r = ref_of(v, id);
	memmove(r, r + 1, (v->nrefs - (size_t)(r - v->refs) - 1) * sizeof(*r));
	v->nrefs--;
	if (!backend_used(&c, id))
		drop_backend(&c, id);
	snprintf(label, sizeof(label), "backend del %s %u", vip, id);
	return end(d, &c, 0, label, v - c.vips, st, err, errlen);
}

/* The reference @id of @vip in the running model, or NULL with @err set. */
static const struct xlb_cfg_ref *running_ref(struct xlbd *d, const char *what,
					     const char *vip, __u32 id, char *err,
					     size_t errlen)
{
	const struct xlb_cfg_ref *r;

	if (!vip_named(&d->running, vip)) {
		xlb_errf(err, errlen, -ENOENT, "backend %s: no VIP named %s",
			 what, vip ? vip : "(none)");
		return NULL;
	}
	r = ref_of(vip_named(&d->running, vip), id);
	if (!r)
		xlb_errf(err, errlen, -ENOENT,
			 "backend %s: VIP %s has no backend %u", what, vip, id);
	return r;
}

/* weight, drain, undrain, maint, unmaint: one edit of the reference. */
static int set_ref(struct xlbd *d, const char *what, const char *vip,
		   __u32 id, __u32 weight, bool drained, bool maint,
		   struct xlb_apply_stats *st, char *err, size_t errlen)
{
	char label[XLB_NAME_MAX + 32];
	struct xlb_cfg_vip *v;
	struct xlb_cfg_ref *r;
	struct xlb_cfg c;
	int rc = begin(d, &c, err, errlen);

	if (rc)
		return rc;
	v = vip_named(&c, vip);
	r = ref_of(v, id);
	r->weight = weight;
	r->drained = drained;
	r->maint = maint;
	snprintf(label, sizeof(label), "backend %s %s %u", what, vip, id);
	return end(d, &c, 0, label, v - c.vips, st, err, errlen);
}

int xlb_edit_backend_weight(struct xlbd *d, const char *vip, __u32 id,
			    __u32 weight, struct xlb_apply_stats *st, char *err,
			    size_t errlen)
{
	const struct xlb_cfg_ref *r = running_ref(d, "weight", vip, id, err,
						  errlen);

	if (!r)
		return -ENOENT;
	if (weight > XLB_WEIGHT_MAX)
		return xlb_errf(err, errlen, -EINVAL,
				"backend weight %u: weight: 0..%d", id,
				XLB_WEIGHT_MAX);
	return set_ref(d, "weight", vip, id, weight, false, r->maint, st, err,
		       errlen);
}

int xlb_edit_backend_drain(struct xlbd *d, const char *vip, __u32 id,
			   struct xlb_apply_stats *st, char *err, size_t errlen)
{
	const struct xlb_cfg_ref *r = running_ref(d, "drain", vip, id, err,
						  errlen);

	if (!r)
		return -ENOENT;
	if (r->drained || !r->weight)
		return xlb_errf(err, errlen, -EALREADY,
				"backend drain %u: already drained", id);
	return set_ref(d, "drain", vip, id, r->weight, true, r->maint, st, err,
		       errlen);
}

int xlb_edit_backend_undrain(struct xlbd *d, const char *vip, __u32 id,
			     struct xlb_apply_stats *st, char *err,
			     size_t errlen)
{
	const struct xlb_cfg_ref *r = running_ref(d, "undrain", vip, id, err,
						  errlen);

	if (!r)
		return -ENOENT;
	/* a weight set to 0 by hand has nothing to restore: 1 serves again */
	return set_ref(d, "undrain", vip, id, r->weight ? r->weight : 1, false,
		       r->maint, st, err, errlen);
}

int xlb_edit_backend_maint(struct xlbd *d, const char *vip, __u32 id,
			   bool maint, struct xlb_apply_stats *st, char *err,
			   size_t errlen)
{
	const char *what = maint ? "maint" : "unmaint";
	const struct xlb_cfg_ref *r = running_ref(d, what, vip, id, err,
						  errlen);

	if (!r)
		return -ENOENT;
	if (r->maint == maint)
		return xlb_errf(err, errlen, -EALREADY,
				"backend %s %u: %s in maintenance", what, id,
				maint ? "already" : "not");
	return set_ref(d, what, vip, id, r->weight, r->drained, maint, st, err,
		       errlen);
}

int xlb_edit_backend_health(struct xlbd *d, __u32 id, bool up,
			    struct xlb_apply_stats *st, char *err,
			    size_t errlen)
{
	const struct xlb_cfg_backend *b = xlb_cfg_backend_find(&d->running, id);
	char label[32];
	struct xlb_cfg c;
	int rc;

	if (st)
		memset(st, 0, sizeof(*st));
	if (!b)
		return xlb_errf(err, errlen, -ENOENT,
				"backend %s %u: no backend %u in the pool",
				up ? "up" : "down", id, id);
	if (b->down == !up)
		return 0;
	rc = begin(d, &c, err, errlen);
	if (rc)
		return rc;
	xlb_cfg_backend_find(&c, id)->down = !up;
	snprintf(label, sizeof(label), "backend %s %u", up ? "up" : "down", id);
	return end(d, &c, 0, label, -1, st, err, errlen);
}

int xlb_edit_health_sync(struct xlbd *d, const char *by,
			 struct xlb_apply_stats *st, char *err, size_t errlen)
{
	struct xlb_cfg c;
	int rc;

	if (st)
		memset(st, 0, sizeof(*st));
	rc = begin(d, &c, err, errlen);
	if (rc)
		return rc;
	rc = xlb_edit_commit(d, &c, by, st, err, errlen);
	xlb_cfg_free(&c);
	return rc;
}

void xlb_edit_keep_health(const struct xlb_cfg *running, struct xlb_cfg *next)
{
	for (size_t i = 0; i < next->nvips; i++) {
		struct xlb_cfg_vip *v = &next->vips[i];
		const struct xlb_cfg_vip *o = xlb_cfg_vip_find(running, v->name);

		for (size_t k = 0; o && k < v->nrefs; k++) {
			const struct xlb_cfg_ref *r = ref_of(
				(struct xlb_cfg_vip *)o, v->refs[k].id);

			if (r)
				v->refs[k].down = r->down;
		}
	}
	for (size_t i = 0; i < next->nbackends; i++) {
		struct xlb_cfg_backend *n = &next->backends[i];
		const struct xlb_cfg_backend *o =
			xlb_cfg_backend_find(running, n->id);

		if (o && o->family == n->family &&
		    !memcmp(&o->addr, &n->addr, sizeof(n->addr)))
			n->down = o->down;
	}
}
