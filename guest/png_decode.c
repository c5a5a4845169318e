/*
 * PNG through libpng under the request's limits. Before libpng sees a byte, the chunk
 * layout is walked here: every length bounded by the input, ancillary chunks counted and
 * size-checked, IEND required. libpng then runs strict: CRC errors and benign errors are
 * fatal, unknown chunks and every ancillary chunk but tRNS are dropped unread.
 *
 * libpng reports errors by longjmp to the setjmp in png_run(). Everything png_run()
 * allocates hangs off struct png_job (reached through a pointer, never a local that
 * changes after setjmp), so png_job_release() frees it whichever way png_run() ends.
 */
#include <errno.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

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

/* Walks the chunk list: lengths, ancillary size and count, IEND. */
static int png_scan_chunks(const struct png_job *job)
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

/* Everything to 8-bit RGB or RGBA: palette, low bit depths, gray, tRNS, 16-bit. */
static void png_set_transforms(struct png_job *job)
{
	png_structp png = job->png;

	png_set_expand(png);
	png_set_scale_16(png);
	png_set_gray_to_rgb(png);
	png_set_interlace_handling(png);
	png_read_update_info(png, job->info);
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
	png_set_transforms(job);
	job->img.channels = png_get_channels(job->png, job->info);
	if (png_get_bit_depth(job->png, job->info) != 8 ||
	    (job->img.channels != 3 && job->img.channels != 4))
		png_error(job->png, "unexpected output format");
	stride = (size_t)w * job->img.channels;
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
	ih_budget_free(&job->budget, job->rows);
	job->rows = NULL;
	png_destroy_read_struct(&job->png, &job->info, NULL);
	if (!job->dest)
		free(job->img.pixels);
}

int ih_decode_png(const struct ih_limits *lim, const uint8_t *in, size_t len,
		  const struct ih_pixel_dest *dest, struct ih_image *ret,
		  char reason[IH_REASON_MAX])
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
	if (r == 0) {
		job.img.owned = !dest;
		*ret = job.img;
		job.img.pixels = NULL;
	}
	png_job_release(&job);
	return r;
}
