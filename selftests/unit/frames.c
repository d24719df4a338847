// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the frame generators of the robustness and differential
 * suites (frames.h).
 */
#include <netinet/in.h>
#include <criterion/criterion.h>

#include "frames.h"
#include "testrun.h"

static const struct pkt_spec seeds[] = {
	{ .family = 4, .src = "203.0.113.7", .dst = "192.0.2.10",
	  .sport = 40000, .dport = 80, .proto = IPPROTO_TCP, .tcp_flags = 2,
	  .df = true, .payload_len = 20 },
	{ .family = 4, .src = "203.0.113.7", .dst = "192.0.2.10",
	  .sport = 40000, .dport = 80, .proto = IPPROTO_TCP, .tcp_flags = 2,
	  .ihl = 7, .vlan = 5, .payload_len = 3 },
	{ .family = 4, .src = "203.0.113.7", .dst = "192.0.2.10", .sport = 53,
	  .dport = 53, .proto = IPPROTO_UDP, .payload_len = 30 },
	{ .family = 6, .src = "2001:db8:c::7", .dst = "2001:db8::10",
	  .sport = 40000, .dport = 443, .proto = IPPROTO_TCP, .tcp_flags = 2,
	  .payload_len = 20 },
	{ .family = 6, .src = "2001:db8:c::7", .dst = "2001:db8::10",
	  .sport = 40000, .dport = 53, .proto = IPPROTO_UDP, .vlan = 9,
	  .payload_len = 20 },
	{ .family = 4, .src = "203.0.113.7", .dst = "192.0.2.30",
	  .sport = 40000, .dport = 80, .proto = IPPROTO_TCP, .tcp_flags = 2 },
	{ .family = 6, .src = "2001:db8:c::7", .dst = "2001:db8::20",
	  .sport = 40000, .dport = 80, .proto = IPPROTO_TCP, .tcp_flags = 2 },
	{ .family = 4, .src = "203.0.113.7", .dst = "192.0.2.40",
	  .sport = 40000, .dport = 80, .proto = IPPROTO_TCP, .tcp_flags = 2 },
	{ .family = 4, .src = "203.0.113.7", .dst = "192.0.2.10", .sport = 9,
	  .dport = 9, .proto = IPPROTO_ICMP, .payload_len = 24 },
	{ .family = 6, .src = "2001:db8:c::7", .dst = "2001:db8::10",
	  .sport = 9, .dport = 9, .proto = IPPROTO_ICMPV6, .payload_len = 24 },
	{ .family = 4, .src = "203.0.113.7", .dst = "192.0.2.10",
	  .sport = 40000, .dport = 80, .proto = IPPROTO_TCP, .df = true,
	  .payload_len = 1460 },
	{ .family = 6, .src = "2001:db8:c::7", .dst = "2001:db8::10",
	  .sport = 40000, .dport = 443, .proto = IPPROTO_TCP,
	  .payload_len = 1440 },
};
#define NSPECS (sizeof(seeds) / sizeof(seeds[0]))
_Static_assert(NSPECS + 2 == FRAMES_NSEEDS, "FRAMES_NSEEDS counts them");

void frames_seeds(struct pkt *out)
{
	/* ICMP errors quoting a VIP's packet: built from a reply packet */
	struct pkt_spec r4 = { .family = 4, .src = "192.0.2.10",
			       .dst = "203.0.113.7", .sport = 80,
			       .dport = 40000, .proto = IPPROTO_TCP,
			       .payload_len = 100 };
	struct pkt_spec r6 = { .family = 6, .src = "2001:db8::10",
			       .dst = "2001:db8:c::7", .sport = 443,
			       .dport = 40000, .proto = IPPROTO_TCP,
			       .payload_len = 100 };
	struct pkt q;
	size_t n = 0;

	for (size_t i = 0; i < NSPECS; i++)
		cr_assert_eq(pkt_build(&out[n++], &seeds[i]), 0,
			     "seed %zu builds", i);
	cr_assert_eq(pkt_build(&q, &r4), 0);
	cr_assert_eq(pkt_build_icmp_error(&out[n++], "203.0.113.254",
					  "192.0.2.10", 3, 4, 1400, &q, 0, 0),
		     0);
	cr_assert_eq(pkt_build(&q, &r6), 0);
	cr_assert_eq(pkt_build_icmp_error(&out[n++], "2001:db8:c::fe",
					  "2001:db8::10", 2, 0, 1280, &q, 0, 0),
		     0);
}

size_t frames_each_truncation(const struct pkt *seeds, size_t n, frames_fn fn,
			      void *ctx)
{
	static struct pkt in; /* 2 KiB: not on the stack of every caller */
	size_t made = 0;

	for (size_t s = 0; s < n; s++) {
		for (size_t len = 14; len < seeds[s].len; len++) {
			in = seeds[s];
			in.len = len;
			fn(&in, "truncated seed length", s, len, ctx);
			made++;
		}
	}
	return made;
}

void frames_each_mutation(const struct pkt *seeds, size_t n, size_t count,
			  uint32_t rng_seed, frames_fn fn, void *ctx)
{
	static struct pkt in;
	uint32_t st = rng_seed;

	for (size_t i = 0; i < count; i++) {
		uint32_t k = xorshift32(&st);

		in = seeds[k % n];
		/* flip 1-4 bytes, mostly in the headers where parsing happens */
		for (uint32_t m = 0; m <= (k >> 8) % 4; m++) {
			uint32_t r = xorshift32(&st);
			size_t span = (r & 3) ? (in.len < 96 ? in.len : 96) : in.len;

			in.data[(r >> 8) % span] = (uint8_t)(r >> 24);
		}
		if ((k >> 16) % 8 == 0)
			in.len = 14 + xorshift32(&st) % (in.len - 13);
		fn(&in, "mutation", k % n, i, ctx);
	}
}
