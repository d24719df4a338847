// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "lib/addr.h"
#include "lib/conntrack.h"
#include "xlbd/apply.h"
#include "xlbd/ctl_server.h"
#include "xlbd/daemon.h"
#include "xlbd/edit.h"
#include "xlbd/health.h"
#include "xlbd/state.h"
#include "xlbd/sync.h"
#include "lib/loader.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "lib/stats.h"
#include "lib/ctl.h"
#include "lib/ctl_decode.h"
#include "lib/sync_proto.h"

struct xlbd_sample {
	struct timespec at;
	struct xlb_vip_stats vip[XLB_MAX_VIPS];
	struct xlb_counter be[XLB_MAX_BACKENDS];
};

/*
 * The model to start from: the config file's, or the state file's when it
 * holds live changes made over this very file (xlbd/state.h). Called with
 * the pin dir's lock held, so the state is not another xlbd's in flux.
 * Either way the result has passed every check that can refuse it.
 */
static int start_model(struct xlbd *d, struct xlb_cfg *cfg, char *err,
		       size_t errlen)
{
	struct xlb_cfg st;
	char msg[XLB_ERR_MAX + XLB_PATH_MAX];
	int rc = xlbd_state_load(d->config_path, d->config_hash, cfg->pin_dir,
				 &st, msg, sizeof(msg));

	if (rc < 0)
		pr_err("%s\n", msg);
	else if (msg[0])
		pr_info("%s\n", msg);
	if (rc > 0) {
		rc = xlb_apply_check(&st, NULL, err, errlen);
		if (!rc) {
			xlb_cfg_free(cfg);
			*cfg = st;
			return 0;
		}
		pr_err("state file refused: %s; starting from the config file\n",
		       err);
		xlb_cfg_free(&st);
	}
	return xlb_apply_check(cfg, NULL, err, errlen);
}

/* A sync key that cannot be used refuses the start before a map exists. */
static int sync_key_check(const struct xlb_cfg *c, char *err, size_t errlen)
{
	struct xlb_sync_keyring kr;
	int rc = xlb_sync_keys_load(c->sync.key_file, &kr, err, errlen);

	if (!rc && !xlb_sync_key_find(&kr, c->sync.key_id))
		rc = xlb_errf(err, errlen, -EINVAL,
			      "sync.key_id: %u is not in %s", c->sync.key_id,
			      c->sync.key_file);
	memset(&kr, 0, sizeof(kr));
	return rc;
}

int xlbd_start(struct xlbd *d, const char *config_path, char *err,
	       size_t errlen)
{
	return xlbd_start_health(d, config_path, NULL, err, errlen);
}

int xlbd_start_health(struct xlbd *d, const char *config_path,
		      struct xlbd_health *h, char *err, size_t errlen)
{
	struct xlb_apply_stats st = { 0 };
	struct xlb_cfg cfg;
	int rc;

	memset(d, 0, sizeof(*d));
	d->lock_fd = -1;
	xlb_cfg_init(&d->running);
	snprintf(d->config_path, sizeof(d->config_path), "%s", config_path);
	/* the content the state file is checked against, read first */
	rc = xlbd_file_hash(config_path, &d->config_hash, err, errlen);
	if (rc)
		return rc;
	rc = xlb_cfg_load(config_path, &cfg, err, errlen);
	if (rc)
		return rc;
	/*
	 * One xlbd per pin dir: two would overwrite each other's maps (and
	 * state file). Taken before a map is opened, held until xlbd_stop().
	 */
	d->lock_fd = xlb_pin_lock(cfg.pin_dir, err, errlen);
	if (d->lock_fd < 0) {
		rc = d->lock_fd;
		d->lock_fd = -1;
		xlb_cfg_free(&cfg);
		return rc;
	}
	/*
	 * Everything that can refuse the model (validation, next hop and
	 * neighbours, tables) runs before the first map is created or
	 * opened: a refused start leaves bpffs as it found it, so the next
	 * start does not adopt maps sized by a config that never ran.
	 */
	rc = start_model(d, &cfg, err, errlen);
	if (!rc && cfg.sync.enabled)
		rc = sync_key_check(&cfg, err, errlen);
	if (rc)
		goto out_cfg;
	d->prev = calloc(1, sizeof(*d->prev));
	d->cur = calloc(1, sizeof(*d->cur));
	if (!d->prev || !d->cur) {
		rc = xlb_errf(err, errlen, -ENOMEM, "out of memory");
		goto out_cfg;
	}
	rc = xlb_maps_open_pinned(cfg.pin_dir, cfg.ct_entries, &d->maps,
				  &d->ct_size, err, errlen);
	if (rc)
		goto out_cfg;
	/* xlb_vip_by_id: empty next to maps of a release without it, or a
	 * slot an xlbd wrote before it stopped short of writing its VIP;
	 * rebuilt here, under the pin dir's lock, not by every opener (an
	 * `xlb attach` racing a VIP delete could write the slot back) */
	rc = xlb_vip_by_id_sync(&d->maps);
	if (rc) {
		xlb_maps_close(&d->maps);
		xlb_errf(err, errlen, rc, "fill xlb_vip_by_id from xlb_vips in %s: %s",
			 cfg.pin_dir, strerror(-rc));
		goto out_cfg;
	}
	d->ct_adopted = d->ct_size != 0;
	if (!d->ct_adopted)
		d->ct_size = cfg.ct_entries;
	else if (d->ct_size != cfg.ct_entries)
		pr_info("conntrack.entries is %u but the pinned table has %u: "
			"keeping %u (resizing would drop every tracked flow)\n",
			cfg.ct_entries, d->ct_size, d->ct_size);
	if (h) {
		rc = xlbd_health_prepare(h, &cfg, err, errlen);
		if (rc) {
			xlb_maps_close(&d->maps);
			goto out_cfg;
		}
	} else {
		xlb_cfg_bench(&cfg);
	}
	rc = xlb_apply(&d->maps, NULL, &cfg, &st, err, errlen);
	if (rc) {
		if (h)
			xlbd_health_abort(h);
		xlb_maps_close(&d->maps);
		goto out_cfg;
	}
	if (h)
		xlbd_health_commit(h, NULL, &cfg);
	d->health = h;
	d->running = cfg;
	d->started = time(NULL);
	xlbd_sample(d);
	return 0;
out_cfg:
	xlb_pin_unlock(cfg.pin_dir, d->lock_fd);
	d->lock_fd = -1;
	xlb_cfg_free(&cfg);
	free(d->prev);
	free(d->cur);
	d->prev = d->cur = NULL;
	return rc;
}

void xlbd_stop(struct xlbd *d)
{
	if (d->started) /* a struct never started holds no lock */
		xlb_pin_unlock(d->running.pin_dir, d->lock_fd);
	xlb_maps_close(&d->maps);
	xlb_cfg_free(&d->running);
	free(d->prev);
	free(d->cur);
	free(d->census.per_be);
	free(d->counting.per_be);
	memset(d, 0, sizeof(*d));
}

int xlbd_reload(struct xlbd *d, char *err, size_t errlen)
{
	struct xlb_apply_stats st = { 0 };
	struct xlb_cfg cfg;
	int rc;

	char by[XLB_PATH_MAX + 16];
	__u64 hash;

	rc = xlbd_file_hash(d->config_path, &hash, err, errlen);
	if (!rc)
		rc = xlb_cfg_load(d->config_path, &cfg, err, errlen);
	if (rc) {
		size_t len = strlen(err);

		if (errlen > len)
			snprintf(err + len, errlen - len,
				 "; nothing was changed");
		return rc;
	}
	/*
	 * A file cut short after a valid prefix reads as no VIPs; removing
	 * every VIP is rarely meant, so the file has to say so.
	 */
	if (!cfg.nvips && d->running.nvips && !cfg.allow_empty) {
		rc = xlb_errf(err, errlen, -EINVAL,
			      "%s: vips: none, and %zu are running: a reload "
			      "that removes every VIP needs allow_empty: true "
			      "in the file (a file cut short reads as no VIPs); "
			      "nothing was changed",
			      d->config_path, d->running.nvips);
		xlb_cfg_free(&cfg);
		return rc;
	}
	/* health is not in the file: marks outlive the reload */
	xlb_edit_keep_health(&d->running, &cfg);
	snprintf(by, sizeof(by), "reload of %s", d->config_path);
	rc = xlb_edit_commit(d, &cfg, by, &st, err, errlen);
	xlb_cfg_free(&cfg);
	if (!rc) {
		/* the file is in force again: live changes are gone */
		d->config_hash = hash;
		xlbd_state_remove(d->running.pin_dir);
	}
	if (!rc)
		pr_info("reloaded %s: %zu VIPs, %zu backends, %u tables "
			"swapped, %u VIPs removed, %u backends deactivated\n",
			d->config_path, d->running.nvips,
			d->running.nbackends, st.tables_installed,
			st.vips_removed, st.backends_deactivated);
	return rc;
}

