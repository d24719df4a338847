/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds MAC resolution from the kernel's neighbour table
 * (rtnetlink), for the tunnel next hop and L2 DSR backends: the addresses a
 * config names, turned into what the datapath writes into frames.
 */
#ifndef XLB_USER_NEIGH_H
#define XLB_USER_NEIGH_H

#include <linux/types.h>
#include <xlb/abi.h>

/*
 * Finds the MAC of @addr (family XLB_AF_*) on @ifname (NULL or "" for any
 * interface). When the table has no usable entry, prods the kernel into
 * resolving it (one UDP datagram to the discard port) and waits up to
 * @wait_ms. Returns 0, -ENOENT when unresolved, or another negative errno.
 */
int xlb_neigh_resolve(const struct xlb_addr *addr, __u8 family,
		      const char *ifname, unsigned int wait_ms, __u8 mac[6]);

#endif /* XLB_USER_NEIGH_H */
