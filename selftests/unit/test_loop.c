// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the tests of xlbd's event loop and of the control socket
 * served on it. The loop: timers fire in order and never early, 200 ready
 * fds each get exactly one call, a removed source is never called again
 * (also when it was ready in the same turn), signals reach the loop and
 * their old handlers come back when it is freed. The control server: the
 * real server code on a real loop (in a thread) over a Unix socket in a
 * temp dir; stalled clients (silent, half a request, a byte at a time) do
 * not slow others, deadlines close them, oversized requests and one
 * client too many are refused with an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "lib/loader.h"
#include "lib/ctl.h"
#include "lib/log.h"
#include "xlbd/ctl_server.h"
#include "xlbd/daemon.h"
#include "xlbd/loop.h"
#include "ctl_reply.h"

static struct xlbd_loop *new_loop(void)
{
	char err[256];
	struct xlbd_loop *l = xlbd_loop_new(err, sizeof(err));

	cr_assert_not_null(l, "a loop is created: %s", err);
	return l;
}

/* Stops the loop after @ms; the guard of every loop test. */
static void stop_cb(void *arg)
{
	xlbd_loop_stop(arg);
}

static void run_for(struct xlbd_loop *l, unsigned int ms)
{
	char err[256];
	struct xlbd_src *t =
		xlbd_loop_timer(l, ms, stop_cb, l, err, sizeof(err));

	cr_assert_not_null(t, "the stop timer is added: %s", err);
	cr_assert_eq(xlbd_loop_run(l, err, sizeof(err)), 0, "the loop runs: %s",
		     err);
	xlbd_src_del(t);
}

TestSuite(loop, .timeout = 30);

/* ---- timers ---- */

#define NTIMERS 3
#define MAX_FIRES 200

struct tick {
	struct xlbd_loop *l;
	unsigned int period_ms;
	unsigned int n;
	double at[MAX_FIRES];
	/* how many times each other timer had fired at this one's first */
	unsigned int seen_at_first[NTIMERS];
};

static struct tick ticks[NTIMERS];
static double t0;

static void tick_cb(void *arg)
{
	struct tick *t = arg;

	if (!t->n)
		for (int i = 0; i < NTIMERS; i++)
			t->seen_at_first[i] = ticks[i].n;
	if (t->n < MAX_FIRES)
		t->at[t->n] = test_now_ms() - t0;
	t->n++;
	/* the slowest timer's fifth call ends the run (at 350 ms) */
	if (t == &ticks[NTIMERS - 1] && t->n == 5)
		xlbd_loop_stop(t->l);
}

