// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds checks through the tunnel (xlbd/health.h): a check with
 * tunnel: true connects to the VIP's address, its socket marked with
 * xlb_probe_mark(backend, mode); the probe program (bpf/xlb_probe.bpf.c)
 * on the egress of the interfaces xlb's XDP program is on sends every
 * marked packet to that backend as the LB sends clients' packets. The
 * backend answers from the VIP straight to the LB's own address (direct
 * server return), a packet for the host that the LB program passes, and
 * the kernel gives it to the probe's socket.
 *
 * The program is attached only while some check needs it (attached when
 * the first such check probes, if xlb's XDP program was not on an
 * interface yet when the checks were committed) and detached when the
 * last such check goes and when xlbd exits. After a kill -9 it stays, with
 * its pinned targets; the next xlbd replaces it (the same handle and
 * priority) or, with no tunnel check in its config, removes it.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/addr.h"
#include "lib/lbmaps.h"
#include "lib/loader.h"
#include "lib/log.h"
#include "lib/probe.h"
#include "lib/prom.h"
#include "xlbd/daemon.h"
#include "xlbd/health.h"

#define TUNNEL_IFS_MAX 16

struct xlbd_tunnel {
	struct xlb_probe_prog *prog;
	char ifs[TUNNEL_IFS_MAX][IF_NAMESIZE]; /* where this xlbd attached it */
	size_t nifs;
	bool swept; /* leftovers of an earlier xlbd looked for */
};

static bool needed(const struct xlbd_health *h)
{
	for (const struct xlbd_check *ck = xlbd_health_list(h); ck;
	     ck = ck->next)
		if (ck->mark)
			return true;
	return false;
}

static bool has_if(const struct xlbd_tunnel *t, const char *ifname)
{
	for (size_t i = 0; i < t->nifs; i++)
		if (!strcmp(t->ifs[i], ifname))
			return true;
	return false;
}

/*
 * On every interface xlb's XDP program is on; returns how many got it now
 * (0 when every one has it already).
 */
static size_t attach_all(struct xlbd_tunnel *t)
{
	struct xlb_attachment at[TUNNEL_IFS_MAX];
	char err[XLB_ERR_MAX];
	int n = xlb_attachments(at, TUNNEL_IFS_MAX);
	size_t had = t->nifs;

	for (int i = 0; i < n; i++) {
		if (has_if(t, at[i].ifname) || t->nifs >= TUNNEL_IFS_MAX)
			continue;
		if (xlb_probe_attach(t->prog, at[i].ifname, err, sizeof(err))) {
			pr_err("health: %s; checks through the tunnel cannot "
			       "leave by %s\n",
			       err, at[i].ifname);
			continue;
		}
		pr_info("health: probe program attached to %s egress (checks "
			"through the tunnel)\n",
			at[i].ifname);
		memcpy(t->ifs[t->nifs], at[i].ifname, IF_NAMESIZE);
		t->ifs[t->nifs++][IF_NAMESIZE - 1] = '\0';
	}
	return t->nifs - had;
}

static void detach_all(struct xlbd_tunnel *t)
{
	char err[XLB_ERR_MAX];
	int rc;

	for (size_t i = 0; i < t->nifs; i++) {
		rc = xlb_probe_detach(t->ifs[i], err, sizeof(err));
		if (!rc)
			pr_info("health: probe program detached from %s\n",
				t->ifs[i]);
		else if (rc != -ENOENT)
			pr_err("health: %s\n", err);
	}
	t->nifs = 0;
}

/* What an xlbd killed with -9 left attached, when nothing needs it now. */
static void sweep(void)
{
	struct if_nameindex *ifs = if_nameindex();
	char err[XLB_ERR_MAX];

	for (struct if_nameindex *i = ifs; i && i->if_index; i++)
		if (xlb_probe_attached(i->if_name) &&
		    !xlb_probe_detach(i->if_name, err, sizeof(err)))
			pr_info("health: removed the probe program an earlier "
				"xlbd left on %s (no check goes through the "
				"tunnel)\n",
				i->if_name);
	if (ifs)
		if_freenameindex(ifs);
}

static bool keep_mark(__u32 mark, void *arg)
{
	for (const struct xlbd_check *ck = arg; ck; ck = ck->next)
		if (ck->mark == mark)
			return true;
	return false;
}

/* Every tunnel check's target, from the backend as the LB has it. */
static void fill_targets(struct xlbd_health *h, struct xlbd_tunnel *t)
{
	struct xlbd *d = xlbd_health_daemon(h);
	const struct xlbd_check *list = xlbd_health_list(h);

	for (const struct xlbd_check *ck = list; ck; ck = ck->next) {
		struct xlb_probe_target tg = { .mode = ck->cfg.mode };
		struct xlb_backend be;
		int rc;

		if (!ck->mark)
			continue;
		rc = xlb_backend_read(&d->maps, ck->backend_id, &be);
		if (!rc) {
			tg.addr = be.addr;
			tg.family = be.family;
			memcpy(tg.mac, be.mac, sizeof(tg.mac));
			rc = xlb_probe_target_put(t->prog, ck->mark, &tg);
		}
		if (rc)
			pr_err("health: backend %u: cannot record its tunnel "
			       "probe target: %s\n",
			       ck->backend_id, strerror(-rc));
	}
	/* after the puts: a target in use never goes missing in between */
	xlb_probe_targets_prune(t->prog, keep_mark, (void *)list);
}

