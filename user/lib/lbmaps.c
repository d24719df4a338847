// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <xlb/flow_hash.h>

#include "lib/lbmaps.h"

static int map_fd(struct bpf_object *obj, const char *name, int *fd)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);

	if (!map)
		return -ENOENT;
	*fd = bpf_map__fd(map);
	return *fd < 0 ? -EBADF : 0;
}

static const struct {
	const char *name;
	size_t off; /* of the fd in struct xlb_lb_maps */
} lb_maps[] = {
#define XLB_MAP_ROW(field, nm) { nm, offsetof(struct xlb_lb_maps, field) },
	XLB_LB_MAPS(XLB_MAP_ROW)
#undef XLB_MAP_ROW
};

#define NMAPS (sizeof(lb_maps) / sizeof(lb_maps[0]))
_Static_assert(NMAPS * sizeof(int) == sizeof(struct xlb_lb_maps),
	       "one name per map fd");

size_t xlb_lb_map_count(void)
{
	return NMAPS;
}

const char *xlb_lb_map_name(size_t i)
{
	return i < NMAPS ? lb_maps[i].name : NULL;
}

int *xlb_lb_map_fd(struct xlb_lb_maps *m, size_t i)
{
	return (int *)((char *)m + lb_maps[i].off);
}

void xlb_lb_maps_reset(struct xlb_lb_maps *m)
{
	for (size_t i = 0; i < NMAPS; i++)
		*xlb_lb_map_fd(m, i) = -1;
}

int xlb_maps_from_object(struct bpf_object *obj, struct xlb_lb_maps *m)
{
	int err;

	for (size_t i = 0; i < NMAPS; i++) {
		err = map_fd(obj, lb_maps[i].name, xlb_lb_map_fd(m, i));
		if (err)
			return err;
	}
	return 0;
}

static int update(int fd, const void *key, const void *val, __u64 flags)
{
	return bpf_map_update_elem(fd, key, val, flags) ? -errno : 0;
}

int xlb_ct_gen_bump(const struct xlb_lb_maps *m)
{
	__u32 zero = 0, gen;

	if (bpf_map_lookup_elem(m->ct_gen, &zero, &gen))
		return -errno;
	gen++;
	return update(m->ct_gen, &zero, &gen, BPF_ANY);
}

/* An array map lays its values out 8 bytes apart, whatever their size:
 * the kernel rounds the element size up to 8. */
#define VERSION_STRIDE 8
#define VERSIONS_LEN (XLB_CT_VERSIONS * VERSION_STRIDE)

void *xlb_ct_versions_map(const struct xlb_lb_maps *m)
{
	void *v = mmap(NULL, VERSIONS_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		       m->ct_versions, 0);

	return v == MAP_FAILED ? NULL : v;
}

void xlb_ct_versions_unmap(void *versions)
{
	if (versions)
		munmap(versions, VERSIONS_LEN);
}

int xlb_ct_flows_changed(const struct xlb_lb_maps *m, void *versions,
			 const struct xlb_flow *flows, size_t n)
{
	if (!n)
		return 0;
	if (!versions)
		return xlb_ct_gen_bump(m);
	/*
	 * A word the datapath bumps with an atomic add can only be bumped
	 * safely the same way, never by a read and an update of the element
	 * (a bump in between would be lost).
	 */
	for (size_t i = 0; i < n; i++) {
		__u32 idx = xlb_flow_cache_version_of(
			xlb_flow_cache_hash(&flows[i]));

		__atomic_fetch_add((__u32 *)((char *)versions +
					     (size_t)idx * VERSION_STRIDE),
				   1, __ATOMIC_SEQ_CST);
	}
	return 0;
}

int xlb_config_write(const struct xlb_lb_maps *m, const struct xlb_config *c)
{
	__u32 zero = 0;

	return update(m->config, &zero, c, BPF_ANY) ?: xlb_ct_gen_bump(m);
}

int xlb_addr_filter_set(const struct xlb_lb_maps *m, const struct xlb_addr *a)
{
	__u32 bit = xlb_addr_filter_bit(a), word = bit / 64;
	__u64 w;

	if (bpf_map_lookup_elem(m->vip_addr_filter, &word, &w))
		return -errno;
	if (w & (1ull << (bit % 64)))
		return 0;
	w |= 1ull << (bit % 64);
	return update(m->vip_addr_filter, &word, &w, BPF_ANY);
}

int xlb_addr_filter_sync(const struct xlb_lb_maps *m)
{
	struct xlb_addr_key k, next;
	void *prev = NULL;
	int err;

	while (!bpf_map_get_next_key(m->vip_addrs, prev, &next)) {
		k = next;
		prev = &k;
		err = xlb_addr_filter_set(m, &k.addr);
		if (err)
			return err;
	}
	return errno == ENOENT ? 0 : -errno;
}

