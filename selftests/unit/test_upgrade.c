// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the upgrade suite: maps pinned exactly as the previous
 * release created them (built by hand with bpf_map_create, its sizes as
 * literals: xlb_stats had one entry per outcome, 20) are opened with this
 * build's loader. Idle, the old xlb_stats is replaced by one with room
 * (counters kept); still used by a program, it is adopted as it is and
 * replaced at the next attach; the conntrack table is adopted untouched
 * either way, per-CPU LRU lists and all. xlb_vip_addr_filter and
 * xlb_vip_by_id, which that release did not have, are created with the
 * bit of every VIP address and the slot of every VIP it left. A map this build
 * cannot use is refused with the exact step to take, and the refusal pins
 * nothing.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xlb/abi.h>

#include "lib/loader.h"
#include "lib/stats.h"
#include "xlb_lb.skel.h"

#define OLD_STAT_MAX 20 /* XLB_STAT_MAX of the previous release */
#define OLD_CT 4096
#define NFLOWS 3
#define OLD_VIP_ID 3

static char pin[128];

/* The previous release's maps: name, type, key, value, entries, flags. */
struct old_map {
	const char *name;
	enum bpf_map_type type;
	__u32 key, value, entries, flags;
};

static const struct old_map old_maps[] = {
	{ "xlb_vips", BPF_MAP_TYPE_HASH, 20, 12, 1024, 0 },
	{ "xlb_vip_addrs", BPF_MAP_TYPE_HASH, 20, 4, 1024, 0 },
	{ "xlb_backends", BPF_MAP_TYPE_ARRAY, 4, 24, 16384, 0 },
	{ "xlb_maglev", BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 1024, 0 },
	{ "xlb_conntrack", BPF_MAP_TYPE_LRU_HASH, 40, 16, OLD_CT,
	  BPF_F_NO_COMMON_LRU },
	{ "xlb_config", BPF_MAP_TYPE_ARRAY, 4, 44, 1, 0 },
	{ "xlb_ct_rate", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 16, 1, 0 },
	{ "xlb_stats", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 16, OLD_STAT_MAX, 0 },
	{ "xlb_vip_stats", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 32, 1024, 0 },
	{ "xlb_backend_stats", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 16, 16384, 0 },
};

static void rm_pins(void)
{
	xlb_pins_remove(pin);
}

static void setup(void)
{
	char err[256];

	snprintf(pin, sizeof(pin), "/sys/fs/bpf/xlb-upgrade-%d", getpid());
	rm_pins();
	cr_assert_eq(xlb_bpffs_ensure(pin, err, sizeof(err)), 0, "%s", err);
}

TestSuite(upgrade, .init = setup, .fini = rm_pins, .timeout = 120);

static __u32 map_id(int fd, __u32 *max_entries)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	cr_assert_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	if (max_entries)
		*max_entries = info.max_entries;
	return info.id;
}

static __u32 pinned_id(const char *name, __u32 *max_entries)
{
	char path[256];
	__u32 id;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin, name);
	fd = bpf_obj_get(path);
	cr_assert_geq(fd, 0, "%s is pinned", path);
	id = map_id(fd, max_entries);
	close(fd);
	return id;
}

static struct xlb_flow flow_n(int i)
{
	struct xlb_flow f = { .family = XLB_AF_INET, .proto = 6 };

	f.src.v4 = htonl(0xcb007100u + (__u32)i);
	f.dst.v4 = htonl(0xc000020au);
	f.sport = htons((__u16)(40000 + i));
	f.dport = htons(80);
	return f;
}

/*
 * Pins @old_maps (with @bad replacing the entry of the same name, if
 * given), as the previous release's xlbd would have left them: a few
 * conntrack entries and tx_forward at 7 per CPU. Returns the conntrack
 * map's id.
 */
