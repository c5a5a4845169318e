/*
 * Images the fidelity tests make themselves: an EXIF block with a given orientation, PNGs
 * with eXIf, JPEGs (RGB, CMYK, YCCK) with APP1/APP2 markers, and the spliced variants the
 * hostile-metadata tests need.
 */
#ifndef IH_TESTS_FIDELITY_IMAGES_H
#define IH_TESTS_FIDELITY_IMAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct blob {
	uint8_t *p;
	size_t len;
};

void blob_free(struct blob *b);
int blob_put(struct blob *b, const void *d, size_t n);

/* A TIFF-structured EXIF block whose IFD0 holds one orientation tag (value o). */
size_t exif_block(uint8_t out[32], bool big_endian, uint16_t o);

/* The upright test picture: w x h, channels 1-4, depth 8 or 16, every pixel distinct. */
void picture_fill(uint8_t *px, uint32_t w, uint32_t h, uint32_t ch, uint32_t depth);

/* A PNG of px (rows top to bottom) with an eXIf chunk of exif[0..exif_len) if exif_len. */
int png_make(const uint8_t *px, uint32_t w, uint32_t h, uint32_t ch, uint32_t depth,
	     const uint8_t *exif, size_t exif_len, struct blob *ret);

/* A baseline JPEG (4:4:4, quality 95) of 8-bit px: ch 1 grey, 3 RGB, or 4 CMYK (written as
 * given; ycck stores it as YCCK). Adobe's APP14 is written for CMYK/YCCK, as libjpeg does. */
int jpeg_make(const uint8_t *px, uint32_t w, uint32_t h, uint32_t ch, bool ycck, struct blob *ret);

/* in with a marker (0xFFE0 + app) of payload[0..n) inserted right after SOI. */
int jpeg_add_marker(const struct blob *in, int app, const uint8_t *payload, size_t n,
		    struct blob *ret);

/* Runs jpegtran -perfect -copy none with the transform words of args on in. */
int jpegtran(const struct blob *in, const char *const *args, struct blob *ret);

#endif
