// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the state-sync codec: encode, decode (authenticated,
 * every length checked), the replay window and the key file reader.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sodium.h>
#include <zlib.h>

#include "lib/log.h"
#include "lib/sync_proto.h"

_Static_assert(XLB_SYNC_HDR_LEN ==
		       2 + 1 + 1 + 4 + 8 + 8 + 4 +
			       crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	       "header layout");
_Static_assert(XLB_SYNC_TAG_LEN == crypto_aead_xchacha20poly1305_ietf_ABYTES,
	       "tag length");
_Static_assert(XLB_SYNC_KEY_LEN == crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
	       "key length");

#define XLB__SYNC_NAME(e, name) [e] = name,
static const char *const reject_names[] = { XLB_SYNC_REJECTS(XLB__SYNC_NAME) };
#undef XLB__SYNC_NAME

const char *xlb_sync_reject_name(int reason)
{
	if (reason < 0 || reason >= XLB_SYNC_REJ_MAX)
		return "?";
	return reject_names[reason];
}

/* Payload bytes before the entries of DATA and BULK. */
#define DATA_HDR 8
#define HELLO_LEN 20
/* The largest plaintext: a BULK's compressed entries may be a little
 * larger than raw (zlib's bound), never more than a datagram allows. */
#define PLAIN_MAX (XLB_SYNC_MSG_MAX - XLB_SYNC_HDR_LEN - XLB_SYNC_TAG_LEN)

static void put16(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

static void put32(__u8 *p, __u32 v)
{
	put16(p, (__u16)(v >> 16));
	put16(p + 2, (__u16)v);
}

static void put64(__u8 *p, __u64 v)
{
	put32(p, (__u32)(v >> 32));
	put32(p + 4, (__u32)v);
}

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static __u32 get32(const __u8 *p)
{
	return (__u32)get16(p) << 16 | get16(p + 2);
}

static __u64 get64(const __u8 *p)
{
	return (__u64)get32(p) << 32 | get32(p + 4);
}

static int sodium_ready(void)
{
	static int ready;

	if (!ready)
		ready = sodium_init() >= 0 ? 1 : -1;
	return ready > 0 ? 0 : -EIO;
}

static void entry_put(__u8 *p, const struct xlb_sync_entry *e)
{
	memcpy(p, e->flow.src.bytes, 16);
	memcpy(p + 16, e->flow.dst.bytes, 16);
	memcpy(p + 32, &e->flow.sport, 2); /* already network order */
	memcpy(p + 34, &e->flow.dport, 2);
	p[36] = e->flow.proto;
	p[37] = e->flow.family;
	p[38] = e->flags;
	p[39] = 0;
	put32(p + 40, e->backend_id);
	put32(p + 44, e->age_ms);
}

static bool zero(const __u8 *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Reads an entry; false when it holds what the datapath never writes. */
static bool entry_get(const __u8 *p, struct xlb_sync_entry *e)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->flow.src.bytes, p, 16);
	memcpy(e->flow.dst.bytes, p + 16, 16);
	memcpy(&e->flow.sport, p + 32, 2);
	memcpy(&e->flow.dport, p + 34, 2);
	e->flow.proto = p[36];
	e->flow.family = p[37];
	e->flags = p[38];
	e->backend_id = get32(p + 40);
	e->age_ms = get32(p + 44);
	if (p[39] || e->flags & ~XLB_CT_F_CLOSING)
		return false;
	if (e->flow.proto != IPPROTO_TCP && e->flow.proto != IPPROTO_UDP)
		return false;
	if (e->flow.family == XLB_AF_INET)
		return zero(p + 4, 12) && zero(p + 20, 12) && e->backend_id &&
		       e->backend_id < XLB_MAX_BACKENDS;
	return e->flow.family == XLB_AF_INET6 && e->backend_id &&
	       e->backend_id < XLB_MAX_BACKENDS;
}

