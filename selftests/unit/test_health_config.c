// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Health-check config tests: every check key accepted with its value, the
 * merge of a VIP's check: with a reference's override and the defaults,
 * every refusal as {description, YAML, "FILE:LINE: FIELD: why"}, and the
 * writer's round trip (the same keys back, the same text twice).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "config/config.h"

TestSuite(health_config);

#define HEAD                                     \
	"encap: {source4: 198.19.0.0}\n" /* 1 */ \
	"backends:\n"                            \
	"  - {id: 1, address: 10.1.0.1}\n"       \
	"  - {id: 2, address: 10.1.0.2}\n"       \
	"vips:\n" /* 5 */                        \
	"  - name: web\n"                        \
	"    address: 192.0.2.10\n"              \
	"    port: 80\n"                         \
	"    protocol: tcp\n"

/* Every key, on the VIP and on one reference. */
static const char full[] = HEAD
	"    check:\n" /* 10 */
	"      kind: http\n"
	"      interval: 1s\n"
	"      fastinterval: 500ms\n"
	"      downinterval: 5s\n"
	"      timeout: 300ms\n" /* 15 */
	"      rise: 3\n"
	"      fall: 2\n"
	"      initial: up\n"
	"      on_down: keep\n"
	"      path: /healthz\n" /* 20 */
	"      host: www.example.com\n"
	"      status: 200,204,300-302\n"
	"      body: ok\n"
	"    backends:\n"
	"      - {id: 1}\n" /* 25 */
	"      - {id: 2, check: {port: 8080, address: 10.9.0.2, kind: https, tls_verify: false, slowstart: 30s}}\n"
	"  - name: job\n"
	"    address: 192.0.2.11\n"
	"    port: any\n"
	"    protocol: udp\n" /* 30 */
	"    check: {kind: exec, command: '/bin/true --x', timeout: 1500ms, interval: 2}\n"
	"    backends: [{id: 1}]\n";

static int parse(const char *text, struct xlb_cfg *c, char *err)
{
	return xlb_cfg_parse("t.yaml", text, strlen(text), c, err, XLB_ERR_MAX);
}

static char *write_str(const struct xlb_cfg *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert(f, "open_memstream");
	cr_assert_eq(xlb_cfg_write(c, f), 0, "the writer takes the model");
	fclose(f);
	return buf;
}

