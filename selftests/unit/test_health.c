// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Health checks against real listeners on loopback and real pinned maps:
 * xlbd with its scheduler on a libevent base, TCP listeners the test opens
 * and closes, an HTTP responder on the same loop (libevent's evhttp) whose
 * status and body the test sets, exec commands that exit 0 or 1 or hang.
 * Asserts rise/fall in a row and how long a transition takes, the tables
 * (a down backend owns no slot), fail open, on_down reset and keep, the
 * spread of first probes, reload keeping unchanged checks, a restart
 * taking states from the pinned map, and slow start's steps.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <criterion/criterion.h>

#include "lib/loader.h"
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "lib/conntrack.h"
#include "lib/lbmaps.h"
#include "lib/log.h"
#include "xlbd/apply.h"
#include "xlbd/daemon.h"
#include "xlbd/edit.h"
#include "xlbd/health.h"

static struct xlbd d;
static struct event_base *base;
static struct xlbd_health *h;
static char dir[128], cfg_path[160], pin[128];

/* ---- fixtures ----------------------------------------------------------- */

static int listen_tcp(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert(fd >= 0, "a listener socket");
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0, "bind");
	cr_assert_eq(listen(fd, 1024), 0, "listen");
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* A port nothing listens on: bound, never listening, then closed. */
static int closed_port(void)
{
	int port, fd = listen_tcp(&port);

	close(fd);
	return port;
}

static void write_cfg(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void write_cfg(const char *fmt, ...)
{
	FILE *f = fopen(cfg_path, "w");
	va_list ap;

	cr_assert_not_null(f, "the config file can be written");
	fprintf(f,
		"pin_dir: %s\n"
		"maglev_size: 1009\n"
		"encap: { source4: 198.18.0.2 }\n"
		"nexthop: { mac: '02:00:00:00:0a:fe' }\n"
		"backends:\n"
		"  - { id: 1, address: 198.18.0.11 }\n"
		"  - { id: 2, address: 198.18.0.12 }\n"
		"  - { id: 3, address: 198.18.0.13 }\n",
		pin);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

static void rm_pins(void)
{
	xlb_pins_remove(pin);
}

static void setup(void)
{
	xlb_log_init("xlb-test", XLB_LOG_INFO);
	snprintf(dir, sizeof(dir), "/tmp/xlb-health-%d", getpid());
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/xlb-health-%d", getpid());
	snprintf(cfg_path, sizeof(cfg_path), "%s/xlb.yaml", dir);
	cr_assert_eq(mkdir(dir, 0700), 0, "test dir %s is created", dir);
	base = event_base_new();
	cr_assert_not_null(base);
}

static void start(void)
{
	char err[XLB_ERR_MAX];

	h = xlbd_health_new(&d, base);
	cr_assert_not_null(h);
	cr_assert_eq(xlbd_start_health(&d, cfg_path, h, err, sizeof(err)), 0,
		     "xlbd starts: %s", err);
}

static void stop(void)
{
	d.health = NULL;
	xlbd_health_free(h);
	h = NULL;
	xlbd_stop(&d);
}

static void teardown(void)
{
	char p[256];

	if (h)
		stop();
	rm_pins();
	unlink(cfg_path);
	snprintf(p, sizeof(p), "%s/flag", dir);
	unlink(p);
	rmdir(dir);
	event_base_free(base);
}

TestSuite(health, .init = setup, .fini = teardown, .timeout = 60);

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const struct xlb_cfg_ref *ref(const char *vip, __u32 id)
{
	const struct xlb_cfg_vip *v = xlb_cfg_vip_find(&d.running, vip);

	for (size_t k = 0; v && k < v->nrefs; k++)
		if (v->refs[k].id == id)
			return &v->refs[k];
	return NULL;
}

static bool is_down(const char *vip, __u32 id)
{
	return ref(vip, id)->down;
}

/* Runs the loop until @cond holds or @max_s pass; returns the time taken. */
static double run_until(bool (*cond)(void *), void *arg, double max_s)
{
	double t0 = now_s();
	struct timeval step = { 0, 20000 };

	while (!cond(arg) && now_s() - t0 < max_s) {
		event_base_loopexit(base, &step);
		event_base_dispatch(base);
	}
	return now_s() - t0;
}

static void run_for(double s)
{
	struct timeval tv = { (time_t)s, (suseconds_t)((s - (time_t)s) * 1e6) };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

struct want {
	const char *vip;
	__u32 id;
	bool down;
};

static bool reached(void *arg)
{
	const struct want *w = arg;

	return is_down(w->vip, w->id) == w->down;
}

/* The check itself (not the table, which may fail open) reached @down. */
static bool check_reached(void *arg)
{
	const struct want *w = arg;
	const struct xlbd_check *ck = xlbd_health_find(h, w->vip, w->id);

	return ck && ck->checked && ck->up == !w->down;
}

/* Slots backend @id owns in @vip's installed table. */
static __u32 slots(const char *vip, __u32 id)
{
	const struct xlb_cfg_vip *v = xlb_cfg_vip_find(&d.running, vip);
	int vid = xlb_vip_id_of(&d.maps, v);
	__u32 *t = NULL, size = 0, n = 0;

	cr_assert(vid >= 0);
	cr_assert_eq(xlb_table_read(&d.maps, (__u32)vid, &t, &size), 0);
	for (__u32 i = 0; i < size; i++)
		n += t[i] == id;
	free(t);
	return n;
}

/* ---- tcp: rise, fall, timing, tables ------------------------------------- */

Test(health, tcp_rise_fall_in_a_row_and_the_tables_follow)
{
	int p1, p3, l1 = listen_tcp(&p1), l3 = listen_tcp(&p3);
	int p2 = closed_port();
	struct want w1up = { "web", 1, false }, w2down = { "web", 2, true },
		    w1down = { "web", 1, true };
	double t;

	/* interval 200ms, fall 2, rise 2, timeout 100ms */
	write_cfg("vips:\n"
		  "  - name: web\n"
		  "    address: 192.0.2.10\n"
		  "    port: 80\n"
		  "    protocol: tcp\n"
		  "    check: {kind: tcp, address: 127.0.0.1, interval: 200ms, "
		  "timeout: 100ms, rise: 2, fall: 2}\n"
		  "    backends:\n"
		  "      - {id: 1, check: {port: %d}}\n"
		  "      - {id: 2, check: {port: %d}}\n"
		  "      - {id: 3, check: {port: %d}}\n",
		  p1, p2, p3);
	start();
	/* down until proven up: all three, so the VIP fails open */
	cr_expect_not(is_down("web", 1),
		      "every backend down: fail open keeps 1");
	cr_expect_not(is_down("web", 2),
		      "every backend down: fail open keeps 2");
	cr_expect_eq(xlbd_health_find(h, "web", 1)->up, false,
		     "the check itself starts down");

	/* up after rise (2) successes: first probe within one interval */
	t = run_until(check_reached, &w1up, 3);
	/* the table follows the check at the next commit (held off after a
	 * slow one) */
	run_until(reached, &w1up, 3);
	cr_assert_not(is_down("web", 1), "1 comes up");
	run_until(check_reached, &(struct want){ "web", 3, false }, 3);
	t = run_until(reached, &w2down, 3);
	cr_assert(is_down("web", 2), "2 (nothing listening) is out once "
				     "another backend is up");
	cr_expect_eq(slots("web", 2), 0, "a down backend owns no slot");
	cr_expect_gt(slots("web", 1), 0, "an up backend owns slots");
	cr_expect_eq(xlbd_health_find(h, "web", 2)->last_ok, false);
	cr_expect(strstr(xlbd_health_find(h, "web", 2)->last_reason,
			 "Connection refused"),
		  "the reason: %s", xlbd_health_find(h, "web", 2)->last_reason);

	/* fall (2) failures in a row: down within fall x interval + timeout */
	close(l1);
	t = run_until(reached, &w1down, 5);
	cr_assert(is_down("web", 1), "1 goes down once its listener closed");
	cr_expect_leq(t, 2 * 0.2 + 0.1 + 0.25,
		      "down within fall x interval + timeout (+ one loop step "
		      "and slack): took %.3f s",
		      t);
	cr_expect_geq(t, 0.15, "not before a second failure: %.3f s", t);
	cr_expect_eq(slots("web", 1), 0, "1 left the table");
	cr_expect_eq(slots("web", 3), 1009, "3 holds every slot");
	cr_expect_eq(xlbd_health_find(h, "web", 1)->transitions, 2,
		     "up then down: 2 transitions");

	close(l3);
}

/* ---- tcp: half-open probes ---------------------------------------------- */

/*
 * One VIP whose TCP checks to @addr go every 100 ms (timeout 50 ms, rise
 * and fall 1): backend 1 checked on port @p1, backend 2 on @p2 (0: no
 * backend 2).
 */
static void write_fast_tcp_cfg(const char *addr, int p1, int p2)
{
	char two[64] = "";

	if (p2)
		snprintf(two, sizeof(two),
			 "      - {id: 2, check: {port: %d}}\n", p2);
	write_cfg("vips:\n"
		  "  - name: web\n"
		  "    address: 192.0.2.10\n"
		  "    port: 80\n"
		  "    protocol: tcp\n"
		  "    check: {kind: tcp, address: '%s', interval: 100ms, "
		  "timeout: 50ms, rise: 1, fall: 1}\n"
		  "    backends:\n"
		  "      - {id: 1, check: {port: %d}}\n"
		  "%s",
		  addr, p1, two);
}

/*
 * The SYNs sent to @port seen so far on @raw (a raw TCP socket of the
 * test's: it sees loopback's packets): their source ports and sequence
 * numbers, at most @max.
 */
static int syns_to(int raw, int port, __u16 *sport, __u32 *seq, int max)
{
	unsigned char b[256];
	int n = 0;
	ssize_t len;

	while (n < max && (len = recv(raw, b, sizeof(b), MSG_DONTWAIT)) > 0) {
		unsigned int ihl = (b[0] & 0xf) * 4u;
		const unsigned char *th = b + ihl;

		if (len < (ssize_t)ihl + 20 || (th[2] << 8 | th[3]) != port ||
		    (th[13] & 0x12) != 0x02)
			continue;
		sport[n] = (__u16)(th[0] << 8 | th[1]);
		seq[n] = (__u32)th[4] << 24 | (__u32)th[5] << 16 |
			 (__u32)th[6] << 8 | th[7];
		n++;
	}
	return n;
}

/*
 * A plain TCP check probes half-open: the listener answers the SYN, xlbd's
 * kernel resets the answer, and no connection ever reaches the accept
 * queue; every SYN has a fresh random sequence number, from one source
 * port that xlbd holds bound so no other socket of the host can take it.
 */
Test(health, tcp_probes_half_open_from_a_held_port_with_random_isns)
{
	int p1, l1 = listen_tcp(&p1), p2 = closed_port();
	int raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	__u16 sport[64];
	__u32 seq[64];
	struct xlbd_health_totals t;
	int n, fd;

	cr_assert(raw >= 0, "the test's raw socket: %s", strerror(errno));
	write_fast_tcp_cfg("127.0.0.1", p1, p2);
	start();
	run_until(check_reached, &(struct want){ "web", 1, false }, 3);
	run_until(check_reached, &(struct want){ "web", 2, true }, 3);
	cr_assert(check_reached(&(struct want){ "web", 1, false }), "1 is up");
	cr_expect(strstr(xlbd_health_find(h, "web", 1)->last_reason,
			 "SYN-ACK"),
		  "up on the listener's SYN-ACK: %s",
		  xlbd_health_find(h, "web", 1)->last_reason);
	cr_assert(check_reached(&(struct want){ "web", 2, true }),
		  "2 (nothing listening) is down");
	cr_expect(strstr(xlbd_health_find(h, "web", 2)->last_reason,
			 "Connection refused"),
		  "down on the reset: %s",
		  xlbd_health_find(h, "web", 2)->last_reason);
	run_for(0.5);
	cr_expect_geq(xlbd_health_find(h, "web", 1)->probes, 4,
		      "probes went on every 100 ms");
	cr_expect_eq(xlbd_health_find(h, "web", 1)->failures, 0,
		     "and none failed");
	xlbd_health_counts(h, &t);
	cr_expect_str_eq(t.tcp_probe, "half-open", "status says half-open");
	cr_expect_eq(t.tcp_answers_dropped, 0, "and that no answer was lost");

	cr_assert_eq(fcntl(l1, F_SETFL, O_NONBLOCK), 0);
	fd = accept(l1, NULL, NULL);
	cr_expect(fd < 0 && errno == EAGAIN,
		  "no connection ever reached the accept queue (%d, %s)", fd,
		  strerror(errno));
	if (fd >= 0)
		close(fd);

	n = syns_to(raw, p1, sport, seq, 64);
	cr_assert_geq(n, 4, "the probes' SYNs were seen: %d", n);
	for (int i = 1; i < n; i++) {
		cr_expect_eq(sport[i], sport[0], "one source port");
		for (int j = 0; j < i; j++)
			cr_expect_neq(seq[i], seq[j],
				      "a fresh sequence number per probe");
		cr_expect(seq[i] - seq[i - 1] > 1u << 20 ||
				  seq[i - 1] - seq[i] > 1u << 20,
			  "sequence numbers do not follow each other: %u, %u",
			  seq[i - 1], seq[i]);
	}
	a.sin_port = htons(sport[0]);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0);
	cr_expect(bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 &&
			  errno == EADDRINUSE,
		  "the probes' source port %u is held", sport[0]);
	close(fd);
	close(raw);
	close(l1);
}

/*
 * An ICMP error answering a SYN ends the probe at once with its reason, not
 * at the timeout (a private netns whose nftables rejects the check's port
 * with host-unreachable).
 */
Test(health, tcp_half_open_probe_reads_icmp_errors)
{
	int p1, l1 = listen_tcp(&p1);
	char cmd[512];
	const struct xlbd_check *ck;

	cr_assert_eq(unshare(CLONE_NEWNET), 0, "a private netns: %s",
		     strerror(errno));
	close(l1); /* it was in the host's netns */
	l1 = listen_tcp(&p1);
	cr_assert_eq(system("ip link set lo up"), 0, "lo up");
	snprintf(cmd, sizeof(cmd),
		 "nft 'add table inet xlbt; "
		 "add chain inet xlbt in { type filter hook input priority 0; }; "
		 "add rule inet xlbt in tcp dport %d tcp flags syn "
		 "reject with icmp type host-unreachable'",
		 p1);
	cr_assert_eq(system(cmd), 0, "nft: %s", cmd);
	write_cfg("vips:\n"
		  "  - name: web\n"
		  "    address: 192.0.2.10\n"
		  "    port: 80\n"
		  "    protocol: tcp\n"
		  "    check: {kind: tcp, address: 127.0.0.1, interval: 3s, "
		  "timeout: 2s, rise: 1, fall: 1, initial: up}\n"
		  "    backends:\n"
		  "      - {id: 1, check: {port: %d}}\n",
		  p1);
	start();
	run_until(check_reached, &(struct want){ "web", 1, true }, 5);
	ck = xlbd_health_find(h, "web", 1);
	cr_assert(ck->checked && !ck->up, "1 is down");
	cr_expect(strstr(ck->last_reason, "No route to host"),
		  "the ICMP error's reason: %s", ck->last_reason);
	cr_expect_lt(ck->last_ms, 1000.0,
		     "before the 2 s timeout: %.0f ms", ck->last_ms);
	close(l1);
}

/* IPv6: the kernel sums the SYN's checksum; SYN-ACK up, reset down. */
Test(health, tcp_half_open_probe_over_ipv6)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), p1, p2;
	int c = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert(l >= 0 && c >= 0);
	cr_assert_eq(bind(l, (struct sockaddr *)&a, sizeof(a)), 0, "bind ::1");
	cr_assert_eq(listen(l, 16), 0);
	cr_assert_eq(getsockname(l, (struct sockaddr *)&a, &len), 0);
	p1 = ntohs(a.sin6_port);
	a.sin6_port = 0;
	cr_assert_eq(bind(c, (struct sockaddr *)&a, sizeof(a)), 0);
	len = sizeof(a);
	cr_assert_eq(getsockname(c, (struct sockaddr *)&a, &len), 0);
	p2 = ntohs(a.sin6_port); /* bound, never listening: refused */
	write_fast_tcp_cfg("::1", p1, p2);
	start();
	run_until(check_reached, &(struct want){ "web", 1, false }, 3);
	run_until(check_reached, &(struct want){ "web", 2, true }, 3);
	cr_assert(check_reached(&(struct want){ "web", 1, false }),
		  "1 is up: %s", xlbd_health_find(h, "web", 1)->last_reason);
	cr_expect(strstr(xlbd_health_find(h, "web", 1)->last_reason,
			 "SYN-ACK"),
		  "on the SYN-ACK: %s",
		  xlbd_health_find(h, "web", 1)->last_reason);
	cr_assert(check_reached(&(struct want){ "web", 2, true }), "2 is down");
	cr_expect(strstr(xlbd_health_find(h, "web", 2)->last_reason,
			 "Connection refused"),
		  "on the reset: %s",
		  xlbd_health_find(h, "web", 2)->last_reason);
	close(c);
	close(l);
}

/* Without CAP_NET_RAW, TCP checks connect instead: still up and down. */
Test(health, tcp_check_connects_without_cap_net_raw)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct cap[2];
	int p1, l1 = listen_tcp(&p1), p2 = closed_port(), raw;

	cr_assert_eq(syscall(SYS_capget, &hdr, cap), 0, "capget");
	cap[CAP_NET_RAW / 32].effective &= ~(1u << (CAP_NET_RAW % 32));
	cr_assert_eq(syscall(SYS_capset, &hdr, cap), 0, "capset");
	raw = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
	cr_assert(raw < 0 && errno == EPERM, "no raw socket without the cap");
	write_fast_tcp_cfg("127.0.0.1", p1, p2);
	start();
	run_until(check_reached, &(struct want){ "web", 1, false }, 3);
	run_until(check_reached, &(struct want){ "web", 2, true }, 3);
	cr_assert(check_reached(&(struct want){ "web", 1, false }), "1 is up");
	cr_expect_str_eq(xlbd_health_find(h, "web", 1)->last_reason,
			 "connected", "by a connect");
	cr_assert(check_reached(&(struct want){ "web", 2, true }), "2 is down");
	cr_expect(strstr(xlbd_health_find(h, "web", 2)->last_reason,
			 "Connection refused"),
		  "%s", xlbd_health_find(h, "web", 2)->last_reason);
	close(l1);
}

