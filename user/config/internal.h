/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds what the config module's files share and nothing outside
 * user/config may include: the range rules and per-value checks (applied by
 * the reader where a value is read and by the validator on the whole
 * model), the file format's word tables and the "FILE:LINE: FIELD: why"
 * message builder.
 */
#ifndef XLB_USER_CONFIG_INTERNAL_H
#define XLB_USER_CONFIG_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "config/config.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* IPv4's minimum datagram every host must accept; below it nothing works. */
#define CFG_MTU_MIN 576
#define CFG_MTU_MAX 65535
/* Below 1024 entries the LRU thrashes at once; above 2^26 it costs GiBs. */
#define CFG_CT_MIN 1024
#define CFG_CT_MAX (1u << 26)
/*
 * A config this big is a mistake (or an attack), not a load balancer: the
 * largest useful file (1024 VIPs over the whole backend pool) is a few MiB,
 * and the reader answers any file under the cap in well under a second.
 */
#define CFG_FILE_MAX (16u << 20)
/* Longest field path: "vips[1023].backends[16382].weight" and room. */
#define FIELD_MAX 128
#define WHY_MAX 192

/* A number's allowed values. */
struct num_rule {
	__u64 min, max;
	const char *zero; /* non-NULL: 0 is allowed too, and means this */
	bool prime;
};

extern const struct num_rule cfg_r_sync_interval;
extern const struct num_rule cfg_r_u32, cfg_r_maglev, cfg_r_mtu, cfg_r_ct,
	cfg_r_port, cfg_r_backend_id, cfg_r_weight, cfg_r_ct_timeout;

extern const struct num_rule cfg_r_check_interval, cfg_r_check_timeout,
	cfg_r_check_count, cfg_r_check_port;

/* Health checks (check.c) */
int cfg_check_ms_parse(const char *s, __u32 *ms, char *why, size_t n);
int cfg_check_str_rule(enum xlb_check_key k, const char *s, char *why,
		       size_t n);
/* slowstart: 0 (off) or 1s .. 1h */
int cfg_slowstart_rule(__u32 ms, char *why, size_t n);
/*
 * VIP @vi's check: and its references' overrides, each alone and merged;
 * "FILE:LINE: vips[0].backends[1].check.timeout: why" on error.
 */
int cfg_check_validate(const struct xlb_cfg *c, const char *file, size_t vi,
		       char *err, size_t errlen);

/* Returns 0 if @v obeys @r, else -EINVAL with the reason in @why. */
int cfg_num_check(const struct num_rule *r, __u64 v, char *why, size_t n);

/* Per-value rules: 0, or -EINVAL with the reason in @why. */
int cfg_rule_pin_dir(const char *s, size_t len, char *why, size_t n);
int cfg_rule_vip_name(const char *s, size_t len, char *why, size_t n);
int cfg_rule_ifname(const char *s, size_t len, char *why, size_t n);
int cfg_rule_mac(const __u8 mac[6], char *why, size_t n);
int cfg_rule_nexthop(const struct xlb_cfg *c, char *why, size_t n);
int cfg_rule_encap_prefix(const struct xlb_cfg *c, char *why, size_t n);

bool cfg_family_ok(__u8 family);
const char *cfg_family_name(__u8 family);
/* Only the bytes the family uses: a model built in code may leave junk. */
bool cfg_addr_eq(__u8 family, const struct xlb_addr *a,
		 const struct xlb_addr *b);

/* The words YAML reads as null when they stand unquoted. */
bool cfg_null_word(const char *v);

/* "FILE:LINE: FIELD: why", or "FILE: FIELD: why" when no line is known. */
void cfg_vmsg(char *err, size_t errlen, const char *file, int line,
	      const char *field, const char *fmt, va_list ap);
void cfg_msg(char *err, size_t errlen, const char *file, int line,
	     const char *field, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#endif /* XLB_USER_CONFIG_INTERNAL_H */
