// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the pinned health-state map (lib/healthmap.h): created
 * from user space, a plain hash, pinned next to the LB's maps.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "lib/healthmap.h"

int xlb_health_map_open(const char *pin_dir, char *err, size_t errlen)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, XLB_HEALTH_MAP_NAME);
	fd = bpf_obj_get(path);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT) {
		fd = -errno;
		snprintf(err, errlen, "open %s: %s", path, strerror(-fd));
		return fd;
	}
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, XLB_HEALTH_MAP_NAME,
			    sizeof(struct xlb_health_key),
			    sizeof(struct xlb_health_val), XLB_HEALTH_MAP_MAX,
			    NULL);
	if (fd < 0) {
		fd = -errno;
		snprintf(err, errlen, "create %s: %s", path, strerror(-fd));
		return fd;
	}
	if (bpf_obj_pin(fd, path)) {
		int rc = -errno;

		close(fd);
		/* another xlbd pinned it first: use that one */
		if (rc == -EEXIST) {
			fd = bpf_obj_get(path);
			if (fd >= 0)
				return fd;
			rc = -errno;
		}
		snprintf(err, errlen, "pin %s: %s", path, strerror(-rc));
		return rc;
	}
	return fd;
}

int xlb_health_map_get(int fd, const struct xlb_health_key *k,
		       struct xlb_health_val *v)
{
	return bpf_map_lookup_elem(fd, k, v) ? -errno : 0;
}

int xlb_health_map_put(int fd, const struct xlb_health_key *k,
		       const struct xlb_health_val *v)
{
	return bpf_map_update_elem(fd, k, v, BPF_ANY) ? -errno : 0;
}

long xlb_health_map_prune(int fd,
			  bool (*keep)(const struct xlb_health_key *k,
				       void *arg),
			  void *arg)
{
	struct xlb_health_key k, next, gone[256];
	long n = 0;
	size_t ng = 0;
	bool first = true;

	/* deleting while walking restarts get_next_key: collect, then delete */
	while (!bpf_map_get_next_key(fd, first ? NULL : &k, &next)) {
		first = false;
		k = next;
		if (!keep(&k, arg) && ng < sizeof(gone) / sizeof(gone[0]))
			gone[ng++] = k;
	}
	for (size_t i = 0; i < ng; i++)
		if (!bpf_map_delete_elem(fd, &gone[i]))
			n++;
	return n;
}
