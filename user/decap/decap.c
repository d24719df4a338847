// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The backend decap program from user space: its maps, and attaching it
 * to, finding it on and detaching it from an interface. Why nothing is
 * pinned is in decap.h.
 */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/if_link.h>

#include "decap/decap.h"
#include "lib/stats.h"
#include "xlb_decap.skel.h"

/* Maps a program of ours can have; more would not be xlb_decap. */
#define MAX_PROG_MAPS 16

static int fail(char *why, size_t len, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *why, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return err;
}

static int map_fd(struct bpf_object *obj, const char *name, int *fd)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);

	if (!map)
		return -ENOENT;
	*fd = bpf_map__fd(map);
	return *fd < 0 ? -EBADF : 0;
}

int xlb_decap_maps_from_object(struct bpf_object *obj,
			       struct xlb_decap_maps *m)
{
	struct bpf_map *stats;
	int err;

	err = map_fd(obj, "xlb_decap_addrs", &m->addrs) ?:
	      map_fd(obj, "xlb_decap_stats", &m->stats);
	if (err)
		return err;
	stats = bpf_object__find_map_by_name(obj, "xlb_decap_stats");
	/* the map has room for outcomes added later; these are the ones
	 * this build names */
	m->nstats = bpf_map__max_entries(stats) < XLB_DECAP_STAT_MAX ?
			    bpf_map__max_entries(stats) :
			    XLB_DECAP_STAT_MAX;
	return 0;
}

int xlb_decap_addr_add(const struct xlb_decap_maps *m,
		       const struct xlb_addr *a, __u8 family)
{
	struct xlb_addr_key k = { .family = family };
	struct xlb_addr_info v = {};

	if (family == XLB_AF_INET)
		k.addr.v4 = a->v4; /* the other 12 bytes stay zero */
	else if (family == XLB_AF_INET6)
		k.addr = *a;
	else
		return -EINVAL;
	return bpf_map_update_elem(m->addrs, &k, &v, BPF_ANY) ? -errno : 0;
}

int xlb_decap_addr_clear(const struct xlb_decap_maps *m)
{
	struct xlb_addr_key k;

	/* bounded: each turn deletes one of at most max_entries keys */
	while (!bpf_map_get_next_key(m->addrs, NULL, &k))
		if (bpf_map_delete_elem(m->addrs, &k))
			return -errno;
	return errno == ENOENT ? 0 : -errno;
}

int xlb_decap_addr_list(const struct xlb_decap_maps *m,
			struct xlb_addr_key *out, size_t max, size_t *n)
{
	struct xlb_addr_key k, next;
	void *prev = NULL;

	*n = 0;
	while (*n < max && !bpf_map_get_next_key(m->addrs, prev, &next)) {
		out[(*n)++] = next;
		k = next;
		prev = &k;
	}
	return 0;
}

int xlb_decap_stat_read(const struct xlb_decap_maps *m, __u32 idx,
			struct xlb_counter *sum)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	struct xlb_counter *buf;

	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	buf = calloc((size_t)ncpu, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->stats, &idx, buf)) {
		err = -errno;
		goto out;
	}
	memset(sum, 0, sizeof(*sum));
	for (int c = 0; c < ncpu; c++) {
		sum->packets += buf[c].packets;
		sum->bytes += buf[c].bytes;
	}
out:
	free(buf);
	return err;
}

const char *xlb_decap_stat_name(__u32 idx)
{
	return idx < XLB_DECAP_STAT_MAX ? xlb_decap_stat_descs[idx].name : "?";
}

static __u32 mode_flag(enum xlb_xdp_mode mode)
{
	return mode == XLB_XDP_SKB ? XDP_FLAGS_SKB_MODE :
					    XDP_FLAGS_DRV_MODE;
}

static int ifindex_of(const char *ifname, char *why, size_t len)
{
	unsigned int ifindex = if_nametoindex(ifname);

	if (!ifindex)
		return fail(why, len, -ENODEV, "no such interface");
	return (int)ifindex;
}

/* What is attached to @ifindex: the program ids in each mode. */
struct attached {
	__u32 id[2]; /* by enum xlb_xdp_mode; 0: none */
};

