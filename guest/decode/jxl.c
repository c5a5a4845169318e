/*
 * JPEG XL (a bare codestream or the ISO-BMFF container; lossless, lossy, alpha, grey, high
 * bit depth, animated) through libjxl, single-threaded (no parallel runner), under the
 * request's limits and the per-format ones (guest/decode/format_limits.h).
 *
 * Before libjxl sees a byte, a container's boxes are walked here: each box size within the
 * input, the boxes counted. A first pass of libjxl reads the basic info and every frame
 * header only (no pixels): the size is checked against max_pixels and jxl_max_side, and the
 * frames are counted against max_frames, before any pixel buffer exists. The second pass
 * skips to the frame asked for (composed by libjxl) and writes it straight into the output:
 * 8-bit, or 16-bit big-endian when the source has more than 8 bits a sample.
 *
 * Orientation: libjxl is told to keep the pixels as stored, and the codestream's
 * orientation field (the one that counts in JPEG XL; an Exif box's is ignored, as djxl
 * does) is handed on as a minimal EXIF block, so decode.c's common step turns the pixels
 * (--orient=auto) or reports the orientation kept (--orient=keep). The colour: no profile
 * when libjxl describes the pixels as sRGB, else the ICC profile of the pixels as output.
 *
 * Debian's libjxl prints a line to stderr on every decoding error; in the sandboxed child
 * that write (fd 2 is not one the seccomp policy lets it write to) would kill the decode
 * with SIGSYS. So while libjxl runs, stderr is a stream that keeps its first line, which
 * becomes the reason.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jxl/decode.h>

#include "anim.h"

/* The container's signature box. */
static const uint8_t jxl_container_sig[12] = { 0,   0,	 0,    12,   'J',  'X',
					       'L', ' ', 0x0d, 0x0a, 0x87, 0x0a };

