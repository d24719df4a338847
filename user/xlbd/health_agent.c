// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the agent check (HAProxy's agent-check): a TCP connection
 * to an agent on the backend, the payload sent if one is set (HAProxy's
 * agent-send), and one line read back before the timeout. The line's words
 * (xlbd/health.h, struct xlbd_agent_reply) set two things apart: the
 * health ("up"; "down", "fail", "stopped") drives the check's state
 * machine as any probe does, rise and fall included; the admin state
 * ("ready", "drain", "maint") and the weight ("75%") go to the references
 * the check serves beside their health and beside the file's drain and
 * maint (xlb_cfg_ref.agent_*), through the same commit as a transition. A
 * word the reply leaves out stays as the agent last said it. No connection,
 * no line or a line with no word it knows fails the probe: the agent is the
 * reference's check here, where HAProxy runs it beside another.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/socket.h>
#include <event2/event.h>

#include "lib/log.h"
#include "xlbd/health.h"

#define LINE_MAX_ 512

struct agent_probe {
	int fd;
	struct event *ev;
	bool connected;
	size_t len;
	char buf[LINE_MAX_];
};

static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == ',';
}

int xlbd_agent_parse(const char *buf, size_t len, struct xlbd_agent_reply *out,
		     char *why, size_t n)
{
	char line[LINE_MAX_], said[48], *p, *hash;
	size_t l = 0, known = 0;

	memset(out, 0, sizeof(*out));
	while (l < len && l < sizeof(line) - 1 && buf[l] != '\n' &&
	       buf[l] != '\r' && buf[l] != '\0') {
		line[l] = buf[l];
		l++;
	}
	line[l] = '\0';
	snprintf(said, sizeof(said), "%.40s", line); /* words get cut up */
	/* "down#disk full": what follows "#" is the reason, kept as said */
	hash = strchr(line, '#');
	if (hash) {
		*hash++ = '\0';
		while (*hash == ' ' || *hash == '\t')
			hash++;
		for (size_t i = 0; hash[i] && i < sizeof(out->reason) - 1; i++)
			out->reason[i] =
				isprint((unsigned char)hash[i]) ? hash[i] : '?';
	}
	for (p = line; *p;) {
		char *w;

		while (is_sep(*p))
			p++;
		if (!*p)
			break;
		w = p;
		while (*p && !is_sep(*p))
			p++;
		if (*p)
			*p++ = '\0';
		if (!strcasecmp(w, "up") || !strcasecmp(w, "down") ||
		    !strcasecmp(w, "fail") || !strcasecmp(w, "stopped")) {
			/* the last health word wins, as said (lower case) */
			out->has_health = true;
			out->up = !strcasecmp(w, "up");
			snprintf(out->word, sizeof(out->word), "%.15s", w);
			for (char *c = out->word; *c; c++)
				*c = (char)tolower((unsigned char)*c);
		} else if (!strcasecmp(w, "ready")) {
			out->has_admin = true;
			out->admin = XLB_ADMIN_READY;
		} else if (!strcasecmp(w, "drain")) {
			out->has_admin = true;
			out->admin = XLB_ADMIN_DRAIN;
		} else if (!strcasecmp(w, "maint")) {
			out->has_admin = true;
			out->admin = XLB_ADMIN_MAINT;
		} else if (isdigit((unsigned char)*w)) {
			unsigned long v = 0;
			char *q = w;

			while (isdigit((unsigned char)*q) && v <= 1000000)
				v = v * 10 + (unsigned long)(*q++ - '0');
			if (q[0] != '%' || q[1]) {
				snprintf(why, n,
					 "\"%.20s\" is not a weight in percent "
					 "(75%%)",
					 w);
				return -EINVAL;
			}
			out->has_pct = true;
			out->pct = (__u16)(v > XLBD_AGENT_PCT_MAX ?
						   XLBD_AGENT_PCT_MAX :
						   v);
		} else if (!strncasecmp(w, "maxconn:", 8)) {
			/* xlb caps no connection count: taken, ignored */
		} else {
			continue; /* HAProxy ignores words it does not know */
		}
		known++;
	}
	if (!known) {
		snprintf(
			why, n,
			l ? "agent said \"%.40s\": no word it knows (up, down, "
			    "ready, drain, maint, N%%)" :
			    "agent sent an empty line%.0s",
			said);
		return -EINVAL;
	}
	return 0;
}

static void agent_close(struct agent_probe *p)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (p->ev)
		event_free(p->ev);
	if (p->fd >= 0) {
		/* best effort, as the TCP check: no TIME_WAIT per probe */
		(void)setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(p->fd);
	}
	free(p);
}

static void agent_end(struct xlbd_check *ck)
{
	agent_close(ck->priv);
	ck->priv = NULL;
}

