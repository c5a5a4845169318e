/* Hostile HEIF files built box by box (tests/bmff/bmff_boxes.h). */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bmff_boxes.h"

struct buf {
	uint8_t *p;
	size_t n, cap;
	bool failed;
};

static void put(struct buf *b, const void *src, size_t n)
{
	if (b->n + n > b->cap) {
		size_t cap = (b->n + n) * 2;
		uint8_t *p = realloc(b->p, cap);

		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, src, n);
	b->n += n;
}

static void put32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	put(b, x, 4);
}

static void put16(struct buf *b, uint32_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(b, x, 2);
}

static void set32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Opens a box (a FullBox when version >= 0): its start, for box_close. */
static size_t box_open(struct buf *b, const char *type, int version)
{
	size_t at = b->n;

	put32(b, 0);
	put(b, type, 4);
	if (version >= 0)
		put32(b, (uint32_t)version << 24);
	return at;
}

static void box_close(struct buf *b, size_t at)
{
	if (!b->failed)
		set32(b->p + at, (uint32_t)(b->n - at));
}

static void ftyp(struct buf *b, const char *major, const char *compat)
{
	size_t at = box_open(b, "ftyp", -1);

	put(b, major, 4);
	put32(b, 0);
	put(b, compat, 4);
	put(b, "mif1", 4);
	box_close(b, at);
}

static void infe(struct buf *b, uint32_t id, const char *type)
{
	size_t at = box_open(b, "infe", 2);

	put16(b, id);
	put16(b, 0);
	put(b, type, 4);
	put(b, "", 1);
	box_close(b, at);
}

/* One item type for items 1..n: item 1 is type1, the rest rest. */
static void iinf(struct buf *b, uint32_t n, const char *type1, const char *rest)
{
	size_t at = box_open(b, "iinf", 0);

	put16(b, n);
	for (uint32_t id = 1; id <= n; id++)
		infe(b, id, id == 1 ? type1 : rest);
	box_close(b, at);
}

/* dimg references: from item from to items first..first+n-1. */
static void iref_dimg(struct buf *b, uint32_t from, uint32_t first, uint32_t n)
{
	size_t at = box_open(b, "iref", 0), ref = box_open(b, "dimg", -1);

	put16(b, from);
	put16(b, n);
	for (uint32_t i = 0; i < n; i++)
		put16(b, first + i);
	box_close(b, ref);
	box_close(b, at);
}

/* ipco with two ispe (1: the grid's, 2: every tile's); ipma giving item 1 the first and
 * items 2..n the second. */
static void iprp(struct buf *b, uint32_t n, uint32_t grid_side, uint32_t tile_side)
{
	size_t at = box_open(b, "iprp", -1), co = box_open(b, "ipco", -1), ma;
	uint32_t sides[2] = { grid_side, tile_side };

	for (int i = 0; i < 2; i++) {
		size_t is = box_open(b, "ispe", 0);

		put32(b, sides[i]);
		put32(b, sides[i]);
		box_close(b, is);
	}
	box_close(b, co);
	ma = box_open(b, "ipma", 0);
	put32(b, n);
	for (uint32_t id = 1; id <= n; id++) {
		uint8_t one = 1, idx = (uint8_t)(0x80 | (id == 1 ? 1 : 2));

		put16(b, id);
		put(b, &one, 1);
		put(b, &idx, 1);
	}
	box_close(b, ma);
	box_close(b, at);
}

static void hdlr_pitm(struct buf *b, bool pitm)
{
	size_t at = box_open(b, "hdlr", 0);

	put32(b, 0);
	put(b, "pict", 4);
	put32(b, 0);
	put32(b, 0);
	put32(b, 0);
	put(b, "", 1);
	box_close(b, at);
	if (pitm) {
		at = box_open(b, "pitm", 0);
		put16(b, 1);
		box_close(b, at);
	}
}

/* idat with one ImageGrid header (1 x 1, 16-bit sizes) per grid item, and iloc placing
 * them: item 1 is side1 square, item 2 (when a grid) side2. */
static void grid_data(struct buf *b, unsigned grids, uint32_t side1, uint32_t side2)
{
	size_t at = box_open(b, "idat", -1);

	for (unsigned g = 0; g < grids; g++) {
		uint32_t side = g ? side2 : side1;

		put32(b, 0);
		put16(b, side);
		put16(b, side);
	}
	box_close(b, at);
	at = box_open(b, "iloc", 1);
	put16(b, 0x4400); /* 4-byte offsets and lengths, no base offset, no index */
	put16(b, grids);
	for (unsigned g = 0; g < grids; g++) {
		put16(b, g + 1);
		put16(b, 1); /* construction method 1: idat */
		put16(b, 0);
		put16(b, 1);
		put32(b, g * 8);
		put32(b, 8);
	}
	box_close(b, at);
}

