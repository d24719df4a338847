// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the state-sync codec's tests (lib/sync_proto.h): every
 * message type round-trips, each malformed kind is refused with its own
 * reason (truncated, oversized, magic, version, type, lengths, unknown key,
 * forged, bad compression, bad entry), the replay window, a wrong key, the
 * inflate bound, and the key file's permission rule.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <zlib.h>
#include <criterion/criterion.h>

#include "lib/sync_proto.h"

static struct xlb_sync_keyring kr = { .n = 1, .keys = { { .id = 3 } } };
static struct xlb_sync_entry ents[XLB_SYNC_BULK_MAX], back[XLB_SYNC_BULK_MAX];
static __u8 buf[XLB_SYNC_MSG_MAX + 16];

static void setup(void)
{
	memset(kr.keys[0].key, 0xa5, XLB_SYNC_KEY_LEN);
}

TestSuite(sync_proto, .init = setup);

static struct xlb_sync_entry entry(int i)
{
	struct xlb_sync_entry e = { .backend_id = 1 + (__u32)i % 9,
				    .age_ms = (__u32)i * 7 };

	if (i % 2) {
		e.flow.family = XLB_AF_INET6;
		inet_pton(AF_INET6, "2001:db8:c::7", &e.flow.src);
		inet_pton(AF_INET6, "2001:db8::10", &e.flow.dst);
		e.flags = XLB_CT_F_CLOSING;
	} else {
		e.flow.family = XLB_AF_INET;
		e.flow.src.v4 = htonl(0xcb007100u + (__u32)i);
		e.flow.dst.v4 = htonl(0xc000020au);
	}
	e.flow.proto = i % 3 ? IPPROTO_TCP : IPPROTO_UDP;
	e.flow.sport = htons((__u16)(1024 + i));
	e.flow.dport = htons(80);
	return e;
}

static int decode(int len, struct xlb_sync_msg *m)
{
	return xlb_sync_decode(buf, (size_t)len, &kr, m, back);
}

#define REJ(r) (-(1 + (r)))