/* XLB_TCP_CHECK=connect: probes connect (the fallback without raw sockets). */
Test(health, tcp_check_connects_when_told_to)
{
	int p1, l1 = listen_tcp(&p1), fd;
	struct xlbd_health_totals t;

	cr_assert_eq(setenv("XLB_TCP_CHECK", "connect", 1), 0);
	write_fast_tcp_cfg("127.0.0.1", p1, 0);
	start();
	run_until(check_reached, &(struct want){ "web", 1, false }, 3);
	cr_assert(check_reached(&(struct want){ "web", 1, false }), "1 is up");
	cr_expect_str_eq(xlbd_health_find(h, "web", 1)->last_reason,
			 "connected");
	xlbd_health_counts(h, &t);
	cr_expect_str_eq(t.tcp_probe, "connect", "status says connect");
	cr_assert_eq(fcntl(l1, F_SETFL, O_NONBLOCK), 0);
	fd = accept(l1, NULL, NULL);
	cr_expect(fd >= 0, "a connect reached the accept queue");
	if (fd >= 0)
		close(fd);
	close(l1);
}

/* A backend flapping faster than rise/fall never changes the table. */
static int flap_fd = -1, flap_port;

static void flap(evutil_socket_t fd, short what, void *arg)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	(void)fd;
	(void)what;
	(void)arg;
	if (flap_fd >= 0) {
		close(flap_fd);
		flap_fd = -1;
		return;
	}
	a.sin_port = htons((unsigned short)flap_port);
	flap_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(flap_fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	if (bind(flap_fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(flap_fd, 1024))
		cr_log_warn("flap: rebind failed: %s", strerror(errno));
}

Test(health, a_flapping_backend_does_not_flap_the_table)
{
	int p3, l3 = listen_tcp(&p3);
	struct timeval every = { 0, 200000 };
	struct event *ev;
	const struct xlbd_check *ck;

	flap_fd = listen_tcp(&flap_port);
	/* rise 3, fall 3, probes every 100 ms, flips every 200 ms */
	write_cfg("vips:\n"
		  "  - name: web\n"
		  "    address: 192.0.2.10\n"
		  "    port: 80\n"
		  "    protocol: tcp\n"
		  "    check: {kind: tcp, address: 127.0.0.1, interval: 100ms, "
		  "timeout: 50ms, rise: 3, fall: 3, initial: up}\n"
		  "    backends:\n"
		  "      - {id: 1, check: {port: %d}}\n"
		  "      - {id: 3, check: {port: %d}}\n",
		  flap_port, p3);
	start();
	ev = event_new(base, -1, EV_PERSIST, flap, NULL);
	event_add(ev, &every);
	run_for(2.0);
	event_free(ev);
	ck = xlbd_health_find(h, "web", 1);
	cr_expect_gt(ck->failures, 3, "it did fail now and then (%lu)",
		     ck->failures);
	cr_expect_eq(
		ck->transitions, 0,
		"2 failures in a row at most: never down (%lu transitions)",
		ck->transitions);
	cr_expect_not(is_down("web", 1));
	if (flap_fd >= 0)
		close(flap_fd);
	close(l3);
}

Test(health, intervals_fast_while_counting_and_down_while_down)
{
	int p2 = closed_port(), p1, l1 = listen_tcp(&p1);
	const struct xlbd_check *ck;
	unsigned long n0;

	write_cfg("vips:\n"
		  "  - name: web\n"
		  "    address: 192.0.2.10\n"
		  "    port: 80\n"
		  "    protocol: tcp\n"
		  "    check: {kind: tcp, address: 127.0.0.1, interval: 1s, "
		  "fastinterval: 100ms, downinterval: 2s, timeout: 50ms, "
		  "rise: 2, fall: 3, initial: up}\n"
		  "    backends:\n"
		  "      - {id: 1, check: {port: %d}}\n"
		  "      - {id: 2, check: {port: %d}}\n",
		  p1, p2);
	start();
	/* 2 fails: first probe within 1 s, then 2 more at fastinterval */
	run_until(reached, &(struct want){ "web", 2, true }, 3);
	cr_assert(is_down("web", 2));
	ck = xlbd_health_find(h, "web", 2);
	cr_expect_eq(ck->probes, 3,
		     "fall 3: exactly 3 probes, the last two "
		     "100 ms apart (%lu)",
		     ck->probes);
	/* down now: the next probe 2 s later, not 1 s or 100 ms */
	n0 = ck->probes;
	run_for(1.5);
	cr_expect_eq(ck->probes, n0, "no probe within 1.5 s while down");
	run_for(0.7);
	cr_expect_eq(ck->probes, n0 + 1, "one probe at 2 s while down");
	close(l1);
}

/*
 * Each check's first probe goes to a hash of what it checks (its port among
 * it): 40 checks, so what is asserted of the spread holds for all but a
 * vanishing share of the ports the kernel picks (with 10, a range under
 * half the interval came up about once in a hundred runs).
 */
#define SPREAD_N 40
Test(health, first_probes_spread_over_the_interval)
{
	char refs[4096], bes[2048];
	int l[SPREAD_N], p[SPREAD_N];
	size_t used = 0, bused = 0;
	unsigned int lo = ~0u, hi = 0, distinct = 0;
	unsigned int seen[SPREAD_N];

	for (int i = 0; i < SPREAD_N; i++) {
		l[i] = listen_tcp(&p[i]);
		used += (size_t)snprintf(
			refs + used, sizeof(refs) - used,
			"      - {id: %d, check: {port: %d}}\n", i + 1, p[i]);
		cr_assert_lt(used, sizeof(refs));
		if (i < 3) /* write_cfg's own */
			continue;
		bused += (size_t)snprintf(bes + bused, sizeof(bes) - bused,
					  "  - { id: %d, address: 198.18.1.%d }\n",
					  i + 1, i + 1);
		cr_assert_lt(bused, sizeof(bes));
	}
	write_cfg("%s"
		  "vips:\n"
		  "  - name: web\n"
		  "    address: 192.0.2.10\n"
		  "    port: 80\n"
		  "    protocol: tcp\n"
		  "    check: {kind: tcp, address: 127.0.0.1, interval: 1s}\n"
		  "    backends:\n%s",
		  bes, refs);
	start();
	for (int i = 0; i < SPREAD_N; i++) {
		const struct xlbd_check *ck =
			xlbd_health_find(h, "web", (__u32)i + 1);
		bool dup = false;

		cr_assert_not_null(ck);
		cr_expect_lt(ck->spread_ms, 1000, "inside the interval");
		for (unsigned int j = 0; j < distinct; j++)
			dup |= seen[j] == ck->spread_ms;
		if (!dup)
			seen[distinct++] = ck->spread_ms;
		lo = ck->spread_ms < lo ? ck->spread_ms : lo;
		hi = ck->spread_ms > hi ? ck->spread_ms : hi;
	}
	/* 40 offsets among 1000 ms: under one shared offset expected */
	cr_expect_geq(distinct, SPREAD_N - 8, "no burst: %u distinct start offsets",
		      distinct);
	cr_expect_geq(hi - lo, 500, "spread over the interval: %u..%u ms", lo,
		      hi);
	/* and they really start there: half an interval in, some ran, not all */
	run_for(0.5);
	{
		int ran = 0;

		for (int i = 0; i < SPREAD_N; i++)
			ran += xlbd_health_find(h, "web", (__u32)i + 1)->probes >
			       0;
		cr_expect(ran > 0 && ran < SPREAD_N,
			  "after 0.5 s some checks ran and some did not (%d)",
			  ran);
	}
	for (int i = 0; i < SPREAD_N; i++)
		close(l[i]);
}

/* ---- on_down: reset and keep --------------------------------------------- */

static void track(const char *vip, __u32 id, int n)
{
	struct xlb_flow f = { .family = XLB_AF_INET, .proto = IPPROTO_TCP };
	struct xlb_ct_entry e = { .backend_id = id };
	int vid = xlb_vip_id_of(&d.maps, xlb_cfg_vip_find(&d.running, vip));

	cr_assert(vid >= 0);
	e.vip_id = (__u16)vid;
	f.dst.v4 = htonl(0xc000020a + (__u32)vid);
	for (int i = 0; i < n; i++) {
		f.sport = htons((unsigned short)(1000 + i));
		f.src.v4 = htonl(0x0a000001 + id);
		cr_assert_eq(xlb_ct_insert(d.maps.conntrack, &f, &e), 0);
	}
}

static long flows(const char *vip, __u32 id)
{
	struct xlb_ct_filter f = { .backend_id = id };

	f.vip_id = xlb_vip_id_of(&d.maps, xlb_cfg_vip_find(&d.running, vip));
	return xlb_ct_count(d.maps.conntrack, &f);
}

Test(health, on_down_reset_cuts_flows_and_keep_keeps_them)
{
	int p1, p3, l1 = listen_tcp(&p1), l3 = listen_tcp(&p3);

	write_cfg(
		"vips:\n"
		"  - name: web\n"
		"    address: 192.0.2.10\n"
		"    port: 80\n"
		"    protocol: tcp\n"
		"    check: {kind: tcp, address: 127.0.0.1, interval: 200ms, "
		"timeout: 100ms, fall: 1, initial: up}\n"
		"    backends: [{id: 1, check: {port: %d}}, {id: 3, check: {port: %d}}]\n"
		"  - name: api\n"
		"    address: 192.0.2.11\n"
		"    port: 80\n"
		"    protocol: tcp\n"
		"    check: {kind: tcp, address: 127.0.0.1, interval: 200ms, "
		"timeout: 100ms, fall: 1, initial: up, on_down: keep}\n"
		"    backends: [{id: 1, check: {port: %d}}, {id: 3, check: {port: %d}}]\n",
		p1, p3, p1, p3);
	start();
	track("web", 1, 5);
	track("api", 1, 4);
	track("web", 3, 2);
	cr_assert_eq(flows("web", 1), 5);
	close(l1);
	run_until(reached, &(struct want){ "web", 1, true }, 3);
	run_until(reached, &(struct want){ "api", 1, true }, 3);
	cr_assert(is_down("web", 1) && is_down("api", 1), "1 is down in both");
	cr_expect_eq(flows("web", 1), 0, "on_down: reset deleted its flows");
	cr_expect_eq(flows("api", 1), 4, "on_down: keep kept them");
	cr_expect_eq(flows("web", 3), 2,
		     "another backend's flows are untouched");
	cr_expect_eq(xlbd_health_find(h, "web", 1),
		     xlbd_health_find(h, "api", 1),
		     "on_down is the reference's: one probe serves both VIPs");
	close(l3);
}

Test(health, same_check_in_two_vips_is_probed_once)
{
	int p1, l1 = listen_tcp(&p1);

	write_cfg("vips:\n"
		  "  - name: web\n"
		  "    address: 192.0.2.10\n"
		  "    port: 80\n"
		  "    protocol: tcp\n"
		  "    check: {kind: tcp, address: 127.0.0.1, port: %d}\n"
		  "    backends: [{id: 1}, {id: 2}]\n"
		  "  - name: web2\n"
		  "    address: 192.0.2.11\n"
		  "    port: 80\n"
		  "    protocol: tcp\n"
		  "    check: {kind: tcp, address: 127.0.0.1, port: %d}\n"
		  "    backends: [{id: 1}]\n",
		  p1, p1);
	start();
	cr_expect_eq(xlbd_health_find(h, "web", 1),
		     xlbd_health_find(h, "web2", 1),
		     "one state machine for both references");
	cr_expect_neq(xlbd_health_find(h, "web", 1),
		      xlbd_health_find(h, "web", 2),
		      "another backend has its own");
	cr_expect_eq(xlbd_health_find(h, "web", 1)->nrefs, 2);
	close(l1);
}

/* ---- reload and restart --------------------------------------------------- */

static const char *two_vips =
	"vips:\n"
	"  - name: web\n"
	"    address: 192.0.2.10\n"
	"    port: 80\n"
	"    protocol: tcp\n"
	"    check: {kind: tcp, address: 127.0.0.1, interval: %s, timeout: 100ms, rise: 1}\n"
	"    backends: [{id: 1, check: {port: %d}}, {id: 2, check: {port: %d}}]\n";

Test(health, reload_keeps_unchanged_checks_and_restarts_changed_ones)
{
	int p1, l1 = listen_tcp(&p1), p2 = closed_port();
	char err[XLB_ERR_MAX];
	const struct xlbd_check *ck1;

	write_cfg(two_vips, "200ms", p1, p2);
	start();
	run_until(reached, &(struct want){ "web", 2, true }, 3);
	cr_assert(!is_down("web", 1) && is_down("web", 2));
	ck1 = xlbd_health_find(h, "web", 1);

	/* same checks, one more VIP: state and state machine stay */
	{
		char body[1024];

		snprintf(body, sizeof(body), two_vips, "200ms", p1, p2);
		write_cfg("%s  - {name: other, address: 192.0.2.12, port: 81, "
			  "protocol: tcp, backends: [{id: 3}]}\n",
			  body);
	}
	cr_assert_eq(xlbd_reload(&d, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(xlbd_health_find(h, "web", 1), ck1,
		     "an unchanged check keeps its state machine");
	cr_expect(!is_down("web", 1) && is_down("web", 2),
		  "and the tables keep its state: nothing flaps");

	/* a changed interval: a new check, from its initial state (down) */
	write_cfg(two_vips, "300ms", p1, p2);
	cr_assert_eq(xlbd_reload(&d, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(xlbd_health_find(h, "web", 1)->up, false,
		     "a changed check starts over");
	close(l1);
}

Test(health, restart_over_pinned_maps_keeps_the_last_states)
{
	int p1, l1 = listen_tcp(&p1), p2 = closed_port(), p3,
		l3 = listen_tcp(&p3);

	write_cfg(
		"vips:\n"
		"  - name: web\n"
		"    address: 192.0.2.10\n"
		"    port: 80\n"
		"    protocol: tcp\n"
		"    check: {kind: tcp, address: 127.0.0.1, interval: 200ms, timeout: 100ms, rise: 1}\n"
		"    backends: [{id: 1, check: {port: %d}}, {id: 2, check: {port: %d}}, {id: 3, check: {port: %d}}]\n",
		p1, p2, p3);
	start();
	run_until(reached, &(struct want){ "web", 2, true }, 3);
	run_until(reached, &(struct want){ "web", 3, false }, 3);
	run_until(reached, &(struct want){ "web", 1, false }, 3);
	cr_assert(!is_down("web", 1) && is_down("web", 2) &&
		  !is_down("web", 3));
	stop(); /* as a kill: the pins stay */

	start();
	cr_expect(!is_down("web", 1), "1 starts up, as pinned (its initial "
				      "state is down)");
	cr_expect(is_down("web", 2), "2 starts down, as pinned");
	cr_expect_eq(xlbd_health_find(h, "web", 1)->up, true);
	cr_expect_eq(slots("web", 2), 0, "the first table leaves 2 out");
	close(l1);
	close(l3);
}

/* Processes of group @pg that are not zombies (an orphan's zombie waits
 * for init, which may be slow to reap in a container). */
static int live_in_group(int pg)
{
	DIR *dd = opendir("/proc");
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(dd);
	while ((e = readdir(dd))) {
		char p[300], buf[512], *rp, st;
		int pgrp = 0;
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(p, sizeof(p), "/proc/%s/stat", e->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && (rp = strrchr(buf, ')')) &&
		    sscanf(rp + 1, " %c %*d %d", &st, &pgrp) == 2 &&
		    pgrp == pg && st != 'Z')
			n++;
		fclose(f);
	}
	closedir(dd);
	return n;
}

/* ---- exec ---------------------------------------------------------------- */

Test(health, exec_exit_status_and_a_timeout_that_kills_the_group)
{
	int p1, l1 = listen_tcp(&p1);
	char flag[200];
	const struct xlbd_check *ck;
	pid_t gone;

	snprintf(flag, sizeof(flag), "%s/flag", dir);
	write_cfg(
		"vips:\n"
		"  - name: web\n"
		"    address: 192.0.2.10\n"
		"    port: 80\n"
		"    protocol: tcp\n"
		"    check: {kind: exec, command: 'test -e %s && test \"$XLB_BACKEND_ID\" = 1 && test -z \"$HOME\"', "
		"interval: 200ms, timeout: 150ms, rise: 1, fall: 1}\n"
		"    backends: [{id: 1}, {id: 3, check: {kind: tcp, address: 127.0.0.1, port: %d}}]\n"
		"  - name: slow\n"
		"    address: 192.0.2.11\n"
		"    port: 80\n"
		"    protocol: tcp\n"
		"    check: {kind: exec, command: 'echo $$ > %s/pgid.t && mv %s/pgid.t %s/pgid; sleep 5 & sleep 5; wait', interval: 300ms, timeout: 100ms}\n"
		"    backends: [{id: 2}]\n",
		flag, p1, dir, dir, dir);
	start();
	run_until(check_reached, &(struct want){ "web", 3, false }, 3);
	ck = xlbd_health_find(h, "web", 1);
	run_until(check_reached, &(struct want){ "web", 1, true }, 3);
	run_until(reached, &(struct want){ "web", 1, true }, 3);
	cr_expect(is_down("web", 1), "no flag file: exit status 1: down");
	cr_expect(strstr(ck->last_reason, "exit status 1"), "%s",
		  ck->last_reason);
	fclose(fopen(flag, "w"));
	run_until(reached, &(struct want){ "web", 1, false }, 3);
	cr_expect(!is_down("web", 1),
		  "flag there, clean environment with the backend's id: up");

	ck = xlbd_health_find(h, "slow", 2);
	run_until(reached, &(struct want){ "slow", 2, true }, 0.8);
	cr_expect_geq(ck->probes, 1);
	cr_expect(strstr(ck->last_reason, "timeout after 100ms"), "%s",
		  ck->last_reason);
	cr_expect_lt(ck->last_ms, 150, "the timeout ends it: %.0f ms",
		     ck->last_ms);
	/* the group is gone, its background sleep too, and the child reaped */
	stop();
	{
		char pf[256];
		FILE *f;
		int pg = 0;

		snprintf(pf, sizeof(pf), "%s/pgid", dir);
		f = fopen(pf, "r");
		cr_assert_not_null(f, "the command ran");
		cr_assert_eq(fscanf(f, "%d", &pg), 1);
		fclose(f);
		unlink(pf);
		usleep(100000); /* SIGKILL is delivered at once; give it 0.1 s */
		cr_expect_eq(live_in_group(pg), 0,
			     "no live process left in group %d", pg);
	}
	gone = waitpid(-1, NULL, WNOHANG);
	cr_expect_eq(gone, -1, "no child left to reap");
	close(l1);
}

/* ---- http ----------------------------------------------------------------- */

static int http_status = 200;
static const char *http_body = "all ok";
static char http_host[128];

static void http_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();
	const char *host = evhttp_find_header(
		evhttp_request_get_input_headers(req), "Host");

	(void)arg;
	snprintf(http_host, sizeof(http_host), "%s", host ? host : "");
	evbuffer_add_printf(b, "%s", http_body);
	evhttp_send_reply(req, http_status, "X", b);
	evbuffer_free(b);
}

Test(health, http_status_body_and_host)
{
	struct evhttp *http = evhttp_new(base);
	struct evhttp_bound_socket *bs;
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int port, p3, l3 = listen_tcp(&p3);
	const struct xlbd_check *ck;

	cr_assert_not_null(http);
	evhttp_set_gencb(http, http_cb, NULL);
	bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	cr_assert_not_null(bs);
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&a,
		    &len);
	port = ntohs(a.sin_port);
	write_cfg(
		"vips:\n"
		"  - name: web\n"
		"    address: 192.0.2.10\n"
		"    port: 80\n"
		"    protocol: tcp\n"
		"    check: {kind: http, address: 127.0.0.1, port: %d, path: /healthz, "
		"host: www.example.com, status: 200-299, body: ok, interval: 200ms, "
		"timeout: 150ms, rise: 1, fall: 1}\n"
		"    backends: [{id: 1}, {id: 3, check: {kind: tcp, port: %d}}]\n",
		port, p3);
	start();
	ck = xlbd_health_find(h, "web", 1);
	run_until(check_reached, &(struct want){ "web", 3, false }, 3);
	run_until(check_reached, &(struct want){ "web", 1, false }, 3);
	run_until(reached, &(struct want){ "web", 1, false }, 3);
	cr_expect(!is_down("web", 1), "200 with the body: up (%s)",
		  ck->last_reason);
	{
		char want[64];

		/* curl names the port when it is not the scheme's own */
		snprintf(want, sizeof(want), "www.example.com:%d", port);
		cr_expect_str_eq(http_host, want, "the Host header");
	}

	http_status = 503;
	run_until(reached, &(struct want){ "web", 1, true }, 3);
	cr_expect(is_down("web", 1), "503: down");
	cr_expect(strstr(ck->last_reason, "status 503, not in 200-299"), "%s",
		  ck->last_reason);

	http_status = 200;
	run_until(reached, &(struct want){ "web", 1, false }, 3);
	cr_expect(!is_down("web", 1), "200 again: up");
	http_body = "maintenance";
	run_until(reached, &(struct want){ "web", 1, true }, 3);
	cr_expect(is_down("web", 1), "the body lacks ok: down");
	cr_expect(strstr(ck->last_reason, "lacks \"ok\""), "%s",
		  ck->last_reason);
	stop();
	evhttp_free(http);
	close(l3);
}

/*
 * A check that never ran proves nothing wrong: when the VIP leaves fail
 * open because a sibling came up, the unproven backend leaves the table
 * but keeps its flows, even with on_down: reset.
 */
Test(health, an_unproven_check_leaving_fail_open_keeps_its_flows)
{
	int p1, l1 = listen_tcp(&p1);

	/* backend 2's first probe lies somewhere in an hour: not in this test */
	write_cfg("vips:\n"
		  "  - name: web\n"
		  "    address: 192.0.2.10\n"
		  "    port: 80\n"
		  "    protocol: tcp\n"
		  "    check: {kind: tcp, address: 127.0.0.1, interval: 200ms, "
		  "timeout: 100ms, rise: 1}\n"
		  "    backends: [{id: 1, check: {port: %d}}, "
		  "{id: 2, check: {port: %d, interval: 60m}}]\n",
		  p1, p1);
	start();
	cr_assert_not(is_down("web", 2), "all unproven: fail open");
	track("web", 2, 3);
	run_until(reached, &(struct want){ "web", 2, true }, 3);
	cr_assert(is_down("web", 2),
		  "1 came up: 2, unproven, leaves the table");
	cr_expect_eq(xlbd_health_find(h, "web", 2)->probes, 0,
		     "2 was never probed");
	cr_expect_eq(flows("web", 2), 3, "and its flows stay");
	close(l1);
}

/* ---- udp: a reply, expect, silence, the ICMP port unreachable ------------ */

static const char *udp_answer = "pong\n"; /* NULL: say nothing */

static void udp_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	char buf[256];

	(void)what;
	(void)arg;
	if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl) <
		    0 ||
	    !udp_answer)
		return;
	sendto(fd, udp_answer, strlen(udp_answer), 0, (struct sockaddr *)&from,
	       fl);
}

