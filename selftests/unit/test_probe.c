// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Health-probe program tests: the real xlb_probe object (TC egress)
 * driven by BPF_PROG_TEST_RUN with the skb mark set as the checker's
 * SO_MARK sets it. A marked probe comes out encapsulated byte for byte as
 * a client's packet to that backend would (IPIP, IP6IP6, 4in6, 6in4; the
 * expected frames are built by pkt.c, the outer fields also asserted as
 * literals), or with only its destination MAC changed for L2 DSR; an
 * unmarked packet, or one with another program's mark, leaves untouched;
 * a probe mark without a target is dropped; every packet is counted once
 * under its outcome.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include "lib/addr.h"
#include "lib/stats.h"
#include "config/config.h"
#include "lb_env.h"
#include "testrun.h"
#include "xlb/flow_hash.h"
#include "xlb_probe.skel.h"

#define LB4 "198.18.0.2"
#define LB6 "2001:db8:1::2"
#define VIP4 "192.0.2.10"
#define VIP6 "2001:db8::10"
#define BE4 "198.51.100.5"
#define BE6 "2001:db8:100::6"
#define SRC4 "198.19.0.0"
#define SRC6 "2001:db8:ffff::"
#define MAC_BE ((const uint8_t[6]){ 0x02, 0, 0, 0, 0x0b, 0x07 })

static struct {
	struct xlb_probe *skel;
	int prog_fd;
	struct xlb_config cfg;
} penv;

static void put_target(__u32 id, __u8 mode, const char *addr)
{
	struct xlb_probe_target t = { .mode = mode };
	__u32 mark = xlb_probe_mark(id, mode);

	cr_assert_eq(xlb_addr_parse(addr, &t.addr, &t.family), 0, "%s parses",
		     addr);
	memcpy(t.mac, MAC_BE, 6);
	cr_assert_eq(bpf_map__update_elem(penv.skel->maps.xlb_probe_targets,
					  &mark, sizeof(mark), &t, sizeof(t),
					  BPF_ANY),
		     0, "the target of mark 0x%x is written", mark);
}

static void set_config(bool with_nexthop)
{
	struct xlb_addr a;
	__u32 zero = 0;
	__u8 fam;

	memset(&penv.cfg, 0, sizeof(penv.cfg));
	if (with_nexthop)
		memcpy(penv.cfg.nexthop_mac, PKT_MAC_ROUTER, 6);
	cr_assert_eq(xlb_addr_parse(SRC4, &a, &fam), 0);
	penv.cfg.encap_src4 = a.v4;
	cr_assert_eq(xlb_addr_parse(SRC6, &penv.cfg.encap_src6, &fam), 0);
	cr_assert_eq(bpf_map__update_elem(penv.skel->maps.xlb_config, &zero,
					  sizeof(zero), &penv.cfg,
					  sizeof(penv.cfg), BPF_ANY),
		     0, "xlb_config is written");
}

static void setup(void)
{
	penv.skel = xlb_probe__open_and_load();
	cr_assert_not_null(penv.skel, "the probe object loads (verifier)");
	penv.prog_fd = bpf_program__fd(penv.skel->progs.xlb_probe);
	set_config(true);
	put_target(5, XLB_FWD_TUNNEL, BE4); /* IPIP, 6in4 */
	put_target(6, XLB_FWD_TUNNEL, BE6); /* IP6IP6, 4in6 */
	put_target(7, XLB_FWD_L2DSR, BE4);
	put_target(8, XLB_FWD_L2DSR, BE6);
}

static void teardown(void)
{
	xlb_probe__destroy(penv.skel);
}

TestSuite(probe, .init = setup, .fini = teardown);

/* Runs the program on @in with skb->mark @mark. Returns the TC verdict. */
static int tc_run(const struct pkt *in, __u32 mark, struct pkt *out)
{
	struct __sk_buff ctx = { .mark = mark };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in->data,
		    .data_size_in = (__u32)in->len, .data_out = out->data,
		    .data_size_out = sizeof(out->data), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	cr_assert_eq(bpf_prog_test_run_opts(penv.prog_fd, &o), 0,
		     "BPF_PROG_TEST_RUN runs: %s", strerror(errno));
	out->len = o.data_size_out;
	return (int)o.retval;
}

