/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds xlbd's side of the control socket, served on the event
 * loop so that no client can hold the daemon: accept never blocks, each
 * connection has its own buffer and its own deadlines, and the answer is
 * written as the client reads it. The wire protocol is lib/ctl.h's: one
 * JSON request per connection, read until the client shuts its write side,
 * one JSON answer, then the daemon closes.
 *
 * What a client can no longer do:
 *  - connect and never write, or write part of a request, or drip it a byte
 *    at a time: the request deadline closes it (after a best-effort error);
 *  - not read its answer: the answer deadline closes it;
 *  - send more than max_msg bytes: it is answered with an error (its bytes
 *    are read and dropped until it shuts its side, so it sees the answer);
 *  - open connections without end: past max_conns a new one is answered
 *    with an error and closed at once.
 * The handler itself runs on the loop: a slow command (a reload) is the
 * one thing every client still waits for, unless it answers later
 * (xlbd_ctl_defer: a walk of a big table, a slice per loop turn). The
 * process must ignore SIGPIPE (xlbd does): a client that leaves mid-answer
 * is an error, not a kill.
 */
#ifndef XLB_XLBD_CTL_SERVER_H
#define XLB_XLBD_CTL_SERVER_H

#include <stddef.h>
#include <json-c/json.h>

#include "xlbd/loop.h"

#define XLBD_CTL_MAX_CONNS 64
#define XLBD_CTL_REQUEST_MS 5000 /* to send the whole request */
#define XLBD_CTL_ANSWER_MS 10000 /* to read the whole answer (MBs for ct) */

/*
 * Answers one request; the server puts the answer. NULL only after the
 * handler called xlbd_ctl_defer(): the answer comes later.
 */
typedef struct json_object *xlbd_ctl_fn(struct json_object *req, void *arg);

/* Limits; a zero field takes the default above (XLB_CTL_MAX_MSG for size). */
struct xlbd_ctl_opts {
	unsigned int max_conns;
	unsigned int request_ms;
	unsigned int answer_ms;
	size_t max_msg;
};

struct xlbd_ctl;

/*
 * Serves the listening socket @lfd (made non-blocking here; it stays the
 * caller's) on @l, answering each request with @fn(req, @arg). @o may be
 * NULL for the defaults. NULL with the reason in @err.
 */
struct xlbd_ctl *xlbd_ctl_new(struct xlbd_loop *l, int lfd,
			      const struct xlbd_ctl_opts *o, xlbd_ctl_fn *fn,
			      void *arg, char *err, size_t errlen);
/* Closes every open connection and stops accepting. NULL is fine. */
void xlbd_ctl_free(struct xlbd_ctl *s);

/* Connections open now. */
unsigned int xlbd_ctl_conns(const struct xlbd_ctl *s);

/*
 * An answer that comes later: the handler of a long request (a walk of
 * millions of conntrack entries) does its work a slice at a time, and the
 * loop serves everything else between slices.
 *
 * Called from inside the handler only (NULL otherwise, or out of memory:
 * then answer now), which then returns NULL. From the next loop turn on,
 * @step(@arg) runs once a turn, after the events already ready, until it
 * returns the answer (non-NULL; the server puts it); each call that
 * returns NULL is progress and moves the connection's deadline (answer_ms
 * from then): only a request whose slices stop coming is timed out.
 * @cancel(@arg) runs instead when the request ends without an answer (the
 * client left, its deadline, xlbd_ctl_free): @arg is then the caller's to
 * free and the handle is gone. With XLBD_CTL_FINISH a request that changes
 * something (a flush) runs to its end even after its client left; only
 * xlbd_ctl_free cancels it. Exactly one of "@step returned an answer",
 * "xlbd_ctl_answer()" and "@cancel ran" ends a handle.
 */
#define XLBD_CTL_FINISH (1u << 0)

struct xlbd_ctl_later;
typedef struct json_object *xlbd_ctl_step_fn(void *arg);
typedef void xlbd_ctl_cancel_fn(void *arg);

struct xlbd_ctl_later *xlbd_ctl_defer(struct xlbd_ctl *s,
				      xlbd_ctl_step_fn *step,
				      xlbd_ctl_cancel_fn *cancel, void *arg,
				      unsigned int flags);
/*
 * Answers @h with @resp (taken) from outside its @step (inside it, return
 * the answer instead); @h is gone after. Neither @step nor @cancel runs
 * again.
 */
void xlbd_ctl_answer(struct xlbd_ctl_later *h, struct json_object *resp);

/* Requests waiting for a later answer now. */
unsigned int xlbd_ctl_pending(const struct xlbd_ctl *s);

#endif /* XLB_XLBD_CTL_SERVER_H */
