/*
 * JPEG through libjpeg-turbo's libjpeg API under the request's limits: warnings are
 * fatal (truncated or corrupt data is an error, never a gray-filled image), a progress
 * monitor stops progressive scan bombs, and the pixel count is checked before any output
 * buffer exists. Every allocation method of libjpeg's memory manager is wrapped so that
 * its buffers (the whole-image coefficient arrays of a progressive file included) and the
 * output share one budget of max_memory_bytes; max_memory_to_use is set to it as well.
 *
 * libjpeg reports errors through error_exit, which longjmps to the setjmp in jpeg_run().
 * Everything jpeg_run() allocates hangs off struct jpeg_job (reached through a pointer),
 * so jpeg_job_release() frees it whichever way jpeg_run() ends.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <jpeglib.h>

#include "decoder.h"
#include "jpeg_meta.h"

/* Output rows handed to libjpeg per jpeg_read_scanlines() call. */
#define JPEG_ROWS_PER_CALL 16

struct jpeg_job {
	struct jpeg_error_mgr err; /* first: libjpeg's callbacks get back to the job */
	struct jpeg_progress_mgr progress;
	jmp_buf jb;
	const struct ih_limits *lim;
	uint32_t flags; /* IH_OPT_* */
	char *reason;
	struct jpeg_decompress_struct cinfo;
	struct ih_budget budget;
	const struct ih_pixel_dest *dest;
	struct ih_image img;
	struct jpeg_memory_mgr mem; /* libjpeg's own methods, called by the wrappers */
};

static struct jpeg_job *job_of(j_common_ptr cinfo)
{
	return (struct jpeg_job *)cinfo->err;
}

static void jpeg_job_error_exit(j_common_ptr cinfo)
{
	struct jpeg_job *job = job_of(cinfo);
	char msg[JMSG_LENGTH_MAX];

	cinfo->err->format_message(cinfo, msg);
	ih_reason_set(job->reason, "invalid JPEG: %s", msg);
	longjmp(job->jb, 1);
}

/* Warnings (level -1) are errors here; trace messages (level >= 0) are dropped. */
static void jpeg_job_emit_message(j_common_ptr cinfo, int msg_level)
{
	if (msg_level < 0)
		jpeg_job_error_exit(cinfo);
}

static void jpeg_job_progress(j_common_ptr cinfo)
{
	struct jpeg_job *job = job_of(cinfo);
	j_decompress_ptr d = (j_decompress_ptr)cinfo;

	if (d->input_scan_number > 0 && (unsigned)d->input_scan_number > job->lim->max_jpeg_scans) {
		ih_reason_set(job->reason, "JPEG has more than %u scans (the limit)",
			      job->lim->max_jpeg_scans);
		longjmp(job->jb, 2);
	}
}

/* a * b + c, or SIZE_MAX when that overflows (the budget then refuses it). */
static size_t size_of(size_t a, size_t b, size_t c)
{
	if (a && b > (SIZE_MAX - c) / a)
		return SIZE_MAX;
	return a * b + c;
}

static void jpeg_job_charge(j_common_ptr cinfo, size_t n)
{
	struct jpeg_job *job = job_of(cinfo);

	if (ih_budget_charge(&job->budget, n) < 0) {
		ih_reason_set(job->reason, "JPEG needs more than the memory limit of %llu bytes",
			      (unsigned long long)job->lim->max_memory_bytes);
		longjmp(job->jb, 3);
	}
}

static void *mem_small(j_common_ptr cinfo, int pool, size_t n)
{
	jpeg_job_charge(cinfo, n);
	return job_of(cinfo)->mem.alloc_small(cinfo, pool, n);
}

static void *mem_large(j_common_ptr cinfo, int pool, size_t n)
{
	jpeg_job_charge(cinfo, n);
	return job_of(cinfo)->mem.alloc_large(cinfo, pool, n);
}

static JSAMPARRAY mem_sarray(j_common_ptr cinfo, int pool, JDIMENSION per_row, JDIMENSION rows)
{
	jpeg_job_charge(cinfo, size_of(per_row, rows * sizeof(JSAMPLE), rows * sizeof(JSAMPROW)));
	return job_of(cinfo)->mem.alloc_sarray(cinfo, pool, per_row, rows);
}

static JBLOCKARRAY mem_barray(j_common_ptr cinfo, int pool, JDIMENSION per_row, JDIMENSION rows)
{
	jpeg_job_charge(cinfo, size_of(per_row, rows * sizeof(JBLOCK), rows * sizeof(JBLOCKROW)));
	return job_of(cinfo)->mem.alloc_barray(cinfo, pool, per_row, rows);
}

