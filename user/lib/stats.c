// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the counter reading of lib/stats.h: the descriptor
 * tables generated from the outcome list, and per-CPU sums read with
 * batch lookups in chunks (the kernel copies n * CPUs values per call, so
 * a chunk bounds the buffer on a machine with many CPUs).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/stats.h"

#define XLB__DESC(e, n, v, h) \
	[e] = { .name = n, .help = h, .verdict = XLB_V_##v },
/* clang-format off: one generated entry per line of the list */
const struct xlb_stat_desc xlb_stat_descs[XLB_STAT_MAX] = { XLB_STAT_LIST(
	XLB__DESC) };
const struct xlb_stat_desc xlb_decap_stat_descs[XLB_DECAP_STAT_MAX] = {
	XLB_DECAP_STAT_LIST(XLB__DESC)
};
/* clang-format on */
#undef XLB__DESC

/* Keys per batch lookup. */
#define BATCH 1024

const char *xlb_stat_name(__u32 idx)
{
	return idx < XLB_STAT_MAX ? xlb_stat_descs[idx].name : "?";
}

const char *xlb_verdict_class_name(enum xlb_verdict_class v)
{
	static const char *const names[] = {
		[XLB_V_PASS] = "pass",	 [XLB_V_DROP] = "drop",
		[XLB_V_TX] = "tx",	 [XLB_V_OK] = "ok",
		[XLB_V_EVENT] = "event",
	};

	return (size_t)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

static void sum_cpus(const __u64 *vals, int ncpu, size_t nwords, __u64 *out)
{
	memset(out, 0, nwords * sizeof(*out));
	for (int c = 0; c < ncpu; c++)
		for (size_t i = 0; i < nwords; i++)
			out[i] += vals[(size_t)c * nwords + i];
}

/* One entry at a time: kernels without batch lookups for per-CPU arrays. */
static int read_range_slow(int fd, __u32 first, __u32 n, size_t nwords,
			   __u64 *out, __u64 *buf, int ncpu)
{
	__u32 got = 0;

	memset(out, 0, (size_t)n * nwords * sizeof(*out));
	for (__u32 i = 0; i < n; i++) {
		__u32 key = first + i;

		if (bpf_map_lookup_elem(fd, &key, buf)) {
			if (errno == ENOENT)
				break; /* past the end */
			return -errno;
		}
		sum_cpus(buf, ncpu, nwords, out + (size_t)i * nwords);
		got++;
	}
	return (int)got;
}

int xlb_percpu_read_range(int fd, __u32 first, __u32 n, size_t nwords,
			  __u64 *out)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int ncpu = libbpf_num_possible_cpus(), rc = 0;
	__u32 chunk = n < BATCH ? n : BATCH, done = 0, *keys = NULL;
	size_t stride;
	__u64 *vals = NULL;

	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	if (!n)
		return 0;
	stride = (size_t)ncpu * nwords; /* u64s per key */
	keys = calloc(chunk, sizeof(*keys));
	vals = calloc((size_t)chunk * stride, sizeof(*vals));
	if (!keys || !vals) {
		rc = -ENOMEM;
		goto out;
	}
	memset(out, 0, (size_t)n * nwords * sizeof(*out));
	while (done < n) {
		/* the batch cursor is the key before the first one wanted */
		__u32 in = first + done - 1, next, count = n - done;
		int err;

		if (count > chunk)
			count = chunk;
		err = bpf_map_lookup_batch(fd, first + done ? &in : NULL, &next,
					   keys, vals, &count, &opts);
		if (err && errno != ENOENT) {
			if (errno == EINVAL || errno == ENOTSUP ||
			    errno == EOPNOTSUPP) {
				rc = read_range_slow(
					fd, first + done, n - done, nwords,
					out + (size_t)done * nwords, vals,
					ncpu);
				rc = rc < 0 ? rc : (int)done + rc;
			} else {
				rc = -errno;
			}
			goto out;
		}
		for (__u32 i = 0; i < count; i++)
			if (keys[i] - first < n)
				sum_cpus(vals + (size_t)i * stride, ncpu,
					 nwords,
					 out + (size_t)(keys[i] - first) *
							 nwords);
		done += count;
		if (err || !count)
			break; /* ENOENT: the map ends here */
	}
	rc = (int)done;
out:
	free(keys);
	free(vals);
	return rc;
}

/* One entry; -ENOENT past the map's end. */
static int read_one(int fd, __u32 idx, __u64 *out, size_t nwords)
{
	int ncpu = libbpf_num_possible_cpus(), rc = 0;
	__u64 *buf;

	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	buf = calloc((size_t)ncpu * nwords, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &idx, buf))
		rc = -errno;
	else
		sum_cpus(buf, ncpu, nwords, out);
	free(buf);
	return rc;
}

int xlb_stat_read(const struct xlb_lb_maps *m, __u32 idx,
		  struct xlb_counter *sum)
{
	return read_one(m->stats, idx, (__u64 *)sum, 2);
}

int xlb_stats_read_all(const struct xlb_lb_maps *m,
		       struct xlb_counter out[XLB_STAT_MAX])
{
	return xlb_percpu_read_range(m->stats, 0, XLB_STAT_MAX, 2,
				     (__u64 *)out);
}

int xlb_vip_stats_read(const struct xlb_lb_maps *m, __u32 vip_id,
		       struct xlb_vip_stats *sum)
{
	return read_one(m->vip_stats, vip_id, (__u64 *)sum, 4);
}

int xlb_backend_stats_read(const struct xlb_lb_maps *m, __u32 id,
			   struct xlb_counter *sum)
{
	return read_one(m->backend_stats, id, (__u64 *)sum, 2);
}

int xlb_vip_stats_read_range(const struct xlb_lb_maps *m, __u32 first, __u32 n,
			     struct xlb_vip_stats *out)
{
	return xlb_percpu_read_range(m->vip_stats, first, n, 4, (__u64 *)out);
}

int xlb_backend_stats_read_range(const struct xlb_lb_maps *m, __u32 first,
				 __u32 n, struct xlb_counter *out)
{
	return xlb_percpu_read_range(m->backend_stats, first, n, 2,
				     (__u64 *)out);
}
