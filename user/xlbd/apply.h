/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds how a configuration model becomes datapath state: MACs
 * resolved, Maglev tables built, then the pinned maps written in an order
 * that never shows a packet a VIP without a table or a table naming a
 * backend that is not there. Everything that can fail without touching a
 * map (validation, resolution, table builds, id allocation) happens first.
 */
#ifndef XLB_USER_APPLY_H
#define XLB_USER_APPLY_H

#include <stddef.h>
#include <linux/types.h>

#include "config/config.h"
#include "lib/lbmaps.h"

/* How long to wait for a neighbour (next hop, L2 DSR backend) to resolve. */
#define XLB_NEIGH_WAIT_MS 2000

struct xlb_apply_stats {
	unsigned int tables_installed; /* Maglev swaps done */
	unsigned int vips_removed;
	unsigned int backends_deactivated;
	unsigned long ct_flushed; /* entries of backends removed from a VIP */
	/* what changed, in the audit trail's words (set by xlb_edit_commit) */
	char change[512];
};

/*
 * Makes the maps say what @next says. @prev is the model they said before
 * (NULL right after start, when the maps may hold anything: state pinned by
 * an earlier xlbd is adopted, not reset). VIP ids are kept per (address,
 * port, protocol) as the pinned xlb_vips map records them, so conntrack
 * entries and counters stay attached across reloads and restarts.
 *
 * Rules for what disappears: a VIP that is gone is deleted with its table;
 * a backend that leaves the pool is marked inactive, so flows tracked to it
 * re-steer through the table on their next packet; a backend removed from
 * one VIP but still in the pool loses that VIP's conntrack entries (their
 * next packet follows the new table). Drain (weight 0) keeps flows.
 *
 * Every check that can refuse @next (validation, resolution, VIP ids,
 * table builds) runs before the first map write: a refusal writes nothing
 * and its message ends "; nothing was changed". Only a map write that fails
 * half way applies @prev (if any) again, and says so ("; the previous
 * config was restored"). New VIPs take ids no pinned VIP holds; when none
 * are left they take those of VIPs being removed, which are deleted first,
 * so any valid model loads. Returns 0 or a negative errno with the reason
 * in @err.
 */
int xlb_apply(const struct xlb_lb_maps *m, const struct xlb_cfg *prev,
	      const struct xlb_cfg *next, struct xlb_apply_stats *st,
	      char *err, size_t errlen);

/*
 * Everything xlb_apply() checks before its first map write, without maps:
 * validation, the next hop and L2 DSR neighbours resolved, every table
 * built. For a start (before any map is created) and xlbd --check. Returns
 * 0 or a negative errno with "FILE:LINE: FIELD: ..." in @err; @st (may be
 * NULL) counts the tables built in tables_installed.
 */
int xlb_apply_check(const struct xlb_cfg *c, struct xlb_apply_stats *st,
		    char *err, size_t errlen);

/* The vip_id the pinned maps hold for @v, or -ENOENT. */
int xlb_vip_id_of(const struct xlb_lb_maps *m, const struct xlb_cfg_vip *v);

/* The xlb_vip_key of @v, as the datapath looks it up. */
void xlb_vip_key_of(const struct xlb_cfg_vip *v, struct xlb_vip_key *k);

#endif /* XLB_USER_APPLY_H */
