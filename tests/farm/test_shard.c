/*
 * Manifests, directory walks, shards and farm output names (host/cli/manifest.h, shard.h).
 * Proves that every input lands in exactly one shard for every N, that shards do not
 * depend on the manifest's order and are the same on any machine (fixed hash values), that
 * --shard=auto reads Slurm's and Kubernetes' variables and fails clearly without them, that
 * two inputs with one base name get different outputs, and that manifests and walks are
 * bounded: over-long entries, NUL bytes, symbolic links and special files.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/cli/manifest.h"
#include "host/cli/shard.h"
#include "../tap.h"

#define N_PATHS 1000

static char paths[N_PATHS][64];

static void test_partition(void)
{
	int exact = 1, balanced = 1;

	for (int i = 0; i < N_PATHS; i++)
		snprintf(paths[i], sizeof(paths[i]), "in/%d/img-%04d.jpg", i % 7, i);
	for (uint32_t n = 1; n <= 9; n++) {
		size_t per[9] = { 0 };

		for (int i = 0; i < N_PATHS; i++) {
			int owners = 0;

			for (uint32_t k = 0; k < n; k++) {
				struct ih_shard s = { k, n };

				if (ih_shard_has(&s, paths[i])) {
					owners++;
					per[k]++;
				}
			}
			exact &= owners == 1;
		}
		for (uint32_t k = 0; k < n; k++)
			balanced &= per[k] > N_PATHS / n / 2;
	}
	tap_ok(exact, "for N = 1..9 every one of %d inputs is in exactly one shard", N_PATHS);
	tap_ok(balanced, "and no shard holds less than half its share");
}

static void test_stable(void)
{
	char buf[256];

	/* Fixed values: a shard must pick the same inputs on every machine and release. */
	tap_ok(ih_path_hash("") == 0xf52a15e9a9b5e89bull &&
		       ih_path_hash("a/photo.jpg") == ih_path_hash("a/photo.jpg") &&
		       ih_path_hash("a/photo.jpg") != ih_path_hash("b/photo.jpg"),
	       "the path hash has its fixed value (got %016llx for \"\")",
	       (unsigned long long)ih_path_hash(""));
	ih_shard_output_path("out", "a/photo.jpg", "png", buf, sizeof(buf));
	tap_ok(!strncmp(buf, "out/photo-", 10) && strlen(buf) == 10 + 16 + 4,
	       "an output is named STEM-HASH.EXT (%s)", buf);
	{
		char other[256];

		ih_shard_output_path("out", "b/photo.jpg", "png", other, sizeof(other));
		tap_ok(strcmp(buf, other) != 0,
		       "a/photo.jpg and b/photo.jpg get different outputs");
	}
	tap_ok(ih_shard_output_path("out", "x.png", "png", buf, 20) == -ENAMETOOLONG,
	       "an output path that does not fit is an error, not a cut name");
}

static int parse_env(const char *arg, const char *id, const char *count, const char *k8s,
		     struct ih_shard *s)
{
	struct ih_shard_source src;

	unsetenv("SLURM_ARRAY_TASK_ID");
	unsetenv("SLURM_ARRAY_TASK_COUNT");
	unsetenv("JOB_COMPLETION_INDEX");
	if (id)
		setenv("SLURM_ARRAY_TASK_ID", id, 1);
	if (count)
		setenv("SLURM_ARRAY_TASK_COUNT", count, 1);
	if (k8s)
		setenv("JOB_COMPLETION_INDEX", k8s, 1);
	*s = (struct ih_shard){ 99, 99 };
	return ih_shard_parse(arg, s, &src);
}

