/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the pinned health-state map: the last state each health
 * check decided per (VIP id, backend id), pinned beside the LB's maps
 * (PIN_DIR/xlb_health) so that an xlbd restarting over adopted maps starts
 * from the states the tables were built with instead of its initial state,
 * and nothing flaps. It lives and dies with the pins, as the tables do: a
 * fresh pin dir has no states and checks start from their initial state.
 * Only xlbd uses it; the datapath never reads it.
 */
#ifndef XLB_USER_HEALTHMAP_H
#define XLB_USER_HEALTHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define XLB_HEALTH_MAP_NAME "xlb_health"
#define XLB_HEALTH_MAP_MAX 65536

struct xlb_health_key {
	__u32 vip_id;
	__u32 backend_id;
};

struct xlb_health_val {
	__u32 up; /* 1 up, 0 down */
	__u32 pad;
	__u64 since; /* CLOCK_REALTIME seconds of the last transition */
};

/*
 * Opens PIN_DIR/xlb_health, creating and pinning it if absent. Returns the
 * fd, or a negative errno with the reason in @err.
 */
int xlb_health_map_open(const char *pin_dir, char *err, size_t errlen);
/* The state kept for @k: 0, or -ENOENT when there is none. */
int xlb_health_map_get(int fd, const struct xlb_health_key *k,
		       struct xlb_health_val *v);
int xlb_health_map_put(int fd, const struct xlb_health_key *k,
		       const struct xlb_health_val *v);
/* Deletes every entry @keep says no to; returns how many went. */
long xlb_health_map_prune(int fd,
			  bool (*keep)(const struct xlb_health_key *k,
				       void *arg),
			  void *arg);

#endif /* XLB_USER_HEALTHMAP_H */
