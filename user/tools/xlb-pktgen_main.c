// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlb-pktgen: a line-rate traffic generator on XDP live frames (no kernel
 * pktgen needed), and a sink that counts what arrives. A thin command line
 * over user/trafficgen.c.
 *
 *   xlb-pktgen --dev IF --dst-mac MAC --src IP --dst IP --dport PORT ...
 *   xlb-pktgen sink --dev IF [--duration S] [--until-idle MS] ...
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
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

static const char usage_text[] =
	"usage: " PROG " --dev IF --dst-mac MAC --src IP --dst IP --dport PORT\n"
	"                  [--proto tcp-syn|tcp-ack|udp] [--size FRAME_BYTES (64..1500)]\n"
	"                  [--flows N] [--count N | --duration SECONDS] [--rate PPS (0=max)]\n"
	"                  [--src-mac MAC] [--vlan ID] [--sport FIRST_PORT] [--src-addrs N]\n"
	"                  [--batch N (1..256)] [--cpu N] [--json] [-v]\n"
	"       " PROG " sink --dev IF [--duration SECONDS] [--until-idle MS]\n"
	"                  [--pass] [--ports] [--json] [-v]\n"
	"Frame sizes count the 4-byte FCS. Flows vary the source port from\n"
	"--sport (1024) up, and the source address's low 16 bits when the ports\n"
	"run out or --src-addrs asks. The sink counts and drops (--pass: passes\n"
	"to the stack) what arrives, until SIGINT, the duration, or MS idle.\n";

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

static int usage_error(const char *opt, const char *val, const char *why)
{
	if (val)
		error("%s %s: %s", opt, val, why);
	else
		error("%s: %s", opt, why);
	fprintf(stderr, "%s", usage_text);
	return EXIT_USAGE;
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

enum {
	OPT_DEV = 256, OPT_DST_MAC, OPT_SRC_MAC, OPT_SRC, OPT_DST, OPT_DPORT,
	OPT_PROTO, OPT_SIZE, OPT_FLOWS, OPT_COUNT, OPT_DURATION, OPT_RATE,
	OPT_VLAN, OPT_SPORT, OPT_SRC_ADDRS, OPT_BATCH, OPT_CPU, OPT_JSON,
	OPT_IDLE, OPT_PASS, OPT_PORTS, OPT_HELP, OPT_VERSION,
};

static const struct option options[] = {
	{ "dev", required_argument, NULL, OPT_DEV },
	{ "dst-mac", required_argument, NULL, OPT_DST_MAC },
	{ "src-mac", required_argument, NULL, OPT_SRC_MAC },
	{ "src", required_argument, NULL, OPT_SRC },
	{ "dst", required_argument, NULL, OPT_DST },
	{ "dport", required_argument, NULL, OPT_DPORT },
	{ "proto", required_argument, NULL, OPT_PROTO },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "flows", required_argument, NULL, OPT_FLOWS },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "vlan", required_argument, NULL, OPT_VLAN },
	{ "sport", required_argument, NULL, OPT_SPORT },
	{ "src-addrs", required_argument, NULL, OPT_SRC_ADDRS },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "cpu", required_argument, NULL, OPT_CPU },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "until-idle", required_argument, NULL, OPT_IDLE },
	{ "pass", no_argument, NULL, OPT_PASS },
	{ "ports", no_argument, NULL, OPT_PORTS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{},
};

/* Everything either command takes; each checks what applies to it. */
struct cli {
	bool sink;
	const char *dev, *src, *dst, *proto_name;
	bool have_dst_mac, have_src_mac, json, pass, ports;
	struct tg_spec spec;
	struct tg_run_opts run;
	unsigned long long cpu;
	bool pin;
	unsigned long long idle_ms;
};

