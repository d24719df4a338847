// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "lib/log.h"
#include "lib/loader.h"
#include "xlb_lb.skel.h"

#define BPFFS "/sys/fs/bpf"
#define BPFFS_LOCK "/run/xlb-bpffs.lock"
#define LB_PROG_NAME "xlb_lb"

static int mkdir_p(const char *path)
{
	char buf[256];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Two xlb processes starting at once on a machine that booted without bpffs
 * (these do) would both see it missing and both mount it: the second mount
 * hides what the first pinned. The check and the mount happen under a lock.
 */
static int mount_bpffs(char *err, size_t errlen)
{
	struct statfs st;
	int lock, rc = 0;

	lock = open(BPFFS_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock >= 0)
		flock(lock, LOCK_EX);
	if (statfs(BPFFS, &st) || st.f_type != BPF_FS_MAGIC) {
		if (mkdir(BPFFS, 0700) && errno != EEXIST)
			rc = xlb_errf(err, errlen, -errno, "create %s: %s",
				      BPFFS, strerror(errno));
		else if (mount("bpf", BPFFS, "bpf", 0, "mode=0700"))
			rc = xlb_errf(err, errlen, -errno,
				      "mount bpffs on %s: %s", BPFFS,
				      strerror(errno));
	}
	if (lock >= 0)
		close(lock); /* drops the lock */
	return rc;
}

int xlb_bpffs_ensure(const char *pin_dir, char *err, size_t errlen)
{
	struct statfs st;
	int rc;

	rc = mount_bpffs(err, errlen);
	if (rc)
		return rc;
	if (statfs(pin_dir, &st) == 0 && st.f_type != BPF_FS_MAGIC)
		return xlb_errf(err, errlen, -EINVAL, "pin dir %s is not on bpffs",
			    pin_dir);
	rc = mkdir_p(pin_dir);
	if (rc)
		return xlb_errf(err, errlen, rc, "create pin dir %s: %s", pin_dir,
			    strerror(-rc));
	if (statfs(pin_dir, &st) || st.f_type != BPF_FS_MAGIC)
		return xlb_errf(err, errlen, -EINVAL, "pin dir %s is not on bpffs",
			    pin_dir);
	return 0;
}

/*
 * Opens the LB object with every map bound to its pin path: on load, libbpf
 * reuses a pinned map (after checking it is compatible) or creates and pins
 * it. An existing conntrack table keeps its size: resizing would mean a new
 * map, losing every tracked flow.
 */
static struct xlb_lb *open_pinned(const char *pin_dir, __u32 ct_entries,
				  __u32 *ct_pinned, char *err, size_t errlen)
{
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info);
	struct xlb_lb *skel;
	struct bpf_map *map;
	size_t nmaps = 0;
	char path[512];
	int fd;

	if (ct_pinned)
		*ct_pinned = 0;
	skel = xlb_lb__open();
	if (!skel) {
		xlb_errf(err, errlen, -errno, "open the LB object: %s",
		     strerror(errno));
		return NULL;
	}
	bpf_object__for_each_map(map, skel->obj) {
		if (bpf_map__is_internal(map))
			continue;
		nmaps++;
		snprintf(path, sizeof(path), "%s/%s", pin_dir,
			 bpf_map__name(map));
		if (bpf_map__set_pin_path(map, path))
			goto err_path;
	}
	if (nmaps != xlb_lb_map_count()) {
		xlb_errf(err, errlen, -EINVAL,
			 "the LB object has %zu maps, lib/lbmaps.h lists %zu: "
			 "add the new one to XLB_LB_MAPS",
			 nmaps, xlb_lb_map_count());
		xlb_lb__destroy(skel);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s", pin_dir,
		 bpf_map__name(skel->maps.xlb_conntrack));
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		if (!bpf_obj_get_info_by_fd(fd, &info, &info_len)) {
			ct_entries = info.max_entries;
			if (ct_pinned)
				*ct_pinned = info.max_entries;
		}
		close(fd);
	}
	if (ct_entries &&
	    bpf_map__set_max_entries(skel->maps.xlb_conntrack, ct_entries))
		goto err_path;
	return skel;
err_path:
	xlb_errf(err, errlen, -errno, "bind maps to %s: %s", pin_dir,
	     strerror(errno));
	xlb_lb__destroy(skel);
	return NULL;
}

void xlb_maps_close(struct xlb_lb_maps *m)
{
	for (size_t i = 0; i < xlb_lb_map_count(); i++) {
		int *fd = xlb_lb_map_fd(m, i);

		if (*fd > 0)
			close(*fd);
		*fd = -1;
	}
}

int xlb_maps_open_pinned(const char *pin_dir, __u32 ct_entries,
			 struct xlb_lb_maps *m, __u32 *ct_pinned, char *err,
			 size_t errlen)
{
	struct xlb_lb *skel;
	char path[512];
	int rc;

	xlb_lb_maps_reset(m);
	rc = xlb_bpffs_ensure(pin_dir, err, errlen);
	if (rc)
		return rc;
	skel = open_pinned(pin_dir, ct_entries, ct_pinned, err, errlen);
	if (!skel)
		return -EINVAL;
	/* loading creates and pins what is missing; the program goes away */
	rc = xlb_lb__load(skel);
	xlb_lb__destroy(skel);
	if (rc)
		return xlb_errf(err, errlen, rc,
			    "load the LB object with the maps in %s: %s (maps "
			    "pinned by an incompatible build? see README)",
			    pin_dir, strerror(-rc));
	for (size_t i = 0; i < xlb_lb_map_count(); i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/%s", pin_dir,
			 xlb_lb_map_name(i));
		fd = bpf_obj_get(path);
		if (fd < 0) {
			rc = -errno;
			xlb_maps_close(m);
			return xlb_errf(err, errlen, rc, "open pinned map %s: %s",
				    path, strerror(-rc));
		}
		*xlb_lb_map_fd(m, i) = fd;
	}
	return 0;
}

