// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the health-check part of the config model: the words,
 * the defaults, how a VIP's check: and a reference's override merge into
 * the check one (VIP, backend) runs, and the rules a check obeys (per value
 * for the reader, whole for the validator), so the file, the validator and
 * the daemon read one definition.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "lib/addr.h"
#include "config/internal.h"

const struct xlb_word xlb_words_check_kind[] = {
	{ "none", XLB_CHECK_NONE },   { "tcp", XLB_CHECK_TCP },
	{ "http", XLB_CHECK_HTTP },   { "https", XLB_CHECK_HTTPS },
	{ "udp", XLB_CHECK_UDP },     { "exec", XLB_CHECK_EXEC },
	{ "agent", XLB_CHECK_AGENT }, { NULL, 0 },
};

const struct xlb_word xlb_words_on_down[] = {
	{ "reset", XLB_ON_DOWN_RESET },
	{ "keep", XLB_ON_DOWN_KEEP },
	{ NULL, 0 },
};

const struct xlb_word xlb_words_check_initial[] = {
	{ "down", 0 },
	{ "up", 1 },
	{ NULL, 0 },
};

static const char *const key_names[XLB_CHECK_NKEYS] = {
	[XLB_CK_KIND] = "kind",
	[XLB_CK_PORT] = "port",
	[XLB_CK_ADDRESS] = "address",
	[XLB_CK_INTERVAL] = "interval",
	[XLB_CK_FASTINTERVAL] = "fastinterval",
	[XLB_CK_DOWNINTERVAL] = "downinterval",
	[XLB_CK_TIMEOUT] = "timeout",
	[XLB_CK_RISE] = "rise",
	[XLB_CK_FALL] = "fall",
	[XLB_CK_INITIAL] = "initial",
	[XLB_CK_ON_DOWN] = "on_down",
	[XLB_CK_PATH] = "path",
	[XLB_CK_HOST] = "host",
	[XLB_CK_STATUS] = "status",
	[XLB_CK_BODY] = "body",
	[XLB_CK_TLS_VERIFY] = "tls_verify",
	[XLB_CK_COMMAND] = "command",
	[XLB_CK_PAYLOAD] = "payload",
	[XLB_CK_EXPECT] = "expect",
	[XLB_CK_REQUIRE_REPLY] = "require_reply",
	[XLB_CK_TUNNEL] = "tunnel",
	[XLB_CK_SLOWSTART] = "slowstart",
};

/* 100 ms .. 1 h between checks; a timeout from 10 ms. */
const struct num_rule cfg_r_check_interval = { 100, 3600000, NULL, false };
const struct num_rule cfg_r_check_timeout = { 10, 3600000, NULL, false };
const struct num_rule cfg_r_check_count = { 1, 100, NULL, false };
const struct num_rule cfg_r_check_port = { 1, 65535, NULL, false };
/* 0 (off), or 1 s (one step of the ramp) .. 1 h */
static const struct num_rule cfg_r_check_slowstart = { 0, 3600000, NULL,
						       false };

const char *xlb_check_key_name(enum xlb_check_key k)
{
	return k < XLB_CHECK_NKEYS ? key_names[k] : "?";
}

const struct xlb_cfg_check *xlb_cfg_ref_check(const struct xlb_cfg *c,
					      const struct xlb_cfg_ref *r)
{
	if (!r->check || r->check > c->nchecks || !c->checks)
		return NULL;
	return &c->checks[r->check - 1];
}