static void nest(struct buf *b, unsigned depth)
{
	size_t at = box_open(b, "dinf", -1);

	if (depth > 1)
		nest(b, depth - 1);
	box_close(b, at);
}

/* A grid (item 1) of tiles 2..items, with references first..first+refs-1. */
static void meta_grid(struct buf *b, enum bmff_attack a)
{
	uint32_t items = a == BMFF_ITEM_FLOOD ? 5000 : a == BMFF_TILE_FLOOD ? 3001 : 65;
	uint32_t first = 2, refs = items - 1, tile = a == BMFF_GRID_OF_HUGE_TILES ? 6000 : 64;
	size_t at = box_open(b, "meta", 0);

	if (a == BMFF_RECURSIVE_REFS || a == BMFF_SELF_REF || a == BMFF_DANGLING_REF) {
		items = 2;
		refs = 1;
		first = a == BMFF_SELF_REF ? 1 : a == BMFF_DANGLING_REF ? 7 : 2;
	}
	hdlr_pitm(b, a != BMFF_NO_PITM);
	iinf(b, items, a == BMFF_AV1_IN_HEIF ? "av01" : "grid",
	     a == BMFF_RECURSIVE_REFS ? "grid" : "hvc1");
	if (a == BMFF_RECURSIVE_REFS) { /* 1 -> 2 and 2 -> 1 */
		size_t r = box_open(b, "iref", 0), d1 = box_open(b, "dimg", -1), d2;

		put16(b, 1);
		put16(b, 1);
		put16(b, 2);
		box_close(b, d1);
		d2 = box_open(b, "dimg", -1);
		put16(b, 2);
		put16(b, 1);
		put16(b, 1);
		box_close(b, d2);
		box_close(b, r);
	} else if (a != BMFF_AV1_IN_HEIF) {
		iref_dimg(b, 1, first, refs);
	}
	iprp(b, items, 4000, tile);
	if (a != BMFF_AV1_IN_HEIF)
		grid_data(b, a == BMFF_RECURSIVE_REFS ? 2 : 1,
			  a == BMFF_GRID_OVER_ISPE ? 30000 : 4000, tile);
	if (a == BMFF_DEEP_NESTING)
		nest(b, 40);
	box_close(b, at);
}

int bmff_build(enum bmff_attack attack, uint8_t **ret, size_t *ret_len)
{
	struct buf b = { 0 };

	ftyp(&b, "heic", "heic");
	meta_grid(&b, attack);
	if (attack == BMFF_BOX_FLOOD)
		for (int i = 0; i < 30000; i++) {
			put32(&b, 8);
			put(&b, "free", 4);
		}
	put32(&b, 8);
	put(&b, "mdat", 4);
	if (b.failed) {
		free(b.p);
		return -1;
	}
	*ret = b.p;
	*ret_len = b.n;
	return 0;
}

static uint8_t *find_type(uint8_t *p, size_t len, const char *type, size_t from)
{
	uint8_t *q = len > from + 4 ? memmem(p + from, len - from, type, 4) : NULL;

	return q && q >= p + 4 ? q : NULL;
}

void bmff_set_size(uint8_t *p, size_t len, const char *type, uint32_t size)
{
	uint8_t *q = find_type(p, len, type, 0);

	if (q)
		set32(q - 4, size);
}

void bmff_set_ispe(uint8_t *p, size_t len, uint32_t w, uint32_t h)
{
	uint8_t *q;
	size_t from = 0;

	while ((q = find_type(p, len, "ispe", from)) && (size_t)(q - p) + 16 <= len) {
		set32(q + 8, w);
		set32(q + 12, h);
		from = (size_t)(q - p) + 4;
	}
}

void bmff_zero_box(uint8_t *p, size_t len, const char *type)
{
	uint8_t *q = find_type(p, len, type, 0);
	size_t size;

	if (!q)
		return;
	size = (size_t)q[-4] << 24 | (size_t)q[-3] << 16 | (size_t)q[-2] << 8 | q[-1];
	if (size >= 8 && (size_t)(q - 4 - p) + size <= len)
		memset(q + 4, 0, size - 8);
}
