/*
 * GIF (87a and 89a, still or animated) through giflib's record-level API under the
 * request's limits and the per-format ones (guest/decode/format_limits.h). giflib reads
 * from memory through gif_read(); frames are decoded one line at a time, never slurped.
 *
 * The whole file is walked: every frame descriptor is checked (inside the canvas, LZW
 * output within gif_max_lzw_bytes, frame count within max_frames) before its data is
 * touched, frames up to the one asked for are composed on an RGBA canvas (transparency,
 * disposal to background and to previous, as browsers do: the canvas starts transparent),
 * the later ones are skipped undecoded and only counted. An ICC profile in an
 * "ICCRGBG1012" application extension is copied out.
 */
#include <errno.h>
#include <gif_lib.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "anim.h"

struct gif_job {
	const struct ih_limits *lim;
	uint32_t want; /* the frame asked for */
	const uint8_t *in;
	size_t len;
	size_t pos;
	char *reason;
	struct ih_budget budget;
	GifFileType *gif;
	uint32_t w, h; /* the canvas */
	uint8_t *canvas; /* RGBA, w * h * 4 */
	uint8_t *saved; /* the frame's rectangle before it was drawn (disposal 3) */
	GifPixelType *line;
	uint64_t frames;
	uint64_t composed;
	uint64_t extensions;
	GraphicsControlBlock gcb; /* from the extension before the next frame */
	uint32_t src_depth;
	uint8_t *icc;
	size_t icc_len;
	bool icc_over;
	bool icc_seen;
};

static int gif_read(GifFileType *gif, GifByteType *out, int n)
{
	struct gif_job *job = gif->UserData;
	size_t want = n > 0 ? (size_t)n : 0;

	if (want > job->len - job->pos)
		want = job->len - job->pos;
	memcpy(out, job->in + job->pos, want);
	job->pos += want;
	return (int)want;
}

static int gif_fail(struct gif_job *job, const char *what)
{
	const char *msg = GifErrorString(job->gif->Error);

	ih_reason_set(job->reason, "invalid GIF: %s (%s)", what, msg ? msg : "unknown error");
	return -EINVAL;
}

static void gcb_reset(GraphicsControlBlock *gcb)
{
	*gcb = (GraphicsControlBlock){ .DisposalMode = DISPOSAL_UNSPECIFIED,
				       .TransparentColor = NO_TRANSPARENT_COLOR };
}

static int gif_canvas(struct gif_job *job)
{
	uint32_t w = (uint32_t)job->gif->SWidth, h = (uint32_t)job->gif->SHeight;

	if (w == 0 || h == 0) {
		ih_reason_set(job->reason, "invalid GIF: empty %u x %u canvas", w, h);
		return -EINVAL;
	}
	if ((uint64_t)w * h > job->lim->max_pixels) {
		ih_reason_set(job->reason, "%u x %u pixels is over the limit of %llu", w, h,
			      (unsigned long long)job->lim->max_pixels);
		return -E2BIG;
	}
	job->canvas = ih_budget_alloc(&job->budget, (size_t)w * h * 4);
	job->line = ih_budget_alloc(&job->budget, (size_t)w);
	if (!job->canvas || !job->line) {
		ih_reason_set(job->reason, "%u x %u image is over the memory limit", w, h);
		return -ENOMEM;
	}
	memset(job->canvas, 0, (size_t)w * h * 4);
	job->w = w;
	job->h = h;
	return 0;
}

/* An "ICCRGBG1012" application extension: its sub-blocks are the profile. */
static void gif_icc_append(struct gif_job *job, const GifByteType *block)
{
	size_t n = block[0];
	uint8_t *p;

	if (job->icc_over || job->icc_len + n > ih_format_limits.max_meta_bytes) {
		free(job->icc);
		job->icc = NULL;
		job->icc_over = true; /* over the limit: left out */
		return;
	}
	p = realloc(job->icc, job->icc_len + n);
	if (!p) {
		job->icc_over = true;
		return;
	}
	memcpy(p + job->icc_len, block + 1, n);
	job->icc = p;
	job->icc_len += n;
}

static int gif_extension(struct gif_job *job)
{
	GifByteType *block;
	int code;
	bool icc = false;

	if (DGifGetExtension(job->gif, &code, &block) != GIF_OK)
		return gif_fail(job, "extension");
	if (code == APPLICATION_EXT_FUNC_CODE && block && block[0] == 11 &&
	    !memcmp(block + 1, "ICCRGBG1012", 11) && !job->icc_seen)
		icc = job->icc_seen = true;
	if (code == GRAPHICS_EXT_FUNC_CODE && block &&
	    DGifExtensionToGCB(block[0], block + 1, &job->gcb) != GIF_OK)
		return gif_fail(job, "graphic control extension");
	while (block) {
		if (++job->extensions > ih_format_limits.gif_max_extensions) {
			ih_reason_set(job->reason,
				      "GIF has more than %llu extension blocks "
				      "(gif_max_extensions)",
				      (unsigned long long)ih_format_limits.gif_max_extensions);
			return -E2BIG;
		}
		if (DGifGetExtensionNext(job->gif, &block) != GIF_OK)
			return gif_fail(job, "extension data");
		if (icc && block)
			gif_icc_append(job, block);
	}
	return 0;
}

