/*
 * The VMM jail's private mounts, made in the child inside its new mount namespace: an empty,
 * read-only /tmp (holding only the image files and the program the launcher keeps under
 * /tmp, e.g. when the whole tree sits there) and a
 * read-only /dev with null, urandom and, with KVM, kvm bound from the host.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "jail.h"
#include "jail_int.h"

#define TMP_KEEP_MAX 8

/* Files the launcher keeps under /tmp stay visible in the private /tmp: the image files
 * read-only and not executable, the program to exec read-only and executable. */
struct tmp_keep {
	int fd[TMP_KEEP_MAX];
	char path[TMP_KEEP_MAX][PATH_MAX];
	bool exec[TMP_KEEP_MAX];
	size_t n;
};

static void tmp_keep_close(struct tmp_keep *k)
{
	for (size_t i = 0; i < k->n; i++)
		close(k->fd[i]);
}

static int tmp_keep_add(struct tmp_keep *k, const char *at, const char *real, bool exec)
{
	for (size_t i = 0; i < k->n; i++)
		if (!strcmp(k->path[i], at)) {
			k->exec[i] = k->exec[i] || exec;
			return 0;
		}
	if (k->n == TMP_KEEP_MAX)
		return -E2BIG;
	snprintf(k->path[k->n], PATH_MAX, "%s", at);
	k->exec[k->n] = exec;
	k->fd[k->n] = open(real, O_PATH | O_CLOEXEC);
	if (k->fd[k->n] < 0)
		return -errno;
	k->n++;
	return 0;
}

/* The file as named (its directory resolved, its last component not) and as resolved: QEMU
 * opens the first and reaches the second; each under /tmp must exist in the private one. */
static int tmp_keep_path(struct tmp_keep *k, const char *path, bool exec)
{
	char real[PATH_MAX], dir[PATH_MAX], named[PATH_MAX + NAME_MAX + 2];
	const char *slash = strrchr(path, '/');
	int r = 0;

	if (!realpath(path, real))
		return -errno;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	if (!realpath(dir[0] ? dir : "/", dir))
		return -errno;
	snprintf(named, sizeof(named), "%s/%s", strcmp(dir, "/") ? dir : "",
		 slash ? slash + 1 : path);
	if (!strncmp(named, "/tmp/", 5) && strlen(named) < PATH_MAX)
		r = tmp_keep_add(k, named, real, exec);
	if (r == 0 && !strncmp(real, "/tmp/", 5))
		r = tmp_keep_add(k, real, real, exec);
	return r;
}

static int tmp_keep_find(const struct ih_jail_cfg *cfg, const char *exe, struct tmp_keep *k)
{
	int r = tmp_keep_path(k, exe, true);

	for (const char *const *p = cfg->ro_paths; r == 0 && p && *p; p++)
		r = tmp_keep_path(k, *p, false);
	return r;
}

/* Creates the directories leading to path and an empty file or directory in its place. */
static int make_mount_point(char *path, int fd)
{
	struct stat st;
	int f;

	for (char *s = strchr(path + 5, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		f = mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
		*s = '/';
		if (f < 0)
			return f;
	}
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
	f = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (f < 0)
		return -errno;
	close(f);
	return 0;
}

static int bind_ro(int fd, const char *dst, bool exec)
{
	const unsigned long ro =
		MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | (exec ? 0 : MS_NOEXEC);
	char src[64];

	snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
	if (mount(src, dst, NULL, MS_BIND, NULL) < 0 || mount(NULL, dst, NULL, ro, NULL) < 0)
		return -errno;
	return 0;
}

int ih_jail_private_tmp(const struct ih_jail_cfg *cfg, const char *exe)
{
	const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	__attribute__((cleanup(tmp_keep_close))) struct tmp_keep keep = { .n = 0 };
	int r;

	r = tmp_keep_find(cfg, exe, &keep);
	if (r < 0)
		return r;
	if (mount("tmpfs", "/tmp", "tmpfs", fl, "size=64k,mode=0755") < 0)
		return -errno;
	for (size_t i = 0; i < keep.n; i++) {
		r = make_mount_point(keep.path[i], keep.fd[i]);
		if (r == 0)
			r = bind_ro(keep.fd[i], keep.path[i], keep.exec[i]);
		if (r < 0)
			return r;
	}
	return mount(NULL, "/tmp", NULL, MS_REMOUNT | MS_RDONLY | fl, NULL) < 0 ? -errno : 0;
}

/* Binds the host's device node (held open as fd) onto an empty file in the new /dev. */
static int bind_dev(int fd, const char *name)
{
	char src[64], dst[64];
	int f;

	snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
	snprintf(dst, sizeof(dst), "/dev/%s", name);
	f = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (f < 0)
		return -errno;
	close(f);
	return mount(src, dst, NULL, MS_BIND, NULL) < 0 ? -errno : 0;
}

int ih_jail_private_dev(const struct ih_jail_cfg *cfg)
{
	cleanup_fd int null_fd = open("/dev/null", O_PATH | O_CLOEXEC);
	cleanup_fd int rand_fd = open("/dev/urandom", O_PATH | O_CLOEXEC);
	cleanup_fd int kvm_fd = cfg->use_kvm ? open("/dev/kvm", O_PATH | O_CLOEXEC) : -1;
	int r;

	if (null_fd < 0 || rand_fd < 0 || (cfg->use_kvm && kvm_fd < 0))
		return -ENOENT;
	if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=4k,mode=0755") < 0)
		return -errno;
	r = bind_dev(null_fd, "null");
	if (r == 0)
		r = bind_dev(rand_fd, "urandom");
	if (r == 0 && kvm_fd >= 0)
		r = bind_dev(kvm_fd, "kvm");
	if (r < 0)
		return r;
	if (symlink("/proc/self/fd", "/dev/fd") < 0)
		return -errno;
	if (mount(NULL, "/dev", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL) < 0)
		return -errno;
	return 0;
}
