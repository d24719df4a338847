/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the health-probe program's side of the map layer and
 * loader: bpf/xlb_probe.bpf.c, a TC egress program that sends probes
 * marked by xlbd's checker (SO_MARK = xlb_probe_mark()) through the tunnel
 * to the VIP on a backend. Its maps are pinned beside the LB's
 * (PIN_DIR/xlb_probe_targets, PIN_DIR/xlb_probe_stats) and it reads the
 * LB's pinned xlb_config, so a restarted xlbd adopts what the program in
 * the kernel uses. The program sits on clsact egress at one handle and
 * priority of its own (XLB_PROBE_TC_*), so attaching replaces an earlier
 * xlbd's instance and detaching never touches another filter.
 */
#ifndef XLB_USER_PROBE_H
#define XLB_USER_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include <xlb/abi.h>

#define XLB_PROBE_TC_HANDLE 0x584c
#define XLB_PROBE_TC_PRIO 0x584c
#define XLB_PROBE_TARGETS_MAP "xlb_probe_targets"
#define XLB_PROBE_STATS_MAP "xlb_probe_stats"

struct xlb_probe_prog;

/*
 * Loads the program with its maps bound to @pin_dir (created and pinned
 * when missing, adopted when there) and the LB's pinned xlb_config, which
 * must exist. NULL with the reason in @err.
 */
struct xlb_probe_prog *xlb_probe_open(const char *pin_dir, char *err,
				      size_t errlen);
void xlb_probe_close(struct xlb_probe_prog *p);

/*
 * Attaches the program on @ifname's egress (a clsact qdisc is added if
 * there is none), replacing an instance already there. 0 or a negative
 * errno with the reason in @err.
 */
int xlb_probe_attach(struct xlb_probe_prog *p, const char *ifname, char *err,
		     size_t errlen);
/*
 * Removes xlb's probe filter from @ifname's egress: 0, -ENOENT when there is
 * none, or a negative errno with the reason in @err. Needs no loaded
 * program: a restarted xlbd removes what an earlier one left.
 */
int xlb_probe_detach(const char *ifname, char *err, size_t errlen);
/* True when xlb's probe filter is on @ifname's egress. */
bool xlb_probe_attached(const char *ifname);

int xlb_probe_target_put(struct xlb_probe_prog *p, __u32 mark,
			 const struct xlb_probe_target *t);
/* Deletes every target whose mark @keep says no to; returns how many went. */
long xlb_probe_targets_prune(struct xlb_probe_prog *p,
			     bool (*keep)(__u32 mark, void *arg), void *arg);
/*
 * Where the kernel routes a packet to @dst (XLB_AF_*) from a socket marked
 * @mark: sets *@oif (the output interface's index) and *@local (the
 * address is this host's own: the packet never leaves). 0 or a negative
 * errno (-ENETUNREACH: no route).
 */
int xlb_probe_route(const struct xlb_addr *dst, __u8 family, __u32 mark,
		    int *oif, bool *local);
/* Packets and bytes per outcome (enum xlb_probe_stat), summed over CPUs. */
int xlb_probe_stats_read(struct xlb_probe_prog *p,
			 struct xlb_counter out[XLB_PROBE_STAT_MAX]);
/* The outcome's short name ("tx_ipip"), or NULL. */
const char *xlb_probe_stat_name(unsigned int i);

#endif /* XLB_USER_PROBE_H */
