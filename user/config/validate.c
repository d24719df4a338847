// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the config model's validation: the per-value rules that
 * the reader applies where it reads a value (so the message has its line)
 * and xlb_cfg_validate(), which applies them again with the cross-field
 * checks (unique ids and names, references, families) to a finished model,
 * however it was built. One table of range rules serves both, so the two
 * cannot drift apart.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/parse.h"
#include "lib/maglev.h"
#include "config/internal.h"

/* ------------------------------------------------------------------ */
/* Rules shared by the reader and the validator                        */
/* ------------------------------------------------------------------ */

const struct num_rule cfg_r_u32 = { 0, UINT32_MAX, NULL, false };
const struct num_rule cfg_r_maglev = { 3, XLB_MAGLEV_MAX_SIZE, NULL, true };
const struct num_rule cfg_r_mtu = { CFG_MTU_MIN, CFG_MTU_MAX, "no check",
				    false };
const struct num_rule cfg_r_ct = { CFG_CT_MIN, CFG_CT_MAX, NULL, false };
/* seconds in the datapath's __u16 (about 18 hours) */
const struct num_rule cfg_r_ct_timeout = { 1, 65535, "never", false };
const struct num_rule cfg_r_port = { 1, 65535, "every port", false };
const struct num_rule cfg_r_backend_id = { 1, XLB_MAX_BACKENDS - 1, NULL,
					   false };
const struct num_rule cfg_r_weight = { 0, XLB_WEIGHT_MAX, NULL, false };
/* seconds between sync walks: below the shortest idle timeout there is */
const struct num_rule cfg_r_sync_interval = { 1, 3600, NULL, false };

/* Returns 0 if @v obeys @r, else -EINVAL with the reason in @why. */
int cfg_num_check(const struct num_rule *r, __u64 v, char *why, size_t n)
{
	__u64 p;

	if (r->zero && v == 0)
		return 0;
	if (v < r->min || v > r->max) {
		if (r->zero)
			snprintf(why, n,
				 "%llu is out of range: 0 (%s) or %llu..%llu",
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

int cfg_rule_pin_dir(const char *s, size_t len, char *why, size_t n)
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
int cfg_rule_vip_name(const char *s, size_t len, char *why, size_t n)
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
			snprintf(
				why, n,
				"byte 0x%02x is not allowed: use A-Z a-z 0-9 _ . -",
				(unsigned char)ch);
		return -EINVAL;
	}
	return 0;
}

/* The kernel's dev_valid_name(), so a name we accept can exist. */
int cfg_rule_ifname(const char *s, size_t len, char *why, size_t n)
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
			snprintf(why, n,
				 "an interface name has no '/', ':' or blanks");
			return -EINVAL;
		}
	}
	return 0;
}

/* Next hops and backends are single hosts: no zero, multicast or broadcast. */
int cfg_rule_mac(const __u8 mac[6], char *why, size_t n)
{
	static const __u8 zero[6];

	if (!memcmp(mac, zero, 6) || (mac[0] & 1)) {
		snprintf(
			why, n,
			"must be a unicast MAC address, not all zero, multicast or broadcast");
		return -EINVAL;
	}
	return 0;
}

