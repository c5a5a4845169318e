/*
 * TIFF and BigTIFF (the first image) through libtiff under the request's limits and the
 * per-format ones (guest/decode/format_limits.h). tiff_scan.c first walks the IFD chain
 * and checks the compression and strip count; libtiff then reads from memory through
 * client procs, its errors (with this job as user data) become the reason, its warnings
 * are dropped, and no single allocation of its own may pass tiff_max_strip_bytes.
 *
 * Grey, grey+alpha, RGB and RGBA with 8 or 16 bits a sample (and JPEG-compressed YCbCr,
 * which libjpeg turns into RGB) are read strip by strip or tile by tile straight into the
 * output (separate planes, stripped, interleaved on the way): 16 bits stay 16 bits, white-is-zero
 * is inverted, associated alpha is undone. Palette, 1/2/4-bit grey, CMYK and tiled planar images
 * without alpha go through libtiff's TIFFRGBAImage (8 bits). The Orientation tag becomes a small
 * EXIF block and the ICC profile tag is copied, for the steps decode.c applies to every format.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
#include <tiffio.h>

#include "anim.h"
#include "tiff_scan.h"

struct tiff_job {
	const struct ih_limits *lim;
	const uint8_t *in;
	size_t len;
	uint64_t pos;
	char *reason;
	bool failed; /* reason holds libtiff's first error */
	struct ih_budget budget;
	const struct ih_pixel_dest *dest;
	TIFF *tif;
	uint32_t w, h;
	uint16_t bps, spp, photometric, planar, format, orientation;
	uint16_t alpha; /* EXTRASAMPLE_* of the one extra sample, or 0xffff: none */
	uint8_t *buf; /* a tile, or TIFFRGBAImage's raster */
	struct ih_image img;
};

#define NO_ALPHA 0xffff

static tmsize_t tiff_read(thandle_t h, void *out, tmsize_t n)
{
	struct tiff_job *job = h;
	uint64_t left = job->pos < job->len ? job->len - job->pos : 0;

	if (n < 0)
		return -1;
	if ((uint64_t)n > left)
		n = (tmsize_t)left;
	memcpy(out, job->in + job->pos, (size_t)n);
	job->pos += (uint64_t)n;
	return n;
}

static tmsize_t tiff_write(thandle_t h, void *in, tmsize_t n)
{
	(void)h;
	(void)in;
	(void)n;
	return -1;
}

static toff_t tiff_seek(thandle_t h, toff_t off, int whence)
{
	struct tiff_job *job = h;
	uint64_t base = whence == SEEK_CUR ? job->pos : whence == SEEK_END ? job->len : 0;

	if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END)
		return (toff_t)-1;
	if (off > UINT64_MAX - base)
		return (toff_t)-1;
	job->pos = base + off;
	return job->pos;
}

static int tiff_close(thandle_t h)
{
	(void)h;
	return 0;
}

static toff_t tiff_size(thandle_t h)
{
	return ((struct tiff_job *)h)->len;
}

static int tiff_map(thandle_t h, void **base, toff_t *size)
{
	(void)h;
	(void)base;
	(void)size;
	return 0;
}

static void tiff_unmap(thandle_t h, void *base, toff_t size)
{
	(void)h;
	(void)base;
	(void)size;
}

static int tiff_on_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
	struct tiff_job *job = user;
	char msg[IH_REASON_MAX];

	(void)tif;
	if (!job->failed) {
		vsnprintf(msg, sizeof(msg), fmt, ap);
		ih_reason_set(job->reason, "invalid TIFF: %s: %s", module ? module : "libtiff",
			      msg);
		job->failed = true;
	}
	return 1;
}

static int tiff_on_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
	(void)tif;
	(void)user;
	(void)module;
	(void)fmt;
	(void)ap;
	return 1;
}

static int tiff_fail(struct tiff_job *job, const char *what)
{
	if (!job->failed)
		ih_reason_set(job->reason, "invalid TIFF: %s", what);
	return -EINVAL;
}

