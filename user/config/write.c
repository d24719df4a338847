// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the config writer: a model as the YAML file that the
 * reader reads back equal (libyaml's emitter, so quoting is its job).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "lib/addr.h"
#include "lib/parse.h"
#include "config/internal.h"

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
	yaml_scalar_style_t style = cfg_null_word(s) ?
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

	if (!cfg_family_ok(family) && !e->err)
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

static void e_kenum(struct emit *e, const char *key, const struct xlb_word *t,
		    __u32 v)
{
	const char *name = xlb_word_name(t, v);

	if (!name && !e->err)
		e->err = -EINVAL;
	e_kv(e, key, name ? name : "?");
}

/* The keys @ck sets, in the key table's order; @flow inside a reference. */
static void e_check(struct emit *e, const struct xlb_cfg_check *ck, bool flow)
{
	char buf[32];

	e_scalar(e, "check");
	e_map(e, flow);
	for (int k = 0; k < XLB_CHECK_NKEYS; k++) {
		const char *name = xlb_check_key_name(k);

		if (!(ck->set & XLB_CHECK_F(k)))
			continue;
		switch (k) {
		case XLB_CK_KIND:
			e_kenum(e, name, xlb_words_check_kind, ck->kind);
			break;
		case XLB_CK_PORT:
			e_ku32(e, name, ck->port);
			break;
		case XLB_CK_ADDRESS:
			e_kaddr(e, name, &ck->addr, ck->family);
			break;
		case XLB_CK_INTERVAL:
		case XLB_CK_FASTINTERVAL:
		case XLB_CK_DOWNINTERVAL:
		case XLB_CK_TIMEOUT:
			e_kv(e, name,
			     xlb_check_ms_str(
				     k == XLB_CK_INTERVAL     ? ck->interval_ms :
				     k == XLB_CK_FASTINTERVAL ? ck->fastinterval_ms :
				     k == XLB_CK_DOWNINTERVAL ? ck->downinterval_ms :
								ck->timeout_ms,
				     buf, sizeof(buf)));
			break;
		case XLB_CK_RISE:
			e_ku32(e, name, ck->rise);
			break;
		case XLB_CK_FALL:
			e_ku32(e, name, ck->fall);
			break;
		case XLB_CK_INITIAL:
			e_kv(e, name, ck->initial_up ? "up" : "down");
			break;
		case XLB_CK_ON_DOWN:
			e_kenum(e, name, xlb_words_on_down, ck->on_down);
			break;
		case XLB_CK_PATH:
			e_kstr(e, name, ck->path, sizeof(ck->path));
			break;
		case XLB_CK_HOST:
			e_kstr(e, name, ck->host, sizeof(ck->host));
			break;
		case XLB_CK_STATUS:
			e_kstr(e, name, ck->status, sizeof(ck->status));
			break;
		case XLB_CK_BODY:
			e_kstr(e, name, ck->body, sizeof(ck->body));
			break;
		case XLB_CK_TLS_VERIFY:
			e_kv(e, name, ck->tls_verify ? "true" : "false");
			break;
		case XLB_CK_COMMAND:
			e_kstr(e, name, ck->command, sizeof(ck->command));
			break;
		case XLB_CK_PAYLOAD:
			e_kstr(e, name, ck->payload, sizeof(ck->payload));
			break;
		case XLB_CK_EXPECT:
			e_kstr(e, name, ck->expect, sizeof(ck->expect));
			break;
		case XLB_CK_REQUIRE_REPLY:
			e_kv(e, name, ck->require_reply ? "true" : "false");
			break;
		case XLB_CK_TUNNEL:
			e_kv(e, name, ck->tunnel ? "true" : "false");
			break;
		case XLB_CK_SLOWSTART:
			e_kv(e, name,
			     xlb_check_ms_str(ck->slowstart_ms, buf,
					      sizeof(buf)));
			break;
		}
	}
	e_map_end(e);
}

static void e_endpoint(struct emit *e, const struct xlb_cfg_endpoint *ep)
{
	char b[XLB_ADDR_STRLEN + 10];

	e_scalar(e, xlb_endpoint_str(&ep->addr, ep->family, ep->port, b,
				     sizeof(b)));
}

static void e_sync(struct emit *e, const struct xlb_cfg_sync *s)
{
	e_scalar(e, "sync");
	e_map(e, false);
	e_scalar(e, "listen");
	e_endpoint(e, &s->listen);
	e_scalar(e, "peers");
	e_seq(e);
	for (size_t i = 0; i < s->npeers; i++)
		e_endpoint(e, &s->peers[i]);
	e_seq_end(e);
	e_kstr(e, "key_file", s->key_file, sizeof(s->key_file));
	e_ku32(e, "key_id", s->key_id);
	e_ku32(e, "interval", s->interval);
	e_map_end(e);
}

static void e_globals(struct emit *e, const struct xlb_cfg *c)
{
	static const struct xlb_addr zero;
	bool src6 = memcmp(&c->encap_src6, &zero, sizeof(zero)) != 0;
	struct xlb_addr a4;

	e_kstr(e, "pin_dir", c->pin_dir, sizeof(c->pin_dir));
	/* decimal, as every number: the reader takes no hex (lib/parse.h) */
	e_ku32(e, "hash_seed", c->hash_seed);
	e_ku32(e, "maglev_size", c->maglev_size);
	e_ku32(e, "mtu", c->mtu);
	e_scalar(e, "conntrack");
	e_map(e, false);
	e_ku32(e, "entries", c->ct_entries);
	e_ku32(e, "insert_rate", c->ct_insert_rate);
	e_ku32(e, "timeout_tcp", c->ct_timeout_tcp);
	e_ku32(e, "timeout_tcp_fin", c->ct_timeout_tcp_fin);
	e_ku32(e, "timeout_udp", c->ct_timeout_udp);
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
	if (c->allow_empty)
		e_kv(e, "allow_empty", "true");
	if (c->metrics_port) {
		char a[XLB_ADDR_STRLEN], buf[XLB_ADDR_STRLEN + 8];
		bool v6 = c->metrics_family == XLB_AF_INET6;

		if (!cfg_family_ok(c->metrics_family) && !e->err)
			e->err = -EINVAL;
		xlb_addr_str(&c->metrics_addr, c->metrics_family, a, sizeof(a));
		snprintf(buf, sizeof(buf), "%s%s%s:%u", v6 ? "[" : "", a,
			 v6 ? "]" : "", c->metrics_port);
		e_scalar(e, "metrics");
		e_map(e, false);
		e_kv(e, "listen", buf);
		e_map_end(e);
	}
	if (c->sync.enabled)
		e_sync(e, &c->sync);
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
	e_kenum(e, "protocol", xlb_words_proto, v->proto);
	e_kenum(e, "mode", xlb_words_mode, v->mode);
	e_kenum(e, "hash", xlb_words_hash, v->hash_fields);
	e_kv(e, "conntrack",
	     v->flags & XLB_VIP_F_NO_CONNTRACK ? "false" : "true");
	e_kv(e, "echo", v->echo ? "true" : "false");
	if (v->flags & ~XLB_VIP_F_ALL && !e->err)
		e->err = -EINVAL;
	/* the default follows maglev_size: write only a VIP's own choice */
	if (v->table_size != c->maglev_size)
		e_ku32(e, "table_size", v->table_size);
	if (v->check.set)
		e_check(e, &v->check, false);
	e_scalar(e, "backends");
	e_seq(e);
	for (k = 0; k < v->nrefs; k++) {
		e_map(e, true);
		e_ku32(e, "id", v->refs[k].id);
		e_ku32(e, "weight", v->refs[k].weight);
		/* the weight stays the configured one: undrain restores it */
		if (v->refs[k].drained)
			e_kv(e, "drain", "true");
		if (v->refs[k].maint)
			e_kv(e, "maint", "true");
		if (v->refs[k].backup)
			e_kv(e, "backup", "true");
		if (xlb_cfg_ref_check(c, &v->refs[k]))
			e_check(e, xlb_cfg_ref_check(c, &v->refs[k]), true);
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
