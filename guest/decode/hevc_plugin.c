/*
 * libheif's HEVC decoding through libde265, single-threaded. libheif's own libde265
 * plugin starts a worker thread for every image, which the decoder child may not do (no
 * clone in its seccomp allow-list, RLIMIT_NPROC 0), so this plugin, registered with a
 * higher priority, does the same work in the calling thread: the NAL units libheif pushes
 * go to libde265, which decodes them sequentially when it has no worker threads, and the
 * picture is copied into a heif_image plane by plane as the built-in plugin does (so the
 * pixels are the same as heif-convert's). Every SPS is read here first and a picture over
 * the pixel limit is refused before libde265 allocates for it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libde265/de265.h>
#include <libheif/heif.h>
#include <libheif/heif_plugin.h>

#include "hevc_plugin.h"

#define HEVC_PLUGIN_PRIORITY 200 /* libheif's own plugins have 100 */
#define NAL_SPS 33

struct hevc_decoder {
	de265_decoder_context *ctx;
	uint64_t max_pixels;
};

static uint64_t plugin_max_pixels;
/* Pictures declared by the SPSs of this image's decodes (its tiles, its alpha), summed:
 * at most three times the limit (colour and alpha tiles, with their overhang). */
static uint64_t plugin_area;

static const struct heif_error heif_ok = { heif_error_Ok, heif_suberror_Unspecified, "Success" };

static struct heif_error plugin_error(enum heif_suberror_code sub, const char *msg)
{
	return (struct heif_error){ heif_error_Decoder_plugin_error, sub, msg };
}

static const char *hevc_name(void)
{
	return "libde265 HEVC decoder, single-threaded";
}

static void hevc_init(void)
{
	de265_init();
}

static void hevc_deinit(void)
{
	de265_free();
}

static int hevc_supports(enum heif_compression_format format)
{
	return format == heif_compression_HEVC ? HEVC_PLUGIN_PRIORITY : 0;
}

static struct heif_error hevc_new(void **ret)
{
	struct hevc_decoder *d = calloc(1, sizeof(*d));

	if (!d || !(d->ctx = de265_new_decoder())) {
		free(d);
		return (struct heif_error){ heif_error_Memory_allocation_error,
					    heif_suberror_Unspecified, "out of memory" };
	}
	d->max_pixels = plugin_max_pixels;
	*ret = d;
	return heif_ok;
}

static void hevc_free(void *dec)
{
	struct hevc_decoder *d = dec;

	de265_free_decoder(d->ctx);
	free(d);
}

/* An RBSP bit reader over a NAL unit, emulation prevention bytes (00 00 03) skipped. */
struct bits {
	const uint8_t *p;
	size_t len, pos; /* pos in bits */
	unsigned zeros; /* zero bytes just read */
	bool over;
};

static unsigned bit(struct bits *b)
{
	size_t byte = b->pos >> 3;
	unsigned v;

	if (byte >= b->len) {
		b->over = true;
		return 0;
	}
	if ((b->pos & 7) == 0) {
		if (b->zeros >= 2 && b->p[byte] == 3) {
			b->zeros = 0;
			b->pos += 8;
			return bit(b);
		}
		b->zeros = b->p[byte] == 0 ? b->zeros + 1 : 0;
	}
	v = b->p[byte] >> (7 - (b->pos & 7)) & 1;
	b->pos++;
	return v;
}

static uint64_t bits_u(struct bits *b, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 1 | bit(b);
	return v;
}

static uint64_t bits_ue(struct bits *b)
{
	unsigned zeros = 0;

	while (!bit(b) && !b->over)
		if (++zeros > 32) {
			b->over = true;
			return 0;
		}
	return ((uint64_t)1 << zeros) - 1 + bits_u(b, zeros);
}