static int tiff_open(struct tiff_job *job)
{
	TIFFOpenOptions *o = TIFFOpenOptionsAlloc();

	if (!o) {
		ih_reason_set(job->reason, "out of memory starting libtiff");
		return -ENOMEM;
	}
	TIFFOpenOptionsSetMaxSingleMemAlloc(o, (tmsize_t)ih_format_limits.tiff_max_strip_bytes);
	TIFFOpenOptionsSetErrorHandlerExtR(o, tiff_on_error, job);
	TIFFOpenOptionsSetWarningHandlerExtR(o, tiff_on_warning, job);
	job->tif = TIFFClientOpenExt("input", "rm", job, tiff_read, tiff_write, tiff_seek,
				     tiff_close, tiff_size, tiff_map, tiff_unmap, o);
	TIFFOpenOptionsFree(o);
	return job->tif ? 0 : tiff_fail(job, "cannot open");
}

/* The tags that decide the path; JPEG-compressed YCbCr is asked for as RGB. */
static int tiff_fields(struct tiff_job *job)
{
	TIFF *t = job->tif;
	uint16_t compression = 1, n_extra = 0, *extra = NULL;

	if (!TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &job->w) ||
	    !TIFFGetField(t, TIFFTAG_IMAGELENGTH, &job->h) ||
	    !TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &job->photometric))
		return tiff_fail(job, "no width, height or photometric interpretation");
	TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &job->bps);
	TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &job->spp);
	TIFFGetFieldDefaulted(t, TIFFTAG_PLANARCONFIG, &job->planar);
	TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLEFORMAT, &job->format);
	TIFFGetFieldDefaulted(t, TIFFTAG_COMPRESSION, &compression);
	TIFFGetFieldDefaulted(t, TIFFTAG_ORIENTATION, &job->orientation);
	TIFFGetFieldDefaulted(t, TIFFTAG_EXTRASAMPLES, &n_extra, &extra);
	job->alpha = n_extra == 1 && extra ? extra[0] : NO_ALPHA;
	if (n_extra > 1)
		job->alpha = EXTRASAMPLE_UNSPECIFIED;
	if (compression == COMPRESSION_JPEG && job->photometric == PHOTOMETRIC_YCBCR) {
		if (!TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB))
			return tiff_fail(job, "JPEG color conversion");
		job->photometric = PHOTOMETRIC_RGB;
	}
	return 0;
}

static int tiff_check_size(struct tiff_job *job)
{
	uint64_t piece =
		TIFFIsTiled(job->tif) ? TIFFTileSize64(job->tif) : TIFFStripSize64(job->tif);

	if (job->w == 0 || job->h == 0)
		return tiff_fail(job, "empty image");
	if ((uint64_t)job->w * job->h > job->lim->max_pixels) {
		ih_reason_set(job->reason, "%u x %u pixels is over the limit of %llu", job->w,
			      job->h, (unsigned long long)job->lim->max_pixels);
		return -E2BIG;
	}
	if (piece == 0)
		return tiff_fail(job, "strip or tile size");
	if (piece > ih_format_limits.tiff_max_strip_bytes) {
		ih_reason_set(job->reason,
			      "TIFF %s of %llu bytes decompressed is over the limit of %llu "
			      "(tiff_max_strip_bytes)",
			      TIFFIsTiled(job->tif) ? "tile" : "strip", (unsigned long long)piece,
			      (unsigned long long)ih_format_limits.tiff_max_strip_bytes);
		return -E2BIG;
	}
	return 0;
}

static bool is_grey(const struct tiff_job *job)
{
	return job->photometric == PHOTOMETRIC_MINISBLACK ||
	       job->photometric == PHOTOMETRIC_MINISWHITE;
}

/* Samples read as they are: 8 or 16-bit unsigned grey(+alpha) or RGB(+alpha), interleaved. */
static bool direct_readable(const struct tiff_job *job)
{
	uint16_t colors = is_grey(job) ? 1 : job->photometric == PHOTOMETRIC_RGB ? 3 : 0;
	bool alpha = job->alpha == EXTRASAMPLE_ASSOCALPHA || job->alpha == EXTRASAMPLE_UNASSALPHA;

	if (!colors || (job->bps != 8 && job->bps != 16) || job->format != SAMPLEFORMAT_UINT)
		return false;
	if (job->planar != PLANARCONFIG_CONTIG && job->spp != 1 && TIFFIsTiled(job->tif))
		return false;
	return job->spp == colors + (alpha ? 1 : 0) && (job->alpha == NO_ALPHA || alpha);
}

static size_t out_stride(const struct tiff_job *job)
{
	return (size_t)job->w * job->spp * (job->bps / 8);
}

