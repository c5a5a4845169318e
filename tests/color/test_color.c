/*
 * The colour step (guest/decode/color.c) against lcms2's own tools and hostile profiles.
 *
 * Reference: the same pixels and profile go through tificc (lcms2's TIFF applier, perceptual
 * intent, to sRGB) as a TIFF, and through transicc in batch mode (double precision, no
 * precalculated transform). Tolerance: 0 against tificc, which runs the same lcms2 engine on
 * the same formats (a difference is a wrong format, intent or flag on our side), except 1
 * in 65535 for 16-bit grey, whose destination tificc reads from a file with the tone curve's
 * parameters rounded to s15.16; 1 code value (8-bit) against transicc, whose unoptimised
 * double-precision pipeline rounds once where the 8-bit transform goes through 16-bit
 * tables first.
 *
 * Hostile profiles (bad tag offsets, truncated, absurd tag counts, the wrong colour space or
 * class, oversized, garbage, a memory limit too small) must each leave the pixels untouched,
 * report "refused" with a note naming the cause, and drop the profile; each has a control
 * that the same profile, unharmed, converts.
 *
 * test_color --seeds DIR writes the fuzzer's seeds (tests/color/fuzz_icc.c's input format).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lcms2.h>
#include <tiffio.h>

#include "../tap.h"
#include "guest/decode/color.h"
#include "profiles.h"

#define MEM (64u << 20)
#define W 61
#define H 37

static char tmpdir[64];

struct blob {
	uint8_t *p;
	size_t n;
};

static struct blob p3, adobe, grey18, grey_srgb, cmyk, link_prof;

/* A w x h image of the given layout, pseudo-random samples plus every grey and primary. */
static void make_image(struct ih_image *img, uint32_t ch, uint32_t depth, bool is_cmyk,
		       uint32_t seed)
{
	size_t n = (size_t)W * H * ch * (depth / 8);

	*img = (struct ih_image){ .width = W,
				  .height = H,
				  .channels = ch,
				  .depth = depth,
				  .cmyk = is_cmyk,
				  .len = n,
				  .owned = true };
	img->pixels = malloc(n);
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		img->pixels[i] = (uint8_t)(seed >> 16);
	}
	for (size_t i = 0; i < 256 && i * ch * (depth / 8) < n; i++)
		memset(img->pixels + i * ch * (depth / 8), (int)i, ch * (depth / 8));
}

static void set_icc(struct ih_image *img, const uint8_t *p, size_t n)
{
	img->icc = malloc(n ? n : 1);
	memcpy(img->icc, p, n);
	img->icc_len = n;
}

static void copy_image(struct ih_image *dst, const struct ih_image *src)
{
	*dst = *src;
	dst->pixels = malloc(src->len);
	memcpy(dst->pixels, src->pixels, src->len);
	dst->icc = NULL;
	dst->icc_len = 0;
	if (src->icc)
		set_icc(dst, src->icc, src->icc_len);
}

static int apply(struct ih_image *img, uint32_t flags, size_t mem, struct ih_color_report *rep)
{
	char reason[IH_REASON_MAX];
	int r = ih_color_apply(img, flags, mem, rep, reason);

	if (r < 0)
		tap_diag("ih_color_apply: %d %s", r, reason);
	return r;
}

static int sample(const struct ih_image *img, size_t i)
{
	if (img->depth == 8)
		return img->pixels[i];
	return img->pixels[2 * i] << 8 | img->pixels[2 * i + 1];
}

/* Largest difference of two images' samples, or -1 when their layouts differ. */
static int max_diff(const struct ih_image *a, const struct ih_image *b)
{
	int m = 0;

	if (a->width != b->width || a->height != b->height || a->channels != b->channels ||
	    a->depth != b->depth || a->len != b->len)
		return -1;
	for (size_t i = 0; i < a->len / (a->depth / 8); i++) {
		int d = abs(sample(a, i) - sample(b, i));

		m = d > m ? d : m;
	}
	return m;
}