int xlbd_check(const char *path, char *out, size_t outlen)
{
	struct xlb_apply_stats st = { 0 };
	struct xlb_cfg cfg;
	size_t used;
	int rc;

	rc = xlb_cfg_load(path, &cfg, out, outlen);
	if (rc)
		return rc;
	rc = xlb_apply_check(&cfg, &st, out, outlen);
	if (rc) {
		xlb_cfg_free(&cfg);
		return rc;
	}
	/* backups take no new flows while a primary can */
	xlb_cfg_bench(&cfg);
	used = (size_t)snprintf(out, outlen,
				"%s: ok: %zu VIPs, %zu backends, pin_dir %s, "
				"conntrack %u entries\n",
				path, cfg.nvips, cfg.nbackends, cfg.pin_dir,
				cfg.ct_entries);
	for (size_t i = 0; i < cfg.nvips && used < outlen; i++) {
		const struct xlb_cfg_vip *v = &cfg.vips[i];
		const char *proto = xlb_word_name(xlb_words_proto, v->proto);
		const char *mode = xlb_word_name(xlb_words_mode, v->mode);
		char a[XLB_ADDR_STRLEN];
		size_t live = 0;

		for (size_t r = 0; r < v->nrefs; r++)
			live += xlb_cfg_ref_weight(&cfg, &v->refs[r]) > 0;
		xlb_addr_str(&v->addr, v->family, a, sizeof(a));
		used += (size_t)snprintf(
			out + used, outlen - used,
			"vip %s %s%s%s:%u/%s %s: %zu backends (%zu taking new "
			"flows), table %u slots\n",
			v->name, v->family == XLB_AF_INET6 ? "[" : "", a,
			v->family == XLB_AF_INET6 ? "]" : "", v->port,
			proto ? proto : "?", mode ? mode : "?", v->nrefs, live,
			v->table_size);
	}
	xlb_cfg_free(&cfg);
	return 0;
}

static void read_sample(struct xlbd *d, struct xlbd_sample *s);

void xlbd_ct_changed(struct xlbd *d)
{
	int rc = xlb_ct_gen_bump(&d->maps);

	if (rc)
		pr_err("conntrack: bump the flow cache generation: %s\n",
		       strerror(-rc));
}

void xlbd_sample(struct xlbd *d)
{
	struct xlbd_sample *s = d->prev;

	/* the older sample is overwritten: cur becomes prev */
	d->prev = d->cur;
	d->cur = s;
	read_sample(d, s);
}

/*
 * The VIP and backend counters, in two batch reads up to the highest id in
 * use rather than a lookup per id: cheap enough for a scrape of every VIP.
 */
static void read_sample(struct xlbd *d, struct xlbd_sample *s)
{
	__u32 nvip = 0, nbe = 0;

	clock_gettime(CLOCK_MONOTONIC, &s->at);
	for (size_t i = 0; i < d->running.nvips; i++) {
		int id = xlb_vip_id_of(&d->maps, &d->running.vips[i]);

		if (id >= 0 && (__u32)id + 1 > nvip)
			nvip = (__u32)id + 1;
	}
	for (size_t i = 0; i < d->running.nbackends; i++)
		if (d->running.backends[i].id + 1 > nbe)
			nbe = d->running.backends[i].id + 1;
	if (xlb_vip_stats_read_range(&d->maps, 0, nvip, s->vip) < 0)
		memset(s->vip, 0, sizeof(s->vip));
	if (xlb_backend_stats_read_range(&d->maps, 0, nbe, s->be) < 0)
		memset(s->be, 0, sizeof(s->be));
}

/* ---- edits: the checked request to the edit API ------------------------ */

static struct xlb_cfg_vip *vip_of(struct xlb_cfg *c, const char *name)
{
	return name ? xlb_cfg_vip_find(c, name) : NULL;
}

static struct xlb_cfg_ref *ref_of(struct xlb_cfg_vip *v, __u32 id)
{
	for (size_t r = 0; v && r < v->nrefs; r++)
		if (v->refs[r].id == id)
			return &v->refs[r];
	return NULL;
}

/* The answer to an edit: ok with what apply did, or the edit's error. */
static struct json_object *edited(int rc, const struct xlb_apply_stats *st,
				  const char *err)
{
	struct json_object *o;

	if (rc)
		return xlb_ctl_error("%s", err);
	o = xlb_ctl_ok();
	json_object_object_add(o, "tables_swapped",
			       json_object_new_int((int)st->tables_installed));
	json_object_object_add(o, "flows_flushed",
			       json_object_new_int64((int64_t)st->ct_flushed));
	json_object_object_add(o, "change", json_object_new_string(
		st->change[0] ? st->change : "nothing changed"));
	return o;
}

static struct json_object *cmd_vip_add(struct xlbd *d,
				       const struct xlbd_args *a)
{
	struct xlb_cfg_vip v = { .mode = XLB_FWD_TUNNEL,
				 .hash_fields = XLB_HASH_5TUPLE,
				 .echo = true };
	struct xlb_apply_stats st = { 0 };
	char err[XLB_ERR_MAX];
	int rc;

	/* the spec checked types and ranges; the model's validation the rest */
	snprintf(v.name, sizeof(v.name), "%s", a->name);
	v.addr = a->address.addr;
	v.family = a->address.family;
	v.port = (__u16)a->port;
	v.proto = (__u8)a->protocol;
	if (a->has_mode)
		v.mode = (__u8)a->mode;
	if (a->has_hash)
		v.hash_fields = (__u8)a->hash;
	if (a->has_echo)
		v.echo = a->echo;
	v.flags = a->has_conntrack && !a->conntrack ? XLB_VIP_F_NO_CONNTRACK : 0;
	v.table_size = a->has_table_size ? a->table_size : d->running.maglev_size;
	rc = xlb_edit_vip_add(d, &v, &st, err, sizeof(err));
	return edited(rc, &st, err);
}

static struct json_object *cmd_vip_del(struct xlbd *d,
				       const struct xlbd_args *a)
{
	struct xlb_apply_stats st = { 0 };
	char err[XLB_ERR_MAX];
	int rc = xlb_edit_vip_del(d, a->name, &st, err, sizeof(err));

	return edited(rc, &st, err);
}

static struct json_object *cmd_backend_add(struct xlbd *d,
					   const struct xlbd_args *a)
{
	struct xlb_cfg_backend nb = { .id = a->id };
	struct xlb_apply_stats st = { 0 };
	char err[XLB_ERR_MAX];
	int rc;

	if (!vip_of(&d->running, a->vip))
		return xlb_ctl_error("backend add: no VIP named %s", a->vip);
	nb.addr = a->address.addr;
	nb.family = a->address.family;
	if (a->has_mac)
		memcpy(nb.mac, a->mac, sizeof(nb.mac));
	nb.has_mac = a->has_mac;
	rc = xlb_edit_backend_add(d, a->vip, &nb, a->has_address,
				  a->has_weight ? a->weight : 1,
				  a->has_backup && a->backup, &st, err,
				  sizeof(err));
	return edited(rc, &st, err);
}

static struct json_object *cmd_backend_del(struct xlbd *d,
					   const struct xlbd_args *a)
{
	struct xlb_apply_stats st = { 0 };
	char err[XLB_ERR_MAX];
	int rc = xlb_edit_backend_del(d, a->vip, a->id, &st, err, sizeof(err));

	return edited(rc, &st, err);
}