/* A frame's rectangle: inside the canvas, not empty, its LZW output within the limit. */
static int gif_frame_check(struct gif_job *job, const GifImageDesc *d)
{
	uint64_t area = (uint64_t)(uint32_t)d->Width * (uint32_t)d->Height;

	if (ih_anim_frames_check(job->frames + 1, "GIF", job->reason) < 0)
		return -E2BIG;
	if (area > ih_format_limits.gif_max_lzw_bytes) {
		ih_reason_set(job->reason,
			      "GIF frame %llu of %d x %d pixels is over the LZW output limit of "
			      "%llu bytes (gif_max_lzw_bytes)",
			      (unsigned long long)job->frames, d->Width, d->Height,
			      (unsigned long long)ih_format_limits.gif_max_lzw_bytes);
		return -E2BIG;
	}
	if (d->Width <= 0 || d->Height <= 0) {
		ih_reason_set(job->reason, "invalid GIF: frame %llu is empty (%d x %d)",
			      (unsigned long long)job->frames, d->Width, d->Height);
		return -EINVAL;
	}
	if (d->Left < 0 || d->Top < 0 || (uint32_t)d->Left + (uint32_t)d->Width > job->w ||
	    (uint32_t)d->Top + (uint32_t)d->Height > job->h) {
		ih_reason_set(job->reason,
			      "invalid GIF: frame %llu (%d x %d at %d,%d) is outside the %u x %u "
			      "canvas",
			      (unsigned long long)job->frames, d->Width, d->Height, d->Left, d->Top,
			      job->w, job->h);
		return -EINVAL;
	}
	return 0;
}

static int gif_skip_frame(struct gif_job *job)
{
	GifByteType *block;
	int code_size;

	if (DGifGetCode(job->gif, &code_size, &block) != GIF_OK)
		return gif_fail(job, "frame data");
	while (block)
		if (DGifGetCodeNext(job->gif, &block) != GIF_OK)
			return gif_fail(job, "frame data");
	return 0;
}

static void gif_draw_row(struct gif_job *job, const ColorMapObject *map, uint32_t y)
{
	const GifImageDesc *d = &job->gif->Image;
	uint8_t *px = job->canvas + ((size_t)(d->Top + y) * job->w + (uint32_t)d->Left) * 4;

	for (int x = 0; x < d->Width; x++, px += 4) {
		GifPixelType i = job->line[x];

		if (job->gcb.TransparentColor == i)
			continue;
		if (i < map->ColorCount) {
			px[0] = map->Colors[i].Red;
			px[1] = map->Colors[i].Green;
			px[2] = map->Colors[i].Blue;
		} else {
			px[0] = px[1] = px[2] = 0;
		}
		px[3] = 0xff;
	}
}

/* Copies the frame's rectangle between the canvas and job->saved (to_canvas: restore). */
static void gif_rect_copy(struct gif_job *job, bool to_canvas)
{
	const GifImageDesc *d = &job->gif->Image;
	size_t row = (size_t)d->Width * 4;

	for (int y = 0; y < d->Height; y++) {
		uint8_t *c = job->canvas + ((size_t)(d->Top + y) * job->w + (uint32_t)d->Left) * 4;
		uint8_t *s = job->saved + (size_t)y * row;

		memcpy(to_canvas ? c : s, to_canvas ? s : c, row);
	}
}

static int gif_read_rows(struct gif_job *job, const ColorMapObject *map)
{
	static const int start[] = { 0, 4, 2, 1 }, step[] = { 8, 8, 4, 2 };
	const GifImageDesc *d = &job->gif->Image;
	int passes = d->Interlace ? 4 : 1;

	for (int p = 0; p < passes; p++) {
		for (int y = d->Interlace ? start[p] : 0; y < d->Height;
		     y += d->Interlace ? step[p] : 1) {
			if (DGifGetLine(job->gif, job->line, d->Width) != GIF_OK)
				return gif_fail(job, "frame pixels");
			gif_draw_row(job, map, (uint32_t)y);
		}
	}
	return 0;
}

