/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the user-space interface to the LB program's maps, the
 * one place above the loader that calls bpf_map_*: the list of map names,
 * finding them in a loaded object, reading and writing VIPs, backends, the
 * config and Maglev tables. The counters are read in lib/stats.h and the
 * conntrack table has its own module (lib/conntrack.h). Every function
 * returns 0 or a negative errno and changes nothing on failure.
 */
#ifndef XLB_USER_LBMAPS_H
#define XLB_USER_LBMAPS_H

#include <bpf/libbpf.h>
#include <xlb/abi.h>

#include <stdbool.h>
#include <stddef.h>

/*
 * The LB's maps, once: field of struct xlb_lb_maps and name in the object
 * (and under the pin dir). The loader, the object lookup and close all walk
 * this list, so a new map is one line here.
 */
#define XLB_LB_MAPS(X)                          \
	X(vips, "xlb_vips")                     \
	X(vip_by_id, "xlb_vip_by_id")           \
	X(vip_addrs, "xlb_vip_addrs")           \
	X(vip_addr_filter, "xlb_vip_addr_filter") \
	X(backends, "xlb_backends")             \
	X(maglev, "xlb_maglev")                 \
	X(conntrack, "xlb_conntrack")           \
	X(config, "xlb_config")                 \
	X(ct_rate, "xlb_ct_rate")               \
	X(stats, "xlb_stats")                   \
	X(vip_stats, "xlb_vip_stats")           \
	X(backend_stats, "xlb_backend_stats")   \
	X(clock, "xlb_clock") /* the datapath's own */ \
	X(ct_events, "xlb_ct_events") /* new entries, for sync */ \
	X(flow_cache, "xlb_flow_cache") /* the datapath's own */ \
	X(ct_gen, "xlb_ct_gen") /* xlb_ct_gen_bump */ \
	X(ct_versions, "xlb_ct_versions") /* the datapath's own */

struct xlb_lb_maps {
#define XLB_MAP_FIELD(field, name) int field;
	XLB_LB_MAPS(XLB_MAP_FIELD)
#undef XLB_MAP_FIELD
};

/* How many maps XLB_LB_MAPS lists. */
size_t xlb_lb_map_count(void);
/* The name of map @i of the list (0 .. count-1). */
const char *xlb_lb_map_name(size_t i);
/* The fd slot of map @i in @m. */
int *xlb_lb_map_fd(struct xlb_lb_maps *m, size_t i);
/* Sets every fd of @m to -1 (nothing open). */
void xlb_lb_maps_reset(struct xlb_lb_maps *m);

/* Fills @m with the fds of the maps of a loaded xlb_lb object. */
int xlb_maps_from_object(struct bpf_object *obj, struct xlb_lb_maps *m);

int xlb_config_write(const struct xlb_lb_maps *m, const struct xlb_config *c);

/*
 * Tells the datapath's flow cache (bpf/flow_cache.h) that what a conntrack
 * hit depends on has changed: every cached copy goes stale. The VIP and
 * config writers here call it; whoever writes or deletes conntrack entries
 * (lib/conntrack.h takes only the table's fd) calls it after, before it
 * relies on the change. Cheap: one lookup and one update of one word.
 */
int xlb_ct_gen_bump(const struct xlb_lb_maps *m);

/*
 * A shared mapping of xlb_ct_versions for xlb_ct_flows_changed, kept by
 * whoever bumps often (state sync): mapping it costs about 70 us, each
 * bump through it a few ns. NULL (errno set) when the map cannot be
 * mapped: one pinned by the first build with the flow cache.
 */
void *xlb_ct_versions_map(const struct xlb_lb_maps *m);
void xlb_ct_versions_unmap(void *versions);

/*
 * As xlb_ct_gen_bump, for the @n flows of @flows alone: bumps each flow's
 * version through @versions (from xlb_ct_versions_map), atomically, as the
 * datapath does, so only copies of these flows go stale and every other
 * flow stays cached. For writes of a few entries at a time that other
 * CPUs are serving, such as state sync's. With @versions NULL (a map that
 * cannot be mapped) it bumps the generation instead.
 */
