// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the half-open TCP probe, the way health_tcp.c checks a
 * plain (not through the tunnel) TCP check when xlbd may open raw sockets:
 * a SYN goes out of one raw socket per address family, and the answer
 * decides: a SYN-ACK is up, a reset is down (refused), an ICMP error is
 * down with its reason, silence is the scheduler's timeout. The kernel
 * answers the SYN-ACK with a reset (no socket of ours is connected to it),
 * so the backend drops its half-open connection at once, as a connect and
 * reset did; its listener is what both kinds of probe test, since a
 * connect completes on the SYN-ACK whether the server accepts or not.
 *
 * Why: a connect and a disconnect cost the kernel a socket lookup, an
 * ephemeral port search, a hashed connection and its teardown, 15-20 us of
 * system time a probe on our VMs, and 10,000 checks a second made that a
 * quarter of a core. A raw send is a route lookup and one packet, and the
 * answers come in batches (recvmmsg).
 *
 * Source port: one bound, never listening TCP socket per family reserves
 * it, so no connection of this host can take the same port and the kernel
 * still resets the backends' answers. Every SYN carries a fresh random
 * sequence number (libsodium), which identifies the probe in the answer's
 * acknowledgment (ack - 1) and which an off-path sender cannot guess to
 * fake an up: 32 random bits per probe, where a pooled socket's sequence
 * numbers and ports followed each other.
 *
 * IPv4's checksum needs the source address the kernel will pick: it is
 * learnt per check from a connected UDP socket (getsockname), again after
 * SYN_SRC_TTL_MS or a probe that got no answer. IPv6 has the kernel sum
 * it (IPV6_CHECKSUM).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <event2/event.h>
#include <sodium.h>

#include "lib/log.h"
#include "xlbd/health.h"

#define SYN_BUCKETS 4096 /* outstanding probes, by sequence number */
#define SYN_BATCH 64 /* answers read per recvmmsg */
#define SYN_PKT 128 /* bytes kept of an answer: IP and TCP headers */
#define SYN_SRC_TTL_MS 30000
#define SYN_LEN 24 /* TCP header and an MSS option */
#define SYN_RCVBUF (8 << 20)
/*
 * SYNs sent without the loop reading answers in between, before a send
 * reads them first: after the loop was held up (a commit of many tables),
 * every probe that came due meanwhile goes out in one loop turn, and on a
 * veth or loopback their answers are queued during the sends themselves;
 * unread, they would overflow the queue and fail as timeouts.
 */
#define SYN_DRAIN_AT 256

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

struct syn_probe {
	struct xlbd_check *ck;
	__u32 isn;
	int fam; /* 0: IPv4, 1: IPv6 */
	__u8 addr[16]; /* IPv4 in the first 4 */
	__u16 port; /* network order */
	struct syn_probe *next;
};

struct syn_fam {
	int raw; /* the probes' raw socket */
	unsigned int unread; /* SYNs sent since answers were last read */
	__u32 drops; /* answers the full queue dropped (SO_RXQ_OVFL) */
	int hold; /* the bound TCP socket that reserves @port */
	__u16 port; /* network order */
	struct event *ev;
};

struct xlbd_tcp_syn {
	struct syn_fam f[2];
	int udp4; /* learns IPv4 source addresses */
	struct syn_probe *bucket[SYN_BUCKETS];
	struct syn_probe *free;
	time_t drop_logged;
	/*
	 * Sequence numbers drawn ahead: libsodium's randombytes_buf is a
	 * getrandom() system call each, as dear as the SYN's own sendto
	 */
	__u32 isns[256];
	unsigned int nisns;
};

static __u32 next_isn(struct xlbd_tcp_syn *s)
{
	if (!s->nisns) {
		randombytes_buf(s->isns, sizeof(s->isns));
		s->nisns = sizeof(s->isns) / sizeof(s->isns[0]);
	}
	return s->isns[--s->nisns];
}

static struct syn_probe **slot_of(struct xlbd_tcp_syn *s, __u32 isn)
{
	return &s->bucket[(isn ^ isn >> 12) % SYN_BUCKETS];
}