static int tiff_alloc_out(struct tiff_job *job, size_t n)
{
	if (ih_budget_charge(&job->budget, n) < 0 ||
	    !(job->img.pixels = ih_pixels_alloc(job->dest, n))) {
		ih_reason_set(job->reason, "%u x %u image is over the memory limit", job->w,
			      job->h);
		return -ENOMEM;
	}
	job->img.owned = !job->dest;
	job->img.len = n;
	return 0;
}

static int tiff_read_strips(struct tiff_job *job)
{
	size_t stride = out_stride(job);
	uint32_t rps = 0;

	TIFFGetFieldDefaulted(job->tif, TIFFTAG_ROWSPERSTRIP, &rps);
	if (rps == 0 || (uint64_t)TIFFScanlineSize64(job->tif) != stride)
		return tiff_fail(job, "unexpected strip layout");
	for (uint64_t s = 0, y = 0; y < job->h; s++, y += rps) {
		uint32_t rows = job->h - y < rps ? (uint32_t)(job->h - y) : rps;
		tmsize_t want = (tmsize_t)((size_t)rows * stride);

		if (TIFFReadEncodedStrip(job->tif, (uint32_t)s, job->img.pixels + y * stride,
					 want) != want)
			return tiff_fail(job, "short strip");
	}
	return 0;
}

/* Separate planes, stripped: each plane's strips read into job->buf, then interleaved. */
static int tiff_read_planes(struct tiff_job *job)
{
	size_t bps = job->bps / 8, stride = out_stride(job), row = (size_t)job->w * bps;
	tmsize_t size = TIFFStripSize(job->tif);
	uint32_t rps = 0, per_plane = TIFFNumberOfStrips(job->tif) / job->spp;

	TIFFGetFieldDefaulted(job->tif, TIFFTAG_ROWSPERSTRIP, &rps);
	if (rps == 0 || size <= 0 || (uint64_t)TIFFScanlineSize64(job->tif) != row)
		return tiff_fail(job, "unexpected strip layout");
	job->buf = ih_budget_alloc(&job->budget, (size_t)size);
	if (!job->buf) {
		ih_reason_set(job->reason, "TIFF strip is over the memory limit");
		return -ENOMEM;
	}
	for (uint32_t c = 0; c < job->spp; c++) {
		for (uint64_t s = 0, y = 0; y < job->h; s++, y += rps) {
			uint32_t rows = job->h - y < rps ? (uint32_t)(job->h - y) : rps;
			tmsize_t want = (tmsize_t)(rows * row);

			if (s >= per_plane ||
			    TIFFReadEncodedStrip(job->tif, (uint32_t)(c * per_plane + s), job->buf,
						 want) != want)
				return tiff_fail(job, "short strip");
			for (size_t i = 0; i < (size_t)rows * job->w; i++)
				memcpy(job->img.pixels + y * stride + (i * job->spp + c) * bps,
				       job->buf + i * bps, bps);
		}
	}
	return 0;
}

static void tile_copy(struct tiff_job *job, uint32_t x, uint32_t y, uint32_t tw, uint32_t th)
{
	size_t bpp = (size_t)job->spp * (job->bps / 8), stride = out_stride(job);
	size_t tstride = (size_t)tw * bpp;
	uint32_t cols = job->w - x < tw ? job->w - x : tw;

	for (uint32_t r = 0; r < th && y + r < job->h; r++)
		memcpy(job->img.pixels + (size_t)(y + r) * stride + x * bpp, job->buf + r * tstride,
		       cols * bpp);
}

static int tiff_read_tiles(struct tiff_job *job)
{
	uint32_t tw = 0, th = 0;
	tmsize_t size = TIFFTileSize(job->tif);

	TIFFGetField(job->tif, TIFFTAG_TILEWIDTH, &tw);
	TIFFGetField(job->tif, TIFFTAG_TILELENGTH, &th);
	if (tw == 0 || th == 0 || size <= 0 ||
	    (uint64_t)TIFFTileRowSize64(job->tif) != (uint64_t)tw * job->spp * (job->bps / 8))
		return tiff_fail(job, "unexpected tile layout");
	job->buf = ih_budget_alloc(&job->budget, (size_t)size);
	if (!job->buf) {
		ih_reason_set(job->reason, "TIFF tile is over the memory limit");
		return -ENOMEM;
	}
	for (uint64_t y = 0; y < job->h; y += th) {
		for (uint64_t x = 0; x < job->w; x += tw) {
			uint32_t tile = TIFFComputeTile(job->tif, (uint32_t)x, (uint32_t)y, 0, 0);

			if (TIFFReadEncodedTile(job->tif, tile, job->buf, size) != size)
				return tiff_fail(job, "short tile");
			tile_copy(job, (uint32_t)x, (uint32_t)y, tw, th);
		}
	}
	return 0;
}