Test(health_config, every_key_is_read_and_merged)
{
	char err[XLB_ERR_MAX];
	struct xlb_cfg c;
	struct xlb_cfg_check m;

	cr_assert_eq(parse(full, &c, err), 0, "%s", err);
	cr_assert(xlb_cfg_check_of(&c, &c.vips[0], &c.vips[0].refs[0], &m),
		  "backend 1 of web is checked");
	cr_expect_eq(m.kind, XLB_CHECK_HTTP);
	cr_expect_eq(m.port, 80, "the VIP's port by default");
	cr_expect_eq(m.addr.v4, c.backends[0].addr.v4, "the backend's address");
	cr_expect_eq(m.interval_ms, 1000);
	cr_expect_eq(m.fastinterval_ms, 500);
	cr_expect_eq(m.downinterval_ms, 5000);
	cr_expect_eq(m.timeout_ms, 300);
	cr_expect_eq(m.rise, 3);
	cr_expect_eq(m.fall, 2);
	cr_expect(m.initial_up);
	cr_expect_eq(m.on_down, XLB_ON_DOWN_KEEP);
	cr_expect_str_eq(m.path, "/healthz");
	cr_expect_str_eq(m.host, "www.example.com");
	cr_expect_str_eq(m.status, "200,204,300-302");
	cr_expect_str_eq(m.body, "ok");
	cr_expect(m.tls_verify, "verify is on by default");
	cr_expect_eq(m.lines[XLB_CK_TIMEOUT], 15, "the line of the key");
	cr_expect_eq(m.slowstart_ms, 0, "no slow start by default");

	cr_assert(xlb_cfg_check_of(&c, &c.vips[0], &c.vips[0].refs[1], &m));
	cr_expect_eq(m.kind, XLB_CHECK_HTTPS, "the override's kind");
	cr_expect_eq(m.port, 8080, "the override's port");
	cr_expect_eq(m.addr.v4, htonl(0x0a090002), "the override's address");
	cr_expect_not(m.tls_verify);
	cr_expect_str_eq(m.path, "/healthz", "the rest from the VIP");
	cr_expect_eq(m.interval_ms, 1000, "the rest from the VIP");
	cr_expect_eq(m.slowstart_ms, 30000, "the override's slow start");
	cr_expect_eq(m.lines[XLB_CK_SLOWSTART], 26, "its line");

	cr_assert(xlb_cfg_check_of(&c, &c.vips[1], &c.vips[1].refs[0], &m));
	cr_expect_eq(m.kind, XLB_CHECK_EXEC);
	cr_expect_str_eq(m.command, "/bin/true --x");
	cr_expect_eq(m.interval_ms, 2000, "a bare number is seconds");
	cr_expect_eq(m.timeout_ms, 1500);
	cr_expect_eq(m.fastinterval_ms, 2000, "fastinterval follows interval");
	cr_expect_eq(m.rise, 2, "rise 2 by default");
	cr_expect_eq(m.fall, 3, "fall 3 by default");
	cr_expect_not(m.initial_up, "down until proven up by default");
	cr_expect_eq(m.on_down, XLB_ON_DOWN_RESET, "reset by default");
	xlb_cfg_free(&c);
}

Test(health_config, defaults_and_no_check)
{
	static const char y[] = HEAD
		"    check: {kind: tcp}\n"
		"    backends: [{id: 1}, {id: 2, check: {kind: none}}]\n"
		"  - {name: plain, address: 192.0.2.12, port: 81, protocol: tcp, backends: [{id: 1}]}\n";
	char err[XLB_ERR_MAX];
	struct xlb_cfg c;
	struct xlb_cfg_check m;

	cr_assert_eq(parse(y, &c, err), 0, "%s", err);
	cr_assert(xlb_cfg_check_of(&c, &c.vips[0], &c.vips[0].refs[0], &m));
	cr_expect_eq(m.interval_ms, 2000, "2 s by default");
	cr_expect_eq(m.timeout_ms, 1000, "1 s by default");
	cr_expect_str_eq(m.status, "200-399");
	cr_expect_not(xlb_cfg_check_of(&c, &c.vips[0], &c.vips[0].refs[1], &m),
		      "kind: none turns the VIP's check off for one backend");
	cr_expect_not(xlb_cfg_check_of(&c, &c.vips[1], &c.vips[1].refs[0], &m),
		      "a VIP without check: checks nothing");
	xlb_cfg_free(&c);
}

Test(health_config, short_interval_shortens_the_default_timeout)
{
	static const char y[] = HEAD "    check: {kind: tcp, interval: 400ms}\n"
				     "    backends: [{id: 1}]\n";
	char err[XLB_ERR_MAX];
	struct xlb_cfg c;
	struct xlb_cfg_check m;

	cr_assert_eq(parse(y, &c, err), 0, "%s", err);
	xlb_cfg_check_of(&c, &c.vips[0], &c.vips[0].refs[0], &m);
	cr_expect_eq(m.timeout_ms, 200, "half the interval when that is less");
	xlb_cfg_free(&c);
}

struct err_case {
	const char *desc, *tail, *want;
};

