/*
 * The GIF, WebP and TIFF corpus (tests/corpus/formats.h) through `ih-vm decode`, in the VM
 * and with --isolation=process: each hostile file comes right before a good one, so one
 * warm VM takes every image. Proves that every good file gives the same pixels both ways,
 * the generator's pixels where it knows them (lossless files), and its frame count in the
 * record; that every hostile file is rejected for its reason with no output file; that the
 * one VM served the whole run; that --frame=N gives frame N composed and refuses a frame
 * past the last.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../corpus/formats.h"
#include "../e2e/e2e.h"
#include "../tap.h"

#define MAX_ARGS 128

struct run {
	char out[128];
	int rc;
	char *json;
	char *err;
};

static char *path_in(const struct e2e *e, const char *sub, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s/%s", e->tmp, sub, name) < 0)
		abort();
	return p;
}

/* One ih-vm run over hostile i then good i for every i, pixels as stored, into dir tag. */
static void run_all(const struct e2e *e, const char *isolation, const char *tag, struct run *r)
{
	const char *argv[MAX_ARGS] = { e->ihvm,		 "decode",	 "--verbose",
				       "--json",	 "--format=pam", "--orient=keep",
				       "--color=ignore", isolation,	 "-o" };
	char so[160], se[160];
	size_t n = 9;

	snprintf(r->out, sizeof(r->out), "%s/out-%s", e->tmp, tag);
	if (mkdir(r->out, 0755) < 0)
		abort();
	argv[n++] = r->out;
	for (size_t i = 0; i < corpus_formats_n_good || i < corpus_formats_n_hostile; i++) {
		if (i < corpus_formats_n_hostile && n + 1 < MAX_ARGS)
			argv[n++] = path_in(e, "hostile", corpus_formats_hostile[i].name);
		if (i < corpus_formats_n_good && n + 1 < MAX_ARGS)
			argv[n++] = path_in(e, "good", corpus_formats_good[i].name);
	}
	snprintf(so, sizeof(so), "%s/stdout-%s", e->tmp, tag);
	snprintf(se, sizeof(se), "%s/stderr-%s", e->tmp, tag);
	r->rc = e2e_run(argv, so, se, 1200);
	r->json = e2e_slurp(so, NULL);
	r->err = e2e_slurp(se, NULL);
	for (size_t i = 10; i < n; i++)
		free((char *)argv[i]);
}

/* The record of one input: its status, output path, reason and frames. */
struct rec {
	char status[32], output[512], reason[160], frames[16];
};

static void record_of(const struct e2e *e, const struct run *r, const char *sub, const char *name,
		      struct rec *ret)
{
	char *file = path_in(e, sub, name), line[4096];

	memset(ret, 0, sizeof(*ret));
	if (r->json && e2e_json_record(r->json, file, line, sizeof(line)) == 0) {
		e2e_json_get(line, "status", ret->status, sizeof(ret->status));
		e2e_json_get(line, "output", ret->output, sizeof(ret->output));
		e2e_json_get(line, "reason", ret->reason, sizeof(ret->reason));
		e2e_json_get(line, "frames", ret->frames, sizeof(ret->frames));
	}
	free(file);
}

static int same_file(const char *a, const char *b)
{
	size_t la, lb;
	char *da = e2e_slurp(a, &la), *db = e2e_slurp(b, &lb);
	int same = da && db && la == lb && !memcmp(da, db, la);

	free(da);
	free(db);
	return same;
}

static void check_good(const struct e2e *e, const struct run *vm, const struct run *proc,
		       const struct corpus_good_format *g)
{
	struct rec a, b;
	char *want, *ref;

	record_of(e, vm, "good", g->name, &a);
	record_of(e, proc, "good", g->name, &b);
	tap_ok(!strcmp(a.status, "ok") && !strcmp(b.status, "ok") &&
		       strtoul(a.frames, NULL, 10) == g->frames && same_file(a.output, b.output),
	       "%s: the VM and --isolation=process give the same pixels, %s frame(s) (%s, %s)",
	       g->name, a.frames, a.status[0] ? a.status : "no record", a.reason);
	if (asprintf(&want, "%s/good/%s.pam", e->tmp, g->name) < 0)
		abort();
	ref = e2e_slurp(want, NULL);
	if (ref)
		tap_ok(same_file(a.output, want),
		       "%s: through the VM, byte for byte the generator's PAM of frame 0", g->name);
	free(ref);
	free(want);
}

