/*
 * The output looks like the photo: each image is made here, decoded through the sandbox
 * (ih_isolate_decode, as --isolation=process does) and compared with what the file
 * describes.
 *  - Orientation: all eight EXIF orientations of a PNG (eXIf) give exactly the upright
 *    picture; the stored pixels are made from the upright ones by the EXIF specification's
 *    own words (where row 0 and column 0 go), not by the decoder's formulas. The same
 *    for JPEG, whose stored pixels are made losslessly by jpegtran (tolerance below).
 *  - --orient=keep, --depth=8, CMYK and YCCK JPEGs (Adobe-inverted as Photoshop writes
 *    them) against libjpeg's own CMYK decode through the documented formula.
 *  - ICC profiles carried in JPEG APP2 segments (in order, out of order) and PNG iCCP are
 *    honoured; hostile ones (a missing or repeated segment, corrupt zlib) still decode,
 *    and the record says why the profile was refused.
 *  - Hostile metadata: each case still decodes, and the record says why it was ignored.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include <zlib.h>

#include "../color/profiles.h"
#include "../tap.h"
#include "guest/sandbox/isolate.h"
#include "images.h"

#define W 64
#define H 48

static int decode(const struct blob *in, uint32_t flags, struct ih_decoded *ret)
{
	struct ih_limits lim;
	struct ih_decode_opts opts = { .flags = flags };

	ih_limits_default(&lim);
	memset(ret, 0, sizeof(*ret));
	if (ih_isolate_decode(&lim, 0, &opts, in->p, in->len, ret) < 0)
		return -EIO;
	return ret->resp.status == IH_STATUS_OK ? 0 : -EINVAL;
}

/* Where stored pixel (sx, sy) of a ws x hs image shows, per EXIF's (row 0, column 0). */
static void display_pos(uint32_t o, uint32_t sx, uint32_t sy, uint32_t ws, uint32_t hs,
			uint32_t *dx, uint32_t *dy)
{
	switch (o) {
	case 2: /* row 0 top, column 0 right */
		*dx = ws - 1 - sx, *dy = sy;
		break;
	case 3: /* bottom, right */
		*dx = ws - 1 - sx, *dy = hs - 1 - sy;
		break;
	case 4: /* bottom, left */
		*dx = sx, *dy = hs - 1 - sy;
		break;
	case 5: /* row 0 left, column 0 top */
		*dx = sy, *dy = sx;
		break;
	case 6: /* row 0 right, column 0 top */
		*dx = hs - 1 - sy, *dy = sx;
		break;
	case 7: /* row 0 right, column 0 bottom */
		*dx = hs - 1 - sy, *dy = ws - 1 - sx;
		break;
	case 8: /* row 0 left, column 0 bottom */
		*dx = sy, *dy = ws - 1 - sx;
		break;
	default:
		*dx = sx, *dy = sy;
	}
}

/* The stored pixels that orientation o shows as the upright picture up (W x H). */
static void stored_from_upright(const uint8_t *up, uint32_t o, size_t bpp, uint8_t *st)
{
	uint32_t ws = o >= 5 ? H : W, hs = o >= 5 ? W : H, dx, dy;

	for (uint32_t sy = 0; sy < hs; sy++)
		for (uint32_t sx = 0; sx < ws; sx++) {
			display_pos(o, sx, sy, ws, hs, &dx, &dy);
			memcpy(st + ((size_t)sy * ws + sx) * bpp, up + ((size_t)dy * W + dx) * bpp,
			       bpp);
		}
}

