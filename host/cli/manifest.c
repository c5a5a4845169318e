/* The inputs of a decode farm: manifests, directory walks, one copy of each path
 * (host/cli/manifest.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest.h"
#include "shard.h"

static size_t slot_of(const struct ih_inputs *in, const char *path, uint64_t key, int *ret_found)
{
	size_t i = (size_t)key & (in->set_cap - 1);

	for (;; i = (i + 1) & (in->set_cap - 1)) {
		if (in->set[i] == 0) {
			*ret_found = 0;
			return i;
		}
		if (in->set[i] == key && !strcmp(in->paths[in->set_at[i]], path)) {
			*ret_found = 1;
			return i;
		}
	}
}

/* Keeps the set at most half full. */
static int grow_set(struct ih_inputs *in)
{
	size_t cap = in->set_cap ? in->set_cap * 2 : 1024;
	uint64_t *set = calloc(cap, sizeof(*set));
	size_t *at = calloc(cap, sizeof(*at));
	struct ih_inputs grown = { .paths = in->paths, .set = set, .set_at = at, .set_cap = cap };
	int found;

	if (!set || !at) {
		free(set);
		free(at);
		return -ENOMEM;
	}
	for (size_t i = 0; i < in->set_cap; i++) {
		if (!in->set[i])
			continue;
		size_t s = slot_of(&grown, in->paths[in->set_at[i]], in->set[i], &found);

		set[s] = in->set[i];
		at[s] = in->set_at[i];
	}
	free(in->set);
	free(in->set_at);
	in->set = set;
	in->set_at = at;
	in->set_cap = cap;
	return 0;
}

static uint64_t key_of(const char *path)
{
	uint64_t h = ih_path_hash(path);

	return h ? h : 1;
}

long long ih_inputs_index(const struct ih_inputs *in, const char *path)
{
	size_t slot;
	int found = 0;

	if (!in->set_cap)
		return -1;
	slot = slot_of(in, path, key_of(path), &found);
	return found ? (long long)in->set_at[slot] : -1;
}

int ih_inputs_has(const struct ih_inputs *in, const char *path)
{
	return ih_inputs_index(in, path) >= 0;
}

int ih_inputs_add(struct ih_inputs *in, const char *path)
{
	uint64_t key = key_of(path);
	size_t slot;
	int found = 0;

	if ((in->n + 1) * 2 > in->set_cap && grow_set(in) < 0)
		return -ENOMEM;
	slot = slot_of(in, path, key, &found);
	if (found) {
		in->duplicates++;
		return 0;
	}
	if (in->n >= IH_MANIFEST_MAX_INPUTS)
		return -E2BIG;
	if (in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 256;
		char **p = realloc(in->paths, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		in->paths = p;
		in->cap = cap;
	}
	in->paths[in->n] = strdup(path);
	if (!in->paths[in->n])
		return -ENOMEM;
	in->set[slot] = key;
	in->set_at[slot] = in->n++;
	return 0;
}

void ih_inputs_free(struct ih_inputs *in)
{
	for (size_t i = 0; i < in->n; i++)
		free(in->paths[i]);
	free(in->paths);
	free(in->set);
	free(in->set_at);
	*in = (struct ih_inputs){ 0 };
}

/* The entry buffered in e (len bytes) ends: add it unless empty. */
static int end_entry(struct ih_inputs *in, char *e, size_t len, size_t *count)
{
	(*count)++;
	if (len == 0)
		return 0;
	e[len] = '\0';
	return ih_inputs_add(in, e);
}

/* Splits the stream on sep; a NUL in a '\n' manifest or an over-long entry stops it. */
static int read_entries(FILE *f, char sep, struct ih_inputs *in, size_t *ret_entry)
{
	char e[IH_MANIFEST_PATH_MAX + 1];
	size_t len = 0, count = 0;
	int ch, r = 0;

	while (r == 0 && (ch = getc_unlocked(f)) != EOF) {
		if (ch == sep) {
			r = end_entry(in, e, len, &count);
			len = 0;
		} else if (ch == '\0') {
			r = -EINVAL;
		} else if (len == IH_MANIFEST_PATH_MAX) {
			r = -ENAMETOOLONG;
		} else {
			e[len++] = (char)ch;
		}
	}
	if (r == 0 && ferror(f))
		r = -EIO;
	if (r == 0)
		r = end_entry(in, e, len, &count);
	*ret_entry = r < 0 ? count + 1 : 0;
	return r;
}

int ih_manifest_read(const char *path, char sep, struct ih_inputs *in, size_t *ret_entry)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	struct stat st;
	int r;

	*ret_entry = 0;
	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) < 0 || S_ISDIR(st.st_mode))
		r = S_ISDIR(st.st_mode) ? -EISDIR : -errno;
	else
		r = read_entries(f, sep, in, ret_entry);
	if (f != stdin)
		fclose(f);
	return r;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int walk(int dfd, const char *path, unsigned int depth, struct ih_inputs *in);

/* One entry of a directory: a regular file is added, a directory entered, the rest skipped. */
static int walk_entry(int dfd, const char *dir, const char *name, unsigned int depth,
		      struct ih_inputs *in)
{
	char path[IH_MANIFEST_PATH_MAX + 1];
	struct stat st;
	int fd, r;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISREG(st.st_mode))
		return ih_inputs_add(in, path);
	if (!S_ISDIR(st.st_mode))
		return 0;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = walk(fd, path, depth + 1, in);
	close(fd);
	return r;
}

/* Walks the open directory dfd, named path; dfd stays open. */
static int walk(int dfd, const char *path, unsigned int depth, struct ih_inputs *in)
{
	struct dirent **names;
	int n, r = 0;

	if (depth > IH_WALK_MAX_DEPTH)
		return -ELOOP;
	n = scandirat(dfd, ".", &names, NULL, by_name);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if (r == 0 && strcmp(name, ".") && strcmp(name, ".."))
			r = walk_entry(dfd, path, name, depth, in);
		free(names[i]);
	}
	free(names);
	return r;
}

int ih_walk_dir(const char *dir, struct ih_inputs *in)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;
	size_t len = strlen(dir);
	char top[IH_MANIFEST_PATH_MAX + 1];

	if (fd < 0)
		return -errno;
	/* dir/ and dir name the same tree: no doubled slash in the paths */
	while (len > 1 && dir[len - 1] == '/')
		len--;
	snprintf(top, sizeof(top), "%.*s", (int)len, dir);
	r = len < sizeof(top) ? walk(fd, top, 0, in) : -ENAMETOOLONG;
	close(fd);
	return r;
}
