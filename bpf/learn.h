/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds how the datapath tells xlbd about a conntrack entry it
 * has written, for the state sync: one record in the ring buffer
 * xlb_ct_events. It never waits and never drops a packet: when the ring is
 * full the record is not written and XLB_EV_CT_LEARN_LOST is counted;
 * xlbd's periodic walk of the table finds the entry anyway.
 */
#ifndef XLB_BPF_LEARN_H
#define XLB_BPF_LEARN_H

#include "maps.h"
#include "stats.h"

static __always_inline void xlb_ct_learn(const struct xlb_flow *flow,
					 const struct xlb_ct_entry *entry)
{
	struct xlb_ct_event *ev;

	ev = bpf_ringbuf_reserve(&xlb_ct_events, sizeof(*ev), 0);
	if (!ev) {
		xlb_event(XLB_EV_CT_LEARN_LOST);
		return;
	}
	__builtin_memcpy(&ev->flow, flow, sizeof(ev->flow));
	__builtin_memcpy(&ev->entry, entry, sizeof(ev->entry));
	/* default wakeup: xlbd is woken only when it has caught up, so a
	 * burst of new flows costs one wakeup, not one per flow */
	bpf_ringbuf_submit(ev, 0);
}

#endif /* XLB_BPF_LEARN_H */
