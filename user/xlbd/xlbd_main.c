// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlbd: the controller. Reads the config, keeps the pinned maps in line
 * with it, answers the control socket, reloads on SIGHUP. The datapath does
 * not need it to run: stopping xlbd (even with kill -9) leaves the program
 * and maps forwarding, and a new xlbd adopts them without touching a flow.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/ctl.h"
#include "lib/loader.h"
#include "lib/log.h"
#include "lib/opt.h"
#include "xlbd/ctl_server.h"
#include "xlbd/daemon.h"
#include "xlbd/loop.h"
#include "xlbd/sync.h"

#define DEFAULT_CONFIG "/etc/xlb/xlb.yaml"
#define MAX_IFACES 16

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xlbd [-c CONFIG] [-s SOCKET] [-i IFACE]... [-m native|skb]\n"
		"            [--detach-on-exit] [-v]\n"
		"       xlbd --check [-c CONFIG]\n"
		"  -c, --config FILE     config file (default " DEFAULT_CONFIG ")\n"
		"  -s, --socket PATH     control socket (default " XLB_CTL_DEFAULT_SOCKET ")\n"
		"  -i, --interface IFACE attach the LB to IFACE at start if it is not\n"
		"  -m, --xdp-mode MODE   native (default) or skb, for -i\n"
		"      --detach-on-exit  detach from every interface on SIGTERM/SIGINT\n"
		"                        (default: the datapath keeps running)\n"
		"  -v, --verbose         debug output, libbpf's included\n"
		"      --check           validate CONFIG, resolve its neighbours and build\n"
		"                        its tables, print what it holds, exit 0 or 1;\n"
		"                        touches no map, socket or interface\n"
		"      --version         print the version and exit\n");
}

/* What the loop's sources need; one of these lives in main(). */
struct xlbd_run {
	struct xlbd d;
	struct xlbd_loop *loop;
};

static void on_signal(int signo, void *arg)
{
	struct xlbd_run *r = arg;
	char err[XLB_ERR_MAX];

	if (signo != SIGHUP) {
		xlbd_loop_stop(r->loop);
		return;
	}
	if (xlbd_reload(&r->d, err, sizeof(err)))
		pr_err("reload: %s; the running config stays\n", err);
}

static void on_tick(void *arg)
{
	struct xlbd_run *r = arg;

	xlbd_sample(&r->d);
}

static void on_reap(void *arg)
{
	struct xlbd_run *r = arg;
	long n = xlbd_ct_reap(&r->d);

	if (n < 0)
		pr_err("conntrack: expiring idle entries: %s\n",
		       strerror((int)-n));
}

static struct json_object *on_request(struct json_object *req, void *arg)
{
	struct xlbd_run *r = arg;

	return xlbd_handle(&r->d, req);
}