static void test_parse(void)
{
	struct ih_shard s;

	tap_ok(parse_env("3/8", NULL, NULL, NULL, &s) == 0 && s.k == 3 && s.n == 8, "--shard=3/8");
	tap_ok(parse_env("8/8", NULL, NULL, NULL, &s) == -ERANGE &&
		       parse_env("0/0", NULL, NULL, NULL, &s) == -ERANGE &&
		       parse_env("1/", NULL, NULL, NULL, &s) == -EINVAL &&
		       parse_env("-1/4", NULL, NULL, NULL, &s) == -EINVAL &&
		       parse_env("1/99999999999999999999", NULL, NULL, NULL, &s) < 0 &&
		       parse_env("2", NULL, NULL, NULL, &s) == -EINVAL,
	       "K >= N, N = 0, signs, overflow and missing parts are refused");
	tap_ok(parse_env("auto", "2", "4", NULL, &s) == 0 && s.k == 2 && s.n == 4,
	       "auto: SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT");
	tap_ok(parse_env("auto/6", "5", "2", NULL, &s) == 0 && s.k == 5 && s.n == 6,
	       "auto/N: the count from the option, not from a resubmitted part of the array");
	tap_ok(parse_env("auto/3", NULL, NULL, "1", &s) == 0 && s.k == 1 && s.n == 3,
	       "auto/N: JOB_COMPLETION_INDEX of a Kubernetes Indexed Job");
	tap_ok(parse_env("auto", NULL, NULL, "1", &s) == -ENODATA,
	       "auto without a count under Kubernetes is refused (-ENODATA)");
	tap_ok(parse_env("auto", NULL, NULL, NULL, &s) == -ENOENT && s.n == 99,
	       "auto with neither variable set is refused (-ENOENT), *ret untouched");
	tap_ok(parse_env("auto", "4", "4", NULL, &s) == -ERANGE &&
		       parse_env("auto", "x", "4", NULL, &s) == -EINVAL,
	       "an array numbered from 1 (ID == COUNT) or a bad ID is refused");
}

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "we");
	int ok = f && fwrite(data, 1, len, f) == len;

	if (f && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

static void test_manifest(const char *dir)
{
	char path[256], *lng = malloc(IH_MANIFEST_PATH_MAX + 3);
	struct ih_inputs in = { 0 };
	size_t entry = 0;
	static const char nl[] = "a.png\n\nb.jpg\na.png\nc d.png";
	static const char z[] = "x\ny.png\0\0z.jpg\0";

	if (!lng)
		abort();
	snprintf(path, sizeof(path), "%s/m", dir);
	write_file(path, nl, sizeof(nl) - 1);
	tap_ok(ih_manifest_read(path, '\n', &in, &entry) == 0 && in.n == 3 && in.duplicates == 1 &&
		       !strcmp(in.paths[2], "c d.png"),
	       "a manifest: empty lines skipped, a repeated path dropped and counted, no "
	       "final newline needed, spaces kept");
	ih_inputs_free(&in);
	write_file(path, z, sizeof(z) - 1);
	tap_ok(ih_manifest_read(path, '\0', &in, &entry) == 0 && in.n == 2 &&
		       !strcmp(in.paths[0], "x\ny.png"),
	       "--manifest0: a newline is part of a path");
	ih_inputs_free(&in);
	tap_ok(ih_manifest_read(path, '\n', &in, &entry) == -EINVAL && entry == 2,
	       "a NUL byte in a line manifest is refused, naming entry %zu", entry);
	ih_inputs_free(&in);
	memset(lng, 'p', IH_MANIFEST_PATH_MAX + 1);
	lng[IH_MANIFEST_PATH_MAX + 1] = '\n';
	write_file(path, lng, IH_MANIFEST_PATH_MAX + 2);
	tap_ok(ih_manifest_read(path, '\n', &in, &entry) == -ENAMETOOLONG && entry == 1,
	       "an entry over %d bytes is refused", IH_MANIFEST_PATH_MAX);
	ih_inputs_free(&in);
	free(lng);
	tap_ok(ih_manifest_read(dir, '\n', &in, &entry) == -EISDIR, "a directory is no manifest");
}

static void test_many(void)
{
	struct ih_inputs in = { 0 };
	char p[32];
	int ok = 1;

	for (int i = 0; i < 50000; i++) {
		snprintf(p, sizeof(p), "p/%d", i);
		ok &= ih_inputs_add(&in, p) == 0;
	}
	for (int i = 0; i < 50000; i += 7) {
		snprintf(p, sizeof(p), "p/%d", i);
		ok &= ih_inputs_index(&in, p) == i && ih_inputs_add(&in, p) == 0;
	}
	tap_ok(ok && in.n == 50000 && in.duplicates == 7143 && !ih_inputs_has(&in, "p/50000"),
	       "50000 paths: each found at its index, repeats dropped");
	ih_inputs_free(&in);
}

static void test_walk(const char *dir)
{
	char top[256], p[512];
	struct ih_inputs in = { 0 };
	int r;

	snprintf(top, sizeof(top), "%s/tree", dir);
	mkdir(top, 0755);
	snprintf(p, sizeof(p), "%s/b", top);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/b/z.png", top);
	write_file(p, "z", 1);
	snprintf(p, sizeof(p), "%s/a.jpg", top);
	write_file(p, "a", 1);
	snprintf(p, sizeof(p), "%s/link.png", top);
	r = symlink("/etc/passwd", p);
	snprintf(p, sizeof(p), "%s/outside", top);
	r |= symlink("/etc", p);
	snprintf(p, sizeof(p), "%s/fifo", top);
	r |= mkfifo(p, 0644);
	if (r)
		tap_diag("could not make the links and the FIFO: %s", strerror(errno));
	snprintf(p, sizeof(p), "%s/", top);
	r = ih_walk_dir(p, &in);
	tap_ok(r == 0 && in.n == 2 && !strcmp(strrchr(in.paths[0], '/'), "/a.jpg") &&
		       !strcmp(strrchr(in.paths[1], '/'), "/z.png") &&
		       !strncmp(in.paths[1], top, strlen(top)) && !strstr(in.paths[1], "//"),
	       "a walk takes the regular files, sorted, and skips links to files and to "
	       "directories and FIFOs (%zu files)",
	       in.n);
	ih_inputs_free(&in);
	tap_ok(ih_walk_dir("/nonexistent-ih-dir", &in) == -ENOENT, "a missing directory fails");
}

int main(void)
{
	char dir[] = "/tmp/ih-shard-test.XXXXXX";
	char cmd[128];

	if (!mkdtemp(dir))
		return 1;
	test_partition();
	test_stable();
	test_parse();
	test_manifest(dir);
	test_many();
	test_walk(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
	return tap_done();
}