static const struct err_case errs[] = {
	{ "unknown key", "    check: {kind: tcp, inter: 2s}\n",
	  "t.yaml:10: vips[0].check.inter: unknown key" },
	{ "unknown kind", "    check: {kind: icmp}\n",
	  "t.yaml:10: vips[0].check.kind: \"icmp\" is not one of none, tcp, http, https, udp, exec, agent" },
	{ "empty check", "    check: {}\n", "t.yaml:10: vips[0].check: empty" },
	{ "no kind", "    check: {port: 81}\n    backends: [{id: 1}]\n",
	  "t.yaml:10: vips[0].check.kind: missing" },
	{ "no kind in an override",
	  "    backends: [{id: 1, check: {port: 81}}]\n",
	  "t.yaml:10: vips[0].backends[0].check.kind: missing" },
	{ "timeout not below interval",
	  "    check:\n      kind: tcp\n      interval: 1s\n      timeout: 1s\n    backends: [{id: 1}]\n",
	  "t.yaml:13: vips[0].check.timeout: 1s is not shorter than the interval 1s" },
	{ "timeout in an override against the VIP's interval",
	  "    check: {kind: tcp, interval: 1s}\n    backends:\n      - {id: 1, check: {timeout: 2s}}\n",
	  "t.yaml:12: vips[0].backends[0].check.timeout: 2s is not shorter than the interval 1s" },
	{ "fastinterval below the timeout",
	  "    check: {kind: tcp, fastinterval: 200ms, timeout: 500ms}\n    backends: [{id: 1}]\n",
	  "t.yaml:10: vips[0].check.fastinterval: 200ms is not longer than the timeout 500ms" },
	{ "interval too short", "    check: {kind: tcp, interval: 50ms}\n",
	  "t.yaml:10: vips[0].check.interval: 50 is out of range 100..3600000 milliseconds" },
	{ "bad duration", "    check: {kind: tcp, interval: 1.5s}\n",
	  "t.yaml:10: vips[0].check.interval: \"1.5s\" is not a duration" },
	{ "rise 0", "    check: {kind: tcp, rise: 0}\n",
	  "t.yaml:10: vips[0].check.rise: 0 is out of range 1..100" },
	{ "fall 101", "    check: {kind: tcp, fall: 101}\n",
	  "t.yaml:10: vips[0].check.fall: 101 is out of range 1..100" },
	{ "port 0", "    check: {kind: tcp, port: 0}\n",
	  "t.yaml:10: vips[0].check.port: 0 is out of range" },
	{ "bad address", "    check: {kind: tcp, address: 10.1}\n",
	  "t.yaml:10: vips[0].check.address: expected an IPv4 or IPv6 address" },
	{ "bad initial", "    check: {kind: tcp, initial: maybe}\n",
	  "t.yaml:10: vips[0].check.initial: \"maybe\" is not one of down, up" },
	{ "bad on_down", "    check: {kind: tcp, on_down: drop}\n",
	  "t.yaml:10: vips[0].check.on_down: \"drop\" is not one of reset, keep" },
	{ "path without slash", "    check: {kind: http, path: healthz}\n",
	  "t.yaml:10: vips[0].check.path: must start with /" },
	{ "path with a blank", "    check: {kind: http, path: '/a b'}\n",
	  "t.yaml:10: vips[0].check.path: no blanks allowed" },
	{ "bad status", "    check: {kind: http, status: 200-99}\n",
	  "t.yaml:10: vips[0].check.status: \"200-99\" is not a list" },
	{ "status out of range", "    check: {kind: http, status: '700'}\n",
	  "t.yaml:10: vips[0].check.status: \"700\" is not a list" },
	{ "host with a control byte",
	  "    check: {kind: http, host: \"a\\tb\"}\n",
	  "t.yaml:10: vips[0].check.host: byte 0x09 is not allowed" },
	{ "tls_verify not a bool",
	  "    check: {kind: https, tls_verify: maybe}\n",
	  "t.yaml:10: vips[0].check.tls_verify: expected true or false" },
	{ "path on a tcp check",
	  "    check: {kind: tcp, path: /x}\n    backends: [{id: 1}]\n",
	  "t.yaml:10: vips[0].check.path: means nothing to a tcp check" },
	{ "tls_verify on http",
	  "    check: {kind: http, tls_verify: false}\n    backends: [{id: 1}]\n",
	  "t.yaml:10: vips[0].check.tls_verify: means nothing to a http check" },
	{ "command on tcp",
	  "    check: {kind: tcp, command: /bin/true}\n    backends: [{id: 1}]\n",
	  "t.yaml:10: vips[0].check.command: means nothing to a tcp check" },
	{ "exec without command",
	  "    check: {kind: exec}\n    backends: [{id: 1}]\n",
	  "t.yaml:10: vips[0].check.command: missing: an exec check runs a command" },
	{ "empty command", "    check: {kind: exec, command: ''}\n",
	  "t.yaml:10: vips[0].check.command: empty" },
	{ "agent without its port",
	  "    check: {kind: agent}\n    backends: [{id: 1}]\n",
	  "t.yaml:10: vips[0].check.port: missing: an agent check needs the agent's port" },
	{ "agent port only in the VIP's port",
	  "    check: {kind: tcp}\n    backends: [{id: 1, check: {kind: agent}}]\n",
	  "t.yaml:11: vips[0].backends[0].check.port: missing: an agent check needs" },
	{ "udp check on a tcp VIP without a port",
	  "    check: {kind: udp}\n    backends: [{id: 1}]\n",
	  "t.yaml:10: vips[0].check.port: missing: VIP \"web\" is tcp, so a udp check needs" },
	{ "expect without a reply",
	  "    check: {kind: udp, port: 53, require_reply: false, expect: pong}\n    backends: [{id: 1}]\n",
	  "t.yaml:10: vips[0].check.expect: means nothing with require_reply: false" },
	{ "expect on a tcp check",
	  "    check: {kind: tcp, expect: pong}\n    backends: [{id: 1}]\n",
	  "t.yaml:10: vips[0].check.expect: means nothing to a tcp check" },
	{ "payload on an http check",
	  "    check: {kind: http, payload: ping}\n    backends: [{id: 1}]\n",
	  "t.yaml:10: vips[0].check.payload: means nothing to a http check" },
	{ "require_reply on an agent",
	  "    check: {kind: agent, port: 9777, require_reply: true}\n    backends: [{id: 1}]\n",
	  "t.yaml:10: vips[0].check.require_reply: means nothing to a agent check" },
	{ "require_reply not a bool",
	  "    check: {kind: udp, require_reply: sometimes}\n",
	  "t.yaml:10: vips[0].check.require_reply: expected true or false" },
	{ "payload with a control byte",
	  "    check: {kind: udp, port: 53, payload: \"a\\x01b\"}\n",
	  "t.yaml:10: vips[0].check.payload: byte 0x01 is not allowed" },
	{ "empty expect", "    check: {kind: udp, port: 53, expect: ''}\n",
	  "t.yaml:10: vips[0].check.expect: empty" },
	{ "maint not a bool", "    backends: [{id: 1, maint: soon}]\n",
	  "t.yaml:10: vips[0].backends[0].maint: expected true or false" },
	{ "check given twice",
	  "    check: {kind: tcp}\n    check: {kind: tcp}\n",
	  "t.yaml:11: vips[0].check: given twice (first on line 10)" },
	{ "check not a mapping", "    check: tcp\n",
	  "t.yaml:10: vips[0].check: expected a mapping" },
	{ "override typo", "    backends: [{id: 1, check: {knd: tcp}}]\n",
	  "t.yaml:10: vips[0].backends[0].check.knd: unknown key" },
	{ "slowstart under one step",
	  "    check: {kind: tcp, slowstart: 500ms}\n",
	  "t.yaml:10: vips[0].check.slowstart: 500ms is shorter than one step of the ramp (1s)" },
	{ "slowstart over an hour",
	  "    backends: [{id: 1, check: {kind: tcp, slowstart: 61m}}]\n",
	  "t.yaml:10: vips[0].backends[0].check.slowstart: 3660000 is out of range 0..3600000 milliseconds" },
	{ "slowstart not a duration",
	  "    check: {kind: tcp, slowstart: fast}\n",
	  "t.yaml:10: vips[0].check.slowstart: \"fast\" is not a duration" },
};