/* The plaintext of @m into @p (PLAIN_MAX bytes); its length or -errno. */
static int payload_put(const struct xlb_sync_msg *m, __u8 *p)
{
	switch (m->type) {
	case XLB_SYNC_HELLO:
		put16(p, m->flags);
		put16(p + 2, 0);
		put32(p + 4, m->next_dseq);
		put64(p + 8, m->fingerprint);
		put32(p + 16, m->ct_entries);
		return HELLO_LEN;
	case XLB_SYNC_ACK:
		put32(p, m->dseq);
		return 4;
	case XLB_SYNC_NACK:
		put32(p, m->dseq);
		put32(p + 4, m->dseq_to);
		return 8;
	case XLB_SYNC_RESYNC:
		return 0;
	case XLB_SYNC_DATA:
	case XLB_SYNC_BULK:
		break;
	default:
		return -EINVAL;
	}
	if (m->count > (m->type == XLB_SYNC_DATA ? XLB_SYNC_DATA_MAX :
						   XLB_SYNC_BULK_MAX) ||
	    (m->count && !m->entries))
		return -EINVAL;
	put32(p, m->dseq);
	put16(p + 4, m->flags);
	put16(p + 6, (__u16)m->count);
	if (m->type == XLB_SYNC_DATA) {
		for (__u32 i = 0; i < m->count; i++)
			entry_put(p + DATA_HDR + i * XLB_SYNC_ENTRY_LEN,
				  &m->entries[i]);
		return DATA_HDR + (int)m->count * XLB_SYNC_ENTRY_LEN;
	}
	{
		__u8 *raw = malloc(XLB_SYNC_BULK_MAX * XLB_SYNC_ENTRY_LEN);
		uLongf zlen = PLAIN_MAX - DATA_HDR;
		int rc;

		if (!raw)
			return -ENOMEM;
		for (__u32 i = 0; i < m->count; i++)
			entry_put(raw + i * XLB_SYNC_ENTRY_LEN, &m->entries[i]);
		rc = compress2(p + DATA_HDR, &zlen, raw,
			       m->count * XLB_SYNC_ENTRY_LEN, 6);
		free(raw);
		if (rc != Z_OK)
			return -ENOSPC;
		return DATA_HDR + (int)zlen;
	}
}

int xlb_sync_seal(__u8 type, __u64 epoch, __u64 seq, const __u8 *plain,
		  size_t n, const struct xlb_sync_key *k, __u8 *out, size_t cap)
{
	unsigned long long clen;

	if (sodium_ready())
		return -EIO;
	if (n > PLAIN_MAX || n + XLB_SYNC_HDR_LEN + XLB_SYNC_TAG_LEN > cap)
		return -ENOSPC;
	put16(out, XLB_SYNC_MAGIC);
	out[2] = XLB_SYNC_VERSION;
	out[3] = type;
	put32(out + 4, k->id);
	put64(out + 8, epoch);
	put64(out + 16, seq);
	put32(out + 24, (__u32)n + XLB_SYNC_TAG_LEN);
	/* a random 192-bit nonce never repeats in practice: XChaCha's point */
	randombytes_buf(out + 28, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
		out + XLB_SYNC_HDR_LEN, &clen, plain, (unsigned long long)n,
		out, XLB_SYNC_HDR_LEN, NULL, out + 28, k->key);
	return XLB_SYNC_HDR_LEN + (int)clen;
}

int xlb_sync_encode(const struct xlb_sync_msg *m, const struct xlb_sync_key *k,
		    __u8 *out, size_t cap)
{
	__u8 *plain = malloc(PLAIN_MAX);
	int n, rc;

	if (!plain)
		return -ENOMEM;
	n = payload_put(m, plain);
	rc = n < 0 ? n :
		     xlb_sync_seal(m->type, m->epoch, m->seq, plain, (size_t)n,
				   k, out, cap);
	sodium_memzero(plain, PLAIN_MAX);
	free(plain);
	return rc;
}

#define REJECT(r) (-(1 + (r)))

/* The payload's exact length for types whose length is fixed; -1 if not. */
static int fixed_len(__u8 type)
{
	switch (type) {
	case XLB_SYNC_HELLO:
		return HELLO_LEN;
	case XLB_SYNC_ACK:
		return 4;
	case XLB_SYNC_NACK:
		return 8;
	case XLB_SYNC_RESYNC:
		return 0;
	default:
		return -1;
	}
}

static int payload_get(const __u8 *p, size_t n, struct xlb_sync_msg *m,
		       struct xlb_sync_entry *ents)
{
	int fixed = fixed_len(m->type);

