/*
 * AVIF through libavif with dav1d: the primary image (grids composed by libavif) or the
 * first frame of a sequence (avis) and the frame count, alpha, 8-bit or 10/12-bit (given
 * as 16-bit by libavif's own scaling, as avifdec writes it), the ICC profile. The boxes are walked
 * and judged first (guest/decode/isobmff.h); libavif then decodes single-threaded (maxThreads 1:
 * dav1d starts no thread) under our size and frame limits. libavif has no allocator hook: what it
 * and dav1d will hold is charged to the budget first, and the sandbox's memory rlimit backs that.
 *
 * Orientation: libavif leaves irot and imir to its caller; their turn (as the EXIF
 * orientation that names it) goes to the orientation step like an EXIF tag's would.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avif/avif.h>

#include "anim.h"
#include "avif_warmup.h"
#include "cicp.h"
#include "isobmff.h"

/*
 * dav1d reports what is wrong with a stream with fprintf(stderr), which the sandboxed
 * child may not write to (its filter kills the write): while libavif decodes, stderr is a
 * stream in memory, and its first line goes into the reason.
 */
struct avif_log {
	FILE *saved, *mem;
	char text[96];
};

static void avif_log_start(struct avif_log *l)
{
	memset(l, 0, sizeof(*l));
	l->mem = fmemopen(l->text, sizeof(l->text) - 1, "w");
	if (l->mem) {
		setvbuf(l->mem, NULL, _IONBF, 0);
		l->saved = stderr;
		stderr = l->mem;
	}
}

static void avif_log_end(struct avif_log *l)
{
	if (!l->mem)
		return;
	stderr = l->saved;
	fclose(l->mem);
	l->text[strcspn(l->text, "\n")] = '\0';
}

static int avif_fail(avifResult res, const char *what, char *reason)
{
	ih_reason_set(reason, "invalid AVIF (libavif): %s: %s", what, avifResultToString(res));
	return res == AVIF_RESULT_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
}

static avifDecoder *avif_decoder(const struct ih_limits *lim, const uint8_t *in, size_t len)
{
	avifDecoder *d = avifDecoderCreate();

	if (!d)
		return NULL;
	d->maxThreads = 1;
	d->codecChoice = AVIF_CODEC_CHOICE_DAV1D;
	d->imageSizeLimit = lim->max_pixels > UINT32_MAX ? UINT32_MAX : (uint32_t)lim->max_pixels;
	d->imageCountLimit = (uint32_t)ih_format_limits.max_frames;
	d->ignoreXMP = AVIF_TRUE;
	d->ignoreExif = AVIF_TRUE;
	if (avifDecoderSetIOMemory(d, in, len) != AVIF_RESULT_OK) {
		avifDecoderDestroy(d);
		return NULL;
	}
	return d;
}

/* libavif's 16-bit samples are in host order; ours are big-endian. */
static void avif_swap16(uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2) {
		uint16_t v;

		memcpy(&v, p + i, 2);
		p[i] = (uint8_t)(v >> 8);
		p[i + 1] = (uint8_t)v;
	}
}

/* A monochrome (4:0:0) image converted as RGB: each pixel's R (= G = B) kept, and alpha. */
static void avif_grey(uint8_t *p, size_t pixels, uint32_t ch, uint32_t bytes)
{
	for (size_t i = 0; i < pixels; i++) {
		memmove(p + i * (ch - 2) * bytes, p + i * ch * bytes, bytes);
		if (ch == 4)
			memmove(p + (i * 2 + 1) * bytes, p + (i * 4 + 3) * bytes, bytes);
	}
}

static int avif_pixels(avifDecoder *d, struct ih_budget *b, const struct ih_pixel_dest *dest,
		       struct ih_image *img, char *reason)
{
	const avifImage *im = d->image;
	bool alpha = im->alphaPlane != NULL, grey = im->yuvFormat == AVIF_PIXEL_FORMAT_YUV400;
	uint32_t ch = alpha ? 4 : 3, bytes = im->depth > 8 ? 2 : 1;
	size_t row = (size_t)im->width * ch * bytes, n = row * im->height;
	avifRGBImage rgb;
	avifResult res;
	uint8_t *out;

	if (ih_budget_charge(b, n) < 0 || !(out = ih_pixels_alloc(dest, n))) {
		ih_reason_set(reason, "%u x %u image is over the memory limit", im->width,
			      im->height);
		return -ENOMEM;
	}
	avifRGBImageSetDefaults(&rgb, im);
	rgb.format = alpha ? AVIF_RGB_FORMAT_RGBA : AVIF_RGB_FORMAT_RGB;
	rgb.depth = bytes * 8;
	rgb.pixels = out;
	rgb.rowBytes = (uint32_t)row;
	res = avifImageYUVToRGB(im, &rgb);
	if (res != AVIF_RESULT_OK) {
		if (!dest)
			free(out);
		return avif_fail(res, "colour conversion", reason);
	}
	if (bytes == 2)
		avif_swap16(out, n);
	if (grey) {
		avif_grey(out, (size_t)im->width * im->height, ch, bytes);
		n = n / ch * (ch - 2);
		ch -= 2;
	}
	*img = (struct ih_image){ .width = im->width,
				  .height = im->height,
				  .channels = ch,
				  .depth = bytes * 8,
				  .pixels = out,
				  .len = n,
				  .owned = !dest,
				  .src_depth = im->depth,
				  .src_model = grey ? (alpha ? IH_MODEL_GREY_ALPHA : IH_MODEL_GREY)
						    : (alpha ? IH_MODEL_RGBA : IH_MODEL_RGB) };
	return 0;
}

