/*
 * make bench: decode throughput natively (in this process) and sandboxed (ih_isolate_decode:
 * a fresh child per image with every sandbox layer, the pixels in shared memory) for a
 * generated 12 MP JPEG, 4 MP PNG, 4 MP GIF, 12 MP lossy WebP and 12 MP LZW TIFF, alternating runs,
 * with the ratio measured in the same run. Goal: sandboxed >= 0.9x native. Sandboxed is
 * measured twice: with a child made for each image as it arrives (spares off), and with
 * pre-spawned children (spares on, as --isolation=process and the guest run): the next
 * image's child is made and faulted in between two timed decodes. Spares on runs twice
 * when this runs as root: with 2 MiB huge pages reserved for the pixel memory (vm.nr_hugepages,
 * set here and put back after) and without (the pool falls back to 4 KiB pages).
 *
 * The baseline is the best native case: the pixels go to one reused buffer whose pages are
 * already mapped, so the ratio is the sandbox's whole cost. ih_decode() into a fresh
 * malloc'd buffer (one page fault per 4 KiB) is printed beside it for reference.
 */
#include <string.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"
#include "bench_decode_once.h"
#include "hugepages.h"
#include "corpus/corpus.h"
#include "corpus/formats.h"
#include "guest/decode/decode.h"
#include "guest/sandbox/isolate.h"

#define RUNS 7
/* Two pixel buffers (the child's and the waiting spare's) of 153 pages each at the default
 * limits, with room to spare. */
#define HUGE_PAGES_NEEDED 320
#define SETTLE_MS 300

static double median(double *v)
{
	qsort(v, RUNS, sizeof(double), by_value);
	return v[RUNS / 2];
}

struct side {
	double nat[RUNS]; /* best native, interleaved with the sandboxed runs beside it */
	double box[RUNS]; /* sandboxed */
};

static void report(const char *what, double mp, struct side *off, struct side *on,
		   struct side *huge, double fresh)
{
	double nat = median(on->nat), spare = median(on->box);

	printf("%-16s native %7.1f ms (%5.1f MP/s)  sandboxed, spares on %7.1f ms (%5.1f MP/s)  "
	       "ratio %.3fx native (goal >= 0.9x), median of %d\n",
	       what, nat * 1e3, mp / nat, spare * 1e3, mp / spare, nat / spare, RUNS);
	if (huge)
		printf("%-16s spares on, %d huge pages reserved: native %7.1f ms, sandboxed %7.1f "
		       "ms, ratio %.3fx\n",
		       "", HUGE_PAGES_NEEDED, median(huge->nat) * 1e3, median(huge->box) * 1e3,
		       median(huge->nat) / median(huge->box));
	else
		printf("%-16s spares on with huge pages: not measured (reserving them needs "
		       "root)\n",
		       "");
	printf("%-16s before (spares off): native %7.1f ms, sandboxed %7.1f ms, ratio %.3fx\n", "",
	       median(off->nat) * 1e3, median(off->box) * 1e3, median(off->nat) / median(off->box));
	printf("%-16s native into a fresh malloc'd buffer %7.1f ms: sandboxed (spares on) is "
	       "%.3fx that\n",
	       "", fresh * 1e3, fresh / spare);
}

/* RUNS native and sandboxed decodes, alternating; with the spares running when spares. Each
 * starts SETTLE_MS after the last ended: time for the next spare to be made (it populates
 * up to 48 MB of pixel memory on the other core), so that neither side is timed while the
 * spawner competes with it for the machine. */
static void runs(const struct ih_limits *lim, const struct ih_pixel_dest *dest, const uint8_t *in,
		 size_t len, bool spares, struct side *ret)
{
	const struct timespec settle = { .tv_nsec = SETTLE_MS * 1000000L };

	if (spares && ih_isolate_spares_start() < 0) {
		fprintf(stderr, "bench: cannot start the spare children's spawner\n");
		exit(1);
	}
	if (spares) /* leaves a spare waiting, made for this image */
		bench_sandboxed_once(lim, in, len);
	for (int i = 0; i < RUNS; i++) {
		nanosleep(&settle, NULL);
		ret->nat[i] = bench_native_once(lim, dest, in, len);
		nanosleep(&settle, NULL);
		ret->box[i] = bench_sandboxed_once(lim, in, len);
	}
	if (spares)
		ih_isolate_spares_stop();
}

/* Median seconds per image of each way, runs interleaved so both see the same load. */
static void bench(const char *what, double mp, const uint8_t *in, size_t len)
{
	struct ih_limits lim;
	struct ih_pixel_dest dest;
	struct side off, on, huge;
	double fresh[RUNS];
	long had = hugepages_get();
	bool can_huge = had >= 0 && hugepages_set(HUGE_PAGES_NEEDED);

	ih_limits_default(&lim);
	bench_dest_map(&dest, (size_t)(mp * 1e6) * 4);
	bench_native_once(&lim, &dest, in, len); /* warm the caches and the allocator */
	for (int i = 0; i < RUNS; i++)
		fresh[i] = bench_native_once(&lim, NULL, in, len);
	runs(&lim, &dest, in, len, false, &off);
	if (can_huge)
		runs(&lim, &dest, in, len, true, &huge);
	if (can_huge && !hugepages_set(0)) {
		fprintf(stderr, "bench: cannot release the reserved huge pages\n");
		exit(1);
	}
	runs(&lim, &dest, in, len, true, &on);
	if (can_huge)
		hugepages_set(had);
	munmap(dest.buf, dest.cap);
	report(what, mp, &off, &on, can_huge ? &huge : NULL, median(fresh));
}

/* The GIF, WebP and TIFF figures: one large image each, generated with its library. */
static int bench_formats(void)
{
	static const struct {
		const char *what;
		uint32_t w, h;
		int (*make)(uint32_t w, uint32_t h, uint8_t **ret, size_t *ret_len);
	} f[] = {
		{ "GIF 2000x2000", 2000, 2000, corpus_gif_rgb },
		{ "WebP 4000x3000", 4000, 3000, corpus_webp_rgb },
		{ "TIFF 4000x3000", 4000, 3000, corpus_tiff_rgb },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		uint8_t *in;
		size_t len;

		if (f[i].make(f[i].w, f[i].h, &in, &len) < 0) {
			fprintf(stderr, "bench: cannot generate the %s\n", f[i].what);
			return 1;
		}
		printf("%s: %zu bytes\n", f[i].what, len);
		bench(f[i].what, (double)f[i].w * f[i].h / 1e6, in, len);
		free(in);
	}
	return 0;
}

int main(void)
{
	uint8_t *jpg, *png;
	size_t jlen, plen;

	if (corpus_jpeg_rgb(4000, 3000, 90, 0, &jpg, &jlen) < 0 ||
	    corpus_png_rgba(2000, 2000, &png, &plen) < 0) {
		fprintf(stderr, "bench: cannot generate the images\n");
		return 1;
	}
	printf("12 MP JPEG: %zu bytes, 4 MP PNG: %zu bytes\n", jlen, plen);
	bench("JPEG 4000x3000", 12.0, jpg, jlen);
	bench("PNG 2000x2000", 4.0, png, plen);
	free(jpg);
	free(png);
	return bench_formats();
}