/* Draws the current frame; unless it is the one asked for, then disposes of it. */
static int gif_compose_frame(struct gif_job *job)
{
	const GifImageDesc *d = &job->gif->Image;
	const ColorMapObject *map = d->ColorMap ? d->ColorMap : job->gif->SColorMap;
	bool last = job->frames == job->want;
	int r;

	if (!map) {
		ih_reason_set(job->reason, "invalid GIF: frame %llu has no color map",
			      (unsigned long long)job->frames);
		return -EINVAL;
	}
	r = ih_anim_compose_charge(&job->composed, (uint64_t)d->Width * (uint32_t)d->Height,
				   job->reason);
	if (r < 0)
		return r;
	if (job->frames == 0)
		job->src_depth = (uint32_t)map->BitsPerPixel;
	if (!last && job->gcb.DisposalMode == DISPOSE_PREVIOUS) {
		ih_budget_free(&job->budget, job->saved);
		job->saved = ih_budget_alloc(&job->budget, (size_t)d->Width * d->Height * 4);
		if (!job->saved) {
			ih_reason_set(job->reason, "GIF frame is over the memory limit");
			return -ENOMEM;
		}
		gif_rect_copy(job, false);
	}
	r = gif_read_rows(job, map);
	if (r < 0 || last)
		return r;
	if (job->gcb.DisposalMode == DISPOSE_BACKGROUND) {
		for (int y = 0; y < d->Height; y++)
			memset(job->canvas +
				       ((size_t)(d->Top + y) * job->w + (uint32_t)d->Left) * 4,
			       0, (size_t)d->Width * 4);
	} else if (job->gcb.DisposalMode == DISPOSE_PREVIOUS) {
		gif_rect_copy(job, true);
	}
	return 0;
}

static int gif_frame(struct gif_job *job)
{
	int r;

	if (DGifGetImageHeader(job->gif) != GIF_OK)
		return gif_fail(job, "frame descriptor");
	r = gif_frame_check(job, &job->gif->Image);
	if (r < 0)
		return r;
	r = job->frames <= job->want ? gif_compose_frame(job) : gif_skip_frame(job);
	job->frames++;
	gcb_reset(&job->gcb);
	return r;
}

/* Every record up to the trailer. */
static int gif_walk(struct gif_job *job)
{
	GifRecordType type;
	int r = 0;

	do {
		if (DGifGetRecordType(job->gif, &type) != GIF_OK)
			return gif_fail(job, "record");
		if (type == IMAGE_DESC_RECORD_TYPE)
			r = gif_frame(job);
		else if (type == EXTENSION_RECORD_TYPE)
			r = gif_extension(job);
	} while (r == 0 && type != TERMINATE_RECORD_TYPE);
	return r;
}

static int gif_run(struct gif_job *job, const struct ih_pixel_dest *dest, struct ih_image *img)
{
	int err = 0, r;

	job->gif = DGifOpen(job, gif_read, &err);
	if (!job->gif) {
		const char *msg = GifErrorString(err);

		ih_reason_set(job->reason, "invalid GIF: %s", msg ? msg : "cannot open");
		return err == D_GIF_ERR_NOT_ENOUGH_MEM ? -ENOMEM : -EINVAL;
	}
	r = gif_canvas(job);
	if (r == 0)
		r = gif_walk(job);
	if (r == 0)
		r = ih_anim_frame_exists(job->want, job->frames, "GIF", job->reason);
	if (r == 0)
		r = ih_canvas_emit(&job->budget, dest, job->canvas, job->w, job->h, img,
				   job->reason);
	return r;
}

static void gif_job_release(struct gif_job *job)
{
	int err;

	if (job->gif)
		DGifCloseFile(job->gif, &err);
	ih_budget_free(&job->budget, job->canvas);
	ih_budget_free(&job->budget, job->saved);
	ih_budget_free(&job->budget, job->line);
	free(job->icc);
}

static int decode_gif(const struct ih_limits *lim, const struct ih_decode_opts *opts,
		      const uint8_t *in, size_t len, const struct ih_pixel_dest *dest,
		      struct ih_image *ret, char reason[IH_REASON_MAX])
{
	struct gif_job job = {
		.lim = lim,
		.want = opts->frame,
		.in = in,
		.len = len,
		.reason = reason,
		.budget = { .max = lim->max_memory_bytes },
	};
	struct ih_image img = { 0 };
	int r;

	gcb_reset(&job.gcb);
	r = gif_run(&job, dest, &img);
	if (r == 0) {
		img.frames = (uint32_t)job.frames;
		img.src_depth = job.src_depth;
		img.src_model = IH_MODEL_PALETTE;
		if (job.icc && !job.icc_over && !(opts->flags & IH_OPT_COLOR_IGNORE)) {
			img.icc = job.icc;
			img.icc_len = job.icc_len;
			job.icc = NULL;
		}
		*ret = img;
	} else if (img.owned) {
		free(img.pixels);
	}
	gif_job_release(&job);
	return r;
}

const struct ih_decoder ih_decoder_gif = {
	.name = "gif",
	.decode = decode_gif,
	.prepare = NULL,
};
