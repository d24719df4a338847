// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds xlbd's state file (live changes that survive a restart)
 * and the atomic config writer; see xlbd/state.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/loader.h"
#include "lib/log.h"
#include "xlbd/daemon.h"
#include "xlbd/state.h"

static const char *state_dir = XLBD_STATE_DIR;

void xlbd_state_set_dir(const char *dir)
{
	state_dir = dir && *dir ? dir : XLBD_STATE_DIR;
}

int xlbd_state_path(const char *pin_dir, char *out, size_t outlen)
{
	char name[200];
	int rc = xlb_pin_name(pin_dir, name, sizeof(name));

	if (rc)
		return rc;
	if ((size_t)snprintf(out, outlen, "%s/%s.state.yaml", state_dir,
			     name) >= outlen)
		return -ENAMETOOLONG;
	return 0;
}

int xlbd_file_hash(const char *path, __u64 *hash, char *err, size_t errlen)
{
	__u64 h = 0xcbf29ce484222325ull; /* FNV-1a 64 */
	unsigned char buf[65536];
	struct stat st;
	ssize_t n;
	int fd, rc = 0;

	/* O_NONBLOCK: a FIFO at the path must not hold xlbd in open() */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return xlb_errf(err, errlen, -errno, "%s: %s", path,
				strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return xlb_errf(err, errlen, -EINVAL, "%s: not a regular file",
				path);
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = xlb_errf(err, errlen, -errno, "%s: read: %s", path,
				      strerror(errno));
			break;
		}
		for (ssize_t i = 0; i < n; i++) {
			h ^= buf[i];
			h *= 0x100000001b3ull;
		}
	}
	close(fd);
	*hash = h;
	return rc;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		rc = -errno;
	close(fd);
	return rc;
}

int xlbd_cfg_write_atomic(const struct xlb_cfg *c, const char *path,
			  const char *header, char *err, size_t errlen)
{
	char target[PATH_MAX], dir[PATH_MAX], base[PATH_MAX], tmp[PATH_MAX + 16];
	mode_t mode = 0644;
	struct stat st;
	FILE *f = NULL;
	int fd, rc;

	/* a link is written through: the file it names is the config */
	if (!lstat(path, &st) && S_ISLNK(st.st_mode)) {
		if (!realpath(path, target))
			return xlb_errf(err, errlen, -errno, "%s: %s", path,
					strerror(errno));
	} else {
		snprintf(target, sizeof(target), "%s", path);
	}
	if (!stat(target, &st)) {
		if (!S_ISREG(st.st_mode))
			return xlb_errf(err, errlen, -EINVAL,
					"%s: not a regular file", target);
		mode = st.st_mode & 07777;
	}
	snprintf(dir, sizeof(dir), "%s", target);
	snprintf(base, sizeof(base), "%s", target);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dirname(dir),
			     basename(base)) >= sizeof(tmp))
		return xlb_errf(err, errlen, -ENAMETOOLONG, "%s: name too long",
				target);
	fd = mkstemp(tmp);
	if (fd < 0)
		return xlb_errf(err, errlen, -errno, "%s: temporary file: %s",
				target, strerror(errno));
	if (fchmod(fd, mode) || !(f = fdopen(fd, "w"))) {
		rc = xlb_errf(err, errlen, -errno, "%s: %s", tmp,
			      strerror(errno));
		close(fd);
		goto fail;
	}
	for (const char *l = header; l && *l;) {
		size_t n = strcspn(l, "\n");

		fprintf(f, "# %.*s\n", (int)n, l);
		l += n + (l[n] == '\n');
	}
	rc = xlb_cfg_write(c, f);
	if (rc) {
		fclose(f);
		xlb_errf(err, errlen, rc, "%s: writing the config: %s", target,
			 strerror(-rc));
		goto fail;
	}
	/* the data on disk before the name points at it */
	if (fflush(f) || fsync(fileno(f))) {
		rc = xlb_errf(err, errlen, -errno, "%s: %s", tmp,
			      strerror(errno));
		fclose(f);
		goto fail;
	}
	if (fclose(f)) {
		rc = xlb_errf(err, errlen, -errno, "%s: %s", tmp,
			      strerror(errno));
		goto fail;
	}
	if (rename(tmp, target)) {
		rc = xlb_errf(err, errlen, -errno, "%s: rename: %s", target,
			      strerror(errno));
		goto fail;
	}
	snprintf(dir, sizeof(dir), "%s", target);
	rc = fsync_dir(dirname(dir));
	if (rc)
		return xlb_errf(err, errlen, rc, "%s: fsync of its directory: %s",
				target, strerror(-rc));
	return 0;
