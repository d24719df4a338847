/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the flow cache: per CPU, a direct-mapped copy of recent
 * conntrack hits, so the next packets of an established flow skip the
 * conntrack hash lookup. On these machines that lookup is two kernel calls
 * (the lookup and its key compare), each paying the return thunk of the
 * SRSO mitigation; a slot of a per-CPU array is an inlined load. Measured
 * (README, Benchmarks): the lookup +38 ns of a 134 ns established packet,
 * a cache hit about +7.
 *
 * A slot serves a packet exactly as the conntrack hit it copies would, and
 * only while nothing that hit depends on can have changed:
 * - generation (xlb_ct_gen): xlbd bumps it after any change of the
 *   conntrack table (delete, flush, reap) or of VIPs and the config
 *   (lib/lbmaps.h, xlb_ct_gen_bump); a hit reads its backend live and no
 *   table, so backend and table writes need no bump;
 * - version (xlb_ct_versions, one per bucket of flow hashes): the datapath
 *   bumps the flow's after every entry it writes (a new flow, a re-pick, a
 *   FIN or RST marking it closing), so a flow re-picked or re-inserted on
 *   another CPU is not served from this one's old copy; xlbd bumps the
 *   versions of the flows state sync writes (xlb_ct_flows_changed, through
 *   a shared mapping), so a peer's stream of new flows leaves every other
 *   flow's copy serving;
 * - until_ns: no later than the entry's last_seen plus the refresh
 *   interval, so the conntrack path would neither refresh nor expire the
 *   entry before then (timeouts are whole seconds), and no later than
 *   XLB_FLOW_CACHE_TTL_NS after the fill, so the LRU still sees the flow
 *   used (its reference bit is set by lookups) that often.
 * SYN, FIN and RST segments and ICMP errors always take the conntrack
 * path (they re-pick, mark or must not touch the entry). Both words are
 * read before the conntrack lookup whose result fills the slot: a write
 * between them leaves a slot that is already stale, never a stale one
 * that looks current.
 */
#ifndef XLB_BPF_FLOW_CACHE_H
#define XLB_BPF_FLOW_CACHE_H

#include "clock.h"
#include "maps.h"
#include "parse.h"
#include "xlb/flow_hash.h"

#define XLB_FLOW_CACHE_TTL_NS (XLB_NSEC_PER_SEC / 4)

/* What a probe found: the flow's hash, and the slot to fill with the words
 * it must carry (slot NULL: nothing to fill). */
struct xlb_fc {
	__u64 hash;
	int hashed; /* hash is set: the packet may write the flow's entry */
	struct xlb_flow_cache_slot *slot;
	__u32 gen;
	__u32 ver;
};

static __always_inline int xlb_fc_same_flow(const struct xlb_flow *a,
					    const struct xlb_flow *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) |
		 (x[4] ^ y[4]));
}

static __always_inline __u32 *xlb_fc_version(__u64 hash)
{
	__u32 vidx = xlb_flow_cache_version_of(hash);

	return bpf_map_lookup_elem(&xlb_ct_versions, &vidx);
}

/*
 * Looks @p's flow up in this CPU's cache. Returns the slot when it may
 * serve the packet; else NULL, with @fc set for xlb_fc_fill and
 * xlb_fc_flow_changed. A slot holding another flow's live copy is left
 * to it: with more flows than slots, a copy lives its 250 ms instead of
 * being rewritten by every packet that maps there, and such a packet
 * costs the hash and two loads more than the conntrack path alone.
 */
static __always_inline struct xlb_flow_cache_slot *
xlb_fc_probe(const struct xlb_pkt *p, struct xlb_fc *fc)
{
	__u32 zero = 0, idx, *gen, *version;
	struct xlb_flow_cache_slot *s;
	__u64 now;
	int same;

	fc->slot = 0;
	fc->hashed = 0;
	if (p->icmp_error)
		return 0; /* never writes the entry, never served from here */
	fc->hash = xlb_flow_cache_hash(&p->flow);
	fc->hashed = 1;
	if (p->flow.proto == IPPROTO_TCP &&
	    (p->tcp_flags & (XLB_TCP_SYN | XLB_TCP_FIN | XLB_TCP_RST)))
		return 0; /* the conntrack path */
	idx = xlb_flow_cache_slot_of(fc->hash);
	s = bpf_map_lookup_elem(&xlb_flow_cache, &idx);
	gen = bpf_map_lookup_elem(&xlb_ct_gen, &zero);
	if (!s || !gen)
		return 0;
	now = xlb_now();
	same = xlb_fc_same_flow(&s->flow, &p->flow);
	if (!same && s->gen == *gen && now < s->until_ns)
		return 0; /* another flow's live copy */
	/* read before the conntrack lookup whose hit would fill the slot */
	version = xlb_fc_version(fc->hash);
	if (!version)
		return 0;
	fc->slot = s;
	fc->gen = *gen;
	fc->ver = *version;
	if (!same || s->gen != fc->gen || s->version != fc->ver ||
	    now >= s->until_ns)
		return 0;
	return s;
}

/* After a conntrack hit of @p for VIP @vip_id, served by entry @ct at @now. */
static __always_inline void xlb_fc_fill(const struct xlb_fc *fc,
					const struct xlb_pkt *p,
					const struct xlb_ct_entry *ct,
					__u32 vip_id, __u64 now)
{
	struct xlb_flow_cache_slot *s = fc->slot;
	__u64 until = ct->last_seen_ns + XLB_CT_REFRESH_NS;

	if (!s)
		return;
	if (until > now + XLB_FLOW_CACHE_TTL_NS)
		until = now + XLB_FLOW_CACHE_TTL_NS;
	s->flow = p->flow;
	s->backend_id = ct->backend_id;
	s->vip_id = vip_id;
	s->gen = fc->gen;
	s->version = fc->ver;
	s->until_ns = until;
}

/* After the datapath wrote @p's conntrack entry: every CPU's copy of it is
 * stale. Atomic, so two CPUs writing at once cannot both land on one value. */
static __always_inline void xlb_fc_flow_changed(const struct xlb_fc *fc)
{
	__u32 *version = fc->hashed ? xlb_fc_version(fc->hash) : 0;

	if (version)
		__sync_fetch_and_add(version, 1);
}

#endif /* XLB_BPF_FLOW_CACHE_H */
