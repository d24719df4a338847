// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the Prometheus text format writer (lib/prom.h): one
 * buffer grown by doubling, so a scrape of a thousand VIPs is a few
 * reallocations, not one per line.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/prom.h"

void xlb_prom_init(struct xlb_prom *p)
{
	memset(p, 0, sizeof(*p));
}

void xlb_prom_free(struct xlb_prom *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

int xlb_prom_done(const struct xlb_prom *p)
{
	return p->err;
}

static int reserve(struct xlb_prom *p, size_t more)
{
	size_t cap = p->cap ? p->cap : 4096;
	char *b;

	if (p->err)
		return -1;
	if (p->len + more + 1 <= p->cap)
		return 0;
	while (cap < p->len + more + 1)
		cap *= 2;
	b = realloc(p->buf, cap);
	if (!b) {
		p->err = -ENOMEM;
		return -1;
	}
	p->buf = b;
	p->cap = cap;
	return 0;
}

static void put(struct xlb_prom *p, const char *s, size_t n)
{
	if (reserve(p, n))
		return;
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void puts_(struct xlb_prom *p, const char *s)
{
	put(p, s, strlen(s));
}

static void printf_(struct xlb_prom *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void printf_(struct xlb_prom *p, const char *fmt, ...)
{
	char b[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(b)) {
		if (!p->err)
			p->err = -EINVAL;
		return;
	}
	put(p, b, (size_t)n);
}

/* " VALUE\n" without printf: a scrape writes tens of thousands. */
static void put_u64(struct xlb_prom *p, __u64 v)
{
	char b[24];
	int i = sizeof(b);

	b[--i] = '\n';
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	b[--i] = ' ';
	put(p, b + i, sizeof(b) - (size_t)i);
}

int xlb_prom_name_ok(const char *s, int colon_ok)
{
	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' ||
		      (colon_ok && *s == ':')))
			return 0;
	return 1;
}

/*
 * HELP text escapes backslash and newline; label values also '"'. Runs of
 * plain bytes are copied whole: a scrape writes megabytes of labels.
 */
static void escape(struct xlb_prom *p, const char *s, int quote)
{
	const char *special = quote ? "\\\n\"" : "\\\n";

	while (*s) {
		size_t n = strcspn(s, special);

		put(p, s, n);
		s += n;
		if (!*s)
			break;
		puts_(p, *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" : "\\\"");
		s++;
	}
}

void xlb_prom_escape(struct xlb_prom *p, const char *s)
{
	escape(p, s, 1);
}

void xlb_prom_family(struct xlb_prom *p, const char *name, const char *type,
		     const char *help)
{
	if (!xlb_prom_name_ok(name, 1)) {
		if (!p->err)
			p->err = -EINVAL;
		return;
	}
	puts_(p, "# HELP ");
	puts_(p, name);
	puts_(p, " ");
	escape(p, help, 0);
	puts_(p, "\n# TYPE ");
	puts_(p, name);
	puts_(p, " ");
	puts_(p, type);
	puts_(p, "\n");
	p->families++;
}

static void head(struct xlb_prom *p, const char *name, va_list ap)
{
	const char *k, *v;
	int first = 1;

	if (!xlb_prom_name_ok(name, 1)) {
		if (!p->err)
			p->err = -EINVAL;
		return;
	}
	puts_(p, name);
	while ((k = va_arg(ap, const char *))) {
		v = va_arg(ap, const char *);
		if (!xlb_prom_name_ok(k, 0) || !v) {
			if (!p->err)
				p->err = -EINVAL;
			return;
		}
		puts_(p, first ? "{" : ",");
		puts_(p, k);
		puts_(p, "=\"");
		escape(p, v, 1);
		puts_(p, "\"");
		first = 0;
	}
	if (!first)
		puts_(p, "}");
}

void xlb_prom_u64(struct xlb_prom *p, const char *name, __u64 value, ...)
{
	va_list ap;

	va_start(ap, value);
	head(p, name, ap);
	va_end(ap);
	put_u64(p, value);
}

void xlb_prom_f64(struct xlb_prom *p, const char *name, double value, ...)
{
	va_list ap;

	va_start(ap, value);
	head(p, name, ap);
	va_end(ap);
	if (isnan(value))
		puts_(p, " NaN\n");
	else if (isinf(value))
		puts_(p, value > 0 ? " +Inf\n" : " -Inf\n");
	else {
		char b[32];

		/* the shortest of 15 or 17 digits that reads back equal */
		snprintf(b, sizeof(b), "%.15g", value);
		if (strtod(b, NULL) != value)
			snprintf(b, sizeof(b), "%.17g", value);
		printf_(p, " %s\n", b);
	}
}
