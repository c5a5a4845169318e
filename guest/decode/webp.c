/*
 * WebP (lossy, lossless, with alpha, animated) through libwebp under the request's limits
 * and the per-format ones (guest/decode/format_limits.h). libwebp has no allocator hook,
 * so before it sees a byte the RIFF chunk list is walked here: every chunk length bounded
 * by the input, chunks and frames counted, metadata chunks size-checked, the VP8X canvas
 * bounded; then the canvas and every frame are checked against max_pixels, and what libwebp
 * will allocate is charged to the budget before it runs.
 *
 * A still image decodes straight into the output (RGB, or RGBA when it has alpha). An
 * animation goes through libwebp's WebPAnimDecoder, which composes frames (blending,
 * disposal, canvas) itself, single-threaded; frames up to the one asked for are composed.
 * The EXIF and ICCP chunks are copied out.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>

#include "anim.h"

/* What the chunk walk found. */
struct webp_scan {
	uint32_t canvas_w, canvas_h; /* from VP8X; 0 without one */
	uint64_t frames; /* ANMF chunks */
	const uint8_t *exif, *icc;
	size_t exif_len, icc_len;
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t le24(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}

static bool is_image_chunk(const uint8_t *t)
{
	return !memcmp(t, "VP8 ", 4) || !memcmp(t, "VP8L", 4) || !memcmp(t, "ALPH", 4) ||
	       !memcmp(t, "ANMF", 4) || !memcmp(t, "ANIM", 4) || !memcmp(t, "VP8X", 4);
}

static int webp_vp8x(const uint8_t *c, uint32_t n, struct webp_scan *s, char *reason)
{
	if (n < 10 || s->canvas_w) {
		ih_reason_set(reason, "invalid WebP: VP8X chunk of %u bytes", n);
		return -EINVAL;
	}
	s->canvas_w = le24(c + 4) + 1;
	s->canvas_h = le24(c + 7) + 1;
	if (s->canvas_w > ih_format_limits.webp_max_side ||
	    s->canvas_h > ih_format_limits.webp_max_side) {
		ih_reason_set(reason,
			      "WebP canvas of %u x %u is over the side limit of %llu "
			      "(webp_max_side)",
			      s->canvas_w, s->canvas_h,
			      (unsigned long long)ih_format_limits.webp_max_side);
		return -E2BIG;
	}
	return 0;
}

/* One chunk: c points at its header, n is its payload length (within the input). */
static int webp_chunk(const uint8_t *c, uint32_t n, struct webp_scan *s, char *reason)
{
	const uint8_t *d = c + 8;

	if (!memcmp(c, "VP8X", 4))
		return webp_vp8x(d, n, s, reason);
	if (!memcmp(c, "ANMF", 4))
		return ih_anim_frames_check(++s->frames, "WebP", reason);
	if (is_image_chunk(c))
		return 0;
	if (n > ih_format_limits.webp_max_chunk_bytes) {
		ih_reason_set(reason,
			      "WebP chunk %.4s of %u bytes is over the limit of %llu "
			      "(webp_max_chunk_bytes)",
			      (const char *)c, n,
			      (unsigned long long)ih_format_limits.webp_max_chunk_bytes);
		return -E2BIG;
	}
	if (!memcmp(c, "EXIF", 4) && !s->exif) {
		s->exif = d;
		s->exif_len = n;
	} else if (!memcmp(c, "ICCP", 4) && !s->icc) {
		s->icc = d;
		s->icc_len = n;
	}
	return 0;
}

/* The RIFF container: its size within the input, then every chunk. */
static int webp_scan_chunks(const uint8_t *in, size_t len, struct webp_scan *s, char *reason)
{
	size_t end, pos = 12;
	uint64_t chunks = 0;

	if (len < 12 || (uint64_t)le32(in + 4) + 8 > len || le32(in + 4) < 4) {
		ih_reason_set(reason, "truncated WebP (RIFF size %u, file %zu bytes)",
			      len >= 8 ? le32(in + 4) : 0, len);
		return -EINVAL;
	}
	end = (size_t)le32(in + 4) + 8;
	while (pos < end) {
		uint32_t n;
		int r;

		if (end - pos < 8 || (n = le32(in + pos + 4)) > end - pos - 8) {
			ih_reason_set(reason, "truncated WebP (chunk at byte %zu)", pos);
			return -EINVAL;
		}
		if (memcmp(in + pos, "ANMF", 4) && ++chunks > ih_format_limits.webp_max_chunks) {
			ih_reason_set(reason, "WebP has more than %llu chunks (webp_max_chunks)",
				      (unsigned long long)ih_format_limits.webp_max_chunks);
			return -E2BIG;
		}
		r = webp_chunk(in + pos, n, s, reason);
		if (r < 0)
			return r;
		pos += 8 + (size_t)n + (n & 1);
	}
	return 0;
}

static const char *vp8_status_name(VP8StatusCode st)
{
	switch (st) {
	case VP8_STATUS_OUT_OF_MEMORY:
		return "out of memory";
	case VP8_STATUS_INVALID_PARAM:
		return "invalid parameter";
	case VP8_STATUS_BITSTREAM_ERROR:
		return "bitstream error";
	case VP8_STATUS_UNSUPPORTED_FEATURE:
		return "unsupported feature";
	case VP8_STATUS_NOT_ENOUGH_DATA:
		return "not enough data (truncated)";
	default:
		return "decoding failed";
	}
}

static int webp_check_size(const struct ih_limits *lim, uint64_t w, uint64_t h, char *reason)
{
	if (w * h > lim->max_pixels) {
		ih_reason_set(reason, "%llu x %llu pixels is over the limit of %llu",
			      (unsigned long long)w, (unsigned long long)h,
			      (unsigned long long)lim->max_pixels);
		return -E2BIG;
	}
	return 0;
}

/* libwebp's own buffers for a w x h frame (a lossless frame keeps 4 bytes a pixel). */
static int webp_charge_library(struct ih_budget *b, uint64_t w, uint64_t h, uint64_t canvases,
			       char *reason)
{
	uint64_t need = w * h * 4 * (1 + canvases);

	if (need > SIZE_MAX || ih_budget_charge(b, (size_t)need) < 0) {
		ih_reason_set(reason, "%llu x %llu WebP is over the memory limit",
			      (unsigned long long)w, (unsigned long long)h);
		return -ENOMEM;
	}
	return 0;
}

static int webp_still(const uint8_t *in, size_t len, const WebPBitstreamFeatures *f,
		      struct ih_budget *b, const struct ih_pixel_dest *dest, struct ih_image *img,
		      char *reason)
{
	uint32_t ch = f->has_alpha ? 4 : 3;
	size_t n = (size_t)f->width * (size_t)f->height * ch;
	WebPDecoderConfig config;
	VP8StatusCode st;
	uint8_t *out;

	if (webp_charge_library(b, (uint64_t)f->width, (uint64_t)f->height, 0, reason) < 0)
		return -ENOMEM;
	if (ih_budget_charge(b, n) < 0 || !(out = ih_pixels_alloc(dest, n))) {
		ih_reason_set(reason, "%d x %d image is over the memory limit", f->width,
			      f->height);
		return -ENOMEM;
	}
	if (!WebPInitDecoderConfig(&config)) {
		if (!dest)
			free(out);
		ih_reason_set(reason, "libwebp version mismatch");
		return -EINVAL;
	}
	config.output.colorspace = ch == 4 ? MODE_RGBA : MODE_RGB;
	config.output.is_external_memory = 1;
	config.output.u.RGBA = (WebPRGBABuffer){ out, f->width * (int)ch, n };
	config.options.use_threads = 0;
	st = WebPDecode(in, len, &config);
	WebPFreeDecBuffer(&config.output);
	if (st != VP8_STATUS_OK) {
		if (!dest)
			free(out);
		ih_reason_set(reason, "invalid WebP: %s (libwebp)", vp8_status_name(st));
		return st == VP8_STATUS_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
	}
	*img = (struct ih_image){ .width = (uint32_t)f->width,
				  .height = (uint32_t)f->height,
				  .channels = ch,
				  .depth = 8,
				  .pixels = out,
				  .len = n,
				  .owned = !dest };
	return 0;
}

/* Frames 0..want's areas against max_anim_pixels and max_pixels, through the demuxer. */
static int webp_frames_check(const struct ih_limits *lim, WebPDemuxer *dmx, uint32_t want,
			     char *reason)
{
	uint64_t composed = 0;
	WebPIterator it;
	int r = 0;

	if (!WebPDemuxGetFrame(dmx, 1, &it)) {
		ih_reason_set(reason, "invalid WebP: no frame");
		return -EINVAL;
	}
	do {
		r = webp_check_size(lim, (uint64_t)it.width, (uint64_t)it.height, reason);
		if (r == 0)
			r = ih_anim_compose_charge(&composed, (uint64_t)it.width * it.height,
						   reason);
	} while (r == 0 && (uint32_t)it.frame_num <= want && WebPDemuxNextFrame(&it));
	WebPDemuxReleaseIterator(&it);
	return r;
}

static int webp_anim_compose(WebPAnimDecoder *dec, uint32_t want, uint8_t **ret, char *reason)
{
	int ts;

	for (uint32_t i = 0; i <= want; i++) {
		if (!WebPAnimDecoderGetNext(dec, ret, &ts)) {
			ih_reason_set(reason, "invalid WebP: frame %u does not decode (libwebp)",
				      i);
			return -EINVAL;
		}
	}
	return 0;
}

static int webp_anim(const uint8_t *in, size_t len, const struct ih_limits *lim,
		     const struct ih_decode_opts *opts, struct ih_budget *b,
		     const struct ih_pixel_dest *dest, struct ih_image *img, char *reason)
{
	WebPData data = { in, len };
	WebPAnimDecoderOptions o;
	WebPAnimDecoder *dec = NULL;
	WebPAnimInfo info;
	uint8_t *canvas;
	int r = -EINVAL;

	if (!WebPAnimDecoderOptionsInit(&o))
		return -EINVAL;
	o.color_mode = MODE_RGBA;
	o.use_threads = 0;
	dec = WebPAnimDecoderNew(&data, &o);
	if (!dec || !WebPAnimDecoderGetInfo(dec, &info)) {
		ih_reason_set(reason, "invalid WebP: animation does not parse (libwebp)");
		goto out;
	}
	r = ih_anim_frame_exists(opts->frame, info.frame_count, "WebP", reason);
	if (r == 0)
		r = webp_check_size(lim, info.canvas_width, info.canvas_height, reason);
	if (r == 0)
		r = webp_frames_check(lim, (WebPDemuxer *)WebPAnimDecoderGetDemuxer(dec),
				      opts->frame, reason);
	if (r == 0)
		r = webp_charge_library(b, info.canvas_width, info.canvas_height, 2, reason);
	if (r == 0)
		r = webp_anim_compose(dec, opts->frame, &canvas, reason);
	if (r == 0)
		r = ih_canvas_emit(b, dest, canvas, info.canvas_width, info.canvas_height, img,
				   reason);
	if (r == 0)
		img->frames = info.frame_count;
out:
	WebPAnimDecoderDelete(dec);
	return r;
}

/* EXIF, and the ICC profile unless the request drops it. */
static int webp_meta(const struct webp_scan *s, uint32_t flags, struct ih_image *img, char *reason)
{
	if ((s->exif && ih_meta_copy_exif(s->exif, s->exif_len, &img->exif, &img->exif_len) < 0) ||
	    (s->icc && !(flags & IH_OPT_COLOR_IGNORE) &&
	     ih_meta_copy_icc(s->icc, s->icc_len, &img->icc, &img->icc_len) < 0)) {
		ih_reason_set(reason, "out of memory copying WebP metadata");
		return -ENOMEM;
	}
	return 0;
}

static int decode_webp(const struct ih_limits *lim, const struct ih_decode_opts *opts,
		       const uint8_t *in, size_t len, const struct ih_pixel_dest *dest,
		       struct ih_image *ret, char reason[IH_REASON_MAX])
{
	struct ih_budget budget = { .max = lim->max_memory_bytes };
	struct webp_scan scan = { 0 };
	WebPBitstreamFeatures f;
	struct ih_image img = { 0 };
	VP8StatusCode st;
	int r;

	r = webp_scan_chunks(in, len, &scan, reason);
	if (r < 0)
		return r;
	st = WebPGetFeatures(in, len, &f);
	if (st != VP8_STATUS_OK) {
		ih_reason_set(reason, "invalid WebP: %s (libwebp)", vp8_status_name(st));
		return -EINVAL;
	}
	r = webp_check_size(lim, (uint64_t)f.width, (uint64_t)f.height, reason);
	if (r == 0 && f.has_animation) {
		r = webp_anim(in, len, lim, opts, &budget, dest, &img, reason);
	} else if (r == 0) {
		r = ih_anim_frame_exists(opts->frame, 1, "WebP", reason);
		if (r == 0)
			r = webp_still(in, len, &f, &budget, dest, &img, reason);
		img.frames = 1;
	}
	if (r == 0)
		r = webp_meta(&scan, opts->flags, &img, reason);
	if (r < 0) {
		ih_image_free(&img);
		return r;
	}
	img.src_depth = 8;
	img.src_model = f.has_alpha ? IH_MODEL_RGBA : IH_MODEL_RGB;
	*ret = img;
	return 0;
}

const struct ih_decoder ih_decoder_webp = {
	.name = "webp",
	.decode = decode_webp,
	.prepare = NULL,
};