static void detach_all(void)
{
	struct xlb_attachment at[64];
	int n = xlb_attachments(at, 64);
	char err[256];

	for (int i = 0; i < n; i++) {
		if (xlb_detach(at[i].ifname, err, sizeof(err)))
			pr_err("%s\n", err);
		else
			pr_info("detached from %s\n", at[i].ifname);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "interface", required_argument, NULL, 'i' },
		{ "xdp-mode", required_argument, NULL, 'm' },
		{ "detach-on-exit", no_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "check", no_argument, NULL, 'C' },
		{},
	};
	const char *config = DEFAULT_CONFIG, *sock = XLB_CTL_DEFAULT_SOCKET;
	const char *ifaces[MAX_IFACES];
	enum xlb_xdp_mode mode = XLB_XDP_NATIVE;
	int nifaces = 0, detach_on_exit = 0, verbose = 0, check = 0, c, rc = 1;
	int lfd;
	static const int sigs[] = { SIGHUP, SIGTERM, SIGINT };
	struct xlbd_run r = {};
	struct xlbd_ctl *ctl = NULL;
	char err[XLB_ERR_MAX];

	while ((c = getopt_long(argc, argv, "c:s:i:m:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 's': sock = optarg; break;
		case 'i':
			if (nifaces == MAX_IFACES) {
				fprintf(stderr, "xlbd: at most %d -i\n", MAX_IFACES);
				return 2;
			}
			ifaces[nifaces++] = optarg;
			break;
		case 'm':
			if (xlb_xdp_mode_parse(optarg, &mode)) {
				fprintf(stderr, "xlbd: --xdp-mode: native or skb\n");
				return 2;
			}
			break;
		case 'D': detach_on_exit = 1; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("xlbd %s\n", xlb_version()); return 0;
		case 'C': check = 1; break;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	xlb_log_init("xlbd", verbose ? XLB_LOG_DEBUG : XLB_LOG_INFO);
	if (check) {
		/* like haproxy -c: everything but touching the datapath */
		static char out[1 << 16];

		if (xlbd_check(config, out, sizeof(out))) {
			pr_err("%s\n", out);
			return 1;
		}
		fputs(out, stdout);
		return 0;
	}

	/* the socket first: a second xlbd must not touch the maps at all */
	lfd = xlb_ctl_listen(sock, err, sizeof(err));
	if (lfd < 0) {
		pr_err("%s\n", err);
		return 1;
	}
	if (xlbd_start(&r.d, config, err, sizeof(err))) {
		pr_err("%s\n", err);
		close(lfd);
		unlink(sock);
		return 1;
	}
	for (int i = 0; i < nifaces; i++) {
		rc = xlb_attach(r.d.running.pin_dir, r.d.ct_size, ifaces[i], mode,
				err, sizeof(err));
		if (rc == -EEXIST) {
			pr_info("%s: attached already, keeping it\n", ifaces[i]);
		} else if (rc) {
			pr_err("%s\n", err);
			goto out;
		} else {
			pr_info("attached to %s (%s mode)\n", ifaces[i],
				xlb_xdp_mode_str(mode));
		}
	}
	rc = 1;
	/*
	 * Every source of work registers with the loop: signals (delivered
	 * to the loop, not run in a handler), the 1 s sampler and the control
	 * socket, which serves many clients without waiting on any of them.
	 */
	signal(SIGPIPE, SIG_IGN); /* a client that hangs up is not fatal */
	r.loop = xlbd_loop_new(err, sizeof(err));
	if (!r.loop)
		goto fail;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!xlbd_loop_signal(r.loop, sigs[i], on_signal, &r, err,
				      sizeof(err)))
			goto fail;
	if (!xlbd_loop_timer(r.loop, 1000, on_tick, &r, err, sizeof(err)) ||
	    !xlbd_loop_timer(r.loop, XLBD_CT_REAP_MS, on_reap, &r, err,
			     sizeof(err)))
		goto fail;
	ctl = xlbd_ctl_new(r.loop, lfd, NULL, on_request, &r, err, sizeof(err));
	if (!ctl)
		goto fail;
	if (r.d.running.sync.enabled) {
		r.d.sync = xlbd_sync_new(r.loop, &r.d, err, sizeof(err));
		if (!r.d.sync)
			goto fail;
	}
	pr_info("serving %zu VIPs, %zu backends from %s; maps in %s "
		"(conntrack %s, %u entries); control socket %s\n",
		r.d.running.nvips, r.d.running.nbackends, config,
		r.d.running.pin_dir, r.d.ct_adopted ? "adopted" : "created",
		r.d.ct_size, sock);

	if (xlbd_loop_run(r.loop, err, sizeof(err)))
		goto fail;
	if (detach_on_exit)
		detach_all();
	pr_info("exiting; %s\n", detach_on_exit ?
					 "datapath detached" :
					 "the datapath keeps forwarding");
	rc = 0;
	goto out;
fail:
	pr_err("%s\n", err);
out:
	xlbd_sync_free(r.d.sync);
	r.d.sync = NULL;
	xlbd_ctl_free(ctl);
	xlbd_loop_free(r.loop);
	xlbd_stop(&r.d);
	close(lfd);
	unlink(sock);
	return rc;
}
