/*
 * A batch of 200 generated small images (PNG, JPEG, GIF, WebP and TIFF in turn) through `ih-vm
 * decode --jobs 2 --json`: two VMs side by side, each taking every other input. Every tenth input
 * is garbage on purpose. Proves that every input gets exactly one record, that each "ok" record has
 * its output file and each other record none, that two VMs served the batch (no reboot per image),
 * that
 * --fresh-vm boots one VM per image instead, and that no QEMU is left.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../corpus/corpus.h"
#include "../corpus/formats.h"
#include "../tap.h"
#include "e2e.h"

#define N_IMAGES 200

static int write_file(const char *path, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path, "we");
	int ok = f && fwrite(data, 1, len, f) == len;

	if (f && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

/* Input i: a tiny image of one of the five formats, in turn, of varying size; or (every
 * tenth) garbage. */
static int make_input(const char *dir, int i, char **ret_path)
{
	static const uint8_t garbage[] = "\x89PNG\r\n\x1a\n this is not a PNG at all";
	static const char *ext[] = { "png", "jpg", "gif", "webp", "tif" };
	uint32_t w = 8 + (uint32_t)i % 24, h = 8 + (uint32_t)i % 16;
	uint8_t *data = NULL;
	size_t len;
	int r;

	if (asprintf(ret_path, "%s/in-%03d.%s", dir, i, i % 10 == 9 ? "png" : ext[i % 5]) < 0)
		return -1;
	if (i % 10 == 9)
		return write_file(*ret_path, garbage, sizeof(garbage) - 1);
	if (i % 5 == 1)
		r = corpus_jpeg_rgb(w, h, 85, i % 4 == 1, &data, &len);
	else if (i % 5 == 2)
		r = corpus_gif_rgb(w, h, &data, &len);
	else if (i % 5 == 3)
		r = corpus_webp_rgb(w, h, &data, &len);
	else if (i % 5 == 4)
		r = corpus_tiff_rgb(w, h, &data, &len);
	else
		r = corpus_png_rgba(w, h, &data, &len);
	if (r == 0)
		r = write_file(*ret_path, data, len);
	free(data);
	return r;
}

static int check_record(const char *json, const char *file, int *ret_ok)
{
	char rec[2048], status[32] = "", output[512] = "";

	if (e2e_json_record(json, file, rec, sizeof(rec)) < 0)
		return 0;
	e2e_json_get(rec, "status", status, sizeof(status));
	e2e_json_get(rec, "output", output, sizeof(output));
	*ret_ok = !strcmp(status, "ok");
	if (*ret_ok)
		return access(output, R_OK) == 0;
	return !strcmp(status, "rejected") && !strcmp(output, "null");
}

/* --fresh-vm: the first three inputs, one VM each. */
static void test_fresh_vm(const struct e2e *e, char **paths, const char *so, const char *se)
{
	const char *argv[] = { e->ihvm,	 "decode", "--fresh-vm", "--json", "--verbose",
			       paths[0], paths[1], paths[2],	 NULL };
	int rc = e2e_run(argv, so, se, 300);
	char *json = e2e_slurp(so, NULL), *err = e2e_slurp(se, NULL);
	int records = json ? e2e_count(json, "\"status\":\"ok\"") : -1;
	int boots = err ? e2e_count(err, "VM up") : -1;

	tap_ok(rc == 0 && records == 3 && boots == 3,
	       "--fresh-vm boots one VM per image (rc=%d, %d ok, %d boots)", rc, records, boots);
	free(json);
	free(err);
}

int main(void)
{
	const char *argv[N_IMAGES + 12] = { 0 };
	char dir[128], out[128], so[128], se[128];
	char *paths[N_IMAGES] = { 0 };
	struct e2e e;
	int r = e2e_begin(&e), rc, good = 0, n_ok = 0, n_records;
	size_t n = 0;
	char *json, *err;

	if (r)
		return r > 0 ? 0 : 1;
	snprintf(dir, sizeof(dir), "%s/in", e.tmp);
	snprintf(out, sizeof(out), "%s/out", e.tmp);
	snprintf(so, sizeof(so), "%s/stdout", e.tmp);
	snprintf(se, sizeof(se), "%s/stderr", e.tmp);
	if (mkdir(dir, 0755) < 0 || mkdir(out, 0755) < 0)
		abort();
	for (int i = 0; i < N_IMAGES; i++)
		if (make_input(dir, i, &paths[i]) < 0)
			abort();
	argv[n++] = e.ihvm;
	argv[n++] = "decode";
	argv[n++] = "--jobs=2";
	argv[n++] = "--json";
	argv[n++] = "--verbose";
	argv[n++] = "-o";
	argv[n++] = out;
	for (int i = 0; i < N_IMAGES; i++)
		argv[n++] = paths[i];
	rc = e2e_run(argv, so, se, 900);
	json = e2e_slurp(so, NULL);
	err = e2e_slurp(se, NULL);
	n_records = json ? e2e_count(json, "{\"file\":") : 0;
	tap_ok(rc == 1, "the batch exits 1: the garbage inputs were rejected (rc=%d)", rc);
	tap_ok(n_records == N_IMAGES, "one record per input: %d records for %d inputs", n_records,
	       N_IMAGES);
	for (int i = 0; i < N_IMAGES && json; i++) {
		int ok = 0;

		good += check_record(json, paths[i], &ok);
		n_ok += ok;
	}
	tap_ok(good == N_IMAGES,
	       "every input has an output (ok) or an error record with no output: %d of %d", good,
	       N_IMAGES);
	tap_ok(n_ok == N_IMAGES - N_IMAGES / 10, "%d decoded, %d expected", n_ok,
	       N_IMAGES - N_IMAGES / 10);
	tap_ok(err && e2e_count(err, "VM up") == 2,
	       "two VMs (--jobs 2) served the whole batch (%d)",
	       err ? e2e_count(err, "VM up") : -1);
	test_fresh_vm(&e, paths, so, se);
	tap_ok(e2e_no_qemu_left(&e), "no QEMU is left running");
	if (tap_failed && err)
		printf("# stderr: %.1500s\n", err);
	free(json);
	free(err);
	for (int i = 0; i < N_IMAGES; i++)
		free(paths[i]);
	e2e_end(&e);
	return tap_done();
}
