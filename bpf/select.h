/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds backend selection: the VIP lookup, the conntrack table
 * (flow -> backend id) and the Maglev table of the VIP for flows it has not
 * seen, with a per-CPU cap on how fast new entries go in.
 */
#ifndef XLB_BPF_SELECT_H
#define XLB_BPF_SELECT_H

#include "clock.h"
#include "flow_cache.h"
#include "learn.h"
#include "maps.h"
#include "parse.h"
#include "stats.h"
#include "xlb/flow_hash.h"

static __always_inline struct xlb_vip_info *
xlb_vip_lookup(const struct xlb_flow *f)
{
	struct xlb_vip_key k = {
		.addr = f->dst,
		.port = f->dport,
		.proto = f->proto,
		.family = f->family,
	};
	struct xlb_vip_info *vip = bpf_map_lookup_elem(&xlb_vips, &k);

	if (vip)
		return vip;
	k.port = 0;
	return bpf_map_lookup_elem(&xlb_vips, &k);
}

/*
 * The VIP of conntrack entry @ct, by its vip_id (one array load): only
 * while the VIP there is the one @f is addressed to and tracks
 * connections; NULL sends the packet through xlb_vip_lookup. See
 * xlb_vip_by_id in abi.h.
 */
static __always_inline struct xlb_vip_info *
xlb_ct_vip(const struct xlb_ct_entry *ct, const struct xlb_flow *f)
{
	__u32 id = ct->vip_id;
	struct xlb_vip_slot *s = bpf_map_lookup_elem(&xlb_vip_by_id, &id);

	if (!s || s->key.family != f->family || s->key.proto != f->proto ||
	    (s->key.port != f->dport && s->key.port) ||
	    (s->info.flags & XLB_VIP_F_NO_CONNTRACK) ||
	    s->key.addr.v6[0] != f->dst.v6[0] ||
	    s->key.addr.v6[1] != f->dst.v6[1] ||
	    s->key.addr.v6[2] != f->dst.v6[2] ||
	    s->key.addr.v6[3] != f->dst.v6[3])
		return 0;
	return &s->info;
}

static __always_inline struct xlb_backend *xlb_backend_get(__u32 id)
{
	struct xlb_backend *be = bpf_map_lookup_elem(&xlb_backends, &id);

	if (!be || !(be->flags & XLB_BE_F_ACTIVE))
		return 0;
	return be;
}

/*
 * Like Katran's MAX_CONN_RATE: past @rate inserts per second on this CPU,
 * new flows are still forwarded by Maglev but not recorded, so a SYN flood
 * cannot evict the established flows or make every packet pay an insert.
 */
static __always_inline int xlb_ct_may_insert(__u32 rate, __u64 now)
{
	__u32 zero = 0;
	struct xlb_ct_rate *r;

	if (!rate)
		return 1;
	r = bpf_map_lookup_elem(&xlb_ct_rate, &zero);
	if (!r)
		return 0;
	if (now - r->window_start_ns > XLB_NSEC_PER_SEC) {
		r->window_start_ns = now;
		r->inserts = 0;
	}
	if (r->inserts >= rate)
		return 0;
	r->inserts++;
	return 1;
}

/* Maglev slot of the flow; returns the backend id or 0 for an empty table. */
static __always_inline __u32 xlb_maglev_pick(const struct xlb_pkt *p,
					     const struct xlb_vip_info *vip,
					     __u32 seed)
{
	__u32 vip_id = vip->vip_id, zero = 0, slot;
	__u32 *size, *id;
	void *table;

	table = bpf_map_lookup_elem(&xlb_maglev, &vip_id);
	if (!table)
		return 0;
	size = bpf_map_lookup_elem(table, &zero);
	if (!size || !*size)
		return 0;
	slot = XLB_MAGLEV_HDR_SLOTS +
	       xlb_flow_hash(&p->flow, vip->hash_fields, seed) % *size;
	id = bpf_map_lookup_elem(table, &slot);
	return id ? *id : 0;
}

/* The idle timeout of @ct in ns; 0: it never expires. */
static __always_inline __u64 xlb_ct_timeout(const struct xlb_ct_entry *ct,
					    __u8 proto,
					    const struct xlb_config *cfg)
{
	__u32 s;

	if (proto == IPPROTO_TCP)
		s = ct->flags & XLB_CT_F_CLOSING ? cfg->ct_timeout_tcp_fin :
						   cfg->ct_timeout_tcp;
	else
		s = cfg->ct_timeout_udp;
	return (__u64)s * XLB_NSEC_PER_SEC;
}

/*
 * A conntrack hit: refresh last_seen (at most once a second) and note the
 * client's FIN or RST, which switches the entry to the shorter timeout
 * (a change of the entry: other CPUs' cached copies go stale).
 */