/* Runs argv with stdin from in_path and stdout to out_path (NULL: /dev/null). */
static int run_tool(char *const argv[], const char *in_path, const char *out_path)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int fd =
			open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fd_in = open(in_path ? in_path : "/dev/null", O_RDONLY);
		int null = open("/dev/null", O_RDWR);

		dup2(fd_in, 0);
		dup2(fd, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wbe");
	int ok = f && fwrite(p, 1, n, f) == n;

	if (f && fclose(f))
		ok = 0;
	return ok ? 0 : -EIO;
}

/* img (16-bit samples big-endian) as an uncompressed TIFF carrying icc. */
static int write_tiff(const char *path, const struct ih_image *img, const struct blob *icc)
{
	TIFF *t = TIFFOpen(path, "w");
	size_t row = (size_t)img->width * img->channels * (img->depth / 8);
	uint16_t extra = EXTRASAMPLE_UNASSALPHA;
	uint8_t *buf = malloc(row);
	int ok = t && buf;

	if (ok) {
		TIFFSetField(t, TIFFTAG_IMAGEWIDTH, img->width);
		TIFFSetField(t, TIFFTAG_IMAGELENGTH, img->height);
		TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, img->depth);
		TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, img->channels);
		TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
		TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_NONE);
		TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, img->height);
		TIFFSetField(t, TIFFTAG_PHOTOMETRIC,
			     img->cmyk		  ? PHOTOMETRIC_SEPARATED
			     : img->channels <= 2 ? PHOTOMETRIC_MINISBLACK
						  : PHOTOMETRIC_RGB);
		if (img->cmyk)
			TIFFSetField(t, TIFFTAG_INKSET, INKSET_CMYK);
		if (!img->cmyk && (img->channels == 2 || img->channels == 4))
			TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, &extra);
		if (icc)
			TIFFSetField(t, TIFFTAG_ICCPROFILE, (uint32_t)icc->n, icc->p);
	}
	for (uint32_t y = 0; ok && y < img->height; y++) {
		memcpy(buf, img->pixels + y * row, row);
		for (size_t i = 0; img->depth == 16 && i < row; i += 2) {
			uint16_t v = (uint16_t)(buf[i] << 8 | buf[i + 1]);

			memcpy(buf + i, &v, 2);
		}
		ok = TIFFWriteScanline(t, buf, y, 0) == 1;
	}
	free(buf);
	if (t)
		TIFFClose(t);
	return ok ? 0 : -EIO;
}

/* A TIFF as an image (16-bit samples big-endian). */
static int read_tiff(const char *path, struct ih_image *ret)
{
	TIFF *t = TIFFOpen(path, "r");
	uint32_t w = 0, h = 0;
	uint16_t bps = 0, spp = 0;
	size_t row;
	int ok;

	if (!t)
		return -EIO;
	TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
	TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
	TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bps);
	TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &spp);
	ok = w && h && w <= 4096 && h <= 4096 && (bps == 8 || bps == 16) && spp >= 1 && spp <= 4;
	row = (size_t)w * spp * (bps / 8);
	*ret = (struct ih_image){ .width = w,
				  .height = h,
				  .channels = spp,
				  .depth = bps,
				  .len = row * h,
				  .owned = true };
	ret->pixels = ok ? malloc(ret->len) : NULL;
	for (uint32_t y = 0; ok && ret->pixels && y < h; y++) {
		uint8_t *p = ret->pixels + y * row;

		ok = TIFFReadScanline(t, p, y, 0) == 1;
		for (size_t i = 0; bps == 16 && i < row; i += 2) {
			uint16_t v;

			memcpy(&v, p + i, 2);
			p[i] = (uint8_t)(v >> 8);
			p[i + 1] = (uint8_t)v;
		}
	}
	TIFFClose(t);
	return ok && ret->pixels ? 0 : -EIO;
}

/* tificc [-o out_profile] -w<depth> on img with icc: its output as an image. */
static int tificc(const struct ih_image *img, const struct blob *icc, const struct blob *out_prof,
		  struct ih_image *ret)
{
	char in[96], out[96], prof[100], oprof[96], wflag[8];
	char *argv[8] = { "tificc" };
	int n = 1;

