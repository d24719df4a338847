/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds xlb's one vocabulary and its one number parser, shared by
 * the config file, the control socket and every command line, so a value
 * that one accepts the others accept too, with the same message.
 *
 * Words ("tcp", "tunnel", "5tuple", "skb") are read case-insensitively and
 * always written in lower case. Numbers are decimal digits and nothing else:
 * no sign, blanks, hex or octal, and no leading zero, since YAML 1.1 (and
 * strtol with base 0) reads "010" as octal 8 while a person means 10.
 * Messages leave out who is asking ("FILE:LINE: FIELD: ", "--weight: "), so
 * every caller can prefix its own context.
 */
#ifndef XLB_USER_PARSE_H
#define XLB_USER_PARSE_H

#include <stddef.h>
#include <linux/types.h>
#include <sys/types.h>

/* Where XDP runs: in the driver, or generic XDP after the skb is built. */
enum xlb_xdp_mode { XLB_XDP_NATIVE, XLB_XDP_SKB };

/* One word of an enumeration; a table ends with a NULL word. */
struct xlb_word {
	const char *word; /* lower case */
	__u32 value;
};

/* The tables; the first word of a value is its canonical spelling. */
extern const struct xlb_word xlb_words_proto[]; /* tcp, udp */
extern const struct xlb_word xlb_words_mode[]; /* tunnel, l2dsr */
extern const struct xlb_word xlb_words_hash[]; /* 5tuple, source */
extern const struct xlb_word xlb_words_xdp_mode[]; /* native, skb (+ drv, generic) */

/*
 * Finds @s (any case) in @t: returns 0 and sets *@out, or -EINVAL with
 * '"sctp" is not one of tcp, udp' in @why (may be NULL).
 */
int xlb_word_parse(const struct xlb_word *t, const char *s, __u32 *out,
		   char *why, size_t n);
/* The canonical word for @value, or NULL if the table has none. */
const char *xlb_word_name(const struct xlb_word *t, __u32 value);
/* "tcp, udp": the canonical words, for messages and help. */
void xlb_word_list(const struct xlb_word *t, char *buf, size_t n);

/* Shorthands on the tables above; each parse returns 0 or -EINVAL. */
int xlb_proto_parse(const char *s, __u8 *out);
const char *xlb_proto_name(__u8 proto); /* "?" if unknown */
int xlb_mode_parse(const char *s, __u8 *out);
const char *xlb_mode_name(__u8 mode); /* "?" if unknown */
int xlb_hash_parse(const char *s, __u8 *out);
/* "5tuple", "source", or "custom" for another mask (0 reads as 5tuple). */
const char *xlb_hash_name(__u8 fields);
int xlb_xdp_mode_parse(const char *s, enum xlb_xdp_mode *mode);
const char *xlb_xdp_mode_str(enum xlb_xdp_mode mode);

/*
 * Reads all of @s as a decimal number in @min..@max. Returns 0 and sets
 * *@out, or -EINVAL (not a number, or a leading zero) or -ERANGE with the
 * reason in @why (may be NULL), e.g. '"abc" is not a number (0..65535)',
 * '65536 is out of range 0..65535', '"010": a leading 0 ...'.
 */
int xlb_u64_parse(const char *s, __u64 min, __u64 max, __u64 *out, char *why,
		  size_t n);
int xlb_u32_parse(const char *s, __u32 min, __u32 max, __u32 *out, char *why,
		  size_t n);

/*
 * @s for a message: in double quotes, cut after 40 bytes with "...",
 * control bytes shown as '?'. @buf needs XLB_QUOTE_MAX bytes.
 */
#define XLB_QUOTE_MAX 48
const char *xlb_quote(const char *s, size_t len, char *buf);

/*
 * What kind of file a mode is, for messages about a path that holds the
 * wrong one ("xlb.yaml: not a regular file (a FIFO)", "PATH: a directory,
 * not a socket").
 */
const char *xlb_file_kind(mode_t m);

#endif /* XLB_USER_PARSE_H */
