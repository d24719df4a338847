// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Parser tests: the one number parser and the word tables (lib/parse.h)
 * that the config file, the control socket and the command lines share,
 * as tables of {input, range, expected value or the exact message}.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <criterion/criterion.h>
#include <xlb/abi.h>

#include "lib/parse.h"

TestSuite(parse);

struct num_case {
	const char *in;
	__u64 min, max;
	int ret; /* 0, -EINVAL or -ERANGE */
	__u64 want; /* if ret == 0 */
	const char *msg; /* the whole message, if ret != 0 */
};

static const struct num_case num_cases[] = {
	{ "0", 0, 10, 0, 0, NULL },
	{ "7", 0, 10, 0, 7, NULL },
	{ "10", 0, 10, 0, 10, NULL },
	{ "65535", 0, 65535, 0, 65535, NULL },
	{ "4294967295", 0, UINT32_MAX, 0, 4294967295u, NULL },
	{ "18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX, NULL },
	{ "1", 1, 1, 0, 1, NULL },
	{ "11", 0, 10, -ERANGE, 0, "11 is out of range 0..10" },
	{ "0", 1, 65535, -ERANGE, 0, "0 is out of range 1..65535" },
	{ "65536", 0, 65535, -ERANGE, 0, "65536 is out of range 0..65535" },
	{ "18446744073709551616", 0, UINT64_MAX, -ERANGE, 0,
	  "18446744073709551616 is out of range 0..18446744073709551615" },
	{ "99999999999999999999999", 0, 65535, -ERANGE, 0,
	  "99999999999999999999999 is out of range 0..65535" },
	{ "010", 0, 65535, -EINVAL, 0,
	  "\"010\": a leading 0 is refused, since YAML 1.1 reads it as octal; write 10" },
	{ "00", 0, 65535, -EINVAL, 0,
	  "\"00\": a leading 0 is refused, since YAML 1.1 reads it as octal; write 0" },
	{ "0x10", 0, 65535, 0, 16, NULL },
	{ "0X5EED", 0, UINT32_MAX, 0, 24301, NULL },
	{ "0x10000", 0, 65535, -ERANGE, 0, "0x10000 is out of range 0..65535" },
	{ "0x5g", 0, 65535, -EINVAL, 0, "\"0x5g\" is not a number (0..65535)" },
	{ "0x", 0, 65535, -EINVAL, 0, "\"0x\" is not a number (0..65535)" },
	{ "abc", 0, 65535, -EINVAL, 0, "\"abc\" is not a number (0..65535)" },
	{ "", 0, 65535, -EINVAL, 0, "\"\" is not a number (0..65535)" },
	{ "-1", 0, 65535, -EINVAL, 0, "\"-1\" is not a number (0..65535)" },
	{ "+1", 0, 65535, -EINVAL, 0, "\"+1\" is not a number (0..65535)" },
	{ " 1", 0, 65535, -EINVAL, 0, "\" 1\" is not a number (0..65535)" },
	{ "1 ", 0, 65535, -EINVAL, 0, "\"1 \" is not a number (0..65535)" },
	{ "1\n", 0, 65535, -EINVAL, 0, "\"1?\" is not a number (0..65535)" },
	{ "1e3", 0, 65535, -EINVAL, 0, "\"1e3\" is not a number (0..65535)" },
	{ "1.0", 0, 65535, -EINVAL, 0, "\"1.0\" is not a number (0..65535)" },
	{ "1_000", 0, 65535, -EINVAL, 0, "\"1_000\" is not a number (0..65535)" },
	{ "12345678901234567890123456789012345678901234567890x", 0, 9, -EINVAL, 0,
	  "\"1234567890123456789012345678901234567890...\" is not a number (0..9)" },
};

Test(parse, numbers_are_decimal_whole_and_in_range)
{
	for (size_t i = 0; i < sizeof(num_cases) / sizeof(num_cases[0]); i++) {
		const struct num_case *c = &num_cases[i];
		char why[256] = "";
		__u64 v = 0xdeadbeef;
		int ret;

		ret = xlb_u64_parse(c->in, c->min, c->max, &v, why,
				    sizeof(why));
		cr_expect_eq(ret, c->ret, "\"%s\": want %d, got %d (%s)", c->in,
			     c->ret, ret, why);
		if (!c->ret)
			cr_expect_eq(v, c->want, "\"%s\": want %llu, got %llu",
				     c->in, (unsigned long long)c->want,
				     (unsigned long long)v);
		else
			cr_expect_str_eq(why, c->msg, "\"%s\": message", c->in);
		if (c->ret)
			cr_expect_eq(v, 0xdeadbeef, "\"%s\": *out untouched",
				     c->in);
	}
}

Test(parse, u32_and_absent_message_buffers)
{
	__u32 v = 0;

	cr_expect_eq(xlb_u32_parse("4294967295", 0, UINT32_MAX, &v, NULL, 0), 0);
	cr_expect_eq(v, 4294967295u);
	cr_expect_eq(xlb_u32_parse("4294967296", 0, UINT32_MAX, &v, NULL, 0),
		     -ERANGE);
	cr_expect_eq(xlb_u32_parse(NULL, 0, 1, &v, NULL, 0), -EINVAL);
}

struct word_case {
	const struct xlb_word *table;
	const char *in;
	int ret;
	__u32 want;
	const char *msg;
};

static const struct word_case word_cases[] = {
	{ xlb_words_proto, "tcp", 0, IPPROTO_TCP, NULL },
	{ xlb_words_proto, "TCP", 0, IPPROTO_TCP, NULL },
	{ xlb_words_proto, "Udp", 0, IPPROTO_UDP, NULL },
	{ xlb_words_proto, "sctp", -EINVAL, 0, "\"sctp\" is not one of tcp, udp" },
	{ xlb_words_proto, "tcp ", -EINVAL, 0, "\"tcp \" is not one of tcp, udp" },
	{ xlb_words_proto, "", -EINVAL, 0, "\"\" is not one of tcp, udp" },
	{ xlb_words_proto, "6", -EINVAL, 0, "\"6\" is not one of tcp, udp" },
	{ xlb_words_mode, "TUNNEL", 0, XLB_FWD_TUNNEL, NULL },
	{ xlb_words_mode, "l2dsr", 0, XLB_FWD_L2DSR, NULL },
	{ xlb_words_mode, "nat", -EINVAL, 0, "\"nat\" is not one of tunnel, l2dsr" },
	{ xlb_words_hash, "5TUPLE", 0, XLB_HASH_5TUPLE, NULL },
	{ xlb_words_hash, "source", 0, XLB_HASH_SOURCE, NULL },
	{ xlb_words_hash, "random", -EINVAL, 0,
	  "\"random\" is not one of 5tuple, source" },
	{ xlb_words_xdp_mode, "native", 0, XLB_XDP_NATIVE, NULL },
	{ xlb_words_xdp_mode, "SKB", 0, XLB_XDP_SKB, NULL },
	{ xlb_words_xdp_mode, "drv", 0, XLB_XDP_NATIVE, NULL },
	{ xlb_words_xdp_mode, "generic", 0, XLB_XDP_SKB, NULL },
	/* the aliases are accepted but not offered */
	{ xlb_words_xdp_mode, "hw", -EINVAL, 0, "\"hw\" is not one of native, skb" },
};

Test(parse, words_ignore_case_and_name_the_choices)
{
	for (size_t i = 0; i < sizeof(word_cases) / sizeof(word_cases[0]); i++) {
		const struct word_case *c = &word_cases[i];
		char why[256] = "";
		__u32 v = 0xdead;
		int ret;

		ret = xlb_word_parse(c->table, c->in, &v, why, sizeof(why));
		cr_expect_eq(ret, c->ret, "\"%s\": want %d, got %d", c->in,
			     c->ret, ret);
		if (!c->ret)
			cr_expect_eq(v, c->want, "\"%s\": want %u, got %u",
				     c->in, c->want, v);
		else
			cr_expect_str_eq(why, c->msg, "\"%s\": message", c->in);
	}
}

Test(parse, names_are_canonical_lower_case)
{
	enum xlb_xdp_mode m = XLB_XDP_NATIVE;
	__u8 p = 0;

	cr_expect_str_eq(xlb_proto_name(IPPROTO_TCP), "tcp");
	cr_expect_str_eq(xlb_proto_name(IPPROTO_UDP), "udp");
	cr_expect_str_eq(xlb_proto_name(IPPROTO_ICMP), "?");
	cr_expect_str_eq(xlb_mode_name(XLB_FWD_L2DSR), "l2dsr");
	cr_expect_str_eq(xlb_hash_name(0), "5tuple");
	cr_expect_str_eq(xlb_hash_name(XLB_HASH_SOURCE), "source");
	cr_expect_str_eq(xlb_hash_name(0x80), "custom");
	cr_expect_eq(xlb_xdp_mode_parse("GENERIC", &m), 0);
	cr_expect_str_eq(xlb_xdp_mode_str(m), "skb", "an alias prints canonical");
	cr_expect_eq(xlb_proto_parse("UDP", &p), 0);
	cr_expect_eq(p, IPPROTO_UDP);
	cr_expect_eq(xlb_proto_parse(NULL, &p), -EINVAL);
}
