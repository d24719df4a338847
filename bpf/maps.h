/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the maps of the LB program. Keys and values are defined
 * once in include/xlb/abi.h. No map is pinned here: the controller pins them
 * (tests load the object without a bpffs).
 */
#ifndef XLB_BPF_MAPS_H
#define XLB_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "xlb/abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XLB_MAX_VIPS);
	__type(key, struct xlb_vip_key);
	__type(value, struct xlb_vip_info);
} xlb_vips SEC(".maps");

/* The VIPs again, by vip_id, for a conntrack hit: see abi.h. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct xlb_vip_slot);
} xlb_vip_by_id SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XLB_MAX_VIP_ADDRS);
	__type(key, struct xlb_addr_key);
	__type(value, struct xlb_addr_info);
} xlb_vip_addrs SEC(".maps");

/* A bit per hash of a VIP address: see XLB_ADDR_FILTER_BITS in abi.h. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_ADDR_FILTER_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} xlb_vip_addr_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct xlb_backend);
} xlb_backends SEC(".maps");

/* Template of a per-VIP Maglev table; BPF_F_INNER_MAP lets sizes differ. */
struct xlb_maglev_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(max_entries, XLB_MAGLEV_DEFAULT_SIZE + XLB_MAGLEV_HDR_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, XLB_MAX_VIPS);
	__type(key, __u32);
	__array(values, struct xlb_maglev_table);
} xlb_maglev SEC(".maps");

/*
 * One LRU hash with the common LRU (per-CPU free lists in front of one
 * shared list): the whole table is usable whichever CPU writes an entry.
 * Per-CPU LRU lists (BPF_F_NO_COMMON_LRU, releases before this one) split
 * the entries between the CPUs, so a flow mix on one RX queue, or entries
 * written by xlbd (sync, adoption) from one CPU, evicted at about
 * max_entries / nr_cpus. Measured here (2 CPUs, 1M entries): 1M entries
 * written from one CPU, 52% kept with per-CPU lists, 100% with the common
 * LRU. The price is on eviction only: a new flow into a full table costs
 * 10-20% more (the shared list evicts 128 entries at a time under its
 * lock); per-CPU lists would need entries x CPUs for the same guarantee,
 * a table that much larger to miss in and for xlbd to walk. An adopted
 * per-CPU table keeps its flags (lib/loader.c).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XLB_CT_ENTRIES);
	__type(key, struct xlb_flow);
	__type(value, struct xlb_ct_entry);
} xlb_conntrack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_config);
} xlb_config SEC(".maps");

/* The flow cache in front of xlb_conntrack: see bpf/flow_cache.h. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_FLOW_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct xlb_flow_cache_slot);
} xlb_flow_cache SEC(".maps");

/* One word xlbd bumps after it changes what a conntrack hit depends on. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} xlb_ct_gen SEC(".maps");

/*
 * A version per hash bucket of flows, bumped by the datapath's writes and
 * by xlbd's (xlb_ct_flows_changed): mmapable, so user space can bump one
 * flow's version atomically instead of every CPU's whole cache.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, XLB_CT_VERSIONS);
	__type(key, __u32);
	__type(value, __u32);
} xlb_ct_versions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_ct_rate);
} xlb_ct_rate SEC(".maps");

/*
 * Per-CPU so the hot path never takes an atomic or bounces a cache line.
 * XLB_STAT_SLOTS entries, more than there are outcomes: a new outcome needs
 * no new map, so an upgrade keeps the pinned one.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_STAT_SLOTS);
	__type(key, __u32);
	__type(value, struct xlb_counter);
} xlb_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct xlb_vip_stats);
} xlb_vip_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct xlb_counter);
} xlb_backend_stats SEC(".maps");

/*
 * New conntrack entries for xlbd's state sync (bpf/learn.h). A ring buffer,
 * not a perf buffer: one ring shared by every CPU, records in order, and a
 * full ring fails the reserve at once (counted) instead of blocking.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, XLB_CT_EVENTS_BYTES);
} xlb_ct_events SEC(".maps");

#endif /* XLB_BPF_MAPS_H */
