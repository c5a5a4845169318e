/* Shards of a decode farm and their output names (host/cli/shard.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard.h"

uint64_t ih_path_hash(const char *path)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64 */

	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	/* splitmix64's finalizer, so that every bit counts in h mod N */
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

/* A decimal number of at most max, the whole of [s, end): 0 or -EINVAL / -ERANGE. */
static int parse_num(const char *s, const char *end, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (s == end || end - s > 12)
		return -EINVAL;
	for (const char *p = s; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

static int parse_var(const char *name, uint64_t max, uint64_t *ret)
{
	const char *v = getenv(name);

	if (!v)
		return -ENOENT;
	return parse_num(v, v + strlen(v), max, ret);
}

/* --shard=auto[/N]: the index from the scheduler's variable, the count from /N or Slurm. */
static int parse_auto(const char *count, struct ih_shard *ret, struct ih_shard_source *src)
{
	uint64_t k, n;
	int r;

	src->index_var = "SLURM_ARRAY_TASK_ID";
	r = parse_var(src->index_var, IH_SHARD_MAX, &k);
	if (r == -ENOENT) {
		src->index_var = "JOB_COMPLETION_INDEX";
		r = parse_var(src->index_var, IH_SHARD_MAX, &k);
	}
	if (r < 0)
		return r == -ENOENT ? -ENOENT : -EINVAL;
	if (count) {
		src->count_from = "the option";
		r = parse_num(count, count + strlen(count), IH_SHARD_MAX, &n);
	} else if (!strcmp(src->index_var, "SLURM_ARRAY_TASK_ID")) {
		src->count_from = "SLURM_ARRAY_TASK_COUNT";
		r = parse_var(src->count_from, IH_SHARD_MAX, &n);
		if (r == -ENOENT)
			return -ENODATA;
	} else {
		return -ENODATA;
	}
	if (r < 0)
		return r;
	if (n == 0 || k >= n)
		return -ERANGE;
	*ret = (struct ih_shard){ (uint32_t)k, (uint32_t)n };
	return 0;
}

int ih_shard_parse(const char *arg, struct ih_shard *ret, struct ih_shard_source *ret_src)
{
	const char *slash = strchr(arg, '/');
	uint64_t k, n;
	int r;

	*ret_src = (struct ih_shard_source){ NULL, NULL };
	if (!strcmp(arg, "auto"))
		return parse_auto(NULL, ret, ret_src);
	if (!strncmp(arg, "auto/", 5))
		return parse_auto(arg + 5, ret, ret_src);
	if (!slash)
		return -EINVAL;
	r = parse_num(arg, slash, IH_SHARD_MAX, &k);
	if (r == 0)
		r = parse_num(slash + 1, slash + 1 + strlen(slash + 1), IH_SHARD_MAX, &n);
	if (r < 0)
		return r;
	if (n == 0 || k >= n)
		return -ERANGE;
	*ret = (struct ih_shard){ (uint32_t)k, (uint32_t)n };
	return 0;
}

bool ih_shard_has(const struct ih_shard *s, const char *path)
{
	return s->n == 0 || ih_path_hash(path) % s->n == s->k;
}

int ih_shard_output_path(const char *dir, const char *input, const char *ext, char *buf, size_t len)
{
	const char *base = strrchr(input, '/');
	const char *dot;
	size_t stem;
	int n;

	base = base ? base + 1 : input;
	dot = strrchr(base, '.');
	stem = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	/* a long stem is cut: the hash keeps the name unique */
	if (stem > 200)
		stem = 200;
	n = snprintf(buf, len, "%s/%.*s-%016llx.%s", dir, (int)stem, base,
		     (unsigned long long)ih_path_hash(input), ext);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