static void test_png_orientations(uint32_t ch, uint32_t depth)
{
	size_t bpp = ch * depth / 8, len = (size_t)W * H * bpp;
	uint8_t *up = malloc(len), *st = malloc(len), exif[32];

	picture_fill(up, W, H, ch, depth);
	for (uint32_t o = 1; o <= 8; o++) {
		struct blob png;
		struct ih_decoded d;
		bool turned = o >= 5;
		int r;

		stored_from_upright(up, o, bpp, st);
		r = png_make(st, turned ? H : W, turned ? W : H, ch, depth, exif,
			     exif_block(exif, o % 2, (uint16_t)o), &png);
		r = r ? r : decode(&png, 0, &d);
		tap_ok(r == 0 && d.resp.width == W && d.resp.height == H &&
			       d.resp.pixel_len == len && !memcmp(d.pixels, up, len) &&
			       d.resp.orientation == o &&
			       d.resp.orient_state == (o == 1 ? IH_ORIENT_NONE : IH_ORIENT_APPLIED),
		       "PNG %u channel(s) %u-bit, EXIF orientation %u (%s): exactly the upright "
		       "picture (%s)",
		       ch, depth, o, o % 2 ? "MM" : "II", r ? d.resp.reason : "");
		ih_decoded_free(&d);
		blob_free(&png);
	}
	free(up);
	free(st);
}

/* The largest difference of two 8-bit buffers. */
static unsigned max_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
	unsigned m = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned dlt = a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];

		m = dlt > m ? dlt : m;
	}
	return m;
}

/*
 * jpegtran's lossless transforms move DCT blocks, so the stored JPEG holds exactly the
 * upright picture's coefficients. Decoding them turned can still differ by one level: the
 * inverse DCT rounds between its row and column passes, and a transposed block takes the
 * passes in the other order, and the YCbCr to RGB step can carry that to two levels.
 * Tolerance: 2 for the transposing orientations 5-8 (the largest difference measured here),
 * 0 for 2-4, whose blocks are only mirrored.
 */
static void test_jpeg_orientations(void)
{
	static const char *const inverse[9][3] = {
		[2] = { "-flip", "horizontal" }, [3] = { "-rotate", "180" },
		[4] = { "-flip", "vertical" },	 [5] = { "-transpose" },
		[6] = { "-rotate", "270" },	 [7] = { "-transverse" },
		[8] = { "-rotate", "90" },
	};
	uint8_t *px = malloc((size_t)W * H * 3), exif[6 + 32];
	struct blob upright, ref_blob = { 0 };
	struct ih_decoded ref;

	picture_fill(px, W, H, 3, 8);
	if (jpeg_make(px, W, H, 3, false, &upright) < 0 || decode(&upright, 0, &ref) < 0)
		abort();
	for (uint32_t o = 2; o <= 8; o++) {
		struct blob stored, tagged = { 0 };
		struct ih_decoded d = { 0 };
		unsigned diff = 999;
		int r;

		memcpy(exif, "Exif\0\0", 6);
		r = jpegtran(&upright, inverse[o], &stored);
		if (r == 0)
			r = jpeg_add_marker(&stored, 1, exif,
					    6 + exif_block(exif + 6, false, (uint16_t)o), &tagged);
		if (r == 0)
			r = decode(&tagged, 0, &d);
		if (r == 0 && d.resp.width == W && d.resp.height == H)
			diff = max_diff(d.pixels, ref.pixels, ref.resp.pixel_len);
		tap_ok(r == 0 && diff <= (o >= 5 ? 2u : 0u) &&
			       d.resp.orient_state == IH_ORIENT_APPLIED,
		       "JPEG made by jpegtran %s %s with EXIF orientation %u: the upright picture "
		       "(largest difference %u, tolerance %u)",
		       inverse[o][0], inverse[o][1] ? inverse[o][1] : "", o, diff,
		       o >= 5 ? 2u : 0u);
		ih_decoded_free(&d);
		blob_free(&stored);
		blob_free(&tagged);
	}
	ih_decoded_free(&ref);
	blob_free(&upright);
	blob_free(&ref_blob);
	free(px);
}

