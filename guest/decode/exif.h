/*
 * The EXIF orientation: a small bounded reader of IFD0's Orientation tag (0x0112) and
 * nothing else. The EXIF block is hostile bytes: every offset and count is checked against
 * its length; only IFD0 is read, so no IFD chain (or loop) is ever followed.
 */
#ifndef IH_GUEST_EXIF_H
#define IH_GUEST_EXIF_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/*
 * Reads the orientation of tiff[0..len) (a TIFF header, "II*\0" or "MM\0*", then IFDs):
 * 0 with *ret 1-8, or 0 when IFD0 has no orientation tag; -EINVAL with note[] saying why
 * the block is unusable (truncated, wrong byte order, IFD0 outside the block, an entry count
 * past its end, a tag of the wrong type or count, a value out of 1-8, two tags that
 * disagree). *ret is untouched on failure.
 */
int ih_exif_orientation(const uint8_t *tiff, size_t len, uint32_t *ret, char note[IH_NOTE_MAX]);

#endif
