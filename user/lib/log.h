/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds xlb's logging: one prefix per program ("xlb", "xlbd"),
 * errors always, info unless quiet, debug with -v, and libbpf's and libxdp's
 * own output folded in at the same levels so a user sees one voice.
 */
#ifndef XLB_USER_LOG_H
#define XLB_USER_LOG_H

#include <stddef.h>

enum xlb_log_level { XLB_LOG_ERR, XLB_LOG_INFO, XLB_LOG_DEBUG };

/* Sets the prefix and level and routes libbpf/libxdp output through us. */
void xlb_log_init(const char *prog, enum xlb_log_level level);

void xlb_log(enum xlb_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Formats an error for the caller into @err (@errlen bytes) and returns
 * @rc, so a failing path reads `return xlb_errf(err, len, -EINVAL, ...)`.
 */
int xlb_errf(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define pr_err(...) xlb_log(XLB_LOG_ERR, __VA_ARGS__)
#define pr_info(...) xlb_log(XLB_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) xlb_log(XLB_LOG_DEBUG, __VA_ARGS__)

#endif /* XLB_USER_LOG_H */
