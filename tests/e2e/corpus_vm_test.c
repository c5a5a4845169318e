/*
 * `ih-vm decode` through the microVM on the generated corpus (tests/corpus), in ONE run so
 * that one warm VM takes every image: each hostile input comes right before a good one.
 * Proves that every good image comes out pixel-exact against a native decode (the corpus's
 * own .pam for PNG, djpeg for JPEG), that every hostile one is rejected with its reason and
 * leaves no output file, that the VM carried on after each rejection (one boot in all), and
 * that no QEMU is left behind.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../corpus/corpus.h"
#include "../tap.h"
#include "e2e.h"

#define MAX_GOOD 128
#define MAX_ARGS 256

struct run {
	struct e2e e;
	char *good[MAX_GOOD];
	size_t n_good;
	char *json, *err;
	int rc;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The good images (not the .pam references), sorted. */
static int list_good(struct run *t)
{
	char dir[128];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/good", t->e.tmp);
	d = opendir(dir);
	if (!d)
		return -1;
	while ((de = readdir(d)) && t->n_good < MAX_GOOD) {
		const char *ext = strrchr(de->d_name, '.');

		if (ext && (!strcmp(ext, ".png") || !strcmp(ext, ".jpg")))
			if (asprintf(&t->good[t->n_good++], "%s/%s", dir, de->d_name) < 0)
				abort();
	}
	closedir(d);
	qsort(t->good, t->n_good, sizeof(t->good[0]), by_name);
	return 0;
}

static char *hostile_path(const struct run *t, size_t i)
{
	char *p;

	if (asprintf(&p, "%s/hostile/%s", t->e.tmp, corpus_hostile[i].name) < 0)
		abort();
	return p;
}

/* One ih-vm run over every input: hostile i, then good i, then the remaining good ones. */
static void run_all(struct run *t)
{
	const char *argv[MAX_ARGS] = { t->e.ihvm, "decode",	  "--verbose",
				       "--json",  "--format=pam", "-o" };
	char out[128], so[128], se[128];
	size_t n = 6, g = 0;

	snprintf(out, sizeof(out), "%s/out", t->e.tmp);
	if (mkdir(out, 0755) < 0)
		abort();
	argv[n++] = out;
	for (size_t i = 0; i < corpus_n_hostile && n + 2 < MAX_ARGS; i++) {
		argv[n++] = hostile_path(t, i);
		if (g < t->n_good)
			argv[n++] = t->good[g++];
	}
	while (g < t->n_good && n + 1 < MAX_ARGS)
		argv[n++] = t->good[g++];
	argv[n] = NULL;
	snprintf(so, sizeof(so), "%s/stdout", t->e.tmp);
	snprintf(se, sizeof(se), "%s/stderr", t->e.tmp);
	t->rc = e2e_run(argv, so, se, 900);
	t->json = e2e_slurp(so, NULL);
	t->err = e2e_slurp(se, NULL);
}

/* The native decode of a good file: the corpus's .pam for PNG, djpeg's output for JPEG. */
static int native(const struct run *t, const char *file, struct e2e_pixmap *ret)
{
	char ref[512], err[128];
	size_t len = strlen(file);

	if (!strcmp(file + len - 4, ".png")) {
		snprintf(ref, sizeof(ref), "%.*s.pam", (int)(len - 4), file);
		return e2e_read_netpbm(ref, ret);
	}
	snprintf(ref, sizeof(ref), "%s/native.pnm", t->e.tmp);
	snprintf(err, sizeof(err), "%s/djpeg.err", t->e.tmp);
	{
		const char *argv[] = { "djpeg", "-pnm", "-outfile", ref, file, NULL };

		if (e2e_run(argv, "/dev/null", err, 60) != 0)
			return -1;
	}
	return e2e_read_netpbm(ref, ret);
}

static void check_good(const struct run *t, const char *file)
{
	struct e2e_pixmap got = { 0 }, want = { 0 };
	char rec[2048], status[32] = "", output[512] = "";
	const char *name = strrchr(file, '/') + 1;
	int same = 0;

	if (e2e_json_record(t->json, file, rec, sizeof(rec)) == 0) {
		e2e_json_get(rec, "status", status, sizeof(status));
		e2e_json_get(rec, "output", output, sizeof(output));
	}
	if (!strcmp(status, "ok") && e2e_read_netpbm(output, &got) == 0 &&
	    native(t, file, &want) == 0)
		same = e2e_same_pixels(&got, &want);
	tap_ok(same, "%s decodes through the VM pixel-exact against the native decode (%s)", name,
	       status[0] ? status : "no record");
	free(got.data);
	free(want.data);
}

static void check_hostile(const struct run *t, size_t i)
{
	char rec[2048], status[32] = "", reason[512] = "", out[256];
	char *file = hostile_path(t, i);
	const char *stem_end = strrchr(corpus_hostile[i].name, '.');
	int stem = stem_end ? (int)(stem_end - corpus_hostile[i].name) : 64;

	if (e2e_json_record(t->json, file, rec, sizeof(rec)) == 0) {
		e2e_json_get(rec, "status", status, sizeof(status));
		e2e_json_get(rec, "reason", reason, sizeof(reason));
	}
	snprintf(out, sizeof(out), "%s/out/%.*s.pam", t->e.tmp, stem, corpus_hostile[i].name);
	tap_ok(!strcmp(status, "rejected") && strcasestr(reason, corpus_hostile[i].reason_word) &&
		       access(out, F_OK) < 0,
	       "%s is rejected for '%s', no output file (%s: %s)", corpus_hostile[i].name,
	       corpus_hostile[i].reason_word, status[0] ? status : "no record", reason);
	free(file);
}

int main(void)
{
	struct run t = { .rc = -1 };
	int r = e2e_begin(&t.e);

	if (r)
		return r > 0 ? 0 : 1;
	if (corpus_generate(t.e.tmp) < 0 || list_good(&t) < 0 || t.n_good == 0) {
		tap_ok(0, "the corpus is generated");
		e2e_end(&t.e);
		return tap_done();
	}
	run_all(&t);
	tap_ok(t.rc == 1 && t.json, "ih-vm decode exits 1 (some images rejected), rc=%d", t.rc);
	for (size_t i = 0; i < t.n_good; i++)
		check_good(&t, t.good[i]);
	for (size_t i = 0; i < corpus_n_hostile; i++)
		check_hostile(&t, i);
	tap_ok(t.err && e2e_count(t.err, "VM up") == 1,
	       "one VM served the whole run: each rejection left it able to decode the next "
	       "image (%d boots)",
	       t.err ? e2e_count(t.err, "VM up") : -1);
	tap_ok(e2e_no_qemu_left(&t.e), "no QEMU is left running");
	if (tap_failed && t.err)
		printf("# stderr of ih-vm:\n# %.2000s\n", t.err);
	free(t.json);
	free(t.err);
	for (size_t i = 0; i < t.n_good; i++)
		free(t.good[i]);
	e2e_end(&t.e);
	return tap_done();
}
