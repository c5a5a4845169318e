/*
 * What the GIF, WebP and TIFF decoders share beyond guest/decode/decoder.h: the frame
 * limits of an animation, the RGBA canvas handed out as RGB or RGBA, and bounded copies of
 * the EXIF and ICC bytes a format carries. Only those decoders include this header.
 */
#ifndef IH_GUEST_ANIM_H
#define IH_GUEST_ANIM_H

#include <stddef.h>
#include <stdint.h>

#include "decoder.h"
#include "format_limits.h"

/* 0 while n frames are within max_frames, else -E2BIG with the reason set. */
int ih_anim_frames_check(uint64_t n, const char *format, char reason[IH_REASON_MAX]);

/*
 * Adds a frame of area pixels to *composed (the pixels composed so far to reach the frame
 * asked for): 0, or -E2BIG with the reason set once the sum passes max_anim_pixels.
 */
int ih_anim_compose_charge(uint64_t *composed, uint64_t area, char reason[IH_REASON_MAX]);

/* 0 when the frame asked for is one of the file's frames, else -EINVAL with the reason. */
int ih_anim_frame_exists(uint32_t want, uint64_t frames, const char *format,
			 char reason[IH_REASON_MAX]);

/*
 * Fills img's pixels (8-bit, from dest or malloc, charged to b) from a w x h RGBA canvas:
 * RGB when every pixel is opaque, else RGBA. Sets width, height, channels, depth, len.
 */
int ih_canvas_emit(struct ih_budget *b, const struct ih_pixel_dest *dest, const uint8_t *rgba,
		   uint32_t w, uint32_t h, struct ih_image *img, char reason[IH_REASON_MAX]);

/*
 * Copies an EXIF block (a leading "Exif\0\0" dropped) into a malloc'd *ret, for the EXIF
 * reader to judge (guest/decode/exif.h). A block over max_meta_bytes is left out (0, *ret
 * NULL): metadata never rejects an image. -ENOMEM when malloc fails.
 */
int ih_meta_copy_exif(const uint8_t *p, size_t n, uint8_t **ret, size_t *ret_len);
/* The same for an ICC profile: at most max_meta_bytes, else left out. */
int ih_meta_copy_icc(const uint8_t *p, size_t n, uint8_t **ret, size_t *ret_len);

#endif
