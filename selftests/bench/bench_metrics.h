/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* This file holds the /metrics scrape benchmark's entry point. */
#ifndef XLB_BENCH_METRICS_H
#define XLB_BENCH_METRICS_H

#include <stdio.h>

/*
 * A real xlbd on real pinned maps with 1,000 VIPs of 10 backends each
 * (10,000 backends): the time a /metrics render takes (what a scrape costs
 * the loop), and the cached conntrack walk over a filled table. Markdown to
 * @md, JSON objects (",\n"-separated, none before the first) to @json.
 */
int bench_metrics_run(FILE *md, FILE *json);

#endif /* XLB_BENCH_METRICS_H */
