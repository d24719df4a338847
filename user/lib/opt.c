// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the table-driven option parser every xlb program uses
 * (lib/opt.h): one pass over argv, typed values, and help from the table.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/log.h"
#include "lib/opt.h"

#ifndef XLB_VERSION
#define XLB_VERSION "unknown"
#endif

const char *xlb_version(void)
{
	return XLB_VERSION;
}

/* The value's name in help and messages: "W", "native|skb". */
static const char *arg_name(const struct xlb_opt *o, char *buf, size_t n)
{
	const struct xlb_word *w;
	size_t used = 0;

	if (o->type != XLB_OPT_ENUM)
		return o->arg ? o->arg : "VALUE";
	buf[0] = '\0';
	for (w = o->words; w->word && used + 1 < n; w++) {
		if (xlb_word_name(o->words, w->value) != w->word)
			continue; /* an alias: accepted, not offered */
		used += (size_t)snprintf(buf + used, n - used, "%s%s",
					 used ? "|" : "", w->word);
	}
	return buf;
}

/* Stores @val for @o into @obj; -EINVAL with the reason in @err. */
static int store(const struct xlb_opt *o, const char *val, void *obj,
		 char *err, size_t errlen)
{
	char *field = (char *)obj + o->off, why[160], q[XLB_QUOTE_MAX];
	struct xlb_opt_addr a;
	__u8 mac[6];
	size_t len, i;
	__u32 v;

	switch (o->type) {
	case XLB_OPT_BOOL:
		*(bool *)field = true;
		return 0;
	case XLB_OPT_U32:
		if (xlb_u32_parse(val, o->min, o->max, &v, why, sizeof(why)))
			return xlb_errf(err, errlen, -EINVAL, "--%s: %s",
					o->name, why);
		*(__u32 *)field = v;
		return 0;
	case XLB_OPT_ENUM:
		if (xlb_word_parse(o->words, val, &v, why, sizeof(why)))
			return xlb_errf(err, errlen, -EINVAL, "--%s: %s",
					o->name, why);
		*(__u32 *)field = v;
		return 0;
	case XLB_OPT_STR:
		*(const char **)field = val;
		return 0;
	case XLB_OPT_STRS: {
		struct xlb_opt_strs *l = (struct xlb_opt_strs *)field;

		if (l->n == XLB_OPT_STRS_MAX)
			return xlb_errf(err, errlen, -EINVAL,
					"--%s: at most %d times", o->name,
					XLB_OPT_STRS_MAX);
		l->v[l->n++] = val;
		return 0;
	}
	case XLB_OPT_ADDR:
		memset(&a, 0, sizeof(a));
		if (xlb_addr_parse(val, &a.addr, &a.family))
			return xlb_errf(err, errlen, -EINVAL,
					"--%s: %s is not an IPv4 or IPv6 address",
					o->name, xlb_quote(val, strlen(val), q));
		memcpy(field, &a, sizeof(a));
		return 0;
	case XLB_OPT_MAC:
		if (xlb_mac_parse(val, mac))
			return xlb_errf(err, errlen, -EINVAL,
					"--%s: %s is not a MAC address like 02:00:00:00:00:01",
					o->name, xlb_quote(val, strlen(val), q));
		memcpy(field, mac, 6);
		return 0;
	case XLB_OPT_IFNAME:
		/* the kernel's dev_valid_name(), so a name we take can exist */
		len = strlen(val);
		for (i = 0; i < len; i++)
			if (val[i] == '/' || val[i] == ':' ||
			    (unsigned char)val[i] <= ' ')
				break;
		if (!len || len >= XLB_OPT_IFNAMSIZ || i < len ||
		    !strcmp(val, ".") || !strcmp(val, ".."))
			return xlb_errf(err, errlen, -EINVAL,
					"--%s: %s is not an interface name (1..%d bytes, no '/', ':' or blanks)",
					o->name, xlb_quote(val, len, q),
					XLB_OPT_IFNAMSIZ - 1);
		memcpy(field, val, len + 1);
		return 0;
	}
	return xlb_errf(err, errlen, -EINVAL, "--%s: unknown option type",
			o->name);
}

/* The option @arg names ("--x", "--x=v", "-x", "-xv"); NULL if none. */
static const struct xlb_opt *find(const struct xlb_opts *set, const char *arg,
				  const char **inline_val)
{
	size_t i, nlen;
	const char *eq;

	*inline_val = NULL;
	if (arg[1] == '-') {
		arg += 2;
		eq = strchr(arg, '=');
		nlen = eq ? (size_t)(eq - arg) : strlen(arg);
		for (i = 0; i < set->nopts; i++) {
			if (strlen(set->opts[i].name) == nlen &&
			    !strncmp(set->opts[i].name, arg, nlen)) {
				*inline_val = eq ? eq + 1 : NULL;
				return &set->opts[i];
			}
		}
		return NULL;
	}
	for (i = 0; i < set->nopts; i++) {
		if (set->opts[i].short_name && set->opts[i].short_name == arg[1]) {
			*inline_val = arg[2] ? arg + 2 : NULL;
			return &set->opts[i];
		}
	}
	return NULL;
}

