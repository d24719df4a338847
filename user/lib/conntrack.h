/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the user-space side of the conntrack table (the per-CPU
 * LRU hash xlb_conntrack): walk it with a filter on VIP and backend, count,
 * flush, insert an entry as the datapath would (for the sync receiver) and
 * delete one. Walks read the table in batches with bpf_map_lookup_batch and
 * fall back to get_next_key where the kernel has no batch ops for the map;
 * either way memory is one batch, however large the table. Entries the
 * datapath adds or the LRU evicts during a walk may or may not be seen;
 * none is seen twice. Functions return a count, 0 or a negative errno.
 */
#ifndef XLB_USER_CONNTRACK_H
#define XLB_USER_CONNTRACK_H

#include <stdbool.h>
#include <linux/types.h>
#include <xlb/abi.h>

/*
 * The idle timeouts the datapath applies (xlb_config), in seconds; 0:
 * never. An entry idle past its timeout is dead: the datapath re-picks the
 * flow's backend on its next packet, and xlbd deletes it in batches.
 */
struct xlb_ct_ages {
	__u32 tcp; /* TCP, no FIN or RST seen */
	__u32 tcp_fin; /* TCP after the client's FIN or RST */
	__u32 udp;
};

/* What an entry is worth, like ipvsadm's ActiveConn / InActConn. */
enum xlb_ct_state {
	XLB_CT_ACTIVE, /* in use */
	XLB_CT_CLOSING, /* TCP: the client sent FIN or RST */
	XLB_CT_EXPIRED, /* idle past its timeout */
};

/* Which entries a walk, count or flush takes. */
struct xlb_ct_filter {
	int vip_id; /* XLB_CT_ANY_VIP: every VIP */
	__u32 backend_id; /* 0: every backend */
	/*
	 * With @ages, entries are judged at @now_ns (xlb_ct_now()): expired
	 * ones are left out, or, with @expired, are all that is taken.
	 */
	const struct xlb_ct_ages *ages;
	__u64 now_ns;
	bool expired;
	/*
	 * Non-NULL: only entries whose backend id has its bit set in this
	 * bitmap of XLB_MAX_BACKENDS bits (one walk for many backends).
	 */
	const __u8 *backend_set;
	/*
	 * Non-NULL: only entries whose (VIP id, backend id) pair has its bit
	 * set in this bitmap of XLB_CT_PAIR_BITS bits (xlb_ct_pair_add): one
	 * walk for backends going down in many VIPs.
	 */
	const __u8 *pair_set;
};

static inline void xlb_ct_set_add(__u8 *set, __u32 id)
{
	set[id / 8] |= (__u8)(1u << (id % 8));
}

#define XLB_CT_PAIR_BITS ((size_t)XLB_MAX_VIPS * XLB_MAX_BACKENDS)

static inline void xlb_ct_pair_add(__u8 *set, __u32 vip_id, __u32 backend_id)
{
	size_t bit = (size_t)vip_id * XLB_MAX_BACKENDS + backend_id;

	set[bit / 8] |= (__u8)(1u << (bit % 8));
}

#define XLB_CT_ANY_VIP (-1)
#define XLB_CT_ALL ((struct xlb_ct_filter){ .vip_id = XLB_CT_ANY_VIP })

/* Entries per batch: one syscall per this many, and the memory a walk holds. */
#define XLB_CT_BATCH 1024

/* For xlb_ct_walk(): use get_next_key even where batch ops work (tests). */
#define XLB_CT_F_NO_BATCH (1u << 0)

/*
 * Called for each entry matching the filter; a non-zero return stops the
 * walk and is what xlb_ct_walk() returns (use a positive value).
 */
typedef int (*xlb_ct_fn)(const struct xlb_flow *k, const struct xlb_ct_entry *e,
			 void *arg);

/*
 * Calls @fn for every entry of @fd that matches @f (NULL: every entry).
 * Returns 0 when the walk is done, @fn's non-zero return when it stopped
 * it, or a negative errno.
 */
int xlb_ct_walk(int fd, const struct xlb_ct_filter *f, unsigned int flags,
		xlb_ct_fn fn, void *arg);

/* How many entries match @f. */
long xlb_ct_count(int fd, const struct xlb_ct_filter *f);

/*
 * Deletes every entry matching @f while walking (each batch's matches after
 * the batch is read, so nothing is skipped) and returns how many went.
 */
long xlb_ct_flush(int fd, const struct xlb_ct_filter *f, unsigned int flags);

/*
 * Writes @e for @k as the datapath does on a new flow (BPF_ANY: a newer
 * entry replaces an older one). Padding in @k is cleared, since the
 * datapath looks keys up with it zero. A zero last_seen_ns means now
 * (CLOCK_MONOTONIC, as bpf_ktime_get_coarse_ns counts).
 */
int xlb_ct_insert(int fd, const struct xlb_flow *k, const struct xlb_ct_entry *e);

/*
 * A walk that spans calls (xlb_ct_step), so a daemon can cover a table of
 * millions of entries a slice at a time without ever blocking its loop
 * for the whole table. Zero it to start a pass.
 */
