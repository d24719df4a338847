/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the user-space side of the backend decap program
 * (bpf/xlb_decap.bpf.c): its maps, and attaching it to, finding it on and
 * detaching it from an interface.
 *
 * Nothing is pinned. The XDP attachment holds the program and the program
 * holds its maps, so the datapath outlives the tool; the tool finds them
 * again through the interface (XDP query -> program id -> map ids). That
 * works in any network namespace whatever is mounted (`ip netns exec`
 * hides bpffs), two namespaces with the same interface name cannot collide
 * on a pin path, and deleting the interface or its namespace leaves nothing
 * behind.
 *
 * Functions return 0 or a negative errno; those that take @why (@len bytes)
 * write there, on failure, a reason fit to follow "xlb-decap: attach eth0: ".
 */
#ifndef XLB_USER_DECAP_H
#define XLB_USER_DECAP_H

#include <stddef.h>
#include <bpf/libbpf.h>
#include <xlb/abi.h>

#include "lib/parse.h"

/* The program's name as the kernel reports it: how an attachment is ours. */
#define XLB_DECAP_PROG_NAME "xlb_decap"

struct xlb_decap_maps {
	int addrs; /* xlb_decap_addrs */
	int stats; /* xlb_decap_stats */
	__u32 nstats; /* outcomes it counts that this build names */
};

/* An xlb_decap program found on an interface; close with xlb_decap_close. */
struct xlb_decap_handle {
	int ifindex;
	__u32 prog_id;
	int prog_fd;
	enum xlb_xdp_mode mode;
	struct xlb_decap_maps maps;
};

/* Fills @m with the fds of the maps of a loaded xlb_decap object. */
int xlb_decap_maps_from_object(struct bpf_object *obj,
			       struct xlb_decap_maps *m);

/* Adds @a (family XLB_AF_*) to the addresses tunnels are terminated on. */
int xlb_decap_addr_add(const struct xlb_decap_maps *m,
		       const struct xlb_addr *a, __u8 family);
int xlb_decap_addr_clear(const struct xlb_decap_maps *m);
/* Lists up to @max addresses into @out; *@n gets how many were written. */
int xlb_decap_addr_list(const struct xlb_decap_maps *m,
			struct xlb_addr_key *out, size_t max, size_t *n);

/* Sums over CPUs the counter @idx (enum xlb_decap_stat). */
int xlb_decap_stat_read(const struct xlb_decap_maps *m, __u32 idx,
			struct xlb_counter *sum);
/* Short name of an enum xlb_decap_stat value, e.g. "ok_4in4". */
const char *xlb_decap_stat_name(__u32 idx);

/*
 * Loads a fresh xlb_decap, fills its addresses with @addrs (1 to
 * XLB_MAX_DECAP_ADDRS) and attaches it to @ifname in @mode. Refuses if any
 * XDP program is already attached there (detach first). On failure nothing
 * is left loaded or attached.
 */
int xlb_decap_attach(const char *ifname, const struct xlb_addr_key *addrs,
		     size_t n, enum xlb_xdp_mode mode, char *why, size_t len);

/* Finds the xlb_decap attached to @ifname and opens its maps. */
int xlb_decap_open(const char *ifname, struct xlb_decap_handle *h, char *why,
		   size_t len);
void xlb_decap_close(struct xlb_decap_handle *h);

/*
 * Detaches the xlb_decap attached to @ifname; refuses to touch another
 * program, and detaches only if it is still the one that was found.
 */
int xlb_decap_detach(const char *ifname, char *why, size_t len);

#endif /* XLB_USER_DECAP_H */
