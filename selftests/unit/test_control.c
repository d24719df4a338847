// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The controller against real pinned maps: xlbd's request handlers, the
 * all-or-nothing rule (a rejected request or config changes nothing, in the
 * model or in the maps), drain/undrain, deletes, and a restart that adopts
 * pinned state without touching a conntrack entry. Each test pins under its
 * own bpffs directory and removes it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <criterion/criterion.h>

#include "lib/loader.h"

#include "xlbd/apply.h"
#include "xlbd/audit.h"
#include "lib/conntrack.h"
#include "lib/ctl.h"
#include "lib/ctl_decode.h"
#include "xlbd/daemon.h"
#include "xlbd/edit.h"
#include "xlbd/state.h"
#include "lib/log.h"
#include "ctl_reply.h"

static struct xlbd d;
static char dir[128], cfg_path[160], pin[128];

static const char *base_cfg =
	"pin_dir: %s\n"
	"hash_seed: 7\n"
	"maglev_size: 1009\n"
	"encap: { source4: 198.18.0.2, source6: '2001:db8:1::2' }\n"
	"nexthop: { mac: '02:00:00:00:0a:fe' }\n"
	"backends:\n"
	"  - { id: 1, address: 198.18.0.11, mac: '02:00:00:00:01:01' }\n"
	"  - { id: 2, address: 198.18.0.12, mac: '02:00:00:00:01:02' }\n"
	"  - { id: 3, address: '2001:db8:1::13' }\n"
	"vips:\n"
	"  - name: web\n"
	"    address: 192.0.2.10\n"
	"    port: 80\n"
	"    protocol: tcp\n"
	"    backends: [ { id: 1 }, { id: 2, weight: 3 } ]\n"
	"  - name: dsr\n"
	"    address: 192.0.2.30\n"
	"    port: 80\n"
	"    protocol: tcp\n"
	"    mode: l2dsr\n"
	"    backends: [ { id: 1 }, { id: 2 } ]\n"
	"  - name: web6\n"
	"    address: '2001:db8::10'\n"
	"    port: 443\n"
	"    protocol: tcp\n"
	"    backends: [ { id: 3 } ]\n";

static void write_cfg(const char *text)
{
	FILE *f = fopen(cfg_path, "w");

	cr_assert_not_null(f, "the config file can be written");
	fputs(text, f);
	fclose(f);
}

static void write_base_cfg(void)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), base_cfg, pin);
	write_cfg(buf);
}

static void rm_pins(void)
{
	xlb_pins_remove(pin);
}

static void setup(void)
{
	char err[XLB_ERR_MAX];

	xlb_log_init("xlb-test", XLB_LOG_INFO);
	snprintf(dir, sizeof(dir), "/tmp/xlb-ctl-%d", getpid());
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/xlb-test-%d", getpid());
	snprintf(cfg_path, sizeof(cfg_path), "%s/xlb.yaml", dir);
	cr_assert_eq(mkdir(dir, 0700), 0, "test dir %s is created", dir);
	xlbd_state_set_dir(dir); /* state files stay in the test's dir */
	write_base_cfg();
	cr_assert_eq(xlbd_start(&d, cfg_path, err, sizeof(err)), 0,
		     "xlbd starts on the base config: %s", err);
}

static void teardown(void)
{
	char p[200];

	xlbd_stop(&d);
	rm_pins();
	unlink(cfg_path);
	xlbd_state_path(pin, p, sizeof(p));
	unlink(p);
	snprintf(p, sizeof(p), "%s/sock", dir);
	unlink(p);
	rmdir(dir);
}

TestSuite(control, .init = setup, .fini = teardown);

/* Sends a request given as JSON text; returns the response (caller puts). */
static struct json_object *req(const char *json)
{
	struct json_object *r = json_tokener_parse(json), *resp;

	cr_assert_not_null(r, "test request is JSON: %s", json);
	resp = xlbd_handle(&d, r);
	json_object_put(r);
	return resp;
}

static void expect_ok(const char *json)
{
	struct json_object *r = req(json);

	cr_assert(reply_ok(r), "%s succeeds (got: %s)", json, reply_error(r));
	json_object_put(r);
}

static char *dump(void)
{
	struct json_object *r = req("{\"cmd\":\"config.dump\"}");
	char *s;

	cr_assert(reply_ok(r), "config.dump succeeds");
	s = strdup(json_object_get_string(json_object_object_get(r, "config")));
	json_object_put(r);
	return s;
}

static long count_keys(int fd, size_t key_size)
{
	char k[64], next[64];
	void *prev = NULL;
	long n = 0;

	cr_assert_leq(key_size, sizeof(k));
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(k, next, key_size);
		prev = k;
		n++;
	}
	return n;
}

/* Slots of backend @id in the installed table of @vip, via maglev.show. */
static long slots_of(const char *vip, __u32 id)
{
	char q[128];
	struct json_object *r, *bs;
	long n = -1;

	snprintf(q, sizeof(q), "{\"cmd\":\"maglev.show\",\"vip\":\"%s\"}", vip);
	r = req(q);
	cr_assert(reply_ok(r), "maglev.show %s succeeds: %s", vip, reply_error(r));
	bs = json_object_object_get(r, "backends");
	for (size_t i = 0; i < json_object_array_length(bs); i++) {
		struct json_object *b = json_object_array_get_idx(bs, i);

		if (json_object_get_int(json_object_object_get(b, "id")) == (int)id)
			n = json_object_get_int(json_object_object_get(b, "slots"));
	}
	json_object_put(r);
	return n;
}

static bool backend_active(__u32 id)
{
	struct xlb_backend be;

	cr_assert_eq(bpf_map_lookup_elem(d.maps.backends, &id, &be), 0);
	return be.flags & XLB_BE_F_ACTIVE;
}

Test(control, start_programs_the_maps)
{
	cr_assert_eq(count_keys(d.maps.vips, sizeof(struct xlb_vip_key)), 3,
		     "three VIPs are in xlb_vips");
	cr_assert_eq(count_keys(d.maps.vip_addrs, sizeof(struct xlb_addr_key)),
		     3, "three VIP addresses are in xlb_vip_addrs");
	cr_assert_eq(slots_of("web", 1) + slots_of("web", 2), 1009,
		     "web's installed table of 1009 slots is all backends 1, 2");
	cr_assert(slots_of("web", 2) > 2 * slots_of("web", 1),
		  "weight 3 owns about three times the slots of weight 1");
	cr_assert(backend_active(1) && backend_active(3),
		  "backends of the pool are active");
	cr_assert(!backend_active(4), "a backend not in the pool is not");
}

Test(control, inner_tables_carry_btf)
{
	__u32 id = (__u32)xlb_vip_id_of(&d.maps,
					xlb_cfg_vip_find(&d.running, "web"));
	struct bpf_map_info info = {};
	__u32 inner_id, len = sizeof(info);
	int fd;

	cr_assert_eq(bpf_map_lookup_elem(d.maps.maglev, &id, &inner_id), 0,
		     "web has an installed table");
	fd = bpf_map_get_fd_by_id(inner_id);
	cr_assert_geq(fd, 0, "the table can be opened");
	cr_assert_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	close(fd);
	cr_assert_neq(info.btf_id, 0, "the table has BTF, so bpftool prints it");
	cr_assert_neq(info.btf_value_type_id, 0, "its values have a type");
	cr_assert_eq(info.max_entries, 1009 + XLB_MAGLEV_HDR_SLOTS,
		     "it holds M = 1009 slots and the size");
}

/* Each bad request is refused with a message naming the problem, and
 * neither the running model nor the maps change. */
Test(control, bad_requests_change_nothing)
{
	static const struct {
		const char *json, *want;
	} bad[] = {
		{ "{}", "cmd" },
		{ "{\"cmd\":\"frobnicate\"}", "unknown command" },
		{ "{\"cmd\":\"vip.add\",\"name\":\"web\",\"address\":\"192.0.2.11\",\"port\":80,\"protocol\":\"tcp\"}",
		  "exists" },
		{ "{\"cmd\":\"vip.add\",\"name\":\"x\",\"address\":\"192.0.2.300\",\"port\":80,\"protocol\":\"tcp\"}",
		  "address" },
		{ "{\"cmd\":\"vip.add\",\"name\":\"x\",\"address\":\"192.0.2.11\",\"port\":70000,\"protocol\":\"tcp\"}",
		  "port" },
		{ "{\"cmd\":\"vip.add\",\"name\":\"x\",\"address\":\"192.0.2.11\",\"port\":80,\"protocol\":\"sctp\"}",
		  "protocol" },
		{ "{\"cmd\":\"vip.add\",\"name\":\"x\",\"address\":\"192.0.2.10\",\"port\":80,\"protocol\":\"tcp\"}",
		  "192.0.2.10" },
		{ "{\"cmd\":\"vip.add\",\"name\":\"x\",\"address\":\"192.0.2.11\",\"port\":80,\"protocol\":\"tcp\",\"table_size\":1000}",
		  "prime" },
		{ "{\"cmd\":\"vip.del\",\"name\":\"nope\"}", "no VIP" },
		{ "{\"cmd\":\"backend.add\",\"vip\":\"nope\",\"id\":5,\"address\":\"198.18.0.15\"}",
		  "no VIP" },
		{ "{\"cmd\":\"backend.add\",\"vip\":\"web\",\"id\":0,\"address\":\"198.18.0.15\"}",
		  "id" },
		{ "{\"cmd\":\"backend.add\",\"vip\":\"web\",\"id\":5}", "address" },
		{ "{\"cmd\":\"backend.add\",\"vip\":\"web\",\"id\":5,\"address\":\"198.18.0.15\",\"weight\":70000}",
		  "weight" },
		{ "{\"cmd\":\"backend.add\",\"vip\":\"web\",\"id\":1,\"address\":\"198.18.0.99\"}",
		  "already" },
		{ "{\"cmd\":\"backend.add\",\"vip\":\"web\",\"id\":2}", "has it already" },
		{ "{\"cmd\":\"backend.add\",\"vip\":\"dsr\",\"id\":3}", "famil" },
		{ "{\"cmd\":\"backend.del\",\"vip\":\"web\",\"id\":3}", "no backend 3" },
		{ "{\"cmd\":\"backend.weight\",\"vip\":\"web\",\"id\":1,\"weight\":-1}",
		  "weight" },
		{ "{\"cmd\":\"backend.drain\",\"vip\":\"web6\",\"id\":1}", "no backend 1" },
		{ "{\"cmd\":\"conntrack.count\",\"vip\":\"nope\"}", "no VIP" },
		{ "{\"cmd\":\"maglev.show\",\"vip\":\"nope\"}", "no VIP" },
	};
	char *before = dump();
	long vips = count_keys(d.maps.vips, sizeof(struct xlb_vip_key));
	long web1 = slots_of("web", 1);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json_object *r = req(bad[i].json);
		char *after;

		cr_assert(!reply_ok(r), "%s is refused", bad[i].json);
		cr_assert(strstr(reply_error(r), bad[i].want),
			  "refusing %s says \"%s\" (said: %s)", bad[i].json,
			  bad[i].want, reply_error(r));
		json_object_put(r);
		after = dump();
		cr_assert_str_eq(after, before,
				 "the running config is unchanged after %s",
				 bad[i].json);
		free(after);
	}
	cr_assert_eq(count_keys(d.maps.vips, sizeof(struct xlb_vip_key)), vips,
		     "xlb_vips is unchanged");
	cr_assert_eq(slots_of("web", 1), web1, "web's table is unchanged");
	free(before);
}

