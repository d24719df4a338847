/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the LB test environment: the real xlb_lb object loaded
 * through its skeleton (or the differential test's reference, in maps of
 * its own), configured with a fixed set of VIPs (every mode and family)
 * and backends, plus the helpers that predict what the program must
 * output for a packet (the expected bytes are built independently, by
 * pkt.c, never by the code under test).
 */
#ifndef XLB_SELFTESTS_LB_ENV_H
#define XLB_SELFTESTS_LB_ENV_H

#include <stdbool.h>
#include <stdint.h>
#include <xlb/abi.h>

#include "lib/lbmaps.h"
#include "lib/stats.h"
#include "lib/maglev.h"
#include "tools/pkt.h"

#define ENV_M 1009 /* Maglev size for tests: prime, small, fast to install */
#define ENV_SEED 0x5eed1234u
#define ENV_MTU 1500
#define ENV_ENCAP_SRC4 "198.18.0.0"
#define ENV_ENCAP_SRC6 "2001:db8:ffff::"
#define ENV_MAX_BE 8

enum env_vip_idx {
	VIP_TCP4 = 0, /* 192.0.2.10:80/tcp, IPIP */
	VIP_UDP4_NOCT, /* 192.0.2.10:53/udp, IPIP, no conntrack */
	VIP_ANY4, /* 192.0.2.20:*, tcp, IPIP */
	VIP_TCP6, /* [2001:db8::10]:443/tcp, IP6IP6 */
	VIP_DSR4, /* 192.0.2.30:80/tcp, L2 DSR */
	VIP_4IN6, /* 192.0.2.40:80/tcp, IPv6 backends */
	VIP_6IN4, /* [2001:db8::20]:80/tcp, IPv4 backends */
	VIP_SRC4, /* 192.0.2.50:80/tcp, source-address hash */
	VIP_DSR6, /* [2001:db8::30]:80/tcp, L2 DSR */
	VIP_EMPTY4, /* 192.0.2.60:80/tcp, no backends */
	VIP_UDP6, /* [2001:db8::10]:53/udp, IP6IP6 */
	ENV_NVIPS,
};

struct env_vip {
	const char *addr;
	uint16_t port;
	uint8_t proto;
	uint8_t mode;
	uint8_t hash_fields;
	uint32_t flags;
	uint32_t be[ENV_MAX_BE];
	size_t nbe;
};

struct env_backend {
	uint32_t id;
	const char *addr;
	uint8_t mac[6];
};

extern const struct env_vip env_vips[ENV_NVIPS];

struct lb_env {
	struct xlb_lb *skel;
	struct xlb_bench *ref; /* lb_env_setup_ref: instead of skel */
	struct xlb_lb_maps maps;
	int prog_fd;
	int route_fd; /* lb_env_setup_ref: xlb_ref_route; else -1 */
	struct xlb_config cfg;
	uint32_t *tables[ENV_NVIPS]; /* user-space copies of what is installed */
};

/* Loads and configures; aborts the test (cr_assert) on any failure. */
void lb_env_setup(struct lb_env *e);
/*
 * The same configuration in maps of their own, for the differential test's
 * reference (bpf/xlb_bench.bpf.c): prog_fd runs the full parse alone
 * (xlb_ref_full), route_fd returns the way xlb_lb would send a packet
 * (enum xlb_fast: xlb_ref_route).
 */
void lb_env_setup_ref(struct lb_env *e);
void lb_env_teardown(struct lb_env *e);

/* Rebuilds the Maglev table of @vip from @bes and installs it. */
void lb_env_set_table(struct lb_env *e, int vip,
		      const struct xlb_maglev_backend *bes, size_t n);
/* Marks backend @id deleted (clears XLB_BE_F_ACTIVE) or active again. */
void lb_env_backend_active(struct lb_env *e, uint32_t id, bool active);

/* The flow the LB sees for a packet built from @s (client direction). */
void env_flow(const struct pkt_spec *s, struct xlb_flow *f);
/* The backend the installed table gives a new flow of @vip. */
uint32_t env_table_pick(const struct lb_env *e, int vip,
			const struct xlb_flow *f);
const struct env_backend *env_backend(uint32_t id);

/*
 * @in without what follows its IP packet (Ethernet padding, a trailer):
 * the LB cuts those bytes from every frame it sends.
 */
void env_ip_only(const struct pkt *in, struct pkt *out);

/*
 * The packet the LB must send for @in, a packet of flow @f of VIP @vip that
 * goes to backend @be_id: encapsulated (outer source from the flow's
 * entropy) or MAC-rewritten, without @in's padding or trailer.
 */
void env_expect_forward(const struct lb_env *e, int vip, uint32_t be_id,
			const struct pkt *in, const struct xlb_flow *f,
			struct pkt *want);

/* Runs the LB once; returns the verdict (cr_assert on a run failure). */
uint32_t env_run(const struct lb_env *e, const struct pkt *in,
		 struct pkt *out);

/* Sum over CPUs of counter @idx (enum xlb_stat), packets only. */
uint64_t env_stat(const struct lb_env *e, uint32_t idx);

#endif /* XLB_SELFTESTS_LB_ENV_H */
