// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the HTTP and HTTPS checks (keepalived's HTTP_GET and
 * SSL_GET, HAProxy's httpchk): a GET through libcurl's multi interface,
 * driven by the event loop (CURLMOPT_SOCKETFUNCTION registers each socket
 * curl wants watched, CURLMOPT_TIMERFUNCTION its one timer), so thousands
 * of checks share one thread and nothing blocks. Up: a status in the
 * accepted list and, if asked, the body (first 64 KiB) holding the given
 * string. With host: set, the URL names the host and curl is told where
 * it lives (CURLOPT_RESOLVE), so the Host header, the TLS SNI and the
 * certificate name check all use it while the connection goes to the
 * check address. A fresh connection each time, as a client would open.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <event2/event.h>

#include "lib/addr.h"
#include "xlbd/health.h"

#define BODY_MAX (64 * 1024)

struct http_multi {
	CURLM *m;
	struct event_base *base;
	struct event *timer;
};

struct http_sock {
	struct event *ev;
	struct http_multi *hm;
};

struct http_probe {
	CURL *e;
	struct curl_slist *resolve;
	char *body;
	size_t len;
	bool capped;
	/* curl's own words ("SSL certificate problem: self-signed ...") */
	char errbuf[CURL_ERROR_SIZE];
};

static void drain_done(struct http_multi *hm)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(hm->m, &left))) {
		struct xlbd_check *ck = NULL;
		struct http_probe *p;
		CURLcode res = msg->data.result;
		long code = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
				  (char **)&ck);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
				  &code);
		p = ck->priv;
		ck->priv = NULL;
		curl_multi_remove_handle(hm->m, p->e);
		curl_easy_cleanup(p->e);
		curl_slist_free_all(p->resolve);
		if (res != CURLE_OK && !(res == CURLE_WRITE_ERROR && p->capped))
			xlbd_check_done(ck, false, "%s",
					p->errbuf[0] ? p->errbuf :
						       curl_easy_strerror(res));
		else if (!xlb_check_status_ok(ck->cfg.status, code))
			xlbd_check_done(ck, false, "status %ld, not in %s",
					code, ck->cfg.status);
		else if (ck->cfg.body[0] &&
			 (!p->body || !memmem(p->body, p->len, ck->cfg.body,
					      strlen(ck->cfg.body))))
			xlbd_check_done(ck, false,
					"status %ld, but the body lacks \"%s\"",
					code, ck->cfg.body);
		else
			xlbd_check_done(ck, true, "status %ld", code);
		free(p->body);
		free(p);
	}
}

static void on_sock(evutil_socket_t fd, short what, void *arg)
{
	struct http_multi *hm = arg;
	int action = (what & EV_READ ? CURL_CSELECT_IN : 0) |
		     (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
	int running;

	curl_multi_socket_action(hm->m, fd, action, &running);
	drain_done(hm);
}

static void on_curl_timer(evutil_socket_t fd, short what, void *arg)
{
	struct http_multi *hm = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(hm->m, CURL_SOCKET_TIMEOUT, 0, &running);
	drain_done(hm);
}

static int sock_cb(CURL *e, curl_socket_t s, int what, void *userp,
		   void *socketp)
{
	struct http_multi *hm = userp;
	struct http_sock *hs = socketp;
	short kind;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (hs) {
			event_free(hs->ev);
			free(hs);
		}
		curl_multi_assign(hm->m, s, NULL);
		return 0;
	}
	kind = (short)((what & CURL_POLL_IN ? EV_READ : 0) |
		       (what & CURL_POLL_OUT ? EV_WRITE : 0) | EV_PERSIST);
	if (!hs) {
		hs = calloc(1, sizeof(*hs));
		if (!hs)
			return -1;
		hs->hm = hm;
		curl_multi_assign(hm->m, s, hs);
	} else {
		event_free(hs->ev);
	}
	hs->ev = event_new(hm->base, s, kind, on_sock, hm);
	if (!hs->ev || event_add(hs->ev, NULL))
		return -1;
	return 0;
}

