/*
 * A bounded walk of an ISO-BMFF file (guest/decode/isobmff.h) before libheif or libavif
 * reads it. Pass one walks every box (each size within its parent, nesting and count
 * bounded) and keeps the payloads of the item boxes of the top-level meta. Pass two reads
 * those into a table of items (iinf), their properties (ipco, ipma) and their references
 * (iref), allocated through the budget, and judges the images that decoding the primary
 * item would touch.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "format_limits.h"
#include "isobmff.h"
#include "isobmff_iloc.h"

struct slice {
	const uint8_t *p;
	size_t len;
};

/* One box: its type and its payload (after the header, and a uuid's 16 bytes). */
struct box {
	char type[4];
	struct slice body;
};

/* Pass one's state: the file, counters, and the payloads pass two reads. */
struct walk {
	const uint8_t *file;
	size_t file_len;
	uint64_t boxes;
	bool meta_seen, sequence;
	struct slice pitm, iinf, iref, ipco, ipma, iloc, idat;
	char *reason;
};

struct item {
	uint32_t id;
	char type[4];
	uint64_t w, h; /* ispe; 0 when none */
};

struct prop {
	char type[4];
	uint32_t a, b; /* ispe: width, height; irot: angle; imir: mode */
};

struct ref {
	char type[4];
	uint32_t from, to;
};

/* Pass two's tables. */
struct table {
	struct item *items;
	size_t n_items;
	struct prop *props;
	size_t n_props;
	struct ref *refs;
	size_t n_refs;
	int32_t orient[4]; /* the primary's turn as a 2x2 matrix on (x right, y down) */
	uint64_t visits, tile_area;
	struct ih_bytes file, iloc, idat; /* where derived images' headers are */
};

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static bool is(const char t[4], const char *name)
{
	return !memcmp(t, name, 4);
}

static bool is_brand(const uint8_t *b, enum ih_bmff_kind k)
{
	static const char *const heif[] = { "heic", "heix", "heim", "heis",
					    "hevc", "hevx", "mif1", "msf1" };
	static const char *const avif[] = { "avif", "avis" };
	const char *const *list = k == IH_BMFF_AVIF ? avif : heif;
	size_t n = k == IH_BMFF_AVIF ? 2 : 8;

	for (size_t i = 0; i < n; i++)
		if (!memcmp(b, list[i], 4))
			return true;
	return false;
}

enum ih_bmff_kind ih_bmff_kind(const uint8_t *in, size_t len)
{
	uint32_t size;

	if (len < 16 || memcmp(in + 4, "ftyp", 4))
		return IH_BMFF_NONE;
	size = be32(in);
	if (size < 16 || size > len || size > 4096)
		return IH_BMFF_NONE;
	for (int k = IH_BMFF_AVIF; k >= IH_BMFF_HEIF; k--) {
		if (is_brand(in + 8, (enum ih_bmff_kind)k))
			return (enum ih_bmff_kind)k;
		for (uint32_t off = 16; off + 4 <= size; off += 4)
			if (is_brand(in + off, (enum ih_bmff_kind)k))
				return (enum ih_bmff_kind)k;
	}
	return IH_BMFF_NONE;
}

/* The box at *pos of s (a parent's payload): 0 with *b filled and *pos past it. */
static int box_next(struct walk *w, struct slice s, size_t *pos, struct box *b)
{
	size_t left = s.len - *pos, hdr = 8;
	const uint8_t *p = s.p + *pos;
	uint64_t size;

	if (left < 8)
		goto truncated;
	size = be32(p);
	if (size == 1) {
		if (left < 16)
			goto truncated;
		size = be64(p + 8);
		hdr = 16;
	} else if (size == 0) {
		size = left;
	}
	memcpy(b->type, p + 4, 4);
	if (is(b->type, "uuid"))
		hdr += 16;
	if (size < hdr || size > left)
		goto truncated;
	b->body = (struct slice){ p + hdr, (size_t)size - hdr };
	*pos += (size_t)size;
	return 0;
truncated:
	ih_reason_set(w->reason, "invalid ISO-BMFF: truncated box at byte %zu (%zu bytes left)",
		      (size_t)(p - w->file), left);
	return -EINVAL;
}

