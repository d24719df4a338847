// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the daemon side of the state sync (xlbd/sync.h): peers,
 * the learning ring and the table walk, the reliable send path (numbered
 * messages, ACK/NACK, a bounded resend queue, paced bulk transfers) and
 * the receive path that writes entries into the local conntrack map.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sodium.h>

#include "lib/addr.h"
#include "lib/conntrack.h"
#include "lib/log.h"
#include "lib/stats.h"
#include "lib/sync_proto.h"
#include "xlbd/daemon.h"
#include "xlbd/loop.h"
#include "xlbd/sync.h"

/* Data messages a peer may leave unacknowledged; past it the oldest goes. */
#define TXQ_MAX 4096
/* Bulk messages in flight before the pacer waits for ACKs. */
#define BULK_WINDOW 64
/* Bulk messages the pacer sends per tick (PACE_MS). */
#define BULK_PER_TICK 16
#define PACE_MS 2
/* Out-of-order data messages a receiver remembers above the next one. */
#define RXWIN 1024
#define NACK_GAP_NS (20 * 1000000ull)
#define RESYNC_RETRY_NS (2000 * 1000000ull)
#define LAGN 1024
#define FP_EVERY 5 /* heartbeats between fingerprint reads */
#define SOCKBUF (8 << 20)
#define NSEC 1000000000ull

enum pstate { P_CONNECTING, P_RESYNCING, P_SYNCED };
static const char *const pstate_name[] = { "connecting", "resyncing",
					   "synced" };

struct txmsg {
	__u8 type;
	__u16 flags;
	__u32 n;
	struct xlb_flow *keys;
	__u64 t_ns; /* DATA from the ring: the oldest entry's start */
};

struct peer {
	struct xlb_cfg_endpoint ep;
	struct sockaddr_storage sa;
	socklen_t salen;
	char name[64];
	enum pstate state;
	bool heard, alive;
	__u64 last_heard_ns, resync_req_ns;
	struct xlb_sync_replay replay;
	__u64 tx_seq, epoch;
	/* send side: data messages [tx_head, tx_next) await an ACK */
	__u32 tx_next, tx_head;
	struct txmsg *txq;
	/* receive side: every data message below rx_next arrived (0: none
	 * yet from this boot of the peer: the first one seen sets it) */
	__u32 rx_next, rx_max, bulk_end;
	__u64 last_bulk_ns; /* when the last BULK arrived */
	__u64 rx_bits[RXWIN / 64];
	bool ack_due, nack_due;
	__u64 last_nack_ns;
	/* a bulk transfer to send (a resync answer or a walk), paced */
	struct xlb_ct_event *ob;
	size_t ob_n, ob_pos;
	bool ob_end, ob_resync;
	/* the peer's view, from its heartbeats */
	__u64 fingerprint;
	bool peer_synced;
	__u32 peer_ct;
	/* counters */
	__u64 sent_msgs, sent_entries, recv_msgs, recv_entries, applied,
		skip_no_vip, skip_no_backend, skip_older, skip_expired, resends,
		nacks_sent, nacks_recv, overflow, send_errors, resyncs_asked,
		resyncs_answered, dups;
	__u32 lag_us[LAGN];
	size_t lag_n, lag_pos;
	__u64 lag_max_us;
};

struct xlbd_sync {
	struct xlbd *d;
	struct xlb_cfg_sync cfg;
	struct xlb_sync_keyring keys;
	const struct xlb_sync_key *tx_key;
	int fd;
	__u64 epoch, started_ns, last_walk_ns, last_refresh_ns, lost_seen;
	struct peer peers[XLB_SYNC_PEERS_MAX];
	size_t npeers;
	struct xlb_ct_learn *learn;
	struct xlbd_src *src_sock, *src_ring, *t_hello, *t_walk, *t_pace;
	/* ring records not yet sent */
	struct xlb_ct_event pend[XLB_SYNC_DATA_MAX];
	size_t npend;
	__u64 fingerprint;
	unsigned int hellos;
	__u32 ct_entries;
	/* received entries go to every CPU's LRU list */
	struct xlb_ct_spreader spread;
	/* counters */
	__u64 learned, walks, walked, rejects[XLB_SYNC_REJ_MAX];
	__u64 last_reject_log_ns[XLB_SYNC_REJ_MAX];
	__u8 buf[XLB_SYNC_MSG_MAX];
	struct xlb_sync_entry ents[XLB_SYNC_BULK_MAX];
};

static __u64 now_ns(void)
{
	struct timespec ts;

	/* the datapath's clock (bpf_ktime_get_coarse_ns) */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * NSEC + (__u64)ts.tv_nsec;
}

/* ---- sending --------------------------------------------------------- */

static void send_msg(struct xlbd_sync *s, struct peer *p,
		     struct xlb_sync_msg *m)
{
	int n;

	m->epoch = s->epoch;
	m->seq = ++p->tx_seq;
	n = xlb_sync_encode(m, s->tx_key, s->buf, sizeof(s->buf));
	if (n < 0) {
		pr_err("sync: encode for %s: %s\n", p->name, strerror(-n));
		return;
	}
	if (sendto(s->fd, s->buf, (size_t)n, MSG_DONTWAIT,
		   (struct sockaddr *)&p->sa, p->salen) < 0) {
		/* a lost datagram is what NACKs are for */
		p->send_errors++;
		return;
	}
	p->sent_msgs++;
	if (m->type == XLB_SYNC_DATA || m->type == XLB_SYNC_BULK)
		p->sent_entries += m->count;
}

