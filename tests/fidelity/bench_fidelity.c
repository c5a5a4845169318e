/*
 * make bench: what orientation and sRGB conversion add to a 12 MP JPEG decode, in the same
 * run, in this process (the steps run in the decoder child the same way). The pixels go to
 * a reused, already-mapped buffer, as in bench_decode's best native case. Goals (issue):
 * orientation 6 (a turn) adds at most 10 %, conversion from Display P3 at most 25 %.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "../bench.h"
#include "../color/profiles.h"
#include "../corpus/corpus.h"
#include "guest/decode/decode.h"
#include "images.h"

#define RUNS 7
#define W 4000
#define H 3000

static double once(const struct blob *in, const struct ih_pixel_dest *dest)
{
	struct ih_limits lim;
	char reason[IH_REASON_MAX];
	struct ih_image img;
	double t;

	ih_limits_default(&lim);
	t = now_s();
	if (ih_decode_into(&lim, NULL, in->p, in->len, dest, &img, reason) < 0) {
		fprintf(stderr, "bench: decode failed: %s\n", reason);
		exit(1);
	}
	t = now_s() - t;
	ih_image_free(&img);
	return t;
}

/* The 12 MP JPEG as it is, with EXIF orientation 3 and 6, and with a Display P3 profile. */
static void inputs(struct blob in[4])
{
	uint8_t exif[6 + 32] = "Exif\0\0", seg[14 + 65000] = "ICC_PROFILE";
	uint8_t *jpg, *icc;
	size_t len, icc_len;

	if (corpus_jpeg_rgb(W, H, 90, 0, &jpg, &len) < 0 ||
	    profile_display_p3(&icc, &icc_len) < 0 || icc_len > 65000)
		exit(1);
	in[0] = (struct blob){ jpg, len };
	seg[12] = seg[13] = 1;
	memcpy(seg + 14, icc, icc_len);
	if (jpeg_add_marker(&in[0], 1, exif, 6 + exif_block(exif + 6, false, 3), &in[1]) < 0 ||
	    jpeg_add_marker(&in[0], 1, exif, 6 + exif_block(exif + 6, false, 6), &in[2]) < 0 ||
	    jpeg_add_marker(&in[0], 2, seg, 14 + icc_len, &in[3]) < 0)
		exit(1);
	free(icc);
}

int main(void)
{
	static const char *const what[4] = { "plain decode", "orientation 3 (in place)",
					     "orientation 6 (a turn)", "Display P3 to sRGB" };
	struct ih_pixel_dest dest = { .cap = (size_t)W * H * 3 };
	double t[4][RUNS], med[4];
	struct blob in[4];

	dest.buf = mmap(NULL, dest.cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dest.buf == MAP_FAILED)
		return 1;
	memset(dest.buf, 1, dest.cap);
	inputs(in);
	for (int r = 0; r < RUNS; r++)
		for (int k = 0; k < 4; k++)
			t[k][r] = once(&in[k], &dest);
	for (int k = 0; k < 4; k++) {
		qsort(t[k], RUNS, sizeof(double), by_value);
		med[k] = t[k][RUNS / 2];
	}
	printf("fidelity: 12 MP JPEG, median of %d, in-process decode into a mapped buffer\n",
	       RUNS);
	for (int k = 0; k < 4; k++)
		printf("  %-26s %8.1f ms  %+6.1f %% over the plain decode%s\n", what[k],
		       med[k] * 1e3, (med[k] / med[0] - 1) * 100,
		       k == 2	? " (goal <= +10 %)"
		       : k == 3 ? " (goal <= +25 %)"
				: "");
	for (int k = 0; k < 4; k++)
		blob_free(&in[k]);
	return 0;
}
