// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the libFuzzer harness of the config reader: arbitrary
 * bytes through xlb_cfg_parse(), under ASan and UBSan. A file it accepts
 * must also survive the writer's promise (config.h): written out, read back
 * and written again, it gives the same text, so a model the reader builds
 * is one the rest of xlb can say.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "lib/log.h"

static char *written(const struct xlb_cfg *c, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		abort();
	if (xlb_cfg_write(c, f)) {
		fprintf(stderr, "fuzz: an accepted config cannot be written\n");
		abort();
	}
	fclose(f);
	return buf;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xlb_log_init("fuzz", XLB_LOG_ERR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xlb_cfg c, back;
	char err[XLB_ERR_MAX];
	size_t alen, blen;
	char *a, *b;

	if (xlb_cfg_parse("fuzz.yaml", (const char *)data, size, &c, err,
			  sizeof(err)))
		return 0;
	a = written(&c, &alen);
	if (xlb_cfg_parse("written.yaml", a, alen, &back, err, sizeof(err))) {
		fprintf(stderr, "fuzz: the writer's text is refused: %s\n%s",
			err, a);
		abort();
	}
	b = written(&back, &blen);
	if (alen != blen || memcmp(a, b, alen)) {
		fprintf(stderr, "fuzz: written twice, two texts:\n%s---\n%s", a,
			b);
		abort();
	}
	free(a);
	free(b);
	xlb_cfg_free(&back);
	xlb_cfg_free(&c);
	return 0;
}
