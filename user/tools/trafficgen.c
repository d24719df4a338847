// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The traffic generator library (see trafficgen.h): template building and
 * checksum bases, the live-frames send loop with pacing, and the sink.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <xlb/pktgen.h>

#include "lib/addr.h"
#include "tools/trafficgen.h"
#include "xlb_pktgen.skel.h"
#include "xlb_sink.skel.h"

#define ETH_HLEN 14
#define VLAN_HLEN 4
#define IP4_HLEN 20
#define IP6_HLEN 40
#define TCP_HLEN 20
#define UDP_HLEN 8
#define NSEC 1000000000.0

/* Each live-frames call lasts about this long at full speed, so a stop
 * request or the end of a duration is seen within it. */
#define CALL_SECONDS 0.01
#define CHUNK_FIRST 8192
#define CHUNK_MAX (1u << 22)
/* Paced: a call carries this much time's worth of packets, more if calls
 * turn out slower than that (then the schedule would slip). */
#define PACE_SECONDS 0.001
#define PACE_MAX_SECONDS 0.1
#define LOOPBACK_IFINDEX 1 /* lo, in every network namespace */

struct tg_gen {
	struct xlb_pktgen *skel;
	int pin_link; /* see gen_pin_dispatcher(); -1 if none */
	int pin_netns;
	struct pkt tpl; /* the frame the kernel copies into fresh pages */
	struct tg_info info;
	struct tg_spec spec; /* src and dst point into the arrays below */
	char src[INET6_ADDRSTRLEN];
	char dst[INET6_ADDRSTRLEN];
	uint8_t saddr[16];
	uint16_t saddr_lo; /* host order */
	char ifname[IF_NAMESIZE];
};

struct tg_sink {
	struct xlb_sink *skel;
	struct bpf_link *link;
	int ncpus;
};

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / NSEC;
}

static void sleep_until(double t)
{
	struct timespec ts = { .tv_sec = (time_t)t };

	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * NSEC);
	if (ts.tv_nsec >= (long)NSEC)
		ts.tv_nsec = (long)NSEC - 1;
	/* EINTR: the caller's loop looks at its stop flag and comes back */
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

int tg_if_mac(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr = {};
	int fd, ret = 0;

	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return -ENAMETOOLONG;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		ret = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return ret;
}

static int if_is_up(const char *ifname)
{
	struct ifreq ifr = {};
	int fd, ret;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr) ? -errno :
					       !!(ifr.ifr_flags & IFF_UP);
	close(fd);
	return ret;
}

/* tx_dropped of @ifname (32 bits wide here; callers take differences). */
static uint32_t if_tx_dropped(const char *ifname)
{
	struct ifaddrs *all, *i;
	uint32_t n = 0;

	if (getifaddrs(&all))
		return 0;
	for (i = all; i; i = i->ifa_next) {
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_PACKET &&
		    i->ifa_data && !strcmp(i->ifa_name, ifname)) {
			n = ((struct rtnl_link_stats *)i->ifa_data)->tx_dropped;
			break;
		}
	}
	freeifaddrs(all);
	return n;
}

/*
 * Frames the driver of @ifname took for XDP transmission: the sum of its
 * ethtool counters named "...xdp_xmit" (veth: tx_queue_N_xdp_xmit, frames
 * that reached the peer's ring). A veth whose peer has no XDP program drops
 * XDP frames before any counter sees them, tx_dropped included, so this is
 * the only way to notice. -ENOENT if the driver has no such counter.
 */
