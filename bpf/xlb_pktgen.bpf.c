// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The traffic generator's XDP program. User space runs it with
 * BPF_PROG_TEST_RUN and BPF_F_TEST_XDP_LIVE_FRAMES: the kernel allocates
 * frames from a page pool, runs the program on each and, on XDP_TX, sends
 * the frame out of the device named by the context's ingress_ifindex.
 *
 * The page pool copies the template frame into a page only when the page is
 * first allocated; after that pages are recycled as they come back, holding
 * whatever was last written there: our previous packet, or a receiver's
 * in-place rewrite of it (an LB adding an outer header). So every packet is
 * written from scratch, never derived from the bytes found in the page:
 * the frame's first XLB_PG_TPL_MAX bytes (all headers) from the template,
 * then the flow's source port (and source address), then both checksums
 * from bases precomputed over the template.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "csum.h"
#include "ptr.h"
#include "xlb/pktgen.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by user space between open and load; the verifier sees constants. */
const volatile struct xlb_pg_cfg xlb_pg_cfg = {};

/*
 * Generator state. One user thread runs one loaded copy of this program, and
 * BPF_PROG_TEST_RUN runs it on that thread's CPU with migration disabled,
 * so plain increments are exact: no atomics.
 */
__u64 xlb_pg_seq = 0; /* packets generated */
__u32 xlb_pg_flow = 0; /* == xlb_pg_seq % nflows, kept without a division */
__u64 xlb_pg_aborted = 0; /* frames shorter than the template said */

/* Writes the 16-bit @val at @off; returns -1 if it is past the frame. */
static __always_inline int pg_put16(void *data, void *data_end, __u16 off,
				    __u16 val)
{
	__u16 *p = data + (off & XLB_PG_OFF_MASK);

	if ((void *)(p + 1) > data_end)
		return -1;
	*p = val;
	return 0;
}

/* Writes the template over the frame's first copy_len bytes. */
static __always_inline int pg_write_template(void *data, void *data_end)
{
	__u32 len = xlb_pg_cfg.copy_len;
	__u64 *p;

#pragma unroll
	for (int i = 0; i < XLB_PG_TPL_MAX / 8; i++) {
		if ((__u32)(i + 1) * 8 > len)
			break;
		p = data + i * 8;
		if ((void *)(p + 1) > data_end)
			return -1;
		*p = xlb_pg_cfg.tpl[i];
	}
	if (len & 7) {
		/* the last partial word: 8 bytes ending at copy_len (they overlap) */
		p = data + ((len - 8) & XLB_PG_OFF_MASK);
		if ((void *)(p + 1) > data_end)
			return -1;
		*p = xlb_pg_cfg.tail;
	}
	return 0;
}

SEC("xdp")
int xlb_pktgen(struct xdp_md *ctx)
{
	void *data = xlb_data(ctx), *data_end = xlb_data_end(ctx);
	__u32 flow = xlb_pg_flow, port_idx = flow, addr_idx = 0, l4;
	__u16 sport, check;

	if (pg_write_template(data, data_end))
		goto abort;

	/* flow -> (address, port): address varies fastest, so the first
	 * naddrs flows already differ in address */
	if (xlb_pg_cfg.naddrs > 1) {
		addr_idx = flow % xlb_pg_cfg.naddrs;
		port_idx = flow / xlb_pg_cfg.naddrs;
	}
	sport = bpf_htons((__u16)(xlb_pg_cfg.sport_min + port_idx));
	if (pg_put16(data, data_end, xlb_pg_cfg.sport_off, sport))
		goto abort;
	l4 = (__u32)xlb_pg_cfg.l4_csum_base + sport;

	if (xlb_pg_cfg.naddrs > 1) {
		__u16 lo = bpf_htons((__u16)(xlb_pg_cfg.saddr_lo + addr_idx));

		if (pg_put16(data, data_end, xlb_pg_cfg.saddr_off, lo))
			goto abort;
		l4 += lo; /* the pseudo-header covers the source address */
		if (xlb_pg_cfg.ip_csum_off &&
		    pg_put16(data, data_end, xlb_pg_cfg.ip_csum_off,
			     xlb_csum_fold32((__u32)xlb_pg_cfg.ip_csum_base +
					    lo)))
			goto abort;
	}

	check = xlb_csum_fold32(l4);
	if (xlb_pg_cfg.udp && !check)
		check = 0xffff; /* RFC 768: 0 would mean "no checksum" */
	if (pg_put16(data, data_end, xlb_pg_cfg.l4_csum_off, check))
		goto abort;

	xlb_pg_flow = flow + 1 < xlb_pg_cfg.nflows ? flow + 1 : 0;
	xlb_pg_seq++;
	return XDP_TX;
abort:
	xlb_pg_aborted++;
	return XDP_ABORTED;
}
