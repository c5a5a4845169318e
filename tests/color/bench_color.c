/*
 * make bench: the colour step's cost. A generated 12 MP JPEG (4000x3000, RGB) decoded
 * natively into a reused buffer, then converted to sRGB from Display P3 in place
 * (ih_color_apply, one lcms2 transform over the buffer), runs interleaved; the median of
 * each and their ratio in the same run. Goal: conversion at most +25% of the decode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "../bench.h"
#include "../corpus/corpus.h"
#include "guest/decode/color.h"
#include "profiles.h"

#define RUNS 7

static void fail(const char *what, const char *reason)
{
	fprintf(stderr, "bench_color: %s: %s\n", what, reason);
	exit(1);
}

/* One decode and one conversion of the same image: their seconds in *dec and *conv. */
static void once(const uint8_t *jpg, size_t len, const struct ih_pixel_dest *dest,
		 const uint8_t *icc, size_t icc_len, double *dec, double *conv)
{
	char reason[IH_REASON_MAX];
	struct ih_limits lim;
	struct ih_image img;
	struct ih_color_report rep;
	double t = now_s();

	ih_limits_default(&lim);
	if (ih_decode_into(&lim, NULL, jpg, len, dest, &img, reason) < 0)
		fail("decode", reason);
	*dec = now_s() - t;
	img.icc = malloc(icc_len);
	memcpy(img.icc, icc, icc_len);
	img.icc_len = icc_len;
	t = now_s();
	if (ih_color_apply(&img, 0, lim.max_memory_bytes, &rep, reason) < 0 ||
	    rep.action != IH_COLOR_CONVERTED)
		fail("conversion", reason[0] ? reason : rep.note);
	*conv = now_s() - t;
	ih_image_free(&img);
}

int main(void)
{
	struct ih_pixel_dest dest = { .cap = (size_t)4000 * 3000 * 4 };
	double dec[RUNS], conv[RUNS], d, c;
	uint8_t *jpg, *icc;
	size_t len, icc_len;

	if (corpus_jpeg_rgb(4000, 3000, 90, 0, &jpg, &len) < 0 ||
	    profile_display_p3(&icc, &icc_len) < 0)
		fail("setup", "cannot generate the image or the profile");
	dest.buf = mmap(NULL, dest.cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dest.buf == MAP_FAILED)
		fail("setup", "cannot map the pixel buffer");
	memset(dest.buf, 1, dest.cap);
	once(jpg, len, &dest, icc, icc_len, &d, &c); /* warm the caches */
	for (int i = 0; i < RUNS; i++)
		once(jpg, len, &dest, icc, icc_len, &dec[i], &conv[i]);
	qsort(dec, RUNS, sizeof(double), by_value);
	qsort(conv, RUNS, sizeof(double), by_value);
	d = dec[RUNS / 2];
	c = conv[RUNS / 2];
	printf("12 MP RGB: decode %7.1f ms, sRGB conversion (Display P3, lcms2) %7.1f ms "
	       "(%5.1f MP/s): +%.0f%% of the decode (goal <= +25%%), median of %d\n",
	       d * 1e3, c * 1e3, 12.0 / c, c / d * 100, RUNS);
	munmap(dest.buf, dest.cap);
	free(jpg);
	free(icc);
	return 0;
}