Test(health_config, every_refusal_names_file_line_and_field)
{
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		char text[2048], err[XLB_ERR_MAX];
		struct xlb_cfg c;
		int ret;

		snprintf(text, sizeof(text), "%s%s", HEAD, errs[i].tail);
		ret = parse(text, &c, err);
		cr_expect_eq(ret, -EINVAL, "%s: refused", errs[i].desc);
		cr_expect(!strncmp(err, errs[i].want, strlen(errs[i].want)),
			  "%s: got \"%s\", want \"%s...\"", errs[i].desc, err,
			  errs[i].want);
		cr_expect_eq(c.nvips, 0, "%s: nothing half-parsed",
			     errs[i].desc);
	}
}

Test(health_config, port_any_needs_a_check_port)
{
	static const char y[] =
		"backends: [{id: 1, address: 10.1.0.1}]\n"
		"vips:\n"
		"  - {name: all, address: 192.0.2.10, port: any, protocol: tcp, mode: l2dsr,\n"
		"     check: {kind: tcp}, backends: [{id: 1}]}\n";
	char err[XLB_ERR_MAX];
	struct xlb_cfg c;

	cr_expect_eq(parse(y, &c, err), -EINVAL);
	cr_expect(
		strstr(err,
		       "t.yaml:4: vips[0].check.port: missing: VIP \"all\" takes every port"),
		"%s", err);
}

