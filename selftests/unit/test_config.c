// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Config tests: the YAML reader on a full file and on defaults, every error
 * path as {description, YAML text, expected "FILE:LINE: FIELD" substring},
 * the shared validator on models built in code and changed live, the
 * writer's round trip, deep copies, equality and the shipped example file.
 * Pure user space: no root, no BPF.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <criterion/criterion.h>

#include "config/config.h"
#include "lib/parse.h"

/*
 * The bound the reader promises (well under a second for any file under the
 * caps) is the production build's; under ASan+UBSan (make test-asan) the
 * same work runs several times slower, so the timing checks allow more.
 */
#if defined(__SANITIZE_ADDRESS__)
#define PARSE_BOUND_S 5.0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PARSE_BOUND_S 5.0
#endif
#endif
#ifndef PARSE_BOUND_S
#define PARSE_BOUND_S 1.0
#endif

TestSuite(config);

#define EXAMPLE_PATH "scripts/xlb.example.yaml"

/* The schema's own example, plus a second VIP that sets every option. */
static const char full_yaml[] =
	"# global settings; every key optional\n" /* 1 */
	"pin_dir: /sys/fs/bpf/xlb-test\n"
	"hash_seed: 24301\n"
	"maglev_size: 65537\n"
	"mtu: 9000\n" /* 5 */
	"conntrack:\n"
	"  entries: 2097152\n"
	"  insert_rate: 50000\n"
	"encap:\n"
	"  source4: 198.18.0.1\n" /* 10 */
	"  source6: 2001:db8:ffff::1\n"
	"nexthop:\n"
	"  mac: 02:00:00:00:0a:fe\n"
	"  interface: eth0\n"
	"  address: 10.0.0.1\n" /* 15 */
	"backends:\n"
	"  - id: 1\n"
	"    address: 10.1.0.1\n"
	"    mac: 02:00:00:00:01:01\n"
	"  - id: 2\n" /* 20 */
	"    address: 2001:db8:100::2\n"
	"vips:\n"
	"  - name: web\n"
	"    address: 192.0.2.10\n"
	"    port: 80\n" /* 25 */
	"    protocol: tcp\n"
	"    mode: tunnel\n"
	"    hash: 5tuple\n"
	"    conntrack: true\n"
	"    echo: true\n" /* 30 */
	"    table_size: 65537\n"
	"    backends:\n"
	"      - id: 1\n"
	"        weight: 1\n"
	"      - { id: 2, weight: 3 }\n" /* 35 */
	"  - name: dns.v6\n"
	"    address: 2001:db8::53\n"
	"    port: any\n"
	"    protocol: udp\n"
	"    mode: l2dsr\n" /* 40 */
	"    hash: source\n"
	"    conntrack: false\n"
	"    echo: false\n"
	"    table_size: 251\n"
	"    backends: [{id: 2, weight: 0}]\n"; /* 45 */

static int parse(const char *text, struct xlb_cfg *c, char *err)
{
	return xlb_cfg_parse("t.yaml", text, strlen(text), c, err, XLB_ERR_MAX);
}

/* @c written to a string the caller frees. */
static char *write_str(const struct xlb_cfg *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int ret;

	cr_assert_not_null(f, "open_memstream failed");
	ret = xlb_cfg_write(c, f);
	cr_assert_eq(fclose(f), 0, "fclose of the memory stream failed");
	cr_assert_eq(ret, 0, "xlb_cfg_write failed: %d", ret);
	return buf;
}

static void parse_ok(const char *text, struct xlb_cfg *c)
{
	char err[XLB_ERR_MAX];
	int ret = parse(text, c, err);

	cr_assert_eq(ret, 0, "a valid config fails to parse (%d): %s", ret, err);
	cr_assert_str_empty(err, "success leaves a message: %s", err);
}

static __be32 ip4(const char *s)
{
	struct in_addr a;

	cr_assert_eq(inet_pton(AF_INET, s, &a), 1, "bad test address %s", s);
	return a.s_addr;
}

static void ip6(const char *s, struct xlb_addr *out)
{
	memset(out, 0, sizeof(*out));
	cr_assert_eq(inet_pton(AF_INET6, s, out->bytes), 1,
		     "bad test address %s", s);
}

static void expect_empty(const struct xlb_cfg *c, const char *desc)
{
	struct xlb_cfg init;

	xlb_cfg_init(&init);
	cr_expect(c->backends == NULL && c->nbackends == 0 && c->vips == NULL &&
			  c->nvips == 0,
		  "%s: a failed parse leaves backends or VIPs behind", desc);
	cr_expect(xlb_cfg_equal(c, &init),
		  "%s: a failed parse leaves settings behind", desc);
}

Test(config, full_example_parses_to_the_expected_model)
{
	static const __u8 nh_mac[6] = { 2, 0, 0, 0, 0x0a, 0xfe };
	static const __u8 be_mac[6] = { 2, 0, 0, 0, 1, 1 };
	const struct xlb_cfg_vip *web, *dns;
	struct xlb_addr a6;
	struct xlb_cfg c;

	parse_ok(full_yaml, &c);
	cr_expect_str_eq(c.source, "t.yaml", "the model remembers its source");
	cr_expect_str_eq(c.pin_dir, "/sys/fs/bpf/xlb-test", "pin_dir");
	cr_expect_eq(c.hash_seed, 24301, "hash_seed");
	cr_expect_eq(c.maglev_size, 65537, "maglev_size");
	cr_expect_eq(c.mtu, 9000, "mtu");
	cr_expect_eq(c.ct_entries, 2097152, "conntrack.entries");
	cr_expect_eq(c.ct_insert_rate, 50000, "conntrack.insert_rate");
	cr_expect_eq(c.encap_src4, ip4("198.18.0.1"), "encap.source4");
	ip6("2001:db8:ffff::1", &a6);
	cr_expect_arr_eq(c.encap_src6.bytes, a6.bytes, 16, "encap.source6");
	cr_expect(c.has_nexthop_mac, "nexthop.mac given");
	cr_expect_arr_eq(c.nexthop_mac, nh_mac, 6, "nexthop.mac");
	cr_expect_str_eq(c.nexthop_ifname, "eth0", "nexthop.interface");
	cr_expect_eq(c.nexthop_family, XLB_AF_INET, "nexthop.address family");
	cr_expect_eq(c.nexthop_addr.v4, ip4("10.0.0.1"), "nexthop.address");

	cr_assert_eq(c.nbackends, 2, "two backends");
	cr_expect_eq(c.backends[0].id, 1, "backends[0].id");
	cr_expect_eq(c.backends[0].family, XLB_AF_INET, "backends[0] family");
	cr_expect_eq(c.backends[0].addr.v4, ip4("10.1.0.1"), "backends[0]");
	cr_expect(c.backends[0].has_mac, "backends[0].mac given");
	cr_expect_arr_eq(c.backends[0].mac, be_mac, 6, "backends[0].mac");
	cr_expect_eq(c.backends[0].line, 17, "backends[0] is on line 17");
	cr_expect_eq(c.backends[1].id, 2, "backends[1].id");
	cr_expect_eq(c.backends[1].family, XLB_AF_INET6, "backends[1] family");
	ip6("2001:db8:100::2", &a6);
	cr_expect_arr_eq(c.backends[1].addr.bytes, a6.bytes, 16, "backends[1]");
	cr_expect_not(c.backends[1].has_mac, "backends[1] has no mac");
	cr_expect_eq(c.backends[1].line, 20, "backends[1] is on line 20");
	cr_expect_eq(xlb_cfg_backend_find(&c, 2), &c.backends[1],
		     "backend_find(2)");
	cr_expect_null(xlb_cfg_backend_find(&c, 3), "backend_find(3)");

	cr_assert_eq(c.nvips, 2, "two VIPs");
	web = xlb_cfg_vip_find(&c, "web");
	dns = xlb_cfg_vip_find(&c, "dns.v6");
	cr_assert(web == &c.vips[0] && dns == &c.vips[1], "vip_find by name");
	cr_expect_null(xlb_cfg_vip_find(&c, "ftp"), "vip_find(ftp)");
	cr_expect_eq(web->family, XLB_AF_INET, "web family");
	cr_expect_eq(web->addr.v4, ip4("192.0.2.10"), "web address");
	cr_expect_eq(web->port, 80, "web port");
	cr_expect_eq(web->proto, IPPROTO_TCP, "web protocol");
	cr_expect_eq(web->mode, XLB_FWD_TUNNEL, "web mode");
	cr_expect_eq(web->hash_fields, XLB_HASH_5TUPLE, "web hash");
	cr_expect_eq(web->flags, 0, "web keeps conntrack");
	cr_expect(web->echo, "web answers echo");
	cr_expect_eq(web->table_size, 65537, "web table_size");
	cr_expect_eq(web->line, 23, "web is on line 23");
	cr_assert_eq(web->nrefs, 2, "web has two backends");
	cr_expect(web->refs[0].id == 1 && web->refs[0].weight == 1 &&
			  web->refs[0].line == 33,
		  "web backends[0] is id 1 weight 1 on line 33");
	cr_expect(web->refs[1].id == 2 && web->refs[1].weight == 3 &&
			  web->refs[1].line == 35,
		  "web backends[1] is id 2 weight 3 on line 35 (flow style)");

	cr_expect_eq(dns->family, XLB_AF_INET6, "dns family");
	ip6("2001:db8::53", &a6);
	cr_expect_arr_eq(dns->addr.bytes, a6.bytes, 16, "dns address");
	cr_expect_eq(dns->port, 0, "port: any is port 0");
	cr_expect_eq(dns->proto, IPPROTO_UDP, "dns protocol");
	cr_expect_eq(dns->mode, XLB_FWD_L2DSR, "dns mode");
	cr_expect_eq(dns->hash_fields, XLB_HASH_SOURCE, "dns hash");
	cr_expect_eq(dns->flags, XLB_VIP_F_NO_CONNTRACK,
		     "conntrack: false sets XLB_VIP_F_NO_CONNTRACK");
	cr_expect_not(dns->echo, "dns does not answer echo");
	cr_expect_eq(dns->table_size, 251, "dns table_size");
	cr_assert_eq(dns->nrefs, 1, "dns has one backend");
	cr_expect(dns->refs[0].id == 2 && dns->refs[0].weight == 0,
		  "a weight of 0 drains");
	xlb_cfg_free(&c);
	cr_expect(c.vips == NULL && c.nvips == 0 && c.backends == NULL,
		  "free leaves an empty model");
}

