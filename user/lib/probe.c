// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the health-probe program's loader and map access
 * (lib/probe.h): the skeleton bound to pinned maps, clsact egress attach
 * and detach through libbpf's bpf_tc_* API, targets and counters.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "lib/log.h"
#include "lib/probe.h"
#include "lib/stats.h"
#include "xlb_probe.skel.h"

struct xlb_probe_prog {
	struct xlb_probe *skel;
};

static const char *const stat_names[] = {
#define XLB__NAME(e, name, verdict, help) [e] = name,
	XLB_PROBE_STAT_LIST(XLB__NAME)
#undef XLB__NAME
};

const char *xlb_probe_stat_name(unsigned int i)
{
	return i < XLB_PROBE_STAT_MAX ? stat_names[i] : NULL;
}

struct xlb_probe_prog *xlb_probe_open(const char *pin_dir, char *err,
				      size_t errlen)
{
	struct xlb_probe_prog *p = calloc(1, sizeof(*p));
	char path[512];
	int rc, fd;

	if (!p) {
		xlb_errf(err, errlen, -ENOMEM, "out of memory");
		return NULL;
	}
	p->skel = xlb_probe__open();
	if (!p->skel) {
		xlb_errf(err, errlen, -errno, "open the probe object: %s",
			 strerror(errno));
		free(p);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/xlb_config", pin_dir);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		rc = -errno;
		xlb_errf(err, errlen, rc,
			 "open %s: %s (the LB's maps come first)", path,
			 strerror(-rc));
		goto fail;
	}
	rc = bpf_map__reuse_fd(p->skel->maps.xlb_config, fd);
	close(fd);
	if (rc) {
		xlb_errf(err, errlen, rc, "adopt %s: %s", path, strerror(-rc));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/%s", pin_dir, XLB_PROBE_TARGETS_MAP);
	rc = bpf_map__set_pin_path(p->skel->maps.xlb_probe_targets, path);
	if (!rc) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir,
			 XLB_PROBE_STATS_MAP);
		rc = bpf_map__set_pin_path(p->skel->maps.xlb_probe_stats, path);
	}
	if (rc) {
		xlb_errf(err, errlen, rc, "bind the probe maps to %s: %s",
			 pin_dir, strerror(-rc));
		goto fail;
	}
	/* creates and pins the maps that are missing, adopts the others */
	rc = xlb_probe__load(p->skel);
	if (rc) {
		xlb_errf(err, errlen, rc,
			 "load the probe program with its maps in %s: %s "
			 "(a pinned %s or %s of another layout: remove it "
			 "while xlbd is stopped)",
			 pin_dir, strerror(-rc), XLB_PROBE_TARGETS_MAP,
			 XLB_PROBE_STATS_MAP);
		goto fail;
	}
	return p;
fail:
	xlb_probe__destroy(p->skel);
	free(p);
	return NULL;
}

void xlb_probe_close(struct xlb_probe_prog *p)
{
	if (!p)
		return;
	xlb_probe__destroy(p->skel);
	free(p);
}

static int hook_of(const char *ifname, struct bpf_tc_hook *h, char *err,
		   size_t errlen)
{
	int ifindex = (int)if_nametoindex(ifname);

	if (!ifindex)
		return xlb_errf(err, errlen, -ENODEV,
				"probe: %s: no such interface", ifname);
	memset(h, 0, sizeof(*h));
	h->sz = sizeof(*h);
	h->ifindex = ifindex;
	h->attach_point = BPF_TC_EGRESS;
	return 0;
}

int xlb_probe_attach(struct xlb_probe_prog *p, const char *ifname, char *err,
		     size_t errlen)
{
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = XLB_PROBE_TC_HANDLE,
		    .priority = XLB_PROBE_TC_PRIO, .flags = BPF_TC_F_REPLACE);
	struct bpf_tc_hook h;
	int rc = hook_of(ifname, &h, err, errlen);

	if (rc)
		return rc;
	o.prog_fd = bpf_program__fd(p->skel->progs.xlb_probe);
	rc = bpf_tc_hook_create(&h);
	if (rc && rc != -EEXIST)
		return xlb_errf(err, errlen, rc,
				"probe: %s: add a clsact qdisc: %s", ifname,
				strerror(-rc));
	rc = bpf_tc_attach(&h, &o);
	if (rc)
		return xlb_errf(err, errlen, rc,
				"probe: %s: attach on egress: %s", ifname,
				strerror(-rc));
	return 0;
}

