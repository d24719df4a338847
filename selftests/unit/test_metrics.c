// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The observability endpoint: the Prometheus text writer (HELP and TYPE,
 * names, label escaping, numbers), the metrics.listen config key, and
 * /metrics rendered from a real xlbd on real pinned maps, whose per-CPU
 * counters the test fills with known values: every family has HELP and
 * TYPE, and every value equals what lib/stats reads from the maps.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include "lib/loader.h"

#include "config/config.h"
#include "lib/log.h"
#include "lib/prom.h"
#include "lib/stats.h"
#include "xlbd/apply.h"
#include "xlbd/daemon.h"
#include "xlbd/edit.h"
#include "xlbd/metrics.h"

/* ---- the writer ----------------------------------------------------------- */

Test(prom, family_has_help_and_type)
{
	struct xlb_prom p;

	xlb_prom_init(&p);
	xlb_prom_family(&p, "xlb_x_total", "counter", "a \\ b\nc");
	xlb_prom_u64(&p, "xlb_x_total", 7, NULL);
	cr_assert_eq(xlb_prom_done(&p), 0);
	cr_expect_str_eq(p.buf,
			 "# HELP xlb_x_total a \\\\ b\\nc\n"
			 "# TYPE xlb_x_total counter\n"
			 "xlb_x_total 7\n",
			 "HELP escapes backslash and newline: got\n%s", p.buf);
	xlb_prom_free(&p);
}

Test(prom, label_values_are_escaped)
{
	struct xlb_prom p;

	xlb_prom_init(&p);
	xlb_prom_u64(&p, "m", 1, "vip", "a\"b\\c\nd", "x", "", NULL);
	cr_assert_eq(xlb_prom_done(&p), 0);
	cr_expect_str_eq(p.buf, "m{vip=\"a\\\"b\\\\c\\nd\",x=\"\"} 1\n",
			 "quote, backslash and newline escaped: got %s", p.buf);
	xlb_prom_free(&p);
}

Test(prom, bad_names_are_refused)
{
	struct xlb_prom p;

	xlb_prom_init(&p);
	xlb_prom_u64(&p, "ok_name", 1, "bad-label", "v", NULL);
	cr_expect_eq(xlb_prom_done(&p), -EINVAL, "a label with '-' is refused");
	xlb_prom_free(&p);
	xlb_prom_init(&p);
	xlb_prom_family(&p, "9lives", "gauge", "x");
	cr_expect_eq(xlb_prom_done(&p), -EINVAL,
		     "a name starting with a digit");
	xlb_prom_free(&p);
	cr_expect(xlb_prom_name_ok("a:b_c9", 1));
	cr_expect(!xlb_prom_name_ok("a:b", 0), "no ':' in label names");
}

Test(prom, numbers)
{
	struct xlb_prom p;

	xlb_prom_init(&p);
	xlb_prom_u64(&p, "a", 18446744073709551615ull, NULL);
	xlb_prom_f64(&p, "b", 0.1, NULL);
	xlb_prom_f64(&p, "c", NAN, NULL);
	xlb_prom_f64(&p, "d", -INFINITY, NULL);
	xlb_prom_f64(&p, "e", 1796412627.7468669, NULL);
	cr_assert_eq(xlb_prom_done(&p), 0);
	cr_expect_str_eq(p.buf,
			 "a 18446744073709551615\nb 0.1\nc NaN\n"
			 "d -Inf\ne 1796412627.7468669\n",
			 "got\n%s", p.buf);
	xlb_prom_free(&p);
}

/* ---- metrics.listen --------------------------------------------------------- */

static int parse(const char *text, struct xlb_cfg *c, char *err)
{
	return xlb_cfg_parse("t.yaml", text, strlen(text), c, err, XLB_ERR_MAX);
}

