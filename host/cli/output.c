/* The atomic file replacement and output naming of host/cli/output.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "encode.h"
#include "output.h"

/* -EEXIST if path exists and is the same file as input_path. */
static int check_not_input(const char *path, const char *input_path)
{
	struct stat a, b;

	if (stat(path, &a) < 0 || stat(input_path, &b) < 0)
		return 0;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino ? -EEXIST : 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Writes the encoded image to the open temp file fd and makes it durable. */
static int write_temp(int fd, enum ih_out_format fmt, const struct ih_decoded *d)
{
	mode_t mask = umask(0);
	FILE *f;
	int ret;

	umask(mask);
	f = fchmod(fd, 0666 & ~mask) == 0 ? fdopen(fd, "wb") : NULL;
	if (!f) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = ih_encode(f, fmt, d);
	if (ret == 0 && fsync(fileno(f)) < 0)
		ret = -errno;
	if (fclose(f) != 0 && ret == 0)
		ret = -errno;
	return ret;
}

int ih_output_file(const char *path, const char *input_path, enum ih_out_format fmt,
		   const struct ih_decoded *d)
{
	char copy[PATH_MAX], tmp[PATH_MAX + 16];
	const char *dir;
	int fd, ret;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return -ENAMETOOLONG;
	ret = check_not_input(path, input_path);
	if (ret < 0)
		return ret;
	dir = dirname(copy);
	snprintf(tmp, sizeof(tmp), "%s/.ih-vm-XXXXXX", dir);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write_temp(fd, fmt, d);
	if (ret == 0 && rename(tmp, path) < 0)
		ret = -errno;
	if (ret < 0) {
		unlink(tmp);
		return ret;
	}
	return fsync_dir(dir);
}

size_t ih_output_stem(const char *input, const char **ret_base)
{
	const char *base = strrchr(input, '/');
	const char *dot;

	base = base ? base + 1 : input;
	dot = strrchr(base, '.');
	*ret_base = base;
	return dot && dot != base ? (size_t)(dot - base) : strlen(base);
}

int ih_output_path_in_dir(const char *dir, const char *input, enum ih_out_format fmt, char *buf,
			  size_t len)
{
	static const char *const ext[] = { "", "png", "ppm", "pam" };
	const char *base;
	size_t stem = ih_output_stem(input, &base);
	int n;

	n = snprintf(buf, len, "%s/%.*s.%s", dir, (int)stem, base, ext[fmt]);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
