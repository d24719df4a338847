// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the counter ABI suite: every existing outcome keeps its
 * index (its address in a pinned per-CPU map), its name and its verdict,
 * written here as literals so an edit of include/xlb/outcomes.h that moves
 * or reclassifies one fails; every outcome has a name and help; the maps
 * of the built objects have room beyond the list; and the masks the BPF
 * programs turn outcomes into verdicts with agree with the table.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <linux/bpf.h>
#include <xlb/abi.h>

#include "lib/stats.h"
#include "xlb_decap.skel.h"
#include "xlb_lb.skel.h"

struct want {
	unsigned int idx;
	const char *name;
	enum xlb_verdict_class verdict;
};

/* The release this file was written for; append, never edit. */
static const struct want lb_abi[] = {
	{ 0, "pass_not_ip", XLB_V_PASS },
	{ 1, "pass_not_vip", XLB_V_PASS },
	{ 2, "pass_malformed", XLB_V_PASS },
	{ 3, "pass_icmp_not_vip", XLB_V_PASS },
	{ 4, "drop_malformed", XLB_V_DROP },
	{ 5, "drop_fragment", XLB_V_DROP },
	{ 6, "drop_no_backend", XLB_V_DROP },
	{ 7, "drop_bad_backend", XLB_V_DROP },
	{ 8, "drop_too_big", XLB_V_DROP },
	{ 9, "drop_encap", XLB_V_DROP },
	{ 10, "drop_no_config", XLB_V_DROP },
	{ 11, "tx_forward", XLB_V_TX },
	{ 12, "tx_icmp_error", XLB_V_TX },
	{ 13, "tx_echo_reply", XLB_V_TX },
	{ 14, "tx_too_big", XLB_V_TX },
	{ 15, "ct_hit", XLB_V_EVENT },
	{ 16, "ct_miss", XLB_V_EVENT },
	{ 17, "ct_insert_throttled", XLB_V_EVENT },
	{ 18, "ct_insert_failed", XLB_V_EVENT },
	{ 19, "ct_stale_backend", XLB_V_EVENT },
	{ 20, "drop_no_outcome", XLB_V_DROP },
	{ 21, "ct_expired", XLB_V_EVENT },
	{ 22, "ct_syn_repick", XLB_V_EVENT },
	{ 23, "ct_learn_lost", XLB_V_EVENT },
	{ 24, "pass_icmp_not_to_vip", XLB_V_PASS },
	{ 25, "drop_src_unspecified", XLB_V_DROP },
	{ 26, "drop_src_loopback", XLB_V_DROP },
	{ 27, "drop_src_multicast", XLB_V_DROP },
	{ 28, "drop_src_reserved", XLB_V_DROP },
	{ 29, "drop_ext_order", XLB_V_DROP },
	{ 30, "drop_routing_header", XLB_V_DROP },
	{ 31, "ttl_low", XLB_V_EVENT },
	{ 32, "trailer_trimmed", XLB_V_EVENT },
	{ 33, "ct_cache_hit", XLB_V_EVENT },
};

