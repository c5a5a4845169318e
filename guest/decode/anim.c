/*
 * Shared by the GIF, WebP and TIFF decoders (guest/decode/anim.h): animation frame limits,
 * the composed RGBA canvas handed out as RGB or RGBA, bounded metadata copies.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "anim.h"

int ih_anim_frames_check(uint64_t n, const char *format, char reason[IH_REASON_MAX])
{
	if (n <= ih_format_limits.max_frames)
		return 0;
	ih_reason_set(reason, "%s has more than %llu frames (max_frames)", format,
		      (unsigned long long)ih_format_limits.max_frames);
	return -E2BIG;
}

int ih_anim_compose_charge(uint64_t *composed, uint64_t area, char reason[IH_REASON_MAX])
{
	if (area > ih_format_limits.max_anim_pixels ||
	    *composed > ih_format_limits.max_anim_pixels - area) {
		ih_reason_set(reason,
			      "composing the frame asked for takes more than %llu pixels "
			      "(max_anim_pixels)",
			      (unsigned long long)ih_format_limits.max_anim_pixels);
		return -E2BIG;
	}
	*composed += area;
	return 0;
}

int ih_anim_frame_exists(uint32_t want, uint64_t frames, const char *format,
			 char reason[IH_REASON_MAX])
{
	if (want < frames)
		return 0;
	ih_reason_set(reason, "frame %u asked for, but the %s has %llu frame%s (0 is the first)",
		      want, format, (unsigned long long)frames, frames == 1 ? "" : "s");
	return -EINVAL;
}

static bool canvas_opaque(const uint8_t *rgba, size_t px)
{
	for (size_t i = 0; i < px; i++)
		if (rgba[i * 4 + 3] != 0xff)
			return false;
	return true;
}

int ih_canvas_emit(struct ih_budget *b, const struct ih_pixel_dest *dest, const uint8_t *rgba,
		   uint32_t w, uint32_t h, struct ih_image *img, char reason[IH_REASON_MAX])
{
	size_t px = (size_t)w * h;
	uint32_t ch = canvas_opaque(rgba, px) ? 3 : 4;
	uint8_t *out;

	if (ih_budget_charge(b, px * ch) < 0 || !(out = ih_pixels_alloc(dest, px * ch))) {
		ih_reason_set(reason, "%u x %u image is over the memory limit", w, h);
		return -ENOMEM;
	}
	if (ch == 4) {
		memcpy(out, rgba, px * 4);
	} else {
		for (size_t i = 0; i < px; i++)
			memcpy(out + i * 3, rgba + i * 4, 3);
	}
	img->pixels = out;
	img->owned = !dest;
	img->len = px * ch;
	img->width = w;
	img->height = h;
	img->channels = ch;
	img->depth = 8;
	return 0;
}

static int meta_dup(const uint8_t *p, size_t n, uint8_t **ret, size_t *ret_len)
{
	uint8_t *copy;

	if (n == 0 || n > ih_format_limits.max_meta_bytes)
		return 0;
	copy = malloc(n);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, p, n);
	*ret = copy;
	*ret_len = n;
	return 0;
}

int ih_meta_copy_exif(const uint8_t *p, size_t n, uint8_t **ret, size_t *ret_len)
{
	if (n >= 6 && !memcmp(p, "Exif\0\0", 6)) {
		p += 6;
		n -= 6;
	}
	return meta_dup(p, n, ret, ret_len);
}

int ih_meta_copy_icc(const uint8_t *p, size_t n, uint8_t **ret, size_t *ret_len)
{
	return meta_dup(p, n, ret, ret_len);
}