static void unlink_probe(struct xlbd_tcp_syn *s, struct syn_probe *p)
{
	struct syn_probe **pp = slot_of(s, p->isn);

	for (; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	p->ck = NULL;
	p->next = s->free;
	s->free = p;
}

static struct syn_probe *find_probe(struct xlbd_tcp_syn *s, __u32 isn,
				    int fam, const void *addr, __u16 port)
{
	struct syn_probe *p;

	for (p = *slot_of(s, isn); p; p = p->next)
		if (p->isn == isn && p->fam == fam && p->port == port &&
		    !memcmp(p->addr, addr, fam ? 16 : 4))
			return p;
	return NULL;
}

/* Ends @p's probe: @ok, and why. */
static void answer(struct xlbd_tcp_syn *s, struct syn_probe *p, bool ok,
		   const char *why)
{
	struct xlbd_check *ck = p->ck;

	unlink_probe(s, p);
	ck->priv = NULL;
	if (ok)
		xlbd_check_done(ck, true, "%s", why);
	else
		xlbd_check_done(ck, false, "connect: %s", why);
}

/* One TCP segment from (@fam, @addr) at @th, @len bytes of its header. */
static void on_segment(struct xlbd_tcp_syn *s, int fam, const void *addr,
		       const __u8 *th, size_t len)
{
	__u16 sport, dport;
	__u32 ack;
	__u8 flags;
	struct syn_probe *p;

	if (len < 20)
		return;
	memcpy(&sport, th, 2);
	memcpy(&dport, th + 2, 2);
	memcpy(&ack, th + 8, 4);
	flags = th[13];
	if (dport != s->f[fam].port || !(flags & TH_ACK))
		return;
	/* none: an answer after its timeout, or not ours */
	p = find_probe(s, ntohl(ack) - 1, fam, addr, sport);
	if (p && (flags & TH_RST))
		answer(s, p, false, strerror(ECONNREFUSED));
	else if (p && (flags & TH_SYN))
		answer(s, p, true, "connected (SYN-ACK)");
}

/*
 * The error queue: ICMP errors about TCP packets of this host, ours among
 * them (the quoted header's source port and sequence number say which).
 */
static void read_errors(struct xlbd_tcp_syn *s, int fam)
{
	for (int i = 0; i < SYN_BATCH; i++) {
		char ctl[256];
		__u8 data[64];
		struct sockaddr_storage from;
		struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
		struct msghdr mh = { .msg_name = &from,
				     .msg_namelen = sizeof(from),
				     .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = ctl,
				     .msg_controllen = sizeof(ctl) };
		const struct sock_extended_err *ee = NULL;
		struct syn_probe *p;
		struct cmsghdr *cm;
		__u16 sport, dport;
		const void *addr;
		__u32 seq;
		ssize_t n;

		n = recvmsg(s->f[fam].raw, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);
		if (n < 0)
			return;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
			if ((cm->cmsg_level == SOL_IP &&
			     cm->cmsg_type == IP_RECVERR) ||
			    (cm->cmsg_level == SOL_IPV6 &&
			     cm->cmsg_type == IPV6_RECVERR))
				ee = (const void *)CMSG_DATA(cm);
		if (!ee || n < 8)
			continue;
		memcpy(&sport, data, 2);
		memcpy(&dport, data + 2, 2);
		memcpy(&seq, data + 4, 4);
		if (sport != s->f[fam].port)
			continue;
		addr = fam ? (const void *)&((struct sockaddr_in6 *)&from)
				     ->sin6_addr :
			     (const void *)&((struct sockaddr_in *)&from)
				     ->sin_addr;
		p = find_probe(s, ntohl(seq), fam, addr, dport);
		if (p) {
			/* the route may have changed: learn the source again */
			p->ck->syn_src_ms = 0;
			answer(s, p, false, strerror(ee->ee_errno));
		}
	}
}

/* The queue's drop count (SO_RXQ_OVFL) in @mh: logged when it grew. */
static void note_drops(struct xlbd_tcp_syn *s, int fam, struct msghdr *mh)
{
	struct cmsghdr *cm;
	__u32 drops;
	time_t now;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SO_RXQ_OVFL)
			continue;
		memcpy(&drops, CMSG_DATA(cm), sizeof(drops));
		if (drops == s->f[fam].drops)
			return;
		now = time(NULL);
		/* at most one line a second: a burst is one event */
		if (now != s->drop_logged)
			pr_err("health: tcp: %u answers to SYN probes dropped "
				"so far (the raw socket's queue was full); "
				"their probes time out\n",
				drops);
		s->drop_logged = now;
		s->f[fam].drops = drops;
	}
}

