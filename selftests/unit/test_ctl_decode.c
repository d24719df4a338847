// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the request decoder's caps, without a daemon: the size
 * cap, the nesting cap (checked before json-c builds anything), and that
 * the answers xlbd writes decode under the same rules.
 */
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "lib/ctl.h"
#include "lib/ctl_decode.h"
#include "lib/log.h"

#define XLB_ERR_MAX 512

static struct json_object *decode(const char *s, size_t len, char *err)
{
	return xlb_ctl_decode(s, len, err, XLB_ERR_MAX);
}

Test(ctl_decode, a_request_over_the_size_cap_is_refused)
{
	size_t n = XLB_CTL_MAX_REQ + 1;
	char *buf = malloc(n), err[XLB_ERR_MAX];
	struct json_object *o;

	cr_assert_not_null(buf);
	/* {"cmd":"status","pad":"xxxx...x"} of exactly n bytes */
	memset(buf, 'x', n);
	memcpy(buf, "{\"cmd\":\"status\",\"pad\":\"", 23);
	memcpy(buf + n - 2, "\"}", 2);
	cr_assert_null(decode(buf, n, err), "%zu bytes are refused", n);
	cr_assert(strstr(err, "too long"), "says too long: %s", err);
	o = decode(buf + 0, 0, err);
	cr_assert_null(o, "an empty message is refused");
	/* the same shape one byte shorter decodes */
	memcpy(buf + n - 3, "\"}", 2);
	o = decode(buf, n - 1, err);
	cr_assert_not_null(o, "%zu bytes decode: %s", n - 1, err);
	json_object_put(o);
	free(buf);
}

/* {"cmd":"help","a":[[...]]} with @levels levels in all; returns its length. */
static size_t nested(char *buf, int levels)
{
	size_t at = (size_t)sprintf(buf, "{\"cmd\":\"help\",\"a\":");

	for (int i = 1; i < levels; i++)
		buf[at++] = '[';
	for (int i = 1; i < levels; i++)
		buf[at++] = ']';
	buf[at++] = '}';
	return at;
}

Test(ctl_decode, nesting_is_capped_before_json_c_builds_it)
{
	char buf[256], err[XLB_ERR_MAX];
	struct json_object *o;
	size_t len = nested(buf, XLB_CTL_MAX_DEPTH + 1);

	cr_assert_null(decode(buf, len, err), "%d levels are refused: %.*s",
		       XLB_CTL_MAX_DEPTH + 1, (int)len, buf);
	cr_assert(strstr(err, "nested too deep"), "says why: %s", err);
	len = nested(buf, XLB_CTL_MAX_DEPTH);
	o = decode(buf, len, err);
	cr_assert_not_null(o, "%d levels decode: %s (%.*s)", XLB_CTL_MAX_DEPTH,
			   err, (int)len, buf);
	json_object_put(o);
}

Test(ctl_decode, answers_decode_under_the_same_rules)
{
	struct json_object *a = xlb_ctl_error("vip.add: name: \"a\tb\"/x"), *o;
	char err[XLB_ERR_MAX];
	const char *s;
	size_t len;

	s = json_object_to_json_string_length(a, JSON_C_TO_STRING_PLAIN, &len);
	o = xlb_ctl_decode_max(s, len, XLB_CTL_MAX_MSG, err, sizeof(err));
	cr_assert_not_null(o, "xlbd's answer %s decodes: %s", s, err);
	cr_assert_str_eq(
		json_object_get_string(json_object_object_get(o, "error")),
		"vip.add: name: \"a\tb\"/x");
	json_object_put(o);
	json_object_put(a);
}
