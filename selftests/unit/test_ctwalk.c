// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the tests of the control requests that walk the whole
 * conntrack table (backend list, conntrack count, list and flush) served
 * by the real xlbd over real pinned maps on its event loop: over a table
 * of 1M entries their answers are exact, and while they walk, status
 * requests are answered within 100 ms (95% of them, as a shared host may
 * hold the test's own threads longer; none waits for half the walk),
 * where a walk in one go held the loop for the whole table. The server's
 * answer deadline (300 ms) is shorter than
 * any walk here: each slice moves it. Several walks at once, a reload
 * between slices, clients that leave (reads stop, a flush goes on) and a
 * server freed mid-walk are covered too.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <criterion/criterion.h>

#include "lib/conntrack.h"
#include "lib/ctl.h"
#include "lib/loader.h"
#include "lib/log.h"
#include "xlbd/apply.h"
#include "xlbd/ctl_server.h"
#include "xlbd/daemon.h"
#include "xlbd/loop.h"
#include "ctl_reply.h"

#define NFLOWS 1000000u /* the bulk: backends 1..3 over web, dsr, web6 */
#define NRARE 7u /* to VIP rare: a filter matching few in a big table */
#define PING_MS 100.0 /* status's bound while a walk runs */
#define ANSWER_MS 300 /* the server's answer deadline: walks take longer */

static struct {
	char dir[128], path[192], cfg[192], pin[128];
	struct xlbd d;
	bool started;
	struct xlbd_loop *l;
	struct xlbd_ctl *ctl;
	int lfd, stop[2];
	pthread_t th;
	bool running;
	/* what was inserted */
	long per_be[4][2]; /* [backend][active, closing] */
	long per_vip[4]; /* web, dsr, web6, rare */
} S;

static const char *const vip_names[] = { "web", "dsr", "web6", "rare" };

static const char cfg_text[] =
	"pin_dir: %s\n"
	"maglev_size: 1009\n"
	"conntrack: { entries: 2097152 }\n"
	"encap: { source4: 198.18.0.2, source6: '2001:db8:1::2' }\n"
	"nexthop: { mac: '02:00:00:00:0a:fe' }\n"
	"backends:\n"
	"  - { id: 1, address: 198.18.0.11, mac: '02:00:00:00:01:01' }\n"
	"  - { id: 2, address: 198.18.0.12, mac: '02:00:00:00:01:02' }\n"
	"  - { id: 3, address: '2001:db8:1::13' }\n"
	"vips:\n"
	"  - { name: web, address: 192.0.2.10, port: 80, protocol: tcp,\n"
	"      backends: [ { id: 1 }, { id: 2 } ] }\n"
	"  - { name: dsr, address: 192.0.2.30, port: 80, protocol: tcp,\n"
	"      mode: l2dsr, backends: [ { id: 1 }, { id: 2 } ] }\n"
	"  - { name: web6, address: '2001:db8::10', port: 443, protocol: tcp,\n"
	"      backends: [ { id: 3 } ] }\n"
	"  - { name: rare, address: 192.0.2.40, port: 80, protocol: tcp,\n"
	"      backends: [ { id: 1 } ] }\n";

static struct json_object *handler(struct json_object *req, void *arg)
{
	(void)arg;
	return xlbd_handle(&S.d, req);
}

static void on_stop(int fd, unsigned int events, void *arg)
{
	char c;

	(void)events;
	if (read(fd, &c, 1) < 0)
		fprintf(stderr, "stop pipe: %s\n", strerror(errno));
	xlbd_loop_stop(arg);
}

static void *loop_main(void *arg)
{
	char err[256];

	(void)arg;
	if (xlbd_loop_run(S.l, err, sizeof(err)))
		fprintf(stderr, "loop: %s\n", err);
	return NULL;
}

static int vip_id(const char *name)
{
	int id = xlb_vip_id_of(&S.d.maps, xlb_cfg_vip_find(&S.d.running, name));

	cr_assert_geq(id, 0, "VIP %s has an id", name);
	return id;
}

/* Fills the table: NFLOWS to web/dsr/web6 plus NRARE to rare, counted. */
static void fill(void)
{
	struct xlb_flow *k = calloc(NFLOWS + NRARE, sizeof(*k));
	struct xlb_ct_entry *e = calloc(NFLOWS + NRARE, sizeof(*e));
	int ids[4];
	struct xlb_ct_spreader sp;
	__u64 now = xlb_ct_now();
	__u32 done;

	cr_assert(k && e);
	for (int v = 0; v < 4; v++)
		ids[v] = vip_id(vip_names[v]);
	for (__u32 i = 0; i < NFLOWS + NRARE; i++) {
		__u32 be = i < NFLOWS ? 1 + i % 3 : 1;
		int v = i >= NFLOWS ? 3 : be == 3 ? 2 : (i / 3) % 2;
		bool closing = i % 5 == 0;

		k[i].family = XLB_AF_INET;
		k[i].proto = IPPROTO_TCP;
		k[i].src.v4 = htonl(0x0a000000u + i);
		k[i].dst.v4 = htonl(0xc0000200u + 10 + (__u32)v);
		k[i].sport = htons((__u16)(1024 + i % 60000));
		k[i].dport = htons(80);
		e[i].backend_id = be;
		e[i].vip_id = (__u16)ids[v];
		e[i].flags = closing ? XLB_CT_F_CLOSING : 0;
		e[i].last_seen_ns = now;
		S.per_be[be][closing]++;
		S.per_vip[v]++;
	}
	cr_assert_eq(xlb_ct_spread_init(&sp), 0);
	cr_assert_eq(xlb_ct_insert_batch_spread(&sp, S.d.maps.conntrack, k, e,
						NFLOWS + NRARE, 0, &done),
		     0, "the batch insert takes every entry (%u written)",
		     done);
	xlb_ct_spread_end(&sp);
	free(k);
	free(e);
	cr_assert_eq(xlb_ct_count(S.d.maps.conntrack, NULL),
		     (long)(NFLOWS + NRARE), "the table holds them all");
}

static void start(void)
{
	char err[XLB_ERR_MAX], text[2048];
	FILE *f;

	signal(SIGPIPE, SIG_IGN); /* as xlbd does */
	xlb_log_init("xlb-test", XLB_LOG_INFO);
	snprintf(S.dir, sizeof(S.dir), "/tmp/xlb-ctwalk-XXXXXX");
	cr_assert_not_null(mkdtemp(S.dir), "temp dir: %s", strerror(errno));
	snprintf(S.path, sizeof(S.path), "%s/xlbd.sock", S.dir);
	snprintf(S.cfg, sizeof(S.cfg), "%s/xlb.yaml", S.dir);
	snprintf(S.pin, sizeof(S.pin), "/sys/fs/bpf/xlb-ctwalk-%d", getpid());
	f = fopen(S.cfg, "w");
	cr_assert_not_null(f);
	snprintf(text, sizeof(text), cfg_text, S.pin);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(xlbd_start(&S.d, S.cfg, err, sizeof(err)), 0,
		     "xlbd starts: %s", err);
	S.started = true;
	fill();
	S.lfd = xlb_ctl_listen(S.path, err, sizeof(err));
	cr_assert_geq(S.lfd, 0, "listen: %s", err);
	S.l = xlbd_loop_new(err, sizeof(err));
	cr_assert_not_null(S.l, "%s", err);
	cr_assert_eq(pipe2(S.stop, O_CLOEXEC), 0);
	cr_assert_not_null(xlbd_loop_fd(S.l, S.stop[0], XLBD_READ, on_stop, S.l,
					err, sizeof(err)),
			   "%s", err);
	/* an answer deadline shorter than any walk here: a walk is cut
	 * unless each slice moves its deadline */
	S.ctl = xlbd_ctl_new(S.l, S.lfd,
			     &(struct xlbd_ctl_opts){ .answer_ms = ANSWER_MS },
			     handler, NULL, err, sizeof(err));
	cr_assert_not_null(S.ctl, "the control server starts: %s", err);
	S.d.ctl = S.ctl; /* as xlbd_main does: walks answer later */
	cr_assert_eq(pthread_create(&S.th, NULL, loop_main, NULL), 0);
	S.running = true;
}

/* Stops the loop thread and frees the server (walks still pending too). */
static void stop_loop(void)
{
	if (!S.running)
		return;
	S.running = false;
	cr_assert_eq(write(S.stop[1], "x", 1), 1);
	pthread_join(S.th, NULL);
	S.d.ctl = NULL;
	xlbd_ctl_free(S.ctl);
	S.ctl = NULL;
}

static void fini(void)
{
	stop_loop();
	if (S.l)
		xlbd_loop_free(S.l);
	S.l = NULL;
	if (S.started)
		xlbd_stop(&S.d);
	S.started = false;
	xlb_pins_remove(S.pin);
	close(S.stop[0]);
	close(S.stop[1]);
	close(S.lfd);
	unlink(S.path);
	unlink(S.cfg);
	rmdir(S.dir);
}

TestSuite(ctwalk, .init = start, .fini = fini, .timeout = 300);

static struct json_object *call(const char *json, double *ms)
{
	return ctl_call_timed(S.path, json, ms);
}

static int64_t i_of(struct json_object *o, const char *k)
{
	return json_object_get_int64(json_object_object_get(o, k));
}

/* A request sent from its own thread; no cr_assert there. */
struct async {
	const char *json;
	pthread_t th;
	struct json_object *resp;
	char err[256];
	double ms;
	atomic_bool done;
};

static void *async_main(void *arg)
{
	struct async *a = arg;
	struct json_object *q = json_tokener_parse(a->json);
	double t = test_now_ms();

	a->resp = q ? xlb_ctl_call(S.path, q, a->err, sizeof(a->err)) : NULL;
	a->ms = test_now_ms() - t;
	json_object_put(q);
	atomic_store(&a->done, true);
	return NULL;
}

/* Status calls made while walks ran: how many, and how long they took. */
struct pings {
	int n;
	double worst, p95;
	double ms[1 << 16];
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Sends @n requests at once, each from its own thread, and pings with
 * status until every one is answered; @p says how the pings went.
 */
static void walk_with_pings(struct async *a, int n, struct pings *p)
{
	bool all;

	p->n = 0;
	p->worst = 0;
	for (int i = 0; i < n; i++) {
		atomic_init(&a[i].done, false);
		cr_assert_eq(pthread_create(&a[i].th, NULL, async_main, &a[i]),
			     0);
	}
	do {
		double ms;
		struct json_object *r = call("{\"cmd\":\"status\"}", &ms);

		cr_assert(reply_ok(r), "status answers: %s", reply_error(r));
		json_object_put(r);
		if (ms > p->worst)
			p->worst = ms;
		if (p->n < (int)(sizeof(p->ms) / sizeof(p->ms[0])))
			p->ms[p->n++] = ms;
		all = true;
		for (int i = 0; i < n; i++)
			all = all && atomic_load(&a[i].done);
	} while (!all);
	qsort(p->ms, (size_t)p->n, sizeof(p->ms[0]), cmp_double);
	p->p95 = p->ms[(p->n * 95) / 100];
	for (int i = 0; i < n; i++) {
		pthread_join(a[i].th, NULL);
		cr_assert_not_null(a[i].resp, "%s gets an answer: %s",
				   a[i].json, a[i].err);
		cr_assert(reply_ok(a[i].resp), "%s: %s", a[i].json,
			  reply_error(a[i].resp));
	}
}

/*
 * Status kept being answered all along a walk of @walk_ms: many times,
 * 95% of them within PING_MS, none waiting for half the walk. A walk
 * holding the loop lets one or two through, one of them after the walk.
 * (The worst alone is not asserted below PING_MS: on a shared host a
 * test process may lose the CPU for longer; it is logged.)
 */
static void check_pings(const struct pings *p, double walk_ms)
{
	cr_assert_geq(p->n, 20,
		      "status was answered %d times during a walk of %.0f ms",
		      p->n, walk_ms);
	cr_assert_lt(p->p95, PING_MS, "95%% of status calls within %.1f ms",
		     p->p95);
	cr_assert_lt(p->worst, walk_ms / 2,
		     "status took %.1f ms at worst, a walk %.0f ms", p->worst,
		     walk_ms);
}

static void check_backend_list(struct json_object *r)
{
	struct json_object *bs = json_object_object_get(r, "backends");

	cr_assert_eq(json_object_array_length(bs), 3, "three backends");
	for (size_t i = 0; i < 3; i++) {
		struct json_object *b = json_object_array_get_idx(bs, i);
		int64_t id = i_of(b, "id");

		cr_assert(id >= 1 && id <= 3);
		cr_assert_eq(i_of(b, "active_conns"), S.per_be[id][0],
			     "backend %lld: %lld active, %ld inserted",
			     (long long)id, (long long)i_of(b, "active_conns"),
			     S.per_be[id][0]);
		cr_assert_eq(i_of(b, "inactive_conns"), S.per_be[id][1],
			     "backend %lld: %lld closing, %ld inserted",
			     (long long)id,
			     (long long)i_of(b, "inactive_conns"),
			     S.per_be[id][1]);
	}
}

/*
 * The three read walks at once over 1M entries: exact answers, and status
 * is answered within PING_MS all along (a walk in one go holds the loop
 * for the whole table: 400 ms to seconds).
 */
Test(ctwalk, reads_over_a_big_table_are_exact_and_do_not_hold_the_loop)
{
	struct async a[] = {
		{ .json = "{\"cmd\":\"backend.list\"}" },
		{ .json = "{\"cmd\":\"conntrack.count\"}" },
		{ .json = "{\"cmd\":\"conntrack.count\",\"vip\":\"dsr\"}" },
		{ .json = "{\"cmd\":\"conntrack.list\",\"vip\":\"rare\"}" },
	};
	struct json_object *es;
	static struct pings p;

	walk_with_pings(a, 4, &p);

	check_backend_list(a[0].resp);
	cr_assert_eq(i_of(a[1].resp, "count"), (int64_t)(NFLOWS + NRARE),
		     "count: %lld", (long long)i_of(a[1].resp, "count"));
	cr_assert_eq(i_of(a[1].resp, "capacity"), 2097152);
	cr_assert_eq(i_of(a[2].resp, "count"), S.per_vip[1],
		     "count --vip dsr: %lld of %ld",
		     (long long)i_of(a[2].resp, "count"), S.per_vip[1]);
	es = json_object_object_get(a[3].resp, "entries");
	cr_assert_eq(json_object_array_length(es), NRARE,
		     "list --vip rare: %zu entries of %u",
		     json_object_array_length(es), NRARE);
	for (size_t i = 0; i < NRARE; i++) {
		struct json_object *e = json_object_array_get_idx(es, i);

		cr_assert_str_eq(json_object_get_string(
					 json_object_object_get(e, "vip")),
				 "rare");
		cr_assert_eq(i_of(e, "backend"), 1);
	}
	cr_log_info("4 walks of %u entries at once (%.0f..%.0f ms): %d status "
		    "calls meanwhile, p95 %.1f ms, worst %.1f ms",
		    NFLOWS + NRARE, a[3].ms, a[0].ms, p.n, p.p95, p.worst);
	check_pings(&p, a[3].ms < a[0].ms ? a[3].ms : a[0].ms);
	for (int i = 0; i < 4; i++)
		json_object_put(a[i].resp);
}

/* One walk alone, the figure the brief compares against the old code. */
Test(ctwalk, backend_list_alone_does_not_hold_the_loop)
{
	struct async a[] = { { .json = "{\"cmd\":\"backend.list\"}" } };
	static struct pings p;

	walk_with_pings(a, 1, &p);
	check_backend_list(a[0].resp);
	cr_log_info("backend list over %u entries took %.0f ms: %d status "
		    "calls meanwhile, p95 %.1f ms, worst %.1f ms",
		    NFLOWS + NRARE, a[0].ms, p.n, p.p95, p.worst);
	check_pings(&p, a[0].ms);
	json_object_put(a[0].resp);
}

/* Flush deletes as it goes: exactly the VIP's entries, the rest stay. */
Test(ctwalk, flush_of_a_vip_deletes_exactly_its_entries)
{
	struct async a[] = {
		{ .json = "{\"cmd\":\"conntrack.flush\",\"vip\":\"dsr\"}" },
	};
	struct json_object *r;
	static struct pings p;

	walk_with_pings(a, 1, &p);
	cr_assert_eq(i_of(a[0].resp, "flushed"), S.per_vip[1],
		     "flushed %lld of dsr's %ld",
		     (long long)i_of(a[0].resp, "flushed"), S.per_vip[1]);
	cr_assert_eq(i_of(a[0].resp, "capacity"), 2097152);
	cr_log_info("flush of %ld entries took %.0f ms: %d status calls "
		    "meanwhile, p95 %.1f ms, worst %.1f ms",
		    S.per_vip[1], a[0].ms, p.n, p.p95, p.worst);
	check_pings(&p, a[0].ms);
	json_object_put(a[0].resp);
	r = call("{\"cmd\":\"conntrack.count\",\"vip\":\"dsr\"}", NULL);
	cr_assert_eq(i_of(r, "count"), 0, "dsr has no entry left");
	json_object_put(r);
	r = call("{\"cmd\":\"conntrack.count\"}", NULL);
	cr_assert_eq(i_of(r, "count"), (int64_t)(NFLOWS + NRARE) - S.per_vip[1],
		     "every other entry stays (%lld)",
		     (long long)i_of(r, "count"));
	json_object_put(r);
	r = call("{\"cmd\":\"conntrack.count\",\"vip\":\"web6\"}", NULL);
	cr_assert_eq(i_of(r, "count"), S.per_vip[2]);
	json_object_put(r);
}

static int dial(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	cr_assert_geq(fd, 0);
	strcpy(sa.sun_path, S.path);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0,
		     "connect: %s", strerror(errno));
	return fd;
}

/* A request sent whole on a raw connection, its answer not read yet. */
static int send_raw(const char *json)
{
	int fd = dial();
	ssize_t len = (ssize_t)strlen(json);

	cr_assert_eq(write(fd, json, (size_t)len), len);
	cr_assert_eq(shutdown(fd, SHUT_WR), 0);
	return fd;
}

static unsigned int pending(void)
{
	/* read from this thread while the loop runs: a plain counter */
	return xlbd_ctl_pending(S.ctl);
}

/*
 * Clients that leave mid-walk cancel their walks (nothing is answered to
 * nobody, nothing leaks: the ASan build says so), a reload between slices
 * does not disturb a walk, and freeing the server with walks pending
 * answers them an error.
 */
Test(ctwalk, walks_end_cleanly_when_clients_leave_or_xlbd_stops)
{
	struct async a[] = { { .json = "{\"cmd\":\"backend.list\"}" } };
	struct json_object *r;
	char buf[512];
	double t;
	ssize_t n;
	int fd, fds[3];

	for (int i = 0; i < 3; i++)
		fds[i] = send_raw("{\"cmd\":\"backend.list\"}");
	t = test_now_ms();
	while (pending() < 3 && test_now_ms() - t < 5000)
		usleep(100);
	cr_assert_eq(pending(), 3, "the three walks are under way");
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	t = test_now_ms();
	while (pending() && test_now_ms() - t < 5000)
		usleep(100);
	t = test_now_ms() - t;
	cr_assert_eq(pending(), 0, "the walks of clients gone ended");
	/* three walks at once take over a second; cancelled, they end at
	 * their first slice */
	cr_log_info("3 walks whose clients left ended within %.0f ms", t);
	cr_assert_lt(t, 300.0, "they were cancelled, not run to the end "
			       "(%.0f ms)", t);

	/* a reload while a walk is under way */
	atomic_init(&a[0].done, false);
	cr_assert_eq(pthread_create(&a[0].th, NULL, async_main, &a[0]), 0);
	t = test_now_ms();
	while (!pending() && !atomic_load(&a[0].done) && test_now_ms() - t < 5000)
		usleep(100);
	r = call("{\"cmd\":\"reload\"}", NULL);
	cr_assert(reply_ok(r), "reload mid-walk: %s", reply_error(r));
	json_object_put(r);
	pthread_join(a[0].th, NULL);
	cr_assert_not_null(a[0].resp, "%s", a[0].err);
	cr_assert(reply_ok(a[0].resp), "%s", reply_error(a[0].resp));
	check_backend_list(a[0].resp);
	json_object_put(a[0].resp);

	/* a flush whose client left runs to its end, as any change */
	fd = send_raw("{\"cmd\":\"conntrack.flush\",\"vip\":\"dsr\"}");
	t = test_now_ms();
	while (!pending() && test_now_ms() - t < 5000)
		usleep(100);
	cr_assert_eq(pending(), 1, "the flush is under way");
	close(fd);
	t = test_now_ms();
	while (pending() && test_now_ms() - t < 30000)
		usleep(1000);
	cr_assert_eq(pending(), 0, "the flush ended");
	r = call("{\"cmd\":\"conntrack.count\",\"vip\":\"dsr\"}", NULL);
	cr_assert_eq(i_of(r, "count"), 0,
		     "the flush went to its end without its client (%lld "
		     "left)",
		     (long long)i_of(r, "count"));
	json_object_put(r);

	/* stopping with a walk pending: its client is told */
	fd = send_raw("{\"cmd\":\"conntrack.count\"}");
	t = test_now_ms();
	while (!pending() && test_now_ms() - t < 5000)
		usleep(100);
	cr_assert_eq(pending(), 1, "the count is under way");
	stop_loop();
	n = read(fd, buf, sizeof(buf) - 1);
	cr_assert_gt(n, 0, "the client of a pending walk is answered");
	buf[n] = 0;
	cr_assert(strstr(buf, "xlbd is stopping"), "%s", buf);
	close(fd);
}
