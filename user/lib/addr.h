/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* This file holds conversions between text addresses and struct xlb_addr. */
#ifndef XLB_USER_ADDR_H
#define XLB_USER_ADDR_H

#include <stddef.h>
#include <xlb/abi.h>

/* Longest text xlb_addr_str() writes, with its NUL. */
#define XLB_ADDR_STRLEN 46

/*
 * Parses an IPv4 or IPv6 address in text form. On success fills @out (IPv4
 * in v4, the rest zero) and @family (XLB_AF_*) and returns 0; on failure
 * returns -EINVAL and leaves both untouched.
 */
int xlb_addr_parse(const char *text, struct xlb_addr *out, __u8 *family);

/* Writes @a as text into @buf and returns @buf ("?" for a bad family). */
const char *xlb_addr_str(const struct xlb_addr *a, __u8 family, char *buf,
			 size_t len);

/*
 * Parses "ADDR:PORT" ("192.0.2.1:7400", "[2001:db8::1]:7400"; port 1 ..
 * 65535). Returns 0, or -EINVAL with what was expected in @why.
 */
int xlb_endpoint_parse(const char *text, struct xlb_addr *addr, __u8 *family,
		       __u16 *port, char *why, size_t whylen);
/* "ADDR:PORT" or "[ADDR]:PORT" into @buf; returns @buf. */
const char *xlb_endpoint_str(const struct xlb_addr *a, __u8 family, __u16 port,
			     char *buf, size_t len);

/* Parses "aa:bb:cc:dd:ee:ff"; returns 0 or -EINVAL. */
int xlb_mac_parse(const char *text, __u8 mac[6]);

#endif /* XLB_USER_ADDR_H */