	if (fixed >= 0 && n != (size_t)fixed)
		return REJECT(XLB_SYNC_REJ_LENGTH);
	switch (m->type) {
	case XLB_SYNC_HELLO:
		m->flags = get16(p);
		if (get16(p + 2) || m->flags & ~XLB_SYNC_F_SYNCED)
			return REJECT(XLB_SYNC_REJ_LENGTH);
		m->next_dseq = get32(p + 4);
		m->fingerprint = get64(p + 8);
		m->ct_entries = get32(p + 16);
		return 0;
	case XLB_SYNC_ACK:
		m->dseq = get32(p);
		return 0;
	case XLB_SYNC_NACK:
		m->dseq = get32(p);
		m->dseq_to = get32(p + 4);
		return m->dseq_to < m->dseq ? REJECT(XLB_SYNC_REJ_LENGTH) : 0;
	case XLB_SYNC_RESYNC:
		return 0;
	}
	/* DATA, BULK */
	if (n < DATA_HDR)
		return REJECT(XLB_SYNC_REJ_LENGTH);
	m->dseq = get32(p);
	m->flags = get16(p + 4);
	m->count = get16(p + 6);
	m->entries = ents;
	if (m->flags & ~(m->type == XLB_SYNC_BULK ? XLB_SYNC_F_END : 0))
		return REJECT(XLB_SYNC_REJ_LENGTH);
	p += DATA_HDR;
	n -= DATA_HDR;
	if (m->type == XLB_SYNC_DATA) {
		if (m->count > XLB_SYNC_DATA_MAX ||
		    n != (size_t)m->count * XLB_SYNC_ENTRY_LEN)
			return REJECT(XLB_SYNC_REJ_LENGTH);
		for (__u32 i = 0; i < m->count; i++)
			if (!entry_get(p + i * XLB_SYNC_ENTRY_LEN, &ents[i]))
				return REJECT(XLB_SYNC_REJ_ENTRY);
		return 0;
	}
	if (m->count > XLB_SYNC_BULK_MAX)
		return REJECT(XLB_SYNC_REJ_LENGTH);
	{
		/* the bound: inflating stops at what count entries take, so a
		 * small message that would inflate to gigabytes is refused */
		uLongf want = m->count * XLB_SYNC_ENTRY_LEN, got = want + 1;
		__u8 *raw = malloc(want + 1);
		int rc = 0;

		if (!raw)
			return REJECT(XLB_SYNC_REJ_ZLIB);
		if (uncompress(raw, &got, p, n) != Z_OK || got != want)
			rc = REJECT(XLB_SYNC_REJ_ZLIB);
		for (__u32 i = 0; !rc && i < m->count; i++)
			if (!entry_get(raw + i * XLB_SYNC_ENTRY_LEN, &ents[i]))
				rc = REJECT(XLB_SYNC_REJ_ENTRY);
		free(raw);
		return rc;
	}
}

int xlb_sync_decode(const __u8 *buf, size_t len,
		    const struct xlb_sync_keyring *kr, struct xlb_sync_msg *m,
		    struct xlb_sync_entry *ents)
{
	const struct xlb_sync_key *k;
	unsigned long long plen;
	__u32 blen;
	__u8 *plain;
	int rc;

	memset(m, 0, sizeof(*m));
	if (len > XLB_SYNC_MSG_MAX)
		return REJECT(XLB_SYNC_REJ_OVERSIZE);
	if (len < XLB_SYNC_HDR_LEN + XLB_SYNC_TAG_LEN)
		return REJECT(XLB_SYNC_REJ_SHORT);
	if (get16(buf) != XLB_SYNC_MAGIC)
		return REJECT(XLB_SYNC_REJ_MAGIC);
	if (buf[2] != XLB_SYNC_VERSION)
		return REJECT(XLB_SYNC_REJ_VERSION);
	m->type = buf[3];
	if (m->type < XLB_SYNC_HELLO || m->type >= XLB_SYNC_TYPE_MAX)
		return REJECT(XLB_SYNC_REJ_TYPE);
	m->key_id = get32(buf + 4);
	m->epoch = get64(buf + 8);
	m->seq = get64(buf + 16);
	blen = get32(buf + 24);
	if (blen != len - XLB_SYNC_HDR_LEN)
		return REJECT(len - XLB_SYNC_HDR_LEN < blen ?
				      XLB_SYNC_REJ_SHORT :
				      XLB_SYNC_REJ_LENGTH);
	k = xlb_sync_key_find(kr, m->key_id);
	if (!k)
		return REJECT(XLB_SYNC_REJ_KEY);
	if (sodium_ready())
		return REJECT(XLB_SYNC_REJ_AUTH);
	plain = malloc(blen);
	if (!plain)
		return REJECT(XLB_SYNC_REJ_AUTH);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    plain, &plen, NULL, buf + XLB_SYNC_HDR_LEN, blen, buf,
		    XLB_SYNC_HDR_LEN, buf + 28, k->key))
		rc = REJECT(XLB_SYNC_REJ_AUTH);
	else
		rc = payload_get(plain, (size_t)plen, m, ents);
	free(plain);
	return rc;
}

