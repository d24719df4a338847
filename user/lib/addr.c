// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
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
