// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the /metrics benchmark: xlbd started on a generated
 * config (1,000 VIPs x 10 backends, small tables so the start is quick),
 * the endpoint rendered RUNS times (median and worst reported, with the
 * size of the answer), and the timed conntrack walk over CT_FILL entries.
 * Each figure is checked to be the intended work: the render holds every
 * VIP's counter line, the walk counts every entry inserted.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include "config/config.h"
#include "lib/loader.h"
#include "lib/conntrack.h"
#include "lib/log.h"
#include "lib/prom.h"
#include "xlbd/daemon.h"
#include "xlbd/metrics.h"

#include "bench_metrics.h"

#define NVIPS 1000
#define NBE_PER_VIP 10
#define RUNS 15
#define CT_FILL 200000

static __u64 now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * 1000000000ull + (__u64)t.tv_nsec;
}

static __u64 cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (__u64)t.tv_sec * 1000000000ull + (__u64)t.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static void rm_pins(const char *pin)
{
	xlb_pins_remove(pin);
}

static int write_config(const char *path, const char *pin)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f,
		"pin_dir: %s\nmaglev_size: 251\n"
		"encap: { source4: 198.18.0.2 }\n"
		"nexthop: { mac: '02:00:00:00:0a:fe' }\n"
		"backends:\n",
		pin);
	for (int b = 1; b <= NVIPS * NBE_PER_VIP; b++)
		fprintf(f, "  - { id: %d, address: 10.%d.%d.%d }\n", b, b >> 16,
			(b >> 8) & 255, b & 255);
	fprintf(f, "vips:\n");
	for (int v = 0; v < NVIPS; v++) {
		fprintf(f,
			"  - { name: vip%d, address: 192.0.%d.%d, port: 80, "
			"protocol: tcp, backends: [",
			v, 2 + v / 250, 1 + v % 250);
		for (int k = 1; k <= NBE_PER_VIP; k++)
			fprintf(f, "%s{id: %d}", k > 1 ? ", " : "",
				v * NBE_PER_VIP + k);
		fprintf(f, "] }\n");
	}
	return fclose(f) ? -EIO : 0;
}

/* CT_FILL entries spread over the VIPs and their backends. */
static int fill_ct(struct xlbd *d)
{
	for (__u32 i = 0; i < CT_FILL; i++) {
		struct xlb_flow k = { .family = XLB_AF_INET, .proto = 6 };
		struct xlb_ct_entry e = { 0 };
		int rc;

		k.src.v4 = htonl(0x0a800000u + i);
		k.dst.v4 = htonl(0xc0000201u);
		k.sport = htons((__u16)(1024 + i % 60000));
		k.dport = htons(80);
		e.vip_id = (__u16)(i % NVIPS);
		e.backend_id = 1 + i % (NVIPS * NBE_PER_VIP);
		rc = xlb_ct_insert(d->maps.conntrack, &k, &e);
		if (rc)
			return rc;
	}
	return 0;
}