int xlb_ct_flows_changed(const struct xlb_lb_maps *m, void *versions,
			 const struct xlb_flow *flows, size_t n);

/*
 * Sets the bit of @a in xlb_vip_addr_filter (abi.h); bits are never
 * cleared. xlb_vip_write does it for every VIP address.
 */
int xlb_addr_filter_set(const struct xlb_lb_maps *m, const struct xlb_addr *a);
/*
 * Sets the bit of every address in xlb_vip_addrs: a filter created next to
 * maps pinned by a release without it starts empty, and must know every
 * VIP address before a program that reads it is attached.
 */
int xlb_addr_filter_sync(const struct xlb_lb_maps *m);

/*
 * Adds or replaces a VIP and marks its address as a VIP address (answering
 * echo requests when @addr_flags has XLB_ADDR_F_ECHO).
 */
int xlb_vip_write(const struct xlb_lb_maps *m, const struct xlb_vip_key *k,
		  const struct xlb_vip_info *v, __u32 addr_flags);

/*
 * Rebuilds xlb_vip_by_id (abi.h) from xlb_vips; xlb_vip_write and
 * xlb_vip_delete keep it current after that. Only the pin dir's owner
 * (xlbd, at start) may run it: racing a delete, it could write a slot
 * back after the delete cleared it.
 */
int xlb_vip_by_id_sync(const struct xlb_lb_maps *m);

/* The xlb_vip_info the datapath finds for @k; -ENOENT when none. */
int xlb_vip_read(const struct xlb_lb_maps *m, const struct xlb_vip_key *k,
		 struct xlb_vip_info *v);

/* One pinned VIP, as xlb_vip_list() returns it. */
struct xlb_vip_entry {
	struct xlb_vip_key key;
	struct xlb_vip_info info;
};

/*
 * Every VIP in xlb_vips (at most XLB_MAX_VIPS): *@out is allocated (the
 * caller frees it), *@n set. An entry deleted during the walk may be left
 * out; none is listed twice.
 */
int xlb_vip_list(const struct xlb_lb_maps *m, struct xlb_vip_entry **out,
		 size_t *n);

/*
 * Deletes the VIP @k (its id @vip_id) and then its Maglev table; with
 * @drop_addr also its address from xlb_vip_addrs (when no other VIP uses
 * it). Only the first delete can fail the call: once no packet can reach
 * the table, what remains is cleanup.
 */
int xlb_vip_delete(const struct xlb_lb_maps *m, const struct xlb_vip_key *k,
		   __u32 vip_id, bool drop_addr);

int xlb_backend_read(const struct xlb_lb_maps *m, __u32 id,
		     struct xlb_backend *be);
int xlb_backend_write(const struct xlb_lb_maps *m, __u32 id,
		      const struct xlb_backend *be);

/*
 * Installs a Maglev table of @size slots for @vip_id: a new inner map is
 * built and filled off to the side, then swapped into the VIP's slot with
 * one update, so a packet sees the old table or the new one, never a mix.
 */
int xlb_table_install(const struct xlb_lb_maps *m, __u32 vip_id,
		      const __u32 *table, __u32 size);

/* True when a Maglev table is installed for @vip_id. */
bool xlb_table_installed(const struct xlb_lb_maps *m, __u32 vip_id);

/*
 * Reads the table the datapath really uses for @vip_id (not what was meant
 * to be installed): *@table is allocated with *@size slots (the caller
 * frees it). -ENOENT when the VIP has no table.
 */
int xlb_table_read(const struct xlb_lb_maps *m, __u32 vip_id, __u32 **table,
		   __u32 *size);

/*
 * Reads part of the same table: up to @max slots from slot @from into
 * @out; *@got says how many, *@size the table's slots. A 65537-slot table
 * read in one go costs ~20 ms; in parts, a caller on an event loop holds
 * it a fraction of that per part.
 */
int xlb_table_read_part(const struct xlb_lb_maps *m, __u32 vip_id, __u32 from,
			__u32 max, __u32 *out, __u32 *got, __u32 *size);

#endif /* XLB_USER_LBMAPS_H */
