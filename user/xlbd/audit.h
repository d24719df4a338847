/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the audit trail's text: what changed between two models,
 * one short sentence per change, in words an operator greps for
 * ("backend weight web 2 3 -> 5", "+VIP web6 (192.0.2.16:80/tcp)",
 * "backend 4 removed from web"). xlbd logs each as "change: ... (by WHO)"
 * after every successful edit or reload.
 */
#ifndef XLB_USER_AUDIT_H
#define XLB_USER_AUDIT_H

#include <stddef.h>

#include "config/config.h"

/* Called once per change with its sentence (no newline). */
typedef void (*xlb_audit_fn)(const char *change, void *arg);

/*
 * Calls @fn for each difference from @old to @new: settings, the pool
 * (joined, left, address, health), VIPs (added, removed, settings) and each
 * VIP's backends (added, removed, weight, drain). Returns how many.
 */
size_t xlb_audit_diff(const struct xlb_cfg *old, const struct xlb_cfg *new,
		      xlb_audit_fn fn, void *arg);

/*
 * The same, as one string: the changes joined by @sep into @out (cut short
 * with "..." when it does not fit). Returns how many changes there were.
 */
size_t xlb_audit_text(const struct xlb_cfg *old, const struct xlb_cfg *new,
		      const char *sep, char *out, size_t outlen);

#endif /* XLB_USER_AUDIT_H */