/* White-is-zero inverted, associated alpha undone, 16-bit samples most significant first. */
static void tiff_fixup(struct tiff_job *job)
{
	bool wide = job->bps == 16, invert = job->photometric == PHOTOMETRIC_MINISWHITE;
	bool assoc = job->alpha == EXTRASAMPLE_ASSOCALPHA;
	uint32_t max = wide ? 0xffff : 0xff, spp = job->spp;
	size_t px = (size_t)job->w * job->h;

	for (size_t i = 0; i < px; i++) {
		uint32_t s[4];

		for (uint32_t c = 0; c < spp; c++) {
			uint16_t v;

			if (wide) {
				memcpy(&v, job->img.pixels + (i * spp + c) * 2, 2);
				s[c] = v;
			} else {
				s[c] = job->img.pixels[i * spp + c];
			}
		}
		for (uint32_t c = 0; c < spp - (job->alpha == NO_ALPHA ? 0 : 1); c++) {
			if (invert)
				s[c] = max - s[c];
			if (assoc)
				s[c] = s[spp - 1] ? (s[c] * max + s[spp - 1] / 2) / s[spp - 1] : 0;
			if (s[c] > max)
				s[c] = max;
		}
		for (uint32_t c = 0; c < spp; c++) {
			if (wide) {
				job->img.pixels[(i * spp + c) * 2] = (uint8_t)(s[c] >> 8);
				job->img.pixels[(i * spp + c) * 2 + 1] = (uint8_t)s[c];
			} else {
				job->img.pixels[i * spp + c] = (uint8_t)s[c];
			}
		}
	}
}

static int tiff_read_pieces(struct tiff_job *job)
{
	if (TIFFIsTiled(job->tif))
		return tiff_read_tiles(job);
	if (job->planar == PLANARCONFIG_SEPARATE && job->spp > 1)
		return tiff_read_planes(job);
	return tiff_read_strips(job);
}

static int tiff_read_direct(struct tiff_job *job)
{
	int r = tiff_alloc_out(job, out_stride(job) * job->h);

	if (r == 0)
		r = tiff_read_pieces(job);
	if (r < 0)
		return r;
	tiff_fixup(job);
	job->img.channels = job->spp;
	job->img.depth = job->bps;
	return 0;
}

/* TIFFRGBAImage's packed raster to grey (a grey source) or RGB(A) via ih_canvas_emit. */
static int tiff_emit_raster(struct tiff_job *job)
{
	const uint32_t *raster = (const uint32_t *)job->buf;
	size_t px = (size_t)job->w * job->h;
	int r;

	if (!is_grey(job)) {
		for (size_t i = 0; i < px; i++) {
			uint32_t v = raster[i];

			job->buf[i * 4] = (uint8_t)TIFFGetR(v);
			job->buf[i * 4 + 1] = (uint8_t)TIFFGetG(v);
			job->buf[i * 4 + 2] = (uint8_t)TIFFGetB(v);
			job->buf[i * 4 + 3] = (uint8_t)TIFFGetA(v);
		}
		return ih_canvas_emit(&job->budget, job->dest, job->buf, job->w, job->h, &job->img,
				      job->reason);
	}
	r = tiff_alloc_out(job, px);
	for (size_t i = 0; r == 0 && i < px; i++)
		job->img.pixels[i] = (uint8_t)TIFFGetR(raster[i]);
	job->img.channels = 1;
	job->img.depth = 8;
	return r;
}

