// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlbd: the controller. Reads the config, keeps the pinned maps in line
 * with it, answers the control socket, reloads on SIGHUP. The datapath does
 * not need it to run: stopping xlbd (even with kill -9) leaves the program
 * and maps forwarding, and a new xlbd adopts them without touching a flow.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "lib/ctl.h"
#include "xlbd/daemon.h"
#include "lib/loader.h"
#include "lib/log.h"

#define DEFAULT_CONFIG "/etc/xlb/xlb.yaml"
#define MAX_IFACES 16

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xlbd [-c CONFIG] [-s SOCKET] [-i IFACE]... [-m native|skb]\n"
		"            [--detach-on-exit] [-v]\n"
		"  -c, --config FILE     config file (default " DEFAULT_CONFIG ")\n"
		"  -s, --socket PATH     control socket (default " XLB_CTL_DEFAULT_SOCKET ")\n"
		"  -i, --interface IFACE attach the LB to IFACE at start if it is not\n"
		"  -m, --xdp-mode MODE   native (default) or skb, for -i\n"
		"      --detach-on-exit  detach from every interface on SIGTERM/SIGINT\n"
		"                        (default: the datapath keeps running)\n"
		"  -v, --verbose         debug output, libbpf's included\n");
}

static int setup_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	signal(SIGPIPE, SIG_IGN); /* a client that hangs up is not fatal */
	return signalfd(-1, &set, SFD_CLOEXEC);
}

static int setup_timer(void)
{
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);

	if (fd >= 0 && timerfd_settime(fd, 0, &its, NULL)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void serve_one(struct xlbd *d, int lfd)
{
	struct json_object *req, *resp;
	char err[256];
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	req = xlb_ctl_read(fd, err, sizeof(err));
	resp = req ? xlbd_handle(d, req) : xlb_ctl_error("%s", err);
	if (req) {
		struct json_object *cmd = json_object_object_get(req, "cmd");
		struct json_object *ok = json_object_object_get(resp, "ok");

		if (!json_object_get_boolean(ok))
			pr_info("%s: %s\n", json_object_get_string(cmd),
				json_object_get_string(
					json_object_object_get(resp, "error")));
		else
			pr_debug("%s: ok\n", json_object_get_string(cmd));
	}
	xlb_ctl_write(fd, resp);
	json_object_put(req);
	json_object_put(resp);
	close(fd);
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
		{},
	};
	const char *config = DEFAULT_CONFIG, *sock = XLB_CTL_DEFAULT_SOCKET;
	const char *ifaces[MAX_IFACES];
	enum xlb_xdp_mode mode = XLB_XDP_NATIVE;
	int nifaces = 0, detach_on_exit = 0, verbose = 0, c, rc = 1;
	int sfd = -1, tfd = -1, lfd = -1;
	char err[XLB_ERR_MAX];
	struct xlbd d;
	bool running = true;

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
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	xlb_log_init("xlbd", verbose ? XLB_LOG_DEBUG : XLB_LOG_INFO);

	/* the socket first: a second xlbd must not touch the maps at all */
	lfd = xlb_ctl_listen(sock, err, sizeof(err));
	if (lfd < 0) {
		pr_err("%s\n", err);
		return 1;
	}
	if (xlbd_start(&d, config, err, sizeof(err))) {
		pr_err("%s\n", err);
		close(lfd);
		unlink(sock);
		return 1;
	}
	for (int i = 0; i < nifaces; i++) {
		rc = xlb_attach(d.running.pin_dir, d.ct_size, ifaces[i], mode,
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
	sfd = setup_signals();
	tfd = setup_timer();
	if (sfd < 0 || tfd < 0) {
		pr_err("signals/timer: %s\n", strerror(errno));
		goto out;
	}
	pr_info("serving %zu VIPs, %zu backends from %s; maps in %s "
		"(conntrack %s, %u entries); control socket %s\n",
		d.running.nvips, d.running.nbackends, config, d.running.pin_dir,
		d.ct_adopted ? "adopted" : "created", d.ct_size, sock);

	while (running) {
		struct pollfd p[3] = { { .fd = sfd, .events = POLLIN },
				       { .fd = tfd, .events = POLLIN },
				       { .fd = lfd, .events = POLLIN } };

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			pr_err("poll: %s\n", strerror(errno));
			goto out;
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					if (xlbd_reload(&d, err, sizeof(err)))
						pr_err("reload: %s; the running "
						       "config stays\n", err);
				} else {
					running = false;
				}
			}
		}
		if (p[1].revents & POLLIN) {
			__u64 ticks;

			if (read(tfd, &ticks, sizeof(ticks)) == sizeof(ticks))
				xlbd_sample(&d);
		}
		if (p[2].revents & POLLIN)
			serve_one(&d, lfd);
	}
	if (detach_on_exit)
		detach_all();
	pr_info("exiting; %s\n", detach_on_exit ?
					 "datapath detached" :
					 "the datapath keeps forwarding");
	rc = 0;
out:
	xlbd_stop(&d);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	close(lfd);
	unlink(sock);
	return rc;
}