/* The program at our handle and priority, if it is xlb_probe. */
static bool ours(struct bpf_tc_hook *h)
{
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = XLB_PROBE_TC_HANDLE,
		    .priority = XLB_PROBE_TC_PRIO);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	bool yes;
	int fd;

	if (bpf_tc_query(h, &o) || !o.prog_id)
		return false;
	fd = bpf_prog_get_fd_by_id(o.prog_id);
	if (fd < 0)
		return false;
	yes = !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	      !strcmp(info.name, "xlb_probe");
	close(fd);
	return yes;
}

bool xlb_probe_attached(const char *ifname)
{
	struct bpf_tc_hook h;
	char err[128];

	return !hook_of(ifname, &h, err, sizeof(err)) && ours(&h);
}

int xlb_probe_detach(const char *ifname, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = XLB_PROBE_TC_HANDLE,
		    .priority = XLB_PROBE_TC_PRIO);
	struct bpf_tc_hook h;
	int rc = hook_of(ifname, &h, err, errlen);

	if (rc)
		return rc;
	if (!ours(&h))
		return -ENOENT;
	rc = bpf_tc_detach(&h, &o);
	if (rc)
		return xlb_errf(err, errlen, rc,
				"probe: %s: detach from egress: %s", ifname,
				strerror(-rc));
	return 0;
}

int xlb_probe_target_put(struct xlb_probe_prog *p, __u32 mark,
			 const struct xlb_probe_target *t)
{
	return bpf_map__update_elem(p->skel->maps.xlb_probe_targets, &mark,
				    sizeof(mark), t, sizeof(*t), BPF_ANY) ?
		       -errno :
		       0;
}

long xlb_probe_targets_prune(struct xlb_probe_prog *p,
			     bool (*keep)(__u32 mark, void *arg), void *arg)
{
	int fd = bpf_map__fd(p->skel->maps.xlb_probe_targets);
	__u32 key, next, *prev = NULL;
	long gone = 0;

	/* deleting the key just read would restart the walk: delete behind */
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (prev && !keep(key, arg) && !bpf_map_delete_elem(fd, &key))
			gone++;
		key = next;
		prev = &key;
	}
	if (prev && !keep(key, arg) && !bpf_map_delete_elem(fd, &key))
		gone++;
	return gone;
}

int xlb_probe_stats_read(struct xlb_probe_prog *p,
			 struct xlb_counter out[XLB_PROBE_STAT_MAX])
{
	int rc = xlb_percpu_read_range(
		bpf_map__fd(p->skel->maps.xlb_probe_stats), 0,
		XLB_PROBE_STAT_MAX, 2, (__u64 *)out);

	return rc < 0 ? rc : 0;
}

struct route_ans {
	int oif;
	bool local, found;
};

static int route_attr(const struct nlattr *a, void *data)
{
	struct route_ans *r = data;

	if (mnl_attr_get_type(a) == RTA_OIF &&
	    !mnl_attr_validate(a, MNL_TYPE_U32))
		r->oif = (int)mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rt = mnl_nlmsg_get_payload(nlh);
	struct route_ans *r = data;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	r->found = true;
	r->local = rt->rtm_type == RTN_LOCAL;
	mnl_attr_parse(nlh, sizeof(*rt), route_attr, r);
	return MNL_CB_OK;
}

int xlb_probe_route(const struct xlb_addr *dst, __u8 family, __u32 mark,
		    int *oif, bool *local)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct route_ans r = { 0 };
	unsigned int seq = (unsigned int)time(NULL), portid;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct rtmsg *rt;
	int rc = 0, n;

	if (family != XLB_AF_INET && family != XLB_AF_INET6)
		return -EINVAL;
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtm_family = family == XLB_AF_INET ? AF_INET : AF_INET6;
	rt->rtm_dst_len = family == XLB_AF_INET ? 32 : 128;
	mnl_attr_put(nlh, RTA_DST, family == XLB_AF_INET ? 4 : 16, dst->bytes);
	mnl_attr_put_u32(nlh, RTA_MARK, mark);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		goto out;
	}
	n = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n > 0)
		n = mnl_cb_run(buf, (size_t)n, seq, portid, route_cb, &r);
	if (n < 0)
		rc = -errno;
	else if (!r.found)
		rc = -ENETUNREACH;
	*oif = r.oif;
	*local = r.local;
out:
	mnl_socket_close(nl);
	return rc;
}
