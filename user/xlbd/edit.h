/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the model-edit API: the changes an operator (through the
 * control socket), a health check or the sync receiver makes to the running
 * model, without JSON. Each edit works on a copy of the running model,
 * validates it whole and applies it to the maps all or nothing (xlb_apply);
 * only then does the copy become the running model. A refused edit changes
 * neither the model nor a map, and says why in @err, a sentence that names
 * the request, not the file the model came from ("backend add 1: id 1 is
 * 198.18.0.11 already; ...", "vip add web4: table_size: ..."). Every function
 * returns 0 or a negative errno; @st (may be NULL) says what apply did.
 */
#ifndef XLB_USER_EDIT_H
#define XLB_USER_EDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "config/config.h"
#include "xlbd/apply.h"
#include "xlbd/daemon.h"

/*
 * Makes @next the running model: applies it over the running one and, when
 * that worked, takes it over (@next is left empty) and logs each change as
 * "change: WHAT (by @by)" (xlbd/audit.h; NULL: "control socket"). On
 * failure @next is the caller's to free. Every edit and every reload ends
 * here.
 */
int xlb_edit_commit(struct xlbd *d, struct xlb_cfg *next, const char *by,
		    struct xlb_apply_stats *st, char *err, size_t errlen);

/* Adds VIP @v (its refs must be empty: backends are added one by one). */
int xlb_edit_vip_add(struct xlbd *d, const struct xlb_cfg_vip *v,
		     struct xlb_apply_stats *st, char *err, size_t errlen);
/* Deletes VIP @name; backends no other VIP uses leave the pool with it. */
int xlb_edit_vip_del(struct xlbd *d, const char *name,
		     struct xlb_apply_stats *st, char *err, size_t errlen);

/*
 * Adds backend @b->id to VIP @vip with @weight, a backup (takes new flows
 * only while no primary of the VIP can) when @backup. A backend not yet in
 * the pool joins it as @b says (its address is needed: @has_addr); an id
 * already in the pool must keep its address (a stable id names one server),
 * and its MAC and health are the pool's.
 */
int xlb_edit_backend_add(struct xlbd *d, const char *vip,
			 const struct xlb_cfg_backend *b, bool has_addr,
			 __u32 weight, bool backup, struct xlb_apply_stats *st,
			 char *err, size_t errlen);
/* Takes backend @id out of VIP @vip; out of the pool when no VIP uses it. */
int xlb_edit_backend_del(struct xlbd *d, const char *vip, __u32 id,
			 struct xlb_apply_stats *st, char *err, size_t errlen);

/* Sets @id's configured weight in @vip; a drained backend is undrained. */
int xlb_edit_backend_weight(struct xlbd *d, const char *vip, __u32 id,
			    __u32 weight, struct xlb_apply_stats *st, char *err,
			    size_t errlen);
/* Drain: no new flows, established ones stay; the weight is kept. */
int xlb_edit_backend_drain(struct xlbd *d, const char *vip, __u32 id,
			   struct xlb_apply_stats *st, char *err, size_t errlen);
/* Undrain: back to the configured weight (1 if that is 0). */
int xlb_edit_backend_undrain(struct xlbd *d, const char *vip, __u32 id,
			     struct xlb_apply_stats *st, char *err,
			     size_t errlen);

/*
 * Maintenance (HAProxy's MAINT) on or off: no traffic at all, its flows in
 * @vip deleted (xlb_apply), no check; off, its check starts over from its
 * initial state. Weight and drain are kept.
 */
int xlb_edit_backend_maint(struct xlbd *d, const char *vip, __u32 id,
			   bool maint, struct xlb_apply_stats *st, char *err,
			   size_t errlen);

/*
 * Marks backend @id of the pool up or down. Down takes it out of every
 * table it is in (as weight 0: its established flows stay) and keeps its
 * weights; up puts it back. Marking it as it is already is a no-op (0).
 */
int xlb_edit_backend_health(struct xlbd *d, __u32 id, bool up,
			    struct xlb_apply_stats *st, char *err,
			    size_t errlen);

/*
 * Commits the running model again so the health checks' states reach the
 * tables (xlbd/health.h: the commit sets every reference's down flag from
 * them); @by names the health checker in the audit line.
 */
int xlb_edit_health_sync(struct xlbd *d, const char *by,
			 struct xlb_apply_stats *st, char *err, size_t errlen);

/*
 * Carries health marks over to a model read afresh (reload): a backend of
 * @next that is down in @running (same id, same address) stays down, and
 * so does a reference (same VIP name, same id) its check found down.
 */
void xlb_edit_keep_health(const struct xlb_cfg *running, struct xlb_cfg *next);

#endif /* XLB_USER_EDIT_H */