/* Copies the keys @src sets into @dst. */
static void overlay(struct xlb_cfg_check *dst, const struct xlb_cfg_check *src)
{
	__u32 s = src->set;

#define TAKE(k, f)                                     \
	do {                                           \
		if (s & XLB_CHECK_F(k)) {              \
			dst->f = src->f;               \
			dst->lines[k] = src->lines[k]; \
		}                                      \
	} while (0)
	TAKE(XLB_CK_KIND, kind);
	TAKE(XLB_CK_PORT, port);
	TAKE(XLB_CK_INTERVAL, interval_ms);
	TAKE(XLB_CK_FASTINTERVAL, fastinterval_ms);
	TAKE(XLB_CK_DOWNINTERVAL, downinterval_ms);
	TAKE(XLB_CK_TIMEOUT, timeout_ms);
	TAKE(XLB_CK_RISE, rise);
	TAKE(XLB_CK_FALL, fall);
	TAKE(XLB_CK_INITIAL, initial_up);
	TAKE(XLB_CK_ON_DOWN, on_down);
	TAKE(XLB_CK_TLS_VERIFY, tls_verify);
	TAKE(XLB_CK_REQUIRE_REPLY, require_reply);
	TAKE(XLB_CK_TUNNEL, tunnel);
	TAKE(XLB_CK_SLOWSTART, slowstart_ms);
	if (s & XLB_CHECK_F(XLB_CK_ADDRESS)) {
		dst->addr = src->addr;
		dst->family = src->family;
		dst->lines[XLB_CK_ADDRESS] = src->lines[XLB_CK_ADDRESS];
	}
#define TAKES(k, f)                                             \
	do {                                                    \
		if (s & XLB_CHECK_F(k)) {                       \
			memcpy(dst->f, src->f, sizeof(dst->f)); \
			dst->lines[k] = src->lines[k];          \
		}                                               \
	} while (0)
	TAKES(XLB_CK_PATH, path);
	TAKES(XLB_CK_HOST, host);
	TAKES(XLB_CK_STATUS, status);
	TAKES(XLB_CK_BODY, body);
	TAKES(XLB_CK_COMMAND, command);
	TAKES(XLB_CK_PAYLOAD, payload);
	TAKES(XLB_CK_EXPECT, expect);
#undef TAKE
#undef TAKES
	dst->set |= s;
	if (src->line)
		dst->line = src->line;
}

/* Which kinds a key means something to; 0: every kind. */
static __u32 key_kinds(enum xlb_check_key k)
{
	const __u32 web = 1u << XLB_CHECK_HTTP | 1u << XLB_CHECK_HTTPS;

	switch (k) {
	case XLB_CK_PATH:
	case XLB_CK_HOST:
	case XLB_CK_STATUS:
	case XLB_CK_BODY:
		return web;
	case XLB_CK_TLS_VERIFY:
		return 1u << XLB_CHECK_HTTPS;
	case XLB_CK_COMMAND:
		return 1u << XLB_CHECK_EXEC;
	case XLB_CK_PAYLOAD:
		return 1u << XLB_CHECK_UDP | 1u << XLB_CHECK_AGENT;
	case XLB_CK_EXPECT:
	case XLB_CK_REQUIRE_REPLY:
		return 1u << XLB_CHECK_UDP;
	case XLB_CK_TUNNEL:
		/* a probe the TC program can mark: one socket of xlbd's */
		return 1u << XLB_CHECK_TCP | web;
	default:
		return 0;
	}
}