/* A whole line (or the agent closed): what it says decides the probe. */
static void agent_line(struct xlbd_check *ck)
{
	struct agent_probe *p = ck->priv;
	struct xlbd_agent_reply r;
	bool changed = false;
	char why[160], pct[16] = "";

	if (xlbd_agent_parse(p->buf, p->len, &r, why, sizeof(why))) {
		agent_end(ck);
		xlbd_check_done(ck, false, "%s", why);
		return;
	}
	agent_end(ck);
	if (r.has_health)
		ck->agent_down = !r.up;
	if (r.has_admin && r.admin != ck->agent_admin) {
		pr_info("health: backend %u: agent says %s\n", ck->backend_id,
			xlb_admin_name(r.admin));
		ck->agent_admin = r.admin;
		changed = true;
	}
	if (r.has_pct && (!ck->agent_pct_set || r.pct != ck->agent_pct)) {
		pr_info("health: backend %u: agent sets the weight to %u%%\n",
			ck->backend_id, r.pct);
		ck->agent_pct_set = true;
		ck->agent_pct = r.pct;
		changed = true;
	}
	if (changed)
		xlbd_check_agent_changed(ck);
	if (ck->agent_pct_set)
		snprintf(pct, sizeof(pct), " %u%%", ck->agent_pct);
	if (ck->agent_down)
		xlbd_check_done(ck, false, "agent: %s%s%s (%s%s)",
				r.has_health ? r.word : "down",
				r.reason[0] ? ": " : "", r.reason,
				xlb_admin_name(ck->agent_admin), pct);
	else
		xlbd_check_done(ck, true, "agent: up (%s%s)",
				xlb_admin_name(ck->agent_admin), pct);
}

static void agent_io(evutil_socket_t fd, short what, void *arg)
{
	struct xlbd_check *ck = arg;
	struct agent_probe *p = ck->priv;
	socklen_t sl = sizeof(int);
	size_t plen = strlen(ck->cfg.payload);
	int soerr = 0;
	ssize_t got;

	(void)what;
	if (!p->connected) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl))
			soerr = errno;
		if (soerr) {
			agent_end(ck);
			xlbd_check_done(ck, false, "agent: connect: %s",
					strerror(soerr));
			return;
		}
		p->connected = true;
		/* a few bytes into an empty send buffer: all or an error */
		if (plen && send(fd, ck->cfg.payload, plen, MSG_NOSIGNAL) !=
				    (ssize_t)plen) {
			soerr = errno;
			agent_end(ck);
			xlbd_check_done(ck, false, "agent: send: %s",
					strerror(soerr));
			return;
		}
		event_free(p->ev);
		p->ev = event_new(xlbd_check_base(ck), fd, EV_READ | EV_PERSIST,
				  agent_io, ck);
		if (!p->ev || event_add(p->ev, NULL)) {
			agent_end(ck);
			xlbd_check_done(ck, false, "cannot watch the socket");
		}
		return;
	}
	got = recv(fd, p->buf + p->len, sizeof(p->buf) - 1 - p->len,
		   MSG_DONTWAIT);
	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (got < 0) {
		soerr = errno;
		agent_end(ck);
		xlbd_check_done(ck, false, "agent: read: %s", strerror(soerr));
		return;
	}
	p->len += (size_t)got;
	/* a line, the agent closing after its words, or as much as we take */
	if (!got || memchr(p->buf, '\n', p->len) ||
	    p->len == sizeof(p->buf) - 1) {
		if (!p->len) {
			agent_end(ck);
			xlbd_check_done(ck, false,
					"agent: closed without a word");
			return;
		}
		agent_line(ck);
	}
}

static int agent_start(struct xlbd_check *ck, char *why, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t sl = xlbd_check_sockaddr(ck, &ss);
	struct agent_probe *p = calloc(1, sizeof(*p));
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
		agent_close(p);
		return rc;
	}
	if (connect(p->fd, (struct sockaddr *)&ss, sl) &&
	    errno != EINPROGRESS) {
		rc = -errno;
		snprintf(why, n, "agent: connect: %s", strerror(-rc));
		agent_close(p);
		return rc;
	}
	p->ev = event_new(xlbd_check_base(ck), p->fd, EV_WRITE, agent_io, ck);
	if (!p->ev || event_add(p->ev, NULL)) {
		snprintf(why, n, "cannot watch the socket");
		agent_close(p);
		return -ENOMEM;
	}
	ck->priv = p;
	return 0;
}

static void agent_cancel(struct xlbd_check *ck)
{
	if (ck->priv)
		agent_end(ck);
}

const struct xlbd_check_ops xlbd_check_agent = {
	.name = "agent",
	.start = agent_start,
	.cancel = agent_cancel,
};