Test(config, defaults)
{
	struct xlb_cfg c;
	const struct xlb_cfg_vip *v;

	parse_ok("{}\n", &c);
	cr_expect_str_eq(c.pin_dir, XLB_DEFAULT_PIN_DIR, "default pin_dir");
	cr_expect_eq(c.hash_seed, 0, "default hash_seed");
	cr_expect_eq(c.maglev_size, XLB_MAGLEV_DEFAULT_SIZE, "default M");
	cr_expect_eq(c.mtu, 1500, "default mtu");
	cr_expect_eq(c.ct_entries, XLB_DEFAULT_CT_ENTRIES, "default entries");
	cr_expect_eq(c.ct_insert_rate, 0, "no insert cap by default");
	cr_expect_eq(c.encap_src4, 0, "no encap.source4 by default");
	cr_expect(!c.has_nexthop_mac && !c.nexthop_ifname[0] &&
			  !c.nexthop_family,
		  "no next hop by default");
	cr_expect(c.nbackends == 0 && c.nvips == 0, "nothing configured");
	xlb_cfg_free(&c);

	/* empty sections are empty, not errors */
	parse_ok("conntrack:\nencap:\nnexthop:\nbackends:\nvips: []\n", &c);
	cr_expect(c.nbackends == 0 && c.nvips == 0, "empty sections");
	xlb_cfg_free(&c);

	/* maglev_size after the VIPs still sets their default table size */
	parse_ok("encap: {source4: 198.18.0.1}\n"
		 "backends: [{id: 7, address: 10.1.0.7}]\n"
		 "vips:\n"
		 "  - name: web\n"
		 "    address: 192.0.2.10\n"
		 "    port: 0\n"
		 "    protocol: TCP\n"
		 "    backends: [{id: 7}]\n"
		 "maglev_size: 251\n",
		 &c);
	cr_assert_eq(c.nvips, 1, "one VIP");
	v = &c.vips[0];
	cr_expect_eq(v->port, 0, "port 0 is every port");
	cr_expect_eq(v->proto, IPPROTO_TCP, "enums ignore case");
	cr_expect_eq(v->mode, XLB_FWD_TUNNEL, "default mode tunnel");
	cr_expect_eq(v->hash_fields, XLB_HASH_5TUPLE, "default hash 5tuple");
	cr_expect_eq(v->flags, 0, "conntrack on by default");
	cr_expect(v->echo, "echo on by default");
	cr_expect_eq(v->table_size, 251, "table_size defaults to maglev_size");
	cr_assert_eq(v->nrefs, 1, "one backend");
	cr_expect_eq(v->refs[0].weight, 1, "default weight 1");
	xlb_cfg_free(&c);
}

struct err_case {
	const char *desc;
	const char *yaml;
	const char *expect; /* substring of the message: "t.yaml:LINE: FIELD" */
};

/* Lines 1-4: encap sources for both families and a two-family pool. */
#define POOL                                                                   \
	"encap: {source4: 198.18.0.1, source6: 2001:db8:ffff::1}\n"            \
	"backends:\n"                                                          \
	"  - {id: 1, address: 10.1.0.1}\n"                                     \
	"  - {id: 2, address: 2001:db8:100::2}\n"
/* Lines 5-9: vips[0], a valid IPv4 TCP VIP starting on line 6. */
#define WEB                                                                    \
	"vips:\n"                                                              \
	"  - name: web\n"                                                      \
	"    address: 192.0.2.10\n"                                            \
	"    port: 80\n"                                                       \
	"    protocol: tcp\n"
/* Lines 10-11: a VIP's backend list with one reference to @id. */
#define REF(id) "    backends:\n      - {id: " #id "}\n"