Test(loop, timers_fire_in_order_never_early)
{
	static const unsigned int period[NTIMERS] = { 10, 30, 70 };
	struct xlbd_loop *l = new_loop();
	struct xlbd_src *src[NTIMERS];
	char err[256];
	double elapsed;

	t0 = test_now_ms();
	for (int i = 0; i < NTIMERS; i++) {
		ticks[i] = (struct tick){ .l = l, .period_ms = period[i] };
		src[i] = xlbd_loop_timer(l, period[i], tick_cb, &ticks[i], err,
					 sizeof(err));
		cr_assert_not_null(src[i], "timer %u ms: %s", period[i], err);
	}
	cr_assert_eq(xlbd_loop_run(l, err, sizeof(err)), 0, "runs: %s", err);
	elapsed = test_now_ms() - t0;

	for (int i = 0; i < NTIMERS; i++) {
		struct tick *t = &ticks[i];

		for (unsigned int k = 0; k < t->n && k < MAX_FIRES; k++)
			/* 1 ms of slack: our clock and libevent's differ in
			 * rounding, not in tick */
			cr_assert_geq(
				t->at[k] + 1.0, (k + 1) * t->period_ms,
				"the %u ms timer's call %u came at %.2f ms, "
				"before its time",
				t->period_ms, k + 1, t->at[k]);
		cr_assert_leq(t->n, (unsigned int)(elapsed / t->period_ms) + 1,
			      "the %u ms timer fired %u times in %.1f ms",
			      t->period_ms, t->n, elapsed);
		/* a loaded machine may delay calls (missed periods are not made
		 * up), but not lose most of them */
		cr_assert_geq(t->n, (unsigned int)(elapsed / t->period_ms) / 2,
			      "the %u ms timer fired only %u times in %.1f ms",
			      t->period_ms, t->n, elapsed);
	}
	cr_assert_eq(ticks[2].n, 5, "the 70 ms timer ended the run at its 5th");
	cr_assert(ticks[0].n > ticks[1].n && ticks[1].n > ticks[2].n,
		  "shorter periods fire more often (%u, %u, %u)", ticks[0].n,
		  ticks[1].n, ticks[2].n);
	/* order of the first calls: 10 ms (at 10), 30 ms (at 30), 70 ms */
	cr_assert_eq(ticks[0].seen_at_first[1] + ticks[0].seen_at_first[2], 0,
		     "the 10 ms timer fires first");
	cr_assert(ticks[1].seen_at_first[0] >= 1 &&
			  ticks[1].seen_at_first[0] <= 3 &&
			  ticks[1].seen_at_first[2] == 0,
		  "the 30 ms timer fires after 1..3 calls of the 10 ms one "
		  "(%u) and before the 70 ms one",
		  ticks[1].seen_at_first[0]);
	cr_assert(ticks[2].seen_at_first[1] >= 1 &&
			  ticks[2].seen_at_first[1] <= 2 &&
			  ticks[2].seen_at_first[0] >=
				  ticks[2].seen_at_first[1],
		  "the 70 ms timer fires after 1..2 calls of the 30 ms one "
		  "(%u)",
		  ticks[2].seen_at_first[1]);
	for (int i = 0; i < NTIMERS; i++)
		xlbd_src_del(src[i]);
	xlbd_loop_free(l);
}

/* ---- many fds ---- */

#define NPAIRS 200

struct pair {
	struct xlbd_loop *l;
	int fd[2];
	unsigned int calls;
};

static struct pair pairs[NPAIRS];
static unsigned int pair_calls;

static void pair_cb(int fd, unsigned int events, void *arg)
{
	struct pair *p = arg;
	char c;

	cr_assert_eq(fd, p->fd[0], "the callback gets its own fd");
	cr_assert(events & XLBD_READ, "and is woken for reading");
	cr_assert_eq(read(fd, &c, 1), 1, "the byte is there to read");
	p->calls++;
	if (++pair_calls == NPAIRS)
		xlbd_loop_stop(p->l);
}

Test(loop, many_fds_each_called_once)
{
	struct xlbd_loop *l = new_loop();
	struct xlbd_src *src[NPAIRS];
	char err[256];

	for (int i = 0; i < NPAIRS; i++) {
		pairs[i].l = l;
		cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
					pairs[i].fd),
			     0, "socketpair %d: %s", i, strerror(errno));
		src[i] = xlbd_loop_fd(l, pairs[i].fd[0], XLBD_READ, pair_cb,
				      &pairs[i], err, sizeof(err));
		cr_assert_not_null(src[i], "watcher %d: %s", i, err);
	}
	for (int i = 0; i < NPAIRS; i++)
		cr_assert_eq(write(pairs[i].fd[1], "x", 1), 1);
	cr_assert_eq(xlbd_loop_run(l, err, sizeof(err)), 0, "runs: %s", err);
	cr_assert_eq(pair_calls, NPAIRS, "all %d callbacks ran", NPAIRS);
	/* drained fds stay quiet: a second run calls nobody */
	run_for(l, 50);
	for (int i = 0; i < NPAIRS; i++)
		cr_assert_eq(pairs[i].calls, 1, "fd %d was called %u times", i,
			     pairs[i].calls);
	for (int i = 0; i < NPAIRS; i++) {
		xlbd_src_del(src[i]);
		close(pairs[i].fd[0]);
		close(pairs[i].fd[1]);
	}
	xlbd_loop_free(l);
}