static int if_xdp_xmit(const char *ifname, uint64_t *out)
{
	struct {
		struct ethtool_sset_info hdr;
		uint32_t len;
	} sset = { .hdr = { .cmd = ETHTOOL_GSSET_INFO,
			    .sset_mask = 1ull << ETH_SS_STATS } };
	struct ethtool_gstrings *names = NULL;
	struct ethtool_stats *vals = NULL;
	struct ifreq ifr = {};
	uint32_t n;
	int fd, ret = -ENOENT;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&sset;
	if (ioctl(fd, SIOCETHTOOL, &ifr) || !sset.hdr.sset_mask)
		goto cleanup;
	n = sset.len;
	names = calloc(1, sizeof(*names) + (size_t)n * ETH_GSTRING_LEN);
	vals = calloc(1, sizeof(*vals) + (size_t)n * sizeof(uint64_t));
	if (!names || !vals) {
		ret = -ENOMEM;
		goto cleanup;
	}
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_STATS;
	names->len = n;
	ifr.ifr_data = (void *)names;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		goto cleanup;
	vals->cmd = ETHTOOL_GSTATS;
	vals->n_stats = n;
	ifr.ifr_data = (void *)vals;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		goto cleanup;
	*out = 0;
	for (uint32_t i = 0; i < n && i < vals->n_stats; i++) {
		const char *name = (const char *)names->data + i * ETH_GSTRING_LEN;
		size_t len = strnlen(name, ETH_GSTRING_LEN);

		if (len >= 8 && !memcmp(name + len - 8, "xdp_xmit", 8)) {
			*out += vals->data[i];
			ret = 0;
		}
	}
cleanup:
	free(names);
	free(vals);
	close(fd);
	return ret;
}

/* Bytes of Ethernet, VLAN, IP and TCP/UDP headers. */
static size_t gen_hdr_len(const struct tg_gen *g)
{
	return ETH_HLEN + (g->spec.vlan ? VLAN_HLEN : 0) +
	       (g->info.family == 4 ? IP4_HLEN : IP6_HLEN) +
	       (g->spec.proto == IPPROTO_TCP ? TCP_HLEN : UDP_HLEN);
}

/*
 * Builds the frame of address index @addr_idx and source port @sport. With
 * more than one source address the low 16 bits of the address are
 * saddr_lo + @addr_idx, or 0 when @zero_lo (the template: the program adds
 * them).
 */
static int gen_build(const struct tg_gen *g, uint32_t addr_idx,
		     uint16_t sport, bool zero_lo, struct pkt *out)
{
	const struct tg_spec *s = &g->spec;
	size_t alen = g->info.family == 4 ? 4 : 16;
	char text[INET6_ADDRSTRLEN];
	uint8_t a[16];
	uint16_t lo;
	size_t hdr;
	struct pkt_spec ps = {
		.family = g->info.family,
		.src = text,
		.dst = s->dst,
		.sport = sport,
		.dport = s->dport,
		.proto = s->proto,
		.tcp_flags = s->proto == IPPROTO_TCP ? s->tcp_flags : 0,
		.df = true, /* as Linux sends TCP and UDP */
		.vlan = s->vlan,
		.smac = s->src_mac,
		.dmac = s->dst_mac,
	};

	memcpy(a, g->saddr, sizeof(a));
	if (g->info.naddrs > 1) {
		lo = zero_lo ? 0 : (uint16_t)(g->saddr_lo + addr_idx);
		a[alen - 2] = (uint8_t)(lo >> 8);
		a[alen - 1] = (uint8_t)lo;
	}
	inet_ntop(g->info.family == 4 ? AF_INET : AF_INET6, a, text,
		  sizeof(text));
	hdr = gen_hdr_len(g);
	if (g->info.frame_len < hdr)
		return -EMSGSIZE;
	ps.payload_len = (uint16_t)(g->info.frame_len - hdr);
	return pkt_build(out, &ps);
}

int tg_gen_expect(const struct tg_gen *g, uint32_t flow, struct pkt *out)
{
	uint32_t a = flow % g->info.naddrs, p = flow / g->info.naddrs;

	return gen_build(g, a, (uint16_t)(g->info.sport_min + p), false, out);
}

static uint16_t load16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Fills the program's configuration from the template. */
static void gen_config(const struct tg_gen *g, struct xlb_pg_cfg *c)
{
	size_t l3 = ETH_HLEN + (g->spec.vlan ? VLAN_HLEN : 0), l4;

	memset(c, 0, sizeof(*c));
	c->nflows = g->info.nflows;
	c->naddrs = g->info.naddrs;
	c->sport_min = g->info.sport_min;
	c->saddr_lo = g->saddr_lo;
	if (g->info.family == 4) {
		c->ip_csum_off = (uint16_t)(l3 + 10);
		c->saddr_off = (uint16_t)(l3 + 12 + 2);
		l4 = l3 + IP4_HLEN;
	} else {
		c->saddr_off = (uint16_t)(l3 + 8 + 14);
		l4 = l3 + IP6_HLEN;
	}
	c->sport_off = (uint16_t)l4;
	c->udp = g->spec.proto == IPPROTO_UDP;
	c->l4_csum_off = (uint16_t)(l4 + (c->udp ? 6 : 16));
	/*
	 * The template carries the checksums of its own fields, where the
	 * varying ones are zero; the complement of such a checksum is the sum
	 * the program adds the varying fields to (RFC 1071, in memory order:
	 * the sum does not care about byte order as long as every word is
	 * loaded the same way).
	 */
	if (c->ip_csum_off)
		c->ip_csum_base = (uint16_t)~load16(g->tpl.data + c->ip_csum_off);
	c->l4_csum_base = (uint16_t)~load16(g->tpl.data + c->l4_csum_off);
	c->copy_len = (uint16_t)(g->tpl.len < XLB_PG_TPL_MAX ? g->tpl.len :
							       XLB_PG_TPL_MAX);
	memcpy(c->tpl, g->tpl.data, c->copy_len);
	memcpy(&c->tail, g->tpl.data + c->copy_len - 8, 8);
}