static jvirt_sarray_ptr mem_virt_sarray(j_common_ptr cinfo, int pool, boolean zero,
					JDIMENSION per_row, JDIMENSION rows, JDIMENSION access)
{
	jpeg_job_charge(cinfo, size_of(per_row, rows * sizeof(JSAMPLE), 0));
	return job_of(cinfo)->mem.request_virt_sarray(cinfo, pool, zero, per_row, rows, access);
}

static jvirt_barray_ptr mem_virt_barray(j_common_ptr cinfo, int pool, boolean zero,
					JDIMENSION per_row, JDIMENSION rows, JDIMENSION access)
{
	jpeg_job_charge(cinfo, size_of(per_row, rows * sizeof(JBLOCK), 0));
	return job_of(cinfo)->mem.request_virt_barray(cinfo, pool, zero, per_row, rows, access);
}

/* Routes libjpeg's allocations through the budget (after jpeg_create_decompress). */
static void jpeg_budget_memory(struct jpeg_job *job)
{
	struct jpeg_memory_mgr *m = job->cinfo.mem;

	job->mem = *m;
	m->alloc_small = mem_small;
	m->alloc_large = mem_large;
	m->alloc_sarray = mem_sarray;
	m->alloc_barray = mem_barray;
	m->request_virt_sarray = mem_virt_sarray;
	m->request_virt_barray = mem_virt_barray;
	m->max_memory_to_use =
		(long)(job->lim->max_memory_bytes > LONG_MAX ? LONG_MAX
							     : job->lim->max_memory_bytes);
}

static int jpeg_check_header(struct jpeg_job *job)
{
	struct jpeg_decompress_struct *c = &job->cinfo;

	if ((uint64_t)c->image_width * c->image_height > job->lim->max_pixels) {
		ih_reason_set(job->reason, "%u x %u pixels is over the limit of %llu",
			      c->image_width, c->image_height,
			      (unsigned long long)job->lim->max_pixels);
		return -E2BIG;
	}
	switch (c->jpeg_color_space) {
	case JCS_GRAYSCALE:
		job->img.src_model = IH_MODEL_GREY;
		c->out_color_space = JCS_GRAYSCALE;
		break;
	case JCS_YCbCr:
	case JCS_RGB:
		job->img.src_model = IH_MODEL_RGB;
		c->out_color_space = JCS_RGB;
		break;
	case JCS_CMYK:
	case JCS_YCCK:
		/* libjpeg turns YCCK into CMYK; the colour step makes RGB of it. */
		job->img.src_model =
			c->jpeg_color_space == JCS_CMYK ? IH_MODEL_CMYK : IH_MODEL_YCCK;
		job->img.cmyk = true;
		c->out_color_space = JCS_CMYK;
		break;
	default:
		ih_reason_set(job->reason, "unsupported JPEG color space %d",
			      (int)c->jpeg_color_space);
		return -EINVAL;
	}
	job->img.src_depth = (uint32_t)c->data_precision;
	return 0;
}

/* Photoshop writes CMYK JPEGs inverted (0 = full ink) and marks them with Adobe's APP14;
 * the colour step wants 0 = no ink. */
static void jpeg_uninvert(struct jpeg_job *job)
{
	if (!job->img.cmyk || !job->cinfo.saw_Adobe_marker)
		return;
	for (size_t i = 0; i < job->img.len; i++)
		job->img.pixels[i] = (uint8_t)(255 - job->img.pixels[i]);
}

static int jpeg_read_pixels(struct jpeg_job *job)
{
	struct jpeg_decompress_struct *c = &job->cinfo;
	int want = c->out_color_space == JCS_GRAYSCALE ? 1 : c->out_color_space == JCS_CMYK ? 4 : 3;
	size_t stride = (size_t)c->output_width * (size_t)want;
	JSAMPROW rows[JPEG_ROWS_PER_CALL];

	if (c->output_components != want || c->output_width == 0 || c->output_height == 0) {
		ih_reason_set(job->reason, "unexpected JPEG output format");
		return -EINVAL;
	}
	job->img.len = stride * c->output_height;
	if (ih_budget_charge(&job->budget, job->img.len) < 0 ||
	    !(job->img.pixels = ih_pixels_alloc(job->dest, job->img.len))) {
		ih_reason_set(job->reason, "%u x %u image is over the memory limit",
			      c->output_width, c->output_height);
		return -ENOMEM;
	}
	while (c->output_scanline < c->output_height) {
		JDIMENSION n = c->output_height - c->output_scanline;

		if (n > JPEG_ROWS_PER_CALL)
			n = JPEG_ROWS_PER_CALL;
		for (JDIMENSION i = 0; i < n; i++)
			rows[i] = job->img.pixels + (size_t)(c->output_scanline + i) * stride;
		if (jpeg_read_scanlines(c, rows, n) == 0) {
			ih_reason_set(job->reason, "JPEG decoder made no progress");
			return -EINVAL;
		}
	}
	return 0;
}