/* ---- removing sources ---- */

struct rm {
	struct xlbd_src *self, **other;
	unsigned int calls, stop_at;
};

static void rm_timer_cb(void *arg)
{
	struct rm *r = arg;

	if (++r->calls == r->stop_at) {
		xlbd_src_del(r->self);
		r->self = NULL;
	}
}

static void rm_fd_cb(int fd, unsigned int events, void *arg)
{
	struct rm *r = arg;

	(void)fd;
	(void)events;
	r->calls++;
	if (r->other && *r->other) {
		/* remove the partner, ready in this same turn */
		xlbd_src_del(*r->other);
		*r->other = NULL;
	}
	if (r->calls == r->stop_at) {
		xlbd_src_del(r->self);
		r->self = NULL;
	}
}

static int ready_pipe(int p[2])
{
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(write(p[1], "x", 1), 1);
	return p[0];
}

Test(loop, removed_sources_stop)
{
	struct xlbd_loop *l = new_loop();
	struct rm tm = { .stop_at = 3 }, fw = { .stop_at = 5 }, never = {};
	struct rm x = { .stop_at = 1 }, y = { .stop_at = 1 };
	struct xlbd_src *never_src;
	int p1[2], p2[2], p3[2], p4[2];
	char err[256];

	tm.self = xlbd_loop_timer(l, 5, rm_timer_cb, &tm, err, sizeof(err));
	/* never read: level-triggered, it fires every turn until removed */
	fw.self = xlbd_loop_fd(l, ready_pipe(p1), XLBD_READ, rm_fd_cb, &fw, err,
			       sizeof(err));
	never_src = xlbd_loop_fd(l, ready_pipe(p2), XLBD_READ, rm_fd_cb, &never,
				 err, sizeof(err));
	/* x and y are both ready; whichever runs first removes the other */
	x.self = xlbd_loop_fd(l, ready_pipe(p3), XLBD_READ, rm_fd_cb, &x, err,
			      sizeof(err));
	y.self = xlbd_loop_fd(l, ready_pipe(p4), XLBD_READ, rm_fd_cb, &y, err,
			      sizeof(err));
	x.other = &y.self;
	y.other = &x.self;
	cr_assert(tm.self && fw.self && never_src && x.self && y.self,
		  "sources are added: %s", err);
	xlbd_src_del(never_src); /* removed before the loop ever ran */

	run_for(l, 100);
	cr_assert_eq(tm.calls, 3,
		     "a timer that removed itself at its 3rd call "
		     "was called %u times",
		     tm.calls);
	cr_assert_eq(fw.calls, 5,
		     "a ready fd removed at its 5th call was "
		     "called %u times",
		     fw.calls);
	cr_assert_eq(never.calls, 0,
		     "a watcher removed before the run was "
		     "called %u times",
		     never.calls);
	cr_assert_eq(x.calls + y.calls, 1,
		     "of two ready fds that remove each "
		     "other, one is called (%u + %u)",
		     x.calls, y.calls);
	for (int *p = p1, i = 0; i < 4; i++, p = i == 1 ? p2 :
						 i == 2 ? p3 :
							  p4) {
		close(p[0]);
		close(p[1]);
	}
	xlbd_loop_free(l);
}

/* ---- signals ---- */

static unsigned int usr1_calls;

static void raise_cb(void *arg)
{
	(void)arg;
	raise(SIGUSR1);
}

static void usr1_cb(int signo, void *arg)
{
	cr_assert_eq(signo, SIGUSR1, "the handler gets its signal");
	usr1_calls++;
	xlbd_loop_stop(arg);
}