/* The picture size an SPS NAL unit declares (H.265 7.3.2.2): 0 when it is cut short. */
static int sps_size(const uint8_t *nal, size_t len, uint64_t *w, uint64_t *h)
{
	struct bits b = { nal, len, 16, 0, false }; /* after the NAL unit header */
	unsigned sub_layers;
	bool prof[8] = { false }, level[8] = { false };

	bits_u(&b, 4); /* sps_video_parameter_set_id */
	sub_layers = (unsigned)bits_u(&b, 3); /* sps_max_sub_layers_minus1 */
	bits_u(&b, 1);
	bits_u(&b, 88 + 8); /* general profile, tier, flags; general_level_idc */
	for (unsigned i = 0; i < sub_layers; i++) {
		prof[i] = bit(&b);
		level[i] = bit(&b);
	}
	if (sub_layers > 0)
		bits_u(&b, 2 * (8 - sub_layers));
	for (unsigned i = 0; i < sub_layers; i++)
		bits_u(&b, (prof[i] ? 88u : 0u) + (level[i] ? 8u : 0u));
	bits_ue(&b); /* sps_seq_parameter_set_id */
	if (bits_ue(&b) == 3) /* chroma_format_idc */
		bits_u(&b, 1);
	*w = bits_ue(&b);
	*h = bits_ue(&b);
	return b.over ? -1 : 0;
}

static struct heif_error check_nal(const struct hevc_decoder *d, const uint8_t *nal, size_t n)
{
	uint64_t w, h;

	if (n < 2 || (nal[0] >> 1 & 0x3f) != NAL_SPS)
		return heif_ok;
	if (sps_size(nal, n, &w, &h) < 0)
		return plugin_error(heif_suberror_End_of_data, "truncated HEVC SPS");
	if (w == 0 || h == 0 || w > UINT32_MAX || h > UINT32_MAX || w * h > d->max_pixels)
		return plugin_error(heif_suberror_Security_limit_exceeded,
				    "SPS picture size over the pixel limit");
	plugin_area += w * h;
	if (plugin_area > 3 * d->max_pixels)
		return plugin_error(heif_suberror_Security_limit_exceeded,
				    "SPS pictures of the image sum to 3x the pixel limit");
	return heif_ok;
}

/* libheif pushes NAL units each behind a 4-byte big-endian length. */
static struct heif_error hevc_push(void *dec, const void *data, size_t size)
{
	struct hevc_decoder *d = dec;
	const uint8_t *p = data;
	size_t pos = 0;

	while (pos < size) {
		uint32_t n;
		struct heif_error e;

		if (size - pos < 4)
			return plugin_error(heif_suberror_End_of_data, "truncated HEVC NAL length");
		n = (uint32_t)p[pos] << 24 | (uint32_t)p[pos + 1] << 16 |
		    (uint32_t)p[pos + 2] << 8 | p[pos + 3];
		pos += 4;
		if (n > size - pos || n > INT32_MAX)
			return plugin_error(heif_suberror_End_of_data, "truncated HEVC NAL unit");
		e = check_nal(d, p + pos, n);
		if (e.code != heif_error_Ok)
			return e;
		if (de265_push_NAL(d->ctx, p + pos, (int)n, 0, NULL) != DE265_OK)
			return plugin_error(heif_suberror_Unspecified,
					    "libde265 refused a NAL unit");
		pos += n;
	}
	return heif_ok;
}

static struct heif_error copy_plane(const struct de265_image *pic, struct heif_image *img, int c,
				    int bpp)
{
	static const enum heif_channel plane[3] = { heif_channel_Y, heif_channel_Cb,
						    heif_channel_Cr };
	int w = de265_get_image_width(pic, c), h = de265_get_image_height(pic, c);
	int stride, dst_stride;
	const uint8_t *src = de265_get_image_plane(pic, c, &stride);
	uint8_t *dst;
	struct heif_error e;

	if (w <= 0 || h <= 0 || !src || de265_get_bits_per_pixel(pic, c) != bpp)
		return plugin_error(heif_suberror_Invalid_image_size, "unusable HEVC plane");
	e = heif_image_add_plane(img, plane[c], w, h, bpp);
	if (e.code != heif_error_Ok)
		return e;
	dst = heif_image_get_plane(img, plane[c], &dst_stride);
	for (int y = 0; y < h; y++)
		memcpy(dst + (size_t)y * (size_t)dst_stride, src + (size_t)y * (size_t)stride,
		       (size_t)w * (size_t)((bpp + 7) / 8));
	return heif_ok;
}

