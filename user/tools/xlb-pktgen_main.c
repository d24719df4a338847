// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlb-pktgen: a line-rate traffic generator on XDP live frames (no kernel
 * pktgen needed), and a sink that counts what arrives. A thin command line
 * over user/trafficgen.c.
 *
 *   xlb-pktgen --dev IF --dst-mac MAC --src IP --dst IP --dport PORT ...
 *   xlb-pktgen sink --dev IF [--duration S] [--until-idle MS] ...
 *
 * Options come from one table per command (lib/opt.h), --help too.
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "lib/addr.h"
#include "lib/opt.h"
#include "lib/parse.h"
#include "tools/trafficgen.h"

#define PROG "xlb-pktgen"

enum exit_code {
	EXIT_OK = 0,
	EXIT_FAIL = 1, /* the run failed */
	EXIT_USAGE = 2, /* bad command line */
};

static volatile sig_atomic_t stop;
static bool verbose;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	if (!verbose)
		return 0; /* our own message says what failed */
	return vfprintf(stderr, fmt, ap);
}

static void __attribute__((format(printf, 1, 2))) error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A usage error found after parsing; exit code 2. */
static int usage_error(const struct xlb_opts *set, const char *opt,
		       const char *val, const char *why)
{
	char msg[256];

	if (val)
		snprintf(msg, sizeof(msg), "%s %s: %s", opt, val, why);
	else
		snprintf(msg, sizeof(msg), "%s: %s", opt, why);
	return xlb_opt_fail(set, msg);
}