/* A probe's SYN from the LB to the VIP, as the LB's stack sends it. */
static void probe_syn(struct pkt *p, int family, uint8_t tos)
{
	struct pkt_spec s = {
		.family = family,
		.src = family == 4 ? LB4 : LB6,
		.dst = family == 4 ? VIP4 : VIP6,
		.sport = 40123,
		.dport = 80,
		.proto = IPPROTO_TCP,
		.tcp_flags = 0x02,
		.df = true,
		.tos = tos,
		.smac = PKT_MAC_LB,
		.dmac = PKT_MAC_PEER,
	};

	cr_assert_eq(pkt_build(p, &s), 0, "the probe packet builds");
}

/* The frame a client's packet with @in's flow gets on its way to @be. */
static void want_tunnel(struct pkt *want, const struct pkt *in, int ofam,
			const char *be)
{
	size_t l3 = pkt_l3_off(in);
	struct xlb_flow f = { .proto = IPPROTO_TCP };
	char osrc[XLB_ADDR_STRLEN];
	struct xlb_addr a = {};
	uint32_t entropy;

	/* the flow as the LB hashes it: addresses and ports as on the wire */
	if (in->data[l3] >> 4 == 4) {
		memcpy(&f.src.v4, in->data + l3 + 12, 4);
		memcpy(&f.dst.v4, in->data + l3 + 16, 4);
		memcpy(&f.sport, in->data + l3 + 20, 4);
		f.family = XLB_AF_INET;
	} else {
		memcpy(&f.src, in->data + l3 + 8, 16);
		memcpy(&f.dst, in->data + l3 + 24, 16);
		memcpy(&f.sport, in->data + l3 + 40, 4);
		f.family = XLB_AF_INET6;
	}
	entropy = xlb_encap_entropy(&f);
	if (ofam == 4) {
		a.v4 = (penv.cfg.encap_src4 & htonl(0xffff0000)) |
		       htonl(entropy & 0xffff);
	} else {
		a = penv.cfg.encap_src6;
		a.v6[3] = htonl(entropy);
	}
	xlb_addr_str(&a, ofam == 4 ? XLB_AF_INET : XLB_AF_INET6, osrc,
		     sizeof(osrc));
	cr_assert_eq(pkt_encap(want, in, ofam, osrc, be, entropy,
			       PKT_MAC_ROUTER, PKT_MAC_LB),
		     0, "the expected frame builds");
}

static void assert_same(const char *what, const struct pkt *got,
			const struct pkt *want)
{
	if (got->len != want->len || memcmp(got->data, want->data, got->len))
		pkt_dump_diff(what, got, want);
	cr_assert_eq(got->len, want->len, "%s: %zu bytes, want %zu", what,
		     got->len, want->len);
	cr_assert_arr_eq(got->data, want->data, got->len,
			 "%s: the frame is byte for byte the expected one",
			 what);
}

static void stats(struct xlb_counter c[XLB_PROBE_STAT_MAX])
{
	cr_assert_eq(xlb_percpu_read_range(
			     bpf_map__fd(penv.skel->maps.xlb_probe_stats), 0,
			     XLB_PROBE_STAT_MAX, 2, (__u64 *)c),
		     XLB_PROBE_STAT_MAX, "xlb_probe_stats reads");
}

/* Runs @in with @mark and asserts one packet counted under @outcome only. */
static int run_counted(const struct pkt *in, __u32 mark, struct pkt *out,
		       int outcome)
{
	struct xlb_counter before[XLB_PROBE_STAT_MAX],
		after[XLB_PROBE_STAT_MAX];
	int verdict;

	stats(before);
	verdict = tc_run(in, mark, out);
	stats(after);
	for (int i = 0; i < XLB_PROBE_STAT_MAX; i++)
		cr_assert_eq(after[i].packets - before[i].packets,
			     i == outcome ? 1u : 0u,
			     "outcome %d counted %llu times, want %d", i,
			     (unsigned long long)(after[i].packets -
						  before[i].packets),
			     i == outcome);
	return verdict;
}