bool xlb_cfg_check_of(const struct xlb_cfg *c, const struct xlb_cfg_vip *v,
		      const struct xlb_cfg_ref *r, struct xlb_cfg_check *out)
{
	const struct xlb_cfg_check *own = xlb_cfg_ref_check(c, r);
	const struct xlb_cfg_backend *b = xlb_cfg_backend_find(c, r->id);

	memset(out, 0, sizeof(*out));
	if (!v->check.set && !own)
		return false;
	out->interval_ms = XLB_CHECK_DEFAULT_INTERVAL_MS;
	out->rise = XLB_CHECK_DEFAULT_RISE;
	out->fall = XLB_CHECK_DEFAULT_FALL;
	out->tls_verify = true;
	out->require_reply = true;
	out->on_down = XLB_ON_DOWN_RESET;
	snprintf(out->path, sizeof(out->path), "/");
	snprintf(out->status, sizeof(out->status), "%s",
		 XLB_CHECK_DEFAULT_STATUS);
	overlay(out, &v->check);
	if (own)
		overlay(out, own);
	/*
	 * An override that changes the kind (tcp for one backend of an http
	 * VIP) leaves behind the VIP's keys the new kind has no use for; its
	 * own such keys stay, and are refused.
	 */
	if (own && (own->set & XLB_CHECK_F(XLB_CK_KIND)))
		for (int k = 0; k < XLB_CHECK_NKEYS; k++)
			if (key_kinds(k) && !(key_kinds(k) & 1u << out->kind) &&
			    !(own->set & XLB_CHECK_F(k)))
				out->set &= ~XLB_CHECK_F(k);
	/* a udp override that needs no reply has no use for the VIP's expect */
	if (own && (own->set & XLB_CHECK_F(XLB_CK_REQUIRE_REPLY)) &&
	    !own->require_reply && !(own->set & XLB_CHECK_F(XLB_CK_EXPECT))) {
		out->set &= ~XLB_CHECK_F(XLB_CK_EXPECT);
		out->expect[0] = '\0';
	}
	/* the ones that follow another key unless written */
	if (!(out->set & XLB_CHECK_F(XLB_CK_FASTINTERVAL)))
		out->fastinterval_ms = out->interval_ms;
	if (!(out->set & XLB_CHECK_F(XLB_CK_DOWNINTERVAL)))
		out->downinterval_ms = out->interval_ms;
	if (!(out->set & XLB_CHECK_F(XLB_CK_TIMEOUT)))
		out->timeout_ms = out->interval_ms / 2 <
						  XLB_CHECK_DEFAULT_TIMEOUT_MS ?
					  out->interval_ms / 2 :
					  XLB_CHECK_DEFAULT_TIMEOUT_MS;
	if (!(out->set & XLB_CHECK_F(XLB_CK_PORT)))
		out->port = v->port;
	if (!(out->set & XLB_CHECK_F(XLB_CK_ADDRESS)) && b) {
		out->addr = b->addr;
		out->family = b->family;
	}
	/* through the tunnel: to the VIP's address, as a client would */
	if (out->tunnel) {
		out->addr = v->addr;
		out->family = v->family;
		out->mode = v->mode;
	}
	return out->kind != XLB_CHECK_NONE;
}

bool xlb_cfg_check_eq(const struct xlb_cfg_check *a,
		      const struct xlb_cfg_check *b)
{
	__u32 s = a->set;

	if (a->set != b->set)
		return false;
#define SAME(k, cond)                                \
	do {                                         \
		if ((s & XLB_CHECK_F(k)) && !(cond)) \
			return false;                \
	} while (0)
	SAME(XLB_CK_KIND, a->kind == b->kind);
	SAME(XLB_CK_PORT, a->port == b->port);
	SAME(XLB_CK_ADDRESS,
	     a->family == b->family &&
		     cfg_addr_eq(a->family, &a->addr, &b->addr));
	SAME(XLB_CK_INTERVAL, a->interval_ms == b->interval_ms);
	SAME(XLB_CK_FASTINTERVAL, a->fastinterval_ms == b->fastinterval_ms);
	SAME(XLB_CK_DOWNINTERVAL, a->downinterval_ms == b->downinterval_ms);
	SAME(XLB_CK_TIMEOUT, a->timeout_ms == b->timeout_ms);
	SAME(XLB_CK_RISE, a->rise == b->rise);
	SAME(XLB_CK_FALL, a->fall == b->fall);
	SAME(XLB_CK_INITIAL, a->initial_up == b->initial_up);
	SAME(XLB_CK_ON_DOWN, a->on_down == b->on_down);
	SAME(XLB_CK_TLS_VERIFY, a->tls_verify == b->tls_verify);
	SAME(XLB_CK_PATH, !strncmp(a->path, b->path, sizeof(a->path)));
	SAME(XLB_CK_HOST, !strncmp(a->host, b->host, sizeof(a->host)));
	SAME(XLB_CK_STATUS, !strncmp(a->status, b->status, sizeof(a->status)));
	SAME(XLB_CK_BODY, !strncmp(a->body, b->body, sizeof(a->body)));
	SAME(XLB_CK_COMMAND,
	     !strncmp(a->command, b->command, sizeof(a->command)));
	SAME(XLB_CK_PAYLOAD,
	     !strncmp(a->payload, b->payload, sizeof(a->payload)));
	SAME(XLB_CK_EXPECT, !strncmp(a->expect, b->expect, sizeof(a->expect)));
	SAME(XLB_CK_REQUIRE_REPLY, a->require_reply == b->require_reply);
	SAME(XLB_CK_TUNNEL, a->tunnel == b->tunnel);
	SAME(XLB_CK_SLOWSTART, a->slowstart_ms == b->slowstart_ms);
#undef SAME
	return true;
}

