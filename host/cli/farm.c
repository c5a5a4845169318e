/* `ih-vm decode` as one task of a decode farm (host/cli/farm.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decode_opts.h"
#include "farm.h"
#include "output.h"
#include "records.h"

static int fail(char *err, size_t len, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t len, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return r;
}

int ih_farm_option(int opt, const char *arg, struct ih_farm_opts *f, char *err, size_t len)
{
	switch (opt) {
	case IH_FARM_MANIFEST:
	case IH_FARM_MANIFEST0:
		if (f->manifest)
			return fail(err, len, -EINVAL, "only one --manifest or --manifest0");
		f->manifest = arg;
		f->manifest_sep = opt == IH_FARM_MANIFEST ? '\n' : '\0';
		return 0;
	case IH_FARM_WALK:
		f->walk_dir = arg;
		return 0;
	case IH_FARM_SHARD:
		f->shard_arg = arg;
		return 0;
	case IH_FARM_RECORDS:
		f->records = arg;
		return 0;
	default:
		f->resume = true;
		return 0;
	}
}

bool ih_farm_has_inputs(const struct ih_farm_opts *f)
{
	return f->manifest || f->walk_dir;
}

/* Why --shard=ARG cannot be used, as one line. */
static int shard_failed(const char *arg, int r, const struct ih_shard_source *src, char *err,
			size_t len)
{
	switch (r) {
	case -ENOENT:
		return fail(err, len, -EINVAL,
			    "--shard=%s: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is "
			    "set; give --shard=K/N outside a job array",
			    arg);
	case -ENODATA:
		return fail(err, len, -EINVAL,
			    "--shard=%s: %s gives no shard count; pass --shard=auto/N", arg,
			    src->index_var);
	case -ERANGE:
		return fail(
			err, len, -EINVAL,
			"--shard=%s: the index (%s) must be from 0 to the count (from %s) minus "
			"1; number a Slurm array from 0",
			arg, src->index_var ? src->index_var : "K",
			src->count_from ? src->count_from : "N");
	default:
		return fail(err, len, -EINVAL,
			    "--shard=%s: want K/N (0 <= K < N), auto or auto/N%s%s", arg,
			    src->index_var ? "; check " : "", src->index_var ? src->index_var : "");
	}
}

static int gather(struct ih_farm_opts *f, char **args, size_t n_args, char *err, size_t len)
{
	size_t entry;
	int r = 0;

	for (size_t i = 0; i < n_args && r == 0; i++)
		r = ih_inputs_add(&f->inputs, args[i]);
	if (r == 0 && f->manifest) {
		r = ih_manifest_read(f->manifest, f->manifest_sep, &f->inputs, &entry);
		if (r == -EINVAL)
			return fail(err, len, r, "%s: entry %zu holds a NUL byte (use --manifest0)",
				    f->manifest, entry);
		if (r < 0 && entry)
			return fail(err, len, r, "%s: entry %zu: %s", f->manifest, entry,
				    strerror(-r));
		if (r < 0)
			return fail(err, len, r, "cannot read the manifest %s: %s", f->manifest,
				    strerror(-r));
	}
	if (r == 0 && f->walk_dir) {
		r = ih_walk_dir(f->walk_dir, &f->inputs);
		if (r < 0)
			return fail(err, len, r, "cannot walk %s: %s", f->walk_dir, strerror(-r));
	}
	return r < 0 ? fail(err, len, r, "inputs: %s", strerror(-r)) : 0;
}

