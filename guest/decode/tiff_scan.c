/*
 * The TIFF structure check that runs before libtiff (guest/decode/tiff_scan.h): classic
 * TIFF and BigTIFF, either byte order. Every IFD offset and entry table must lie inside
 * the input; the chain may not loop nor pass tiff_max_ifds; the first IFD's compression
 * must be on the allow-list of limits.conf and its strip or tile count within
 * tiff_max_strips, all before libtiff allocates anything for them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "decoder.h"
#include "format_limits.h"
#include "tiff_scan.h"

#define TAG_COMPRESSION 259
#define TAG_STRIP_OFFSETS 273
#define TAG_TILE_OFFSETS 324

struct tiff_reader {
	const uint8_t *in;
	size_t len;
	bool big_endian;
	bool bigtiff;
};

static const struct {
	uint32_t code;
	const char *name;
} compressions[] = {
	{ 1, "none" },	       { 2, "CCITT RLE" },
	{ 3, "CCITT G3" },     { 4, "CCITT G4" },
	{ 5, "LZW" },	       { 6, "old-style JPEG" },
	{ 7, "JPEG" },	       { 8, "deflate" },
	{ 32766, "NeXT" },     { 32771, "CCITT RLEW" },
	{ 32773, "PackBits" }, { 32809, "ThunderScan" },
	{ 32909, "PixarLog" }, { 32946, "deflate" },
	{ 34661, "JBIG" },     { 34676, "SGILog" },
	{ 34677, "SGILog24" }, { 34712, "JPEG 2000" },
	{ 34887, "LERC" },     { 34892, "lossy JPEG (DNG)" },
	{ 34925, "LZMA" },     { 50000, "ZSTD" },
	{ 50001, "WebP" },     { 52546, "JPEG XL" },
};

const char *ih_tiff_compression_name(uint32_t code)
{
	for (size_t i = 0; i < sizeof(compressions) / sizeof(compressions[0]); i++)
		if (compressions[i].code == code)
			return compressions[i].name;
	return "unknown";
}

static uint64_t get(const struct tiff_reader *t, size_t off, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		size_t k = t->big_endian ? i : n - 1 - i;

		v = v << 8 | t->in[off + k];
	}
	return v;
}

static int tiff_header(struct tiff_reader *t, uint64_t *ret_ifd, char *reason)
{
	uint64_t version;

	if (t->len < 8 || (memcmp(t->in, "II", 2) && memcmp(t->in, "MM", 2)))
		goto bad;
	t->big_endian = t->in[0] == 'M';
	version = get(t, 2, 2);
	if (version == 42) {
		*ret_ifd = get(t, 4, 4);
		return 0;
	}
	if (version != 43 || t->len < 16 || get(t, 4, 2) != 8 || get(t, 6, 2) != 0)
		goto bad;
	t->bigtiff = true;
	*ret_ifd = get(t, 8, 8);
	return 0;
bad:
	ih_reason_set(reason, "invalid TIFF: bad header");
	return -EINVAL;
}

/* Reads one entry's tag, count and (for a SHORT/LONG held in the entry) its value. */
static void tiff_entry(const struct tiff_reader *t, size_t e, struct tiff_scan *s)
{
	uint32_t tag = (uint32_t)get(t, e, 2), type = (uint32_t)get(t, e + 2, 2);
	size_t csize = t->bigtiff ? 8 : 4, vpos = e + 4 + csize;
	uint64_t count = get(t, e + 4, csize);

	if (tag == TAG_COMPRESSION && count >= 1)
		s->compression = (uint32_t)get(t, vpos, type == 4 ? 4 : 2);
	else if (tag == TAG_STRIP_OFFSETS || tag == TAG_TILE_OFFSETS)
		s->strips = count > s->strips ? count : s->strips;
}