static const struct err_case err_cases[] = {
	/* the file as a whole */
	{ "a YAML syntax error", "conntrack:\n  entries: 4096\n   insert_rate: 0\n",
	  "t.yaml:3: syntax: " },
	{ "a tab in the indentation", "conntrack:\n\tentries: 4096\n",
	  "t.yaml:2: syntax: " },
	{ "an empty file", "", "t.yaml:1: (top level): the file is empty" },
	{ "a file of comments only", "# nothing\n",
	  "t.yaml:1: (top level): the file is empty" },
	{ "a list at the top", "- mtu: 1500\n",
	  "t.yaml:1: (top level): expected a mapping" },
	{ "a second document", "mtu: 1500\n---\nmtu: 9000\n",
	  "t.yaml:3: (top level): a second YAML document" },
	/* unknown and repeated keys */
	{ "a typo in a global key", "mtu: 1500\nmaglev_sise: 65537\n",
	  "t.yaml:2: maglev_sise: unknown key" },
	{ "a typo in conntrack", "conntrack:\n  entrys: 4096\n",
	  "t.yaml:2: conntrack.entrys: unknown key" },
	{ "a typo in encap", "encap:\n  source: 198.18.0.1\n",
	  "t.yaml:2: encap.source: unknown key" },
	{ "a typo in nexthop", "nexthop:\n  max: 02:00:00:00:0a:fe\n",
	  "t.yaml:2: nexthop.max: unknown key" },
	{ "a typo in a backend", "backends:\n  - id: 1\n    adress: 10.0.0.1\n",
	  "t.yaml:3: backends[0].adress: unknown key" },
	{ "a typo in a VIP", POOL WEB "    protocl: tcp\n",
	  "t.yaml:10: vips[0].protocl: unknown key" },
	{ "a typo in a VIP's backend", POOL WEB
	  "    backends:\n      - {id: 1, wieght: 2}\n",
	  "t.yaml:11: vips[0].backends[0].wieght: unknown key" },
	{ "a key given twice", "mtu: 1500\nhash_seed: 1\nmtu: 9000\n",
	  "t.yaml:3: mtu: given twice (first on line 1)" },
	{ "a key that is not a word", "[mtu]: 1500\n",
	  "t.yaml:1: (top level): a key must be a word" },
	/* wrong types */
	{ "a mapping for a list", "vips: {name: web}\n",
	  "t.yaml:1: vips: expected a list" },
	{ "a list for a number", "mtu: [1500]\n",
	  "t.yaml:1: mtu: expected a number" },
	{ "a word for a number", "hash_seed: abc\n",
	  "t.yaml:1: hash_seed: \"abc\" is not a number (0..4294967295)" },
	{ "a negative number", "hash_seed: -1\n",
	  "t.yaml:1: hash_seed: \"-1\" is not a number (0..4294967295)" },
	{ "a leading zero", "hash_seed: 010\n",
	  "t.yaml:1: hash_seed: \"010\": a leading 0 is refused, since YAML 1.1 reads it as octal; write 10" },
	{ "hex out of range", "mtu: 0x10000\n",
	  "t.yaml:1: mtu: 0x10000 is out of range 0..65535" },
	{ "a plus sign", "mtu: +1500\n",
	  "t.yaml:1: mtu: \"+1500\" is not a number (0..65535)" },
	{ "blanks inside quotes", "mtu: \" 1500\"\n",
	  "t.yaml:1: mtu: \" 1500\" is not a number (0..65535)" },
	{ "an exponent", "mtu: 1e3\n",
	  "t.yaml:1: mtu: \"1e3\" is not a number (0..65535)" },
	{ "a leading zero in a weight", POOL WEB
	  "    backends:\n      - {id: 1, weight: 007}\n",
	  "t.yaml:11: vips[0].backends[0].weight: \"007\": a leading 0 is refused, since YAML 1.1 reads it as octal; write 7" },
	{ "no value for a number", "mtu:\n", "t.yaml:1: mtu: expected a number" },
	{ "a number for a mapping", "conntrack: 4096\n",
	  "t.yaml:1: conntrack: expected a mapping" },
	{ "a number for a backend", "backends:\n  - 1\n",
	  "t.yaml:2: backends[0]: expected a mapping" },
	{ "a word for a boolean", POOL WEB "    conntrack: maybe\n",
	  "t.yaml:10: vips[0].conntrack: expected true or false" },
	{ "a relative pin_dir", "pin_dir: xlb\n",
	  "t.yaml:1: pin_dir: must be an absolute path" },
	{ "a NUL byte in a value", "pin_dir: \"/sys\\0/x\"\n",
	  "t.yaml:1: pin_dir: expected an absolute path, got a value with a NUL" },
	/* numbers out of range */
	{ "hash_seed above 32 bits", "hash_seed: 4294967296\n",
	  "t.yaml:1: hash_seed: 4294967296 is out of range" },
	{ "a number beyond 64 bits", "hash_seed: 99999999999999999999999\n",
	  "t.yaml:1: hash_seed: 99999999999999999999999 is out of range 0..4294967295" },
	{ "maglev_size not a prime", "maglev_size: 65536\n",
	  "t.yaml:1: maglev_size: 65536 is not a prime (the next prime is 65537)" },
	{ "maglev_size too small", "maglev_size: 2\n",
	  "t.yaml:1: maglev_size: 2 is out of range" },
	{ "maglev_size too large", "maglev_size: 16777259\n",
	  "t.yaml:1: maglev_size: 16777259 is out of range" },
	{ "mtu too small", "mtu: 575\n", "t.yaml:1: mtu: 575 is out of range" },
	{ "mtu too large", "mtu: 65536\n", "t.yaml:1: mtu: 65536 is out of range" },
	{ "conntrack.entries too small", "conntrack:\n  entries: 1023\n",
	  "t.yaml:2: conntrack.entries: 1023 is out of range" },
	{ "conntrack.entries too large", "conntrack:\n  entries: 67108865\n",
	  "t.yaml:2: conntrack.entries: 67108865 is out of range" },
	{ "conntrack.insert_rate above 32 bits",
	  "conntrack: {insert_rate: 4294967296}\n",
	  "t.yaml:1: conntrack.insert_rate: 4294967296 is out of range" },
	{ "a VIP key given twice", POOL WEB "    port: 65536\n",
	  "t.yaml:10: vips[0].port: given twice" },
	{ "a port above 65535", POOL
	  "vips:\n  - {name: web, address: 192.0.2.10, port: 65536, protocol: tcp}\n",
	  "t.yaml:6: vips[0].port: 65536 is out of range" },
	{ "a port by service name", POOL
	  "vips:\n  - {name: web, address: 192.0.2.10, port: http, protocol: tcp}\n",
	  "t.yaml:6: vips[0].port: \"http\" is not a number (0..65535)" },
	{ "a weight above XLB_WEIGHT_MAX", POOL WEB
	  "    backends:\n      - {id: 1, weight: 65536}\n",
	  "t.yaml:11: vips[0].backends[0].weight: 65536 is out of range" },
	{ "a table_size that is not a prime", POOL WEB "    table_size: 1000\n",
	  "t.yaml:10: vips[0].table_size: 1000 is not a prime" },
	{ "more backends than table slots", POOL
	  "  - {id: 3, address: 10.1.0.3}\n"
	  "  - {id: 4, address: 10.1.0.4}\n"
	  "vips:\n"
	  "  - name: tiny\n"
	  "    address: 192.0.2.10\n"
	  "    port: 80\n"
	  "    protocol: tcp\n"
	  "    table_size: 3\n"
	  "    backends: [{id: 1}, {id: 3}, {id: 4}, {id: 2}]\n",
	  "t.yaml:8: vips[0].backends: 4 backends do not fit a table of 3" },
	/* addresses and MACs */
	{ "a bad backend address", "backends:\n  - id: 1\n    address: 10.0.0.256\n",
	  "t.yaml:3: backends[0].address: expected an IPv4 or IPv6 address" },
	{ "a host name for a VIP", POOL
	  "vips:\n  - {name: web, address: www.example.com, port: 80, protocol: tcp}\n",
	  "t.yaml:6: vips[0].address: expected an IPv4 or IPv6 address" },
	{ "a short MAC", "backends:\n  - {id: 1, address: 10.0.0.1, mac: 02:00:00:00:01}\n",
	  "t.yaml:2: backends[0].mac: expected a MAC address" },
	{ "a multicast MAC", "nexthop:\n  mac: 01:00:5e:00:00:01\n",
	  "t.yaml:2: nexthop.mac: \"01:00:5e:00:00:01\" must be a unicast MAC" },
	{ "an all-zero MAC", "nexthop:\n  mac: 00:00:00:00:00:00\n",
	  "t.yaml:2: nexthop.mac: \"00:00:00:00:00:00\" must be a unicast MAC" },
	{ "an IPv6 encap.source4", "encap:\n  source4: 2001:db8::1\n",
	  "t.yaml:2: encap.source4: expected an IPv4 address" },
	{ "an IPv4 encap.source6", "encap:\n  source6: 198.18.0.1\n",
	  "t.yaml:2: encap.source6: expected an IPv6 address" },
	{ "encap.source4 0.0.0.0", "encap:\n  source4: 0.0.0.0\n",
	  "t.yaml:2: encap.source4: 0.0.0.0 cannot be a source" },
	{ "a bad nexthop.address", "nexthop: {interface: eth0, address: gw}\n",
	  "t.yaml:1: nexthop.address: expected an IPv4 or IPv6 address" },
	{ "a nexthop.interface too long",
	  "nexthop:\n  interface: averyveryverylongname\n  address: 10.0.0.1\n",
	  "t.yaml:2: nexthop.interface: an interface name has 1..15" },
	{ "a nexthop.interface with a slash",
	  "nexthop:\n  interface: eth/0\n  address: 10.0.0.1\n",
	  "t.yaml:2: nexthop.interface: an interface name has no '/'" },
	/* enumerations */
	{ "protocol sctp", POOL "vips:\n  - name: web\n    address: 192.0.2.10\n"
	  "    port: 80\n    protocol: sctp\n",
	  "t.yaml:9: vips[0].protocol: \"sctp\" is not one of tcp, udp" },
	{ "mode nat", POOL WEB "    mode: nat\n",
	  "t.yaml:10: vips[0].mode: \"nat\" is not one of tunnel, l2dsr" },
	{ "hash random", POOL WEB "    hash: random\n",
	  "t.yaml:10: vips[0].hash: \"random\" is not one of 5tuple, source" },
	/* the backend pool */
	{ "a duplicate backend id", POOL "  - {id: 1, address: 10.1.0.9}\n",
	  "t.yaml:5: backends[2].id: duplicate id 1 (also backends[0], line 3)" },
	{ "backend id 0", "backends:\n  - {id: 0, address: 10.1.0.1}\n",
	  "t.yaml:2: backends[0].id: 0 is out of range" },
	{ "backend id XLB_MAX_BACKENDS", "backends:\n  - {id: 16384, address: 10.1.0.1}\n",
	  "t.yaml:2: backends[0].id: 16384 is out of range" },
	{ "a backend without id", "backends:\n  - address: 10.1.0.1\n",
	  "t.yaml:2: backends[0].id: missing" },
	{ "a backend without address", "backends:\n  - id: 1\n",
	  "t.yaml:2: backends[0].address: missing" },
	/* VIPs */
	{ "a duplicate VIP name", POOL WEB
	  "  - {name: web, address: 192.0.2.11, port: 80, protocol: tcp}\n",
	  "t.yaml:10: vips[1].name: \"web\" is already the name of vips[0] (line 6)" },
	{ "a duplicate VIP key", POOL WEB
	  "  - {name: web2, address: 192.0.2.10, port: 80, protocol: tcp}\n",
	  "t.yaml:10: vips[1]: 192.0.2.10 port 80/tcp is already vips[0] \"web\"" },
	{ "an empty VIP name", POOL
	  "vips:\n  - {name: \"\", address: 192.0.2.10, port: 80, protocol: tcp}\n",
	  "t.yaml:6: vips[0].name: empty" },
	{ "no VIP name", POOL
	  "vips:\n  - {name: , address: 192.0.2.10, port: 80, protocol: tcp}\n",
	  "t.yaml:6: vips[0].name: expected a name, got no value" },
	{ "a VIP name of 64 characters", POOL
	  "vips:\n  - {name: "
	  "a123456789b123456789c123456789d123456789e123456789f123456789abcd"
	  ", address: 192.0.2.10, port: 80, protocol: tcp}\n",
	  "t.yaml:6: vips[0].name: longer than 63 characters" },
	{ "a slash in a VIP name", POOL
	  "vips:\n  - {name: web/1, address: 192.0.2.10, port: 80, protocol: tcp}\n",
	  "t.yaml:6: vips[0].name: '/' is not allowed" },
	{ "a blank in a VIP name", POOL
	  "vips:\n  - {name: \"web 1\", address: 192.0.2.10, port: 80, protocol: tcp}\n",
	  "t.yaml:6: vips[0].name: byte 0x20 is not allowed" },
	{ "a VIP without name", POOL
	  "vips:\n  - {address: 192.0.2.10, port: 80, protocol: tcp}\n",
	  "t.yaml:6: vips[0].name: missing" },
	{ "a VIP without address", POOL
	  "vips:\n  - {name: web, port: 80, protocol: tcp}\n",
	  "t.yaml:6: vips[0].address: missing" },
	{ "a VIP without port", POOL
	  "vips:\n  - {name: web, address: 192.0.2.10, protocol: tcp}\n",
	  "t.yaml:6: vips[0].port: missing" },
	{ "a VIP without protocol", POOL
	  "vips:\n  - {name: web, address: 192.0.2.10, port: 80}\n",
	  "t.yaml:6: vips[0].protocol: missing (tcp or udp)" },
	{ "VIPs on one address that disagree on echo", POOL WEB
	  "  - {name: web-s, address: 192.0.2.10, port: 443, protocol: tcp, echo: off}\n",
	  "t.yaml:10: vips[1].echo: false, but vips[0] \"web\" (line 6) on the same address says true" },
	/* references */
	{ "a reference to an unknown backend", POOL WEB REF(3),
	  "t.yaml:11: vips[0].backends[0].id: no backend 3 in the pool" },
	{ "a reference out of range", POOL WEB REF(70000),
	  "t.yaml:11: vips[0].backends[0].id: 70000 is out of range" },
	{ "a duplicate reference", POOL WEB
	  "    backends:\n      - {id: 1}\n      - {id: 2}\n      - {id: 1, weight: 5}\n",
	  "t.yaml:13: vips[0].backends[2].id: backend 1 is listed twice (also backends[0], line 11)" },
	{ "a reference without id", POOL WEB "    backends:\n      - {weight: 5}\n",
	  "t.yaml:11: vips[0].backends[0].id: missing" },
	/* rules across fields */
	{ "nexthop with interface only", "nexthop:\n  interface: eth0\n",
	  "t.yaml:1: nexthop: interface without address" },
	{ "nexthop with address only", "mtu: 1500\nnexthop:\n  address: 10.0.0.1\n",
	  "t.yaml:2: nexthop: address without interface" },
	/* cross-field checks cite the line of the setting they blame */
	{ "encap.source4's /16 holding the next hop",
	  "hash_seed: 1\nencap:\n  source4: 10.0.9.0\nnexthop:\n"
	  "  interface: eth0\n  address: 10.0.0.1\n",
	  "t.yaml:3: encap.source4: its /16 holds the next hop 10.0.0.1" },
	{ "encap.source6's /96 holding the next hop",
	  "encap:\n  source4: 10.9.0.1\n  source6: '2001:db8:1::'\n"
	  "nexthop:\n  interface: eth0\n  address: '2001:db8:1::1'\n",
	  "t.yaml:3: encap.source6: its /96 holds the next hop 2001:db8:1::1" },
	{ "an MTU too small for IPv6 through a tunnel",
	  "hash_seed: 1\nmtu: 1300\n" POOL
	  "vips:\n  - name: web6\n    address: 2001:db8::10\n    port: 80\n"
	  "    protocol: tcp\n    backends: [{id: 2}]\n",
	  "t.yaml:2: mtu: 1300 leaves IPv6 VIP \"web6\" a packet-too-big MTU below 1280" },
	{ "a tunnel to IPv4 without encap.source4",
	  "encap: {source6: 2001:db8:ffff::1}\n"
	  "backends:\n  - {id: 1, address: 10.1.0.1}\n"
	  "vips:\n  - name: web\n    address: 2001:db8::10\n    port: 80\n"
	  "    protocol: tcp\n    backends: [{id: 1}]\n",
	  "t.yaml:9: encap.source4: not set, but vips[0] \"web\" tunnels to IPv4 backend 1" },
	{ "a backup that is not a boolean", POOL WEB
	  "    backends:\n      - {id: 1}\n      - {id: 2, backup: maybe}\n",
	  "t.yaml:12: vips[0].backends[1].backup: expected true or false" },
	{ "a VIP whose backends are all backups", POOL WEB
	  "    backends:\n      - {id: 1, backup: true}\n"
	  "      - {id: 2, backup: yes}\n",
	  "t.yaml:11: vips[0].backends: every backend is a backup" },
	{ "a drained IPv4 backend still needs encap.source4",
	  "backends:\n  - {id: 1, address: 10.1.0.1}\n"
	  "vips:\n  - name: web\n    address: 192.0.2.10\n    port: 80\n"
	  "    protocol: tcp\n    backends:\n      - {id: 1, weight: 0}\n",
	  "t.yaml:9: encap.source4: not set" },
	{ "a tunnel to IPv6 without encap.source6",
	  "encap: {source4: 198.18.0.1}\n"
	  "backends:\n  - {id: 2, address: 2001:db8:100::2}\n"
	  "vips:\n  - name: web\n    address: 192.0.2.10\n    port: 80\n"
	  "    protocol: tcp\n    backends: [{id: 2}]\n",
	  "t.yaml:9: encap.source6: not set, but vips[0] \"web\" tunnels to IPv6 backend 2" },
	{ "L2 DSR from an IPv4 VIP to an IPv6 backend", POOL WEB
	  "    mode: l2dsr\n    backends:\n      - {id: 1}\n      - {id: 2}\n",
	  "t.yaml:13: vips[0].backends[1].id: backend 2 is IPv6 but the VIP is IPv4" },
	/* sync: */
	{ "sync without listen", "sync:\n  key_file: /etc/xlb/sync.key\n"
	  "  peers: [192.0.2.2:7400]\n", "t.yaml:2: sync.listen: missing" },
	{ "a sync listen without port", "sync:\n  listen: 192.0.2.1\n",
	  "t.yaml:2: sync.listen: expected ADDRESS:PORT" },
	{ "an IPv6 peer without brackets",
	  "sync:\n  listen: 192.0.2.1:7400\n  peers: [2001:db8::1:7400]\n",
	  "t.yaml:3: sync.peers[0]: expected ADDRESS:PORT" },
	{ "a relative key file",
	  "sync:\n  listen: 192.0.2.1:7400\n  key_file: sync.key\n",
	  "t.yaml:3: sync.key_file: expected an absolute path" },
	{ "sync with no peer",
	  "sync:\n  listen: 192.0.2.1:7400\n  key_file: /k\n",
	  "t.yaml:1: sync.peers: no peer" },
	{ "a sync peer of another family",
	  "sync:\n  listen: 192.0.2.1:7400\n  key_file: /k\n"
	  "  peers:\n    - 192.0.2.2:7400\n    - \"[2001:db8::2]:7400\"\n",
	  "t.yaml:6: sync.peers[1]: not of sync.listen's address family" },
	{ "a sync peer that is listen itself",
	  "sync:\n  listen: 192.0.2.1:7400\n  key_file: /k\n"
	  "  peers: [192.0.2.1:7400]\n",
	  "t.yaml:4: sync.peers[0]: is sync.listen itself" },
	{ "a sync interval of 0",
	  "sync:\n  listen: 192.0.2.1:7400\n  interval: 0\n",
	  "t.yaml:3: sync.interval: " },
};