Test(control, add_and_delete_vips_and_backends)
{
	struct xlb_vip_key k = { .port = htons(8080), .proto = IPPROTO_TCP,
				 .family = XLB_AF_INET };

	expect_ok("{\"cmd\":\"vip.add\",\"name\":\"api\",\"address\":\"192.0.2.11\","
		  "\"port\":8080,\"protocol\":\"tcp\",\"hash\":\"source\"}");
	inet_pton(AF_INET, "192.0.2.11", &k.addr.v4);
	cr_assert_eq(count_keys(d.maps.vips, sizeof(struct xlb_vip_key)), 4,
		     "the new VIP is in xlb_vips");
	expect_ok("{\"cmd\":\"backend.add\",\"vip\":\"api\",\"id\":7,"
		  "\"address\":\"198.18.0.17\",\"weight\":2}");
	expect_ok("{\"cmd\":\"backend.add\",\"vip\":\"api\",\"id\":1}");
	cr_assert(backend_active(7), "the new backend 7 is active");
	cr_assert_gt(slots_of("api", 7), slots_of("api", 1),
		     "weight 2 owns more of api's table than weight 1");
	cr_assert_eq(slots_of("api", 7) + slots_of("api", 1), 1009,
		     "api's table is full");

	expect_ok("{\"cmd\":\"backend.del\",\"vip\":\"api\",\"id\":7}");
	cr_assert(!backend_active(7),
		  "a backend no VIP uses leaves the pool (inactive)");
	cr_assert_eq(slots_of("api", 1), 1009, "backend 1 owns api's table");

	expect_ok("{\"cmd\":\"vip.del\",\"name\":\"api\"}");
	cr_assert_eq(count_keys(d.maps.vips, sizeof(struct xlb_vip_key)), 3,
		     "the deleted VIP is gone from xlb_vips");
	cr_assert(backend_active(1), "backend 1 stays: other VIPs use it");
}

Test(control, drain_and_undrain)
{
	struct json_object *r;

	expect_ok("{\"cmd\":\"backend.drain\",\"vip\":\"web\",\"id\":2}");
	cr_assert_eq(slots_of("web", 2), 0, "a drained backend owns no slot");
	cr_assert_eq(slots_of("web", 1), 1009, "the other backend owns them all");
	cr_assert(backend_active(2), "a drained backend stays active: its "
				     "flows keep going to it");
	r = req("{\"cmd\":\"backend.drain\",\"vip\":\"web\",\"id\":2}");
	cr_assert(!reply_ok(r), "draining twice is refused");
	json_object_put(r);
	expect_ok("{\"cmd\":\"backend.undrain\",\"vip\":\"web\",\"id\":2}");
	cr_assert_gt(slots_of("web", 2), 2 * slots_of("web", 1),
		     "undrain restores weight 3");
}

Test(control, removing_a_backend_from_a_vip_flushes_its_flows_there)
{
	struct xlb_flow f = { .family = XLB_AF_INET, .proto = IPPROTO_TCP };
	struct xlb_ct_entry e = { .backend_id = 2 };
	int web = xlb_vip_id_of(&d.maps, xlb_cfg_vip_find(&d.running, "web"));
	int dsr = xlb_vip_id_of(&d.maps, xlb_cfg_vip_find(&d.running, "dsr"));

	cr_assert(web >= 0 && dsr >= 0);
	for (int i = 0; i < 10; i++) {
		f.sport = htons(1000 + i);
		e.vip_id = i < 6 ? (__u32)web : (__u32)dsr;
		cr_assert_eq(bpf_map_update_elem(d.maps.conntrack, &f, &e, BPF_ANY), 0);
	}
	expect_ok("{\"cmd\":\"backend.del\",\"vip\":\"web\",\"id\":2}");
	cr_assert_eq(xlb_ct_count(d.maps.conntrack, &(struct xlb_ct_filter){ .vip_id = web }), 0,
		     "web's flows on backend 2 are flushed");
	cr_assert_eq(xlb_ct_count(d.maps.conntrack, &(struct xlb_ct_filter){ .vip_id = dsr }), 4,
		     "dsr's flows on backend 2 stay (it still serves dsr)");
}

Test(control, maint_takes_the_slots_and_the_flows_drain_only_the_slots)
{
	struct xlb_flow f = { .family = XLB_AF_INET, .proto = IPPROTO_TCP };
	struct xlb_ct_entry e = { .backend_id = 2 };
	int web = xlb_vip_id_of(&d.maps, xlb_cfg_vip_find(&d.running, "web"));
	int dsr = xlb_vip_id_of(&d.maps, xlb_cfg_vip_find(&d.running, "dsr"));
	struct xlb_ct_filter in_web = { .vip_id = web, .backend_id = 2 };
	struct json_object *r;

	cr_assert(web >= 0 && dsr >= 0);
	for (int i = 0; i < 10; i++) {
		f.sport = htons(2000 + i);
		e.vip_id = i < 6 ? (__u32)web : (__u32)dsr;
		cr_assert_eq(bpf_map_update_elem(d.maps.conntrack, &f, &e, BPF_ANY), 0);
	}
	expect_ok("{\"cmd\":\"backend.drain\",\"vip\":\"web\",\"id\":2}");
	cr_assert_eq(xlb_ct_count(d.maps.conntrack, &in_web), 6,
		     "drain keeps web's flows on backend 2");
	r = req("{\"cmd\":\"backend.maint\",\"vip\":\"web\",\"id\":2}");
	cr_assert(reply_ok(r), "%s", json_object_to_json_string(r));
	cr_assert(strstr(json_object_get_string(json_object_object_get(r, "change")),
			 "backend maint web 2"),
		  "the answer says what changed: %s", json_object_to_json_string(r));
	json_object_put(r);
	cr_assert_eq(slots_of("web", 2), 0, "in maintenance: no slot");
	cr_assert_eq(xlb_ct_count(d.maps.conntrack, &in_web), 0,
		     "maint deletes web's flows on backend 2");
	cr_assert_eq(xlb_ct_count(d.maps.conntrack,
				  &(struct xlb_ct_filter){ .vip_id = dsr }), 4,
		     "dsr's flows on backend 2 stay (not in maintenance there)");
	cr_assert(xlb_cfg_vip_find(&d.running, "web")->refs[1].maint ||
			  xlb_cfg_vip_find(&d.running, "web")->refs[0].maint,
		  "the model holds maint");
	r = req("{\"cmd\":\"backend.maint\",\"vip\":\"web\",\"id\":2}");
	cr_assert(!reply_ok(r), "maint twice is refused");
	json_object_put(r);
	expect_ok("{\"cmd\":\"backend.unmaint\",\"vip\":\"web\",\"id\":2}");
	cr_assert_eq(slots_of("web", 2), 0, "unmaint keeps the drain under it");
	expect_ok("{\"cmd\":\"backend.undrain\",\"vip\":\"web\",\"id\":2}");
	cr_assert_gt(slots_of("web", 2), 0, "undrain then serves again");
}

/*
 * An entry must never send a flow to a backend that is not in its VIP: a
 * backend leaving the pool loses its entries (they used to stay, only
 * marked inactive, and came back to life when the id returned), and a
 * backend entering the pool starts with none an earlier xlbd left.
 */
Test(control, a_backend_leaving_the_pool_takes_its_flows_and_returns_with_none)
{
	struct xlb_flow f = { .family = XLB_AF_INET, .proto = IPPROTO_TCP };
	struct xlb_ct_entry e = { .backend_id = 3 };
	struct xlb_ct_filter by3 = { .vip_id = XLB_CT_ANY_VIP, .backend_id = 3 };
	int web6 = xlb_vip_id_of(&d.maps, xlb_cfg_vip_find(&d.running, "web6"));

	cr_assert(web6 >= 0);
	e.vip_id = (__u16)web6;
	for (int i = 0; i < 5; i++) {
		f.sport = htons(2000 + i);
		cr_assert_eq(xlb_ct_insert(d.maps.conntrack, &f, &e), 0);
	}
	expect_ok("{\"cmd\":\"backend.del\",\"vip\":\"web6\",\"id\":3}");
	cr_assert(!backend_active(3), "backend 3 left the pool");
	cr_assert_eq(xlb_ct_count(d.maps.conntrack, &by3), 0,
		     "no entry names backend 3 once it left the pool");

	/* what an earlier release left behind: entries of an inactive id */
	for (int i = 0; i < 3; i++) {
		f.sport = htons(3000 + i);
		cr_assert_eq(xlb_ct_insert(d.maps.conntrack, &f, &e), 0);
	}
	expect_ok("{\"cmd\":\"backend.add\",\"vip\":\"web6\",\"id\":3,"
		  "\"address\":\"2001:db8:1::13\"}");
	cr_assert(backend_active(3), "backend 3 is back");
	cr_assert_eq(xlb_ct_count(d.maps.conntrack, &by3), 0,
		     "it comes back with no old entry to revive");
}

Test(control, invalid_reload_keeps_the_running_config)
{
	char *before = dump(), *after, err[XLB_ERR_MAX];
	struct json_object *r;

	write_cfg("pin_dir: /sys/fs/bpf/x\nvips:\n  - name: a\n    adress: 1.2.3.4\n");
	r = req("{\"cmd\":\"reload\"}");
	cr_assert(!reply_ok(r), "a config with a typo is refused");
	cr_assert(strstr(reply_error(r), "xlb.yaml:4"),
		  "the error names the file and line (said: %s)", reply_error(r));
	cr_assert(strstr(reply_error(r), "adress"),
		  "the error names the field (said: %s)", reply_error(r));
	json_object_put(r);
	after = dump();
	cr_assert_str_eq(after, before, "the running config stays");
	free(after);
	cr_assert_eq(count_keys(d.maps.vips, sizeof(struct xlb_vip_key)), 3);

	/* a valid edit of the file is applied by reload */
	write_base_cfg();
	{
		FILE *f = fopen(cfg_path, "a");

		fputs("  - name: dns\n    address: 192.0.2.53\n    port: 53\n"
		      "    protocol: udp\n    conntrack: false\n"
		      "    backends: [ { id: 1 } ]\n", f);
		fclose(f);
	}
	cr_assert_eq(xlbd_reload(&d, err, sizeof(err)), 0, "reload: %s", err);
	cr_assert_eq(count_keys(d.maps.vips, sizeof(struct xlb_vip_key)), 4,
		     "the reloaded config's new VIP is in xlb_vips");
	free(before);
}

