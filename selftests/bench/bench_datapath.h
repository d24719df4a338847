/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* This file holds the per-packet datapath benchmark's entry point. */
#ifndef XLB_BENCH_DATAPATH_H
#define XLB_BENCH_DATAPATH_H

#include <stdio.h>

/* Writes a Markdown table to @md and JSON objects to @json (may be NULL). */
int bench_datapath_run(FILE *md, FILE *json);

#endif /* XLB_BENCH_DATAPATH_H */
