/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the one way the tests run an XDP program on a packet:
 * BPF_PROG_TEST_RUN with repeat 1, so the program sees the packet as built
 * (with repeat > 1 the kernel would hand it its own output again).
 */
#ifndef XLB_SELFTESTS_TESTRUN_H
#define XLB_SELFTESTS_TESTRUN_H

#include <errno.h>
#include <bpf/bpf.h>
#include <linux/types.h>

#include "tools/pkt.h"

/*
 * xorshift32, for seeded mutations: the same sequence on every run and
 * machine, so a failing mutation can be replayed.
 */
static inline __u32 xorshift32(__u32 *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

/* Runs @prog_fd on @in; fills @out and *@verdict. Returns 0 or -errno. */
static inline int xdp_run(int prog_fd, const struct pkt *in, struct pkt *out,
			  __u32 *verdict)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in->data,
		    .data_size_in = (__u32)in->len, .data_out = out->data,
		    .data_size_out = sizeof(out->data), .repeat = 1);

	if (bpf_prog_test_run_opts(prog_fd, &o))
		return -errno;
	out->len = o.data_size_out;
	*verdict = o.retval;
	return 0;
}

#endif /* XLB_SELFTESTS_TESTRUN_H */