Test(control, restart_adopts_pinned_state)
{
	struct xlb_flow f = { .family = XLB_AF_INET, .proto = IPPROTO_TCP };
	struct xlb_ct_entry e = { .backend_id = 1 };
	char err[XLB_ERR_MAX];
	int web = xlb_vip_id_of(&d.maps, xlb_cfg_vip_find(&d.running, "web"));
	__u32 inner_before, inner_after, id = (__u32)web;

	e.vip_id = id;
	for (int i = 0; i < 100; i++) {
		f.sport = htons(2000 + i);
		cr_assert_eq(bpf_map_update_elem(d.maps.conntrack, &f, &e, BPF_ANY), 0);
	}
	cr_assert_eq(bpf_map_lookup_elem(d.maps.maglev, &id, &inner_before), 0);
	xlbd_stop(&d);
	cr_assert_eq(xlbd_start(&d, cfg_path, err, sizeof(err)), 0,
		     "xlbd starts again: %s", err);
	cr_assert(d.ct_adopted, "the pinned conntrack table is adopted");
	cr_assert_eq(xlb_ct_count(d.maps.conntrack, NULL), 100,
		     "all 100 conntrack entries survive the restart");
	cr_assert_eq(xlb_vip_id_of(&d.maps, xlb_cfg_vip_find(&d.running, "web")),
		     web, "web keeps its VIP id");
	cr_assert_eq(bpf_map_lookup_elem(d.maps.maglev, &id, &inner_after), 0);
	cr_assert_eq(slots_of("web", 1) + slots_of("web", 2), 1009,
		     "web's table is whole after the restart");
}

/* The transport on its own: one request, one response, over a real socket. */
Test(control, socket_round_trip_and_single_owner)
{
	char path[200], err[256];
	struct json_object *q, *r;
	int lfd, second;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/sock", dir);
	lfd = xlb_ctl_listen(path, err, sizeof(err));
	cr_assert_geq(lfd, 0, "listen: %s", err);
	second = xlb_ctl_listen(path, err, sizeof(err));
	cr_assert_lt(second, 0, "a second daemon cannot take the socket");
	cr_assert(strstr(err, "another xlbd"), "and is told why (%s)", err);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		/* the probe of the second listen left an empty connection */
		for (int i = 0; i < 2; i++) {
			int fd = accept(lfd, NULL, NULL);
			struct json_object *in = xlb_ctl_read(fd, err, sizeof(err));

			if (in)
				xlb_ctl_write(fd, xlbd_handle(&d, in));
			close(fd);
			if (in)
				break;
		}
		_exit(0);
	}
	q = json_tokener_parse("{\"cmd\":\"vip.list\"}");
	r = xlb_ctl_call(path, q, err, sizeof(err));
	json_object_put(q);
	waitpid(pid, NULL, 0);
	close(lfd);
	cr_assert_not_null(r, "the call gets an answer: %s", err);
	cr_assert(reply_ok(r), "vip.list over the socket succeeds");
	cr_assert_eq(json_object_array_length(json_object_object_get(r, "vips")),
		     3, "and lists the three VIPs");
	json_object_put(r);
}

/*
 * Regression: two xlbd on one pin dir both started and overwrote each
 * other's maps. The second is refused, naming the first one's pid, and
 * starts once the first has stopped.
 */
Test(control, one_daemon_per_pin_dir)
{
	static struct xlbd d2;
	char err[XLB_ERR_MAX], want[64];

	cr_assert_neq(xlbd_start(&d2, cfg_path, err, sizeof(err)), 0,
		      "a second xlbd on the same pin dir is refused");
	snprintf(want, sizeof(want), "is in use by xlbd pid %d", (int)getpid());
	cr_assert(strstr(err, want), "naming the holder's pid (said: %s)", err);
	cr_assert(strstr(err, pin), "and the pin dir (said: %s)", err);
	cr_assert_eq(count_keys(d.maps.vips, sizeof(struct xlb_vip_key)), 3,
		     "the first one's maps are untouched");
	xlbd_stop(&d);
	cr_assert_eq(xlbd_start(&d2, cfg_path, err, sizeof(err)), 0,
		     "once the first stopped, another starts: %s", err);
	xlbd_stop(&d2);
	cr_assert_eq(xlbd_start(&d, cfg_path, err, sizeof(err)), 0, "%s", err);
}

/*
 * Regression: xlbd unlinked whatever sat at the socket path (a regular
 * file included) and said "Address already in use" for a directory. Only
 * a stale socket is removed; anything else is refused and named.
 */
Test(control, socket_path_holding_something_else_is_refused)
{
	char path[200], err[256];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/sock", dir);
	cr_assert_eq(mkdir(path, 0700), 0);
	fd = xlb_ctl_listen(path, err, sizeof(err));
	cr_assert_lt(fd, 0, "a directory at the socket path is refused");
	cr_assert(strstr(err, "a directory, not a socket"),
		  "and named as such (said: %s)", err);
	cr_assert_eq(rmdir(path), 0, "the directory is still there");

	fd = open(path, O_CREAT | O_WRONLY, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "keep", 4), 4);
	close(fd);
	fd = xlb_ctl_listen(path, err, sizeof(err));
	cr_assert_lt(fd, 0, "a regular file at the socket path is refused");
	cr_assert(strstr(err, "a regular file, not a socket"),
		  "and named as such (said: %s)", err);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert(S_ISREG(st.st_mode) && st.st_size == 4,
		  "the file is left as it was");
	cr_assert_eq(unlink(path), 0);

	/* a socket nobody answers on is stale: removed and bound again */
	fd = xlb_ctl_listen(path, err, sizeof(err));
	cr_assert_geq(fd, 0, "listen: %s", err);
	close(fd); /* the socket file stays, as after kill -9 */
	cr_assert_eq(lstat(path, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	fd = xlb_ctl_listen(path, err, sizeof(err));
	cr_assert_geq(fd, 0, "a stale socket is replaced: %s", err);
	close(fd);
	unlink(path);
}

static void count_tick(void *arg)
{
	(*(int *)arg)++;
}

/*
 * Regression: a change that outlived the client's 30 s read timeout was
 * reported as "failed: Resource temporarily unavailable" while xlbd applied
 * it. A client now waits as long as it is told, with progress ticks, and
 * says "timed out" when it gives up.
 */
Test(control, a_slow_answer_is_waited_for_or_timed_out)
{
	char path[200], err[256];
	struct xlb_ctl_wait w = { .timeout_ms = 400 };
	struct json_object *q, *r;
	int lfd, ticks = 0;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/sock", dir);
	lfd = xlb_ctl_listen(path, err, sizeof(err));
	cr_assert_geq(lfd, 0, "listen: %s", err);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		/* a daemon busy for 1.5 s on each request */
		for (int i = 0; i < 2; i++) {
			int fd = accept(lfd, NULL, NULL);
			struct json_object *in = xlb_ctl_read(fd, err, sizeof(err));

			usleep(1500 * 1000);
			if (in)
				xlb_ctl_write(fd, xlb_ctl_ok());
			close(fd);
		}
		_exit(0);
	}
	q = json_tokener_parse("{\"cmd\":\"reload\"}");
	r = xlb_ctl_call_wait(path, q, &w, err, sizeof(err));
	cr_assert_null(r, "a 0.4 s wait for a 1.5 s answer gives up");
	cr_assert(w.timed_out, "and says it timed out");
	cr_assert(strstr(err, "timed out waiting for xlbd after 0.4 s"),
		  "in words (said: %s)", err);
	cr_assert(!strstr(err, "temporarily"), "not EAGAIN (said: %s)", err);

	w = (struct xlb_ctl_wait){ .timeout_ms = 0, .tick_ms = 200,
				   .tick = count_tick, .arg = &ticks };
	r = xlb_ctl_call_wait(path, q, &w, err, sizeof(err));
	json_object_put(q);
	waitpid(pid, NULL, 0);
	close(lfd);
	cr_assert_not_null(r, "no limit: the answer comes (%s)", err);
	cr_assert(reply_ok(r) && !w.timed_out);
	cr_assert_geq(ticks, 4, "progress ticked while waiting (%d)", ticks);
	json_object_put(r);
}

static bool has_backend(const char *vip, __u32 id)
{
	const struct xlb_cfg_vip *v = xlb_cfg_vip_find(&d.running, vip);

	for (size_t r = 0; v && r < v->nrefs; r++)
		if (v->refs[r].id == id)
			return true;
	return false;
}

static bool state_exists(void)
{
	char p[256];

	xlbd_state_path(pin, p, sizeof(p));
	return access(p, F_OK) == 0;
}

/*
 * Regression: 47 backends added live were gone after kill -9 and a
 * restart. The state file keeps live changes (xlbd_stop writes nothing,
 * like kill -9); a reload goes back to the file and drops them.
 */
Test(control, live_changes_survive_a_restart)
{
	struct json_object *r;
	char err[XLB_ERR_MAX], want[300];

	r = req("{\"cmd\":\"backend.add\",\"vip\":\"web\",\"id\":7,"
		"\"address\":\"198.18.0.17\"}");
	cr_assert(reply_ok(r), "backend add: %s", reply_error(r));
	snprintf(want, sizeof(want), "not in %s; xlb config save writes it",
		 cfg_path);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(r, "note")),
			 want, "the answer says the change is not in the file");
	json_object_put(r);
	cr_assert(state_exists(), "the state file is written");
	xlbd_stop(&d);
	cr_assert_eq(xlbd_start(&d, cfg_path, err, sizeof(err)), 0, "%s", err);
	cr_assert(has_backend("web", 7), "backend 7 is in web after a restart");
	cr_assert(backend_active(7), "and in the maps");
	cr_assert_eq(xlbd_reload(&d, err, sizeof(err)), 0, "%s", err);
	cr_assert(!has_backend("web", 7), "a reload goes back to the file");
	cr_assert(!state_exists(), "and removes the state file");
	xlbd_stop(&d);
	cr_assert_eq(xlbd_start(&d, cfg_path, err, sizeof(err)), 0, "%s", err);
	cr_assert(!has_backend("web", 7), "so a restart after it starts from the file");
}

/* A config file edited after the live change wins over the state file. */
Test(control, an_edited_config_file_wins_over_the_state_file)
{
	char err[XLB_ERR_MAX], buf[4096];

	expect_ok("{\"cmd\":\"backend.add\",\"vip\":\"web\",\"id\":7,"
		  "\"address\":\"198.18.0.17\"}");
	xlbd_stop(&d);
	snprintf(buf, sizeof(buf), base_cfg, pin);
	strcat(buf, "# edited by hand\n");
	write_cfg(buf);
	cr_assert_eq(xlbd_start(&d, cfg_path, err, sizeof(err)), 0, "%s", err);
	cr_assert(!has_backend("web", 7), "the edited file is in force");
	cr_assert(!state_exists(), "the stale state file is removed");
}