Test(loop, signal_reaches_loop_and_free_restores_handler)
{
	struct sigaction old;
	struct xlbd_loop *l;
	char err[256];

	signal(SIGUSR1, SIG_IGN);
	l = new_loop();
	cr_assert_not_null(xlbd_loop_signal(l, SIGUSR1, usr1_cb, l, err,
					    sizeof(err)),
			   "signal source: %s", err);
	cr_assert_not_null(
		xlbd_loop_timer(l, 20, raise_cb, NULL, err, sizeof(err)));
	cr_assert_eq(xlbd_loop_run(l, err, sizeof(err)), 0);
	cr_assert_eq(usr1_calls, 1, "SIGUSR1 was handled on the loop once");
	/* freed with both sources still registered */
	xlbd_loop_free(l);
	cr_assert_eq(sigaction(SIGUSR1, NULL, &old), 0);
	cr_assert_eq(old.sa_handler, SIG_IGN,
		     "freeing the loop puts the old SIGUSR1 handler back");
}

/* ---- the control server ---- */

/* A server on its own loop in a thread; a pipe tells the loop to stop. */
struct srv {
	char dir[64], path[96];
	int lfd, stop[2];
	struct xlbd_loop *l;
	struct xlbd_ctl *ctl;
	struct xlbd_src *stop_src;
	pthread_t th;
	unsigned int handled; /* read after join */
};

static struct srv S;
static struct xlbd xd; /* the real daemon, for the status test */
static char xd_pin[96], xd_cfg[160];

static void on_stop(int fd, unsigned int events, void *arg)
{
	(void)fd;
	(void)events;
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

/* echoes the request; "big" asks for an answer of @size bytes */
static struct json_object *echo(struct json_object *req, void *arg)
{
	struct json_object *o = xlb_ctl_ok(), *sz;

	(void)arg;
	S.handled++;
	json_object_object_add(o, "echo", json_object_get(req));
	sz = json_object_object_get(req, "size");
	if (sz) {
		size_t n = (size_t)json_object_get_int64(sz);
		char *s = malloc(n + 1);

		/* the loop's thread: no cr_assert here, the answer tells */
		if (!s)
			return xlb_ctl_error("out of memory");
		memset(s, 'a', n);
		s[n] = 0;
		json_object_object_add(o, "big", json_object_new_string(s));
		free(s);
	}
	return o;
}

static struct json_object *real(struct json_object *req, void *arg)
{
	(void)arg;
	S.handled++;
	return xlbd_handle(&xd, req);
}

static void srv_start(const struct xlbd_ctl_opts *o, xlbd_ctl_fn *fn)
{
	char err[256];

	signal(SIGPIPE, SIG_IGN); /* as xlbd does */
	xlb_log_init("xlb-test", XLB_LOG_INFO);
	snprintf(S.dir, sizeof(S.dir), "/tmp/xlb-loop-XXXXXX");
	cr_assert_not_null(mkdtemp(S.dir), "temp dir: %s", strerror(errno));
	snprintf(S.path, sizeof(S.path), "%s/xlbd.sock", S.dir);
	S.lfd = xlb_ctl_listen(S.path, err, sizeof(err));
	cr_assert_geq(S.lfd, 0, "listen: %s", err);
	S.l = new_loop();
	cr_assert_eq(pipe2(S.stop, O_CLOEXEC), 0);
	S.stop_src = xlbd_loop_fd(S.l, S.stop[0], XLBD_READ, on_stop, S.l, err,
				  sizeof(err));
	cr_assert_not_null(S.stop_src, "%s", err);
	S.ctl = xlbd_ctl_new(S.l, S.lfd, o, fn, NULL, err, sizeof(err));
	cr_assert_not_null(S.ctl, "the control server starts: %s", err);
	cr_assert_eq(pthread_create(&S.th, NULL, loop_main, NULL), 0);
}

static void srv_stop(void)
{
	if (!S.l)
		return;
	cr_assert_eq(write(S.stop[1], "x", 1), 1);
	pthread_join(S.th, NULL);
	xlbd_ctl_free(S.ctl);
	xlbd_loop_free(S.l);
	close(S.stop[0]);
	close(S.stop[1]);
	close(S.lfd);
	unlink(S.path);
	rmdir(S.dir);
	S.l = NULL;
}

static bool xd_started;

static void xd_rm_pins(void);

static void ctl_fini(void)
{
	srv_stop();
	if (xd_started)
		xlbd_stop(&xd);
	xd_started = false;
	if (xd_pin[0])
		xd_rm_pins();
	if (xd_cfg[0])
		unlink(xd_cfg);
}

TestSuite(ctl_server, .fini = ctl_fini, .timeout = 60);

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

static struct json_object *call(const char *json, double *ms)
{
	return ctl_call_timed(S.path, json, ms);
}

/* true if the server closed @fd (poll says so; nothing is read) */
static bool closed_by_server(int fd, int wait_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };

	return poll(&p, 1, wait_ms) == 1 && (p.revents & (POLLRDHUP | POLLHUP));
}