/* The one number rule (lib/parse.h): decimal in [min, max]; 0 or -EINVAL. */
static int parse_u64(const char *s, unsigned long long min,
		     unsigned long long max, unsigned long long *out)
{
	__u64 v;

	if (xlb_u64_parse(s, min, max, &v, NULL, 0))
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_seconds(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno || *end || end == s || !(*out > 0) || *out > 1e7 ? -EINVAL :
									 0;
}

static void install_signals(void)
{
	/* no SA_RESTART: a blocked BPF_PROG_TEST_RUN or sleep returns early */
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int dev_index(const char *dev)
{
	int ifindex = (int)if_nametoindex(dev);

	if (!ifindex)
		error("--dev %s: %s", dev, strerror(errno));
	return ifindex;
}

/* Everything either command takes; each table lists what applies to it. */
struct cli {
	bool sink;
	const char *dev, *src, *dst, *count, *duration;
	__u32 dport, proto, size, flows, rate, vlan, sport, src_addrs, batch;
	__u32 cpu, idle_ms;
	bool json, pass, ports, verbose;
	bool have_src_mac, pin;
	struct tg_spec spec;
	struct tg_run_opts run;
};

enum { P_UDP, P_TCP_SYN, P_TCP_ACK };
static const struct xlb_word proto_words[] = {
	{ "udp", P_UDP }, { "tcp-syn", P_TCP_SYN }, { "tcp-ack", P_TCP_ACK }, {}
};

#define DEV_OPT                                                               \
	{ .name = "dev", .type = XLB_OPT_STR, .off = offsetof(struct cli, dev), \
	  .arg = "IF", .help = "the device", .required = true }
#define REQ(n, t, field, a, h)                                                \
	{ .name = n, .type = t, .off = offsetof(struct cli, field), .arg = a,  \
	  .help = h, .required = true }
#define COMMON_OPTS                                                           \
	XLB_OPT_FLAG("json", 0, struct cli, json, "one JSON object on stdout"),  \
	XLB_OPT_FLAG("verbose", 'v', struct cli, verbose, "libbpf's messages too")

/* The generator's options; the indices below name rows for "given". */
static const struct xlb_opt gen_table[] = {
	DEV_OPT,
	REQ("dst-mac", XLB_OPT_MAC, spec.dst_mac, "MAC", "destination MAC"),
	XLB_OPT_OF("src-mac", 0, XLB_OPT_MAC, struct cli, spec.src_mac, "MAC",
		   "source MAC (default the device's)"),
	REQ("src", XLB_OPT_STR, src, "IP", "source address (IPv4 or IPv6)"),
	REQ("dst", XLB_OPT_STR, dst, "IP", "destination address"),
	{ .name = "dport", .type = XLB_OPT_U32, .off = offsetof(struct cli, dport),
	  .arg = "PORT", .help = "destination port", .min = 1, .max = 65535,
	  .required = true },
	XLB_OPT_WORD("proto", 0, struct cli, proto, proto_words,
		     "what to send (default udp)"),
	XLB_OPT_NUM("size", 0, struct cli, size, "FRAME_BYTES", TG_FRAME_MIN,
		    TG_FRAME_MAX, "frame size, FCS included (default 64)"),
	XLB_OPT_NUM("flows", 0, struct cli, flows, "N", 1, UINT32_MAX,
		    "distinct flows (default 1)"),
	XLB_OPT_OF("count", 0, XLB_OPT_STR, struct cli, count, "N",
		   "packets to send (1..2^64-1; not with --duration)"),
	XLB_OPT_OF("duration", 0, XLB_OPT_STR, struct cli, duration, "SECONDS",
		   "send for this long (> 0)"),
	XLB_OPT_NUM("rate", 0, struct cli, rate, "PPS", 0, 1000000000,
		    "packets per second (0: as fast as it goes)"),
	XLB_OPT_NUM("vlan", 0, struct cli, vlan, "ID", 1, 4094, "802.1Q tag"),
	XLB_OPT_NUM("sport", 0, struct cli, sport, "FIRST_PORT", 1, 65535,
		    "first source port (default 1024)"),
	XLB_OPT_NUM("src-addrs", 0, struct cli, src_addrs, "N", 1, 65536,
		    "source addresses the flows spread over"),
	XLB_OPT_NUM("batch", 0, struct cli, batch, "N", 1, TG_BATCH_MAX,
		    "frames per kernel batch (default 64)"),
	XLB_OPT_NUM("cpu", 0, struct cli, cpu, "N", 0, CPU_SETSIZE - 1,
		    "run on this CPU"),
	COMMON_OPTS,
};
enum { GEN_SRC_MAC = 2, GEN_CPU = 16 };

static const struct xlb_opt sink_table[] = {
	DEV_OPT,
	XLB_OPT_OF("duration", 0, XLB_OPT_STR, struct cli, duration, "SECONDS",
		   "stop after this long (> 0)"),
	XLB_OPT_NUM("until-idle", 0, struct cli, idle_ms, "MS", 1, 86400000,
		    "stop MS after the last packet"),
	XLB_OPT_FLAG("pass", 0, struct cli, pass,
		     "pass what arrives to the stack (default: drop)"),
	XLB_OPT_FLAG("ports", 0, struct cli, ports,
		     "count distinct source ports too"),
	COMMON_OPTS,
};

static const struct xlb_opts gen_set = {
	.prog = PROG,
	.usage = "--dev IF --dst-mac MAC --src IP --dst IP --dport PORT "
		 "[OPTIONS]",
	.opts = gen_table,
	.nopts = sizeof(gen_table) / sizeof(gen_table[0]),
	.epilog = "\nSends on XDP live frames. Flows vary the source port "
		  "from --sport (1024) up,\nand the source address's low 16 "
		  "bits when the ports run out or --src-addrs\nasks. "
		  PROG " sink --help: the counting side.\n",
};

static const struct xlb_opts sink_set = {
	.prog = PROG,
	.cmd = "sink",
	.usage = "--dev IF [OPTIONS]",
	.opts = sink_table,
	.nopts = sizeof(sink_table) / sizeof(sink_table[0]),
	.epilog = "\nCounts and drops (--pass: passes to the stack) what "
		  "arrives, until SIGINT,\nthe duration, or MS idle.\n",
};

/* What the table cannot say: 64-bit counts, seconds as a real number. */
static int finish_args(struct cli *c, const struct xlb_opt_result *r)
{
	const struct xlb_opts *set = c->sink ? &sink_set : &gen_set;
	unsigned long long v;

	verbose = c->verbose;
	if (r->npos)
		return usage_error(set, r->pos[0], NULL, "unexpected argument");
	if (c->duration && parse_seconds(c->duration, &c->run.duration))
		return usage_error(set, "--duration", c->duration,
				   "not a number of seconds > 0");
	if (c->sink)
		return EXIT_OK;
	if (c->count) {
		if (parse_u64(c->count, 1, UINT64_MAX, &v))
			return usage_error(set, "--count", c->count,
					   "not a count >= 1");
		c->run.count = v;
	}
	if (c->run.count && c->run.duration > 0)
		return usage_error(set, "--count", NULL,
				   "give --count or --duration, not both");
	c->spec.dport = (uint16_t)c->dport;
	c->spec.proto = c->proto == P_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	c->spec.tcp_flags = c->proto == P_TCP_SYN ? 0x02 :
			    c->proto == P_TCP_ACK ? 0x10 : 0;
	c->spec.frame_bytes = (uint16_t)c->size;
	c->spec.flows = c->flows;
	c->run.rate = c->rate;
	c->spec.vlan = (uint16_t)c->vlan;
	c->spec.sport_min = (uint16_t)c->sport;
	c->spec.src_addrs = c->src_addrs;
	c->run.batch = c->batch;
	c->have_src_mac = xlb_opt_given(r, GEN_SRC_MAC);
	c->pin = xlb_opt_given(r, GEN_CPU);
	return EXIT_OK;
}

static int run_sink(struct cli *c)
{
	struct tg_sink_opts so = { .flags = (c->pass ? TG_SINK_PASS : 0) |
					    (c->ports ? TG_SINK_PORTS : 0) };
	struct tg_sink_stats st;
	struct tg_sink *sink;
	uint32_t *counts = NULL, sports = 0;
	char err[256];
	int ifindex, ret;

	ifindex = dev_index(c->dev);
	if (!ifindex)
		return EXIT_FAIL;
	ret = tg_sink_open(&sink, ifindex, &so, err, sizeof(err));
	if (ret) {
		error("sink: %s", err);
		return EXIT_FAIL;
	}
	fprintf(stderr, PROG ": sink attached to %s\n", c->dev);
	tg_sink_wait(sink, c->run.duration, (unsigned int)c->idle_ms, &stop);
	ret = tg_sink_read(sink, &st);
	if (!ret && c->ports) {
		counts = calloc(65536, sizeof(*counts));
		if (counts)
			sports = tg_sink_sports(sink, counts);
		else
			ret = -ENOMEM;
	}
	tg_sink_close(sink);
	free(counts);
	if (ret) {
		error("sink: read counters of %s: %s", c->dev, strerror(-ret));
		return EXIT_FAIL;
	}
	if (c->json) {
		printf("{\"mode\":\"sink\",\"dev\":\"%s\",\"packets\":%llu,"
		       "\"bytes\":%llu,\"seconds\":%.6f,\"pps\":%.0f,"
		       "\"mpps\":%.4f",
		       c->dev, (unsigned long long)st.packets,
		       (unsigned long long)st.bytes, st.seconds, st.pps,
		       st.pps / 1e6);
		if (c->ports)
			printf(",\"sports\":%u", sports);
		printf("}\n");
	} else {
		printf("received %llu packets (%llu bytes) on %s in %.3f s: %.3f Mpps",
		       (unsigned long long)st.packets,
		       (unsigned long long)st.bytes, c->dev, st.seconds,
		       st.pps / 1e6);
		if (c->ports)
			printf(", from %u source ports", sports);
		printf("\n");
	}
	return EXIT_OK;
}

static int run_gen(struct cli *c)
{
	struct tg_result r;
	struct tg_info info;
	struct tg_gen *gen;
	char err[256], xmit[24];
	double pps, gbps;
	int ret;

	c->spec.ifindex = dev_index(c->dev);
	if (!c->spec.ifindex)
		return EXIT_FAIL;
	c->spec.src = c->src;
	c->spec.dst = c->dst;
	if (!c->have_src_mac) {
		ret = tg_if_mac(c->dev, c->spec.src_mac);
		if (ret) {
			error("MAC address of %s: %s", c->dev, strerror(-ret));
			return EXIT_FAIL;
		}
	}
	if (c->pin) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(c->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			error("--cpu %u: %s", c->cpu, strerror(errno));
			return EXIT_FAIL;
		}
	}
	ret = tg_gen_open(&gen, &c->spec, err, sizeof(err));
	if (ret) {
		error("%s", err);
		return EXIT_FAIL;
	}
	tg_gen_info(gen, &info);
	c->run.stop = &stop;
	ret = tg_gen_run(gen, &c->run, &r, err, sizeof(err));
	tg_gen_close(gen);
	if (ret)
		error("%s", err);

	pps = r.seconds > 0 ? (double)r.packets / r.seconds : 0;
	gbps = r.seconds > 0 ? (double)r.bytes * 8 / r.seconds / 1e9 : 0;
	if (r.dev_xmit != TG_UNKNOWN)
		snprintf(xmit, sizeof(xmit), "%llu",
			 (unsigned long long)r.dev_xmit);
	else
		snprintf(xmit, sizeof(xmit), "null");
	if (c->json) {
		printf("{\"mode\":\"send\",\"engine\":\"xdp-live-frames\","
		       "\"dev\":\"%s\",\"proto\":\"%s\",\"family\":%d,"
		       "\"frame_bytes\":%u,\"flows\":%u,\"src_addrs\":%u,"
		       "\"rate_pps\":%llu,\"packets\":%llu,\"bytes\":%llu,"
		       "\"seconds\":%.6f,\"pps\":%.0f,\"mpps\":%.4f,"
		       "\"gbps\":%.4f,\"tx_dropped\":%llu,\"dev_xmit\":%s}\n",
		       c->dev, proto_words[c->proto].word, info.family,
		       info.frame_len + TG_FCS, info.nflows, info.naddrs,
		       (unsigned long long)c->run.rate,
		       (unsigned long long)r.packets,
		       (unsigned long long)r.bytes, r.seconds, pps, pps / 1e6,
		       gbps, (unsigned long long)r.tx_dropped, xmit);
	} else {
		printf("sent %llu packets on %s in %.3f s: %.3f Mpps, %.3f Gbit/s "
		       "(%s, IPv%d, %u-byte frames, %u flows)\n",
		       (unsigned long long)r.packets, c->dev, r.seconds,
		       pps / 1e6, gbps, proto_words[c->proto].word, info.family,
		       info.frame_len + TG_FCS, info.nflows);
	}
	/* the driver counts what it took and what found no room; the rest
	 * vanished uncounted (a veth whose peer has no XDP program) */
	if (r.dev_xmit != TG_UNKNOWN && r.dev_xmit + r.tx_dropped < r.packets)
		fprintf(stderr,
			PROG ": warning: %llu of %llu frames were dropped uncounted "
			"by the driver of %s (on a veth, the peer needs an XDP "
			"program)\n",
			(unsigned long long)(r.packets - r.dev_xmit - r.tx_dropped),
			(unsigned long long)r.packets, c->dev);
	if (r.tx_dropped)
		fprintf(stderr,
			PROG ": warning: %s dropped %llu frames on transmit "
			"(receiver too slow: try a smaller --batch or a --rate)\n",
			c->dev, (unsigned long long)r.tx_dropped);
	/* a run that delivered nothing failed, whatever the syscalls said */
	if (!ret && r.packets && r.dev_xmit == 0) {
		fprintf(stderr,
			PROG ": error: none of %llu frames left %s (on a veth, "
			"attach an XDP program to the peer: the sink, or "
			"xlb_pass.bpf.o)\n",
			(unsigned long long)r.packets, c->dev);
		ret = -EIO;
	}
	if (verbose && !info.pinned)
		fprintf(stderr, PROG ": note: could not keep xlb_pktgen in the XDP "
			"dispatcher; each call waits for an RCU grace period\n");
	return ret ? EXIT_FAIL : EXIT_OK;
}

int main(int argc, char **argv)
{
	struct cli c = { .proto = P_UDP };
	struct xlb_opt_result r;
	int ret, skip;

	c.sink = argc > 1 && !strcmp(argv[1], "sink");
	skip = 1 + c.sink;
	ret = xlb_opt_run(c.sink ? &sink_set : &gen_set, argc - skip,
			  argv + skip, &c, &r);
	if (ret >= 0)
		return ret;
	ret = finish_args(&c, &r);
	if (ret)
		return ret;
	libbpf_set_print(libbpf_quiet);
	install_signals();
	return c.sink ? run_sink(&c) : run_gen(&c);
}
