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
#include <stdio.h>
#include <stdlib.h>

#include <jpeglib.h>

#include "decode.h"

/* Output rows handed to libjpeg per jpeg_read_scanlines() call. */
#define JPEG_ROWS_PER_CALL 16

struct jpeg_job {
	struct jpeg_error_mgr err; /* first: libjpeg's callbacks get back to the job */
	struct jpeg_progress_mgr progress;
	jmp_buf jb;
	const struct ih_limits *lim;
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
	if (c->jpeg_color_space != JCS_GRAYSCALE && c->jpeg_color_space != JCS_YCbCr &&
	    c->jpeg_color_space != JCS_RGB) {
		ih_reason_set(job->reason, "unsupported JPEG color space %d (CMYK/YCCK?)",
			      (int)c->jpeg_color_space);
		return -EINVAL;
	}
	c->out_color_space = JCS_RGB;
	return 0;
}

static int jpeg_read_pixels(struct jpeg_job *job)
{
	struct jpeg_decompress_struct *c = &job->cinfo;
	size_t stride = (size_t)c->output_width * 3;
	JSAMPROW rows[JPEG_ROWS_PER_CALL];

	if (c->output_components != 3 || c->output_width == 0 || c->output_height == 0) {
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
	jpeg_read_header(c, TRUE);
	r = jpeg_check_header(job);
	if (r < 0)
		return r;
	jpeg_start_decompress(c);
	r = jpeg_read_pixels(job);
	if (r < 0)
		return r;
	jpeg_finish_decompress(c);
	job->img.width = c->output_width;
	job->img.height = c->output_height;
	job->img.channels = 3;
	return 0;
}

int ih_decode_jpeg(const struct ih_limits *lim, const uint8_t *in, size_t len,
		   const struct ih_pixel_dest *dest, struct ih_image *ret,
		   char reason[IH_REASON_MAX])
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
	r = jpeg_run(job, in, len);
	if (r == 0) {
		job->img.owned = !dest;
		*ret = job->img;
		job->img.pixels = NULL;
	}
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
void ih_jpeg_prepare(void)
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
