/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the state-sync wire format, a pure codec: no socket, no
 * map, no clock (the fuzzer drives the decoder). A message is one UDP
 * datagram:
 *
 *   header (cleartext, authenticated):  magic "XS" u16, version u8, type u8,
 *       key id u32, epoch u64, seq u64, body length u32, nonce [24]
 *   body: XChaCha20-Poly1305 (libsodium) of the payload, 16-byte tag
 *
 * Integers are big-endian. The epoch is the sender's boot (CLOCK_REALTIME
 * ns when its xlbd started) and seq counts every message it sends to one
 * peer: together with xlb_sync_replay they refuse a replayed message. The
 * payload, by type:
 *
 *   HELLO   flags u16 (XLB_SYNC_F_SYNCED), 0 u16, next dseq u32,
 *           fingerprint u64, entries u32           (the heartbeat, 1/s)
 *   DATA    dseq u32, flags u16, count u16, count x entry
 *   BULK    dseq u32, flags u16 (XLB_SYNC_F_END), count u16, zlib(count x entry)
 *   ACK     dseq u32: every data message up to it arrived
 *   NACK    from u32, to u32: these did not (resend them)
 *   RESYNC  nothing: send me your whole table (BULK ... END)
 *
 *   entry (48 bytes): src [16], dst [16], sport, dport (as in struct
 *       xlb_flow: network order), proto u8, family u8, flags u8, 0 u8,
 *       backend id u32, age ms u32. No VIP id: ids are per node, the
 *       receiver finds the VIP from the flow.
 *
 * A decoder takes nothing on trust: every length is checked against what
 * the type allows before it is used, the body must decrypt under a known
 * key, a BULK must inflate to exactly count entries (never more: the
 * output buffer is the bound), and each entry must hold values the
 * datapath could have written. Anything else is refused with a reason.
 */
#ifndef XLB_USER_SYNC_PROTO_H
#define XLB_USER_SYNC_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <xlb/abi.h>

#define XLB_SYNC_MAGIC 0x5853 /* "XS" */
#define XLB_SYNC_VERSION 1
#define XLB_SYNC_HDR_LEN 52
#define XLB_SYNC_TAG_LEN 16
#define XLB_SYNC_KEY_LEN 32
#define XLB_SYNC_ENTRY_LEN 48
/* A datagram never exceeds this (a BULK may; see XLB_SYNC_BULK_MAX). */
#define XLB_SYNC_MSG_MAX 65000
/* DATA: fits a 1500-byte MTU with the UDP and IP headers. */
#define XLB_SYNC_DATA_MAX 24
/* BULK: entries per message before compression (48 KB raw). */
#define XLB_SYNC_BULK_MAX 1024
/* Keys a node accepts at once (rotation: old and new). */
#define XLB_SYNC_KEYS_MAX 8

enum xlb_sync_type {
	XLB_SYNC_HELLO = 1,
	XLB_SYNC_DATA = 2,
	XLB_SYNC_BULK = 3,
	XLB_SYNC_ACK = 4,
	XLB_SYNC_NACK = 5,
	XLB_SYNC_RESYNC = 6,
	XLB_SYNC_TYPE_MAX,
};

/* HELLO: the sender has finished its bulk resync from every live peer. */
#define XLB_SYNC_F_SYNCED (1u << 0)
/* BULK: the last message of a bulk resync. */
#define XLB_SYNC_F_END (1u << 1)

/* Why a datagram was refused; X(enum, name) -- the order is the counters'. */
#define XLB_SYNC_REJECTS(X)                      \
	X(XLB_SYNC_REJ_SHORT, "truncated")       \
	X(XLB_SYNC_REJ_OVERSIZE, "oversized")    \
	X(XLB_SYNC_REJ_MAGIC, "bad_magic")       \
	X(XLB_SYNC_REJ_VERSION, "wrong_version") \
	X(XLB_SYNC_REJ_TYPE, "unknown_type")     \
	X(XLB_SYNC_REJ_LENGTH, "bad_length")     \
	X(XLB_SYNC_REJ_KEY, "unknown_key")       \
	X(XLB_SYNC_REJ_AUTH, "forged")           \
	X(XLB_SYNC_REJ_REPLAY, "replayed")       \
	X(XLB_SYNC_REJ_ZLIB, "bad_compression")  \
	X(XLB_SYNC_REJ_ENTRY, "bad_entry")       \
	X(XLB_SYNC_REJ_PEER, "unknown_peer")

