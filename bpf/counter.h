/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the one way xlb's programs bump a packet/byte counter
 * (struct xlb_counter) in a per-CPU array: the map is an argument, so the
 * LB (xlb_stats, xlb_backend_stats) and the decap program
 * (xlb_decap_stats) share it without sharing maps. Per-CPU values need no
 * atomics: one CPU runs one packet at a time.
 */
#ifndef XLB_BPF_COUNTER_H
#define XLB_BPF_COUNTER_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "xlb/abi.h"

/*
 * An index past the map's end (an outcome newer than an adopted, older
 * map) finds nothing and is not counted.
 */
static __always_inline void xlb_counter_add(void *map, __u32 idx, __u64 bytes)
{
	struct xlb_counter *c = bpf_map_lookup_elem(map, &idx);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

#endif /* XLB_BPF_COUNTER_H */
