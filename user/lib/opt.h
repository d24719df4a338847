/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds xlb's command-line option parser, in the spirit of
 * xdp-tools' DEFINE_OPTION: a program describes its options once, as a
 * table of {long name, short letter, type, field (offsetof), help}, and
 * gets one-pass parsing into its own struct, typed checks with messages
 * that name the option and the accepted values, and --help generated from
 * the same table, so the help can never miss an option. Numbers and words
 * follow lib/parse.h, like the config file.
 *
 * Every table gets --help (-h) and --version for free. Options and
 * positional arguments may mix ("--" ends options) unless the set says
 * stop_at_positional (a global option list before a command word).
 */
#ifndef XLB_USER_OPT_H
#define XLB_USER_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include <xlb/abi.h>

#include "lib/parse.h"

/* Exit codes every xlb program uses. */
enum { XLB_EXIT_OK = 0, XLB_EXIT_FAILED = 1, XLB_EXIT_USAGE = 2 };

enum xlb_opt_type {
	XLB_OPT_BOOL, /* no value; sets a bool to true */
	XLB_OPT_U32, /* __u32 in min..max, decimal (lib/parse.h) */
	XLB_OPT_STR, /* const char *, pointing into argv */
	XLB_OPT_ADDR, /* struct xlb_opt_addr: IPv4 or IPv6 */
	XLB_OPT_MAC, /* __u8[6] */
	XLB_OPT_IFNAME, /* char[XLB_OPT_IFNAMSIZ]: 1..15 bytes, no '/', ':' or blank */
	XLB_OPT_ENUM, /* __u32, one of words (any case) */
	XLB_OPT_STRS, /* struct xlb_opt_strs: each use appends one value */
};

/* A repeatable option's values (xlbd -i eth0 -i eth1), in order. */
#define XLB_OPT_STRS_MAX 16
struct xlb_opt_strs {
	const char *v[XLB_OPT_STRS_MAX]; /* pointing into argv */
	unsigned int n;
};

#define XLB_OPT_IFNAMSIZ 16

struct xlb_opt_addr {
	struct xlb_addr addr;
	__u8 family; /* XLB_AF_*, 0 if not given */
};

struct xlb_opt {
	const char *name; /* long name, without "--" */
	char short_name; /* 0: none */
	enum xlb_opt_type type;
	size_t off; /* of the field in the caller's struct */
	const char *arg; /* the value's name in the help ("W"); enums list words */
	const char *help;
	__u32 min, max; /* XLB_OPT_U32 */
	const struct xlb_word *words; /* XLB_OPT_ENUM */
	bool required;
};

/* Shorthands for table rows; @field names a member of the struct @st. */
#define XLB_OPT_FLAG(n, s, st, field, h)                                    \
	{ .name = n, .short_name = s, .type = XLB_OPT_BOOL,                  \
	  .off = offsetof(st, field), .help = h }
#define XLB_OPT_NUM(n, s, st, field, a, lo, hi, h)                         \
	{ .name = n, .short_name = s, .type = XLB_OPT_U32,                   \
	  .off = offsetof(st, field), .arg = a, .help = h, .min = lo,        \
	  .max = hi }
#define XLB_OPT_OF(n, s, t, st, field, a, h)                               \
	{ .name = n, .short_name = s, .type = t, .off = offsetof(st, field), \
	  .arg = a, .help = h }
#define XLB_OPT_WORD(n, s, st, field, w, h)                                \
	{ .name = n, .short_name = s, .type = XLB_OPT_ENUM,                  \
	  .off = offsetof(st, field), .words = w, .help = h }

/* A program's (or a subcommand's) options. */
struct xlb_opts {
	const char *prog; /* "xlb" */
	const char *cmd; /* "backend add", or NULL */
	const char *usage; /* what follows prog and cmd: "VIP ID [OPTIONS]" */
	const char *epilog; /* printed after the options in --help, or NULL */
	const struct xlb_opt *opts;
	size_t nopts; /* at most 64 */
	bool stop_at_positional;
};

/* What xlb_opt_parse() found besides the options. */
struct xlb_opt_result {
	__u64 seen; /* bit i: opts[i] was given */
	char **pos; /* positional arguments, in order (argv reordered) */
	int npos;
};

enum { XLB_OPT_HELP = 1, XLB_OPT_VERSION = 2 };

/*
 * Parses argv[0..argc) (argv[0] is NOT skipped: pass argv + 1) into @obj.
 * Returns 0; XLB_OPT_HELP or XLB_OPT_VERSION when --help or --version came
 * (the caller prints and exits 0); or -EINVAL with
 * '--weight: "abc" is not a number (0..65535)' in @err. A required option
 * that is missing is an error too. Options keep the last value given.
 */
int xlb_opt_parse(const struct xlb_opts *set, int argc, char **argv,
		  void *obj, struct xlb_opt_result *res, char *err,
		  size_t errlen);

/* True if opts[i] of the set given to the parse was on the command line. */
static inline bool xlb_opt_given(const struct xlb_opt_result *r, size_t i)
{
	return r->seen >> i & 1;
}

/* "usage: PROG CMD USAGE" and one line per option, from the table. */
void xlb_opt_help(const struct xlb_opts *set, FILE *f);
/* Prints "PROG: CMD: @err" and the usage line to stderr; returns 2. */
int xlb_opt_fail(const struct xlb_opts *set, const char *err);

/*
 * The whole dance for a program: parses; on --help prints the help and on
 * --version the version to stdout; on an error prints it. Returns -1 to go
 * on, or the exit code to leave with (0 or 2).
 */
int xlb_opt_run(const struct xlb_opts *set, int argc, char **argv, void *obj,
		struct xlb_opt_result *res);

/* The version every program prints (XLB_VERSION, set by the Makefile). */
const char *xlb_version(void);

#endif /* XLB_USER_OPT_H */
