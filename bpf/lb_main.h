/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the LB's list of stages, xlb_lb_main(): parse, ICMP,
 * VIP lookup, backend selection, MTU check, encapsulation, count. Each
 * stage lives in its own header. It is a header so the benchmark wrapper
 * (xlb_bench.bpf.c) times exactly the code that runs on the NIC.
 */
#ifndef XLB_BPF_LB_MAIN_H
#define XLB_BPF_LB_MAIN_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "maps.h"
#include "parse.h"
#include "select.h"
#include "flow_cache.h"
#include "encap.h"
#include "icmp.h"
#include "stats.h"

/*
 * Replies with frag-needed / packet-too-big when the encapsulated packet
 * would not fit the MTU towards the backends, so the client lowers its
 * PMTU. IPv4 without DF could only be fragmented, which XDP cannot do.
 */
static __always_inline int xlb_check_mtu(struct xdp_md *ctx, struct xlb_pkt *p,
					 const struct xlb_vip_info *vip,
					 const struct xlb_backend *be,
					 const struct xlb_config *cfg)
{
	__u32 overhead;

	if (!cfg->mtu || vip->mode == XLB_FWD_L2DSR)
		return XLB_CONTINUE;
	overhead = xlb_encap_overhead(be);
	if (p->l3_len + overhead <= cfg->mtu)
		return XLB_CONTINUE;
	if (p->icmp_error || cfg->mtu <= overhead)
		return XLB_DROP_TOO_BIG; /* no error about an error */
	if (p->family == XLB_AF_INET)
		return p->df ? xlb_send_frag_needed(ctx, p, cfg->mtu - overhead) :
			       XLB_DROP_TOO_BIG;
	return xlb_send_pkt_too_big(ctx, p, cfg->mtu - overhead);
}

/* The last stages of a packet whose VIP and backend are known. */
static __always_inline int xlb_send(struct xdp_md *ctx, struct xlb_pkt *p,
				    const struct xlb_vip_info *vip, __u32 be_id,
				    const struct xlb_backend *be,
				    const struct xlb_config *cfg)
{
	int r = xlb_check_mtu(ctx, p, vip, be, cfg);

	if (r != XLB_CONTINUE)
		return r;
	if (vip->mode == XLB_FWD_L2DSR)
		r = xlb_l2dsr(ctx, p, be);
	else
		r = xlb_encap(ctx, p, be, cfg);
	if (r != XLB_CONTINUE)
		return r;
	xlb_count_forward(vip->vip_id, be_id, p->pkt_len);
	return p->icmp_error ? XLB_TX_ICMP_ERROR : XLB_TX_FORWARD;
}

/*
 * A packet the flow cache holds (bpf/flow_cache.h): its VIP by id and its
 * backend, as the conntrack hit the slot copies found them. XLB_CONTINUE
 * when the backend is no longer active: the conntrack path decides.
 */
static __always_inline int
xlb_forward_cached(struct xdp_md *ctx, struct xlb_pkt *p,
		   const struct xlb_flow_cache_slot *s)
{
	__u32 vip_id = s->vip_id, be_id = s->backend_id, zero = 0;
	struct xlb_vip_slot *vs = bpf_map_lookup_elem(&xlb_vip_by_id, &vip_id);
	struct xlb_backend *be = xlb_backend_get(be_id);
	struct xlb_config *cfg = bpf_map_lookup_elem(&xlb_config, &zero);

	if (!vs || !be || !cfg)
		return XLB_CONTINUE;
	if (p->family == XLB_AF_INET && !xlb_ipv4_csum_ok(ctx, p))
		return XLB_DROP_MALFORMED;
	xlb_event(XLB_EV_CT_HIT);
	xlb_event(XLB_EV_CT_CACHE_HIT);
	return xlb_send(ctx, p, &vs->info, be_id, be, cfg);
}

