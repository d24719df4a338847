// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the audit trail's diff-to-text: every change between two
 * models as one sentence, so the log says what an edit or reload did and
 * "grep 'change: backend weight web'" finds it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/parse.h"
#include "xlbd/audit.h"

#define CHANGE_MAX 256

struct audit {
	xlb_audit_fn fn;
	void *arg;
	size_t n;
};

static void say(struct audit *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct audit *a, const char *fmt, ...)
{
	char line[CHANGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	a->n++;
	if (a->fn)
		a->fn(line, a->arg);
}

static const char *addr_of(const struct xlb_addr *ad, __u8 family, char *buf,
			   size_t len)
{
	return xlb_addr_str(ad, family, buf, len);
}

/* "192.0.2.10:80/tcp", "[2001:db8::10]:any/udp" */
static const char *vip_where(const struct xlb_cfg_vip *v, char *buf, size_t len)
{
	char a[XLB_ADDR_STRLEN], port[8];
	const char *proto = xlb_word_name(xlb_words_proto, v->proto);

	addr_of(&v->addr, v->family, a, sizeof(a));
	if (v->port)
		snprintf(port, sizeof(port), "%u", v->port);
	else
		snprintf(port, sizeof(port), "any");
	snprintf(buf, len,
		 v->family == XLB_AF_INET6 ? "[%s]:%s/%s" : "%s:%s/%s", a, port,
		 proto ? proto : "?");
	return buf;
}

static void num(struct audit *a, const char *what, __u64 x, __u64 y)
{
	if (x != y)
		say(a, "%s %llu -> %llu", what, (unsigned long long)x,
		    (unsigned long long)y);
}

static void word(struct audit *a, const char *what, const struct xlb_word *t,
		 __u32 x, __u32 y)
{
	const char *wx = xlb_word_name(t, x), *wy = xlb_word_name(t, y);

	if (x != y)
		say(a, "%s %s -> %s", what, wx ? wx : "?", wy ? wy : "?");
}

static void yesno(struct audit *a, const char *what, bool x, bool y)
{
	if (x != y)
		say(a, "%s %s -> %s", what, x ? "true" : "false",
		    y ? "true" : "false");
}

static void globals(struct audit *a, const struct xlb_cfg *o,
		    const struct xlb_cfg *n)
{
	char x[XLB_ADDR_STRLEN], y[XLB_ADDR_STRLEN];
	struct xlb_addr ox = { .v4 = o->encap_src4 },
			ny = { .v4 = n->encap_src4 };

	num(a, "hash_seed", o->hash_seed, n->hash_seed);
	num(a, "maglev_size", o->maglev_size, n->maglev_size);
	num(a, "mtu", o->mtu, n->mtu);
	num(a, "conntrack.insert_rate", o->ct_insert_rate, n->ct_insert_rate);
	num(a, "conntrack.entries", o->ct_entries, n->ct_entries);
	num(a, "conntrack.timeout_tcp", o->ct_timeout_tcp, n->ct_timeout_tcp);
	num(a, "conntrack.timeout_tcp_fin", o->ct_timeout_tcp_fin,
	    n->ct_timeout_tcp_fin);
	num(a, "conntrack.timeout_udp", o->ct_timeout_udp, n->ct_timeout_udp);
	if (o->encap_src4 != n->encap_src4)
		say(a, "encap.source4 %s -> %s",
		    o->encap_src4 ? addr_of(&ox, XLB_AF_INET, x, sizeof(x)) :
				    "unset",
		    n->encap_src4 ? addr_of(&ny, XLB_AF_INET, y, sizeof(y)) :
				    "unset");
	if (memcmp(&o->encap_src6, &n->encap_src6, sizeof(n->encap_src6)))
		say(a, "encap.source6 %s -> %s",
		    addr_of(&o->encap_src6, XLB_AF_INET6, x, sizeof(x)),
		    addr_of(&n->encap_src6, XLB_AF_INET6, y, sizeof(y)));
	if (o->has_nexthop_mac != n->has_nexthop_mac ||
	    memcmp(o->nexthop_mac, n->nexthop_mac, 6) ||
	    strcmp(o->nexthop_ifname, n->nexthop_ifname) ||
	    o->nexthop_family != n->nexthop_family ||
	    memcmp(&o->nexthop_addr, &n->nexthop_addr, sizeof(n->nexthop_addr)))
		say(a, "nexthop changed");
	yesno(a, "allow_empty", o->allow_empty, n->allow_empty);
	if (o->metrics_port != n->metrics_port ||
	    o->metrics_family != n->metrics_family ||
	    memcmp(&o->metrics_addr, &n->metrics_addr, sizeof(n->metrics_addr)))
		say(a, "metrics.listen changed");
}

static void pool(struct audit *a, const struct xlb_cfg *o,
		 const struct xlb_cfg *n)
{
	char x[XLB_ADDR_STRLEN], y[XLB_ADDR_STRLEN];

	for (size_t i = 0; i < o->nbackends; i++)
		if (!xlb_cfg_backend_find(n, o->backends[i].id))
			say(a, "backend %u left the pool (%s)",
			    o->backends[i].id,
			    addr_of(&o->backends[i].addr, o->backends[i].family,
				    x, sizeof(x)));
	for (size_t i = 0; i < n->nbackends; i++) {
		const struct xlb_cfg_backend *nb = &n->backends[i];
		const struct xlb_cfg_backend *ob =
			xlb_cfg_backend_find(o, nb->id);

		addr_of(&nb->addr, nb->family, y, sizeof(y));
		if (!ob) {
			say(a, "backend %u joined the pool (%s)", nb->id, y);
			continue;
		}
		if (ob->family != nb->family ||
		    memcmp(&ob->addr, &nb->addr, sizeof(nb->addr)))
			say(a, "backend %u address %s -> %s", nb->id,
			    addr_of(&ob->addr, ob->family, x, sizeof(x)), y);
		if (ob->has_mac != nb->has_mac || memcmp(ob->mac, nb->mac, 6))
			say(a, "backend %u mac changed", nb->id);
		if (ob->down != nb->down)
			say(a, "backend %s %u", nb->down ? "down" : "up",
			    nb->id);
	}
}

static const struct xlb_cfg_ref *ref_in(const struct xlb_cfg_vip *v, __u32 id)
{
	for (size_t r = 0; r < v->nrefs; r++)
		if (v->refs[r].id == id)
			return &v->refs[r];
	return NULL;
}

static void refs(struct audit *a, const struct xlb_cfg_vip *o,
		 const struct xlb_cfg_vip *n)
{
	for (size_t r = 0; r < o->nrefs; r++)
		if (!ref_in(n, o->refs[r].id))
			say(a, "backend %u removed from %s", o->refs[r].id,
			    n->name);
	for (size_t r = 0; r < n->nrefs; r++) {
		const struct xlb_cfg_ref *nr = &n->refs[r];
		const struct xlb_cfg_ref * or = ref_in(o, nr->id);

		if (! or) {
			say(a, "backend %u added to %s (weight %u%s%s)", nr->id,
			    n->name, nr->weight,
			    nr->drained ? ", drained" : "",
			    nr->maint ? ", maint" : "");
			continue;
		}
		if (or->weight != nr->weight)
			say(a, "backend weight %s %u %u -> %u", n->name, nr->id,
			    or->weight, nr->weight);
		if (or->drained != nr->drained)
			say(a, "backend %s %s %u",
			    nr->drained ? "drain" : "undrain", n->name, nr->id);
		if (or->down != nr->down)
			say(a, "backend %s %s %u (health)",
			    nr->down ? "down" : "up", n->name, nr->id);
		if (or->maint != nr->maint)
			say(a, "backend %s %s %u",
			    nr->maint ? "maint" : "unmaint", n->name, nr->id);
		/* the agent's own admin state and weight, beside the file's */
		if (or->agent_admin != nr->agent_admin)
			say(a, "backend %s %s %u (agent)",
			    xlb_admin_name(nr->agent_admin), n->name, nr->id);
		if (or->agent_pct_set != nr->agent_pct_set ||
		    or->agent_pct != nr->agent_pct) {
			if (nr->agent_pct_set)
				say(a, "backend weight %s %u %u%% (agent)",
				    n->name, nr->id, nr->agent_pct);
			else
				say(a, "backend weight %s %u 100%% (agent gone)",
				    n->name, nr->id);
		}
	}
}

static void vips(struct audit *a, const struct xlb_cfg *o,
		 const struct xlb_cfg *n)
{
	char w[XLB_ADDR_STRLEN + 16], what[XLB_NAME_MAX + 24];

	for (size_t i = 0; i < o->nvips; i++)
		if (!xlb_cfg_vip_find(n, o->vips[i].name))
			say(a, "-VIP %s (%s)", o->vips[i].name,
			    vip_where(&o->vips[i], w, sizeof(w)));
	for (size_t i = 0; i < n->nvips; i++) {
		const struct xlb_cfg_vip *nv = &n->vips[i];
		const struct xlb_cfg_vip *ov = xlb_cfg_vip_find(o, nv->name);

		if (!ov) {
			say(a, "+VIP %s (%s, %zu backends)", nv->name,
			    vip_where(nv, w, sizeof(w)), nv->nrefs);
			continue;
		}
		if (ov->family != nv->family || ov->port != nv->port ||
		    ov->proto != nv->proto ||
		    memcmp(&ov->addr, &nv->addr, sizeof(nv->addr))) {
			char was[XLB_ADDR_STRLEN + 16];

			say(a, "vip %s %s -> %s", nv->name,
			    vip_where(ov, was, sizeof(was)),
			    vip_where(nv, w, sizeof(w)));
		}
		snprintf(what, sizeof(what), "vip %s mode", nv->name);
		word(a, what, xlb_words_mode, ov->mode, nv->mode);
		snprintf(what, sizeof(what), "vip %s hash", nv->name);
		word(a, what, xlb_words_hash, ov->hash_fields, nv->hash_fields);
		snprintf(what, sizeof(what), "vip %s table_size", nv->name);
		num(a, what, ov->table_size, nv->table_size);
		snprintf(what, sizeof(what), "vip %s conntrack", nv->name);
		yesno(a, what, !(ov->flags & XLB_VIP_F_NO_CONNTRACK),
		      !(nv->flags & XLB_VIP_F_NO_CONNTRACK));
		snprintf(what, sizeof(what), "vip %s echo", nv->name);
		yesno(a, what, ov->echo, nv->echo);
		refs(a, ov, nv);
	}
}

size_t xlb_audit_diff(const struct xlb_cfg *old, const struct xlb_cfg *new,
		      xlb_audit_fn fn, void *arg)
{
	struct audit a = { .fn = fn, .arg = arg };

	globals(&a, old, new);
	vips(&a, old, new);
	pool(&a, old, new);
	return a.n;
}

struct joined {
	const char *sep;
	char *out;
	size_t len, used;
	bool cut;
};

static void join(const char *change, void *arg)
{
	struct joined *j = arg;
	size_t need = strlen(change) + (j->used ? strlen(j->sep) : 0);

	if (j->cut)
		return;
	if (j->used + need + 4 >= j->len) {
		/* room for "..." was kept */
		if (j->len > j->used + 3)
			snprintf(j->out + j->used, j->len - j->used, "...");
		j->cut = true;
		return;
	}
	j->used += (size_t)snprintf(j->out + j->used, j->len - j->used, "%s%s",
				    j->used ? j->sep : "", change);
}

size_t xlb_audit_text(const struct xlb_cfg *old, const struct xlb_cfg *new,
		      const char *sep, char *out, size_t outlen)
{
	struct joined j = { .sep = sep, .out = out, .len = outlen };

	if (outlen)
		out[0] = '\0';
	return xlb_audit_diff(old, new, outlen ? join : NULL, &j);
}
