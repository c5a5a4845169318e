/* The bounded EXIF orientation reader of guest/decode/exif.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "decode.h"
#include "exif.h"

#define TAG_ORIENTATION 0x0112
#define TYPE_SHORT 3
#define ENTRY_LEN 12

struct tiff {
	const uint8_t *p;
	size_t len;
	bool big; /* "MM": Motorola byte order */
};

static uint16_t rd16(const struct tiff *t, size_t off)
{
	const uint8_t *p = t->p + off;

	return t->big ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t rd32(const struct tiff *t, size_t off)
{
	const uint8_t *p = t->p + off;

	if (t->big)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

#define note_fail(note, ...) (ih_note_set(note, __VA_ARGS__), -EINVAL)

/* The header: byte order, 42, and where IFD0 starts (with room for its count). */
static int read_header(struct tiff *t, size_t *ret_ifd, char note[IH_NOTE_MAX])
{
	uint32_t ifd;

	if (t->len < 8)
		return note_fail(note, "EXIF block of %zu bytes is shorter than a TIFF header",
				 t->len);
	if (!memcmp(t->p, "MM", 2))
		t->big = true;
	else if (memcmp(t->p, "II", 2))
		return note_fail(note, "EXIF byte order is neither II nor MM");
	if (rd16(t, 2) != 42)
		return note_fail(note, "EXIF TIFF header lacks the number 42");
	ifd = rd32(t, 4);
	if (ifd < 8 || ifd > t->len - 2)
		return note_fail(note, "EXIF IFD0 offset %u is outside the %zu-byte block", ifd,
				 t->len);
	*ret_ifd = ifd;
	return 0;
}

/* One orientation entry at off: its value 1-8, or -EINVAL. */
static int read_entry(const struct tiff *t, size_t off, uint32_t *ret, char note[IH_NOTE_MAX])
{
	uint16_t type = rd16(t, off + 2), v;
	uint32_t count = rd32(t, off + 4);

	if (type != TYPE_SHORT || count != 1)
		return note_fail(note,
				 "EXIF orientation tag has type %u and count %u, not one SHORT",
				 type, count);
	v = rd16(t, off + 8);
	if (v < 1 || v > 8)
		return note_fail(note, "EXIF orientation %u is not 1-8", v);
	*ret = v;
	return 0;
}

int ih_exif_orientation(const uint8_t *tiff, size_t len, uint32_t *ret, char note[IH_NOTE_MAX])
{
	struct tiff t = { .p = tiff, .len = len };
	uint32_t found = 0, v = 0;
	size_t ifd = 0, n;
	int r;

	r = read_header(&t, &ifd, note);
	if (r < 0)
		return r;
	n = rd16(&t, ifd);
	if (n > (len - ifd - 2) / ENTRY_LEN)
		return note_fail(note, "EXIF IFD0 claims %zu entries, past the end of the block",
				 n);
	for (size_t i = 0; i < n; i++) {
		size_t off = ifd + 2 + i * ENTRY_LEN;

		if (rd16(&t, off) != TAG_ORIENTATION)
			continue;
		r = read_entry(&t, off, &v, note);
		if (r < 0)
			return r;
		if (found && found != v)
			return note_fail(note, "EXIF has two orientation tags (%u and %u)", found,
					 v);
		found = v;
	}
	*ret = found;
	return 0;
}
