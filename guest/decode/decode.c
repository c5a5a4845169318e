/*
 * Format dispatch: the magic bytes of the input choose one decoder of the table below
 * (guest/decode/decoder.h), which decodes under the request's limits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "color.h"
#include "decoder.h"
#include "exif.h"
#include "isobmff.h"
#include "orient.h"

/* A signature: every non-empty part must match the input at its offset. */
struct ih_magic_part {
	size_t off;
	size_t len;
	const char *bytes;
};

struct ih_format {
	const struct ih_decoder *decoder;
	struct ih_magic_part part[2];
};

static const struct ih_format formats[] = {
	{ &ih_decoder_png, { { 0, 8, "\x89PNG\r\n\x1a\n" } } },
	{ &ih_decoder_jpeg, { { 0, 3, "\xff\xd8\xff" } } },
	{ &ih_decoder_gif, { { 0, 6, "GIF87a" } } },
	{ &ih_decoder_gif, { { 0, 6, "GIF89a" } } },
	{ &ih_decoder_webp, { { 0, 4, "RIFF" }, { 8, 4, "WEBP" } } },
	{ &ih_decoder_tiff, { { 0, 4, "II*\0" } } },
	{ &ih_decoder_tiff, { { 0, 4, "MM\0*" } } },
	{ &ih_decoder_tiff, { { 0, 4, "II+\0" } } }, /* BigTIFF */
	{ &ih_decoder_tiff, { { 0, 4, "MM\0+" } } },
	{ &ih_decoder_jxl, { { 0, 2, "\xff\x0a" } } }, /* JPEG XL codestream */
	{ &ih_decoder_jxl, { { 0, 12, "\0\0\0\x0cJXL \r\n\x87\n" } } }, /* container */
};

/* ISO-BMFF files (ftyp first) are told apart by their brands (guest/decode/isobmff.h). */
static const struct ih_decoder *const bmff_decoders[] = {
	[IH_BMFF_HEIF] = &ih_decoder_heif,
	[IH_BMFF_AVIF] = &ih_decoder_avif,
};

#define N_FORMATS (sizeof(formats) / sizeof(formats[0]))

static int format_matches(const struct ih_format *f, const uint8_t *in, size_t len)
{
	for (size_t i = 0; i < sizeof(f->part) / sizeof(f->part[0]); i++) {
		const struct ih_magic_part *p = &f->part[i];

		if (p->len && (len < p->off || len - p->off < p->len ||
			       memcmp(in + p->off, p->bytes, p->len)))
			return 0;
	}
	return 1;
}

static const struct ih_decoder *decoder_for(const uint8_t *in, size_t len)
{
	for (size_t i = 0; i < N_FORMATS; i++)
		if (format_matches(&formats[i], in, len))
			return formats[i].decoder;
	return bmff_decoders[ih_bmff_kind(in, len)];
}

const char *ih_decode_format(const uint8_t *in, size_t len)
{
	const struct ih_decoder *d = decoder_for(in, len);

	return d ? d->name : NULL;
}

/* Every decoder once: the magic table's, then the ISO-BMFF ones. */
static const struct ih_decoder *decoder_at(size_t i)
{
	if (i < N_FORMATS)
		return formats[i].decoder;
	i -= N_FORMATS;
	return i < sizeof(bmff_decoders) / sizeof(bmff_decoders[0]) ? bmff_decoders[i] : NULL;
}

#define N_DECODERS (N_FORMATS + sizeof(bmff_decoders) / sizeof(bmff_decoders[0]))

_Static_assert(N_DECODERS <= 32, "a lazy decoder's bit is its place in decoder_at()");

void ih_decoders_prepare_eager(void)
{
	ih_color_prepare();
	for (size_t i = 0; i < N_DECODERS; i++) {
		const struct ih_decoder *d = decoder_at(i);

		if (d && d->prepare && !d->lazy)
			d->prepare();
	}
}

uint32_t ih_decode_lazy_need(const uint8_t *in, size_t len)
{
	const struct ih_decoder *d = decoder_for(in, len);

	for (size_t i = 0; d && d->lazy && i < N_DECODERS; i++)
		if (decoder_at(i) == d)
			return 1u << i;
	return 0;
}

void ih_decoders_prepare_lazy(uint32_t bits)
{
	for (size_t i = 0; i < N_DECODERS; i++) {
		const struct ih_decoder *d = decoder_at(i);

		if ((bits & (1u << i)) && d && d->lazy && d->prepare)
			d->prepare();
	}
}