/* Checks the loaded program against pkt_build() for the first and last flow. */
static int gen_self_check(struct tg_gen *g, char *err, size_t errlen)
{
	uint32_t flows[2] = { 0, g->info.nflows - 1 };
	struct pkt got, want;
	int ret;

	for (int i = 0; i < 2; i++) {
		ret = tg_gen_frame(g, flows[i], NULL, &got);
		if (ret < 0)
			return fail(err, errlen, ret,
				    "self-check: BPF_PROG_TEST_RUN: %s",
				    strerror(-ret));
		if (ret != XDP_TX)
			return fail(err, errlen, -EPROTO,
				    "self-check: flow %u: verdict %d, not XDP_TX",
				    flows[i], ret);
		ret = tg_gen_expect(g, flows[i], &want);
		if (ret)
			return fail(err, errlen, ret, "self-check: build: %s",
				    strerror(-ret));
		if (got.len != want.len ||
		    memcmp(got.data, want.data, got.len))
			return fail(err, errlen, -EPROTO,
				    "self-check: flow %u: the program's frame differs from pkt_build()'s",
				    flows[i]);
	}
	return 0;
}

/*
 * BPF_PROG_TEST_RUN with repeat > 1 puts the program into the kernel's XDP
 * dispatcher on entry and takes it out on exit, and each change waits for
 * an RCU grace period: about 25 ms per call here, however few packets it
 * sends, which rules out pacing in small steps. The dispatcher counts its
 * users, so while the program is attached to a device the test runs only
 * take and drop a reference. So attach it (generic mode) to the loopback
 * device of a network namespace of its own, which is down and which nothing
 * uses: it never runs there. A helper thread unshares the namespace, so the
 * caller's threads stay where they are; the namespace lives as long as
 * pin_netns is open, and the link detaches when the generator closes or the
 * process dies. (While attached, generic XDP costs the host's receive path
 * one more pointer test per packet.) Best effort: without it, sends are
 * just slower per call.
 */
struct pin_arg {
	int prog_fd;
	int link_fd;
	int netns_fd;
	int err;
};

static void *pin_thread(void *p)
{
	struct pin_arg *a = p;
	LIBBPF_OPTS(bpf_link_create_opts, o, .flags = XDP_FLAGS_SKB_MODE);

	if (unshare(CLONE_NEWNET)) {
		a->err = -errno;
		return NULL;
	}
	a->netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (a->netns_fd < 0) {
		a->err = -errno;
		return NULL;
	}
	a->link_fd = bpf_link_create(a->prog_fd, LOOPBACK_IFINDEX, BPF_XDP, &o);
	if (a->link_fd < 0)
		a->err = -errno;
	return NULL;
}

static int gen_pin_dispatcher(struct tg_gen *g)
{
	struct pin_arg a = {
		.prog_fd = bpf_program__fd(g->skel->progs.xlb_pktgen),
		.link_fd = -1,
		.netns_fd = -1,
	};
	pthread_t t;
	int ret;

	ret = pthread_create(&t, NULL, pin_thread, &a);
	if (ret)
		return -ret;
	pthread_join(t, NULL);
	if (a.err) {
		if (a.netns_fd >= 0)
			close(a.netns_fd);
		return a.err;
	}
	g->pin_link = a.link_fd;
	g->pin_netns = a.netns_fd;
	return 0;
}

