// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the tests of the datapath's learning ring (bpf/learn.h,
 * read with lib/conntrack.h's xlb_ct_learn_*) through the real LB program: a new flow's conntrack entry is told to user
 * space as it was written, a hit writes nothing, and a full ring neither
 * blocks nor drops the packet: the lost record is counted.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>
#include <linux/bpf.h>

#include "lb_env.h"
#include "lib/conntrack.h"

static struct lb_env env;
static struct xlb_ct_learn *rb;
static struct xlb_ct_event got[4];
static int ngot;

static void on_event(const struct xlb_ct_event *ev, void *arg)
{
	(void)arg;
	if (ngot < 4)
		got[ngot] = *ev;
	ngot++;
}

static void setup(void)
{
	lb_env_setup(&env);
	rb = xlb_ct_learn_open(env.maps.ct_events, on_event, NULL);
	cr_assert_not_null(rb, "the ring opens from its map fd");
	cr_assert_geq(xlb_ct_learn_fd(rb), 0, "with an fd to watch");
	ngot = 0;
}

static void teardown(void)
{
	xlb_ct_learn_close(rb);
	lb_env_teardown(&env);
}

TestSuite(learn, .init = setup, .fini = teardown);

static void syn(struct pkt *in, __u16 sport, __u8 flags)
{
	struct pkt_spec s = { .family = 4,
			      .src = "203.0.113.9",
			      .dst = "192.0.2.10",
			      .sport = sport,
			      .dport = 80,
			      .proto = IPPROTO_TCP,
			      .tcp_flags = flags,
			      .df = true };

	cr_assert_eq(pkt_build(in, &s), 0);
}

Test(learn, a_new_flow_is_told_once_as_written)
{
	struct pkt in, out;
	struct xlb_flow f;
	struct xlb_ct_entry e;

	syn(&in, 41000, 0x02);
	cr_assert_eq(env_run(&env, &in, &out), XDP_TX);
	cr_assert_eq(xlb_ct_learn_poll(rb), 1, "one record for a new flow");
	cr_assert_eq(ngot, 1);
	env_flow(&(struct pkt_spec){ .family = 4,
				     .src = "203.0.113.9",
				     .dst = "192.0.2.10",
				     .sport = 41000,
				     .dport = 80,
				     .proto = IPPROTO_TCP },
		 &f);
	cr_assert_eq(memcmp(&got[0].flow, &f, sizeof(f)), 0,
		     "the record names the flow as conntrack keys it");
	cr_assert_eq(xlb_ct_lookup(env.maps.conntrack, &f, &e), 0);
	cr_assert_eq(memcmp(&got[0].entry, &e, sizeof(e)), 0,
		     "and carries the entry as written (backend %u, vip %u)",
		     e.backend_id, e.vip_id);
	cr_assert_eq(got[0].entry.backend_id,
		     env_table_pick(&env, VIP_TCP4, &f));

	syn(&in, 41000, 0x10); /* an ACK: a conntrack hit */
	cr_assert_eq(env_run(&env, &in, &out), XDP_TX);
	cr_assert_eq(xlb_ct_learn_poll(rb), 0, "a hit tells nothing");
}

Test(learn, a_full_ring_counts_the_loss_and_still_forwards)
{
	__u64 lost0 = env_stat(&env, XLB_EV_CT_LEARN_LOST);
	int n = XLB_CT_EVENTS_BYTES / (sizeof(struct xlb_ct_event) + 8) + 10;
	struct pkt in, out;

	for (int i = 0; i < n; i++) {
		syn(&in, (__u16)(1000 + i), 0x02);
		cr_assert_eq(env_run(&env, &in, &out), XDP_TX,
			     "flow %d is forwarded, ring full or not", i);
	}
	cr_assert_geq(env_stat(&env, XLB_EV_CT_LEARN_LOST) - lost0, 10,
		      "records that did not fit are counted");
	cr_assert_lt(xlb_ct_learn_poll(rb), n, "the ring held fewer");
	syn(&in, 999, 0x02);
	cr_assert_eq(env_run(&env, &in, &out), XDP_TX);
	ngot = 0;
	cr_assert_eq(xlb_ct_learn_poll(rb), 1,
		     "once drained, the next new flow is told again");
}
