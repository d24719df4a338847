// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds `xlb top` (cli/top.h). The terminal is restored on every
 * way out: q, Ctrl-C (SIGINT), SIGTERM, SIGHUP, and an error from xlbd.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "cli/top.h"

static volatile sig_atomic_t quit_sig, resized;

static void on_quit(int sig)
{
	quit_sig = sig;
}

static void on_winch(int sig)
{
	(void)sig;
	resized = 1;
}

static const char *s_of(struct json_object *o, const char *k)
{
	struct json_object *v = json_object_object_get(o, k);

	return v ? json_object_get_string(v) : "";
}

static double d_of(struct json_object *o, const char *k)
{
	return json_object_get_double(json_object_object_get(o, k));
}

static long long i_of(struct json_object *o, const char *k)
{
	return (long long)json_object_get_int64(json_object_object_get(o, k));
}

/* 1234567 -> "1.2M": five columns hold any rate. */
static const char *human(double v, char *buf, size_t n)
{
	static const char *const unit[] = { "", "k", "M", "G", "T", "P" };
	int u = 0;

	while (v >= 999.5 && u < 5) {
		v /= 1000;
		u++;
	}
	if (!u)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%.*f%s", v < 9.95 ? 1 : 0, v, unit[u]);
	return buf;
}

static struct json_object *find_by(struct json_object *arr, const char *k,
				   const char *s, long long id)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);

		if (s ? !strcmp(s_of(o, k), s) : i_of(o, k) == id)
			return o;
	}
	return NULL;
}

/* One line, cut at @width (the terminal would wrap it). */
static void line(FILE *f, int width, int *rows, int max, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void line(FILE *f, int width, int *rows, int max, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (max && *rows >= max)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (width > 0 && (size_t)width < strlen(buf))
		buf[width] = '\0';
	fprintf(f, "%s\n", buf);
	(*rows)++;
}

void xlb_top_frame(FILE *f, struct json_object *stats, struct json_object *vips,
		   struct json_object *status, int width, int rows)
{
	struct json_object *sv = json_object_object_get(stats, "vips");
	struct json_object *sb = json_object_object_get(stats, "backends");
	struct json_object *lv = json_object_object_get(vips, "vips");
	struct json_object *cnt = json_object_object_get(stats, "counters");
	char a[16], b[16], c[16], d[16], t[16], addr[80];
	double tot_pps = 0, tot_bps = 0;
	time_t now = time(NULL);
	int n = 0;

	for (size_t i = 0; i < json_object_array_length(sv); i++) {
		tot_pps += d_of(json_object_array_get_idx(sv, i), "pps");
		tot_bps += d_of(json_object_array_get_idx(sv, i), "bps");
	}
	strftime(t, sizeof(t), "%H:%M:%S", localtime(&now));
	line(f, width, &n, rows,
	     "xlb top - %s  xlbd pid %lld, up %llds  %zu VIPs, %lld backends  "
	     "%s pkt/s %s bit/s",
	     t, i_of(status, "pid"), i_of(status, "uptime_s"),
	     json_object_array_length(lv), i_of(status, "backends"),
	     human(tot_pps, a, sizeof(a)), human(tot_bps, b, sizeof(b)));
	line(f, width, &n, rows,
	     "forwarded %s  dropped (no backend %s, malformed %s)  conntrack "
	     "capacity %lld",
	     human((double)i_of(cnt, "tx_forward"), a, sizeof(a)),
	     human((double)i_of(cnt, "drop_no_backend"), b, sizeof(b)),
	     human((double)i_of(cnt, "drop_malformed"), c, sizeof(c)),
	     i_of(status, "conntrack_capacity"));
	line(f, width, &n, rows, "%s", "");
	line(f, width, &n, rows, "%-22s %-30s %-8s %6s %7s %7s %8s %10s",
	     "VIP / BACKEND", "ADDRESS", "STATE", "WEIGHT", "PKT/S", "BIT/S",
	     "NEWFL/S", "PACKETS");
	for (size_t i = 0; i < json_object_array_length(lv); i++) {
		struct json_object *v = json_object_array_get_idx(lv, i);
		struct json_object *st =
			find_by(sv, "name", s_of(v, "name"), 0);
		struct json_object *bes = json_object_object_get(v, "backends");
		const char *va = s_of(v, "address");

		snprintf(addr, sizeof(addr),
			 strchr(va, ':') ? "[%s]:%lld/%s" : "%s:%lld/%s", va,
			 i_of(v, "port"), s_of(v, "protocol"));
		line(f, width, &n, rows,
		     "%-22s %-30s %-8s %6s %7s %7s %8s %10s", s_of(v, "name"),
		     addr, s_of(v, "mode"), "",
		     human(d_of(st, "pps"), a, sizeof(a)),
		     human(d_of(st, "bps"), b, sizeof(b)),
		     human(d_of(st, "new_flows_ps"), c, sizeof(c)),
		     human((double)i_of(st, "packets"), d, sizeof(d)));
		for (size_t k = 0; k < json_object_array_length(bes); k++) {
			struct json_object *r =
				json_object_array_get_idx(bes, k);
			struct json_object *bs =
				find_by(sb, "id", NULL, i_of(r, "id"));
			bool drained = json_object_get_boolean(
				json_object_object_get(r, "drained"));
			struct json_object *bn =
				json_object_object_get(r, "benched");
			/* down wins: it leaves every table, drained or not;
			 * then maint (the file's or an agent's), then drain,
			 * then a backup standing by */
			const char *state = !strcmp(s_of(r, "health"), "down") ?
						    "down" :
					    !strcmp(s_of(r, "admin"), "maint") ?
						    "maint" :
					    drained || !strcmp(s_of(r, "admin"),
							       "drain") ?
						    "drained" :
					    bn && json_object_get_boolean(bn) ?
						    "standby" :
						    "up";
			char id[24], w[24];

			snprintf(id, sizeof(id), "  backend %lld",
				 i_of(r, "id"));
			snprintf(w, sizeof(w), "%lld", i_of(r, "weight"));
			line(f, width, &n, rows,
			     "%-22s %-30s %-8s %6s %7s %7s %8s %10s", id,
			     s_of(r, "address"), state, w,
			     human(d_of(bs, "pps"), a, sizeof(a)),
			     human(d_of(bs, "bps"), b, sizeof(b)), "",
			     human((double)i_of(bs, "packets"), d, sizeof(d)));
		}
	}
	line(f, width, &n, rows, "%s", "");
	line(f, width, &n, rows,
	     "(backend rates are over every VIP the backend serves)");
}

static struct json_object *req(const char *cmd)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	return o;
}