static void test_orient_keep_and_depth8(void)
{
	size_t len = (size_t)W * H * 3;
	uint8_t *up = malloc(len * 2), exif[32];
	struct blob png;
	struct ih_decoded d;
	bool exact = true;
	int r;

	picture_fill(up, W, H, 3, 8);
	r = png_make(up, W, H, 3, 8, exif, exif_block(exif, false, 6), &png);
	r = r ? r : decode(&png, IH_OPT_ORIENT_KEEP, &d);
	tap_ok(r == 0 && d.resp.width == W && !memcmp(d.pixels, up, len) &&
		       d.resp.orientation == 6 && d.resp.orient_state == IH_ORIENT_KEPT,
	       "--orient=keep: stored order, orientation 6 reported as kept");
	ih_decoded_free(&d);
	blob_free(&png);

	picture_fill(up, W, H, 3, 16);
	r = png_make(up, W, H, 3, 16, NULL, 0, &png);
	r = r ? r : decode(&png, IH_OPT_DEPTH8, &d);
	for (size_t i = 0; r == 0 && i < len; i++) {
		uint32_t v = (uint32_t)up[2 * i] << 8 | up[2 * i + 1];

		exact = exact && d.pixels[i] == (v * 255 + 32767) / 65535;
	}
	tap_ok(r == 0 && d.resp.depth == 8 && d.resp.src_depth == 16 && d.resp.pixel_len == len &&
		       exact,
	       "--depth=8: a 16-bit PNG scaled to 8 bits, v * 255 / 65535 rounded");
	ih_decoded_free(&d);
	blob_free(&png);
	free(up);
}

/* libjpeg's own decode of a CMYK/YCCK JPEG, Adobe-inverted back, through the formula. */
static int cmyk_reference(const struct blob *in, uint8_t *rgb)
{
	struct jpeg_decompress_struct c;
	struct jpeg_error_mgr err;
	uint8_t *row;
	int inverted;

	c.err = jpeg_std_error(&err);
	jpeg_create_decompress(&c);
	jpeg_mem_src(&c, in->p, in->len);
	jpeg_read_header(&c, TRUE);
	c.out_color_space = JCS_CMYK;
	jpeg_start_decompress(&c);
	inverted = c.saw_Adobe_marker;
	row = malloc((size_t)c.output_width * 4);
	while (c.output_scanline < c.output_height) {
		uint32_t y = c.output_scanline;

		jpeg_read_scanlines(&c, &row, 1);
		for (uint32_t x = 0; x < c.output_width; x++)
			for (int i = 0; i < 3; i++) {
				unsigned ink = row[4 * x + i], k = row[4 * x + 3];

				if (inverted)
					ink = 255 - ink, k = 255 - k;
				rgb[((size_t)y * c.output_width + x) * 3 + i] =
					(uint8_t)(((255 - ink) * (255 - k) + 127) / 255);
			}
	}
	jpeg_finish_decompress(&c);
	jpeg_destroy_decompress(&c);
	free(row);
	return 0;
}

static void test_cmyk(bool ycck)
{
	size_t n = (size_t)W * H;
	uint8_t *ink = malloc(n * 4), *want = malloc(n * 3);
	struct blob jpg;
	struct ih_decoded d;
	int r;

	/* Photoshop's convention, which the Adobe marker announces: 255 - ink is stored. */
	picture_fill(ink, W, H, 4, 8);
	r = jpeg_make(ink, W, H, 4, ycck, &jpg);
	if (r == 0)
		r = cmyk_reference(&jpg, want);
	r = r ? r : decode(&jpg, 0, &d);
	tap_ok(r == 0 && d.resp.channels == 3 && d.resp.pixel_len == n * 3 &&
		       !memcmp(d.pixels, want, n * 3) &&
		       d.resp.src_model == (ycck ? IH_MODEL_YCCK : IH_MODEL_CMYK),
	       "%s JPEG with Adobe's marker: RGB, exactly libjpeg's decode through the formula "
	       "(%s)",
	       ycck ? "YCCK" : "CMYK", r ? d.resp.reason : "");
	ih_decoded_free(&d);
	blob_free(&jpg);
	free(ink);
	free(want);
}

static void test_grey_stays_grey(void)
{
	uint8_t *px = malloc((size_t)W * H);
	struct blob jpg;
	struct ih_decoded d;
	int r;

	picture_fill(px, W, H, 1, 8);
	r = jpeg_make(px, W, H, 1, false, &jpg);
	r = r ? r : decode(&jpg, 0, &d);
	tap_ok(r == 0 && d.resp.channels == 1 && d.resp.src_model == IH_MODEL_GREY &&
		       d.resp.pixel_len == (size_t)W * H,
	       "a grey JPEG decodes to one grey channel");
	ih_decoded_free(&d);
	blob_free(&jpg);
	free(px);
}

