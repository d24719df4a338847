// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the config model's life cycle (init, free, copy, equal),
 * its YAML reader and writer (libyaml) and the validator that the reader and
 * the daemon's live changes share.
 *
 * The reader loads the whole document into libyaml's node graph and walks it
 * with one key table per mapping: every key is known or an error, so a typo
 * never falls back to a default. A check that needs one value runs where the
 * value is read, with its line; a check that spans values (unique ids and
 * names, references, families) runs in xlb_cfg_validate() on the finished
 * model, with the lines stored in it. Range rules live in one table (struct
 * num_rule) used by both, so the two cannot drift apart.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "lib/addr.h"
#include "config/config.h"
#include "lib/maglev.h"

/* IPv4's minimum datagram every host must accept; below it nothing works. */
#define CFG_MTU_MIN 576
#define CFG_MTU_MAX 65535
/* Below 1024 entries the LRU thrashes at once; above 2^26 it costs GiBs. */
#define CFG_CT_MIN 1024
#define CFG_CT_MAX (1u << 26)
/* A config this big is a mistake (or an attack), not a load balancer. */
#define CFG_FILE_MAX (64u << 20)
/* Longest field path: "vips[1023].backends[16382].weight" and room. */
#define FIELD_MAX 128
#define WHY_MAX 192

/* ------------------------------------------------------------------ */
/* Rules shared by the reader and the validator                        */
/* ------------------------------------------------------------------ */

struct num_rule {
	__u64 min, max;
	const char *zero; /* non-NULL: 0 is allowed too, and means this */
	bool prime;
};

static const struct num_rule R_U32 = { 0, UINT32_MAX, NULL, false };
static const struct num_rule R_MAGLEV = { 3, XLB_MAGLEV_MAX_SIZE, NULL, true };
static const struct num_rule R_MTU = { CFG_MTU_MIN, CFG_MTU_MAX, "no check",
				       false };
static const struct num_rule R_CT = { CFG_CT_MIN, CFG_CT_MAX, NULL, false };
static const struct num_rule R_PORT = { 1, 65535, "every port", false };
static const struct num_rule R_BACKEND_ID = { 1, XLB_MAX_BACKENDS - 1, NULL,
					      false };
static const struct num_rule R_WEIGHT = { 0, XLB_WEIGHT_MAX, NULL, false };

/* Returns 0 if @v obeys @r, else -EINVAL with the reason in @why. */
static int num_check(const struct num_rule *r, __u64 v, char *why, size_t n)
{
	__u64 p;

	if (r->zero && v == 0)
		return 0;
	if (v < r->min || v > r->max) {
		if (r->zero)
			snprintf(why, n, "%llu is out of range: 0 (%s) or %llu..%llu",
				 v, r->zero, r->min, r->max);
		else
			snprintf(why, n, "%llu is out of range %llu..%llu", v,
				 r->min, r->max);
		return -EINVAL;
	}
	if (!r->prime || xlb_is_prime((__u32)v))
		return 0;
	/* Maglev needs a prime: name the next one, to save a lookup */
	for (p = v + 1; p <= r->max && !xlb_is_prime((__u32)p); p++)
		;
	if (p <= r->max)
		snprintf(why, n, "%llu is not a prime (the next prime is %llu)",
			 v, p);
	else
		snprintf(why, n, "%llu is not a prime", v);
	return -EINVAL;
}

static int rule_pin_dir(const char *s, size_t len, char *why, size_t n)
{
	if (len >= XLB_PATH_MAX) {
		snprintf(why, n, "longer than %d characters", XLB_PATH_MAX - 1);
		return -EINVAL;
	}
	if (len == 0 || s[0] != '/') {
		snprintf(why, n, "must be an absolute path");
		return -EINVAL;
	}
	return 0;
}

/* What the CLI and the stats accept as a name, without quoting. */
static int rule_vip_name(const char *s, size_t len, char *why, size_t n)
{
	size_t i;

	if (len == 0) {
		snprintf(why, n, "empty");
		return -EINVAL;
	}
	if (len >= XLB_NAME_MAX) {
		snprintf(why, n, "longer than %d characters", XLB_NAME_MAX - 1);
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
		    ch == '-')
			continue;
		if (ch > 0x20 && ch < 0x7f)
			snprintf(why, n,
				 "'%c' is not allowed: use A-Z a-z 0-9 _ . -",
				 ch);
		else
			snprintf(why, n,
				 "byte 0x%02x is not allowed: use A-Z a-z 0-9 _ . -",
				 (unsigned char)ch);
		return -EINVAL;
	}
	return 0;
}

/* The kernel's dev_valid_name(), so a name we accept can exist. */
static int rule_ifname(const char *s, size_t len, char *why, size_t n)
{
	size_t i;

	if (len == 0 || len >= XLB_IFNAME_MAX) {
		snprintf(why, n, "an interface name has 1..%d characters",
			 XLB_IFNAME_MAX - 1);
		return -EINVAL;
	}
	if (!strcmp(s, ".") || !strcmp(s, "..")) {
		snprintf(why, n, "\"%s\" is not an interface name", s);
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		if (s[i] == '/' || s[i] == ':' || (unsigned char)s[i] <= ' ') {
			snprintf(why, n, "an interface name has no '/', ':' or blanks");
			return -EINVAL;
		}
	}
	return 0;
}

/* Next hops and backends are single hosts: no zero, multicast or broadcast. */
static int rule_mac(const __u8 mac[6], char *why, size_t n)
{
	static const __u8 zero[6];

	if (!memcmp(mac, zero, 6) || (mac[0] & 1)) {
		snprintf(why, n, "must be a unicast MAC address, not all zero, multicast or broadcast");
		return -EINVAL;
	}
	return 0;
}

/* The next hop is a MAC, or an interface and an address to resolve it on. */
static int rule_nexthop(const struct xlb_cfg *c, char *why, size_t n)
{
	bool has_if = c->nexthop_ifname[0] != '\0';
	bool has_addr = c->nexthop_family != 0;

	if (has_if != has_addr) {
		snprintf(why, n,
			 "%s without %s: give both to resolve the next hop's MAC, or a mac alone",
			 has_if ? "interface" : "address",
			 has_if ? "address" : "interface");
		return -EINVAL;
	}
	return 0;
}

/*
 * The outer source varies its low 16 (IPv4) or 32 (IPv6) bits per flow, so
 * it covers a whole /16 or /96. A next hop inside it would see some flows
 * arrive "from itself" and drop them as martians: about 1 flow in 65536
 * black-holed, every retransmission hashing the same way.
 */
static int rule_encap_prefix(const struct xlb_cfg *c, char *why, size_t n)
{
	char a[XLB_ADDR_STRLEN];

	if (c->nexthop_family == XLB_AF_INET && c->encap_src4 &&
	    !((c->nexthop_addr.v4 ^ c->encap_src4) & htonl(0xffff0000))) {
		snprintf(why, n,
			 "its /16 holds the next hop %s; use a /16 of the LB's own",
			 xlb_addr_str(&c->nexthop_addr, XLB_AF_INET, a,
				      sizeof(a)));
		return -EINVAL;
	}
	if (c->nexthop_family == XLB_AF_INET6 &&
	    (c->encap_src6.v6[0] || c->encap_src6.v6[1] ||
	     c->encap_src6.v6[2] || c->encap_src6.v6[3]) &&
	    !memcmp(c->nexthop_addr.bytes, c->encap_src6.bytes, 12)) {
		snprintf(why, n,
			 "its /96 holds the next hop %s; use a /96 of the LB's own",
			 xlb_addr_str(&c->nexthop_addr, XLB_AF_INET6, a,
				      sizeof(a)));
		return -EINVAL;
	}
	return 0;
}

static bool family_ok(__u8 family)
{
	return family == XLB_AF_INET || family == XLB_AF_INET6;
}

static const char *family_name(__u8 family)
{
	return family == XLB_AF_INET ? "IPv4" : "IPv6";
}

/* Enumerations of the file format, name <-> value. */
struct enum_val {
	const char *name;
	__u32 val;
};