/* weight, drain, undrain: the answer adds the weight now in the table. */
static struct json_object *weight_edited(struct xlbd *d, int rc,
					 const struct xlb_apply_stats *st,
					 const char *err, const char *vip,
					 __u32 id)
{
	struct json_object *o = edited(rc, st, err);
	const struct xlb_cfg_ref *r;

	if (rc)
		return o;
	r = ref_of(vip_of(&d->running, vip), id);
	json_object_object_add(o, "weight", json_object_new_int64(
		r ? xlb_cfg_ref_weight(&d->running, r) : 0));
	return o;
}

static struct json_object *cmd_backend_weight(struct xlbd *d,
					      const struct xlbd_args *a)
{
	struct xlb_apply_stats st = { 0 };
	char err[XLB_ERR_MAX];
	int rc = xlb_edit_backend_weight(d, a->vip, a->id, a->weight, &st, err,
					 sizeof(err));

	return weight_edited(d, rc, &st, err, a->vip, a->id);
}

static struct json_object *cmd_backend_drain(struct xlbd *d,
					     const struct xlbd_args *a)
{
	struct xlb_apply_stats st = { 0 };
	char err[XLB_ERR_MAX];
	int rc = xlb_edit_backend_drain(d, a->vip, a->id, &st, err, sizeof(err));

	return weight_edited(d, rc, &st, err, a->vip, a->id);
}

static struct json_object *cmd_backend_undrain(struct xlbd *d,
					       const struct xlbd_args *a)
{
	struct xlb_apply_stats st = { 0 };
	char err[XLB_ERR_MAX];
	int rc = xlb_edit_backend_undrain(d, a->vip, a->id, &st, err,
					  sizeof(err));

	return weight_edited(d, rc, &st, err, a->vip, a->id);
}

static struct json_object *cmd_backend_maint_set(struct xlbd *d,
						 const struct xlbd_args *a,
						 bool maint)
{
	struct xlb_apply_stats st = { 0 };
	char err[XLB_ERR_MAX];
	int rc = xlb_edit_backend_maint(d, a->vip, a->id, maint, &st, err,
					sizeof(err));

	return weight_edited(d, rc, &st, err, a->vip, a->id);
}

static struct json_object *cmd_backend_maint(struct xlbd *d,
					     const struct xlbd_args *a)
{
	return cmd_backend_maint_set(d, a, true);
}

static struct json_object *cmd_backend_unmaint(struct xlbd *d,
					       const struct xlbd_args *a)
{
	return cmd_backend_maint_set(d, a, false);
}

static struct json_object *cmd_backend_health(struct xlbd *d,
					      const struct xlbd_args *a,
					      bool up)
{
	struct xlb_apply_stats st = { 0 };
	char err[XLB_ERR_MAX];
	int rc = xlb_edit_backend_health(d, a->id, up, &st, err, sizeof(err));

	return edited(rc, &st, err);
}

static struct json_object *cmd_backend_up(struct xlbd *d,
					  const struct xlbd_args *a)
{
	return cmd_backend_health(d, a, true);
}

static struct json_object *cmd_backend_down(struct xlbd *d,
					    const struct xlbd_args *a)
{
	return cmd_backend_health(d, a, false);
}

/* ---- read-only views ---------------------------------------------------- */

static struct json_object *addr_json(const struct xlb_addr *a, __u8 family)
{
	char buf[XLB_ADDR_STRLEN];

	return json_object_new_string(xlb_addr_str(a, family, buf, sizeof(buf)));
}