static int query(int ifindex, struct attached *a, char *why, size_t len)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err = bpf_xdp_query(ifindex, 0, &q);

	if (err)
		return fail(why, len, err, "querying its XDP programs: %s",
			    strerror(-err));
	a->id[XLB_XDP_NATIVE] = q.drv_prog_id;
	a->id[XLB_XDP_SKB] = q.skb_prog_id;
	if (q.hw_prog_id)
		return fail(why, len, -EEXIST,
			    "a program is offloaded to the NIC (id %u)",
			    q.hw_prog_id);
	return 0;
}

/* Opens program @id and reads its info; returns its fd or -errno. */
static int prog_open(__u32 id, struct bpf_prog_info *info, __u32 *map_ids,
		     __u32 max_maps)
{
	__u32 ilen = sizeof(*info);
	int fd = bpf_prog_get_fd_by_id(id), err;

	if (fd < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	info->nr_map_ids = max_maps;
	info->map_ids = (__u64)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(fd, info, &ilen)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int is_ours(const struct bpf_prog_info *info)
{
	return info->type == BPF_PROG_TYPE_XDP &&
	       !strcmp(info->name, XLB_DECAP_PROG_NAME);
}

/*
 * Finds our maps among @prog's, by name, and checks their layout against
 * this build's ABI so a tool never reads a map it would misinterpret.
 */
static int maps_from_prog(const struct bpf_prog_info *info,
			  const __u32 *map_ids, struct xlb_decap_maps *m,
			  char *why, size_t len)
{
	__u32 n = info->nr_map_ids < MAX_PROG_MAPS ? info->nr_map_ids :
						     MAX_PROG_MAPS;

	m->addrs = m->stats = -1;
	for (__u32 i = 0; i < n; i++) {
		struct bpf_map_info mi = {};
		__u32 mlen = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(map_ids[i]);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &mi, &mlen)) {
			close(fd);
			continue;
		}
		if (!strcmp(mi.name, "xlb_decap_addrs") && m->addrs < 0 &&
		    mi.key_size == sizeof(struct xlb_addr_key) &&
		    mi.value_size == sizeof(struct xlb_addr_info)) {
			m->addrs = fd;
		} else if (!strcmp(mi.name, "xlb_decap_stats") &&
			   m->stats < 0 &&
			   mi.value_size == sizeof(struct xlb_counter)) {
			m->stats = fd;
			m->nstats = mi.max_entries < XLB_DECAP_STAT_MAX ?
					    mi.max_entries :
					    XLB_DECAP_STAT_MAX;
		} else {
			close(fd);
		}
	}
	if (m->addrs >= 0 && m->stats >= 0)
		return 0;
	if (m->addrs >= 0)
		close(m->addrs);
	if (m->stats >= 0)
		close(m->stats);
	m->addrs = m->stats = -1;
	return fail(why, len, -EPROTO,
		    "the attached xlb_decap (id %u) has no maps this tool "
		    "understands (built from another version?)", info->id);
}

int xlb_decap_open(const char *ifname, struct xlb_decap_handle *h, char *why,
		   size_t len)
{
	__u32 map_ids[MAX_PROG_MAPS], other = 0;
	char other_name[BPF_OBJ_NAME_LEN] = "";
	struct bpf_prog_info info;
	struct attached a;
	int err;

	memset(h, 0, sizeof(*h));
	h->prog_fd = h->maps.addrs = h->maps.stats = -1;
	h->ifindex = ifindex_of(ifname, why, len);
	if (h->ifindex < 0)
		return h->ifindex;
	err = query(h->ifindex, &a, why, len);
	if (err)
		return err;
	for (int mode = 0; mode < 2; mode++) {
		int fd;

		if (!a.id[mode])
			continue;
		fd = prog_open(a.id[mode], &info, map_ids, MAX_PROG_MAPS);
		if (fd < 0)
			return fail(why, len, fd, "opening XDP program %u: %s",
				    a.id[mode], strerror(-fd));
		if (!is_ours(&info)) {
			other = a.id[mode];
			snprintf(other_name, sizeof(other_name), "%s",
				 info.name);
			close(fd);
			continue;
		}
		err = maps_from_prog(&info, map_ids, &h->maps, why, len);
		if (err) {
			close(fd);
			return err;
		}
		h->prog_fd = fd;
		h->prog_id = a.id[mode];
		h->mode = mode;
		return 0;
	}
	if (other)
		return fail(why, len, -ENOENT,
			    "the XDP program attached (id %u, \"%s\") is not "
			    "xlb_decap", other, other_name);
	return fail(why, len, -ENOENT, "no xlb_decap attached");
}