const char *xlb_check_ms_str(__u32 ms, char *buf, size_t n)
{
	if (ms && ms % 1000 == 0)
		snprintf(buf, n, "%us", ms / 1000);
	else
		snprintf(buf, n, "%ums", ms);
	return buf;
}

unsigned int xlb_slowstart_step(__u32 dur_ms, __u64 elapsed_ms, __u64 *next_ms)
{
	__u64 steps, len, k;

	if (!dur_ms || elapsed_ms >= dur_ms) {
		if (next_ms)
			*next_ms = dur_ms;
		return 100;
	}
	steps = dur_ms / XLB_SLOWSTART_STEP_MS;
	if (steps > XLB_SLOWSTART_STEPS)
		steps = XLB_SLOWSTART_STEPS;
	if (!steps)
		steps = 1;
	/* the last step ends at @dur_ms exactly: it takes the remainder */
	len = dur_ms / steps;
	k = elapsed_ms / len;
	if (k >= steps)
		k = steps - 1;
	if (next_ms)
		*next_ms = k + 1 == steps ? dur_ms : (k + 1) * len;
	return (unsigned int)((2 * k + 1) * 100 / (2 * steps));
}

/* "2s", "500ms", "1m"; a bare number is seconds. */
int cfg_check_ms_parse(const char *s, __u32 *ms, char *why, size_t n)
{
	__u64 v = 0, mul = 1000;
	const char *p = s;

	if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9'))
		goto bad;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (__u64)(*p++ - '0');
		if (v > 1000000000ull)
			goto bad;
	}
	if (!strcmp(p, "ms"))
		mul = 1;
	else if (!strcmp(p, "s") || !*p)
		mul = 1000;
	else if (!strcmp(p, "m"))
		mul = 60000;
	else
		goto bad;
	if (v * mul > UINT32_MAX)
		goto bad;
	*ms = (__u32)(v * mul);
	return 0;
bad:
	snprintf(why, n,
		 "\"%.40s\" is not a duration: a whole number with ms, s or m "
		 "(2s, 500ms; a bare number is seconds)",
		 s);
	return -EINVAL;
}

int cfg_slowstart_rule(__u32 ms, char *why, size_t n)
{
	if (cfg_num_check(&cfg_r_check_slowstart, ms, why, n))
		return -EINVAL;
	if (ms && ms < XLB_SLOWSTART_STEP_MS) {
		snprintf(why, n,
			 "%ums is shorter than one step of the ramp (1s); 0 "
			 "turns slow start off",
			 ms);
		return -EINVAL;
	}
	return 0;
}

/* One status code or range list: "200-399", "200,204,301-302". */
static int status_parse(const char *spec, long code, bool *hit, char *why,
			size_t n)
{
	const char *p = spec;

	*hit = false;
	if (!*p)
		goto bad;
	for (;;) {
		char *end;
		long lo, hi;

		/* digits only: strtol alone would take blanks and signs */
		if (*p < '0' || *p > '9')
			goto bad;
		lo = strtol(p, &end, 10);
		if (end - p != 3 || lo < 100 || lo > 599)
			goto bad;
		hi = lo;
		p = end;
		if (*p == '-') {
			if (p[1] < '0' || p[1] > '9')
				goto bad;
			hi = strtol(++p, &end, 10);
			if (end - p != 3 || hi < lo || hi > 599)
				goto bad;
			p = end;
		}
		if (code >= lo && code <= hi)
			*hit = true;
		if (!*p)
			return 0;
		if (*p++ != ',')
			goto bad;
	}
bad:
	snprintf(why, n,
		 "\"%.40s\" is not a list of status codes and ranges in "
		 "100..599 (200-399, 200,204,301-302)",
		 spec);
	return -EINVAL;
}

bool xlb_check_status_ok(const char *spec, long code)
{
	char why[WHY_MAX];
	bool hit;

	return !status_parse(spec, code, &hit, why, sizeof(why)) && hit;
}