int bench_metrics_run(FILE *md, FILE *json)
{
	char dir[64], cfg[96], pin[96], err[XLB_ERR_MAX];
	struct xlbd_metrics *m = NULL;
	__u64 ns[RUNS], cpu[RUNS], t0, c0, walk_ns;
	unsigned int slices = 0;
	size_t bytes = 0, lines = 0;
	struct xlbd d;
	int rc;

	xlb_log_init("xlb-bench", XLB_LOG_ERR);
	snprintf(dir, sizeof(dir), "/tmp/xlb-bench-metrics-%d", getpid());
	snprintf(cfg, sizeof(cfg), "%s/xlb.yaml", dir);
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/xlb-bench-metrics-%d",
		 getpid());
	if (mkdir(dir, 0700))
		return -errno;
	rc = write_config(cfg, pin);
	if (rc)
		goto out_dir;
	rc = xlbd_start(&d, cfg, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "bench metrics: %s\n", err);
		goto out_dir;
	}
	m = xlbd_metrics_new(&d, NULL, err, sizeof(err));
	if (!m) {
		fprintf(stderr, "bench metrics: %s\n", err);
		rc = -ENOMEM;
		goto out;
	}
	for (int r = 0; r < RUNS; r++) {
		struct xlb_prom p;

		xlb_prom_init(&p);
		t0 = now_ns();
		c0 = cpu_ns();
		rc = xlbd_metrics_render(m, &p);
		cpu[r] = cpu_ns() - c0;
		ns[r] = now_ns() - t0;
		/* the intended work: every VIP's packet counter is there */
		if (!rc &&
		    !strstr(p.buf, "xlb_vip_packets_total{vip=\"vip999\"} "))
			rc = -EIO;
		bytes = p.len;
		lines = 0;
		for (size_t i = 0; i < p.len; i++)
			lines += p.buf[i] == '\n';
		xlb_prom_free(&p);
		if (rc)
			goto out;
	}
	qsort(ns, RUNS, sizeof(ns[0]), cmp_u64);
	qsort(cpu, RUNS, sizeof(cpu[0]), cmp_u64);
	rc = fill_ct(&d);
	if (rc)
		goto out;
	/* the reaper's slices, back to back, until one pass is complete */
	t0 = now_ns();
	do {
		long r = xlbd_ct_reap(&d);

		if (r < 0) {
			rc = (int)r;
			goto out;
		}
		slices++;
	} while (!d.census.valid);
	walk_ns = now_ns() - t0;
	xlbd_metrics_ct_refresh(m);
	{
		struct json_object *s = xlbd_metrics_status(m);
		struct json_object *ct = json_object_object_get(s, "conntrack");
		long long n = json_object_get_int64(
			json_object_object_get(ct, "active"));

		json_object_put(s);
		if (n != CT_FILL) {
			fprintf(stderr,
				"bench metrics: the reaper counted %lld of %d\n",
				n, CT_FILL);
			rc = -EIO;
			goto out;
		}
	}
	fprintf(md,
		"\n### /metrics scrape, %d VIPs x %d backends (%d renders)\n\n"
		"| what | wall ms | CPU ms | |\n|---|---:|---:|---|\n"
		"| render /metrics, median | %.2f | %.2f | %zu lines, %zu KiB |\n"
		"| render /metrics, worst | %.2f | %.2f | |\n"
		"| conntrack pass, %d entries (%u reaper slices of %d, one "
		"every %d ms) | %.2f | | |\n",
		NVIPS, NBE_PER_VIP, RUNS, ns[RUNS / 2] / 1e6,
		cpu[RUNS / 2] / 1e6, lines, bytes / 1024, ns[RUNS - 1] / 1e6,
		cpu[RUNS - 1] / 1e6, CT_FILL, slices, XLBD_CT_REAP_BUDGET,
		XLBD_CT_REAP_MS, walk_ns / 1e6);
	if (json)
		fprintf(json,
			"{\"bench\":\"metrics_scrape\",\"vips\":%d,\"backends\":%d,"
			"\"render_ns_median\":%llu,\"render_ns_max\":%llu,"
			"\"render_cpu_ns_median\":%llu,"
			"\"bytes\":%zu,\"lines\":%zu,\"runs\":%d},\n"
			"{\"bench\":\"metrics_ct_walk\",\"entries\":%d,\"walk_ns\":%llu}",
			NVIPS, NVIPS * NBE_PER_VIP,
			(unsigned long long)ns[RUNS / 2],
			(unsigned long long)ns[RUNS - 1],
			(unsigned long long)cpu[RUNS / 2], bytes, lines, RUNS,
			CT_FILL, (unsigned long long)walk_ns);
out:
	xlbd_metrics_free(m);
	xlbd_stop(&d);
	rm_pins(pin);
out_dir:
	unlink(cfg);
	rmdir(dir);
	return rc;
}