static enum xdp_attach_mode to_libxdp(enum xlb_xdp_mode mode)
{
	return mode == XLB_XDP_SKB ? XDP_MODE_SKB : XDP_MODE_NATIVE;
}

/* Calls @fn for each xlb program on @ifindex; stops when it returns != 0. */
static int for_each_xlb_prog(int ifindex,
			     int (*fn)(struct xdp_multiprog *mp,
				       struct xdp_program *p, void *arg),
			     void *arg)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;
	int rc = 0;

	if (libxdp_get_error(mp) || !mp)
		return 0;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && !strcmp(xdp_program__name(p), LB_PROG_NAME))
			rc = fn(mp, p, arg);
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p && !rc;
		     p = xdp_multiprog__next_prog(p, mp))
			if (!strcmp(xdp_program__name(p), LB_PROG_NAME))
				rc = fn(mp, p, arg);
	}
	xdp_multiprog__close(mp);
	return rc;
}

static int found(struct xdp_multiprog *mp, struct xdp_program *p, void *arg)
{
	struct xlb_attachment *a = arg;

	a->prog_id = xdp_program__id(p);
	a->multiprog = !xdp_multiprog__is_legacy(mp);
	a->mode = xdp_multiprog__attach_mode(mp) == XDP_MODE_SKB ?
			  XLB_XDP_SKB :
			  XLB_XDP_NATIVE;
	return 1;
}

int xlb_attach(const char *pin_dir, __u32 ct_entries, const char *ifname,
	       enum xlb_xdp_mode mode, char *err, size_t errlen)
{
	int ifindex = (int)if_nametoindex(ifname);
	struct xlb_attachment a = {};
	struct xdp_program *prog;
	struct xlb_lb *skel;
	int rc;

	if (!ifindex)
		return xlb_errf(err, errlen, -ENODEV, "attach %s: no such interface",
			    ifname);
	if (for_each_xlb_prog(ifindex, found, &a))
		return xlb_errf(err, errlen, -EEXIST,
			    "attach %s: already attached (prog id %u, %s mode); "
			    "detach first",
			    ifname, a.prog_id, xlb_xdp_mode_str(a.mode));
	rc = xlb_bpffs_ensure(pin_dir, err, errlen);
	if (rc)
		return rc;
	skel = open_pinned(pin_dir, ct_entries, NULL, err, errlen);
	if (!skel)
		return -EINVAL;
	prog = xdp_program__from_bpf_obj(skel->obj, "xdp");
	rc = (int)libxdp_get_error(prog);
	if (rc) {
		xlb_lb__destroy(skel);
		return xlb_errf(err, errlen, rc, "attach %s: %s", ifname,
			    strerror(-rc));
	}
	rc = xdp_program__attach(prog, ifindex, to_libxdp(mode), 0);
	xdp_program__close(prog);
	xlb_lb__destroy(skel);
	if (rc == -EOPNOTSUPP && mode == XLB_XDP_NATIVE)
		return xlb_errf(err, errlen, rc,
			    "attach %s: driver has no native XDP (try --mode skb)",
			    ifname);
	if (rc)
		return xlb_errf(err, errlen, rc, "attach %s: %s", ifname,
			    strerror(-rc));
	return 0;
}

struct detach_arg {
	int ifindex;
	int rc;
};

static int detach_one(struct xdp_multiprog *mp, struct xdp_program *p,
		      void *arg)
{
	struct detach_arg *d = arg;

	d->rc = xdp_program__detach(p, d->ifindex,
				    xdp_multiprog__attach_mode(mp), 0);
	return 1;
}

int xlb_detach(const char *ifname, char *err, size_t errlen)
{
	struct detach_arg d = { .ifindex = (int)if_nametoindex(ifname) };

	if (!d.ifindex)
		return xlb_errf(err, errlen, -ENODEV, "detach %s: no such interface",
			    ifname);
	if (!for_each_xlb_prog(d.ifindex, detach_one, &d))
		return xlb_errf(err, errlen, -ENOENT, "detach %s: xlb is not attached",
			    ifname);
	if (d.rc)
		return xlb_errf(err, errlen, d.rc, "detach %s: %s", ifname,
			    strerror(-d.rc));
	return 0;
}

int xlb_attachments(struct xlb_attachment *out, int max)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int n = 0;

	if (!ifs)
		return -errno;
	for (i = ifs; i->if_index && n < max; i++) {
		struct xlb_attachment a = {};

		if (!for_each_xlb_prog((int)i->if_index, found, &a))
			continue;
		snprintf(a.ifname, sizeof(a.ifname), "%s", i->if_name);
		out[n++] = a;
	}
	if_freenameindex(ifs);
	return n;
}
