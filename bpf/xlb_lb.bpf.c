// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlb's fast path: packets for a VIP go to a backend picked by conntrack or
 * the VIP's Maglev table, encapsulated or MAC-rewritten, out with XDP_TX;
 * everything else passes to the stack untouched. The stages are listed in
 * lb_main.h.
 */
#include "lb_main.h"
#include <xdp/xdp_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * libxdp's dispatcher runs programs by priority and calls the next one only
 * for the actions listed here: what xlb passes (not for a VIP) goes on to
 * the other XDP programs on the NIC, so xlb coexists with them.
 */
struct {
	__uint(priority, 20);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xlb_lb);

SEC("xdp")
int xlb_lb(struct xdp_md *ctx)
{
	return xlb_lb_main(ctx);
}