static __u32 pin_previous_release(const struct old_map *bad)
{
	int ncpu = libbpf_num_possible_cpus(), inner, ct_id = 0;
	struct xlb_counter *per_cpu = calloc((size_t)ncpu, sizeof(*per_cpu));
	char path[256];

	cr_assert_not_null(per_cpu);
	for (size_t i = 0; i < sizeof(old_maps) / sizeof(old_maps[0]); i++) {
		const struct old_map *m = &old_maps[i];
		LIBBPF_OPTS(bpf_map_create_opts, o);
		int fd;

		if (bad && !strcmp(bad->name, m->name))
			m = bad;
		o.map_flags = m->flags;
		inner = -1;
		if (m->type == BPF_MAP_TYPE_ARRAY_OF_MAPS) {
			LIBBPF_OPTS(bpf_map_create_opts, io,
				    .map_flags = BPF_F_INNER_MAP);

			inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xlb_mg_t",
					       4, 4, 65538, &io);
			cr_assert_geq(inner, 0, "inner template: %s",
				      strerror(errno));
			o.inner_map_fd = (__u32)inner;
		}
		fd = bpf_map_create(m->type, m->name, m->key, m->value,
				    m->entries, &o);
		cr_assert_geq(fd, 0, "create %s: %s", m->name, strerror(errno));
		if (inner >= 0)
			close(inner);
		if (!strcmp(m->name, "xlb_conntrack")) {
			struct xlb_ct_entry e = { .backend_id = 2 };

			for (int f = 0; f < NFLOWS; f++) {
				struct xlb_flow k = flow_n(f);

				cr_assert_eq(bpf_map_update_elem(fd, &k, &e, 0),
					     0);
			}
			ct_id = (int)map_id(fd, NULL);
		}
		if (!strcmp(m->name, "xlb_vip_addrs") && m == &old_maps[i]) {
			struct xlb_addr_key k = { .family = XLB_AF_INET };
			struct xlb_addr_info ai = {};

			k.addr.v4 = htonl(0xc000020au); /* 192.0.2.10 */
			cr_assert_eq(bpf_map_update_elem(fd, &k, &ai, 0), 0);
			k = (struct xlb_addr_key){ .family = XLB_AF_INET6 };
			k.addr.v6[0] = htonl(0x20010db8u); /* 2001:db8::10 */
			k.addr.v6[3] = htonl(0x10);
			cr_assert_eq(bpf_map_update_elem(fd, &k, &ai, 0), 0);
		}
		if (!strcmp(m->name, "xlb_vips") && m == &old_maps[i]) {
			struct xlb_vip_key k = { .port = htons(80),
						 .proto = 6,
						 .family = XLB_AF_INET };
			struct xlb_vip_info vi = { .vip_id = OLD_VIP_ID };

			k.addr.v4 = htonl(0xc000020au); /* 192.0.2.10 */
			cr_assert_eq(bpf_map_update_elem(fd, &k, &vi, 0), 0);
		}
		if (!strcmp(m->name, "xlb_stats") && m == &old_maps[i]) {
			__u32 k = XLB_TX_FORWARD;

			for (int c = 0; c < ncpu; c++)
				per_cpu[c].packets = 7;
			cr_assert_eq(bpf_map_update_elem(fd, &k, per_cpu, 0),
				     0);
		}
		snprintf(path, sizeof(path), "%s/%s", pin, m->name);
		cr_assert_eq(bpf_obj_pin(fd, path), 0, "pin %s: %s", path,
			     strerror(errno));
		close(fd);
	}
	free(per_cpu);
	return (__u32)ct_id;
}

static void assert_conntrack_kept(const struct xlb_lb_maps *m, __u32 ct_id)
{
	__u32 max;

	cr_assert_eq(map_id(m->conntrack, &max), ct_id,
		     "the pinned conntrack map itself is adopted");
	cr_assert_eq(max, OLD_CT, "with its size");
	for (int f = 0; f < NFLOWS; f++) {
		struct xlb_flow k = flow_n(f);
		struct xlb_ct_entry e;

		cr_assert_eq(bpf_map_lookup_elem(m->conntrack, &k, &e), 0,
			     "flow %d is still tracked", f);
		cr_assert_eq(e.backend_id, 2);
	}
}