static void to_wire(const struct xlb_flow *k, const struct xlb_ct_entry *e,
		    __u64 now, struct xlb_sync_entry *w)
{
	memset(w, 0, sizeof(*w));
	w->flow = *k;
	memset(w->flow.pad, 0, sizeof(w->flow.pad));
	w->backend_id = e->backend_id;
	w->flags = e->flags & XLB_CT_F_CLOSING;
	/* the age, not the timestamp: the clocks of two nodes differ */
	w->age_ms = now > e->last_seen_ns ?
			    (__u32)((now - e->last_seen_ns) / 1000000u) :
			    0;
}

static void txq_free_head(struct peer *p)
{
	struct txmsg *t = &p->txq[p->tx_head % TXQ_MAX];

	free(t->keys);
	t->keys = NULL;
	p->tx_head++;
}

static void txq_clear(struct peer *p)
{
	while (p->tx_head != p->tx_next)
		txq_free_head(p);
}

/*
 * Sends a numbered data message of @n entries to @p and keeps their keys
 * for a resend (which reads each entry again: the peer gets the entry as
 * it is then, not this copy).
 */
static void send_data(struct xlbd_sync *s, struct peer *p, __u8 type,
		      __u16 flags, const struct xlb_ct_event *ev, size_t n,
		      __u64 t_ns)
{
	struct xlb_sync_msg m = { .type = type,
				  .flags = flags,
				  .count = (__u32)n,
				  .entries = s->ents };
	__u64 now = now_ns();
	struct txmsg *t;

	if (p->tx_next - p->tx_head == TXQ_MAX) {
		/* the peer is too far behind: forget the oldest; a NACK
		 * for it gets the walk's answer (see on_nack) */
		txq_free_head(p);
		p->overflow++;
	}
	t = &p->txq[p->tx_next % TXQ_MAX];
	t->keys = n ? malloc(n * sizeof(*t->keys)) : NULL;
	if (n && !t->keys) {
		p->overflow++;
		return;
	}
	t->type = type;
	t->flags = flags;
	t->n = (__u32)n;
	t->t_ns = t_ns;
	for (size_t i = 0; i < n; i++) {
		t->keys[i] = ev[i].flow;
		to_wire(&ev[i].flow, &ev[i].entry, now, &s->ents[i]);
	}
	m.dseq = p->tx_next++;
	send_msg(s, p, &m);
}

/* Sends the ring records gathered so far to every live peer. */
static void flush_pending(struct xlbd_sync *s)
{
	__u64 oldest = ~0ull;

	if (!s->npend)
		return;
	for (size_t i = 0; i < s->npend; i++)
		if (s->pend[i].entry.last_seen_ns < oldest)
			oldest = s->pend[i].entry.last_seen_ns;
	for (size_t i = 0; i < s->npeers; i++)
		if (s->peers[i].alive)
			send_data(s, &s->peers[i], XLB_SYNC_DATA, 0, s->pend,
				  s->npend, oldest);
	s->npend = 0;
}

static void on_learn(const struct xlb_ct_event *ev, void *arg)
{
	struct xlbd_sync *s = arg;

	s->learned++;
	s->pend[s->npend++] = *ev;
	if (s->npend == XLB_SYNC_DATA_MAX)
		flush_pending(s);
}

static void on_ring(int fd, unsigned int events, void *arg)
{
	struct xlbd_sync *s = arg;
	int n;

	(void)fd;
	(void)events;
	n = xlb_ct_learn_poll(s->learn);
	if (n < 0)
		pr_err("sync: reading the learning ring: %s\n", strerror(-n));
	flush_pending(s);
}

/* ---- bulk transfers (resync answers and walks), paced ----------------- */

struct snap {
	struct xlb_ct_event *ev;
	size_t n, cap;
	__u64 since; /* only entries seen since (0: all) */
	__u64 total; /* every entry the walk met */
};

static int snap_one(const struct xlb_flow *k, const struct xlb_ct_entry *e,
		    void *arg)
{
	struct snap *sn = arg;

	sn->total++;
	/* a walk refreshes what this node forwards; a peer's entries went
	 * to every peer from their source (a resync, since 0, takes all) */
	if (sn->since &&
	    (e->last_seen_ns < sn->since || e->flags & XLB_CT_F_SYNCED))
		return 0;
	if (sn->n == sn->cap) {
		size_t cap = sn->cap ? sn->cap * 2 : 4096;
		void *p = realloc(sn->ev, cap * sizeof(*sn->ev));

		if (!p)
			return -ENOMEM;
		sn->ev = p;
		sn->cap = cap;
	}
	sn->ev[sn->n].flow = *k;
	sn->ev[sn->n].entry = *e;
	sn->n++;
	return 0;
}

static void outbox_drop(struct peer *p)
{
	free(p->ob);
	p->ob = NULL;
	p->ob_n = p->ob_pos = 0;
	p->ob_end = p->ob_resync = false;
}

/* Sends up to BULK_PER_TICK bulk messages to each peer, within its window. */
static void on_pace(void *arg)
{
	struct xlbd_sync *s = arg;

	for (size_t i = 0; i < s->npeers; i++) {
		struct peer *p = &s->peers[i];

		for (int k = 0; k < BULK_PER_TICK; k++) {
			size_t n;
			bool last;

			if (!p->ob_resync && !p->ob)
				break;
			if (p->tx_next - p->tx_head >= BULK_WINDOW)
				break;
			n = p->ob_n - p->ob_pos;
			if (n > XLB_SYNC_BULK_MAX)
				n = XLB_SYNC_BULK_MAX;
			last = p->ob_pos + n == p->ob_n;
			send_data(s, p, XLB_SYNC_BULK,
				  last && p->ob_end ? XLB_SYNC_F_END : 0,
				  p->ob ? p->ob + p->ob_pos : NULL, n, 0);
			p->ob_pos += n;
			if (last) {
				if (p->ob_end)
					pr_info("sync: sent %zu entries to %s "
						"(bulk resync)\n",
						p->ob_n, p->name);
				outbox_drop(p);
				break;
			}
		}
	}
}