Test(health_config, round_trip_keeps_every_key)
{
	char err[XLB_ERR_MAX], *text, *again;
	struct xlb_cfg c, back;
	struct xlb_cfg_check a, b;

	cr_assert_eq(parse(full, &c, err), 0, "%s", err);
	text = write_str(&c);
	cr_assert_eq(xlb_cfg_parse("w.yaml", text, strlen(text), &back, err,
				   sizeof(err)),
		     0, "the written file parses: %s\n%s", err, text);
	cr_expect(xlb_cfg_equal(&c, &back), "read back equal:\n%s", text);
	for (size_t v = 0; v < c.nvips; v++)
		for (size_t r = 0; r < c.vips[v].nrefs; r++) {
			xlb_cfg_check_of(&c, &c.vips[v], &c.vips[v].refs[r],
					 &a);
			xlb_cfg_check_of(&back, &back.vips[v],
					 &back.vips[v].refs[r], &b);
			cr_expect(xlb_cfg_check_eq(&a, &b),
				  "vip %zu ref %zu runs the same check", v, r);
		}
	cr_expect(strstr(text, "fastinterval: 500ms"), "ms written as ms:\n%s",
		  text);
	cr_expect(strstr(text, "interval: 1s"), "whole seconds as s");
	cr_expect(strstr(text, "tls_verify: false"), "the override's keys");
	cr_expect(strstr(text, "slowstart: 30s"), "slowstart written:\n%s",
		  text);
	again = write_str(&back);
	cr_expect_str_eq(again, text, "the same text twice");
	free(again);
	free(text);
	xlb_cfg_free(&back);
	xlb_cfg_free(&c);
}