/* A PNG whose eXIf holds exif[0..n): it must decode, orientation ignored, note given. */
static void expect_exif_ignored(const char *name, const uint8_t *exif, size_t n,
				const char *note_word)
{
	uint8_t px[W * 3];
	struct blob png;
	struct ih_decoded d;
	int r;

	picture_fill(px, W, 1, 3, 8);
	r = png_make(px, W, 1, 3, 8, exif, n, &png);
	r = r ? r : decode(&png, 0, &d);
	tap_ok(r == 0 && d.resp.width == W && d.resp.orient_state == IH_ORIENT_IGNORED &&
		       strcasestr(d.resp.orient_note, note_word),
	       "hostile EXIF, %s: the image decodes, orientation ignored, the record says '%s'",
	       name, r ? d.resp.reason : d.resp.orient_note);
	ih_decoded_free(&d);
	blob_free(&png);
}

static void test_hostile_exif(void)
{
	uint8_t b[64];
	size_t n;

	n = exif_block(b, false, 6);
	b[4] = 0xf0; /* IFD0 past the end */
	expect_exif_ignored("IFD0 offset past the block", b, n, "outside");
	n = exif_block(b, true, 6);
	b[8] = 0x7f, b[9] = 0xff; /* 32767 entries in a 26-byte block */
	expect_exif_ignored("entry count past the end", b, n, "past the end");
	n = exif_block(b, false, 6);
	memcpy(b, "IM", 2);
	expect_exif_ignored("wrong byte order mark", b, n, "byte order");
	n = exif_block(b, false, 6);
	b[18] = 9;
	expect_exif_ignored("orientation 9", b, n, "not 1-8");
	n = exif_block(b, false, 6);
	b[12] = 4; /* LONG instead of SHORT */
	expect_exif_ignored("orientation of type LONG", b, n, "type");
	n = exif_block(b, false, 6);
	b[4] = 0, b[5] = 0; /* IFD0 at offset 0: the header read as an IFD */
	expect_exif_ignored("IFD0 looping onto the header", b, n, "outside");
}

/* The same picture with APP1 payload p[0..n): decodes upright-as-stored with a note. */
static void expect_app1_ignored(const char *name, const uint8_t *p, size_t n, const char *word)
{
	uint8_t px[16 * 16 * 3];
	struct blob jpg, tagged;
	struct ih_decoded d;
	int r;

	picture_fill(px, 16, 16, 3, 8);
	r = jpeg_make(px, 16, 16, 3, false, &jpg);
	r = r ? r : jpeg_add_marker(&jpg, 1, p, n, &tagged);
	r = r ? r : decode(&tagged, 0, &d);
	tap_ok(r == 0 && d.resp.width == 16 && d.resp.orient_state == IH_ORIENT_IGNORED &&
		       strcasestr(d.resp.orient_note, word),
	       "hostile APP1, %s: the image decodes, orientation ignored, the record says '%s'",
	       name, r ? d.resp.reason : d.resp.orient_note);
	ih_decoded_free(&d);
	blob_free(&jpg);
	blob_free(&tagged);
}

static void test_hostile_app1(void)
{
	uint8_t p[64] = "Exif\0\0";
	size_t n = 6 + exif_block(p + 6, true, 8);

	expect_app1_ignored("truncated EXIF (10 bytes of its 26)", p, 6 + 10, "past the end");
	p[6 + 9] = 200; /* 200 entries */
	expect_app1_ignored("IFD0 count of 200 in a 26-byte block", p, n, "past the end");
}

/* An APP2 "ICC_PROFILE" segment: number no of count, carrying p[0..n). */
static int icc_segment(const struct blob *in, unsigned no, unsigned count, const uint8_t *p,
		       size_t n, struct blob *ret)
{
	uint8_t seg[14 + 65000];

	memcpy(seg, "ICC_PROFILE", 12);
	seg[12] = (uint8_t)no;
	seg[13] = (uint8_t)count;
	memcpy(seg + 14, p, n);
	return jpeg_add_marker(in, 2, seg, 14 + n, ret);
}

