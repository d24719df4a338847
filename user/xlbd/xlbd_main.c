// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlbd: the controller. Reads the config, keeps the pinned maps in line
 * with it, answers the control socket, reloads on SIGHUP. The datapath does
 * not need it to run: stopping xlbd (even with kill -9) leaves the program
 * and maps forwarding, and a new xlbd adopts them without touching a flow.
 */
#include <errno.h>
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
#include "xlbd/health.h"
#include "xlbd/loop.h"
#include "xlbd/metrics.h"
#include "xlbd/state.h"
#include "xlbd/sync.h"

#define DEFAULT_CONFIG "/etc/xlb/xlb.yaml"

/* xlbd's options, once: parsing and --help come from this table. */
struct xlbd_opts {
	const char *config, *sock, *state_dir;
	struct xlb_opt_strs ifaces;
	__u32 mode;
	bool detach_on_exit, verbose, check;
};

static const struct xlb_opt xlbd_table[] = {
	XLB_OPT_OF("config", 'c', XLB_OPT_STR, struct xlbd_opts, config, "FILE",
		   "config file (default " DEFAULT_CONFIG ")"),
	XLB_OPT_OF("socket", 's', XLB_OPT_STR, struct xlbd_opts, sock, "PATH",
		   "control socket (default " XLB_CTL_DEFAULT_SOCKET ")"),
	XLB_OPT_OF("interface", 'i', XLB_OPT_STRS, struct xlbd_opts, ifaces,
		   "IFACE", "attach the LB to IFACE at start if it is not"),
	XLB_OPT_WORD("xdp-mode", 'm', struct xlbd_opts, mode,
		     xlb_words_xdp_mode, "XDP mode for -i (default native)"),
	XLB_OPT_FLAG("detach-on-exit", 0, struct xlbd_opts, detach_on_exit,
		     "detach from every interface on SIGTERM/SIGINT "
		     "(default: the datapath keeps running)"),
	XLB_OPT_FLAG("verbose", 'v', struct xlbd_opts, verbose,
		     "debug output, libbpf's included"),
	XLB_OPT_FLAG("check", 0, struct xlbd_opts, check,
		     "validate FILE (-c), resolve its neighbours and build its "
		     "tables, print what it holds, exit 0 or 1; touches no "
		     "map, socket or interface"),
	XLB_OPT_OF("state-dir", 0, XLB_OPT_STR, struct xlbd_opts, state_dir,
		   "DIR", "where live changes are kept for a restart "
		   "(default " XLBD_STATE_DIR ")"),
};