static void add_int(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

/*
 * A reference's weights: "weight" is what the table uses (0 while drained
 * or down, as before drain was a flag), "configured_weight" what undrain
 * and up restore.
 */
static void ref_json(struct json_object *o, const struct xlb_cfg *c,
		     const struct xlb_cfg_ref *r)
{
	add_int(o, "weight", xlb_cfg_ref_weight(c, r));
	add_int(o, "configured_weight", r->weight);
	json_object_object_add(o, "drained", json_object_new_boolean(r->drained));
	json_object_object_add(o, "maint", json_object_new_boolean(r->maint));
	/* a backup stands by (benched) while a primary can take flows */
	json_object_object_add(o, "backup", json_object_new_boolean(r->backup));
	if (r->backup)
		json_object_object_add(o, "benched",
				       json_object_new_boolean(r->benched));
	/* the admin state in force: the file's (or CLI's) and the agent's */
	json_object_object_add(o, "admin", json_object_new_string(xlb_admin_name(
		xlb_cfg_ref_admin(r))));
	if (r->agent_admin != XLB_ADMIN_READY || r->agent_pct_set) {
		struct json_object *ag = json_object_new_object();

		json_object_object_add(ag, "admin", json_object_new_string(
			xlb_admin_name(r->agent_admin)));
		if (r->agent_pct_set)
			add_int(ag, "weight_pct", r->agent_pct);
		json_object_object_add(o, "agent", ag);
	}
	/* a slow start: the share of "weight" the table gives it now */
	if (r->ramp_start) {
		struct timespec now;
		__u64 ms, end = r->ramp_start + r->ramp_ms;

		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (__u64)now.tv_sec * 1000 + (__u64)now.tv_nsec / 1000000;
		add_int(o, "slowstart_pct", r->ramp_pct);
		add_int(o, "slowstart_left_ms",
			(int64_t)(end > ms ? end - ms : 0));
	}
}

static struct json_object *vip_json(struct xlbd *d, const struct xlb_cfg_vip *v)
{
	struct json_object *o = json_object_new_object();
	struct json_object *bes = json_object_new_array();

	json_object_object_add(o, "name", json_object_new_string(v->name));
	add_int(o, "id", xlb_vip_id_of(&d->maps, v));
	json_object_object_add(o, "address", addr_json(&v->addr, v->family));
	add_int(o, "port", v->port);
	json_object_object_add(o, "protocol",
			       json_object_new_string(xlb_proto_name(v->proto)));
	json_object_object_add(o, "mode",
			       json_object_new_string(xlb_mode_name(v->mode)));
	json_object_object_add(o, "hash",
			       json_object_new_string(xlb_hash_name(v->hash_fields)));
	json_object_object_add(o, "conntrack",
			       json_object_new_boolean(!(v->flags &
							 XLB_VIP_F_NO_CONNTRACK)));
	json_object_object_add(o, "echo", json_object_new_boolean(v->echo));
	add_int(o, "table_size", v->table_size);
	for (size_t r = 0; r < v->nrefs; r++) {
		const struct xlb_cfg_backend *b =
			xlb_cfg_backend_find(&d->running, v->refs[r].id);
		struct json_object *bo = json_object_new_object();

		add_int(bo, "id", v->refs[r].id);
		if (b)
			json_object_object_add(bo, "address",
					       addr_json(&b->addr, b->family));
		json_object_object_add(bo, "health", json_object_new_string(
			b && b->down ? "down" : "up"));
		ref_json(bo, &d->running, &v->refs[r]);
		json_object_array_add(bes, bo);
	}
	json_object_object_add(o, "backends", bes);
	return o;
}

static struct json_object *cmd_vip_list(struct xlbd *d)
{
	struct json_object *o = xlb_ctl_ok(), *a = json_object_new_array();

	for (size_t i = 0; i < d->running.nvips; i++)
		json_object_array_add(a, vip_json(d, &d->running.vips[i]));
	json_object_object_add(o, "vips", a);
	return o;
}

/* The timeouts in force, as the datapath applies them. */
static struct xlb_ct_ages ct_ages(const struct xlbd *d)
{
	return (struct xlb_ct_ages){ .tcp = d->running.ct_timeout_tcp,
				     .tcp_fin = d->running.ct_timeout_tcp_fin,
				     .udp = d->running.ct_timeout_udp };
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct census_arg {
	struct xlbd_ct_census *c;
	const struct xlb_ct_ages *ages;
	__u64 now;
};

static int census_one(const struct xlb_flow *k, const struct xlb_ct_entry *e,
		      void *arg)
{
	struct census_arg *a = arg;
	enum xlb_ct_state st = xlb_ct_state_of(k, e, a->ages, a->now);
	int closing = st == XLB_CT_CLOSING;

	if (st == XLB_CT_EXPIRED)
		return 0;
	a->c->n[closing]++;
	if (e->backend_id < XLB_MAX_BACKENDS)
		a->c->per_be[e->backend_id][closing]++;
	return 0;
}

long xlbd_ct_reap(struct xlbd *d)
{
	struct xlb_ct_ages a = ct_ages(d);
	struct xlb_ct_filter del = XLB_CT_ALL;
	struct census_arg arg = { .c = &d->counting, .ages = &a };
	__u32(*swap)[2];
	double t0 = mono_s(), t1;
	long gone = 0;
	int rc;

	if (!d->census.per_be) {
		d->census.per_be = calloc(XLB_MAX_BACKENDS, sizeof(*d->census.per_be));
		d->counting.per_be = calloc(XLB_MAX_BACKENDS,
					    sizeof(*d->counting.per_be));
		if (!d->census.per_be || !d->counting.per_be) {
			free(d->census.per_be);
			free(d->counting.per_be);
			d->census.per_be = d->counting.per_be = NULL;
			return -ENOMEM;
		}
	}
	if (!d->ct_cursor.started) {
		if (d->pass_started &&
		    t0 - d->pass_started < XLBD_CT_PASS_MIN_MS / 1000.0)
			return 0;
		d->pass_started = t0;
	}
	arg.now = xlb_ct_now();
	del.ages = &a;
	del.now_ns = arg.now;
	del.expired = true;
	rc = xlb_ct_step(d->maps.conntrack, &d->ct_cursor, XLBD_CT_REAP_BUDGET,
			 &del, census_one, &arg, &gone);
	if (rc == -EOPNOTSUPP) {
		/* no batch ops for the map: the whole table in one go */
		rc = xlb_ct_walk(d->maps.conntrack, NULL, 0, census_one, &arg);
		if (rc >= 0) {
			long n = xlb_ct_flush(d->maps.conntrack, &del, 0);

			gone = n > 0 ? n : 0;
			rc = n < 0 ? (int)n : 1;
		}
	}
	if (gone > 0)
		xlbd_ct_changed(d);
	t1 = mono_s();
	d->counting.pass_s += t1 - t0;
	if (rc == 1) {
		/* a pass is complete: it becomes what everyone reports */
		swap = d->census.per_be;
		d->census = d->counting;
		d->census.valid = true;
		d->census.at = (double)time(NULL);
		memset(swap, 0, sizeof(*swap) * XLB_MAX_BACKENDS);
		memset(&d->counting, 0, sizeof(d->counting));
		d->counting.per_be = swap;
	}
	if (gone > 0)
		pr_debug("conntrack: %ld idle entries expired\n", gone);
	return rc < 0 ? rc : gone;
}

static const char *const ct_state_names[] = {
	[XLB_CT_ACTIVE] = "active",
	[XLB_CT_CLOSING] = "closing",
	[XLB_CT_EXPIRED] = "expired",
};

/* Live entries per backend id, by state (one walk for every backend). */
struct ct_per_backend {
	const struct xlb_ct_ages *ages;
	__u64 now;
	__u32 (*n)[2]; /* [id][0 active, 1 closing] */
};

static int ct_count_backend(const struct xlb_flow *k,
			    const struct xlb_ct_entry *e, void *arg)
{
	struct ct_per_backend *c = arg;
	enum xlb_ct_state st = xlb_ct_state_of(k, e, c->ages, c->now);

	if (st != XLB_CT_EXPIRED && e->backend_id < XLB_MAX_BACKENDS)
		c->n[e->backend_id][st == XLB_CT_CLOSING]++;
	return 0;
}

/*
 * backend.list's answer from the walk's counts: the model as it is when
 * the walk ends (a reload may have come between its slices).
 */
static struct json_object *backend_list_json(struct xlbd *d, const char *vip,
					     __u32 (*n)[2])
{
	const struct xlb_cfg_vip *v = vip ? vip_of(&d->running, vip) : NULL;
	struct json_object *o, *a;

	if (vip && !v)
		return xlb_ctl_error("backend list: no VIP named %s", vip);
	o = xlb_ctl_ok();
	a = json_object_new_array();
	for (size_t i = 0; i < d->running.nbackends; i++) {
		const struct xlb_cfg_backend *b = &d->running.backends[i];
		const struct xlbd_check *ck;
		struct json_object *bo, *vs;

		if (v && !ref_of((struct xlb_cfg_vip *)v, b->id))
			continue;
		bo = json_object_new_object();
		vs = json_object_new_array();
		add_int(bo, "id", b->id);
		json_object_object_add(bo, "address",
				       addr_json(&b->addr, b->family));
		json_object_object_add(bo, "health", json_object_new_string(
			b->down ? "down" : "up"));
		/* like ipvsadm's ActiveConn / InActConn, over every VIP */
		add_int(bo, "active_conns", n[b->id][0]);
		add_int(bo, "inactive_conns", n[b->id][1]);
		for (size_t j = 0; j < d->running.nvips; j++) {
			struct xlb_cfg_ref *r =
				ref_of(&d->running.vips[j], b->id);
			struct json_object *vo;

			if (!r)
				continue;
			vo = json_object_new_object();
			json_object_object_add(
				vo, "vip",
				json_object_new_string(d->running.vips[j].name));
			ref_json(vo, &d->running, r);
			/* health in this VIP: what the table uses, and why */
			json_object_object_add(vo, "health", json_object_new_string(
				r->down ? "down" : "up"));
			ck = xlbd_health_find(d->health, d->running.vips[j].name,
					      b->id);
			if (ck)
				json_object_object_add(vo, "check",
						       xlbd_check_json(ck));
			json_object_array_add(vs, vo);
		}
		json_object_object_add(bo, "vips", vs);
		json_object_array_add(a, bo);
	}
	json_object_object_add(o, "backends", a);
	return o;
}

static double secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static double rate(__u64 now, __u64 then, double dt)
{
	return dt > 0 && now >= then ? (double)(now - then) / dt : 0;
}

static struct json_object *cmd_stats(struct xlbd *d)
{
	struct json_object *o = xlb_ctl_ok(), *g = json_object_new_object();
	struct json_object *vs = json_object_new_array();
	struct json_object *bs = json_object_new_array();
	struct json_object *outs = json_object_new_array();
	struct xlbd_sample *now = calloc(1, sizeof(*now));
	double dt = secs(&d->prev->at, &d->cur->at);
	struct xlb_counter ctr[XLB_STAT_MAX];
	int n;

	/* xlb_stats may have been replaced by an attach since we opened it */
	xlb_maps_stats_refresh(d->running.pin_dir, &d->maps);
	n = xlb_stats_read_all(&d->maps, ctr);
	/* an older release's map lacks the newer outcomes: not listed */
	for (int i = 0; i < n; i++) {
		const struct xlb_stat_desc *sd = &xlb_stat_descs[i];
		struct json_object *so = json_object_new_object();

		add_int(g, sd->name, (int64_t)ctr[i].packets);
		json_object_object_add(so, "name",
				       json_object_new_string(sd->name));
		json_object_object_add(so, "verdict", json_object_new_string(
			xlb_verdict_class_name(sd->verdict)));
		add_int(so, "packets", (int64_t)ctr[i].packets);
		add_int(so, "bytes", (int64_t)ctr[i].bytes);
		json_object_object_add(so, "help",
				       json_object_new_string(sd->help));
		json_object_array_add(outs, so);
	}
	json_object_object_add(o, "counters", g);
	json_object_object_add(o, "outcomes", outs);
	json_object_object_add(o, "rate_interval_s", json_object_new_double(dt));
	if (now)
		read_sample(d, now);
	for (size_t i = 0; i < d->running.nvips; i++) {
		const struct xlb_cfg_vip *v = &d->running.vips[i];
		int id = xlb_vip_id_of(&d->maps, v);
		struct xlb_vip_stats *n, *p, *c;
		struct json_object *vo;

		if (id < 0)
			continue;
		n = now ? &now->vip[id] : &d->cur->vip[id];
		p = &d->prev->vip[id];
		c = &d->cur->vip[id];
		vo = json_object_new_object();
		json_object_object_add(vo, "name", json_object_new_string(v->name));
		add_int(vo, "packets", (int64_t)n->packets);
		add_int(vo, "bytes", (int64_t)n->bytes);
		add_int(vo, "new_flows", (int64_t)n->new_flows);
		json_object_object_add(vo, "pps", json_object_new_double(
			rate(c->packets, p->packets, dt)));
		json_object_object_add(vo, "bps", json_object_new_double(
			8 * rate(c->bytes, p->bytes, dt)));
		json_object_object_add(vo, "new_flows_ps", json_object_new_double(
			rate(c->new_flows, p->new_flows, dt)));
		json_object_array_add(vs, vo);
	}
	for (size_t i = 0; i < d->running.nbackends; i++) {
		const struct xlb_cfg_backend *b = &d->running.backends[i];
		struct xlb_counter *p = &d->prev->be[b->id],
				   *c = &d->cur->be[b->id],
				   *n = now ? &now->be[b->id] : c;
		struct json_object *bo = json_object_new_object();

		add_int(bo, "id", b->id);
		json_object_object_add(bo, "address",
				       addr_json(&b->addr, b->family));
		add_int(bo, "packets", (int64_t)n->packets);
		add_int(bo, "bytes", (int64_t)n->bytes);
		json_object_object_add(bo, "pps", json_object_new_double(
			rate(c->packets, p->packets, dt)));
		json_object_object_add(bo, "bps", json_object_new_double(
			8 * rate(c->bytes, p->bytes, dt)));
		json_object_array_add(bs, bo);
	}
	json_object_object_add(o, "vips", vs);
	json_object_object_add(o, "backends", bs);
	free(now);
	return o;
}

/* -1 for every VIP, the VIP's id, or -2 (error reply set) when unknown. */
static long vip_filter(struct xlbd *d, const struct xlbd_args *a,
		       struct json_object **err)
{
	const char *vip = a->vip;
	const struct xlb_cfg_vip *v;
	int id;

	if (!vip)
		return -1;
	v = vip_of(&d->running, vip);
	id = v ? xlb_vip_id_of(&d->maps, v) : -1;
	if (id < 0) {
		*err = xlb_ctl_error("conntrack: no VIP named %s", vip);
		return -2;
	}
	return id;
}

static const struct xlb_cfg_vip *vip_by_id(struct xlbd *d, __u32 id)
{
	for (size_t i = 0; i < d->running.nvips; i++)
		if (xlb_vip_id_of(&d->maps, &d->running.vips[i]) == (int)id)
			return &d->running.vips[i];
	return NULL;
}

struct ct_list {
	struct xlbd *d;
	struct json_object *a;
	__u32 limit, n;
	/* a page (conntrack.list with "after"): whole batches, so the
	 * next page starts where this one's walk stopped */
	bool paged;
	__u64 now;
	const struct xlb_ct_ages *ages;
};

static int ct_list_one(const struct xlb_flow *k, const struct xlb_ct_entry *e,
		       void *arg)
{
	struct ct_list *l = arg;
	const struct xlb_cfg_vip *v;
	struct json_object *eo;

	if (l->n >= l->limit && !l->paged)
		return 1;
	v = vip_by_id(l->d, e->vip_id);
	eo = json_object_new_object();
	json_object_object_add(eo, "client", addr_json(&k->src, k->family));
	add_int(eo, "client_port", ntohs(k->sport));
	json_object_object_add(eo, "vip_address", addr_json(&k->dst, k->family));
	add_int(eo, "vip_port", ntohs(k->dport));
	json_object_object_add(eo, "protocol",
			       json_object_new_string(xlb_proto_name(k->proto)));
	json_object_object_add(eo, "vip",
			       json_object_new_string(v ? v->name : "?"));
	add_int(eo, "backend", e->backend_id);
	json_object_object_add(eo, "state", json_object_new_string(
		ct_state_names[xlb_ct_state_of(k, e, l->ages, l->now)]));
	json_object_object_add(eo, "idle_s", json_object_new_double(
		l->now > e->last_seen_ns ?
			(double)(l->now - e->last_seen_ns) / 1e9 : 0));
	json_object_array_add(l->a, eo);
	l->n++;
	return 0;
}

/*
 * A control request's walk of the conntrack table: backend.list,
 * conntrack.count, .list and .flush. Under the control server it goes a
 * slice of XLBD_CT_WALK_BUDGET entries per loop turn with its own cursor
 * (several run at once, beside the reaper's), so a table of millions holds
 * no other event for more than a slice. What it counts is the table as the
 * walk met it: entries the datapath adds or the LRU evicts meanwhile may
 * or may not be in it, none twice. It holds no pointer into the model: a
 * reload between slices is fine.
 */
enum ct_walk_kind { CTW_BACKENDS, CTW_COUNT, CTW_LIST, CTW_FLUSH };

struct ct_walk {
	struct xlbd *d;
	enum ct_walk_kind kind;
	struct xlb_ct_cursor cur;
	struct xlb_ct_ages ages;
	struct xlb_ct_filter f; /* count, list, flush */
	char vip[XLB_NAME_MAX]; /* backend.list's VIP; "": the pool */
	long n; /* counted, or flushed */
	struct ct_per_backend pb; /* backend.list */
	struct ct_list l; /* conntrack.list */
};

/* A walk of @kind over @vip's entries (XLB_CT_ANY_VIP: all) to @backend
 * (0: any). */
static struct ct_walk *ct_walk_new(struct xlbd *d, enum ct_walk_kind kind,
				   long vip, __u32 backend)
{
	struct ct_walk *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->d = d;
	w->kind = kind;
	w->ages = ct_ages(d);
	w->f = XLB_CT_ALL;
	w->f.vip_id = (int)vip;
	w->f.backend_id = backend;
	w->f.now_ns = xlb_ct_now();
	/* a count or a list is of live flows: expired ones are dead */
	if (kind == CTW_COUNT || kind == CTW_LIST)
		w->f.ages = &w->ages;
	w->pb.ages = &w->ages;
	w->pb.now = w->f.now_ns;
	w->l.d = d;
	w->l.ages = &w->ages;
	w->l.now = w->f.now_ns;
	return w;
}

static void ct_walk_free(void *arg)
{
	struct ct_walk *w = arg;

	json_object_put(w->l.a);
	free(w->pb.n);
	free(w);
}

/* xlb_ct_step() shows every entry; the filter is applied here. */
static int ct_walk_one(const struct xlb_flow *k, const struct xlb_ct_entry *e,
		       void *arg)
{
	struct ct_walk *w = arg;

	switch (w->kind) {
	case CTW_BACKENDS:
		return ct_count_backend(k, e, &w->pb);
	case CTW_COUNT:
		if (xlb_ct_match(&w->f, k, e))
			w->n++;
		return 0;
	case CTW_LIST:
		return xlb_ct_match(&w->f, k, e) ? ct_list_one(k, e, &w->l) : 0;
	default:
		return 0;
	}
}

/* One slice: 1 when the walk is done, 0 when entries remain, or -errno. */
static int ct_walk_slice(struct ct_walk *w)
{
	int fd = w->d->maps.conntrack;
	bool flush = w->kind == CTW_FLUSH, first = !w->cur.started;
	unsigned int walks = w->d->ctl ? xlbd_ctl_pending(w->d->ctl) : 0,
		     budget;
	long before = w->n;
	int rc;

	if (w->kind == CTW_LIST && w->l.n >= w->l.limit)
		return 1;
	/* the walks under way share a turn's budget: a turn costs the same
	 * however many run (a batch each at least) */
	budget = walks > 1 ? XLBD_CT_WALK_BUDGET / walks : XLBD_CT_WALK_BUDGET;
	/* a page stops at the first batch end past its limit: it reads at
	 * least as many entries as it still lacks, then whole batches */
	if (w->kind == CTW_LIST && w->l.paged &&
	    w->l.limit - w->l.n < budget)
		budget = w->l.limit - w->l.n;
	rc = xlb_ct_step(fd, &w->cur, budget, flush ? &w->f : NULL,
			 flush ? NULL : ct_walk_one, w, flush ? &w->n : NULL);
	if (flush && w->n > before)
		xlbd_ct_changed(w->d); /* this step deleted entries */
	if (rc == -EOPNOTSUPP && first) {
		/* no batch ops for the map: the whole table in one go */
		if (flush) {
			long n = xlb_ct_flush(fd, &w->f, 0);

			w->n = n > 0 ? n : 0;
			if (w->n)
				xlbd_ct_changed(w->d);
			return n < 0 ? (int)n : 1;
		}
		rc = xlb_ct_walk(fd, NULL, 0, ct_walk_one, w);
		return rc < 0 ? rc : 1;
	}
	if (!rc && w->kind == CTW_LIST && w->l.n >= w->l.limit)
		rc = 1;
	return rc;
}

/* The answer of a walk that ended with @rc (1, or a negative errno). */
static struct json_object *ct_walk_answer(struct ct_walk *w, int rc)
{
	const char *what = w->kind == CTW_FLUSH ? "flush" : "count";
	struct json_object *o;

	switch (w->kind) {
	case CTW_BACKENDS:
		if (rc < 0)
			return xlb_ctl_error("backend list: conntrack: %s",
					     strerror(-rc));
		return backend_list_json(w->d, w->vip[0] ? w->vip : NULL,
					 w->pb.n);
	case CTW_LIST:
		if (rc < 0)
			return xlb_ctl_error("conntrack list: %s",
					     strerror(-rc));
		o = xlb_ctl_ok();
		json_object_object_add(o, "entries", w->l.a);
		w->l.a = NULL;
		/* a page that stopped before the table's end: where the next
		 * one starts (a bucket position, stable under deletes) */
		if (w->l.paged && w->cur.started)
			json_object_object_add(
				o, "next", json_object_new_int64((int64_t)w->cur.token));
		return o;
	default:
		if (rc < 0)
			return xlb_ctl_error("conntrack %s: %s", what,
					     strerror(-rc));
		o = xlb_ctl_ok();
		add_int(o, w->kind == CTW_FLUSH ? "flushed" : "count", w->n);
		add_int(o, "capacity", w->d->ct_size);
		return o;
	}
}

/* The control server's slice: NULL while entries remain. */
static struct json_object *ct_walk_step(void *arg)
{
	struct ct_walk *w = arg;
	int rc = ct_walk_slice(w);
	struct json_object *o;

	if (!rc)
		return NULL;
	o = ct_walk_answer(w, rc);
	if (rc < 0)
		pr_info("conntrack walk: %s\n",
			json_object_get_string(
				json_object_object_get(o, "error")));
	ct_walk_free(w);
	return o;
}

/*
 * Runs @w (taken): later, a slice per loop turn, under the control server
 * (NULL returned), else whole now. A flush runs to its end even if its
 * client leaves, like any change.
 */
static struct json_object *ct_walk_run(struct ct_walk *w)
{
	struct json_object *o;
	int rc;

	if (w->d->ctl &&
	    xlbd_ctl_defer(w->d->ctl, ct_walk_step, ct_walk_free, w,
			   w->kind == CTW_FLUSH ? XLBD_CTL_FINISH : 0))
		return NULL;
	while (!(rc = ct_walk_slice(w)))
		;
	o = ct_walk_answer(w, rc);
	ct_walk_free(w);
	return o;
}

static struct json_object *cmd_ct_list(struct xlbd *d,
				       const struct xlbd_args *a, long vip)
{
	struct ct_walk *w = ct_walk_new(d, CTW_LIST, vip,
					a->has_backend ? a->backend : 0);

	if (w)
		w->l.a = json_object_new_array();
	if (!w || !w->l.a) {
		free(w);
		return xlb_ctl_error("conntrack list: %s", strerror(ENOMEM));
	}
	w->l.limit = a->has_limit ? a->limit : 100;
	if (a->has_after) {
		w->l.paged = true;
		w->cur.started = true;
		w->cur.token = a->after;
	}
	return ct_walk_run(w);
}

static struct json_object *cmd_conntrack(struct xlbd *d,
					 const struct xlbd_args *a,
					 const char *what)
{
	struct json_object *err = NULL;
	long vip = vip_filter(d, a, &err);
	struct ct_walk *w;

	if (vip == -2)
		return err;
	if (!strcmp(what, "list"))
		return cmd_ct_list(d, a, vip);
	w = ct_walk_new(d, strcmp(what, "flush") ? CTW_COUNT : CTW_FLUSH, vip,
			a->has_backend ? a->backend : 0);
	if (!w)
		return xlb_ctl_error("conntrack %s: %s", what,
				     strerror(ENOMEM));
	return ct_walk_run(w);
}

static struct json_object *cmd_backend_list(struct xlbd *d,
					    const struct xlbd_args *args)
{
	const char *vip = args->vip;
	struct ct_walk *w;

	if (vip && !vip_of(&d->running, vip))
		return xlb_ctl_error("backend list: no VIP named %s", vip);
	w = ct_walk_new(d, CTW_BACKENDS, XLB_CT_ANY_VIP, 0);
	if (w)
		w->pb.n = calloc(XLB_MAX_BACKENDS, sizeof(*w->pb.n));
	if (!w || !w->pb.n) {
		free(w);
		return xlb_ctl_error("backend list: %s", strerror(ENOMEM));
	}
	if (vip)
		snprintf(w->vip, sizeof(w->vip), "%s", vip);
	return ct_walk_run(w);
}

static struct json_object *cmd_maglev_show(struct xlbd *d,
					   const struct xlbd_args *args)
{
	const char *vip = args->vip;
	const struct xlb_cfg_vip *v = vip_of(&d->running, vip);
	struct json_object *o, *a;
	__u32 size = 0, *table = NULL, *slots;
	__u64 total = 0;
	int id, rc;

	if (!v)
		return xlb_ctl_error("maglev show: no VIP named %s",
				     vip ? vip : "(none)");
	id = xlb_vip_id_of(&d->maps, v);
	/* read what the datapath really uses, not what we meant to install */
	rc = id < 0 ? -ENOENT : xlb_table_read(&d->maps, (__u32)id, &table,
					       &size);
	if (rc == -ENOENT)
		return xlb_ctl_error("maglev show %s: no table installed", vip);
	if (rc)
		return xlb_ctl_error("maglev show %s: read table: %s", vip,
				     strerror(-rc));
	slots = calloc(XLB_MAX_BACKENDS, sizeof(*slots));
	if (!slots) {
		free(table);
		return xlb_ctl_error("out of memory");
	}
	for (__u32 i = 0; i < size; i++)
		if (table[i] < XLB_MAX_BACKENDS)
			slots[table[i]]++;
	free(table);
	/* the table's weights: a slow start's share is in the ideal */
	for (size_t r = 0; r < v->nrefs; r++)
		total += xlb_cfg_ref_table_weight(&d->running, &v->refs[r]);
	o = xlb_ctl_ok();
	json_object_object_add(o, "vip", json_object_new_string(v->name));
	add_int(o, "size", size);
	add_int(o, "empty", slots[0]);
	a = json_object_new_array();
	for (size_t r = 0; r < v->nrefs; r++) {
		struct json_object *bo = json_object_new_object();
		__u32 bid = v->refs[r].id;
		__u32 w = xlb_cfg_ref_weight(&d->running, &v->refs[r]);
		__u32 tw = xlb_cfg_ref_table_weight(&d->running, &v->refs[r]);

		add_int(bo, "id", bid);
		add_int(bo, "weight", w);
		if (v->refs[r].ramp_start)
			add_int(bo, "slowstart_pct", v->refs[r].ramp_pct);
		add_int(bo, "slots", slots[bid]);
		json_object_object_add(bo, "share", json_object_new_double(
			(double)slots[bid] / size));
		json_object_object_add(bo, "ideal", json_object_new_double(
			total ? (double)tw / (double)total : 0));
		json_object_array_add(a, bo);
	}
	json_object_object_add(o, "backends", a);
	free(slots);
	return o;
}

static struct json_object *cmd_config_dump(struct xlbd *d)
{
	struct json_object *o;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f)
		return xlb_ctl_error("out of memory");
	rc = xlb_cfg_write(&d->running, f);
	fclose(f);
	if (rc) {
		free(buf);
		return xlb_ctl_error("config dump: %s", strerror(-rc));
	}
	o = xlb_ctl_ok();
	json_object_object_add(o, "config", json_object_new_string(buf));
	free(buf);
	return o;
}

static struct json_object *cmd_status(struct xlbd *d)
{
	struct json_object *o = xlb_ctl_ok(), *a = json_object_new_array();
	struct xlb_attachment at[64];
	int n = xlb_attachments(at, 64);

	json_object_object_add(o, "config_path",
			       json_object_new_string(d->config_path));
	json_object_object_add(o, "pin_dir",
			       json_object_new_string(d->running.pin_dir));
	add_int(o, "pid", getpid());
	add_int(o, "uptime_s", time(NULL) - d->started);
	add_int(o, "vips", (int64_t)d->running.nvips);
	add_int(o, "backends", (int64_t)d->running.nbackends);
	add_int(o, "conntrack_capacity", d->ct_size);
	{
		struct xlbd_health_totals t;

		xlbd_health_counts(d->health, &t);
		add_int(o, "health_checks", (int64_t)t.checks);
		add_int(o, "health_checks_up", (int64_t)t.up);
		add_int(o, "health_transitions", (int64_t)t.transitions);
		add_int(o, "health_probes", (int64_t)t.probes);
		add_int(o, "health_failures", (int64_t)t.failures);
		add_int(o, "health_commits", (int64_t)t.commits);
		json_object_object_add(o, "health_commit_s",
				       json_object_new_double(t.commit_s));
		json_object_object_add(o, "health_pending",
				       json_object_new_boolean(t.pending));
		json_object_object_add(o, "health_tcp_probe",
				       t.tcp_probe ?
					       json_object_new_string(t.tcp_probe) :
					       NULL);
		add_int(o, "health_tcp_answers_dropped",
			(int64_t)t.tcp_answers_dropped);
	}
	json_object_object_add(o, "conntrack_adopted",
			       json_object_new_boolean(d->ct_adopted));
	for (int i = 0; i < n; i++) {
		struct json_object *ao = json_object_new_object();

		json_object_object_add(ao, "interface",
				       json_object_new_string(at[i].ifname));
		json_object_object_add(ao, "mode", json_object_new_string(
			xlb_xdp_mode_str(at[i].mode)));
		add_int(ao, "prog_id", at[i].prog_id);
		json_object_object_add(ao, "multiprog",
				       json_object_new_boolean(at[i].multiprog));
		json_object_array_add(a, ao);
	}
	json_object_object_add(o, "attached", a);
	return o;
}

static struct json_object *cmd_reload(struct xlbd *d,
				      const struct xlbd_args *a)
{
	char err[XLB_ERR_MAX];

	(void)a;
	if (xlbd_reload(d, err, sizeof(err)))
		return xlb_ctl_error("reload: %s; the running config stays", err);
	return xlb_ctl_ok();
}

/*
 * Writes the running model to the config file (or a file named in the
 * request) atomically. Saved to the config file, the state file has nothing
 * the file lacks: it goes, and the file's new content is what a later
 * state would be checked against.
 */
static struct json_object *cmd_config_save(struct xlbd *d,
					   const struct xlbd_args *a)
{
	const char *file = a->has_file ? a->file : d->config_path;
	char err[XLB_ERR_MAX], rp[PATH_MAX], cp[PATH_MAX];
	struct json_object *o;
	bool is_config;

	if (file[0] != '/')
		return xlb_ctl_error("config.save: file: %s is not an absolute "
				     "path (xlbd's working directory is not "
				     "the client's)", file);
	if (xlbd_cfg_write_atomic(&d->running, file, NULL, err, sizeof(err)))
		return xlb_ctl_error("config save: %s; nothing was written",
				     err);
	is_config = realpath(file, rp) && realpath(d->config_path, cp) &&
		    !strcmp(rp, cp);
	if (is_config) {
		if (xlbd_file_hash(d->config_path, &d->config_hash, err,
				   sizeof(err)))
			pr_err("config save: %s\n", err);
		xlbd_state_remove(d->running.pin_dir);
	}
	pr_info("config saved to %s (by control socket)\n", file);
	o = xlb_ctl_ok();
	json_object_object_add(o, "file", json_object_new_string(file));
	return o;
}

/* Commands that read nothing of the request. */
#define NOARGS(fn)                                                      \
	static struct json_object *fn##_rq(struct xlbd *d,             \
					   const struct xlbd_args *a)  \
	{                                                               \
		(void)a;                                                \
		return fn(d);                                           \
	}
