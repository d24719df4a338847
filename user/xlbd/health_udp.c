// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the UDP check (keepalived's UDP_CHECK): a connected UDP
 * socket sends the payload to the check address and port. By default a
 * reply is needed (holding the expect string, if one is set); with
 * require_reply: false the probe passes unless an ICMP error comes back
 * within the timeout, for a service that answers nothing it does not
 * understand. A connected socket is told of ICMP errors for its peer
 * (ECONNREFUSED for port unreachable); IP_RECVERR / IPV6_RECVERR queue the
 * ICMP message itself, so the reason names its type and who sent it. One
 * socket per probe, watched by the loop: nothing blocks, no thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>
#include <sys/socket.h>
#include <event2/event.h>

#include "xlbd/health.h"

#define REPLY_MAX 2048

struct udp_probe {
	int fd;
	struct event *ev;
};

static void udp_close(struct udp_probe *p)
{
	if (p->ev)
		event_free(p->ev);
	if (p->fd >= 0)
		close(p->fd);
	free(p);
}

/* What the queued ICMP error says: "ICMP port unreachable from 10.0.0.2". */
static void icmp_reason(int fd, int err, char *buf, size_t n)
{
	char ctl[512], data[64], from[INET6_ADDRSTRLEN] = "";
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };
	const struct sock_extended_err *ee = NULL;
	const char *what = NULL;
	struct cmsghdr *cm;

	snprintf(buf, n, "%s", strerror(err));
	if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
		return;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if ((cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR) ||
		    (cm->cmsg_level == SOL_IPV6 &&
		     cm->cmsg_type == IPV6_RECVERR))
			ee = (const struct sock_extended_err *)CMSG_DATA(cm);
	if (!ee)
		return;
	if (ee->ee_origin == SO_EE_ORIGIN_ICMP) {
		const struct sockaddr_in *o =
			(const struct sockaddr_in *)SO_EE_OFFENDER(ee);

		if (ee->ee_type == ICMP_DEST_UNREACH)
			what = ee->ee_code == ICMP_PORT_UNREACH ?
				       "port unreachable" :
			       ee->ee_code == ICMP_HOST_UNREACH ?
				       "host unreachable" :
			       ee->ee_code == ICMP_NET_UNREACH ?
				       "net unreachable" :
			       ee->ee_code == ICMP_PROT_UNREACH ?
				       "protocol unreachable" :
				       "destination unreachable";
		if (o->sin_family == AF_INET)
			inet_ntop(AF_INET, &o->sin_addr, from, sizeof(from));
	} else if (ee->ee_origin == SO_EE_ORIGIN_ICMP6) {
		const struct sockaddr_in6 *o =
			(const struct sockaddr_in6 *)SO_EE_OFFENDER(ee);

		if (ee->ee_type == ICMP6_DST_UNREACH)
			what = ee->ee_code == ICMP6_DST_UNREACH_NOPORT ?
				       "port unreachable" :
			       ee->ee_code == ICMP6_DST_UNREACH_ADDR ?
				       "address unreachable" :
				       "destination unreachable";
		if (o->sin6_family == AF_INET6)
			inet_ntop(AF_INET6, &o->sin6_addr, from, sizeof(from));
	} else {
		return;
	}
	if (what)
		snprintf(buf, n, "ICMP%s %s%s%s",
			 ee->ee_origin == SO_EE_ORIGIN_ICMP6 ? "v6" : "", what,
			 from[0] ? " from " : "", from);
	else
		snprintf(buf, n, "ICMP%s type %u code %u%s%s",
			 ee->ee_origin == SO_EE_ORIGIN_ICMP6 ? "v6" : "",
			 ee->ee_type, ee->ee_code, from[0] ? " from " : "",
			 from);
}

static void udp_ready(evutil_socket_t fd, short what, void *arg)
{
	struct xlbd_check *ck = arg;
	struct udp_probe *p = ck->priv;
	char buf[REPLY_MAX], why[128];
	ssize_t got;

	(void)what;
	got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return; /* nothing after all: keep waiting */
	if (got < 0) {
		icmp_reason(fd, errno, why, sizeof(why));
		udp_close(p);
		ck->priv = NULL;
		xlbd_check_done(ck, false, "%s", why);
		return;
	}
	udp_close(p);
	ck->priv = NULL;
	if (ck->cfg.expect[0] &&
	    !memmem(buf, (size_t)got, ck->cfg.expect, strlen(ck->cfg.expect)))
		xlbd_check_done(ck, false,
				"a reply of %zd bytes, without \"%s\"", got,
				ck->cfg.expect);
	else
		xlbd_check_done(ck, true, "a reply of %zd bytes", got);
}

static int udp_start(struct xlbd_check *ck, char *why, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t sl = xlbd_check_sockaddr(ck, &ss);
	size_t len = strlen(ck->cfg.payload);
	struct udp_probe *p = calloc(1, sizeof(*p));
	int one = 1, rc;

	if (!p) {
		snprintf(why, n, "out of memory");
		return -ENOMEM;
	}
	p->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (p->fd < 0) {
		rc = -errno;
		snprintf(why, n, "socket: %s", strerror(-rc));
		udp_close(p);
		return rc;
	}
	/* the ICMP message itself, for the reason (and non-fatal errors) */
	if (ss.ss_family == AF_INET)
		rc = setsockopt(p->fd, SOL_IP, IP_RECVERR, &one, sizeof(one));
	else
		rc = setsockopt(p->fd, SOL_IPV6, IPV6_RECVERR, &one,
				sizeof(one));
	if (rc) {
		rc = -errno;
		snprintf(why, n, "setsockopt RECVERR: %s", strerror(-rc));
		udp_close(p);
		return rc;
	}
	if (connect(p->fd, (struct sockaddr *)&ss, sl) ||
	    send(p->fd, ck->cfg.payload, len, 0) != (ssize_t)len) {
		rc = -errno;
		snprintf(why, n, "send: %s", strerror(-rc));
		udp_close(p);
		return rc ? rc : -EIO;
	}
	/* the reply, or the ICMP error (EPOLLERR wakes a read watcher) */
	p->ev = event_new(xlbd_check_base(ck), p->fd, EV_READ | EV_PERSIST,
			  udp_ready, ck);
	if (!p->ev || event_add(p->ev, NULL)) {
		snprintf(why, n, "cannot watch the socket");
		udp_close(p);
		return -ENOMEM;
	}
	ck->priv = p;
	return 0;
}

static void udp_cancel(struct xlbd_check *ck)
{
	if (ck->priv)
		udp_close(ck->priv);
	ck->priv = NULL;
}

static bool udp_expire(struct xlbd_check *ck, char *why, size_t n)
{
	char t[16];

	udp_cancel(ck);
	xlb_check_ms_str(ck->cfg.timeout_ms, t, sizeof(t));
	if (ck->cfg.require_reply) {
		snprintf(why, n, "no reply within %s", t);
		return false;
	}
	snprintf(why, n, "no reply and no ICMP error within %s", t);
	return true;
}

const struct xlbd_check_ops xlbd_check_udp = {
	.name = "udp",
	.start = udp_start,
	.cancel = udp_cancel,
	.expire = udp_expire,
};