/* Waits until the server closes @fd; returns when, in ms since @t. */
static double closed_after(int fd, double t, int wait_ms)
{
	cr_assert(closed_by_server(fd, wait_ms),
		  "the server closed the connection within %d ms", wait_ms);
	return test_now_ms() - t;
}

static const char xd_cfg_text[] =
	"pin_dir: %s\n"
	"maglev_size: 1009\n"
	"backends:\n"
	"  - { id: 1, address: 198.18.0.11, mac: '02:00:00:00:01:01' }\n"
	"vips:\n"
	"  - { name: web, address: 192.0.2.30, port: 80, protocol: tcp,\n"
	"      mode: l2dsr, backends: [ { id: 1 } ] }\n";

/* Every pin, whatever maps this build has (a list here went stale). */
static void xd_rm_pins(void)
{
	xlb_pins_remove(xd_pin);
}

/*
 * The issue-14 scenario: three stalled clients (silent, half a request,
 * a byte at a time) stay connected while 100 `status` requests, answered
 * by the real xlbd_handle over real pinned maps, each take under 100 ms.
 */
Test(ctl_server, stalled_clients_do_not_block_others)
{
	static const char drip[] = "{\"cmd\":\"status\"                    "
				   "                                        "
				   "                                        ";
	char err[XLB_ERR_MAX], text[512];
	double worst = 0, ms;
	int silent, half, dripper;
	FILE *f;

	snprintf(xd_pin, sizeof(xd_pin), "/sys/fs/bpf/xlb-loop-%d", getpid());
	srv_start(NULL, real); /* the daemon's defaults: 5 s to send */
	snprintf(xd_cfg, sizeof(xd_cfg), "/tmp/xlb-loop-%d.yaml", getpid());
	f = fopen(xd_cfg, "w");
	cr_assert_not_null(f);
	snprintf(text, sizeof(text), xd_cfg_text, xd_pin);
	fputs(text, f);
	fclose(f);
	/* the loop thread serves nobody yet: no request until xd is up */
	cr_assert_eq(xlbd_start(&xd, xd_cfg, err, sizeof(err)), 0,
		     "xlbd starts: %s", err);
	xd_started = true;

	silent = dial();
	half = dial();
	dripper = dial();
	cr_assert_eq(write(half, "{\"cmd\":\"sta", 11), 11);
	for (int i = 0; i < 100; i++) {
		struct json_object *r;

		cr_assert_eq(write(dripper, &drip[i], 1), 1,
			     "the dripping client is still connected");
		r = call("{\"cmd\":\"status\"}", &ms);
		cr_assert(reply_ok(r), "status %d is answered: %s", i, reply_error(r));
		cr_assert_eq(
			json_object_get_int(json_object_object_get(r, "vips")),
			1, "by the real daemon (1 VIP)");
		json_object_put(r);
		cr_assert_lt(ms, 100.0, "status %d took %.1f ms", i, ms);
		if (ms > worst)
			worst = ms;
	}
	cr_assert(!closed_by_server(silent, 0) && !closed_by_server(half, 0) &&
			  !closed_by_server(dripper, 0),
		  "the three stalled clients were held open all along");
	cr_log_info("100 status calls beside 3 stalled clients: worst %.1f ms",
		    worst);
	close(silent);
	close(half);
	close(dripper);
	srv_stop();
	cr_assert_eq(S.handled, 100,
		     "only the 100 whole requests reached the "
		     "handler (%u)",
		     S.handled);
}