/* The string keys' own rules (length checked by the caller). */
int cfg_check_str_rule(enum xlb_check_key k, const char *s, char *why, size_t n)
{
	bool hit;

	if (!*s && k != XLB_CK_BODY && k != XLB_CK_PAYLOAD) {
		snprintf(why, n, "empty");
		return -EINVAL;
	}
	for (const char *p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		/* what a probe sends may end lines ("\r\n") or split words */
		if ((k == XLB_CK_PAYLOAD || k == XLB_CK_EXPECT) &&
		    (ch == '\t' || ch == '\r' || ch == '\n'))
			continue;
		if (ch < 0x20 || ch == 0x7f) {
			snprintf(why, n, "byte 0x%02x is not allowed", ch);
			return -EINVAL;
		}
		/* a path or host with a blank would break the request line */
		if ((k == XLB_CK_PATH || k == XLB_CK_HOST) && ch == ' ') {
			snprintf(why, n, "no blanks allowed");
			return -EINVAL;
		}
	}
	if (k == XLB_CK_PATH && s[0] != '/') {
		snprintf(why, n, "must start with /");
		return -EINVAL;
	}
	if (k == XLB_CK_STATUS)
		return status_parse(s, 0, &hit, why, n);
	return 0;
}

struct cctx {
	const char *file;
	char *err;
	size_t errlen;
	const char *where; /* "vips[0].check" */
	/* a reference's override and its field, when one is in play */
	const struct xlb_cfg_check *own;
	const char *where_own; /* "vips[0].backends[1].check" */
};