int tg_gen_open(struct tg_gen **out, const struct tg_spec *spec, char *err,
		size_t errlen)
{
	struct xlb_pg_cfg cfg;
	struct xlb_addr src, dst;
	uint8_t sfam, dfam;
	uint32_t ports_avail, flows;
	struct tg_gen *g;
	int ret;

	*out = NULL;
	if (!spec->src || xlb_addr_parse(spec->src, &src, &sfam))
		return fail(err, errlen, -EINVAL,
			    "source address %s: not an IPv4 or IPv6 address",
			    spec->src ? spec->src : "(none)");
	if (!spec->dst || xlb_addr_parse(spec->dst, &dst, &dfam))
		return fail(err, errlen, -EINVAL,
			    "destination address %s: not an IPv4 or IPv6 address",
			    spec->dst ? spec->dst : "(none)");
	if (sfam != dfam)
		return fail(err, errlen, -EINVAL,
			    "addresses %s and %s: not of one family", spec->src,
			    spec->dst);
	if (spec->proto != IPPROTO_UDP && spec->proto != IPPROTO_TCP)
		return fail(err, errlen, -EINVAL, "protocol %u: only TCP and UDP",
			    spec->proto);
	if (spec->frame_bytes &&
	    (spec->frame_bytes < TG_FRAME_MIN || spec->frame_bytes > TG_FRAME_MAX))
		return fail(err, errlen, -EINVAL, "frame size %u: not in %d..%d",
			    spec->frame_bytes, TG_FRAME_MIN, TG_FRAME_MAX);
	if (spec->vlan > 4095)
		return fail(err, errlen, -EINVAL, "VLAN %u: not in 0..4095",
			    spec->vlan);

	g = calloc(1, sizeof(*g));
	if (!g)
		return fail(err, errlen, -ENOMEM, "allocate: %s", strerror(ENOMEM));
	g->pin_link = -1;
	g->pin_netns = -1;
	g->spec = *spec;
	snprintf(g->src, sizeof(g->src), "%s", spec->src);
	snprintf(g->dst, sizeof(g->dst), "%s", spec->dst);
	g->spec.src = g->src;
	g->spec.dst = g->dst;
	memcpy(g->saddr, src.bytes, sizeof(g->saddr));
	g->info.family = sfam == XLB_AF_INET ? 4 : 6;
	g->saddr_lo = (uint16_t)(g->saddr[(g->info.family == 4 ? 4 : 16) - 2] << 8 |
				 g->saddr[(g->info.family == 4 ? 4 : 16) - 1]);
	g->info.frame_len = (spec->frame_bytes ? spec->frame_bytes : TG_FRAME_MIN) -
			    TG_FCS;
	g->info.sport_min = spec->sport_min ? spec->sport_min : TG_SPORT_MIN;
	flows = spec->flows ? spec->flows : 1;
	g->info.nflows = flows;

	/* flows -> addresses x ports: ports first, addresses when they run out */
	ports_avail = 65536 - g->info.sport_min;
	g->info.naddrs = spec->src_addrs ? spec->src_addrs :
					   (flows + ports_avail - 1) / ports_avail;
	if (g->info.naddrs > flows)
		g->info.naddrs = flows;
	g->info.nports = (flows + g->info.naddrs - 1) / g->info.naddrs;
	if (g->info.naddrs > 65536 || g->info.nports > ports_avail) {
		ret = fail(err, errlen, -EINVAL,
			   "%u flows over %u source addresses: need %u source ports from %u, only %u there",
			   flows, g->info.naddrs, g->info.nports,
			   g->info.sport_min, ports_avail);
		goto cleanup;
	}

	if (!if_indextoname((unsigned int)spec->ifindex, g->ifname)) {
		ret = fail(err, errlen, -errno, "interface %d: %s",
			   spec->ifindex, strerror(errno));
		goto cleanup;
	}
	ret = if_is_up(g->ifname);
	if (ret <= 0) {
		ret = fail(err, errlen, ret ? ret : -ENETDOWN, "%s: %s",
			   g->ifname, ret ? strerror(-ret) : "interface is down");
		goto cleanup;
	}

	ret = gen_build(g, 0, 0, true, &g->tpl);
	if (ret == -EMSGSIZE) {
		ret = fail(err, errlen, ret,
			   "frame size %u: too small for IPv%d %s%s (needs %zu)",
			   g->info.frame_len + TG_FCS, g->info.family,
			   spec->proto == IPPROTO_TCP ? "TCP" : "UDP",
			   spec->vlan ? " in a VLAN tag" : "",
			   gen_hdr_len(g) + TG_FCS);
		goto cleanup;
	}
	if (ret || g->tpl.len != g->info.frame_len) {
		ret = fail(err, errlen, ret ? ret : -EINVAL,
			   "build the template frame: %s",
			   strerror(ret ? -ret : EINVAL));
		goto cleanup;
	}
	gen_config(g, &cfg);

	g->skel = xlb_pktgen__open();
	if (!g->skel) {
		ret = fail(err, errlen, -errno, "open xlb_pktgen: %s",
			   strerror(errno));
		goto cleanup;
	}
	memcpy((void *)&g->skel->rodata->xlb_pg_cfg, &cfg, sizeof(cfg));
	ret = xlb_pktgen__load(g->skel);
	if (ret) {
		ret = fail(err, errlen, ret, "load xlb_pktgen: %s (run as root)",
			   strerror(-ret));
		goto cleanup;
	}
	ret = gen_self_check(g, err, errlen);
	if (ret)
		goto cleanup;
	g->info.pinned = !gen_pin_dispatcher(g);
	*out = g;
	return 0;
cleanup:
	tg_gen_close(g);
	return ret;
}