/*
 * Reads every queued answer on @fam's raw socket (as health_tcp.c does:
 * a probe whose answer waits for the next loop turn may meet its
 * deadline). Returns whether there was any.
 */
static bool drain(struct xlbd_tcp_syn *s, int fam)
{
	int fd = s->f[fam].raw;
	bool data = false;

	s->f[fam].unread = 0;
	for (;;) {
		__u8 buf[SYN_BATCH][SYN_PKT];
		struct sockaddr_in6 from[SYN_BATCH];
		struct iovec iov[SYN_BATCH];
		struct mmsghdr mm[SYN_BATCH];
		/* one message's drop count is enough: they all say the same */
		char ctl[CMSG_SPACE(sizeof(__u32))];
		int n;

		for (int i = 0; i < SYN_BATCH; i++) {
			iov[i] = (struct iovec){ buf[i], SYN_PKT };
			mm[i] = (struct mmsghdr){
				.msg_hdr = { .msg_name = &from[i],
					     .msg_namelen = sizeof(from[i]),
					     .msg_iov = &iov[i],
					     .msg_iovlen = 1 },
			};
		}
		mm[0].msg_hdr.msg_control = ctl;
		mm[0].msg_hdr.msg_controllen = sizeof(ctl);
		n = recvmmsg(fd, mm, SYN_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* EAGAIN, or an ICMP error's note (sk_err) */
		data = true;
		note_drops(s, fam, &mm[0].msg_hdr);
		for (int i = 0; i < n; i++) {
			size_t len = mm[i].msg_len;
			const __u8 *pkt = buf[i];

			if (len > SYN_PKT)
				len = SYN_PKT;
			if (fam) {
				on_segment(s, 1, &from[i].sin6_addr, pkt, len);
				continue;
			}
			/* IPv4 raw sockets read the IP header too */
			if (len < 20 || (pkt[0] & 0xf) * 4u > len)
				continue;
			on_segment(s, 0, pkt + 12, pkt + (pkt[0] & 0xf) * 4,
				   len - (pkt[0] & 0xf) * 4u);
		}
		if (n < SYN_BATCH)
			break;
	}
	return data;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct xlbd_tcp_syn *s = arg;
	int fam = fd == s->f[1].raw;

	(void)what;
	/* woken with no answer to read: an ICMP error is queued */
	if (!drain(s, fam))
		read_errors(s, fam);
}

/*
 * A filter on the raw socket: only segments to our port are queued (the
 * socket sees every TCP packet this host receives). IPv4: the IP header
 * comes first; IPv6: the TCP header.
 */
static int attach_filter(int fd, int fam, __u16 port)
{
	struct sock_filter f4[] = {
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohs(port), 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SYN_PKT),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_filter f6[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 2),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohs(port), 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SYN_PKT),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = {
		.len = fam ? sizeof(f6) / sizeof(f6[0]) :
			     sizeof(f4) / sizeof(f4[0]),
		.filter = fam ? f6 : f4,
	};

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
			  sizeof(prog));
}

