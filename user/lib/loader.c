// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <limits.h>
#include <dirent.h>
#include <stdarg.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
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
#define CT_MAP "xlb_conntrack"
#define STATS_MAP "xlb_stats"
#define VERSIONS_MAP "xlb_ct_versions"

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

/* True when a loaded BPF program uses the map with id @map_id. */
static bool map_in_use(__u32 map_id)
{
	__u32 id = 0, ids[64];

	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue; /* gone since: it uses nothing */
		info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
		info.map_ids = (__u64)(unsigned long)ids;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
			__u32 n = info.nr_map_ids < 64 ? info.nr_map_ids : 64;

			for (__u32 i = 0; i < n; i++) {
				if (ids[i] == map_id) {
					close(fd);
					return true;
				}
			}
		}
		close(fd);
	}
	return false;
}

/*
 * Replaces the pinned xlb_stats of an older release (fewer entries than
 * XLB_STAT_SLOTS) by one of this build's size: same name and BTF, every
 * counter copied, then the new map renamed over the old pin. Only when no
 * program uses the old map, so no packet is counted into a map that is no
 * longer pinned.
 */
static int stats_migrate(int old_fd, const struct bpf_map_info *old,
			 const char *path, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	int ncpu = libbpf_num_possible_cpus(), fd = -1, btf_fd = -1, rc = 0;
	struct xlb_counter *buf = NULL;
	char tmp[520];

	if (ncpu <= 0)
		return xlb_errf(err, errlen, -EINVAL, "upgrade %s: no CPU count",
				path);
	if (old->btf_id) {
		btf_fd = bpf_btf_get_fd_by_id(old->btf_id);
		if (btf_fd >= 0) {
			opts.btf_fd = (__u32)btf_fd;
			opts.btf_key_type_id = old->btf_key_type_id;
			opts.btf_value_type_id = old->btf_value_type_id;
		}
	}
	fd = bpf_map_create(old->type, old->name, old->key_size,
			    old->value_size, XLB_STAT_SLOTS, &opts);
	if (fd < 0) {
		rc = xlb_errf(err, errlen, -errno, "upgrade %s: create: %s",
			      path, strerror(errno));
		goto out;
	}
	buf = calloc((size_t)ncpu, sizeof(*buf));
	if (!buf) {
		rc = xlb_errf(err, errlen, -ENOMEM, "upgrade %s: out of memory",
			      path);
		goto out;
	}
	for (__u32 i = 0; i < old->max_entries; i++) {
		if (bpf_map_lookup_elem(old_fd, &i, buf) ||
		    bpf_map_update_elem(fd, &i, buf, BPF_ANY)) {
			rc = xlb_errf(err, errlen, -errno,
				      "upgrade %s: copy counter %u: %s", path,
				      i, strerror(errno));
			goto out;
		}
	}
	snprintf(tmp, sizeof(tmp), "%s_upgrade", path);
	unlink(tmp); /* left by a start that died here */
	if (bpf_obj_pin(fd, tmp)) {
		rc = xlb_errf(err, errlen, -errno, "upgrade %s: pin %s: %s",
			      path, tmp, strerror(errno));
		goto out;
	}
	/* one step: the path names the old map or the new one, never none */
	if (rename(tmp, path)) {
		rc = xlb_errf(err, errlen, -errno, "upgrade %s: rename: %s",
			      path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	pr_info("%s: pinned by an older release with %u counters; replaced "
		"by one with %u, counters kept\n",
		path, old->max_entries, XLB_STAT_SLOTS);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	if (btf_fd >= 0)
		close(btf_fd);
	return rc;
}

static const char *map_type_str(__u32 type)
{
	const char *s = libbpf_bpf_map_type_str((enum bpf_map_type)type);

	return s ? s : "unknown";
}

/* What removing a pinned map costs, for the refusal message. */
static const char *recreate_cost(const char *name)
{
	if (!strcmp(name, CT_MAP))
		return "every tracked flow is forgotten; established "
		       "connections follow the Maglev tables";
	if (strstr(name, "stats"))
		return "its counters restart at zero";
	return "xlbd fills it again from the config";
}

/*
 * Releases before the common LRU made xlb_conntrack with per-CPU LRU lists
 * (BPF_F_NO_COMMON_LRU): the same table to the datapath and to xlbd, so it
 * is adopted with its flags rather than refused, keeping its flows.
 */
static bool ct_old_lru(const char *name, const struct bpf_map_info *info,
		       const struct bpf_map *map)
{
	return !strcmp(name, CT_MAP) &&
	       info->map_flags == (bpf_map__map_flags(map) | BPF_F_NO_COMMON_LRU);
}

/*
 * The first build with the flow cache made xlb_ct_versions without
 * BPF_F_MMAPABLE: adopted as it is (the program attached shares it);
 * xlb_ct_versions_map fails on it, and sync bumps the generation instead.
 */
static bool versions_old(const char *name, const struct bpf_map_info *info,
			 const struct bpf_map *map)
{
	return !strcmp(name, VERSIONS_MAP) &&
	       info->map_flags == (bpf_map__map_flags(map) & ~BPF_F_MMAPABLE);
}

/*
 * Checks the map pinned at @path against this build's @map, as libbpf
 * would refuse it at load, but saying which field differs and what to do.
 * Accepted differences: the conntrack table keeps its size and an older
 * release's per-CPU LRU lists (ct_old_lru); an unmappable version map is
 * adopted (versions_old); an older
 * release's smaller xlb_stats is replaced (stats_migrate), or, while a
 * program still counts into it, adopted as it is (the newer outcomes are
 * not counted until xlb is attached again). Without @act it only checks,
 * so every map is checked before any is changed.
 */
static int check_pinned(struct bpf_map *map, const char *path, bool act,
			__u32 *ct_pinned, char *err, size_t errlen)
{
	const char *name = bpf_map__name(map);
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char what[128];
	int fd, rc = 0;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0; /* not pinned: the load creates it */
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		rc = xlb_errf(err, errlen, -errno, "read pinned map %s: %s",
			      path, strerror(errno));
		goto out;
	}
	what[0] = 0;
	if (info.type != bpf_map__type(map))
		snprintf(what, sizeof(what), "type %s, this build needs %s",
			 map_type_str(info.type),
			 map_type_str(bpf_map__type(map)));
	else if (info.key_size != bpf_map__key_size(map))
		snprintf(what, sizeof(what),
			 "key size %u, this build needs %u", info.key_size,
			 bpf_map__key_size(map));
	else if (info.value_size != bpf_map__value_size(map))
		snprintf(what, sizeof(what),
			 "value size %u, this build needs %u", info.value_size,
			 bpf_map__value_size(map));
	else if (info.map_flags != bpf_map__map_flags(map) &&
		 !ct_old_lru(name, &info, map) &&
		 !versions_old(name, &info, map))
		snprintf(what, sizeof(what),
			 "flags 0x%x, this build needs 0x%x", info.map_flags,
			 bpf_map__map_flags(map));
	else if (info.max_entries != bpf_map__max_entries(map) &&
		 strcmp(name, CT_MAP) && strcmp(name, STATS_MAP))
		snprintf(what, sizeof(what),
			 "max_entries %u, this build needs %u",
			 info.max_entries, bpf_map__max_entries(map));
	else if (!act)
		; /* fits: adopted in the second pass */
	else if (!strcmp(name, CT_MAP)) {
		if (ct_pinned)
			*ct_pinned = info.max_entries;
		if (info.map_flags != bpf_map__map_flags(map))
			pr_info("%s: pinned by an older release with per-CPU "
				"LRU lists: adopted as it is (each CPU's list "
				"evicts at about entries / CPUs); removing it "
				"while xlb is detached gives the common LRU\n",
				path);
		if (bpf_map__set_max_entries(map, info.max_entries) ||
		    bpf_map__set_map_flags(map, info.map_flags))
			rc = xlb_errf(err, errlen, -errno, "adopt %s: %s", path,
				      strerror(errno));
	} else if (versions_old(name, &info, map)) {
		pr_info("%s: pinned by an older build, not mappable: adopted "
			"as it is; state sync's inserts then empty every "
			"CPU's flow cache instead of their flows' copies "
			"(removing it while xlb is detached gives the new one)\n",
			path);
		if (bpf_map__set_map_flags(map, info.map_flags))
			rc = xlb_errf(err, errlen, -errno, "adopt %s: %s", path,
				      strerror(errno));
	} else if (!strcmp(name, STATS_MAP) &&
		   info.max_entries < bpf_map__max_entries(map)) {
		if (!map_in_use(info.id)) {
			rc = stats_migrate(fd, &info, path, err, errlen);
		} else {
			pr_info("%s: pinned by an older release with %u "
				"counters and still in use: adopted as it is; "
				"outcomes past %u are not counted until xlb is "
				"attached again (xlb detach IFACE; xlb attach "
				"IFACE)\n",
				path, info.max_entries, info.max_entries);
			if (bpf_map__set_max_entries(map, info.max_entries))
				rc = xlb_errf(err, errlen, -errno,
					      "adopt %s: %s", path,
					      strerror(errno));
		}
	} else if (!strcmp(name, STATS_MAP) &&
		   info.max_entries > bpf_map__max_entries(map)) {
		/* a later release's, with more room: this build's outcomes
		 * are its first entries */
		if (bpf_map__set_max_entries(map, info.max_entries))
			rc = xlb_errf(err, errlen, -errno, "adopt %s: %s", path,
				      strerror(errno));
	}
	if (what[0])
		rc = xlb_errf(err, errlen, -EINVAL,
			      "pinned map %s does not fit this build: %s. "
			      "To start over with it: stop xlbd, run "
			      "`xlb detach IFACE` for every interface, "
			      "`rm %s`, and start xlbd again, which creates "
			      "it anew (%s)",
			      path, what, path, recreate_cost(name));
out:
	close(fd);
	return rc;
}

/*
 * Opens the LB object with every map bound to its pin path: on load, libbpf
 * reuses a pinned map (checked first by check_pinned, which also sizes the
 * maps that may differ) or creates and pins it. An existing conntrack table
 * keeps its size: resizing would mean a new map, losing every tracked flow.
 */
static struct xlb_lb *open_pinned(const char *pin_dir, __u32 ct_entries,
				  __u32 *ct_pinned, char *err, size_t errlen)
{
	struct xlb_lb *skel;
	struct bpf_map *map;
	size_t nmaps = 0;
	char path[512];

	if (ct_pinned)
		*ct_pinned = 0;
	skel = xlb_lb__open();
	if (!skel) {
		xlb_errf(err, errlen, -errno, "open the LB object: %s",
			 strerror(errno));
		return NULL;
	}
	if (ct_entries &&
	    bpf_map__set_max_entries(skel->maps.xlb_conntrack, ct_entries))
		goto err_path;
	bpf_object__for_each_map(map, skel->obj) {
		if (bpf_map__is_internal(map))
			continue;
		nmaps++;
		snprintf(path, sizeof(path), "%s/%s", pin_dir,
			 bpf_map__name(map));
		if (bpf_map__set_pin_path(map, path))
			goto err_path;
		if (check_pinned(map, path, false, NULL, err, errlen))
			goto err_checked;
	}
	if (nmaps != xlb_lb_map_count()) {
		xlb_errf(err, errlen, -EINVAL,
			 "the LB object has %zu maps, lib/lbmaps.h lists %zu: "
			 "add the new one to XLB_LB_MAPS",
			 nmaps, xlb_lb_map_count());
		goto err_checked;
	}
	/* every pinned map fits: now adopt or replace what needs it */
	bpf_object__for_each_map(map, skel->obj) {
		if (!bpf_map__is_internal(map) &&
		    check_pinned(map, bpf_map__pin_path(map), true, ct_pinned,
				 err, errlen))
			goto err_checked;
	}
	return skel;
err_checked:
	xlb_lb__destroy(skel);
	return NULL;
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
			    "load the LB object with the maps in %s: %s",
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
	/*
	 * xlb_vip_addr_filter is new next to maps pinned by a release without
	 * it: it must know every VIP address before a program reading it runs
	 * (setting bits that are set already changes nothing)
	 */
	rc = xlb_addr_filter_sync(m);
	if (rc) {
		xlb_maps_close(m);
		return xlb_errf(err, errlen, rc,
			    "fill xlb_vip_addr_filter from xlb_vip_addrs in %s: %s",
			    pin_dir, strerror(-rc));
	}
	return 0;
}

int xlb_maps_stats_refresh(const char *pin_dir, struct xlb_lb_maps *m)
{
	struct bpf_map_info cur = {}, pinned = {};
	__u32 len = sizeof(cur);
	char path[512];
	int fd;

	if (bpf_obj_get_info_by_fd(m->stats, &cur, &len))
		return -errno;
	if (cur.max_entries >= XLB_STAT_SLOTS)
		return 0; /* this build's size: never replaced */
	snprintf(path, sizeof(path), "%s/%s", pin_dir, STATS_MAP);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	len = sizeof(pinned);
	if (bpf_obj_get_info_by_fd(fd, &pinned, &len)) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	if (pinned.id == cur.id) {
		close(fd);
		return 0;
	}
	close(m->stats);
	m->stats = fd;
	return 1;
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
	struct xlb_lb_maps m;
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
	/* the maps first, the address filter filled (see xlb_maps_open_pinned) */
	rc = xlb_maps_open_pinned(pin_dir, ct_entries, &m, NULL, err, errlen);
	if (rc)
		return rc;
	xlb_maps_close(&m);
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

int xlb_pin_name(const char *pin_dir, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	const char *p = pin_dir;
	size_t n = 0;

	while (*p == '/')
		p++;
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '.' || c == '_';

		if (c == '/' && (p[1] == '/' || !p[1]))
			continue; /* "a//b/" is "a/b" */
		if (n + 4 > outlen)
			return -ENAMETOOLONG;
		if (c == '/') {
			out[n++] = '-';
		} else if (keep) {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	if (!n || n >= outlen)
		return -ENAMETOOLONG;
	out[n] = 0;
	return 0;
}

static int pin_lock_path(const char *pin_dir, char *path, size_t len)
{
	char name[200];
	int rc = xlb_pin_name(pin_dir, name, sizeof(name));

	if (rc)
		return rc;
	if ((size_t)snprintf(path, len, XLB_RUN_DIR "/pin-%s.lock", name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int xlb_pin_lock(const char *pin_dir, char *err, size_t errlen)
{
	char path[256], buf[32];
	struct stat a, b;
	int fd, rc;
	ssize_t n;

	rc = pin_lock_path(pin_dir, path, sizeof(path));
	if (rc)
		return xlb_errf(err, errlen, rc, "pin dir %s: name too long",
				pin_dir);
	if (mkdir(XLB_RUN_DIR, 0700) && errno != EEXIST)
		return xlb_errf(err, errlen, -errno, "pin dir lock: mkdir %s: %s",
				XLB_RUN_DIR, strerror(errno));
	/*
	 * The holder removes the file when it stops, so a file we locked may
	 * have been unlinked in between: only a lock on the file that is
	 * still at the path counts.
	 */
	for (;;) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return xlb_errf(err, errlen, -errno,
					"pin dir lock %s: %s", path,
					strerror(errno));
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			rc = -errno;
			if (rc != -EWOULDBLOCK) {
				close(fd);
				return xlb_errf(err, errlen, rc,
						"pin dir lock %s: %s", path,
						strerror(-rc));
			}
			n = pread(fd, buf, sizeof(buf) - 1, 0);
			close(fd);
			buf[n > 0 ? n : 0] = 0;
			buf[strcspn(buf, "\n")] = 0;
			return xlb_errf(err, errlen, -EBUSY,
					"pin dir %s is in use by xlbd pid %s "
					"(%s); one xlbd per pin dir",
					pin_dir, buf[0] ? buf : "(unknown)",
					path);
		}
		if (!fstat(fd, &a) && !stat(path, &b) && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			break;
		close(fd);
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n) {
		rc = -errno;
		close(fd);
		unlink(path);
		return xlb_errf(err, errlen, rc, "pin dir lock %s: write: %s",
				path, strerror(-rc));
	}
	return fd;
}

void xlb_pin_unlock(const char *pin_dir, int fd)
{
	char path[256];

	if (fd < 0)
		return;
	/* unlink while holding it: a waiter re-checks the path (above) */
	if (!pin_lock_path(pin_dir, path, sizeof(path)))
		unlink(path);
	close(fd);
}

void xlb_pins_remove(const char *pin_dir)
{
	DIR *dd = opendir(pin_dir);
	struct dirent *e;
	char p[PATH_MAX];

	if (!dd)
		return;
	while ((e = readdir(dd))) {
		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", pin_dir,
				     e->d_name) < sizeof(p))
			unlink(p);
	}
	closedir(dd);
	rmdir(pin_dir);
}
