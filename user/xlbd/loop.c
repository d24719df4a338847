// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds xlbd's event loop, a thin layer over one libevent base
 * (loop.h says why it is there; the commit that added it says why
 * libevent). Sources made by the helpers are kept on a list so freeing the
 * loop frees them too: a module that forgets one at shutdown leaks
 * nothing and leaves no signal handler behind.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>

#include "lib/log.h"
#include "xlbd/loop.h"

enum src_kind { SRC_TIMER, SRC_FD, SRC_SIGNAL };

union src_fn {
	xlbd_timer_fn *timer;
	xlbd_fd_fn *fd;
	xlbd_signal_fn *signal;
};

struct xlbd_src {
	struct xlbd_loop *loop;
	struct event *ev;
	enum src_kind kind;
	union src_fn fn;
	void *arg;
	struct xlbd_src *prev, *next;
};

struct xlbd_loop {
	struct event_base *base;
	struct xlbd_src *srcs;
	unsigned long long busy_max_ns, busy_over; /* xlbd_loop_busy() */
};

/* libevent's own warnings in xlbd's voice, at xlbd's levels. */
static void event_log(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_WARN)
		pr_err("libevent: %s\n", msg);
	else
		pr_debug("libevent: %s\n", msg);
}

struct xlbd_loop *xlbd_loop_new(char *err, size_t errlen)
{
	struct xlbd_loop *l = calloc(1, sizeof(*l));
	struct event_config *cfg;

	if (!l) {
		xlb_errf(err, errlen, -ENOMEM, "event loop: out of memory");
		return NULL;
	}
	event_set_log_callback(event_log);
	/*
	 * A precise monotonic clock: the coarse one libevent would pick lags
	 * by a tick, so a timer could fire a few ms before its period.
	 */
	cfg = event_config_new();
	if (cfg && !event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER))
		l->base = event_base_new_with_config(cfg);
	if (cfg)
		event_config_free(cfg);
	if (!l->base) {
		free(l);
		xlb_errf(err, errlen, -ENOMEM,
			 "event loop: event_base_new failed");
		return NULL;
	}
	pr_debug("event loop: libevent %s, %s backend\n", event_get_version(),
		 event_base_get_method(l->base));
	return l;
}

void xlbd_loop_free(struct xlbd_loop *l)
{
	if (!l)
		return;
	while (l->srcs)
		xlbd_src_del(l->srcs);
	event_base_free(l->base);
	free(l);
}

struct event_base *xlbd_loop_base(struct xlbd_loop *l)
{
	return l->base;
}

void xlbd_loop_busy(const struct xlbd_loop *l, unsigned long long *max_ns,
		    unsigned long long *over)
{
	*max_ns = l->busy_max_ns;
	*over = l->busy_over;
}

static unsigned long long thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (unsigned long long)ts.tv_sec * 1000000000ull +
	       (unsigned long long)ts.tv_nsec;
}

int xlbd_loop_run(struct xlbd_loop *l, char *err, size_t errlen)
{
	if (event_base_loop(l->base, EVLOOP_NO_EXIT_ON_EMPTY) < 0)
		return xlb_errf(err, errlen, -1, "event loop: %s",
				errno ? strerror(errno) : "libevent failed");
	return 0;
}

void xlbd_loop_stop(struct xlbd_loop *l)
{
	event_base_loopbreak(l->base);
}

/*
 * One trampoline for every kind: the callbacks get only what they need.
 * Nothing touches @s after the call, which may have freed it.
 */
static void src_fire(evutil_socket_t fd, short what, void *arg)
{
	struct xlbd_src *s = arg;
	struct xlbd_loop *l = s->loop;
	unsigned long long t0 = thread_cpu_ns(), t;

	switch (s->kind) {
	case SRC_TIMER:
		s->fn.timer(s->arg);
		break;
	case SRC_FD:
		s->fn.fd(fd,
			 ((what & EV_READ) ? XLBD_READ : 0) |
				 ((what & EV_WRITE) ? XLBD_WRITE : 0),
			 s->arg);
		break;
	case SRC_SIGNAL:
		s->fn.signal(fd, s->arg);
		break;
	}
	/* @s may be gone; the loop outlives every callback */
	t = thread_cpu_ns() - t0;
	if (t > l->busy_max_ns)
		l->busy_max_ns = t;
	if (t > XLBD_LOOP_BUSY_MS * 1000000ull)
		l->busy_over++;
}

static struct xlbd_src *src_add(struct xlbd_loop *l, enum src_kind kind, int fd,
				short what, const struct timeval *tv,
				union src_fn fn, void *arg, char *err,
				size_t errlen)
{
	static const char *const kinds[] = { "timer", "fd watcher", "signal" };
	struct xlbd_src *s = calloc(1, sizeof(*s));

	if (!s) {
		xlb_errf(err, errlen, -ENOMEM, "event loop: out of memory");
		return NULL;
	}
	s->loop = l;
	s->kind = kind;
	s->fn = fn;
	s->arg = arg;
	s->ev = event_new(l->base, fd, what | EV_PERSIST, src_fire, s);
	if (!s->ev || event_add(s->ev, tv)) {
		xlb_errf(err, errlen, -EINVAL, "event loop: cannot add %s %d",
			 kinds[kind], fd);
		if (s->ev)
			event_free(s->ev);
		free(s);
		return NULL;
	}
	s->next = l->srcs;
	if (l->srcs)
		l->srcs->prev = s;
	l->srcs = s;
	return s;
}

struct xlbd_src *xlbd_loop_timer(struct xlbd_loop *l, unsigned int period_ms,
				 xlbd_timer_fn *fn, void *arg, char *err,
				 size_t errlen)
{
	struct timeval tv = { .tv_sec = period_ms / 1000,
			      .tv_usec = (period_ms % 1000) * 1000 };

	if (!period_ms) {
		xlb_errf(err, errlen, -EINVAL,
			 "event loop: a timer needs a period");
		return NULL;
	}
	return src_add(l, SRC_TIMER, -1, 0, &tv, (union src_fn){ .timer = fn },
		       arg, err, errlen);
}

struct xlbd_src *xlbd_loop_fd(struct xlbd_loop *l, int fd, unsigned int events,
			      xlbd_fd_fn *fn, void *arg, char *err,
			      size_t errlen)
{
	short what = ((events & XLBD_READ) ? EV_READ : 0) |
		     ((events & XLBD_WRITE) ? EV_WRITE : 0);

	if (fd < 0 || !what) {
		xlb_errf(err, errlen, -EINVAL,
			 "event loop: fd watcher %d: bad fd or no events", fd);
		return NULL;
	}
	return src_add(l, SRC_FD, fd, what, NULL, (union src_fn){ .fd = fn },
		       arg, err, errlen);
}

struct xlbd_src *xlbd_loop_signal(struct xlbd_loop *l, int signo,
				  xlbd_signal_fn *fn, void *arg, char *err,
				  size_t errlen)
{
	return src_add(l, SRC_SIGNAL, signo, EV_SIGNAL, NULL,
		       (union src_fn){ .signal = fn }, arg, err, errlen);
}

void xlbd_src_del(struct xlbd_src *s)
{
	if (!s)
		return;
	/* event_free deletes first: pending or active, it never runs again */
	event_free(s->ev);
	if (s->prev)
		s->prev->next = s->next;
	else
		s->loop->srcs = s->next;
	if (s->next)
		s->next->prev = s->prev;
	free(s);
}
