/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the user-space interface to the LB program's maps: find
 * them in a loaded object, write VIPs, backends, the config and Maglev
 * tables (the counters are read in lib/stats.h). Every function returns 0
 * or a negative errno and changes nothing on failure.
 */
#ifndef XLB_USER_LBMAPS_H
#define XLB_USER_LBMAPS_H

#include <bpf/libbpf.h>
#include <xlb/abi.h>

struct xlb_lb_maps {
	int vips;
	int vip_addrs;
	int backends;
	int maglev;
	int conntrack;
	int config;
	int ct_rate;
	int stats;
	int vip_stats;
	int backend_stats;
};

/* Fills @m with the fds of the maps of a loaded xlb_lb object. */
int xlb_maps_from_object(struct bpf_object *obj, struct xlb_lb_maps *m);

int xlb_config_write(const struct xlb_lb_maps *m, const struct xlb_config *c);

/*
 * Adds or replaces a VIP and marks its address as a VIP address (answering
 * echo requests when @addr_flags has XLB_ADDR_F_ECHO).
 */
int xlb_vip_write(const struct xlb_lb_maps *m, const struct xlb_vip_key *k,
		  const struct xlb_vip_info *v, __u32 addr_flags);

int xlb_backend_write(const struct xlb_lb_maps *m, __u32 id,
		      const struct xlb_backend *be);

/*
 * Installs a Maglev table of @size slots for @vip_id: a new inner map is
 * built and filled off to the side, then swapped into the VIP's slot with
 * one update, so a packet sees the old table or the new one, never a mix.
 */
int xlb_table_install(const struct xlb_lb_maps *m, __u32 vip_id,
		      const __u32 *table, __u32 size);

#endif /* XLB_USER_LBMAPS_H */