static int timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	struct http_multi *hm = userp;
	struct timeval tv;

	(void)m;
	if (timeout_ms < 0) {
		event_del(hm->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return event_add(hm->timer, &tv) ? -1 : 0;
}

static struct http_multi *multi_of(struct xlbd_check *ck)
{
	void **slot = xlbd_health_http_slot(ck->h);
	struct http_multi *hm = *slot;

	if (hm)
		return hm;
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return NULL;
	hm = calloc(1, sizeof(*hm));
	if (!hm)
		return NULL;
	hm->base = xlbd_check_base(ck);
	hm->m = curl_multi_init();
	hm->timer = event_new(hm->base, -1, 0, on_curl_timer, hm);
	if (!hm->m || !hm->timer) {
		if (hm->m)
			curl_multi_cleanup(hm->m);
		if (hm->timer)
			event_free(hm->timer);
		free(hm);
		return NULL;
	}
	curl_multi_setopt(hm->m, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(hm->m, CURLMOPT_SOCKETDATA, hm);
	curl_multi_setopt(hm->m, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(hm->m, CURLMOPT_TIMERDATA, hm);
	*slot = hm;
	return hm;
}

void xlbd_check_http_cleanup(struct xlbd_health *h)
{
	void **slot = xlbd_health_http_slot(h);
	struct http_multi *hm = *slot;

	if (!hm)
		return;
	curl_multi_cleanup(hm->m);
	event_free(hm->timer);
	free(hm);
	*slot = NULL;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_probe *p = arg;
	size_t n = size * nmemb, room;
	char *b;

	if (!p->body) {
		p->body = malloc(BODY_MAX);
		if (!p->body)
			return 0;
	}
	room = BODY_MAX - p->len;
	b = p->body;
	memcpy(b + p->len, data, n < room ? n : room);
	p->len += n < room ? n : room;
	if (n > room) {
		/* enough read: stop the transfer, judge what came */
		p->capped = true;
		return 0;
	}
	return n;
}

/* libcurl's socket, before it connects: a tunnel check's mark */
static int on_sockopt(void *arg, curl_socket_t fd, curlsocktype purpose)
{
	(void)purpose;
	return xlbd_tunnel_mark(arg, fd) ? CURL_SOCKOPT_ERROR : CURL_SOCKOPT_OK;
}

static int http_start(struct xlbd_check *ck, char *why, size_t n)
{
	struct http_multi *hm = multi_of(ck);
	bool tls = ck->cfg.kind == XLB_CHECK_HTTPS;
	char a[XLB_ADDR_STRLEN], url[XLB_CHECK_STR_MAX * 2 + 64],
		res[XLB_CHECK_STR_MAX + 80];
	bool v6 = ck->cfg.family == XLB_AF_INET6;
	struct http_probe *p;

	if (!hm) {
		snprintf(why, n, "libcurl: cannot start");
		return -ENOMEM;
	}
	if (xlbd_tunnel_prepare(ck, -1, why, n))
		return -ENODEV;
	p = calloc(1, sizeof(*p));
	if (!p || !(p->e = curl_easy_init())) {
		free(p);
		snprintf(why, n, "out of memory");
		return -ENOMEM;
	}
	xlb_addr_str(&ck->cfg.addr, ck->cfg.family, a, sizeof(a));
	if (ck->cfg.host[0]) {
		snprintf(url, sizeof(url), "%s://%s:%u%s",
			 tls ? "https" : "http", ck->cfg.host, ck->cfg.port,
			 ck->cfg.path);
		snprintf(res, sizeof(res), "%s:%u:%s%s%s", ck->cfg.host,
			 ck->cfg.port, v6 ? "[" : "", a, v6 ? "]" : "");
		p->resolve = curl_slist_append(NULL, res);
		if (!p->resolve) {
			curl_easy_cleanup(p->e);
			free(p);
			snprintf(why, n, "out of memory");
			return -ENOMEM;
		}
		curl_easy_setopt(p->e, CURLOPT_RESOLVE, p->resolve);
	} else {
		snprintf(url, sizeof(url), "%s://%s%s%s:%u%s",
			 tls ? "https" : "http", v6 ? "[" : "", a,
			 v6 ? "]" : "", ck->cfg.port, ck->cfg.path);
	}
	curl_easy_setopt(p->e, CURLOPT_URL, url);
	curl_easy_setopt(p->e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(p->e, CURLOPT_NOSIGNAL, 1L);
	/* straight to the backend: never through http_proxy and friends */
	curl_easy_setopt(p->e, CURLOPT_PROXY, "");
	curl_easy_setopt(p->e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(p->e, CURLOPT_TIMEOUT_MS, (long)ck->cfg.timeout_ms);
	curl_easy_setopt(p->e, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(p->e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(p->e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(p->e, CURLOPT_USERAGENT, "xlb-health-check");
	curl_easy_setopt(p->e, CURLOPT_SSL_VERIFYPEER,
			 ck->cfg.tls_verify ? 1L : 0L);
	curl_easy_setopt(p->e, CURLOPT_SSL_VERIFYHOST,
			 ck->cfg.tls_verify ? 2L : 0L);
	curl_easy_setopt(p->e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(p->e, CURLOPT_WRITEDATA, p);
	curl_easy_setopt(p->e, CURLOPT_PRIVATE, ck);
	curl_easy_setopt(p->e, CURLOPT_ERRORBUFFER, p->errbuf);
	if (ck->mark) {
		curl_easy_setopt(p->e, CURLOPT_SOCKOPTFUNCTION, on_sockopt);
		curl_easy_setopt(p->e, CURLOPT_SOCKOPTDATA, ck);
	}
	ck->priv = p;
	if (curl_multi_add_handle(hm->m, p->e)) {
		ck->priv = NULL;
		curl_easy_cleanup(p->e);
		curl_slist_free_all(p->resolve);
		free(p);
		snprintf(why, n, "libcurl: cannot add the request");
		return -ENOMEM;
	}
	return 0;
}

static void http_cancel(struct xlbd_check *ck)
{
	struct http_multi *hm = *xlbd_health_http_slot(ck->h);
	struct http_probe *p = ck->priv;

	if (!p)
		return;
	if (hm)
		curl_multi_remove_handle(hm->m, p->e);
	curl_easy_cleanup(p->e);
	curl_slist_free_all(p->resolve);
	free(p->body);
	free(p);
	ck->priv = NULL;
}

const struct xlbd_check_ops xlbd_check_http = {
	.name = "http",
	.start = http_start,
	.cancel = http_cancel,
};
