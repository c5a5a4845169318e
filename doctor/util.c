/* The doctor's helpers: paths under the root prefix, bounded file reads, mounts, tree walk. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include "cleanup.h"
#include "doctor.h"

#define WALK_MAX_DEPTH 64
#define MOUNT_LINE_MAX 4096

enum ih_verdict ih_verdictf(enum ih_verdict v, char *detail, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, len, fmt, ap);
	va_end(ap);
	return v;
}

const char *ih_errname(int e)
{
	const char *name = strerrorname_np(e);

	return name ? name : "unknown errno";
}

int ih_path(const struct ih_doctor *d, const char *path, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s", d->root, path);

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

int ih_exists(const struct ih_doctor *d, const char *path)
{
	char p[PATH_MAX];
	struct stat st;

	if (ih_path(d, path, p, sizeof(p)) < 0)
		return 0;
	return lstat(p, &st) == 0;
}

ssize_t ih_read_text(const struct ih_doctor *d, const char *path, char *buf, size_t len)
{
	_cleanup_close_ int fd = -1;
	char p[PATH_MAX];
	size_t got = 0;
	int r;

	if (len == 0)
		return -EINVAL;
	r = ih_path(d, path, p, sizeof(p));
	if (r < 0)
		return r;
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	while (got < len - 1) {
		ssize_t n = read(fd, buf + got, len - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return (ssize_t)got;
}

int ih_read_alloc(const struct ih_doctor *d, const char *path, size_t max, char **ret)
{
	_cleanup_free_ char *buf = malloc(max + 1);
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	n = ih_read_text(d, path, buf, max + 1);
	if (n < 0)
		return (int)n;
	if ((size_t)n == max)
		return -EFBIG;
	*ret = buf;
	buf = NULL;
	return 0;
}

int ih_opt_has(const char *opts, const char *opt)
{
	size_t olen = strlen(opt);
	const char *p = opts;

	while (*p) {
		size_t n = strcspn(p, ",");

		if (n >= olen && !strncmp(p, opt, olen) && (n == olen || p[olen] == '='))
			return 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* Splits one mounts line; 0, or -EINVAL when a field is missing or too long. */
static int mount_parse(char *line, struct ih_mount *m)
{
	char *save = NULL;
	char *f[4];
	size_t sizes[4] = { sizeof(m->src), sizeof(m->dir), sizeof(m->type), sizeof(m->opts) };
	char *dst[4] = { m->src, m->dir, m->type, m->opts };

	for (int i = 0; i < 4; i++) {
		f[i] = strtok_r(i ? NULL : line, " \t\n", &save);
		if (!f[i] || strlen(f[i]) >= sizes[i])
			return -EINVAL;
		memcpy(dst[i], f[i], strlen(f[i]) + 1);
	}
	return 0;
}

int ih_mounts_each(const struct ih_doctor *d, int (*fn)(void *arg, const struct ih_mount *m),
		   void *arg)
{
	_cleanup_fclose_ FILE *f = NULL;
	char p[PATH_MAX];
	char line[MOUNT_LINE_MAX];
	struct ih_mount m;
	int r;

	r = ih_path(d, "/proc/self/mounts", p, sizeof(p));
	if (r < 0)
		return r;
	f = fopen(p, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strchr(line, '\n') && !feof(f))
			return -EINVAL;
		if (mount_parse(line, &m) < 0)
			return -EINVAL;
		r = fn(arg, &m);
		if (r)
			return r;
	}
	return 0;
}

struct walk {
	int (*fn)(void *arg, const char *path, const struct stat *st);
	void *arg;
	char path[PATH_MAX];
};

static int walk_dir(struct walk *w, int fd, size_t len, int depth);

/* Visits one directory entry and descends into it when it is a directory. */
static int walk_entry(struct walk *w, int dfd, const char *name, size_t len, int depth)
{
	size_t nlen = strlen(name);
	struct stat st;
	int fd, r;

	if (len + 1 + nlen >= sizeof(w->path))
		return -ENAMETOOLONG;
	w->path[len] = '/';
	memcpy(w->path + len + 1, name, nlen + 1);
	/* A file that vanished since readdir (in /tmp, say) is no finding. */
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	r = w->fn(w->arg, w->path, &st);
	if (r || !S_ISDIR(st.st_mode))
		return r;
	if (depth == 0 && (!strcmp(name, "proc") || !strcmp(name, "sys")))
		return 0;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	return walk_dir(w, fd, len + 1 + nlen, depth + 1);
}

/* Walks the directory open on fd (taken over and closed) whose path is w->path[0..len). */
static int walk_dir(struct walk *w, int fd, size_t len, int depth)
{
	_cleanup_closedir_ DIR *dir = NULL;
	struct dirent *e;
	int r;

	if (depth > WALK_MAX_DEPTH) {
		close(fd);
		return -ELOOP;
	}
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while ((errno = 0, e = readdir(dir))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		r = walk_entry(w, dirfd(dir), e->d_name, len, depth);
		if (r)
			return r;
	}
	return errno ? -errno : 0;
}

int ih_walk(const struct ih_doctor *d,
	    int (*fn)(void *arg, const char *path, const struct stat *st), void *arg)
{
	struct walk w = { .fn = fn, .arg = arg };
	char p[PATH_MAX];
	int fd, r;

	r = ih_path(d, "/", p, sizeof(p));
	if (r < 0)
		return r;
	fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	w.path[0] = '\0';
	return walk_dir(&w, fd, 0, 0);
}