Test(metrics_cfg, listen_forms)
{
	static const struct {
		const char *yaml, *want;
	} ok[] = {
		{ "metrics: { listen: 127.0.0.1:9642 }\n", "127.0.0.1:9642" },
		{ "metrics: { listen: 9642 }\n", "127.0.0.1:9642" },
		{ "metrics: { listen: '[::1]:9000' }\n", "[::1]:9000" },
		{ "metrics: { listen: 0.0.0.0:80 }\n", "0.0.0.0:80" },
	};
	char err[XLB_ERR_MAX];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct xlb_cfg c, back;
		char *buf = NULL;
		size_t len = 0;
		FILE *f;

		cr_assert_eq(parse(ok[i].yaml, &c, err), 0, "%s: %s",
			     ok[i].yaml, err);
		cr_expect_neq(c.metrics_port, 0, "%s: on", ok[i].yaml);
		f = open_memstream(&buf, &len);
		cr_assert_eq(xlb_cfg_write(&c, f), 0);
		fclose(f);
		cr_expect(strstr(buf, ok[i].want), "%s: written as %s:\n%s",
			  ok[i].yaml, ok[i].want, buf);
		cr_assert_eq(parse(buf, &back, err), 0, "%s", err);
		cr_expect(xlb_cfg_equal(&c, &back), "%s: round trip",
			  ok[i].yaml);
		free(buf);
		xlb_cfg_free(&c);
		xlb_cfg_free(&back);
	}
}

Test(metrics_cfg, off_by_default_and_changes_count)
{
	struct xlb_cfg a, b;
	char err[XLB_ERR_MAX];

	cr_assert_eq(parse("mtu: 1500\n", &a, err), 0, "%s", err);
	cr_expect_eq(a.metrics_port, 0, "no metrics section: off");
	cr_assert_eq(parse("mtu: 1500\nmetrics: { listen: 9642 }\n", &b, err),
		     0, "%s", err);
	cr_expect(!xlb_cfg_equal(&a, &b),
		  "a reload that turns metrics on is a change");
	xlb_cfg_free(&a);
	xlb_cfg_free(&b);
}

Test(metrics_cfg, bad_listen_names_file_line)
{
	static const struct {
		const char *yaml, *want;
	} bad[] = {
		{ "mtu: 1500\nmetrics:\n  listen: 127.0.0.1:0\n",
		  "t.yaml:3: metrics.listen: port: " },
		{ "mtu: 1500\nmetrics:\n  listen: '::1:80'\n",
		  "t.yaml:3: metrics.listen: expected ADDR:PORT" },
		{ "metrics:\n  listen: 'localhost:80'\n",
		  "t.yaml:2: metrics.listen: \"localhost\" is not an IPv4 address" },
		{ "metrics:\n  port: 80\n",
		  "t.yaml:2: metrics.port: unknown key" },
		{ "metrics: { }\n", "metrics.listen: missing" },
		{ "metrics:\n  listen: 65536\n",
		  "t.yaml:2: metrics.listen: port:" },
	};
	char err[XLB_ERR_MAX];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xlb_cfg c;

		cr_expect_neq(parse(bad[i].yaml, &c, err), 0, "%s is refused",
			      bad[i].yaml);
		cr_expect(strstr(err, bad[i].want), "%s: want \"%s\" in: %s",
			  bad[i].yaml, bad[i].want, err);
	}
}

/* ---- /metrics from a real xlbd ---------------------------------------------- */

static struct xlbd d;
static struct xlbd_metrics *m;
static char dir[128], cfg_path[160], pin[128];

static void rm_pins(void)
{
	xlb_pins_remove(pin);
}

static void setup(void)
{
	char err[XLB_ERR_MAX];
	FILE *f;

	xlb_log_init("xlb-test", XLB_LOG_INFO);
	snprintf(dir, sizeof(dir), "/tmp/xlb-metrics-%d", getpid());
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/xlb-metrics-%d", getpid());
	snprintf(cfg_path, sizeof(cfg_path), "%s/xlb.yaml", dir);
	cr_assert_eq(mkdir(dir, 0700), 0, "test dir %s is created", dir);
	f = fopen(cfg_path, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"pin_dir: %s\n"
		"maglev_size: 251\n"
		"encap: { source4: 198.18.0.2, source6: '2001:db8:1::2' }\n"
		"nexthop: { mac: '02:00:00:00:0a:fe' }\n"
		"backends:\n"
		"  - { id: 1, address: 198.18.0.11 }\n"
		"  - { id: 2, address: 198.18.0.12 }\n"
		"  - { id: 7, address: '2001:db8:1::17' }\n"
		"vips:\n"
		"  - { name: web, address: 192.0.2.10, port: 80, protocol: tcp,\n"
		"      backends: [ { id: 1 }, { id: 2, weight: 3 } ] }\n"
		"  - { name: web6, address: '2001:db8::10', port: 443,\n"
		"      protocol: tcp, backends: [ { id: 7 } ] }\n",
		pin);
	fclose(f);
	cr_assert_eq(xlbd_start(&d, cfg_path, err, sizeof(err)), 0, "%s", err);
	m = xlbd_metrics_new(&d, NULL, err, sizeof(err));
	cr_assert_not_null(m, "%s", err);
}