static void check_hostile(const struct e2e *e, const struct run *vm, const struct corpus_hostile *h)
{
	const char *dot = strrchr(h->name, '.');
	char out[512];
	struct rec a;

	record_of(e, vm, "hostile", h->name, &a);
	snprintf(out, sizeof(out), "%s/%.*s.pam", vm->out, (int)(dot - h->name), h->name);
	tap_ok(!strcmp(a.status, "rejected") && strcasestr(a.reason, h->reason_word) &&
		       !strcmp(a.output, "null") && access(out, F_OK) != 0,
	       "%s: rejected in the VM for '%s', no output file (%s)", h->name, h->reason_word,
	       a.reason);
}

/* --frame=N through the VM: the composed frame, and a frame past the last refused. */
static void check_frames(const struct e2e *e, const char *frame, const char *ok_name,
			 const char *refused_name)
{
	char out[160], so[160], se[160], flag[32], *ok_in = path_in(e, "good", ok_name);
	char *no_in = path_in(e, "good", refused_name), *want;
	const char *argv[] = {
		e->ihvm, "decode", "--json", "--format=pam", "--orient=keep", "--color=ignore",
		flag,	 "-o",	   out,	     ok_in,	     no_in,	      NULL
	};
	struct run r = { 0 };
	struct rec a, b;

	snprintf(flag, sizeof(flag), "--frame=%s", frame);
	snprintf(out, sizeof(out), "%s/out-frame-%s", e->tmp, frame);
	snprintf(so, sizeof(so), "%s/stdout-frame-%s", e->tmp, frame);
	snprintf(se, sizeof(se), "%s/stderr-frame-%s", e->tmp, frame);
	if (mkdir(out, 0755) < 0 || asprintf(&want, "%s.last.pam", ok_in) < 0)
		abort();
	e2e_run(argv, so, se, 600);
	r.json = e2e_slurp(so, NULL);
	record_of(e, &r, "good", ok_name, &a);
	record_of(e, &r, "good", refused_name, &b);
	tap_ok(!strcmp(a.status, "ok") && same_file(a.output, want),
	       "%s --frame=%s: the last frame composed, byte for byte the generator's (%s)",
	       ok_name, frame, a.status[0] ? a.status : "no record");
	tap_ok(!strcmp(b.status, "rejected") && strstr(b.reason, "frame"),
	       "%s --frame=%s: past its last frame, refused: %s", refused_name, frame, b.reason);
	free(r.json);
	free(want);
	free(ok_in);
	free(no_in);
}

int main(void)
{
	struct run vm = { 0 }, proc = { 0 };
	struct e2e e;
	int r = e2e_begin(&e);

	if (r)
		return r > 0 ? 0 : 1;
	if (corpus_formats_generate(e.tmp) < 0) {
		tap_ok(0, "corpus generated");
		e2e_end(&e);
		return tap_done();
	}
	run_all(&e, "--isolation=vm", "vm", &vm);
	run_all(&e, "--isolation=process", "process", &proc);
	tap_ok(vm.rc == 1 && proc.rc == 1,
	       "both runs exit 1: the hostile files were rejected "
	       "(vm %d, process %d)",
	       vm.rc, proc.rc);
	for (size_t i = 0; i < corpus_formats_n_good; i++)
		check_good(&e, &vm, &proc, &corpus_formats_good[i]);
	for (size_t i = 0; i < corpus_formats_n_hostile; i++)
		check_hostile(&e, &vm, &corpus_formats_hostile[i]);
	tap_ok(vm.err && e2e_count(vm.err, "VM up") == 1,
	       "one VM served every image, hostile ones included (%d boots)",
	       vm.err ? e2e_count(vm.err, "VM up") : -1);
	check_frames(&e, "4", "gif-anim-5-frames-disposal.gif", "webp-anim-3-frames.webp");
	check_frames(&e, "2", "webp-anim-3-frames.webp", "gif-anim-first-frame-smaller.gif");
	tap_ok(e2e_no_qemu_left(&e), "no QEMU is left running");
	if (tap_failed && vm.err)
		printf("# stderr: %.1500s\n", vm.err);
	free(vm.json);
	free(vm.err);
	free(proc.json);
	free(proc.err);
	e2e_end(&e);
	return tap_done();
}