/*
 * Deadlines: a silent client, one with half a request and one dripping a
 * byte every 40 ms (never idle, so an idle timeout would not catch it) are
 * each closed at the request deadline, told why; a client that does not
 * read its answer is closed at the answer deadline.
 */
Test(ctl_server, stalled_clients_closed_at_their_deadline)
{
	struct xlbd_ctl_opts o = { .request_ms = 300, .answer_ms = 300 };
	char buf[4096];
	double t, at;
	int fd;
	ssize_t n;

	srv_start(&o, echo);

	t = test_now_ms();
	fd = dial();
	at = closed_after(fd, t, 3000);
	cr_assert(at >= 295 && at < 1500,
		  "a silent client was closed after "
		  "%.0f ms, its deadline being 300",
		  at);
	n = read(fd, buf, sizeof(buf) - 1);
	cr_assert_gt(n, 0, "and told why");
	buf[n] = 0;
	cr_assert(strstr(buf, "no whole request within 300 ms"), "%s", buf);
	close(fd);

	t = test_now_ms();
	fd = dial();
	cr_assert_eq(write(fd, "{\"cmd\":", 7), 7);
	at = closed_after(fd, t, 3000);
	cr_assert(at >= 295 && at < 1500,
		  "half a request: closed after %.0f "
		  "ms",
		  at);
	close(fd);

	t = test_now_ms();
	fd = dial();
	for (int i = 0;; i++) {
		cr_assert_lt(i, 100, "the dripping client was never closed");
		if (send(fd, " ", 1, MSG_NOSIGNAL) != 1 ||
		    closed_by_server(fd, 40))
			break;
	}
	at = test_now_ms() - t;
	cr_assert(at >= 295 && at < 1500,
		  "a byte every 40 ms: closed after "
		  "%.0f ms",
		  at);
	close(fd);

	/* 8 MB of answer, never read: the server's writes would block */
	fd = dial();
	snprintf(buf, sizeof(buf), "{\"cmd\":\"big\",\"size\":%d}", 8 << 20);
	cr_assert_eq(write(fd, buf, strlen(buf)), (ssize_t)strlen(buf));
	cr_assert_eq(shutdown(fd, SHUT_WR), 0);
	t = test_now_ms();
	at = closed_after(fd, t, 5000);
	cr_assert(at < 1500,
		  "a client that does not read its answer was "
		  "closed after %.0f ms",
		  at);
	{
		size_t total = 0;

		while ((n = read(fd, buf, sizeof(buf))) > 0)
			total += (size_t)n;
		cr_assert_lt(total, (size_t)8 << 20,
			     "it got part of the "
			     "answer (%zu bytes), not all",
			     total);
	}
	close(fd);

	/* and the server goes on answering */
	{
		struct json_object *r = call("{\"cmd\":\"after\"}", NULL);

		cr_assert(reply_ok(r), "a request after all that is answered");
		json_object_put(r);
	}
}