int ih_farm_inputs(struct ih_farm_opts *f, char **args, size_t n_args, char ***ret_inputs,
		   size_t *ret_n, char *err, size_t len)
{
	struct ih_shard_source src;
	int r;

	if (f->resume && !f->records)
		return fail(err, len, -EINVAL, "--resume needs --records");
	f->active = f->manifest || f->walk_dir || f->shard_arg;
	if (!f->active)
		return 0;
	if (f->shard_arg) {
		r = ih_shard_parse(f->shard_arg, &f->shard, &src);
		if (r < 0)
			return shard_failed(f->shard_arg, r, &src, err, len);
	}
	r = gather(f, args, n_args, err, len);
	if (r < 0)
		return -EINVAL;
	f->mine = malloc((f->inputs.n ? f->inputs.n : 1) * sizeof(*f->mine));
	if (!f->mine)
		return fail(err, len, -EINVAL, "out of memory");
	for (size_t i = 0; i < f->inputs.n; i++)
		if (ih_shard_has(&f->shard, f->inputs.paths[i]))
			f->mine[f->n_mine++] = f->inputs.paths[i];
	*ret_inputs = f->mine;
	*ret_n = f->n_mine;
	return 0;
}

int ih_farm_output_path(const struct ih_decode_args *o, const char *input, char *buf, size_t len)
{
	static const char *const ext[] = { "", "png", "ppm", "pam" };

	if (!o->farm.active)
		return ih_output_path_in_dir(o->output, input, o->format, buf, len);
	return ih_shard_output_path(o->output, input, ext[o->format], buf, len);
}

/* ---- --resume ---- */

struct resume {
	const struct ih_decode_args *o;
	struct ih_inputs done;
};

/* A finished input: rejected, or decoded with its output in place (or no output asked). */
static bool finished(const struct ih_decode_args *o, const struct ih_record *rec)
{
	char path[4096];
	struct stat st;

	if (!strcmp(rec->status, "rejected"))
		return true;
	if (strcmp(rec->status, "ok"))
		return false;
	if (o->target == IH_TARGET_NONE)
		return true;
	if (o->target != IH_TARGET_DIR && o->target != IH_TARGET_FILE)
		return false;
	if (o->target == IH_TARGET_FILE)
		snprintf(path, sizeof(path), "%s", o->output);
	else if (ih_farm_output_path(o, rec->file, path, sizeof(path)) < 0)
		return false;
	return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int take_record(const struct ih_record *rec, void *ctx)
{
	struct resume *rs = ctx;

	if (finished(rs->o, rec))
		return ih_inputs_add(&rs->done, rec->file);
	return 0;
}

/* Drops from o->inputs those the records file has finished; returns how many. */
static int drop_finished(struct ih_decode_args *o, struct ih_farm_resume *ret, char *err,
			 size_t len)
{
	struct resume rs = { .o = o };
	struct ih_records_stats stats;
	size_t kept = 0;
	int r = ih_records_read_file(o->farm.records, true, take_record, &rs, &stats);

	if (r < 0) {
		ih_inputs_free(&rs.done);
		return fail(err, len, r, "cannot read the records %s: %s", o->farm.records,
			    strerror(-r));
	}
	for (size_t i = 0; i < o->n_inputs; i++)
		if (!ih_inputs_has(&rs.done, o->inputs[i]))
			o->inputs[kept++] = o->inputs[i];
	ret->done = o->n_inputs - kept;
	ret->malformed = stats.malformed;
	o->n_inputs = kept;
	ih_inputs_free(&rs.done);
	return 0;
}

int ih_farm_start(struct ih_decode_args *o, int *ret_fd, struct ih_farm_resume *ret, char *err,
		  size_t len)
{
	int r;

	*ret_fd = -1;
	*ret = (struct ih_farm_resume){ 0 };
	if (!o->farm.records)
		return 0;
	r = ih_records_open(o->farm.records, ret_fd, &ret->cut_bytes);
	if (r == -EBUSY)
		return fail(err, len, r,
			    "the records %s are in use by another ih-vm; give each shard its own "
			    "records file",
			    o->farm.records);
	if (r == -EINVAL)
		return fail(err, len, r,
			    "%s is not a records file (not regular, or its last "
			    "line is longer than any record)",
			    o->farm.records);
	if (r < 0)
		return fail(err, len, r, "cannot open the records %s: %s", o->farm.records,
			    strerror(-r));
	if (!o->farm.resume)
		return 0;
	r = drop_finished(o, ret, err, len);
	if (r < 0) {
		close(*ret_fd);
		*ret_fd = -1;
	}
	return r;
}
