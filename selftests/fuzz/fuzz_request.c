// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the libFuzzer harness of the control-request path up to
 * the maps: arbitrary bytes through the strict decoder (lib/ctl_decode.h)
 * and, when they decode, the command table's field check (xlbd_args_check),
 * under ASan and UBSan. What the decoder accepts must print back to JSON
 * the decoder accepts again, and a request the check passes must name a
 * command.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ctl_decode.h"
#include "lib/log.h"
#include "xlbd/daemon.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xlb_log_init("fuzz", XLB_LOG_ERR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *req, *again;
	char err[XLB_ERR_MAX];
	struct xlbd_args a;
	const char *text;
	size_t len;

	req = xlb_ctl_decode(data, size, err, sizeof(err));
	if (!req)
		return 0;
	text = json_object_to_json_string_length(req, JSON_C_TO_STRING_PLAIN,
						 &len);
	again = xlb_ctl_decode(text, len, err, sizeof(err));
	if (!again) {
		fprintf(stderr, "fuzz: json-c's own text is refused: %s\n%s\n",
			err, text);
		abort();
	}
	json_object_put(again);
	if (xlbd_args_check(req, &a, err, sizeof(err)) >= 0 &&
	    !json_object_object_get_ex(req, "cmd", NULL))
		abort();
	json_object_put(req);
	return 0;
}