static int bind_udp(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	cr_assert(fd >= 0, "a UDP socket");
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0, "bind");
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* A closed UDP port on ::1. */
static int closed_udp6(void)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert(fd >= 0, "an IPv6 UDP socket");
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0, "bind ::1");
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin6_port);
}

static const char *reason_of(const char *vip, __u32 id)
{
	const struct xlbd_check *ck = xlbd_health_find(h, vip, id);

	return ck ? ck->last_reason : "(no check)";
}

Test(health, udp_reply_expect_silence_and_port_unreachable)
{
	int pu, pq, pc, fu = bind_udp(&pu), fq = bind_udp(&pq);
	int fc = bind_udp(&pc), pc6 = closed_udp6();
	struct event *eu = event_new(base, fu, EV_READ | EV_PERSIST, udp_cb,
				     NULL);

	close(fc); /* pc: a closed UDP port, answered by port unreachable */
	cr_assert(eu && !event_add(eu, NULL));
	write_cfg("vips:\n"
		  "  - name: dns\n"
		  "    address: 192.0.2.10\n"
		  "    port: 53\n"
		  "    protocol: udp\n"
		  "    check: {kind: udp, address: 127.0.0.1, payload: \"ping\\n\", "
		  "expect: pong, interval: 200ms, timeout: 100ms, rise: 1, fall: 1}\n"
		  "    backends: [{id: 1, check: {port: %d}}, {id: 2, check: {port: %d}},\n"
		  "               {id: 3, check: {address: '::1', port: %d}}]\n"
		  "  - name: quiet\n"
		  "    address: 192.0.2.10\n"
		  "    port: 54\n"
		  "    protocol: udp\n"
		  "    check: {kind: udp, address: 127.0.0.1, require_reply: false, "
		  "interval: 200ms, timeout: 100ms, rise: 1, fall: 1}\n"
		  "    backends: [{id: 1, check: {port: %d}}, {id: 2, check: {port: %d}}]\n",
		  pu, pc, pc6, pq, pc);
	start();
	run_until(check_reached, &(struct want){ "dns", 1, false }, 3);
	run_until(check_reached, &(struct want){ "dns", 2, true }, 3);
	run_until(check_reached, &(struct want){ "quiet", 1, false }, 3);
	run_until(check_reached, &(struct want){ "quiet", 2, true }, 3);
	run_until(check_reached, &(struct want){ "dns", 3, true }, 3);
	cr_expect_str_eq(reason_of("dns", 3), "ICMPv6 port unreachable from ::1",
			 "IPv6: the ICMPv6 message names it");
	cr_expect(xlbd_health_find(h, "dns", 1)->up, "a reply with pong: up (%s)",
		  reason_of("dns", 1));
	cr_expect_str_eq(reason_of("dns", 1), "a reply of 5 bytes");
	cr_expect_not(xlbd_health_find(h, "dns", 2)->up, "a closed port: down");
	cr_expect_str_eq(reason_of("dns", 2),
			 "ICMP port unreachable from 127.0.0.1",
			 "the reason is the ICMP message");
	cr_expect(xlbd_health_find(h, "quiet", 1)->up,
		  "require_reply: false, silence: up (%s)", reason_of("quiet", 1));
	cr_expect_str_eq(reason_of("quiet", 1),
			 "no reply and no ICMP error within 100ms");
	cr_expect_not(xlbd_health_find(h, "quiet", 2)->up,
		      "require_reply: false, port unreachable: down (%s)",
		      reason_of("quiet", 2));

	udp_answer = "nope\n";
	run_until(check_reached, &(struct want){ "dns", 1, true }, 3);
	cr_expect_str_eq(reason_of("dns", 1),
			 "a reply of 5 bytes, without \"pong\"");
	udp_answer = NULL;
	run_for(0.5);
	cr_expect_not(xlbd_health_find(h, "dns", 1)->up, "no reply: down");
	cr_expect_str_eq(reason_of("dns", 1), "no reply within 100ms");
	udp_answer = "pong\n";
	stop();
	event_free(eu);
	close(fu);
	close(fq);
}

