// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the TCP check (keepalived's TCP_CHECK, HAProxy's plain
 * check): a non-blocking connect to the check address and port; the
 * connection completing is up, a refusal or an error is down, and the
 * scheduler's timeout ends one that hangs.
 *
 * What a probe costs is what 10,000 checks a second cost, so the sockets
 * are kept: a probe takes an idle socket of a pool, connects it, and gives
 * it back disconnected (connect to AF_UNSPEC: a reset when the connection
 * was made, so no TIME_WAIT on the LB and no half-open connection on the
 * backend, as SO_LINGER 0 and close gave). Every pooled socket sits in one
 * epoll set of the pool's, edge-triggered, for its whole life, and that set
 * is one event of the loop. A probe that connects is then two system calls
 * (connect, disconnect) where a fresh socket took seven (socket, connect,
 * epoll_ctl add and del, getsockopt, setsockopt, close). The edge-triggered
 * set re-reads a socket's state when it reports, so an idle socket's stale
 * wakeup (its disconnect) says nothing about the probe that reuses it: in
 * SYN-SENT a socket reports nothing. Tunnel checks mark their sockets
 * (SO_MARK): those are closed after their probe, not pooled.
 *
 * That is the fallback: where xlbd may open raw sockets, a plain check's
 * probe is half-open (health_tcp_syn.c), a SYN and its answer, cheaper
 * still and with an unguessable sequence number per probe. Tunnel checks
 * keep connecting: the kernel's reset of a SYN-ACK belongs to no socket
 * and carries no mark, so it would not go through the tunnel; the
 * backend would keep the half-open connection, and the next probe (same
 * ports, another sequence number) would meet it. A marked socket sends
 * its ACK and its reset through the tunnel.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <event2/event.h>

#include "lib/log.h"
#include "xlbd/health.h"

/* Idle sockets kept per family; more are closed when given back. */
#define TCP_POOL_IDLE 1024
/* Events read per epoll_wait. */
#define TCP_BATCH 256

struct tcp_sock {
	int fd;
	int fam; /* 0: IPv4, 1: IPv6 */
	bool marked; /* SO_MARK set: not pooled */
	struct xlbd_check *ck; /* the probe it serves, NULL when idle */
	struct tcp_sock *next; /* idle list */
};

struct tcp_pool {
	/* half-open probes for plain checks; NULL: connect (see tcp_pool()) */
	struct xlbd_tcp_syn *syn;
	int ep;
	struct event *ev;
	struct tcp_sock *idle[2];
	unsigned int nidle[2];
};

static void tcp_sock_close(struct tcp_sock *s)
{
	close(s->fd);
	free(s);
}

/*
 * Gives @s back: disconnected (a reset to the backend if it connected),
 * then idle in the pool, or closed.
 */
static void tcp_release(struct tcp_pool *tp, struct tcp_sock *s)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };

	s->ck = NULL;
	if (connect(s->fd, &unspec, sizeof(unspec))) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		/* best effort: a failure only leaves a TIME_WAIT behind */
		(void)setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		tcp_sock_close(s);
		return;
	}
	if (s->marked || tp->nidle[s->fam] >= TCP_POOL_IDLE) {
		tcp_sock_close(s);
		return;
	}
	s->next = tp->idle[s->fam];
	tp->idle[s->fam] = s;
	tp->nidle[s->fam]++;
}

static void tcp_events(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_pool *tp = arg;
	struct epoll_event evs[TCP_BATCH];
	int n;

	(void)fd;
	(void)what;
	/*
	 * Every socket that is ready, in this loop turn: after a loop held up
	 * (a commit), the deadlines of probes that did connect meanwhile run
	 * in the same turn, after this (the scheduler gives them that one
	 * turn), and a probe left for the next would fail for nothing.
	 */
	for (;;) {
		n = epoll_wait(tp->ep, evs, TCP_BATCH, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pr_err("health: tcp: epoll_wait: %s\n",
			       strerror(errno));
			return;
		}
		for (int i = 0; i < n; i++) {
			struct tcp_sock *s = evs[i].data.ptr;
			struct xlbd_check *ck = s->ck;
			socklen_t len = sizeof(int);
			int soerr = 0;

			/* idle: its disconnect's wakeup */
			if (!ck)
				continue;
			if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
				if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR,
					       &soerr, &len))
					soerr = errno;
				if (!soerr)
					soerr = ECONNRESET;
			} else if (!(evs[i].events & EPOLLOUT)) {
				continue;
			}
			ck->priv = NULL;
			tcp_release(tp, s);
			if (soerr)
				xlbd_check_done(ck, false, "connect: %s",
						strerror(soerr));
			else
				xlbd_check_done(ck, true, "connected");
		}
		if (n < TCP_BATCH)
			return;
	}
}

static struct tcp_pool *tcp_pool(struct xlbd_check *ck)
{
	void **slot = xlbd_health_tcp_slot(ck->h);
	struct tcp_pool *tp = *slot;
	const char *force;
	char why[128];