Test(config, every_error_names_file_line_and_field)
{
	size_t i;

	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *e = &err_cases[i];
		char err[XLB_ERR_MAX];
		struct xlb_cfg c;
		int ret;

		/* garbage in: the call initialises the model */
		memset(&c, 0xa5, sizeof(c));
		ret = parse(e->yaml, &c, err);
		cr_expect_eq(ret, -EINVAL, "%s: want -EINVAL, got %d", e->desc,
			     ret);
		cr_expect_not_null(strstr(err, e->expect),
				   "%s: message \"%s\" lacks \"%s\"", e->desc,
				   err, e->expect);
		expect_empty(&c, e->desc);
		xlb_cfg_free(&c);
	}
}

Test(config, message_buffers_may_be_small_or_absent)
{
	static const char bad[] = "mtu: 1\n";
	char tiny[8];
	struct xlb_cfg c;

	cr_expect_eq(xlb_cfg_parse("t.yaml", bad, strlen(bad), &c, NULL, 0),
		     -EINVAL, "no buffer: still an error");
	expect_empty(&c, "no buffer");
	memset(tiny, 'x', sizeof(tiny));
	cr_expect_eq(xlb_cfg_parse("t.yaml", bad, strlen(bad), &c, tiny,
				   sizeof(tiny)),
		     -EINVAL, "tiny buffer: still an error");
	cr_expect_str_eq(tiny, "t.yaml:", "the message is cut, and ends");
	cr_expect_eq(xlb_cfg_parse(NULL, bad, strlen(bad), &c, tiny,
				   sizeof(tiny)),
		     -EINVAL, "no name");
	cr_expect_str_eq(tiny, "<config", "no name reads <config>");
}