/* Queues a bulk transfer of the table (entries seen since @since) to @p. */
static int outbox_fill(struct xlbd_sync *s, struct peer *p, __u64 since,
		       bool end)
{
	struct snap sn = { .since = since };
	int rc;

	rc = xlb_ct_walk(s->d->maps.conntrack, NULL, 0, snap_one, &sn);
	if (rc < 0) {
		free(sn.ev);
		pr_err("sync: walking conntrack for %s: %s\n", p->name,
		       strerror(-rc));
		return rc;
	}
	outbox_drop(p);
	p->ob = sn.ev;
	p->ob_n = sn.n;
	p->ob_end = end;
	p->ob_resync = true; /* even an empty table is sent (its END) */
	return 0;
}

/*
 * How often live flows' ages are refreshed on the peers: a quarter of the
 * shortest idle timeout, so a flow this node still forwards never idles
 * out on a standby (its copy there ages from its last refresh).
 */
static __u64 refresh_ns(const struct xlbd_sync *s)
{
	const struct xlb_cfg *c = &s->d->running;
	__u32 t[] = { c->ct_timeout_tcp, c->ct_timeout_tcp_fin,
		      c->ct_timeout_udp };
	__u64 min = 0;

	for (size_t i = 0; i < 3; i++)
		if (t[i] && (!min || t[i] < min))
			min = t[i];
	min = min ? min * NSEC / 4 : 60 * NSEC;
	return min < s->cfg.interval * NSEC ? s->cfg.interval * NSEC : min;
}

static __u64 ring_lost(struct xlbd_sync *s)
{
	struct xlb_counter c[XLB_STAT_MAX];

	if (xlb_stats_read_all(&s->d->maps, c) <= XLB_EV_CT_LEARN_LOST)
		return 0;
	return c[XLB_EV_CT_LEARN_LOST].packets;
}

/*
 * The periodic walk (every sync.interval). The ring tells peers about new
 * entries; the walk sends, to every live peer with no transfer pending:
 * after the ring lost records (a full ring counts ct_learn_lost), every
 * entry seen since the previous walk; and every refresh_ns(), every entry
 * seen since the previous refresh: this node's live flows, so their ages
 * on the peers stay fresh. Entries a peer sent us are left out: their
 * source sends them. Each walk also counts the table (for heartbeats).
 */
static void on_walk(void *arg)
{
	struct xlbd_sync *s = arg;
	__u64 now = now_ns(), lost = ring_lost(s);
	bool refresh = now - s->last_refresh_ns >= refresh_ns(s);
	bool catch_up = lost != s->lost_seen;
	__u64 since = refresh ? s->last_refresh_ns : s->last_walk_ns;
	struct snap sn = { .since = since > NSEC ? since - NSEC : 1 };
	int rc;

	/* send nothing: the walk only counts */
	if (!refresh && !catch_up)
		sn.since = ~0ull;
	s->last_walk_ns = now;
	if (refresh)
		s->last_refresh_ns = now;
	s->lost_seen = lost;
	rc = xlb_ct_walk(s->d->maps.conntrack, NULL, 0, snap_one, &sn);
	if (rc < 0) {
		pr_err("sync: walking conntrack: %s\n", strerror(-rc));
		free(sn.ev);
		return;
	}
	s->ct_entries = (__u32)sn.total;
	s->walks++;
	s->walked += sn.n;
	for (size_t i = 0; i < s->npeers && sn.n; i++) {
		struct peer *p = &s->peers[i];

		if (!p->alive || p->ob_resync)
			continue;
		p->ob = malloc(sn.n * sizeof(*sn.ev));
		if (!p->ob)
			continue;
		memcpy(p->ob, sn.ev, sn.n * sizeof(*sn.ev));
		p->ob_n = sn.n;
		p->ob_pos = 0;
		p->ob_end = false;
		p->ob_resync = true;
	}
	free(sn.ev);
}

/* ---- receiving --------------------------------------------------------- */

static void reject(struct xlbd_sync *s, int reason, const char *from)
{
	__u64 now = now_ns();

	s->rejects[reason]++;
	/* loud, but at most once per reason per 10 s */
	if (now - s->last_reject_log_ns[reason] > 10 * NSEC ||
	    !s->last_reject_log_ns[reason]) {
		s->last_reject_log_ns[reason] = now;
		pr_info("sync: dropped a message from %s: %s (%llu so far)\n",
			from, xlb_sync_reject_name(reason),
			(unsigned long long)s->rejects[reason]);
	}
}

static int vip_of_flow(struct xlbd_sync *s, const struct xlb_flow *f,
		       __u32 *vip_id)
{
	struct xlb_vip_key k = { .addr = f->dst,
				 .port = f->dport,
				 .proto = f->proto,
				 .family = f->family };
	struct xlb_vip_info v;

	if (!xlb_vip_read(&s->d->maps, &k, &v)) {
		*vip_id = v.vip_id;
		return 0;
	}
	k.port = 0;
	if (!xlb_vip_read(&s->d->maps, &k, &v)) {
		*vip_id = v.vip_id;
		return 0;
	}
	return -ENOENT;
}

static __u64 timeout_ns(const struct xlb_cfg *c, const struct xlb_sync_entry *e)
{
	__u32 t = e->flow.proto != IPPROTO_TCP ? c->ct_timeout_udp :
		  e->flags & XLB_CT_F_CLOSING  ? c->ct_timeout_tcp_fin :
						 c->ct_timeout_tcp;

	return (__u64)t * NSEC;
}