struct jxl_job {
	const struct ih_limits *lim;
	const struct ih_decode_opts *opts;
	const struct ih_pixel_dest *dest;
	struct ih_budget budget;
	JxlMemoryManager mm;
	JxlBasicInfo info;
	JxlPixelFormat fmt;
	uint64_t frames;
	struct ih_image img;
	char *reason;
	char said[IH_REASON_MAX]; /* libjxl's first error line */
	size_t said_len;
	bool said_done;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* One box at in[pos..len): its whole size (header included) within the input, in *ret. */
static int jxl_box_size(const uint8_t *in, size_t len, size_t pos, uint64_t *ret, char *reason)
{
	uint64_t size, hdr = 8;

	if (len - pos < 8)
		goto truncated;
	size = be32(in + pos);
	if (size == 1) {
		if (len - pos < 16)
			goto truncated;
		size = be64(in + pos + 8);
		hdr = 16;
	} else if (size == 0) {
		size = len - pos; /* the last box runs to the end of the file */
	}
	if (size < hdr || size > len - pos)
		goto truncated;
	*ret = size;
	return 0;
truncated:
	ih_reason_set(reason,
		      "truncated JPEG XL container: the box at byte %zu declares more bytes "
		      "than the %zu left",
		      pos, len - pos);
	return -EINVAL;
}

/* The container's boxes: sizes within the input, at most jxl_max_boxes. */
static int jxl_scan_boxes(const uint8_t *in, size_t len, char *reason)
{
	uint64_t boxes = 0, size;
	size_t pos = 0;

	if (len < sizeof(jxl_container_sig) || memcmp(in, jxl_container_sig, 12))
		return 0; /* a bare codestream */
	while (pos < len) {
		int r = jxl_box_size(in, len, pos, &size, reason);

		if (r < 0)
			return r;
		if (++boxes > ih_format_limits.jxl_max_boxes) {
			ih_reason_set(reason,
				      "JPEG XL container has more than %llu boxes "
				      "(jxl_max_boxes)",
				      (unsigned long long)ih_format_limits.jxl_max_boxes);
			return -E2BIG;
		}
		pos += (size_t)size;
	}
	return 0;
}

static void *jxl_alloc(void *opaque, size_t size)
{
	return ih_budget_alloc(opaque, size);
}

static void jxl_free(void *opaque, void *address)
{
	ih_budget_free(opaque, address);
}

/* A decoder whose own allocations go through the job's budget, with the input closed. */
static JxlDecoder *jxl_open(struct jxl_job *job, const uint8_t *in, size_t len, int events)
{
	JxlDecoder *dec;

	job->mm = (JxlMemoryManager){ &job->budget, jxl_alloc, jxl_free };
	dec = JxlDecoderCreate(&job->mm);
	if (!dec)
		return NULL;
	if (JxlDecoderSubscribeEvents(dec, events) != JXL_DEC_SUCCESS ||
	    JxlDecoderSetKeepOrientation(dec, JXL_TRUE) != JXL_DEC_SUCCESS ||
	    JxlDecoderSetUnpremultiplyAlpha(dec, JXL_TRUE) != JXL_DEC_SUCCESS ||
	    JxlDecoderSetInput(dec, in, len) != JXL_DEC_SUCCESS) {
		JxlDecoderDestroy(dec);
		return NULL;
	}
	JxlDecoderCloseInput(dec);
	return dec;
}

/* libjxl's verdict as a reason: the input ended early, memory ran out, or the data is
 * invalid (with libjxl's own line, its source path dropped). */
static int jxl_fail(struct jxl_job *job, JxlDecoderStatus st, size_t len)
{
	const char *said = job->said_len ? job->said : "the codestream does not decode";

	if (!strncmp(said, "./lib/jxl/", 10))
		said += 10;
	if (st == JXL_DEC_NEED_MORE_INPUT || strstr(said, "missing input")) {
		ih_reason_set(job->reason,
			      "truncated JPEG XL: libjxl needs more than the %zu bytes given", len);
	} else if (job->budget.used >= job->budget.max) {
		ih_reason_set(job->reason, "JPEG XL decoding is over the memory limit");
		return -ENOMEM;
	} else {
		ih_reason_set(job->reason, "invalid JPEG XL: %s (libjxl)", said);
	}
	return -EINVAL;
}

/* stderr's writes while libjxl runs: the first line is kept, nothing reaches a file. */
static ssize_t jxl_said(void *cookie, const char *buf, size_t n)
{
	struct jxl_job *job = cookie;

	for (size_t i = 0; i < n && !job->said_done; i++) {
		if (buf[i] == '\n' || job->said_len == sizeof(job->said) - 1)
			job->said_done = true;
		else
			job->said[job->said_len++] = buf[i];
	}
	return (ssize_t)n;
}

/* The basic info against the limits: this runs before any pixel buffer is allocated. */
static int jxl_check_info(struct jxl_job *job, JxlDecoder *dec)
{
	uint64_t w, h, side = ih_format_limits.jxl_max_side;

	if (JxlDecoderGetBasicInfo(dec, &job->info) != JXL_DEC_SUCCESS) {
		ih_reason_set(job->reason, "invalid JPEG XL: no basic info (libjxl)");
		return -EINVAL;
	}
	w = job->info.xsize;
	h = job->info.ysize;
	if (w > side || h > side) {
		ih_reason_set(job->reason,
			      "JPEG XL of %llu x %llu is over the side limit of %llu "
			      "(jxl_max_side)",
			      (unsigned long long)w, (unsigned long long)h,
			      (unsigned long long)side);
		return -E2BIG;
	}
	if (w * h > job->lim->max_pixels) {
		ih_reason_set(job->reason, "%llu x %llu pixels is over the limit of %llu",
			      (unsigned long long)w, (unsigned long long)h,
			      (unsigned long long)job->lim->max_pixels);
		return -E2BIG;
	}
	return 0;
}

/*
 * What libjxl itself will hold beyond the output (libjxl 0.7 allocates its image planes
 * outside the memory manager): its float planes for every channel, and for an animation a
 * composed canvas and the saved reference frames, charged before it runs. In the sandbox
 * RLIMIT_AS backs this estimate with the kernel.
 */
static int jxl_charge_library(struct jxl_job *job)
{
	uint64_t area = (uint64_t)job->info.xsize * job->info.ysize;
	uint64_t planes = job->info.num_color_channels + job->info.num_extra_channels;
	uint64_t need = area * planes * sizeof(float) * (job->info.have_animation ? 4 : 1);
	uint64_t composed = 0;
	int r = 0;

	for (uint64_t i = 0; r == 0 && i <= job->opts->frame; i++)
		r = ih_anim_compose_charge(&composed, area, job->reason);
	if (r < 0)
		return r;
	if (need > SIZE_MAX || ih_budget_charge(&job->budget, (size_t)need) < 0) {
		ih_reason_set(job->reason, "%u x %u JPEG XL is over the memory limit",
			      job->info.xsize, job->info.ysize);
		return -ENOMEM;
	}
	return 0;
}

/* Pass one: the basic info checked, the frames counted from their headers only. */
static int jxl_count_frames(struct jxl_job *job, const uint8_t *in, size_t len)
{
	JxlDecoder *dec = jxl_open(job, in, len, JXL_DEC_BASIC_INFO | JXL_DEC_FRAME);
	JxlDecoderStatus st;
	int r = 0;

	if (!dec) {
		ih_reason_set(job->reason, "out of memory starting libjxl");
		return -ENOMEM;
	}
	while (r == 0 && (st = JxlDecoderProcessInput(dec)) != JXL_DEC_SUCCESS) {
		if (st == JXL_DEC_BASIC_INFO) {
			r = jxl_check_info(job, dec);
			if (r == 0)
				r = jxl_charge_library(job);
		} else if (st == JXL_DEC_FRAME)
			r = ih_anim_frames_check(++job->frames, "JPEG XL", job->reason);
		else
			r = jxl_fail(job, st, len);
	}
	JxlDecoderDestroy(dec);
	if (r == 0 && job->frames == 0) {
		ih_reason_set(job->reason, "invalid JPEG XL: no frame");
		r = -EINVAL;
	}
	return r;
}

static void jxl_pixel_format(struct jxl_job *job)
{
	bool alpha = job->info.alpha_bits > 0;
	bool wide = job->info.bits_per_sample > 8 || job->info.exponent_bits_per_sample > 0;

	job->img.channels = (job->info.num_color_channels == 1 ? 1 : 3) + (alpha ? 1 : 0);
	job->img.depth = wide ? 16 : 8;
	/* the record carries 1-16: a 32-bit float or integer source reads as the 16 it gives */
	job->img.src_depth = job->info.bits_per_sample > 16 ? 16 : job->info.bits_per_sample;
	job->img.src_model = job->img.channels == 1   ? IH_MODEL_GREY
			     : job->img.channels == 2 ? IH_MODEL_GREY_ALPHA
			     : job->img.channels == 3 ? IH_MODEL_RGB
						      : IH_MODEL_RGBA;
	job->fmt = (JxlPixelFormat){ .num_channels = job->img.channels,
				     .data_type = wide ? JXL_TYPE_UINT16 : JXL_TYPE_UINT8,
				     .endianness = JXL_BIG_ENDIAN,
				     .align = 0 };
}

/* The output buffer, of exactly the size libjxl asks for, charged to the budget. */
static int jxl_out_buffer(struct jxl_job *job, JxlDecoder *dec)
{
	size_t n = (size_t)job->info.xsize * job->info.ysize * job->img.channels *
		   (job->img.depth / 8);
	size_t want = 0;

	if (JxlDecoderImageOutBufferSize(dec, &job->fmt, &want) != JXL_DEC_SUCCESS || want != n) {
		ih_reason_set(job->reason, "invalid JPEG XL: output of %zu bytes, not %zu", want,
			      n);
		return -EINVAL;
	}
	if (ih_budget_charge(&job->budget, n) < 0 ||
	    !(job->img.pixels = ih_pixels_alloc(job->dest, n))) {
		ih_reason_set(job->reason, "%u x %u image is over the memory limit",
			      job->info.xsize, job->info.ysize);
		return -ENOMEM;
	}
	job->img.owned = !job->dest;
	job->img.len = n;
	if (JxlDecoderSetImageOutBuffer(dec, &job->fmt, job->img.pixels, n) != JXL_DEC_SUCCESS) {
		ih_reason_set(job->reason, "libjxl refuses the output buffer");
		return -EINVAL;
	}
	return 0;
}

static bool jxl_is_srgb(const JxlColorEncoding *c)
{
	return (c->color_space == JXL_COLOR_SPACE_RGB || c->color_space == JXL_COLOR_SPACE_GRAY) &&
	       c->white_point == JXL_WHITE_POINT_D65 &&
	       (c->color_space == JXL_COLOR_SPACE_GRAY || c->primaries == JXL_PRIMARIES_SRGB) &&
	       c->transfer_function == JXL_TRANSFER_FUNCTION_SRGB;
}

/* The ICC profile of the pixels as libjxl outputs them, unless they are sRGB already. */
static int jxl_color(struct jxl_job *job, JxlDecoder *dec)
{
	const JxlColorProfileTarget t = JXL_COLOR_PROFILE_TARGET_DATA;
	JxlColorEncoding enc;
	size_t n = 0;
	uint8_t *icc;
	int r;

	if (job->opts->flags & IH_OPT_COLOR_IGNORE ||
	    (JxlDecoderGetColorAsEncodedProfile(dec, NULL, t, &enc) == JXL_DEC_SUCCESS &&
	     jxl_is_srgb(&enc)))
		return 0;
	if (JxlDecoderGetICCProfileSize(dec, NULL, t, &n) != JXL_DEC_SUCCESS || n == 0)
		return 0;
	if (n > ih_format_limits.max_meta_bytes)
		return 0; /* as ih_meta_copy_icc: a profile over the limit is left out */
	icc = malloc(n);
	if (!icc) {
		ih_reason_set(job->reason, "out of memory copying the JPEG XL ICC profile");
		return -ENOMEM;
	}
	if (JxlDecoderGetColorAsICCProfile(dec, NULL, t, icc, n) != JXL_DEC_SUCCESS) {
		free(icc);
		return 0;
	}
	r = ih_meta_copy_icc(icc, n, &job->img.icc, &job->img.icc_len);
	free(icc);
	if (r < 0)
		ih_reason_set(job->reason, "out of memory copying the JPEG XL ICC profile");
	return r;
}

/* The codestream's orientation (1..8) as a minimal big-endian EXIF block. */
static int jxl_orientation_exif(struct jxl_job *job)
{
	static const uint8_t tmpl[26] = { 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0,
					  3,   0,   0, 0,  1, 0, 0, 0, 0, 0, 0,	   0,	 0 };
	uint8_t exif[26];

	if (job->info.orientation <= JXL_ORIENT_IDENTITY || job->info.orientation > 8)
		return 0;
	memcpy(exif, tmpl, sizeof(exif));
	exif[19] = (uint8_t)job->info.orientation;
	if (ih_meta_copy_exif(exif, sizeof(exif), &job->img.exif, &job->img.exif_len) < 0) {
		ih_reason_set(job->reason, "out of memory copying the JPEG XL orientation");
		return -ENOMEM;
	}
	return 0;
}

/* One event of pass two; 1 once the frame asked for is in the output. */
static int jxl_event(struct jxl_job *job, JxlDecoder *dec, JxlDecoderStatus st, size_t len)
{
	int r;

	switch (st) {
	case JXL_DEC_BASIC_INFO:
		r = jxl_check_info(job, dec);
		if (r == 0)
			jxl_pixel_format(job);
		return r;
	case JXL_DEC_COLOR_ENCODING:
		return jxl_color(job, dec);
	case JXL_DEC_NEED_IMAGE_OUT_BUFFER:
		return job->img.pixels ? jxl_fail(job, JXL_DEC_ERROR, len)
				       : jxl_out_buffer(job, dec);
	case JXL_DEC_FULL_IMAGE:
		return 1;
	default:
		return jxl_fail(job, st, len);
	}
}

/* Pass two: the frame asked for, straight into the output. */
static int jxl_decode_frame(struct jxl_job *job, const uint8_t *in, size_t len)
{
	JxlDecoder *dec = jxl_open(
		job, in, len, JXL_DEC_BASIC_INFO | JXL_DEC_COLOR_ENCODING | JXL_DEC_FULL_IMAGE);
	int r = 0;

	if (!dec) {
		ih_reason_set(job->reason, "out of memory starting libjxl");
		return -ENOMEM;
	}
	JxlDecoderSkipFrames(dec, job->opts->frame);
	while (r == 0)
		r = jxl_event(job, dec, JxlDecoderProcessInput(dec), len);
	JxlDecoderDestroy(dec);
	return r < 0 ? r : 0;
}

/* The two passes, with libjxl's stderr caught in the job. */
static int jxl_run(struct jxl_job *job, const uint8_t *in, size_t len)
{
	FILE *saved = stderr;
	FILE *said = fopencookie(job, "w", (cookie_io_functions_t){ .write = jxl_said });
	int r;

	if (!said || setvbuf(said, NULL, _IONBF, 0)) {
		if (said)
			fclose(said);
		ih_reason_set(job->reason, "out of memory starting libjxl");
		return -ENOMEM;
	}
	stderr = said;
	r = jxl_count_frames(job, in, len);
	if (r == 0)
		r = ih_anim_frame_exists(job->opts->frame, job->frames, "JPEG XL", job->reason);
	if (r == 0)
		r = jxl_decode_frame(job, in, len);
	stderr = saved;
	fclose(said);
	return r;
}

static int decode_jxl(const struct ih_limits *lim, const struct ih_decode_opts *opts,
		      const uint8_t *in, size_t len, const struct ih_pixel_dest *dest,
		      struct ih_image *ret, char reason[IH_REASON_MAX])
{
	struct jxl_job job = { .lim = lim,
			       .opts = opts,
			       .dest = dest,
			       .budget = { .max = lim->max_memory_bytes },
			       .reason = reason };
	int r;

