/*
 * ICC profiles the colour tests make with lcms2 itself, so that each documents what it is:
 * RGB spaces wider than sRGB, a grey, a CMYK printer, and the grey of sRGB's tone curve that
 * guest/decode/color.c converts grey pixels to. Each returns 0 with a malloc'd profile in
 * *ret / *ret_len, or -ENOMEM.
 */
#ifndef IH_TESTS_COLOR_PROFILES_H
#define IH_TESTS_COLOR_PROFILES_H

#include <stddef.h>
#include <stdint.h>

/* Display P3: DCI-P3 primaries, D65 white, sRGB's tone curve. */
int profile_display_p3(uint8_t **ret, size_t *ret_len);
/* Adobe RGB (1998)-like: its primaries, D65 white, gamma 563/256. */
int profile_adobe_rgb(uint8_t **ret, size_t *ret_len);
/* A grey of gamma 1.8 and D50 white (a Mac-style grey). */
int profile_grey18(uint8_t **ret, size_t *ret_len);
/* What color.c converts grey pixels to: sRGB's tone curve, D65 white. */
int profile_grey_srgb(uint8_t **ret, size_t *ret_len);
/*
 * A CMYK output profile (v4, Lab PCS) whose AToB0 is a 9-point CLUT of the uncalibrated
 * formula followed by sRGB, with a little dot gain (ink^0.9) so that it is not the formula.
 */
int profile_cmyk(uint8_t **ret, size_t *ret_len);
/* A device link (sRGB to sRGB): a class that does not describe pixels. */
int profile_link(uint8_t **ret, size_t *ret_len);
/* Display P3 again, its description desc (wide characters, as an MLU holds them). */
int profile_p3_described(const wchar_t *desc, uint8_t **ret, size_t *ret_len);

#endif
