/*
 * Image decoding under hard limits: PNG through libpng, JPEG through libjpeg-turbo, the
 * format chosen by magic bytes only. Output is 8-bit RGB, or RGBA when the image has
 * alpha. This code parses hostile bytes: it runs inside the sandboxed child only
 * (guest/isolate.c), except in tests and benchmarks that compare it with a native decode.
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
	uint32_t channels; /* 3 or 4 */
	uint8_t *pixels; /* width * height * channels bytes, rows top to bottom */
	size_t len;
	bool owned; /* pixels came from malloc (ih_image_free frees them) */
};

/* Where the pixels go: a caller's buffer (the isolation's shared memory), or malloc. */
struct ih_pixel_dest {
	uint8_t *buf;
	size_t cap;
};

/*
 * Decodes in[0..len) under lim (input bytes, pixels, memory, JPEG scans, PNG chunks).
 * Returns 0 with *ret filled (free with ih_image_free), or -errno with a one-line
 * printable reason in reason[]: -EINVAL invalid or unsupported data, -E2BIG over a limit,
 * -ENOMEM the memory budget ran out. *ret is untouched on failure.
 */
int ih_decode(const struct ih_limits *lim, const uint8_t *in, size_t len, struct ih_image *ret,
	      char reason[IH_REASON_MAX]);

/* The same, with the pixels written to dest->buf (or malloc'd when dest is NULL);
 * an image larger than dest->cap is rejected. */
int ih_decode_into(const struct ih_limits *lim, const uint8_t *in, size_t len,
		   const struct ih_pixel_dest *dest, struct ih_image *ret,
		   char reason[IH_REASON_MAX]);

/* For the decoders: len bytes for the pixels from dest (NULL: malloc), or NULL. */
uint8_t *ih_pixels_alloc(const struct ih_pixel_dest *dest, size_t len);

void ih_image_free(struct ih_image *img);

/* The format the magic bytes name: "png", "jpeg", or NULL. */
const char *ih_decode_format(const uint8_t *in, size_t len);

/*
 * The single memory path of the decoders: every allocation they make for the image goes
 * through one budget of max_memory_bytes (libpng's allocator, libjpeg's memory-manager
 * methods, the pixel buffer, the row table).
 */
struct ih_budget {
	size_t used;
	size_t max;
};

/* Counts n bytes (plus a block header) against the budget: 0 or -ENOMEM. */
int ih_budget_charge(struct ih_budget *b, size_t n);
/* malloc through the budget; NULL when it would go over. */
void *ih_budget_alloc(struct ih_budget *b, size_t n);
void ih_budget_free(struct ih_budget *b, void *p);

/* printf into reason[], cut to fit, non-printable bytes replaced by '?'. */
__attribute__((format(printf, 2, 3))) void ih_reason_set(char reason[IH_REASON_MAX],
							 const char *fmt, ...);

int ih_decode_png(const struct ih_limits *lim, const uint8_t *in, size_t len,
		  const struct ih_pixel_dest *dest, struct ih_image *ret,
		  char reason[IH_REASON_MAX]);
/*
 * Makes libjpeg-turbo's one-time choices (its SIMD routines) in this process, so that
 * sandboxed children forked from this thread later need no file access for them. Idempotent.
 */
void ih_jpeg_prepare(void);

int ih_decode_jpeg(const struct ih_limits *lim, const uint8_t *in, size_t len,
		   const struct ih_pixel_dest *dest, struct ih_image *ret,
		   char reason[IH_REASON_MAX]);

#endif
