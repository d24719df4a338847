// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlb's fast path: packets for a VIP go to a backend picked by conntrack or
 * the VIP's Maglev table, encapsulated or MAC-rewritten, out with XDP_TX;
 * everything else passes to the stack untouched. The stages are listed in
 * lb_main.h.
 */
#include "lb_main.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int xlb_lb(struct xdp_md *ctx)
{
	return xlb_lb_main(ctx);
}