#define XLB__SYNC_ENUM(e, name) e,
enum xlb_sync_reject { XLB_SYNC_REJECTS(XLB__SYNC_ENUM) XLB_SYNC_REJ_MAX };
#undef XLB__SYNC_ENUM

const char *xlb_sync_reject_name(int reason);

/* An entry on the wire: a conntrack entry, its age instead of a timestamp. */
struct xlb_sync_entry {
	struct xlb_flow flow;
	__u32 backend_id;
	__u8 flags; /* XLB_CT_F_* */
	/*
	 * ms since the flow was last seen on the sender, at sending: the
	 * receiver stamps the entry now - age on its own clock, so the
	 * nodes' clocks never need to agree.
	 */
	__u32 age_ms;
};

struct xlb_sync_key {
	__u32 id;
	__u8 key[XLB_SYNC_KEY_LEN];
};

struct xlb_sync_keyring {
	struct xlb_sync_key keys[XLB_SYNC_KEYS_MAX];
	int n;
};

/*
 * Reads a key file: one key a line, "ID HEX" (a decimal id, 64 hex
 * digits), '#' comments. The file must be a regular file that no one but
 * its owner can read or write (mode 0600 or 0400) and owned by root or by
 * us: a key others can read authenticates nothing. Returns 0, or a
 * negative errno with "PATH:LINE: ..." in @err.
 */
int xlb_sync_keys_load(const char *path, struct xlb_sync_keyring *kr, char *err,
		       size_t errlen);
/* The key of id @id in @kr, or NULL. */
const struct xlb_sync_key *xlb_sync_key_find(const struct xlb_sync_keyring *kr,
					     __u32 id);

/* A message, decoded or to encode. */
struct xlb_sync_msg {
	__u8 type; /* enum xlb_sync_type */
	__u32 key_id; /* set by decode */
	__u64 epoch, seq;
	__u16 flags; /* HELLO, DATA, BULK */
	__u32 dseq; /* DATA, BULK: its number; ACK: up to; NACK: from */
	__u32 dseq_to; /* NACK: to (inclusive) */
	__u32 next_dseq; /* HELLO: the next data message's number */
	__u64 fingerprint; /* HELLO */
	__u32 ct_entries; /* HELLO: the sender's conntrack entries */
	__u32 count; /* DATA, BULK: entries */
	struct xlb_sync_entry *entries; /* DATA, BULK */
};

/*
 * Encodes @m under @k into @out (@cap bytes; XLB_SYNC_MSG_MAX is always
 * enough). Returns the datagram's length, or -EINVAL (a count over the
 * type's limit, an unknown type) or -ENOSPC.
 */
int xlb_sync_encode(const struct xlb_sync_msg *m, const struct xlb_sync_key *k,
		    __u8 *out, size_t cap);

/*
 * Seals @n bytes of payload @plain as a message of @type: the header and
 * the encrypted body into @out. What xlb_sync_encode() does once the
 * payload is laid out; tests and the fuzzer use it to build authentic
 * messages with payloads the encoder would never write.
 */
int xlb_sync_seal(__u8 type, __u64 epoch, __u64 seq, const __u8 *plain,
		  size_t n, const struct xlb_sync_key *k, __u8 *out,
		  size_t cap);

/*
 * Decodes and authenticates the datagram @buf of @len bytes. Entries go to
 * @ents (room for XLB_SYNC_BULK_MAX; m->entries points there). Returns 0,
 * or -(1 + enum xlb_sync_reject). The replay check is the caller's
 * (xlb_sync_replay_check), per sender, after this succeeded.
 */
int xlb_sync_decode(const __u8 *buf, size_t len,
		    const struct xlb_sync_keyring *kr, struct xlb_sync_msg *m,
		    struct xlb_sync_entry *ents);

/*
 * A sender's replay window: its epoch, the highest seq accepted and a
 * bitmap of the 64 below it, like IPsec's anti-replay window.
 */
struct xlb_sync_replay {
	__u64 epoch, top, seen;
	bool init;
};

#define XLB_SYNC_REPLAY_WINDOW 64

/*
 * Accepts (and records) @seq of @epoch, or refuses it: a seq seen before,
 * one older than the window, or an epoch older than the sender's current
 * one. A newer epoch (the sender restarted) starts a new window; *@restarted
 * is set then (and on the first message). Returns 0 or -1.
 */
int xlb_sync_replay_check(struct xlb_sync_replay *r, __u64 epoch, __u64 seq,
			  bool *restarted);

#endif /* XLB_USER_SYNC_PROTO_H */
