/*
 * Where an ISO-BMFF item's bytes are (its iloc entry, in the file or in idat) and the
 * output size a derived image's bytes declare (grid, iovl): for the box walk of
 * guest/decode/isobmff.c, which alone includes this header.
 */
#ifndef IH_GUEST_ISOBMFF_ILOC_H
#define IH_GUEST_ISOBMFF_ILOC_H

#include <stddef.h>
#include <stdint.h>

struct ih_bytes {
	const uint8_t *p;
	size_t len;
};

/*
 * The first extent of item id as iloc (payload iloc) places it: construction method 0 in
 * file, 1 in idat (payload). 0 with *ret within file or idat; -EINVAL when iloc is
 * malformed, has no entry for id, or places it outside.
 */
int ih_bmff_item_bytes(struct ih_bytes file, struct ih_bytes iloc, struct ih_bytes idat,
		       uint32_t id, struct ih_bytes *ret);

/* The output width and height that the bytes of a grid or iovl item declare: 0, or
 * -EINVAL when they are too short. */
int ih_bmff_derived_size(const char type[4], struct ih_bytes b, uint64_t *w, uint64_t *h);

#endif