/* ---- agent: HAProxy's agent-check words ---------------------------------- */

static char agent_line[64] = "up ready\n";

static void agent_accept(evutil_socket_t fd, short what, void *arg)
{
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

	(void)what;
	(void)arg;
	if (c < 0)
		return;
	/* a few bytes into a fresh socket's buffer: written whole */
	if (write(c, agent_line, strlen(agent_line)) < 0)
		cr_log_warn("agent: write: %s", strerror(errno));
	close(c);
}

static __u32 want_slots;

static bool slots_are(void *arg)
{
	(void)arg;
	return slots("web", 2) == want_slots;
}

static __u8 want_admin;

static bool agent_admin_is(void *arg)
{
	(void)arg;
	return ref("web", 2)->agent_admin == want_admin;
}

Test(health, agent_sets_admin_weight_and_health)
{
	int p1, pa, l1 = listen_tcp(&p1), la = listen_tcp(&pa);
	struct event *ea = event_new(base, la, EV_READ | EV_PERSIST,
				     agent_accept, NULL);
	const struct xlbd_check *ck;

	cr_assert(ea && !event_add(ea, NULL));
	write_cfg("vips:\n"
		  "  - name: web\n"
		  "    address: 192.0.2.10\n"
		  "    port: 80\n"
		  "    protocol: tcp\n"
		  "    check: {kind: tcp, address: 127.0.0.1, port: %d, "
		  "interval: 200ms, timeout: 100ms, rise: 1, fall: 1}\n"
		  "    backends:\n"
		  "      - {id: 1, weight: 4}\n"
		  "      - {id: 2, weight: 4, check: {kind: agent, port: %d}}\n",
		  p1, pa);
	start();
	run_until(check_reached, &(struct want){ "web", 1, false }, 3);
	run_until(check_reached, &(struct want){ "web", 2, false }, 3);
	ck = xlbd_health_find(h, "web", 2);
	cr_assert(ck->up, "\"up ready\": up (%s)", ck->last_reason);
	cr_expect_str_eq(ck->last_reason, "agent: up (ready)");
	cr_expect_gt(slots("web", 2), 400, "ready at weight 4 of 8");

	snprintf(agent_line, sizeof(agent_line), "drain\n");
	want_admin = XLB_ADMIN_DRAIN;
	run_until(agent_admin_is, NULL, 3);
	cr_expect_eq(ref("web", 2)->agent_admin, XLB_ADMIN_DRAIN, "drain");
	cr_expect_eq(slots("web", 2), 0, "drained by its agent: no slot");
	cr_expect(ck->up && !ref("web", 2)->down,
		  "health stays up: admin and health are apart");
	cr_expect_not(ref("web", 2)->drained, "the file's drain is untouched");

	snprintf(agent_line, sizeof(agent_line), "ready 25%%\n");
	want_slots = 202; /* weight 1 beside 4: 1009 / 5, rounded */
	run_until(slots_are, NULL, 3);
	cr_expect_eq(xlb_cfg_ref_weight(&d.running, ref("web", 2)), 1,
		     "25%% of 4");
	cr_expect(slots("web", 2) > 150 && slots("web", 2) < 250,
		  "about a fifth of the slots: %u", slots("web", 2));

	track("web", 2, 5);
	track("web", 1, 3);
	snprintf(agent_line, sizeof(agent_line), "maint\n");
	want_admin = XLB_ADMIN_MAINT;
	run_until(agent_admin_is, NULL, 3);
	cr_expect_eq(slots("web", 2), 0, "maint: no slot");
	cr_expect_eq(flows("web", 2), 0, "maint: its flows are deleted");
	cr_expect_eq(flows("web", 1), 3, "the other backend's flows stay");
	cr_expect(xlbd_health_find(h, "web", 2),
		  "the agent keeps running in its own maint");

	snprintf(agent_line, sizeof(agent_line), "ready\n");
	want_admin = XLB_ADMIN_READY;
	run_until(agent_admin_is, NULL, 3);
	cr_expect_eq(xlb_cfg_ref_weight(&d.running, ref("web", 2)), 1,
		     "ready keeps the 25%% it did not mention");

	snprintf(agent_line, sizeof(agent_line), "down#disk full\n");
	run_until(check_reached, &(struct want){ "web", 2, true }, 3);
	cr_expect_not(ck->up, "down: the check goes down");
	cr_expect(strstr(ck->last_reason, "agent: down: disk full"), "%s",
		  ck->last_reason);
	cr_expect(ref("web", 2)->down, "out of the table as a down backend");

	snprintf(agent_line, sizeof(agent_line), "up\n");
	run_until(check_reached, &(struct want){ "web", 2, false }, 3);
	snprintf(agent_line, sizeof(agent_line), "hello\n");
	run_until(check_reached, &(struct want){ "web", 2, true }, 3);
	cr_expect(strstr(ck->last_reason, "no word it knows"), "%s",
		  ck->last_reason);

	event_free(ea);
	close(la);
	snprintf(agent_line, sizeof(agent_line), "up ready\n");
	run_for(0.5);
	cr_expect(strstr(ck->last_reason, "agent: connect: Connection refused"),
		  "no agent listening: %s", ck->last_reason);
	stop();
	close(l1);
}