/* The libjpeg calls; a libjpeg error lands back at the setjmp with job->reason set. */
static int jpeg_run(struct jpeg_job *job, const uint8_t *in, size_t len)
{
	struct jpeg_decompress_struct *c = &job->cinfo;
	int r;

	switch (setjmp(job->jb)) {
	case 0:
		break;
	case 2:
		return -E2BIG;
	case 3:
		return -ENOMEM;
	default:
		return -EINVAL;
	}
	jpeg_create_decompress(c);
	jpeg_budget_memory(job);
	c->progress = &job->progress;
	jpeg_mem_src(c, in, (unsigned long)len);
	jpeg_save_markers(c, JPEG_APP0 + 1, 0xffff);
	jpeg_save_markers(c, JPEG_APP0 + 2, 0xffff);
	jpeg_read_header(c, TRUE);
	r = jpeg_check_header(job);
	if (r < 0)
		return r;
	jpeg_start_decompress(c);
	r = jpeg_read_pixels(job);
	if (r < 0)
		return r;
	/* The saved markers live until jpeg_finish_decompress. */
	if (ih_jpeg_copy_meta(c, job->flags, &job->img) < 0) {
		ih_reason_set(job->reason, "out of memory copying the JPEG's metadata");
		return -ENOMEM;
	}
	jpeg_finish_decompress(c);
	jpeg_uninvert(job);
	job->img.width = c->output_width;
	job->img.height = c->output_height;
	job->img.channels = (uint32_t)c->output_components;
	job->img.depth = 8;
	job->img.frames = 1;
	return 0;
}

static int decode_jpeg(const struct ih_limits *lim, const struct ih_decode_opts *opts,
		       const uint8_t *in, size_t len, const struct ih_pixel_dest *dest,
		       struct ih_image *ret, char reason[IH_REASON_MAX])
{
	struct jpeg_job *job;
	int r;

	job = calloc(1, sizeof(*job));
	if (!job) {
		ih_reason_set(reason, "out of memory starting libjpeg");
		return -ENOMEM;
	}
	job->lim = lim;
	job->reason = reason;
	job->dest = dest;
	job->budget.max = lim->max_memory_bytes;
	job->cinfo.err = jpeg_std_error(&job->err);
	job->err.error_exit = jpeg_job_error_exit;
	job->err.emit_message = jpeg_job_emit_message;
	job->progress.progress_monitor = jpeg_job_progress;
	job->flags = opts->flags;
	r = jpeg_run(job, in, len);
	if (r == 0) {
		job->img.owned = !dest;
		*ret = job->img;
		job->img.pixels = NULL;
		job->img.exif = job->img.icc = NULL;
	}
	free(job->img.exif);
	free(job->img.icc);
	jpeg_destroy_decompress(&job->cinfo);
	if (!dest)
		free(job->img.pixels);
	free(job);
	return r;
}

static void prepare_error_exit(j_common_ptr cinfo)
{
	longjmp(*(jmp_buf *)cinfo->client_data, 1);
}

/*
 * libjpeg-turbo chooses its SIMD routines on first use, per thread, and on arm64 it reads
 * /proc/cpuinfo to do so: a sandboxed child, whose seccomp filter kills openat(), dies of
 * SIGSYS on its first JPEG. Compressing one pixel into memory here makes that choice in the
 * parent, before any child is forked: every child inherits it and opens nothing.
 */
static void jpeg_prepare(void)
{
	static bool done;
	struct jpeg_compress_struct c = { 0 };
	struct jpeg_error_mgr err;
	unsigned char pixel[3] = { 0 }, *out = NULL;
	unsigned long out_len = 0;
	JSAMPROW row = pixel;
	jmp_buf jb;

	if (done)
		return;
	done = true;
	c.err = jpeg_std_error(&err);
	err.error_exit = prepare_error_exit;
	c.client_data = &jb;
	if (setjmp(jb) == 0) {
		jpeg_create_compress(&c);
		jpeg_mem_dest(&c, &out, &out_len);
		c.image_width = c.image_height = 1;
		c.input_components = 3;
		c.in_color_space = JCS_RGB;
		jpeg_set_defaults(&c);
		jpeg_start_compress(&c, TRUE);
		jpeg_write_scanlines(&c, &row, 1);
		jpeg_finish_compress(&c);
	}
	jpeg_destroy_compress(&c);
	free(out);
}

const struct ih_decoder ih_decoder_jpeg = {
	.name = "jpeg",
	.decode = decode_jpeg,
	.prepare = jpeg_prepare,
};