void xlbd_tunnel_sync(struct xlbd_health *h, const char *pin_dir)
{
	struct xlbd_tunnel **slot = xlbd_health_tunnel_slot(h), *t = *slot;
	char err[XLB_ERR_MAX];

	if (!needed(h)) {
		if (t) {
			detach_all(t);
			xlb_probe_close(t->prog);
			t->prog = NULL;
		}
		if (!t || !t->swept)
			sweep();
		if (t)
			t->swept = true;
		return;
	}
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t) {
			pr_err("health: checks through the tunnel: out of "
			       "memory\n");
			return;
		}
		*slot = t;
	}
	t->swept = true;
	if (!t->prog) {
		t->prog = xlb_probe_open(pin_dir, err, sizeof(err));
		if (!t->prog) {
			pr_err("health: %s; checks through the tunnel fail "
			       "until it loads\n",
			       err);
			return;
		}
	}
	fill_targets(h, t);
	attach_all(t);
}

int xlbd_tunnel_mark(const struct xlbd_check *ck, int fd)
{
	if (ck->mark &&
	    setsockopt(fd, SOL_SOCKET, SO_MARK, &ck->mark, sizeof(ck->mark)))
		return -errno;
	return 0;
}

/* The probe's route leaves by an interface the program is on. */
static int route_ok(const struct xlbd_tunnel *t, const struct xlbd_check *ck,
		    char *why, size_t n)
{
	char a[XLB_ADDR_STRLEN], dev[IF_NAMESIZE] = "?", via[IF_NAMESIZE + 40];
	bool local = false;
	int oif = 0, rc;

	rc = xlb_probe_route(&ck->cfg.addr, ck->cfg.family, ck->mark, &oif,
			     &local);
	xlb_addr_str(&ck->cfg.addr, ck->cfg.family, a, sizeof(a));
	if (rc) {
		snprintf(why, n, "tunnel: no route to %s: %s", a,
			 strerror(-rc));
		return rc;
	}
	if (!if_indextoname((unsigned int)oif, dev))
		snprintf(dev, sizeof(dev), "?");
	if (!local && has_if(t, dev))
		return 0;
	if (local)
		snprintf(via, sizeof(via), "is an address of this host");
	else
		snprintf(via, sizeof(via), "leaves by %s", dev);
	snprintf(why, n,
		 "tunnel: the route to %s %s, not by %s where the probe "
		 "program is (route fwmark 0x%x/0x%x out of %s: README, "
		 "Health checks)",
		 a, via, t->ifs[0], XLB_PROBE_MARK, XLB_PROBE_MARK_MASK,
		 t->ifs[0]);
	return -EHOSTUNREACH;
}

int xlbd_tunnel_prepare(struct xlbd_check *ck, int fd, char *why, size_t n)
{
	struct xlbd_tunnel *t = *xlbd_health_tunnel_slot(ck->h);
	int rc;

	if (!ck->mark)
		return 0;
	if (!t || !t->prog) {
		/* the load failed at commit: try again, it may work now */
		xlbd_tunnel_sync(ck->h,
				 xlbd_health_daemon(ck->h)->running.pin_dir);
		t = *xlbd_health_tunnel_slot(ck->h);
	}
	if (!t || !t->prog) {
		snprintf(why, n,
			 "tunnel: the probe program is not loaded "
			 "(see the log)");
		return -ENOENT;
	}
	if (!t->nifs)
		attach_all(t);
	if (!t->nifs) {
		snprintf(why, n,
			 "tunnel: xlb is attached to no interface "
			 "here, so nothing would send the probe "
			 "through the tunnel");
		return -ENODEV;
	}
	/*
	 * The probe must leave by an interface the program is on. Asked of
	 * the kernel on a check's first probe and after each failure (where
	 * it explains the failure), not on every probe of 10,000 checks.
	 */
	if (!ck->checked || !ck->last_ok) {
		rc = route_ok(t, ck, why, n);
		/* xlb may be on another interface since: attach there too */
		if (rc == -EHOSTUNREACH && attach_all(t))
			rc = route_ok(t, ck, why, n);
		if (rc)
			return rc;
	}
	if (fd >= 0) {
		rc = xlbd_tunnel_mark(ck, fd);
		if (rc) {
			snprintf(why, n, "tunnel: SO_MARK: %s", strerror(-rc));
			return rc;
		}
	}
	return 0;
}

void xlbd_tunnel_free(struct xlbd_health *h)
{
	struct xlbd_tunnel **slot = xlbd_health_tunnel_slot(h), *t = *slot;

	if (!t)
		return;
	detach_all(t);
	xlb_probe_close(t->prog);
	free(t);
	*slot = NULL;
}

void xlbd_tunnel_prom(struct xlb_prom *p, struct xlbd_health *h)
{
	struct xlbd_tunnel *t = *xlbd_health_tunnel_slot(h);
	struct xlb_counter c[XLB_PROBE_STAT_MAX];

	if (!t || !t->prog || xlb_probe_stats_read(t->prog, c))
		return;
	xlb_prom_family(p, "xlb_probe_packets_total", "counter",
			"Packets leaving through the health-probe program, "
			"by outcome (tx_*: a probe sent through the tunnel).");
	for (unsigned int i = 0; i < XLB_PROBE_STAT_MAX; i++)
		xlb_prom_u64(p, "xlb_probe_packets_total", c[i].packets,
			     "outcome", xlb_probe_stat_name(i), NULL);
}
