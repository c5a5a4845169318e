/*
 * Colour that a HEIF or AVIF file states by code points (ISO/IEC 23091-2 "CICP", the nclx
 * colr box) rather than by an ICC profile: the primaries and transfer of a non-sRGB space
 * become an ICC profile made with Little CMS 2, so the colour step (guest/decode/color.h)
 * converts the pixels to sRGB as it does for an embedded profile. Only the HEIF and AVIF
 * decoders include this header.
 */
#ifndef IH_GUEST_CICP_H
#define IH_GUEST_CICP_H

#include <stdint.h>

#include "decode.h"

/*
 * For primaries and transfer code points of an image without an ICC profile: 0 with
 * img->icc set to a profile made for them when they name another space than sRGB (BT.709
 * primaries with the sRGB or BT.709 curve, or unspecified, need none); 0 with
 * img->color_action IH_COLOR_REFUSED and img->color_note set, and no profile, when they name
 * a space this does not convert (PQ, HLG, XYZ, log curves: the pixels are left as decoded);
 * -ENOMEM.
 */
int ih_cicp_profile(uint16_t primaries, uint16_t transfer, struct ih_image *img);

#endif
