/*
 * The inputs of a decode farm: a manifest (one path a line, or NUL-separated; a file or
 * stdin), file arguments, and a walk of a directory tree (regular files only, symbolic
 * links never followed). Paths are kept exactly as given, in order, each once: a repeated
 * path is dropped and counted. Every length and count is bounded.
 */
#ifndef IH_HOST_MANIFEST_H
#define IH_HOST_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

/* The longest path a manifest line may hold, and the most inputs of one run. */
#define IH_MANIFEST_PATH_MAX 4095
#define IH_MANIFEST_MAX_INPUTS (16u << 20)
/* The deepest directory a walk enters. */
#define IH_WALK_MAX_DEPTH 64

struct ih_inputs {
	char **paths;
	size_t n, cap;
	size_t duplicates; /* repeated paths dropped */
	uint64_t *set; /* open-addressing set of path hashes + 1 (0 = empty) */
	size_t *set_at; /* the index in paths of each set slot */
	size_t set_cap;
};

/* Adds a copy of path unless it is already there: 0, or -ENOMEM / -E2BIG (too many inputs). */
int ih_inputs_add(struct ih_inputs *in, const char *path);
/* 1 when path is in the list. */
int ih_inputs_has(const struct ih_inputs *in, const char *path);
/* Its index in paths, or -1. */
long long ih_inputs_index(const struct ih_inputs *in, const char *path);
void ih_inputs_free(struct ih_inputs *in);

/*
 * Reads a manifest from path ("-" for stdin), entries separated by sep ('\n' or '\0').
 * Empty entries are skipped. 0, or -errno: -ENAMETOOLONG for an entry over
 * IH_MANIFEST_PATH_MAX, -EINVAL for a NUL byte in a '\n'-separated manifest; *ret_entry
 * then holds the 1-based number of the entry at fault (0 when none).
 */
int ih_manifest_read(const char *path, char sep, struct ih_inputs *in, size_t *ret_entry);

/*
 * Adds the regular files under dir, sorted by name at each level, as dir/sub/name. Symbolic
 * links (to files or directories) and special files are skipped; no directory is entered
 * through a link. 0 or -errno (-ELOOP past IH_WALK_MAX_DEPTH).
 */
int ih_walk_dir(const char *dir, struct ih_inputs *in);

#endif
