// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xlb-bench: the benchmarks behind `make bench`. Prints Markdown to stdout
 * and writes build/bench/results.{md,json}.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench_datapath.h"
#include "bench_maglev.h"
#include "bench_metrics.h"

static int run_all(FILE *md, FILE *json)
{
	struct utsname u;
	int err;

	uname(&u);
	fprintf(md, "# xlb benchmarks\n\nmachine: %s %s, %ld CPUs\n",
		u.sysname, u.release, sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(json, "[\n");
	/* Maglev needs no BPF: its figures count even if the datapath fails */
	/*
	 * XLB_BENCH_ONLY=datapath, maglev or metrics: one part alone; any other
	 * value names one datapath class (perf record): the datapath part only.
	 */
	const char *only = getenv("XLB_BENCH_ONLY");
	bool part = only && (!strcmp(only, "datapath") ||
			     !strcmp(only, "maglev") || !strcmp(only, "metrics"));
	bool first = true;

	err = 0;
#define PART(name, fn)                                                         \
	if (!only || (part ? !strcmp(only, name) : !strcmp(name, "datapath"))) { \
		if (!first)                                                    \
			fprintf(json, ",\n");                                  \
		err = fn(md, json) ?: err;                                     \
		first = false;                                                 \
	}
	PART("datapath", bench_datapath_run)
	PART("maglev", bench_maglev_run)
	PART("metrics", bench_metrics_run)
#undef PART
	fprintf(json, "\n]\n");
	return err;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build/bench";
	char path[512];
	FILE *md, *json;
	int err;

	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "xlb-bench: mkdir %s: %s\n", dir, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/results.json", dir);
	json = fopen(path, "w");
	if (!json) {
		fprintf(stderr, "xlb-bench: open %s: %s\n", path, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/results.md", dir);
	md = fopen(path, "w");
	if (!md) {
		fprintf(stderr, "xlb-bench: open %s: %s\n", path, strerror(errno));
		fclose(json);
		return 1;
	}
	err = run_all(md, json);
	fclose(json);
	fclose(md);
	if (err) {
		fprintf(stderr, "xlb-bench: failed (%d)\n", err);
		return 1;
	}
	/* show what was written */
	md = fopen(path, "r");
	if (md) {
		int c;

		while ((c = fgetc(md)) != EOF)
			putchar(c);
		fclose(md);
	}
	return 0;
}