void tg_gen_info(const struct tg_gen *g, struct tg_info *info)
{
	*info = g->info;
}

int tg_gen_frame(struct tg_gen *g, uint64_t seq, const struct pkt *in,
		 struct pkt *out)
{
	struct xlb_pktgen__bss *bss = g->skel->bss;
	uint64_t seq0 = bss->xlb_pg_seq, ab0 = bss->xlb_pg_aborted;
	uint32_t flow0 = bss->xlb_pg_flow;
	int ret;

	if (!in)
		in = &g->tpl;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in->data,
		    .data_size_in = (uint32_t)in->len, .data_out = out->data,
		    .data_size_out = sizeof(out->data), .repeat = 1);

	bss->xlb_pg_seq = seq;
	bss->xlb_pg_flow = (uint32_t)(seq % g->info.nflows);
	ret = bpf_prog_test_run_opts(bpf_program__fd(g->skel->progs.xlb_pktgen),
				     &o);
	ret = ret ? -errno : (int)o.retval;
	out->len = o.data_size_out;
	bss->xlb_pg_seq = seq0;
	bss->xlb_pg_flow = flow0;
	bss->xlb_pg_aborted = ab0;
	return ret;
}

/*
 * Packets for the next call. Full speed: CALL_SECONDS' worth at the kernel's
 * own per-packet time (@ns_per_pkt, which leaves out the fixed cost of a
 * call). Paced: grow while the calls fall behind the schedule (started at
 * @t0, @sent packets so far).
 */
static uint64_t next_chunk(const struct tg_run_opts *o, uint64_t chunk,
			   uint32_t batch, uint32_t ns_per_pkt, double t0,
			   double now, uint64_t sent)
{
	double c;

	if (o->rate) {
		double behind = now - (t0 + (double)sent / (double)o->rate);

		if (behind > 2 * PACE_SECONDS &&
		    chunk < o->rate * PACE_MAX_SECONDS)
			chunk *= 2;
		else if (behind < 0 && chunk > o->rate * PACE_SECONDS + 1)
			chunk /= 2; /* back on schedule: smaller bursts again */
		return chunk;
	}
	if (!ns_per_pkt)
		return chunk;
	c = CALL_SECONDS * NSEC / ns_per_pkt;
	return c < batch ? batch : c > CHUNK_MAX ? CHUNK_MAX : (uint64_t)c;
}

