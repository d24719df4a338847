// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/ctl.h"
#include "lib/parse.h"
#include "lib/ctl_decode.h"

/* reads (and a client's send) give up after this; see xlb_ctl_call_wait() */
#define CTL_TIMEOUT_S 30

static int fill_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = CTL_TIMEOUT_S };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa;
	int fd, rc = fill_addr(path, &sa);

	if (rc)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = -errno;
		close(fd);
		return rc;
	}
	set_timeouts(fd);
	return fd;
}

static int mkdir_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int xlb_ctl_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int fd, rc;

	rc = fill_addr(path, &sa);
	if (rc)
		return xlb_errf(err, errlen, rc, "control socket %s: path too long",
			    path);
	/*
	 * Only a stale socket is ours to remove: anything else at the path
	 * (a file, a directory, a link) is someone's, and refused by name.
	 */
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode))
			return xlb_errf(err, errlen, -EEXIST,
					"%s: %s, not a socket; xlbd removes "
					"only a stale socket there (move it "
					"away or give another -s)",
					path, xlb_file_kind(st.st_mode));
		fd = connect_to(path);
		if (fd >= 0) {
			close(fd);
			return xlb_errf(err, errlen, -EADDRINUSE,
					"control socket %s: another xlbd "
					"answers on it", path);
		}
		if (fd != -ECONNREFUSED)
			return xlb_errf(err, errlen, fd,
					"control socket %s: connect: %s; not "
					"removing it", path, strerror(-fd));
		if (unlink(path) && errno != ENOENT) /* stale: nobody answered */
			return xlb_errf(err, errlen, -errno,
					"control socket %s: removing the stale "
					"socket: %s", path, strerror(errno));
	} else if (errno != ENOENT) {
		return xlb_errf(err, errlen, -errno, "control socket %s: %s",
				path, strerror(errno));
	}
	rc = mkdir_parent(path);
	if (rc)
		return xlb_errf(err, errlen, rc, "control socket %s: mkdir: %s",
			    path, strerror(-rc));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return xlb_errf(err, errlen, -errno, "control socket: %s",
			    strerror(errno));
	old = umask(0177); /* the socket is born 0600: no window for others */
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old);
	if (!rc && listen(fd, 128)) /* xlbd serves many at once */
		rc = -errno;
	if (rc) {
		close(fd);
		return xlb_errf(err, errlen, rc, "control socket %s: %s", path,
			    strerror(-rc));
	}
	return fd;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Reads one message until the peer closes. Waits in poll() slices so
 * @w->tick runs every @w->tick_ms while the answer is not there, and gives
 * up (-ETIMEDOUT, @w->timed_out) after @w->timeout_ms (0: never).
 */
static struct json_object *read_msg(int fd, struct xlb_ctl_wait *w, char *err,
				    size_t errlen)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	struct json_object *obj;
	int64_t start = now_ms(), next_tick = start + w->tick_ms;
	ssize_t n;

	w->timed_out = false;
	if (!buf) {
		xlb_errf(err, errlen, -ENOMEM, "out of memory");
		return NULL;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t now = now_ms(), wait = -1;
		int pr;

		if (len + 1 >= cap) {
			char *b;

			if (cap >= XLB_CTL_MAX_MSG) {
				free(buf);
				xlb_errf(err, errlen, -EMSGSIZE, "message too long");
				return NULL;
			}
			b = realloc(buf, cap * 2);
			if (!b) {
				free(buf);
				xlb_errf(err, errlen, -ENOMEM, "out of memory");
				return NULL;
			}
			buf = b;
			cap *= 2;
		}
		if (w->timeout_ms > 0) {
			wait = start + w->timeout_ms - now;
			if (wait <= 0) {
				free(buf);
				w->timed_out = true;
				xlb_errf(err, errlen, -ETIMEDOUT,
					 "timed out waiting for xlbd after %g s",
					 w->timeout_ms / 1000.0);
				return NULL;
			}
		}
		if (w->tick && w->tick_ms > 0) {
			if (now >= next_tick) {
				w->tick(w->arg);
				next_tick = now + w->tick_ms;
			}
			if (wait < 0 || next_tick - now < wait)
				wait = next_tick - now;
		}
		pr = poll(&p, 1, wait < 0 ? -1 : (int)wait);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			xlb_errf(err, errlen, -errno, "poll: %s", strerror(errno));
			free(buf);
			return NULL;
		}
		if (!pr)
			continue;
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		/*
		 * A peer that closed with our bytes unread (a daemon refusing
		 * a connection) resets after its data: what came is the
		 * message, and the parser says if it is cut short.
		 */
		if (n < 0 && errno == ECONNRESET && len)
			break;
		if (n < 0) {
			xlb_errf(err, errlen, -errno, "read: %s", strerror(errno));
			free(buf);
			return NULL;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	/* the request rules (lib/ctl_decode.h) hold for answers too */
	obj = xlb_ctl_decode_max(buf, len, XLB_CTL_MAX_MSG, err, errlen);
	free(buf);
	return obj;
}

struct json_object *xlb_ctl_read(int fd, char *err, size_t errlen)
{
	struct xlb_ctl_wait w = { .timeout_ms = CTL_TIMEOUT_S * 1000 };

	set_timeouts(fd);
	return read_msg(fd, &w, err, errlen);
}

int xlb_ctl_write(int fd, struct json_object *resp)
{
	size_t len;
	const char *s = json_object_to_json_string_length(
		resp, JSON_C_TO_STRING_PLAIN, &len);

	while (len) {
		/* MSG_NOSIGNAL: a peer that hung up is an error, not a kill */
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

struct json_object *xlb_ctl_call_wait(const char *path,
				      struct json_object *req,
				      struct xlb_ctl_wait *w, char *err,
				      size_t errlen)
{
	struct json_object *resp;
	int fd = connect_to(path), rc;

	w->timed_out = false;
	if (fd < 0) {
		xlb_errf(err, errlen, fd, "connect to xlbd at %s: %s%s", path,
		     strerror(-fd),
		     fd == -ENOENT || fd == -ECONNREFUSED ?
			     " (is xlbd running?)" : "");
		return NULL;
	}
	rc = xlb_ctl_write(fd, req);
	if (!rc && shutdown(fd, SHUT_WR))
		rc = -errno;
	/*
	 * A daemon that refuses the connection (too many clients) answers and
	 * closes without reading: its answer is still there to read.
	 */
	if (rc && rc != -EPIPE) {
		xlb_errf(err, errlen, rc, "send to xlbd: %s", strerror(-rc));
		close(fd);
		return NULL;
	}
	resp = read_msg(fd, w, err, errlen);
	if (!resp && rc && !w->timed_out)
		xlb_errf(err, errlen, rc, "send to xlbd: %s", strerror(-rc));
	close(fd);
	return resp;
}

struct json_object *xlb_ctl_call(const char *path, struct json_object *req,
				 char *err, size_t errlen)
{
	struct xlb_ctl_wait w = { .timeout_ms = CTL_TIMEOUT_S * 1000 };

	return xlb_ctl_call_wait(path, req, &w, err, errlen);
}

struct json_object *xlb_ctl_error(const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

struct json_object *xlb_ctl_ok(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	return o;
}
