/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the control socket's transport: a Unix stream socket,
 * root only (0600 in a 0700 directory); a client connects, writes one JSON
 * object and shuts its write side; the daemon answers one JSON object and
 * closes. One request per connection keeps both sides trivially correct and
 * lets scripts use socat or nc as easily as the xlb CLI.
 *
 * Responses are {"ok": true, ...} or {"ok": false, "error": "what failed"}.
 */
#ifndef XLB_USER_CTL_H
#define XLB_USER_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#define XLB_CTL_DEFAULT_SOCKET "/run/xlb/xlbd.sock"
#define XLB_CTL_MAX_MSG (16u << 20) /* a conntrack listing can be large */

/*
 * Binds @path for the daemon. Refuses (-EADDRINUSE) when another daemon
 * answers on it; removes a stale socket (a socket nobody answers on)
 * otherwise. Anything else at @path (a regular file, a directory, a link)
 * is refused (-EEXIST) and named: "PATH: a directory, not a socket; ...".
 * Returns the listening fd or a negative errno, with the reason in @err.
 */
int xlb_ctl_listen(const char *path, char *err, size_t errlen);

/* Reads one request from an accepted connection; NULL on error. */
struct json_object *xlb_ctl_read(int fd, char *err, size_t errlen);
/* Writes @resp to @fd. Returns 0 or a negative errno. */
int xlb_ctl_write(int fd, struct json_object *resp);

/* Client: sends @req to the daemon at @path and returns its response. */
struct json_object *xlb_ctl_call(const char *path, struct json_object *req,
				 char *err, size_t errlen);

/*
 * How long a client waits for the answer. A change that builds big tables
 * (a 16M-slot Maglev table) can take longer than any fixed read timeout,
 * and leaving early does not undo it: the caller must then say the outcome
 * is unknown, never that it failed.
 */
struct xlb_ctl_wait {
	int timeout_ms; /* give up after this; 0: wait as long as it takes */
	int tick_ms; /* call @tick this often while waiting (0: never) */
	void (*tick)(void *arg); /* progress, e.g. a dot on a terminal */
	void *arg;
	bool timed_out; /* out: gave up waiting (err: "timed out ...") */
};

/*
 * xlb_ctl_call() waiting as @w says (xlb_ctl_call() waits 30 s). On a
 * timeout returns NULL with w->timed_out set and "timed out waiting for
 * xlbd after N s" in @err: the request was sent, its outcome is unknown.
 */
struct json_object *xlb_ctl_call_wait(const char *path,
				      struct json_object *req,
				      struct xlb_ctl_wait *w, char *err,
				      size_t errlen);

/* Builds {"ok": false, "error": ...}. */
struct json_object *xlb_ctl_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* Builds {"ok": true}. */
struct json_object *xlb_ctl_ok(void);

#endif /* XLB_USER_CTL_H */