/* The payloads pass two reads, from the children of meta and of iprp. */
static void keep_item_box(struct walk *w, const struct box *b)
{
	static const struct {
		const char *type;
		size_t off;
	} kept[] = {
		{ "pitm", offsetof(struct walk, pitm) }, { "iinf", offsetof(struct walk, iinf) },
		{ "iref", offsetof(struct walk, iref) }, { "ipco", offsetof(struct walk, ipco) },
		{ "ipma", offsetof(struct walk, ipma) }, { "iloc", offsetof(struct walk, iloc) },
		{ "idat", offsetof(struct walk, idat) },
	};

	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		struct slice *s = (struct slice *)((char *)w + kept[i].off);

		if (is(b->type, kept[i].type) && !s->p)
			*s = b->body;
	}
}

/* Where a container's children start in its payload, or -1 for a box without any. */
static long children_at(const struct box *b)
{
	static const char *const plain[] = { "iprp", "ipco", "dinf", "moov", "trak",
					     "mdia", "minf", "stbl", "edts", "grpl" };

	if (is(b->type, "meta"))
		return 4; /* a FullBox */
	if (is(b->type, "iinf"))
		return b->body.len >= 4 && b->body.p[0] == 0 ? 6 : 8; /* + entry_count */
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (is(b->type, plain[i]))
			return 0;
	return -1;
}

static int walk_boxes(struct walk *w, struct slice s, unsigned depth, const char *parent);

static int walk_one(struct walk *w, const struct box *b, unsigned depth, const char *parent)
{
	long at = children_at(b);

	if (!parent && is(b->type, "meta")) {
		if (w->meta_seen) {
			ih_reason_set(w->reason, "invalid ISO-BMFF: more than one top-level meta");
			return -EINVAL;
		}
		w->meta_seen = true;
	}
	if (!parent && is(b->type, "moov"))
		w->sequence = true;
	if (parent && (is(parent, "meta") || is(parent, "iprp")) && depth <= 2)
		keep_item_box(w, b);
	if (at < 0)
		return 0;
	if ((size_t)at > b->body.len) {
		ih_reason_set(w->reason, "invalid ISO-BMFF: %.4s box of %zu bytes", b->type,
			      b->body.len);
		return -EINVAL;
	}
	return walk_boxes(w, (struct slice){ b->body.p + at, b->body.len - (size_t)at }, depth + 1,
			  b->type);
}