static const struct xlb_opts xlbd_set = {
	.prog = "xlbd",
	.usage = "[-c FILE] [-s PATH] [-i IFACE]... [-m native|skb] "
		 "[--detach-on-exit] [-v] [--state-dir DIR]\n"
		 "       xlbd --check [-c FILE]",
	.opts = xlbd_table,
	.nopts = sizeof(xlbd_table) / sizeof(xlbd_table[0]),
	.epilog = "\nThe controller: keeps the pinned maps in line with the "
		  "config file, answers\nthe control socket, reloads on SIGHUP. "
		  "Stopping it leaves the datapath forwarding.\n",
};

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
	struct xlbd_opts o = { .config = DEFAULT_CONFIG,
			       .sock = XLB_CTL_DEFAULT_SOCKET,
			       .mode = XLB_XDP_NATIVE };
	struct xlb_opt_result res;
	const char *config, *sock;
	enum xlb_xdp_mode mode;
	int rc = 1, lfd;
	static const int sigs[] = { SIGHUP, SIGTERM, SIGINT };
	struct xlbd_run r = {};
	struct xlbd_ctl *ctl = NULL;
	struct xlbd_metrics *metrics = NULL;
	struct xlbd_health *health = NULL;
	char err[XLB_ERR_MAX];

	rc = xlb_opt_run(&xlbd_set, argc - 1, argv + 1, &o, &res);
	if (rc >= 0)
		return rc;
	if (res.npos)
		return xlb_opt_fail(&xlbd_set, "xlbd takes no arguments, only "
					       "options");
	rc = 1;
	config = o.config;
	sock = o.sock;
	mode = (enum xlb_xdp_mode)o.mode;
	xlbd_state_set_dir(o.state_dir);
	xlb_log_init("xlbd", o.verbose ? XLB_LOG_DEBUG : XLB_LOG_INFO);
	if (o.check) {
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
	/*
	 * The loop and the health checks before the first map write: the
	 * first tables already leave out what the checks say is down (states
	 * pinned by an earlier xlbd, or each check's initial state).
	 */
	r.loop = xlbd_loop_new(err, sizeof(err));
	health = r.loop ? xlbd_health_new(&r.d, xlbd_loop_base(r.loop)) : NULL;
	if (!health || xlbd_start_health(&r.d, config, health, err,
					 sizeof(err))) {
		pr_err("%s\n", health ? err : r.loop ? "out of memory" : err);
		xlbd_health_free(health);
		xlbd_loop_free(r.loop);
		close(lfd);
		unlink(sock);
		return 1;
	}
	for (unsigned int i = 0; i < o.ifaces.n; i++) {
		const char *ifname = o.ifaces.v[i];

		rc = xlb_attach(r.d.running.pin_dir, r.d.ct_size, ifname, mode,
				err, sizeof(err));
		if (rc == -EEXIST) {
			pr_info("%s: attached already, keeping it\n", ifname);
		} else if (rc) {
			pr_err("%s\n", err);
			goto out;
		} else {
			pr_info("attached to %s (%s mode)\n", ifname,
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
	r.d.ctl = ctl; /* conntrack walks answer later, a slice a turn */
	/* HTTP /metrics, /healthz, status page: off unless metrics.listen */
	metrics = xlbd_metrics_new(&r.d, r.loop, err, sizeof(err));
	if (!metrics)
		goto fail;
	if (health &&
	    xlbd_metrics_register(metrics, &(struct xlbd_metrics_ext){
						   .name = "health",
						   .prom = xlbd_health_prom,
						   .arg = health }))
		pr_err("metrics: the health checks' families are not exported\n");
	if (r.d.running.sync.enabled) {
		r.d.sync = xlbd_sync_new(r.loop, &r.d, err, sizeof(err));
		if (!r.d.sync)
			goto fail;
		/* /healthz says 503 until synced: keepalived and BIRD wait */
		if (xlbd_metrics_register(metrics,
					  &(struct xlbd_metrics_ext){
						  .name = "sync",
						  .prom = xlbd_sync_prom,
						  .status = xlbd_sync_status_ext,
						  .ready = xlbd_sync_ready,
						  .arg = r.d.sync }))
			pr_err("metrics: the sync's families are not exported\n");
	}
	pr_info("serving %zu VIPs, %zu backends from %s; maps in %s "
		"(conntrack %s, %u entries); control socket %s\n",
		r.d.running.nvips, r.d.running.nbackends, config,
		r.d.running.pin_dir, r.d.ct_adopted ? "adopted" : "created",
		r.d.ct_size, sock);

	if (xlbd_loop_run(r.loop, err, sizeof(err)))
		goto fail;
	if (o.detach_on_exit)
		detach_all();
	pr_info("exiting; %s\n", o.detach_on_exit ?
					 "datapath detached" :
					 "the datapath keeps forwarding");
	rc = 0;
	goto out;
fail:
	pr_err("%s\n", err);
out:
	xlbd_metrics_free(metrics);
	xlbd_sync_free(r.d.sync);
	r.d.sync = NULL;
	r.d.ctl = NULL;
	xlbd_ctl_free(ctl); /* walks still running are freed, answered */
	/* probes and their events go before the loop they are on */
	r.d.health = NULL;
	xlbd_health_free(health);
	xlbd_loop_free(r.loop);
	xlbd_stop(&r.d);
	close(lfd);
	unlink(sock);
	return rc;
}