static void teardown(void)
{
	xlbd_metrics_free(m);
	xlbd_stop(&d);
	rm_pins();
	unlink(cfg_path);
	rmdir(dir);
}

/*
 * Writes per-CPU entry @key of @fd: CPU c gets (base + c) in each of its
 * @nwords u64s, so the sum over CPUs is what no single CPU holds.
 */
static void fill(int fd, __u32 key, size_t nwords, __u64 base)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *v = calloc((size_t)ncpu * nwords, sizeof(*v));

	cr_assert(ncpu > 0 && v);
	for (int c = 0; c < ncpu; c++)
		for (size_t w = 0; w < nwords; w++)
			v[(size_t)c * nwords + w] = base * (w + 1) + (__u64)c;
	cr_assert_eq(bpf_map_update_elem(fd, &key, v, BPF_ANY), 0,
		     "per-CPU entry %u is written", key);
	free(v);
}

static char *render(void)
{
	struct xlb_prom p;
	char *out;

	xlb_prom_init(&p);
	cr_assert_eq(xlbd_metrics_render(m, &p), 0, "/metrics renders");
	out = strdup(p.buf);
	xlb_prom_free(&p);
	return out;
}

/* The value of the sample line that starts with @head ("name{...}"). */
static int value_of(const char *text, const char *head, double *out)
{
	const char *s = text;
	size_t n = strlen(head);

	while ((s = strstr(s, head))) {
		if ((s == text || s[-1] == '\n') && s[n] == ' ') {
			*out = strtod(s + n + 1, NULL);
			return 0;
		}
		s += n;
	}
	return -1;
}

static double must(const char *text, const char *head)
{
	double v = -1;

	cr_assert_eq(value_of(text, head, &v), 0, "/metrics has %s", head);
	return v;
}

TestSuite(metrics, .init = setup, .fini = teardown);

Test(metrics, every_family_has_help_and_type_once)
{
	char *text = render(), *save = NULL, *line;
	char seen[256][96];
	size_t nseen = 0;
	char help[96] = "", type[96] = "";
	unsigned int samples = 0;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[96];
		size_t n;

		if (!strncmp(line, "# HELP ", 7)) {
			sscanf(line + 7, "%95s", help);
			for (size_t i = 0; i < nseen; i++)
				cr_expect_str_neq(seen[i], help,
						  "family %s appears once",
						  help);
			cr_assert_lt(nseen, 256);
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", help);
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			sscanf(line + 7, "%95s", type);
			cr_expect_str_eq(type, help, "TYPE follows HELP of %s",
					 help);
			continue;
		}
		n = strcspn(line, "{ ");
		cr_assert_lt(n, sizeof(name));
		snprintf(name, sizeof(name), "%.*s", (int)n, line);
		cr_expect_str_eq(name, type,
				 "sample %s sits under its own HELP/TYPE (%s)",
				 line, type);
		samples++;
	}
	cr_expect_gt(nseen, 25, "the endpoint has its families (%zu)", nseen);
	cr_expect_gt(samples, 60, "and their samples (%u)", samples);
	free(text);
}

