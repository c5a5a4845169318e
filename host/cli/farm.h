/*
 * `ih-vm decode` as one task of a decode farm: inputs from a manifest (--manifest,
 * --manifest0) or a directory walk (-r), one shard of them (--shard), a records file
 * appended to whole lines (--records) and a run that skips what a killed earlier run
 * finished (--resume). Outputs under -o DIR get names that carry a hash of the input path
 * (host/cli/shard.h), the same in every run and on every machine.
 */
#ifndef IH_HOST_FARM_H
#define IH_HOST_FARM_H

#include <stdbool.h>
#include <stddef.h>

#include "manifest.h"
#include "shard.h"

enum ih_farm_opt {
	IH_FARM_MANIFEST = 512,
	IH_FARM_MANIFEST0,
	IH_FARM_WALK,
	IH_FARM_SHARD,
	IH_FARM_RECORDS,
	IH_FARM_RESUME,
};

/* The entries of the getopt_long table. */
/* clang-format off */
#define IH_FARM_LONG_OPTS                                                                          \
	{ "manifest", required_argument, NULL, IH_FARM_MANIFEST },                                 \
	{ "manifest0", required_argument, NULL, IH_FARM_MANIFEST0 },                               \
	{ "recursive", required_argument, NULL, IH_FARM_WALK },                                    \
	{ "shard", required_argument, NULL, IH_FARM_SHARD },                                       \
	{ "records", required_argument, NULL, IH_FARM_RECORDS },                                   \
	{ "resume", no_argument, NULL, IH_FARM_RESUME }
/* clang-format on */

#define IH_FARM_OPTIONS_HELP                                                                       \
	"  --manifest=FILE|-       inputs, one path a line (besides FILE arguments)\n"             \
	"  --manifest0=FILE|-      the same, NUL-separated\n"                                      \
	"  -r, --recursive=DIR     inputs: the regular files under DIR (links not followed)\n"     \
	"  --shard=K/N|auto[/N]    only the inputs of shard K of N (by a hash of the path);\n"     \
	"                          auto: K from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX,\n"    \
	"                          N from /N or SLURM_ARRAY_TASK_COUNT\n"                          \
	"  --records=FILE          append one JSON record per input to FILE (JSON Lines)\n"        \
	"  --resume                skip inputs FILE already records as rejected, or as\n"          \
	"                          decoded with their output present\n"                            \
	"with --manifest, -r or --shard, outputs in -o DIR are named STEM-HASH.EXT\n"

struct ih_farm_opts {
	const char *manifest;
	char manifest_sep; /* '\n', or '\0' for --manifest0 */
	const char *walk_dir;
	const char *shard_arg;
	const char *records;
	bool resume;
	/* set by ih_farm_inputs() */
	bool active; /* a manifest, a walk or a shard: hashed output names */
	struct ih_shard shard;
	struct ih_inputs inputs; /* every input of the run, before sharding */
	char **mine; /* this shard's */
	size_t n_mine;
};

/* One farm option of getopt_long (an enum ih_farm_opt): 0, or -EINVAL described in err. */
int ih_farm_option(int opt, const char *arg, struct ih_farm_opts *f, char *err, size_t len);

/* true when the inputs may come from elsewhere than the command line. */
bool ih_farm_has_inputs(const struct ih_farm_opts *f);

/*
 * Gathers the inputs: the file arguments, then the manifest, then the walk, each path
 * once; keeps this shard's. *ret_inputs and *ret_n are replaced only when a farm option was
 * given. 0, or -EINVAL described in err (an unreadable manifest, a bad --shard).
 */
int ih_farm_inputs(struct ih_farm_opts *f, char **args, size_t n_args, char ***ret_inputs,
		   size_t *ret_n, char *err, size_t len);

struct ih_decode_args;

/* The output path of input under -o DIR: hashed in a farm run, else plain (output.h). */
int ih_farm_output_path(const struct ih_decode_args *o, const char *input, char *buf, size_t len);

/* What ih_farm_start() found in the records file. */
struct ih_farm_resume {
	size_t done; /* inputs skipped: already recorded as finished */
	size_t cut_bytes; /* a torn last line cut off */
	size_t malformed; /* lines that are no record, ignored */
};

/*
 * With --records: opens the file (locked for this run, a torn last line cut) into *ret_fd;
 * with --resume, drops from o->inputs every input the file records as rejected, or as
 * decoded with its output (or no -o) in place. 0, or -errno described in err.
 */
int ih_farm_start(struct ih_decode_args *o, int *ret_fd, struct ih_farm_resume *ret, char *err,
		  size_t len);

#endif
