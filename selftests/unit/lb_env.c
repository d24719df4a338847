// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <xlb/flow_hash.h>

#include "lib/addr.h"
#include "lb_env.h"
#include "lib/log.h"
#include "testrun.h"
#include "xlb_bench.skel.h"
#include "xlb_lb.skel.h"

#define MAC(x, y) { 0x02, 0x00, 0x00, 0x00, x, y }
/* a small table keeps each test's load fast; the code is the same */
#define ENV_CT_ENTRIES 4096

static const struct env_backend backends[] = {
	{ 1, "198.51.100.1", MAC(1, 1) },
	{ 2, "198.51.100.2", MAC(1, 2) },
	{ 3, "198.51.100.3", MAC(1, 3) },
	{ 11, "2001:db8:100::1", MAC(1, 11) },
	{ 12, "2001:db8:100::2", MAC(1, 12) },
	{ 13, "2001:db8:100::3", MAC(1, 13) },
	{ 21, "192.0.2.121", MAC(2, 21) },
	{ 22, "192.0.2.122", MAC(2, 22) },
	{ 23, "2001:db8::123", MAC(2, 23) },
	{ 24, "2001:db8::124", MAC(2, 24) },
};

const struct env_vip env_vips[ENV_NVIPS] = {
	[VIP_TCP4] = { "192.0.2.10", 80, IPPROTO_TCP, XLB_FWD_TUNNEL, 0, 0,
		       { 1, 2, 3 }, 3 },
	[VIP_UDP4_NOCT] = { "192.0.2.10", 53, IPPROTO_UDP, XLB_FWD_TUNNEL, 0,
			    XLB_VIP_F_NO_CONNTRACK, { 1, 2, 3 }, 3 },
	[VIP_ANY4] = { "192.0.2.20", 0, IPPROTO_TCP, XLB_FWD_TUNNEL, 0, 0,
		       { 1, 2, 3 }, 3 },
	[VIP_TCP6] = { "2001:db8::10", 443, IPPROTO_TCP, XLB_FWD_TUNNEL, 0, 0,
		       { 11, 12, 13 }, 3 },
	[VIP_DSR4] = { "192.0.2.30", 80, IPPROTO_TCP, XLB_FWD_L2DSR, 0, 0,
		       { 21, 22 }, 2 },
	[VIP_4IN6] = { "192.0.2.40", 80, IPPROTO_TCP, XLB_FWD_TUNNEL, 0, 0,
		       { 11, 12, 13 }, 3 },
	[VIP_6IN4] = { "2001:db8::20", 80, IPPROTO_TCP, XLB_FWD_TUNNEL, 0, 0,
		       { 1, 2, 3 }, 3 },
	[VIP_SRC4] = { "192.0.2.50", 80, IPPROTO_TCP, XLB_FWD_TUNNEL,
		       XLB_HASH_SOURCE, 0, { 1, 2, 3 }, 3 },
	[VIP_DSR6] = { "2001:db8::30", 80, IPPROTO_TCP, XLB_FWD_L2DSR, 0, 0,
		       { 23, 24 }, 2 },
	[VIP_EMPTY4] = { "192.0.2.60", 80, IPPROTO_TCP, XLB_FWD_TUNNEL, 0, 0,
			 { 0 }, 0 },
	[VIP_UDP6] = { "2001:db8::10", 53, IPPROTO_UDP, XLB_FWD_TUNNEL, 0, 0,
		       { 11, 12, 13 }, 3 },
};

const struct env_backend *env_backend(uint32_t id)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (backends[i].id == id)
			return &backends[i];
	return NULL;
}

static struct xlb_backend to_backend(const struct env_backend *b)
{
	struct xlb_backend be = { .flags = XLB_BE_F_ACTIVE };

	cr_assert_eq(xlb_addr_parse(b->addr, &be.addr, &be.family), 0,
		     "backend %u has a valid address", b->id);
	memcpy(be.mac, b->mac, 6);
	return be;
}

void lb_env_backend_active(struct lb_env *e, uint32_t id, bool active)
{
	struct xlb_backend be = to_backend(env_backend(id));

	be.flags = active ? XLB_BE_F_ACTIVE : 0;
	cr_assert_eq(xlb_backend_write(&e->maps, id, &be), 0,
		     "backend %u can be written", id);
}