NOARGS(cmd_status)
NOARGS(cmd_config_dump)
NOARGS(cmd_vip_list)
NOARGS(cmd_stats)
#undef NOARGS

static struct json_object *cmd_ct_count(struct xlbd *d,
					const struct xlbd_args *a)
{
	return cmd_conntrack(d, a, "count");
}

static struct json_object *cmd_ct_list_rq(struct xlbd *d,
					  const struct xlbd_args *a)
{
	return cmd_conntrack(d, a, "list");
}

static struct json_object *cmd_ct_flush(struct xlbd *d,
					const struct xlbd_args *a)
{
	return cmd_conntrack(d, a, "flush");
}

static struct json_object *cmd_sync_status(struct xlbd *d,
					   const struct xlbd_args *a)
{
	(void)a;
	if (!d->sync)
		return xlb_ctl_error("sync status: this node has no sync: "
				     "section in %s",
				     d->config_path);
	return xlbd_sync_status(d->sync);
}

static struct json_object *cmd_ha_status(struct xlbd *d,
					 const struct xlbd_args *a)
{
	(void)a;
	return xlbd_ha_status(d);
}

static struct json_object *cmd_help(struct xlbd *d, const struct xlbd_args *a);

/*
 * Each command's fields: name, JSON type, required or not, range. The
 * ranges and words are the config file's (config/validate.c), so a value
 * the file refuses is refused here with the same words; what needs the
 * whole model (a prime table size, a unique name) the edit's validation
 * checks.
 */