int xlb_opt_parse(const struct xlb_opts *set, int argc, char **argv,
		  void *obj, struct xlb_opt_result *res, char *err,
		  size_t errlen)
{
	char words[128], q[XLB_QUOTE_MAX];
	bool only_pos = false;
	const char *val;
	int i, ret;

	if (err && errlen)
		err[0] = '\0';
	if (set->nopts > 64)
		return xlb_errf(err, errlen, -EINVAL, "more than 64 options");
	res->seen = 0;
	res->pos = argv;
	res->npos = 0;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		const struct xlb_opt *o;

		if (only_pos || a[0] != '-' || !a[1]) {
			/* argv[0..npos) collects the positionals, in order */
			argv[res->npos++] = argv[i];
			if (set->stop_at_positional)
				only_pos = true;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_pos = true;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return XLB_OPT_HELP;
		if (!strcmp(a, "--version"))
			return XLB_OPT_VERSION;
		o = find(set, a, &val);
		if (!o)
			return xlb_errf(err, errlen, -EINVAL,
					"unknown option %s",
					xlb_quote(a, strlen(a), q));
		if (o->type == XLB_OPT_BOOL) {
			if (val)
				return xlb_errf(err, errlen, -EINVAL,
						"--%s takes no value", o->name);
		} else if (!val) {
			if (i + 1 >= argc)
				return xlb_errf(err, errlen, -EINVAL,
						"--%s needs a value (%s)",
						o->name,
						arg_name(o, words, sizeof(words)));
			val = argv[++i];
		}
		ret = store(o, val, obj, err, errlen);
		if (ret)
			return ret;
		res->seen |= 1ull << (o - set->opts);
	}
	for (size_t k = 0; k < set->nopts; k++)
		if (set->opts[k].required && !xlb_opt_given(res, k))
			return xlb_errf(err, errlen, -EINVAL,
					"--%s is required (%s)",
					set->opts[k].name,
					arg_name(&set->opts[k], words,
						 sizeof(words)));
	return 0;
}

void xlb_opt_help(const struct xlb_opts *set, FILE *f)
{
	char words[128], left[160];

	fprintf(f, "usage: %s%s%s %s\n", set->prog, set->cmd ? " " : "",
		set->cmd ? set->cmd : "", set->usage ? set->usage : "");
	for (size_t i = 0; i < set->nopts; i++) {
		const struct xlb_opt *o = &set->opts[i];
		char sh[8] = "    ";

		if (o->short_name)
			snprintf(sh, sizeof(sh), "-%c, ", o->short_name);
		snprintf(left, sizeof(left), "%s--%s%s%s", sh, o->name,
			 o->type == XLB_OPT_BOOL ? "" : " ",
			 o->type == XLB_OPT_BOOL ? "" :
						   arg_name(o, words, sizeof(words)));
		fprintf(f, "  %-30s %s", left, o->help ? o->help : "");
		if (o->type == XLB_OPT_U32)
			fprintf(f, " (%u..%u)", o->min, o->max);
		if (o->type == XLB_OPT_STRS)
			fprintf(f, " (repeatable)");
		fprintf(f, "%s\n", o->required ? " (required)" : "");
	}
	fprintf(f, "  %-30s %s\n  %-30s %s\n", "-h, --help", "this help",
		"    --version", "print the version");
	if (set->epilog)
		fputs(set->epilog, f);
}

int xlb_opt_fail(const struct xlb_opts *set, const char *err)
{
	fprintf(stderr, "%s: %s%s%s\n", set->prog, set->cmd ? set->cmd : "",
		set->cmd ? ": " : "", err);
	fprintf(stderr, "usage: %s%s%s %s (--help for more)\n", set->prog,
		set->cmd ? " " : "", set->cmd ? set->cmd : "",
		set->usage ? set->usage : "");
	return XLB_EXIT_USAGE;
}

int xlb_opt_run(const struct xlb_opts *set, int argc, char **argv, void *obj,
		struct xlb_opt_result *res)
{
	char err[256];
	int ret = xlb_opt_parse(set, argc, argv, obj, res, err, sizeof(err));

	if (ret == XLB_OPT_HELP) {
		xlb_opt_help(set, stdout);
		return XLB_EXIT_OK;
	}
	if (ret == XLB_OPT_VERSION) {
		printf("%s %s\n", set->prog, xlb_version());
		return XLB_EXIT_OK;
	}
	if (ret)
		return xlb_opt_fail(set, err);
	return -1;
}
