/*
 * The per-format limits fixed by the build: the second part of guest/decode/limits.conf,
 * each line with its reason, generated into the const struct below by gen-limits.awk.
 * Unlike struct ih_limits they are not carried by a request: every decode has the same.
 */
#ifndef IH_GUEST_FORMAT_LIMITS_H
#define IH_GUEST_FORMAT_LIMITS_H

#include <stdint.h>

/* Room for the TIFF compression allow-list; 0 ends it. */
#define IH_TIFF_MAX_COMPRESSIONS 8

struct ih_format_limits {
	uint64_t max_frames; /* frames in one animation (GIF, WebP) */
	uint64_t max_anim_pixels; /* frame areas composed to reach the frame asked for */
	uint64_t max_meta_bytes; /* one EXIF or ICC copy */
	uint64_t gif_max_lzw_bytes; /* LZW output of one GIF frame */
	uint64_t gif_max_extensions; /* extension blocks in one GIF */
	uint64_t tiff_max_ifds; /* directories chained in one TIFF */
	uint64_t tiff_max_strips; /* strips or tiles of one TIFF image */
	uint64_t tiff_max_strip_bytes; /* decompressed bytes of one strip or tile */
	uint64_t webp_max_chunks; /* RIFF chunks in one WebP, frames aside */
	uint64_t webp_max_chunk_bytes; /* one WebP metadata chunk */
	uint64_t webp_max_side; /* WebP canvas width and height */
	uint64_t max_icc_bytes; /* one ICC profile, copied out or kept (guest/decode/color.c) */
	uint64_t bmff_max_boxes; /* boxes in one HEIF/AVIF file */
	uint64_t bmff_max_depth; /* box nesting */
	uint64_t bmff_max_items; /* items (iinf entries) */
	uint64_t bmff_max_refs; /* item references (iref) */
	uint64_t bmff_max_ref_depth; /* derived images of derived images */
	uint64_t bmff_max_tiles; /* images a grid or overlay is made of */
	uint64_t bmff_max_side; /* width and height an ispe may declare */
	uint64_t jxl_max_side; /* JPEG XL width and height */
	uint64_t jxl_max_boxes; /* boxes of one JPEG XL container */
	uint16_t tiff_compressions[IH_TIFF_MAX_COMPRESSIONS]; /* COMPRESSION_* allowed */
};

extern const struct ih_format_limits ih_format_limits;

#endif
