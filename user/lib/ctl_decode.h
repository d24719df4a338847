/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the control socket's request decoder: bytes to one JSON
 * object under strict rules, and a generic checker that holds a request
 * against its command's argument spec. Both are pure (no socket, no maps),
 * so the fuzzers and the tests call them directly.
 *
 * The rules, for every message on the socket (README, Control socket):
 * - the whole buffer is exactly one JSON object (RFC 8259), whitespace
 *   around it and nothing else: no second object, no trailing bytes, no
 *   comments, single quotes, NaN/Infinity, leading zeros or "1.";
 * - strings are valid UTF-8 without control characters or \u0000 (json-c
 *   keeps C strings, so a NUL would cut "a\u0000b" to "a"); a field name
 *   appears once;
 * - at most XLB_CTL_MAX_DEPTH levels of nesting and a size cap.
 * Then, for a request, each field has one JSON type and no coercion: a
 * number is a JSON integer ("80" is a string, not a port), a flag is true
 * or false, a word or address is a string; unknown fields are refused.
 */
#ifndef XLB_USER_CTL_DECODE_H
#define XLB_USER_CTL_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include <linux/types.h>

#include "lib/opt.h"
#include "lib/parse.h"

/* A request fits in far less (the largest, vip.add, is under 300 bytes). */
#define XLB_CTL_MAX_REQ (64u << 10)
/* Requests are flat; answers nest a few levels (vips[].backends[]). */
#define XLB_CTL_MAX_DEPTH 16

/*
 * Decodes @len bytes (not NUL-terminated) into one JSON object under the
 * rules above, refusing more than @max bytes. Returns the object (caller
 * puts it) or NULL with the reason in @err ("byte 12: ..." when it has a
 * place).
 */
struct json_object *xlb_ctl_decode_max(const void *buf, size_t len, size_t max,
				       char *err, size_t errlen);
/* The same for a request: at most XLB_CTL_MAX_REQ bytes. */
struct json_object *xlb_ctl_decode(const void *buf, size_t len, char *err,
				   size_t errlen);

/* What one request field holds, and where the checker stores it. */
enum xlb_ctl_type {
	XLB_CTL_STR, /* const char *, into the request; min..max bytes */
	XLB_CTL_WORD, /* __u32: a string, one of words (any case) */
	XLB_CTL_U32, /* __u32: a JSON integer in min..max */
	XLB_CTL_BOOL, /* bool: true or false */
	XLB_CTL_ADDR, /* struct xlb_opt_addr: a string, IPv4 or IPv6 */
	XLB_CTL_MAC, /* __u8[6]: a string, aa:bb:cc:dd:ee:ff */
};

struct xlb_ctl_arg {
	const char *name;
	enum xlb_ctl_type type;
	bool required;
	const char *why_required; /* said after "missing", may be NULL */
	size_t off; /* of the value in the caller's struct */
	size_t has_off; /* of a bool set when the field was given */
	__u32 min, max; /* U32: the range; STR: the length in bytes */
	const struct xlb_word *words; /* WORD */
};

/*
 * Checks every field of @req (except "cmd") against @spec (@n rows) and
 * stores the values into @out. Refuses unknown fields, wrong types, missing
 * required fields and values out of range, naming @cmd and the field:
 * "vip.add: port: missing (the file requires it too)",
 * "conntrack.flush: vip: expected a string, got 123". Returns 0 or
 * -EINVAL. String values point into @req: keep it while @out is used.
 */
int xlb_ctl_args(const char *cmd, struct json_object *req,
		 const struct xlb_ctl_arg *spec, size_t n, void *out, char *err,
		 size_t errlen);

/* "name, address, port, [mode]": the fields of @spec, optional in []. */
void xlb_ctl_args_list(const struct xlb_ctl_arg *spec, size_t n, char *buf,
		       size_t len);

#endif /* XLB_USER_CTL_DECODE_H */