Test(config, more_than_max_vips)
{
	size_t cap = (size_t)(XLB_MAX_VIPS + 2) * 96, len;
	char *text = malloc(cap), want[64], err[XLB_ERR_MAX];
	struct xlb_cfg c;
	int i, ret;

	cr_assert_not_null(text);
	len = (size_t)snprintf(text, cap, "vips:\n");
	for (i = 0; i <= XLB_MAX_VIPS; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"  - {name: v%d, address: 192.0.2.1, port: %d, protocol: tcp}\n",
					i, i + 1);
	cr_assert_lt(len, cap, "test buffer too small");
	ret = parse(text, &c, err);
	cr_expect_eq(ret, -EINVAL, "%d VIPs must not parse", XLB_MAX_VIPS + 1);
	snprintf(want, sizeof(want), "t.yaml:%d: vips[%d]: ", XLB_MAX_VIPS + 2,
		 XLB_MAX_VIPS);
	cr_expect_not_null(strstr(err, want), "message \"%s\" lacks \"%s\"",
			   err, want);
	expect_empty(&c, "too many VIPs");

	/* exactly the limit is fine */
	*strrchr(text, '\n') = '\0';
	*(strrchr(text, '\n') + 1) = '\0';
	ret = parse(text, &c, err);
	cr_expect_eq(ret, 0, "%d VIPs must parse: %s", XLB_MAX_VIPS, err);
	cr_expect_eq(c.nvips, XLB_MAX_VIPS, "all VIPs read");
	xlb_cfg_free(&c);
	free(text);
}

/* Not everything collides: these differ in one part of the key. */
Test(config, distinct_keys_and_families_are_fine)
{
	struct xlb_cfg c;

	parse_ok(POOL WEB
		 "  - {name: web-udp, address: 192.0.2.10, port: 80, protocol: udp}\n"
		 "  - {name: web-any, address: 192.0.2.10, port: any, protocol: tcp}\n"
		 "  - {name: web-8080, address: 192.0.2.10, port: 8080, protocol: tcp}\n"
		 "  - {name: dsr6, address: 2001:db8::1, port: 80, protocol: tcp,\n"
		 "     mode: l2dsr, backends: [{id: 2}]}\n",
		 &c);
	cr_expect_eq(c.nvips, 5, "five VIPs");
	xlb_cfg_free(&c);
}

Test(config, validate_a_model_built_in_code)
{
	struct xlb_cfg_backend be = { .id = 1, .family = XLB_AF_INET };
	struct xlb_cfg_ref ref = { .id = 7, .weight = 1 };
	struct xlb_cfg_vip vip = {
		.name = "web",
		.family = XLB_AF_INET,
		.port = 80,
		.proto = IPPROTO_TCP,
		.mode = XLB_FWD_TUNNEL,
		.hash_fields = XLB_HASH_5TUPLE,
		.echo = true,
		.table_size = 251,
		.refs = &ref,
		.nrefs = 1,
	};
	char err[XLB_ERR_MAX];
	struct xlb_cfg c;

	xlb_cfg_init(&c);
	be.addr.v4 = ip4("10.1.0.1");
	vip.addr.v4 = ip4("192.0.2.10");
	c.encap_src4 = ip4("198.18.0.1");
	c.backends = &be;
	c.nbackends = 1;
	c.vips = &vip;
	c.nvips = 1;
	cr_expect_eq(xlb_cfg_validate(&c, err, sizeof(err)), -EINVAL,
		     "a reference to backend 7 that is not in the pool");
	cr_expect_str_eq(err,
			 "<config>: vips[0].backends[0].id: no backend 7 in the pool",
			 "no file, no line");
	ref.id = 1;
	cr_expect_eq(xlb_cfg_validate(&c, err, sizeof(err)), 0,
		     "fixed model validates: %s", err);
	cr_expect_str_empty(err, "success clears the message");
	c.mtu = 100;
	cr_expect_eq(xlb_cfg_validate(&c, err, sizeof(err)), -EINVAL, "mtu");
	cr_expect_str_eq(err,
			 "<config>: mtu: 100 is out of range: 0 (no check) or 576..65535",
			 "a global setting");
	c.mtu = 0;
	vip.hash_fields = 0;
	cr_expect_eq(xlb_cfg_validate(&c, err, sizeof(err)), -EINVAL, "hash 0");
	cr_expect_not_null(strstr(err, "<config>: vips[0].hash: "),
			   "hash_fields is never 0 in a model: %s", err);
	vip.hash_fields = XLB_HASH_SOURCE;
	vip.table_size = 0;
	cr_expect_eq(xlb_cfg_validate(&c, err, sizeof(err)), -EINVAL, "M 0");
	cr_expect_not_null(strstr(err, "<config>: vips[0].table_size: "),
			   "table_size is never 0 in a model: %s", err);
	vip.table_size = 251;
	vip.flags = 1u << 7;
	cr_expect_eq(xlb_cfg_validate(&c, err, sizeof(err)), -EINVAL, "flags");
	vip.flags = 0;
	cr_expect_eq(xlb_cfg_validate(&c, NULL, 0), 0, "no message buffer");
}

/* A live change on a parsed model: messages keep the file and the lines. */
Test(config, validate_a_live_change)
{
	char err[XLB_ERR_MAX];
	struct xlb_cfg c;

	parse_ok(full_yaml, &c);
	c.vips[0].refs[1].id = 99;
	cr_expect_eq(xlb_cfg_validate(&c, err, sizeof(err)), -EINVAL,
		     "a reference to a missing backend");
	cr_expect_str_eq(err,
			 "t.yaml:35: vips[0].backends[1].id: no backend 99 in the pool",
			 "the line of the reference");
	c.vips[0].refs[1].id = 2;
	snprintf(c.vips[1].name, sizeof(c.vips[1].name), "web");
	c.vips[1].line = 0; /* as if added live */
	cr_expect_eq(xlb_cfg_validate(&c, err, sizeof(err)), -EINVAL,
		     "a duplicate name");
	cr_expect_str_eq(err,
			 "t.yaml: vips[1].name: \"web\" is already the name of vips[0] (line 23)",
			 "no line for what was added live");
	xlb_cfg_free(&c);
}

static void round_trip(const char *desc, const struct xlb_cfg *c)
{
	char err[XLB_ERR_MAX], *text, *again;
	struct xlb_cfg back, back2;
	int ret;

	text = write_str(c);
	ret = xlb_cfg_parse("written.yaml", text, strlen(text), &back, err,
			    sizeof(err));
	cr_assert_eq(ret, 0, "%s: written config does not parse: %s\n%s", desc,
		     err, text);
	cr_expect(xlb_cfg_equal(c, &back), "%s: read back differs:\n%s", desc,
		  text);
	cr_expect(xlb_cfg_equal(&back, c), "%s: equal is not symmetric", desc);
	/* and the writer is stable: the same model, the same text */
	again = write_str(&back);
	cr_expect_str_eq(again, text, "%s: second write differs", desc);
	ret = xlb_cfg_parse("again.yaml", again, strlen(again), &back2, err,
			    sizeof(err));
	cr_expect_eq(ret, 0, "%s: %s", desc, err);
	xlb_cfg_free(&back2);
	free(again);
	free(text);
	xlb_cfg_free(&back);
}

Test(config, sync_section_round_trip)
{
	static const char y[] =
		"sync:\n  listen: \"[2001:db8::1]:7400\"\n"
		"  peers: [\"[2001:db8::2]:7400\", \"[2001:db8::3]:7401\"]\n"
		"  key_file: /etc/xlb/sync.key\n  key_id: 2\n  interval: 5\n";
	struct xlb_cfg c, d;
	char err[XLB_ERR_MAX];

	parse_ok(y, &c);
	cr_assert(c.sync.enabled);
	cr_assert_eq(c.sync.npeers, 2);
	cr_assert_eq(c.sync.peers[1].port, 7401);
	cr_assert_eq(c.sync.listen.family, XLB_AF_INET6);
	cr_assert_eq(c.sync.key_id, 2);
	cr_assert_eq(c.sync.interval, 5);
	cr_assert_str_eq(c.sync.key_file, "/etc/xlb/sync.key");
	round_trip("a sync section", &c);
	cr_assert_eq(parse("mtu: 1500\n", &d, err), 0, "%s", err);
	cr_assert_not(d.sync.enabled, "no sync: section, no sync");
	cr_assert_eq(d.sync.interval, XLB_SYNC_DEFAULT_INTERVAL);
	cr_assert_not(xlb_cfg_equal(&c, &d), "sync counts in equal");
	xlb_cfg_free(&c);
	xlb_cfg_free(&d);
}

Test(config, write_then_parse_round_trip)
{
	struct xlb_cfg_backend be[2] = {
		{ .id = 16383, .family = XLB_AF_INET6, .has_mac = true,
		  .mac = { 2, 0, 0, 0, 0xbe, 0xef } },
		{ .id = 5, .family = XLB_AF_INET6 },
	};
	struct xlb_cfg_ref refs[2] = { { .id = 5, .weight = 65535 },
				       { .id = 16383, .weight = 0 } };
	struct xlb_cfg_vip vip = {
		.name = "null", /* a YAML word that is not a string elsewhere */
		.family = XLB_AF_INET6,
		.port = 65535,
		.proto = IPPROTO_UDP,
		.mode = XLB_FWD_L2DSR,
		.hash_fields = XLB_HASH_SOURCE,
		.flags = XLB_VIP_F_NO_CONNTRACK,
		.table_size = XLB_MAGLEV_MAX_SIZE,
		.refs = refs,
		.nrefs = 2,
	};
	struct xlb_cfg c;

	parse_ok(full_yaml, &c);
	round_trip("the full example", &c);
	xlb_cfg_free(&c);

	parse_ok("{}", &c);
	round_trip("the defaults", &c);
	xlb_cfg_free(&c);

	/* built in code: odd values, quoting, next hop resolved, no MAC */
	xlb_cfg_init(&c);
	snprintf(c.pin_dir, sizeof(c.pin_dir), "/sys/fs/bpf/x lb: #1");
	c.hash_seed = 0xffffffff;
	c.maglev_size = 3;
	c.mtu = 0;
	c.ct_entries = 1u << 26;
	c.ct_insert_rate = 1;
	snprintf(c.nexthop_ifname, sizeof(c.nexthop_ifname), "bond0.100");
	ip6("fe80::1", &c.nexthop_addr);
	c.nexthop_family = XLB_AF_INET6;
	ip6("::1", &be[0].addr);
	ip6("2001:db8::5", &be[1].addr);
	ip6("2001:db8::80", &vip.addr);
	c.backends = be;
	c.nbackends = 2;
	c.vips = &vip;
	c.nvips = 1;
	round_trip("a model built in code", &c);
}