/* The next hop is a MAC, or an interface and an address to resolve it on. */
int cfg_rule_nexthop(const struct xlb_cfg *c, char *why, size_t n)
{
	bool has_if = c->nexthop_ifname[0] != '\0';
	bool has_addr = c->nexthop_family != 0;

	if (has_if != has_addr) {
		snprintf(
			why, n,
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
int cfg_rule_encap_prefix(const struct xlb_cfg *c, char *why, size_t n)
{
	char a[XLB_ADDR_STRLEN];

	if (c->nexthop_family == XLB_AF_INET && c->encap_src4 &&
	    !((c->nexthop_addr.v4 ^ c->encap_src4) & htonl(0xffff0000))) {
		snprintf(
			why, n,
			"its /16 holds the next hop %s; use a /16 of the LB's own",
			xlb_addr_str(&c->nexthop_addr, XLB_AF_INET, a,
				     sizeof(a)));
		return -EINVAL;
	}
	if (c->nexthop_family == XLB_AF_INET6 &&
	    (c->encap_src6.v6[0] || c->encap_src6.v6[1] ||
	     c->encap_src6.v6[2] || c->encap_src6.v6[3]) &&
	    !memcmp(c->nexthop_addr.bytes, c->encap_src6.bytes, 12)) {
		snprintf(
			why, n,
			"its /96 holds the next hop %s; use a /96 of the LB's own",
			xlb_addr_str(&c->nexthop_addr, XLB_AF_INET6, a,
				     sizeof(a)));
		return -EINVAL;
	}
	return 0;
}

bool cfg_family_ok(__u8 family)
{
	return family == XLB_AF_INET || family == XLB_AF_INET6;
}

const char *cfg_family_name(__u8 family)
{
	return family == XLB_AF_INET ? "IPv4" : "IPv6";
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

/* "FILE:LINE: FIELD: why", or "FILE: FIELD: why" when no line is known. */
void cfg_vmsg(char *err, size_t errlen, const char *file, int line,
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

void xlb_cfg_errf(const struct xlb_cfg *c, int line, const char *field,
		  char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vmsg(err, errlen, c->source[0] ? c->source : "<config>", line,
		 field, fmt, ap);
	va_end(ap);
}

void cfg_msg(char *err, size_t errlen, const char *file, int line,
	     const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vmsg(err, errlen, file, line, field, fmt, ap);
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
	cfg_vmsg(v->err, v->errlen, v->file, line, field, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int validate_globals(const struct vctx *v, const struct xlb_cfg *c)
{
	char why[WHY_MAX];

	if (cfg_rule_pin_dir(c->pin_dir, strnlen(c->pin_dir, XLB_PATH_MAX), why,
			     sizeof(why)))
		return verr(v, c->lines.pin_dir, "pin_dir", "%s", why);
	if (cfg_num_check(&cfg_r_maglev, c->maglev_size, why, sizeof(why)))
		return verr(v, c->lines.maglev_size, "maglev_size", "%s", why);
	if (cfg_num_check(&cfg_r_mtu, c->mtu, why, sizeof(why)))
		return verr(v, c->lines.mtu, "mtu", "%s", why);
	if (cfg_num_check(&cfg_r_ct, c->ct_entries, why, sizeof(why)))
		return verr(v, c->lines.ct_entries, "conntrack.entries", "%s", why);
	if (cfg_num_check(&cfg_r_ct_timeout, c->ct_timeout_tcp, why, sizeof(why)))
		return verr(v, c->lines.ct_timeout_tcp, "conntrack.timeout_tcp",
			    "%s", why);
	if (cfg_num_check(&cfg_r_ct_timeout, c->ct_timeout_tcp_fin, why,
			  sizeof(why)))
		return verr(v, c->lines.ct_timeout_tcp_fin,
			    "conntrack.timeout_tcp_fin", "%s", why);
	if (cfg_num_check(&cfg_r_ct_timeout, c->ct_timeout_udp, why, sizeof(why)))
		return verr(v, c->lines.ct_timeout_udp, "conntrack.timeout_udp",
			    "%s", why);
	if (c->nexthop_ifname[0] &&
	    cfg_rule_ifname(c->nexthop_ifname,
			    strnlen(c->nexthop_ifname, XLB_IFNAME_MAX), why,
			    sizeof(why)))
		return verr(v, c->lines.nexthop_ifname, "nexthop.interface", "%s", why);
	if (c->nexthop_family && !cfg_family_ok(c->nexthop_family))
		return verr(v, c->lines.nexthop_addr, "nexthop.address", "unknown family %u",
			    c->nexthop_family);
	if (c->has_nexthop_mac &&
	    cfg_rule_mac(c->nexthop_mac, why, sizeof(why)))
		return verr(v, c->lines.nexthop_mac, "nexthop.mac", "%s", why);
	if (cfg_rule_nexthop(c, why, sizeof(why)))
		return verr(v, c->lines.nexthop, "nexthop", "%s", why);
	if (cfg_rule_encap_prefix(c, why, sizeof(why)))
		return verr(v,
			    c->nexthop_family == XLB_AF_INET ?
				    c->lines.encap_src4 :
				    c->lines.encap_src6,
			    c->nexthop_family == XLB_AF_INET ? "encap.source4" :
							       "encap.source6",
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
		if (cfg_num_check(&cfg_r_backend_id, be->id, why, sizeof(why)))
			return verr(v, be->line, field, "%s", why);
		if (idset_has(pool, be->id)) {
			for (j = 0; j < i && c->backends[j].id != be->id; j++)
				;
			return verr(
				v, be->line, field,
				"duplicate id %u (also backends[%zu], line %d)",
				be->id, j, c->backends[j].line);
		}
		snprintf(field, sizeof(field), "backends[%zu].address", i);
		if (!cfg_family_ok(be->family))
			return verr(v, be->line, field, "unknown family %u",
				    be->family);
		snprintf(field, sizeof(field), "backends[%zu].mac", i);
		if (be->has_mac && cfg_rule_mac(be->mac, why, sizeof(why)))
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
	if (cfg_rule_vip_name(vip->name, strnlen(vip->name, XLB_NAME_MAX), why,
			      sizeof(why)))
		return verr(v, vip->line, field, "%s", why);
	for (j = 0; j < i; j++)
		if (!strncmp(c->vips[j].name, vip->name, XLB_NAME_MAX))
			return verr(
				v, vip->line, field,
				"\"%s\" is already the name of vips[%zu] (line %d)",
				vip->name, j, c->vips[j].line);
	snprintf(field, sizeof(field), "vips[%zu].address", i);
	if (!cfg_family_ok(vip->family))
		return verr(v, vip->line, field, "unknown family %u",
			    vip->family);
	snprintf(field, sizeof(field), "vips[%zu].protocol", i);
	if (!xlb_word_name(xlb_words_proto, vip->proto))
		return verr(v, vip->line, field,
			    "protocol %u is not tcp or udp", vip->proto);
	for (j = 0; j < i; j++) {
		const struct xlb_cfg_vip *o = &c->vips[j];
		char a[XLB_ADDR_STRLEN];

		if (o->family != vip->family ||
		    !cfg_addr_eq(vip->family, &o->addr, &vip->addr))
			continue;
		new_addr = false;
		/* echo is a flag of the address (xlb_vip_addrs), not the VIP */
		if (o->echo != vip->echo) {
			snprintf(field, sizeof(field), "vips[%zu].echo", i);
			return verr(
				v, vip->line, field,
				"%s, but vips[%zu] \"%s\" (line %d) on the same address says %s: echo is answered per address, so they must agree",
				vip->echo ? "true" : "false", j, o->name,
				o->line, o->echo ? "true" : "false");
		}
		if (o->port != vip->port || o->proto != vip->proto)
			continue;
		snprintf(field, sizeof(field), "vips[%zu]", i);
		return verr(
			v, vip->line, field,
			"%s port %u/%s is already vips[%zu] \"%s\" (line %d)",
			xlb_addr_str(&vip->addr, vip->family, a, sizeof(a)),
			vip->port, xlb_word_name(xlb_words_proto, vip->proto), j,
			o->name, o->line);
	}
	if (new_addr && ++*naddrs > XLB_MAX_VIP_ADDRS) {
		snprintf(field, sizeof(field), "vips[%zu].address", i);
		return verr(v, vip->line, field,
			    "more than %d distinct VIP addresses",
			    XLB_MAX_VIP_ADDRS);
	}
	snprintf(field, sizeof(field), "vips[%zu].mode", i);
	if (!xlb_word_name(xlb_words_mode, vip->mode))
		return verr(v, vip->line, field, "unknown mode %u", vip->mode);
	snprintf(field, sizeof(field), "vips[%zu].hash", i);
	if (!xlb_word_name(xlb_words_hash, vip->hash_fields))
		return verr(v, vip->line, field,
			    "hash fields 0x%x are neither 5tuple nor source",
			    vip->hash_fields);
	snprintf(field, sizeof(field), "vips[%zu].conntrack", i);
	if (vip->flags & ~XLB_VIP_F_ALL)
		return verr(v, vip->line, field, "unknown flags 0x%x",
			    vip->flags & ~XLB_VIP_F_ALL);
	snprintf(field, sizeof(field), "vips[%zu].table_size", i);
	if (cfg_num_check(&cfg_r_maglev, vip->table_size, why, sizeof(why)))
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
		if (cfg_num_check(&cfg_r_backend_id, r->id, why, sizeof(why))) {
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
			ret = verr(
				v, line, field,
				"backend %u is listed twice (also backends[%zu], line %d)",
				r->id, j,
				vip->refs[j].line ? vip->refs[j].line :
						    vip->line);
			break;
		}
		idset_add(used, r->id);
		snprintf(field, sizeof(field), "vips[%zu].backends[%zu].weight",
			 i, k);
		if (cfg_num_check(&cfg_r_weight, r->weight, why, sizeof(why))) {
			ret = verr(v, line, field, "%s", why);
			break;
		}
		fam = idset_has(v4, r->id) ? XLB_AF_INET : XLB_AF_INET6;
		/* drained backends count: conntrack still sends them flows */
		if (vip->mode == XLB_FWD_TUNNEL && fam == XLB_AF_INET &&
		    !c->encap_src4)
			ret = verr(
				v, line, "encap.source4",
				"not set, but vips[%zu] \"%s\" tunnels to IPv4 backend %u (vips[%zu].backends[%zu])",
				i, vip->name, r->id, i, k);
		else if (vip->mode == XLB_FWD_TUNNEL && fam == XLB_AF_INET6 &&
			 !c->encap_src6.v6[0] && !c->encap_src6.v6[1] &&
			 !c->encap_src6.v6[2] && !c->encap_src6.v6[3])
			ret = verr(
				v, line, "encap.source6",
				"not set, but vips[%zu] \"%s\" tunnels to IPv6 backend %u (vips[%zu].backends[%zu])",
				i, vip->name, r->id, i, k);
		else if (vip->mode == XLB_FWD_L2DSR && fam != vip->family) {
			snprintf(field, sizeof(field),
				 "vips[%zu].backends[%zu].id", i, k);
			ret = verr(
				v, line, field,
				"backend %u is %s but the VIP is %s: l2dsr only rewrites the MAC, so the families must match (or use mode: tunnel)",
				r->id, cfg_family_name(fam),
				cfg_family_name(vip->family));
		}
	}
	/*
	 * Backups stand in for the others: a VIP of backups alone has
	 * nothing to stand in for, most likely a slip of the pen.
	 */
	for (j = 0; !ret && j < vip->nrefs && vip->refs[j].backup; j++)
		;
	if (!ret && vip->nrefs && j == vip->nrefs) {
		snprintf(field, sizeof(field), "vips[%zu].backends", i);
		ret = verr(v, vip->refs[0].line ? vip->refs[0].line : vip->line,
			   field,
			   "every backend is a backup: a backup takes flows "
			   "only while no other backend can, so at least one "
			   "must not be");
	}
	/* Leave @used empty for the next VIP; cheaper than clearing 8 KiB. */
	for (j = 0; j < vip->nrefs; j++)
		if (vip->refs[j].id < XLB_MAX_BACKENDS)
			idset_del(used, vip->refs[j].id);
	return ret;
}

static bool endpoint_eq(const struct xlb_cfg_endpoint *a,
			const struct xlb_cfg_endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(&a->addr, &b->addr, sizeof(a->addr));
}

/* sync: a listen address, a key, peers of the listen family, not itself. */
static int validate_sync(struct vctx *v, const struct xlb_cfg *c)
{
	const struct xlb_cfg_sync *s = &c->sync;
	char field[FIELD_MAX];

	if (!s->enabled)
		return 0;
	if (!s->listen.family)
		return verr(v, s->line, "sync.listen", "missing (the address:port to receive on)");
	if (!s->key_file[0])
		return verr(v, s->line, "sync.key_file",
			    "missing (a root-only file of \"ID HEX\" keys)");
	if (!s->npeers)
		return verr(v, s->line, "sync.peers",
			    "no peer: list the other nodes' address:port");
	for (size_t i = 0; i < s->npeers; i++) {
		snprintf(field, sizeof(field), "sync.peers[%zu]", i);
		if (s->peers[i].family != s->listen.family)
			return verr(v, s->peers[i].line, field,
				    "not of sync.listen's address family");
		if (endpoint_eq(&s->peers[i], &s->listen))
			return verr(v, s->peers[i].line, field,
				    "is sync.listen itself");
		for (size_t j = 0; j < i; j++)
			if (endpoint_eq(&s->peers[i], &s->peers[j]))
				return verr(v, s->peers[i].line, field,
					    "listed twice (also peers[%zu])",
					    j);
	}
	return 0;
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
	if (!ret)
		ret = validate_sync(&v, c);
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
		if (!ret)
			ret = cfg_check_validate(c, v.file, i, err, errlen);
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
			return verr(
				&v, c->lines.mtu, "mtu",
				"%u leaves IPv6 VIP \"%s\" a packet-too-big "
				"MTU below 1280, which IPv6 hosts ignore; "
				"use at least %u, or 0 for no check",
				c->mtu, c->vips[i].name, XLB_MTU_MIN_V6);
	return 0;
}