/* A JPEG carrying the Display P3 profile in two segments: in order, or the second first
 * (each insertion goes right after SOI, so the last inserted comes first). order lists the
 * segment numbers to write, 0 ending it. */
static int jpeg_with_p3(const unsigned *order, struct blob *ret)
{
	uint8_t px[16 * 16 * 3], *icc = NULL;
	size_t icc_len = 0, half;
	struct blob cur, next;
	int r;

	picture_fill(px, 16, 16, 3, 8);
	r = profile_display_p3(&icc, &icc_len);
	r = r ? r : jpeg_make(px, 16, 16, 3, false, &cur);
	half = icc_len / 2;
	for (; r == 0 && *order; order++) {
		size_t off = *order == 1 ? 0 : half, n = *order == 1 ? half : icc_len - half;

		r = icc_segment(&cur, *order, 2, icc + off, n, &next);
		blob_free(&cur);
		cur = next;
	}
	free(icc);
	*ret = cur;
	return r;
}

static void expect_jpeg_icc(const char *name, const unsigned *order, uint32_t action,
			    const char *word)
{
	struct blob jpg;
	struct ih_decoded d;
	int r = jpeg_with_p3(order, &jpg);

	r = r ? r : decode(&jpg, 0, &d);
	tap_ok(r == 0 && d.resp.width == 16 && d.resp.color_action == action &&
		       (action == IH_COLOR_CONVERTED ? strstr(d.resp.color_desc, "P3") != NULL
						     : strcasestr(d.resp.color_note, word) != NULL),
	       "JPEG, ICC profile %s: decodes, colour %s (%s%s)", name,
	       ih_color_action_name(d.resp.color_action), d.resp.color_desc, d.resp.color_note);
	ih_decoded_free(&d);
	blob_free(&jpg);
}

static void test_jpeg_icc(void)
{
	static const unsigned in_order[] = { 2, 1, 0 }, reversed[] = { 1, 2, 0 };
	static const unsigned missing[] = { 2, 0 }, repeated[] = { 1, 1, 2, 0 };

	expect_jpeg_icc("in two APP2 segments", in_order, IH_COLOR_CONVERTED, NULL);
	expect_jpeg_icc("split out of order (segment 2 first)", reversed, IH_COLOR_CONVERTED, NULL);
	expect_jpeg_icc("with segment 1 of 2 missing", missing, IH_COLOR_REFUSED, "missing");
	expect_jpeg_icc("with segment 1 repeated", repeated, IH_COLOR_REFUSED, "repeated");
}

/* A PNG with an iCCP chunk of the given compressed bytes, spliced in after IHDR. */
static int png_with_iccp(const uint8_t *z, size_t zlen, struct blob *ret)
{
	uint8_t px[8 * 8 * 3], hdr[8], crc[4];
	struct blob png;
	uLong c;
	int r;

	picture_fill(px, 8, 8, 3, 8);
	r = png_make(px, 8, 8, 3, 8, NULL, 0, &png);
	*ret = (struct blob){ 0 };
	hdr[0] = (uint8_t)((zlen + 5) >> 24), hdr[1] = (uint8_t)((zlen + 5) >> 16);
	hdr[2] = (uint8_t)((zlen + 5) >> 8), hdr[3] = (uint8_t)(zlen + 5);
	memcpy(hdr + 4, "iCCP", 4);
	c = crc32(crc32(crc32(0, hdr + 4, 4), (const Bytef *)"icc\0\0", 5), z, (uInt)zlen);
	crc[0] = (uint8_t)(c >> 24), crc[1] = (uint8_t)(c >> 16), crc[2] = (uint8_t)(c >> 8);
	crc[3] = (uint8_t)c;
	if (r == 0)
		r = blob_put(ret, png.p, 33); /* signature and IHDR */
	r = r ? r : blob_put(ret, hdr, 8);
	r = r ? r : blob_put(ret, "icc\0\0", 5);
	r = r ? r : blob_put(ret, z, zlen);
	r = r ? r : blob_put(ret, crc, 4);
	r = r ? r : blob_put(ret, png.p + 33, png.len - 33);
	blob_free(&png);
	return r;
}

