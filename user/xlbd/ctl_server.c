// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the control socket's server on xlbd's event loop
 * (ctl_server.h describes what it promises). Each connection is a
 * bufferevent (its own input and output buffers, non-blocking reads and
 * writes) plus one timer for its deadline: bufferevent timeouts measure
 * idleness, and a client dripping a byte a second is never idle, so the
 * deadline counts from accept, then from the answer. A request answered
 * later (xlbd_ctl_defer) waits in C_WAIT with its deadline moved at each
 * slice, and its slices run from a zero-delay timer: one per loop turn,
 * after whatever else was ready.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "lib/ctl.h"
#include "lib/ctl_decode.h"
#include "lib/log.h"
#include "xlbd/ctl_server.h"

#define ACCEPT_BATCH 32 /* per wake-up, so a flood cannot starve the rest */
#define ACCEPT_PAUSE_MS 100 /* out of fds: let connections finish first */

enum conn_state {
	C_READ, /* reading the request */
	C_DISCARD, /* request too large: answered, dropping its bytes */
	C_WAIT, /* request complete: its answer comes later */
	C_WRITE, /* request complete: writing the answer */
};

struct conn {
	struct xlbd_ctl *srv;
	struct bufferevent *bev;
	struct event *deadline;
	enum conn_state state;
	struct xlbd_ctl_later *later; /* C_WAIT */
	LIST_ENTRY(conn) link;
};

struct xlbd_ctl_later {
	struct xlbd_ctl *srv;
	struct conn *conn; /* NULL: the client left, an XLBD_CTL_FINISH runs on */
	struct event *ev; /* zero-delay: the next slice */
	xlbd_ctl_step_fn *step;
	xlbd_ctl_cancel_fn *cancel;
	void *arg;
	unsigned int flags;
	LIST_ENTRY(xlbd_ctl_later) link;
};

struct xlbd_ctl {
	struct event_base *base;
	struct xlbd_ctl_opts o;
	xlbd_ctl_fn *fn;
	void *arg;
	struct event *accept_ev, *resume_ev;
	LIST_HEAD(, conn) conns;
	unsigned int nconns;
	bool refusing; /* logged once per episode of being full */
	struct conn *cur; /* the connection whose handler runs now */
	LIST_HEAD(, xlbd_ctl_later) laters;
	unsigned int nlaters;
};

static void later_free(struct xlbd_ctl_later *h)
{
	struct xlbd_ctl *s = h->srv;

	LIST_REMOVE(h, link);
	s->nlaters--;
	if (h->conn)
		h->conn->later = NULL;
	event_free(h->ev);
	free(h);
}

/* The request ends unanswered: its owner frees what it holds. */
static void later_cancel(struct xlbd_ctl_later *h)
{
	xlbd_ctl_cancel_fn *cancel = h->cancel;
	void *arg = h->arg;

	later_free(h);
	cancel(arg);
}

static void conn_close(struct conn *c)
{
	struct xlbd_ctl *s = c->srv;

	LIST_REMOVE(c, link);
	s->nconns--;
	s->refusing = false;
	if (c->later) {
		if (c->later->flags & XLBD_CTL_FINISH) {
			c->later->conn = NULL; /* runs on; nobody reads it */
			c->later = NULL;
		} else {
			later_cancel(c->later);
		}
	}
	event_free(c->deadline);
	bufferevent_free(c->bev); /* closes the fd */
	free(c);
}

static void arm(struct conn *c, unsigned int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };

	evtimer_add(c->deadline, &tv); /* re-adding moves the deadline */
}

/* Queues @resp (and puts it); the wire form is xlb_ctl_write()'s. */
static int answer(struct conn *c, struct json_object *resp)
{
	size_t len;
	const char *txt = json_object_to_json_string_length(
		resp, JSON_C_TO_STRING_PLAIN, &len);
	int rc = bufferevent_write(c->bev, txt, len);

	json_object_put(resp);
	if (rc)
		pr_err("control socket: cannot queue an answer of %zu bytes\n",
		       len);
	return rc;
}

static void log_answer(const char *cmd, struct json_object *resp)
{
	if (!json_object_get_boolean(json_object_object_get(resp, "ok")))
		pr_info("%s: %s\n", cmd,
			json_object_get_string(
				json_object_object_get(resp, "error")));
	else
		pr_debug("%s: ok\n", cmd);
}

