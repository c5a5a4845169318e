/*
 * The metadata a JPEG carries in its saved APP markers: the EXIF block (APP1 "Exif\0\0")
 * and the ICC profile (APP2 "ICC_PROFILE\0", up to 255 segments, each numbered). The
 * markers are hostile bytes: a profile whose segments are missing, repeated, out of range
 * or too large in total is left out with a note, never blocking the pixels.
 */
#ifndef IH_GUEST_JPEG_META_H
#define IH_GUEST_JPEG_META_H

#include <stdio.h>

#include <jpeglib.h>

#include "decode.h"

/* Copies what img needs from the markers libjpeg saved (APP1 and APP2): img->exif, and
 * img->icc unless flags ask to ignore colour (then only the action says a profile was
 * there). 0, or -ENOMEM. */
int ih_jpeg_copy_meta(struct jpeg_decompress_struct *c, uint32_t flags, struct ih_image *img);

#endif