static void test_png_iccp(void)
{
	uint8_t *icc = NULL, z[65536];
	uLongf zlen = sizeof(z);
	size_t icc_len = 0;
	struct blob png;
	struct ih_decoded d;
	int r = profile_display_p3(&icc, &icc_len);

	r = r ? r : (compress(z, &zlen, icc, icc_len) == Z_OK ? 0 : -EIO);
	r = r ? r : png_with_iccp(z, zlen, &png);
	r = r ? r : decode(&png, 0, &d);
	tap_ok(r == 0 && d.resp.color_action == IH_COLOR_CONVERTED &&
		       strstr(d.resp.color_desc, "P3"),
	       "PNG iCCP Display P3: converted to sRGB, the record names the profile '%s'",
	       d.resp.color_desc);
	ih_decoded_free(&d);
	blob_free(&png);
	z[zlen / 2] ^= 0x55;
	z[zlen / 2 + 1] ^= 0xaa;
	r = png_with_iccp(z, zlen, &png);
	r = r ? r : decode(&png, 0, &d);
	tap_ok(r == 0 && d.resp.width == 8 && d.resp.color_action == IH_COLOR_REFUSED &&
		       strcasestr(d.resp.color_note, "iCCP"),
	       "PNG iCCP with corrupt zlib data: decodes, profile refused, the record says '%s'",
	       d.resp.color_note);
	ih_decoded_free(&d);
	blob_free(&png);
	free(icc);
}

static int write_blob(const char *dir, const char *name, const struct blob *b)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wbe");
	if (!f)
		return -1;
	ok = fwrite(b->p, 1, b->len, f) == b->len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* --write DIR: the samples the VM test decodes in the guest (tests/fidelity/vm.test). */
static int write_samples(const char *dir)
{
	static const unsigned reversed[] = { 1, 2, 0 };
	static const char *const rot270[] = { "-rotate", "270", NULL };
	uint8_t *px = malloc((size_t)W * H * 8), exif[6 + 32] = "Exif\0\0";
	struct blob b, c;
	int r;

	picture_fill(px, W, H, 3, 8);
	r = jpeg_make(px, W, H, 3, false, &b);
	r = r ? r : jpegtran(&b, rot270, &c);
	blob_free(&b);
	r = r ? r : jpeg_add_marker(&c, 1, exif, 6 + exif_block(exif + 6, true, 6), &b);
	r = r ? r : write_blob(dir, "orientation-6.jpg", &b);
	blob_free(&b);
	blob_free(&c);
	picture_fill(px, W, H, 4, 16);
	r = r ? r : png_make(px, W, H, 4, 16, exif + 6, exif_block(exif + 6, false, 7), &b);
	r = r ? r : write_blob(dir, "rgba16-orientation-7.png", &b);
	blob_free(&b);
	picture_fill(px, W, H, 1, 16);
	r = r ? r : png_make(px, W, H, 1, 16, NULL, 0, &b);
	r = r ? r : write_blob(dir, "grey16.png", &b);
	blob_free(&b);
	r = r ? r : jpeg_with_p3(reversed, &b);
	r = r ? r : write_blob(dir, "display-p3-segments-reversed.jpg", &b);
	blob_free(&b);
	picture_fill(px, W, H, 4, 8);
	r = r ? r : jpeg_make(px, W, H, 4, true, &b);
	r = r ? r : write_blob(dir, "ycck-adobe.jpg", &b);
	blob_free(&b);
	free(px);
	return r ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--write"))
		return write_samples(argv[2]);
	test_png_orientations(3, 8);
	test_png_orientations(1, 16);
	test_png_orientations(4, 16);
	test_png_orientations(2, 8);
	test_jpeg_orientations();
	test_orient_keep_and_depth8();
	test_cmyk(false);
	test_cmyk(true);
	test_grey_stays_grey();
	test_hostile_exif();
	test_hostile_app1();
	test_jpeg_icc();
	test_png_iccp();
	return tap_done();
}