static struct json_object *handle(struct xlbd_ctl *s, struct conn *c,
				  struct json_object *req)
{
	struct json_object *resp;
	const char *cmd =
		json_object_get_string(json_object_object_get(req, "cmd"));

	s->cur = c;
	resp = s->fn(req, s->arg);
	s->cur = NULL;
	if (!cmd)
		cmd = "(no cmd)";
	if (!resp && !c->later) {
		pr_err("%s: the handler gave no answer\n", cmd);
		resp = xlb_ctl_error("%s: no answer (a bug in xlbd)", cmd);
	}
	if (resp && c->later) {
		pr_err("%s: the handler answered and deferred\n", cmd);
		later_cancel(c->later); /* the answer given wins */
	}
	if (resp)
		log_answer(cmd, resp);
	return resp;
}

/* The client shut its side: answer what it sent, then wait for the write. */
static void request_done(struct conn *c)
{
	struct xlbd_ctl *s = c->srv;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct json_object *req = NULL, *resp;
	char err[256];

	bufferevent_disable(c->bev, EV_READ);
	if (c->state == C_READ) {
		/* the decoder takes bytes and a length: a NUL inside a
		 * request is refused, never a place the request ends */
		size_t len = evbuffer_get_length(in);
		char *msg = malloc(len + 1);

		if (msg && evbuffer_remove(in, msg, len) == (ssize_t)len) {
			req = xlb_ctl_decode(msg, len, err, sizeof(err));
		} else {
			snprintf(err, sizeof(err), "out of memory");
		}
		free(msg);
		resp = req ? handle(s, c, req) : xlb_ctl_error("%s", err);
		json_object_put(req);
		if (!resp) {
			/* answered later; the deadline moves with each slice */
			c->state = C_WAIT;
			arm(c, s->o.answer_ms);
			return;
		}
		if (answer(c, resp)) {
			conn_close(c);
			return;
		}
	}
	c->state = C_WRITE;
	arm(c, s->o.answer_ms);
	if (!evbuffer_get_length(bufferevent_get_output(c->bev)))
		conn_close(c); /* the answer went out already */
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct xlbd_ctl *s = c->srv;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (c->state == C_READ && evbuffer_get_length(in) > s->o.max_msg) {
		pr_info("control socket: a request over %zu bytes refused\n",
			s->o.max_msg);
		c->state = C_DISCARD;
		if (answer(c, xlb_ctl_error("request over %zu bytes",
					    s->o.max_msg))) {
			conn_close(c);
			return;
		}
	}
	if (c->state == C_DISCARD)
		evbuffer_drain(in, evbuffer_get_length(in));
}