/* Reserves a port for @fam's probes and opens their raw socket. */
static int fam_open(struct xlbd_tcp_syn *s, struct event_base *base, int fam,
		    char *why, size_t n)
{
	struct syn_fam *f = &s->f[fam];
	int af = fam ? AF_INET6 : AF_INET, one = 1, rcv = SYN_RCVBUF;
	struct sockaddr_storage ss = { .ss_family = af };
	socklen_t sl = fam ? sizeof(struct sockaddr_in6) :
			     sizeof(struct sockaddr_in);
	const char *step;
	int rc;

	f->hold = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
	step = "reserve a port";
	if (f->hold < 0 ||
	    (fam && setsockopt(f->hold, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			       sizeof(one))) ||
	    bind(f->hold, (struct sockaddr *)&ss, sl) ||
	    getsockname(f->hold, (struct sockaddr *)&ss, &sl))
		goto fail;
	f->port = fam ? ((struct sockaddr_in6 *)&ss)->sin6_port :
			((struct sockaddr_in *)&ss)->sin_port;
	step = "raw socket";
	f->raw = socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			IPPROTO_TCP);
	if (f->raw < 0)
		goto fail;
	step = "filter";
	if (attach_filter(f->raw, fam, f->port))
		goto fail;
	step = "options";
	/* the kernel sums IPv6's checksum, at the TCP header's offset 16 */
	if (fam && setsockopt(f->raw, IPPROTO_IPV6, IPV6_CHECKSUM,
			      &(int){ 16 }, sizeof(int)))
		goto fail;
	if (setsockopt(f->raw, fam ? SOL_IPV6 : SOL_IP,
		       fam ? IPV6_RECVERR : IP_RECVERR, &one, sizeof(one)))
		goto fail;
	/*
	 * Best effort: a small queue only drops answers under a burst (and
	 * says so, SO_RXQ_OVFL). FORCE passes net.core.rmem_max, as root.
	 */
	if (setsockopt(f->raw, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)))
		(void)setsockopt(f->raw, SOL_SOCKET, SO_RCVBUF, &rcv,
				 sizeof(rcv));
	(void)setsockopt(f->raw, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	f->ev = event_new(base, f->raw, EV_READ | EV_PERSIST, on_readable, s);
	if (!f->ev || event_add(f->ev, NULL)) {
		snprintf(why, n, "cannot watch the raw socket");
		return -ENOMEM;
	}
	return 0;
fail:
	rc = -errno;
	snprintf(why, n, "%s: %s", step, strerror(-rc));
	return rc;
}

void xlbd_tcp_syn_free(struct xlbd_tcp_syn *s)
{
	struct syn_probe *p, *next;

	if (!s)
		return;
	for (int fam = 0; fam < 2; fam++) {
		if (s->f[fam].ev)
			event_free(s->f[fam].ev);
		if (s->f[fam].raw >= 0)
			close(s->f[fam].raw);
		if (s->f[fam].hold >= 0)
			close(s->f[fam].hold);
	}
	if (s->udp4 >= 0)
		close(s->udp4);
	/* running probes were cancelled before: only the free list is left */
	for (int i = 0; i < SYN_BUCKETS; i++)
		for (p = s->bucket[i]; p; p = next) {
			next = p->next;
			free(p);
		}
	for (p = s->free; p; p = next) {
		next = p->next;
		free(p);
	}
	free(s);
}

struct xlbd_tcp_syn *xlbd_tcp_syn_new(struct event_base *base, char *why,
				      size_t n)
{
	struct xlbd_tcp_syn *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(why, n, "out of memory");
		return NULL;
	}
	s->udp4 = -1;
	for (int fam = 0; fam < 2; fam++)
		s->f[fam].raw = s->f[fam].hold = -1;
	if (sodium_init() < 0) {
		snprintf(why, n, "libsodium failed to start");
		goto fail;
	}
	for (int fam = 0; fam < 2; fam++) {
		int rc = fam_open(s, base, fam, why, n);
		struct syn_fam *f = &s->f[fam];

		/* a host without IPv6 still probes IPv4 half-open */
		if (rc == -EAFNOSUPPORT && fam) {
			if (f->hold >= 0)
				close(f->hold);
			if (f->raw >= 0)
				close(f->raw);
			f->hold = f->raw = -1;
			continue;
		}
		if (rc)
			goto fail;
	}
	s->udp4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s->udp4 < 0) {
		snprintf(why, n, "udp socket: %s", strerror(errno));
		goto fail;
	}
	return s;
fail:
	xlbd_tcp_syn_free(s);
	return NULL;
}