static const struct enum_val E_PROTO[] = {
	{ "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP },
	{ NULL, 0 },
};

static const struct enum_val E_MODE[] = {
	{ "tunnel", XLB_FWD_TUNNEL },
	{ "l2dsr", XLB_FWD_L2DSR },
	{ NULL, 0 },
};

static const struct enum_val E_HASH[] = {
	{ "5tuple", XLB_HASH_5TUPLE },
	{ "source", XLB_HASH_SOURCE },
	{ NULL, 0 },
};

static const char *enum_name(const struct enum_val *e, __u32 val)
{
	for (; e->name; e++)
		if (e->val == val)
			return e->name;
	return NULL;
}

/* "tcp, udp": the choices, for messages. */
static void enum_list(const struct enum_val *e, char *buf, size_t n)
{
	size_t used = 0;
	int w;

	buf[0] = '\0';
	for (; e->name && used < n; e++) {
		w = snprintf(buf + used, n - used, "%s%s", used ? ", " : "",
			     e->name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* ------------------------------------------------------------------ */
/* Model life cycle                                                    */
/* ------------------------------------------------------------------ */

void xlb_cfg_init(struct xlb_cfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->pin_dir, sizeof(c->pin_dir), "%s", XLB_DEFAULT_PIN_DIR);
	c->maglev_size = XLB_MAGLEV_DEFAULT_SIZE;
	c->mtu = 1500;
	c->ct_entries = XLB_DEFAULT_CT_ENTRIES;
}

void xlb_cfg_free(struct xlb_cfg *c)
{
	size_t i;

	for (i = 0; i < c->nvips; i++)
		free(c->vips[i].refs);
	free(c->vips);
	free(c->backends);
	xlb_cfg_init(c);
}

int xlb_cfg_copy(struct xlb_cfg *dst, const struct xlb_cfg *src)
{
	struct xlb_cfg t = *src;
	size_t i;

	t.backends = NULL;
	t.nbackends = 0;
	t.vips = NULL;
	t.nvips = 0;
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

struct xlb_cfg_backend *xlb_cfg_backend_find(const struct xlb_cfg *c, __u32 id)
{
	size_t i;

	for (i = 0; i < c->nbackends; i++)
		if (c->backends[i].id == id)
			return &c->backends[i];
	return NULL;
}

/* Only the bytes the family uses: a model built in code may leave junk. */
static bool addr_eq(__u8 family, const struct xlb_addr *a,
		    const struct xlb_addr *b)
{
	return family == XLB_AF_INET ? a->v4 == b->v4 :
				       !memcmp(a->bytes, b->bytes, 16);
}

static bool backend_eq(const struct xlb_cfg_backend *a,
		       const struct xlb_cfg_backend *b)
{
	return a->id == b->id && a->family == b->family &&
	       addr_eq(a->family, &a->addr, &b->addr) &&
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

static bool vip_eq(const struct xlb_cfg_vip *a, const struct xlb_cfg_vip *b)
{
	size_t i;

	if (strncmp(a->name, b->name, XLB_NAME_MAX) || a->family != b->family ||
	    !addr_eq(a->family, &a->addr, &b->addr) || a->port != b->port ||
	    a->proto != b->proto || a->mode != b->mode ||
	    a->hash_fields != b->hash_fields || a->flags != b->flags ||
	    a->echo != b->echo || a->table_size != b->table_size ||
	    a->nrefs != b->nrefs)
		return false;
	for (i = 0; i < a->nrefs; i++) {
		const struct xlb_cfg_ref *r = ref_find(b, i, a->refs[i].id);

		if (!r || r->weight != a->refs[i].weight)
			return false;
	}
	return true;
}

bool xlb_cfg_equal(const struct xlb_cfg *a, const struct xlb_cfg *b)
{
	size_t i;

	if (strncmp(a->pin_dir, b->pin_dir, XLB_PATH_MAX) ||
	    a->hash_seed != b->hash_seed || a->maglev_size != b->maglev_size ||
	    a->mtu != b->mtu || a->ct_insert_rate != b->ct_insert_rate ||
	    a->ct_entries != b->ct_entries || a->encap_src4 != b->encap_src4 ||
	    memcmp(&a->encap_src6, &b->encap_src6, sizeof(a->encap_src6)) ||
	    strncmp(a->nexthop_ifname, b->nexthop_ifname, XLB_IFNAME_MAX) ||
	    a->nexthop_family != b->nexthop_family ||
	    (a->nexthop_family &&
	     !addr_eq(a->nexthop_family, &a->nexthop_addr, &b->nexthop_addr)) ||
	    a->has_nexthop_mac != b->has_nexthop_mac ||
	    (a->has_nexthop_mac && memcmp(a->nexthop_mac, b->nexthop_mac, 6)) ||
	    a->nbackends != b->nbackends || a->nvips != b->nvips)
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
		if (!y || !vip_eq(x, y))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

/* "FILE:LINE: FIELD: why", or "FILE: FIELD: why" when no line is known. */
static void vmsg(char *err, size_t errlen, const char *file, int line,
		 const char *field, const char *fmt, va_list ap)
{
	int n;

	if (!err || !errlen)
		return;
	if (line > 0)
		n = snprintf(err, errlen, "%s:%d: %s: ", file, line, field);
	else
		n = snprintf(err, errlen, "%s: %s: ", file, field);
	if (n < 0) {
		err[0] = '\0';
		return;
	}
	if ((size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
}

static void msg(char *err, size_t errlen, const char *file, int line,
		const char *field, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void msg(char *err, size_t errlen, const char *file, int line,
		const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(err, errlen, file, line, field, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Validation                                                          */
/* ------------------------------------------------------------------ */

/* A set of backend ids, on the stack: at most 8 KiB (ids are < 65536). */
struct idset {
	__u64 w[(XLB_MAX_BACKENDS + 63) / 64];
};

static bool idset_has(const struct idset *s, __u32 id)
{
	return s->w[id / 64] >> (id % 64) & 1;
}

static void idset_add(struct idset *s, __u32 id)
{
	s->w[id / 64] |= 1ull << (id % 64);
}

static void idset_del(struct idset *s, __u32 id)
{
	s->w[id / 64] &= ~(1ull << (id % 64));
}

struct vctx {
	const char *file;
	char *err;
	size_t errlen;
};

static int verr(const struct vctx *v, int line, const char *field,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int verr(const struct vctx *v, int line, const char *field,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(v->err, v->errlen, v->file, line, field, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int validate_globals(const struct vctx *v, const struct xlb_cfg *c)
{
	char why[WHY_MAX];

	if (rule_pin_dir(c->pin_dir, strnlen(c->pin_dir, XLB_PATH_MAX), why,
			 sizeof(why)))
		return verr(v, 0, "pin_dir", "%s", why);
	if (num_check(&R_MAGLEV, c->maglev_size, why, sizeof(why)))
		return verr(v, 0, "maglev_size", "%s", why);
	if (num_check(&R_MTU, c->mtu, why, sizeof(why)))
		return verr(v, 0, "mtu", "%s", why);
	if (num_check(&R_CT, c->ct_entries, why, sizeof(why)))
		return verr(v, 0, "conntrack.entries", "%s", why);
	if (c->nexthop_ifname[0] &&
	    rule_ifname(c->nexthop_ifname,
			strnlen(c->nexthop_ifname, XLB_IFNAME_MAX), why,
			sizeof(why)))
		return verr(v, 0, "nexthop.interface", "%s", why);
	if (c->nexthop_family && !family_ok(c->nexthop_family))
		return verr(v, 0, "nexthop.address", "unknown family %u",
			    c->nexthop_family);
	if (c->has_nexthop_mac && rule_mac(c->nexthop_mac, why, sizeof(why)))
		return verr(v, 0, "nexthop.mac", "%s", why);
	if (rule_nexthop(c, why, sizeof(why)))
		return verr(v, 0, "nexthop", "%s", why);
	if (rule_encap_prefix(c, why, sizeof(why)))
		return verr(v, 0, c->nexthop_family == XLB_AF_INET ?
					  "encap.source4" : "encap.source6",
			    "%s", why);
	return 0;
}

static int validate_backends(const struct vctx *v, const struct xlb_cfg *c,
			     struct idset *pool, struct idset *v4)
{
	char why[WHY_MAX], field[FIELD_MAX];
	size_t i, j;

	for (i = 0; i < c->nbackends; i++) {
		const struct xlb_cfg_backend *be = &c->backends[i];

		snprintf(field, sizeof(field), "backends[%zu].id", i);
		if (num_check(&R_BACKEND_ID, be->id, why, sizeof(why)))
			return verr(v, be->line, field, "%s", why);
		if (idset_has(pool, be->id)) {
			for (j = 0; j < i && c->backends[j].id != be->id; j++)
				;
			return verr(v, be->line, field,
				    "duplicate id %u (also backends[%zu], line %d)",
				    be->id, j, c->backends[j].line);
		}
		snprintf(field, sizeof(field), "backends[%zu].address", i);
		if (!family_ok(be->family))
			return verr(v, be->line, field, "unknown family %u",
				    be->family);
		snprintf(field, sizeof(field), "backends[%zu].mac", i);
		if (be->has_mac && rule_mac(be->mac, why, sizeof(why)))
			return verr(v, be->line, field, "%s", why);
		idset_add(pool, be->id);
		if (be->family == XLB_AF_INET)
			idset_add(v4, be->id);
	}
	return 0;
}

/*
 * One VIP's own fields, and that its name and key are not taken before it.
 * @naddrs counts the distinct VIP addresses so far (a map of their own).
 */
static int validate_vip(const struct vctx *v, const struct xlb_cfg *c, size_t i,
			size_t *naddrs)
{
	const struct xlb_cfg_vip *vip = &c->vips[i];
	char why[WHY_MAX], field[FIELD_MAX];
	bool new_addr = true;
	size_t j;

	snprintf(field, sizeof(field), "vips[%zu].name", i);
	if (rule_vip_name(vip->name, strnlen(vip->name, XLB_NAME_MAX), why,
			  sizeof(why)))
		return verr(v, vip->line, field, "%s", why);
	for (j = 0; j < i; j++)
		if (!strncmp(c->vips[j].name, vip->name, XLB_NAME_MAX))
			return verr(v, vip->line, field,
				    "\"%s\" is already the name of vips[%zu] (line %d)",
				    vip->name, j, c->vips[j].line);
	snprintf(field, sizeof(field), "vips[%zu].address", i);
	if (!family_ok(vip->family))
		return verr(v, vip->line, field, "unknown family %u",
			    vip->family);
	snprintf(field, sizeof(field), "vips[%zu].protocol", i);
	if (!enum_name(E_PROTO, vip->proto))
		return verr(v, vip->line, field, "protocol %u is not tcp or udp",
			    vip->proto);
	for (j = 0; j < i; j++) {
		const struct xlb_cfg_vip *o = &c->vips[j];
		char a[XLB_ADDR_STRLEN];

		if (o->family != vip->family ||
		    !addr_eq(vip->family, &o->addr, &vip->addr))
			continue;
		new_addr = false;
		/* echo is a flag of the address (xlb_vip_addrs), not the VIP */
		if (o->echo != vip->echo) {
			snprintf(field, sizeof(field), "vips[%zu].echo", i);
			return verr(v, vip->line, field,
				    "%s, but vips[%zu] \"%s\" (line %d) on the same address says %s: echo is answered per address, so they must agree",
				    vip->echo ? "true" : "false", j, o->name,
				    o->line, o->echo ? "true" : "false");
		}
		if (o->port != vip->port || o->proto != vip->proto)
			continue;
		snprintf(field, sizeof(field), "vips[%zu]", i);
		return verr(v, vip->line, field,
			    "%s port %u/%s is already vips[%zu] \"%s\" (line %d)",
			    xlb_addr_str(&vip->addr, vip->family, a, sizeof(a)),
			    vip->port, enum_name(E_PROTO, vip->proto), j,
			    o->name, o->line);
	}
	if (new_addr && ++*naddrs > XLB_MAX_VIP_ADDRS) {
		snprintf(field, sizeof(field), "vips[%zu].address", i);
		return verr(v, vip->line, field,
			    "more than %d distinct VIP addresses",
			    XLB_MAX_VIP_ADDRS);
	}
	snprintf(field, sizeof(field), "vips[%zu].mode", i);
	if (!enum_name(E_MODE, vip->mode))
		return verr(v, vip->line, field, "unknown mode %u", vip->mode);
	snprintf(field, sizeof(field), "vips[%zu].hash", i);
	if (!enum_name(E_HASH, vip->hash_fields))
		return verr(v, vip->line, field,
			    "hash fields 0x%x are neither 5tuple nor source",
			    vip->hash_fields);
	snprintf(field, sizeof(field), "vips[%zu].conntrack", i);
	if (vip->flags & ~XLB_VIP_F_ALL)
		return verr(v, vip->line, field, "unknown flags 0x%x",
			    vip->flags & ~XLB_VIP_F_ALL);
	snprintf(field, sizeof(field), "vips[%zu].table_size", i);
	if (num_check(&R_MAGLEV, vip->table_size, why, sizeof(why)))
		return verr(v, vip->line, field, "%s", why);
	snprintf(field, sizeof(field), "vips[%zu].backends", i);
	if (vip->nrefs > vip->table_size)
		return verr(v, vip->line, field,
			    "%zu backends do not fit a table of %u slots",
			    vip->nrefs, vip->table_size);
	if (vip->nrefs && !vip->refs)
		return verr(v, vip->line, field, "%zu backends but no list",
			    vip->nrefs);
	return 0;
}

/* The VIP's references: known, once each, weights, families it can carry. */
static int validate_refs(const struct vctx *v, const struct xlb_cfg *c,
			 size_t i, const struct idset *pool,
			 const struct idset *v4, struct idset *used)
{
	const struct xlb_cfg_vip *vip = &c->vips[i];
	char why[WHY_MAX], field[FIELD_MAX];
	int ret = 0;
	size_t k, j;

	for (k = 0; k < vip->nrefs && !ret; k++) {
		const struct xlb_cfg_ref *r = &vip->refs[k];
		int line = r->line ? r->line : vip->line;
		__u8 fam;

		snprintf(field, sizeof(field), "vips[%zu].backends[%zu].id", i,
			 k);
		if (num_check(&R_BACKEND_ID, r->id, why, sizeof(why))) {
			ret = verr(v, line, field, "%s", why);
			break;
		}
		if (!idset_has(pool, r->id)) {
			ret = verr(v, line, field, "no backend %u in the pool",
				   r->id);
			break;
		}
		if (idset_has(used, r->id)) {
			for (j = 0; j < k && vip->refs[j].id != r->id; j++)
				;
			ret = verr(v, line, field,
				   "backend %u is listed twice (also backends[%zu], line %d)",
				   r->id, j,
				   vip->refs[j].line ? vip->refs[j].line :
						       vip->line);
			break;
		}
		idset_add(used, r->id);
		snprintf(field, sizeof(field), "vips[%zu].backends[%zu].weight",
			 i, k);
		if (num_check(&R_WEIGHT, r->weight, why, sizeof(why))) {
			ret = verr(v, line, field, "%s", why);
			break;
		}
		fam = idset_has(v4, r->id) ? XLB_AF_INET : XLB_AF_INET6;
		/* drained backends count: conntrack still sends them flows */
		if (vip->mode == XLB_FWD_TUNNEL && fam == XLB_AF_INET &&
		    !c->encap_src4)
			ret = verr(v, line, "encap.source4",
				   "not set, but vips[%zu] \"%s\" tunnels to IPv4 backend %u (vips[%zu].backends[%zu])",
				   i, vip->name, r->id, i, k);
		else if (vip->mode == XLB_FWD_TUNNEL && fam == XLB_AF_INET6 &&
			 !c->encap_src6.v6[0] && !c->encap_src6.v6[1] &&
			 !c->encap_src6.v6[2] && !c->encap_src6.v6[3])
			ret = verr(v, line, "encap.source6",
				   "not set, but vips[%zu] \"%s\" tunnels to IPv6 backend %u (vips[%zu].backends[%zu])",
				   i, vip->name, r->id, i, k);
		else if (vip->mode == XLB_FWD_L2DSR && fam != vip->family) {
			snprintf(field, sizeof(field),
				 "vips[%zu].backends[%zu].id", i, k);
			ret = verr(v, line, field,
				   "backend %u is %s but the VIP is %s: l2dsr only rewrites the MAC, so the families must match (or use mode: tunnel)",
				   r->id, family_name(fam),
				   family_name(vip->family));
		}
	}
	/* Leave @used empty for the next VIP; cheaper than clearing 8 KiB. */
	for (j = 0; j < vip->nrefs; j++)
		if (vip->refs[j].id < XLB_MAX_BACKENDS)
			idset_del(used, vip->refs[j].id);
	return ret;
}

int xlb_cfg_validate(const struct xlb_cfg *c, char *err, size_t errlen)
{
	struct vctx v = {
		.file = c->source[0] ? c->source : "<config>",
		.err = err,
		.errlen = errlen,
	};
	struct idset pool, v4, used;
	char field[FIELD_MAX];
	size_t i, naddrs = 0;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	ret = validate_globals(&v, c);
	if (ret)
		return ret;
	if (c->nbackends && !c->backends)
		return verr(&v, 0, "backends", "%zu backends but no list",
			    c->nbackends);
	if (c->nvips && !c->vips)
		return verr(&v, 0, "vips", "%zu VIPs but no list", c->nvips);
	memset(&pool, 0, sizeof(pool));
	memset(&v4, 0, sizeof(v4));
	memset(&used, 0, sizeof(used));
	ret = validate_backends(&v, c, &pool, &v4);
	if (ret)
		return ret;
	if (c->nvips > XLB_MAX_VIPS) {
		snprintf(field, sizeof(field), "vips[%d]", XLB_MAX_VIPS);
		return verr(&v, c->vips[XLB_MAX_VIPS].line, field,
			    "%zu VIPs, at most %d fit the maps", c->nvips,
			    XLB_MAX_VIPS);
	}
	for (i = 0; i < c->nvips; i++) {
		ret = validate_vip(&v, c, i, &naddrs);
		if (!ret)
			ret = validate_refs(&v, c, i, &pool, &v4, &used);
		if (ret)
			return ret;
	}
	/*
	 * Packet-too-big advertises mtu minus the tunnel header (up to 40
	 * bytes); IPv6 hosts ignore values below 1280 (RFC 8201), so their
	 * large packets would be lost without a word.
	 */
	for (i = 0; c->mtu && c->mtu < XLB_MTU_MIN_V6 && i < c->nvips; i++)
		if (c->vips[i].family == XLB_AF_INET6 &&
		    c->vips[i].mode == XLB_FWD_TUNNEL)
			return verr(&v, 0, "mtu",
				    "%u leaves IPv6 VIP \"%s\" a packet-too-big "
				    "MTU below 1280, which IPv6 hosts ignore; "
				    "use at least %u, or 0 for no check",
				    c->mtu, c->vips[i].name, XLB_MTU_MIN_V6);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Reader                                                              */
/* ------------------------------------------------------------------ */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* Keys one mapping may hold; walk_map() tracks them in a fixed array. */
#define KEYS_MAX 16
/* A value quoted in a message: 48 bytes of it at most. */
#define SHOWN_MAX 56

struct pctx {
	const char *file;
	yaml_document_t *doc;
	char *err;
	size_t errlen;
};

struct key_spec;
typedef int (*key_fn)(struct pctx *p, const struct key_spec *ks,
		      yaml_node_t *key, yaml_node_t *val, const char *field,
		      void *obj);

/* One key a mapping may hold, as in xdp-tools' option tables. */
struct key_spec {
	const char *key;
	key_fn parse;
	size_t off; /* where the generic parsers store the value in obj */
	const void *arg; /* struct num_rule or struct enum_val[], if used */
	const char *need; /* NULL: optional; else required, and what it holds */
};

static int node_line(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

static int perr(struct pctx *p, const yaml_node_t *n, const char *field,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int perr(struct pctx *p, const yaml_node_t *n, const char *field,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(p->err, p->errlen, p->file, node_line(n), field, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int pnomem(struct pctx *p, const yaml_node_t *n, const char *field)
{
	perr(p, n, field, "out of memory");
	return -ENOMEM;
}

/* The words YAML reads as null when they stand unquoted. */
static bool null_word(const char *v)
{
	return !v[0] || !strcmp(v, "~") || !strcmp(v, "null") ||
	       !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/* YAML's null: an empty value, ~ or null, unquoted. */
static bool is_null(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       null_word((const char *)n->data.scalar.value);
}

/* A scalar for a message: quoted, cut short, control bytes shown as '?'. */
static const char *shown(const yaml_node_t *n, char *buf, size_t len)
{
	const unsigned char *s = n->data.scalar.value;
	size_t i, o = 0;

	buf[o++] = '"';
	for (i = 0; i < n->data.scalar.length && o + 5 < len; i++)
		buf[o++] = s[i] < 0x20 || s[i] == 0x7f ? '?' : (char)s[i];
	if (i < n->data.scalar.length) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* What a node is, for "expected X, got Y". */
static const char *kind(const yaml_node_t *n, char *buf, size_t len)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (is_null(n))
		return "no value";
	return shown(n, buf, len);
}

static int want_scalar(struct pctx *p, yaml_node_t *n, const char *field,
		       const char *what, const char **out)
{
	char b[SHOWN_MAX];

	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return perr(p, n, field, "expected %s, got %s", what,
			    kind(n, b, sizeof(b)));
	/* "\0" in a double-quoted string would cut every C string short */
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return perr(p, n, field, "expected %s, got a value with a NUL byte",
			    what);
	*out = (const char *)n->data.scalar.value;
	return 0;
}

/*
 * Decimal or 0x hex and nothing else: no sign, blanks or exponent, and no
 * leading zero, which YAML 1.1 would read as octal and a reader might too.
 */
static int parse_u64(const char *s, __u64 *out)
{
	unsigned int base = 10, d;
	__u64 v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && s[1]) {
		return -EINVAL;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

static int get_num(struct pctx *p, yaml_node_t *n, const char *field,
		   const struct num_rule *r, __u64 *out)
{
	char b[SHOWN_MAX], why[WHY_MAX];
	const char *s;
	__u64 v;
	int ret;

	ret = want_scalar(p, n, field, "a number", &s);
	if (ret)
		return ret;
	ret = parse_u64(s, &v);
	if (ret == -ERANGE)
		return perr(p, n, field, "%s is too large",
			    shown(n, b, sizeof(b)));
	if (ret && s[0] == '0' && s[1] >= '0' && s[1] <= '9')
		return perr(p, n, field,
			    "%s: a leading 0 reads as octal to some; write it without, or in hex with 0x",
			    shown(n, b, sizeof(b)));
	if (ret)
		return perr(p, n, field,
			    "expected a number (decimal, or hex with 0x), got %s",
			    shown(n, b, sizeof(b)));
	if (num_check(r, v, why, sizeof(why)))
		return perr(p, n, field, "%s", why);
	*out = v;
	return 0;
}

static int get_bool(struct pctx *p, yaml_node_t *n, const char *field,
		    bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	char b[SHOWN_MAX];
	const char *s;
	size_t i;
	int ret;

	ret = want_scalar(p, n, field, "true or false", &s);
	if (ret)
		return ret;
	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return perr(p, n, field, "expected true or false, got %s",
		    shown(n, b, sizeof(b)));
}

/* @want: XLB_AF_INET or XLB_AF_INET6 to insist on one family, 0 for any. */
static int get_addr(struct pctx *p, yaml_node_t *n, const char *field,
		    __u8 want, struct xlb_addr *out, __u8 *family)
{
	const char *what = want == XLB_AF_INET	? "an IPv4 address" :
			   want == XLB_AF_INET6 ? "an IPv6 address" :
						  "an IPv4 or IPv6 address";
	char b[SHOWN_MAX];
	struct xlb_addr a;
	const char *s;
	__u8 fam;
	int ret;

	ret = want_scalar(p, n, field, what, &s);
	if (ret)
		return ret;
	if (xlb_addr_parse(s, &a, &fam) || (want && fam != want))
		return perr(p, n, field, "expected %s, got %s", what,
			    shown(n, b, sizeof(b)));
	*out = a;
	*family = fam;
	return 0;
}

static int get_mac(struct pctx *p, yaml_node_t *n, const char *field,
		   __u8 mac[6])
{
	char b[SHOWN_MAX], why[WHY_MAX];
	const char *s;
	__u8 m[6];
	int ret;

	ret = want_scalar(p, n, field, "a MAC address", &s);
	if (ret)
		return ret;
	if (xlb_mac_parse(s, m))
		return perr(p, n, field,
			    "expected a MAC address like 02:00:00:00:00:01, got %s",
			    shown(n, b, sizeof(b)));
	if (rule_mac(m, why, sizeof(why)))
		return perr(p, n, field, "%s %s", shown(n, b, sizeof(b)), why);
	memcpy(mac, m, 6);
	return 0;
}

static void key_list(const struct key_spec *keys, size_t nkeys, char *buf,
		     size_t n)
{
	size_t i, used = 0;
	int w;

	buf[0] = '\0';
	for (i = 0; i < nkeys && used < n; i++) {
		w = snprintf(buf + used, n - used, "%s%s", i ? ", " : "",
			     keys[i].key);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/*
 * Parses mapping @map into @obj with @keys: every key must be in the table
 * and appear once, and every required one must be there. @path is the
 * mapping's field name ("" at the top, "vips[0]", "conntrack").
 */
static int walk_map(struct pctx *p, yaml_node_t *map, const char *path,
		    const struct key_spec *keys, size_t nkeys, void *obj)
{
	char field[FIELD_MAX], b[SHOWN_MAX], list[256];
	const char *where = path[0] ? path : "(top level)";
	int first[KEYS_MAX] = { 0 }; /* line each key was seen on; 0: not yet */
	yaml_node_pair_t *pr;
	size_t i;
	int ret;

	if (nkeys > KEYS_MAX)
		return perr(p, map, where, "too many keys in a key table");
	if (map->type != YAML_MAPPING_NODE)
		return perr(p, map, where, "expected a mapping (key: value), got %s",
			    kind(map, b, sizeof(b)));
	for (pr = map->data.mapping.pairs.start;
	     pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(p->doc, pr->value);
		const char *name;

		if (!k || !v)
			return perr(p, map, where, "broken YAML document");
		if (k->type != YAML_SCALAR_NODE)
			return perr(p, k, where, "a key must be a word, got %s",
				    kind(k, b, sizeof(b)));
		name = (const char *)k->data.scalar.value;
		snprintf(field, sizeof(field), "%s%s%s", path,
			 path[0] ? "." : "", name);
		for (i = 0; i < nkeys; i++)
			if (!strcmp(keys[i].key, name) &&
			    strlen(name) == k->data.scalar.length)
				break;
		if (i == nkeys) {
			key_list(keys, nkeys, list, sizeof(list));
			return perr(p, k, field, "unknown key (known here: %s)",
				    list);
		}
		if (first[i])
			return perr(p, k, field, "given twice (first on line %d)",
				    first[i]);
		first[i] = node_line(k);
		ret = keys[i].parse(p, &keys[i], k, v, field, obj);
		if (ret)
			return ret;
	}
	for (i = 0; i < nkeys; i++) {
		if (first[i] || !keys[i].need)
			continue;
		snprintf(field, sizeof(field), "%s%s%s", path,
			 path[0] ? "." : "", keys[i].key);
		return perr(p, map, field, "missing (%s)", keys[i].need);
	}
	return 0;
}

/* The items of a list; an empty value is an empty list. */
static int get_seq(struct pctx *p, yaml_node_t *n, const char *field,
		   size_t *len)
{
	char b[SHOWN_MAX];

	if (is_null(n)) {
		*len = 0;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return perr(p, n, field, "expected a list, got %s",
			    kind(n, b, sizeof(b)));
	*len = (size_t)(n->data.sequence.items.top -
			n->data.sequence.items.start);
	return 0;
}

static yaml_node_t *seq_item(struct pctx *p, yaml_node_t *n, size_t i)
{
	return yaml_document_get_node(p->doc, n->data.sequence.items.start[i]);
}

/* Generic parsers: the value goes to obj + ks->off. */

static int k_u32(struct pctx *p, const struct key_spec *ks, yaml_node_t *key,
		 yaml_node_t *val, const char *field, void *obj)
{
	__u64 v;
	int ret;

	(void)key;
	ret = get_num(p, val, field, ks->arg, &v);
	if (!ret)
		*(__u32 *)((char *)obj + ks->off) = (__u32)v;
	return ret;
}

static int k_bool(struct pctx *p, const struct key_spec *ks, yaml_node_t *key,
		  yaml_node_t *val, const char *field, void *obj)
{
	(void)key;
	return get_bool(p, val, field, (bool *)((char *)obj + ks->off));
}

static int k_enum8(struct pctx *p, const struct key_spec *ks, yaml_node_t *key,
		   yaml_node_t *val, const char *field, void *obj)
{
	char list[96], what[112], b[SHOWN_MAX];
	const struct enum_val *e;
	const char *s;
	int ret;

	(void)key;
	enum_list(ks->arg, list, sizeof(list));
	snprintf(what, sizeof(what), "one of %s", list);
	ret = want_scalar(p, val, field, what, &s);
	if (ret)
		return ret;
	for (e = ks->arg; e->name; e++) {
		if (!strcasecmp(e->name, s)) {
			*((__u8 *)obj + ks->off) = (__u8)e->val;
			return 0;
		}
	}
	return perr(p, val, field, "expected %s, got %s", what,
		    shown(val, b, sizeof(b)));
}

/* Global settings */

static int k_pin_dir(struct pctx *p, const struct key_spec *ks,
		     yaml_node_t *key, yaml_node_t *val, const char *field,
		     void *obj)
{
	struct xlb_cfg *c = obj;
	char why[WHY_MAX];
	const char *s;
	int ret;

	(void)ks;
	(void)key;
	ret = want_scalar(p, val, field, "an absolute path", &s);
	if (ret)
		return ret;
	if (rule_pin_dir(s, strlen(s), why, sizeof(why)))
		return perr(p, val, field, "%s", why);
	snprintf(c->pin_dir, sizeof(c->pin_dir), "%s", s);
	return 0;
}

static const struct key_spec CT_KEYS[] = {
	{ "entries", k_u32, offsetof(struct xlb_cfg, ct_entries), &R_CT, NULL },
	{ "insert_rate", k_u32, offsetof(struct xlb_cfg, ct_insert_rate),
	  &R_U32, NULL },
};

static int k_conntrack(struct pctx *p, const struct key_spec *ks,
		       yaml_node_t *key, yaml_node_t *val, const char *field,
		       void *obj)
{
	(void)ks;
	(void)key;
	if (is_null(val))
		return 0;
	return walk_map(p, val, field, CT_KEYS, ARRAY_SIZE(CT_KEYS), obj);
}

static int k_src4(struct pctx *p, const struct key_spec *ks, yaml_node_t *key,
		  yaml_node_t *val, const char *field, void *obj)
{
	struct xlb_cfg *c = obj;
	struct xlb_addr a;
	__u8 fam;
	int ret;

	(void)ks;
	(void)key;
	memset(&a, 0, sizeof(a));
	ret = get_addr(p, val, field, XLB_AF_INET, &a, &fam);
	if (ret)
		return ret;
	/* 0 is how the model says "unset" */
	if (!a.v4)
		return perr(p, val, field,
			    "0.0.0.0 cannot be a source; leave the key out instead");
	c->encap_src4 = a.v4;
	return 0;
}

static int k_src6(struct pctx *p, const struct key_spec *ks, yaml_node_t *key,
		  yaml_node_t *val, const char *field, void *obj)
{
	static const struct xlb_addr zero;
	struct xlb_cfg *c = obj;
	struct xlb_addr a;
	__u8 fam;
	int ret;

	(void)ks;
	(void)key;
	memset(&a, 0, sizeof(a));
	ret = get_addr(p, val, field, XLB_AF_INET6, &a, &fam);
	if (ret)
		return ret;
	if (!memcmp(&a, &zero, sizeof(a)))
		return perr(p, val, field,
			    ":: cannot be a source; leave the key out instead");
	c->encap_src6 = a;
	return 0;
}

static const struct key_spec ENCAP_KEYS[] = {
	{ "source4", k_src4, 0, NULL, NULL },
	{ "source6", k_src6, 0, NULL, NULL },
};

static int k_encap(struct pctx *p, const struct key_spec *ks, yaml_node_t *key,
		   yaml_node_t *val, const char *field, void *obj)
{
	(void)ks;
	(void)key;
	if (is_null(val))
		return 0;
	return walk_map(p, val, field, ENCAP_KEYS, ARRAY_SIZE(ENCAP_KEYS), obj);
}

static int k_nh_mac(struct pctx *p, const struct key_spec *ks,
		    yaml_node_t *key, yaml_node_t *val, const char *field,
		    void *obj)
{
	struct xlb_cfg *c = obj;
	int ret;

	(void)ks;
	(void)key;
	ret = get_mac(p, val, field, c->nexthop_mac);
	if (!ret)
		c->has_nexthop_mac = true;
	return ret;
}

static int k_nh_if(struct pctx *p, const struct key_spec *ks, yaml_node_t *key,
		   yaml_node_t *val, const char *field, void *obj)
{
	struct xlb_cfg *c = obj;
	char why[WHY_MAX];
	const char *s;
	int ret;

	(void)ks;
	(void)key;
	ret = want_scalar(p, val, field, "an interface name", &s);
	if (ret)
		return ret;
	if (rule_ifname(s, strlen(s), why, sizeof(why)))
		return perr(p, val, field, "%s", why);
	snprintf(c->nexthop_ifname, sizeof(c->nexthop_ifname), "%s", s);
	return 0;
}

static int k_nh_addr(struct pctx *p, const struct key_spec *ks,
		     yaml_node_t *key, yaml_node_t *val, const char *field,
		     void *obj)
{
	struct xlb_cfg *c = obj;

	(void)ks;
	(void)key;
	return get_addr(p, val, field, 0, &c->nexthop_addr,
			&c->nexthop_family);
}

static const struct key_spec NH_KEYS[] = {
	{ "mac", k_nh_mac, 0, NULL, NULL },
	{ "interface", k_nh_if, 0, NULL, NULL },
	{ "address", k_nh_addr, 0, NULL, NULL },
};

static int k_nexthop(struct pctx *p, const struct key_spec *ks,
		     yaml_node_t *key, yaml_node_t *val, const char *field,
		     void *obj)
{
	char why[WHY_MAX];
	int ret;

	(void)ks;
	if (is_null(val))
		return 0;
	ret = walk_map(p, val, field, NH_KEYS, ARRAY_SIZE(NH_KEYS), obj);
	if (ret)
		return ret;
	/* checked here too, where the line of "nexthop:" is known */
	if (rule_nexthop(obj, why, sizeof(why)))
		return perr(p, key, field, "%s", why);
	return 0;
}

/* The backend pool */

static int k_be_addr(struct pctx *p, const struct key_spec *ks,
		     yaml_node_t *key, yaml_node_t *val, const char *field,
		     void *obj)
{
	struct xlb_cfg_backend *be = obj;

	(void)ks;
	(void)key;
	return get_addr(p, val, field, 0, &be->addr, &be->family);
}

static int k_be_mac(struct pctx *p, const struct key_spec *ks,
		    yaml_node_t *key, yaml_node_t *val, const char *field,
		    void *obj)
{
	struct xlb_cfg_backend *be = obj;
	int ret;

	(void)ks;
	(void)key;
	ret = get_mac(p, val, field, be->mac);
	if (!ret)
		be->has_mac = true;
	return ret;
}

static const struct key_spec BE_KEYS[] = {
	{ "id", k_u32, offsetof(struct xlb_cfg_backend, id), &R_BACKEND_ID,
	  "the backend's id, the same on every node" },
	{ "address", k_be_addr, 0, NULL, "the backend's IPv4 or IPv6 address" },
	{ "mac", k_be_mac, 0, NULL, NULL },
};

static int k_backends(struct pctx *p, const struct key_spec *ks,
		      yaml_node_t *key, yaml_node_t *val, const char *field,
		      void *obj)
{
	struct xlb_cfg *c = obj;
	char path[FIELD_MAX];
	size_t i, n;
	int ret;

	(void)ks;
	(void)key;
	ret = get_seq(p, val, field, &n);
	if (ret || !n)
		return ret;
	c->backends = calloc(n, sizeof(*c->backends));
	if (!c->backends)
		return pnomem(p, val, field);
	c->nbackends = n;
	for (i = 0; i < n; i++) {
		yaml_node_t *item = seq_item(p, val, i);
		struct xlb_cfg_backend *be = &c->backends[i];

		snprintf(path, sizeof(path), "%s[%zu]", field, i);
		if (!item)
			return perr(p, val, path, "broken YAML document");
		be->line = node_line(item);
		ret = walk_map(p, item, path, BE_KEYS, ARRAY_SIZE(BE_KEYS), be);
		if (ret)
			return ret;
	}
	return 0;
}

/* VIPs */

static int k_vip_name(struct pctx *p, const struct key_spec *ks,
		      yaml_node_t *key, yaml_node_t *val, const char *field,
		      void *obj)
{
	struct xlb_cfg_vip *vip = obj;
	char why[WHY_MAX];
	const char *s;
	int ret;

	(void)ks;
	(void)key;
	ret = want_scalar(p, val, field, "a name", &s);
	if (ret)
		return ret;
	if (rule_vip_name(s, strlen(s), why, sizeof(why)))
		return perr(p, val, field, "%s", why);
	snprintf(vip->name, sizeof(vip->name), "%s", s);
	return 0;
}

static int k_vip_addr(struct pctx *p, const struct key_spec *ks,
		      yaml_node_t *key, yaml_node_t *val, const char *field,
		      void *obj)
{
	struct xlb_cfg_vip *vip = obj;

	(void)ks;
	(void)key;
	return get_addr(p, val, field, 0, &vip->addr, &vip->family);
}

static int k_port(struct pctx *p, const struct key_spec *ks, yaml_node_t *key,
		  yaml_node_t *val, const char *field, void *obj)
{
	struct xlb_cfg_vip *vip = obj;
	__u64 v;
	int ret;

	(void)ks;
	(void)key;
	if (val->type == YAML_SCALAR_NODE &&
	    !strcasecmp((const char *)val->data.scalar.value, "any")) {
		vip->port = 0;
		return 0;
	}
	ret = get_num(p, val, field, &R_PORT, &v);
	if (!ret)
		vip->port = (__u16)v;
	return ret;
}

static int k_vip_ct(struct pctx *p, const struct key_spec *ks,
		    yaml_node_t *key, yaml_node_t *val, const char *field,
		    void *obj)
{
	struct xlb_cfg_vip *vip = obj;
	bool on;
	int ret;

	(void)ks;
	(void)key;
	ret = get_bool(p, val, field, &on);
	if (ret)
		return ret;
	if (on)
		vip->flags &= ~XLB_VIP_F_NO_CONNTRACK;
	else
		vip->flags |= XLB_VIP_F_NO_CONNTRACK;
	return 0;
}

static const struct key_spec REF_KEYS[] = {
	{ "id", k_u32, offsetof(struct xlb_cfg_ref, id), &R_BACKEND_ID,
	  "the id of a backend in the pool" },
	{ "weight", k_u32, offsetof(struct xlb_cfg_ref, weight), &R_WEIGHT,
	  NULL },
};

static int k_refs(struct pctx *p, const struct key_spec *ks, yaml_node_t *key,
		  yaml_node_t *val, const char *field, void *obj)
{
	struct xlb_cfg_vip *vip = obj;
	char path[FIELD_MAX];
	size_t i, n;
	int ret;

	(void)ks;
	(void)key;
	ret = get_seq(p, val, field, &n);
	if (ret || !n)
		return ret;
	vip->refs = calloc(n, sizeof(*vip->refs));
	if (!vip->refs)
		return pnomem(p, val, field);
	vip->nrefs = n;
	for (i = 0; i < n; i++) {
		yaml_node_t *item = seq_item(p, val, i);
		struct xlb_cfg_ref *r = &vip->refs[i];

		snprintf(path, sizeof(path), "%s[%zu]", field, i);
		if (!item)
			return perr(p, val, path, "broken YAML document");
		r->line = node_line(item);
		r->weight = 1;
		ret = walk_map(p, item, path, REF_KEYS, ARRAY_SIZE(REF_KEYS),
			       r);
		if (ret)
			return ret;
	}
	return 0;
}

static const struct key_spec VIP_KEYS[] = {
	{ "name", k_vip_name, 0, NULL, "a unique name, A-Z a-z 0-9 _ . -" },
	{ "address", k_vip_addr, 0, NULL, "the VIP's IPv4 or IPv6 address" },
	{ "port", k_port, 0, NULL, "a port, or any (0) for every port" },
	{ "protocol", k_enum8, offsetof(struct xlb_cfg_vip, proto), E_PROTO,
	  "tcp or udp" },
	{ "mode", k_enum8, offsetof(struct xlb_cfg_vip, mode), E_MODE, NULL },
	{ "hash", k_enum8, offsetof(struct xlb_cfg_vip, hash_fields), E_HASH,
	  NULL },
	{ "conntrack", k_vip_ct, 0, NULL, NULL },
	{ "echo", k_bool, offsetof(struct xlb_cfg_vip, echo), NULL, NULL },
	{ "table_size", k_u32, offsetof(struct xlb_cfg_vip, table_size),
	  &R_MAGLEV, NULL },
	{ "backends", k_refs, 0, NULL, NULL },
};

static int k_vips(struct pctx *p, const struct key_spec *ks, yaml_node_t *key,
		  yaml_node_t *val, const char *field, void *obj)
{
	struct xlb_cfg *c = obj;
	char path[FIELD_MAX];
	size_t i, n;
	int ret;

	(void)ks;
	(void)key;
	ret = get_seq(p, val, field, &n);
	if (ret || !n)
		return ret;
	c->vips = calloc(n, sizeof(*c->vips));
	if (!c->vips)
		return pnomem(p, val, field);
	c->nvips = n;
	for (i = 0; i < n; i++) {
		yaml_node_t *item = seq_item(p, val, i);
		struct xlb_cfg_vip *vip = &c->vips[i];

		snprintf(path, sizeof(path), "%s[%zu]", field, i);
		if (!item)
			return perr(p, val, path, "broken YAML document");
		vip->line = node_line(item);
		vip->mode = XLB_FWD_TUNNEL;
		vip->hash_fields = XLB_HASH_5TUPLE;
		vip->echo = true;
		/* table_size stays 0 until the file's maglev_size is known */
		ret = walk_map(p, item, path, VIP_KEYS, ARRAY_SIZE(VIP_KEYS),
			       vip);
		if (ret)
			return ret;
	}
	return 0;
}

static const struct key_spec ROOT_KEYS[] = {
	{ "pin_dir", k_pin_dir, 0, NULL, NULL },
	{ "hash_seed", k_u32, offsetof(struct xlb_cfg, hash_seed), &R_U32,
	  NULL },
	{ "maglev_size", k_u32, offsetof(struct xlb_cfg, maglev_size),
	  &R_MAGLEV, NULL },
	{ "mtu", k_u32, offsetof(struct xlb_cfg, mtu), &R_MTU, NULL },
	{ "conntrack", k_conntrack, 0, NULL, NULL },
	{ "encap", k_encap, 0, NULL, NULL },
	{ "nexthop", k_nexthop, 0, NULL, NULL },
	{ "backends", k_backends, 0, NULL, NULL },
	{ "vips", k_vips, 0, NULL, NULL },
};

_Static_assert(ARRAY_SIZE(ROOT_KEYS) <= KEYS_MAX, "walk_map key limit");
_Static_assert(ARRAY_SIZE(VIP_KEYS) <= KEYS_MAX, "walk_map key limit");

/* libyaml's own complaint, with the line it points at. */
static int yaml_fail(struct pctx *p, const yaml_parser_t *y, const char *text,
		     size_t len)
{
	const char *problem = y->problem ? y->problem : "malformed YAML";
	size_t i, line;

	if (y->error == YAML_MEMORY_ERROR) {
		msg(p->err, p->errlen, p->file, 0, "yaml", "out of memory");
		return -ENOMEM;
	}
	if (y->error == YAML_READER_ERROR) {
		/* the reader reports a byte offset, not a mark */
		for (i = 0, line = 1; i < y->problem_offset && i < len; i++)
			line += text[i] == '\n';
	} else {
		line = y->problem_mark.line + 1;
	}
	if (y->context)
		msg(p->err, p->errlen, p->file, (int)line, "syntax",
		    "%s (%s, line %zu)", problem, y->context,
		    y->context_mark.line + 1);
	else
		msg(p->err, p->errlen, p->file, (int)line, "syntax", "%s",
		    problem);
	return -EINVAL;
}

/* Loads the one document of @text into @doc; the caller deletes it. */
static int load_doc(struct pctx *p, const char *text, size_t len,
		    yaml_document_t *doc)
{
	yaml_document_t extra;
	yaml_parser_t y;
	yaml_node_t *root;
	int ret = 0;

	if (!yaml_parser_initialize(&y)) {
		msg(p->err, p->errlen, p->file, 0, "yaml", "out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&y, (const unsigned char *)text, len);
	if (!yaml_parser_load(&y, doc)) {
		ret = yaml_fail(p, &y, text, len);
		yaml_parser_delete(&y);
		return ret;
	}
	root = yaml_document_get_root_node(doc);
	/*
	 * An empty file is far more often a truncated write than a wish to
	 * drop every VIP: insist on an explicit {} for that.
	 */
	if (!root || is_null(root)) {
		msg(p->err, p->errlen, p->file, 1, "(top level)",
		    "the file is empty; write {} for a config with no VIPs");
		ret = -EINVAL;
	} else if (!yaml_parser_load(&y, &extra)) {
		ret = yaml_fail(p, &y, text, len);
	} else {
		/* a second "---" document would be ignored by us: refuse it */
		if (yaml_document_get_root_node(&extra))
			ret = perr(p, yaml_document_get_root_node(&extra),
				   "(top level)",
				   "a second YAML document; xlb reads one");
		yaml_document_delete(&extra);
	}
	if (ret)
		yaml_document_delete(doc);
	yaml_parser_delete(&y);
	return ret;
}

int xlb_cfg_parse(const char *name, const char *text, size_t len,
		  struct xlb_cfg *c, char *err, size_t errlen)
{
	struct pctx p = {
		.file = name ? name : "<config>",
		.err = err,
		.errlen = errlen,
	};
	yaml_document_t doc;
	struct xlb_cfg tmp;
	size_t i;
	int ret;

	xlb_cfg_init(c);
	if (err && errlen)
		err[0] = '\0';
	if (!text && len) {
		msg(err, errlen, p.file, 0, "(top level)", "no text");
		return -EINVAL;
	}
	ret = load_doc(&p, text ? text : "", len, &doc);
	if (ret)
		return ret;
	p.doc = &doc;
	xlb_cfg_init(&tmp);
	snprintf(tmp.source, sizeof(tmp.source), "%s", p.file);
	ret = walk_map(&p, yaml_document_get_root_node(&doc), "", ROOT_KEYS,
		       ARRAY_SIZE(ROOT_KEYS), &tmp);
	if (!ret) {
		for (i = 0; i < tmp.nvips; i++)
			if (!tmp.vips[i].table_size)
				tmp.vips[i].table_size = tmp.maglev_size;
		ret = xlb_cfg_validate(&tmp, err, errlen);
	}
	yaml_document_delete(&doc);
	if (ret) {
		xlb_cfg_free(&tmp);
		return ret;
	}
	*c = tmp;
	return 0;
}

int xlb_cfg_load(const char *path, struct xlb_cfg *c, char *err, size_t errlen)
{
	size_t len = 0, cap = 0, got;
	char *buf = NULL, *nbuf;
	FILE *f;
	int ret = 0;

	xlb_cfg_init(c);
	errno = 0;
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot open: %s", path,
				 strerror(-ret));
		return ret;
	}
	/* read to the end rather than stat(): works on pipes and /proc too */
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 64 * 1024;
			if (cap > CFG_FILE_MAX + 1)
				cap = CFG_FILE_MAX + 1;
			if (len == cap) {
				ret = -EFBIG;
				break;
			}
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				ret = -ENOMEM;
				break;
			}
			buf = nbuf;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0) {
			/* fread sets errno on a read error: EISDIR, EIO */
			if (ferror(f))
				ret = errno ? -errno : -EIO;
			break;
		}
	}
	if (fclose(f) && !ret)
		ret = -errno;
	if (ret) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot read: %s", path,
				 ret == -EFBIG ? "larger than 64 MiB" :
						 strerror(-ret));
		free(buf);
		return ret;
	}
	ret = xlb_cfg_parse(path, buf, len, c, err, errlen);
	free(buf);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Writer                                                              */
/* ------------------------------------------------------------------ */

struct emit {
	yaml_emitter_t em;
	int err; /* the first failure; every later call does nothing */
};

/*
 * Hands one event to the emitter, which owns it from then on. @ok is what
 * the event's initialiser returned: 0 means it could not allocate.
 */
static void e_event(struct emit *e, yaml_event_t *ev, int ok)
{
	if (!ok) {
		if (!e->err)
			e->err = -ENOMEM;
		return;
	}
	if (e->err) {
		yaml_event_delete(ev);
		return;
	}
	if (!yaml_emitter_emit(&e->em, ev))
		e->err = e->em.error == YAML_MEMORY_ERROR ? -ENOMEM :
			 e->em.error == YAML_WRITER_ERROR ? -EIO :
							    -EINVAL;
}

/*
 * A value; the emitter quotes it only if plain YAML cannot carry it. A
 * string that plain would make null (a VIP called "null") is quoted here,
 * since the emitter does not know the reader's schema.
 */
static void e_scalar(struct emit *e, const char *s)
{
	yaml_scalar_style_t style = null_word(s) ?
					    YAML_DOUBLE_QUOTED_SCALAR_STYLE :
					    YAML_ANY_SCALAR_STYLE;
	yaml_event_t ev;

	e_event(e, &ev,
		yaml_scalar_event_initialize(&ev, NULL, NULL,
					     (const yaml_char_t *)s,
					     (int)strlen(s), 1, 1, style));
}

static void e_map(struct emit *e, bool flow)
{
	yaml_mapping_style_t style = flow ? YAML_FLOW_MAPPING_STYLE :
					    YAML_BLOCK_MAPPING_STYLE;
	yaml_event_t ev;

	e_event(e, &ev,
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, style));
}

static void e_map_end(struct emit *e)
{
	yaml_event_t ev;

	e_event(e, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void e_seq(struct emit *e)
{
	yaml_sequence_style_t style = YAML_BLOCK_SEQUENCE_STYLE;
	yaml_event_t ev;

	e_event(e, &ev,
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						     style));
}

static void e_seq_end(struct emit *e)
{
	yaml_event_t ev;

	e_event(e, &ev, yaml_sequence_end_event_initialize(&ev));
}

static void e_kv(struct emit *e, const char *key, const char *val)
{
	e_scalar(e, key);
	e_scalar(e, val);
}

/* @s may fill its array without a NUL in a model built in code. */
static void e_kstr(struct emit *e, const char *key, const char *s, size_t max)
{
	char buf[XLB_PATH_MAX];

	snprintf(buf, sizeof(buf), "%.*s", (int)strnlen(s, max), s);
	e_kv(e, key, buf);
}

static void e_ku32(struct emit *e, const char *key, __u32 v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", v);
	e_kv(e, key, buf);
}

static void e_kaddr(struct emit *e, const char *key, const struct xlb_addr *a,
		    __u8 family)
{
	char buf[XLB_ADDR_STRLEN];

	if (!family_ok(family) && !e->err)
		e->err = -EINVAL;
	e_kv(e, key, xlb_addr_str(a, family, buf, sizeof(buf)));
}

static void e_kmac(struct emit *e, const char *key, const __u8 m[6])
{
	char buf[18];

	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
		 m[2], m[3], m[4], m[5]);
	e_kv(e, key, buf);
}

static void e_kenum(struct emit *e, const char *key, const struct enum_val *t,
		    __u32 v)
{
	const char *name = enum_name(t, v);

	if (!name && !e->err)
		e->err = -EINVAL;
	e_kv(e, key, name ? name : "?");
}

static void e_globals(struct emit *e, const struct xlb_cfg *c)
{
	static const struct xlb_addr zero;
	bool src6 = memcmp(&c->encap_src6, &zero, sizeof(zero)) != 0;
	struct xlb_addr a4;
	char buf[16];

	e_kstr(e, "pin_dir", c->pin_dir, sizeof(c->pin_dir));
	/* seeds read better in hex; the reader takes both */
	snprintf(buf, sizeof(buf), "0x%x", c->hash_seed);
	e_kv(e, "hash_seed", buf);
	e_ku32(e, "maglev_size", c->maglev_size);
	e_ku32(e, "mtu", c->mtu);
	e_scalar(e, "conntrack");
	e_map(e, false);
	e_ku32(e, "entries", c->ct_entries);
	e_ku32(e, "insert_rate", c->ct_insert_rate);
	e_map_end(e);
	if (c->encap_src4 || src6) {
		e_scalar(e, "encap");
		e_map(e, false);
		if (c->encap_src4) {
			memset(&a4, 0, sizeof(a4));
			a4.v4 = c->encap_src4;
			e_kaddr(e, "source4", &a4, XLB_AF_INET);
		}
		if (src6)
			e_kaddr(e, "source6", &c->encap_src6, XLB_AF_INET6);
		e_map_end(e);
	}
	if (c->has_nexthop_mac || c->nexthop_ifname[0] || c->nexthop_family) {
		e_scalar(e, "nexthop");
		e_map(e, false);
		if (c->has_nexthop_mac)
			e_kmac(e, "mac", c->nexthop_mac);
		if (c->nexthop_ifname[0])
			e_kstr(e, "interface", c->nexthop_ifname,
			       sizeof(c->nexthop_ifname));
		if (c->nexthop_family)
			e_kaddr(e, "address", &c->nexthop_addr,
				c->nexthop_family);
		e_map_end(e);
	}
}

static void e_vip(struct emit *e, const struct xlb_cfg *c,
		  const struct xlb_cfg_vip *v)
{
	size_t k;

	e_map(e, false);
	e_kstr(e, "name", v->name, sizeof(v->name));
	e_kaddr(e, "address", &v->addr, v->family);
	if (v->port)
		e_ku32(e, "port", v->port);
	else
		e_kv(e, "port", "any");
	e_kenum(e, "protocol", E_PROTO, v->proto);
	e_kenum(e, "mode", E_MODE, v->mode);
	e_kenum(e, "hash", E_HASH, v->hash_fields);
	e_kv(e, "conntrack",
	     v->flags & XLB_VIP_F_NO_CONNTRACK ? "false" : "true");
	e_kv(e, "echo", v->echo ? "true" : "false");
	if (v->flags & ~XLB_VIP_F_ALL && !e->err)
		e->err = -EINVAL;
	/* the default follows maglev_size: write only a VIP's own choice */
	if (v->table_size != c->maglev_size)
		e_ku32(e, "table_size", v->table_size);
	e_scalar(e, "backends");
	e_seq(e);
	for (k = 0; k < v->nrefs; k++) {
		e_map(e, true);
		e_ku32(e, "id", v->refs[k].id);
		e_ku32(e, "weight", v->refs[k].weight);
		e_map_end(e);
	}
	e_seq_end(e);
	e_map_end(e);
}

int xlb_cfg_write(const struct xlb_cfg *c, FILE *out)
{
	struct emit e = { .err = 0 };
	yaml_event_t ev;
	size_t i;

	if (!yaml_emitter_initialize(&e.em))
		return -ENOMEM;
	yaml_emitter_set_output_file(&e.em, out);
	yaml_emitter_set_indent(&e.em, 2);
	yaml_emitter_set_width(&e.em, -1); /* never fold a long value */
	yaml_emitter_set_unicode(&e.em, 1);
	e_event(&e, &ev,
		yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	e_event(&e, &ev,
		yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	e_map(&e, false);
	e_globals(&e, c);
	e_scalar(&e, "backends");
	e_seq(&e);
	for (i = 0; i < c->nbackends; i++) {
		const struct xlb_cfg_backend *be = &c->backends[i];

		e_map(&e, false);
		e_ku32(&e, "id", be->id);
		e_kaddr(&e, "address", &be->addr, be->family);
		if (be->has_mac)
			e_kmac(&e, "mac", be->mac);
		e_map_end(&e);
	}
	e_seq_end(&e);
	e_scalar(&e, "vips");
	e_seq(&e);
	for (i = 0; i < c->nvips; i++)
		e_vip(&e, c, &c->vips[i]);
	e_seq_end(&e);
	e_map_end(&e);
	e_event(&e, &ev, yaml_document_end_event_initialize(&ev, 1));
	e_event(&e, &ev, yaml_stream_end_event_initialize(&ev));
	if (!e.err && !yaml_emitter_flush(&e.em))
		e.err = -EIO;
	yaml_emitter_delete(&e.em);
	if (fflush(out) && !e.err)
		e.err = -EIO;
	if (ferror(out) && !e.err)
		e.err = -EIO;
	return e.err;
}