/* ---- slow start ----------------------------------------------------------- */

/* A listener on @port again (the one a test closed). */
static int listen_again(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((unsigned short)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert(fd >= 0, "a listener socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0,
		     "bind port %d again: %s", port, strerror(errno));
	cr_assert_eq(listen(fd, 1024), 0, "listen");
	return fd;
}

static bool ramp_is(void *arg)
{
	const struct want *w = arg;

	/* @down reused: true waits for a ramp, false for its end */
	return (ref(w->vip, w->id)->ramp_pct != 0) == w->down;
}

Test(health, slow_start_ramps_a_backend_back_in_steps)
{
	int p1, p2, p3, l1 = listen_tcp(&p1), l2 = listen_tcp(&p2),
			l3 = listen_tcp(&p3);
	struct want ramping = { "web", 3, true }, full = { "web", 3, false };
	char err[XLB_ERR_MAX];
	__u32 at_start, first, second;
	double t;

	/* interval 200ms, rise 2, fall 2; slowstart 2s: steps 25%, 75% */
	write_cfg("vips:\n"
		  "  - name: web\n"
		  "    address: 192.0.2.10\n"
		  "    port: 80\n"
		  "    protocol: tcp\n"
		  "    check: {kind: tcp, address: 127.0.0.1, interval: 200ms, "
		  "timeout: 100ms, rise: 2, fall: 2, slowstart: 2s}\n"
		  "    backends:\n"
		  "      - {id: 1, check: {port: %d}}\n"
		  "      - {id: 2, check: {port: %d}}\n"
		  "      - {id: 3, check: {port: %d}}\n",
		  p1, p2, p3);
	start();
	for (__u32 id = 1; id <= 3; id++)
		run_until(check_reached, &(struct want){ "web", id, false }, 3);
	run_for(0.3);
	for (__u32 id = 1; id <= 3; id++)
		cr_assert_eq(ref("web", id)->ramp_pct, 0,
			     "no slow start for %u's first up after xlbd "
			     "started (HAProxy: never at start)",
			     id);
	at_start = slots("web", 3);
	cr_expect(at_start > 1009 / 3 - 40 && at_start < 1009 / 3 + 40,
		  "3 holds about a third: %u", at_start);

	/* down, then back: a ramp from the first step */
	close(l3);
	run_until(reached, &(struct want){ "web", 3, true }, 3);
	cr_assert(is_down("web", 3), "3 goes down");
	l3 = listen_again(p3);
	run_until(ramp_is, &ramping, 3);
	cr_assert_not(is_down("web", 3), "3 is up again");
	cr_assert_eq(ref("web", 3)->ramp_pct, 25,
		     "the first of 2 steps: the middle of 0..50%%");
	first = slots("web", 3);
	/* ideal: 0.25 / 2.25 of 1009 = 112 */
	cr_expect(first > 80 && first < 150,
		  "a quarter of its weight: %u slots of 1009", first);
	cr_expect_eq(first + slots("web", 1) + slots("web", 2), 1009,
		     "the others hold the rest");

	/* the next step about 1 s later, then its full weight at 2 s */
	t = now_s();
	while (ref("web", 3)->ramp_pct == 25 && now_s() - t < 2)
		run_for(0.05);
	t = now_s() - t;
	cr_assert_eq(ref("web", 3)->ramp_pct, 75, "the second step");
	cr_expect(t > 0.6 && t < 1.4, "a step about 1 s after the first: %.2f",
		  t);
	second = slots("web", 3);
	cr_expect(second > 250 && second < 330,
		  "three quarters: %u slots (ideal 0.75 / 2.75 of 1009 = 275)",
		  second);
	run_until(ramp_is, &full, 2);
	cr_assert_eq(ref("web", 3)->ramp_pct, 0, "the ramp is over");
	cr_expect_eq(slots("web", 3), at_start,
		     "at full weight the table is the one it had before");

	/* going down mid-ramp stops the ramp */
	close(l3);
	run_until(reached, &(struct want){ "web", 3, true }, 3);
	l3 = listen_again(p3);
	run_until(ramp_is, &ramping, 3);
	cr_assert_neq(ref("web", 3)->ramp_pct, 0, "a second ramp");
	close(l3);
	run_until(reached, &(struct want){ "web", 3, true }, 3);
	cr_expect_eq(ref("web", 3)->ramp_pct, 0, "down stops the ramp");
	cr_expect_eq(ref("web", 3)->ramp_start, 0, "and forgets it");
	cr_expect_eq(slots("web", 3), 0);

	/* leaving maint ramps too: a new check, first up after xlbd started */
	l3 = listen_again(p3);
	run_until(check_reached, &(struct want){ "web", 3, false }, 3);
	run_until(ramp_is, &full, 3);
	cr_assert_eq(xlb_edit_backend_maint(&d, "web", 3, true, NULL, err,
					    sizeof(err)),
		     0, "maint: %s", err);
	cr_expect_eq(slots("web", 3), 0, "maint: no slot");
	cr_assert_eq(xlb_edit_backend_maint(&d, "web", 3, false, NULL, err,
					    sizeof(err)),
		     0, "unmaint: %s", err);
	run_until(ramp_is, &ramping, 3);
	cr_expect_eq(ref("web", 3)->ramp_pct, 25,
		     "out of maint, up after rise: a slow start");

	close(l1);
	close(l2);
	close(l3);
}

/* ---- backups (HAProxy's backup servers, keepalived's sorry_server) ------- */

/* @down reused: whether backup @id is benched */
static bool ref_benched_is(void *arg)
{
	const struct want *w = arg;

	return ref(w->vip, w->id)->benched == w->down;
}

Test(health, a_backup_serves_only_while_no_primary_can)
{
	int p1, p2, p3, l1 = listen_tcp(&p1), l2 = listen_tcp(&p2),
			l3 = listen_tcp(&p3);
	struct want on_backup = { "web", 3, false },
		    benched = { "web", 3, true };
	__u32 backup_transitions;

	/* interval 200ms, rise 2, fall 2; 3 is the backup */
	write_cfg("vips:\n"
		  "  - name: web\n"
		  "    address: 192.0.2.10\n"
		  "    port: 80\n"
		  "    protocol: tcp\n"
		  "    check: {kind: tcp, address: 127.0.0.1, interval: 200ms, "
		  "timeout: 100ms, rise: 2, fall: 2}\n"
		  "    backends:\n"
		  "      - {id: 1, check: {port: %d}}\n"
		  "      - {id: 2, check: {port: %d}}\n"
		  "      - {id: 3, backup: true, check: {port: %d}}\n",
		  p1, p2, p3);
	start();
	for (__u32 id = 1; id <= 3; id++)
		run_until(check_reached, &(struct want){ "web", id, false }, 3);
	run_for(0.3);
	cr_assert_not(is_down("web", 1) || is_down("web", 2) ||
			      is_down("web", 3),
		      "every check is up");
	cr_assert(ref("web", 3)->benched, "primaries up: the backup stands by");
	cr_expect_eq(slots("web", 3), 0, "a benched backup owns no slot");
	cr_expect_eq(slots("web", 1) + slots("web", 2), 1009,
		     "the primaries hold every slot");
	backup_transitions = xlbd_health_find(h, "web", 3)->transitions;

	/* both primaries die: the backup takes every slot, no fail open */
	track("web", 1, 2);
	close(l1);
	close(l2);
	run_until(ref_benched_is, &on_backup, 5);
	cr_assert_not(ref("web", 3)->benched,
		      "no primary can take flows: the backup serves");
	cr_expect(is_down("web", 1) && is_down("web", 2),
		  "the primaries stay down: no fail open while a backup is up");
	cr_expect_eq(slots("web", 3), 1009, "the backup holds every slot");
	cr_expect_eq(flows("web", 1), 0, "on_down: reset cut 1's flows");

	/* flows on the backup stay when a primary returns, like a drain */
	track("web", 3, 4);
	l1 = listen_again(p1);
	run_until(ref_benched_is, &benched, 5);
	cr_assert(ref("web", 3)->benched, "1 is back: the backup stands by");
	cr_expect_eq(slots("web", 1), 1009, "1 holds every slot");
	cr_expect_eq(slots("web", 3), 0, "the backup owns no slot");
	cr_expect_eq(flows("web", 3), 4,
		     "benched is not down: the backup's open flows stay");
	cr_expect_not(is_down("web", 3), "and its health is still up");
	cr_expect_eq(xlbd_health_find(h, "web", 3)->transitions,
		     backup_transitions, "benching is no health transition");

	/* the primaries and the backup down: fail open over the primaries */
	close(l1);
	close(l3);
	run_until(reached, &(struct want){ "web", 3, true }, 5);
	run_until(check_reached, &(struct want){ "web", 1, true }, 5);
	run_for(0.3);
	cr_assert(is_down("web", 3), "the backup is down by its check");
	cr_expect_not(is_down("web", 1) || is_down("web", 2),
		      "no backend can serve: the primaries fail open");
	cr_expect_eq(slots("web", 3), 0, "a down backup does not fail open");
	cr_expect_eq(slots("web", 1) + slots("web", 2), 1009,
		     "the primaries hold every slot");
}

Test(health, backups_without_checks_stand_in_for_primaries_out_by_hand)
{
	char err[XLB_ERR_MAX];

	write_cfg("vips:\n"
		  "  - name: web\n"
		  "    address: 192.0.2.10\n"
		  "    port: 80\n"
		  "    protocol: tcp\n"
		  "    backends:\n"
		  "      - {id: 1}\n"
		  "      - {id: 2, backup: true, weight: 3}\n"
		  "      - {id: 3, backup: true}\n");
	start();
	cr_assert(ref("web", 2)->benched && ref("web", 3)->benched,
		  "1 serves: both backups stand by");
	cr_expect_eq(slots("web", 1), 1009, "1 holds every slot");
	cr_assert_eq(xlb_edit_backend_maint(&d, "web", 1, true, NULL, err,
					    sizeof(err)),
		     0, "maint: %s", err);
	cr_expect_not(ref("web", 2)->benched || ref("web", 3)->benched,
		      "1 in maint: both backups serve");
	cr_expect_eq(slots("web", 1), 0, "maint: 1 owns no slot");
	cr_expect(slots("web", 2) > 700 && slots("web", 2) < 810,
		  "backups share by weight, 3 to 1: %u of 1009",
		  slots("web", 2));
	cr_expect_eq(slots("web", 2) + slots("web", 3), 1009,
		     "the backups hold every slot");
	cr_assert_eq(xlb_edit_backend_health(&d, 2, false, NULL, err,
					     sizeof(err)),
		     0, "backend down 2: %s", err);
	cr_expect_eq(slots("web", 3), 1009, "2 down by hand: 3 alone serves");
	cr_assert_eq(xlb_edit_backend_maint(&d, "web", 1, false, NULL, err,
					    sizeof(err)),
		     0, "unmaint: %s", err);
	cr_expect_eq(slots("web", 1), 1009, "1 is back: it holds every slot");
	cr_expect(ref("web", 3)->benched, "and 3 stands by again");
}