Test(config, write_refuses_what_the_format_cannot_say)
{
	struct xlb_cfg_vip vip = { .name = "web", .family = XLB_AF_INET,
				   .proto = 132 /* SCTP */, .table_size = 251,
				   .hash_fields = XLB_HASH_5TUPLE };
	char *buf = NULL;
	size_t len = 0;
	struct xlb_cfg c;
	FILE *f;

	xlb_cfg_init(&c);
	c.vips = &vip;
	c.nvips = 1;
	f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	cr_expect_eq(xlb_cfg_write(&c, f), -EINVAL, "protocol 132 has no name");
	cr_assert_eq(fclose(f), 0);
	free(buf);
}

Test(config, copy_is_deep_and_equal)
{
	struct xlb_cfg src, dst, fresh;

	parse_ok(full_yaml, &src);
	cr_assert_eq(xlb_cfg_copy(&dst, &src), 0, "copy");
	cr_expect(xlb_cfg_equal(&dst, &src), "a copy is equal");
	cr_expect_str_eq(dst.source, src.source, "the copy keeps the source");
	cr_expect_eq(dst.vips[0].line, src.vips[0].line, "and the lines");
	cr_expect_neq(dst.backends, src.backends, "own backend array");
	cr_expect_neq(dst.vips, src.vips, "own VIP array");
	cr_expect_neq(dst.vips[0].refs, src.vips[0].refs, "own reference array");
	xlb_cfg_free(&src);
	/* the copy outlives its source (valgrind would see a use after free) */
	parse_ok(full_yaml, &fresh);
	cr_expect(xlb_cfg_equal(&dst, &fresh), "the copy survives its source");
	cr_expect_eq(dst.vips[0].refs[1].weight, 3, "refs still readable");
	xlb_cfg_free(&fresh);

	/* an empty model copies too, with no arrays */
	xlb_cfg_init(&src);
	xlb_cfg_free(&dst);
	cr_assert_eq(xlb_cfg_copy(&dst, &src), 0, "copy of an empty model");
	cr_expect(dst.vips == NULL && dst.backends == NULL, "nothing allocated");
	cr_expect(xlb_cfg_equal(&dst, &src), "empty copies are equal");
	xlb_cfg_free(&dst);
}

Test(config, equal_ignores_order_and_lines_but_not_settings)
{
	static const char reordered[] =
		"vips:\n"
		"  - name: dns.v6\n"
		"    address: 2001:db8::53\n"
		"    port: 0\n"
		"    protocol: udp\n"
		"    mode: l2dsr\n"
		"    hash: source\n"
		"    conntrack: false\n"
		"    echo: false\n"
		"    table_size: 251\n"
		"    backends: [{id: 2, weight: 0}]\n"
		"  - name: web\n"
		"    address: 192.0.2.10\n"
		"    port: 80\n"
		"    protocol: tcp\n"
		"    backends: [{id: 2, weight: 3}, {id: 1}]\n"
		"backends:\n"
		"  - {id: 2, address: 2001:db8:100::2}\n"
		"  - {id: 1, address: 10.1.0.1, mac: 02:00:00:00:01:01}\n"
		"nexthop: {address: 10.0.0.1, interface: eth0, mac: 02:00:00:00:0a:fe}\n"
		"encap: {source6: 2001:db8:ffff::1, source4: 198.18.0.1}\n"
		"conntrack: {insert_rate: 50000, entries: 2097152}\n"
		"mtu: 9000\n"
		"maglev_size: 65537\n"
		"hash_seed: 24301\n"
		"pin_dir: /sys/fs/bpf/xlb-test\n";
	struct xlb_cfg a, b;

	parse_ok(full_yaml, &a);
	parse_ok(reordered, &b);
	cr_expect(xlb_cfg_equal(&a, &b), "reordering is a no-op reload");
	cr_expect(xlb_cfg_equal(&b, &a), "both ways");
	b.vips[1].refs[0].weight = 4;
	cr_expect_not(xlb_cfg_equal(&a, &b), "a weight change counts");
	b.vips[1].refs[0].weight = 3;
	b.vips[1].refs[1].id = 2;
	b.vips[1].refs[0].id = 1;
	cr_expect_not(xlb_cfg_equal(&a, &b), "weights follow the backend id");
	b.vips[1].refs[0].id = 2;
	b.vips[1].refs[1].id = 1;
	b.backends[1].mac[5] = 2;
	cr_expect_not(xlb_cfg_equal(&a, &b), "a backend MAC change counts");
	b.backends[1].mac[5] = 1;
	b.hash_seed++;
	cr_expect_not(xlb_cfg_equal(&a, &b), "a seed change counts");
	b.hash_seed--;
	snprintf(b.vips[0].name, sizeof(b.vips[0].name), "dns6");
	cr_expect_not(xlb_cfg_equal(&a, &b), "a rename counts");
	xlb_cfg_free(&a);
	xlb_cfg_free(&b);
}

Test(config, example_file_loads)
{
	char err[XLB_ERR_MAX];
	struct xlb_cfg c;
	int ret;

	ret = xlb_cfg_load(EXAMPLE_PATH, &c, err, sizeof(err));
	cr_assert_eq(ret, 0, "%s does not load (%d): %s", EXAMPLE_PATH, ret,
		     err);
	cr_expect_str_eq(c.source, EXAMPLE_PATH, "source is the path");
	cr_expect_gt(c.nbackends, 0, "the example has backends");
	cr_expect_gt(c.nvips, 0, "the example has VIPs");
	round_trip("the example file", &c);
	xlb_cfg_free(&c);
}

Test(config, demo_file_loads)
{
	const char *path = "scripts/demo.yaml";
	char err[XLB_ERR_MAX];
	struct xlb_cfg c;
	int ret;

	ret = xlb_cfg_load(path, &c, err, sizeof(err));
	cr_assert_eq(ret, 0, "%s does not load (%d): %s", path, ret, err);
	cr_expect_eq(c.nvips, 2, "the demo serves two VIPs");
	cr_expect_eq(c.nbackends, 6, "over six backends (3 per family)");
	round_trip("the demo file", &c);
	xlb_cfg_free(&c);
}

Test(config, load_names_the_file_it_cannot_read)
{
	char err[XLB_ERR_MAX];
	struct xlb_cfg c;

	cr_expect_eq(xlb_cfg_load("no/such/xlb.yaml", &c, err, sizeof(err)),
		     -ENOENT, "a missing file is -ENOENT");
	cr_expect_str_eq(err,
			 "no/such/xlb.yaml: cannot open: No such file or directory",
			 "the message names the path");
	expect_empty(&c, "missing file");
	cr_expect_eq(xlb_cfg_load("selftests", &c, err, sizeof(err)), -EISDIR,
		     "a directory is not a config: %s", err);
	expect_empty(&c, "directory");
}

/*
 * The file and the shared parser (lib/parse.h) agree: a weight the file
 * accepts is the number xlb_u32_parse() reads (what the CLI sends), and one
 * it refuses carries the parser's own message after "FILE:LINE: FIELD: ".
 */
