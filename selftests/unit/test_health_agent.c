// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Agent-check reply parser tests: HAProxy's agent-check vocabulary as
 * {reply line, what it sets} pairs (health words, admin words, weight in
 * percent, reasons after "#", separators, case, words it ignores) and the
 * replies it refuses, with their reason.
 */
#include <errno.h>
#include <string.h>
#include <criterion/criterion.h>

#include "xlbd/health.h"

TestSuite(health_agent);

struct agent_case {
	const char *line;
	bool has_health, up, has_admin;
	__u8 admin;
	bool has_pct;
	__u16 pct;
	const char *word, *reason;
};

static const struct agent_case ok[] = {
	{ "up\n", true, true, false, 0, false, 0, "up", "" },
	{ "ready\n", false, false, true, XLB_ADMIN_READY, false, 0, "", "" },
	{ "drain\n", false, false, true, XLB_ADMIN_DRAIN, false, 0, "", "" },
	{ "maint\r\n", false, false, true, XLB_ADMIN_MAINT, false, 0, "", "" },
	{ "down\n", true, false, false, 0, false, 0, "down", "" },
	{ "fail\n", true, false, false, 0, false, 0, "fail", "" },
	{ "STOPPED#disk full\n", true, false, false, 0, false, 0, "stopped",
	  "disk full" },
	{ "down # backup running\n", true, false, false, 0, false, 0, "down",
	  "backup running" },
	{ "75%\n", false, false, false, 0, true, 75, "", "" },
	{ "0%", false, false, false, 0, true, 0, "", "" },
	{ "up ready 50%\n", true, true, true, XLB_ADMIN_READY, true, 50, "up",
	  "" },
	{ "up,drain,10%", true, true, true, XLB_ADMIN_DRAIN, true, 10, "up",
	  "" },
	{ "Up\tMaint", true, true, true, XLB_ADMIN_MAINT, false, 0, "up", "" },
	{ "99999%", false, false, false, 0, true, XLBD_AGENT_PCT_MAX, "", "" },
	{ "maxconn:30 up", true, true, false, 0, false, 0, "up", "" },
	{ "down up\n", true, true, false, 0, false, 0, "up", "" },
	{ "hello drain\n", false, false, true, XLB_ADMIN_DRAIN, false, 0, "",
	  "" },
	{ "up\nmaint\n", true, true, false, 0, false, 0, "up", "" },
};

Test(health_agent, haproxy_vocabulary)
{
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const struct agent_case *t = &ok[i];
		struct xlbd_agent_reply r;
		char why[160] = "";
		int rc = xlbd_agent_parse(t->line, strlen(t->line), &r, why,
					  sizeof(why));

		cr_expect_eq(rc, 0, "\"%s\": taken (%s)", t->line, why);
		cr_expect_eq(r.has_health, t->has_health, "\"%s\": has_health",
			     t->line);
		if (t->has_health) {
			cr_expect_eq(r.up, t->up, "\"%s\": up", t->line);
			cr_expect_str_eq(r.word, t->word, "\"%s\": word",
					 t->line);
		}
		cr_expect_eq(r.has_admin, t->has_admin, "\"%s\": has_admin",
			     t->line);
		if (t->has_admin)
			cr_expect_eq(r.admin, t->admin, "\"%s\": admin",
				     t->line);
		cr_expect_eq(r.has_pct, t->has_pct, "\"%s\": has_pct", t->line);
		if (t->has_pct)
			cr_expect_eq(r.pct, t->pct, "\"%s\": pct %u", t->line,
				     r.pct);
		cr_expect_str_eq(r.reason, t->reason, "\"%s\": reason",
				 t->line);
	}
}

static const struct {
	const char *line, *why;
} bad[] = {
	{ "\n", "agent sent an empty line" },
	{ "", "agent sent an empty line" },
	{ "  ,\t\n", "no word it knows" },
	{ "hello world\n", "agent said \"hello world\": no word it knows" },
	{ "75\n", "\"75\" is not a weight in percent" },
	{ "7x%\n", "\"7x%\" is not a weight in percent" },
	{ "50%% up\n", "\"50%%\" is not a weight in percent" },
	{ "#only a reason\n", "no word it knows" },
};

Test(health_agent, refusals_say_why)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xlbd_agent_reply r;
		char why[160] = "";
		int rc = xlbd_agent_parse(bad[i].line, strlen(bad[i].line), &r,
					  why, sizeof(why));

		cr_expect_eq(rc, -EINVAL, "\"%s\": refused", bad[i].line);
		cr_expect(strstr(why, bad[i].why),
			  "\"%s\": got \"%s\", want \"%s\"", bad[i].line, why,
			  bad[i].why);
	}
}

Test(health_agent, reads_only_its_length)
{
	struct xlbd_agent_reply r;
	char why[160];

	/* "down" cut to "do": no word it knows */
	cr_expect_eq(xlbd_agent_parse("down", 2, &r, why, sizeof(why)),
		     -EINVAL);
	cr_expect_eq(xlbd_agent_parse("drain", 5, &r, why, sizeof(why)), 0);
	cr_expect_eq(r.admin, XLB_ADMIN_DRAIN);
}