void ih_decoders_prepare(void)
{
	ih_decoders_prepare_eager();
	ih_decoders_prepare_lazy(~0u);
}

/* Memory the steps after the decoder may spend: the limit less the pixels themselves. */
static size_t steps_memory(const struct ih_limits *lim, const struct ih_image *img)
{
	return lim->max_memory_bytes > img->len ? (size_t)(lim->max_memory_bytes - img->len) : 0;
}

/* Reads the orientation (the container's, else the EXIF tag's) and, unless --orient=keep,
 * turns the pixels to it. A decoder that turned them itself has said so in orient_state. */
static int orient_step(const struct ih_limits *lim, const struct ih_decode_opts *opts,
		       struct ih_image *img, char reason[IH_REASON_MAX])
{
	uint32_t o = 0;

	if (img->orient_state != IH_ORIENT_NONE)
		return 0;
	if (img->orient_container) {
		o = img->orientation;
	} else if (!img->exif) {
		return 0;
	} else if (ih_exif_orientation(img->exif, img->exif_len, &o, img->orient_note) < 0) {
		img->orient_state = IH_ORIENT_IGNORED;
		return 0;
	}
	img->orientation = o;
	if (o <= 1)
		return 0;
	if (opts->flags & IH_OPT_ORIENT_KEEP) {
		img->orient_state = IH_ORIENT_KEPT;
		return 0;
	}
	img->orient_state = IH_ORIENT_APPLIED;
	return ih_orient_apply(img, o, steps_memory(lim, img), reason);
}

/* The ICC profile and CMYK (guest/decode/color.h). A profile the decoder could not even
 * copy out keeps the decoder's own verdict (refused or ignored, with its note). */
static int color_step(const struct ih_limits *lim, const struct ih_decode_opts *opts,
		      struct ih_image *img, char reason[IH_REASON_MAX])
{
	struct ih_color_report rep;
	int r = ih_color_apply(img, opts->flags, steps_memory(lim, img), &rep, reason);

	if (r < 0 || (rep.action == IH_COLOR_NONE && img->color_action != IH_COLOR_NONE))
		return r;
	img->color_action = rep.action;
	memcpy(img->color_desc, rep.desc, IH_DESC_MAX);
	memcpy(img->color_note, rep.note, IH_NOTE_MAX);
	return 0;
}

/* The steps every format shares, in order: colour (at full depth), depth, orientation.
 * The EXIF block is not passed on: only what was read from it. */
static int finish(const struct ih_limits *lim, const struct ih_decode_opts *opts,
		  struct ih_image *img, char reason[IH_REASON_MAX])
{
	int r;

	r = color_step(lim, opts, img, reason);
	if (r < 0)
		return r;
	if (opts->flags & IH_OPT_DEPTH8)
		ih_depth_reduce(img);
	r = orient_step(lim, opts, img, reason);
	free(img->exif);
	img->exif = NULL;
	img->exif_len = 0;
	return r;
}

int ih_decode(const struct ih_limits *lim, const struct ih_decode_opts *opts, const uint8_t *in,
	      size_t len, struct ih_image *ret, char reason[IH_REASON_MAX])
{
	return ih_decode_into(lim, opts, in, len, NULL, ret, reason);
}

int ih_decode_into(const struct ih_limits *lim, const struct ih_decode_opts *opts,
		   const uint8_t *in, size_t len, const struct ih_pixel_dest *dest,
		   struct ih_image *ret, char reason[IH_REASON_MAX])
{
	static const struct ih_decode_opts defaults;
	const struct ih_decoder *decoder;
	struct ih_image img = { 0 };
	int r;

	reason[0] = '\0';
	if (len == 0) {
		ih_reason_set(reason, "empty input");
		return -EINVAL;
	}
	if (len > lim->max_input_bytes) {
		ih_reason_set(reason, "input of %zu bytes is over the limit of %llu", len,
			      (unsigned long long)lim->max_input_bytes);
		return -E2BIG;
	}
	decoder = decoder_for(in, len);
	if (!decoder) {
		ih_reason_set(reason, "unknown format (not PNG, JPEG, GIF, WebP, TIFF, HEIF, AVIF "
				      "or JPEG XL by its magic bytes)");
		return -EINVAL;
	}
	if (!opts)
		opts = &defaults;
	r = decoder->decode(lim, opts, in, len, dest, &img, reason);
	if (r == 0)
		r = finish(lim, opts, &img, reason);
	if (r < 0) {
		ih_image_free(&img);
		return r;
	}
	*ret = img;
	return 0;
}
