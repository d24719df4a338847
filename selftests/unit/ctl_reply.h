/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds what the unit suites that talk to xlbd's control socket
 * share: a timed call over the socket and readers of the answer.
 */
#ifndef XLB_TEST_CTL_REPLY_H
#define XLB_TEST_CTL_REPLY_H

#include <stdbool.h>
#include <json-c/json.h>

/* CLOCK_MONOTONIC in milliseconds. */
double test_now_ms(void);
/*
 * Sends @json (asserted to parse) to the socket at @path and returns the
 * answer (asserted to come); the round trip in *@ms when @ms is not NULL.
 */
struct json_object *ctl_call_timed(const char *path, const char *json,
				   double *ms);
/* The answer's "ok". */
bool reply_ok(struct json_object *r);
/* The answer's "error", or "". */
const char *reply_error(struct json_object *r);

#endif /* XLB_TEST_CTL_REPLY_H */
