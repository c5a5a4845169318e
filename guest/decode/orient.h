/*
 * The pixel steps common to every format after its decoder: turning the pixels to the
 * orientation EXIF names, and reducing 16-bit samples to 8 bits.
 */
#ifndef IH_GUEST_ORIENT_H
#define IH_GUEST_ORIENT_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"

/*
 * Turns img's pixels in place to EXIF orientation o (1-8): 2-4 mirror or turn them within
 * the buffer; 5-8 (which swap width and height) go through one scratch buffer of img->len
 * bytes, which must fit in mem_max (-ENOMEM with reason[] set otherwise).
 */
int ih_orient_apply(struct ih_image *img, uint32_t o, size_t mem_max, char reason[IH_REASON_MAX]);

/* 16-bit samples to 8 bits in place, v * 255 / 65535 rounded (as libpng's scale_16). */
void ih_depth_reduce(struct ih_image *img);

#endif