void xlb_decap_close(struct xlb_decap_handle *h)
{
	if (h->prog_fd >= 0)
		close(h->prog_fd);
	if (h->maps.addrs >= 0)
		close(h->maps.addrs);
	if (h->maps.stats >= 0)
		close(h->maps.stats);
	h->prog_fd = h->maps.addrs = h->maps.stats = -1;
}

/* Refuses to attach over anything: replacing a program is a decision. */
static int check_free(int ifindex, char *why, size_t len)
{
	__u32 map_ids[MAX_PROG_MAPS];
	struct bpf_prog_info info;
	struct attached a;
	int err = query(ifindex, &a, why, len);

	if (err)
		return err;
	for (int mode = 0; mode < 2; mode++) {
		int fd;

		if (!a.id[mode])
			continue;
		fd = prog_open(a.id[mode], &info, map_ids, MAX_PROG_MAPS);
		if (fd >= 0 && is_ours(&info)) {
			close(fd);
			return fail(why, len, -EEXIST,
				    "xlb_decap is already attached (id %u, %s "
				    "mode); detach it first", a.id[mode],
				    xlb_xdp_mode_str(mode));
		}
		if (fd >= 0)
			close(fd);
		return fail(why, len, -EEXIST,
			    "another XDP program is attached (id %u, \"%s\"); "
			    "detach it first", a.id[mode],
			    fd >= 0 ? info.name : "?");
	}
	return 0;
}

int xlb_decap_attach(const char *ifname, const struct xlb_addr_key *addrs,
		     size_t n, enum xlb_xdp_mode mode, char *why, size_t len)
{
	struct xlb_decap *skel;
	struct xlb_decap_maps m;
	int ifindex, err;

	ifindex = ifindex_of(ifname, why, len);
	if (ifindex < 0)
		return ifindex;
	if (!n || n > XLB_MAX_DECAP_ADDRS)
		return fail(why, len, -EINVAL, "give 1 to %d addresses",
			    XLB_MAX_DECAP_ADDRS);
	err = check_free(ifindex, why, len);
	if (err)
		return err;

	skel = xlb_decap__open_and_load();
	if (!skel) {
		err = -errno;
		return fail(why, len, err, "loading xlb_decap: %s",
			    strerror(-err));
	}
	err = xlb_decap_maps_from_object(skel->obj, &m);
	if (err) {
		fail(why, len, err, "finding the maps of xlb_decap: %s",
		     strerror(-err));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		err = xlb_decap_addr_add(&m, &addrs[i].addr, addrs[i].family);
		if (err) {
			fail(why, len, err, "adding address %zu: %s", i + 1,
			     strerror(-err));
			goto out;
		}
	}
	/* UPDATE_IF_NOEXIST: if someone attached since check_free, they win */
	err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.xlb_decap),
			     XDP_FLAGS_UPDATE_IF_NOEXIST | mode_flag(mode),
			     NULL);
	if (err == -EOPNOTSUPP && mode == XLB_XDP_NATIVE)
		fail(why, len, err, "driver has no native XDP (try --mode skb)");
	else if (err == -EBUSY || err == -EEXIST)
		fail(why, len, err,
		     "an XDP program is attached in some mode; detach it first");
	else if (err)
		fail(why, len, err, "attaching in %s mode: %s",
		     xlb_xdp_mode_str(mode), strerror(-err));
out:
	/* attached, the interface holds the program and the program its maps */
	xlb_decap__destroy(skel);
	return err;
}

int xlb_decap_detach(const char *ifname, char *why, size_t len)
{
	struct xlb_decap_handle h;
	int err = xlb_decap_open(ifname, &h, why, len);
	LIBBPF_OPTS(bpf_xdp_attach_opts, o);

	if (err)
		return err;
	/* REPLACE with the program found: if it changed since, touch nothing */
	o.old_prog_fd = h.prog_fd;
	err = bpf_xdp_detach(h.ifindex, XDP_FLAGS_REPLACE | mode_flag(h.mode),
			     &o);
	if (err == -EEXIST)
		fail(why, len, err, "the attached program changed meanwhile");
	else if (err)
		fail(why, len, err, "detaching xlb_decap (id %u): %s",
		     h.prog_id, strerror(-err));
	xlb_decap_close(&h);
	return err;
}