#define ARG(f, t, req, lo, hi)                                               \
	{ .name = #f, .type = t, .required = req,                            \
	  .off = offsetof(struct xlbd_args, f),                               \
	  .has_off = offsetof(struct xlbd_args, has_##f), .min = lo,          \
	  .max = hi }
#define ARG_WORD(f, req, w)                                                   \
	{ .name = #f, .type = XLB_CTL_WORD, .required = req,                  \
	  .off = offsetof(struct xlbd_args, f),                               \
	  .has_off = offsetof(struct xlbd_args, has_##f), .words = w }
#define A_NAME(f, req) ARG(f, XLB_CTL_STR, req, 1, XLB_NAME_MAX - 1)
#define A_ID ARG(id, XLB_CTL_U32, true, 1, XLB_MAX_BACKENDS - 1)

static const struct xlb_ctl_arg args_vip_add[] = {
	A_NAME(name, true),
	ARG(address, XLB_CTL_ADDR, true, 0, 0),
	{ .name = "port", .type = XLB_CTL_U32, .required = true,
	  .why_required = "0 for every port; the file requires it too",
	  .off = offsetof(struct xlbd_args, port),
	  .has_off = offsetof(struct xlbd_args, has_port), .max = 65535 },
	ARG_WORD(protocol, true, xlb_words_proto),
	ARG_WORD(mode, false, xlb_words_mode),
	ARG_WORD(hash, false, xlb_words_hash),
	ARG(conntrack, XLB_CTL_BOOL, false, 0, 0),
	ARG(echo, XLB_CTL_BOOL, false, 0, 0),
	ARG(table_size, XLB_CTL_U32, false, 3, XLB_MAGLEV_MAX_SIZE),
};
static const struct xlb_ctl_arg args_name[] = { A_NAME(name, true) };
static const struct xlb_ctl_arg args_vip_opt[] = { A_NAME(vip, false) };
static const struct xlb_ctl_arg args_vip[] = { A_NAME(vip, true) };
static const struct xlb_ctl_arg args_backend_add[] = {
	A_NAME(vip, true),
	A_ID,
	ARG(address, XLB_CTL_ADDR, false, 0, 0),
	ARG(mac, XLB_CTL_MAC, false, 0, 0),
	ARG(weight, XLB_CTL_U32, false, 0, XLB_WEIGHT_MAX),
	ARG(backup, XLB_CTL_BOOL, false, 0, 0),
};
static const struct xlb_ctl_arg args_vip_id[] = { A_NAME(vip, true), A_ID };
static const struct xlb_ctl_arg args_weight[] = {
	A_NAME(vip, true),
	A_ID,
	ARG(weight, XLB_CTL_U32, true, 0, XLB_WEIGHT_MAX),
};
static const struct xlb_ctl_arg args_id[] = { A_ID };
static const struct xlb_ctl_arg args_file[] = {
	ARG(file, XLB_CTL_STR, false, 1, XLB_PATH_MAX - 1),
};
/* conntrack.count and .flush; backend: only entries to that backend */
#define A_CT_BACKEND ARG(backend, XLB_CTL_U32, false, 1, XLB_MAX_BACKENDS - 1)
static const struct xlb_ctl_arg args_ct[] = { A_NAME(vip, false),
					      A_CT_BACKEND };
static const struct xlb_ctl_arg args_ct_list[] = {
	A_NAME(vip, false),
	A_CT_BACKEND,
	ARG(limit, XLB_CTL_U32, false, 0, 1u << 24),
	/* a page: from the previous page's "next" (0: the table's start) */
	ARG(after, XLB_CTL_U32, false, 0, UINT32_MAX),
};
#define ARGS(a) a, sizeof(a) / sizeof(a[0])
#define NO_ARGS NULL, 0

/*
 * Every control command, once: its name on the wire, its handler (the
 * checked request to the edit API or a read), its fields and what it does.
 */
static const struct xlbd_cmd {
	const char *name;
	struct json_object *(*fn)(struct xlbd *d, const struct xlbd_args *a);
	const struct xlb_ctl_arg *args;
	size_t nargs;
	const char *help;
} cmds[] = {
	{ "status", cmd_status_rq, NO_ARGS,
	  "attachments, pid, config, VIP/backend counts, conntrack capacity" },
	{ "reload", cmd_reload, NO_ARGS, "re-read the config file" },
	{ "config.dump", cmd_config_dump_rq, NO_ARGS,
	  "the running config, as a config file" },
	{ "config.save", cmd_config_save, ARGS(args_file),
	  "write the running config to the config file (or file: an "
	  "absolute path), atomically" },
	{ "vip.list", cmd_vip_list_rq, NO_ARGS, "VIPs and their backends" },
	{ "vip.add", cmd_vip_add, ARGS(args_vip_add),
	  "add a VIP (no backends yet)" },
	{ "vip.del", cmd_vip_del, ARGS(args_name),
	  "delete a VIP; backends only it used leave the pool" },
	{ "backend.list", cmd_backend_list, ARGS(args_vip_opt),
	  "the pool, or a VIP's backends, with weights, health and the last "
	  "health check" },
	{ "backend.add", cmd_backend_add, ARGS(args_backend_add),
	  "add a backend to a VIP (a new id needs its address)" },
	{ "backend.del", cmd_backend_del, ARGS(args_vip_id),
	  "take a backend out of a VIP (its flows there are flushed)" },
	{ "backend.weight", cmd_backend_weight, ARGS(args_weight),
	  "set a backend's weight in a VIP (0..65535; undrains)" },
	{ "backend.drain", cmd_backend_drain, ARGS(args_vip_id),
	  "no new flows to the backend in a VIP; open ones stay" },
	{ "backend.undrain", cmd_backend_undrain, ARGS(args_vip_id),
	  "back to the configured weight" },
	{ "backend.maint", cmd_backend_maint, ARGS(args_vip_id),
	  "maintenance: no traffic to the backend in a VIP (its flows there "
	  "are deleted), no check" },
	{ "backend.unmaint", cmd_backend_unmaint, ARGS(args_vip_id),
	  "out of maintenance: its check starts over" },
	{ "backend.down", cmd_backend_down, ARGS(args_id),
	  "mark a backend down: out of every table, weights kept" },
	{ "backend.up", cmd_backend_up, ARGS(args_id),
	  "mark a backend up again" },
	{ "stats", cmd_stats_rq, NO_ARGS,
	  "counters and rates per VIP and backend" },
	{ "conntrack.count", cmd_ct_count, ARGS(args_ct), "tracked flows" },
	{ "conntrack.list", cmd_ct_list_rq, ARGS(args_ct_list),
	  "tracked flows, up to limit (100); with after, a page of them "
	  "and where the next starts" },
	{ "conntrack.flush", cmd_ct_flush, ARGS(args_ct),
	  "delete tracked flows" },
	{ "maglev.show", cmd_maglev_show, ARGS(args_vip),
	  "slots per backend in the installed table, beside the ideal share" },
	{ "sync.status", cmd_sync_status, NO_ARGS,
	  "state sync: peers, synced or not, lag, queues, rejects" },
	{ "ha.status", cmd_ha_status, NO_ARGS,
	  "role (active/standby/standalone), sync state, peers" },
	{ "help", cmd_help, NO_ARGS, "this list" },
};

static struct json_object *cmd_help(struct xlbd *d, const struct xlbd_args *a)
{
	struct json_object *o = xlb_ctl_ok(), *arr = json_object_new_array();
	char list[256];

	(void)d;
	(void)a;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct json_object *c = json_object_new_object();

		xlb_ctl_args_list(cmds[i].args, cmds[i].nargs, list,
				  sizeof(list));
		json_object_object_add(c, "cmd",
				       json_object_new_string(cmds[i].name));
		json_object_object_add(c, "args", json_object_new_string(list));
		json_object_object_add(c, "help",
				       json_object_new_string(cmds[i].help));
		json_object_array_add(arr, c);
	}
	json_object_object_add(o, "commands", arr);
	return o;
}

int xlbd_args_check(struct json_object *req, struct xlbd_args *a, char *err,
	       size_t errlen)
{
	struct json_object *c;
	char q[XLB_QUOTE_MAX];
	const char *cmd;

	memset(a, 0, sizeof(*a));
	if (!json_object_is_type(req, json_type_object) ||
	    !json_object_object_get_ex(req, "cmd", &c))
		return xlb_errf(err, errlen, -EINVAL, "request has no \"cmd\"");
	if (!json_object_is_type(c, json_type_string))
		return xlb_errf(err, errlen, -EINVAL,
				"cmd: expected a string, got %s",
				json_object_to_json_string(c));
	cmd = json_object_get_string(c);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(cmd, cmds[i].name))
			continue;
		if (xlb_ctl_args(cmd, req, cmds[i].args, cmds[i].nargs, a, err,
				 errlen))
			return -EINVAL;
		return (int)i;
	}
	return xlb_errf(err, errlen, -EINVAL,
			"unknown command %s (\"help\" lists them)",
			xlb_quote(cmd, (size_t)json_object_get_string_len(c), q));
}

