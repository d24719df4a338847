// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the conntrack table's walks (batched, with a get_next_key
 * fallback), count, flush, insert and delete.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/conntrack.h"

/* The kernel's "operation not supported" (not in the user-space headers). */
#define ENOTSUPP_KERNEL 524

__u64 xlb_ct_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

enum xlb_ct_state xlb_ct_state_of(const struct xlb_flow *k,
				  const struct xlb_ct_entry *e,
				  const struct xlb_ct_ages *a, __u64 now_ns)
{
	bool closing = k->proto == IPPROTO_TCP && (e->flags & XLB_CT_F_CLOSING);
	__u32 s;

	if (k->proto == IPPROTO_TCP)
		s = closing ? a->tcp_fin : a->tcp;
	else
		s = a->udp;
	/* the same test as the datapath's (bpf/select.h): strictly older */
	if (s && now_ns > e->last_seen_ns &&
	    now_ns - e->last_seen_ns > (__u64)s * 1000000000ull)
		return XLB_CT_EXPIRED;
	return closing ? XLB_CT_CLOSING : XLB_CT_ACTIVE;
}

static bool match(const struct xlb_ct_filter *f, const struct xlb_flow *k,
		  const struct xlb_ct_entry *e)
{
	if (!f)
		return true;
	if (f->vip_id >= 0 && e->vip_id != (__u32)f->vip_id)
		return false;
	if (f->backend_id && e->backend_id != f->backend_id)
		return false;
	if (f->backend_set &&
	    (e->backend_id >= XLB_MAX_BACKENDS ||
	     !(f->backend_set[e->backend_id / 8] & (1u << (e->backend_id % 8)))))
		return false;
	if (f->pair_set) {
		size_t bit = (size_t)e->vip_id * XLB_MAX_BACKENDS +
			     e->backend_id;

		if (e->vip_id >= XLB_MAX_VIPS ||
		    e->backend_id >= XLB_MAX_BACKENDS ||
		    !(f->pair_set[bit / 8] & (1u << (bit % 8))))
			return false;
	}
	if (f->ages)
		return f->expired == (xlb_ct_state_of(k, e, f->ages,
						      f->now_ns) ==
				      XLB_CT_EXPIRED);
	return true;
}

bool xlb_ct_match(const struct xlb_ct_filter *f, const struct xlb_flow *k,
		  const struct xlb_ct_entry *e)
{
	return match(f, k, e);
}

/* One walk: the callback for reads, or the delete list of a flush. */
struct walk {
	const struct xlb_ct_filter *f;
	xlb_ct_fn fn;
	void *arg;
	bool flush;
	long deleted;
};

/*
 * Deletes @n keys, skipping any that is gone (evicted, or deleted by
 * someone else, since the batch was read): bpf_map_delete_batch stops at
 * the first missing key and says how many it did.
 */
static int delete_keys(int fd, struct xlb_flow *keys, __u32 n, long *deleted)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);

	while (n) {
		__u32 done = n;

		if (!bpf_map_delete_batch(fd, keys, &done, &opts)) {
			*deleted += done;
			return 0;
		}
		if (errno != ENOENT || done >= n)
			return -errno;
		*deleted += done;
		keys += done + 1; /* the missing one */
		n -= done + 1;
	}
	return 0;
}

static bool no_batch_ops(int e)
{
	return e == EINVAL || e == EOPNOTSUPP || e == ENOTSUPP_KERNEL;
}

/*
 * Batched walk. The batch token is a bucket position: deleting entries the
 * walk has already passed does not move it, so a flush deletes each
 * batch's matches right after reading it and holds no more than a batch.
 * Returns 1 when the kernel has no batch ops for the map (nothing read).
 */
static int walk_batch(int fd, struct walk *w)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct xlb_flow *keys = calloc(XLB_CT_BATCH, sizeof(*keys));
	struct xlb_ct_entry *vals = calloc(XLB_CT_BATCH, sizeof(*vals));
	__u64 in = 0, out = 0; /* a hash map's token: a bucket index (u32) */
	bool first = true;
	void *inp = NULL;
	int rc = 0;

	if (!keys || !vals) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		__u32 n = XLB_CT_BATCH, nmatch = 0;
		int r = bpf_map_lookup_batch(fd, inp, &out, keys, vals, &n,
					     &opts);
		int e = r ? errno : 0;

		if (r && e != ENOENT) {
			rc = first && no_batch_ops(e) ? 1 : -e;
			goto out;
		}
		first = false;
		for (__u32 i = 0; i < n && !rc; i++) {
			if (!match(w->f, &keys[i], &vals[i]))
				continue;
			if (w->flush)
				keys[nmatch++] = keys[i];
			else
				rc = w->fn(&keys[i], &vals[i], w->arg);
		}
		if (!rc && nmatch)
			rc = delete_keys(fd, keys, nmatch, &w->deleted);
		if (rc || e == ENOENT)
			break;
		in = out;
		inp = &in;
	}
