/*
 * The output encoders of host/cli/encode.h: PNG re-encoded by libpng with no metadata but
 * a kept ICC profile (--color=keep), PPM/PGM and PAM as netpbm defines them. Grey stays
 * grey, alpha stays alpha (but in PPM/PGM, which have none), 16-bit stays 16-bit (samples
 * most significant byte first, as the wire, PNG and netpbm all store them).
 */
#include <errno.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"

static int png_color_type(uint32_t channels)
{
	static const int types[] = { PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
				     PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA };

	return types[channels - 1];
}

static int png_stream(FILE *f, const struct ih_decoded *d)
{
	const struct ih_response *r = &d->resp;
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	size_t stride = (size_t)r->width * r->channels * (r->depth / 8);
	int ret = -EIO;

	if (!png || !info)
		goto done;
	if (setjmp(png_jmpbuf(png)))
		goto done;
	png_init_io(png, f);
	png_set_IHDR(png, info, r->width, r->height, (int)r->depth, png_color_type(r->channels),
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (r->icc_len)
		png_set_iCCP(png, info, "ICC profile", PNG_COMPRESSION_TYPE_BASE, d->icc,
			     r->icc_len);
	png_write_info(png, info);
	for (uint32_t y = 0; y < r->height; y++)
		png_write_row(png, d->pixels + (size_t)y * stride);
	png_write_end(png, NULL);
	ret = 0;
done:
	png_destroy_write_struct(&png, &info);
	return ret;
}

/* P5 (grey) or P6 (colour): the alpha channel, if any, is dropped, as pamtopnm does. */
static int pnm_stream(FILE *f, const struct ih_decoded *d)
{
	const struct ih_response *r = &d->resp;
	size_t bps = r->depth / 8, colour = r->channels >= 3 ? 3 : 1;
	size_t in_px = r->channels * bps, out_px = colour * bps;
	size_t out_stride = (size_t)r->width * out_px;
	uint8_t *row;
	int ret = 0;

	if (fprintf(f, "P%c\n%u %u\n%u\n", colour == 3 ? '6' : '5', r->width, r->height,
		    r->depth == 16 ? 65535u : 255u) < 0)
		return -EIO;
	if (in_px == out_px)
		return fwrite(d->pixels, 1, r->pixel_len, f) == r->pixel_len ? 0 : -EIO;
	row = malloc(out_stride);
	if (!row)
		return -ENOMEM;
	for (uint32_t y = 0; y < r->height && ret == 0; y++) {
		const uint8_t *in = d->pixels + (size_t)y * r->width * in_px;

		for (uint32_t x = 0; x < r->width; x++)
			memcpy(row + x * out_px, in + x * in_px, out_px);
		if (fwrite(row, 1, out_stride, f) != out_stride)
			ret = -EIO;
	}
	free(row);
	return ret;
}

static int pam_stream(FILE *f, const struct ih_decoded *d)
{
	static const char *const tuple[] = { "GRAYSCALE", "GRAYSCALE_ALPHA", "RGB", "RGB_ALPHA" };
	const struct ih_response *r = &d->resp;

	if (fprintf(f, "P7\nWIDTH %u\nHEIGHT %u\nDEPTH %u\nMAXVAL %u\nTUPLTYPE %s\nENDHDR\n",
		    r->width, r->height, r->channels, r->depth == 16 ? 65535u : 255u,
		    tuple[r->channels - 1]) < 0)
		return -EIO;
	return fwrite(d->pixels, 1, r->pixel_len, f) == r->pixel_len ? 0 : -EIO;
}

int ih_encode(FILE *f, enum ih_out_format fmt, const struct ih_decoded *d)
{
	int ret;

	if (d->resp.channels < 1 || d->resp.channels > 4 ||
	    (d->resp.depth != 8 && d->resp.depth != 16))
		return -EINVAL;
	switch (fmt) {
	case IH_OUT_PNG:
		ret = png_stream(f, d);
		break;
	case IH_OUT_PPM:
		ret = pnm_stream(f, d);
		break;
	case IH_OUT_PAM:
		ret = pam_stream(f, d);
		break;
	default:
		return -EINVAL;
	}
	if (ret == 0 && fflush(f) != 0)
		ret = -errno;
	return ret;
}