Test(health_config, equality_and_copy_see_checks)
{
	char err[XLB_ERR_MAX];
	struct xlb_cfg a, b;

	cr_assert_eq(parse(full, &a, err), 0, "%s", err);
	cr_assert_eq(xlb_cfg_copy(&b, &a), 0);
	cr_expect(xlb_cfg_equal(&a, &b), "a copy is equal");
	cr_expect_neq(a.checks, b.checks,
		      "the overrides are copied, not shared");
	b.checks[0].port = 8081;
	cr_expect_not(xlb_cfg_equal(&a, &b), "an override's port counts");
	b.checks[0].port = 8080;
	b.vips[0].check.rise = 4;
	cr_expect_not(xlb_cfg_equal(&a, &b), "the VIP's rise counts");
	b.vips[0].check.rise = 3;
	b.vips[0].refs[0].down = true;
	cr_expect(xlb_cfg_equal(&a, &b), "health is runtime state, not config");
	xlb_cfg_free(&a);
	xlb_cfg_free(&b);
}

Test(health_config, status_spec)
{
	cr_expect(xlb_check_status_ok("200-399", 200));
	cr_expect(xlb_check_status_ok("200-399", 399));
	cr_expect_not(xlb_check_status_ok("200-399", 404));
	cr_expect(xlb_check_status_ok("200,204,301-302", 302));
	cr_expect_not(xlb_check_status_ok("200,204,301-302", 303));
	cr_expect_not(xlb_check_status_ok("junk", 200));
	cr_expect_not(xlb_check_status_ok(" 200", 200), "no blanks");
	cr_expect_not(xlb_check_status_ok("+200", 200), "no signs");
	cr_expect_not(xlb_check_status_ok("0200", 200), "three digits");
}

/* The UDP and agent keys, and maint on a reference. */
static const char kinds[] = HEAD
	"    check: {kind: udp, port: 5353, payload: \"ping\\n\", expect: pong}\n" /* 10 */
	"    backends:\n"
	"      - {id: 1, maint: true, drain: true}\n"
	"      - {id: 2, check: {kind: agent, port: 9777, payload: \"hello\\r\\n\"}}\n"
	"  - name: dns\n"
	"    address: 192.0.2.11\n" /* 15 */
	"    port: 53\n"
	"    protocol: udp\n"
	"    check: {kind: udp, require_reply: false}\n"
	"    backends: [{id: 1}]\n";

Test(health_config, udp_agent_and_maint_keys)
{
	char err[XLB_ERR_MAX], *text, *again;
	struct xlb_cfg c, back;
	struct xlb_cfg_check m;

	cr_assert_eq(parse(kinds, &c, err), 0, "%s", err);
	cr_assert(xlb_cfg_check_of(&c, &c.vips[0], &c.vips[0].refs[0], &m));
	cr_expect_eq(m.kind, XLB_CHECK_UDP);
	cr_expect_eq(m.port, 5353);
	cr_expect_str_eq(m.payload, "ping\n", "the payload keeps its newline");
	cr_expect_str_eq(m.expect, "pong");
	cr_expect(m.require_reply, "a reply is needed by default");
	cr_expect(c.vips[0].refs[0].maint, "maint: true is read");
	cr_expect(c.vips[0].refs[0].drained, "beside drain: true");
	cr_expect_eq(xlb_cfg_ref_admin(&c.vips[0].refs[0]), XLB_ADMIN_MAINT,
		     "maint is stronger than drain");
	cr_expect_eq(xlb_cfg_ref_weight(&c, &c.vips[0].refs[0]), 0,
		     "no slot in maintenance");
	cr_expect_not(c.vips[0].refs[1].maint);

	cr_assert(xlb_cfg_check_of(&c, &c.vips[0], &c.vips[0].refs[1], &m));
	cr_expect_eq(m.kind, XLB_CHECK_AGENT);
	cr_expect_eq(m.port, 9777);
	cr_expect_str_eq(m.payload, "hello\r\n");
	cr_expect_not(m.set & XLB_CHECK_F(XLB_CK_EXPECT),
		      "the VIP's expect means nothing to the agent: dropped");

	cr_assert(xlb_cfg_check_of(&c, &c.vips[1], &c.vips[1].refs[0], &m));
	cr_expect_eq(m.port, 53, "a udp VIP's port serves");
	cr_expect_not(m.require_reply);
	cr_expect_str_eq(m.payload, "", "an empty datagram by default");

	text = write_str(&c);
	cr_assert_eq(xlb_cfg_parse("w.yaml", text, strlen(text), &back, err,
				   sizeof(err)),
		     0, "the written file parses: %s\n%s", err, text);
	cr_expect(xlb_cfg_equal(&c, &back), "read back equal:\n%s", text);
	cr_expect(strstr(text, "maint: true"), "maint written:\n%s", text);
	cr_expect(strstr(text, "require_reply: false"), "require_reply written");
	again = write_str(&back);
	cr_expect_str_eq(again, text, "the same text twice");
	back.vips[0].refs[0].maint = false;
	cr_expect_not(xlb_cfg_equal(&c, &back), "maint counts in equality");
	back.vips[0].refs[0].maint = true;
	back.vips[0].refs[1].agent_admin = XLB_ADMIN_DRAIN;
	back.vips[0].refs[1].agent_pct_set = true;
	cr_expect(xlb_cfg_equal(&c, &back), "the agent's word is runtime state");
	free(again);
	free(text);
	xlb_cfg_free(&back);
	xlb_cfg_free(&c);
}