static void apply_entries(struct xlbd_sync *s, struct peer *p,
			  const struct xlb_sync_msg *m)
{
	const struct xlb_cfg *c = &s->d->running;
	__u64 now = now_ns();

	for (__u32 i = 0; i < m->count; i++) {
		const struct xlb_sync_entry *w = &m->entries[i];
		struct xlb_ct_entry e = {}, cur;
		struct xlb_backend be;
		__u64 age = (__u64)w->age_ms * 1000000u, to = timeout_ns(c, w);
		__u32 vip;

		if (to && age > to) {
			p->skip_expired++;
			continue;
		}
		if (vip_of_flow(s, &w->flow, &vip)) {
			p->skip_no_vip++;
			continue;
		}
		if (xlb_backend_read(&s->d->maps, w->backend_id, &be) ||
		    !(be.flags & XLB_BE_F_ACTIVE)) {
			p->skip_no_backend++;
			continue;
		}
		e.backend_id = w->backend_id;
		e.vip_id = (__u16)vip;
		e.flags = w->flags | XLB_CT_F_SYNCED;
		e.last_seen_ns = now > age ? now - age : 1;
		/* the freshest copy wins: ours when we saw the flow later */
		if (!xlb_ct_lookup(s->d->maps.conntrack, &w->flow, &cur) &&
		    cur.last_seen_ns >= e.last_seen_ns) {
			p->skip_older++;
			continue;
		}
		/* spread over the CPUs' LRU lists (lib/conntrack.h), so a
		 * standby holds as many entries as the active node */
		if (!xlb_ct_insert_spread(&s->spread, s->d->maps.conntrack,
					  &w->flow, &e))
			p->applied++;
	}
}

static bool rx_bit(struct peer *p, __u32 d)
{
	return p->rx_bits[(d % RXWIN) / 64] & (1ull << (d % 64));
}

static void rx_set(struct peer *p, __u32 d, bool on)
{
	if (on)
		p->rx_bits[(d % RXWIN) / 64] |= 1ull << (d % 64);
	else
		p->rx_bits[(d % RXWIN) / 64] &= ~(1ull << (d % 64));
}

static void ask_resync(struct xlbd_sync *s, struct peer *p)
{
	struct xlb_sync_msg m = { .type = XLB_SYNC_RESYNC };

	p->state = P_RESYNCING;
	p->bulk_end = 0;
	p->resync_req_ns = now_ns();
	p->resyncs_asked++;
	send_msg(s, p, &m);
}

static void on_data(struct xlbd_sync *s, struct peer *p,
		    const struct xlb_sync_msg *m)
{
	__u32 d = m->dseq;

	p->recv_entries += m->count;
	p->ack_due = true;
	if (!p->rx_next)
		p->rx_next = d; /* the first from this boot of the peer */
	if (d < p->rx_next || rx_bit(p, d)) {
		p->dups++;
		return;
	}
	if (d - p->rx_next >= RXWIN) {
		/* too far ahead to track: start over from here, and get
		 * the whole table again */
		pr_info("sync: %s: %u data messages missing; asking for a "
			"resync\n",
			p->name, d - p->rx_next);
		memset(p->rx_bits, 0, sizeof(p->rx_bits));
		p->rx_next = d;
		ask_resync(s, p);
	}
	rx_set(p, d, true);
	if (d + 1 > p->rx_max)
		p->rx_max = d + 1;
	apply_entries(s, p, m);
	if (m->type == XLB_SYNC_BULK)
		p->last_bulk_ns = now_ns();
	if (m->type == XLB_SYNC_BULK && m->flags & XLB_SYNC_F_END)
		p->bulk_end = d;
	while (rx_bit(p, p->rx_next)) {
		rx_set(p, p->rx_next, false);
		p->rx_next++;
	}
	if (p->rx_next < p->rx_max)
		p->nack_due = true;
	if (p->state == P_RESYNCING && p->bulk_end &&
	    p->rx_next > p->bulk_end) {
		p->state = P_SYNCED;
		pr_info("sync: synced with %s\n", p->name);
	}
}

static void lag_add(struct peer *p, __u64 lag_ns)
{
	__u64 us = lag_ns / 1000;

	p->lag_us[p->lag_pos++ % LAGN] = us > 0xffffffffu ? 0xffffffffu :
							    (__u32)us;
	if (p->lag_n < LAGN)
		p->lag_n++;
	if (us > p->lag_max_us)
		p->lag_max_us = us;
}

static void on_ack(struct peer *p, __u32 upto)
{
	__u64 now = now_ns();

	if (upto >= p->tx_next)
		return; /* nothing we sent */
	while (p->tx_head != p->tx_next && p->tx_head <= upto) {
		struct txmsg *t = &p->txq[p->tx_head % TXQ_MAX];

		if (t->t_ns && now > t->t_ns)
			lag_add(p, now - t->t_ns);
		txq_free_head(p);
	}
}

/* Resends data messages @from..@to with their entries as they are now. */
static void on_nack(struct xlbd_sync *s, struct peer *p, __u32 from, __u32 to)
{
	__u64 now = now_ns();
	bool lost = false;

	p->nacks_recv++;
	if (to >= p->tx_next)
		to = p->tx_next - 1;
	if (to - from > 512)
		to = from + 512;
	for (__u32 d = from; d <= to && d >= from; d++) {
		struct xlb_sync_msg m = { .dseq = d, .entries = s->ents };
		struct txmsg *t;

		if (d < p->tx_head) {
			/* acked, or forgotten (the queue overflowed): an
			 * empty message closes the gap; the walk below
			 * sends the table */
			m.type = XLB_SYNC_DATA;
			send_msg(s, p, &m);
			lost = true;
			continue;
		}
		t = &p->txq[d % TXQ_MAX];
		m.type = t->type;
		m.flags = t->flags;
		for (__u32 i = 0; i < t->n; i++) {
			struct xlb_ct_entry e;

			/* gone since: nothing to send for it */
			if (xlb_ct_lookup(s->d->maps.conntrack, &t->keys[i],
					  &e))
				continue;
			to_wire(&t->keys[i], &e, now, &s->ents[m.count++]);
		}
		p->resends++;
		send_msg(s, p, &m);
	}
	if (lost && !p->ob_resync)
		outbox_fill(s, p, 0, false);
}

