/* The VMM jail behind host/qemu/qemu.h's spawn hook (see jail_qemu.h). */
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

static int image_file(const char *override, const char *dir, const char *name, char *ret)
{
	int n = override ? snprintf(ret, PATH_MAX, "%s", override)
			 : snprintf(ret, PATH_MAX, "%s/%s", dir ? dir : ".", name);

	return n < PATH_MAX ? 0 : -ENAMETOOLONG;
}

int ih_jail_qemu_init(struct ih_jail_qemu *jq, const struct ih_qemu_opts *opts,
		      enum ih_jail_mode mode, const char *cgroup_root)
{
	unsigned int mib = opts->mem_mib ? opts->mem_mib : IH_QEMU_DEFAULT_MEM_MIB;
	int r;

	memset(jq, 0, sizeof(*jq));
	jq->pid = -1;
	r = image_file(opts->kernel, opts->image_dir, ih_kernel_name(opts->arch), jq->files[0]);
	if (r == 0)
		r = image_file(opts->initramfs, opts->image_dir, "initramfs.cpio.gz", jq->files[1]);
	if (r == 0)
		r = image_file(opts->rootfs, opts->image_dir, "rootfs.squashfs", jq->files[2]);
	if (r < 0)
		return r;
	for (size_t i = 0; i < 3; i++)
		jq->ro[i] = jq->files[i];
	jq->cfg.mode = mode;
	jq->cfg.guest_mem = (uint64_t)mib << 20;
	jq->cfg.ro_paths = jq->ro;
	jq->cfg.use_kvm = opts->kvm;
	jq->cfg.cgroup_root = cgroup_root;
	return 0;
}

int ih_jail_qemu_print(const struct ih_jail_qemu *jq, bool json, FILE *f)
{
	struct ih_jail_measured m;
	int r = jq->pid > 0 ? ih_jail_measure(jq->pid, &m) : -ESRCH;

	if (r < 0)
		return r;
	if (json)
		ih_jail_print_json(&jq->report, &m, f);
	else
		ih_jail_print_text(&jq->report, &m, f);
	return 0;
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
	r = ih_jail_spawn(&cfg, argv, req->keep_fds, req->n_keep_fds, ret_pid, &jq->report);
	jq->pid = r == 0 ? *ret_pid : -1;
	return r;
}