/*
 * The new xlb_vip_addr_filter holds the bits of the addresses the previous
 * release left in xlb_vip_addrs (else this build's program would pass their
 * packets as not for a VIP), and no more than those.
 */
static void assert_filter_knows_old_addrs(const struct xlb_lb_maps *m)
{
	struct xlb_addr a4, a6 = {};
	__u32 set = 0;

	/* not { .v4 = ... }: that leaves the union's other 12 bytes
	 * unspecified, and the filter hashes all 16 (clang's -O1 left
	 * garbage there under ASan) */
	memset(&a4, 0, sizeof(a4));
	a4.v4 = htonl(0xc000020au);

	a6.v6[0] = htonl(0x20010db8u);
	a6.v6[3] = htonl(0x10);
	for (__u32 w = 0; w < XLB_ADDR_FILTER_WORDS; w++) {
		__u64 v;

		cr_assert_eq(bpf_map_lookup_elem(m->vip_addr_filter, &w, &v), 0);
		for (__u32 b = 0; b < 64; b++) {
			__u32 bit = w * 64 + b;

			if (!((v >> b) & 1))
				continue;
			set++;
			cr_assert(bit == xlb_addr_filter_bit(&a4) ||
					  bit == xlb_addr_filter_bit(&a6),
				  "bit %u is set for no address", bit);
		}
	}
	cr_assert_eq(set, xlb_addr_filter_bit(&a4) == xlb_addr_filter_bit(&a6) ? 1 : 2,
		     "both old VIP addresses have their bit (%u set)", set);
}

/*
 * The new xlb_vip_by_id, once xlbd has synced it, holds the VIP the
 * previous release left in xlb_vips under its id, and every other slot is
 * empty.
 */
static void assert_by_id_knows_old_vips(const struct xlb_lb_maps *m)
{
	struct xlb_vip_slot s, empty = {};

	for (__u32 id = 0; id < XLB_MAX_VIPS; id++) {
		cr_assert_eq(bpf_map_lookup_elem(m->vip_by_id, &id, &s), 0);
		if (id != OLD_VIP_ID) {
			cr_assert(!memcmp(&s, &empty, sizeof(s)),
				  "slot %u is empty", id);
			continue;
		}
		cr_assert(s.key.family == XLB_AF_INET &&
				  s.key.addr.v4 == htonl(0xc000020au) &&
				  s.key.port == htons(80) && s.key.proto == 6 &&
				  s.info.vip_id == OLD_VIP_ID,
			  "the old VIP is in its id's slot");
	}
}

Test(upgrade, idle_previous_release_is_adopted_and_stats_grow)
{
	int ncpu = libbpf_num_possible_cpus();
	struct xlb_counter all[XLB_STAT_MAX];
	__u32 ct_id = pin_previous_release(NULL), ct_pinned = 0, max;
	__u32 old_stats = pinned_id("xlb_stats", NULL);
	struct xlb_lb_maps m;
	char err[512] = "";

	cr_assert_eq(xlb_maps_open_pinned(pin, 1 << 16, &m, &ct_pinned, err,
					  sizeof(err)),
		     0, "the previous release's maps open: %s", err);
	cr_assert_eq(ct_pinned, OLD_CT, "the pinned conntrack size is kept");
	assert_conntrack_kept(&m, ct_id);
	cr_assert_neq(map_id(m.stats, &max), old_stats,
		      "no program used the old xlb_stats: it was replaced");
	cr_assert_eq(max, XLB_STAT_SLOTS, "by one with room to grow");
	cr_assert_eq(pinned_id("xlb_stats", NULL), map_id(m.stats, NULL),
		     "and the pin names the new one");
	cr_assert_eq(xlb_stats_read_all(&m, all), XLB_STAT_MAX,
		     "every outcome of this build is readable");
	cr_assert_eq(all[XLB_TX_FORWARD].packets, 7ull * (__u64)ncpu,
		     "the old counters were copied");
	cr_assert_eq(all[XLB_DROP_NO_OUTCOME].packets, 0);
	cr_assert_eq(all[XLB_EV_CT_LEARN_LOST].packets, 0,
		     "an outcome added since counts from zero");
	cr_assert_neq(pinned_id("xlb_ct_events", &max), 0,
		      "the sync ring, which that release lacked, is created "
		      "and pinned");
	cr_assert_eq(max, XLB_CT_EVENTS_BYTES);
	cr_assert_gt(m.ct_events, 0, "and opened");
	cr_assert_eq(access("/sys/fs/bpf", F_OK), 0);
	assert_filter_knows_old_addrs(&m);
	/* what xlbd runs next, holding the pin dir */
	cr_assert_eq(xlb_vip_by_id_sync(&m), 0);
	assert_by_id_knows_old_vips(&m);
	xlb_maps_close(&m);
}