static int tiff_read_rgba(struct tiff_job *job)
{
	TIFFRGBAImage ri;
	char emsg[1024] = "";
	int ok;

	if (job->alpha != NO_ALPHA || job->bps > 8 || !TIFFRGBAImageOK(job->tif, emsg)) {
		ih_reason_set(job->reason,
			      "unsupported TIFF: photometric %u, %u x %u-bit samples%s%s",
			      job->photometric, job->spp, job->bps, emsg[0] ? ": " : "", emsg);
		return -EINVAL;
	}
	job->buf = ih_budget_alloc(&job->budget, (size_t)job->w * job->h * 4);
	if (!job->buf) {
		ih_reason_set(job->reason, "%u x %u image is over the memory limit", job->w,
			      job->h);
		return -ENOMEM;
	}
	if (!TIFFRGBAImageBegin(&ri, job->tif, 1, emsg))
		return tiff_fail(job, emsg);
	ri.req_orientation = ri.orientation; /* orientation is decode.c's common step */
	ok = TIFFRGBAImageGet(&ri, (uint32_t *)job->buf, job->w, job->h);
	TIFFRGBAImageEnd(&ri);
	if (!ok)
		return tiff_fail(job, "pixels do not decode");
	return tiff_emit_raster(job);
}

/* The Orientation tag (1..8) as a minimal big-endian EXIF block: one IFD, one entry. */
static int tiff_orientation_exif(struct tiff_job *job)
{
	static const uint8_t tmpl[26] = { 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0,
					  3,   0,   0, 0,  1, 0, 0, 0, 0, 0, 0,	   0,	 0 };
	uint8_t exif[26];

	if (job->orientation < 1 || job->orientation > 8)
		return 0;
	memcpy(exif, tmpl, sizeof(exif));
	exif[19] = (uint8_t)job->orientation;
	return ih_meta_copy_exif(exif, sizeof(exif), &job->img.exif, &job->img.exif_len);
}

/* The orientation as EXIF, and the ICC profile unless the request drops it. */
static int tiff_meta(struct tiff_job *job, uint32_t flags)
{
	uint32_t n = 0;
	void *icc = NULL;

	if (tiff_orientation_exif(job) < 0 ||
	    (!(flags & IH_OPT_COLOR_IGNORE) &&
	     TIFFGetField(job->tif, TIFFTAG_ICCPROFILE, &n, &icc) && icc &&
	     ih_meta_copy_icc(icc, n, &job->img.icc, &job->img.icc_len) < 0)) {
		ih_reason_set(job->reason, "out of memory copying TIFF metadata");
		return -ENOMEM;
	}
	return 0;
}

static uint32_t tiff_model(const struct tiff_job *job)
{
	bool alpha = job->alpha != NO_ALPHA;

	switch (job->photometric) {
	case PHOTOMETRIC_MINISBLACK:
	case PHOTOMETRIC_MINISWHITE:
		return alpha ? IH_MODEL_GREY_ALPHA : IH_MODEL_GREY;
	case PHOTOMETRIC_RGB:
	case PHOTOMETRIC_YCBCR:
		return alpha ? IH_MODEL_RGBA : IH_MODEL_RGB;
	case PHOTOMETRIC_PALETTE:
		return IH_MODEL_PALETTE;
	case PHOTOMETRIC_SEPARATED:
		return IH_MODEL_CMYK;
	default:
		return IH_MODEL_UNKNOWN;
	}
}

static int tiff_run(struct tiff_job *job, uint32_t flags)
{
	int r = tiff_open(job);

	if (r == 0)
		r = tiff_fields(job);
	if (r == 0)
		r = tiff_check_size(job);
	if (r == 0)
		r = direct_readable(job) ? tiff_read_direct(job) : tiff_read_rgba(job);
	if (r == 0)
		r = tiff_meta(job, flags);
	if (r == 0) {
		job->img.width = job->w;
		job->img.height = job->h;
		job->img.frames = 1;
		job->img.src_depth = job->bps;
		job->img.src_model = tiff_model(job);
	}
	return r;
}

static int decode_tiff(const struct ih_limits *lim, const struct ih_decode_opts *opts,
		       const uint8_t *in, size_t len, const struct ih_pixel_dest *dest,
		       struct ih_image *ret, char reason[IH_REASON_MAX])
{
	struct tiff_job job = {
		.lim = lim,
		.in = in,
		.len = len,
		.reason = reason,
		.budget = { .max = lim->max_memory_bytes },
		.dest = dest,
	};
	struct tiff_scan scan;
	int r;

