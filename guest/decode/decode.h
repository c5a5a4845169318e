/*
 * Image decoding under hard limits: one decoder per format (guest/decode/decoder.h), chosen
 * by magic bytes only. Output is grey, grey+alpha, RGB or RGBA, 8 or 16 bits per sample.
 * This code parses hostile bytes: it runs inside the sandboxed child only
 * (guest/sandbox/isolate.c), except in tests and benchmarks that compare it with a native
 * decode.
 */
#ifndef IH_GUEST_DECODE_H
#define IH_GUEST_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct ih_image {
	uint32_t width;
	uint32_t height;
	uint32_t channels; /* 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA */
	uint32_t depth; /* bits per sample: 8, or 16 (two bytes, most significant first) */
	uint32_t frames; /* frames in the file: 1 for a still image */
	uint32_t src_depth; /* bits per sample in the file */
	uint32_t src_model; /* enum ih_model */
	uint8_t *pixels; /* width * height * channels * depth / 8 bytes, rows top to bottom */
	size_t len;
	bool owned; /* pixels came from malloc (ih_image_free frees them) */
	/* The pixels are CMYK (channels 4, 0 = no ink, Adobe inversion undone) until the colour
	 * step (guest/decode/color.h) makes them RGB. */
	bool cmyk;
	/* Metadata the format carries, copied out of the input (malloc'd, freed by
	 * ih_image_free), for the steps common to every format: the EXIF block as TIFF bytes
	 * ("II*\0" or "MM\0*" first) and the ICC profile. NULL and 0 when absent. */
	uint8_t *exif;
	size_t exif_len;
	uint8_t *icc;
	size_t icc_len;
	/* The container says the orientation (HEIF/AVIF irot and imir, as the EXIF value that
	 * names the same turn, in orientation): the orientation step applies that, never an
	 * EXIF tag. A decoder that applied it itself sets orient_state instead. */
	bool orient_container;
	/* What the common steps after the decoder did (decode.c): as in struct ih_response. */
	uint32_t orientation;
	uint32_t orient_state;
	uint32_t color_action;
	char color_desc[IH_DESC_MAX];
	char orient_note[IH_NOTE_MAX];
	char color_note[IH_NOTE_MAX];
};

/* Where the pixels go: a caller's buffer (the isolation's shared memory), or malloc. */
struct ih_pixel_dest {
	uint8_t *buf;
	size_t cap;
};

/*
 * Decodes in[0..len) under lim (input bytes, pixels, memory, JPEG scans, PNG chunks) as
 * opts asks (NULL: the defaults). Returns 0 with *ret filled (free with ih_image_free), or
 * -errno with a one-line printable reason in reason[]: -EINVAL invalid or unsupported data,
 * -E2BIG over a limit, -ENOMEM the memory budget ran out. *ret is untouched on failure.
 */
int ih_decode(const struct ih_limits *lim, const struct ih_decode_opts *opts, const uint8_t *in,
	      size_t len, struct ih_image *ret, char reason[IH_REASON_MAX]);

/* The same, with the pixels written to dest->buf (or malloc'd when dest is NULL);
 * an image larger than dest->cap is rejected. */
int ih_decode_into(const struct ih_limits *lim, const struct ih_decode_opts *opts,
		   const uint8_t *in, size_t len, const struct ih_pixel_dest *dest,
		   struct ih_image *ret, char reason[IH_REASON_MAX]);

void ih_image_free(struct ih_image *img);

/* The format the magic bytes name ("png", "jpeg", ...), or NULL. */
const char *ih_decode_format(const uint8_t *in, size_t len);

/*
 * Makes every decoder's one-time choices (e.g. libjpeg-turbo's SIMD routines) in this
 * process, so that sandboxed children forked from this thread later need no file access
 * or system call for them. Idempotent.
 */
void ih_decoders_prepare(void);

/*
 * The same in two parts, for a process that makes sandboxed children: the decoders whose
 * set-up is cheap (ih_decoders_prepare_eager), and those whose set-up is a first decode
 * (AVIF, JPEG XL), one bit each, prepared only once an image needs them: the bit of in's
 * format (0: none needed), then ih_decoders_prepare_lazy() with the bits so far.
 */
void ih_decoders_prepare_eager(void);
uint32_t ih_decode_lazy_need(const uint8_t *in, size_t len);
void ih_decoders_prepare_lazy(uint32_t bits);

/* printf into reason[] (or a note), cut to fit, non-printable bytes replaced by '?'. */
__attribute__((format(printf, 2, 3))) void ih_reason_set(char reason[IH_REASON_MAX],
							 const char *fmt, ...);
__attribute__((format(printf, 2, 3))) void ih_note_set(char note[IH_NOTE_MAX], const char *fmt,
						       ...);

#endif