/* Loads the LB on the pinned maps as they are: the old release's program. */
static struct xlb_lb *old_program(void)
{
	struct xlb_lb *skel = xlb_lb__open();
	struct bpf_map *map;
	char path[256];

	cr_assert_not_null(skel);
	bpf_object__for_each_map(map, skel->obj) {
		if (bpf_map__is_internal(map))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin, bpf_map__name(map));
		cr_assert_eq(bpf_map__set_pin_path(map, path), 0);
	}
	bpf_map__set_max_entries(skel->maps.xlb_stats, OLD_STAT_MAX);
	bpf_map__set_max_entries(skel->maps.xlb_conntrack, OLD_CT);
	bpf_map__set_map_flags(skel->maps.xlb_conntrack, BPF_F_NO_COMMON_LRU);
	cr_assert_eq(xlb_lb__load(skel), 0, "the old program loads");
	return skel;
}

static void run_non_ip(struct xlb_lb *skel)
{
	unsigned char frame[64] = { [12] = 0x08, [13] = 0x06 }; /* ARP */
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = sizeof(frame));

	cr_assert_eq(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xlb_lb),
					    &o),
		     0);
	cr_assert_eq(o.retval, XDP_PASS, "the old program still passes ARP");
}

Test(upgrade, stats_in_use_are_adopted_then_replaced_at_attach)
{
	__u32 ct_id = pin_previous_release(NULL), old_stats, max;
	struct xlb_counter all[XLB_STAT_MAX], c;
	struct xlb_lb *old = old_program();
	struct xlb_lb_maps m, m2;
	char err[512] = "";
	int n;

	old_stats = pinned_id("xlb_stats", NULL);
	cr_assert_eq(xlb_maps_open_pinned(pin, 0, &m, NULL, err, sizeof(err)),
		     0, "%s", err);
	assert_conntrack_kept(&m, ct_id);
	cr_assert_eq(map_id(m.stats, &max), old_stats,
		     "a program counts into it: adopted as it is");
	cr_assert_eq(max, OLD_STAT_MAX);
	run_non_ip(old);
	n = xlb_stats_read_all(&m, all);
	cr_assert_eq(n, OLD_STAT_MAX, "the old map's outcomes are readable");
	cr_assert_eq(all[XLB_PASS_NOT_IP].packets, 1,
		     "and the running program's counts show");
	cr_assert_eq(xlb_stat_read(&m, XLB_DROP_NO_OUTCOME, &c), -ENOENT,
		     "a newer outcome is not counted yet");
	cr_assert_eq(xlb_maps_stats_refresh(pin, &m), 0, "nothing replaced");

	/* the operator detaches the old program and attaches this build */
	xlb_lb__destroy(old);
	cr_assert_eq(xlb_maps_open_pinned(pin, 0, &m2, NULL, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_neq(map_id(m2.stats, &max), old_stats, "replaced now");
	cr_assert_eq(max, XLB_STAT_SLOTS);
	assert_conntrack_kept(&m2, ct_id);
	cr_assert_eq(xlb_stats_read_all(&m2, all), XLB_STAT_MAX);
	cr_assert_eq(all[XLB_PASS_NOT_IP].packets, 1, "counts carried over");
	cr_assert_eq(xlb_maps_stats_refresh(pin, &m), 1,
		     "a daemon holding the old map finds the new one");
	cr_assert_eq(map_id(m.stats, NULL), map_id(m2.stats, NULL));
	xlb_maps_close(&m);
	xlb_maps_close(&m2);
}

static void assert_refused(const struct old_map *bad, const char *what,
			   const char *cost)
{
	char err[512] = "", want[768], path[256];
	struct xlb_lb_maps m;
	__u32 stats, max;

	pin_previous_release(bad);
	snprintf(path, sizeof(path), "%s/%s", pin, bad->name);
	snprintf(want, sizeof(want),
		 "pinned map %s does not fit this build: %s. To start over "
		 "with it: stop xlbd, run `xlb detach IFACE` for every "
		 "interface, `rm %s`, and start xlbd again, which creates it "
		 "anew (%s)",
		 path, what, path, cost);
	stats = pinned_id("xlb_stats", NULL);
	cr_assert_eq(xlb_maps_open_pinned(pin, 0, &m, NULL, err, sizeof(err)),
		     -EINVAL);
	cr_assert_str_eq(err, want);
	cr_assert_eq(pinned_id("xlb_stats", &max), stats,
		     "a refusal changes nothing: xlb_stats was not replaced");
	cr_assert_eq(max, OLD_STAT_MAX);
}

Test(upgrade, a_map_of_another_layout_is_refused_with_the_step_to_take)
{
	static const struct old_map vips = { "xlb_vips", BPF_MAP_TYPE_HASH,
					     24,	 12,
					     1024,	 0 };

	assert_refused(&vips, "key size 24, this build needs 20",
		       "xlbd fills it again from the config");
}

Test(upgrade, a_conntrack_of_another_type_is_refused_naming_the_cost)
{
	static const struct old_map ct = {
		"xlb_conntrack", BPF_MAP_TYPE_HASH, 40, 16, OLD_CT, 0
	};

	assert_refused(&ct, "type hash, this build needs lru_hash",
		       "every tracked flow is forgotten; established "
		       "connections follow the Maglev tables");
}

Test(upgrade, a_backend_stats_of_another_size_is_refused)
{
	static const struct old_map bs = {
		"xlb_backend_stats", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 16, 4096, 0
	};

	assert_refused(&bs, "max_entries 4096, this build needs 16384",
		       "its counters restart at zero");
}

/*
 * The first build with the flow cache pinned xlb_ct_versions without
 * BPF_F_MMAPABLE: it is adopted (an attached program shares it), and a
 * per-flow invalidation, unable to map it, bumps the generation instead,
 * so no cached copy of the flow can serve.
 */
Test(upgrade, an_unmappable_version_map_is_adopted_and_bumps_the_generation)
{
	struct xlb_flow f = flow_n(0);
	__u32 old_id, zero = 0, gen = 7;
	struct xlb_lb_maps m;
	char err[512] = "", path[256];
	int fd;

	pin_previous_release(NULL);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xlb_ct_versions", 4, 4,
			    XLB_CT_VERSIONS, NULL);
	cr_assert_geq(fd, 0, "create xlb_ct_versions: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/xlb_ct_versions", pin);
	cr_assert_eq(bpf_obj_pin(fd, path), 0);
	old_id = map_id(fd, NULL);
	close(fd);
	cr_assert_eq(xlb_maps_open_pinned(pin, 0, &m, NULL, err, sizeof(err)),
		     0, "the maps open: %s", err);
	cr_assert_eq(map_id(m.ct_versions, NULL), old_id,
		     "the pinned version map itself is adopted");
	cr_assert_eq(bpf_map_update_elem(m.ct_gen, &zero, &gen, 0), 0);
	errno = 0;
	cr_assert_null(xlb_ct_versions_map(&m), "it cannot be mapped");
	cr_assert_neq(errno, 0, "and says why");
	cr_assert_eq(xlb_ct_flows_changed(&m, NULL, &f, 1), 0);
	cr_assert_eq(bpf_map_lookup_elem(m.ct_gen, &zero, &gen), 0);
	cr_assert_eq(gen, 8, "the generation was bumped instead");
	xlb_maps_close(&m);
}