int xlb_sync_replay_check(struct xlb_sync_replay *r, __u64 epoch, __u64 seq,
			  bool *restarted)
{
	*restarted = false;
	if (!r->init || epoch > r->epoch) {
		r->init = true;
		r->epoch = epoch;
		r->top = seq;
		r->seen = 1;
		*restarted = true;
		return 0;
	}
	if (epoch < r->epoch)
		return -1;
	if (seq > r->top) {
		__u64 shift = seq - r->top;

		r->seen = shift >= XLB_SYNC_REPLAY_WINDOW ? 0 :
							    r->seen << shift;
		r->seen |= 1;
		r->top = seq;
		return 0;
	}
	if (r->top - seq >= XLB_SYNC_REPLAY_WINDOW)
		return -1;
	if (r->seen & (1ull << (r->top - seq)))
		return -1;
	r->seen |= 1ull << (r->top - seq);
	return 0;
}

const struct xlb_sync_key *xlb_sync_key_find(const struct xlb_sync_keyring *kr,
					     __u32 id)
{
	for (int i = 0; i < kr->n; i++)
		if (kr->keys[i].id == id)
			return &kr->keys[i];
	return NULL;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int xlb_sync_keys_load(const char *path, struct xlb_sync_keyring *kr, char *err,
		       size_t errlen)
{
	char line[256];
	struct stat st;
	int fd, ln = 0, rc = 0;
	FILE *f;

	memset(kr, 0, sizeof(*kr));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return xlb_errf(err, errlen, -errno, "%s: %s", path,
				strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return xlb_errf(err, errlen, -EINVAL, "%s: not a regular file",
				path);
	}
	if (st.st_mode & 077) {
		close(fd);
		return xlb_errf(err, errlen, -EPERM,
				"%s: mode %03o: a sync key must be readable by "
				"its owner only (chmod 600 %s)",
				path, st.st_mode & 0777, path);
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		close(fd);
		return xlb_errf(err, errlen, -EPERM,
				"%s: owned by uid %u: a sync key must be "
				"root's (chown root %s)",
				path, st.st_uid, path);
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return xlb_errf(err, errlen, -errno, "%s: %s", path,
				strerror(errno));
	}
	while (!rc && fgets(line, sizeof(line), f)) {
		char *p = line, *end;
		unsigned long id;
		__u8 key[XLB_SYNC_KEY_LEN];
		int i;

		ln++;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		errno = 0;
		id = strtoul(p, &end, 10);
		if (end == p || errno || id > 0xffffffffu ||
		    !isspace((unsigned char)*end)) {
			rc = xlb_errf(
				err, errlen, -EINVAL,
				"%s:%d: want \"ID HEX\" (a decimal key id "
				"and %d hex digits)",
				path, ln, 2 * XLB_SYNC_KEY_LEN);
			break;
		}
		p = end;
		while (*p == ' ' || *p == '\t')
			p++;
		for (i = 0; i < XLB_SYNC_KEY_LEN; i++) {
			int hi = hexval(p[2 * i]), lo;

			lo = hi < 0 ? -1 : hexval(p[2 * i + 1]);
			if (hi < 0 || lo < 0)
				break;
			key[i] = (__u8)(hi << 4 | lo);
		}
		p += 2 * i;
		while (i == XLB_SYNC_KEY_LEN && isspace((unsigned char)*p))
			p++;
		if (i != XLB_SYNC_KEY_LEN || *p) {
			rc = xlb_errf(err, errlen, -EINVAL,
				      "%s:%d: key %lu: want %d hex digits",
				      path, ln, id, 2 * XLB_SYNC_KEY_LEN);
		} else if (xlb_sync_key_find(kr, (__u32)id)) {
			rc = xlb_errf(err, errlen, -EINVAL,
				      "%s:%d: key id %lu given twice", path, ln,
				      id);
		} else if (kr->n == XLB_SYNC_KEYS_MAX) {
			rc = xlb_errf(err, errlen, -EINVAL,
				      "%s:%d: more than %d keys", path, ln,
				      XLB_SYNC_KEYS_MAX);
		} else {
			kr->keys[kr->n].id = (__u32)id;
			memcpy(kr->keys[kr->n].key, key, sizeof(key));
			kr->n++;
		}
		sodium_memzero(key, sizeof(key));
	}
	sodium_memzero(line, sizeof(line));
	fclose(f);
	if (!rc && !kr->n)
		rc = xlb_errf(err, errlen, -EINVAL, "%s: no key", path);
	if (rc)
		memset(kr, 0, sizeof(*kr));
	return rc;
}
