/*
 * The ISO base media file format (ISO/IEC 14496-12) as HEIF and AVIF use it: which of the
 * two a file says it is (its ftyp brands), and a bounded walk of its boxes done before
 * libheif or libavif sees a byte. The walk enforces the box limits of limits.conf (nesting,
 * count, every size within its parent), reads the item table (iinf, pitm, iref, ipco,
 * ipma) and judges it: items per file, the coded types allowed, every ispe against the
 * request's pixel limit, the primary image's tiles (count and summed area), and derived
 * images that reference derived images (which is how a reference cycle starts). Only the
 * HEIF and AVIF decoders include this header.
 */
#ifndef IH_GUEST_ISOBMFF_H
#define IH_GUEST_ISOBMFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decoder.h"

enum ih_bmff_kind {
	IH_BMFF_NONE = 0,
	IH_BMFF_HEIF, /* heic, heix, heim, heis, hevc, hevx, mif1, msf1 */
	IH_BMFF_AVIF, /* avif, avis (an AVIF brand wins over the generic mif1) */
};

/* The kind the ftyp box (first in the file) names among its major and compatible brands. */
enum ih_bmff_kind ih_bmff_kind(const uint8_t *in, size_t len);

/* What the walk found that the decoders use. */
struct ih_bmff_info {
	uint32_t primary; /* pitm's item ID */
	uint32_t items; /* iinf entries */
	uint32_t tiles; /* images the primary is derived from (dimg), 0 for a coded one */
	uint64_t width, height; /* the primary's ispe; 0 when it has none */
	/* The primary's transformative properties (irot, imir, in their ipma order) as the
	 * EXIF orientation (1-8) that names the same turn: 1 when it has none. */
	uint32_t orientation;
	uint32_t transforms; /* how many irot and imir properties the primary has */
	bool sequence; /* a moov box: an image sequence (avis) */
};

/*
 * Walks in[0..len) as a file of kind k under lim and the bmff_* limits: 0 with *ret
 * filled, -EINVAL (malformed: truncated box, bad reference, unsupported coding) or -E2BIG
 * (over a limit) with the reason set. Allocates through b.
 */
int ih_bmff_scan(const uint8_t *in, size_t len, enum ih_bmff_kind k, const struct ih_limits *lim,
		 struct ih_budget *b, struct ih_bmff_info *ret, char reason[IH_REASON_MAX]);

#endif