/* Asks the three questions; 0, or 1 (said why) when xlbd fails. */
static int fetch(xlb_top_ask_fn *ask, void *ctx, struct json_object *r[3])
{
	static const char *const cmds[] = { "stats", "vip.list", "status" };

	for (int i = 0; i < 3; i++) {
		r[i] = ask(ctx, req(cmds[i]));
		if (!r[i] || !json_object_get_boolean(
				     json_object_object_get(r[i], "ok"))) {
			if (r[i])
				fprintf(stderr, "xlb: top: %s: %s\n", cmds[i],
					s_of(r[i], "error"));
			for (int k = 0; k <= i; k++)
				json_object_put(r[k]);
			return 1;
		}
	}
	return 0;
}

static void put3(struct json_object *r[3])
{
	for (int i = 0; i < 3; i++)
		json_object_put(r[i]);
}

int xlb_top(const struct xlb_top_opts *o, xlb_top_ask_fn *ask, void *ctx)
{
	struct sigaction sa = { .sa_handler = on_quit }, old[4];
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	bool tty = !o->once && isatty(STDOUT_FILENO) && isatty(STDIN_FILENO);
	__u32 interval = o->interval ? o->interval : 1, frames = 0;
	struct termios saved, raw;
	struct json_object *r[3];
	int rc = 0;

	if (!tty) {
		/* --once, or not a terminal: frames one after another */
		do {
			if (fetch(ask, ctx, r))
				return 1;
			xlb_top_frame(stdout, r[0], r[1], r[2], 0, 0);
			put3(r);
			fflush(stdout);
			if (o->once ||
			    (o->iterations && ++frames >= o->iterations))
				return 0;
			sleep(interval);
		} while (1);
	}
	if (tcgetattr(STDIN_FILENO, &saved)) {
		fprintf(stderr, "xlb: top: terminal: %s\n", strerror(errno));
		return 1;
	}
	/* keys one at a time, no echo; ISIG stays: Ctrl-C is SIGINT */
	raw = saved;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	sa.sa_handler = on_winch;
	sigaction(SIGWINCH, &sa, &old[3]);
	quit_sig = 0;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
	/* the alternate screen, cursor hidden: the shell's screen comes back */
	fputs("\033[?1049h\033[?25l", stdout);
	while (!quit_sig) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		struct winsize ws = { .ws_col = 0 };
		char *buf = NULL;
		size_t len = 0;
		FILE *mf;
		char key;

		if (fetch(ask, ctx, r)) {
			rc = 1;
			break;
		}
		ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws);
		mf = open_memstream(&buf, &len);
		if (!mf) {
			put3(r);
			rc = 1;
			break;
		}
		xlb_top_frame(mf, r[0], r[1], r[2], ws.ws_col, ws.ws_row);
		fclose(mf);
		put3(r);
		/* one write per frame: no flicker */
		fputs("\033[H\033[2J", stdout);
		fwrite(buf, 1, len, stdout);
		fflush(stdout);
		free(buf);
		if (o->iterations && ++frames >= o->iterations)
			break;
		resized = 0;
		while (!quit_sig && !resized) {
			int k = poll(&p, 1, (int)interval * 1000);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break; /* time for the next frame */
			if (read(STDIN_FILENO, &key, 1) == 1 &&
			    (key == 'q' || key == 'Q'))
				quit_sig = -1;
			else
				break; /* any other key: refresh now */
		}
	}
	fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	sigaction(SIGWINCH, &old[3], NULL);
	return rc;
}
