// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the config reader (libyaml). It loads the whole document
 * into libyaml's node graph and walks it with one key table per mapping:
 * every key is known or an error, so a typo never falls back to a default.
 * A check that needs one value runs where the value is read, with its line;
 * a check that spans values runs in xlb_cfg_validate() on the finished
 * model, with the lines stored in it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <yaml.h>

#include "lib/addr.h"
#include "lib/parse.h"
#include "config/internal.h"

/* Keys one mapping may hold; walk_map() tracks them in a fixed array. */
#define KEYS_MAX 24
/* A value quoted in a message: 48 bytes of it at most. */
#define SHOWN_MAX 56

struct pctx {
	const char *file;
	yaml_document_t *doc;
	char *err;
	size_t errlen;
	struct xlb_cfg *cfg; /* the model being read */
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
	const void *arg; /* struct num_rule or struct xlb_word[], if used */
	const char *need; /* NULL: optional; else required, and what it holds */
	/* LINE_AT(f): walk_map() stores the key's line in obj's lines.f */
	size_t line_off;
};

/* Where a global's line goes: +1 so that 0 (unset) means no line kept. */
#define LINE_AT(f) (offsetof(struct xlb_cfg, lines.f) + 1)

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
	cfg_vmsg(p->err, p->errlen, p->file, node_line(n), field, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int pnomem(struct pctx *p, const yaml_node_t *n, const char *field)
{
	perr(p, n, field, "out of memory");
	return -ENOMEM;
}

/* The words YAML reads as null when they stand unquoted. */
bool cfg_null_word(const char *v)
{
	return !v[0] || !strcmp(v, "~") || !strcmp(v, "null") ||
	       !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/* YAML's null: an empty value, ~ or null, unquoted. */
static bool is_null(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       cfg_null_word((const char *)n->data.scalar.value);
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
		return perr(p, n, field,
			    "expected %s, got a value with a NUL byte", what);
	*out = (const char *)n->data.scalar.value;
	return 0;
}

/* One number parser for the file, the socket and the CLI (lib/parse.h). */
static int get_num(struct pctx *p, yaml_node_t *n, const char *field,
		   const struct num_rule *r, __u64 *out)
{
	char why[WHY_MAX];
	const char *s;
	__u64 v;
	int ret;

	ret = want_scalar(p, n, field, "a number", &s);
	if (ret)
		return ret;
	/* a rule where 0 means something checks 0 itself, below */
	if (xlb_u64_parse(s, r->zero ? 0 : r->min, r->max, &v, why,
			  sizeof(why)) ||
	    cfg_num_check(r, v, why, sizeof(why)))
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
		return perr(
			p, n, field,
			"expected a MAC address like 02:00:00:00:00:01, got %s",
			shown(n, b, sizeof(b)));
	if (cfg_rule_mac(m, why, sizeof(why)))
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
		return perr(p, map, where,
			    "expected a mapping (key: value), got %s",
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
			return perr(p, k, field,
				    "given twice (first on line %d)", first[i]);
		first[i] = node_line(k);
		if (keys[i].line_off)
			*(int *)((char *)obj + keys[i].line_off - 1) = first[i];
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

/*
 * Gives walk_seq() list item @i of @n inside @obj, with its defaults and
 * @line set. On the first call (i == 0) it allocates the whole typed array
 * in @obj, so the generic walker never handles an untyped array; NULL when
 * out of memory.
 */
typedef void *(*item_fn)(void *obj, size_t i, size_t n, int line);

/*
 * Parses the list @val of mappings, each with @keys, into the items @item
 * hands out; an empty value is an empty list and allocates nothing.
 */
static int walk_seq(struct pctx *p, yaml_node_t *val, const char *field,
		    const struct key_spec *keys, size_t nkeys, void *obj,
		    item_fn item)
{
	char path[FIELD_MAX];
	size_t i, n = 0;
	void *el;
	int ret;

	ret = get_seq(p, val, field, &n);
	if (ret || !n)
		return ret;
	for (i = 0; i < n; i++) {
		yaml_node_t *node = seq_item(p, val, i);

		snprintf(path, sizeof(path), "%s[%zu]", field, i);
		if (!node)
			return perr(p, val, path, "broken YAML document");
		el = item(obj, i, n, node_line(node));
		if (!el)
			return pnomem(p, val, field);
		ret = walk_map(p, node, path, keys, nkeys, el);
		if (ret)
			return ret;
	}
	return 0;
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
	char list[96], what[112], why[WHY_MAX];
	const char *s;
	__u32 v;
	int ret;

	(void)key;
	xlb_word_list(ks->arg, list, sizeof(list));
	snprintf(what, sizeof(what), "one of %s", list);
	ret = want_scalar(p, val, field, what, &s);
	if (ret)
		return ret;
	if (xlb_word_parse(ks->arg, s, &v, why, sizeof(why)))
		return perr(p, val, field, "%s", why);
	*((__u8 *)obj + ks->off) = (__u8)v;
	return 0;
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
	if (cfg_rule_pin_dir(s, strlen(s), why, sizeof(why)))
		return perr(p, val, field, "%s", why);
	snprintf(c->pin_dir, sizeof(c->pin_dir), "%s", s);
	return 0;
}

static const struct key_spec CT_KEYS[] = {
	{ "entries", k_u32, offsetof(struct xlb_cfg, ct_entries), &cfg_r_ct,
	  NULL, LINE_AT(ct_entries) },
	{ "insert_rate", k_u32, offsetof(struct xlb_cfg, ct_insert_rate),
	  &cfg_r_u32, NULL, LINE_AT(ct_insert_rate) },
	{ "timeout_tcp", k_u32, offsetof(struct xlb_cfg, ct_timeout_tcp),
	  &cfg_r_ct_timeout, NULL, LINE_AT(ct_timeout_tcp) },
	{ "timeout_tcp_fin", k_u32, offsetof(struct xlb_cfg, ct_timeout_tcp_fin),
	  &cfg_r_ct_timeout, NULL, LINE_AT(ct_timeout_tcp_fin) },
	{ "timeout_udp", k_u32, offsetof(struct xlb_cfg, ct_timeout_udp),
	  &cfg_r_ct_timeout, NULL, LINE_AT(ct_timeout_udp) },
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
		return perr(
			p, val, field,
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
	{ "source4", k_src4, 0, NULL, NULL, LINE_AT(encap_src4) },
	{ "source6", k_src6, 0, NULL, NULL, LINE_AT(encap_src6) },
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

static int k_nh_mac(struct pctx *p, const struct key_spec *ks, yaml_node_t *key,
		    yaml_node_t *val, const char *field, void *obj)
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
	if (cfg_rule_ifname(s, strlen(s), why, sizeof(why)))
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
	return get_addr(p, val, field, 0, &c->nexthop_addr, &c->nexthop_family);
}

static const struct key_spec NH_KEYS[] = {
	{ "mac", k_nh_mac, 0, NULL, NULL, LINE_AT(nexthop_mac) },
	{ "interface", k_nh_if, 0, NULL, NULL, LINE_AT(nexthop_ifname) },
	{ "address", k_nh_addr, 0, NULL, NULL, LINE_AT(nexthop_addr) },
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
	if (cfg_rule_nexthop(obj, why, sizeof(why)))
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

static int k_be_mac(struct pctx *p, const struct key_spec *ks, yaml_node_t *key,
		    yaml_node_t *val, const char *field, void *obj)
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
	{ "id", k_u32, offsetof(struct xlb_cfg_backend, id), &cfg_r_backend_id,
	  "the backend's id, the same on every node", 0 },
	{ "address", k_be_addr, 0, NULL, "the backend's IPv4 or IPv6 address", 0 },
	{ "mac", k_be_mac, 0, NULL, NULL, 0 },
};

static void *be_item(void *obj, size_t i, size_t n, int line)
{
	struct xlb_cfg *c = obj;

	if (i == 0) {
		c->backends = calloc(n, sizeof(*c->backends));
		if (!c->backends)
			return NULL;
		c->nbackends = n;
	}
	c->backends[i].line = line;
	return &c->backends[i];
}

static int k_backends(struct pctx *p, const struct key_spec *ks,
		      yaml_node_t *key, yaml_node_t *val, const char *field,
		      void *obj)
{
	(void)ks;
	(void)key;
	return walk_seq(p, val, field, BE_KEYS, ARRAY_SIZE(BE_KEYS), obj,
			be_item);
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
	if (cfg_rule_vip_name(s, strlen(s), why, sizeof(why)))
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
	ret = get_num(p, val, field, &cfg_r_port, &v);
	if (!ret)
		vip->port = (__u16)v;
	return ret;
}

static int k_vip_ct(struct pctx *p, const struct key_spec *ks, yaml_node_t *key,
		    yaml_node_t *val, const char *field, void *obj)
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

/* Health checks: one key table for a VIP's check: and a reference's. */

#define CHECK_LINE(k) (offsetof(struct xlb_cfg_check, lines[k]) + 1)

static enum xlb_check_key check_key_of(const struct key_spec *ks)
{
	return (enum xlb_check_key)((ks->line_off - CHECK_LINE(0)) /
				    sizeof(int));
}

static int k_ck_port(struct pctx *p, const struct key_spec *ks,
		     yaml_node_t *key, yaml_node_t *val, const char *field,
		     void *obj)
{
	struct xlb_cfg_check *ck = obj;
	__u64 v;
	int ret;

	(void)ks;
	(void)key;
	ret = get_num(p, val, field, &cfg_r_check_port, &v);
	if (!ret)
		ck->port = (__u16)v;
	return ret;
}

static int k_ck_addr(struct pctx *p, const struct key_spec *ks,
		     yaml_node_t *key, yaml_node_t *val, const char *field,
		     void *obj)
{
	struct xlb_cfg_check *ck = obj;

	(void)ks;
	(void)key;
	return get_addr(p, val, field, 0, &ck->addr, &ck->family);
}

static int k_ck_ms(struct pctx *p, const struct key_spec *ks, yaml_node_t *key,
		   yaml_node_t *val, const char *field, void *obj)
{
	char why[WHY_MAX];
	const char *s;
	__u32 ms;
	int ret;

	(void)key;
	ret = want_scalar(p, val, field, "a duration (2s, 500ms)", &s);
	if (ret)
		return ret;
	if (cfg_check_ms_parse(s, &ms, why, sizeof(why)) ||
	    cfg_num_check(ks->arg, ms, why, sizeof(why)))
		return perr(p, val, field, "%s%s", why,
			    strstr(why, "range") ? " milliseconds" : "");
	*(__u32 *)((char *)obj + ks->off) = ms;
	return 0;
}

static int k_ck_slowstart(struct pctx *p, const struct key_spec *ks,
			  yaml_node_t *key, yaml_node_t *val, const char *field,
			  void *obj)
{
	struct xlb_cfg_check *ck = obj;
	char why[WHY_MAX];
	const char *s;
	__u32 ms;
	int ret;

	(void)ks;
	(void)key;
	ret = want_scalar(p, val, field, "a duration (30s, 1m; 0: off)", &s);
	if (ret)
		return ret;
	if (cfg_check_ms_parse(s, &ms, why, sizeof(why)) ||
	    cfg_slowstart_rule(ms, why, sizeof(why)))
		return perr(p, val, field, "%s%s", why,
			    strstr(why, "range") ? " milliseconds" : "");
	ck->slowstart_ms = ms;
	return 0;
}

static int k_ck_str(struct pctx *p, const struct key_spec *ks,
		    yaml_node_t *key, yaml_node_t *val, const char *field,
		    void *obj)
{
	size_t max = *(const size_t *)ks->arg;
	char why[WHY_MAX];
	const char *s;
	int ret;

	(void)key;
	ret = want_scalar(p, val, field, "a string", &s);
	if (ret)
		return ret;
	if (strlen(s) >= max)
		return perr(p, val, field, "longer than %zu bytes", max - 1);
	if (cfg_check_str_rule(check_key_of(ks), s, why, sizeof(why)))
		return perr(p, val, field, "%s", why);
	snprintf((char *)obj + ks->off, max, "%s", s);
	return 0;
}

static const size_t ck_str_max = XLB_CHECK_STR_MAX;
static const size_t ck_status_max = XLB_CHECK_STATUS_MAX;

#define CK(name, k, fn, field, arg)                                       \
	{ name, fn, offsetof(struct xlb_cfg_check, field), arg, NULL,    \
	  CHECK_LINE(k) }
static const struct key_spec CHECK_KEYS[] = {
	CK("kind", XLB_CK_KIND, k_enum8, kind, xlb_words_check_kind),
	CK("port", XLB_CK_PORT, k_ck_port, port, NULL),
	CK("address", XLB_CK_ADDRESS, k_ck_addr, addr, NULL),
	CK("interval", XLB_CK_INTERVAL, k_ck_ms, interval_ms,
	   &cfg_r_check_interval),
	CK("fastinterval", XLB_CK_FASTINTERVAL, k_ck_ms, fastinterval_ms,
	   &cfg_r_check_interval),
	CK("downinterval", XLB_CK_DOWNINTERVAL, k_ck_ms, downinterval_ms,
	   &cfg_r_check_interval),
	CK("timeout", XLB_CK_TIMEOUT, k_ck_ms, timeout_ms, &cfg_r_check_timeout),
	CK("rise", XLB_CK_RISE, k_u32, rise, &cfg_r_check_count),
	CK("fall", XLB_CK_FALL, k_u32, fall, &cfg_r_check_count),
	CK("initial", XLB_CK_INITIAL, k_enum8, initial_up,
	   xlb_words_check_initial),
	CK("on_down", XLB_CK_ON_DOWN, k_enum8, on_down, xlb_words_on_down),
	CK("path", XLB_CK_PATH, k_ck_str, path, &ck_str_max),
	CK("host", XLB_CK_HOST, k_ck_str, host, &ck_str_max),
	CK("status", XLB_CK_STATUS, k_ck_str, status, &ck_status_max),
	CK("body", XLB_CK_BODY, k_ck_str, body, &ck_str_max),
	CK("tls_verify", XLB_CK_TLS_VERIFY, k_bool, tls_verify, NULL),
	CK("command", XLB_CK_COMMAND, k_ck_str, command, &ck_str_max),
	CK("payload", XLB_CK_PAYLOAD, k_ck_str, payload, &ck_str_max),
	CK("expect", XLB_CK_EXPECT, k_ck_str, expect, &ck_str_max),
	CK("require_reply", XLB_CK_REQUIRE_REPLY, k_bool, require_reply, NULL),
	CK("tunnel", XLB_CK_TUNNEL, k_bool, tunnel, NULL),
	CK("slowstart", XLB_CK_SLOWSTART, k_ck_slowstart, slowstart_ms, NULL),
};
#undef CK
_Static_assert(ARRAY_SIZE(CHECK_KEYS) == XLB_CHECK_NKEYS, "every check key");
_Static_assert(ARRAY_SIZE(CHECK_KEYS) <= KEYS_MAX, "walk_map key limit");

/* A check: mapping into @ck; @set says which keys it had. */
static int get_check(struct pctx *p, yaml_node_t *key, yaml_node_t *val,
		     const char *field, struct xlb_cfg_check *ck)
{
	int ret;

	memset(ck, 0, sizeof(*ck));
	ck->line = node_line(key);
	if (is_null(val))
		return perr(p, val, field,
			    "expected a mapping (kind: tcp, ...), got no value");
	ret = walk_map(p, val, field, CHECK_KEYS, ARRAY_SIZE(CHECK_KEYS), ck);
	if (ret)
		return ret;
	for (int k = 0; k < XLB_CHECK_NKEYS; k++)
		if (ck->lines[k])
			ck->set |= XLB_CHECK_F(k);
	if (!ck->set)
		return perr(p, val, field,
			    "empty; give at least kind (tcp, http, https, "
			    "udp, exec, agent or none), or leave check: out");
	return 0;
}

static int k_vip_check(struct pctx *p, const struct key_spec *ks,
		       yaml_node_t *key, yaml_node_t *val, const char *field,
		       void *obj)
{
	struct xlb_cfg_vip *vip = obj;

	(void)ks;
	return get_check(p, key, val, field, &vip->check);
}

static int k_ref_check(struct pctx *p, const struct key_spec *ks,
		       yaml_node_t *key, yaml_node_t *val, const char *field,
		       void *obj)
{
	struct xlb_cfg_ref *r = obj;
	struct xlb_cfg *c = p->cfg;
	struct xlb_cfg_check ck, *grown;
	int ret;

	(void)ks;
	ret = get_check(p, key, val, field, &ck);
	if (ret)
		return ret;
	grown = realloc(c->checks, (c->nchecks + 1) * sizeof(*grown));
	if (!grown)
		return pnomem(p, val, field);
	c->checks = grown;
	c->checks[c->nchecks++] = ck;
	r->check = (__u32)c->nchecks;
	return 0;
}

static const struct key_spec REF_KEYS[] = {
	{ "id", k_u32, offsetof(struct xlb_cfg_ref, id), &cfg_r_backend_id,
	  "the id of a backend in the pool", 0 },
	{ "weight", k_u32, offsetof(struct xlb_cfg_ref, weight), &cfg_r_weight,
	  NULL, 0 },
	/* true: no new flows, open ones stay; the weight is kept */
	{ "drain", k_bool, offsetof(struct xlb_cfg_ref, drained), NULL, NULL, 0 },
	/* true: no traffic at all (its flows go), no check */
	{ "maint", k_bool, offsetof(struct xlb_cfg_ref, maint), NULL, NULL, 0 },
	/* true: takes new flows only while no other reference can */
	{ "backup", k_bool, offsetof(struct xlb_cfg_ref, backup), NULL, NULL, 0 },
	/* this backend's own check keys over the VIP's check: */
	{ "check", k_ref_check, 0, NULL, NULL, 0 },
};

static void *ref_item(void *obj, size_t i, size_t n, int line)
{
	struct xlb_cfg_vip *vip = obj;

	if (i == 0) {
		vip->refs = calloc(n, sizeof(*vip->refs));
		if (!vip->refs)
			return NULL;
		vip->nrefs = n;
	}
	vip->refs[i].line = line;
	vip->refs[i].weight = 1;
	return &vip->refs[i];
}

static int k_refs(struct pctx *p, const struct key_spec *ks, yaml_node_t *key,
		  yaml_node_t *val, const char *field, void *obj)
{
	(void)ks;
	(void)key;
	return walk_seq(p, val, field, REF_KEYS, ARRAY_SIZE(REF_KEYS), obj,
			ref_item);
}

static const struct key_spec VIP_KEYS[] = {
	{ "name", k_vip_name, 0, NULL, "a unique name, A-Z a-z 0-9 _ . -", 0 },
	{ "address", k_vip_addr, 0, NULL, "the VIP's IPv4 or IPv6 address", 0 },
	{ "port", k_port, 0, NULL, "a port, or any (0) for every port", 0 },
	{ "protocol", k_enum8, offsetof(struct xlb_cfg_vip, proto), xlb_words_proto,
	  "tcp or udp", 0 },
	{ "mode", k_enum8, offsetof(struct xlb_cfg_vip, mode), xlb_words_mode,
	  NULL, 0 },
	{ "hash", k_enum8, offsetof(struct xlb_cfg_vip, hash_fields),
	  xlb_words_hash, NULL, 0 },
	{ "conntrack", k_vip_ct, 0, NULL, NULL, 0 },
	{ "echo", k_bool, offsetof(struct xlb_cfg_vip, echo), NULL, NULL, 0 },
	{ "table_size", k_u32, offsetof(struct xlb_cfg_vip, table_size),
	  &cfg_r_maglev, NULL, 0 },
	{ "backends", k_refs, 0, NULL, NULL, 0 },
	/* health checks for its backends (README, Health checks) */
	{ "check", k_vip_check, 0, NULL, NULL, 0 },
};

static void *vip_item(void *obj, size_t i, size_t n, int line)
{
	struct xlb_cfg *c = obj;
	struct xlb_cfg_vip *vip;

	if (i == 0) {
		c->vips = calloc(n, sizeof(*c->vips));
		if (!c->vips)
			return NULL;
		c->nvips = n;
	}
	vip = &c->vips[i];
	vip->line = line;
	vip->mode = XLB_FWD_TUNNEL;
	vip->hash_fields = XLB_HASH_5TUPLE;
	vip->echo = true;
	/* table_size stays 0 until the file's maglev_size is known */
	return vip;
}

static int k_vips(struct pctx *p, const struct key_spec *ks, yaml_node_t *key,
		  yaml_node_t *val, const char *field, void *obj)
{
	(void)ks;
	(void)key;
	return walk_seq(p, val, field, VIP_KEYS, ARRAY_SIZE(VIP_KEYS), obj,
			vip_item);
}

/*
 * metrics.listen: "ADDR:PORT", "[V6ADDR]:PORT" or a bare "PORT" (then
 * 127.0.0.1: the endpoint tells anyone who can reach it the whole setup, so
 * it is local unless the file says otherwise).
 */
static int k_metrics_listen(struct pctx *p, const struct key_spec *ks,
			    yaml_node_t *key, yaml_node_t *val,
			    const char *field, void *obj)
{
	static const char what[] = "ADDR:PORT, [IPV6]:PORT or PORT";
	struct xlb_cfg *c = obj;
	char host[64], why[WHY_MAX];
	const char *s, *port = NULL;
	struct xlb_addr a;
	__u8 fam = XLB_AF_INET;
	__u32 v;
	int ret;

	(void)ks;
	(void)key;
	ret = want_scalar(p, val, field, what, &s);
	if (ret)
		return ret;
	memset(&a, 0, sizeof(a));
	a.v4 = htonl(INADDR_LOOPBACK);
	if (s[0] == '[') {
		const char *e = strchr(s, ']');

		if (!e || e[1] != ':' || (size_t)(e - s - 1) >= sizeof(host))
			return perr(p, val, field, "expected %s, got \"%s\"",
				    what, s);
		snprintf(host, sizeof(host), "%.*s", (int)(e - s - 1), s + 1);
		port = e + 2;
		if (xlb_addr_parse(host, &a, &fam) || fam != XLB_AF_INET6)
			return perr(p, val, field,
				    "\"%s\" is not an IPv6 address", host);
	} else if (strchr(s, ':')) {
		const char *e = strrchr(s, ':');

		if (strchr(s, ':') != e || (size_t)(e - s) >= sizeof(host))
			return perr(p, val, field,
				    "expected %s (an IPv6 address goes in "
				    "brackets), got \"%s\"",
				    what, s);
		snprintf(host, sizeof(host), "%.*s", (int)(e - s), s);
		port = e + 1;
		if (xlb_addr_parse(host, &a, &fam) || fam != XLB_AF_INET)
			return perr(p, val, field,
				    "\"%s\" is not an IPv4 address", host);
	} else {
		port = s;
	}
	if (xlb_u32_parse(port, 1, 65535, &v, why, sizeof(why)))
		return perr(p, val, field, "port: %s", why);
	c->metrics_addr = a;
	c->metrics_family = fam;
	c->metrics_port = (__u16)v;
	return 0;
}

static const struct key_spec METRICS_KEYS[] = {
	{ "listen", k_metrics_listen, 0, NULL, "ADDR:PORT, e.g. 127.0.0.1:9642",
	  LINE_AT(metrics_listen) },
};

static int k_metrics(struct pctx *p, const struct key_spec *ks,
		     yaml_node_t *key, yaml_node_t *val, const char *field,
		     void *obj)
{
	(void)ks;
	(void)key;
	if (is_null(val))
		return 0;
	return walk_map(p, val, field, METRICS_KEYS, ARRAY_SIZE(METRICS_KEYS),
			obj);
}

/* sync: */

static int get_endpoint(struct pctx *p, yaml_node_t *n, const char *field,
			struct xlb_cfg_endpoint *ep)
{
	char b[SHOWN_MAX], why[WHY_MAX];
	const char *s;
	int ret;

	ret = want_scalar(p, n, field, "ADDRESS:PORT", &s);
	if (ret)
		return ret;
	if (xlb_endpoint_parse(s, &ep->addr, &ep->family, &ep->port, why,
			       sizeof(why)))
		return perr(p, n, field, "%s, got %s", why,
			    shown(n, b, sizeof(b)));
	ep->line = node_line(n);
	return 0;
}

static int k_sync_listen(struct pctx *p, const struct key_spec *ks,
			 yaml_node_t *key, yaml_node_t *val, const char *field,
			 void *obj)
{
	(void)ks;
	(void)key;
	return get_endpoint(p, val, field, &((struct xlb_cfg *)obj)->sync.listen);
}

static int k_sync_peers(struct pctx *p, const struct key_spec *ks,
			yaml_node_t *key, yaml_node_t *val, const char *field,
			void *obj)
{
	struct xlb_cfg_sync *sy = &((struct xlb_cfg *)obj)->sync;
	char path[FIELD_MAX];
	size_t n = 0;
	int ret;

	(void)ks;
	(void)key;
	ret = get_seq(p, val, field, &n);
	if (ret)
		return ret;
	if (n > XLB_SYNC_PEERS_MAX)
		return perr(p, val, field, "%zu peers, at most %d", n,
			    XLB_SYNC_PEERS_MAX);
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *node = seq_item(p, val, i);

		snprintf(path, sizeof(path), "%s[%zu]", field, i);
		if (!node)
			return perr(p, val, path, "broken YAML document");
		ret = get_endpoint(p, node, path, &sy->peers[i]);
		if (ret)
			return ret;
	}
	sy->npeers = n;
	return 0;
}

static int k_sync_key_file(struct pctx *p, const struct key_spec *ks,
			   yaml_node_t *key, yaml_node_t *val,
			   const char *field, void *obj)
{
	struct xlb_cfg_sync *sy = &((struct xlb_cfg *)obj)->sync;
	const char *s;
	int ret;

	(void)ks;
	(void)key;
	ret = want_scalar(p, val, field, "an absolute path", &s);
	if (ret)
		return ret;
	if (s[0] != '/' || strlen(s) >= sizeof(sy->key_file))
		return perr(p, val, field,
			    "expected an absolute path under %zu bytes",
			    sizeof(sy->key_file));
	snprintf(sy->key_file, sizeof(sy->key_file), "%s", s);
	return 0;
}

#define SYNC_AT(f) (offsetof(struct xlb_cfg, sync) + offsetof(struct xlb_cfg_sync, f))
static const struct key_spec SYNC_KEYS[] = {
	{ "listen", k_sync_listen, 0, NULL, "the address:port to receive on",
	  0 },
	{ "peers", k_sync_peers, 0, NULL, NULL, 0 },
	{ "key_file", k_sync_key_file, 0, NULL,
	  "a root-only file of \"ID HEX\" keys", SYNC_AT(key_file_line) + 1 },
	{ "key_id", k_u32, SYNC_AT(key_id), &cfg_r_u32, NULL,
	  SYNC_AT(key_id_line) + 1 },
	{ "interval", k_u32, SYNC_AT(interval), &cfg_r_sync_interval, NULL,
	  SYNC_AT(interval_line) + 1 },
};

static int k_sync(struct pctx *p, const struct key_spec *ks, yaml_node_t *key,
		  yaml_node_t *val, const char *field, void *obj)
{
	struct xlb_cfg *c = obj;

	(void)ks;
	if (is_null(val))
		return 0;
	c->sync.enabled = true;
	c->sync.line = node_line(key);
	return walk_map(p, val, field, SYNC_KEYS, ARRAY_SIZE(SYNC_KEYS), obj);
}

static const struct key_spec ROOT_KEYS[] = {
	{ "pin_dir", k_pin_dir, 0, NULL, NULL, LINE_AT(pin_dir) },
	{ "hash_seed", k_u32, offsetof(struct xlb_cfg, hash_seed), &cfg_r_u32,
	  NULL, LINE_AT(hash_seed) },
	{ "maglev_size", k_u32, offsetof(struct xlb_cfg, maglev_size),
	  &cfg_r_maglev, NULL, LINE_AT(maglev_size) },
	{ "mtu", k_u32, offsetof(struct xlb_cfg, mtu), &cfg_r_mtu, NULL,
	  LINE_AT(mtu) },
	{ "conntrack", k_conntrack, 0, NULL, NULL, 0 },
	{ "encap", k_encap, 0, NULL, NULL, 0 },
	{ "nexthop", k_nexthop, 0, NULL, NULL, LINE_AT(nexthop) },
	/* a reload may remove every VIP only when the file says so */
	{ "allow_empty", k_bool, offsetof(struct xlb_cfg, allow_empty), NULL,
	  NULL, LINE_AT(allow_empty) },
	{ "metrics", k_metrics, 0, NULL, NULL, 0 },
	{ "backends", k_backends, 0, NULL, NULL, 0 },
	{ "vips", k_vips, 0, NULL, NULL, 0 },
	{ "sync", k_sync, 0, NULL, NULL, 0 },
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
		cfg_msg(p->err, p->errlen, p->file, 0, "yaml", "out of memory");
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
		cfg_msg(p->err, p->errlen, p->file, (int)line, "syntax",
			"%s (%s, line %zu)", problem, y->context,
			y->context_mark.line + 1);
	else
		cfg_msg(p->err, p->errlen, p->file, (int)line, "syntax", "%s",
			problem);
	return -EINVAL;
}

/*
 * Bounds on the work one file may ask for, checked by prescan() from
 * libyaml's events before a node graph exists. libyaml's scanner keeps a
 * simple-key slot per flow level and checks them all on every token, so
 * nesting costs time squared (200 KB of "[" took 46 s to refuse); the
 * schema needs four levels (vips, an item, backends, a reference), so 16 is
 * room for {} and [] written inline without ever being slow. The node cap
 * holds 1024 VIPs with 64 backends each beside the whole backend pool
 * (about 450k values) and keeps a file just under it answered in about a
 * third of a second.
 */
#define DEPTH_MAX 16
#define NODES_MAX (1u << 19)

/*
 * Reads @text as a stream of events and refuses, with FILE:LINE, nesting
 * deeper than DEPTH_MAX, more than NODES_MAX nodes and aliases (the schema
 * has no use for them, and each one would make the walk visit its anchor's
 * whole subtree again). Stops at the first error, so a hostile file costs
 * no more than the prefix it takes to exceed a bound.
 */
static int prescan(struct pctx *p, const char *text, size_t len)
{
	unsigned int depth = 0, nodes = 0;
	yaml_parser_t y;
	yaml_event_t ev;
	int ret = 0;
	bool done = false;

	if (!yaml_parser_initialize(&y)) {
		cfg_msg(p->err, p->errlen, p->file, 0, "yaml", "out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&y, (const unsigned char *)text, len);
	while (!done && !ret) {
		int line;

		if (!yaml_parser_parse(&y, &ev)) {
			ret = yaml_fail(p, &y, text, len);
			break;
		}
		line = (int)ev.start_mark.line + 1;
		switch (ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > DEPTH_MAX) {
				cfg_msg(p->err, p->errlen, p->file, line,
					"(structure)",
					"nested deeper than %d levels; an xlb "
					"config needs 4",
					DEPTH_MAX);
				ret = -EINVAL;
			}
			/* a collection is a node too */
			__attribute__((fallthrough));
		case YAML_SCALAR_EVENT:
			if (!ret && ++nodes > NODES_MAX) {
				cfg_msg(p->err, p->errlen, p->file, line,
					"(structure)",
					"more than %u values; no xlb config "
					"needs that many",
					NODES_MAX);
				ret = -EINVAL;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_ALIAS_EVENT:
			cfg_msg(p->err, p->errlen, p->file, line,
				"(structure)",
				"an alias (*name): xlb configs do not use "
				"anchors and aliases; write the value out");
			ret = -EINVAL;
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&y);
	return ret;
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
		cfg_msg(p->err, p->errlen, p->file, 0, "yaml", "out of memory");
		return -ENOMEM;
	}
	ret = prescan(p, text, len);
	if (ret) {
		yaml_parser_delete(&y);
		return ret;
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
		cfg_msg(p->err, p->errlen, p->file, 1, "(top level)",
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
		cfg_msg(err, errlen, p.file, 0, "(top level)", "no text");
		return -EINVAL;
	}
	ret = load_doc(&p, text ? text : "", len, &doc);
	if (ret)
		return ret;
	p.doc = &doc;
	xlb_cfg_init(&tmp);
	p.cfg = &tmp;
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
	size_t len = 0, cap;
	struct stat sb;
	char *buf;
	ssize_t got;
	int fd, ret = 0;

	xlb_cfg_init(c);
	/*
	 * O_NONBLOCK: opening a FIFO for reading waits for a writer, forever
	 * if none comes; a device may block or become our terminal
	 * (O_NOCTTY). Only a regular file is read, and fstat() of what was
	 * opened, not stat() of the path, decides it.
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		ret = -errno;
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot open: %s", path,
				 strerror(-ret));
		return ret;
	}
	if (fstat(fd, &sb)) {
		ret = -errno;
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot stat: %s", path,
				 strerror(-ret));
		close(fd);
		return ret;
	}
	if (!S_ISREG(sb.st_mode)) {
		ret = S_ISDIR(sb.st_mode) ? -EISDIR : -EINVAL;
		if (err && errlen)
			snprintf(err, errlen, "%s: not a regular file (%s)",
				 path, xlb_file_kind(sb.st_mode));
		close(fd);
		return ret;
	}
	if ((__u64)sb.st_size > CFG_FILE_MAX) {
		if (err && errlen)
			snprintf(err, errlen,
				 "%s: %lld bytes, larger than the %u MiB a "
				 "config may have",
				 path, (long long)sb.st_size, CFG_FILE_MAX >> 20);
		close(fd);
		return -EFBIG;
	}
	/* one byte more than the size: a file that grew is seen, and capped */
	cap = (size_t)sb.st_size + 1;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	for (;;) {
		if (len == cap) {
			char *nbuf;

			if (cap > CFG_FILE_MAX) {
				ret = -EFBIG;
				break;
			}
			cap = cap * 2 > CFG_FILE_MAX + 1 ? CFG_FILE_MAX + 1 :
							   cap * 2;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				ret = -ENOMEM;
				break;
			}
			buf = nbuf;
		}
		got = read(fd, buf + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			ret = -errno;
			break;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	if (ret) {
		if (err && errlen && ret == -EFBIG)
			snprintf(err, errlen,
				 "%s: larger than the %u MiB a config may have",
				 path, CFG_FILE_MAX >> 20);
		else if (err && errlen)
			snprintf(err, errlen, "%s: cannot read: %s", path,
				 strerror(-ret));
		free(buf);
		return ret;
	}
	ret = xlb_cfg_parse(path, buf, len, c, err, errlen);
	free(buf);
	return ret;
}
