// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the control socket's request decoder and the argument
 * checker of the command table (lib/ctl_decode.h has the rules). json-c's
 * strict mode (0.16) still takes single quotes, NaN, "1." and raw control
 * bytes in strings, so a small RFC 8259 scanner runs first and json-c only
 * ever builds documents the scanner passed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/ctl_decode.h"
#include "lib/log.h"

/* ---- the strict scanner ------------------------------------------------- */

struct scan {
	const unsigned char *s, *p, *end;
	const char *why;
	size_t top_members; /* fields of the outermost object */
};

static void ws(struct scan *sc)
{
	while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\t' ||
				   *sc->p == '\n' || *sc->p == '\r'))
		sc->p++;
}

static int fail(struct scan *sc, const char *why)
{
	sc->why = why;
	return -EINVAL;
}

static int hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static int string(struct scan *sc)
{
	sc->p++; /* the opening quote */
	while (sc->p < sc->end) {
		unsigned char c = *sc->p;

		if (c == '"') {
			sc->p++;
			return 0;
		}
		if (c < 0x20)
			return fail(sc,
				    "a control byte in a string (escape it)");
		if (c != '\\') {
			sc->p++;
			continue;
		}
		if (sc->end - sc->p < 2)
			break;
		c = sc->p[1];
		if (c && strchr("\"\\/bfnrt", c)) {
			sc->p += 2;
			continue;
		}
		if (c != 'u')
			return fail(sc, "an unknown escape in a string");
		if (sc->end - sc->p < 6 || !hex(sc->p[2]) || !hex(sc->p[3]) ||
		    !hex(sc->p[4]) || !hex(sc->p[5]))
			return fail(sc, "\\u needs 4 hex digits");
		if (!memcmp(sc->p + 2, "0000", 4))
			return fail(sc, "\\u0000 (NUL) in a string");
		sc->p += 6;
	}
	return fail(sc, "a string is not closed");
}

static int digits(struct scan *sc)
{
	const unsigned char *from = sc->p;

	while (sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9')
		sc->p++;
	return sc->p > from ? 0 : fail(sc, "a digit expected");
}

static int number(struct scan *sc)
{
	if (*sc->p == '-')
		sc->p++;
	if (sc->p < sc->end && *sc->p == '0') {
		sc->p++;
		if (sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9')
			return fail(sc, "a number with a leading 0");
	} else if (digits(sc)) {
		return -EINVAL;
	}
	if (sc->p < sc->end && *sc->p == '.') {
		sc->p++;
		if (digits(sc))
			return -EINVAL;
	}
	if (sc->p < sc->end && (*sc->p == 'e' || *sc->p == 'E')) {
		sc->p++;
		if (sc->p < sc->end && (*sc->p == '+' || *sc->p == '-'))
			sc->p++;
		if (digits(sc))
			return -EINVAL;
	}
	return 0;
}

static int literal(struct scan *sc, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, word, n))
		return fail(sc, "not a JSON value (strings take double "
				"quotes; no NaN, comments or bare words)");
	sc->p += n;
	return 0;
}

static int value(struct scan *sc, int depth);

/* An object or array: @close ends it, objects have "name": before values. */
static int container(struct scan *sc, int depth, unsigned char close)
{
	size_t n = 0;

	if (depth >= XLB_CTL_MAX_DEPTH)
		return fail(sc, "nested too deep");
	sc->p++;
	ws(sc);
	if (sc->p < sc->end && *sc->p == close) {
		sc->p++;
		return 0;
	}
	for (;;) {
		ws(sc);
		if (close == '}') {
			if (sc->p >= sc->end || *sc->p != '"')
				return fail(sc, "a field name in double quotes "
						"expected");
			if (string(sc))
				return -EINVAL;
			ws(sc);
			if (sc->p >= sc->end || *sc->p != ':')
				return fail(sc, "':' expected");
			sc->p++;
			ws(sc);
		}
		if (value(sc, depth + 1))
			return -EINVAL;
		n++;
		ws(sc);
		if (sc->p < sc->end && *sc->p == ',') {
			sc->p++;
			continue;
		}
		if (sc->p < sc->end && *sc->p == close) {
			sc->p++;
			break;
		}
		return fail(sc, close == '}' ? "',' or '}' expected" :
					       "',' or ']' expected");
	}
	if (depth == 0)
		sc->top_members = n;
	return 0;
}

