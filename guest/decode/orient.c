/*
 * Orientation and depth steps (guest/decode/orient.h). For a destination pixel (x, y) of
 * a turned image (width H, height W for a W x H source), the source pixel is:
 *   5 transpose (y, x)   6 turn 90 clockwise (y, H-1-x)
 *   7 transverse (W-1-y, H-1-x)   8 turn 90 counter-clockwise (W-1-y, x)
 * The copy goes in 64 x 64 tiles so that both images stay in cache; 2-4 (mirrors, a half
 * turn) stay within the buffer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "decoder.h"
#include "orient.h"

#define TILE 64

struct plane {
	uint8_t *p;
	size_t w, h, bpp; /* bpp: bytes a pixel */
};

/*
 * The copy loops, one per pixel size so that every memcpy has a constant length: n pixels
 * from src (stepping step bytes a pixel, backwards or down a column) to dst, in order.
 */
#define DEFINE_WALK(BPP)                                                                           \
	static void walk_##BPP(uint8_t *dst, const uint8_t *src, ptrdiff_t step, size_t n)         \
	{                                                                                          \
		for (size_t i = 0; i < n; i++, src += step)                                        \
			memcpy(dst + i * (BPP), src, (BPP));                                       \
	}
DEFINE_WALK(1)
DEFINE_WALK(2)
DEFINE_WALK(3)
DEFINE_WALK(4)
DEFINE_WALK(6)
DEFINE_WALK(8)

typedef void (*walk_fn)(uint8_t *dst, const uint8_t *src, ptrdiff_t step, size_t n);

static walk_fn walk_for(size_t bpp)
{
	switch (bpp) {
	case 1:
		return walk_1;
	case 2:
		return walk_2;
	case 3:
		return walk_3;
	case 4:
		return walk_4;
	case 6:
		return walk_6;
	default:
		return walk_8;
	}
}

/* Mirrors every row (orientation 2), through one row of scratch. */
static void mirror_rows(const struct plane *s, uint8_t *row)
{
	size_t stride = s->w * s->bpp;
	walk_fn walk = walk_for(s->bpp);

	for (size_t y = 0; y < s->h; y++) {
		uint8_t *p = s->p + y * stride;

		walk(row, p + stride - s->bpp, -(ptrdiff_t)s->bpp, s->w);
		memcpy(p, row, stride);
	}
}

/* Swaps rows top for bottom (orientation 4), mirroring them too for 3 (a half turn). */
static void flip_rows(const struct plane *s, uint8_t *row, bool mirror)
{
	size_t stride = s->w * s->bpp;
	walk_fn walk = walk_for(s->bpp);

	for (size_t y = 0; y < (s->h + 1) / 2; y++) {
		uint8_t *a = s->p + y * stride, *b = s->p + (s->h - 1 - y) * stride;

		if (!mirror) {
			memcpy(row, a, stride);
			memmove(a, b, stride);
			memcpy(b, row, stride);
			continue;
		}
		walk(row, b + stride - s->bpp, -(ptrdiff_t)s->bpp, s->w);
		if (a != b)
			walk(b, a + stride - s->bpp, -(ptrdiff_t)s->bpp, s->w);
		memcpy(a, row, stride);
	}
}

/* One tile of the destination (width s->h, height s->w): each destination row walks one
 * source column, down (5, 8) or up (6, 7). */
static void turn_tile(const struct plane *s, uint32_t o, uint8_t *d, size_t tx, size_t ty)
{
	size_t xe = tx + TILE < s->h ? tx + TILE : s->h, ye = ty + TILE < s->w ? ty + TILE : s->w;
	ptrdiff_t stride = (ptrdiff_t)(s->w * s->bpp);
	bool down = o == 5 || o == 8;
	walk_fn walk = walk_for(s->bpp);

	for (size_t y = ty; y < ye; y++) {
		size_t sx = o <= 6 ? y : s->w - 1 - y, sy = down ? tx : s->h - 1 - tx;

		walk(d + (y * s->h + tx) * s->bpp, s->p + sy * (size_t)stride + sx * s->bpp,
		     down ? stride : -stride, xe - tx);
	}
}

static int turn(struct ih_image *img, const struct plane *s, uint32_t o, size_t mem_max,
		char reason[IH_REASON_MAX])
{
	struct ih_huge sc;

	if (mem_max < IH_HUGE_PAGE || img->len > mem_max - IH_HUGE_PAGE ||
	    ih_huge_map(img->len, &sc) < 0) {
		ih_reason_set(reason,
			      "turning the %ux%u image needs %zu more bytes than the "
			      "memory limit allows",
			      img->width, img->height, img->len);
		return -ENOMEM;
	}
	for (size_t ty = 0; ty < s->w; ty += TILE)
		for (size_t tx = 0; tx < s->h; tx += TILE)
			turn_tile(s, o, sc.p, tx, ty);
	memcpy(img->pixels, sc.p, img->len);
	ih_huge_unmap(&sc);
	img->width = (uint32_t)s->h;
	img->height = (uint32_t)s->w;
	return 0;
}

/* 2-4 in place, with one row of scratch. */
static int mirror(struct ih_image *img, const struct plane *s, uint32_t o, size_t mem_max,
		  char reason[IH_REASON_MAX])
{
	size_t stride = s->w * s->bpp;
	uint8_t *row = stride <= mem_max ? malloc(stride) : NULL;

	if (!row) {
		ih_reason_set(reason, "no memory for one row of the %ux%u image", img->width,
			      img->height);
		return -ENOMEM;
	}
	if (o == 2)
		mirror_rows(s, row);
	else
		flip_rows(s, row, o == 3);
	free(row);
	return 0;
}

int ih_orient_apply(struct ih_image *img, uint32_t o, size_t mem_max, char reason[IH_REASON_MAX])
{
	const struct plane s = { img->pixels, img->width, img->height,
				 img->channels * (img->depth / 8) };

	switch (o) {
	case 2:
	case 3:
	case 4:
		return mirror(img, &s, o, mem_max, reason);
	case 5:
	case 6:
	case 7:
	case 8:
		return turn(img, &s, o, mem_max, reason);
	default:
		return 0;
	}
}

void ih_depth_reduce(struct ih_image *img)
{
	size_t n = img->len / 2;

	if (img->depth != 16)
		return;
	for (size_t i = 0; i < n; i++) {
		uint32_t v = (uint32_t)img->pixels[2 * i] << 8 | img->pixels[2 * i + 1];

		img->pixels[i] = (uint8_t)((v * 255 + 32767) / 65535);
	}
	img->depth = 8;
	img->len = n;
}
