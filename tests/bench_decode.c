/*
 * make bench: decode throughput natively (in this process) and sandboxed (ih_isolate_decode:
 * a fresh child per image with every sandbox layer, the pixels in shared memory) for a
 * generated 12 MP JPEG, 4 MP PNG, 4 MP GIF, 12 MP lossy WebP and 12 MP LZW TIFF, alternating runs,
 * with the ratio measured in the same run. Goal: sandboxed >= 0.9x native. Sandboxed is
 * measured twice: with a child made for each image as it arrives (spares off), and with
 * pre-spawned children (spares on, as --isolation=process and the guest run): the next
 * image's child is made and faulted in while the native run decodes.
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
#include "corpus/corpus.h"
#include "corpus/formats.h"
#include "guest/decode/decode.h"
#include "guest/sandbox/isolate.h"

#define RUNS 7

static double median(double *v)
{
	qsort(v, RUNS, sizeof(double), by_value);
	return v[RUNS / 2];
}

static void report(const char *what, double mp, double nat, double box, double fresh, double nat2,
		   double spare)
{
	printf("%-16s native %7.1f ms (%5.1f MP/s)  sandboxed, spares on %7.1f ms (%5.1f MP/s)  "
	       "ratio %.3fx native (goal >= 0.9x), median of %d\n",
	       what, nat2 * 1e3, mp / nat2, spare * 1e3, mp / spare, nat2 / spare, RUNS);
	printf("%-16s before (spares off): native %7.1f ms, sandboxed %7.1f ms, ratio %.3fx\n", "",
	       nat * 1e3, box * 1e3, nat / box);
	printf("%-16s native into a fresh malloc'd buffer %7.1f ms: sandboxed (spares on) is "
	       "%.3fx that\n",
	       "", fresh * 1e3, fresh / spare);
}

/* Median seconds per image of each way, runs interleaved so both see the same load. */
static void bench(const char *what, double mp, const uint8_t *in, size_t len)
{
	struct ih_limits lim;
	struct ih_pixel_dest dest;
	double nat[RUNS], box[RUNS], fresh[RUNS], nat2[RUNS], spare[RUNS];

	ih_limits_default(&lim);
	bench_dest_map(&dest, (size_t)(mp * 1e6) * 4);
	bench_native_once(&lim, &dest, in, len); /* warm the caches and the allocator */
	for (int i = 0; i < RUNS; i++) {
		nat[i] = bench_native_once(&lim, &dest, in, len);
		box[i] = bench_sandboxed_once(&lim, in, len);
		fresh[i] = bench_native_once(&lim, NULL, in, len);
	}
	if (ih_isolate_spares_start() < 0) {
		fprintf(stderr, "bench: cannot start the spare children's spawner\n");
		exit(1);
	}
	bench_sandboxed_once(&lim, in, len); /* leaves a spare waiting, made for this image */
	for (int i = 0; i < RUNS; i++) {
		nat2[i] = bench_native_once(&lim, &dest, in, len);
		spare[i] = bench_sandboxed_once(&lim, in, len);
	}
	ih_isolate_spares_stop();
	munmap(dest.buf, dest.cap);
	report(what, mp, median(nat), median(box), median(fresh), median(nat2), median(spare));
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
