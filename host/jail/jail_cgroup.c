/*
 * The VMM jail's cgroup v2 layer: a leaf per VM with memory.max, memory.swap.max, cpu.max and
 * pids.max, created by the launcher before the fork and entered by the child before exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "jail.h"
#include "jail_int.h"

#define CG_LINE 4096

/* Mount point of the first cgroup2 file system in this mount namespace. */
static int cgroup2_mount(char *buf, size_t len)
{
	cleanup_file FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[CG_LINE];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char mnt[CG_LINE], *sep = strstr(line, " - ");

		if (!sep || strncmp(sep, " - cgroup2 ", 11))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		if ((size_t)snprintf(buf, len, "%s", mnt) >= len)
			return -ENAMETOOLONG;
		return 0;
	}
	return -ENOENT;
}

/* This process's cgroup v2 path, from its "0::" line. */
static int own_cgroup(char *buf, size_t len)
{
	cleanup_file FILE *f = fopen("/proc/self/cgroup", "re");
	char line[CG_LINE];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		if ((size_t)snprintf(buf, len, "%s", line + 3) >= len)
			return -ENAMETOOLONG;
		return 0;
	}
	return -ENOENT;
}

int ih_jail_cgroup_default_root(char *buf, size_t len)
{
	char mnt[CG_LINE], own[CG_LINE];
	int r;

	r = cgroup2_mount(mnt, sizeof(mnt));
	if (r < 0)
		return r;
	r = own_cgroup(own, sizeof(own));
	if (r < 0)
		return r;
	if ((size_t)snprintf(buf, len, "%s%s", mnt, strcmp(own, "/") ? own : "") >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int read_small(int dirfd, const char *name, char *buf, size_t len)
{
	cleanup_fd int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int write_str(int dirfd, const char *name, const char *val)
{
	cleanup_fd int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(val);

	if (fd < 0)
		return -errno;
	if (write(fd, val, n) != (ssize_t)n)
		return -errno;
	return 0;
}

static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

/* memory and cpu must be enabled for the root's children; enable them if they are not. */
static int enable_controllers(int rootfd)
{
	char avail[512], on[512];
	int r;

	r = read_small(rootfd, "cgroup.controllers", avail, sizeof(avail));
	if (r < 0)
		return r;
	if (!has_word(avail, "memory") || !has_word(avail, "cpu"))
		return -EOPNOTSUPP;
	r = read_small(rootfd, "cgroup.subtree_control", on, sizeof(on));
	if (r < 0)
		return r;
	if (has_word(on, "memory") && has_word(on, "cpu"))
		return 0;
	return write_str(rootfd, "cgroup.subtree_control",
			 has_word(avail, "pids") ? "+memory +cpu +pids" : "+memory +cpu");
}

static int set_limits(int leaf, const struct ih_jail_cfg *cfg)
{
	char val[64];
	int r;

	snprintf(val, sizeof(val), "%llu",
		 (unsigned long long)(cfg->guest_mem + IH_JAIL_MEM_MARGIN));
	r = write_str(leaf, "memory.max", val);
	if (r < 0)
		return r;
	/* Absent when the kernel has no swap accounting; nothing to limit then. */
	r = write_str(leaf, "memory.swap.max", "0");
	if (r < 0 && r != -ENOENT)
		return r;
	snprintf(val, sizeof(val), "%u 100000", 100000 * (cfg->cpus ? cfg->cpus : 1));
	r = write_str(leaf, "cpu.max", val);
	if (r < 0)
		return r;
	snprintf(val, sizeof(val), "%d", IH_JAIL_NPROC);
	r = write_str(leaf, "pids.max", val);
	return r == -ENOENT ? 0 : r;
}

int ih_jail_cgroup_create(const struct ih_jail_cfg *cfg, char *ret_path, size_t len)
{
	static unsigned int seq;
	char root[CG_LINE], name[64];
	cleanup_fd int rootfd = -1;
	cleanup_fd int leaf = -1;
	int r;

	if (cfg->cgroup_root)
		r = snprintf(root, sizeof(root), "%s", cfg->cgroup_root) >= (int)sizeof(root)
			    ? -ENAMETOOLONG
			    : 0;
	else
		r = ih_jail_cgroup_default_root(root, sizeof(root));
	if (r < 0)
		return r;
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	r = enable_controllers(rootfd);
	if (r < 0)
		return r;
	snprintf(name, sizeof(name), "ih-vm-%d-%u", (int)getpid(), __atomic_fetch_add(&seq, 1, 0));
	if (mkdirat(rootfd, name, 0755) < 0)
		return -errno;
	leaf = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = leaf < 0 ? -errno : set_limits(leaf, cfg);
	if (r == 0 && (size_t)snprintf(ret_path, len, "%s/%s", root, name) >= len)
		r = -ENAMETOOLONG;
	if (r < 0)
		unlinkat(rootfd, name, AT_REMOVEDIR);
	return r;
}

/* In the child: moves the calling process into the leaf. */
int ih_jail_cgroup_enter(const char *leaf)
{
	cleanup_fd int dfd = open(leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return -errno;
	return write_str(dfd, "cgroup.procs", "0");
}

void ih_jail_cgroup_remove(const char *leaf)
{
	if (leaf[0])
		rmdir(leaf);
}