int tg_gen_run(struct tg_gen *g, const struct tg_run_opts *o,
	       struct tg_result *r, char *err, size_t errlen)
{
	volatile struct xlb_pktgen__bss *bss = g->skel->bss;
	int prog = bpf_program__fd(g->skel->progs.xlb_pktgen);
	struct xdp_md ctx = {
		.data_end = (uint32_t)g->tpl.len,
		.ingress_ifindex = (uint32_t)g->spec.ifindex,
	};
	uint32_t batch = o->batch ? o->batch : TG_BATCH_DEFAULT;
	uint64_t seq0 = bss->xlb_pg_seq, ab0 = bss->xlb_pg_aborted;
	uint64_t limit = o->count, sent = 0, chunk;
	uint32_t drop0 = if_tx_dropped(g->ifname);
	uint64_t xmit0 = 0, xmit1 = 0;
	bool xmit_known = !if_xdp_xmit(g->ifname, &xmit0);
	double t0, t;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	if (batch > TG_BATCH_MAX)
		return fail(err, errlen, -EINVAL, "batch %u: more than %d",
			    batch, TG_BATCH_MAX);
	/* paced for a duration: exactly rate * duration packets */
	if (o->rate && o->duration > 0) {
		uint64_t n = (uint64_t)(o->rate * o->duration + 0.5);

		if (!limit || n < limit)
			limit = n;
	}
	chunk = o->rate ? (uint64_t)(o->rate * PACE_SECONDS) + 1 : CHUNK_FIRST;

	t0 = now_s();
	t = t0;
	for (;;) {
		uint64_t n = chunk;

		if (o->stop && *o->stop)
			break;
		if (limit && sent >= limit)
			break;
		if (o->duration > 0 && t - t0 >= o->duration)
			break;
		if (limit && n > limit - sent)
			n = limit - sent;
		if (o->rate) {
			sleep_until(t0 + (double)sent / (double)o->rate);
			if (o->stop && *o->stop)
				break;
		}

		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = g->tpl.data,
			    .data_size_in = (uint32_t)g->tpl.len,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
			    .repeat = (uint32_t)n, .batch_size = batch,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
		ret = bpf_prog_test_run_opts(prog, &opts);
		t = now_s();
		if (ret && errno != EINTR) {
			ret = -errno;
			fail(err, errlen, ret,
			     "BPF_PROG_TEST_RUN with live frames on %s: %s%s",
			     g->ifname, strerror(-ret),
			     ret == -EINVAL ? " (kernel older than 5.18?)" : "");
			break;
		}
		ret = 0;
		/* the program's own count: exact even after an interruption */
		sent = bss->xlb_pg_seq - seq0;
		chunk = next_chunk(o, chunk, batch, opts.duration, t0, t, sent);
	}
	r->packets = bss->xlb_pg_seq - seq0;
	r->bytes = r->packets * (g->info.frame_len + TG_FCS);
	r->seconds = t - t0;
	r->aborted = bss->xlb_pg_aborted - ab0;
	r->tx_dropped = (uint32_t)(if_tx_dropped(g->ifname) - drop0);
	r->dev_xmit = xmit_known && !if_xdp_xmit(g->ifname, &xmit1) ?
			      xmit1 - xmit0 :
			      TG_UNKNOWN;
	if (!ret && r->aborted)
		ret = fail(err, errlen, -EPROTO,
			   "xlb_pktgen aborted %llu frames (shorter than the template?)",
			   (unsigned long long)r->aborted);
	return ret;
}

void tg_gen_close(struct tg_gen *g)
{
	if (!g)
		return;
	if (g->pin_link >= 0)
		close(g->pin_link);
	if (g->pin_netns >= 0)
		close(g->pin_netns);
	xlb_pktgen__destroy(g->skel);
	free(g);
}

int tg_sink_open(struct tg_sink **out, int ifindex,
		 const struct tg_sink_opts *o, char *err, size_t errlen)
{
	unsigned int flags = o ? o->flags : 0;
	char ifname[IF_NAMESIZE] = "?";
	struct tg_sink *s;
	int ret;

	*out = NULL;
	if_indextoname((unsigned int)ifindex, ifname);
	s = calloc(1, sizeof(*s));
	if (!s)
		return fail(err, errlen, -ENOMEM, "allocate: %s", strerror(ENOMEM));
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0) {
		ret = fail(err, errlen, s->ncpus ? s->ncpus : -EINVAL,
			   "count possible CPUs: %s", strerror(-s->ncpus));
		goto cleanup;
	}
	s->skel = xlb_sink__open();
	if (!s->skel) {
		ret = fail(err, errlen, -errno, "open xlb_sink: %s",
			   strerror(errno));
		goto cleanup;
	}
	s->skel->rodata->xlb_sink_verdict =
		flags & TG_SINK_PASS ? XDP_PASS : XDP_DROP;
	s->skel->rodata->xlb_sink_flags =
		(flags & TG_SINK_PORTS ? XLB_SINK_F_PORTS : 0) |
		(flags & TG_SINK_CAPTURE ? XLB_SINK_F_CAPTURE : 0) |
		(flags & TG_SINK_SCRIBBLE ? XLB_SINK_F_SCRIBBLE : 0);
	s->skel->rodata->xlb_sink_cap_after = o ? o->capture_after : 0;
	ret = xlb_sink__load(s->skel);
	if (ret) {
		ret = fail(err, errlen, ret, "load xlb_sink: %s (run as root)",
			   strerror(-ret));
		goto cleanup;
	}
	/* A link detaches by itself when the process ends, however it ends. */
	s->link = bpf_program__attach_xdp(s->skel->progs.xlb_sink, ifindex);
	if (!s->link) {
		ret = -errno;
		fail(err, errlen, ret, "attach xlb_sink to %s: %s%s", ifname,
		     strerror(-ret),
		     ret == -EBUSY ? " (another XDP program is attached)" : "");
		goto cleanup;
	}
	*out = s;
	return 0;
