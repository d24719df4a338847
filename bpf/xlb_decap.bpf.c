// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlb's backend-side decap: IPIP, IP6IP6, 4in6 and 6in4 packets addressed
 * to this host lose their outer header here and pass to the stack as the
 * client sent them; everything else passes untouched. The stages and the
 * policy are in decap.h.
 */
#include "decap.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int xlb_decap(struct xdp_md *ctx)
{
	return xlb_decap_main(ctx);
}