static const struct want decap_abi[] = {
	{ 0, "pass_not_tunnel", XLB_V_PASS },
	{ 1, "pass_malformed", XLB_V_PASS },
	{ 2, "ok_4in4", XLB_V_OK },
	{ 3, "ok_6in6", XLB_V_OK },
	{ 4, "ok_4in6", XLB_V_OK },
	{ 5, "ok_6in4", XLB_V_OK },
	{ 6, "drop_inner_malformed", XLB_V_DROP },
	{ 7, "drop_error", XLB_V_DROP },
	{ 8, "drop_fragment", XLB_V_DROP },
	{ 9, "drop_ecn", XLB_V_DROP },
	{ 10, "drop_no_outcome", XLB_V_DROP },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The enum names too: code compiled against an index must keep meaning it. */
_Static_assert(XLB_PASS_NOT_IP == 0 && XLB_PASS_NOT_VIP == 1 &&
		       XLB_PASS_MALFORMED == 2 && XLB_PASS_ICMP_NOT_VIP == 3 &&
		       XLB_DROP_MALFORMED == 4 && XLB_DROP_FRAGMENT == 5 &&
		       XLB_DROP_NO_BACKEND == 6 && XLB_DROP_BAD_BACKEND == 7 &&
		       XLB_DROP_TOO_BIG == 8 && XLB_DROP_ENCAP == 9 &&
		       XLB_DROP_NO_CONFIG == 10 && XLB_TX_FORWARD == 11 &&
		       XLB_TX_ICMP_ERROR == 12 && XLB_TX_ECHO_REPLY == 13 &&
		       XLB_TX_TOO_BIG == 14 && XLB_EV_CT_HIT == 15 &&
		       XLB_EV_CT_MISS == 16 &&
		       XLB_EV_CT_INSERT_THROTTLED == 17 &&
		       XLB_EV_CT_INSERT_FAILED == 18 &&
		       XLB_EV_CT_STALE_BACKEND == 19 &&
		       XLB_DROP_NO_OUTCOME == 20 && XLB_EV_CT_EXPIRED == 21 &&
		       XLB_EV_CT_SYN_REPICK == 22 &&
		       XLB_EV_CT_LEARN_LOST == 23 &&
		       XLB_PASS_ICMP_NOT_TO_VIP == 24 &&
		       XLB_DROP_SRC_UNSPEC == 25 &&
		       XLB_DROP_SRC_LOOPBACK == 26 &&
		       XLB_DROP_SRC_MULTICAST == 27 &&
		       XLB_DROP_SRC_RESERVED == 28 &&
		       XLB_DROP_EXT_ORDER == 29 &&
		       XLB_DROP_ROUTING_HDR == 30 && XLB_EV_TTL_LOW == 31 &&
		       XLB_EV_TRAILER_TRIMMED == 32 && XLB_EV_CT_CACHE_HIT == 33,
	       "xlb_stats indices are ABI");
_Static_assert(XLB_DECAP_PASS_NOT_TUNNEL == 0 && XLB_DECAP_OK_4IN4 == 2 &&
		       XLB_DECAP_DROP_INNER_MALFORMED == 6 &&
		       XLB_DECAP_DROP_ECN == 9 &&
		       XLB_DECAP_DROP_NO_OUTCOME == 10,
	       "xlb_decap_stats indices are ABI");

static void check_abi(const struct want *w, size_t n,
		      const struct xlb_stat_desc *descs, size_t ndescs,
		      const char *what)
{
	cr_assert_geq(ndescs, n, "%s: no outcome was removed (%zu < %zu)", what,
		      ndescs, n);
	for (size_t i = 0; i < n; i++) {
		const struct xlb_stat_desc *d = &descs[w[i].idx];

		cr_assert_eq(w[i].idx, i, "the literal table is in order");
		cr_assert_str_eq(d->name, w[i].name, "%s %u is still %s", what,
				 w[i].idx, w[i].name);
		cr_assert_eq(d->verdict, w[i].verdict,
			     "%s %s keeps its verdict (%s, not %s)", what,
			     w[i].name, xlb_verdict_class_name(w[i].verdict),
			     xlb_verdict_class_name(d->verdict));
	}
}

Test(outcomes, lb_indices_names_verdicts_are_abi)
{
	check_abi(lb_abi, N(lb_abi), xlb_stat_descs, XLB_STAT_MAX, "xlb_stats");
}

Test(outcomes, decap_indices_names_verdicts_are_abi)
{
	check_abi(decap_abi, N(decap_abi), xlb_decap_stat_descs,
		  XLB_DECAP_STAT_MAX, "xlb_decap_stats");
}

static void check_described(const struct xlb_stat_desc *d, size_t n,
			    const char *what)
{
	for (size_t i = 0; i < n; i++) {
		cr_assert(d[i].name && d[i].name[0], "%s %zu has a name", what,
			  i);
		cr_assert(d[i].help && strlen(d[i].help) > 8,
			  "%s %s has a line of help", what, d[i].name);
		cr_assert_str_neq(xlb_verdict_class_name(d[i].verdict), "?",
				  "%s %s has a verdict", what, d[i].name);
		for (size_t j = 0; j < i; j++)
			cr_assert_str_neq(d[i].name, d[j].name,
					  "%s: name %s is unique", what,
					  d[i].name);
	}
}

Test(outcomes, every_outcome_has_name_help_verdict)
{
	check_described(xlb_stat_descs, XLB_STAT_MAX, "xlb_stats");
	check_described(xlb_decap_stat_descs, XLB_DECAP_STAT_MAX,
			"xlb_decap_stats");
	cr_assert_str_eq(xlb_stat_name(XLB_STAT_MAX), "?");
	cr_assert_str_eq(xlb_stat_name(XLB_DROP_NO_OUTCOME), "drop_no_outcome");
}

/* What the BPF side computes from the masks, for outcome @i. */
static enum xlb_verdict_class lb_mask_class(unsigned int i)
{
	if ((XLB_STAT_EVENT_MASK >> i) & 1)
		return XLB_V_EVENT;
	if ((XLB_STAT_PASS_MASK >> i) & 1)
		return XLB_V_PASS;
	if ((XLB_STAT_TX_MASK >> i) & 1)
		return XLB_V_TX;
	return XLB_V_DROP;
}

Test(outcomes, masks_match_the_table)
{
	for (unsigned int i = 0; i < XLB_STAT_MAX; i++) {
		cr_assert_eq(lb_mask_class(i), xlb_stat_descs[i].verdict,
			     "mask and table agree on %s", xlb_stat_name(i));
		cr_assert_eq(!!((XLB_STAT_OUTCOME_MASK >> i) & 1),
			     xlb_stat_descs[i].verdict != XLB_V_EVENT,
			     "%s ends a packet iff it is no event",
			     xlb_stat_name(i));
	}
	cr_assert_eq(XLB_STAT_OUTCOME_MASK >> XLB_STAT_MAX, 0,
		     "no outcome past the list");
	for (unsigned int i = 0; i < XLB_DECAP_STAT_MAX; i++) {
		enum xlb_verdict_class v = xlb_decap_stat_descs[i].verdict;

		cr_assert_eq(!!((XLB_DECAP_STAT_PASS_MASK >> i) & 1),
			     v == XLB_V_PASS || v == XLB_V_OK,
			     "decap %s passes iff PASS or OK",
			     xlb_decap_stat_descs[i].name);
	}
}

Test(outcomes, counter_maps_have_headroom)
{
	struct xlb_decap *dc = xlb_decap__open();
	struct xlb_lb *lb = xlb_lb__open();

	cr_assert_not_null(lb);
	cr_assert_not_null(dc);
	cr_assert_gt(XLB_STAT_SLOTS, XLB_STAT_MAX, "room for a new outcome");
	cr_assert_gt(XLB_DECAP_STAT_SLOTS, XLB_DECAP_STAT_MAX);
	cr_assert_eq(bpf_map__max_entries(lb->maps.xlb_stats), XLB_STAT_SLOTS,
		     "xlb_stats is sized by the slots, not the list");
	cr_assert_eq(bpf_map__max_entries(dc->maps.xlb_decap_stats),
		     XLB_DECAP_STAT_SLOTS);
	xlb_lb__destroy(lb);
	xlb_decap__destroy(dc);
}