/* The output buffer ran dry. */
static void on_written(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (c->state == C_WRITE)
		conn_close(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING) &&
	    c->state != C_WRITE) {
		request_done(c);
		return;
	}
	/* an error, or the client left before reading its answer */
	pr_debug("control socket: client gone (%s)\n",
		 (what & BEV_EVENT_ERROR) ? strerror(errno) : "end of file");
	conn_close(c);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct xlbd_ctl *s = c->srv;

	(void)fd;
	(void)what;
	if (c->state == C_WRITE) {
		pr_info("control socket: a client did not read its answer "
			"within %u ms; closed\n",
			s->o.answer_ms);
	} else if (c->state == C_WAIT) {
		pr_info("control socket: a request made no progress within "
			"%u ms; closed\n",
			s->o.answer_ms);
	} else {
		pr_info("control socket: a client sent no whole request within "
			"%u ms; closed\n",
			s->o.request_ms);
		/* best effort, the output is empty: say why, never wait */
		if (c->state == C_READ) {
			struct json_object *e = xlb_ctl_error(
				"no whole request within %u ms (write it, then "
				"shut the write side)",
				s->o.request_ms);
			size_t len;
			const char *txt = json_object_to_json_string_length(
				e, JSON_C_TO_STRING_PLAIN, &len);

			if (send(bufferevent_getfd(c->bev), txt, len,
				 MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
				pr_debug("control socket: %s\n",
					 strerror(errno));
			json_object_put(e);
		}
	}
	conn_close(c);
}

/*
 * Full: answer and close without a connection. What the client wrote
 * already is read first, so it reads the refusal rather than a reset.
 */
static void refuse(struct xlbd_ctl *s, int fd)
{
	struct json_object *e = xlb_ctl_error(
		"xlbd serves %u control connections at once; try again",
		s->o.max_conns);
	size_t len;
	const char *txt = json_object_to_json_string_length(
		e, JSON_C_TO_STRING_PLAIN, &len);
	char junk[4096];

	if (!s->refusing)
		pr_info("control socket: %u connections open; refusing new "
			"ones until one ends\n",
			s->nconns);
	s->refusing = true;
	for (int i = 0; i < 16; i++) /* at most 64 KB: bounded work */
		if (recv(fd, junk, sizeof(junk), MSG_DONTWAIT) <= 0)
			break;
	if (send(fd, txt, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		pr_debug("control socket: refusal: %s\n", strerror(errno));
	json_object_put(e);
	close(fd);
}

static void conn_open(struct xlbd_ctl *s, int fd)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c)
		c->bev = bufferevent_socket_new(s->base, fd,
						BEV_OPT_CLOSE_ON_FREE);
	if (c && c->bev)
		c->deadline = evtimer_new(s->base, on_deadline, c);
	if (!c || !c->bev || !c->deadline ||
	    bufferevent_enable(c->bev, EV_READ)) {
		pr_err("control socket: no memory for a connection\n");
		if (c && c->deadline)
			event_free(c->deadline);
		if (c && c->bev)
			bufferevent_free(c->bev);
		else
			close(fd);
		free(c);
		return;
	}
	c->srv = s;
	c->state = C_READ;
	bufferevent_setcb(c->bev, on_read, on_written, on_event, c);
	arm(c, s->o.request_ms);
	LIST_INSERT_HEAD(&s->conns, c, link);
	s->nconns++;
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct xlbd_ctl *s = arg;

	(void)fd;
	(void)what;
	if (event_add(s->accept_ev, NULL))
		pr_err("control socket: cannot resume accepting\n");
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
	static const struct timeval pause = { .tv_usec =
						      ACCEPT_PAUSE_MS * 1000 };
	struct xlbd_ctl *s = arg;

	(void)what;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			if (s->nconns >= s->o.max_conns)
				refuse(s, fd);
			else
				conn_open(s, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		/* out of fds or memory: the socket stays readable, so stop
		 * watching it for a moment instead of spinning on it */
		pr_err("control socket: accept: %s; pausing %d ms\n",
		       strerror(errno), ACCEPT_PAUSE_MS);
		event_del(s->accept_ev);
		evtimer_add(s->resume_ev, &pause);
		return;
	}
}

struct xlbd_ctl *xlbd_ctl_new(struct xlbd_loop *l, int lfd,
			      const struct xlbd_ctl_opts *o, xlbd_ctl_fn *fn,
			      void *arg, char *err, size_t errlen)
{
	struct xlbd_ctl *s;
	int fl = fcntl(lfd, F_GETFL);

	if (fl < 0 || fcntl(lfd, F_SETFL, fl | O_NONBLOCK)) {
		xlb_errf(err, errlen, -errno, "control socket: %s",
			 strerror(errno));
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		xlb_errf(err, errlen, -ENOMEM, "control socket: out of memory");
		return NULL;
	}
	s->base = xlbd_loop_base(l);
	if (o)
		s->o = *o;
	if (!s->o.max_conns)
		s->o.max_conns = XLBD_CTL_MAX_CONNS;
	if (!s->o.request_ms)
		s->o.request_ms = XLBD_CTL_REQUEST_MS;
	if (!s->o.answer_ms)
		s->o.answer_ms = XLBD_CTL_ANSWER_MS;
	if (!s->o.max_msg)
		s->o.max_msg = XLB_CTL_MAX_MSG;
	s->fn = fn;
	s->arg = arg;
	LIST_INIT(&s->conns);
	LIST_INIT(&s->laters);
	s->accept_ev =
		event_new(s->base, lfd, EV_READ | EV_PERSIST, on_accept, s);
	s->resume_ev = evtimer_new(s->base, on_resume, s);
	if (!s->accept_ev || !s->resume_ev || event_add(s->accept_ev, NULL)) {
		xlbd_ctl_free(s);
		xlb_errf(err, errlen, -ENOMEM,
			 "control socket: cannot watch it on the loop");
		return NULL;
	}
	return s;
}

void xlbd_ctl_free(struct xlbd_ctl *s)
{
	if (!s)
		return;
	while (!LIST_EMPTY(&s->conns)) {
		struct conn *c = LIST_FIRST(&s->conns);

		if (c->state == C_WAIT) {
			/* best effort, nothing queued yet: say why, never wait */
			struct json_object *e = xlb_ctl_error(
				"xlbd is stopping; the request was not finished");
			size_t len;
			const char *txt = json_object_to_json_string_length(
				e, JSON_C_TO_STRING_PLAIN, &len);

			if (send(bufferevent_getfd(c->bev), txt, len,
				 MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
				pr_debug("control socket: %s\n",
					 strerror(errno));
			json_object_put(e);
		}
		conn_close(c);
	}
	/* XLBD_CTL_FINISH ones whose client left */
	while (!LIST_EMPTY(&s->laters))
		later_cancel(LIST_FIRST(&s->laters));
	if (s->accept_ev)
		event_free(s->accept_ev);
	if (s->resume_ev)
		event_free(s->resume_ev);
	free(s);
}

unsigned int xlbd_ctl_conns(const struct xlbd_ctl *s)
{
	return s->nconns;
}

unsigned int xlbd_ctl_pending(const struct xlbd_ctl *s)
{
	return s->nlaters;
}

/* The client closed its side too (not just shut its write side). */
static bool client_gone(struct conn *c)
{
	struct pollfd p = { .fd = bufferevent_getfd(c->bev) };

	/* a stream socket's peer fully closed reports POLLHUP; its mere
	 * shutdown(SHUT_WR), which every request ends with, does not */
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR));
}

/* Queues @resp on @h's connection (if any) and ends @h. */
static void later_done(struct xlbd_ctl_later *h, struct json_object *resp)
{
	struct conn *c = h->conn;
	struct xlbd_ctl *s = h->srv;

	later_free(h);
	if (!c) {
		json_object_put(resp);
		return;
	}
	if (answer(c, resp)) {
		conn_close(c);
		return;
	}
	c->state = C_WRITE;
	arm(c, s->o.answer_ms);
	if (bufferevent_enable(c->bev, EV_WRITE)) {
		pr_err("control socket: cannot write an answer\n");
		conn_close(c);
	}
}

static void on_slice(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval now = { 0, 0 };
	struct xlbd_ctl_later *h = arg;
	struct json_object *resp;

	(void)fd;
	(void)what;
	if (h->conn && client_gone(h->conn)) {
		pr_debug("control socket: client gone before its answer\n");
		if (!(h->flags & XLBD_CTL_FINISH)) {
			conn_close(h->conn); /* cancels @h */
			return;
		}
		conn_close(h->conn);
	}
	resp = h->step(h->arg);
	if (resp) {
		later_done(h, resp);
		return;
	}
	if (h->conn)
		arm(h->conn, h->srv->o.answer_ms);
	if (evtimer_add(h->ev, &now)) {
		pr_err("control socket: cannot schedule a slice\n");
		if (h->conn)
			later_done(h, xlb_ctl_error("out of memory"));
		else
			later_cancel(h);
	}
}

struct xlbd_ctl_later *xlbd_ctl_defer(struct xlbd_ctl *s,
				      xlbd_ctl_step_fn *step,
				      xlbd_ctl_cancel_fn *cancel, void *arg,
				      unsigned int flags)
{
	static const struct timeval now = { 0, 0 };
	struct xlbd_ctl_later *h;

	if (!s || !s->cur || s->cur->later || !step || !cancel)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->ev = evtimer_new(s->base, on_slice, h);
	if (!h->ev || evtimer_add(h->ev, &now)) {
		if (h->ev)
			event_free(h->ev);
		free(h);
		return NULL;
	}
	h->srv = s;
	h->conn = s->cur;
	h->step = step;
	h->cancel = cancel;
	h->arg = arg;
	h->flags = flags;
	LIST_INSERT_HEAD(&s->laters, h, link);
	s->nlaters++;
	s->cur->later = h;
	return h;
}

void xlbd_ctl_answer(struct xlbd_ctl_later *h, struct json_object *resp)
{
	later_done(h, resp);
}