static __always_inline void xlb_ct_touch(const struct xlb_pkt *p,
					 struct xlb_ct_entry *ct, __u64 now,
					 const struct xlb_fc *fc)
{
	if (p->icmp_error)
		return;
	if ((p->tcp_flags & (XLB_TCP_FIN | XLB_TCP_RST)) &&
	    p->flow.proto == IPPROTO_TCP && !(ct->flags & XLB_CT_F_CLOSING)) {
		ct->flags |= XLB_CT_F_CLOSING;
		ct->last_seen_ns = now;
		xlb_fc_flow_changed(fc);
	} else if (now - ct->last_seen_ns > XLB_CT_REFRESH_NS) {
		ct->last_seen_ns = now;
	}
}

/*
 * Picks the backend of the flow in @p: its conntrack entry while the
 * backend it names exists and the entry has not idled past its timeout,
 * else the Maglev slot (recorded unless the VIP is stateless, the packet
 * is an ICMP error or the insert cap is reached). @ct is the flow's entry
 * (xlb_forward looked it up first), NULL when it has none. A SYN (without ACK) on a
 * tracked 5-tuple is a new connection, as Katran treats it: it takes a
 * fresh pick, so a client reusing a port never lands on a backend that was
 * drained, marked down or deleted since. @fc is the flow cache's probe
 * (bpf/flow_cache.h): a hit fills its slot, a write bumps the flow's
 * version. Returns XLB_CONTINUE with *out_id and *out_be set, or an
 * outcome.
 */
static __always_inline int
xlb_select(const struct xlb_pkt *p, const struct xlb_vip_info *vip,
	   const struct xlb_config *cfg, struct xlb_ct_entry *ct,
	   const struct xlb_fc *fc, __u32 *out_id, struct xlb_backend **out_be)
{
	int stateful = !(vip->flags & XLB_VIP_F_NO_CONNTRACK);
	struct xlb_ct_entry entry = {};
	struct xlb_backend *be;
	__u64 now = 0, timeout;
	int fresh = 1; /* a new connection, not a re-steered one */
	__u32 id;

	if (!stateful)
		ct = 0;
	if (stateful) {
		if (ct) {
			now = xlb_now();
			timeout = xlb_ct_timeout(ct, p->flow.proto, cfg);
			be = xlb_backend_get(ct->backend_id);
			if (!be) {
				fresh = 0;
				xlb_event(XLB_EV_CT_STALE_BACKEND);
			} else if (timeout && now > ct->last_seen_ns &&
				   /* an entry xlbd wrote (sync) carries its
				    * fine clock, up to a tick ahead of this
				    * coarse one: fresh, not a wrapped age */
				   now - ct->last_seen_ns > timeout) {
				xlb_event(XLB_EV_CT_EXPIRED);
			} else if ((p->tcp_flags &
				    (XLB_TCP_SYN | XLB_TCP_ACK)) == XLB_TCP_SYN &&
				   p->flow.proto == IPPROTO_TCP &&
				   !p->icmp_error) {
				xlb_event(XLB_EV_CT_SYN_REPICK);
			} else {
				xlb_event(XLB_EV_CT_HIT);
				*out_id = ct->backend_id;
				*out_be = be;
				xlb_ct_touch(p, ct, now, fc);
				xlb_fc_fill(fc, p, ct, vip->vip_id, now);
				return XLB_CONTINUE;
			}
		} else {
			xlb_event(XLB_EV_CT_MISS);
		}
	}

	id = xlb_maglev_pick(p, vip, cfg->hash_seed);
	if (!id)
		return XLB_DROP_NO_BACKEND;
	be = xlb_backend_get(id);
	if (!be)
		return XLB_DROP_BAD_BACKEND;
	*out_id = id;
	*out_be = be;
	if (p->icmp_error)
		return XLB_CONTINUE;
	if (fresh)
		xlb_count_new_flow(vip->vip_id);
	if (!stateful)
		return XLB_CONTINUE;

	if (!ct) {
		now = xlb_now();
		/* the cap bounds how fast the table grows; replacing a stale,
		 * expired or re-picked entry does not grow it, and must not
		 * be skipped, or the old entry would keep the flow on its old
		 * backend */
		if (!xlb_ct_may_insert(cfg->ct_insert_rate, now)) {
			xlb_event(XLB_EV_CT_INSERT_THROTTLED);
			return XLB_CONTINUE;
		}
	}
	entry.backend_id = id;
	entry.vip_id = (__u16)vip->vip_id;
	entry.last_seen_ns = now;
	if (p->flow.proto == IPPROTO_TCP &&
	    (p->tcp_flags & (XLB_TCP_FIN | XLB_TCP_RST)))
		entry.flags = XLB_CT_F_CLOSING;
	if (bpf_map_update_elem(&xlb_conntrack, &p->flow, &entry, BPF_ANY)) {
		xlb_event(XLB_EV_CT_INSERT_FAILED);
	} else {
		xlb_fc_flow_changed(fc);
		xlb_ct_learn(&p->flow, &entry);
	}
	return XLB_CONTINUE;
}

#endif /* XLB_BPF_SELECT_H */