static __always_inline int xlb_forward(struct xdp_md *ctx, struct xlb_pkt *p)
{
	struct xlb_flow_cache_slot *cached;
	struct xlb_vip_info *vip = 0;
	struct xlb_backend *be = 0;
	struct xlb_ct_entry *ct;
	struct xlb_config *cfg;
	__u32 zero = 0, be_id = 0;
	struct xlb_fc fc;
	int r;

	/* ICMP errors keep their own rule (their flow is the quoted one) */
	if (!p->icmp_error && !p->maybe_vip &&
	    !xlb_maybe_vip_addr(&p->flow.dst))
		return XLB_PASS_NOT_VIP;
	cached = xlb_fc_probe(p, &fc);
	if (cached) {
		r = xlb_forward_cached(ctx, p, cached);
		if (r != XLB_CONTINUE)
			return r;
	}
	/*
	 * Conntrack first: an established flow's entry names its VIP, found
	 * by id in one array load (xlb_ct_vip); only a miss, or an entry
	 * whose VIP is gone or changed, pays the VIP hash lookups.
	 */
	ct = bpf_map_lookup_elem(&xlb_conntrack, &p->flow);
	if (ct)
		vip = xlb_ct_vip(ct, &p->flow);
	if (!vip)
		vip = xlb_vip_lookup(&p->flow);
	if (!vip)
		return p->icmp_error ? XLB_PASS_ICMP_NOT_VIP : XLB_PASS_NOT_VIP;
	if (p->family == XLB_AF_INET && !xlb_ipv4_csum_ok(ctx, p))
		return XLB_DROP_MALFORMED;
	cfg = bpf_map_lookup_elem(&xlb_config, &zero);
	if (!cfg)
		return XLB_DROP_NO_CONFIG;
	r = xlb_select(p, vip, cfg, ct, &fc, &be_id, &be);
	if (r != XLB_CONTINUE || !be)
		return r == XLB_CONTINUE ? XLB_DROP_BAD_BACKEND : r;
	return xlb_send(ctx, p, vip, be_id, be, cfg);
}

/* Everything but the common-shape non-VIP pass (xlb_fast_not_vip). */
static __always_inline int xlb_lb_full(struct xdp_md *ctx, int maybe_vip)
{
	struct xlb_pkt p = {};
	__u32 outcome;
	int r;

	p.maybe_vip = maybe_vip;
	p.pkt_len = ctx->data_end - ctx->data;
	if (maybe_vip) {
		/* TCP or UDP in the common shape, its headers checked */
		r = xlb_parse_common(ctx, &p);
	} else {
		r = xlb_parse_l2(ctx, &p);
		if (r == XLB_CONTINUE)
			r = p.family == XLB_AF_INET ? xlb_parse_ipv4(ctx, &p) :
						      xlb_parse_ipv6(ctx, &p);
		if (r == XLB_CONTINUE)
			r = xlb_parse_l4(ctx, &p);
		if (r == XLB_CONTINUE && (p.l4_proto == IPPROTO_ICMP ||
					  p.l4_proto == IPPROTO_ICMPV6))
			r = xlb_icmp(ctx, &p);
	}
	if (r == XLB_CONTINUE)
		r = xlb_forward(ctx, &p);
	outcome = xlb_outcome(r);
	xlb_count(outcome, p.pkt_len);
	return xlb_verdict(outcome);
}

/* The whole fast path; the xdp entry point and the bench wrapper call it. */
static __always_inline int xlb_lb_main(struct xdp_md *ctx)
{
	enum xlb_fast fast = xlb_fast_not_vip(ctx);

	if (fast == XLB_FAST_PASS) {
		xlb_count(XLB_PASS_NOT_VIP, ctx->data_end - ctx->data);
		return XDP_PASS;
	}
	return xlb_lb_full(ctx, fast == XLB_FAST_MAYBE_VIP);
}

#endif /* XLB_BPF_LB_MAIN_H */