fail:
	unlink(tmp);
	return rc;
}

int xlbd_state_save(struct xlbd *d, char *err, size_t errlen)
{
	char path[PATH_MAX], header[2 * PATH_MAX], when[32];
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	rc = xlbd_state_path(d->running.pin_dir, path, sizeof(path));
	if (rc)
		return xlb_errf(err, errlen, rc, "state file of %s: name too long",
				d->running.pin_dir);
	if (mkdir(state_dir, 0700) && errno != EEXIST)
		return xlb_errf(err, errlen, -errno, "state dir %s: %s",
				state_dir, strerror(errno));
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(header, sizeof(header),
		 "xlbd state of pin dir %s: the running model, live changes\n"
		 "included, written by xlbd after each change through the\n"
		 "control socket. At start xlbd loads it instead of the config\n"
		 "file below while that file is unchanged; `xlb reload` goes\n"
		 "back to the file, `xlb config save` writes this model there.\n"
		 "config: %s\n"
		 "config-hash: %016llx\n"
		 "written: %s\n",
		 d->running.pin_dir, d->config_path,
		 (unsigned long long)d->config_hash, when);
	return xlbd_cfg_write_atomic(&d->running, path, header, err, errlen);
}

void xlbd_state_remove(const char *pin_dir)
{
	char path[PATH_MAX];

	if (!xlbd_state_path(pin_dir, path, sizeof(path)) && !unlink(path))
		pr_info("state file %s removed: the config file is in force\n",
			path);
}

/* The value of "# KEY: value" in the header of @f; 0 if found. */
static int header_field(FILE *f, const char *key, char *out, size_t outlen)
{
	char line[PATH_MAX + 64];
	size_t klen = strlen(key);

	rewind(f);
	while (fgets(line, sizeof(line), f) && line[0] == '#') {
		if (strncmp(line, "# ", 2) || strncmp(line + 2, key, klen) ||
		    strncmp(line + 2 + klen, ": ", 2))
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(out, outlen, "%s", line + 2 + klen + 2);
		return 0;
	}
	return -ENOENT;
}

int xlbd_state_load(const char *config_path, __u64 config_hash,
		    const char *pin_dir, struct xlb_cfg *c, char *msg,
		    size_t msglen)
{
	char path[PATH_MAX], for_path[PATH_MAX], hash[32], when[64] = "?";
	char err[XLB_ERR_MAX], want[32];
	FILE *f;
	int rc;

	msg[0] = 0;
	xlb_cfg_init(c);
	if (xlbd_state_path(pin_dir, path, sizeof(path)))
		return 0;
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		return xlb_errf(msg, msglen, -errno, "state file %s: %s", path,
				strerror(errno));
	}
	rc = header_field(f, "config", for_path, sizeof(for_path));
	if (!rc)
		rc = header_field(f, "config-hash", hash, sizeof(hash));
	header_field(f, "written", when, sizeof(when));
	fclose(f);
	if (rc)
		return xlb_errf(msg, msglen, -EINVAL,
				"state file %s: no config/config-hash header; "
				"left as it is, starting from the config file",
				path);
	snprintf(want, sizeof(want), "%016llx", (unsigned long long)config_hash);
	if (strcmp(for_path, config_path) || strcmp(hash, want)) {
		/* the config file was edited (or another one is used): it wins */
		unlink(path);
		snprintf(msg, msglen,
			 "state file %s (written %s for %s) dropped: %s; "
			 "starting from the config file",
			 path, when, for_path,
			 strcmp(for_path, config_path) ?
				 "it is for another config file" :
				 "the config file changed since");
		return 0;
	}
	rc = xlb_cfg_load(path, c, err, sizeof(err));
	if (!rc && strcmp(c->pin_dir, pin_dir)) {
		rc = xlb_errf(err, sizeof(err), -EINVAL,
			      "%s: pin_dir is %s, the config file's is %s",
			      path, c->pin_dir, pin_dir);
		xlb_cfg_free(c);
	}
	if (rc)
		return xlb_errf(msg, msglen, rc,
				"state file %s not used: %s; left as it is, "
				"starting from the config file", path, err);
	snprintf(msg, msglen,
		 "live changes kept: loaded the state file %s (written %s) "
		 "instead of %s, which has not changed since; `xlb reload` "
		 "goes back to the file, `xlb config save` writes them there",
		 path, when, config_path);
	return 1;
}
