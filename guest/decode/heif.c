/*
 * HEIF/HEIC through libheif: the primary image (grids and overlays composed by libheif),
 * its alpha, 8-bit or 10/12-bit (given as 16-bit), its ICC profile. Before libheif reads a
 * byte the boxes are walked and judged (guest/decode/isobmff.h); libheif then works under
 * our limits: no decoding threads, its image size limit set from ours, HEVC decoded by the
 * single-threaded plugin (guest/decode/hevc_plugin.h), whose SPS check refuses pictures
 * over the pixel limit. libheif has no allocator hook: what it will allocate is charged to
 * the budget before it decodes, and the sandbox's memory rlimit backs that.
 *
 * Orientation: HEIF says it with transformative properties (irot, imir, clap), which
 * libheif applies (--orient=keep: it leaves them, and the pixels stay as stored); an EXIF
 * orientation tag in a HEIF file is informational only and is not applied again.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libheif/heif.h>

#include "anim.h"
#include "cicp.h"
#include "format_limits.h"
#include "hevc_plugin.h"
#include "isobmff.h"

/* libheif's image size limit (an int) from ours: its checks then agree with the walk's. */
static int heif_side_limit(void)
{
	uint64_t side = ih_format_limits.bmff_max_side;

	return side > INT_MAX ? INT_MAX : (int)side;
}

/* libheif's set-up (its built-in plugins, ours registered over them): once, in the parent. */
static void heif_prepare(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	heif_init(NULL);
	ih_hevc_plugin_register();
}

static int heif_fail(struct heif_error e, const char *what, char *reason)
{
	const char *m = e.message ? e.message : "";

	/* libheif puts its own words first: the decoder plugin's are what matter */
	if (e.code == heif_error_Decoder_plugin_error && strrchr(m, ':'))
		m = strrchr(m, ':') + 1 + (strrchr(m, ':')[1] == ' ');
	ih_reason_set(reason, "invalid HEIF (libheif): %s: %s", what, m);
	return e.code == heif_error_Memory_allocation_error ? -ENOMEM : -EINVAL;
}

/* Copies libheif's interleaved plane into the output, scaling samples of bits > 8 (held in
 * 16 bits, big-endian) to the full 16-bit range by bit replication. */
static void heif_copy(const uint8_t *src, int stride, uint8_t *dst, size_t row, uint32_t h,
		      int bits)
{
	for (uint32_t y = 0; y < h; y++) {
		const uint8_t *s = src + (size_t)y * (size_t)stride;
		uint8_t *d = dst + (size_t)y * row;

		if (bits <= 8) {
			memcpy(d, s, row);
			continue;
		}
		for (size_t i = 0; i < row; i += 2) {
			uint32_t v = (uint32_t)s[i] << 8 | s[i + 1];

			v = (v << (16 - bits) | v >> (2 * bits - 16)) & 0xffff;
			d[i] = (uint8_t)(v >> 8);
			d[i + 1] = (uint8_t)v;
		}
	}
}

static int heif_pixels(struct heif_image *him, int bits, bool alpha, struct ih_budget *b,
		       const struct ih_pixel_dest *dest, struct ih_image *img, char *reason)
{
	uint32_t ch = alpha ? 4 : 3, bytes = bits > 8 ? 2 : 1;
	uint32_t w = (uint32_t)heif_image_get_width(him, heif_channel_interleaved);
	uint32_t h = (uint32_t)heif_image_get_height(him, heif_channel_interleaved);
	size_t row = (size_t)w * ch * bytes, n = row * h;
	int stride;
	const uint8_t *src = heif_image_get_plane_readonly(him, heif_channel_interleaved, &stride);
	uint8_t *out;

	if (!src || w == 0 || h == 0 || (size_t)stride < row) {
		ih_reason_set(reason, "invalid HEIF: libheif gave no usable image");
		return -EINVAL;
	}
	if (ih_budget_charge(b, n) < 0 || !(out = ih_pixels_alloc(dest, n))) {
		ih_reason_set(reason, "%u x %u image is over the memory limit", w, h);
		return -ENOMEM;
	}
	heif_copy(src, stride, out, row, h, bits);
	*img = (struct ih_image){ .width = w,
				  .height = h,
				  .channels = ch,
				  .depth = bytes * 8,
				  .pixels = out,
				  .len = n,
				  .owned = !dest,
				  .frames = 1,
				  .src_depth = (uint32_t)bits,
				  .src_model = alpha ? IH_MODEL_RGBA : IH_MODEL_RGB };
	return 0;
}

/* The colour space the file states by code points (colr nclx, else the HEVC stream's):
 * a profile made for it when it is not sRGB (guest/decode/cicp.h). */
static int heif_nclx(const struct heif_image_handle *h, const struct heif_image *him,
		     struct ih_image *img, char *reason)
{
	struct heif_color_profile_nclx *nclx = NULL;
	int r = 0;

	if (heif_image_handle_get_nclx_color_profile(h, &nclx).code != heif_error_Ok)
		heif_image_get_nclx_color_profile(him, &nclx);
	if (nclx)
		r = ih_cicp_profile((uint16_t)nclx->color_primaries,
				    (uint16_t)nclx->transfer_characteristics, img);
	heif_nclx_color_profile_free(nclx);
	if (r < 0)
		ih_reason_set(reason, "out of memory making the HEIF colour profile");
	return r;
}

/* The ICC profile (colr prof/rICC), else the nclx colour space, unless the request drops
 * it. */