Test(probe, ipip_byte_exact_with_the_outer_fields)
{
	struct pkt in, out, want;
	const uint8_t *o;

	probe_syn(&in, 4, 0x28);
	cr_assert_eq(run_counted(&in, xlb_probe_mark(5, XLB_FWD_TUNNEL), &out,
				 XLB_PROBE_TX_IPIP),
		     TC_ACT_OK, "a marked probe goes on");
	want_tunnel(&want, &in, 4, BE4);
	assert_same("IPIP probe", &out, &want);
	/* the outer header as literals, independent of pkt.c */
	cr_assert_arr_eq(out.data, PKT_MAC_ROUTER, 6, "to the next hop's MAC");
	cr_assert_arr_eq(out.data + 6, PKT_MAC_LB, 6, "from the LB's MAC");
	cr_assert(out.data[12] == 0x08 && out.data[13] == 0x00, "IPv4 outer");
	o = out.data + 14;
	cr_assert_eq(o[0], 0x45, "version 4, IHL 5");
	cr_assert_eq(o[1], 0x28, "the inner TOS");
	cr_assert_eq((o[2] << 8 | o[3]), 20 + (in.data[16] << 8 | in.data[17]),
		     "outer length = inner length + 20");
	cr_assert(o[4] == 0 && o[5] == 0, "ID 0");
	cr_assert(o[6] == 0x40 && o[7] == 0, "DF, no fragment");
	cr_assert_eq(o[8], 64, "TTL 64");
	cr_assert_eq(o[9], 4, "protocol 4 (IPIP)");
	cr_assert(o[12] == 198 && o[13] == 19,
		  "outer source in encap.source4's /16");
	cr_assert(o[16] == 198 && o[17] == 51 && o[18] == 100 && o[19] == 5,
		  "outer destination: the backend");
	cr_assert_eq(pkt_csum_fold(pkt_sum16(o, 20, 0)), 0,
		     "the outer checksum is right");
	cr_assert_arr_eq(out.data + 34, in.data + 14, in.len - 14,
			 "the probe itself follows, unchanged");
}

Test(probe, ip6ip6_byte_exact)
{
	struct pkt in, out, want;
	const uint8_t *o;

	probe_syn(&in, 6, 0);
	cr_assert_eq(run_counted(&in, xlb_probe_mark(6, XLB_FWD_TUNNEL), &out,
				 XLB_PROBE_TX_IP6IP6),
		     TC_ACT_OK);
	want_tunnel(&want, &in, 6, BE6);
	assert_same("IP6IP6 probe", &out, &want);
	cr_assert(out.data[12] == 0x86 && out.data[13] == 0xdd, "IPv6 outer");
	o = out.data + 14;
	cr_assert_eq(o[0] >> 4, 6, "version 6");
	cr_assert_eq(o[6], 41, "next header 41 (IPv6 inside)");
	cr_assert_eq(o[7], 64, "hop limit 64");
	cr_assert_eq((size_t)(o[4] << 8 | o[5]), in.len - 14,
		     "payload length = the inner packet");
}

Test(probe, four_in_six_and_six_in_four)
{
	struct pkt in, out, want;

	probe_syn(&in, 4, 0);
	cr_assert_eq(run_counted(&in, xlb_probe_mark(6, XLB_FWD_TUNNEL), &out,
				 XLB_PROBE_TX_4IN6),
		     TC_ACT_OK);
	want_tunnel(&want, &in, 6, BE6);
	assert_same("4in6 probe", &out, &want);
	cr_assert_eq(out.data[14 + 6], 4, "next header 4 (IPv4 inside)");

	probe_syn(&in, 6, 0);
	cr_assert_eq(run_counted(&in, xlb_probe_mark(5, XLB_FWD_TUNNEL), &out,
				 XLB_PROBE_TX_6IN4),
		     TC_ACT_OK);
	want_tunnel(&want, &in, 4, BE4);
	assert_same("6in4 probe", &out, &want);
	cr_assert_eq(out.data[14 + 9], 41, "protocol 41 (IPv6 inside)");
}

