/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the words xlb uses for its enums in configs, on the
 * control socket and on screen: "tcp"/"udp", "tunnel"/"l2dsr",
 * "5tuple"/"source". One table, so the config file, the CLI and the
 * daemon never disagree on a spelling.
 */
#ifndef XLB_USER_NAMES_H
#define XLB_USER_NAMES_H

#include <linux/types.h>

/* Each parse returns 0 and sets *out, or -EINVAL for an unknown word. */
int xlb_proto_parse(const char *s, __u8 *out);
const char *xlb_proto_name(__u8 proto);
int xlb_mode_parse(const char *s, __u8 *out);
const char *xlb_mode_name(__u8 mode);
int xlb_hash_parse(const char *s, __u8 *out);
/* "5tuple", "source", or "custom" for another mask. */
const char *xlb_hash_name(__u8 fields);

#endif /* XLB_USER_NAMES_H */