Test(health_config, an_override_without_reply_drops_the_vips_expect)
{
	static const char y[] = HEAD
		"    check: {kind: udp, port: 53, expect: pong}\n"
		"    backends: [{id: 1}, {id: 2, check: {require_reply: false}}]\n";
	char err[XLB_ERR_MAX];
	struct xlb_cfg c;
	struct xlb_cfg_check m;

	cr_assert_eq(parse(y, &c, err), 0, "%s", err);
	xlb_cfg_check_of(&c, &c.vips[0], &c.vips[0].refs[0], &m);
	cr_expect(m.set & XLB_CHECK_F(XLB_CK_EXPECT), "1 keeps expect");
	xlb_cfg_check_of(&c, &c.vips[0], &c.vips[0].refs[1], &m);
	cr_expect_not(m.set & XLB_CHECK_F(XLB_CK_EXPECT),
		      "2 awaits no reply: the VIP's expect is dropped");
	cr_expect_str_eq(m.expect, "", "and its string with it");
	cr_expect_not(m.require_reply);
	xlb_cfg_free(&c);
}

Test(health_config, agent_weight_and_admin)
{
	struct xlb_cfg_ref r = { .id = 9, .weight = 10 };
	struct xlb_cfg c;

	xlb_cfg_init(&c);
	cr_expect_eq(xlb_cfg_ref_weight(&c, &r), 10);
	r.agent_pct_set = true;
	r.agent_pct = 50;
	cr_expect_eq(xlb_cfg_ref_weight(&c, &r), 5, "50%% of 10");
	r.agent_pct = 1;
	cr_expect_eq(xlb_cfg_ref_weight(&c, &r), 1, "a small share keeps a slot");
	r.agent_pct = 0;
	cr_expect_eq(xlb_cfg_ref_weight(&c, &r), 0, "0%% takes every slot");
	r.agent_pct = 25600;
	r.weight = 65535;
	cr_expect_eq(xlb_cfg_ref_weight(&c, &r), 65535, "capped at 65535");
	r.agent_pct = 100;
	r.agent_admin = XLB_ADMIN_DRAIN;
	cr_expect_eq(xlb_cfg_ref_admin(&r), XLB_ADMIN_DRAIN);
	cr_expect_eq(xlb_cfg_ref_weight(&c, &r), 0, "the agent's drain");
	r.maint = true;
	cr_expect_eq(xlb_cfg_ref_admin(&r), XLB_ADMIN_MAINT,
		     "the file's maint over the agent's drain");
	cr_expect_str_eq(xlb_admin_name(XLB_ADMIN_MAINT), "maint");
	cr_expect_str_eq(xlb_admin_name(XLB_ADMIN_READY), "ready");
	xlb_cfg_free(&c);
}
