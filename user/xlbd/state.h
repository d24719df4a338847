/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds xlbd's state file, like HAProxy's server-state file: the
 * running model, live CLI changes included, written atomically after each
 * change made through the control socket, so a restart (even after
 * kill -9) keeps them. The file is YAML the config reader reads; a comment
 * header records the config file it was written for and that file's hash
 * at the time. At start the state file is used instead of the config file
 * only while the config file is the same one with the same content: an
 * edited config file wins (and the stale state is removed). A reload reads
 * the config file and removes the state. It also holds the atomic writer
 * `xlb config save` uses.
 */
#ifndef XLB_USER_STATE_H
#define XLB_USER_STATE_H

#include <stddef.h>
#include <linux/types.h>

#include "config/config.h"

struct xlbd;

/* Where state files go unless xlbd_state_set_dir() says otherwise. */
#define XLBD_STATE_DIR "/var/lib/xlb"

/* Sets the state directory (xlbd --state-dir, tests); @dir is kept. */
void xlbd_state_set_dir(const char *dir);

/* The state file of @pin_dir: DIR/NAME.state.yaml (lib/loader.h's name). */
int xlbd_state_path(const char *pin_dir, char *out, size_t outlen);

/* FNV-1a 64 of @path's bytes: which content a state was written for. */
int xlbd_file_hash(const char *path, __u64 *hash, char *err, size_t errlen);

/*
 * Writes @c as a config file to @path atomically: a temporary file in the
 * same directory, fsync, rename over @path, fsync of the directory. A
 * symbolic link at @path is written through; an existing file's mode is
 * kept (else 0644). @header (may be NULL) goes first, as comment lines.
 */
int xlbd_cfg_write_atomic(const struct xlb_cfg *c, const char *path,
			  const char *header, char *err, size_t errlen);

/* Writes @d's running model to its state file. */
int xlbd_state_save(struct xlbd *d, char *err, size_t errlen);

/* Removes @pin_dir's state file, if any (a reload, a config save). */
void xlbd_state_remove(const char *pin_dir);

/*
 * At start: when @pin_dir has a state file written for @config_path with
 * content hash @config_hash, parses it into @c and returns 1, with a
 * sentence for the log in @msg. Returns 0 when there is none, or it is
 * for another file or older content (then it is removed, said in @msg if
 * so), or a negative errno when it exists but cannot be used (@msg says
 * why; it is left for the operator to look at).
 */
int xlbd_state_load(const char *config_path, __u64 config_hash,
		    const char *pin_dir, struct xlb_cfg *c, char *msg,
		    size_t msglen);

#endif /* XLB_USER_STATE_H */