struct xlb_ct_cursor {
	__u64 token; /* a hash map's batch position: a bucket index */
	bool started;
};

/*
 * One slice of a pass over @fd: at most about @budget entries from where
 * the last call stopped. @fn (may be NULL) sees each entry, as in
 * xlb_ct_walk(); entries matching @del (may be NULL) are deleted, counted
 * in *@deleted. Returns 1 when this slice ended the pass (the cursor starts
 * over), 0 when entries remain, or a negative errno (-EOPNOTSUPP where the
 * kernel has no batch ops for the map: use xlb_ct_walk()). Entries added
 * or evicted during a pass may or may not be seen; none is seen twice.
 */
int xlb_ct_step(int fd, struct xlb_ct_cursor *c, unsigned int budget,
		const struct xlb_ct_filter *del, xlb_ct_fn fn, void *arg,
		long *deleted);

/*
 * Whether entry @e of flow @k is one @f takes (NULL: every entry): for
 * xlb_ct_step()'s @fn, which sees every entry of its slice.
 */
bool xlb_ct_match(const struct xlb_ct_filter *f, const struct xlb_flow *k,
		  const struct xlb_ct_entry *e);

/* CLOCK_MONOTONIC in ns: the clock the datapath stamps entries with. */
__u64 xlb_ct_now(void);

/* The state of entry @e of flow @k at @now_ns under @a. */
enum xlb_ct_state xlb_ct_state_of(const struct xlb_flow *k,
				  const struct xlb_ct_entry *e,
				  const struct xlb_ct_ages *a, __u64 now_ns);

/*
 * Deletes every entry idle past its timeout under @a (the reaper: counts
 * stay true between a flow's end and the LRU's eviction). Returns how many.
 */
long xlb_ct_expire(int fd, const struct xlb_ct_ages *a, __u64 now_ns);

/* Deletes the entry of @k; -ENOENT when there is none. */
int xlb_ct_delete(int fd, const struct xlb_flow *k);

/* Reads the entry of @k; -ENOENT when there is none. */
int xlb_ct_lookup(int fd, const struct xlb_flow *k, struct xlb_ct_entry *e);

/*
 * Writes entries from user space spread over the CPUs. xlb_conntrack's LRU
 * is common to the CPUs today, but a table adopted from an older release
 * has per-CPU lists: an entry written by a syscall goes to the list of the
 * CPU the writer runs on, and each list holds about entries / CPUs; written
 * from one CPU, a table holds only that share. The writer moves the calling
 * thread to the next CPU it may run on every XLB_CT_SPREAD_EVERY inserts
 * (one migration per that many, not per entry), so entries land on every
 * list in turn. xlb_ct_spread_end() gives the thread its CPUs back.
 */
#define XLB_CT_SPREAD_EVERY 1024

struct xlb_ct_spreader {
	int cpus[1024];
	int ncpu, next;
	unsigned long n;
	bool moved;
};

/* Takes the CPUs the thread may run on now; 0 or a negative errno. */
int xlb_ct_spread_init(struct xlb_ct_spreader *s);
/* xlb_ct_insert(), but spread as above. */
int xlb_ct_insert_spread(struct xlb_ct_spreader *s, int fd,
			 const struct xlb_flow *k, const struct xlb_ct_entry *e);
/*
 * Writes @n entries (keys with their pad zeroed, entries valid) with batch
 * updates, a migration every XLB_CT_SPREAD_EVERY as above: one syscall a
 * chunk instead of one an entry. @flags: what the kernel takes for a
 * batch's elem_flags (0; BPF_F_LOCK: not for this map; it refuses
 * BPF_NOEXIST and BPF_EXIST). Stops at the first entry the kernel refuses:
 * *@done says how many before it were written; returns 0 when all were,
 * else the refusal's negative errno.
 */
int xlb_ct_insert_batch_spread(struct xlb_ct_spreader *s, int fd,
			       const struct xlb_flow *k,
			       const struct xlb_ct_entry *e, __u32 n,
			       __u64 flags, __u32 *done);
void xlb_ct_spread_end(struct xlb_ct_spreader *s);

/*
 * The datapath's learning ring (xlb_ct_events, bpf/learn.h): each entry it
 * writes, as written. Open it on the map's fd, watch xlb_ct_learn_fd() for
 * readability (an epoll fd), and call xlb_ct_learn_poll() to hand every
 * waiting record to @fn without blocking.
 */
struct xlb_ct_learn;
typedef void (*xlb_ct_learn_fn)(const struct xlb_ct_event *ev, void *arg);

struct xlb_ct_learn *xlb_ct_learn_open(int ring_fd, xlb_ct_learn_fn fn,
				       void *arg);
int xlb_ct_learn_fd(const struct xlb_ct_learn *l);
/* Records handed to @fn, or a negative errno. */
int xlb_ct_learn_poll(struct xlb_ct_learn *l);
void xlb_ct_learn_close(struct xlb_ct_learn *l);

#endif /* XLB_USER_CONNTRACK_H */
