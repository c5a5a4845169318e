/* Parses and applies the guest's sysctl table (guest/init/sysctl.conf); see sysctl.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sysctl.h"

/* Copies the next blank-separated word of *p into out (size n): 0, or -EINVAL. */
static int next_word(const char **p, char *out, size_t n)
{
	const char *s = *p;
	size_t len;

	s += strspn(s, " \t");
	len = strcspn(s, " \t\n");
	if (len == 0 || len >= n)
		return -EINVAL;
	memcpy(out, s, len);
	out[len] = '\0';
	*p = s + len;
	return 0;
}

static int valid_name(const char *name)
{
	if (name[0] == '.' || strstr(name, ".."))
		return 0;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' ||
		      *c == '.'))
			return 0;
	return 1;
}

int ih_sysctl_parse_line(const char *line, struct ih_sysctl *ret)
{
	char need[16], reason[2];
	struct ih_sysctl s;
	const char *p = line;

	p += strspn(p, " \t");
	if (*p == '\0' || *p == '\n' || *p == '#')
		return 0;
	if (next_word(&p, s.name, sizeof(s.name)) < 0 || !valid_name(s.name))
		return -EINVAL;
	if (next_word(&p, s.value, sizeof(s.value)) < 0 ||
	    strspn(s.value, "0123456789-") != strlen(s.value))
		return -EINVAL;
	if (next_word(&p, need, sizeof(need)) < 0)
		return -EINVAL;
	if (!strcmp(need, "required"))
		s.required = true;
	else if (!strcmp(need, "if-present"))
		s.required = false;
	else
		return -EINVAL;
	/* Every entry says why it is there. */
	p += strspn(p, " \t");
	if (!*p || *p == '\n' || sscanf(p, "%1s", reason) != 1)
		return -EINVAL;
	*ret = s;
	return 1;
}

/* Writes value to path, then reads it back: 0, -ENOENT (absent) or -errno. */
static int write_and_check(const char *path, const char *value)
{
	char back[IH_SYSCTL_VALUE_MAX + 2];
	size_t n = strlen(value);
	ssize_t got;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	got = write(fd, value, n);
	close(fd);
	if (got != (ssize_t)n)
		return got < 0 ? -errno : -EIO;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	got = read(fd, back, sizeof(back) - 1);
	close(fd);
	if (got < 0)
		return -errno;
	back[got] = '\0';
	back[strcspn(back, "\n")] = '\0';
	return strcmp(back, value) ? -EIO : 0;
}

static int apply_one(const struct ih_sysctl *s, const char *procsys, ih_sysctl_absent_fn absent)
{
	char path[PATH_MAX];
	int r;

	r = snprintf(path, sizeof(path), "%s/%s", procsys, s->name);
	if (r < 0 || (size_t)r >= sizeof(path))
		return -ENAMETOOLONG;
	for (char *c = path + strlen(procsys) + 1; *c; c++)
		if (*c == '.')
			*c = '/';
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		if (s->required)
			return -ENOENT;
		if (absent)
			absent(s);
		return 0;
	}
	r = write_and_check(path, s->value);
	/* Present a moment ago: vanishing now is a failure too, never "absent". */
	return r == -ENOENT ? -EIO : r;
}

int ih_sysctl_apply(const char *conf, const char *procsys, ih_sysctl_absent_fn absent,
		    struct ih_sysctl *ret_failed)
{
	const char *line = conf;

	while (*line) {
		const char *end = strchr(line, '\n');
		char buf[256];
		size_t len = end ? (size_t)(end - line) : strlen(line);
		struct ih_sysctl s = { .name = "(table)" };
		int r;

		if (len >= sizeof(buf))
			r = -EINVAL;
		else {
			memcpy(buf, line, len);
			buf[len] = '\0';
			r = ih_sysctl_parse_line(buf, &s);
			if (r > 0)
				r = apply_one(&s, procsys, absent);
		}
		if (r < 0) {
			*ret_failed = s;
			return r;
		}
		line += len + (end ? 1 : 0);
	}
	return 0;
}
