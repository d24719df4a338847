// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the TCP check (keepalived's TCP_CHECK, HAProxy's plain
 * check): a non-blocking connect to the check address and port; the
 * connection completing is up, a refusal or an error is down, and the
 * scheduler's timeout ends one that hangs. The socket is closed with a
 * reset (SO_LINGER 0), so 10,000 checks a second leave no TIME_WAIT on
 * the LB and no half-open connection on the backend.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <event2/event.h>

#include "xlbd/health.h"

struct tcp_probe {
	int fd;
	struct event *ev;
};

static void tcp_close(struct tcp_probe *p)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (p->ev)
		event_free(p->ev);
	if (p->fd >= 0) {
		/* best effort: a failure only leaves a TIME_WAIT behind */
		(void)setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(p->fd);
	}
	free(p);
}

static void tcp_ready(evutil_socket_t fd, short what, void *arg)
{
	struct xlbd_check *ck = arg;
	struct tcp_probe *p = ck->priv;
	socklen_t len = sizeof(int);
	int soerr = 0;

	(void)what;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
		soerr = errno;
	tcp_close(p);
	ck->priv = NULL;
	if (soerr)
		xlbd_check_done(ck, false, "connect: %s", strerror(soerr));
	else
		xlbd_check_done(ck, true, "connected");
}

static int tcp_start(struct xlbd_check *ck, char *why, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t sl = xlbd_check_sockaddr(ck, &ss);
	struct tcp_probe *p = calloc(1, sizeof(*p));
	int rc;

	if (!p) {
		snprintf(why, n, "out of memory");
		return -ENOMEM;
	}
	p->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (p->fd < 0) {
		rc = -errno;
		snprintf(why, n, "socket: %s", strerror(-rc));
		tcp_close(p);
		return rc;
	}
	/* through the tunnel: marked for the probe program */
	rc = xlbd_tunnel_prepare(ck, p->fd, why, n);
	if (rc) {
		tcp_close(p);
		return rc;
	}
	/*
	 * Even a connect that completes at once (loopback) is reported from
	 * the loop: done() must not run inside start().
	 */
	if (connect(p->fd, (struct sockaddr *)&ss, sl) &&
	    errno != EINPROGRESS) {
		rc = -errno;
		snprintf(why, n, "connect: %s", strerror(-rc));
		tcp_close(p);
		return rc;
	}
	p->ev = event_new(xlbd_check_base(ck), p->fd, EV_WRITE, tcp_ready, ck);
	if (!p->ev || event_add(p->ev, NULL)) {
		snprintf(why, n, "cannot watch the socket");
		tcp_close(p);
		return -ENOMEM;
	}
	ck->priv = p;
	return 0;
}

static void tcp_cancel(struct xlbd_check *ck)
{
	if (ck->priv)
		tcp_close(ck->priv);
	ck->priv = NULL;
}

const struct xlbd_check_ops xlbd_check_tcp = {
	.name = "tcp",
	.start = tcp_start,
	.cancel = tcp_cancel,
};