	snprintf(in, sizeof(in), "%s/in.tif", tmpdir);
	snprintf(out, sizeof(out), "%s/out.tif", tmpdir);
	snprintf(oprof, sizeof(oprof), "%s/out.icc", tmpdir);
	snprintf(wflag, sizeof(wflag), "-w%u", img->depth);
	if (write_tiff(in, img, icc) < 0)
		return -EIO;
	if (out_prof) {
		if (write_file(oprof, out_prof->p, out_prof->n) < 0)
			return -EIO;
		snprintf(prof, sizeof(prof), "-o%s", oprof);
		argv[n++] = prof;
	}
	argv[n++] = wflag;
	argv[n++] = in;
	argv[n++] = out;
	argv[n] = NULL;
	if (run_tool(argv, NULL, NULL) != 0)
		return -EIO;
	return read_tiff(out, ret);
}

/* Converts a copy of img with flags; the copy is freed. 0 and *rep, or -1. */
static int converted(const struct ih_image *img, uint32_t flags, struct ih_image *ret,
		     struct ih_color_report *rep)
{
	copy_image(ret, img);
	return apply(ret, flags, MEM, rep);
}

/* Converts img to sRGB through icc, runs tificc on the same, compares: names the test. */
static void check_tificc(const char *name, uint32_t ch, uint32_t depth, bool is_cmyk,
			 const struct blob *icc, const struct blob *out_prof, int tol)
{
	struct ih_image img, ours, ref = { 0 };
	struct ih_color_report rep;
	int d = -2;

	make_image(&img, ch, depth, is_cmyk, 7);
	set_icc(&img, icc->p, icc->n);
	if (converted(&img, 0, &ours, &rep) == 0 && rep.action == IH_COLOR_CONVERTED &&
	    tificc(&img, icc, out_prof, &ref) == 0)
		d = max_diff(&ours, &ref);
	tap_ok(d >= 0 && d <= tol && !ours.icc && rep.note[0] == '\0',
	       "%s: converted, tificc's output within %d (max difference %d)", name, tol, d);
	ih_image_free(&img);
	ih_image_free(&ours);
	ih_image_free(&ref);
}

static void test_tificc(void)
{
	check_tificc("srgb_p3_rgb8_matches_tificc", 3, 8, false, &p3, NULL, 0);
	check_tificc("srgb_adobe_rgb16_matches_tificc", 3, 16, false, &adobe, NULL, 0);
	check_tificc("grey18_stays_grey_matches_tificc", 1, 8, false, &grey18, &grey_srgb, 0);
	/* tificc reads the grey destination from a file, its curve's parameters rounded to
	 * s15.16; ours is exact in memory: 1 in 65535 apart. */
	check_tificc("grey18_16_stays_grey_matches_tificc", 1, 16, false, &grey18, &grey_srgb, 1);
	check_tificc("cmyk8_through_profile_matches_tificc", 4, 8, true, &cmyk, NULL, 0);
	check_tificc("cmyk16_through_profile_matches_tificc", 4, 16, true, &cmyk, NULL, 0);
}