Test(config, file_numbers_and_words_agree_with_the_shared_parser)
{
	static const char *const weights[] = {
		"0", "7", "65535", "65536", "010", "0x10", "-1", "+3", "1e3",
		"\" 5\"", "99999999999999999999",
	};
	static const char *const protos[] = { "tcp", "TCP", "Udp", "sctp" };
	char yaml[512], err[XLB_ERR_MAX], why[256], bare[64];
	struct xlb_cfg c;

	for (size_t i = 0; i < sizeof(weights) / sizeof(weights[0]); i++) {
		const char *w = weights[i];
		__u32 v = 0;
		int pret, cret;

		/* the parser sees the scalar's text, quotes taken off */
		snprintf(bare, sizeof(bare), "%.*s",
			 (int)strlen(w) - (w[0] == '"') * 2, w + (w[0] == '"'));
		snprintf(yaml, sizeof(yaml),
			 "backends: [{id: 1, address: 10.1.0.1}]\n"
			 "encap: {source4: 198.18.0.1}\n"
			 "vips:\n  - {name: web, address: 192.0.2.10, port: 80, "
			 "protocol: tcp, backends: [{id: 1, weight: %s}]}\n",
			 w);
		pret = xlb_u32_parse(bare, 0, XLB_WEIGHT_MAX, &v, why,
				     sizeof(why));
		cret = xlb_cfg_parse("t.yaml", yaml, strlen(yaml), &c, err,
				     sizeof(err));
		cr_expect_eq(!cret, !pret, "weight %s: file %d, parser %d", w,
			     cret, pret);
		if (!cret && !pret)
			cr_expect_eq(c.vips[0].refs[0].weight, v,
				     "weight %s: file %u, parser %u", w,
				     c.vips[0].refs[0].weight, v);
		if (cret && pret) {
			char want[512];

			snprintf(want, sizeof(want),
				 "t.yaml:4: vips[0].backends[0].weight: %s", why);
			cr_expect_str_eq(err, want, "weight %s: message", w);
		}
		xlb_cfg_free(&c);
	}
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		__u8 p = 0;
		int pret = xlb_proto_parse(protos[i], &p), cret;

		snprintf(yaml, sizeof(yaml),
			 "vips:\n  - {name: web, address: 192.0.2.10, port: 80, "
			 "protocol: %s}\n",
			 protos[i]);
		cret = xlb_cfg_parse("t.yaml", yaml, strlen(yaml), &c, err,
				     sizeof(err));
		cr_expect_eq(!cret, !pret, "protocol %s: file %d, parser %d",
			     protos[i], cret, pret);
		if (!cret)
			cr_expect_eq(c.vips[0].proto, p, "protocol %s", protos[i]);
		xlb_cfg_free(&c);
	}
}

/* drain: true is read, written beside the configured weight, and counts. */
Test(config, drain_flag_round_trip)
{
	struct xlb_cfg c, back;
	char *text, err[XLB_ERR_MAX];

	parse_ok(POOL WEB "    backends:\n      - {id: 1, weight: 3, drain: true}\n"
		 "      - {id: 2, weight: 2}\n", &c);
	cr_assert(c.vips[0].refs[0].drained, "drain: true is read");
	cr_expect_eq(c.vips[0].refs[0].weight, 3,
		     "a drained reference keeps its configured weight");
	cr_expect(!c.vips[0].refs[1].drained, "drain defaults to false");
	cr_expect_eq(xlb_cfg_ref_weight(&c, &c.vips[0].refs[0]), 0,
		     "a drained reference has weight 0 in the table");
	cr_expect_eq(xlb_cfg_ref_weight(&c, &c.vips[0].refs[1]), 2);
	text = write_str(&c);
	cr_expect(strstr(text, "{id: 1, weight: 3, drain: true}"),
		  "the writer says drain: true beside the weight:\n%s", text);
	cr_expect(!strstr(text, "{id: 2, weight: 2, drain"),
		  "and nothing for a reference that is not drained:\n%s", text);
	cr_assert_eq(parse(text, &back, err), 0, "%s", err);
	cr_expect(xlb_cfg_equal(&c, &back), "it reads back equal");
	back.vips[0].refs[0].drained = false;
	cr_expect_not(xlb_cfg_equal(&c, &back), "a drain counts in equality");
	c.backends[0].down = true;
	text = (free(text), write_str(&c));
	cr_expect(!strstr(text, "down"), "health is not written:\n%s", text);
	free(text);
	xlb_cfg_free(&back);
	xlb_cfg_free(&c);
}

/* backup: true is read, written, counts in equality, and is no health. */
Test(config, backup_flag_round_trip)
{
	struct xlb_cfg c, back;
	char *text, err[XLB_ERR_MAX];

	parse_ok(POOL WEB "    backends:\n      - {id: 1, weight: 2}\n"
		 "      - {id: 2, weight: 3, backup: true}\n", &c);
	cr_assert(c.vips[0].refs[1].backup, "backup: true is read");
	cr_expect_not(c.vips[0].refs[0].backup, "backup defaults to false");
	cr_expect_not(c.vips[0].refs[1].benched,
		      "the reader benches nothing: that is the daemon's");
	text = write_str(&c);
	cr_expect(strstr(text, "{id: 2, weight: 3, backup: true}"),
		  "the writer says backup: true:\n%s", text);
	cr_expect(!strstr(text, "{id: 1, weight: 2, backup"),
		  "and nothing for a primary:\n%s", text);
	cr_assert_eq(parse(text, &back, err), 0, "%s", err);
	cr_expect(xlb_cfg_equal(&c, &back), "it reads back equal");
	cr_expect(back.vips[0].refs[1].backup, "with the flag");
	back.vips[0].refs[1].backup = false;
	cr_expect_not(xlb_cfg_equal(&c, &back), "a backup counts in equality");
	back.vips[0].refs[1].backup = true;
	back.vips[0].refs[1].benched = true;
	cr_expect(xlb_cfg_equal(&c, &back),
		  "benched is runtime state, not configuration");
	c.vips[0].refs[1].benched = true;
	free(text);
	text = write_str(&c);
	cr_expect(!strstr(text, "bench"), "benched is not written:\n%s", text);
	free(text);
	xlb_cfg_free(&back);
	xlb_cfg_free(&c);
}

/* A live edit that leaves a VIP backups alone is refused by the validator. */
Test(config, validate_refuses_a_vip_of_backups_alone)
{
	struct xlb_cfg c;
	char err[XLB_ERR_MAX];

	parse_ok(POOL WEB "    backends:\n      - {id: 1}\n"
		 "      - {id: 2, backup: true}\n", &c);
	cr_assert_eq(xlb_cfg_validate(&c, err, sizeof(err)), 0, "%s", err);
	c.vips[0].refs[0].backup = true;
	cr_expect_eq(xlb_cfg_validate(&c, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "t.yaml:11: vips[0].backends: every backend is a "
			      "backup"),
		  "named with file, line and field: %s", err);
	xlb_cfg_free(&c);
}

/*
 * Who serves, as {states of the references, who serves, benched flags}:
 * the literal outcome for each case, not one computed by the code.
 */
struct bench_case {
	const char *desc;
	/* per reference: 'p' primary, 'b' backup; then its state: '+' can
	 * take flows, 'd' down by check, 'D' backend down by hand, 'm'
	 * maint, 'r' drained, '0' weight 0, 'a' agent 0% */
	const char *refs[4];
	enum xlb_vip_serving want;
	const char *benched; /* one char per reference: 'B' benched, '-' not */
};

static const struct bench_case bench_cases[] = {
	{ "a primary up: backups stand by", { "p+", "pd", "b+", "b+" },
	  XLB_SERVING_PRIMARY, "--BB" },
	{ "primaries down by check: the backups up serve",
	  { "pd", "pd", "b+", "bd" }, XLB_SERVING_BACKUP, "----" },
	{ "primaries in maint, drained: backups serve (no check needed)",
	  { "pm", "pr", "b+", "b+" }, XLB_SERVING_BACKUP, "----" },
	{ "primaries of weight 0, backend down by hand, agent 0%",
	  { "p0", "pD", "pa", "b+" }, XLB_SERVING_BACKUP, "----" },
	{ "every backup out too: none serves, backups benched (no fail open)",
	  { "pd", "pd", "bd", "bm" }, XLB_SERVING_NONE, "--BB" },
	{ "a backup drained or down by hand does not serve",
	  { "pd", "br", "bD", "b+" }, XLB_SERVING_BACKUP, "----" },
	{ "no backup at all, primaries down", { "pd", "pd", NULL },
	  XLB_SERVING_NONE, "--" },
	{ "no backup, a primary up", { "pd", "p+", NULL }, XLB_SERVING_PRIMARY,
	  "--" },
};