static int walk_boxes(struct walk *w, struct slice s, unsigned depth, const char *parent)
{
	size_t pos = 0;

	if (depth > ih_format_limits.bmff_max_depth) {
		ih_reason_set(w->reason, "ISO-BMFF boxes nest deeper than %llu (bmff_max_depth)",
			      (unsigned long long)ih_format_limits.bmff_max_depth);
		return -E2BIG;
	}
	while (pos < s.len) {
		struct box b;
		int r = box_next(w, s, &pos, &b);

		if (r < 0)
			return r;
		if (++w->boxes > ih_format_limits.bmff_max_boxes) {
			ih_reason_set(w->reason,
				      "ISO-BMFF file of more than %llu boxes "
				      "(bmff_max_boxes)",
				      (unsigned long long)ih_format_limits.bmff_max_boxes);
			return -E2BIG;
		}
		r = walk_one(w, &b, depth, parent);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The children of a container payload, counted (pass one bounded their number). */
static size_t count_children(struct walk *w, struct slice s)
{
	size_t pos = 0, n = 0;
	struct box b;

	while (pos < s.len && box_next(w, s, &pos, &b) == 0)
		n++;
	return n;
}

static int malformed(char *reason, const char *what)
{
	ih_reason_set(reason, "invalid ISO-BMFF: %s", what);
	return -EINVAL;
}

static struct item *find_item(const struct table *t, uint32_t id)
{
	for (size_t i = 0; i < t->n_items; i++)
		if (t->items[i].id == id)
			return &t->items[i];
	return NULL;
}

/* One infe box (version 2 or 3: the ones that name an item type). */
static int read_infe(const struct box *b, struct table *t, char *reason)
{
	const uint8_t *p = b->body.p;
	size_t id_len;
	struct item *it;

	if (!is(b->type, "infe") || b->body.len < 4 || (p[0] != 2 && p[0] != 3))
		return malformed(reason, "item info entry is not an infe box of version 2 or 3");
	id_len = p[0] == 2 ? 2 : 4;
	if (b->body.len < 4 + id_len + 2 + 4)
		return malformed(reason, "truncated infe box");
	it = &t->items[t->n_items];
	it->id = id_len == 2 ? be16(p + 4) : be32(p + 4);
	memcpy(it->type, p + 4 + id_len + 2, 4);
	if (find_item(t, it->id))
		return malformed(reason, "two items with one ID");
	t->n_items++;
	return 0;
}

static int read_items(struct walk *w, struct ih_budget *bud, struct table *t)
{
	size_t n, pos = 0;
	long at;
	struct box b = { "iinf", w->iinf };

	if (!w->iinf.p)
		return malformed(w->reason, "no iinf box");
	at = children_at(&b);
	if ((size_t)at > w->iinf.len)
		return malformed(w->reason, "truncated iinf box");
	b.body = (struct slice){ w->iinf.p + at, w->iinf.len - (size_t)at };
	n = count_children(w, b.body);
	if (n > ih_format_limits.bmff_max_items) {
		ih_reason_set(w->reason, "ISO-BMFF file of %zu items, over %llu (bmff_max_items)",
			      n, (unsigned long long)ih_format_limits.bmff_max_items);
		return -E2BIG;
	}
	t->items = ih_budget_alloc(bud, (n ? n : 1) * sizeof(*t->items));
	if (!t->items)
		return -ENOMEM;
	memset(t->items, 0, (n ? n : 1) * sizeof(*t->items));
	while (pos < b.body.len) {
		struct box e;
		int r = box_next(w, b.body, &pos, &e);

		if (r == 0)
			r = read_infe(&e, t, w->reason);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_prop(const struct box *b, struct prop *pr, const struct ih_limits *lim,
		     char *reason)
{
	const uint8_t *p = b->body.p;

	memcpy(pr->type, b->type, 4);
	if (is(b->type, "ispe")) {
		if (b->body.len < 12)
			return malformed(reason, "truncated ispe box");
		pr->a = be32(p + 4);
		pr->b = be32(p + 8);
		if (pr->a > ih_format_limits.bmff_max_side ||
		    pr->b > ih_format_limits.bmff_max_side) {
			ih_reason_set(reason,
				      "image of %u x %u pixels (ispe) has a side over %llu "
				      "(bmff_max_side)",
				      pr->a, pr->b,
				      (unsigned long long)ih_format_limits.bmff_max_side);
			return -E2BIG;
		}
		if ((uint64_t)pr->a * pr->b > lim->max_pixels) {
			ih_reason_set(reason,
				      "image of %u x %u pixels (ispe) is over the limit of %llu",
				      pr->a, pr->b, (unsigned long long)lim->max_pixels);
			return -E2BIG;
		}
	} else if (is(b->type, "irot") || is(b->type, "imir")) {
		if (b->body.len < 1)
			return malformed(reason, "empty irot or imir box");
		pr->a = p[0] & (is(b->type, "irot") ? 3 : 1);
	}
	return 0;
}

static int read_props(struct walk *w, const struct ih_limits *lim, struct ih_budget *bud,
		      struct table *t)
{
	size_t pos = 0, n = w->ipco.p ? count_children(w, w->ipco) : 0;

	t->props = ih_budget_alloc(bud, (n ? n : 1) * sizeof(*t->props));
	if (!t->props)
		return -ENOMEM;
	memset(t->props, 0, (n ? n : 1) * sizeof(*t->props));
	while (t->n_props < n) {
		struct box b;
		int r = box_next(w, w->ipco, &pos, &b);

		if (r == 0)
			r = read_prop(&b, &t->props[t->n_props], lim, w->reason);
		if (r < 0)
			return r;
		t->n_props++;
	}
	return 0;
}

/* Multiplies the primary's turn m by an irot (angle quarter turns anti-clockwise) or an
 * imir (mode 0: top and bottom swap; 1: left and right), applied after the ones before. */
static void turn_then(int32_t m[4], const struct prop *pr)
{
	int32_t a[4] = { 1, 0, 0, 1 }, r[4];

	if (is(pr->type, "imir")) {
		a[pr->a ? 0 : 3] = -1;
	} else {
		for (uint32_t i = 0; i < pr->a; i++) { /* (x, y) -> (y, -x) on screen axes */
			int32_t t[4] = { a[2], a[3], -a[0], -a[1] };

			memcpy(a, t, sizeof(a));
		}
	}
	r[0] = a[0] * m[0] + a[1] * m[2];
	r[1] = a[0] * m[1] + a[1] * m[3];
	r[2] = a[2] * m[0] + a[3] * m[2];
	r[3] = a[2] * m[1] + a[3] * m[3];
	memcpy(m, r, sizeof(r));
}

/* The EXIF orientation whose turn maps (x, y) as m does. */
static uint32_t exif_of(const int32_t m[4])
{
	static const int32_t exif[8][4] = {
		{ 1, 0, 0, 1 }, { -1, 0, 0, 1 }, { -1, 0, 0, -1 }, { 1, 0, 0, -1 },
		{ 0, 1, 1, 0 }, { 0, -1, 1, 0 }, { 0, -1, -1, 0 }, { 0, 1, -1, 0 },
	};

	for (uint32_t o = 0; o < 8; o++)
		if (!memcmp(m, exif[o], sizeof(exif[o])))
			return o + 1;
	return 1;
}

/* One ipma association of item it with property index idx (1-based). */
static int associate(struct table *t, struct item *it, uint32_t primary, uint32_t idx,
		     struct ih_bmff_info *info, char *reason)
{
	const struct prop *pr;

	if (idx == 0)
		return 0;
	if (idx > t->n_props)
		return malformed(reason, "ipma names a property that ipco does not have");
	pr = &t->props[idx - 1];
	if (is(pr->type, "ispe")) {
		it->w = pr->a;
		it->h = pr->b;
	} else if (it->id == primary && (is(pr->type, "irot") || is(pr->type, "imir"))) {
		turn_then(t->orient, pr);
		info->transforms++;
	}
	return 0;
}

static int read_ipma(const struct walk *w, struct table *t, uint32_t primary,
		     struct ih_bmff_info *info)
{
	const uint8_t *p = w->ipma.p, *end;
	size_t id_len, idx_len;
	uint32_t entries;

	if (!p || w->ipma.len < 8)
		return malformed(w->reason, "no ipma box");
	end = p + w->ipma.len;
	id_len = p[0] < 1 ? 2 : 4;
	idx_len = p[3] & 1 ? 2 : 1;
	entries = be32(p + 4);
	p += 8;
	for (uint32_t e = 0; e < entries; e++) {
		struct item *it;
		uint32_t id, n;

		if ((size_t)(end - p) < id_len + 1)
			return malformed(w->reason, "truncated ipma box");
		id = id_len == 2 ? be16(p) : be32(p);
		n = p[id_len];
		p += id_len + 1;
		if ((size_t)(end - p) < n * idx_len)
			return malformed(w->reason, "truncated ipma box");
		it = find_item(t, id);
		for (uint32_t i = 0; i < n && it; i++) {
			uint32_t v = idx_len == 2 ? be16(p + 2 * i) & 0x7fff : p[i] & 0x7f;
			int r = associate(t, it, primary, v, info, w->reason);

			if (r < 0)
				return r;
		}
		p += n * idx_len;
	}
	return 0;
}

static uint64_t ref_entries(struct walk *w, size_t id_len)
{
	struct slice s = { w->iref.p + 4, w->iref.len - 4 };
	size_t pos = 0;
	uint64_t n = 0;
	struct box b;

	while (pos < s.len && box_next(w, s, &pos, &b) == 0)
		if (b.body.len >= id_len + 2)
			n += be16(b.body.p + id_len);
	return n;
}

static int read_ref_box(const struct box *b, size_t id_len, struct table *t, char *reason)
{
	const uint8_t *p = b->body.p;
	uint32_t from, n;

	if (b->body.len < id_len + 2)
		return malformed(reason, "truncated iref entry");
	from = id_len == 2 ? be16(p) : be32(p);
	n = be16(p + id_len);
	if (b->body.len < id_len + 2 + (size_t)n * id_len)
		return malformed(reason, "truncated iref entry");
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *q = p + id_len + 2 + i * id_len;
		struct ref *r = &t->refs[t->n_refs++];

		memcpy(r->type, b->type, 4);
		r->from = from;
		r->to = id_len == 2 ? be16(q) : be32(q);
	}
	return 0;
}

static int read_refs(struct walk *w, struct ih_budget *bud, struct table *t)
{
	size_t id_len, pos = 0;
	uint64_t n;
	struct slice s;

	if (!w->iref.p)
		return 0;
	if (w->iref.len < 4)
		return malformed(w->reason, "truncated iref box");
	id_len = w->iref.p[0] == 0 ? 2 : 4;
	n = ref_entries(w, id_len);
	if (n > ih_format_limits.bmff_max_refs) {
		ih_reason_set(w->reason,
			      "ISO-BMFF file of %llu item references, over %llu "
			      "(bmff_max_refs)",
			      (unsigned long long)n,
			      (unsigned long long)ih_format_limits.bmff_max_refs);
		return -E2BIG;
	}
	t->refs = ih_budget_alloc(bud, (size_t)(n ? n : 1) * sizeof(*t->refs));
	if (!t->refs)
		return -ENOMEM;
	s = (struct slice){ w->iref.p + 4, w->iref.len - 4 };
	while (pos < s.len) {
		struct box b;
		int r = box_next(w, s, &pos, &b);

		if (r == 0)
			r = read_ref_box(&b, id_len, t, w->reason);
		if (r < 0)
			return r;
	}
	return 0;
}

/* An item the decoder would decode for the primary image: of a type the kind allows. */
static int check_type(const struct item *it, enum ih_bmff_kind k, char *reason)
{
	static const char *const heif[] = { "hvc1", "grid", "iden", "iovl" };
	static const char *const avif[] = { "av01", "grid" };
	const char *const *ok = k == IH_BMFF_AVIF ? avif : heif;
	size_t n = k == IH_BMFF_AVIF ? 2 : 4;

	for (size_t i = 0; i < n; i++)
		if (is(it->type, ok[i]))
			return 0;
	ih_reason_set(reason, "unsupported %s image item %u of type '%.4s' (only %s)",
		      k == IH_BMFF_AVIF ? "AVIF" : "HEIF", it->id, it->type,
		      k == IH_BMFF_AVIF ? "av01 and grid" : "hvc1, grid, iden and iovl");
	return -EINVAL;
}

/* A grid or overlay declares its output size in its own bytes, which is what the library
 * allocates: it must be the size its ispe says (which the walk held to max_pixels). */
static int check_derived_size(const struct table *t, const struct item *it, char *reason)
{
	struct ih_bytes b;
	uint64_t w, h;

	if (ih_bmff_item_bytes(t->file, t->iloc, t->idat, it->id, &b) < 0 ||
	    ih_bmff_derived_size(it->type, b, &w, &h) < 0)
		return malformed(reason, "a grid or overlay whose bytes iloc does not place");
	if (w != it->w || h != it->h) {
		ih_reason_set(reason,
			      "%.4s item %u declares %llu x %llu pixels, its ispe %llu x %llu",
			      it->type, it->id, (unsigned long long)w, (unsigned long long)h,
			      (unsigned long long)it->w, (unsigned long long)it->h);
		return -EINVAL;
	}
	return 0;
}

/* Item it and the images it is derived from (dimg), depth levels below the primary. */
static int check_image(struct table *t, const struct item *it, enum ih_bmff_kind k, unsigned depth,
		       bool tile, char *reason)
{
	bool derived = false;
	int r = check_type(it, k, reason);

	if (r < 0)
		return r;
	if (depth > ih_format_limits.bmff_max_ref_depth ||
	    ++t->visits > ih_format_limits.bmff_max_refs) {
		ih_reason_set(reason,
			      "derived images nest deeper than %llu (bmff_max_ref_depth): "
			      "a reference cycle?",
			      (unsigned long long)ih_format_limits.bmff_max_ref_depth);
		return -E2BIG;
	}
	if (is(it->type, "grid") || is(it->type, "iovl"))
		r = check_derived_size(t, it, reason);
	for (size_t i = 0; i < t->n_refs && r == 0; i++) {
		const struct item *to;

		if (!is(t->refs[i].type, "dimg") || t->refs[i].from != it->id)
			continue;
		derived = true;
		to = find_item(t, t->refs[i].to);
		if (!to)
			return malformed(reason, "a derived image names an item that is not there");
		r = check_image(t, to, k, depth + 1, true, reason);
	}
	if (r == 0 && tile && !derived)
		t->tile_area += it->w * it->h;
	return r;
}

/* The tiles of one image may overhang its edges, never cover it twice. */
static int check_area(const struct table *t, const struct ih_limits *lim, char *reason)
{
	if (t->tile_area <= 2 * lim->max_pixels)
		return 0;
	ih_reason_set(reason, "tiles of %llu pixels in all, over twice the limit of %llu",
		      (unsigned long long)t->tile_area, (unsigned long long)lim->max_pixels);
	return -E2BIG;
}

static int check_primary(struct table *t, uint32_t primary, enum ih_bmff_kind k,
			 const struct ih_limits *lim, struct ih_bmff_info *info, char *reason)
{
	const struct item *it = find_item(t, primary);
	int r;

	if (!it)
		return malformed(reason, "the primary item (pitm) is not in iinf");
	for (size_t i = 0; i < t->n_refs; i++)
		if (is(t->refs[i].type, "dimg") && t->refs[i].from == primary)
			info->tiles++;
	if (info->tiles > ih_format_limits.bmff_max_tiles) {
		ih_reason_set(reason, "grid of %u tiles is over %llu (bmff_max_tiles)", info->tiles,
			      (unsigned long long)ih_format_limits.bmff_max_tiles);
		return -E2BIG;
	}
	r = check_image(t, it, k, 0, false, reason);
	if (r == 0)
		r = check_area(t, lim, reason);
	for (size_t i = 0; i < t->n_refs && r == 0; i++) { /* alpha: decoded with it */
		const struct item *aux = find_item(t, t->refs[i].from);

		if (!is(t->refs[i].type, "auxl") || t->refs[i].to != primary || !aux)
			continue;
		t->tile_area = 0;
		r = check_image(t, aux, k, 1, false, reason);
		if (r == 0)
			r = check_area(t, lim, reason);
	}
	info->width = it->w;
	info->height = it->h;
	return r;
}

static int read_pitm(const struct walk *w, uint32_t *ret)
{
	const uint8_t *p = w->pitm.p;

	if (!p || w->pitm.len < 6 || (p[0] != 0 && w->pitm.len < 8))
		return malformed(w->reason, "no primary item (pitm)");
	*ret = p[0] == 0 ? be16(p + 4) : be32(p + 4);
	return 0;
}

static int judge_items(struct walk *w, enum ih_bmff_kind k, const struct ih_limits *lim,
		       struct ih_budget *bud, struct ih_bmff_info *info)
{
	struct table t = {
		.orient = { 1, 0, 0, 1 },
		.file = { w->file, w->file_len },
		.iloc = { w->iloc.p, w->iloc.len },
		.idat = { w->idat.p, w->idat.len },
	};
	int r = read_pitm(w, &info->primary);

	if (r == 0)
		r = read_items(w, bud, &t);
	if (r == 0)
		r = read_props(w, lim, bud, &t);
	if (r == 0)
		r = read_ipma(w, &t, info->primary, info);
	if (r == 0)
		r = read_refs(w, bud, &t);
	if (r == 0)
		r = check_primary(&t, info->primary, k, lim, info, w->reason);
	info->items = (uint32_t)t.n_items;
	info->orientation = exif_of(t.orient);
	ih_budget_free(bud, t.items);
	ih_budget_free(bud, t.props);
	ih_budget_free(bud, t.refs);
	return r;
}

int ih_bmff_scan(const uint8_t *in, size_t len, enum ih_bmff_kind k, const struct ih_limits *lim,
		 struct ih_budget *b, struct ih_bmff_info *ret, char reason[IH_REASON_MAX])
{
	struct walk w = { .file = in, .file_len = len, .reason = reason };
	struct ih_bmff_info info = { .orientation = 1 };
	int r = walk_boxes(&w, (struct slice){ in, len }, 0, NULL);

	if (r < 0)
		return r;
	info.sequence = w.sequence;
	if (!w.meta_seen && !(k == IH_BMFF_AVIF && w.sequence))
		return malformed(reason, "no meta box");
	if (w.meta_seen) {
		r = judge_items(&w, k, lim, b, &info);
		if (r < 0)
			return r;
	}
	*ret = info;
	return 0;
}
