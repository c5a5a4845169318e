/*
 * iloc (ISO/IEC 14496-12 8.11.3) and the ImageGrid / ImageOverlay headers (ISO/IEC
 * 23008-12 6.6.2.3, 6.6.2.2): bounded reads, every field checked against what is left.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "isobmff_iloc.h"

struct cursor {
	const uint8_t *p;
	size_t left;
	bool bad;
};

/* An n-byte big-endian number (n <= 8); 0 and bad when it is not there. */
static uint64_t take(struct cursor *c, unsigned n)
{
	uint64_t v = 0;

	if (n > 8 || n > c->left) {
		c->bad = true;
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | c->p[i];
	c->p += n;
	c->left -= n;
	return v;
}

struct iloc_hdr {
	unsigned version, off_size, len_size, base_size, idx_size;
	uint64_t items;
};

static void iloc_header(struct cursor *c, struct iloc_hdr *h)
{
	uint64_t sizes;

	h->version = (unsigned)take(c, 1);
	take(c, 3);
	sizes = take(c, 2);
	h->off_size = (unsigned)(sizes >> 12 & 15);
	h->len_size = (unsigned)(sizes >> 8 & 15);
	h->base_size = (unsigned)(sizes >> 4 & 15);
	h->idx_size = h->version == 1 || h->version == 2 ? (unsigned)(sizes & 15) : 0;
	h->items = take(c, h->version < 2 ? 2 : 4);
	if (h->version > 2)
		c->bad = true;
}

/* Where bytes [base + off, + len) of the item are, given its construction method. */
static int place(struct ih_bytes file, struct ih_bytes idat, unsigned method, uint64_t base,
		 uint64_t off, uint64_t len, struct ih_bytes *ret)
{
	struct ih_bytes in = method == 0 ? file : idat;

	if (method > 1 || !in.p || base > in.len || off > in.len - base ||
	    len > in.len - base - off)
		return -EINVAL;
	if (len == 0) /* to the end */
		len = in.len - base - off;
	*ret = (struct ih_bytes){ in.p + base + off, (size_t)len };
	return 0;
}

int ih_bmff_item_bytes(struct ih_bytes file, struct ih_bytes iloc, struct ih_bytes idat,
		       uint32_t id, struct ih_bytes *ret)
{
	struct cursor c = { iloc.p, iloc.p ? iloc.len : 0, false };
	struct iloc_hdr h;

	iloc_header(&c, &h);
	for (uint64_t i = 0; i < h.items && !c.bad; i++) {
		uint64_t item = take(&c, h.version < 2 ? 2 : 4), base, extents;
		unsigned method =
			h.version == 1 || h.version == 2 ? (unsigned)(take(&c, 2) & 15) : 0;
		uint64_t off = 0, len = 0;

		take(&c, 2); /* data_reference_index */
		base = take(&c, h.base_size);
		extents = take(&c, 2);
		for (uint64_t e = 0; e < extents && !c.bad; e++) {
			take(&c, h.idx_size);
			if (e == 0) {
				off = take(&c, h.off_size);
				len = take(&c, h.len_size);
			} else {
				take(&c, h.off_size);
				take(&c, h.len_size);
			}
		}
		if (!c.bad && item == id && extents > 0)
			return place(file, idat, method, base, off, len, ret);
	}
	return -EINVAL;
}

int ih_bmff_derived_size(const char type[4], struct ih_bytes b, uint64_t *w, uint64_t *h)
{
	struct cursor c = { b.p, b.len, false };
	unsigned field;

	take(&c, 1); /* version */
	field = take(&c, 1) & 1 ? 4 : 2;
	if (!memcmp(type, "grid", 4))
		take(&c, 2); /* rows_minus_one, columns_minus_one */
	else
		take(&c, 8); /* iovl: canvas_fill_value, four 16-bit channels */
	*w = take(&c, field);
	*h = take(&c, field);
	return c.bad ? -EINVAL : 0;
}
