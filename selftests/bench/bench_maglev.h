/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* This file holds the Maglev table build benchmark's entry point. */
#ifndef XLB_BENCH_MAGLEV_H
#define XLB_BENCH_MAGLEV_H

#include <stdio.h>

/*
 * Writes a Markdown table to @md and JSON objects, separated by ",\n" with
 * none before the first, to @json (may be NULL).
 */
int bench_maglev_run(FILE *md, FILE *json);

#endif /* XLB_BENCH_MAGLEV_H */