static int vip_write(const struct xlb_lb_maps *m, const struct xlb_vip_key *k,
		     const struct xlb_vip_info *v, __u32 addr_flags)
{
	struct xlb_addr_key ak = { .addr = k->addr, .family = k->family };
	struct xlb_addr_info ai = { .flags = addr_flags }, old;
	struct xlb_vip_slot slot = { .key = *k, .info = *v }, old_slot, moved;
	struct xlb_vip_info old_info;
	int had_addr, had_vip = 0, err;

	if (v->vip_id >= XLB_MAX_VIPS || v->mode >= XLB_FWD_MAX ||
	    (v->flags & ~XLB_VIP_F_ALL) ||
	    (k->family != XLB_AF_INET && k->family != XLB_AF_INET6))
		return -EINVAL;
	/* the filter first: a packet never finds the address filtered out */
	err = xlb_addr_filter_set(m, &k->addr);
	if (err)
		return err;
	if (bpf_map_lookup_elem(m->vip_by_id, &v->vip_id, &old_slot))
		return -errno;
	/* the slot before the VIP: a conntrack hit finds what the VIP is */
	err = update(m->vip_by_id, &v->vip_id, &slot, BPF_ANY);
	if (err)
		return err;
	had_addr = !bpf_map_lookup_elem(m->vip_addrs, &ak, &old);
	err = update(m->vip_addrs, &ak, &ai, BPF_ANY);
	if (!err) {
		had_vip = !bpf_map_lookup_elem(m->vips, k, &old_info);
		err = update(m->vips, k, v, BPF_ANY);
	}
	if (!err && had_vip && old_info.vip_id != v->vip_id &&
	    old_info.vip_id < XLB_MAX_VIPS &&
	    !bpf_map_lookup_elem(m->vip_by_id, &old_info.vip_id, &moved) &&
	    !memcmp(&moved.key, k, sizeof(*k))) {
		/* the VIP changed ids (xlbd keeps them; another writer
		 * might not): its old slot must not keep matching */
		memset(&moved, 0, sizeof(moved));
		return update(m->vip_by_id, &old_info.vip_id, &moved, BPF_ANY);
	}
	if (err) {
		/* leave the address map and the slot as they were */
		if (had_addr)
			bpf_map_update_elem(m->vip_addrs, &ak, &old, BPF_ANY);
		else
			bpf_map_delete_elem(m->vip_addrs, &ak);
		bpf_map_update_elem(m->vip_by_id, &v->vip_id, &old_slot,
				    BPF_ANY);
	}
	return err;
}

/* Cached conntrack hits name a VIP by id: stale after any VIP write. */
int xlb_vip_write(const struct xlb_lb_maps *m, const struct xlb_vip_key *k,
		  const struct xlb_vip_info *v, __u32 addr_flags)
{
	int err = vip_write(m, k, v, addr_flags);

	return xlb_ct_gen_bump(m) ?: err;
}

/*
 * Rebuilds xlb_vip_by_id from xlb_vips: a slot for every VIP there, every
 * other slot empty. Next to maps pinned by a release without the array it
 * starts empty (conntrack hits take the long way until this runs, still
 * right).
 */
