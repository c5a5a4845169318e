/*
 * Encodes decoded pixels to a stream: PNG (libpng, no metadata but a kept ICC profile),
 * PPM/PGM (P6/P5, alpha dropped) or PAM (P7 GRAYSCALE, GRAYSCALE_ALPHA, RGB, RGB_ALPHA),
 * at the decoded depth (maxval 255 or 65535).
 */
#ifndef IH_HOST_ENCODE_H
#define IH_HOST_ENCODE_H

#include <stdio.h>

#include "decode_opts.h"
#include "guest/sandbox/isolate.h"

/* 0 or -errno (-EINVAL for a format or geometry it cannot write). */
int ih_encode(FILE *f, enum ih_out_format fmt, const struct ih_decoded *d);

#endif