static int cerr(const struct cctx *x, const struct xlb_cfg_check *ck,
		enum xlb_check_key k, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int cerr(const struct cctx *x, const struct xlb_cfg_check *ck,
		enum xlb_check_key k, const char *fmt, ...)
{
	char field[FIELD_MAX];
	int line = k < XLB_CHECK_NKEYS && ck->lines[k] ? ck->lines[k] :
							 ck->line;
	/* the key is blamed where it was written: the override or the VIP */
	const char *w = x->own && (k >= XLB_CHECK_NKEYS ||
				   (x->own->set & XLB_CHECK_F(k)) ||
				   !(ck->set & XLB_CHECK_F(k))) ?
				x->where_own :
				x->where;
	va_list ap;

	if (k < XLB_CHECK_NKEYS)
		snprintf(field, sizeof(field), "%s.%s", w, key_names[k]);
	else
		snprintf(field, sizeof(field), "%s", w);
	va_start(ap, fmt);
	cfg_vmsg(x->err, x->errlen, x->file, line, field, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* One check: mapping's own values, as written (before merging). */
static int check_values(const struct cctx *x, const struct xlb_cfg_check *ck)
{
	static const struct {
		enum xlb_check_key k;
		size_t off;
		const struct num_rule *r;
	} nums[] = {
		{ XLB_CK_INTERVAL, offsetof(struct xlb_cfg_check, interval_ms),
		  &cfg_r_check_interval },
		{ XLB_CK_FASTINTERVAL,
		  offsetof(struct xlb_cfg_check, fastinterval_ms),
		  &cfg_r_check_interval },
		{ XLB_CK_DOWNINTERVAL,
		  offsetof(struct xlb_cfg_check, downinterval_ms),
		  &cfg_r_check_interval },
		{ XLB_CK_TIMEOUT, offsetof(struct xlb_cfg_check, timeout_ms),
		  &cfg_r_check_timeout },
		{ XLB_CK_RISE, offsetof(struct xlb_cfg_check, rise),
		  &cfg_r_check_count },
		{ XLB_CK_FALL, offsetof(struct xlb_cfg_check, fall),
		  &cfg_r_check_count },
	};
	static const struct {
		enum xlb_check_key k;
		size_t off;
		size_t len;
	} strs[] = {
		{ XLB_CK_PATH, offsetof(struct xlb_cfg_check, path),
		  XLB_CHECK_STR_MAX },
		{ XLB_CK_HOST, offsetof(struct xlb_cfg_check, host),
		  XLB_CHECK_STR_MAX },
		{ XLB_CK_STATUS, offsetof(struct xlb_cfg_check, status),
		  XLB_CHECK_STATUS_MAX },
		{ XLB_CK_BODY, offsetof(struct xlb_cfg_check, body),
		  XLB_CHECK_STR_MAX },
		{ XLB_CK_COMMAND, offsetof(struct xlb_cfg_check, command),
		  XLB_CHECK_STR_MAX },
		{ XLB_CK_PAYLOAD, offsetof(struct xlb_cfg_check, payload),
		  XLB_CHECK_STR_MAX },
		{ XLB_CK_EXPECT, offsetof(struct xlb_cfg_check, expect),
		  XLB_CHECK_STR_MAX },
	};
	char why[WHY_MAX];

	if (ck->set & ~(XLB_CHECK_F(XLB_CHECK_NKEYS) - 1))
		return cerr(x, ck, XLB_CHECK_NKEYS, "unknown keys 0x%x",
			    ck->set);
	if ((ck->set & XLB_CHECK_F(XLB_CK_KIND)) &&
	    !xlb_word_name(xlb_words_check_kind, ck->kind))
		return cerr(x, ck, XLB_CK_KIND, "unknown kind %u", ck->kind);
	if ((ck->set & XLB_CHECK_F(XLB_CK_ON_DOWN)) &&
	    !xlb_word_name(xlb_words_on_down, ck->on_down))
		return cerr(x, ck, XLB_CK_ON_DOWN, "unknown on_down %u",
			    ck->on_down);
	if ((ck->set & XLB_CHECK_F(XLB_CK_PORT)) &&
	    cfg_num_check(&cfg_r_check_port, ck->port, why, sizeof(why)))
		return cerr(x, ck, XLB_CK_PORT, "%s", why);
	if ((ck->set & XLB_CHECK_F(XLB_CK_ADDRESS)) &&
	    !cfg_family_ok(ck->family))
		return cerr(x, ck, XLB_CK_ADDRESS, "unknown family %u",
			    ck->family);
	if ((ck->set & XLB_CHECK_F(XLB_CK_SLOWSTART)) &&
	    cfg_slowstart_rule(ck->slowstart_ms, why, sizeof(why)))
		return cerr(x, ck, XLB_CK_SLOWSTART, "%s", why);
	for (size_t i = 0; i < ARRAY_SIZE(nums); i++) {
		__u32 v = *(const __u32 *)((const char *)ck + nums[i].off);

		if ((ck->set & XLB_CHECK_F(nums[i].k)) &&
		    cfg_num_check(nums[i].r, v, why, sizeof(why)))
			return cerr(x, ck, nums[i].k, "%s", why);
	}
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
		const char *s = (const char *)ck + strs[i].off;

		if (!(ck->set & XLB_CHECK_F(strs[i].k)))
			continue;
		if (strnlen(s, strs[i].len) >= strs[i].len)
			return cerr(x, ck, strs[i].k, "longer than %zu bytes",
				    strs[i].len - 1);
		if (cfg_check_str_rule(strs[i].k, s, why, sizeof(why)))
			return cerr(x, ck, strs[i].k, "%s", why);
	}
	return 0;
}

/* The check one (VIP, backend) runs, whole. */
static int check_merged(const struct cctx *x, const struct xlb_cfg_vip *v,
			const struct xlb_cfg_check *m)
{
	char a[16], b[16];

	if (!(m->set & XLB_CHECK_F(XLB_CK_KIND)))
		return cerr(x, m, XLB_CK_KIND,
			    "missing: the check's kind (none, tcp, http, "
			    "https, udp, exec, agent), here or in the VIP's "
			    "check:");
	if (m->kind == XLB_CHECK_NONE)
		return 0;
	for (int k = 0; k < XLB_CHECK_NKEYS; k++)
		if ((m->set & XLB_CHECK_F(k)) && key_kinds(k) &&
		    !(key_kinds(k) & 1u << m->kind))
			return cerr(x, m, k, "means nothing to a %s check",
				    xlb_word_name(xlb_words_check_kind,
						  m->kind));
	if (m->kind == XLB_CHECK_EXEC &&
	    !(m->set & XLB_CHECK_F(XLB_CK_COMMAND)))
		return cerr(x, m, XLB_CK_COMMAND,
			    "missing: an exec check runs a command");
	/* the service's port is never the agent's (HAProxy's agent-port) */
	if (m->kind == XLB_CHECK_AGENT && !(m->set & XLB_CHECK_F(XLB_CK_PORT)))
		return cerr(x, m, XLB_CK_PORT,
			    "missing: an agent check needs the agent's port");
	if (m->kind == XLB_CHECK_UDP && v->proto != IPPROTO_UDP &&
	    !(m->set & XLB_CHECK_F(XLB_CK_PORT)))
		return cerr(x, m, XLB_CK_PORT,
			    "missing: VIP \"%s\" is tcp, so a udp check "
			    "needs the port of the UDP service",
			    v->name);
	if (m->kind == XLB_CHECK_UDP && !m->require_reply &&
	    (m->set & XLB_CHECK_F(XLB_CK_EXPECT)))
		return cerr(x, m, XLB_CK_EXPECT,
			    "means nothing with require_reply: false (no reply "
			    "is awaited)");
	if (!m->port && m->kind != XLB_CHECK_EXEC)
		return cerr(x, m, XLB_CK_PORT,
			    "missing: VIP \"%s\" takes every port, so its "
			    "check needs one",
			    v->name);
	if (m->tunnel && (m->set & XLB_CHECK_F(XLB_CK_ADDRESS)))
		return cerr(x, m, XLB_CK_ADDRESS,
			    "means nothing with tunnel: true: a check through "
			    "the tunnel goes to the VIP's address on the "
			    "backend");
	if (m->timeout_ms >= m->interval_ms)
		return cerr(x, m, XLB_CK_TIMEOUT,
			    "%s is not shorter than the interval %s: a check "
			    "must end before the next one starts",
			    xlb_check_ms_str(m->timeout_ms, a, sizeof(a)),
			    xlb_check_ms_str(m->interval_ms, b, sizeof(b)));
	if (m->timeout_ms >= m->fastinterval_ms)
		return cerr(x, m, XLB_CK_FASTINTERVAL,
			    "%s is not longer than the timeout %s",
			    xlb_check_ms_str(m->fastinterval_ms, a, sizeof(a)),
			    xlb_check_ms_str(m->timeout_ms, b, sizeof(b)));
	if (m->timeout_ms >= m->downinterval_ms)
		return cerr(x, m, XLB_CK_DOWNINTERVAL,
			    "%s is not longer than the timeout %s",
			    xlb_check_ms_str(m->downinterval_ms, a, sizeof(a)),
			    xlb_check_ms_str(m->timeout_ms, b, sizeof(b)));
	return 0;
}

int cfg_check_validate(const struct xlb_cfg *c, const char *file, size_t vi,
		       char *err, size_t errlen)
{
	const struct xlb_cfg_vip *v = &c->vips[vi];
	char where[FIELD_MAX], where_own[FIELD_MAX];
	struct cctx x = { .file = file,
			  .err = err,
			  .errlen = errlen,
			  .where = where,
			  .where_own = where_own };
	struct xlb_cfg_check m;
	int ret;

	snprintf(where, sizeof(where), "vips[%zu].check", vi);
	ret = check_values(&x, &v->check);
	if (ret)
		return ret;
	for (size_t k = 0; k < v->nrefs; k++) {
		const struct xlb_cfg_ref *r = &v->refs[k];
		const struct xlb_cfg_check *own = xlb_cfg_ref_check(c, r);

		snprintf(where_own, sizeof(where_own),
			 "vips[%zu].backends[%zu].check", vi, k);
		x.own = NULL;
		if (r->check && !own)
			return cerr(&x, &v->check, XLB_CHECK_NKEYS,
				    "backends[%zu] names check override %u of "
				    "%zu",
				    k, r->check, c->nchecks);
		if (!v->check.set && !own)
			continue;
		if (own) {
			x.own = own;
			ret = check_values(&x, own);
			if (ret)
				return ret;
		}
		xlb_cfg_check_of(c, v, r, &m);
		if (!m.line)
			m.line = r->line ? r->line : v->line;
		ret = check_merged(&x, v, &m);
		if (ret)
			return ret;
	}
	/* a check: mapping on a VIP with no backends is still checked whole */
	x.own = NULL;
	if (!v->nrefs && v->check.set) {
		struct xlb_cfg_ref none = { .id = 0 };

		xlb_cfg_check_of(c, v, &none, &m);
		if (!m.line)
			m.line = v->line;
		return check_merged(&x, v, &m);
	}
	return 0;
}