static int heif_icc(const struct heif_image_handle *h, const struct heif_image *him, uint32_t flags,
		    struct ih_image *img, char *reason)
{
	enum heif_color_profile_type t = heif_image_handle_get_color_profile_type(h);
	size_t n = heif_image_handle_get_raw_color_profile_size(h);
	uint8_t *p;
	int r;

	if (flags & IH_OPT_COLOR_IGNORE)
		return 0;
	if (t != heif_color_profile_type_prof && t != heif_color_profile_type_rICC)
		return heif_nclx(h, him, img, reason);
	if (n == 0 || n > ih_format_limits.max_icc_bytes)
		return 0;
	p = malloc(n);
	if (!p || heif_image_handle_get_raw_color_profile(h, p).code != heif_error_Ok) {
		free(p);
		ih_reason_set(reason, "out of memory copying the HEIF colour profile");
		return -ENOMEM;
	}
	r = ih_meta_copy_icc(p, n, &img->icc, &img->icc_len);
	free(p);
	if (r < 0)
		ih_reason_set(reason, "out of memory copying the HEIF colour profile");
	return r;
}

/* What became of the transformative properties (decode.c leaves these fields alone). */
static void heif_orient(const struct ih_bmff_info *info, uint32_t flags, struct ih_image *img)
{
	if (info->transforms == 0)
		return;
	img->orientation = info->orientation;
	img->orient_state = flags & IH_OPT_ORIENT_KEEP ? IH_ORIENT_KEPT : IH_ORIENT_APPLIED;
	ih_note_set(img->orient_note, "HEIF irot/imir (as EXIF %u) %s by libheif",
		    info->orientation, flags & IH_OPT_ORIENT_KEEP ? "left" : "applied");
}

static struct heif_decoding_options *heif_options(uint32_t flags)
{
	struct heif_decoding_options *o = heif_decoding_options_alloc();

	if (o) {
		o->ignore_transformations = (flags & IH_OPT_ORIENT_KEEP) ? 1 : 0;
		o->convert_hdr_to_8bit = 0;
	}
	return o;
}

static int heif_primary(struct heif_context *ctx, const struct ih_limits *lim,
			const struct ih_decode_opts *opts, struct ih_budget *b,
			const struct ih_pixel_dest *dest, struct ih_image *img, char *reason)
{
	struct heif_image_handle *h = NULL;
	struct heif_image *him = NULL;
	struct heif_decoding_options *o = NULL;
	struct heif_error e = heif_context_get_primary_image_handle(ctx, &h);
	int bits, r;
	bool alpha;

	if (e.code != heif_error_Ok)
		return heif_fail(e, "no primary image", reason);
	bits = heif_image_handle_get_luma_bits_per_pixel(h);
	alpha = heif_image_handle_has_alpha_channel(h);
	r = ih_library_charge(lim, b, "HEIF", (uint64_t)heif_image_handle_get_width(h),
			      (uint64_t)heif_image_handle_get_height(h), reason);
	if (r == 0 && (bits < 8 || bits > 16)) {
		ih_reason_set(reason, "unsupported HEIF: %d bits per sample", bits);
		r = -EINVAL;
	}
	if (r == 0 && !(o = heif_options(opts->flags)))
		r = -ENOMEM;
	if (r == 0) {
		int chroma = bits > 8 ? (alpha ? heif_chroma_interleaved_RRGGBBAA_BE
					       : heif_chroma_interleaved_RRGGBB_BE)
				      : (alpha ? heif_chroma_interleaved_RGBA
					       : heif_chroma_interleaved_RGB);

		e = heif_decode_image(h, &him, heif_colorspace_RGB, (enum heif_chroma)chroma, o);
		r = e.code == heif_error_Ok ? 0 : heif_fail(e, "primary image", reason);
	}
	if (r == 0)
		r = heif_pixels(him, bits, alpha, b, dest, img, reason);
	if (r == 0)
		r = heif_icc(h, him, opts->flags, img, reason);
	heif_decoding_options_free(o);
	heif_image_release(him);
	heif_image_handle_release(h);
	return r;
}

static int decode_heif(const struct ih_limits *lim, const struct ih_decode_opts *opts,
		       const uint8_t *in, size_t len, const struct ih_pixel_dest *dest,
		       struct ih_image *ret, char reason[IH_REASON_MAX])
{
	struct ih_budget budget = { .max = lim->max_memory_bytes };
	struct ih_bmff_info info;
	struct ih_image img = { 0 };
	struct heif_context *ctx;
	struct heif_error e;
	int r;

	r = ih_bmff_scan(in, len, IH_BMFF_HEIF, lim, &budget, &info, reason);
	if (r == 0)
		r = ih_anim_frame_exists(opts->frame, 1, "HEIF", reason);
	if (r < 0)
		return r;
	ctx = heif_context_alloc();
	if (!ctx) {
		ih_reason_set(reason, "out of memory starting libheif");
		return -ENOMEM;
	}
	heif_context_set_max_decoding_threads(ctx, 0);
	heif_context_set_maximum_image_size_limit(ctx, heif_side_limit());
	ih_hevc_plugin_limit(lim->max_pixels);
	e = heif_context_read_from_memory_without_copy(ctx, in, len, NULL);
	r = e.code == heif_error_Ok ? heif_primary(ctx, lim, opts, &budget, dest, &img, reason)
				    : heif_fail(e, "file structure", reason);
	heif_context_free(ctx);
	if (r < 0) {
		ih_image_free(&img);
		return r;
	}
	heif_orient(&info, opts->flags, &img);
	*ret = img;
	return 0;
}

const struct ih_decoder ih_decoder_heif = {
	.name = "heif",
	.decode = decode_heif,
	.prepare = heif_prepare,
};
