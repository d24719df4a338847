// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* XDP_PASS for veth peers: a veth only accepts XDP_TX'd frames if its peer runs XDP. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int xlb_pass(struct xdp_md *ctx __attribute__((unused)))
{
	return XDP_PASS;
}