/* Every 17th 8-bit RGB value through transicc -n (doubles, unoptimised) and through us. */
static void test_transicc(void)
{
	char in[96], out[96], prof[100], path[96];
	char *argv[] = { "transicc", prof, "-o*sRGB", "-n", "-s", NULL };
	struct ih_image img = { .width = 16 * 16 * 16, .height = 1, .channels = 3, .depth = 8 };
	struct ih_color_report rep;
	FILE *f;
	double v[3];
	int worst = -1, r;

	snprintf(in, sizeof(in), "%s/in.txt", tmpdir);
	snprintf(out, sizeof(out), "%s/out.txt", tmpdir);
	snprintf(path, sizeof(path), "%s/p3.icc", tmpdir);
	snprintf(prof, sizeof(prof), "-i%s", path);
	img.len = (size_t)img.width * 3;
	img.pixels = malloc(img.len);
	img.owned = true;
	f = fopen(in, "we");
	for (size_t i = 0; f && i < img.width; i++) {
		img.pixels[3 * i] = (uint8_t)(i / 256 * 17);
		img.pixels[3 * i + 1] = (uint8_t)(i / 16 % 16 * 17);
		img.pixels[3 * i + 2] = (uint8_t)(i % 16 * 17);
		fprintf(f, "%d %d %d\n", img.pixels[3 * i], img.pixels[3 * i + 1],
			img.pixels[3 * i + 2]);
	}
	if (f)
		fclose(f);
	set_icc(&img, p3.p, p3.n);
	r = write_file(path, p3.p, p3.n) == 0 ? run_tool(argv, in, out) : -1;
	f = r == 0 && apply(&img, 0, MEM, &rep) == 0 ? fopen(out, "re") : NULL;
	for (size_t i = 0; f && i < img.width; i++) {
		if (fscanf(f, "%lf %lf %lf", &v[0], &v[1], &v[2]) != 3) {
			worst = -1;
			break;
		}
		for (int c = 0; c < 3; c++) {
			int d = abs(img.pixels[3 * i + c] - (int)lround(v[c]));

			worst = d > worst ? d : worst;
		}
	}
	if (f)
		fclose(f);
	tap_ok(worst >= 0 && worst <= 1,
	       "srgb_p3_matches_transicc: 4096 RGB values within 1 of transicc's doubles "
	       "(max difference %d)",
	       worst);
	ih_image_free(&img);
}

/* Alpha is copied through untouched and the colour is what the same pixels without alpha
 * become. */
static void check_alpha(const char *name, uint32_t ch, uint32_t depth, const struct blob *icc)
{
	struct ih_image a, plain, ours = { 0 }, want = { 0 };
	struct ih_color_report rep;
	size_t bps = depth / 8, npx = (size_t)W * H;
	bool alpha_ok = true, colour_ok = true;

	make_image(&a, ch, depth, false, 11);
	plain = a;
	plain.channels = ch - 1;
	plain.len = npx * (ch - 1) * bps;
	plain.pixels = malloc(plain.len);
	for (size_t i = 0; i < npx; i++)
		memcpy(plain.pixels + i * (ch - 1) * bps, a.pixels + i * ch * bps, (ch - 1) * bps);
	set_icc(&a, icc->p, icc->n);
	set_icc(&plain, icc->p, icc->n);
	if (converted(&a, 0, &ours, &rep) < 0 || converted(&plain, 0, &want, &rep) < 0)
		alpha_ok = false;
	for (size_t i = 0; alpha_ok && i < npx; i++) {
		alpha_ok &= !memcmp(ours.pixels + (i * ch + ch - 1) * bps,
				    a.pixels + (i * ch + ch - 1) * bps, bps);
		colour_ok &= !memcmp(ours.pixels + i * ch * bps, want.pixels + i * (ch - 1) * bps,
				     (ch - 1) * bps);
	}
	tap_ok(alpha_ok && colour_ok && ours.channels == ch,
	       "%s: alpha untouched, colour as without alpha", name);
	ih_image_free(&a);
	ih_image_free(&plain);
	ih_image_free(&ours);
	ih_image_free(&want);
}

