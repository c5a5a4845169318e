/*
 * PNG through libpng under the request's limits. Before libpng sees a byte, the chunk
 * layout is walked here: every length bounded by the input, ancillary chunks counted and
 * size-checked, IEND required, and the first eXIf and iCCP chunks noted. libpng then runs
 * strict: CRC errors and benign errors are fatal, unknown chunks and every ancillary chunk
 * but tRNS are dropped unread. The EXIF block and the ICC profile are copied out here, not
 * by libpng, so that a bad profile never blocks the pixels: the profile is inflated with a
 * bounded output and handed to the colour step, which judges it (guest/decode/color.h).
 *
 * libpng reports errors by longjmp to the setjmp in png_run(). Everything png_run()
 * allocates hangs off struct png_job (reached through a pointer, never a local that
 * changes after setjmp), so png_job_release() frees it whichever way png_run() ends.
 */
#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "anim.h"
#include "decoder.h"
#include "format_limits.h"

/* Where a chunk's data is in the input (len 0: no such chunk). */
struct chunk_ref {
	size_t off;
	size_t len;
};

struct png_job {
	const struct ih_limits *lim;
	const uint8_t *in;
	size_t len;
	size_t pos;
	struct ih_budget budget;
	char *reason;
	png_structp png;
	png_infop info;
	png_bytepp rows;
	const struct ih_pixel_dest *dest;
	struct ih_image img;
	struct chunk_ref exif, iccp;
};

