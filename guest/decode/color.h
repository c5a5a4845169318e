/*
 * The colour step common to every format, run in the decoder child after the decoder:
 * an embedded ICC profile is honoured through Little CMS 2 (--color=srgb converts the
 * pixels to sRGB and drops the profile, --color=keep leaves the pixels and keeps the
 * profile as lcms2 re-serialised it, --color=ignore drops it unread), and CMYK pixels
 * become RGB (through the profile when there is one, else by the uncalibrated formula).
 * The profile is hostile bytes: a profile lcms2 refuses leaves the pixels unconverted and
 * says why; it never blocks the image.
 */
#ifndef IH_GUEST_COLOR_H
#define IH_GUEST_COLOR_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"

struct ih_color_report {
	uint32_t action; /* enum ih_color_action (guest/decode/proto.h) */
	char desc[IH_DESC_MAX]; /* the profile's description: printable ASCII, cut, or "" */
	char note[IH_NOTE_MAX]; /* why a profile was refused, else "" */
};

/*
 * Applies the colour step to img in place, as flags (IH_OPT_COLOR_*) ask, spending at most
 * mem_max bytes of memory: CMYK pixels (img->cmyk) always leave as RGB (channels 3).
 * Returns 0 with *ret filled, or -EINVAL with reason[] set when the image cannot be given
 * at all: a layout no decoder makes, or keep and ignore asked at once. Nothing in the profile
 * fails the image (lcms2 out of memory within mem_max refuses the profile, and CMYK then
 * takes the formula, which needs no memory), so -ENOMEM is never returned.
 */
int ih_color_apply(struct ih_image *img, uint32_t flags, size_t mem_max,
		   struct ih_color_report *ret, char reason[IH_REASON_MAX]);

/* lcms2's one-time set-up, done in the parent before any sandboxed child. Idempotent. */
void ih_color_prepare(void);

#endif
