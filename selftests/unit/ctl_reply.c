// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the control-socket helpers the unit suites share
 * (ctl_reply.h).
 */
#include <time.h>
#include <criterion/criterion.h>

#include "lib/ctl.h"
#include "ctl_reply.h"

double test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct json_object *ctl_call_timed(const char *path, const char *json,
				   double *ms)
{
	struct json_object *q = json_tokener_parse(json), *r;
	char err[256];
	double t = test_now_ms();

	cr_assert_not_null(q, "test request is JSON: %s", json);
	r = xlb_ctl_call(path, q, err, sizeof(err));
	if (ms)
		*ms = test_now_ms() - t;
	json_object_put(q);
	cr_assert_not_null(r, "%s gets an answer: %s", json, err);
	return r;
}

bool reply_ok(struct json_object *r)
{
	return json_object_get_boolean(json_object_object_get(r, "ok"));
}

const char *reply_error(struct json_object *r)
{
	struct json_object *e = json_object_object_get(r, "error");

	return e ? json_object_get_string(e) : "";
}