/* The source address the kernel picks for @dst, in @ck's cache. */
static int learn_src(struct xlbd_tcp_syn *s, struct xlbd_check *ck,
		     const struct sockaddr_in *dst, char *why, size_t n)
{
	struct sockaddr_in a = *dst, src;
	socklen_t sl = sizeof(src);
	__u64 now = xlbd_check_mono_ms();

	if (ck->syn_src_ms && now - ck->syn_src_ms < SYN_SRC_TTL_MS)
		return 0;
	a.sin_port = htons(9); /* any: a UDP connect sends nothing */
	if (connect(s->udp4, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(s->udp4, (struct sockaddr *)&src, &sl)) {
		int rc = -errno;

		snprintf(why, n, "connect: %s", strerror(-rc));
		return rc;
	}
	ck->syn_src = src.sin_addr.s_addr;
	ck->syn_src_ms = now ? now : 1;
	return 0;
}

static __u16 csum4(__be32 src, __be32 dst, const __u8 *th, size_t len)
{
	__u32 sum = 0;

	sum += (ntohl(src) >> 16) + (ntohl(src) & 0xffff);
	sum += (ntohl(dst) >> 16) + (ntohl(dst) & 0xffff);
	sum += IPPROTO_TCP + len;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (__u32)th[i] << 8 | th[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((__u16)~sum);
}

int xlbd_tcp_syn_start(struct xlbd_tcp_syn *s, struct xlbd_check *ck,
		       char *why, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t sl = xlbd_check_sockaddr(ck, &ss);
	int fam = ss.ss_family == AF_INET6, rc;
	struct sockaddr_in6 *d6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *d4 = (struct sockaddr_in *)&ss;
	__u8 th[SYN_LEN] = { 0 };
	struct syn_probe *p;
	__u16 dport = fam ? d6->sin6_port : d4->sin_port;
	__u32 isn = next_isn(s);

	if (s->f[fam].raw < 0) {
		snprintf(why, n, "connect: %s", strerror(EAFNOSUPPORT));
		return -EAFNOSUPPORT;
	}
	if (!fam) {
		rc = learn_src(s, ck, d4, why, n);
		if (rc)
			return rc;
	}
	memcpy(th, &s->f[fam].port, 2);
	memcpy(th + 2, &dport, 2);
	th[4] = isn >> 24;
	th[5] = isn >> 16;
	th[6] = isn >> 8;
	th[7] = isn;
	th[12] = (SYN_LEN / 4) << 4;
	th[13] = TH_SYN;
	th[14] = 0xfa; /* window 64240 */
	th[15] = 0xf0;
	th[20] = 2; /* MSS 1460: a SYN without options looks odd to some */
	th[21] = 4;
	th[22] = 0x05;
	th[23] = 0xb4;
	if (!fam) {
		__u16 c = csum4(ck->syn_src, d4->sin_addr.s_addr, th, SYN_LEN);

		memcpy(th + 16, &c, 2);
		d4->sin_port = 0;
	} else {
		d6->sin6_port = 0; /* a raw IPv6 socket wants 0 or IPPROTO */
	}
	/* answers to the SYNs of this burst first (SYN_DRAIN_AT) */
	if (s->f[fam].unread >= SYN_DRAIN_AT)
		drain(s, fam);
	p = s->free;
	if (p)
		s->free = p->next;
	else if (!(p = calloc(1, sizeof(*p)))) {
		snprintf(why, n, "out of memory");
		return -ENOMEM;
	}
	if (sendto(s->f[fam].raw, th, SYN_LEN, MSG_DONTWAIT,
		   (struct sockaddr *)&ss, sl) != SYN_LEN) {
		rc = -errno;
		snprintf(why, n, "connect: %s", strerror(-rc));
		p->next = s->free;
		s->free = p;
		ck->syn_src_ms = 0;
		return rc;
	}
	s->f[fam].unread++;
	p->ck = ck;
	p->isn = isn;
	p->fam = fam;
	p->port = dport;
	memset(p->addr, 0, sizeof(p->addr));
	memcpy(p->addr, fam ? (void *)&d6->sin6_addr : (void *)&d4->sin_addr,
	       fam ? 16 : 4);
	p->next = *slot_of(s, isn);
	*slot_of(s, isn) = p;
	ck->priv = p;
	return 0;
}

unsigned long xlbd_tcp_syn_dropped(const struct xlbd_tcp_syn *s)
{
	return (unsigned long)s->f[0].drops + s->f[1].drops;
}

void xlbd_tcp_syn_cancel(struct xlbd_tcp_syn *s, struct xlbd_check *ck)
{
	struct syn_probe *p = ck->priv;

	if (!p)
		return;
	/* no answer: the source may be stale (a route or address moved) */
	ck->syn_src_ms = 0;
	unlink_probe(s, p);
	ck->priv = NULL;
}