int xlb_vip_by_id_sync(const struct xlb_lb_maps *m)
{
	struct xlb_vip_slot *slots;
	struct xlb_vip_entry *all;
	size_t n;
	int err;

	err = xlb_vip_list(m, &all, &n);
	if (err)
		return err;
	slots = calloc(XLB_MAX_VIPS, sizeof(*slots));
	if (!slots) {
		free(all);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		if (all[i].info.vip_id < XLB_MAX_VIPS)
			slots[all[i].info.vip_id] = (struct xlb_vip_slot){
				all[i].key, all[i].info };
	for (__u32 id = 0; !err && id < XLB_MAX_VIPS; id++)
		err = update(m->vip_by_id, &id, &slots[id], BPF_ANY);
	free(slots);
	free(all);
	return xlb_ct_gen_bump(m) ?: err;
}

int xlb_vip_read(const struct xlb_lb_maps *m, const struct xlb_vip_key *k,
		 struct xlb_vip_info *v)
{
	return bpf_map_lookup_elem(m->vips, k, v) ? -errno : 0;
}

int xlb_vip_list(const struct xlb_lb_maps *m, struct xlb_vip_entry **out,
		 size_t *n)
{
	struct xlb_vip_key k, next;
	struct xlb_vip_entry *all;
	void *prev = NULL;
	size_t cnt = 0;
	int err = 0;

	*out = NULL;
	*n = 0;
	/* the map holds at most XLB_MAX_VIPS: one bounded buffer */
	all = calloc(XLB_MAX_VIPS, sizeof(*all));
	if (!all)
		return -ENOMEM;
	while (cnt < XLB_MAX_VIPS &&
	       !bpf_map_get_next_key(m->vips, prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(m->vips, &k, &all[cnt].info))
			continue; /* deleted meanwhile */
		all[cnt++].key = k;
	}
	if (cnt < XLB_MAX_VIPS && errno != ENOENT)
		err = -errno;
	if (err) {
		free(all);
		return err;
	}
	*out = all;
	*n = cnt;
	return 0;
}

static int vip_delete(const struct xlb_lb_maps *m, const struct xlb_vip_key *k,
		      __u32 vip_id, bool drop_addr)
{
	struct xlb_addr_key ak = { .addr = k->addr, .family = k->family };
	struct xlb_vip_slot slot, empty = {};
	bool cleared = false;
	int err;

	/* the slot first: no conntrack hit finds a VIP that is going */
	if (vip_id < XLB_MAX_VIPS &&
	    !bpf_map_lookup_elem(m->vip_by_id, &vip_id, &slot) &&
	    !memcmp(&slot.key, k, sizeof(*k))) {
		err = update(m->vip_by_id, &vip_id, &empty, BPF_ANY);
		if (err)
			return err;
		cleared = true;
	}
	if (bpf_map_delete_elem(m->vips, k)) {
		err = -errno;
		if (cleared && err != -ENOENT)
			bpf_map_update_elem(m->vip_by_id, &vip_id, &slot,
					    BPF_ANY);
		return err;
	}
	/* no packet can reach the table now; the rest is cleanup */
	bpf_map_delete_elem(m->maglev, &vip_id);
	if (drop_addr)
		bpf_map_delete_elem(m->vip_addrs, &ak);
	return 0;
}

int xlb_vip_delete(const struct xlb_lb_maps *m, const struct xlb_vip_key *k,
		   __u32 vip_id, bool drop_addr)
{
	int err = vip_delete(m, k, vip_id, drop_addr);

	return xlb_ct_gen_bump(m) ?: err;
}

int xlb_backend_read(const struct xlb_lb_maps *m, __u32 id,
		     struct xlb_backend *be)
{
	if (!id || id >= XLB_MAX_BACKENDS)
		return -EINVAL;
	return bpf_map_lookup_elem(m->backends, &id, be) ? -errno : 0;
}

int xlb_backend_write(const struct xlb_lb_maps *m, __u32 id,
		      const struct xlb_backend *be)
{
	if (!id || id >= XLB_MAX_BACKENDS)
		return -EINVAL;
	return update(m->backends, &id, be, BPF_ANY);
}

/*
 * BTF for the inner tables, so bpftool prints their entries as numbers: the
 * __u32 type of the object's own BTF, found through a map that has it (the
 * outer array of maps gets none from libbpf). Looked up once per process;
 * without it the tables still work, they just print as hex.
 */
static void inner_btf(int map_fd, int *btf_fd, __u32 *u32_id)
{
	static __u32 cached_btf_id, cached_type;
	static int cached_fd = -1;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct btf *btf;
	int id;

	*btf_fd = -1;
	*u32_id = 0;
	if (bpf_obj_get_info_by_fd(map_fd, &info, &len) || !info.btf_id)
		return;
	if (cached_fd < 0 || cached_btf_id != info.btf_id) {
		btf = btf__load_from_kernel_by_id(info.btf_id);
		if (!btf)
			return;
		id = btf__find_by_name_kind(btf, "__u32", BTF_KIND_TYPEDEF);
		btf__free(btf);
		if (id <= 0)
			return;
		if (cached_fd >= 0)
			close(cached_fd);
		cached_fd = bpf_btf_get_fd_by_id(info.btf_id);
		if (cached_fd < 0)
			return;
		cached_btf_id = info.btf_id;
		cached_type = (__u32)id;
	}
	*btf_fd = cached_fd;
	*u32_id = cached_type;
}

int xlb_table_install(const struct xlb_lb_maps *m, __u32 vip_id,
		      const __u32 *table, __u32 size)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_INNER_MAP);
	LIBBPF_OPTS(bpf_map_batch_opts, bopts);
	__u32 n = size + XLB_MAGLEV_HDR_SLOTS, count, i;
	__u32 *keys = NULL, *vals = NULL;
	char name[BPF_OBJ_NAME_LEN];
	int fd, err, btf_fd;
	__u32 u32_id;

	if (vip_id >= XLB_MAX_VIPS || !size || size > XLB_MAGLEV_MAX_SIZE)
		return -EINVAL;
	snprintf(name, sizeof(name), "xlb_mg_%u", vip_id);
	inner_btf(m->vips, &btf_fd, &u32_id);
	if (btf_fd >= 0) {
		opts.btf_fd = (__u32)btf_fd;
		opts.btf_key_type_id = u32_id;
		opts.btf_value_type_id = u32_id;
	}
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(__u32),
			    sizeof(__u32), n, &opts);
	if (fd < 0)
		return -errno;
	keys = malloc(n * sizeof(*keys));
	vals = malloc(n * sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		keys[i] = i;
	vals[0] = size;
	memcpy(vals + XLB_MAGLEV_HDR_SLOTS, table, size * sizeof(*table));
	count = n;
	if (bpf_map_update_batch(fd, keys, vals, &count, &bopts)) {
		err = -errno;
		goto out;
	}
	/* the one word a packet sees change */
	err = update(m->maglev, &vip_id, &fd, BPF_ANY);
out:
	free(keys);
	free(vals);
	close(fd); /* the outer map holds its own reference */
	return err;
}