/* xlb config save: the running model to the file, atomically. */
Test(control, config_save_writes_the_running_model)
{
	struct xlb_cfg back;
	struct json_object *r;
	char err[XLB_ERR_MAX], other[256], q[512];

	expect_ok("{\"cmd\":\"backend.add\",\"vip\":\"web\",\"id\":7,"
		  "\"address\":\"198.18.0.17\"}");
	r = req("{\"cmd\":\"config.save\",\"file\":\"rel.yaml\"}");
	cr_assert(!reply_ok(r) && strstr(reply_error(r), "not an absolute path"),
		  "a relative path is refused (%s)", reply_error(r));
	json_object_put(r);
	snprintf(other, sizeof(other), "%s/other.yaml", dir);
	snprintf(q, sizeof(q), "{\"cmd\":\"config.save\",\"file\":\"%s\"}",
		 other);
	expect_ok(q);
	cr_assert_eq(xlb_cfg_load(other, &back, err, sizeof(err)), 0, "%s", err);
	cr_assert(xlb_cfg_equal(&back, &d.running),
		  "the saved file reads back as the running model");
	xlb_cfg_free(&back);
	unlink(other);
	cr_assert(state_exists(), "saved elsewhere, the state file stays");

	expect_ok("{\"cmd\":\"config.save\"}");
	cr_assert(!state_exists(), "saved to the config file, the state goes");
	xlbd_stop(&d);
	cr_assert_eq(xlbd_start(&d, cfg_path, err, sizeof(err)), 0, "%s", err);
	cr_assert(has_backend("web", 7), "the saved config file has backend 7");
}

/* The JSON field @key of backend @id's reference in @vip, from backend.list. */
static struct json_object *ref_field(struct json_object *list, const char *vip,
				     __u32 id, const char *key)
{
	struct json_object *bes = json_object_object_get(list, "backends");

	for (size_t i = 0; i < json_object_array_length(bes); i++) {
		struct json_object *b = json_object_array_get_idx(bes, i);
		struct json_object *vs = json_object_object_get(b, "vips");

		if (json_object_get_int(json_object_object_get(b, "id")) !=
		    (int)id)
			continue;
		for (size_t k = 0; k < json_object_array_length(vs); k++) {
			struct json_object *v =
				json_object_array_get_idx(vs, k);

			if (!strcmp(json_object_get_string(
					    json_object_object_get(v, "vip")),
				    vip))
				return json_object_object_get(v, key);
		}
	}
	return NULL;
}

static bool ref_bool(const char *vip, __u32 id, const char *key)
{
	struct json_object *r = req("{\"cmd\":\"backend.list\"}");
	struct json_object *f;
	bool b;

	cr_assert(reply_ok(r), "backend.list: %s", reply_error(r));
	f = ref_field(r, vip, id, key);
	cr_assert_not_null(f, "backend.list has %s for %s backend %u", key, vip,
			   id);
	b = json_object_get_boolean(f);
	json_object_put(r);
	return b;
}

/*
 * A backup, without any health check: standing by while a primary can
 * serve, serving while none can; live edits keep the flag (config save,
 * the state file), and one that leaves backups alone is refused.
 */