	r = ih_anim_frame_exists(opts->frame, 1, "TIFF", reason);
	if (r == 0)
		r = ih_tiff_scan(in, len, &scan, reason);
	if (r == 0)
		r = tiff_run(&job, opts->flags);
	if (job.tif)
		TIFFClose(job.tif);
	ih_budget_free(&job.budget, job.buf);
	if (r < 0) {
		ih_image_free(&job.img);
		return r;
	}
	*ret = job.img;
	return 0;
}

/*
 * libtiff sorts its tag tables with glibc's qsort, which on its first large sort asks
 * sysconf(_SC_PHYS_PAGES), that is sysinfo(): a system call the sandboxed child may not
 * make (it would also tell the image the machine's memory and uptime). Reading one 1x1
 * TIFF here makes that first call in the parent, before any child is forked; every child
 * inherits glibc's cached answer.
 */
/*
 * libdeflate (libtiff's deflate codec) picks its CPU routines on its first decompression,
 * and on arm64 it reads /proc/self/auxv to do so: the sandboxed child, whose seccomp
 * filter kills openat(), died of SIGSYS on the first deflate TIFF in the arm64 guest.
 * Inflating one byte here makes that choice in the parent.
 */
static void deflate_prepare(void)
{
	static const uint8_t zlib_x[] = { 0x78, 0x9c, 0xab, 0x00, 0x00, 0x00, 0x79, 0x00, 0x79 };
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	uint8_t out[1];
	size_t n;

	if (!d)
		return;
	libdeflate_zlib_decompress(d, zlib_x, sizeof(zlib_x), out, sizeof(out), &n);
	libdeflate_free_decompressor(d);
}

static void tiff_prepare(void)
{
	static const uint8_t tiny[123] = {
		0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x01, 0x03, 0x00,
		0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x03, 0x00, 0x01, 0x00,
		0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00,
		0x08, 0x00, 0x00, 0x00, 0x03, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00,
		0x00, 0x00, 0x06, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
		0x11, 0x01, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x7a, 0x00, 0x00, 0x00, 0x15, 0x01,
		0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x16, 0x01, 0x03, 0x00,
		0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x17, 0x01, 0x04, 0x00, 0x01, 0x00,
		0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80,
	};
	static const struct ih_decode_opts opts;
	static bool done;
	struct ih_limits lim;
	struct ih_image img = { 0 };
	char reason[IH_REASON_MAX];

	if (done)
		return;
	done = true;
	ih_limits_default(&lim);
	if (decode_tiff(&lim, &opts, tiny, sizeof(tiny), NULL, &img, reason) == 0)
		ih_image_free(&img);
	deflate_prepare();
}

const struct ih_decoder ih_decoder_tiff = {
	.name = "tiff",
	.decode = decode_tiff,
	.prepare = tiff_prepare,
};

/*
 * libtiff's codecs for compressions that tiff_compressions does not allow, replaced so
 * that the static decoder does not link them nor the libraries behind them (LERC is C++;
 * ZSTD, LZMA, JBIG and WebP-in-TIFF are code an image could reach for nothing). libtiff's
 * codec table calls these when a file names the compression; tiff_scan.c has rejected
 * such a file by then, and should one get here, libtiff fails the directory.
 */
int TIFFInitLERC(TIFF *tif, int scheme);
int TIFFInitZSTD(TIFF *tif, int scheme);
int TIFFInitLZMA(TIFF *tif, int scheme);
int TIFFInitJBIG(TIFF *tif, int scheme);
int TIFFInitWebP(TIFF *tif, int scheme);

static int codec_refused(TIFF *tif, int scheme)
{
	TIFFErrorExtR(tif, "compression", "%s (%d) is not allowed",
		      ih_tiff_compression_name((uint32_t)scheme), scheme);
	return 0;
}

int TIFFInitLERC(TIFF *tif, int scheme)
{
	return codec_refused(tif, scheme);
}

int TIFFInitZSTD(TIFF *tif, int scheme)
{
	return codec_refused(tif, scheme);
}

int TIFFInitLZMA(TIFF *tif, int scheme)
{
	return codec_refused(tif, scheme);
}

int TIFFInitJBIG(TIFF *tif, int scheme)
{
	return codec_refused(tif, scheme);
}

int TIFFInitWebP(TIFF *tif, int scheme)
{
	return codec_refused(tif, scheme);
}