static int value(struct scan *sc, int depth)
{
	if (sc->p >= sc->end)
		return fail(sc, "the document ends early");
	switch (*sc->p) {
	case '{':
		return container(sc, depth, '}');
	case '[':
		return container(sc, depth, ']');
	case '"':
		return string(sc);
	case 't':
		return literal(sc, "true");
	case 'f':
		return literal(sc, "false");
	case 'n':
		return literal(sc, "null");
	default:
		if (*sc->p == '-' || (*sc->p >= '0' && *sc->p <= '9'))
			return number(sc);
		return literal(sc, "\x01"); /* never matches: the message */
	}
}

/* True if a string anywhere in @o is shorter than json-c says it is. */
static bool has_nul(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_string:
		return strlen(json_object_get_string(o)) !=
		       (size_t)json_object_get_string_len(o);
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			if (has_nul(json_object_array_get_idx(o, i)))
				return true;
		return false;
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			if (has_nul(v))
				return true;
		}
		return false;
	}
	default:
		return false;
	}
}

struct json_object *xlb_ctl_decode_max(const void *buf, size_t len, size_t max,
				       char *err, size_t errlen)
{
	struct scan sc = { .s = buf,
			   .p = buf,
			   .end = (const unsigned char *)buf + len };
	struct json_tokener *tok;
	struct json_object *o;
	size_t start;

	if (len > max) {
		xlb_errf(err, errlen, -EMSGSIZE,
			 "message too long (%zu bytes, at most %zu)", len, max);
		return NULL;
	}
	ws(&sc);
	if (sc.p >= sc.end || *sc.p != '{') {
		xlb_errf(err, errlen, -EINVAL, "not a JSON object%s",
			 sc.p >= sc.end ? " (empty)" : "");
		return NULL;
	}
	start = (size_t)(sc.p - sc.s);
	if (container(&sc, 0, '}')) {
		xlb_errf(err, errlen, -EINVAL, "not strict JSON: byte %zu: %s",
			 (size_t)(sc.p - sc.s), sc.why);
		return NULL;
	}
	ws(&sc);
	if (sc.p != sc.end) {
		xlb_errf(err, errlen, -EINVAL,
			 "byte %zu: data after the JSON object (one request, "
			 "one object)",
			 (size_t)(sc.p - sc.s));
		return NULL;
	}
	tok = json_tokener_new_ex(XLB_CTL_MAX_DEPTH + 1);
	if (!tok) {
		xlb_errf(err, errlen, -ENOMEM, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, (const char *)sc.s + start,
				  (int)(len - start));
	if (!o || json_tokener_get_error(tok) != json_tokener_success) {
		xlb_errf(err, errlen, -EINVAL, "not strict JSON: byte %zu: %s",
			 start + json_tokener_get_parse_end(tok),
			 json_tokener_error_desc(json_tokener_get_error(tok)));
		json_object_put(o);
		o = NULL;
	} else if (!json_object_is_type(o, json_type_object)) {
		xlb_errf(err, errlen, -EINVAL, "not a JSON object");
		json_object_put(o);
		o = NULL;
	} else if ((size_t)json_object_object_length(o) != sc.top_members) {
		/* json-c keeps the last of two equal names */
		xlb_errf(err, errlen, -EINVAL, "a field appears twice");
		json_object_put(o);
		o = NULL;
	} else if (has_nul(o)) {
		xlb_errf(err, errlen, -EINVAL, "a NUL byte in a string");
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

struct json_object *xlb_ctl_decode(const void *buf, size_t len, char *err,
				   size_t errlen)
{
	return xlb_ctl_decode_max(buf, len, XLB_CTL_MAX_REQ, err, errlen);
}

/* ---- the argument checker ----------------------------------------------- */

/* @v as JSON text for a message, cut after 40 bytes. */
static const char *shown(struct json_object *v, char *buf, size_t n)
{
	const char *s = json_object_to_json_string_ext(
		v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(s);

	if (len > 40)
		snprintf(buf, n, "%.40s...", s);
	else
		snprintf(buf, n, "%s", s);
	return buf;
}

static const char *expected(const struct xlb_ctl_arg *a, char *buf, size_t n)
{
	char words[128];

	switch (a->type) {
	case XLB_CTL_STR:
		return "a string";
	case XLB_CTL_WORD:
		xlb_word_list(a->words, words, sizeof(words));
		snprintf(buf, n, "a string (%s)", words);
		return buf;
	case XLB_CTL_U32:
		snprintf(buf, n, "a whole number %u..%u", a->min, a->max);
		return buf;
	case XLB_CTL_BOOL:
		return "true or false";
	case XLB_CTL_ADDR:
		return "a string (an IPv4 or IPv6 address)";
	case XLB_CTL_MAC:
		return "a string (a MAC, aa:bb:cc:dd:ee:ff)";
	}
	return "?";
}

static bool type_ok(const struct xlb_ctl_arg *a, struct json_object *v)
{
	switch (a->type) {
	case XLB_CTL_U32:
		return json_object_is_type(v, json_type_int);
	case XLB_CTL_BOOL:
		return json_object_is_type(v, json_type_boolean);
	default:
		return json_object_is_type(v, json_type_string);
	}
}

/* Stores one value of the right JSON type; 0 or -EINVAL with @why. */
static int store(const struct xlb_ctl_arg *a, struct json_object *v, void *out,
		 char *why, size_t n)
{
	char *at = (char *)out + a->off;
	const char *s = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);
	char q[XLB_QUOTE_MAX];

	switch (a->type) {
	case XLB_CTL_STR:
		if (len < a->min || len > a->max) {
			if (!len)
				snprintf(why, n, "empty");
			else
				snprintf(why, n, "%s: %u..%u bytes",
					 xlb_quote(s, len, q), a->min, a->max);
			return -EINVAL;
		}
		*(const char **)at = s;
		return 0;
	case XLB_CTL_WORD:
		return xlb_word_parse(a->words, s, (__u32 *)at, why, n);
	case XLB_CTL_U32: {
		/* json-c saturates past int64; those are out of range too */
		int64_t x = json_object_get_int64(v);

		if (x < (int64_t)a->min || x > (int64_t)a->max) {
			snprintf(why, n, "%s is out of range %u..%u",
				 json_object_to_json_string(v), a->min, a->max);
			return -EINVAL;
		}
		*(__u32 *)at = (__u32)x;
		return 0;
	}
	case XLB_CTL_BOOL:
		*(bool *)at = json_object_get_boolean(v);
		return 0;
	case XLB_CTL_ADDR: {
		struct xlb_opt_addr *ad = (struct xlb_opt_addr *)at;

		if (xlb_addr_parse(s, &ad->addr, &ad->family)) {
			snprintf(why, n, "%s is not an IPv4 or IPv6 address",
				 xlb_quote(s, len, q));
			return -EINVAL;
		}
		return 0;
	}
	case XLB_CTL_MAC:
		if (xlb_mac_parse(s, (__u8 *)at)) {
			snprintf(why, n, "%s is not a MAC (aa:bb:cc:dd:ee:ff)",
				 xlb_quote(s, len, q));
			return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

int xlb_ctl_args(const char *cmd, struct json_object *req,
		 const struct xlb_ctl_arg *spec, size_t n, void *out, char *err,
		 size_t errlen)
{
	char why[256], list[256], q[XLB_QUOTE_MAX], got[64];

	/* unknown fields first: a typo of an optional field must not pass */
	json_object_object_foreach(req, key, val) {
		size_t i;

		(void)val;
		if (!strcmp(key, "cmd"))
			continue;
		for (i = 0; i < n && strcmp(key, spec[i].name); i++)
			;
		if (i < n)
			continue;
		xlb_ctl_args_list(spec, n, list, sizeof(list));
		return xlb_errf(err, errlen, -EINVAL,
				"%s: %s: unknown field (%s %s%s)", cmd,
				xlb_quote(key, strlen(key), q), cmd,
				n ? "takes " : "takes no fields", list);
	}
	for (size_t i = 0; i < n; i++) {
		const struct xlb_ctl_arg *a = &spec[i];
		struct json_object *v;

		if (!json_object_object_get_ex(req, a->name, &v)) {
			if (!a->required)
				continue;
			return xlb_errf(err, errlen, -EINVAL,
					"%s: %s: missing%s%s%s", cmd, a->name,
					a->why_required ? " (" : "",
					a->why_required ? a->why_required : "",
					a->why_required ? ")" : "");
		}
		if (!type_ok(a, v))
			return xlb_errf(err, errlen, -EINVAL,
					"%s: %s: expected %s, got %s", cmd,
					a->name, expected(a, why, sizeof(why)),
					shown(v, got, sizeof(got)));
		if (store(a, v, out, why, sizeof(why)))
			return xlb_errf(err, errlen, -EINVAL, "%s: %s: %s", cmd,
					a->name, why);
		*(bool *)((char *)out + a->has_off) = true;
	}
	return 0;
}

void xlb_ctl_args_list(const struct xlb_ctl_arg *spec, size_t n, char *buf,
		       size_t len)
{
	size_t at = 0;

	if (len)
		buf[0] = 0;
	for (size_t i = 0; i < n && at < len; i++) {
		int w = snprintf(buf + at, len - at, "%s%s%s%s", i ? ", " : "",
				 spec[i].required ? "" : "[", spec[i].name,
				 spec[i].required ? "" : "]");

		if (w < 0)
			return;
		at += (size_t)w;
	}
}