/* Over max_msg: an error answer, no crash; at the limit: served. */
Test(ctl_server, oversized_request_refused)
{
	struct xlbd_ctl_opts o = { .max_msg = 64 << 10 };
	struct json_object *q, *r;
	size_t n = 200 << 10;
	char *s = malloc(n + 1), err[256];

	srv_start(&o, echo);
	cr_assert_not_null(s);
	memset(s, 'a', n);
	s[n] = 0;
	q = json_object_new_object();
	json_object_object_add(q, "cmd", json_object_new_string("echo"));
	json_object_object_add(q, "pad", json_object_new_string(s));
	r = xlb_ctl_call(S.path, q, err, sizeof(err));
	cr_assert_not_null(r, "a 200 KB request gets an answer: %s", err);
	cr_assert(!reply_ok(r), "which refuses it");
	cr_assert(strstr(reply_error(r), "request over 65536 bytes"),
		  "saying "
		  "why: %s",
		  reply_error(r));
	json_object_put(r);
	json_object_put(q);

	/* 64 KB - the JSON around it: just under the limit, served whole */
	s[(64 << 10) - 64] = 0;
	q = json_object_new_object();
	json_object_object_add(q, "cmd", json_object_new_string("echo"));
	json_object_object_add(q, "pad", json_object_new_string(s));
	r = xlb_ctl_call(S.path, q, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	cr_assert(reply_ok(r), "a request under the limit is served: %s",
		  reply_error(r));
	cr_assert_eq(strlen(json_object_get_string(json_object_object_get(
			     json_object_object_get(r, "echo"), "pad"))),
		     (64 << 10) - 64, "and echoed whole");
	json_object_put(r);
	json_object_put(q);
	free(s);

	{
		int fd = dial();

		cr_assert_eq(write(fd, "not json", 8), 8);
		cr_assert_eq(shutdown(fd, SHUT_WR), 0);
		r = xlb_ctl_read(fd, err, sizeof(err));
		close(fd);
	}
	cr_assert_not_null(r, "junk gets an answer: %s", err);
	cr_assert(!reply_ok(r) && strstr(reply_error(r), "not a JSON object"),
		  "which refuses it as before: %s", reply_error(r));
	json_object_put(r);
}

/* Past max_conns a new client is refused at once, in words. */
Test(ctl_server, connection_cap)
{
	struct xlbd_ctl_opts o = { .max_conns = 4 };
	struct json_object *r;
	int idle[4];
	double t;

	srv_start(&o, echo);
	for (int i = 0; i < 4; i++)
		idle[i] = dial();
	/* the server has not necessarily accepted them yet: wait for it */
	t = test_now_ms();
	for (;;) {
		r = call("{\"cmd\":\"fifth\"}", NULL);
		if (!reply_ok(r))
			break;
		json_object_put(r);
		cr_assert_lt(test_now_ms() - t, 2000.0,
			     "a fifth client is refused once four are open");
		usleep(5000);
	}
	cr_assert(strstr(reply_error(r), "serves 4 control connections at once"),
		  "the refusal says why: %s", reply_error(r));
	json_object_put(r);

	close(idle[0]);
	t = test_now_ms();
	for (;;) {
		r = call("{\"cmd\":\"again\"}", NULL);
		if (reply_ok(r))
			break;
		json_object_put(r);
		cr_assert_lt(
			test_now_ms() - t, 2000.0,
			"a slot freed by a client that left is used again");
		usleep(5000);
	}
	json_object_put(r);
	for (int i = 1; i < 4; i++)
		close(idle[i]);
}

/* Many clients at once, each answered from its own buffer. */
Test(ctl_server, concurrent_clients_get_their_own_answer)
{
	enum { N = 48 };
	int fd[N];
	char buf[256];

	srv_start(NULL, echo);
	for (int i = 0; i < N; i++) {
		fd[i] = dial();
		/* the first half of every request, then the second half */
		snprintf(buf, sizeof(buf), "{\"cmd\":\"echo\",");
		cr_assert_eq(write(fd[i], buf, strlen(buf)),
			     (ssize_t)strlen(buf));
	}
	for (int i = N - 1; i >= 0; i--) {
		snprintf(buf, sizeof(buf), "\"id\":%d}", i);
		cr_assert_eq(write(fd[i], buf, strlen(buf)),
			     (ssize_t)strlen(buf));
		cr_assert_eq(shutdown(fd[i], SHUT_WR), 0);
	}
	for (int i = 0; i < N; i++) {
		char err[256];
		struct json_object *r = xlb_ctl_read(fd[i], err, sizeof(err));

		cr_assert_not_null(r, "client %d is answered: %s", i, err);
		cr_assert_eq(json_object_get_int(json_object_object_get(
				     json_object_object_get(r, "echo"), "id")),
			     i, "client %d gets its own answer", i);
		json_object_put(r);
		close(fd[i]);
	}
}
