// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * This file holds the exec check (keepalived's MISC_CHECK): the command
 * runs under /bin/sh -c in a process group of its own, with a clean
 * environment (PATH and what it checks: XLB_CHECK_ADDRESS,
 * XLB_CHECK_PORT, XLB_BACKEND_ID, XLB_VIP), stdin/stdout/stderr on
 * /dev/null and no other inherited descriptor. Exit status 0 is up. The
 * loop watches a pidfd, so nothing waits for the child; at the timeout the
 * whole group gets SIGKILL, so a script's own children die with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <event2/event.h>

#include "lib/addr.h"
#include "xlbd/health.h"

struct exec_probe {
	pid_t pid;
	int pidfd;
	struct event *ev;
};

static void exec_close(struct exec_probe *p)
{
	if (p->ev)
		event_free(p->ev);
	if (p->pidfd >= 0)
		close(p->pidfd);
	free(p);
}

static void exec_exited(evutil_socket_t fd, short what, void *arg)
{
	struct xlbd_check *ck = arg;
	struct exec_probe *p = ck->priv;
	int status = 0;
	pid_t got;

	(void)fd;
	(void)what;
	do
		got = waitpid(p->pid, &status, WNOHANG);
	while (got < 0 && errno == EINTR);
	if (got == 0)
		return; /* not yet: the pidfd fires again */
	exec_close(p);
	ck->priv = NULL;
	if (got < 0)
		xlbd_check_done(ck, false, "waitpid: %s", strerror(errno));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		xlbd_check_done(ck, true, "exit status 0");
	else if (WIFEXITED(status))
		xlbd_check_done(ck, false, "exit status %d",
				WEXITSTATUS(status));
	else
		xlbd_check_done(ck, false, "killed by signal %d",
				WTERMSIG(status));
}

static int exec_start(struct xlbd_check *ck, char *why, size_t n)
{
	char addr[XLB_ADDR_STRLEN], e_addr[80], e_port[32], e_id[32],
		e_vip[XLB_NAME_MAX + 16];
	char *argv[] = { "sh", "-c", ck->cfg.command, NULL };
	char *envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
			 "/usr/bin:/sbin:/bin",
			 e_addr,
			 e_port,
			 e_id,
			 e_vip,
			 NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	struct exec_probe *p;
	sigset_t none;
	int rc;

	snprintf(e_addr, sizeof(e_addr), "XLB_CHECK_ADDRESS=%s",
		 xlb_addr_str(&ck->cfg.addr, ck->cfg.family, addr,
			      sizeof(addr)));
	snprintf(e_port, sizeof(e_port), "XLB_CHECK_PORT=%u", ck->cfg.port);
	snprintf(e_id, sizeof(e_id), "XLB_BACKEND_ID=%u", ck->backend_id);
	snprintf(e_vip, sizeof(e_vip), "XLB_VIP=%s",
		 ck->nrefs ? ck->refs[0].vip : "");
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(why, n, "out of memory");
		return -ENOMEM;
	}
	p->pidfd = -1;
	if (posix_spawn_file_actions_init(&fa)) {
		free(p);
		snprintf(why, n, "out of memory");
		return -ENOMEM;
	}
	if (posix_spawnattr_init(&at)) {
		posix_spawn_file_actions_destroy(&fa);
		free(p);
		snprintf(why, n, "out of memory");
		return -ENOMEM;
	}
	sigemptyset(&none);
	/* its own group (killed whole at the timeout), default signals */
	rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
						   POSIX_SPAWN_SETSIGMASK |
						   POSIX_SPAWN_SETSIGDEF);
	if (!rc)
		rc = posix_spawnattr_setpgroup(&at, 0);
	if (!rc)
		rc = posix_spawnattr_setsigmask(&at, &none);
	if (!rc) {
		sigset_t all;

		sigfillset(&all);
		rc = posix_spawnattr_setsigdefault(&at, &all);
	}
	if (!rc)
		rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
						      O_RDONLY, 0);
	if (!rc)
		rc = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null",
						      O_WRONLY, 0);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, 1, 2);
	/* maps, sockets, the control socket: none is the script's business */
	if (!rc)
		rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (!rc)
		rc = posix_spawn(&p->pid, "/bin/sh", &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc) {
		snprintf(why, n, "spawn /bin/sh: %s", strerror(rc));
		free(p);
		return -rc;
	}
	p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	if (p->pidfd >= 0)
		p->ev = event_new(xlbd_check_base(ck), p->pidfd,
				  EV_READ | EV_PERSIST, exec_exited, ck);
	if (p->pidfd < 0 || !p->ev || event_add(p->ev, NULL)) {
		snprintf(why, n, "cannot watch the command's process");
		kill(-p->pid, SIGKILL);
		while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
			;
		exec_close(p);
		return -ENOMEM;
	}
	ck->priv = p;
	return 0;
}

static void exec_cancel(struct xlbd_check *ck)
{
	struct exec_probe *p = ck->priv;

	if (!p)
		return;
	/* the group: a script's own children go too */
	kill(-p->pid, SIGKILL);
	/* SIGKILL ends it at once; reaping now keeps no zombie around */
	while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
		;
	exec_close(p);
	ck->priv = NULL;
}

const struct xlbd_check_ops xlbd_check_exec = {
	.name = "exec",
	.start = exec_start,
	.cancel = exec_cancel,
};
