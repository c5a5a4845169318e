/*
 * The interface every per-format decoder of guest/decode/ implements, and what they share:
 * one memory budget, the pixel destination, the reason text. Each decoder is one file
 * (png.c, jpeg.c, ...) exporting one struct ih_decoder; decode.c's table maps magic bytes
 * to it. Only the decoders and the dispatch include this header.
 */
#ifndef IH_GUEST_DECODER_H
#define IH_GUEST_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"

struct ih_decoder {
	const char *name; /* "png", "jpeg": the record's format name */
	/*
	 * Decodes in[0..len) (already within max_input_bytes) under lim, as ih_decode_into():
	 * fills every field of *ret at the source's full depth (opts->frame selects the frame
	 * of an animation; reducing depth, orientation and colour are common steps done after
	 * the decoder by decode.c), copying the EXIF and ICC bytes the format carries.
	 */
	int (*decode)(const struct ih_limits *lim, const struct ih_decode_opts *opts,
		      const uint8_t *in, size_t len, const struct ih_pixel_dest *dest,
		      struct ih_image *ret, char reason[IH_REASON_MAX]);
	/* The library's one-time set-up, done before any sandboxed child; NULL: none. */
	void (*prepare)(void);
	/* prepare is costly (a first decode of a built-in image): done only once an image of
	 * this format comes (ih_decode_lazy_need), not for every VM's first image. */
	bool lazy;
};

extern const struct ih_decoder ih_decoder_png;
extern const struct ih_decoder ih_decoder_jpeg;
extern const struct ih_decoder ih_decoder_gif;
extern const struct ih_decoder ih_decoder_webp;
extern const struct ih_decoder ih_decoder_tiff;
extern const struct ih_decoder ih_decoder_heif;
extern const struct ih_decoder ih_decoder_avif;
extern const struct ih_decoder ih_decoder_jxl;

/* For the decoders: len bytes for the pixels from dest (NULL: malloc), or NULL. */
uint8_t *ih_pixels_alloc(const struct ih_pixel_dest *dest, size_t len);

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
/* malloc through the budget; NULL when it would go over. A block of IH_HUGE_PAGE or more
 * comes from ih_huge_map (a canvas, a strip buffer, libjxl's planes). */
void *ih_budget_alloc(struct ih_budget *b, size_t n);
void ih_budget_free(struct ih_budget *b, void *p);

/*
 * Private memory that maps in 2 MiB huge pages where the kernel allows (transparent huge
 * pages, "madvise" or "always"): a process's first touch of a fresh 4 KiB page costs a fault
 * each (about 12 us on a host with shadow page tables), of a huge page one fault per 2 MiB.
 * Anonymous, never executable, from a 2 MiB boundary; where the kernel has no huge pages,
 * ordinary pages.
 */
#define IH_HUGE_PAGE ((size_t)2 << 20)

struct ih_huge {
	uint8_t *map; /* what mmap gave, IH_HUGE_PAGE longer than asked */
	size_t map_len;
	uint8_t *p; /* the first huge-page boundary in it: len bytes from here */
};

/* 0 with *ret, or -ENOMEM. */
int ih_huge_map(size_t len, struct ih_huge *ret);
void ih_huge_unmap(const struct ih_huge *h);

/*
 * For a library without an allocator hook (libheif, libavif): a w x h image against
 * max_pixels (-E2BIG), then 16 bytes a pixel (YCbCr planes of 16-bit samples, their RGB
 * conversion, alpha) charged to b (-ENOMEM), the reason naming format.
 */
int ih_library_charge(const struct ih_limits *lim, struct ih_budget *b, const char *format,
		      uint64_t w, uint64_t h, char reason[IH_REASON_MAX]);

#endif