/* Ancillary chunks libpng knows but the decoder never needs: dropped without parsing. */
static const png_byte ignored_chunks[] = "bKGD\0cHRM\0eXIf\0gAMA\0hIST\0iCCP\0iTXt\0oFFs\0"
					 "pCAL\0pHYs\0sBIT\0sCAL\0sPLT\0sRGB\0tEXt\0tIME\0zTXt";

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int chunk_type_valid(const uint8_t *t)
{
	for (int i = 0; i < 4; i++)
		if (!((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' && t[i] <= 'z')))
			return 0;
	return 1;
}

/* The first eXIf and iCCP chunks, for the metadata steps. */
static void note_chunk(struct png_job *job, const uint8_t *c, size_t pos, uint32_t n)
{
	struct chunk_ref *ref = !memcmp(c + 4, "eXIf", 4)   ? &job->exif
				: !memcmp(c + 4, "iCCP", 4) ? &job->iccp
							    : NULL;

	if (ref && !ref->len && n)
		*ref = (struct chunk_ref){ pos + 8, n };
}

/* Walks the chunk list: lengths, ancillary size and count, IEND. */
static int png_scan_chunks(struct png_job *job)
{
	size_t pos = 8, ancillary = 0;

	for (;;) {
		const uint8_t *c = job->in + pos;
		uint32_t n;

		if (job->len - pos < 12) {
			ih_reason_set(job->reason, "truncated PNG (chunk header at byte %zu)", pos);
			return -EINVAL;
		}
		n = be32(c);
		if (n > PNG_UINT_31_MAX || !chunk_type_valid(c + 4)) {
			ih_reason_set(job->reason, "invalid PNG chunk header at byte %zu", pos);
			return -EINVAL;
		}
		if (n > job->len - pos - 12) {
			ih_reason_set(job->reason, "truncated PNG (chunk %.4s of %u bytes)", c + 4,
				      n);
			return -EINVAL;
		}
		if (c[4] & 0x20) {
			if (n > job->lim->max_png_chunk_bytes) {
				ih_reason_set(job->reason,
					      "PNG chunk %.4s of %u bytes is over the limit of %u",
					      c + 4, n, job->lim->max_png_chunk_bytes);
				return -E2BIG;
			}
			if (++ancillary > job->lim->max_png_chunks) {
				ih_reason_set(job->reason,
					      "more than %u ancillary PNG chunks (the limit)",
					      job->lim->max_png_chunks);
				return -E2BIG;
			}
		}
		if (!memcmp(c + 4, "IEND", 4))
			return 0;
		note_chunk(job, c, pos, n);
		pos += 12 + (size_t)n;
	}
}

static void png_job_error(png_structp png, png_const_charp msg)
{
	struct png_job *job = png_get_error_ptr(png);

	ih_reason_set(job->reason, "invalid PNG: %s", msg);
	png_longjmp(png, 1);
}

static void png_job_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static void png_job_read(png_structp png, png_bytep out, size_t n)
{
	struct png_job *job = png_get_io_ptr(png);

	if (n > job->len - job->pos)
		png_error(png, "truncated data");
	memcpy(out, job->in + job->pos, n);
	job->pos += n;
}

static png_voidp png_job_malloc(png_structp png, png_alloc_size_t n)
{
	struct png_job *job = png_get_mem_ptr(png);

	return ih_budget_alloc(&job->budget, n);
}

static void png_job_free(png_structp png, png_voidp p)
{
	struct png_job *job = png_get_mem_ptr(png);

	ih_budget_free(&job->budget, p);
}

/* Strict parsing, library limits, and chunks dropped unread. */
static void png_set_policy(struct png_job *job)
{
	png_uint_32 side = job->lim->max_pixels > PNG_UINT_31_MAX
				   ? PNG_UINT_31_MAX
				   : (png_uint_32)job->lim->max_pixels;

	png_set_user_limits(job->png, side, side);
	png_set_chunk_malloc_max(job->png, job->lim->max_png_chunk_bytes);
	png_set_chunk_cache_max(job->png, job->lim->max_png_chunks);
	png_set_crc_action(job->png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
	png_set_benign_errors(job->png, 0);
	png_set_keep_unknown_chunks(job->png, PNG_HANDLE_CHUNK_NEVER, NULL, 0);
	png_set_keep_unknown_chunks(job->png, PNG_HANDLE_CHUNK_NEVER, ignored_chunks,
				    (int)(sizeof(ignored_chunks) / 5));
}

/* Palette to RGB(A), grey below 8 bits to 8, tRNS to alpha; grey stays grey and 16 bits
 * stay 16 (most significant byte first, as libpng gives them). */
static void png_set_transforms(struct png_job *job)
{
	png_structp png = job->png;

	png_set_expand(png);
	png_set_interlace_handling(png);
	png_read_update_info(png, job->info);
}

static uint32_t png_model(int color_type)
{
	switch (color_type) {
	case PNG_COLOR_TYPE_GRAY:
		return IH_MODEL_GREY;
	case PNG_COLOR_TYPE_GRAY_ALPHA:
		return IH_MODEL_GREY_ALPHA;
	case PNG_COLOR_TYPE_PALETTE:
		return IH_MODEL_PALETTE;
	case PNG_COLOR_TYPE_RGB:
		return IH_MODEL_RGB;
	default:
		return IH_MODEL_RGBA;
	}
}

static int png_check_size(struct png_job *job, png_uint_32 w, png_uint_32 h)
{
	if ((uint64_t)w * h > job->lim->max_pixels) {
		ih_reason_set(job->reason, "%u x %u pixels is over the limit of %llu", w, h,
			      (unsigned long long)job->lim->max_pixels);
		return -E2BIG;
	}
	return 0;
}

/* The libpng calls; a libpng error lands back at the setjmp with job->reason set. */
static int png_run(struct png_job *job)
{
	png_uint_32 w, h;
	size_t stride;

	if (setjmp(png_jmpbuf(job->png)))
		return -EINVAL;
	png_set_policy(job);
	png_set_read_fn(job->png, job, png_job_read);
	png_read_info(job->png, job->info);
	w = png_get_image_width(job->png, job->info);
	h = png_get_image_height(job->png, job->info);
	if (png_check_size(job, w, h) < 0)
		return -E2BIG;
	job->img.src_depth = png_get_bit_depth(job->png, job->info);
	job->img.src_model = png_model(png_get_color_type(job->png, job->info));
	png_set_transforms(job);
	job->img.channels = png_get_channels(job->png, job->info);
	job->img.depth = png_get_bit_depth(job->png, job->info);
	job->img.frames = 1;
	if ((job->img.depth != 8 && job->img.depth != 16) || job->img.channels < 1 ||
	    job->img.channels > 4)
		png_error(job->png, "unexpected output format");
	stride = (size_t)w * job->img.channels * (job->img.depth / 8);
	if (png_get_rowbytes(job->png, job->info) != stride)
		png_error(job->png, "unexpected row size");
	job->img.len = stride * h;
	if (ih_budget_charge(&job->budget, job->img.len) < 0 ||
	    !(job->img.pixels = ih_pixels_alloc(job->dest, job->img.len)) ||
	    !(job->rows = ih_budget_alloc(&job->budget, h * sizeof(*job->rows)))) {
		ih_reason_set(job->reason, "%u x %u image is over the memory limit", w, h);
		return -ENOMEM;
	}
	for (png_uint_32 y = 0; y < h; y++)
		job->rows[y] = job->img.pixels + y * stride;
	png_read_image(job->png, job->rows);
	png_read_end(job->png, NULL);
	job->img.width = w;
	job->img.height = h;
	return 0;
}

static void png_job_release(struct png_job *job)
{
	free(job->img.exif);
	free(job->img.icc);
	job->img.exif = job->img.icc = NULL;
	ih_budget_free(&job->budget, job->rows);
	job->rows = NULL;
	png_destroy_read_struct(&job->png, &job->info, NULL);
	if (!job->dest)
		free(job->img.pixels);
}

/* Inflates n bytes of zlib data into at most max bytes: 0 with *ret malloc'd, or a note. */
static int inflate_bounded(const uint8_t *in, size_t n, size_t max, uint8_t **ret, size_t *ret_len,
			   char note[IH_NOTE_MAX])
{
	z_stream z = { .next_in = (Bytef *)in, .avail_in = (uInt)n };
	uint8_t *out = malloc(max + 1);
	int r;

	if (!out || inflateInit(&z) != Z_OK) {
		free(out);
		ih_note_set(note, "no memory to inflate the iCCP profile");
		return -ENOMEM;
	}
	z.next_out = out;
	z.avail_out = (uInt)max + 1;
	r = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	if (r != Z_STREAM_END || z.total_out > max) {
		free(out);
		ih_note_set(note,
			    z.total_out > max ? "iCCP profile inflates past %zu bytes"
					      : "iCCP profile data is corrupt",
			    max);
		return -EINVAL;
	}
	*ret = out;
	*ret_len = z.total_out;
	return 0;
}

/* iCCP: a name of 1-79 bytes, NUL, compression method 0, then the zlib stream. A profile
 * that cannot be had leaves the colour step a note and no profile. */
static void copy_iccp(struct png_job *job, uint32_t flags)
{
	const uint8_t *p = job->in + job->iccp.off;
	size_t n = job->iccp.len;
	const uint8_t *nul = memchr(p, 0, n < 80 ? n : 80);

	if (!n || (flags & IH_OPT_COLOR_IGNORE)) {
		job->img.color_action = n ? IH_COLOR_IGNORED : IH_COLOR_NONE;
		return;
	}
	if (!nul || nul == p || (size_t)(nul - p) + 2 > n || nul[1] != 0) {
		ih_note_set(job->img.color_note, "iCCP chunk header is malformed");
		job->img.color_action = IH_COLOR_REFUSED;
		return;
	}
	n -= (size_t)(nul - p) + 2;
	if (inflate_bounded(nul + 2, n, ih_format_limits.max_icc_bytes, &job->img.icc,
			    &job->img.icc_len, job->img.color_note) < 0)
		job->img.color_action = IH_COLOR_REFUSED;
}

/* The EXIF block and the ICC profile, after the pixels: 0, or -ENOMEM. */
static int png_copy_meta(struct png_job *job, uint32_t flags)
{
	int r = 0;

	if (job->exif.len)
		r = ih_meta_copy_exif(job->in + job->exif.off, job->exif.len, &job->img.exif,
				      &job->img.exif_len);
	copy_iccp(job, flags);
	return r;
}

static int decode_png(const struct ih_limits *lim, const struct ih_decode_opts *opts,
		      const uint8_t *in, size_t len, const struct ih_pixel_dest *dest,
		      struct ih_image *ret, char reason[IH_REASON_MAX])
{
	struct png_job job = {
		.lim = lim,
		.in = in,
		.len = len,
		.budget = { .max = lim->max_memory_bytes },
		.reason = reason,
		.dest = dest,
	};
	int r;

	r = png_scan_chunks(&job);
	if (r < 0)
		return r;
	job.png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, &job, png_job_error,
					   png_job_warning, &job, png_job_malloc, png_job_free);
	if (job.png)
		job.info = png_create_info_struct(job.png);
	if (!job.png || !job.info) {
		png_job_release(&job);
		ih_reason_set(reason, "out of memory starting libpng");
		return -ENOMEM;
	}
	r = png_run(&job);
	if (r == 0 && png_copy_meta(&job, opts->flags) < 0) {
		ih_reason_set(reason, "out of memory copying the PNG's metadata");
		r = -ENOMEM;
	}
	if (r == 0) {
		job.img.owned = !dest;
		*ret = job.img;
		job.img.pixels = NULL;
		job.img.exif = job.img.icc = NULL;
	}
	png_job_release(&job);
	return r;
}

const struct ih_decoder ih_decoder_png = {
	.name = "png",
	.decode = decode_png,
	.prepare = NULL,
};