/* The ICC profile, else one made for the CICP colour space, unless the request drops it. */
static int avif_icc(const avifImage *im, uint32_t flags, struct ih_image *img, char *reason)
{
	int r = 0;

	if (flags & IH_OPT_COLOR_IGNORE)
		return 0;
	if (im->icc.size)
		r = ih_meta_copy_icc(im->icc.data, im->icc.size, &img->icc, &img->icc_len);
	else
		r = ih_cicp_profile((uint16_t)im->colorPrimaries,
				    (uint16_t)im->transferCharacteristics, img);
	if (r < 0)
		ih_reason_set(reason, "out of memory copying the AVIF colour profile");
	return r;
}

/* The container's irot/imir say the orientation (decode.c applies it); an EXIF tag in an
 * AVIF file is informational only, so libavif's EXIF block is not read. */
static void avif_orient(const struct ih_bmff_info *info, struct ih_image *img)
{
	img->orient_container = true;
	img->orientation = info->orientation;
	if (info->transforms)
		ih_note_set(img->orient_note, "AVIF irot/imir (as EXIF %u)", info->orientation);
}

static int avif_run(avifDecoder *d, const struct ih_limits *lim, const struct ih_decode_opts *opts,
		    struct ih_budget *b, const struct ih_pixel_dest *dest, struct ih_image *img,
		    char *reason)
{
	avifResult res = avifDecoderParse(d);
	struct avif_log log;
	int r;

	if (res != AVIF_RESULT_OK)
		return avif_fail(res, "file structure", reason);
	r = ih_anim_frame_exists(opts->frame, (uint64_t)d->imageCount, "AVIF", reason);
	if (r == 0)
		r = ih_library_charge(lim, b, "AVIF", d->image->width, d->image->height, reason);
	if (r < 0)
		return r;
	avif_log_start(&log);
	res = avifDecoderNthImage(d, opts->frame);
	avif_log_end(&log);
	if (res != AVIF_RESULT_OK) {
		r = avif_fail(res, "image", reason);
		if (log.text[0])
			ih_reason_set(reason, "invalid AVIF (libavif): %s: dav1d: %s",
				      avifResultToString(res), log.text);
		return r;
	}
	r = ih_library_charge(lim, b, "AVIF", d->image->width, d->image->height, reason);
	if (r == 0 && (d->image->depth < 8 || d->image->depth > 16)) {
		ih_reason_set(reason, "unsupported AVIF: %u bits per sample", d->image->depth);
		r = -EINVAL;
	}
	if (r == 0)
		r = avif_pixels(d, b, dest, img, reason);
	if (r == 0)
		r = avif_icc(d->image, opts->flags, img, reason);
	img->frames = (uint32_t)d->imageCount;
	return r;
}

static int decode_avif(const struct ih_limits *lim, const struct ih_decode_opts *opts,
		       const uint8_t *in, size_t len, const struct ih_pixel_dest *dest,
		       struct ih_image *ret, char reason[IH_REASON_MAX])
{
	struct ih_budget budget = { .max = lim->max_memory_bytes };
	struct ih_bmff_info info;
	struct ih_image img = { 0 };
	avifDecoder *d;
	int r;

	r = ih_bmff_scan(in, len, IH_BMFF_AVIF, lim, &budget, &info, reason);
	if (r < 0)
		return r;
	d = avif_decoder(lim, in, len);
	if (!d) {
		ih_reason_set(reason, "out of memory starting libavif");
		return -ENOMEM;
	}
	r = avif_run(d, lim, opts, &budget, dest, &img, reason);
	avifDecoderDestroy(d);
	if (r < 0) {
		ih_image_free(&img);
		return r;
	}
	avif_orient(&info, &img);
	*ret = img;
	return 0;
}

/* One decode of a tiny AVIF here, so the libraries' first-use set-up is done before any
 * child: it would make system calls (futex) that the child's filter kills. */
static void avif_prepare(void)
{
	static bool done;
	avifDecoder *d;
	avifRGBImage rgb;

	if (done)
		return;
	done = true;
	d = avifDecoderCreate();
	if (!d)
		return;
	d->maxThreads = 1;
	d->codecChoice = AVIF_CODEC_CHOICE_DAV1D;
	if (avifDecoderSetIOMemory(d, ih_avif_warmup, ih_avif_warmup_len) == AVIF_RESULT_OK &&
	    avifDecoderParse(d) == AVIF_RESULT_OK && avifDecoderNextImage(d) == AVIF_RESULT_OK) {
		avifRGBImageSetDefaults(&rgb, d->image);
		avifRGBImageAllocatePixels(&rgb);
		avifImageYUVToRGB(d->image, &rgb);
		avifRGBImageFreePixels(&rgb);
	}
	avifDecoderDestroy(d);
}

const struct ih_decoder ih_decoder_avif = {
	.name = "avif",
	.decode = decode_avif,
	.prepare = avif_prepare,
	.lazy = true,
};