static int parse_args(int argc, char **argv, struct cli *c)
{
	unsigned long long v;
	int opt;

	c->spec.proto = IPPROTO_UDP;
	c->proto_name = "udp";
	while ((opt = getopt_long(argc, argv, "v", options, NULL)) != -1) {
		const char *name = "?";
		char flag[32];

		for (const struct option *o = options; o->name; o++)
			if (o->val == opt)
				name = o->name;
		snprintf(flag, sizeof(flag), "--%s", name);
		switch (opt) {
		case OPT_DEV:
			c->dev = optarg;
			break;
		case OPT_DST_MAC:
		case OPT_SRC_MAC:
			if (xlb_mac_parse(optarg, opt == OPT_DST_MAC ?
							  c->spec.dst_mac :
							  c->spec.src_mac))
				return usage_error(flag, optarg,
						   "not a MAC address (aa:bb:cc:dd:ee:ff)");
			*(opt == OPT_DST_MAC ? &c->have_dst_mac :
					       &c->have_src_mac) = true;
			break;
		case OPT_SRC:
			c->src = optarg;
			break;
		case OPT_DST:
			c->dst = optarg;
			break;
		case OPT_DPORT:
			if (parse_u64(optarg, 1, 65535, &v))
				return usage_error(flag, optarg, "not a port (1..65535)");
			c->spec.dport = (uint16_t)v;
			break;
		case OPT_PROTO:
			c->proto_name = optarg;
			if (!strcmp(optarg, "udp")) {
				c->spec.proto = IPPROTO_UDP;
			} else if (!strcmp(optarg, "tcp-syn")) {
				c->spec.proto = IPPROTO_TCP;
				c->spec.tcp_flags = 0x02;
			} else if (!strcmp(optarg, "tcp-ack")) {
				c->spec.proto = IPPROTO_TCP;
				c->spec.tcp_flags = 0x10;
			} else {
				return usage_error(flag, optarg,
						   "not one of tcp-syn, tcp-ack, udp");
			}
			break;
		case OPT_SIZE:
			if (parse_u64(optarg, TG_FRAME_MIN, TG_FRAME_MAX, &v))
				return usage_error(flag, optarg,
						   "not a frame size in 64..1500");
			c->spec.frame_bytes = (uint16_t)v;
			break;
		case OPT_FLOWS:
			if (parse_u64(optarg, 1, UINT32_MAX, &v))
				return usage_error(flag, optarg, "not a count >= 1");
			c->spec.flows = (uint32_t)v;
			break;
		case OPT_COUNT:
			if (parse_u64(optarg, 1, UINT64_MAX, &v))
				return usage_error(flag, optarg, "not a count >= 1");
			c->run.count = v;
			break;
		case OPT_DURATION:
			if (parse_seconds(optarg, &c->run.duration))
				return usage_error(flag, optarg,
						   "not a number of seconds > 0");
			break;
		case OPT_RATE:
			if (parse_u64(optarg, 0, 1000000000, &v))
				return usage_error(flag, optarg,
						   "not a rate in packets per second (0 = max)");
			c->run.rate = v;
			break;
		case OPT_VLAN:
			if (parse_u64(optarg, 1, 4094, &v))
				return usage_error(flag, optarg, "not a VLAN id (1..4094)");
			c->spec.vlan = (uint16_t)v;
			break;
		case OPT_SPORT:
			if (parse_u64(optarg, 1, 65535, &v))
				return usage_error(flag, optarg, "not a port (1..65535)");
			c->spec.sport_min = (uint16_t)v;
			break;
		case OPT_SRC_ADDRS:
			if (parse_u64(optarg, 1, 65536, &v))
				return usage_error(flag, optarg, "not in 1..65536");
			c->spec.src_addrs = (uint32_t)v;
			break;
		case OPT_BATCH:
			if (parse_u64(optarg, 1, TG_BATCH_MAX, &v))
				return usage_error(flag, optarg, "not in 1..256");
			c->run.batch = (uint32_t)v;
			break;
		case OPT_CPU:
			if (parse_u64(optarg, 0, CPU_SETSIZE - 1, &c->cpu))
				return usage_error(flag, optarg, "not a CPU number");
			c->pin = true;
			break;
		case OPT_JSON:
			c->json = true;
			break;
		case OPT_IDLE:
			if (parse_u64(optarg, 1, 86400000, &c->idle_ms))
				return usage_error(flag, optarg,
						   "not a number of milliseconds >= 1");
			break;
		case OPT_PASS:
			c->pass = true;
			break;
		case OPT_PORTS:
			c->ports = true;
			break;
		case 'v':
			verbose = true;
			break;
		case OPT_HELP:
			printf("%s", usage_text);
			exit(EXIT_OK);
		case OPT_VERSION:
			printf("%s %s\n", PROG, xlb_version());
			exit(EXIT_OK);
		default:
			fprintf(stderr, "%s", usage_text);
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error(argv[optind], NULL, "unexpected argument");
	if (!c->dev)
		return usage_error("--dev", NULL, "required");
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

	if (c->src || c->dst || c->have_dst_mac || c->have_src_mac ||
	    c->spec.dport || c->run.count || c->run.rate || c->spec.flows)
		return usage_error("sink", NULL,
				   "takes --dev, --duration, --until-idle, --pass, --ports, --json");
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

	if (!c->have_dst_mac)
		return usage_error("--dst-mac", NULL, "required");
	if (!c->src || !c->dst)
		return usage_error(c->src ? "--dst" : "--src", NULL, "required");
	if (!c->spec.dport)
		return usage_error("--dport", NULL, "required");
	if (c->run.count && c->run.duration > 0)
		return usage_error("--count", NULL, "give --count or --duration, not both");
	if (c->idle_ms || c->pass || c->ports)
		return usage_error("--until-idle, --pass, --ports", NULL,
				   "are sink options");
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
			error("--cpu %llu: %s", c->cpu, strerror(errno));
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
		       c->dev, c->proto_name, info.family,
		       info.frame_len + TG_FCS, info.nflows, info.naddrs,
		       (unsigned long long)c->run.rate,
		       (unsigned long long)r.packets,
		       (unsigned long long)r.bytes, r.seconds, pps, pps / 1e6,
		       gbps, (unsigned long long)r.tx_dropped, xmit);
	} else {
		printf("sent %llu packets on %s in %.3f s: %.3f Mpps, %.3f Gbit/s "
		       "(%s, IPv%d, %u-byte frames, %u flows)\n",
		       (unsigned long long)r.packets, c->dev, r.seconds,
		       pps / 1e6, gbps, c->proto_name, info.family,
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
	struct cli c = {};
	int ret;

	if (argc > 1 && !strcmp(argv[1], "sink")) {
		c.sink = true;
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	ret = parse_args(argc, argv, &c);
	if (ret)
		return ret;
	libbpf_set_print(libbpf_quiet);
	install_signals();
	return c.sink ? run_sink(&c) : run_gen(&c);
}