out:
	free(keys);
	free(vals);
	return rc;
}

int xlb_ct_step(int fd, struct xlb_ct_cursor *c, unsigned int budget,
		const struct xlb_ct_filter *del, xlb_ct_fn fn, void *arg,
		long *deleted)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct xlb_flow *keys = calloc(XLB_CT_BATCH, sizeof(*keys));
	struct xlb_ct_entry *vals = calloc(XLB_CT_BATCH, sizeof(*vals));
	unsigned int seen = 0;
	long gone = 0;
	int rc = 0;

	if (!keys || !vals) {
		rc = -ENOMEM;
		goto out;
	}
	while (!rc && seen < budget) {
		__u32 n = XLB_CT_BATCH, ndel = 0;
		__u64 next = 0;
		int r = bpf_map_lookup_batch(fd, c->started ? &c->token : NULL,
					     &next, keys, vals, &n, &opts);
		int e = r ? errno : 0;

		if (r && e != ENOENT) {
			rc = no_batch_ops(e) ? -EOPNOTSUPP : -e;
			break;
		}
		for (__u32 i = 0; i < n && !rc; i++) {
			if (fn)
				rc = fn(&keys[i], &vals[i], arg);
			if (del && match(del, &keys[i], &vals[i]))
				keys[ndel++] = keys[i];
		}
		if (rc > 0)
			rc = 0; /* a step does not stop early */
		if (!rc && ndel)
			rc = delete_keys(fd, keys, ndel, &gone);
		seen += n;
		if (e == ENOENT) {
			/* the end of the table: the next call starts over */
			c->started = false;
			c->token = 0;
			if (!rc)
				rc = 1;
			break;
		}
		c->token = next;
		c->started = true;
	}
out:
	if (deleted)
		*deleted += gone;
	free(keys);
	free(vals);
	return rc;
}

/*
 * get_next_key walk. The cursor moves to the next key before the current
 * one is deleted: get_next_key of a deleted key starts over from the first
 * bucket, which would visit entries twice.
 */
static int walk_keys(int fd, struct walk *w)
{
	struct xlb_flow cur, next;
	struct xlb_ct_entry e;
	bool have;
	int rc = 0;

	have = !bpf_map_get_next_key(fd, NULL, &cur);
	if (!have)
		return errno == ENOENT ? 0 : -errno;
	while (have && !rc) {
		bool more = !bpf_map_get_next_key(fd, &cur, &next);

		if (!more && errno != ENOENT)
			return -errno;
		if (!bpf_map_lookup_elem(fd, &cur, &e) && match(w->f, &cur, &e)) {
			if (!w->flush)
				rc = w->fn(&cur, &e, w->arg);
			else if (!bpf_map_delete_elem(fd, &cur))
				w->deleted++;
			else if (errno != ENOENT)
				rc = -errno;
		}
		have = more;
		cur = next;
	}
	return rc;
}

static int walk(int fd, struct walk *w, unsigned int flags)
{
	int rc;

	if (!(flags & XLB_CT_F_NO_BATCH)) {
		rc = walk_batch(fd, w);
		if (rc != 1)
			return rc;
	}
	return walk_keys(fd, w);
}

int xlb_ct_walk(int fd, const struct xlb_ct_filter *f, unsigned int flags,
		xlb_ct_fn fn, void *arg)
{
	struct walk w = { .f = f, .fn = fn, .arg = arg };

	if (!fn)
		return -EINVAL;
	return walk(fd, &w, flags);
}

static int count_one(const struct xlb_flow *k, const struct xlb_ct_entry *e,
		     void *arg)
{
	(void)k;
	(void)e;
	(*(long *)arg)++;
	return 0;
}

long xlb_ct_count(int fd, const struct xlb_ct_filter *f)
{
	long n = 0;
	int rc = xlb_ct_walk(fd, f, 0, count_one, &n);

	return rc < 0 ? rc : n;
}

long xlb_ct_flush(int fd, const struct xlb_ct_filter *f, unsigned int flags)
{
	struct walk w = { .f = f, .flush = true };
	int rc = walk(fd, &w, flags);

	return rc < 0 ? rc : w.deleted;
}

long xlb_ct_expire(int fd, const struct xlb_ct_ages *a, __u64 now_ns)
{
	struct xlb_ct_filter f = XLB_CT_ALL;

	f.ages = a;
	f.now_ns = now_ns;
	f.expired = true;
	return xlb_ct_flush(fd, &f, 0);
}

