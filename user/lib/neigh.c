// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "lib/neigh.h"

struct lookup {
	const struct xlb_addr *addr;
	int family; /* AF_* */
	int ifindex; /* 0: any */
	__u8 mac[6];
	int found;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, NDA_MAX) < 0)
		return MNL_CB_OK;
	tb[type] = a;
	return MNL_CB_OK;
}

static int neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ndmsg *nd = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NDA_MAX + 1] = {};
	struct lookup *l = data;
	size_t alen = l->family == AF_INET ? 4 : 16;

	if (nd->ndm_family != l->family ||
	    (l->ifindex && nd->ndm_ifindex != l->ifindex))
		return MNL_CB_OK;
	/* an entry being resolved or that failed has no usable MAC */
	if (nd->ndm_state & (NUD_INCOMPLETE | NUD_FAILED | NUD_NONE))
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*nd), attr_cb, tb);
	if (!tb[NDA_DST] || !tb[NDA_LLADDR] ||
	    mnl_attr_get_payload_len(tb[NDA_DST]) != alen ||
	    mnl_attr_get_payload_len(tb[NDA_LLADDR]) != 6 ||
	    memcmp(mnl_attr_get_payload(tb[NDA_DST]), l->addr->bytes, alen))
		return MNL_CB_OK;
	memcpy(l->mac, mnl_attr_get_payload(tb[NDA_LLADDR]), 6);
	l->found = 1;
	return MNL_CB_OK;
}

static int dump_lookup(struct lookup *l)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct ndmsg *nd;
	unsigned int seq = (unsigned int)time(NULL), portid;
	int rc = 0, n;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = (__u8)l->family;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		goto out;
	}
	while ((n = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		n = mnl_cb_run(buf, (size_t)n, seq, portid, neigh_cb, l);
		if (n <= MNL_CB_STOP)
			break;
	}
	if (n < 0)
		rc = -errno;
out:
	mnl_socket_close(nl);
	return rc;
}

/* A datagram to the discard port makes the kernel resolve the neighbour. */
static void prod(const struct lookup *l, const char *ifname)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(9) };
	struct sockaddr_in s4 = { .sin_family = AF_INET,
				  .sin_port = htons(9) };
	int fd = socket(l->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	if (ifname && *ifname)
		setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
			   (socklen_t)strlen(ifname));
	if (l->family == AF_INET) {
		s4.sin_addr.s_addr = l->addr->v4;
		sendto(fd, "", 0, MSG_DONTWAIT, (struct sockaddr *)&s4,
		       sizeof(s4));
	} else {
		memcpy(&s6.sin6_addr, l->addr->bytes, 16);
		sendto(fd, "", 0, MSG_DONTWAIT, (struct sockaddr *)&s6,
		       sizeof(s6));
	}
	close(fd);
}

int xlb_neigh_resolve(const struct xlb_addr *addr, __u8 family,
		      const char *ifname, unsigned int wait_ms, __u8 mac[6])
{
	struct lookup l = { .addr = addr };
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	unsigned int waited = 0;
	int rc;

	if (family != XLB_AF_INET && family != XLB_AF_INET6)
		return -EINVAL;
	l.family = family == XLB_AF_INET ? AF_INET : AF_INET6;
	if (ifname && *ifname) {
		l.ifindex = (int)if_nametoindex(ifname);
		if (!l.ifindex)
			return -ENODEV;
	}
	for (;;) {
		rc = dump_lookup(&l);
		if (rc)
			return rc;
		if (l.found) {
			memcpy(mac, l.mac, 6);
			return 0;
		}
		if (waited >= wait_ms)
			return -ENOENT;
		if (!waited)
			prod(&l, ifname);
		nanosleep(&tick, NULL);
		waited += 20;
	}
}
