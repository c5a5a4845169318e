/*
 * Hostile HEIF files for the tests, built box by box (ftyp, meta with hdlr, pitm, iinf,
 * iref, iprp/ipco/ipma), and in-place mutations of a good file's boxes.
 */
#ifndef IH_TESTS_BMFF_BOXES_H
#define IH_TESTS_BMFF_BOXES_H

#include <stddef.h>
#include <stdint.h>

enum bmff_attack {
	BMFF_GRID_OF_HUGE_TILES, /* a grid of 64 tiles whose ispe say 6000 x 6000 each */
	BMFF_TILE_FLOOD, /* a grid of 3000 tiles */
	BMFF_RECURSIVE_REFS, /* grid 1 -> grid 2 -> grid 1 (dimg) */
	BMFF_SELF_REF, /* grid 1 -> grid 1 */
	BMFF_ITEM_FLOOD, /* 5000 items */
	BMFF_DEEP_NESTING, /* dinf boxes nested 40 deep inside meta */
	BMFF_BOX_FLOOD, /* 30000 free boxes after meta */
	BMFF_DANGLING_REF, /* a grid naming a tile that is not in iinf */
	BMFF_AV1_IN_HEIF, /* an av01 primary under heic/mif1 brands only */
	BMFF_NO_PITM, /* no primary item */
	BMFF_GRID_OVER_ISPE, /* a grid whose header declares 30000 x 30000, its ispe 4000 x 4000 */
};

/* A malloc'd file for the attack: 0, or -1. */
int bmff_build(enum bmff_attack attack, uint8_t **ret, size_t *ret_len);

/* Sets the size field of the first box of type (a 4-character code) found in p. */
void bmff_set_size(uint8_t *p, size_t len, const char *type, uint32_t size);
/* Sets the width and height of every ispe box in p. */
void bmff_set_ispe(uint8_t *p, size_t len, uint32_t w, uint32_t h);
/* Zeroes the payload of the first box of type in p. */
void bmff_zero_box(uint8_t *p, size_t len, const char *type);

#endif