	r = jxl_scan_boxes(in, len, reason);
	if (r == 0)
		r = jxl_run(&job, in, len);
	if (r == 0)
		r = jxl_orientation_exif(&job);
	if (r < 0) {
		ih_image_free(&job.img);
		return r;
	}
	job.img.width = job.info.xsize;
	job.img.height = job.info.ysize;
	job.img.frames = (uint32_t)job.frames;
	*ret = job.img;
	return 0;
}

/*
 * libjxl's first decode picks its SIMD routines (highway's CPU dispatch) and sets up the
 * C++ runtime's statics: done once here, in the parent, with a 1 x 1 lossless codestream
 * (once per process: ih_decoders_prepare() runs before every fresh child).
 */
static void prepare_jxl(void)
{
	static const uint8_t tiny[] = { 0xff, 0x0a, 0x00, 0x10, 0x10, 0x50, 0x5c, 0x08, 0x08,
					0x02, 0x01, 0x00, 0x34, 0x00, 0x4b, 0x18, 0x8b, 0x15,
					0xc2, 0x41, 0xd6, 0xe1, 0x01, 0xf6, 0x02, 0xfc, 0x40 };
	struct ih_limits lim;
	struct ih_decode_opts opts = { 0 };
	struct ih_image img = { 0 };
	char reason[IH_REASON_MAX];
	static bool done;

	if (done)
		return;
	done = true;
	ih_limits_default(&lim);
	if (decode_jxl(&lim, &opts, tiny, sizeof(tiny), NULL, &img, reason) == 0)
		ih_image_free(&img);
}

const struct ih_decoder ih_decoder_jxl = {
	.name = "jxl",
	.decode = decode_jxl,
	.prepare = prepare_jxl,
	.lazy = true,
};