static void peer_restarted(struct peer *p)
{
	txq_clear(p);
	outbox_drop(p);
	memset(p->rx_bits, 0, sizeof(p->rx_bits));
	p->rx_next = p->rx_max = p->bulk_end = 0;
	p->state = P_CONNECTING;
}

static void on_hello(struct xlbd_sync *s, struct peer *p,
		     const struct xlb_sync_msg *m)
{
	bool was = p->fingerprint == s->fingerprint;

	p->peer_synced = m->flags & XLB_SYNC_F_SYNCED;
	p->peer_ct = m->ct_entries;
	if (p->fingerprint != m->fingerprint || !p->heard) {
		p->fingerprint = m->fingerprint;
		if (m->fingerprint != s->fingerprint)
			pr_info("sync: %s decides backends differently "
				"(fingerprint %016llx, ours %016llx): a flow "
				"it has not synced may change backend on "
				"failover\n",
				p->name, (unsigned long long)m->fingerprint,
				(unsigned long long)s->fingerprint);
		else if (!was)
			pr_info("sync: %s decides backends as we do "
				"(fingerprint %016llx)\n",
				p->name, (unsigned long long)m->fingerprint);
	}
	if (!p->rx_next) {
		p->rx_next = m->next_dseq;
		return;
	}
	if (m->next_dseq > p->rx_max)
		p->rx_max = m->next_dseq; /* the tail was lost */
	/* every heartbeat asks again for what is missing: a lost NACK or
	 * a lost resend is asked for again within a second */
	if (p->rx_next < p->rx_max)
		p->nack_due = true;
}

static struct peer *peer_of(struct xlbd_sync *s,
			    const struct sockaddr_storage *sa)
{
	for (size_t i = 0; i < s->npeers; i++) {
		struct peer *p = &s->peers[i];

		if (sa->ss_family == AF_INET && p->sa.ss_family == AF_INET) {
			const struct sockaddr_in *a = (const void *)sa,
						 *b = (const void *)&p->sa;

			if (a->sin_addr.s_addr == b->sin_addr.s_addr &&
			    a->sin_port == b->sin_port)
				return p;
		} else if (sa->ss_family == AF_INET6 &&
			   p->sa.ss_family == AF_INET6) {
			const struct sockaddr_in6 *a = (const void *)sa,
						  *b = (const void *)&p->sa;

			if (!memcmp(&a->sin6_addr, &b->sin6_addr, 16) &&
			    a->sin6_port == b->sin6_port)
				return p;
		}
	}
	return NULL;
}

static void handle(struct xlbd_sync *s, struct peer *p,
		   const struct xlb_sync_msg *m)
{
	bool restarted;

	if (xlb_sync_replay_check(&p->replay, m->epoch, m->seq, &restarted)) {
		reject(s, XLB_SYNC_REJ_REPLAY, p->name);
		return;
	}
	if (restarted && p->heard) {
		pr_info("sync: %s restarted\n", p->name);
		peer_restarted(p);
	}
	p->epoch = m->epoch;
	p->recv_msgs++;
	p->last_heard_ns = now_ns();
	if (!p->alive)
		pr_info("sync: %s is up\n", p->name);
	p->heard = p->alive = true;
	if (p->state == P_CONNECTING && m->type != XLB_SYNC_RESYNC)
		ask_resync(s, p);
	switch (m->type) {
	case XLB_SYNC_HELLO:
		on_hello(s, p, m);
		break;
	case XLB_SYNC_DATA:
	case XLB_SYNC_BULK:
		on_data(s, p, m);
		break;
	case XLB_SYNC_ACK:
		on_ack(p, m->dseq);
		break;
	case XLB_SYNC_NACK:
		on_nack(s, p, m->dseq, m->dseq_to);
		break;
	case XLB_SYNC_RESYNC:
		p->resyncs_answered++;
		pr_info("sync: %s asks for the whole table\n", p->name);
		outbox_fill(s, p, 0, true);
		if (p->state == P_CONNECTING)
			ask_resync(s, p);
		break;
	}
}

/* ACKs and NACKs once per burst of datagrams, not once per datagram. */
static void send_acks(struct xlbd_sync *s)
{
	__u64 now = now_ns();

	for (size_t i = 0; i < s->npeers; i++) {
		struct peer *p = &s->peers[i];
		struct xlb_sync_msg m = {};

		if (p->ack_due && p->rx_next) {
			m.type = XLB_SYNC_ACK;
			m.dseq = p->rx_next - 1;
			send_msg(s, p, &m);
			p->ack_due = false;
		}
		if (p->nack_due && p->rx_next < p->rx_max &&
		    now - p->last_nack_ns > NACK_GAP_NS) {
			__u32 to = p->rx_next;

			while (to + 1 < p->rx_max && !rx_bit(p, to + 1))
				to++;
			m.type = XLB_SYNC_NACK;
			m.dseq = p->rx_next;
			m.dseq_to = to;
			send_msg(s, p, &m);
			p->nacks_sent++;
			p->last_nack_ns = now;
			p->nack_due = false;
		}
	}
}

