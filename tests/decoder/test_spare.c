/*
 * Pre-spawned decoder children (guest/sandbox/spare.h, ih_isolate_spares_start): the child
 * waiting for the next image has every sandbox layer (the doctor's own inspection of a live
 * child, from outside) and is the one that decodes it; a spare made for other limits, or
 * one killed while waiting, is never used, and the killed one is replaced and named in the
 * result's note; the first AVIF gets a spare made after libavif's set-up; the wall clock starts
 * when the image arrives; with 2 MiB huge pages reserved (here, as root), a spare's pixel
 * memory is on them and its pixels are the in-process decode's; nothing is left running once
 * spares are stopped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../corpus/corpus.h"
#include "../hugepages.h"
#include "../tap.h"
#include "doctor/doctor.h"
#include "guest/decode/avif_warmup.h"
#include "guest/decode/decode.h"
#include "guest/sandbox/isolate.h"
#include "guest/sandbox/sandbox.h"

struct image {
	uint8_t *p;
	size_t len;
};

struct checks {
	int failed, landlock_failed;
};

static void count(void *arg, const char *name, const char *reason, enum ih_verdict v,
		  const char *detail)
{
	struct checks *c = arg;

	(void)reason;
	tap_diag("  %s %s: %s", v == IH_FAIL ? "FAIL" : "pass", name, detail);
	if (v == IH_FAIL && strstr(name, "landlock"))
		c->landlock_failed++;
	else if (v == IH_FAIL)
		c->failed++;
}

/* The doctor's checks of a live decoder child, run on pid. Landlock is proven by a probe
 * the doctor runs in a child of its own, not readable from outside: it is left out here
 * (tests/doctor/sandbox_test.c covers it). */
static int inspect(pid_t pid)
{
	const struct ih_doctor d = { .root = "" };
	struct checks c = { 0 };

	ih_doctor_inspect_child(&d, pid, getpid(), EACCES, count, &c);
	return c.failed;
}

static pid_t waiting_pid(void)
{
	struct ih_spares_stats st;

	ih_isolate_spares_stats(&st);
	return st.waiting_pid;
}

static pid_t last_pid(void)
{
	struct ih_spares_stats st;

	ih_isolate_spares_stats(&st);
	return st.last_pid;
}

static bool decode_ok(const struct ih_limits *lim, const struct image *img, struct ih_decoded *d)
{
	return ih_isolate_decode(lim, 0, NULL, img->p, img->len, d) == 0 &&
	       d->resp.status == IH_STATUS_OK;
}

