// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"

int xlb_addr_parse(const char *text, struct xlb_addr *out, __u8 *family)
{
	struct xlb_addr a;

	if (!text)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, text, &a.v4) == 1) {
		*out = a;
		*family = XLB_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, a.bytes) == 1) {
		*out = a;
		*family = XLB_AF_INET6;
		return 0;
	}
	return -EINVAL;
}

const char *xlb_addr_str(const struct xlb_addr *a, __u8 family, char *buf,
			 size_t len)
{
	int af = family == XLB_AF_INET ? AF_INET :
		 family == XLB_AF_INET6 ? AF_INET6 : -1;

	if (af < 0 || !inet_ntop(af, a->bytes, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

int xlb_mac_parse(const char *text, __u8 mac[6])
{
	unsigned int b[6];
	char tail;
	int i;

	if (!text || sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1],
			    &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (__u8)b[i];
	return 0;
}

int xlb_endpoint_parse(const char *text, struct xlb_addr *addr, __u8 *family,
		       __u16 *port, char *why, size_t whylen)
{
	char host[XLB_ADDR_STRLEN + 2];
	const char *colon, *h = text;
	size_t hl;
	char *end;
	unsigned long p;

	colon = strrchr(text, ':');
	if (!colon)
		goto bad;
	hl = (size_t)(colon - text);
	if (text[0] == '[') {
		if (hl < 2 || text[hl - 1] != ']')
			goto bad;
		h = text + 1;
		hl -= 2;
	}
	if (!hl || hl >= sizeof(host))
		goto bad;
	memcpy(host, h, hl);
	host[hl] = 0;
	if (!colon[1] || colon[1] == '+' || colon[1] == '-')
		goto bad;
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (*end || errno || !p || p > 65535)
		goto bad;
	if (xlb_addr_parse(host, addr, family) ||
	    (*family == XLB_AF_INET6 && text[0] != '['))
		goto bad;
	*port = (__u16)p;
	return 0;
bad:
	snprintf(why, whylen,
		 "expected ADDRESS:PORT (192.0.2.1:7400 or "
		 "[2001:db8::1]:7400, port 1..65535)");
	return -EINVAL;
}

const char *xlb_endpoint_str(const struct xlb_addr *a, __u8 family, __u16 port,
			     char *buf, size_t len)
{
	char s[XLB_ADDR_STRLEN];

	xlb_addr_str(a, family, s, sizeof(s));
	snprintf(buf, len, family == XLB_AF_INET6 ? "[%s]:%u" : "%s:%u", s,
		 port);
	return buf;
}