Test(config, backups_serve_only_while_no_primary_can)
{
	for (size_t i = 0; i < sizeof(bench_cases) / sizeof(bench_cases[0]);
	     i++) {
		const struct bench_case *bc = &bench_cases[i];
		struct xlb_cfg_backend bes[4];
		struct xlb_cfg_ref refs[4];
		struct xlb_cfg c;
		enum xlb_vip_serving got;
		size_t n = 0;

		xlb_cfg_init(&c);
		memset(bes, 0, sizeof(bes));
		memset(refs, 0, sizeof(refs));
		for (; n < 4 && bc->refs[n]; n++) {
			struct xlb_cfg_ref *r = &refs[n];

			bes[n].id = (__u32)n + 1;
			bes[n].family = XLB_AF_INET;
			r->id = (__u32)n + 1;
			r->weight = 1;
			r->backup = bc->refs[n][0] == 'b';
			/* stale flags from an earlier commit are overwritten */
			r->benched = !r->backup || n % 2;
			switch (bc->refs[n][1]) {
			case 'd': r->down = true; break;
			case 'D': bes[n].down = true; break;
			case 'm': r->maint = true; break;
			case 'r': r->drained = true; break;
			case '0': r->weight = 0; break;
			case 'a':
				r->agent_pct_set = true;
				r->agent_pct = 0;
				break;
			}
		}
		c.backends = bes;
		c.nbackends = n;
		c.vips = &(struct xlb_cfg_vip){ .name = "web", .refs = refs,
						.nrefs = n };
		c.nvips = 1;
		got = xlb_cfg_vip_bench(&c, c.vips);
		cr_expect_eq(got, bc->want, "%s: serving %d, want %d", bc->desc,
			     got, bc->want);
		for (size_t k = 0; k < n; k++) {
			cr_expect_eq(refs[k].benched, bc->benched[k] == 'B',
				     "%s: reference %zu benched %d", bc->desc,
				     k, refs[k].benched);
			if (refs[k].benched)
				cr_expect_eq(xlb_cfg_ref_weight(&c, &refs[k]), 0,
					     "%s: a benched reference has "
					     "weight 0", bc->desc);
		}
		cr_expect_eq(xlb_cfg_vip_bench(&c, c.vips), got,
			     "%s: a second call says the same", bc->desc);
		free(c.be_pos);
	}
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * 200 KB of nesting (took 46.6 s to refuse when libyaml built the whole
 * graph first) is refused within a second, at the line where the bound is
 * passed, with the config left empty.
 */
Test(config, deep_nesting_is_refused_fast)
{
	static const char *const units[] = { "[", "{a: ", "- " };
	const size_t size = 200 * 1024;
	char err[XLB_ERR_MAX];
	struct xlb_cfg c;

	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		size_t ul = strlen(units[u]), n = 0;
		char *text = malloc(size + 1);
		double t0, dt;
		int ret;

		cr_assert(text);
		while (n + ul <= size) {
			memcpy(text + n, units[u], ul);
			n += ul;
		}
		text[n] = '\0';
		t0 = now_s();
		ret = xlb_cfg_parse("deep.yaml", text, n, &c, err, sizeof(err));
		dt = now_s() - t0;
		cr_expect_eq(ret, -EINVAL, "\"%s\" x %zu is refused", units[u],
			     n / ul);
		cr_expect_lt(dt, PARSE_BOUND_S, "\"%s\" nesting took %.2f s to refuse",
			     units[u], dt);
		cr_expect(strstr(err, "deep.yaml:") == err,
			  "the message names the file: %s", err);
		if (units[u][0] != '-')
			cr_expect(strstr(err, "nested deeper than 16 levels"),
				  "the message says why: %s", err);
		expect_empty(&c, "deep nesting");
		free(text);
	}
}

/* The bound leaves room: 16 levels load, 17 do not. */
Test(config, nesting_bound_is_sixteen)
{
	char text[256], err[XLB_ERR_MAX];
	struct xlb_cfg c;
	size_t n;

	/* vips (1) is a list of one mapping (2) ... */
	n = (size_t)snprintf(text, sizeof(text), "x: ");
	for (int i = 0; i < 15; i++)
		text[n++] = '[';
	for (int i = 0; i < 15; i++)
		text[n++] = ']';
	text[n] = '\0';
	cr_expect_eq(parse(text, &c, err), -EINVAL);
	cr_expect(strstr(err, "t.yaml:1: x: unknown key"),
		  "16 levels pass the bound (the key is then unknown): %s", err);
	n = (size_t)snprintf(text, sizeof(text), "x: ");
	for (int i = 0; i < 16; i++)
		text[n++] = '[';
	for (int i = 0; i < 16; i++)
		text[n++] = ']';
	text[n] = '\0';
	cr_expect_eq(parse(text, &c, err), -EINVAL);
	cr_expect_str_eq(err,
			 "t.yaml:1: (structure): nested deeper than 16 levels; "
			 "an xlb config needs 4");
}

/* A flat list of a few million values is refused by the node bound, fast. */
Test(config, node_count_is_bounded)
{
	const size_t items = (1u << 19) + 8;
	char *text = malloc(items * 2 + 16), err[XLB_ERR_MAX];
	struct xlb_cfg c;
	size_t n = 0;
	double t0, dt;

	cr_assert(text);
	n += (size_t)sprintf(text, "x: [");
	for (size_t i = 0; i < items; i++) {
		text[n++] = '1';
		text[n++] = ',';
	}
	text[n++] = ']';
	text[n] = '\0';
	t0 = now_s();
	cr_expect_eq(xlb_cfg_parse("t.yaml", text, n, &c, err, sizeof(err)),
		     -EINVAL);
	dt = now_s() - t0;
	cr_expect(strstr(err, "t.yaml:1: (structure): more than 524288 values"),
		  "%s", err);
	cr_expect_lt(dt, PARSE_BOUND_S, "took %.2f s", dt);
	free(text);
}

Test(config, aliases_are_refused)
{
	char err[XLB_ERR_MAX];
	struct xlb_cfg c;

	cr_expect_eq(parse("backends: &b []\nvips: *b\n", &c, err), -EINVAL);
	cr_expect_str_eq(err,
			 "t.yaml:2: (structure): an alias (*name): xlb configs "
			 "do not use anchors and aliases; write the value out");
}

/* A FIFO would block open() for reading until a writer came: refused. */
Test(config, a_fifo_or_device_is_not_a_config)
{
	char dir[] = "/tmp/xlb-cfg-XXXXXX", path[64], err[XLB_ERR_MAX];
	struct xlb_cfg c;
	double t0;

	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/xlb.yaml", dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	t0 = now_s();
	cr_expect_eq(xlb_cfg_load(path, &c, err, sizeof(err)), -EINVAL);
	cr_expect_lt(now_s() - t0, 1.0, "no wait for a writer");
	cr_expect(strstr(err, "xlb.yaml: not a regular file (a FIFO)"), "%s",
		  err);
	expect_empty(&c, "fifo");
	unlink(path);
	rmdir(dir);
	cr_expect_eq(xlb_cfg_load("/dev/null", &c, err, sizeof(err)), -EINVAL);
	cr_expect_str_eq(err,
			 "/dev/null: not a regular file (a character device)");
	cr_expect_eq(xlb_cfg_load("selftests", &c, err, sizeof(err)), -EISDIR);
	cr_expect_str_eq(err, "selftests: not a regular file (a directory)");
}

/* Over the size cap: refused from the size alone, before reading. */
Test(config, size_cap_is_16_mib)
{
	char path[] = "/tmp/xlb-big-XXXXXX", err[XLB_ERR_MAX];
	struct xlb_cfg c;
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	cr_assert_eq(ftruncate(fd, (16 << 20) + 1), 0);
	close(fd);
	cr_expect_eq(xlb_cfg_load(path, &c, err, sizeof(err)), -EFBIG);
	cr_expect(strstr(err, "16777217 bytes, larger than the 16 MiB a config "
			      "may have"),
		  "%s", err);
	unlink(path);
}

/* allow_empty is read, written back, and off by default. */
Test(config, allow_empty_round_trip)
{
	struct xlb_cfg c, back;
	char *text, err[XLB_ERR_MAX];

	parse_ok("{}\n", &c);
	cr_expect(!c.allow_empty, "off by default");
	text = write_str(&c);
	cr_expect(!strstr(text, "allow_empty"), "not written when off:\n%s", text);
	free(text);
	xlb_cfg_free(&c);
	parse_ok("hash_seed: 1\nallow_empty: true\n", &c);
	cr_expect(c.allow_empty);
	cr_expect_eq(c.lines.allow_empty, 2, "its line is kept");
	cr_expect_eq(c.lines.hash_seed, 1, "as every global's");
	text = write_str(&c);
	cr_assert_eq(parse(text, &back, err), 0, "%s", err);
	cr_expect(back.allow_empty, "it reads back:\n%s", text);
	free(text);
	xlb_cfg_free(&back);
	xlb_cfg_free(&c);
}

/*
 * xlb_cfg_backend_find's index is a hint: backends moved, removed or
 * renumbered behind its back are still found right, absent ids are absent,
 * and a copy has its own.
 */
Test(config, backend_find_survives_edits_behind_its_index)
{
	struct xlb_cfg c, d;

	xlb_cfg_init(&c);
	c.nbackends = 40;
	c.backends = calloc(c.nbackends, sizeof(*c.backends));
	cr_assert_not_null(c.backends);
	for (size_t i = 0; i < c.nbackends; i++)
		c.backends[i].id = (__u32)(100 + i);
	cr_assert_eq(xlb_cfg_backend_find(&c, 120), &c.backends[20]);
	cr_assert_not_null(c.be_pos, "more than a few backends: indexed");
	/* remove backend 105 as an edit does: the rest moves down */
	memmove(&c.backends[5], &c.backends[6], 34 * sizeof(*c.backends));
	c.nbackends = 39;
	cr_expect_null(xlb_cfg_backend_find(&c, 105), "a removed id is gone");
	cr_expect_eq(xlb_cfg_backend_find(&c, 120), &c.backends[19],
		     "a moved one is found where it is now");
	cr_expect_eq(xlb_cfg_backend_find(&c, 139), &c.backends[38]);
	cr_expect_null(xlb_cfg_backend_find(&c, 140), "past the end: absent");
	/* an id renumbered in place */
	c.backends[0].id = 7;
	cr_expect_null(xlb_cfg_backend_find(&c, 100), "the old id is absent");
	cr_expect_eq(xlb_cfg_backend_find(&c, 7), &c.backends[0]);
	cr_assert_eq(xlb_cfg_copy(&d, &c), 0);
	cr_expect_neq(d.be_pos, c.be_pos, "a copy does not share the index");
	cr_expect_eq(xlb_cfg_backend_find(&d, 120), &d.backends[19],
		     "and finds its own backends");
	xlb_cfg_free(&d);
	xlb_cfg_free(&c);
}