static void on_sock(int fd, unsigned int events, void *arg)
{
	struct xlbd_sync *s = arg;
	char from[XLB_ADDR_STRLEN + 10];

	size_t applied = 0;

	(void)events;
	/*
	 * A bounded burst per turn (256 datagrams or 8192 entries): the
	 * loop's other sources get their turn, and the fd, level-triggered,
	 * brings us back for the rest. ACKs go out after each bulk message
	 * too, so a resync in progress does not hold back the ACKs (and the
	 * sender's lag figures) of new flows.
	 */
	for (int i = 0; i < 256 && applied < 8192; i++) {
		struct sockaddr_storage sa;
		socklen_t sl = sizeof(sa);
		static __u8 rbuf[XLB_SYNC_MSG_MAX + 1];
		struct xlb_sync_msg m;
		struct peer *p;
		ssize_t n;
		int rc;

		n = recvfrom(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT,
			     (struct sockaddr *)&sa, &sl);
		if (n < 0)
			break;
		p = peer_of(s, &sa);
		if (!p) {
			struct xlb_addr a = {};
			__u8 fam = sa.ss_family == AF_INET ? XLB_AF_INET :
							     XLB_AF_INET6;
			__u16 port;

			if (fam == XLB_AF_INET) {
				a.v4 = ((struct sockaddr_in *)&sa)
					       ->sin_addr.s_addr;
				port = ntohs(
					((struct sockaddr_in *)&sa)->sin_port);
			} else {
				memcpy(&a,
				       &((struct sockaddr_in6 *)&sa)->sin6_addr,
				       16);
				port = ntohs(
					((struct sockaddr_in6 *)&sa)->sin6_port);
			}
			reject(s, XLB_SYNC_REJ_PEER,
			       xlb_endpoint_str(&a, fam, port, from,
						sizeof(from)));
			continue;
		}
		rc = xlb_sync_decode(rbuf, (size_t)n, &s->keys, &m, s->ents);
		if (rc) {
			reject(s, -rc - 1, p->name);
			continue;
		}
		handle(s, p, &m);
		applied += m.count;
		if (m.type == XLB_SYNC_BULK)
			send_acks(s);
	}
	send_acks(s);
}

/* ---- heartbeats, fingerprint, state ----------------------------------- */

static int cmp_vip(const void *a, const void *b)
{
	return memcmp(&((const struct xlb_vip_entry *)a)->key,
		      &((const struct xlb_vip_entry *)b)->key,
		      sizeof(struct xlb_vip_key));
}

/*
 * What decides a new flow's backend, as the datapath has it: the hash
 * seed, each VIP (by key) with its Maglev table as installed, and the
 * address of every backend the tables name (by id). Equal fingerprints:
 * a flow neither node tracks goes to the same backend on both.
 */
static __u64 fingerprint(struct xlbd_sync *s)
{
	crypto_generichash_state h;
	struct xlb_vip_entry *v = NULL;
	const struct xlb_cfg *c = &s->d->running;
	__u8 out[8];
	__u64 fp = 0;
	size_t n = 0;

	crypto_generichash_init(&h, NULL, 0, sizeof(out));
	crypto_generichash_update(&h, (const void *)&c->hash_seed,
				  sizeof(c->hash_seed));
	if (!xlb_vip_list(&s->d->maps, &v, &n)) {
		qsort(v, n, sizeof(*v), cmp_vip);
		for (size_t i = 0; i < n; i++) {
			__u32 *t = NULL, size = 0;

			crypto_generichash_update(&h, (const void *)&v[i].key,
						  sizeof(v[i].key));
			if (xlb_table_read(&s->d->maps, v[i].info.vip_id, &t,
					   &size))
				continue;
			crypto_generichash_update(&h, (const void *)t,
						  size * sizeof(*t));
			free(t);
		}
		free(v);
	}
	for (size_t i = 0; i < c->nbackends; i++) {
		const struct xlb_cfg_backend *b = &c->backends[i];

		crypto_generichash_update(&h, (const void *)&b->id,
					  sizeof(b->id));
		crypto_generichash_update(&h, b->addr.bytes, 16);
	}
	crypto_generichash_final(&h, out, sizeof(out));
	for (int i = 0; i < 8; i++)
		fp = fp << 8 | out[i];
	return fp;
}

bool xlbd_sync_synced(const struct xlbd_sync *s)
{
	__u64 now = now_ns();

	for (size_t i = 0; i < s->npeers; i++) {
		const struct peer *p = &s->peers[i];

		if (p->state == P_RESYNCING)
			return false;
		/* a peer that never answered had its chance to */
		if (p->state == P_CONNECTING &&
		    now - s->started_ns < XLBD_SYNC_DEAD_MS * 1000000ull)
			return false;
	}
	return true;
}

static void on_hello_timer(void *arg)
{
	struct xlbd_sync *s = arg;
	__u64 now = now_ns();
	bool synced = xlbd_sync_synced(s);

	if (s->hellos++ % FP_EVERY == 0)
		s->fingerprint = fingerprint(s);
	for (size_t i = 0; i < s->npeers; i++) {
		struct peer *p = &s->peers[i];
		struct xlb_sync_msg m = { .type = XLB_SYNC_HELLO };

		if (p->alive &&
		    now - p->last_heard_ns > XLBD_SYNC_DEAD_MS * 1000000ull) {
			pr_info("sync: %s is down (silent for %llu ms)\n",
				p->name,
				(unsigned long long)(now - p->last_heard_ns) /
					1000000u);
			p->alive = false;
			/* when it is back it gets the whole table */
			peer_restarted(p);
		}
		/* no bulk message for 2 s since we asked: the request or
		 * the transfer was lost; ask again (a transfer in progress
		 * keeps sending, and is not restarted) */
		if (p->state == P_RESYNCING &&
		    now - (p->last_bulk_ns > p->resync_req_ns ?
				   p->last_bulk_ns :
				   p->resync_req_ns) >
			    RESYNC_RETRY_NS)
			ask_resync(s, p);
		m.flags = synced ? XLB_SYNC_F_SYNCED : 0;
		m.next_dseq = p->tx_next;
		m.fingerprint = s->fingerprint;
		m.ct_entries = s->ct_entries;
		send_msg(s, p, &m);
	}
}