/* One IFD at off: its entry table inside the input; returns the next IFD's offset. */
static int tiff_ifd(const struct tiff_reader *t, uint64_t off, bool first, struct tiff_scan *s,
		    uint64_t *ret_next, char *reason)
{
	size_t nsize = t->bigtiff ? 8 : 2, esize = t->bigtiff ? 20 : 12, osize = t->bigtiff ? 8 : 4;
	uint64_t n;

	if (off < 8 || off > t->len || t->len - off < nsize)
		goto bad;
	n = get(t, (size_t)off, nsize);
	if (n == 0 || n > (t->len - off - nsize) / esize ||
	    t->len - off - nsize - n * esize < osize)
		goto bad;
	for (uint64_t i = 0; first && i < n; i++)
		tiff_entry(t, (size_t)(off + nsize + i * esize), s);
	*ret_next = get(t, (size_t)(off + nsize + n * esize), osize);
	return 0;
bad:
	ih_reason_set(reason, "invalid TIFF: IFD %llu at byte %llu is outside the file",
		      (unsigned long long)s->ifds, (unsigned long long)off);
	return -EINVAL;
}

static bool compression_allowed(uint32_t code)
{
	for (size_t i = 0; i < IH_TIFF_MAX_COMPRESSIONS; i++)
		if (ih_format_limits.tiff_compressions[i] &&
		    ih_format_limits.tiff_compressions[i] == code)
			return true;
	return false;
}

static int tiff_first_ifd_check(const struct tiff_scan *s, char *reason)
{
	if (!compression_allowed(s->compression)) {
		ih_reason_set(reason, "TIFF compression %s (%u) is not allowed (tiff_compressions)",
			      ih_tiff_compression_name(s->compression), s->compression);
		return -EINVAL;
	}
	if (s->strips > ih_format_limits.tiff_max_strips) {
		ih_reason_set(reason,
			      "TIFF has %llu strips or tiles, over the limit of %llu "
			      "(tiff_max_strips)",
			      (unsigned long long)s->strips,
			      (unsigned long long)ih_format_limits.tiff_max_strips);
		return -E2BIG;
	}
	return 0;
}

static int tiff_walk(const struct tiff_reader *t, uint64_t off, uint64_t *seen, struct tiff_scan *s,
		     char *reason)
{
	int r = 0;

	while (r == 0 && off != 0) {
		for (uint64_t i = 0; i < s->ifds; i++)
			if (seen[i] == off) {
				ih_reason_set(reason,
					      "invalid TIFF: IFD loop (IFD %llu points back "
					      "to IFD %llu)",
					      (unsigned long long)s->ifds, (unsigned long long)i);
				return -EINVAL;
			}
		if (s->ifds >= ih_format_limits.tiff_max_ifds) {
			ih_reason_set(reason, "TIFF has more than %llu IFDs (tiff_max_ifds)",
				      (unsigned long long)ih_format_limits.tiff_max_ifds);
			return -E2BIG;
		}
		seen[s->ifds] = off;
		r = tiff_ifd(t, off, s->ifds == 0, s, &off, reason);
		s->ifds++;
	}
	return r;
}

int ih_tiff_scan(const uint8_t *in, size_t len, struct tiff_scan *ret, char reason[IH_REASON_MAX])
{
	struct tiff_reader t = { .in = in, .len = len };
	struct tiff_scan s = { .compression = 1 };
	uint64_t *seen, off;
	int r;

	r = tiff_header(&t, &off, reason);
	if (r < 0)
		return r;
	seen = calloc(ih_format_limits.tiff_max_ifds + 1, sizeof(*seen));
	if (!seen) {
		ih_reason_set(reason, "out of memory walking the TIFF IFDs");
		return -ENOMEM;
	}
	r = tiff_walk(&t, off, seen, &s, reason);
	free(seen);
	if (r == 0 && s.ifds == 0) {
		ih_reason_set(reason, "invalid TIFF: no IFD");
		r = -EINVAL;
	}
	if (r == 0)
		r = tiff_first_ifd_check(&s, reason);
	if (r == 0)
		*ret = s;
	return r;
}