Test(sync_proto, every_type_round_trips)
{
	struct xlb_sync_msg m = { .epoch = 1234567, .seq = 42 }, d;
	int n;

	for (int i = 0; i < XLB_SYNC_BULK_MAX; i++)
		ents[i] = entry(i);
	m.type = XLB_SYNC_HELLO;
	m.flags = XLB_SYNC_F_SYNCED;
	m.next_dseq = 99;
	m.fingerprint = 0x0123456789abcdefull;
	m.ct_entries = 500000;
	n = xlb_sync_encode(&m, &kr.keys[0], buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_eq(decode(n, &d), 0, "a HELLO decodes");
	cr_assert(d.type == XLB_SYNC_HELLO && d.flags == XLB_SYNC_F_SYNCED &&
		  d.next_dseq == 99 && d.fingerprint == m.fingerprint &&
		  d.ct_entries == 500000 && d.epoch == 1234567 && d.seq == 42 &&
		  d.key_id == 3);

	m = (struct xlb_sync_msg){ .type = XLB_SYNC_DATA,
				   .dseq = 7,
				   .count = XLB_SYNC_DATA_MAX,
				   .entries = ents };
	n = xlb_sync_encode(&m, &kr.keys[0], buf, sizeof(buf));
	cr_assert_leq(n, 1400, "a full DATA message fits a 1500 MTU (%d)", n);
	cr_assert_eq(decode(n, &d), 0);
	cr_assert_eq(d.count, XLB_SYNC_DATA_MAX);
	cr_assert_eq(d.dseq, 7);
	cr_assert_eq(memcmp(back, ents, sizeof(ents[0]) * d.count), 0,
		     "entries come back as sent");

	m = (struct xlb_sync_msg){ .type = XLB_SYNC_BULK,
				   .dseq = 8,
				   .flags = XLB_SYNC_F_END,
				   .count = XLB_SYNC_BULK_MAX,
				   .entries = ents };
	n = xlb_sync_encode(&m, &kr.keys[0], buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_lt(n, XLB_SYNC_BULK_MAX * XLB_SYNC_ENTRY_LEN / 2,
		     "a bulk message is compressed (%d bytes)", n);
	cr_assert_eq(decode(n, &d), 0);
	cr_assert(d.count == XLB_SYNC_BULK_MAX && d.flags == XLB_SYNC_F_END);
	cr_assert_eq(memcmp(back, ents, sizeof(ents[0]) * d.count), 0);

	m = (struct xlb_sync_msg){ .type = XLB_SYNC_NACK,
				   .dseq = 5,
				   .dseq_to = 9 };
	n = xlb_sync_encode(&m, &kr.keys[0], buf, sizeof(buf));
	cr_assert_eq(decode(n, &d), 0);
	cr_assert(d.type == XLB_SYNC_NACK && d.dseq == 5 && d.dseq_to == 9);
	m = (struct xlb_sync_msg){ .type = XLB_SYNC_ACK, .dseq = 77 };
	n = xlb_sync_encode(&m, &kr.keys[0], buf, sizeof(buf));
	cr_assert_eq(decode(n, &d), 0);
	cr_assert_eq(d.dseq, 77);
	m = (struct xlb_sync_msg){ .type = XLB_SYNC_RESYNC };
	n = xlb_sync_encode(&m, &kr.keys[0], buf, sizeof(buf));
	cr_assert_eq(decode(n, &d), 0);
	cr_assert_eq(d.type, XLB_SYNC_RESYNC);
}

Test(sync_proto, the_encoder_refuses_what_it_cannot_say)
{
	struct xlb_sync_msg m = { .type = XLB_SYNC_DATA,
				  .count = XLB_SYNC_DATA_MAX + 1,
				  .entries = ents };

	cr_assert_eq(xlb_sync_encode(&m, &kr.keys[0], buf, sizeof(buf)),
		     -EINVAL, "over the DATA limit");
	m.type = 0;
	m.count = 0;
	cr_assert_eq(xlb_sync_encode(&m, &kr.keys[0], buf, sizeof(buf)),
		     -EINVAL, "an unknown type");
	m.type = XLB_SYNC_ACK;
	cr_assert_eq(xlb_sync_encode(&m, &kr.keys[0], buf, 60), -ENOSPC);
}

static int ack(void)
{
	struct xlb_sync_msg m = { .type = XLB_SYNC_ACK, .dseq = 1 };

	return xlb_sync_encode(&m, &kr.keys[0], buf, sizeof(buf));
}

Test(sync_proto, every_malformed_header_is_refused_with_its_reason)
{
	struct xlb_sync_msg d;
	int n = ack();

	cr_assert_eq(decode(n - 1, &d), REJ(XLB_SYNC_REJ_SHORT),
		     "one byte short");
	cr_assert_eq(decode(XLB_SYNC_HDR_LEN, &d), REJ(XLB_SYNC_REJ_SHORT),
		     "no body");
	cr_assert_eq(decode(XLB_SYNC_MSG_MAX + 1, &d),
		     REJ(XLB_SYNC_REJ_OVERSIZE));
	buf[0] ^= 1;
	cr_assert_eq(decode(n, &d), REJ(XLB_SYNC_REJ_MAGIC));
	buf[0] ^= 1;
	buf[2] = 2;
	cr_assert_eq(decode(n, &d), REJ(XLB_SYNC_REJ_VERSION));
	buf[2] = 1;
	buf[3] = 0x7f;
	cr_assert_eq(decode(n, &d), REJ(XLB_SYNC_REJ_TYPE));
	buf[3] = XLB_SYNC_ACK;
	buf[7] = 4; /* key id 4 */
	cr_assert_eq(decode(n, &d), REJ(XLB_SYNC_REJ_KEY));
	buf[7] = 3;
	buf[27]++; /* body length */
	cr_assert_eq(decode(n, &d), REJ(XLB_SYNC_REJ_SHORT));
	buf[27] -= 2;
	cr_assert_eq(decode(n, &d), REJ(XLB_SYNC_REJ_LENGTH));
	buf[27]++;
	cr_assert_eq(decode(n, &d), 0, "restored, it decodes");
	buf[16] ^= 1; /* seq: authenticated */
	cr_assert_eq(decode(n, &d), REJ(XLB_SYNC_REJ_AUTH),
		     "a changed header fails authentication");
	buf[16] ^= 1;
	buf[n - 1] ^= 0x80;
	cr_assert_eq(decode(n, &d), REJ(XLB_SYNC_REJ_AUTH), "a changed tag");
	buf[n - 1] ^= 0x80;
	buf[XLB_SYNC_HDR_LEN] ^= 1;
	cr_assert_eq(decode(n, &d), REJ(XLB_SYNC_REJ_AUTH), "a changed body");
}

Test(sync_proto, a_message_under_another_key_is_forged)
{
	struct xlb_sync_key other = { .id = 3 };
	struct xlb_sync_msg m = { .type = XLB_SYNC_RESYNC }, d;
	int n;

	memset(other.key, 0x5a, sizeof(other.key));
	n = xlb_sync_encode(&m, &other, buf, sizeof(buf));
	cr_assert_eq(decode(n, &d), REJ(XLB_SYNC_REJ_AUTH),
		     "same key id, another key: refused");
}

static int seal(__u8 type, const __u8 *p, size_t n)
{
	return xlb_sync_seal(type, 1, 1, p, n, &kr.keys[0], buf, sizeof(buf));
}

Test(sync_proto, authentic_but_malformed_payloads_are_refused)
{
	__u8 p[XLB_SYNC_MSG_MAX], raw[XLB_SYNC_ENTRY_LEN * 2];
	struct xlb_sync_msg m = { .type = XLB_SYNC_DATA,
				  .count = 1,
				  .entries = ents },
			    d;
	uLongf zl;
	int n;

	ents[0] = entry(0);
	n = xlb_sync_encode(&m, &kr.keys[0], buf, sizeof(buf));
	cr_assert_eq(decode(n, &d), 0);
	memset(p, 0, sizeof(p));
	cr_assert_eq(decode(seal(XLB_SYNC_ACK, p, 5), &d),
		     REJ(XLB_SYNC_REJ_LENGTH), "an ACK of 5 bytes");
	cr_assert_eq(decode(seal(XLB_SYNC_HELLO, p, 19), &d),
		     REJ(XLB_SYNC_REJ_LENGTH), "a short HELLO");
	cr_assert_eq(decode(seal(XLB_SYNC_RESYNC, p, 1), &d),
		     REJ(XLB_SYNC_REJ_LENGTH), "a RESYNC with a body");
	p[3] = 9; /* NACK from 9 to 0 */
	cr_assert_eq(decode(seal(XLB_SYNC_NACK, p, 8), &d),
		     REJ(XLB_SYNC_REJ_LENGTH), "a NACK going backwards");
	p[3] = 0;
	p[7] = 2; /* DATA says 2 entries, carries 1 */
	cr_assert_eq(decode(seal(XLB_SYNC_DATA, p, 8 + XLB_SYNC_ENTRY_LEN), &d),
		     REJ(XLB_SYNC_REJ_LENGTH), "a DATA count over its bytes");
	p[6] = 0xff; /* 65282 entries */
	cr_assert_eq(decode(seal(XLB_SYNC_DATA, p, 8), &d),
		     REJ(XLB_SYNC_REJ_LENGTH), "a DATA count over the limit");
	p[6] = 0;
	p[7] = 1;
	cr_assert_eq(decode(seal(XLB_SYNC_DATA, p, 8 + XLB_SYNC_ENTRY_LEN), &d),
		     REJ(XLB_SYNC_REJ_ENTRY), "an entry of no family");
	p[5] = XLB_SYNC_F_END;
	cr_assert_eq(decode(seal(XLB_SYNC_DATA, p, 8 + XLB_SYNC_ENTRY_LEN), &d),
		     REJ(XLB_SYNC_REJ_LENGTH), "END on a DATA message");
	p[5] = 0;

	/* BULK: compressed, bounded */
	p[7] = 2;
	memset(p + 8, 0x11, 20);
	cr_assert_eq(decode(seal(XLB_SYNC_BULK, p, 28), &d),
		     REJ(XLB_SYNC_REJ_ZLIB), "garbage instead of zlib");
	memset(raw, 0, sizeof(raw));
	zl = sizeof(p) - 8;
	cr_assert_eq(compress(p + 8, &zl, raw, XLB_SYNC_ENTRY_LEN), Z_OK);
	cr_assert_eq(decode(seal(XLB_SYNC_BULK, p, 8 + zl), &d),
		     REJ(XLB_SYNC_REJ_ZLIB), "inflates to fewer than count");
	{
		/* a bomb: 2 entries claimed, 16 MB of zeros inflated */
		size_t big = 16u << 20;
		__u8 *zeros = calloc(1, big);

		cr_assert_not_null(zeros);
		zl = sizeof(p) - 8;
		cr_assert_eq(compress2(p + 8, &zl, zeros, big, 9), Z_OK);
		free(zeros);
		cr_assert_eq(decode(seal(XLB_SYNC_BULK, p, 8 + zl), &d),
			     REJ(XLB_SYNC_REJ_ZLIB),
			     "more than count entries inflate: refused, and "
			     "never inflated past the bound");
	}
}

Test(sync_proto, the_replay_window)
{
	struct xlb_sync_replay r = {};
	bool restarted;

	cr_assert_eq(xlb_sync_replay_check(&r, 100, 1, &restarted), 0);
	cr_assert(restarted, "the first message starts the window");
	cr_assert_eq(xlb_sync_replay_check(&r, 100, 1, &restarted), -1,
		     "the same seq again: replayed");
	cr_assert_eq(xlb_sync_replay_check(&r, 100, 5, &restarted), 0);
	cr_assert_eq(xlb_sync_replay_check(&r, 100, 3, &restarted), 0,
		     "late, inside the window, first time: accepted");
	cr_assert_eq(xlb_sync_replay_check(&r, 100, 3, &restarted), -1);
	cr_assert_eq(xlb_sync_replay_check(&r, 100, 200, &restarted), 0);
	cr_assert_eq(xlb_sync_replay_check(&r, 100, 200 - 64, &restarted), -1,
		     "older than the window: refused");
	cr_assert_eq(xlb_sync_replay_check(&r, 100, 200 - 63, &restarted), 0);
	cr_assert_eq(xlb_sync_replay_check(&r, 99, 500, &restarted), -1,
		     "an older epoch (a previous boot's message): refused");
	cr_assert_eq(xlb_sync_replay_check(&r, 101, 1, &restarted), 0,
		     "a newer epoch: the sender restarted");
	cr_assert(restarted);
	cr_assert_eq(xlb_sync_replay_check(&r, 100, 300, &restarted), -1);
}

static char keyfile[64];

static void write_key(const char *text, mode_t mode)
{
	FILE *f;

	snprintf(keyfile, sizeof(keyfile), "/tmp/xlb-sync-key-%d", getpid());
	unlink(keyfile);
	f = fopen(keyfile, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(keyfile, mode), 0);
}

#define HEX64 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

Test(sync_proto, key_files)
{
	struct xlb_sync_keyring k;
	char err[512];

	write_key("# rotation: both accepted\n1 " HEX64 "\n2 " HEX64 "\n",
		  0600);
	cr_assert_eq(xlb_sync_keys_load(keyfile, &k, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(k.n, 2);
	cr_assert_eq(k.keys[1].id, 2);
	cr_assert_eq(k.keys[0].key[31], 0x1f);
	write_key("1 " HEX64 "\n", 0644);
	cr_assert_eq(xlb_sync_keys_load(keyfile, &k, err, sizeof(err)), -EPERM,
		     "a key others can read is refused");
	cr_assert(strstr(err, "chmod 600"), "%s", err);
	write_key("1 " HEX64 "\n", 0640);
	cr_assert_eq(xlb_sync_keys_load(keyfile, &k, err, sizeof(err)), -EPERM,
		     "group-readable too");
	write_key("1 0011\n", 0600);
	cr_assert_eq(xlb_sync_keys_load(keyfile, &k, err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, ":1: key 1: want 64 hex digits"), "%s", err);
	write_key("1 " HEX64 "\n1 " HEX64 "\n", 0600);
	cr_assert_eq(xlb_sync_keys_load(keyfile, &k, err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, ":2: key id 1 given twice"), "%s", err);
	write_key("# nothing\n", 0600);
	cr_assert_eq(xlb_sync_keys_load(keyfile, &k, err, sizeof(err)), -EINVAL,
		     "a file with no key");
	unlink(keyfile);
}