void lb_env_set_table(struct lb_env *e, int vip,
		      const struct xlb_maglev_backend *bes, size_t n)
{
	uint32_t *t = e->tables[vip];

	if (!t) {
		t = calloc(ENV_M, sizeof(*t));
		cr_assert_not_null(t);
		e->tables[vip] = t;
	}
	cr_assert_eq(xlb_maglev_build(bes, n, ENV_SEED, ENV_M, t), 0,
		     "the Maglev table of VIP %d builds", vip);
	cr_assert_eq(xlb_table_install(&e->maps, vip, t, ENV_M), 0,
		     "the Maglev table of VIP %d installs", vip);
}

/* The VIPs, backends, tables and config every test starts from. */
static void env_configure(struct lb_env *e)
{
	uint8_t fam;

	cr_assert_eq(xlb_maps_from_object(e->skel ? e->skel->obj : e->ref->obj,
					  &e->maps),
		     0, "every LB map is found");
	e->cfg.hash_seed = ENV_SEED;
	e->cfg.mtu = ENV_MTU;
	memcpy(e->cfg.nexthop_mac, PKT_MAC_ROUTER, 6);
	cr_assert_eq(inet_pton(AF_INET, ENV_ENCAP_SRC4, &e->cfg.encap_src4), 1);
	cr_assert_eq(inet_pton(AF_INET6, ENV_ENCAP_SRC6,
			       e->cfg.encap_src6.bytes), 1);
	cr_assert_eq(xlb_config_write(&e->maps, &e->cfg), 0, "config writes");

	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		lb_env_backend_active(e, backends[i].id, true);

	for (int v = 0; v < ENV_NVIPS; v++) {
		const struct env_vip *ev = &env_vips[v];
		struct xlb_vip_key k = { .port = htons(ev->port),
					 .proto = ev->proto };
		struct xlb_vip_info info = { .vip_id = v, .flags = ev->flags,
					     .mode = ev->mode,
					     .hash_fields = ev->hash_fields };
		struct xlb_maglev_backend bes[ENV_MAX_BE];

		cr_assert_eq(xlb_addr_parse(ev->addr, &k.addr, &fam), 0);
		k.family = fam;
		cr_assert_eq(xlb_vip_write(&e->maps, &k, &info, XLB_ADDR_F_ECHO),
			     0, "VIP %d writes", v);
		for (size_t b = 0; b < ev->nbe; b++)
			bes[b] = (struct xlb_maglev_backend){ ev->be[b], 1 };
		lb_env_set_table(e, v, bes, ev->nbe);
	}
}

void lb_env_setup(struct lb_env *e)
{
	memset(e, 0, sizeof(*e));
	xlb_log_init("xlb-test", XLB_LOG_INFO);
	e->skel = xlb_lb__open();
	cr_assert_not_null(e->skel, "the LB object opens");
	cr_assert_eq(bpf_map__set_max_entries(e->skel->maps.xlb_conntrack,
					      ENV_CT_ENTRIES),
		     0);
	cr_assert_eq(xlb_lb__load(e->skel), 0, "the LB object loads (verifier)");
	e->prog_fd = bpf_program__fd(e->skel->progs.xlb_lb);
	e->route_fd = -1;
	env_configure(e);
}

void lb_env_setup_ref(struct lb_env *e)
{
	struct bpf_program *p;
	struct xlb_bench *r;

	memset(e, 0, sizeof(*e));
	xlb_log_init("xlb-test", XLB_LOG_INFO);
	r = e->ref = xlb_bench__open();
	cr_assert_not_null(r, "the bench object opens");
	/* only the reference programs: the bench's own need a template */
	bpf_object__for_each_program(p, r->obj)
		if (strncmp(bpf_program__name(p), "xlb_ref_", 8))
			cr_assert_eq(bpf_program__set_autoload(p, false), 0);
	/* the same size as xlb_lb's, so both evict alike */
	cr_assert_eq(bpf_map__set_max_entries(r->maps.xlb_conntrack,
					      ENV_CT_ENTRIES),
		     0);
	/* the parts' 64 MiB of memory to miss in is the bench's alone */
	cr_assert_eq(bpf_map__set_max_entries(r->maps.xlb_part_memory, 1), 0);
	cr_assert_eq(xlb_bench__load(r), 0,
		     "the reference programs load (verifier)");
	e->prog_fd = bpf_program__fd(r->progs.xlb_ref_full);
	e->route_fd = bpf_program__fd(r->progs.xlb_ref_route);
	env_configure(e);
}

