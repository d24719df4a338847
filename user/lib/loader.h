/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds how xlb's datapath gets into the kernel and stays there:
 * the LB maps pinned under one bpffs directory (created on first use,
 * adopted afterwards, so a restarted controller finds every conntrack entry
 * where it was), and the LB program attached to NICs through libxdp's
 * dispatcher so it coexists with other XDP programs. Every function returns
 * 0 or a negative errno and writes what went wrong into @err.
 */
#ifndef XLB_USER_LOADER_H
#define XLB_USER_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "lib/lbmaps.h"
#include "lib/parse.h"

/* Mounts bpffs on /sys/fs/bpf if it is not, and creates @pin_dir. */
int xlb_bpffs_ensure(const char *pin_dir, char *err, size_t errlen);

/*
 * Opens the pinned LB maps in @pin_dir, creating and pinning any that are
 * missing (the conntrack table with @ct_entries entries; an existing one
 * keeps its size, with *@ct_pinned set to it). Fills @m with fds the caller
 * closes with xlb_maps_close().
 */
int xlb_maps_open_pinned(const char *pin_dir, __u32 ct_entries,
			 struct xlb_lb_maps *m, __u32 *ct_pinned, char *err,
			 size_t errlen);
void xlb_maps_close(struct xlb_lb_maps *m);

/*
 * Unpins every map in @pin_dir and removes the directory (what tests and
 * `make demo-down` need; a running datapath keeps its maps until detached).
 * Best effort: what cannot be removed stays.
 */
void xlb_pins_remove(const char *pin_dir);

/*
 * An older release's xlb_stats, adopted while its program still counted into
 * it, is replaced by one with room for every outcome when xlb is attached
 * again (by any process). Re-opens @m->stats if that happened; returns 1 if
 * it did, 0 if not, or a negative errno.
 */
int xlb_maps_stats_refresh(const char *pin_dir, struct xlb_lb_maps *m);

/*
 * One daemon per pin dir. @pin_dir as one file name: the path with its
 * slashes made '-' (a '-' or any byte but [A-Za-z0-9._] as %XX, so two
 * dirs never share a name), "sys-fs-bpf-xlb" for /sys/fs/bpf/xlb. Used
 * for the lock below and for xlbd's state file. Returns 0 or -ENAMETOOLONG.
 */
int xlb_pin_name(const char *pin_dir, char *out, size_t outlen);

/* Where the pin-dir locks live (bpffs holds no regular files). */
#define XLB_RUN_DIR "/run/xlb"

/*
 * Takes the lock of @pin_dir (flock on XLB_RUN_DIR/pin-NAME.lock, holding
 * the holder's pid) for as long as the returned fd stays open. Another
 * holder gets -EBUSY: "pin dir /sys/fs/bpf/xlb is in use by xlbd pid 1234".
 * Returns the fd or a negative errno. Tools that do not write the model
 * (xlb attach, status) take no lock.
 */
int xlb_pin_lock(const char *pin_dir, char *err, size_t errlen);
/* Releases the lock (and removes its file); @fd < 0 is a no-op. */
void xlb_pin_unlock(const char *pin_dir, int fd);

/* Attaches a new instance of the LB program, sharing the pinned maps. */
int xlb_attach(const char *pin_dir, __u32 ct_entries, const char *ifname,
	       enum xlb_xdp_mode mode, char *err, size_t errlen);
int xlb_detach(const char *ifname, char *err, size_t errlen);

struct xlb_attachment {
	char ifname[16];
	enum xlb_xdp_mode mode;
	__u32 prog_id;
	bool multiprog; /* through libxdp's dispatcher */
};

/*
 * Lists the interfaces xlb's program is attached to, up to @max. Returns the
 * number found or a negative errno.
 */
int xlb_attachments(struct xlb_attachment *out, int max);

#endif /* XLB_USER_LOADER_H */