Test(metrics, values_equal_the_maps)
{
	struct xlb_counter ctr[XLB_STAT_MAX], be;
	struct xlb_vip_stats vs;
	char head[160], *text;
	int web, web6;

	/* known, different values in every counter the endpoint reads */
	for (__u32 i = 0; i < XLB_STAT_MAX; i++)
		fill(d.maps.stats, i, 2, 1000 + 10 * i);
	web = xlb_vip_id_of(&d.maps, xlb_cfg_vip_find(&d.running, "web"));
	web6 = xlb_vip_id_of(&d.maps, xlb_cfg_vip_find(&d.running, "web6"));
	cr_assert(web >= 0 && web6 >= 0);
	fill(d.maps.vip_stats, (__u32)web, 4, 5000);
	fill(d.maps.vip_stats, (__u32)web6, 4, 7000);
	fill(d.maps.backend_stats, 1, 2, 100);
	fill(d.maps.backend_stats, 2, 2, 200);
	fill(d.maps.backend_stats, 7, 2, 700);
	text = render();

	cr_assert_eq(xlb_stats_read_all(&d.maps, ctr), XLB_STAT_MAX);
	for (int i = 0; i < XLB_STAT_MAX; i++) {
		snprintf(head, sizeof(head),
			 "xlb_packets_total{outcome=\"%s\",verdict=\"%s\"}",
			 xlb_stat_descs[i].name,
			 xlb_verdict_class_name(xlb_stat_descs[i].verdict));
		cr_expect_eq(must(text, head), (double)ctr[i].packets, "%s",
			     head);
		cr_expect_gt(ctr[i].packets, 0, "the test wrote %s", head);
		snprintf(head, sizeof(head),
			 "xlb_bytes_total{outcome=\"%s\",verdict=\"%s\"}",
			 xlb_stat_descs[i].name,
			 xlb_verdict_class_name(xlb_stat_descs[i].verdict));
		cr_expect_eq(must(text, head), (double)ctr[i].bytes, "%s",
			     head);
	}
	cr_assert_eq(xlb_vip_stats_read(&d.maps, (__u32)web, &vs), 0);
	cr_expect_eq(must(text, "xlb_vip_packets_total{vip=\"web\"}"),
		     (double)vs.packets);
	cr_expect_eq(must(text, "xlb_vip_bytes_total{vip=\"web\"}"),
		     (double)vs.bytes);
	cr_expect_eq(must(text, "xlb_vip_new_flows_total{vip=\"web\"}"),
		     (double)vs.new_flows);
	cr_assert_eq(xlb_vip_stats_read(&d.maps, (__u32)web6, &vs), 0);
	cr_expect_eq(must(text, "xlb_vip_packets_total{vip=\"web6\"}"),
		     (double)vs.packets);
	cr_assert_eq(xlb_backend_stats_read(&d.maps, 7, &be), 0);
	cr_expect_eq(must(text, "xlb_backend_packets_total{backend=\"7\","
				"address=\"2001:db8:1::17\"}"),
		     (double)be.packets);
	cr_expect_eq(must(text, "xlb_backend_bytes_total{backend=\"7\","
				"address=\"2001:db8:1::17\"}"),
		     (double)be.bytes);
	cr_assert_eq(xlb_backend_stats_read(&d.maps, 2, &be), 0);
	cr_expect_eq(must(text, "xlb_backend_packets_total{backend=\"2\","
				"address=\"198.18.0.12\"}"),
		     (double)be.packets);
	cr_expect_eq(
		must(text,
		     "xlb_conntrack_inserts_refused_total{reason=\"map_refused\"}"),
		(double)ctr[XLB_EV_CT_INSERT_FAILED].packets);
	cr_expect_eq(must(text, "xlb_conntrack_entries_limit"),
		     (double)d.ct_size);
	free(text);
}