/* Waits until pid has ended (a zombie of the spawner, not yet reaped). */
static bool wait_zombie(pid_t pid)
{
	char path[64], buf[256];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(path, "re");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		char *close_paren;

		if (f)
			fclose(f);
		buf[n] = '\0';
		close_paren = strrchr(buf, ')');
		if (!f || (close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z'))
			return true;
		usleep(10000);
	}
	return false;
}

static void test_layers(const struct ih_limits *lim, const struct image *img)
{
	struct ih_spares_stats st;
	struct ih_decoded d = { 0 };
	pid_t pid;

	bool ok = decode_ok(lim, img, &d);

	tap_ok(ok && d.resp.layers == ih_sandbox_expected_layers(),
	       "an image decodes in a pre-spawned child that reports every layer (0x%x)",
	       d.resp.layers);
	ih_decoded_free(&d);
	pid = waiting_pid();
	tap_ok(pid > 0 && inspect(pid) == 0,
	       "the spare waiting for the next image passes the doctor's child checks");
	ih_isolate_spares_stats(&st);
	tap_ok(st.spawner_pid > 0 && inspect(st.spawner_pid) > 0,
	       "control: the same checks fail on the spawner, which is not sandboxed");
}

static void test_used(const struct ih_limits *lim, const struct image *img)
{
	struct ih_decoded d = { 0 };
	pid_t before = waiting_pid();
	bool ok = decode_ok(lim, img, &d);

	tap_ok(before > 0 && ok && last_pid() == before && d.note[0] == '\0',
	       "the spare that was waiting decodes the next image (pid %d)", (int)before);
	ih_decoded_free(&d);
	tap_ok(before > 0 && kill(before, 0) < 0 && errno == ESRCH,
	       "it is gone after its one image: a child is never reused");
}

static void test_other_limits(const struct ih_limits *lim, const struct image *img)
{
	struct ih_limits other = *lim;
	struct ih_decoded d = { 0 };
	pid_t before = waiting_pid();

	other.max_pixels = lim->max_pixels - 1;
	tap_ok(before > 0 && decode_ok(&other, img, &d) && last_pid() != before,
	       "a spare made for other limits is not used for the request");
	ih_decoded_free(&d);
}

/* The first AVIF: the waiting spare was made before libavif was set up (a first decode that
 * makes system calls the child's filter kills), so it is not used; the spawner sets libavif
 * up, and the AVIF decodes in a new spare, which later spares inherit. */
static void test_lazy(const struct ih_limits *lim, const struct image *img)
{
	const struct image avif = { (uint8_t *)ih_avif_warmup, ih_avif_warmup_len };
	struct ih_decoded d = { 0 };
	pid_t before = waiting_pid();
	bool ok = decode_ok(lim, &avif, &d);

	tap_ok(before > 0 && ok && last_pid() != before && d.resp.width == 2,
	       "the first AVIF decodes in a spare made after libavif's set-up, not in the one "
	       "that waited (status %u: %s)",
	       d.resp.status, d.resp.reason);
	ih_decoded_free(&d);
	before = waiting_pid();
	tap_ok(before > 0 && decode_ok(lim, img, &d) && last_pid() == before,
	       "the next image takes the waiting spare again (pid %d)", (int)before);
	ih_decoded_free(&d);
	before = waiting_pid();
	tap_ok(before > 0 && decode_ok(lim, &avif, &d) && last_pid() == before,
	       "so does the next AVIF: the set-up is inherited (pid %d)", (int)before);
	ih_decoded_free(&d);
}

static void test_killed(const struct ih_limits *lim, const struct image *img)
{
	struct ih_spares_stats st0, st1;
	struct ih_decoded d = { 0 };
	pid_t victim;
	bool ok = decode_ok(lim, img, &d); /* the spare now waiting is made for lim */

	ih_decoded_free(&d);
	victim = waiting_pid();
	ih_isolate_spares_stats(&st0);
	if (victim > 0) {
		kill(victim, SIGKILL);
		wait_zombie(victim);
	}
	ok = ok && decode_ok(lim, img, &d);
	ih_isolate_spares_stats(&st1);
	tap_ok(victim > 0 && ok && st1.last_pid != victim,
	       "a spare killed while waiting is not used: the image decodes in another child");
	tap_ok(st1.lost == st0.lost + 1 && strstr(d.note, "replaced") && strstr(d.note, "signal 9"),
	       "its loss is reported in the result's note (%u lost: %s)", st1.lost - st0.lost,
	       d.note);
	ih_decoded_free(&d);
	tap_ok(waiting_pid() > 0, "a new spare waits for the next image");
}

static void test_wall_from_arrival(const struct ih_limits *lim, const struct image *img)
{
	struct ih_limits quick = *lim;
	struct ih_decoded d = { 0 };
	bool ok;

	quick.wall_ms = 400;
	ok = decode_ok(&quick, img, &d); /* leaves a spare made for quick waiting */
	ih_decoded_free(&d);
	usleep(600 * 1000);
	ok = ok && decode_ok(&quick, img, &d);
	tap_ok(ok && d.resp.status == IH_STATUS_OK,
	       "a spare that waited past the wall limit still decodes: the clock starts when "
	       "the image arrives (%s)",
	       d.resp.reason);
	ih_decoded_free(&d);
}

/* Limits with a small pixel cap (8 MiB: four huge pages a buffer). */
static void test_huge_pages(const struct ih_limits *lim, const struct image *img)
{
	struct ih_limits small = *lim;
	struct ih_spares_stats st;
	struct ih_decoded d = { 0 };
	struct ih_image native = { 0 };
	char reason[IH_REASON_MAX];
	long had = hugepages_get();
	bool ok, same;

	small.max_pixels = 1u << 20;
	if (had < 0 || !hugepages_set(had + 64)) {
		tap_skip(
			"huge pages: cannot reserve them (needs root and a kernel with hugetlbfs)");
		return;
	}
	decode_ok(&small, img, &d); /* the spare waiting was made for other limits */
	ih_decoded_free(&d);
	ok = decode_ok(&small, img, &d);
	ih_isolate_spares_stats(&st);
	same = ok && ih_decode(&small, NULL, img->p, img->len, &native, reason) == 0 &&
	       native.len == d.resp.pixel_len && !memcmp(native.pixels, d.pixels, native.len);
	tap_ok(ok && st.last_pixel_page == (2u << 20),
	       "with huge pages reserved, the spare's pixel memory is on 2 MiB pages (page %zu)",
	       st.last_pixel_page);
	tap_ok(same, "and its pixels are those of the decode in this process");
	ih_image_free(&native);
	ih_decoded_free(&d);
	hugepages_set(had);
}

static void test_stop(void)
{
	struct ih_spares_stats st;
	pid_t spare;

	ih_isolate_spares_stats(&st);
	spare = st.waiting_pid;
	ih_isolate_spares_stop();
	tap_ok(spare > 0 && st.spawner_pid > 0 && kill(spare, 0) < 0 && errno == ESRCH &&
		       kill(st.spawner_pid, 0) < 0 && errno == ESRCH,
	       "after stopping, neither the waiting spare nor the spawner is left");
	tap_ok(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD,
	       "and no child of ours is left to reap");
}

int main(void)
{
	struct ih_limits lim;
	struct image img;

	ih_limits_default(&lim);
	if (ih_isolate_spares_start() < 0) {
		tap_ok(0, "start the spare children's spawner");
		return tap_done();
	}
	if (corpus_png_rgba(64, 48, &img.p, &img.len) < 0) {
		tap_ok(0, "generate a PNG");
		return tap_done();
	}
	test_layers(&lim, &img);
	test_used(&lim, &img);
	test_other_limits(&lim, &img);
	test_lazy(&lim, &img);
	test_killed(&lim, &img);
	test_wall_from_arrival(&lim, &img);
	test_huge_pages(&lim, &img);
	test_stop();
	free(img.p);
	return tap_done();
}
