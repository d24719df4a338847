// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The floor of the throughput benchmark: every frame straight back out. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int xlb_tx(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_TX;
}
