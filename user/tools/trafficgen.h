/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the traffic generator library: it builds a template frame,
 * loads bpf/xlb_pktgen.bpf.c configured for it and pushes frames out of an
 * interface with BPF_PROG_TEST_RUN in live-frames mode, at full speed or
 * paced to a rate; and the sink (bpf/xlb_sink.bpf.c) that counts what
 * arrives at the far end. xlb-pktgen is a thin command line over it; tests
 * and benchmarks call it directly.
 *
 * Interfaces are named by ifindex in the caller's network namespace.
 * Functions that can fail return 0 or -errno and write "<what>: <reason>"
 * into @err (if not NULL).
 */
#ifndef XLB_USER_TRAFFICGEN_H
#define XLB_USER_TRAFFICGEN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/pkt.h"

/* Frame sizes count the 4-byte FCS the NIC appends, as "64-byte frames" do. */
#define TG_FCS 4
#define TG_FRAME_MIN 64
#define TG_FRAME_MAX 1500
#define TG_SPORT_MIN 1024 /* default first source port */
#define TG_BATCH_DEFAULT 64 /* frames per kernel batch (NAPI_POLL_WEIGHT) */
#define TG_BATCH_MAX 256 /* the kernel's limit */

struct tg_spec {
	int ifindex; /* sends out of this device */
	const char *src; /* addresses as text; the family follows from them */
	const char *dst;
	uint16_t dport;
	uint16_t sport_min; /* 0: TG_SPORT_MIN */
	uint8_t proto; /* IPPROTO_UDP or IPPROTO_TCP */
	uint8_t tcp_flags; /* TCP flags byte (0x02 SYN, 0x10 ACK) */
	uint16_t vlan; /* 802.1Q id, 0: untagged */
	uint16_t frame_bytes; /* TG_FRAME_MIN..TG_FRAME_MAX; 0: 64 */
	uint32_t flows; /* distinct (source address, source port); 0: 1 */
	/* Source addresses the flows spread over (the address's low 16 bits
	 * count up from src). 0: one, or as many as the flows need when
	 * they outnumber the source ports. */
	uint32_t src_addrs;
	uint8_t dst_mac[6];
	uint8_t src_mac[6];
};

/* What a generator built: the layout its flows follow. */
struct tg_info {
	int family; /* 4 or 6 */
	uint32_t frame_len; /* bytes handed to the device (frame_bytes - FCS) */
	uint32_t nflows;
	uint32_t naddrs; /* flow f: address index f % naddrs ... */
	uint32_t nports; /* ... source port sport_min + f / naddrs */
	uint16_t sport_min;
	/* the program stays in the kernel's XDP dispatcher between calls, so
	 * a call costs microseconds, not an RCU grace period (trafficgen.c) */
	bool pinned;
};

struct tg_run_opts {
	uint64_t count; /* packets; 0: no limit */
	double duration; /* seconds; 0: no limit */
	uint64_t rate; /* packets per second; 0: as fast as possible */
	uint32_t batch; /* frames per kernel batch, 1..256; 0: 64 */
	volatile sig_atomic_t *stop; /* ends the run early when it turns nonzero */
};

struct tg_result {
	uint64_t packets; /* frames generated and sent with XDP_TX */
	uint64_t bytes; /* packets * frame_bytes (FCS included) */
	double seconds; /* from the first send to the return of the last */
	uint64_t aborted; /* frames the program refused (must be 0) */
	/* tx_dropped of the device grew by this much during the run: on a
	 * veth, frames that found the peer's ring full */
	uint64_t tx_dropped;
	/* frames the driver took for transmission (its ethtool "xdp_xmit"
	 * counters), or TG_UNKNOWN. A veth drops XDP frames uncounted when its
	 * peer has no XDP program; then this stays below packets. */
	uint64_t dev_xmit;
};

#define TG_UNKNOWN UINT64_MAX

struct tg_gen;

int tg_gen_open(struct tg_gen **gen, const struct tg_spec *spec, char *err,
		size_t errlen);
void tg_gen_info(const struct tg_gen *gen, struct tg_info *info);

/*
 * Sends until @o's count or duration is reached or *@o->stop is set. The
 * flow sequence carries on from the previous run. @r holds what was sent
 * even when an error ends the run.
 */
int tg_gen_run(struct tg_gen *gen, const struct tg_run_opts *o,
	       struct tg_result *r, char *err, size_t errlen);

/*
 * Runs the program once, without live frames, as it would run for packet
 * number @seq, on @in (NULL: the template it was loaded with) and returns
 * the frame it wrote. For tests: what would go on the wire.
 */
int tg_gen_frame(struct tg_gen *gen, uint64_t seq, const struct pkt *in,
		 struct pkt *out);

/* The frame flow @flow should carry, built by pkt_build() from the spec. */
int tg_gen_expect(const struct tg_gen *gen, uint32_t flow, struct pkt *out);

void tg_gen_close(struct tg_gen *gen);

/* Sink flags */
#define TG_SINK_PASS (1u << 0) /* count, then pass to the stack (not drop) */
#define TG_SINK_PORTS (1u << 1) /* count per TCP/UDP source port */
#define TG_SINK_CAPTURE (1u << 2) /* keep TG_SINK_CAP_N frames */
/* tests: overwrite the first 128 bytes of each frame before dropping it, so
 * a live-frames sender gets its pages back dirty */
#define TG_SINK_SCRIBBLE (1u << 3)
#define TG_SINK_CAP_N 8

struct tg_sink_opts {
	unsigned int flags; /* TG_SINK_* */
	uint64_t capture_after; /* TG_SINK_CAPTURE: skip this many packets */
};

struct tg_sink_stats {
	uint64_t packets;
	uint64_t bytes; /* frame bytes as received (no FCS) */
	double seconds; /* first to last timed packet */
	double pps; /* over those seconds */
};

struct tg_sink;

/* Loads the sink and attaches it (native XDP, through a BPF link). @o may
 * be NULL: count and drop. */
int tg_sink_open(struct tg_sink **sink, int ifindex,
		 const struct tg_sink_opts *o, char *err, size_t errlen);
int tg_sink_read(struct tg_sink *sink, struct tg_sink_stats *st);
/* Packets per source port (TG_SINK_PORTS); returns the number of ports seen. */
uint32_t tg_sink_sports(struct tg_sink *sink, uint32_t counts[65536]);
/* Captured frame @idx (TG_SINK_CAPTURE); -ENOENT if not (yet) captured. */
int tg_sink_captured(struct tg_sink *sink, unsigned int idx, struct pkt *out);

/*
 * Waits until @duration seconds passed (0: no limit), or packets came and
 * then none for @idle_ms (0: not used), or *@stop turned nonzero.
 */
void tg_sink_wait(struct tg_sink *sink, double duration, unsigned int idle_ms,
		  volatile sig_atomic_t *stop);

/* Detaches and unloads. */
void tg_sink_close(struct tg_sink *sink);

/* MAC address of @ifname. */
int tg_if_mac(const char *ifname, uint8_t mac[6]);

#endif /* XLB_USER_TRAFFICGEN_H */