/* The stream's colour description, as libheif's own plugin sets it. */
static void set_nclx(const struct de265_image *pic, struct heif_image *img)
{
	struct heif_color_profile_nclx *nclx = heif_nclx_color_profile_alloc();

	if (!nclx)
		return;
	heif_nclx_color_profile_set_color_primaries(
		nclx, (uint16_t)de265_get_image_colour_primaries(pic));
	heif_nclx_color_profile_set_transfer_characteristics(
		nclx, (uint16_t)de265_get_image_transfer_characteristics(pic));
	heif_nclx_color_profile_set_matrix_coefficients(
		nclx, (uint16_t)de265_get_image_matrix_coefficients(pic));
	nclx->full_range_flag = (uint8_t)de265_get_image_full_range_flag(pic);
	heif_image_set_nclx_color_profile(img, nclx);
	heif_nclx_color_profile_free(nclx);
}

static struct heif_error convert(const struct de265_image *pic, struct heif_image **ret)
{
	bool mono = de265_get_chroma_format(pic) == de265_chroma_mono;
	int bpp = de265_get_bits_per_pixel(pic, 0);
	struct heif_error e;

	e = heif_image_create(de265_get_image_width(pic, 0), de265_get_image_height(pic, 0),
			      mono ? heif_colorspace_monochrome : heif_colorspace_YCbCr,
			      (enum heif_chroma)de265_get_chroma_format(pic), ret);
	for (int c = 0; c < (mono ? 1 : 3) && e.code == heif_error_Ok; c++)
		e = copy_plane(pic, *ret, c, bpp);
	if (e.code != heif_error_Ok) {
		heif_image_release(*ret);
		*ret = NULL;
		return e;
	}
	set_nclx(pic, *ret);
	return heif_ok;
}

static struct heif_error hevc_decode(void *dec, struct heif_image **ret)
{
	struct hevc_decoder *d = dec;
	int more = 1;

	*ret = NULL;
	de265_flush_data(d->ctx);
	while (more) {
		const struct de265_image *pic;
		struct heif_error e;

		more = 0;
		if (de265_decode(d->ctx, &more) != DE265_OK)
			break;
		pic = de265_get_next_picture(d->ctx);
		if (!pic)
			continue;
		e = convert(pic, ret);
		de265_release_next_picture(d->ctx);
		return e;
	}
	return plugin_error(heif_suberror_Unspecified, "libde265 gave no picture");
}

static void hevc_strict(void *dec, int flag)
{
	(void)dec;
	(void)flag;
}

static const struct heif_decoder_plugin hevc_plugin = {
	.plugin_api_version = 3,
	.get_plugin_name = hevc_name,
	.init_plugin = hevc_init,
	.deinit_plugin = hevc_deinit,
	.does_support_format = hevc_supports,
	.new_decoder = hevc_new,
	.free_decoder = hevc_free,
	.push_data = hevc_push,
	.decode_image = hevc_decode,
	.set_strict_decoding = hevc_strict,
	.id_name = "ih-libde265",
};

int ih_hevc_plugin_register(void)
{
	return heif_register_decoder_plugin(&hevc_plugin).code == heif_error_Ok ? 0 : -1;
}

void ih_hevc_plugin_limit(uint64_t max_pixels)
{
	plugin_max_pixels = max_pixels;
	plugin_area = 0;
}