	if (tp)
		return tp;
	tp = calloc(1, sizeof(*tp));
	if (!tp)
		return NULL;
	tp->ep = epoll_create1(EPOLL_CLOEXEC);
	if (tp->ep < 0) {
		free(tp);
		return NULL;
	}
	tp->ev = event_new(xlbd_check_base(ck), tp->ep, EV_READ | EV_PERSIST,
			   tcp_events, tp);
	if (!tp->ev || event_add(tp->ev, NULL)) {
		if (tp->ev)
			event_free(tp->ev);
		close(tp->ep);
		free(tp);
		return NULL;
	}
	/*
	 * Half-open probes where xlbd may open raw sockets (it runs as root to
	 * load its programs, so nearly always); else every probe connects.
	 * XLB_TCP_CHECK=connect forces connecting, to compare the two.
	 */
	force = getenv("XLB_TCP_CHECK");
	if (force && !strcmp(force, "connect")) {
		pr_info("health: tcp checks connect (XLB_TCP_CHECK=connect)\n");
	} else {
		tp->syn = xlbd_tcp_syn_new(xlbd_check_base(ck), why,
					   sizeof(why));
		if (tp->syn)
			pr_info("health: tcp checks probe half-open (a SYN; "
				"the kernel resets the answer)\n");
		else
			pr_info("health: tcp checks connect: no half-open "
				"probes: %s\n",
				why);
	}
	*slot = tp;
	return tp;
}

/*
 * An idle socket of @family, or a new one in the pool's epoll set, in
 * @out. 0, or a negative errno with why in @why.
 */
static int tcp_get(struct tcp_pool *tp, int family, struct tcp_sock **out,
		   char *why, size_t n)
{
	int fam = family == AF_INET6;
	struct tcp_sock *s = tp->idle[fam];
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLET };
	int rc;

	if (s) {
		tp->idle[fam] = s->next;
		tp->nidle[fam]--;
		*out = s;
		return 0;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(why, n, "out of memory");
		return -ENOMEM;
	}
	s->fam = fam;
	s->fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		rc = -errno;
		snprintf(why, n, "socket: %s", strerror(-rc));
		free(s);
		return rc;
	}
	ev.data.ptr = s;
	if (epoll_ctl(tp->ep, EPOLL_CTL_ADD, s->fd, &ev)) {
		rc = -errno;
		snprintf(why, n, "cannot watch the socket: %s", strerror(-rc));
		tcp_sock_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

static int tcp_start(struct xlbd_check *ck, char *why, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t sl = xlbd_check_sockaddr(ck, &ss);
	struct tcp_pool *tp = tcp_pool(ck);
	struct tcp_sock *s = NULL;
	int rc;

	if (!tp) {
		snprintf(why, n, "cannot watch sockets (out of memory)");
		return -ENOMEM;
	}
	if (tp->syn && !ck->mark)
		return xlbd_tcp_syn_start(tp->syn, ck, why, n);
	rc = tcp_get(tp, ss.ss_family, &s, why, n);
	if (rc)
		return rc;
	/* through the tunnel: marked for the probe program */
	if (ck->mark)
		s->marked = true;
	rc = xlbd_tunnel_prepare(ck, s->fd, why, n);
	if (rc) {
		tcp_release(tp, s);
		return rc;
	}
	/*
	 * Even a connect that completes at once (loopback) is reported from
	 * the loop (the socket is in the epoll set before it connects): done()
	 * must not run inside start().
	 */
	if (connect(s->fd, (struct sockaddr *)&ss, sl) &&
	    errno != EINPROGRESS) {
		rc = -errno;
		snprintf(why, n, "connect: %s", strerror(-rc));
		tcp_release(tp, s);
		return rc;
	}
	s->ck = ck;
	ck->priv = s;
	return 0;
}

static void tcp_cancel(struct xlbd_check *ck)
{
	struct tcp_pool *tp = *xlbd_health_tcp_slot(ck->h);

	if (tp->syn && !ck->mark)
		xlbd_tcp_syn_cancel(tp->syn, ck);
	else if (ck->priv)
		tcp_release(tp, ck->priv);
	ck->priv = NULL;
}

const char *xlbd_check_tcp_mode(struct xlbd_health *h, unsigned long *dropped)
{
	struct tcp_pool *tp = *xlbd_health_tcp_slot(h);

	*dropped = tp && tp->syn ? xlbd_tcp_syn_dropped(tp->syn) : 0;
	if (!tp)
		return NULL;
	return tp->syn ? "half-open" : "connect";
}

void xlbd_check_tcp_cleanup(struct xlbd_health *h)
{
	void **slot = xlbd_health_tcp_slot(h);
	struct tcp_pool *tp = *slot;
	struct tcp_sock *s, *next;

	if (!tp)
		return;
	for (int fam = 0; fam < 2; fam++)
		for (s = tp->idle[fam]; s; s = next) {
			next = s->next;
			tcp_sock_close(s);
		}
	xlbd_tcp_syn_free(tp->syn);
	event_free(tp->ev);
	close(tp->ep);
	free(tp);
	*slot = NULL;
}

const struct xlbd_check_ops xlbd_check_tcp = {
	.name = "tcp",
	.start = tcp_start,
	.cancel = tcp_cancel,
};
