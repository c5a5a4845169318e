/*
 * Shards of a decode farm and the names of their outputs. An input belongs to shard
 * hash(path) mod N, the hash being FNV-1a 64 of the path's bytes, mixed: every input is in
 * exactly one shard whatever N is, and the same K/N picks the same inputs on any machine,
 * in any order of the manifest. Output names carry the same hash, so two inputs with one
 * base name in different directories never write the same file.
 */
#ifndef IH_HOST_SHARD_H
#define IH_HOST_SHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IH_SHARD_MAX 1000000

struct ih_shard {
	uint32_t k, n; /* n == 0: not sharded */
};

/* Where --shard=auto found the index and the count. */
struct ih_shard_source {
	const char *index_var; /* SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX */
	const char *count_from; /* the variable or "the option" */
};

/*
 * Parses "K/N" (0 <= K < N <= IH_SHARD_MAX), "auto" or "auto/N". auto takes K from
 * SLURM_ARRAY_TASK_ID, else JOB_COMPLETION_INDEX (Kubernetes Indexed Job), and N from
 * "/N", else SLURM_ARRAY_TASK_COUNT. 0; -EINVAL malformed; -ENOENT auto with neither
 * index variable set; -ENODATA auto with no count; -ERANGE K >= N or out of bounds.
 */
int ih_shard_parse(const char *arg, struct ih_shard *ret, struct ih_shard_source *ret_src);

/* The stable 64-bit hash of a path. */
uint64_t ih_path_hash(const char *path);

bool ih_shard_has(const struct ih_shard *s, const char *path);

/* dir/<stem>-<16 hex digits of the path's hash>.<ext>: 0 or -ENAMETOOLONG. */
int ih_shard_output_path(const char *dir, const char *input, const char *ext, char *buf,
			 size_t len);

#endif