Test(probe, l2dsr_rewrites_the_destination_mac_only)
{
	struct pkt in, out, want;

	probe_syn(&in, 4, 0);
	cr_assert_eq(run_counted(&in, xlb_probe_mark(7, XLB_FWD_L2DSR), &out,
				 XLB_PROBE_TX_L2DSR),
		     TC_ACT_OK);
	want = in;
	memcpy(want.data, MAC_BE, 6);
	assert_same("L2 DSR probe", &out, &want);
}

Test(probe, unmarked_and_foreign_marks_pass_untouched)
{
	static const __u32 marks[] = { 0, 0x1234, 0x584b0005, 0x584d0005 };
	struct pkt in, out;

	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		for (int fam = 4; fam <= 6; fam += 2) {
			probe_syn(&in, fam, 0);
			cr_assert_eq(run_counted(&in, marks[i], &out,
						 XLB_PROBE_PASS_UNMARKED),
				     TC_ACT_OK, "mark 0x%x passes", marks[i]);
			assert_same("unmarked packet", &out, &in);
		}
	}
}

Test(probe, a_probe_mark_without_target_is_dropped)
{
	struct pkt in, out;

	/* unencapsulated, it would reach the VIP through the LB: another backend */
	probe_syn(&in, 4, 0);
	cr_assert_eq(run_counted(&in, xlb_probe_mark(9, XLB_FWD_TUNNEL), &out,
				 XLB_PROBE_DROP_NO_TARGET),
		     TC_ACT_SHOT);
}

Test(probe, no_next_hop_yet_drops)
{
	struct pkt in, out;

	set_config(false);
	probe_syn(&in, 4, 0);
	cr_assert_eq(run_counted(&in, xlb_probe_mark(5, XLB_FWD_TUNNEL), &out,
				 XLB_PROBE_DROP_NO_CONFIG),
		     TC_ACT_SHOT);
}

Test(probe, marks_name_the_backend_and_the_mode)
{
	cr_assert_eq(xlb_probe_mark(1, XLB_FWD_TUNNEL), 0x584c0001u);
	cr_assert_eq(xlb_probe_mark(16383, XLB_FWD_TUNNEL), 0x584c3fffu);
	cr_assert_eq(xlb_probe_mark(1, XLB_FWD_L2DSR), 0x584c4001u);
}

/* ---- the config: tunnel: in a check ------------------------------------ */

#define TUN_HEAD                           \
	"encap: {source4: 198.19.0.0}\n"   \
	"backends:\n"                      \
	"  - {id: 1, address: 10.1.0.1}\n" \
	"  - {id: 2, address: 10.1.0.2}\n" \
	"vips:\n"                          \
	"  - name: web\n"                  \
	"    address: 192.0.2.10\n"        \
	"    port: 80\n"                   \
	"    protocol: tcp\n"

TestSuite(tunnel_config);

static int tparse(const char *tail, struct xlb_cfg *c, char *err)
{
	char text[2048];

	snprintf(text, sizeof(text), "%s%s", TUN_HEAD, tail);
	return xlb_cfg_parse("t.yaml", text, strlen(text), c, err, XLB_ERR_MAX);
}

Test(tunnel_config, the_check_goes_to_the_vip_in_the_vips_mode)
{
	char err[XLB_ERR_MAX];
	struct xlb_cfg_check m;
	struct xlb_cfg c;
	struct xlb_addr vip;
	__u8 fam;

	cr_assert_eq(
		tparse("    check: {kind: http, tunnel: true}\n"
		       "    backends: [{id: 1}, {id: 2, check: {tunnel: false}}]\n",
		       &c, err),
		0, "%s", err);
	cr_assert_eq(xlb_addr_parse("192.0.2.10", &vip, &fam), 0);
	cr_assert(xlb_cfg_check_of(&c, &c.vips[0], &c.vips[0].refs[0], &m));
	cr_expect(m.tunnel, "tunnel: true is read");
	cr_expect_eq(m.family, XLB_AF_INET);
	cr_expect_eq(m.addr.v4, vip.v4, "the probe goes to the VIP's address");
	cr_expect_eq(m.port, 80, "on the VIP's port");
	cr_expect_eq(m.mode, XLB_FWD_TUNNEL, "sent as the VIP sends");
	cr_assert(xlb_cfg_check_of(&c, &c.vips[0], &c.vips[0].refs[1], &m));
	cr_expect(!m.tunnel, "an override turns it off for one backend");
	cr_expect_eq(m.addr.v4, htonl(0x0a010002),
		     "and that one goes to the backend's own address");
	xlb_cfg_free(&c);
}

