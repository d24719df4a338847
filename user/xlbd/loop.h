/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds xlbd's event loop: one libevent base that every source
 * of work registers with (signals, the control socket, the 1 s sampler;
 * later health-check sockets, the sync socket and the HTTP listener).
 * Nothing in xlbd blocks waiting for one source: each registers what it
 * waits for and gets called when it is ready.
 *
 * The helpers cover what most modules need (a repeating timer, an fd
 * watcher, a signal handler). A module that needs more of libevent
 * (bufferevents, one-shot timers, evhttp) takes the base with
 * xlbd_loop_base() and registers with it directly; its events live and die
 * with the module, which frees them before the loop is freed.
 */
#ifndef XLB_XLBD_LOOP_H
#define XLB_XLBD_LOOP_H

#include <stddef.h>

struct event_base;
struct xlbd_loop;
struct xlbd_src;

/* What an fd watcher waits for, and what it was woken for. */
#define XLBD_READ 0x1u
#define XLBD_WRITE 0x2u

typedef void xlbd_timer_fn(void *arg);
typedef void xlbd_fd_fn(int fd, unsigned int events, void *arg);
typedef void xlbd_signal_fn(int signo, void *arg);

/* A new loop with no sources; NULL with the reason in @err. */
struct xlbd_loop *xlbd_loop_new(char *err, size_t errlen);
/*
 * Frees the loop and every source still registered with the helpers below
 * (signal handlers go back to what they were). Modules that registered
 * events on the base directly free them first.
 */
void xlbd_loop_free(struct xlbd_loop *l);

/* The libevent base, for modules that use more of libevent than this. */
struct event_base *xlbd_loop_base(struct xlbd_loop *l);

/*
 * Runs until xlbd_loop_stop(), also when no source is registered.
 * Returns 0, or -1 with the reason in @err.
 */
int xlbd_loop_run(struct xlbd_loop *l, char *err, size_t errlen);
/* Makes xlbd_loop_run() return once the running callback is done. */
void xlbd_loop_stop(struct xlbd_loop *l);

/*
 * How long callbacks hold the loop, in this thread's CPU time (what the
 * callback itself costs; another process's load does not count): the
 * longest since the loop started, and how many took over
 * XLBD_LOOP_BUSY_MS. While one runs, every other source waits, the
 * control socket's answers included. Sources registered through the
 * helpers below are timed; events a module adds to the base directly are
 * not.
 */
#define XLBD_LOOP_BUSY_MS 20
void xlbd_loop_busy(const struct xlbd_loop *l, unsigned long long *max_ns,
		    unsigned long long *over);

/*
 * Calls @fn every @period_ms milliseconds (first call one period from
 * now). A late loop does not make up for missed periods: the next call is
 * one period after the late one, so a sampler never fires in a burst.
 */
struct xlbd_src *xlbd_loop_timer(struct xlbd_loop *l, unsigned int period_ms,
				 xlbd_timer_fn *fn, void *arg, char *err,
				 size_t errlen);
/*
 * Calls @fn each time @fd is ready for @events (XLBD_READ, XLBD_WRITE),
 * level-triggered: until the fd is read, or the watcher removed, it fires
 * on every loop turn. The fd stays the caller's.
 */
struct xlbd_src *xlbd_loop_fd(struct xlbd_loop *l, int fd, unsigned int events,
			      xlbd_fd_fn *fn, void *arg, char *err,
			      size_t errlen);
/*
 * Calls @fn from the loop (not from the signal handler) after @signo is
 * delivered; several deliveries before the loop runs may make one call.
 */
struct xlbd_src *xlbd_loop_signal(struct xlbd_loop *l, int signo,
				  xlbd_signal_fn *fn, void *arg, char *err,
				  size_t errlen);

/*
 * Removes and frees a source (NULL is fine). Safe from any callback,
 * the source's own included: it is not called again, even if it was
 * ready in the same loop turn.
 */
void xlbd_src_del(struct xlbd_src *s);

#endif /* XLB_XLBD_LOOP_H */
