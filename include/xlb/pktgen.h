/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the ABI of the traffic generator (bpf/xlb_pktgen.bpf.c)
 * and of the sink that counts what arrives (bpf/xlb_sink.bpf.c): the
 * generator's configuration, which user space writes into the program's
 * read-only data before load, and the sink's counters and captures.
 */
#ifndef XLB_PKTGEN_H
#define XLB_PKTGEN_H

#include <linux/types.h>

/*
 * Bytes at the start of the frame the generator writes from its template on
 * every packet. Live-frames mode hands the program recycled pages holding
 * whatever the last user left there (our previous packet, or a receiver that
 * rewrote it in place), so every header byte is written, not just the fields
 * that vary. 128 covers the longest header we build (Ethernet + 802.1Q +
 * IPv6 + TCP = 78) and all of a 64..128-byte frame.
 */
#define XLB_PG_TPL_MAX 128
/* Every offset the program writes at is below this (a mask for the verifier). */
#define XLB_PG_OFF_MASK 0x7f

struct xlb_pg_cfg {
	__u32 nflows; /* distinct flows, >= 1 */
	__u32 naddrs; /* source addresses they spread over, >= 1 */
	__u16 sport_min; /* first source port, host order */
	__u16 saddr_lo; /* low 16 bits of the first source address, host order */
	__u16 copy_len; /* template bytes written per packet, 8..XLB_PG_TPL_MAX */
	__u16 sport_off; /* offsets from the frame's first byte */
	__u16 saddr_off; /* of the last 16 bits of the source address */
	__u16 ip_csum_off; /* IPv4 header checksum; 0 for IPv6 */
	__u16 l4_csum_off; /* TCP or UDP checksum */
	/*
	 * One's complement sums (folded, as loaded from memory) of what each
	 * checksum covers in the template, where the varying fields are zero:
	 * the packet's checksum is ~(base + its varying fields).
	 */
	__u16 ip_csum_base;
	__u16 l4_csum_base;
	__u8 udp; /* a UDP checksum that computes to 0 is sent as 0xffff */
	__u8 pad[5];
	__u64 tail; /* bytes copy_len - 8 .. copy_len - 1 of the template */
	__u64 tpl[XLB_PG_TPL_MAX / 8]; /* the frame's first bytes */
};

/* Sink: count packets per CPU, optionally per source port, keep a few. */
#define XLB_SINK_F_PORTS (1u << 0) /* count per TCP/UDP source port */
#define XLB_SINK_F_CAPTURE (1u << 1) /* copy XLB_SINK_CAP_N frames */
/*
 * Tests: overwrite each frame's first bytes before dropping it, as a
 * receiver that rewrites in place would, so the generator's recycled pages
 * come back dirty.
 */
#define XLB_SINK_F_SCRIBBLE (1u << 2)

#define XLB_SINK_CAP_N 8
#define XLB_SINK_CAP_BYTES 1536
/* The sink stamps the time every this many packets per CPU (a power of 2). */
#define XLB_SINK_STAMP_EVERY 64

struct xlb_sink_stats {
	__u64 packets;
	__u64 bytes;
	__u64 first_ns; /* CLOCK_MONOTONIC of this CPU's first packet */
	__u64 last_ns; /* and of its last stamped packet ... */
	__u64 last_pkts; /* ... which was this CPU's packet number last_pkts */
};

struct xlb_sink_cap {
	__u32 len; /* frame length; data holds min(len, XLB_SINK_CAP_BYTES) */
	__u32 pad;
	__u8 data[XLB_SINK_CAP_BYTES];
};

#ifndef __bpf__
_Static_assert(sizeof(struct xlb_pg_cfg) == 168, "xlb_pg_cfg layout");
_Static_assert(sizeof(struct xlb_sink_stats) == 40, "xlb_sink_stats layout");
_Static_assert(sizeof(struct xlb_sink_cap) == 1544, "xlb_sink_cap layout");
#endif

#endif /* XLB_PKTGEN_H */
