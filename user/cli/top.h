/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds `xlb top`: a refreshing terminal view of packet, bit and
 * new-flow rates per VIP and backend, like top(1), from xlbd's stats
 * (rates over its 1 s sampler) and its VIP list (weights, drain, health).
 * On a terminal it takes the alternate screen and raw keys, quits on q or
 * Ctrl-C and puts the terminal back as it found it; --once (or output that
 * is not a terminal) prints one frame, for scripts and tests.
 */
#ifndef XLB_CLI_TOP_H
#define XLB_CLI_TOP_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include <json-c/json.h>

struct xlb_top_opts {
	__u32 interval; /* seconds between frames (default 1) */
	__u32 iterations; /* frames before quitting; 0: until q */
	bool once; /* one frame, no terminal control */
};

/*
 * Sends one request to xlbd and returns its answer (NULL: unreachable,
 * already reported by the caller's function).
 */
typedef struct json_object *xlb_top_ask_fn(void *ctx, struct json_object *req);

/* Runs the view. Returns the exit code (0, or 1 when xlbd fails). */
int xlb_top(const struct xlb_top_opts *o, xlb_top_ask_fn *ask, void *ctx);

/*
 * One frame from xlbd's answers to "stats", "vip.list" and "status" into
 * @f, @width columns wide (0: no limit), at most @rows lines (0: all).
 */
void xlb_top_frame(FILE *f, struct json_object *stats, struct json_object *vips,
		   struct json_object *status, int width, int rows);

#endif /* XLB_CLI_TOP_H */