/* ---- setup ------------------------------------------------------------- */

static void to_sockaddr(const struct xlb_cfg_endpoint *ep,
			struct sockaddr_storage *sa, socklen_t *len)
{
	memset(sa, 0, sizeof(*sa));
	if (ep->family == XLB_AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)sa;

		a->sin_family = AF_INET;
		a->sin_port = htons(ep->port);
		a->sin_addr.s_addr = ep->addr.v4;
		*len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)sa;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(ep->port);
		memcpy(&a->sin6_addr, ep->addr.bytes, 16);
		*len = sizeof(*a);
	}
}

struct xlbd_sync *xlbd_sync_new(struct xlbd_loop *loop, struct xlbd *d,
				char *err, size_t errlen)
{
	const struct xlb_cfg_sync *c = &d->running.sync;
	struct sockaddr_storage sa;
	struct xlbd_sync *s;
	struct timespec rt;
	char ep[XLB_ADDR_STRLEN + 10];
	socklen_t sl;
	int one = 1, bufsz = SOCKBUF;

	if (sodium_init() < 0) {
		xlb_errf(err, errlen, -EIO, "sync: libsodium failed to start");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		xlb_errf(err, errlen, -ENOMEM, "sync: out of memory");
		return NULL;
	}
	s->fd = -1;
	s->d = d;
	s->cfg = *c;
	if (xlb_sync_keys_load(c->key_file, &s->keys, err, errlen))
		goto fail;
	s->tx_key = xlb_sync_key_find(&s->keys, c->key_id);
	if (!s->tx_key) {
		xlb_errf(err, errlen, -EINVAL, "sync.key_id: %u is not in %s",
			 c->key_id, c->key_file);
		goto fail;
	}
	clock_gettime(CLOCK_REALTIME, &rt);
	/* later boots have larger epochs: a peer refuses an older one's
	 * messages as replays */
	s->epoch = (__u64)rt.tv_sec * NSEC + (__u64)rt.tv_nsec;
	s->started_ns = s->last_walk_ns = s->last_refresh_ns = now_ns();
	s->npeers = c->npeers;
	for (size_t i = 0; i < c->npeers; i++) {
		struct peer *p = &s->peers[i];

		p->ep = c->peers[i];
		to_sockaddr(&p->ep, &p->sa, &p->salen);
		xlb_endpoint_str(&p->ep.addr, p->ep.family, p->ep.port, p->name,
				 sizeof(p->name));
		p->tx_next = p->tx_head = 1;
		p->txq = calloc(TXQ_MAX, sizeof(*p->txq));
		if (!p->txq) {
			xlb_errf(err, errlen, -ENOMEM, "sync: out of memory");
			goto fail;
		}
	}
	xlb_ct_spread_init(&s->spread); /* fails: no spread, still works */
	xlb_endpoint_str(&c->listen.addr, c->listen.family, c->listen.port, ep,
			 sizeof(ep));
	to_sockaddr(&c->listen, &sa, &sl);
	s->fd = socket(sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (s->fd < 0 ||
	    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s->fd, (struct sockaddr *)&sa, sl)) {
		xlb_errf(err, errlen, -errno, "sync.listen: %s: %s", ep,
			 strerror(errno));
		goto fail;
	}
	/* a bulk resync arrives faster than a default buffer drains */
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsz,
		       sizeof(bufsz)))
		setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	if (setsockopt(s->fd, SOL_SOCKET, SO_SNDBUFFORCE, &bufsz,
		       sizeof(bufsz)))
		setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	s->learn = xlb_ct_learn_open(d->maps.ct_events, on_learn, s);
	if (!s->learn) {
		xlb_errf(err, errlen, -errno,
			 "sync: open the learning ring: %s", strerror(errno));
		goto fail;
	}
	s->fingerprint = fingerprint(s);
	s->lost_seen = ring_lost(s); /* a previous xlbd's losses are its own */
	s->src_sock =
		xlbd_loop_fd(loop, s->fd, XLBD_READ, on_sock, s, err, errlen);
	s->src_ring = s->src_sock ?
			      xlbd_loop_fd(loop, xlb_ct_learn_fd(s->learn),
					   XLBD_READ, on_ring, s, err, errlen) :
			      NULL;
	s->t_hello = s->src_ring ?
			     xlbd_loop_timer(loop, XLBD_SYNC_HELLO_MS,
					     on_hello_timer, s, err, errlen) :
			     NULL;
	s->t_walk = s->t_hello ? xlbd_loop_timer(loop, c->interval * 1000,
						 on_walk, s, err, errlen) :
				 NULL;
	s->t_pace = s->t_walk ? xlbd_loop_timer(loop, PACE_MS, on_pace, s, err,
						errlen) :
				NULL;
	if (!s->t_pace)
		goto fail;
	pr_info("sync: listening on %s, %zu peers, key %u, fingerprint "
		"%016llx\n",
		ep, s->npeers, c->key_id, (unsigned long long)s->fingerprint);
	/* say hello at once: a starting node asks for the table as soon
	 * as a peer answers */
	on_hello_timer(s);
	return s;
fail:
	xlbd_sync_free(s);
	return NULL;
}