cleanup:
	tg_sink_close(s);
	return ret;
}

int tg_sink_read(struct tg_sink *s, struct tg_sink_stats *st)
{
	struct xlb_sink_stats *v;
	uint64_t first = 0, last = 0, timed = 0;
	uint32_t zero = 0;
	int ret;

	memset(st, 0, sizeof(*st));
	v = calloc((size_t)s->ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	ret = bpf_map__lookup_elem(s->skel->maps.xlb_sink_stats, &zero,
				   sizeof(zero), v, sizeof(*v) * s->ncpus, 0);
	if (ret)
		goto cleanup;
	for (int i = 0; i < s->ncpus; i++) {
		if (!v[i].packets)
			continue;
		st->packets += v[i].packets;
		st->bytes += v[i].bytes;
		if (!first || v[i].first_ns < first)
			first = v[i].first_ns;
		if (v[i].last_ns > last)
			last = v[i].last_ns;
		timed += v[i].last_pkts - 1;
	}
	if (last > first) {
		st->seconds = (double)(last - first) / NSEC;
		st->pps = (double)timed / st->seconds;
	}
cleanup:
	free(v);
	return ret;
}

uint32_t tg_sink_sports(struct tg_sink *s, uint32_t counts[65536])
{
	uint32_t seen = 0;

	for (uint32_t i = 0; i < 65536; i++) {
		counts[i] = s->skel->bss->xlb_sink_sports[i];
		seen += counts[i] != 0;
	}
	return seen;
}

int tg_sink_captured(struct tg_sink *s, unsigned int idx, struct pkt *out)
{
	volatile struct xlb_sink__bss *bss = s->skel->bss;
	uint32_t len;

	if (idx >= TG_SINK_CAP_N || idx >= bss->xlb_sink_ncap)
		return -ENOENT;
	len = bss->xlb_sink_caps[idx].len;
	if (len > XLB_SINK_CAP_BYTES)
		len = XLB_SINK_CAP_BYTES;
	memset(out, 0, sizeof(*out));
	memcpy(out->data, (const void *)bss->xlb_sink_caps[idx].data, len);
	out->len = len;
	return 0;
}

void tg_sink_wait(struct tg_sink *s, double duration, unsigned int idle_ms,
		  volatile sig_atomic_t *stop)
{
	double t0 = now_s(), t = t0, changed = t0, step = 0.05;
	struct tg_sink_stats st;
	uint64_t last = 0;

	if (idle_ms && idle_ms / 4000.0 < step)
		step = idle_ms / 4000.0 < 0.001 ? 0.001 : idle_ms / 4000.0;
	for (;;) {
		if (stop && *stop)
			return;
		if (duration > 0 && t - t0 >= duration)
			return;
		if (tg_sink_read(s, &st))
			return;
		if (st.packets != last) {
			last = st.packets;
			changed = t;
		} else if (idle_ms && last && (t - changed) * 1000 >= idle_ms) {
			return;
		}
		sleep_until(duration > 0 && t + step > t0 + duration ?
				    t0 + duration :
				    t + step);
		t = now_s();
	}
}

void tg_sink_close(struct tg_sink *s)
{
	if (!s)
		return;
	bpf_link__destroy(s->link);
	xlb_sink__destroy(s->skel);
	free(s);
}
