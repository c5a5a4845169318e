/* The VMM jail behind host/qemu.h's spawn hook (see jail_qemu.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jail_qemu.h"

/* An absolute path for argv[0]: as given when it has a slash, else the first in PATH. */
static int resolve(const char *name, char *ret)
{
	const char *path = getenv("PATH");
	char dirs[4096];

	if (strchr(name, '/'))
		return realpath(name, ret) ? 0 : -errno;
	snprintf(dirs, sizeof(dirs), "%s", path && *path ? path : "/usr/bin:/bin");
	for (char *save, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if (d[0] != '/' || snprintf(ret, PATH_MAX, "%s/%s", d, name) >= PATH_MAX)
			continue;
		if (access(ret, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

int ih_jail_qemu_spawn(const struct ih_qemu_spawn_req *req, void *ctx, pid_t *ret_pid)
{
	struct ih_jail_qemu *jq = ctx;
	struct ih_jail_cfg cfg = jq->cfg;
	char exe[PATH_MAX], *argv[IH_QEMU_ARGV_MAX + 1];
	size_t n = 0;
	int r = resolve(req->argv[0], exe);

	if (r < 0)
		return r;
	argv[n++] = exe;
	for (; n < IH_QEMU_ARGV_MAX && req->argv[n]; n++)
		argv[n] = req->argv[n];
	if (n == IH_QEMU_ARGV_MAX)
		return -E2BIG;
	argv[n] = NULL;
	cfg.own_pgrp = true;
	cfg.redirect_stdio = req->stdout_fd >= 0;
	cfg.stdio_fd = req->stdout_fd;
	return ih_jail_spawn(&cfg, argv, req->keep_fds, req->n_keep_fds, ret_pid, &jq->report);
}