bool xlb_table_installed(const struct xlb_lb_maps *m, __u32 vip_id)
{
	__u32 inner_id;

	return !bpf_map_lookup_elem(m->maglev, &vip_id, &inner_id);
}

/*
 * Opens @vip_id's installed inner table and reads its size into @n.
 * Returns its fd (the caller closes it) or -errno.
 */
static int table_open(const struct xlb_lb_maps *m, __u32 vip_id, __u32 *n)
{
	__u32 inner_id, zero = 0;
	int fd, err;

	if (bpf_map_lookup_elem(m->maglev, &vip_id, &inner_id))
		return -errno;
	fd = bpf_map_get_fd_by_id(inner_id);
	if (fd < 0)
		return -errno;
	if (bpf_map_lookup_elem(fd, &zero, n)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (!*n || *n > XLB_MAGLEV_MAX_SIZE) {
		close(fd);
		return -EINVAL; /* not a table this build installs */
	}
	return fd;
}

int xlb_table_read(const struct xlb_lb_maps *m, __u32 vip_id, __u32 **table,
		   __u32 *size)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bopts);
	__u32 n = 0, token, count, *keys = NULL, *vals = NULL, *tab = NULL;
	int fd, err = 0;

	*table = NULL;
	*size = 0;
	fd = table_open(m, vip_id, &n);
	if (fd < 0)
		return fd;
	count = n + XLB_MAGLEV_HDR_SLOTS;
	keys = malloc(count * sizeof(*keys));
	vals = malloc(count * sizeof(*vals));
	tab = calloc(n, sizeof(*tab));
	if (!keys || !vals || !tab) {
		err = -ENOMEM;
		goto out;
	}
	/* one call for the whole array: its size is known */
	if (bpf_map_lookup_batch(fd, NULL, &token, keys, vals, &count, &bopts) &&
	    errno != ENOENT) {
		err = -errno;
		goto out;
	}
	if (count != n + XLB_MAGLEV_HDR_SLOTS) {
		err = -EIO;
		goto out;
	}
	/* slot i of the table is key i + XLB_MAGLEV_HDR_SLOTS */
	for (__u32 i = 0; i < count; i++)
		if (keys[i] >= XLB_MAGLEV_HDR_SLOTS && keys[i] < count)
			tab[keys[i] - XLB_MAGLEV_HDR_SLOTS] = vals[i];
	*table = tab;
	*size = n;
	tab = NULL;
out:
	free(keys);
	free(vals);
	free(tab);
	close(fd);
	return err;
}

int xlb_table_read_part(const struct xlb_lb_maps *m, __u32 vip_id, __u32 from,
			__u32 max, __u32 *out, __u32 *got, __u32 *size)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bopts);
	__u32 n = 0, in, token, count, *keys = NULL, *vals = NULL;
	int fd, err = 0;

	*got = 0;
	*size = 0;
	fd = table_open(m, vip_id, &n);
	if (fd < 0)
		return fd;
	*size = n;
	if (from >= n || !max)
		goto out;
	count = n - from < max ? n - from : max;
	keys = malloc(count * sizeof(*keys));
	vals = malloc(count * sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	/* a generic batch starts after the key it is given: the one before
	 * slot @from (the header, at least) */
	in = from + XLB_MAGLEV_HDR_SLOTS - 1;
	if (bpf_map_lookup_batch(fd, &in, &token, keys, vals, &count, &bopts) &&
	    errno != ENOENT) {
		err = -errno;
		goto out;
	}
	for (__u32 i = 0; i < count; i++) {
		if (keys[i] != from + XLB_MAGLEV_HDR_SLOTS + i) {
			err = -EIO;
			goto out;
		}
		out[i] = vals[i];
	}
	*got = count;
out:
	free(keys);
	free(vals);
	close(fd);
	return err;
}
