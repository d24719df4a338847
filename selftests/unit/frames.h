/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the frame generators of the LB's robustness suite, which
 * the differential suite runs through too: seed packets of every shape to
 * the test VIPs (lb_env.h), each truncated at every byte, and seeded
 * random mutations of them. The same seed gives the same frames on every
 * run and machine, so a failing frame can be replayed.
 */
#ifndef XLB_SELFTESTS_FRAMES_H
#define XLB_SELFTESTS_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "tools/pkt.h"

/* How many seeds frames_seeds() writes. */
#define FRAMES_NSEEDS 14

/*
 * Packets to the test VIPs: TCP, UDP and ICMP echo over IPv4 and IPv6,
 * VLAN-tagged, with IPv4 options, full-sized, and two ICMP errors quoting
 * a VIP's packet. Writes FRAMES_NSEEDS frames to @out.
 */
void frames_seeds(struct pkt *out);

/* Called with each frame, @seed the index of the one it came from. */
typedef void (*frames_fn)(const struct pkt *in, const char *what, size_t seed,
			  size_t arg, void *ctx);

/*
 * Each of the @n frames of @seeds cut at every length from 14 (the
 * Ethernet header) to one byte short; @arg is the length. Returns how
 * many frames it made.
 */
size_t frames_each_truncation(const struct pkt *seeds, size_t n, frames_fn fn,
			      void *ctx);

/*
 * @count mutations of @seeds drawn from @rng_seed (xorshift32): 1-4 bytes
 * set at random, mostly in the first 96 bytes where the headers are, and
 * one frame in 8 also cut short; @arg is the mutation's number.
 */
void frames_each_mutation(const struct pkt *seeds, size_t n, size_t count,
			  uint32_t rng_seed, frames_fn fn, void *ctx);

#endif /* XLB_SELFTESTS_FRAMES_H */
