/* JPEG APP1/APP2 metadata (guest/decode/jpeg_meta.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "anim.h"
#include "format_limits.h"
#include "jpeg_meta.h"

#define ICC_TAG "ICC_PROFILE"
#define ICC_HDR 14 /* the tag with its NUL, then sequence number and count */
#define ICC_MAX_SEGMENTS 255

static bool is_icc(const jpeg_saved_marker_ptr m)
{
	return m->marker == JPEG_APP0 + 2 && m->data_length >= ICC_HDR &&
	       !memcmp(m->data, ICC_TAG, sizeof(ICC_TAG));
}

/* The segments in order, checked: one count for all, each number 1..count exactly once.
 * Returns the profile's total length, or 0 with note[] set. */
static size_t icc_segments(jpeg_saved_marker_ptr list, jpeg_saved_marker_ptr seg[ICC_MAX_SEGMENTS],
			   unsigned int *ret_count, char note[IH_NOTE_MAX])
{
	unsigned int count = 0;
	size_t total = 0;

	memset(seg, 0, ICC_MAX_SEGMENTS * sizeof(*seg));
	for (jpeg_saved_marker_ptr m = list; m; m = m->next) {
		unsigned int no, n;

		if (!is_icc(m))
			continue;
		no = m->data[12];
		n = m->data[13];
		if (!count)
			count = n;
		if (n == 0 || n != count || no == 0 || no > n || seg[no - 1]) {
			ih_note_set(note, "ICC profile segment %u of %u is invalid or repeated", no,
				    n);
			return 0;
		}
		seg[no - 1] = m;
		total += m->data_length - ICC_HDR;
	}
	for (unsigned int i = 0; i < count; i++)
		if (!seg[i]) {
			ih_note_set(note, "ICC profile segment %u of %u is missing", i + 1, count);
			return 0;
		}
	*ret_count = count;
	return total;
}

/* The profile, assembled in segment order into img->icc (or a note and no profile). */
static int copy_icc(jpeg_saved_marker_ptr list, struct ih_image *img)
{
	jpeg_saved_marker_ptr seg[ICC_MAX_SEGMENTS];
	unsigned int count = 0;
	size_t total = icc_segments(list, seg, &count, img->color_note), pos = 0;

	if (!total) {
		img->color_action = IH_COLOR_REFUSED;
		return 0;
	}
	if (total > ih_format_limits.max_icc_bytes) {
		ih_note_set(img->color_note, "ICC profile of %zu bytes is over the limit of %llu",
			    total, (unsigned long long)ih_format_limits.max_icc_bytes);
		img->color_action = IH_COLOR_REFUSED;
		return 0;
	}
	img->icc = malloc(total);
	if (!img->icc)
		return -ENOMEM;
	for (unsigned int i = 0; i < count; i++) {
		memcpy(img->icc + pos, seg[i]->data + ICC_HDR, seg[i]->data_length - ICC_HDR);
		pos += seg[i]->data_length - ICC_HDR;
	}
	img->icc_len = total;
	return 0;
}

int ih_jpeg_copy_meta(struct jpeg_decompress_struct *c, uint32_t flags, struct ih_image *img)
{
	bool icc = false;

	for (jpeg_saved_marker_ptr m = c->marker_list; m; m = m->next) {
		if (m->marker == JPEG_APP0 + 1 && !img->exif && m->data_length >= 6 &&
		    !memcmp(m->data, "Exif\0\0", 6) &&
		    ih_meta_copy_exif(m->data, m->data_length, &img->exif, &img->exif_len) < 0)
			return -ENOMEM;
		icc = icc || is_icc(m);
	}
	if (!icc)
		return 0;
	if (flags & IH_OPT_COLOR_IGNORE) {
		img->color_action = IH_COLOR_IGNORED;
		return 0;
	}
	return copy_icc(c->marker_list, img);
}