Test(control, a_backup_stands_by_and_live_edits_keep_it)
{
	static const char ref2[] = "{ id: 2, weight: 3 }";
	char err[XLB_ERR_MAX], buf[4096], out[4200], *text;
	struct json_object *r;

	snprintf(buf, sizeof(buf), base_cfg, pin);
	text = strstr(buf, ref2);
	cr_assert_not_null(text);
	*text = '\0';
	snprintf(out, sizeof(out), "%s{ id: 2, weight: 3, backup: true }%s",
		 buf, text + strlen(ref2));
	write_cfg(out);
	cr_assert_eq(xlbd_reload(&d, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(slots_of("web", 2), 0, "a benched backup has no slot");
	cr_assert_eq(slots_of("web", 1), 1009, "the primary has them all");
	cr_assert(ref_bool("web", 2, "backup"), "the JSON says backup: true");
	cr_assert(ref_bool("web", 2, "benched"), "and benched: true");
	cr_assert_not(ref_bool("web", 1, "backup"), "1 is no backup");

	expect_ok("{\"cmd\":\"backend.add\",\"vip\":\"web\",\"id\":7,"
		  "\"address\":\"198.18.0.17\"}");
	cr_assert_eq(slots_of("web", 2), 0, "a live add keeps the backup out");
	cr_assert_gt(slots_of("web", 7), 0, "the added backend is a primary");
	text = dump();
	cr_assert(strstr(text, "{id: 2, weight: 3, backup: true}"),
		  "config dump keeps the flag after a live add:\n%s", text);
	free(text);

	/* a backup added live: benched at once, and in the dump */
	expect_ok("{\"cmd\":\"backend.add\",\"vip\":\"web\",\"id\":8,"
		  "\"address\":\"198.18.0.18\",\"backup\":true}");
	cr_assert(ref_bool("web", 8, "backup"), "8 is added as a backup");
	cr_assert(ref_bool("web", 8, "benched"), "and stands by");
	cr_assert_eq(slots_of("web", 8), 0, "with no slot");
	text = dump();
	cr_assert(strstr(text, "{id: 8, weight: 1, backup: true}"),
		  "config dump has the added backup:\n%s", text);
	free(text);
	r = req("{\"cmd\":\"backend.add\",\"vip\":\"web\",\"id\":9,"
		"\"address\":\"198.18.0.19\",\"backup\":\"yes\"}");
	cr_assert_not(reply_ok(r), "backup must be a bool: %s",
		      reply_error(r));
	json_object_put(r);
	cr_assert_not(has_backend("web", 9), "and nothing changed");
	expect_ok("{\"cmd\":\"backend.del\",\"vip\":\"web\",\"id\":8}");

	/* through the socket, as the CLI does: the state file keeps them */
	expect_ok("{\"cmd\":\"backend.maint\",\"vip\":\"web\",\"id\":1}");
	expect_ok("{\"cmd\":\"backend.drain\",\"vip\":\"web\",\"id\":7}");
	cr_assert_eq(slots_of("web", 2), 1009,
		     "no primary can serve: the backup has every slot");
	cr_assert_not(ref_bool("web", 2, "benched"), "it is not benched");
	expect_ok("{\"cmd\":\"backend.undrain\",\"vip\":\"web\",\"id\":7}");
	cr_assert_eq(slots_of("web", 2), 0,
		     "7 can again: the backup stands by");

	expect_ok("{\"cmd\":\"backend.del\",\"vip\":\"web\",\"id\":1}");
	r = req("{\"cmd\":\"backend.del\",\"vip\":\"web\",\"id\":7}");
	cr_assert_not(reply_ok(r), "deleting the last primary is refused");
	cr_assert(strstr(reply_error(r), "every backend is a backup"),
		  "saying why: %s", reply_error(r));
	json_object_put(r);
	cr_assert(has_backend("web", 7), "and nothing changed");

	xlbd_stop(&d);
	cr_assert_eq(xlbd_start(&d, cfg_path, err, sizeof(err)), 0, "%s", err);
	cr_assert(has_backend("web", 7) && !has_backend("web", 1),
		  "the live changes survive a restart");
	cr_assert(xlb_cfg_vip_find(&d.running, "web")->refs[0].backup,
		  "and so does the backup flag");
	cr_assert_eq(slots_of("web", 2), 0, "still standing by");
	r = req("{\"cmd\":\"vip.list\"}");
	cr_assert(strstr(json_object_get_string(r), "\"benched\""),
		  "vip.list shows it too: %s", json_object_get_string(r));
	json_object_put(r);
}

/*
 * Regression: the refusal of an id that names another address read that
 * address from the model copy after freeing it ("id 1 is 135.85.0.0").
 */
Test(control, backend_add_refusal_names_the_address_the_id_has)
{
	struct json_object *r;

	for (int i = 0; i < 3; i++) {
		r = req("{\"cmd\":\"backend.add\",\"vip\":\"web6\",\"id\":1,"
			"\"address\":\"198.18.0.99\"}");
		cr_assert(!reply_ok(r), "id 1 with another address is refused");
		cr_assert(strstr(reply_error(r), "id 1 is 198.18.0.11 already"),
			  "the refusal names the address id 1 has (said: %s)",
			  reply_error(r));
		json_object_put(r);
	}
}

/* ---- the model-edit API, without JSON ----------------------------------- */

TestSuite(edit, .init = setup, .fini = teardown);

/* The installed table of @vip (caller frees), its size in *@size. */
static __u32 *table_of(const char *vip, __u32 *size)
{
	int id = xlb_vip_id_of(&d.maps, xlb_cfg_vip_find(&d.running, vip));
	__u32 *t = NULL;

	cr_assert_geq(id, 0, "%s has a VIP id", vip);
	cr_assert_eq(xlb_table_read(&d.maps, (__u32)id, &t, size), 0,
		     "%s's table can be read", vip);
	return t;
}

/*
 * What the datapath sees, as text: every VIP with its info and table, every
 * VIP address, backends 1..31 and the config. Two dumps are equal when no
 * map the edit could touch changed.
 */
static char *maps_dump(void)
{
	struct xlb_vip_entry *vips;
	char *buf = NULL;
	size_t len = 0, n;
	FILE *f = open_memstream(&buf, &len);
	struct xlb_config cfg;
	__u32 zero = 0;

	cr_assert_not_null(f);
	cr_assert_eq(xlb_vip_list(&d.maps, &vips, &n), 0);
	for (size_t i = 0; i < n; i++) {
		const unsigned char *k = (const unsigned char *)&vips[i].key;
		__u32 *t = NULL, size = 0;

		fprintf(f, "vip ");
		for (size_t b = 0; b < sizeof(vips[i].key); b++)
			fprintf(f, "%02x", k[b]);
		fprintf(f, " id %u flags %u mode %u hash %u table", vips[i].info.vip_id,
			vips[i].info.flags, vips[i].info.mode,
			vips[i].info.hash_fields);
		if (!xlb_table_read(&d.maps, vips[i].info.vip_id, &t, &size))
			for (__u32 s = 0; s < size; s++)
				fprintf(f, " %u", t[s]);
		free(t);
		fprintf(f, "\n");
	}
	free(vips);
	fprintf(f, "addrs %ld\n",
		count_keys(d.maps.vip_addrs, sizeof(struct xlb_addr_key)));
	for (__u32 id = 1; id < 32; id++) {
		struct xlb_backend be;

		if (!xlb_backend_read(&d.maps, id, &be))
			fprintf(f, "be %u flags %u family %u\n", id, be.flags,
				be.family);
	}
	cr_assert_eq(bpf_map_lookup_elem(d.maps.config, &zero, &cfg), 0);
	fprintf(f, "config seed %u mtu %u\n", cfg.hash_seed, cfg.mtu);
	fclose(f);
	return buf;
}

/*
 * A table read in parts (the sync fingerprint's way, a part a loop turn)
 * is the table read in one go, whatever the part size, the last part
 * short; past the end nothing is read.
 */
Test(edit, table_read_in_parts)
{
	struct xlb_vip_entry *vips;
	size_t n;

	cr_assert_eq(xlb_vip_list(&d.maps, &vips, &n), 0);
	cr_assert_gt(n, 0, "the setup installs VIPs");
	for (size_t i = 0; i < n; i++) {
		__u32 *t = NULL, size = 0, parts[] = { 1, 1000, 8192, 70000 };

		cr_assert_eq(xlb_table_read(&d.maps, vips[i].info.vip_id, &t,
					    &size), 0);
		for (size_t p = 0; p < sizeof(parts) / sizeof(parts[0]); p++) {
			__u32 *got = calloc(size, sizeof(*got)), from = 0,
			      k, sz, reads = 0;

			cr_assert_not_null(got);
			while (from < size) {
				cr_assert_eq(xlb_table_read_part(
						     &d.maps, vips[i].info.vip_id,
						     from, parts[p], got + from,
						     &k, &sz),
					     0);
				cr_assert_eq(sz, size, "the size is the table's");
				cr_assert(k > 0 && k <= parts[p],
					  "a part of 1..%u slots (%u)", parts[p],
					  k);
				from += k;
				reads++;
				if (parts[p] == 1 && reads > 4)
					break; /* slot by slot: enough */
			}
			cr_assert_eq(memcmp(got, t, from * sizeof(*t)), 0,
				     "parts of %u slots read the table", parts[p]);
			if (from >= size) {
				cr_assert_eq(xlb_table_read_part(
						     &d.maps, vips[i].info.vip_id,
						     size, parts[p], got, &k, &sz),
					     0);
				cr_assert_eq(k, 0, "nothing past the end");
			}
			free(got);
		}
		free(t);
	}
	free(vips);
}

Test(edit, each_edit_is_applied)
{
	struct xlb_cfg_vip v = { .name = "api", .family = XLB_AF_INET,
				 .port = 8080, .proto = IPPROTO_TCP,
				 .hash_fields = XLB_HASH_5TUPLE,
				 .table_size = 1009 };
	struct xlb_cfg_backend b = { .id = 7, .family = XLB_AF_INET };
	struct xlb_apply_stats st;
	char err[XLB_ERR_MAX];

	inet_pton(AF_INET, "192.0.2.11", &v.addr.v4);
	inet_pton(AF_INET, "198.18.0.17", &b.addr.v4);
	cr_assert_eq(xlb_edit_vip_add(&d, &v, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(xlb_cfg_vip_find(&d.running, "api"), "api is in the model");
	cr_assert_eq(count_keys(d.maps.vips, sizeof(struct xlb_vip_key)), 4,
		     "and in xlb_vips");
	cr_assert_eq(xlb_edit_backend_add(&d, "api", &b, true, 2, false, &st, err,
					  sizeof(err)), 0, "%s", err);
	cr_assert_eq(st.tables_installed, 1, "api's table is swapped");
	cr_assert(backend_active(7), "the new backend is active");
	b.id = 1;
	cr_assert_eq(xlb_edit_backend_add(&d, "api", &b, false, 1, false, &st, err,
					  sizeof(err)), 0, "%s", err);
	cr_assert_eq(slots_of("api", 7) + slots_of("api", 1), 1009);
	cr_assert_gt(slots_of("api", 7), slots_of("api", 1), "weight 2 > weight 1");
	cr_assert_eq(xlb_edit_backend_weight(&d, "api", 1, 2, &st, err,
					     sizeof(err)), 0, "%s", err);
	cr_assert_eq(xlb_cfg_vip_find(&d.running, "api")->refs[1].weight, 2,
		     "the new weight is in the model");
	cr_assert_eq(xlb_edit_backend_drain(&d, "api", 7, &st, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(slots_of("api", 7), 0, "drained: no slot");
	cr_assert_eq(xlb_edit_backend_undrain(&d, "api", 7, &st, err,
					      sizeof(err)), 0, "%s", err);
	cr_assert_gt(slots_of("api", 7), 0, "undrained: slots again");
	cr_assert_eq(xlb_edit_backend_del(&d, "api", 7, &st, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_null(xlb_cfg_backend_find(&d.running, 7),
		       "a backend no VIP uses leaves the pool");
	cr_assert(!backend_active(7), "and is inactive in the map");
	cr_assert_eq(xlb_edit_vip_del(&d, "api", &st, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(st.vips_removed, 1, "apply says it removed the VIP");
	cr_assert_null(xlb_cfg_vip_find(&d.running, "api"));
	cr_assert_eq(count_keys(d.maps.vips, sizeof(struct xlb_vip_key)), 3);
}

/* Each refusal says why and leaves the model and every map as they were. */
Test(edit, refusals_change_neither_model_nor_maps)
{
	struct xlb_cfg_vip dup = { .name = "web", .family = XLB_AF_INET,
				   .port = 81, .proto = IPPROTO_TCP,
				   .hash_fields = XLB_HASH_5TUPLE,
				   .echo = true, .table_size = 1009 };
	struct xlb_cfg_vip bad_size = dup, same_key = dup;
	struct xlb_cfg_backend other = { .id = 1, .family = XLB_AF_INET };
	struct xlb_cfg_backend v6 = { .id = 3, .family = XLB_AF_INET6 };
	char *model = dump(), *maps = maps_dump(), err[XLB_ERR_MAX];
	struct xlb_apply_stats st;
	struct {
		int rc;
		const char *want;
	} got[12];
	size_t n = 0;

	snprintf(bad_size.name, sizeof(bad_size.name), "x");
	bad_size.table_size = 1000;
	snprintf(same_key.name, sizeof(same_key.name), "y");
	inet_pton(AF_INET, "192.0.2.10", &same_key.addr.v4);
	same_key.port = 80;
	inet_pton(AF_INET, "198.18.0.99", &other.addr.v4);
#define TRY(call, w)                                                    \
	do {                                                            \
		char *m2, *p2;                                          \
		got[n].rc = (call);                                     \
		cr_assert_lt(got[n].rc, 0, "%s is refused", #call);     \
		cr_assert(strstr(err, w), "%s says \"%s\" (said: %s)",  \
			  #call, w, err);                               \
		m2 = dump();                                            \
		p2 = maps_dump();                                       \
		cr_assert_str_eq(m2, model, "%s: the model is unchanged", #call); \
		cr_assert_str_eq(p2, maps, "%s: the maps are unchanged", #call); \
		free(m2);                                               \
		free(p2);                                               \
		n++;                                                    \
	} while (0)
	TRY(xlb_edit_vip_add(&d, &dup, &st, err, sizeof(err)), "exists");
	TRY(xlb_edit_vip_add(&d, &bad_size, &st, err, sizeof(err)), "prime");
	TRY(xlb_edit_vip_add(&d, &same_key, &st, err, sizeof(err)), "192.0.2.10");
	TRY(xlb_edit_vip_del(&d, "nope", &st, err, sizeof(err)), "no VIP");
	TRY(xlb_edit_backend_add(&d, "web", &other, true, 1, false, &st, err,
				 sizeof(err)), "id 1 is 198.18.0.11 already");
	other.id = 2;
	TRY(xlb_edit_backend_add(&d, "web", &other, false, 1, false, &st, err,
				 sizeof(err)), "has it already");
	TRY(xlb_edit_backend_add(&d, "dsr", &v6, false, 1, false, &st, err,
				 sizeof(err)), "famil");
	TRY(xlb_edit_backend_del(&d, "web", 3, &st, err, sizeof(err)),
	    "no backend 3");
	TRY(xlb_edit_backend_weight(&d, "web", 1, 70000, &st, err, sizeof(err)),
	    "weight");
	TRY(xlb_edit_backend_drain(&d, "web6", 1, &st, err, sizeof(err)),
	    "no backend 1");
	TRY(xlb_edit_backend_health(&d, 9, false, &st, err, sizeof(err)),
	    "no backend 9");
	cr_assert_eq(xlb_edit_backend_drain(&d, "web", 1, &st, err, sizeof(err)),
		     0, "%s", err);
	free(model);
	free(maps);
	model = dump();
	maps = maps_dump();
	TRY(xlb_edit_backend_drain(&d, "web", 1, &st, err, sizeof(err)),
	    "already drained");
#undef TRY
	free(model);
	free(maps);
}

Test(edit, drain_round_trip_shows_in_config_dump)
{
	char *before = dump(), *drained, *after, err[XLB_ERR_MAX];
	struct json_object *r;

	cr_assert_eq(xlb_edit_backend_drain(&d, "web", 2, NULL, err, sizeof(err)),
		     0, "%s", err);
	drained = dump();
	cr_assert(strstr(drained, "{id: 2, weight: 3, drain: true}"),
		  "config dump shows the drain beside the kept weight:\n%s",
		  drained);
	cr_assert_eq(slots_of("web", 2), 0, "and the table has no slot for it");
	r = req("{\"cmd\":\"backend.list\",\"vip\":\"web\"}");
	cr_assert(reply_ok(r));
	cr_assert(strstr(json_object_get_string(r), "\"weight\": 0") ||
			  strstr(json_object_get_string(r), "\"weight\":0"),
		  "backend.list says weight 0 (the CLI prints drained): %s",
		  json_object_get_string(r));
	json_object_put(r);
	cr_assert_eq(xlb_edit_backend_undrain(&d, "web", 2, NULL, err,
					      sizeof(err)), 0, "%s", err);
	after = dump();
	cr_assert_str_eq(after, before, "undrain gives back the config as it was");
	cr_assert_gt(slots_of("web", 2), 2 * slots_of("web", 1),
		     "with weight 3 in the table");
	free(before);
	free(drained);
	free(after);
}

/*
 * Down takes the backend out of every table it is in and no other slot
 * moves; up puts back the very tables of before (Maglev is deterministic).
 */
Test(edit, health_down_and_up)
{
	static const char *vips[] = { "web", "dsr" };
	__u32 *before[2], *down[2], *up[2], size[2], sz;
	char err[XLB_ERR_MAX], *model = dump();
	long moved = 0;

	for (int v = 0; v < 2; v++)
		before[v] = table_of(vips[v], &size[v]);
	cr_assert_eq(xlb_edit_backend_health(&d, 1, false, NULL, err,
					     sizeof(err)), 0, "%s", err);
	cr_assert(xlb_cfg_backend_find(&d.running, 1)->down, "1 is down");
	cr_assert_eq(xlb_cfg_vip_find(&d.running, "web")->refs[0].weight, 1,
		     "its configured weight is kept");
	cr_assert(backend_active(1), "its flows keep going (like weight 0)");
	for (int v = 0; v < 2; v++) {
		down[v] = table_of(vips[v], &sz);
		cr_assert_eq(sz, size[v]);
		for (__u32 s = 0; s < sz; s++) {
			cr_assert_neq(down[v][s], 1, "%s slot %u: not backend 1",
				      vips[v], s);
			if (before[v][s] != 1 && down[v][s] != before[v][s])
				moved++;
		}
	}
	cr_assert_eq(moved, 0, "no slot of another backend moved");
	cr_assert_eq(xlb_edit_backend_health(&d, 1, false, NULL, err,
					     sizeof(err)), 0,
		     "marking it down again is a no-op");
	cr_assert_eq(xlb_edit_backend_health(&d, 1, true, NULL, err,
					     sizeof(err)), 0, "%s", err);
	for (int v = 0; v < 2; v++) {
		up[v] = table_of(vips[v], &sz);
		cr_assert_arr_eq(up[v], before[v], sz * sizeof(__u32),
				 "%s's table is the one of before", vips[v]);
		free(before[v]);
		free(down[v]);
		free(up[v]);
	}
	{
		char *after = dump();

		cr_assert_str_eq(after, model, "health never shows in the file");
		free(after);
	}
	free(model);
}

/* ---- refusals: where they say, what they leave, what they allow -------- */

TestSuite(refusals, .init = setup, .fini = teardown);

/* The base config with @extra appended to its global section. */
static void write_base_with(const char *extra, const char *vips_tail)
{
	char buf[8192];
	int n;

	n = snprintf(buf, sizeof(buf), "%s", extra);
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, base_cfg, pin);
	snprintf(buf + n, sizeof(buf) - (size_t)n, "%s", vips_tail);
	write_cfg(buf);
}

/* A refusal of a request names the request, not the file the model came from. */
Test(refusals, edit_errors_name_the_request)
{
	struct xlb_cfg_vip v = { .name = "web4", .family = XLB_AF_INET,
				 .port = 81, .proto = IPPROTO_TCP,
				 .hash_fields = XLB_HASH_5TUPLE, .echo = true,
				 .table_size = 1000 };
	struct xlb_cfg_backend v6 = { .id = 3, .family = XLB_AF_INET6 };
	char err[XLB_ERR_MAX];

	inet_pton(AF_INET, "192.0.2.10", &v.addr.v4);
	cr_assert_lt(xlb_edit_vip_add(&d, &v, NULL, err, sizeof(err)), 0);
	cr_expect(!strncmp(err, "vip add web4: table_size: ", 26),
		  "the request and field lead: %s", err);
	cr_expect(!strstr(err, "xlb.yaml"), "no file is named: %s", err);
	v.table_size = 1009;
	v.port = 80;
	cr_assert_lt(xlb_edit_vip_add(&d, &v, NULL, err, sizeof(err)), 0);
	cr_expect(!strncmp(err, "vip add web4: ", 14) &&
			  strstr(err, "192.0.2.10 port 80/tcp is already"),
		  "a clash names the request: %s", err);
	cr_assert_lt(xlb_edit_backend_add(&d, "dsr", &v6, false, 1, false, NULL, err,
					  sizeof(err)),
		     0);
	cr_expect(!strncmp(err, "backend add dsr 3: backends[2].id: backend 3 "
				"is IPv6 but the VIP is IPv4",
			   62),
		  "a backend refusal names the request: %s", err);
	cr_expect(strstr(err, "nothing was changed"), "and says so: %s", err);
}

/*
 * A reload refused at apply time (a tunnel VIP and no next hop) writes no
 * map, cites FILE:LINE and says nothing was changed (it said "the previous
 * config was restored", after rebuilding every table).
 */
Test(refusals, apply_time_refusal_writes_nothing)
{
	char *maps = maps_dump(), *after, err[XLB_ERR_MAX], want[512];
	char buf[4096];
	const char *nh = "nexthop: { mac: '02:00:00:00:0a:fe' }\n";
	char *cut;

	/* the base config without its nexthop line (line 5) */
	snprintf(buf, sizeof(buf), base_cfg, pin);
	cut = strstr(buf, nh);
	cr_assert(cut);
	memmove(cut, cut + strlen(nh), strlen(cut + strlen(nh)) + 1);
	write_cfg(buf);
	cr_assert_lt(xlbd_reload(&d, err, sizeof(err)), 0);
	snprintf(want, sizeof(want),
		 "%s:10: nexthop: tunnel VIPs (\"web\" is one) need "
		 "nexthop.mac or nexthop.interface and nexthop.address; "
		 "nothing was changed",
		 cfg_path);
	cr_expect_str_eq(err, want);
	after = maps_dump();
	cr_expect_str_eq(after, maps, "no map was written");
	free(after);
	{
		struct json_object *r = req("{\"cmd\":\"reload\"}");

		cr_expect(!reply_ok(r));
		cr_expect(!strncmp(reply_error(r), "reload: /", 9) &&
				  !strstr(reply_error(r), "reload: reload:"),
			  "one \"reload:\" and the file: %s", reply_error(r));
		json_object_put(r);
	}
	free(maps);
}

/* An MTU check and a next-hop prefix check cite their own lines. */
Test(refusals, cross_field_errors_cite_the_line)
{
	char err[XLB_ERR_MAX], want[512];

	write_base_with("mtu: 1300\n", "");
	cr_assert_lt(xlbd_reload(&d, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s:1: mtu: 1300 leaves IPv6 VIP", cfg_path);
	cr_expect(!strncmp(err, want, strlen(want)), "%s", err);
	cr_expect(strstr(err, "nothing was changed"), "%s", err);
}

/*
 * 1024 VIPs (the maximum) replaced by 1024 others: the new ones need the
 * ids the old ones give up. It was refused with "no free VIP id".
 */
static void write_many(unsigned int port0)
{
	size_t cap = 1024 * 120 + 512, n;
	char *buf = malloc(cap);

	cr_assert(buf);
	n = (size_t)snprintf(buf, cap,
			     "pin_dir: %s\nmaglev_size: 251\n"
			     "encap: { source4: 198.18.0.2 }\n"
			     "nexthop: { mac: '02:00:00:00:0a:fe' }\n"
			     "backends: [{ id: 1, address: 198.18.0.11 }]\n"
			     "vips:\n",
			     pin);
	for (unsigned int i = 0; i < 1024; i++)
		n += (size_t)snprintf(buf + n, cap - n,
				      "  - {name: v%u, address: 192.0.2.77, "
				      "port: %u, protocol: tcp, backends: [{id: 1}]}\n",
				      port0 + i, port0 + i);
	write_cfg(buf);
	free(buf);
}

Test(refusals, full_vip_set_replaced_by_another, .timeout = 120)
{
	char err[XLB_ERR_MAX];
	struct xlb_vip_entry *all;
	bool seen[XLB_MAX_VIPS] = { false };
	size_t n;

	write_many(1000);
	cr_assert_eq(xlbd_reload(&d, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(count_keys(d.maps.vips, sizeof(struct xlb_vip_key)), 1024);
	write_many(5000);
	cr_assert_eq(xlbd_reload(&d, err, sizeof(err)), 0,
		     "1024 -> 1024 other VIPs loads: %s", err);
	cr_assert_eq(xlb_vip_list(&d.maps, &all, &n), 0);
	cr_expect_eq(n, 1024, "exactly the new VIPs are in xlb_vips");
	for (size_t i = 0; i < n; i++) {
		cr_expect_geq(ntohs(all[i].key.port), 5000, "only new ports");
		cr_expect(!seen[all[i].info.vip_id], "id %u is used once",
			  all[i].info.vip_id);
		seen[all[i].info.vip_id] = true;
	}
	free(all);
	cr_expect_eq(slots_of("v5000", 1), 251, "a new VIP has its whole table");
	cr_expect_eq(slots_of("v6023", 1), 251, "the last one too");
}

/* A file cut short reads as no VIPs: a reload to zero VIPs must be asked for. */
Test(refusals, reload_to_no_vip_needs_allow_empty)
{
	char buf[4096], err[XLB_ERR_MAX], *maps = maps_dump(), *after;

	snprintf(buf, sizeof(buf), base_cfg, pin);
	*strstr(buf, "vips:\n") = '\0'; /* cut off after the pool */
	write_cfg(buf);
	cr_assert_lt(xlbd_reload(&d, err, sizeof(err)), 0);
	cr_expect(strstr(err, "needs allow_empty: true"), "%s", err);
	cr_expect(strstr(err, "nothing was changed"), "%s", err);
	after = maps_dump();
	cr_expect_str_eq(after, maps, "no map was written");
	free(after);
	cr_expect_eq(d.running.nvips, 3, "the running VIPs stay");
	strcat(buf, "allow_empty: true\n");
	write_cfg(buf);
	cr_assert_eq(xlbd_reload(&d, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(count_keys(d.maps.vips, sizeof(struct xlb_vip_key)), 0,
		     "asked for, every VIP goes");
	free(maps);
}

/* The names in the pin dir, sorted, as one string; "(none)" if no dir. */
static char *pin_listing(void)
{
	struct dirent **names;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int n = scandir(pin, &names, NULL, alphasort);

	cr_assert_not_null(f);
	if (n < 0)
		fprintf(f, "(none)");
	for (int i = 0; i < n; i++) {
		fprintf(f, "%s ", names[i]->d_name);
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	fclose(f);
	return buf;
}

/*
 * A start refused by a check that needs no map (a tunnel VIP without next
 * hop) leaves bpffs as it was: no pin dir when there was none, no new pin
 * when there was an empty one. It used to pin every map first.
 */
Test(refusals, refused_start_pins_nothing)
{
	char buf[4096], err[XLB_ERR_MAX], *before, *after, *cut;
	const char *nh = "nexthop: { mac: '02:00:00:00:0a:fe' }\n";

	xlbd_stop(&d);
	rm_pins();
	snprintf(buf, sizeof(buf), "conntrack: { entries: 4096 }\n");
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), base_cfg, pin);
	cut = strstr(buf, nh);
	memmove(cut, cut + strlen(nh), strlen(cut + strlen(nh)) + 1);
	write_cfg(buf);
	before = pin_listing();
	cr_expect_str_eq(before, "(none)");
	cr_expect_lt(xlbd_start(&d, cfg_path, err, sizeof(err)), 0);
	cr_expect(strstr(err, "nexthop: tunnel VIPs"), "%s", err);
	after = pin_listing();
	cr_expect_str_eq(after, before, "no pin dir was made");
	free(after);
	cr_assert_eq(mkdir(pin, 0700), 0);
	free(before);
	before = pin_listing();
	cr_expect_lt(xlbd_start(&d, cfg_path, err, sizeof(err)), 0);
	after = pin_listing();
	cr_expect_str_eq(after, before, "nothing was pinned in the empty dir");
	free(after);
	free(before);
	/* the good config starts and sizes conntrack itself, adopting nothing */
	write_base_with("conntrack: { entries: 4096 }\n", "");
	rmdir(pin);
	cr_assert_eq(xlbd_start(&d, cfg_path, err, sizeof(err)), 0, "%s", err);
	cr_expect(!d.ct_adopted, "no conntrack map was left to adopt");
	cr_expect_eq(d.ct_size, 4096);
}

/* xlbd --check: validates, resolves, describes, and pins nothing. */
Test(refusals, check_describes_and_touches_nothing)
{
	char out[4096], path[200], buf[4096], other[160];
	FILE *f;

	xlbd_stop(&d);
	rm_pins();
	cr_assert_eq(xlbd_check(cfg_path, out, sizeof(out)), 0, "%s", out);
	cr_expect(strstr(out, "xlb.yaml: ok: 3 VIPs, 3 backends"), "%s", out);
	cr_expect(strstr(out, "vip web 192.0.2.10:80/tcp tunnel: 2 backends "
			      "(2 taking new flows), table 1009 slots"),
		  "%s", out);
	cr_expect(strstr(out, "vip web6 [2001:db8::10]:443/tcp tunnel"), "%s",
		  out);
	{
		char *l = pin_listing();

		cr_expect_str_eq(l, "(none)", "check pins nothing");
		free(l);
	}
	snprintf(path, sizeof(path), "%s/bad.yaml", dir);
	snprintf(other, sizeof(other), "%s-other", pin);
	snprintf(buf, sizeof(buf), "pin_dir: %s\nmtu: 1\n", other);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(buf, f);
	fclose(f);
	cr_expect_lt(xlbd_check(path, out, sizeof(out)), 0);
	cr_expect(strstr(out, "bad.yaml:2: mtu: "), "%s", out);
	unlink(path);
	/* teardown stops d: start it again */
	cr_assert_eq(xlbd_start(&d, cfg_path, out, sizeof(out)), 0, "%s", out);
}

/* The audit trail's text for a few edits: one greppable sentence each. */
Test(refusals, audit_lines_say_what_changed)
{
	struct xlb_cfg before;
	struct xlb_cfg_vip v = { .name = "web6b", .family = XLB_AF_INET,
				 .port = 8080, .proto = IPPROTO_TCP,
				 .hash_fields = XLB_HASH_5TUPLE, .echo = true,
				 .table_size = 1009 };
	char text[1024], err[XLB_ERR_MAX], buf[4096];

	cr_assert_eq(xlb_cfg_copy(&before, &d.running), 0);
	cr_assert_eq(xlb_edit_backend_weight(&d, "web", 2, 5, NULL, err,
					     sizeof(err)), 0, "%s", err);
	cr_expect_eq(xlb_audit_text(&before, &d.running, "\n", text,
				    sizeof(text)), 1);
	cr_expect_str_eq(text, "backend weight web 2 3 -> 5");
	xlb_cfg_free(&before);

	cr_assert_eq(xlb_cfg_copy(&before, &d.running), 0);
	cr_assert_eq(xlb_edit_backend_drain(&d, "web", 1, NULL, err,
					    sizeof(err)), 0, "%s", err);
	cr_assert_eq(xlb_edit_backend_health(&d, 3, false, NULL, err,
					     sizeof(err)), 0, "%s", err);
	inet_pton(AF_INET, "192.0.2.10", &v.addr.v4);
	cr_assert_eq(xlb_edit_vip_add(&d, &v, NULL, err, sizeof(err)), 0, "%s",
		     err);
	cr_expect_eq(xlb_audit_text(&before, &d.running, ", ", text,
				    sizeof(text)), 3);
	cr_expect_str_eq(text,
			 "backend drain web 1, "
			 "+VIP web6b (192.0.2.10:8080/tcp, 0 backends), "
			 "backend down 3");
	xlb_cfg_free(&before);

	/* a reload: a VIP gone, a backend out of a VIP and out of the pool */
	cr_assert_eq(xlb_cfg_copy(&before, &d.running), 0);
	snprintf(buf, sizeof(buf), base_cfg, pin);
	*strstr(buf, "  - name: web6\n") = '\0';
	*strstr(buf, ", { id: 2, weight: 3 }") = '\0';
	{
		const char *b3 = "  - { id: 3, address: '2001:db8:1::13' }\n";
		char *at = strstr(buf, b3);

		memmove(at, at + strlen(b3), strlen(at + strlen(b3)) + 1);
	}
	strcat(buf, " ]\n  - name: dsr\n    address: 192.0.2.30\n    port: 80\n"
		    "    protocol: tcp\n    mode: l2dsr\n"
		    "    backends: [ { id: 1 }, { id: 2 } ]\n");
	write_cfg(buf);
	cr_assert_eq(xlbd_reload(&d, err, sizeof(err)), 0, "%s", err);
	xlb_audit_text(&before, &d.running, ", ", text, sizeof(text));
	cr_expect_str_eq(text,
			 "-VIP web6 ([2001:db8::10]:443/tcp), -VIP web6b "
			 "(192.0.2.10:8080/tcp), backend 2 removed from web, "
			 "backend undrain web 1, backend 3 left the pool "
			 "(2001:db8:1::13)");
	xlb_cfg_free(&before);
}

/*
 * Requests as bytes, decoded as the socket server decodes them
 * (lib/ctl_decode.h), then handled: a refusal in the decoder or in the
 * command's field spec answers {"ok":false,"error":...}.
 */
static struct json_object *raw_req(const char *bytes, size_t len)
{
	char err[XLB_ERR_MAX];
	struct json_object *r = xlb_ctl_decode(bytes, len, err, sizeof(err)),
			   *resp;

	if (!r)
		return xlb_ctl_error("%s", err);
	resp = xlbd_handle(&d, r);
	json_object_put(r);
	return resp;
}

/* Ten tracked flows on web, so a flush that ignores its filter shows. */
static void track_ten_flows(void)
{
	struct xlb_flow f = { .family = XLB_AF_INET, .proto = IPPROTO_TCP };
	struct xlb_ct_entry e = { .backend_id = 1 };
	int web = xlb_vip_id_of(&d.maps, xlb_cfg_vip_find(&d.running, "web"));

	cr_assert(web >= 0);
	e.vip_id = (__u32)web;
	for (int i = 0; i < 10; i++) {
		f.sport = htons(2000 + i);
		cr_assert_eq(xlb_ct_insert(d.maps.conntrack, &f, &e), 0);
	}
}

/*
 * issue 14: wrong types became defaults, unknown fields were ignored, NUL
 * cut names, trailing data and lenient JSON passed. Each is refused now,
 * naming the command and the field, and changes nothing.
 */
Test(control, requests_are_validated_whole)
{
#define R(s) s, sizeof(s) - 1
	static const struct {
		const char *bytes;
		size_t len;
		const char *want;
	} bad[] = {
		/* wrong types: no coercion, no default */
		{ R("{\"cmd\":\"conntrack.flush\",\"vip\":123}"),
		  "conntrack.flush: vip: expected a string, got 123" },
		{ R("{\"cmd\":\"conntrack.flush\",\"vip\":null}"),
		  "conntrack.flush: vip: expected a string, got null" },
		{ R("{\"cmd\":\"vip.add\",\"name\":\"x\",\"address\":\"192.0.2.11\",\"port\":80,\"protocol\":\"tcp\",\"mode\":5}"),
		  "vip.add: mode: expected a string (tunnel, l2dsr), got 5" },
		{ R("{\"cmd\":\"vip.add\",\"name\":\"x\",\"address\":\"192.0.2.11\",\"port\":\"80\",\"protocol\":\"tcp\"}"),
		  "vip.add: port: expected a whole number 0..65535, got \"80\"" },
		{ R("{\"cmd\":\"vip.add\",\"name\":\"x\",\"address\":\"192.0.2.11\",\"port\":80.0,\"protocol\":\"tcp\"}"),
		  "vip.add: port: expected a whole number" },
		{ R("{\"cmd\":\"vip.add\",\"name\":\"x\",\"address\":\"192.0.2.11\",\"port\":80,\"protocol\":\"tcp\",\"conntrack\":0}"),
		  "vip.add: conntrack: expected true or false, got 0" },
		{ R("{\"cmd\":\"backend.weight\",\"vip\":\"web\",\"id\":\"1\",\"weight\":5}"),
		  "backend.weight: id: expected a whole number 1..16383, got \"1\"" },
		{ R("{\"cmd\":\"backend.down\",\"id\":true}"),
		  "backend.down: id: expected a whole number" },
		{ R("{\"cmd\":\"maglev.show\",\"vip\":[\"web\"]}"),
		  "maglev.show: vip: expected a string, got [" },
		{ R("{\"cmd\":5}"), "cmd: expected a string, got 5" },
		/* missing required fields */
		{ R("{\"cmd\":\"vip.add\",\"name\":\"x\",\"address\":\"192.0.2.11\",\"protocol\":\"tcp\"}"),
		  "vip.add: port: missing (0 for every port; the file requires it too)" },
		{ R("{\"cmd\":\"backend.weight\",\"vip\":\"web\",\"id\":1}"),
		  "backend.weight: weight: missing" },
		{ R("{\"cmd\":\"backend.del\",\"vip\":\"web\"}"),
		  "backend.del: id: missing" },
		{ R("{\"cmd\":\"vip.del\"}"), "vip.del: name: missing" },
		/* unknown fields, on commands with and without fields */
		{ R("{\"cmd\":\"vip.add\",\"name\":\"x\",\"address\":\"192.0.2.11\",\"port\":80,\"protocol\":\"tcp\",\"table-size\":1009}"),
		  "vip.add: \"table-size\": unknown field (vip.add takes name, address, port, protocol, [mode]" },
		{ R("{\"cmd\":\"conntrack.flush\",\"vips\":\"web\"}"),
		  "conntrack.flush: \"vips\": unknown field" },
		{ R("{\"cmd\":\"conntrack.count\",\"limit\":5}"),
		  "conntrack.count: \"limit\": unknown field" },
		{ R("{\"cmd\":\"reload\",\"force\":true}"),
		  "reload: \"force\": unknown field (reload takes no fields)" },
		/* values outside what the file accepts */
		{ R("{\"cmd\":\"backend.add\",\"vip\":\"web\",\"id\":5,\"address\":\"198.18.0.15\",\"mac\":\"zz\"}"),
		  "backend.add: mac: \"zz\" is not a MAC" },
		{ R("{\"cmd\":\"vip.add\",\"name\":\"\",\"address\":\"192.0.2.11\",\"port\":80,\"protocol\":\"tcp\"}"),
		  "vip.add: name: empty" },
		{ R("{\"cmd\":\"backend.weight\",\"vip\":\"web\",\"id\":1,\"weight\":18446744073709551616}"),
		  "backend.weight: weight: " },
		/* NUL: "a\u0000b" created VIP "a" */
		{ R("{\"cmd\":\"vip.add\",\"name\":\"a\\u0000b\",\"address\":\"192.0.2.11\",\"port\":80,\"protocol\":\"tcp\"}"),
		  "\\u0000 (NUL) in a string" },
		{ R("{\"cmd\":\"conntrack.flush\",\"vip\":\"web\\u0000x\"}"),
		  "NUL" },
		{ R("{\"cmd\":\"conntrack.flush\",\"vip\":\"web\0x\"}"),
		  "control byte" },
		/* trailing data, a second object, lenient JSON */
		{ R("{\"cmd\":\"conntrack.flush\",\"vip\":\"dsr\"}x"),
		  "data after the JSON object" },
		{ R("{\"cmd\":\"conntrack.flush\",\"vip\":\"dsr\"}{\"cmd\":\"conntrack.flush\"}"),
		  "data after the JSON object" },
		{ R("{\"cmd\":\"conntrack.flush\" /* all */}"), "not strict JSON" },
		{ R("{'cmd':'conntrack.flush'}"), "not strict JSON" },
		{ R("{\"cmd\":\"backend.weight\",\"vip\":\"web\",\"id\":1,\"weight\":NaN}"),
		  "not strict JSON" },
		{ R("{\"cmd\":\"backend.weight\",\"vip\":\"web\",\"id\":1,\"weight\":05}"),
		  "leading 0" },
		{ R("{\"cmd\":\"conntrack.flush\",}"), "not strict JSON" },
		{ R("{\"cmd\":\"conntrack.flush\",\"vip\":\"dsr\",\"vip\":\"web\"}"),
		  "a field appears twice" },
		{ R("[{\"cmd\":\"conntrack.flush\"}]"), "not a JSON object" },
		{ R(""), "not a JSON object (empty)" },
		{ R("{\"cmd\":\"conntrack.flush\",\"vip\":\"\xff\"}"), "utf-8" },
	};
#undef R
	long ct, vips = count_keys(d.maps.vips, sizeof(struct xlb_vip_key));
	char *before = dump();

	track_ten_flows();
	ct = xlb_ct_count(d.maps.conntrack, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json_object *r = raw_req(bad[i].bytes, bad[i].len);
		char *after;

		cr_assert(!reply_ok(r), "request %zu (%.*s) is refused", i,
			  (int)bad[i].len, bad[i].bytes);
		cr_assert(strstr(reply_error(r), bad[i].want),
			  "request %zu (%.*s) says \"%s\" (said: %s)", i,
			  (int)bad[i].len, bad[i].bytes, bad[i].want,
			  reply_error(r));
		json_object_put(r);
		after = dump();
		cr_assert_str_eq(after, before,
				 "the running config is unchanged after %zu", i);
		free(after);
		cr_assert_eq(xlb_ct_count(d.maps.conntrack, NULL), ct,
			     "no conntrack entry is flushed by request %zu", i);
	}
	cr_assert_eq(count_keys(d.maps.vips, sizeof(struct xlb_vip_key)), vips,
		     "xlb_vips is unchanged");
	free(before);
}

/* Every form the CLI sends (user/cli/xlb_main.c) passes the specs. */
Test(control, every_request_the_cli_sends_still_works)
{
	static const char *const good[] = {
		"{\"cmd\":\"status\"}",
		"{\"cmd\":\"help\"}",
		"{\"cmd\":\"stats\"}",
		"{\"cmd\":\"vip.list\"}",
		"{\"cmd\":\"config.dump\"}",
		" {\"cmd\":\"backend.list\"}\n",
		"{\"cmd\":\"backend.list\",\"vip\":\"web\"}",
		"{\"cmd\":\"vip.add\",\"name\":\"x\",\"address\":\"192.0.2.11\",\"port\":0,\"protocol\":\"udp\",\"mode\":\"l2dsr\",\"hash\":\"source\",\"conntrack\":false,\"echo\":false,\"table_size\":251}",
		"{\"cmd\":\"backend.add\",\"vip\":\"x\",\"id\":5,\"address\":\"198.18.0.15\",\"mac\":\"02:00:00:00:01:05\",\"weight\":4}",
		"{\"cmd\":\"backend.add\",\"vip\":\"x\",\"id\":1}",
		"{\"cmd\":\"backend.weight\",\"vip\":\"x\",\"id\":5,\"weight\":7}",
		"{\"cmd\":\"backend.drain\",\"vip\":\"x\",\"id\":5}",
		"{\"cmd\":\"backend.undrain\",\"vip\":\"x\",\"id\":5}",
		"{\"cmd\":\"backend.down\",\"id\":5}",
		"{\"cmd\":\"backend.up\",\"id\":5}",
		"{\"cmd\":\"maglev.show\",\"vip\":\"x\"}",
		"{\"cmd\":\"conntrack.count\",\"vip\":\"web\"}",
		"{\"cmd\":\"conntrack.list\",\"vip\":\"web\",\"limit\":100000}",
		"{\"cmd\":\"conntrack.list\"}",
		"{\"cmd\":\"backend.del\",\"vip\":\"x\",\"id\":5}",
		"{\"cmd\":\"vip.del\",\"name\":\"x\"}",
		"{\"cmd\":\"conntrack.flush\",\"vip\":\"dsr\"}",
		"{\"cmd\":\"conntrack.flush\"}",
		"{\"cmd\":\"reload\"}",
	};
	struct json_object *r;

	track_ten_flows();
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		r = raw_req(good[i], strlen(good[i]));
		cr_assert(reply_ok(r), "%s succeeds (got: %s)", good[i], reply_error(r));
		if (i == 7)
			cr_assert_eq(json_object_get_int(json_object_object_get(
					     r, "tables_swapped")), 1,
				     "vip.add installs x's table");
		if (i == 16)
			cr_assert_eq(json_object_get_int(json_object_object_get(
					     r, "count")), 10,
				     "web's ten flows are counted");
		if (i == 21)
			cr_assert_eq(json_object_get_int(json_object_object_get(
					     r, "flushed")), 0,
				     "a flush of dsr leaves web's flows");
		json_object_put(r);
	}
	cr_assert_eq(xlb_ct_count(d.maps.conntrack, NULL), 0,
		     "a flush without vip flushes every VIP");
}

/* Every successful edit answers with what changed, in the audit's words. */
Test(control, an_edit_answers_what_changed)
{
	struct json_object *r;

	r = req("{\"cmd\":\"backend.weight\",\"vip\":\"web\",\"id\":2,\"weight\":5}");
	cr_assert(reply_ok(r), "%s", reply_error(r));
	cr_expect_str_eq(json_object_get_string(json_object_object_get(r, "change")),
			 "backend weight web 2 3 -> 5");
	json_object_put(r);
	r = req("{\"cmd\":\"backend.drain\",\"vip\":\"web\",\"id\":1}");
	cr_assert(reply_ok(r), "%s", reply_error(r));
	cr_expect_str_eq(json_object_get_string(json_object_object_get(r, "change")),
			 "backend drain web 1");
	json_object_put(r);
}

/* conntrack.count, .list and .flush take a backend (with or without a
 * VIP): xlbd filters as it walks; a flush deletes only those entries. */
Test(control, conntrack_requests_filter_by_backend)
{
	struct xlb_flow f = { .family = XLB_AF_INET, .proto = IPPROTO_TCP };
	struct xlb_ct_entry e = { 0 };
	int web = xlb_vip_id_of(&d.maps, xlb_cfg_vip_find(&d.running, "web"));
	int dsr = xlb_vip_id_of(&d.maps, xlb_cfg_vip_find(&d.running, "dsr"));
	struct json_object *r;

	cr_assert(web >= 0 && dsr >= 0);
	/* web: 4 on backend 1, 3 on backend 2; dsr: 2 on backend 2 */
	for (int i = 0; i < 9; i++) {
		f.sport = htons(4000 + i);
		e.backend_id = i < 4 ? 1 : 2;
		e.vip_id = (__u16)(i < 7 ? web : dsr);
		cr_assert_eq(xlb_ct_insert(d.maps.conntrack, &f, &e), 0);
	}
	r = req("{\"cmd\":\"conntrack.count\",\"backend\":2}");
	cr_assert(reply_ok(r), "%s", json_object_to_json_string(r));
	cr_assert_eq(json_object_get_int64(json_object_object_get(r, "count")),
		     5, "backend 2 in every VIP");
	json_object_put(r);
	r = req("{\"cmd\":\"conntrack.list\",\"vip\":\"web\",\"backend\":2,"
		"\"limit\":2}");
	cr_assert(reply_ok(r), "%s", json_object_to_json_string(r));
	cr_assert_eq(
		json_object_array_length(json_object_object_get(r, "entries")),
		2, "the limit counts matching entries");
	json_object_put(r);
	r = req("{\"cmd\":\"conntrack.flush\",\"vip\":\"web\",\"backend\":2}");
	cr_assert(reply_ok(r), "%s", json_object_to_json_string(r));
	cr_assert_eq(
		json_object_get_int64(json_object_object_get(r, "flushed")), 3,
		"web's entries on backend 2 only");
	json_object_put(r);
	cr_assert_eq(xlb_ct_count(d.maps.conntrack,
				  &(struct xlb_ct_filter){ .vip_id = web }),
		     4, "web keeps its backend 1 entries");
	cr_assert_eq(xlb_ct_count(d.maps.conntrack,
				  &(struct xlb_ct_filter){ .vip_id = dsr }),
		     2, "dsr keeps its backend 2 entries");
	r = req("{\"cmd\":\"conntrack.flush\",\"backend\":0}");
	cr_assert_not(reply_ok(r), "backend 0 is no backend");
	cr_assert(strstr(json_object_get_string(
				 json_object_object_get(r, "error")),
			 "conntrack.flush: backend"),
		  "%s", json_object_to_json_string(r));
	json_object_put(r);
}

/*
 * conntrack.list with "after" is a page: the table from that position,
 * whole batches until at least limit matches, and "next" while entries
 * remain. Paging from 0 to the end lists every entry exactly once (the
 * CLI's `conntrack list --limit 0`, which no single answer could hold for
 * a table of millions), and the filters apply within pages.
 */
Test(control, conntrack_list_pages_cover_the_table_once)
{
	enum { N = 5000 };
	struct xlb_flow f = { .family = XLB_AF_INET, .proto = IPPROTO_TCP };
	struct xlb_ct_entry e = { 0 };
	int web = xlb_vip_id_of(&d.maps, xlb_cfg_vip_find(&d.running, "web"));
	static unsigned char seen[N];
	long long after = 0;
	int pages = 0, total = 0, on2 = 0;

	cr_assert(web >= 0);
	f.dst.v4 = htonl(0xc000020a);
	for (int i = 0; i < N; i++) {
		f.src.v4 = htonl(0xcb000000u + (__u32)i); /* 203.0.0.0 + i */
		f.sport = htons((__u16)(1000 + i % 50000));
		e.backend_id = i % 3 ? 1 : 2;
		e.vip_id = (__u16)web;
		cr_assert_eq(xlb_ct_insert(d.maps.conntrack, &f, &e), 0);
	}
	for (int backend = 0; backend <= 2; backend += 2) {
		after = 0;
		pages = total = 0;
		for (;;) {
			char q[160];
			struct json_object *r, *a, *next;
			size_t n;

			snprintf(q, sizeof(q),
				 "{\"cmd\":\"conntrack.list\",\"limit\":100,"
				 "\"after\":%lld%s}",
				 after, backend ? ",\"backend\":2" : "");
			r = req(q);
			cr_assert(reply_ok(r), "%s", json_object_to_json_string(r));
			a = json_object_object_get(r, "entries");
			n = json_object_array_length(a);
			pages++;
			for (size_t k = 0; k < n; k++) {
				struct json_object *o = json_object_array_get_idx(a, k);
				struct in_addr in;
				int i;

				cr_assert_eq(inet_pton(AF_INET,
						       json_object_get_string(json_object_object_get(o, "client")),
						       &in),
					     1);
				i = (int)(ntohl(in.s_addr) - 0xcb000000u);
				cr_assert(i >= 0 && i < N, "a client we wrote");
				if (backend) {
					cr_assert_eq(json_object_get_int(json_object_object_get(o, "backend")), 2,
						     "the filter holds in every page");
					on2++;
				} else {
					cr_assert_eq(seen[i], 0, "client %d listed once", i);
					seen[i] = 1;
				}
				total++;
			}
			if (!json_object_object_get_ex(r, "next", &next)) {
				json_object_put(r);
				break;
			}
			cr_assert_geq(n, 100, "a page that is not the last holds its limit");
			cr_assert_gt(json_object_get_int64(next), after,
				     "the next page starts further on");
			after = json_object_get_int64(next);
			json_object_put(r);
			cr_assert_lt(pages, 1000, "the pages end");
		}
		if (backend) {
			cr_assert_eq(on2, (N + 2) / 3, "every entry on backend 2, in pages");
		} else {
			cr_assert_eq(total, N, "every entry, each once, in %d pages", pages);
			cr_assert_geq(pages, 3, "in several pages (%d)", pages);
		}
	}
}