int xlb_ct_insert(int fd, const struct xlb_flow *k, const struct xlb_ct_entry *e)
{
	struct xlb_flow key = *k;
	struct xlb_ct_entry val = *e;
	struct timespec now;

	memset(key.pad, 0, sizeof(key.pad));
	if (!val.backend_id || val.backend_id >= XLB_MAX_BACKENDS ||
	    val.vip_id >= XLB_MAX_VIPS)
		return -EINVAL;
	if (!val.last_seen_ns) {
		clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
		val.last_seen_ns = (__u64)now.tv_sec * 1000000000ull +
				   (__u64)now.tv_nsec;
	}
	return bpf_map_update_elem(fd, &key, &val, BPF_ANY) ? -errno : 0;
}

int xlb_ct_delete(int fd, const struct xlb_flow *k)
{
	return bpf_map_delete_elem(fd, k) ? -errno : 0;
}

int xlb_ct_lookup(int fd, const struct xlb_flow *k, struct xlb_ct_entry *e)
{
	return bpf_map_lookup_elem(fd, k, e) ? -errno : 0;
}

struct xlb_ct_learn {
	struct ring_buffer *rb;
	xlb_ct_learn_fn fn;
	void *arg;
};

static int learn_one(void *ctx, void *data, size_t len)
{
	struct xlb_ct_learn *l = ctx;

	/* a record of another size is not from this build's datapath */
	if (len == sizeof(struct xlb_ct_event))
		l->fn(data, l->arg);
	return 0;
}

struct xlb_ct_learn *xlb_ct_learn_open(int ring_fd, xlb_ct_learn_fn fn,
				       void *arg)
{
	struct xlb_ct_learn *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->fn = fn;
	l->arg = arg;
	l->rb = ring_buffer__new(ring_fd, learn_one, l, NULL);
	if (!l->rb) {
		int e = errno;

		free(l);
		errno = e;
		return NULL;
	}
	return l;
}

int xlb_ct_learn_fd(const struct xlb_ct_learn *l)
{
	return ring_buffer__epoll_fd(l->rb);
}

int xlb_ct_learn_poll(struct xlb_ct_learn *l)
{
	return ring_buffer__consume(l->rb);
}

void xlb_ct_learn_close(struct xlb_ct_learn *l)
{
	if (!l)
		return;
	ring_buffer__free(l->rb);
	free(l);
}

int xlb_ct_spread_init(struct xlb_ct_spreader *s)
{
	cpu_set_t set;

	memset(s, 0, sizeof(*s));
	if (sched_getaffinity(0, sizeof(set), &set))
		return -errno;
	for (int i = 0; i < CPU_SETSIZE && s->ncpu < 1024; i++)
		if (CPU_ISSET(i, &set))
			s->cpus[s->ncpu++] = i;
	return 0;
}

int xlb_ct_insert_spread(struct xlb_ct_spreader *s, int fd,
			 const struct xlb_flow *k, const struct xlb_ct_entry *e)
{
	if (s->ncpu > 1 && s->n++ % XLB_CT_SPREAD_EVERY == 0) {
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(s->cpus[s->next++ % s->ncpu], &one);
		/* best effort: a failed move only costs the spread */
		if (!sched_setaffinity(0, sizeof(one), &one))
			s->moved = true;
	}
	return xlb_ct_insert(fd, k, e);
}

static void spread_move(struct xlb_ct_spreader *s)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(s->cpus[s->next++ % s->ncpu], &one);
	/* best effort: a failed move only costs the spread */
	if (!sched_setaffinity(0, sizeof(one), &one))
		s->moved = true;
}

int xlb_ct_insert_batch_spread(struct xlb_ct_spreader *s, int fd,
			       const struct xlb_flow *k,
			       const struct xlb_ct_entry *e, __u32 n,
			       __u64 flags, __u32 *done)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o, .elem_flags = flags);

	*done = 0;
	while (*done < n) {
		__u32 chunk = n - *done, cnt;

		if (s->ncpu > 1) {
			unsigned long left =
				XLB_CT_SPREAD_EVERY - s->n % XLB_CT_SPREAD_EVERY;

			if (s->n % XLB_CT_SPREAD_EVERY == 0)
				spread_move(s);
			if (chunk > left)
				chunk = (__u32)left;
		}
		cnt = chunk;
		if (bpf_map_update_batch(fd, k + *done, e + *done, &cnt, &o)) {
			int err = -errno;

			/* the kernel stops at the entry it refuses, and says
			 * how many it wrote before it; a count left as given
			 * is a batch refused whole. The refused entry counts
			 * for the spread, or a caller retrying entry by entry
			 * would migrate at each one. */
			if (cnt >= chunk)
				cnt = 0;
			s->n += cnt + 1;
			*done += cnt;
			return err;
		}
		s->n += chunk;
		*done += chunk;
	}
	return 0;
}

void xlb_ct_spread_end(struct xlb_ct_spreader *s)
{
	cpu_set_t set;

	if (!s->moved)
		return;
	CPU_ZERO(&set);
	for (int i = 0; i < s->ncpu; i++)
		CPU_SET(s->cpus[i], &set);
	sched_setaffinity(0, sizeof(set), &set);
	s->moved = false;
}
