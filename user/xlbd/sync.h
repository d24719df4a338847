/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds xlbd's connection-state sync: the daemon side of the
 * peer protocol (the wire format is lib/sync_proto.h). It learns new
 * conntrack entries from the datapath's ring, walks the table every
 * sync.interval seconds for what the ring missed and to refresh the ages
 * of live flows, and sends both to every peer over UDP; it writes what the
 * peers send straight into the local conntrack map, so a standby needs no
 * step to take over. Reliability is conntrackd FT-FW's: numbered data
 * messages, ACKs, NACKs of gaps, a bounded resend queue that resends the
 * entry as it is now (read from the map), heartbeats, and a bulk resync
 * (zlib) that a node asks for when it starts or a peer comes back.
 * Everything runs on xlbd's event loop; no call blocks.
 */
#ifndef XLB_XLBD_SYNC_H
#define XLB_XLBD_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

struct xlbd;
struct xlbd_loop;
struct xlbd_sync;

/* Heartbeat period; a peer silent for XLBD_SYNC_DEAD_MS is down. */
#define XLBD_SYNC_HELLO_MS 1000
#define XLBD_SYNC_DEAD_MS 3500

/*
 * Starts the sync of @d's running config (d->running.sync, enabled): reads
 * the key file, binds the listen address, opens the learning ring and
 * registers with @loop. NULL with the reason in @err.
 */
struct xlbd_sync *xlbd_sync_new(struct xlbd_loop *loop, struct xlbd *d,
				char *err, size_t errlen);
void xlbd_sync_free(struct xlbd_sync *s);

/*
 * True once every peer that answers has sent its whole table (and peers
 * that never answered have had XLBD_SYNC_DEAD_MS to do so): what keepalived
 * or BIRD should wait for before this node takes traffic.
 */
bool xlbd_sync_synced(const struct xlbd_sync *s);

/*
 * `xlb sync status` and `xlb ha status`: role, synced, fingerprint, peers
 * (state, lag, queues, counters, fingerprint match), rejects.
 */
struct json_object *xlbd_sync_status(struct xlbd_sync *s);
/* The same for `xlb ha status`, also without sync (role "standalone"). */
struct json_object *xlbd_ha_status(struct xlbd *d);

/*
 * The metrics endpoint's extension (xlbd/metrics.h), @arg the sync: the
 * xlb_sync_* families, the "sync" part of /status.json, and /healthz's
 * readiness (not ready until synced).
 */
struct xlb_prom;
void xlbd_sync_prom(struct xlb_prom *p, void *arg);
void xlbd_sync_status_ext(struct json_object *st, void *arg);
int xlbd_sync_ready(void *arg, char *why, size_t whylen);

#endif /* XLB_XLBD_SYNC_H */
