/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds a writer of the Prometheus text exposition format
 * (version 0.0.4): a family's "# HELP" and "# TYPE" lines, then its
 * samples with escaped label values, into one growing buffer. Pure (no
 * I/O), so the format is tested without a server. The first allocation
 * failure sticks: every later call does nothing and xlb_prom_done() says
 * -ENOMEM, so a caller checks once.
 */
#ifndef XLB_USER_PROM_H
#define XLB_USER_PROM_H

#include <stddef.h>
#include <linux/types.h>

/* The Content-Type of what the writer produces. */
#define XLB_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct xlb_prom {
	char *buf;
	size_t len, cap;
	int err; /* 0, or the first failure (-ENOMEM, -EINVAL) */
	unsigned int families; /* families begun, for tests and logs */
};

void xlb_prom_init(struct xlb_prom *p);
void xlb_prom_free(struct xlb_prom *p);
/* 0, or the first failure of any call since init. */
int xlb_prom_done(const struct xlb_prom *p);

/*
 * Begins family @name of @type ("counter", "gauge", "untyped"): its HELP
 * (backslash and newline escaped) and TYPE lines. Samples of the family
 * follow, before the next family begins. A name outside
 * [a-zA-Z_:][a-zA-Z0-9_:]* is refused (-EINVAL sticks).
 */
void xlb_prom_family(struct xlb_prom *p, const char *name, const char *type,
		     const char *help);

/*
 * One sample: @name{k1="v1",...} @value. The labels are NULL-terminated
 * key, value pairs of strings; values are escaped (backslash, double
 * quote, newline), keys are checked like names. Integers are written
 * exactly; doubles with up to 17 significant digits (NaN, +Inf, -Inf as
 * the format spells them).
 */
void xlb_prom_u64(struct xlb_prom *p, const char *name, __u64 value, ...)
	__attribute__((sentinel));
void xlb_prom_f64(struct xlb_prom *p, const char *name, double value, ...)
	__attribute__((sentinel));

/* Appends @s escaped as a label value (no quotes) to @p; for tests too. */
void xlb_prom_escape(struct xlb_prom *p, const char *s);

/* True when @s is a valid metric (or label, without ':') name. */
int xlb_prom_name_ok(const char *s, int colon_ok);

#endif /* XLB_USER_PROM_H */