Test(tunnel_config, refusals_name_file_line_and_field)
{
	static const struct {
		const char *desc, *tail, *want;
	} errs[] = {
		{ "an address with tunnel",
		  "    check: {kind: tcp, tunnel: true, address: 10.1.0.9}\n"
		  "    backends: [{id: 1}]\n",
		  "t.yaml:10: vips[0].check.address: means nothing with tunnel: true" },
		{ "tunnel on an exec check",
		  "    check: {kind: exec, command: /bin/true, tunnel: true}\n"
		  "    backends: [{id: 1}]\n",
		  "t.yaml:10: vips[0].check.tunnel: means nothing to a exec check" },
		{ "tunnel not a bool",
		  "    check: {kind: tcp, tunnel: maybe}\n",
		  "t.yaml:10: vips[0].check.tunnel: expected true or false" },
	};

	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		char err[XLB_ERR_MAX];
		struct xlb_cfg c;

		cr_expect_eq(tparse(errs[i].tail, &c, err), -EINVAL,
			     "%s: refused", errs[i].desc);
		cr_expect(!strncmp(err, errs[i].want, strlen(errs[i].want)),
			  "%s: got \"%s\", want \"%s...\"", errs[i].desc, err,
			  errs[i].want);
	}
}

Test(tunnel_config, written_and_read_back)
{
	char err[XLB_ERR_MAX], *buf = NULL;
	struct xlb_cfg c, back;
	size_t len = 0;
	FILE *f;

	cr_assert_eq(tparse("    mode: l2dsr\n"
			    "    check: {kind: tcp, tunnel: true}\n"
			    "    backends: [{id: 1}]\n",
			    &c, err),
		     0, "%s", err);
	f = open_memstream(&buf, &len);
	cr_assert(f);
	cr_assert_eq(xlb_cfg_write(&c, f), 0);
	fclose(f);
	cr_expect(strstr(buf, "tunnel: true"), "written:\n%s", buf);
	cr_assert_eq(xlb_cfg_parse("w.yaml", buf, strlen(buf), &back, err,
				   sizeof(err)),
		     0, "%s", err);
	cr_expect(xlb_cfg_equal(&c, &back), "read back equal:\n%s", buf);
	free(buf);
	xlb_cfg_free(&back);
	xlb_cfg_free(&c);
}

/* ---- the answer comes back through the LB's XDP program ----------------- */

static struct lb_env lenv;

static void lb_setup(void)
{
	lb_env_setup(&lenv);
}

static void lb_teardown(void)
{
	lb_env_teardown(&lenv);
}

TestSuite(probe_reply, .init = lb_setup, .fini = lb_teardown);

/*
 * The backend answers a probe from the VIP (direct server return) to the
 * LB's own address: not a VIP packet, so xlb_lb passes it untouched and
 * the kernel gives it to the probe's socket.
 */
Test(probe_reply, the_backends_answer_passes_the_lb_untouched)
{
	for (int fam = 4; fam <= 6; fam += 2) {
		struct pkt_spec s = {
			.family = fam,
			.src = fam == 4 ? VIP4 : VIP6,
			.dst = fam == 4 ? LB4 : LB6,
			.sport = 80,
			.dport = 40123,
			.proto = IPPROTO_TCP,
			.tcp_flags = 0x12, /* SYN ACK */
		};
		uint64_t before = env_stat(&lenv, XLB_PASS_NOT_VIP);
		struct pkt in, out;

		cr_assert_eq(pkt_build(&in, &s), 0);
		cr_assert_eq(env_run(&lenv, &in, &out), XDP_PASS,
			     "IPv%d: the answer passes to the stack", fam);
		assert_same("the answer", &out, &in);
		cr_assert_eq(env_stat(&lenv, XLB_PASS_NOT_VIP), before + 1,
			     "IPv%d: counted as pass_not_vip", fam);
	}
}