/*
 * The commands that change the model the file describes: kept in the
 * state file, and their answers say they are not in the config file.
 * (Health marks are runtime state, in neither.)
 */
static bool live_edit(const char *cmd)
{
	static const char *const edits[] = {
		"vip.add",	  "vip.del",	    "backend.add",
		"backend.del",	  "backend.weight", "backend.drain",
		"backend.undrain", "backend.maint",   "backend.unmaint",
	};

	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++)
		if (!strcmp(cmd, edits[i]))
			return true;
	return false;
}

/*
 * After a live change: the state file keeps it across a restart (like
 * HAProxy's server-state file), and the answer says where it is not.
 */
static void keep_live_change(struct xlbd *d, struct json_object *resp)
{
	char err[XLB_ERR_MAX], note[2 * XLB_ERR_MAX + XLB_PATH_MAX];

	if (xlbd_state_save(d, err, sizeof(err))) {
		pr_err("state file: %s; a restart of xlbd loses live changes\n",
		       err);
		snprintf(note, sizeof(note),
			 "not in %s, and not kept for a restart (state file: "
			 "%s); xlb config save writes it", d->config_path, err);
	} else {
		snprintf(note, sizeof(note),
			 "not in %s; xlb config save writes it", d->config_path);
	}
	json_object_object_add(resp, "note", json_object_new_string(note));
}

struct json_object *xlbd_handle(struct xlbd *d, struct json_object *req)
{
	char err[XLB_ERR_MAX];
	struct xlbd_args a;
	int i = xlbd_args_check(req, &a, err, sizeof(err));

	struct json_object *resp;

	if (i < 0)
		return xlb_ctl_error("%s", err);
	resp = cmds[i].fn(d, &a);
	if (resp && live_edit(cmds[i].name) &&
	    json_object_get_boolean(json_object_object_get(resp, "ok")))
		keep_live_change(d, resp);
	return resp;
}