/* CMYK without a profile: the uncalibrated formula, 8 and 16 bits, in place. */
static void test_cmyk_formula(void)
{
	static const uint8_t in8[] = { 0, 0, 0, 0, 255, 0, 0, 0, 128, 64, 0, 128, 0, 0, 0, 255 };
	static const uint8_t want8[] = { 255, 255, 255, 0, 255, 255, 63, 95, 127, 0, 0, 0 };
	static const uint8_t in16[] = {
		0x80, 0, 0, 0, 0xff, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0
	};
	static const uint8_t want16[] = { 0x5f, 0xff, 0xbf, 0xff, 0x00, 0x00,
					  0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct ih_image img = { .width = 4, .height = 1, .channels = 4, .depth = 8, .cmyk = true };
	struct ih_color_report rep;
	uint8_t px[sizeof(in16)];

	img.pixels = px;
	img.len = sizeof(in8);
	memcpy(px, in8, sizeof(in8));
	tap_ok(apply(&img, 0, MEM, &rep) == 0 && rep.action == IH_COLOR_NONE && img.channels == 3 &&
		       !img.cmyk && img.len == 12 && !memcmp(px, want8, sizeof(want8)),
	       "cmyk8_formula: R = (255-C)(255-K)/255 per channel, 4 channels to 3 in place");
	img = (struct ih_image){ .width = 2,
				 .height = 1,
				 .channels = 4,
				 .depth = 16,
				 .cmyk = true,
				 .pixels = px,
				 .len = sizeof(in16) };
	memcpy(px, in16, sizeof(in16));
	tap_ok(apply(&img, IH_OPT_COLOR_IGNORE, MEM, &rep) == 0 && rep.action == IH_COLOR_NONE &&
		       img.channels == 3 && img.len == 12 && !memcmp(px, want16, sizeof(want16)),
	       "cmyk16_formula: the same with 65535, big-endian samples");
}

/* --color=ignore: profile dropped unread (CMYK still by the formula); no profile: none. */
static void test_ignore_and_none(void)
{
	struct ih_image img, ref;
	struct ih_color_report rep;

	make_image(&img, 3, 8, false, 3);
	copy_image(&ref, &img);
	set_icc(&img, p3.p, p3.n);
	tap_ok(apply(&img, IH_OPT_COLOR_IGNORE, MEM, &rep) == 0 && rep.action == IH_COLOR_IGNORED &&
		       !img.icc && !img.icc_len && !memcmp(img.pixels, ref.pixels, img.len) &&
		       !rep.desc[0],
	       "ignore_drops_profile: pixels untouched, profile freed, action ignored");
	tap_ok(apply(&img, 0, MEM, &rep) == 0 && rep.action == IH_COLOR_NONE &&
		       !memcmp(img.pixels, ref.pixels, img.len),
	       "no_profile_untouched: action none, pixels as decoded");
	ih_image_free(&img);
	ih_image_free(&ref);
	make_image(&img, 4, 8, true, 3);
	set_icc(&img, cmyk.p, cmyk.n);
	tap_ok(apply(&img, IH_OPT_COLOR_IGNORE, MEM, &rep) == 0 && rep.action == IH_COLOR_IGNORED &&
		       img.channels == 3 && !img.cmyk,
	       "cmyk_ignore_uses_formula: CMYK leaves as RGB even when its profile is ignored");
	ih_image_free(&img);
}

/* --color=keep: pixels untouched, the profile as lcms2 writes it back, still a P3. */
static void test_keep(void)
{
	struct ih_image img, ref;
	struct ih_color_report rep;
	cmsHPROFILE h = NULL;
	cmsCIEXYZ *red = NULL;

	make_image(&img, 4, 16, false, 5);
	copy_image(&ref, &img);
	set_icc(&img, p3.p, p3.n);
	if (apply(&img, IH_OPT_COLOR_KEEP, MEM, &rep) == 0 && img.icc)
		h = cmsOpenProfileFromMem(img.icc, (cmsUInt32Number)img.icc_len);
	if (h)
		red = cmsReadTag(h, cmsSigRedColorantTag);
	tap_ok(rep.action == IH_COLOR_KEPT && !memcmp(img.pixels, ref.pixels, img.len) && red &&
		       fabs(red->X - 0.5151) < 0.002 && !strcmp(rep.desc, "Display P3 (test)"),
	       "keep_reserialises: pixels untouched, kept profile reopens with P3's red colorant "
	       "and description '%s'",
	       rep.desc);
	if (h)
		cmsCloseProfile(h);
	ih_image_free(&img);
	ih_image_free(&ref);
	make_image(&img, 4, 8, true, 5);
	set_icc(&img, cmyk.p, cmyk.n);
	tap_ok(apply(&img, IH_OPT_COLOR_KEEP, MEM, &rep) == 0 && rep.action == IH_COLOR_CONVERTED &&
		       img.channels == 3 && !img.icc && strstr(rep.note, "CMYK"),
	       "keep_cmyk_converts: CMYK pixels still leave as sRGB, the note says why (%s)",
	       rep.note);
	ih_image_free(&img);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * A hostile profile on a layout: returns 0, action refused, a note containing want, the
 * pixels untouched and the profile dropped; for each flag (convert, keep).
 */
static void check_refused(const char *name, uint32_t ch, bool is_cmyk, const uint8_t *icc, size_t n,
			  size_t mem, const char *want)
{
	static const uint32_t modes[] = { 0, IH_OPT_COLOR_KEEP };

	for (size_t m = 0; m < 2; m++) {
		struct ih_image img, ref;
		struct ih_color_report rep = { 0 };
		int r;

		make_image(&img, ch, 8, is_cmyk, 13);
		copy_image(&ref, &img);
		set_icc(&img, icc, n);
		r = apply(&img, modes[m], mem, &rep);
		if (is_cmyk) /* the formula then makes it RGB */
			r = r == 0 && img.channels == 3 ? 0 : -1;
		else if (r == 0 && memcmp(img.pixels, ref.pixels, img.len))
			r = -1;
		tap_ok(r == 0 && rep.action == IH_COLOR_REFUSED && !img.icc && !img.icc_len &&
			       rep.note[0] && strstr(rep.note, want),
		       "%s (%s): refused, pixels untouched, note '%s'", name, m ? "keep" : "srgb",
		       rep.note);
		ih_image_free(&img);
		ih_image_free(&ref);
	}
}

/* The unharmed profile converts: each hostile test's control. */
static void check_control(const char *name, uint32_t ch, bool is_cmyk, const struct blob *icc)
{
	struct ih_image img;
	struct ih_color_report rep;

	make_image(&img, ch, 8, is_cmyk, 13);
	set_icc(&img, icc->p, icc->n);
	tap_ok(apply(&img, 0, MEM, &rep) == 0 && rep.action == IH_COLOR_CONVERTED,
	       "%s control: the unharmed profile converts", name);
	ih_image_free(&img);
}

/* The index in the tag table of sig, or -1. */
static long tag_index(const struct blob *icc, uint32_t sig)
{
	uint32_t n =
		(uint32_t)icc->p[128] << 24 | icc->p[129] << 16 | icc->p[130] << 8 | icc->p[131];

	for (uint32_t i = 0; i < n && 132 + 12 * (size_t)i + 12 <= icc->n; i++) {
		const uint8_t *e = icc->p + 132 + 12 * i;

		if (((uint32_t)e[0] << 24 | e[1] << 16 | e[2] << 8 | e[3]) == sig)
			return i;
	}
	return -1;
}

/* Any one tag pointing out of bounds: the pixels are converted or left whole, never hurt. */
static void test_every_bad_tag(void)
{
	uint32_t n = (uint32_t)p3.p[128] << 24 | p3.p[129] << 16 | p3.p[130] << 8 | p3.p[131];
	uint8_t *b = malloc(p3.n);
	int bad = 0, refused = 0;

	for (uint32_t i = 0; i < n; i++) {
		for (int field = 4; field <= 8; field += 4) {
			struct ih_image img, ref;
			struct ih_color_report rep;

			memcpy(b, p3.p, p3.n);
			put32(b + 132 + 12 * i + field, field == 4 ? 0xfffffff0u : 0x7fffffffu);
			make_image(&img, 3, 8, false, 17);
			copy_image(&ref, &img);
			set_icc(&img, b, p3.n);
			if (apply(&img, 0, MEM, &rep) < 0 ||
			    (rep.action == IH_COLOR_REFUSED &&
			     memcmp(img.pixels, ref.pixels, img.len)) ||
			    (rep.action != IH_COLOR_REFUSED && rep.action != IH_COLOR_CONVERTED))
				bad++;
			refused += rep.action == IH_COLOR_REFUSED;
			ih_image_free(&img);
			ih_image_free(&ref);
		}
	}
	tap_ok(bad == 0,
	       "bad_tag_each: each of %u tags with its offset or size out of bounds: "
	       "converted or refused whole (%d refused), never a crash",
	       n, refused);
	free(b);
}

static void test_hostile_structure(void)
{
	static const uint32_t needed[] = { cmsSigRedColorantTag, cmsSigGreenTRCTag };
	uint8_t *b = malloc(p3.n);

	check_control("hostile profiles", 3, false, &p3);
	for (size_t t = 0; t < 2; t++) {
		long i = tag_index(&p3, needed[t]);

		memcpy(b, p3.p, p3.n);
		if (i >= 0)
			put32(b + 132 + 12 * i + 4, 0xfffffff0u);
		check_refused(t ? "bad_tag_offsets (gTRC)" : "bad_tag_offsets (rXYZ)", 3, false, b,
			      p3.n, MEM, "");
	}
	test_every_bad_tag();
	check_refused("truncated_profile", 3, false, p3.p, p3.n / 2, MEM, "truncated");
	memcpy(b, p3.p, p3.n);
	put32(b, (uint32_t)(p3.n / 2)); /* truncated, and lying about its size to match */
	check_refused("truncated_profile_size_patched", 3, false, b, p3.n / 2, MEM, "");
	check_refused("truncated_to_header", 3, false, p3.p, 100, MEM, "shorter than its header");
	memcpy(b, p3.p, p3.n);
	put32(b + 128, 0xffffffffu);
	check_refused("absurd_tag_count", 3, false, b, p3.n, MEM, "lcms2");
	put32(b + 128, 101);
	check_refused("tag_count_101", 3, false, b, p3.n, MEM, "lcms2");
	memset(b + 4, 0xa5, p3.n - 4);
	check_refused("garbage_after_size", 3, false, b, p3.n, MEM, "");
	free(b);
}

static void test_hostile_fit(void)
{
	check_control("wrong colour space", 4, true, &cmyk);
	check_refused("cmyk_profile_on_rgb", 3, false, cmyk.p, cmyk.n, MEM,
		      "profile is CMYK, pixels are RGB");
	check_refused("grey_profile_on_rgb", 3, false, grey18.p, grey18.n, MEM,
		      "profile is grey, pixels are RGB");
	check_refused("rgb_profile_on_grey", 1, false, p3.p, p3.n, MEM,
		      "profile is RGB, pixels are grey");
	check_refused("rgb_profile_on_cmyk", 4, true, p3.p, p3.n, MEM,
		      "profile is RGB, pixels are CMYK");
	check_refused("device_link_refused", 3, false, link_prof.p, link_prof.n, MEM,
		      "device link");
}

static void test_hostile_size(void)
{
	size_t big = 4u << 20 | 1;
	uint8_t *b = calloc(1, big);

	memcpy(b, p3.p, p3.n);
	put32(b, (uint32_t)big);
	check_refused("oversized_profile", 3, false, b, big, MEM, "over the limit");
	free(b);
	check_refused("memory_limit_too_small", 3, false, p3.p, p3.n, 16384, "");
	check_control("memory limit", 3, false, &p3);
}

/* The description is printable ASCII, cut to IH_DESC_MAX - 1. */
static void test_description(void)
{
	static const wchar_t hostile[] = L"Evil\x1b[31m\u00e9 profile name that goes on and on "
					 L"well past sixty-four characters of description";
	struct blob b;
	struct ih_image img;
	struct ih_color_report rep;
	bool printable = true;

	if (profile_p3_described(hostile, &b.p, &b.n) < 0) {
		tap_ok(0, "desc_sanitised: profile made");
		return;
	}
	make_image(&img, 3, 8, false, 19);
	set_icc(&img, b.p, b.n);
	apply(&img, 0, MEM, &rep);
	for (size_t i = 0; rep.desc[i]; i++)
		printable &= rep.desc[i] >= 0x20 && rep.desc[i] <= 0x7e;
	tap_ok(rep.action == IH_COLOR_CONVERTED && printable &&
		       strlen(rep.desc) == IH_DESC_MAX - 1 && !strncmp(rep.desc, "Evil?[31m", 9),
	       "desc_sanitised: '%s'", rep.desc);
	ih_image_free(&img);
	free(b.p);
}

static void test_bad_calls(void)
{
	struct ih_image img;
	struct ih_color_report rep;
	char reason[IH_REASON_MAX];

	make_image(&img, 3, 8, false, 23);
	tap_ok(ih_color_apply(&img, IH_OPT_COLOR_KEEP | IH_OPT_COLOR_IGNORE, MEM, &rep, reason) ==
			       -EINVAL &&
		       reason[0],
	       "keep_and_ignore_rejected: %s", reason);
	img.len--;
	tap_ok(ih_color_apply(&img, 0, MEM, &rep, reason) == -EINVAL, "bad_geometry_rejected: %s",
	       reason);
	img.len++;
	img.depth = 12;
	tap_ok(ih_color_apply(&img, 0, MEM, &rep, reason) == -EINVAL, "bad_depth_rejected: %s",
	       reason);
	ih_image_free(&img);
}

/* Fuzzer seeds: one byte of layout and mode (tests/color/fuzz_icc.c), then a profile. */
static int write_seeds(const char *dir)
{
	static const struct {
		const char *name;
		uint8_t head;
		const struct blob *icc;
	} seeds[] = {
		{ "p3-rgb8", 2, &p3 },
		{ "p3-rgba16-keep", 0x1b, &p3 },
		{ "adobe-rgb16", 0x0a, &adobe },
		{ "grey18-grey8", 0, &grey18 },
		{ "grey18-ga16", 0x09, &grey18 },
		{ "cmyk-cmyk8", 4, &cmyk },
		{ "cmyk-cmyk16", 0x0c, &cmyk },
		{ "link-rgb8", 2, &link_prof },
		{ "p3-grey8", 0, &p3 },
	};

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char path[4096];
		size_t n = seeds[i].icc->n + 1;
		uint8_t *b = malloc(n);
		int r;

		b[0] = seeds[i].head;
		memcpy(b + 1, seeds[i].icc->p, n - 1);
		snprintf(path, sizeof(path), "%s/%s", dir, seeds[i].name);
		r = write_file(path, b, n);
		free(b);
		if (r < 0)
			return 1;
	}
	return 0;
}

static int make_profiles(void)
{
	return profile_display_p3(&p3.p, &p3.n) | profile_adobe_rgb(&adobe.p, &adobe.n) |
	       profile_grey18(&grey18.p, &grey18.n) |
	       profile_grey_srgb(&grey_srgb.p, &grey_srgb.n) | profile_cmyk(&cmyk.p, &cmyk.n) |
	       profile_link(&link_prof.p, &link_prof.n);
}

int main(int argc, char **argv)
{
	TIFFSetWarningHandler(NULL);
	if (make_profiles() < 0) {
		fprintf(stderr, "test_color: cannot make the test profiles\n");
		return 1;
	}
	if (argc == 3 && !strcmp(argv[1], "--seeds"))
		return write_seeds(argv[2]);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ih-color.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		tap_ok(0, "temporary directory");
		return tap_done();
	}
	test_tificc();
	test_transicc();
	check_alpha("alpha_rgba8_passes_through", 4, 8, &p3);
	check_alpha("alpha_ga16_passes_through", 2, 16, &grey18);
	test_cmyk_formula();
	test_ignore_and_none();
	test_keep();
	test_hostile_structure();
	test_hostile_fit();
	test_hostile_size();
	test_description();
	test_bad_calls();
	run_tool((char *[]){ "rm", "-rf", tmpdir, NULL }, NULL, NULL);
	return tap_done();
}
