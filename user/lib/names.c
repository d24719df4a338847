// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <xlb/abi.h>

#include "lib/names.h"

struct name {
	const char *word;
	__u8 value;
};

static const struct name protos[] = { { "tcp", IPPROTO_TCP },
				      { "udp", IPPROTO_UDP } };
static const struct name modes[] = { { "tunnel", XLB_FWD_TUNNEL },
				     { "l2dsr", XLB_FWD_L2DSR } };
static const struct name hashes[] = { { "5tuple", XLB_HASH_5TUPLE },
				      { "source", XLB_HASH_SOURCE } };

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int parse(const struct name *t, size_t n, const char *s, __u8 *out)
{
	for (size_t i = 0; s && i < n; i++) {
		if (!strcmp(t[i].word, s)) {
			*out = t[i].value;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *name(const struct name *t, size_t n, __u8 v,
			const char *other)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].word;
	return other;
}

int xlb_proto_parse(const char *s, __u8 *out)
{
	return parse(protos, N(protos), s, out);
}

const char *xlb_proto_name(__u8 proto)
{
	return name(protos, N(protos), proto, "?");
}

int xlb_mode_parse(const char *s, __u8 *out)
{
	return parse(modes, N(modes), s, out);
}

const char *xlb_mode_name(__u8 mode)
{
	return name(modes, N(modes), mode, "?");
}

int xlb_hash_parse(const char *s, __u8 *out)
{
	return parse(hashes, N(hashes), s, out);
}

const char *xlb_hash_name(__u8 fields)
{
	return name(hashes, N(hashes), fields ? fields : XLB_HASH_5TUPLE,
		    "custom");
}