void lb_env_teardown(struct lb_env *e)
{
	for (int v = 0; v < ENV_NVIPS; v++)
		free(e->tables[v]);
	xlb_lb__destroy(e->skel);
	xlb_bench__destroy(e->ref);
	memset(e, 0, sizeof(*e));
}

void env_flow(const struct pkt_spec *s, struct xlb_flow *f)
{
	uint8_t fam;

	memset(f, 0, sizeof(*f));
	cr_assert_eq(xlb_addr_parse(s->src, &f->src, &fam), 0);
	cr_assert_eq(xlb_addr_parse(s->dst, &f->dst, &fam), 0);
	f->family = fam;
	f->sport = htons(s->sport);
	f->dport = htons(s->dport);
	f->proto = s->proto;
}

uint32_t env_table_pick(const struct lb_env *e, int vip,
			const struct xlb_flow *f)
{
	uint32_t h = xlb_flow_hash(f, env_vips[vip].hash_fields, ENV_SEED);

	return e->tables[vip][h % ENV_M];
}

void env_ip_only(const struct pkt *in, struct pkt *out)
{
	size_t l3 = pkt_l3_off(in), n;
	const uint8_t *ip = in->data + l3;

	cr_assert_geq(in->len, l3 + 20, "the frame holds an IP header");
	if (ip[0] >> 4 == 4)
		n = (size_t)(ip[2] << 8 | ip[3]);
	else
		n = 40 + (size_t)(ip[4] << 8 | ip[5]);
	cr_assert_leq(l3 + n, in->len, "the IP packet fits the frame");
	*out = *in;
	out->len = l3 + n;
}

void env_expect_forward(const struct lb_env *e, int vip, uint32_t be_id,
			const struct pkt *frame, const struct xlb_flow *f,
			struct pkt *want)
{
	const struct env_backend *b = env_backend(be_id);
	struct pkt trimmed, *in = &trimmed;
	uint32_t entropy = xlb_encap_entropy(f);
	char osrc[XLB_ADDR_STRLEN];
	struct xlb_addr a = {};
	struct xlb_addr ba;
	uint8_t fam;
	int ofam;

	cr_assert_not_null(b, "backend %u is known", be_id);
	env_ip_only(frame, &trimmed);
	if (env_vips[vip].mode == XLB_FWD_L2DSR) {
		*want = *in;
		memcpy(want->data + 6, in->data, 6);
		memcpy(want->data, b->mac, 6);
		return;
	}
	cr_assert_eq(xlb_addr_parse(b->addr, &ba, &fam), 0);
	ofam = fam == XLB_AF_INET ? 4 : 6;
	if (ofam == 4) {
		a.v4 = (e->cfg.encap_src4 & htonl(0xffff0000)) |
		       htonl(entropy & 0xffff);
	} else {
		a = e->cfg.encap_src6;
		a.v6[3] = htonl(entropy);
	}
	xlb_addr_str(&a, fam, osrc, sizeof(osrc));
	cr_assert_eq(pkt_encap(want, in, ofam, osrc, b->addr, entropy,
			       PKT_MAC_ROUTER, in->data),
		     0, "the expected packet builds");
}

uint32_t env_run(const struct lb_env *e, const struct pkt *in,
		 struct pkt *out)
{
	__u32 verdict = 0;
	int err = xdp_run(e->prog_fd, in, out, &verdict);

	cr_assert_eq(err, 0, "BPF_PROG_TEST_RUN runs the LB (err %d)", err);
	return verdict;
}

uint64_t env_stat(const struct lb_env *e, uint32_t idx)
{
	struct xlb_counter c;

	cr_assert_eq(xlb_stat_read(&e->maps, idx, &c), 0);
	return c.packets;
}
