// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the libFuzzer harness of the state-sync decoder
 * (lib/sync_proto.h) under ASan and UBSan. Random bytes never pass the
 * AEAD check, so half the inputs are sealed first under the harness's key
 * (first byte odd: the second is the type, the rest the payload; even:
 * the rest is the datagram) and reach the payload
 * parser, BULK's inflate included. Whatever decodes must encode again and
 * decode to the same message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/sync_proto.h"

static struct xlb_sync_keyring kr = { .n = 1, .keys = { { .id = 7 } } };
static struct xlb_sync_entry ents[XLB_SYNC_BULK_MAX], ents2[XLB_SYNC_BULK_MAX];
static uint8_t buf[XLB_SYNC_MSG_MAX], again[XLB_SYNC_MSG_MAX];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xlb_log_init("fuzz", XLB_LOG_ERR);
	memset(kr.keys[0].key, 0x42, XLB_SYNC_KEY_LEN);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xlb_sync_msg m, m2;
	const uint8_t *msg = data + 1;
	size_t len = size - 1;
	int n;

	if (!size)
		return 0;
	if (size >= 2 && data[0] & 1) {
		n = xlb_sync_seal(data[1], 1, 1, data + 2, size - 2,
				  &kr.keys[0], buf, sizeof(buf));
		if (n < 0)
			return 0;
		msg = buf;
		len = (size_t)n;
	}
	if (xlb_sync_decode(msg, len, &kr, &m, ents))
		return 0;
	if (m.count)
		memcpy(ents2, ents, m.count * sizeof(ents[0]));
	m.entries = ents2;
	n = xlb_sync_encode(&m, &kr.keys[0], again, sizeof(again));
	if (n < 0)
		abort(); /* what decodes must encode */
	if (xlb_sync_decode(again, (size_t)n, &kr, &m2, ents) ||
	    m2.type != m.type || m2.count != m.count || m2.dseq != m.dseq ||
	    m2.flags != m.flags || m2.fingerprint != m.fingerprint ||
	    (m.count && memcmp(ents, ents2, m.count * sizeof(ents[0]))))
		abort(); /* and read back the same */
	return 0;
}