Test(metrics, admin_state_follows_the_model)
{
	struct xlb_apply_stats st;
	char err[XLB_ERR_MAX], *text;
	double fp0, fp1;

	text = render();
	cr_expect_eq(must(text,
			  "xlb_vip_backend_weight{vip=\"web\",backend=\"2\"}"),
		     3);
	cr_expect_eq(must(text,
			  "xlb_vip_backend_drained{vip=\"web\",backend=\"2\"}"),
		     0);
	cr_expect_eq(must(text, "xlb_maglev_table_generation{vip=\"web\"}"), 1);
	fp0 = must(text, "xlb_maglev_table_fingerprint{vip=\"web\"}");
	free(text);

	cr_assert_eq(xlb_edit_backend_drain(&d, "web", 2, &st, err,
					    sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(xlb_edit_backend_health(&d, 1, false, &st, err,
					     sizeof(err)),
		     0, "%s", err);
	text = render();
	cr_expect_eq(must(text,
			  "xlb_vip_backend_weight{vip=\"web\",backend=\"2\"}"),
		     0, "a drained backend has weight 0 in the table");
	cr_expect_eq(
		must(text,
		     "xlb_vip_backend_configured_weight{vip=\"web\",backend=\"2\"}"),
		3, "and keeps its configured weight");
	cr_expect_eq(must(text,
			  "xlb_vip_backend_drained{vip=\"web\",backend=\"2\"}"),
		     1);
	cr_expect_eq(
		must(text,
		     "xlb_backend_up{backend=\"1\",address=\"198.18.0.11\"}"),
		0, "backend 1 is down in the model");
	cr_expect_eq(
		must(text,
		     "xlb_backend_up{backend=\"2\",address=\"198.18.0.12\"}"),
		1);
	fp1 = must(text, "xlb_maglev_table_fingerprint{vip=\"web\"}");
	cr_expect_neq(fp0, fp1,
		      "the table's inputs changed: a new fingerprint");
	cr_expect_eq(must(text, "xlb_maglev_table_generation{vip=\"web\"}"), 2);
	cr_expect_eq(must(text, "xlb_maglev_table_generation{vip=\"web6\"}"), 1,
		     "web6's table did not change");
	free(text);
}

static int not_synced(void *arg, char *why, size_t n)
{
	(void)arg;
	snprintf(why, n, "peer lb2: bulk resync at 40%%");
	return 1;
}

static void ext_prom(struct xlb_prom *p, void *arg)
{
	(void)arg;
	xlb_prom_family(p, "xlb_sync_lag_seconds", "gauge", "test family");
	xlb_prom_f64(p, "xlb_sync_lag_seconds", 0.25, "peer", "lb2", NULL);
}

Test(metrics, extensions_add_families_and_readiness)
{
	struct xlbd_metrics_ext e = { .name = "sync",
				      .prom = ext_prom,
				      .ready = not_synced };
	struct json_object *body, *checks, *v;
	char *text;

	cr_assert_eq(xlbd_metrics_healthz(m, &body), 200, "serving: 200");
	cr_expect_str_eq(
		json_object_get_string(json_object_object_get(body, "status")),
		"serving");
	json_object_put(body);
	cr_assert_eq(xlbd_metrics_register(m, &e), 0);
	text = render();
	cr_expect_eq(must(text, "xlb_sync_lag_seconds{peer=\"lb2\"}"), 0.25,
		     "an extension's family is in /metrics");
	free(text);
	cr_expect_eq(xlbd_metrics_healthz(m, &body), 503,
		     "a module not ready makes /healthz 503");
	checks = json_object_object_get(body, "checks");
	v = json_object_object_get(checks, "sync");
	cr_expect_str_eq(json_object_get_string(v),
			 "peer lb2: bulk resync at 40%");
	json_object_put(body);
}

Test(metrics, status_json_lists_vips_and_backends)
{
	struct json_object *s = xlbd_metrics_status(m), *vips, *v, *bs;

	vips = json_object_object_get(s, "vips");
	cr_assert_eq(json_object_array_length(vips), 2);
	v = json_object_array_get_idx(vips, 0);
	cr_expect_str_eq(
		json_object_get_string(json_object_object_get(v, "name")),
		"web");
	bs = json_object_object_get(v, "backends");
	cr_assert_eq(json_object_array_length(bs), 2);
	cr_expect_eq(json_object_get_int(json_object_object_get(
			     json_object_array_get_idx(bs, 1), "weight")),
		     3);
	cr_expect_eq(
		json_object_array_length(json_object_object_get(s, "backends")),
		3);
	cr_expect_eq(
		json_object_get_int(json_object_object_get(
			json_object_object_get(s, "conntrack"), "capacity")),
		(int)d.ct_size);
	json_object_put(s);
}

/* The status page tells a backup standing by from one serving. */
Test(metrics, status_json_says_benched_for_backups)
{
	struct xlb_cfg_ref *r = &d.running.vips[0].refs[1];
	struct json_object *s, *bs, *f;

	/* as a commit leaves it: a backup benched beside primary 1 */
	r->backup = true;
	r->benched = true;
	s = xlbd_metrics_status(m);
	bs = json_object_object_get(
		json_object_array_get_idx(json_object_object_get(s, "vips"), 0),
		"backends");
	f = json_object_object_get(json_object_array_get_idx(bs, 1), "benched");
	cr_assert_not_null(f, "a backup has benched");
	cr_expect(json_object_get_boolean(f), "true while it stands by");
	cr_expect_eq(json_object_get_int(json_object_object_get(
			     json_object_array_get_idx(bs, 1), "weight")),
		     0, "with weight 0");
	cr_expect_null(json_object_object_get(json_object_array_get_idx(bs, 0),
					      "benched"),
		       "a primary has none");
	json_object_put(s);
}
