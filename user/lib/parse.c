// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the word tables and the number parser that the config
 * file, the control socket and the command lines share (lib/parse.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <xlb/abi.h>

#include <sys/stat.h>

#include "lib/parse.h"

const struct xlb_word xlb_words_proto[] = {
	{ "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP },
	{ NULL, 0 },
};

const struct xlb_word xlb_words_mode[] = {
	{ "tunnel", XLB_FWD_TUNNEL },
	{ "l2dsr", XLB_FWD_L2DSR },
	{ NULL, 0 },
};

const struct xlb_word xlb_words_hash[] = {
	{ "5tuple", XLB_HASH_5TUPLE },
	{ "source", XLB_HASH_SOURCE },
	{ NULL, 0 },
};

/* "drv" and "generic" are the kernel's and ip-link's names for the two. */
const struct xlb_word xlb_words_xdp_mode[] = {
	{ "native", XLB_XDP_NATIVE },
	{ "skb", XLB_XDP_SKB },
	{ "drv", XLB_XDP_NATIVE },
	{ "generic", XLB_XDP_SKB },
	{ NULL, 0 },
};

const char *xlb_quote(const char *s, size_t len, char *buf)
{
	size_t i, o = 0;

	buf[o++] = '"';
	for (i = 0; i < len && i < 40; i++)
		buf[o++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
									s[i];
	if (i < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* Each value's first word: aliases follow their canonical word. */
static bool canonical(const struct xlb_word *t, const struct xlb_word *w)
{
	for (; t < w; t++)
		if (t->value == w->value)
			return false;
	return true;
}

void xlb_word_list(const struct xlb_word *t, char *buf, size_t n)
{
	const struct xlb_word *w;
	size_t used = 0;
	int r;

	buf[0] = '\0';
	for (w = t; w->word && used < n; w++) {
		if (!canonical(t, w))
			continue;
		r = snprintf(buf + used, n - used, "%s%s", used ? ", " : "",
			     w->word);
		if (r < 0)
			break;
		used += (size_t)r;
	}
}

int xlb_word_parse(const struct xlb_word *t, const char *s, __u32 *out,
		   char *why, size_t n)
{
	char q[XLB_QUOTE_MAX], list[128];
	const struct xlb_word *w;

	for (w = t; s && w->word; w++) {
		if (!strcasecmp(w->word, s)) {
			*out = w->value;
			return 0;
		}
	}
	if (why && n) {
		xlb_word_list(t, list, sizeof(list));
		snprintf(why, n, "%s is not one of %s",
			 xlb_quote(s ? s : "", s ? strlen(s) : 0, q), list);
	}
	return -EINVAL;
}

const char *xlb_word_name(const struct xlb_word *t, __u32 value)
{
	for (; t->word; t++)
		if (t->value == value)
			return t->word;
	return NULL;
}

static int parse8(const struct xlb_word *t, const char *s, __u8 *out)
{
	__u32 v;

	if (xlb_word_parse(t, s, &v, NULL, 0))
		return -EINVAL;
	*out = (__u8)v;
	return 0;
}

int xlb_proto_parse(const char *s, __u8 *out)
{
	return parse8(xlb_words_proto, s, out);
}

const char *xlb_proto_name(__u8 proto)
{
	const char *w = xlb_word_name(xlb_words_proto, proto);

	return w ? w : "?";
}

int xlb_mode_parse(const char *s, __u8 *out)
{
	return parse8(xlb_words_mode, s, out);
}

const char *xlb_mode_name(__u8 mode)
{
	const char *w = xlb_word_name(xlb_words_mode, mode);

	return w ? w : "?";
}

int xlb_hash_parse(const char *s, __u8 *out)
{
	return parse8(xlb_words_hash, s, out);
}

const char *xlb_hash_name(__u8 fields)
{
	const char *w = xlb_word_name(xlb_words_hash,
				      fields ? fields : XLB_HASH_5TUPLE);

	return w ? w : "custom";
}

int xlb_xdp_mode_parse(const char *s, enum xlb_xdp_mode *mode)
{
	__u32 v;

	if (xlb_word_parse(xlb_words_xdp_mode, s, &v, NULL, 0))
		return -EINVAL;
	*mode = (enum xlb_xdp_mode)v;
	return 0;
}

const char *xlb_xdp_mode_str(enum xlb_xdp_mode mode)
{
	return mode == XLB_XDP_SKB ? "skb" : "native";
}

/* "0x5eed": true with its value (at most 60 bits; longer is not a number). */
static bool hex_value(const char *s, __u64 *v)
{
	unsigned int d;

	if (!s || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2])
		return false;
	for (*v = 0, s += 2; *s; s++) {
		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			d = (unsigned int)((*s | 0x20) - 'a' + 10);
		else
			return false;
		if (*v >> 60)
			return false;
		*v = *v * 16 + d;
	}
	return true;
}

int xlb_u64_parse(const char *s, __u64 min, __u64 max, __u64 *out, char *why,
		  size_t n)
{
	char q[XLB_QUOTE_MAX];
	const char *p;
	bool big = false;
	__u64 v = 0;
	size_t len;

	if (!why || !n) {
		why = q; /* a scratch buffer: the message is not wanted */
		n = 0;
	}
	len = s ? strlen(s) : 0;
	for (p = s; p && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (__u64)(*p - '0')) / 10)
			big = true;
		else
			v = v * 10 + (__u64)(*p - '0');
	}
	if (!len || *p) {
		/* 0x... is unambiguous, and configs of earlier releases used it
		 * for hash_seed: read it rather than refuse a working file. */
		if (hex_value(s, &v))
			goto range;
		if (n)
			snprintf(why, n, "%s is not a number (%" PRIu64
					 "..%" PRIu64 ")",
				 xlb_quote(s ? s : "", len, q), (uint64_t)min,
				 (uint64_t)max);
		return -EINVAL;
	}
	if (s[0] == '0' && len > 1) {
		if (n)
			snprintf(why, n,
				 "%s: a leading 0 is refused, since YAML 1.1 reads it as octal; write %s",
				 xlb_quote(s, len, q),
				 s[strspn(s, "0")] ? s + strspn(s, "0") : "0");
		return -EINVAL;
	}
range:
	if (big || v < min || v > max) {
		if (n)
			snprintf(why, n, "%.40s%s is out of range %" PRIu64
					 "..%" PRIu64,
				 s, len > 40 ? "..." : "", (uint64_t)min,
				 (uint64_t)max);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

int xlb_u32_parse(const char *s, __u32 min, __u32 max, __u32 *out, char *why,
		  size_t n)
{
	__u64 v;
	int ret = xlb_u64_parse(s, min, max, &v, why, n);

	if (!ret)
		*out = (__u32)v;
	return ret;
}

const char *xlb_file_kind(mode_t m)
{
	if (S_ISREG(m))
		return "a regular file";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISLNK(m))
		return "a symbolic link";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	return "something";
}