void xlbd_sync_free(struct xlbd_sync *s)
{
	if (!s)
		return;
	xlbd_src_del(s->src_sock);
	xlbd_src_del(s->src_ring);
	xlbd_src_del(s->t_hello);
	xlbd_src_del(s->t_walk);
	xlbd_src_del(s->t_pace);
	xlb_ct_learn_close(s->learn);
	xlb_ct_spread_end(&s->spread);
	if (s->fd >= 0)
		close(s->fd);
	for (size_t i = 0; i < s->npeers; i++) {
		if (s->peers[i].txq)
			txq_clear(&s->peers[i]);
		free(s->peers[i].txq);
		outbox_drop(&s->peers[i]);
	}
	sodium_memzero(&s->keys, sizeof(s->keys));
	free(s);
}

/* ---- status ------------------------------------------------------------ */

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static void add_u64(struct json_object *o, const char *k, __u64 v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

static void add_lag(struct json_object *o, const struct peer *p)
{
	__u32 sorted[LAGN];

	if (!p->lag_n) {
		json_object_object_add(o, "lag_ms", NULL);
		return;
	}
	memcpy(sorted, p->lag_us, p->lag_n * sizeof(sorted[0]));
	qsort(sorted, p->lag_n, sizeof(sorted[0]), cmp_u32);
	{
		struct json_object *l = json_object_new_object();

		json_object_object_add(
			l, "last",
			json_object_new_double(
				p->lag_us[(p->lag_pos - 1) % LAGN] / 1000.0));
		json_object_object_add(
			l, "p50",
			json_object_new_double(sorted[p->lag_n / 2] / 1000.0));
		json_object_object_add(
			l, "p99",
			json_object_new_double(sorted[(p->lag_n * 99) / 100] /
					       1000.0));
		json_object_object_add(
			l, "max",
			json_object_new_double(p->lag_max_us / 1000.0));
		add_u64(l, "samples", p->lag_n);
		json_object_object_add(o, "lag_ms", l);
	}
}

struct json_object *xlbd_sync_status(struct xlbd_sync *s)
{
	struct json_object *o = json_object_new_object(), *ps, *rj;
	char fp[24], ep[XLB_ADDR_STRLEN + 10];
	__u64 now = now_ns();
	struct rusage ru;

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "listen",
			       json_object_new_string(xlb_endpoint_str(
				       &s->cfg.listen.addr,
				       s->cfg.listen.family, s->cfg.listen.port,
				       ep, sizeof(ep))));
	json_object_object_add(o, "synced",
			       json_object_new_boolean(xlbd_sync_synced(s)));
	snprintf(fp, sizeof(fp), "%016llx", (unsigned long long)s->fingerprint);
	json_object_object_add(o, "fingerprint", json_object_new_string(fp));
	add_u64(o, "key_id", s->cfg.key_id);
	add_u64(o, "epoch", s->epoch);
	add_u64(o, "learned", s->learned);
	add_u64(o, "walks", s->walks);
	add_u64(o, "walked", s->walked);
	add_u64(o, "ct_entries", s->ct_entries);
	if (!getrusage(RUSAGE_SELF, &ru))
		json_object_object_add(
			o, "cpu_s",
			json_object_new_double((double)ru.ru_utime.tv_sec +
					       ru.ru_utime.tv_usec / 1e6 +
					       (double)ru.ru_stime.tv_sec +
					       ru.ru_stime.tv_usec / 1e6));
	rj = json_object_new_object();
	for (int i = 0; i < XLB_SYNC_REJ_MAX; i++)
		add_u64(rj, xlb_sync_reject_name(i), s->rejects[i]);
	json_object_object_add(o, "rejects", rj);
	ps = json_object_new_array();
	for (size_t i = 0; i < s->npeers; i++) {
		const struct peer *p = &s->peers[i];
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "peer",
				       json_object_new_string(p->name));
		json_object_object_add(
			j, "state",
			json_object_new_string(pstate_name[p->state]));
		json_object_object_add(j, "up",
				       json_object_new_boolean(p->alive));
		if (p->heard)
			add_u64(j, "heard_ms_ago",
				(now - p->last_heard_ns) / 1000000u);
		json_object_object_add(j, "peer_synced",
				       json_object_new_boolean(p->peer_synced));
		snprintf(fp, sizeof(fp), "%016llx",
			 (unsigned long long)p->fingerprint);
		json_object_object_add(j, "fingerprint",
				       json_object_new_string(p->heard ? fp :
									 ""));
		json_object_object_add(
			j, "fingerprint_match",
			json_object_new_boolean(
				p->heard && p->fingerprint == s->fingerprint));
		add_u64(j, "peer_entries", p->peer_ct);
		add_lag(j, p);
		add_u64(j, "queue", p->tx_next - p->tx_head);
		add_u64(j, "bulk_pending", p->ob_n - p->ob_pos);
		add_u64(j, "sent_msgs", p->sent_msgs);
		add_u64(j, "sent_entries", p->sent_entries);
		add_u64(j, "recv_msgs", p->recv_msgs);
		add_u64(j, "recv_entries", p->recv_entries);
		add_u64(j, "applied", p->applied);
		add_u64(j, "skipped_older", p->skip_older);
		add_u64(j, "skipped_no_vip", p->skip_no_vip);
		add_u64(j, "skipped_no_backend", p->skip_no_backend);
		add_u64(j, "skipped_expired", p->skip_expired);
		add_u64(j, "resends", p->resends);
		add_u64(j, "nacks_sent", p->nacks_sent);
		add_u64(j, "nacks_received", p->nacks_recv);
		add_u64(j, "duplicates", p->dups);
		add_u64(j, "queue_overflows", p->overflow);
		add_u64(j, "send_errors", p->send_errors);
		add_u64(j, "resyncs_asked", p->resyncs_asked);
		add_u64(j, "resyncs_answered", p->resyncs_answered);
		json_object_array_add(ps, j);
	}
	json_object_object_add(o, "peers", ps);
	return o;
}
