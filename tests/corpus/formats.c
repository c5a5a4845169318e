/*
 * The GIF, WebP and TIFF corpus (tests/corpus/formats.h), written with giflib's, libwebp's
 * and libtiff's own encoders for the good files, and by hand for the hostile ones (each
 * builds exactly the structure its attack needs). Pixel values follow a fixed pattern, so
 * every run writes the same files; the expected pixels (.pam) come from that pattern, never
 * from a decoder.
 */
#include <errno.h>
#include <gif_lib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tiffio.h>
#include <webp/encode.h>
#include <webp/mux.h>

#include "formats.h"

struct fbuf {
	uint8_t *p;
	size_t len;
	size_t cap;
};

static int put(struct fbuf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 4096) + n;
		uint8_t *p = realloc(b->p, cap);

		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	return 0;
}

static int put_le(struct fbuf *b, uint64_t v, size_t n)
{
	uint8_t x[8];

	for (size_t i = 0; i < n; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	return put(b, x, n);
}

static void path_of(char *out, size_t n, const char *dir, const char *sub, const char *name,
		    const char *suffix)
{
	snprintf(out, n, "%s/%s/%s%s", dir, sub, name, suffix);
}

static int write_out(const char *dir, const char *sub, const char *name, const void *d, size_t n)
{
	char path[4096];
	FILE *f;
	int r = 0;

	path_of(path, sizeof(path), dir, sub, name, "");
	f = fopen(path, "wbe");
	if (!f)
		return -errno;
	if (n && fwrite(d, 1, n, f) != n)
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	return r;
}

/* An expected result: 8 or 16-bit samples (16-bit most significant byte first). */
struct pic {
	uint32_t w, h, ch, depth;
	uint8_t *px;
};

static int pic_new(struct pic *p, uint32_t w, uint32_t h, uint32_t ch, uint32_t depth)
{
	*p = (struct pic){ w, h, ch, depth, calloc((size_t)w * h * ch, depth / 8) };
	return p->px ? 0 : -ENOMEM;
}

static int write_pam(const char *dir, const char *name, const char *suffix, const struct pic *p)
{
	static const char *tupl[] = { "", "GRAYSCALE", "GRAYSCALE_ALPHA", "RGB", "RGB_ALPHA" };
	size_t n = (size_t)p->w * p->h * p->ch * (p->depth / 8);
	char path[4096];
	FILE *f;
	int r = 0;

	path_of(path, sizeof(path), dir, "good", name, suffix);
	f = fopen(path, "wbe");
	if (!f)
		return -errno;
	fprintf(f, "P7\nWIDTH %u\nHEIGHT %u\nDEPTH %u\nMAXVAL %u\nTUPLTYPE %s\nENDHDR\n", p->w,
		p->h, p->ch, p->depth == 16 ? 65535u : 255u, tupl[p->ch]);
	if (fwrite(p->px, 1, n, f) != n)
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	return r;
}

static uint8_t pat(uint32_t x, uint32_t y, uint32_t c, uint32_t seed)
{
	return (uint8_t)(x * 7 + y * 13 + c * 61 + seed * 29 + (x * y) / 5);
}

/* ---- GIF ---- */

struct gif_frame {
	uint32_t x, y, w, h;
	int disposal;
	int transparent; /* index, or -1 */
	bool interlace;
	int local_bits; /* a local colour map of 2^local_bits entries, or 0 */
	uint32_t seed;
};

static void gif_palette(GifColorType *c, int n, uint32_t seed)
{
	for (int i = 0; i < n; i++)
		c[i] = (GifColorType){ (GifByteType)(i * 5 + seed), (GifByteType)(i * 11 + 3),
				       (GifByteType)(255 - i) };
}

static uint8_t gif_index(const struct gif_frame *f, uint32_t x, uint32_t y)
{
	int n = f->local_bits ? 1 << f->local_bits : 256;

	return (uint8_t)(pat(x, y, 0, f->seed) % n);
}

static int gif_out(GifFileType *g, const GifByteType *d, int n)
{
	return put(g->UserData, d, (size_t)n) == 0 ? n : 0;
}

static int gif_put_frame(GifFileType *g, const struct gif_frame *f, bool v89)
{
	static const int start[] = { 0, 4, 2, 1 }, step[] = { 8, 8, 4, 2 };
	GifPixelType *line = malloc(f->w);
	ColorMapObject *local = NULL;
	int r = line ? GIF_OK : GIF_ERROR;

	if (v89) {
		GraphicsControlBlock gcb = { f->disposal, false, 0, f->transparent };
		GifByteType ext[4];
		size_t n = EGifGCBToExtension(&gcb, ext);

		r = EGifPutExtension(g, GRAPHICS_EXT_FUNC_CODE, (int)n, ext);
	}
	if (f->local_bits) {
		local = GifMakeMapObject(1 << f->local_bits, NULL);
		if (!local) {
			free(line);
			return -ENOMEM;
		}
		gif_palette(local->Colors, 1 << f->local_bits, 77);
	}
	if (r == GIF_OK)
		r = EGifPutImageDesc(g, (int)f->x, (int)f->y, (int)f->w, (int)f->h, f->interlace,
				     local);
	GifFreeMapObject(local);
	for (int p = 0; r == GIF_OK && p < (f->interlace ? 4 : 1); p++)
		for (uint32_t y = f->interlace ? (uint32_t)start[p] : 0; r == GIF_OK && y < f->h;
		     y += f->interlace ? (uint32_t)step[p] : 1) {
			for (uint32_t x = 0; x < f->w; x++)
				line[x] = gif_index(f, x, y);
			r = EGifPutLine(g, line, (int)f->w);
		}
	free(line);
	return r == GIF_OK ? 0 : -EIO;
}

static const char gif_icc[] = "an ICC profile in an ICCRGBG1 application extension";
/* A first frame of this seed makes gif_encode write the ICC extension before it. */
#define GIF_ICC_SEED 12

/* The profile as an "ICCRGBG1012" application extension, in sub-blocks of up to 255. */
static int gif_put_icc(GifFileType *g)
{
	size_t n = sizeof(gif_icc) - 1;
	int r = EGifPutExtensionLeader(g, APPLICATION_EXT_FUNC_CODE);

	if (r == GIF_OK)
		r = EGifPutExtensionBlock(g, 11, "ICCRGBG1012");
	for (size_t off = 0; r == GIF_OK && off < n; off += 20)
		r = EGifPutExtensionBlock(g, (int)(n - off < 20 ? n - off : 20), gif_icc + off);
	if (r == GIF_OK)
		r = EGifPutExtensionTrailer(g);
	return r == GIF_OK ? 0 : -EIO;
}

static int gif_encode(struct fbuf *out, bool v89, uint32_t w, uint32_t h, bool global,
		      const struct gif_frame *f, size_t n)
{
	ColorMapObject *map = global ? GifMakeMapObject(256, NULL) : NULL;
	GifFileType *g;
	int err, r = 0;

	if (map)
		gif_palette(map->Colors, 256, 0);
	g = EGifOpen(out, gif_out, &err);
	if (!g) {
		GifFreeMapObject(map);
		return -EIO;
	}
	EGifSetGifVersion(g, v89);
	if (EGifPutScreenDesc(g, (int)w, (int)h, 8, 0, map) != GIF_OK)
		r = -EIO;
	if (r == 0 && f[0].seed == GIF_ICC_SEED)
		r = gif_put_icc(g);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = gif_put_frame(g, &f[i], v89);
	if (EGifCloseFile(g, &err) != GIF_OK && r == 0)
		r = -EIO;
	GifFreeMapObject(map);
	return r;
}

/* The canvas after frames 0..last, composed as the GIF spec and browsers do. */
static void gif_compose(struct pic *p, const struct gif_frame *f, size_t last)
{
	GifColorType global[256], local[256], *c;
	uint8_t *saved = malloc((size_t)p->w * p->h * 4);

	gif_palette(global, 256, 0);
	gif_palette(local, 256, 77);
	memset(p->px, 0, (size_t)p->w * p->h * 4);
	for (size_t i = 0; i <= last && saved; i++) {
		c = f[i].local_bits ? local : global;
		memcpy(saved, p->px, (size_t)p->w * p->h * 4);
		for (uint32_t y = 0; y < f[i].h; y++)
			for (uint32_t x = 0; x < f[i].w; x++) {
				uint8_t idx = gif_index(&f[i], x, y);
				uint8_t *d = p->px + ((size_t)(f[i].y + y) * p->w + f[i].x + x) * 4;

				if (idx == f[i].transparent)
					continue;
				d[0] = c[idx].Red;
				d[1] = c[idx].Green;
				d[2] = c[idx].Blue;
				d[3] = 255;
			}
		if (i == last)
			break;
		for (uint32_t y = 0; y < f[i].h; y++) {
			size_t o = ((size_t)(f[i].y + y) * p->w + f[i].x) * 4;

			if (f[i].disposal == DISPOSE_BACKGROUND)
				memset(p->px + o, 0, f[i].w * 4);
			else if (f[i].disposal == DISPOSE_PREVIOUS)
				memcpy(p->px + o, saved + o, f[i].w * 4);
		}
	}
	free(saved);
}

/* RGBA to RGB when every pixel is opaque (what the decoders hand out). */
static void pic_drop_opaque_alpha(struct pic *p)
{
	size_t px = (size_t)p->w * p->h;

	if (p->ch != 4)
		return;
	for (size_t i = 0; i < px; i++)
		if (p->px[i * 4 + 3] != 255)
			return;
	for (size_t i = 0; i < px; i++)
		memmove(p->px + i * 3, p->px + i * 4, 3);
	p->ch = 3;
}

static int gif_expect(const char *dir, const char *name, uint32_t w, uint32_t h,
		      const struct gif_frame *f, size_t n)
{
	struct pic p;
	int r = 0;

	for (size_t last = 0; r == 0 && last<n; last += n> 1 ? n - 1 : 1) {
		r = pic_new(&p, w, h, 4, 8);
		if (r < 0)
			return r;
		gif_compose(&p, f, last);
		pic_drop_opaque_alpha(&p);
		r = write_pam(dir, name, last ? ".last.pam" : ".pam", &p);
		free(p.px);
	}
	return r;
}

static const struct gif_frame gif_full = { 0, 0, 37, 23, 0, -1, false, 0, 1 };
static const struct gif_frame gif_interlaced = { 0, 0, 37, 23, 0, -1, true, 0, 2 };
static const struct gif_frame gif_transparent = { 0, 0, 37, 23, 0, 5, false, 0, 3 };
static const struct gif_frame gif_local = { 0, 0, 37, 23, 0, -1, false, 4, 4 };
static const struct gif_frame gif_with_icc = { 0, 0, 37, 23, 0, -1, false, 0, GIF_ICC_SEED };
/* The local-map frame is last: giflib 5.2.1's encoder leaks a local map followed by a
 * frame without one. */
static const struct gif_frame gif_anim[] = {
	{ 0, 0, 40, 30, DISPOSE_DO_NOT, -1, false, 0, 5 },
	{ 5, 4, 20, 10, DISPOSE_BACKGROUND, 9, false, 0, 6 },
	{ 10, 8, 15, 12, DISPOSE_PREVIOUS, 12, true, 0, 7 },
	{ 12, 10, 10, 10, DISPOSE_DO_NOT, -1, false, 0, 9 },
	{ 0, 0, 8, 8, DISPOSE_DO_NOT, 3, false, 4, 8 },
};
static const struct gif_frame gif_small_first[] = {
	{ 4, 3, 20, 10, DISPOSE_DO_NOT, -1, false, 0, 10 },
	{ 0, 0, 30, 20, DISPOSE_DO_NOT, 7, false, 0, 11 },
};

static int gif_good_one(const char *dir, const char *name, bool v89, uint32_t w, uint32_t h,
			bool global, const struct gif_frame *f, size_t n)
{
	struct fbuf b = { 0 };
	int r = gif_encode(&b, v89, w, h, global, f, n);

	if (r == 0)
		r = write_out(dir, "good", name, b.p, b.len);
	if (r == 0)
		r = gif_expect(dir, name, w, h, f, n);
	free(b.p);
	return r;
}

static int gen_good_gif(const char *dir)
{
	int r = gif_good_one(dir, "gif-87a-still.gif", false, 37, 23, true, &gif_full, 1);

	if (r == 0)
		r = gif_good_one(dir, "gif-89a-interlaced.gif", true, 37, 23, true, &gif_interlaced,
				 1);
	if (r == 0)
		r = gif_good_one(dir, "gif-transparent-index.gif", true, 37, 23, true,
				 &gif_transparent, 1);
	if (r == 0)
		r = gif_good_one(dir, "gif-local-colormap-only.gif", true, 37, 23, false,
				 &gif_local, 1);
	if (r == 0)
		r = gif_good_one(dir, "gif-iccrgbg1-profile.gif", true, 37, 23, true, &gif_with_icc,
				 1);
	if (r == 0)
		r = gif_good_one(dir, "gif-anim-5-frames-disposal.gif", true, 40, 30, true,
				 gif_anim, 5);
	if (r == 0)
		r = gif_good_one(dir, "gif-anim-first-frame-smaller.gif", true, 30, 20, true,
				 gif_small_first, 2);
	return r;
}

/* ---- WebP ---- */

static uint8_t *rgba_pattern(uint32_t w, uint32_t h, uint32_t ch, uint32_t seed)
{
	uint8_t *p = malloc((size_t)w * h * ch);

	for (uint32_t y = 0; p && y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			for (uint32_t c = 0; c < ch; c++)
				p[((size_t)y * w + x) * ch + c] =
					c == 3 ? (uint8_t)(255 - ((x * 9 + y * 3) & 0x7f))
					       : pat(x, y, c, seed);
	return p;
}

static int webp_still(const char *dir, const char *name, uint32_t w, uint32_t h, uint32_t ch,
		      bool lossless)
{
	uint8_t *px = rgba_pattern(w, h, ch, 20), *out = NULL;
	size_t n;
	struct pic p = { w, h, ch, 8, px };
	int r;

	if (!px)
		return -ENOMEM;
	if (ch == 4)
		n = lossless ? WebPEncodeLosslessRGBA(px, (int)w, (int)h, (int)w * 4, &out)
			     : WebPEncodeRGBA(px, (int)w, (int)h, (int)w * 4, 80, &out);
	else
		n = lossless ? WebPEncodeLosslessRGB(px, (int)w, (int)h, (int)w * 3, &out)
			     : WebPEncodeRGB(px, (int)w, (int)h, (int)w * 3, 80, &out);
	r = n ? write_out(dir, "good", name, out, n) : -EIO;
	if (r == 0 && lossless)
		r = write_pam(dir, name, ".pam", &p);
	WebPFree(out);
	free(px);
	return r;
}

/* A lossless still with EXIF ("Exif\0\0" + big-endian TIFF) and ICCP chunks. */
static const uint8_t webp_exif[] = "Exif\0\0MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0"
				   "\0\0\0\0";
static const uint8_t webp_icc[] = "not a real ICC profile, only bytes to copy";

static int webp_meta(const char *dir)
{
	uint8_t *px = rgba_pattern(37, 23, 3, 21), *enc = NULL;
	size_t n = px ? WebPEncodeLosslessRGB(px, 37, 23, 37 * 3, &enc) : 0;
	WebPData img = { enc, n }, exif = { webp_exif, sizeof(webp_exif) - 1 },
		 icc = { webp_icc, sizeof(webp_icc) - 1 }, out = { 0 };
	WebPMux *mux = n ? WebPMuxCreate(&img, 1) : NULL;
	struct pic p = { 37, 23, 3, 8, px };
	int r = -EIO;

	if (mux && WebPMuxSetChunk(mux, "EXIF", &exif, 1) == WEBP_MUX_OK &&
	    WebPMuxSetChunk(mux, "ICCP", &icc, 1) == WEBP_MUX_OK &&
	    WebPMuxAssemble(mux, &out) == WEBP_MUX_OK)
		r = write_out(dir, "good", "webp-exif-iccp-chunks.webp", out.bytes, out.size);
	if (r == 0)
		r = write_pam(dir, "webp-exif-iccp-chunks.webp", ".pam", &p);
	WebPDataClear(&out);
	WebPMuxDelete(mux);
	WebPFree(enc);
	free(px);
	return r;
}

/* Three opaque lossless frames: frame i composed is exactly source frame i. */
static int webp_anim(const char *dir)
{
	const char *name = "webp-anim-3-frames.webp";
	WebPAnimEncoderOptions o;
	WebPAnimEncoder *enc;
	WebPConfig config;
	WebPData out = { 0 };
	uint8_t *frame[3] = { 0 };
	int r = 0;

	if (!WebPAnimEncoderOptionsInit(&o) || !WebPConfigInit(&config))
		return -EIO;
	config.lossless = 1;
	enc = WebPAnimEncoderNew(40, 30, &o);
	for (int i = 0; enc && r == 0 && i < 3; i++) {
		WebPPicture pic;

		frame[i] = rgba_pattern(40, 30, 4, 30 + (uint32_t)i);
		for (size_t k = 0; frame[i] && k < 40 * 30; k++)
			frame[i][k * 4 + 3] = 255;
		if (!frame[i] || !WebPPictureInit(&pic))
			r = -ENOMEM;
		pic.width = 40;
		pic.height = 30;
		pic.use_argb = 1;
		if (r == 0 && (!WebPPictureImportRGBA(&pic, frame[i], 40 * 4) ||
			       !WebPAnimEncoderAdd(enc, &pic, i * 100, &config)))
			r = -EIO;
		WebPPictureFree(&pic);
	}
	if (!enc || r < 0 || !WebPAnimEncoderAdd(enc, NULL, 300, NULL) ||
	    !WebPAnimEncoderAssemble(enc, &out))
		r = -EIO;
	if (r == 0)
		r = write_out(dir, "good", name, out.bytes, out.size);
	for (int i = 0; r == 0 && i < 3; i += 2) {
		struct pic p = { 40, 30, 4, 8, frame[i] };

		pic_drop_opaque_alpha(&p);
		r = write_pam(dir, name, i ? ".last.pam" : ".pam", &p);
	}
	WebPDataClear(&out);
	WebPAnimEncoderDelete(enc);
	for (int i = 0; i < 3; i++)
		free(frame[i]);
	return r;
}

static int gen_good_webp(const char *dir)
{
	int r = webp_still(dir, "webp-lossy-rgb.webp", 64, 48, 3, false);

	if (r == 0)
		r = webp_still(dir, "webp-lossless-rgb.webp", 37, 23, 3, true);
	if (r == 0)
		r = webp_still(dir, "webp-lossless-rgba.webp", 37, 23, 4, true);
	if (r == 0)
		r = webp_still(dir, "webp-lossy-alpha.webp", 37, 23, 4, false);
	if (r == 0)
		r = webp_meta(dir);
	if (r == 0)
		r = webp_anim(dir);
	return r;
}

/* ---- TIFF ---- */

struct tiff_spec {
	const char *name;
	const char *mode; /* "w", "wb" (big-endian), "w8" (BigTIFF) */
	uint16_t photometric, bps, spp, compression, extra;
	uint32_t tile; /* tile side, or 0: strips of 8 rows */
	uint16_t orientation; /* 0: no tag */
	bool icc;
	bool planar; /* separate planes (strips only) */
};

static const struct tiff_spec tiff_specs[] = {
	{ "tiff-rgb8-none.tif", "w", PHOTOMETRIC_RGB, 8, 3, COMPRESSION_NONE, 0, 0, 0, false,
	  false },
	{ "tiff-rgb8-lzw.tif", "w", PHOTOMETRIC_RGB, 8, 3, COMPRESSION_LZW, 0, 0, 0, false, false },
	{ "tiff-rgb8-deflate.tif", "w", PHOTOMETRIC_RGB, 8, 3, COMPRESSION_ADOBE_DEFLATE, 0, 0, 0,
	  false, false },
	{ "tiff-rgb8-packbits.tif", "w", PHOTOMETRIC_RGB, 8, 3, COMPRESSION_PACKBITS, 0, 0, 0,
	  false, false },
	{ "tiff-rgba8-unassociated.tif", "w", PHOTOMETRIC_RGB, 8, 4, COMPRESSION_LZW,
	  EXTRASAMPLE_UNASSALPHA, 0, 0, false, false },
	{ "tiff-grey8.tif", "w", PHOTOMETRIC_MINISBLACK, 8, 1, COMPRESSION_NONE, 0, 0, 0, false,
	  false },
	{ "tiff-grey-alpha8.tif", "w", PHOTOMETRIC_MINISBLACK, 8, 2, COMPRESSION_NONE,
	  EXTRASAMPLE_UNASSALPHA, 0, 0, false, false },
	{ "tiff-miniswhite8.tif", "w", PHOTOMETRIC_MINISWHITE, 8, 1, COMPRESSION_PACKBITS, 0, 0, 0,
	  false, false },
	{ "tiff-grey16.tif", "w", PHOTOMETRIC_MINISBLACK, 16, 1, COMPRESSION_LZW, 0, 0, 0, false,
	  false },
	{ "tiff-rgb16.tif", "w", PHOTOMETRIC_RGB, 16, 3, COMPRESSION_ADOBE_DEFLATE, 0, 0, 0, false,
	  false },
	{ "tiff-rgb16-big-endian.tif", "wb", PHOTOMETRIC_RGB, 16, 3, COMPRESSION_NONE, 0, 0, 0,
	  false, false },
	{ "tiff-tiled-rgb8-deflate.tif", "w", PHOTOMETRIC_RGB, 8, 3, COMPRESSION_ADOBE_DEFLATE, 0,
	  16, 0, false, false },
	{ "tiff-palette8.tif", "w", PHOTOMETRIC_PALETTE, 8, 1, COMPRESSION_LZW, 0, 0, 0, false,
	  false },
	{ "tiff-bilevel1.tif", "w", PHOTOMETRIC_MINISBLACK, 1, 1, COMPRESSION_PACKBITS, 0, 0, 0,
	  false, false },
	{ "tiff-jpeg-ycbcr.tif", "w", PHOTOMETRIC_YCBCR, 8, 3, COMPRESSION_JPEG, 0, 0, 0, false,
	  false },
	{ "tiff-bigtiff-rgb8.tif", "w8", PHOTOMETRIC_RGB, 8, 3, COMPRESSION_LZW, 0, 0, 0, false,
	  false },
	{ "tiff-orientation6-icc.tif", "w", PHOTOMETRIC_RGB, 8, 3, COMPRESSION_NONE, 0, 0, 6, true,
	  false },
	{ "tiff-planar-rgba8.tif", "w", PHOTOMETRIC_RGB, 8, 4, COMPRESSION_LZW,
	  EXTRASAMPLE_UNASSALPHA, 0, 0, false, true },
	{ "tiff-planar-grey-alpha16.tif", "w", PHOTOMETRIC_MINISBLACK, 16, 2,
	  COMPRESSION_ADOBE_DEFLATE, EXTRASAMPLE_UNASSALPHA, 0, 0, false, true },
};

#define TIFF_W 37
#define TIFF_H 23

static uint16_t tiff_sample(const struct tiff_spec *s, uint32_t x, uint32_t y, uint32_t c)
{
	if (s->bps == 1)
		return (uint16_t)(((x / 3) + y) & 1);
	if (s->bps == 16)
		return (uint16_t)(pat(x, y, c, 40) << 8 | pat(y, x, c + 1, 41));
	if (c == 1 && s->photometric == PHOTOMETRIC_MINISBLACK && s->spp == 2)
		return (uint16_t)(255 - ((x * 9 + y * 3) & 0x7f));
	if (c == 3)
		return (uint16_t)(255 - ((x * 9 + y * 3) & 0x7f));
	return pat(x, y, c, 42);
}

static void tiff_row(const struct tiff_spec *s, uint32_t y, uint8_t *row)
{
	memset(row, 0, (size_t)TIFF_W * s->spp * 2);
	for (uint32_t x = 0; x < TIFF_W; x++)
		for (uint32_t c = 0; c < s->spp; c++) {
			uint16_t v = tiff_sample(s, x, y, c);
			size_t i = (size_t)x * s->spp + c;

			if (s->bps == 16)
				memcpy(row + i * 2, &v, 2);
			else if (s->bps == 8)
				row[i] = (uint8_t)v;
			else if (v)
				row[x / 8] |= (uint8_t)(0x80 >> (x % 8));
		}
}

static void tiff_fields(TIFF *t, const struct tiff_spec *s)
{
	static uint16_t cmap[3][256];
	static const uint8_t icc[] = "an ICC profile's bytes, copied as they are";

	TIFFSetField(t, TIFFTAG_IMAGEWIDTH, TIFF_W);
	TIFFSetField(t, TIFFTAG_IMAGELENGTH, TIFF_H);
	TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, s->bps);
	TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, s->spp);
	TIFFSetField(t, TIFFTAG_PHOTOMETRIC, s->photometric);
	TIFFSetField(t, TIFFTAG_PLANARCONFIG,
		     s->planar ? PLANARCONFIG_SEPARATE : PLANARCONFIG_CONTIG);
	TIFFSetField(t, TIFFTAG_COMPRESSION, s->compression);
	if (s->extra)
		TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, &s->extra);
	if (s->tile) {
		TIFFSetField(t, TIFFTAG_TILEWIDTH, s->tile);
		TIFFSetField(t, TIFFTAG_TILELENGTH, s->tile);
	} else {
		TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, s->compression == COMPRESSION_JPEG ? 16 : 8);
	}
	if (s->compression == COMPRESSION_JPEG) {
		TIFFSetField(t, TIFFTAG_JPEGQUALITY, 90);
		TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
	}
	if (s->photometric == PHOTOMETRIC_PALETTE) {
		for (int i = 0; i < 256; i++) {
			cmap[0][i] = (uint16_t)(i * 257);
			cmap[1][i] = (uint16_t)((255 - i) * 257);
			cmap[2][i] = (uint16_t)(((i * 7) & 0xff) * 257);
		}
		TIFFSetField(t, TIFFTAG_COLORMAP, cmap[0], cmap[1], cmap[2]);
	}
	if (s->orientation)
		TIFFSetField(t, TIFFTAG_ORIENTATION, s->orientation);
	if (s->icc)
		TIFFSetField(t, TIFFTAG_ICCPROFILE, (uint32_t)(sizeof(icc) - 1), icc);
}

static int tiff_write_tiles(TIFF *t, const struct tiff_spec *s)
{
	size_t bpp = (size_t)s->spp * (s->bps / 8), tsize = (size_t)TIFFTileSize(t);
	uint8_t *tile = calloc(1, tsize), row[TIFF_W * 8];
	int r = tile ? 0 : -ENOMEM;

	for (uint32_t ty = 0; r == 0 && ty < TIFF_H; ty += s->tile)
		for (uint32_t tx = 0; r == 0 && tx < TIFF_W; tx += s->tile) {
			memset(tile, 0, tsize);
			for (uint32_t y = ty; y < ty + s->tile && y < TIFF_H; y++) {
				uint32_t cols = TIFF_W - tx < s->tile ? TIFF_W - tx : s->tile;

				tiff_row(s, y, row);
				memcpy(tile + (y - ty) * s->tile * bpp, row + tx * bpp, cols * bpp);
			}
			if (TIFFWriteTile(t, tile, tx, ty, 0, 0) < 0)
				r = -EIO;
		}
	free(tile);
	return r;
}

/* One plane after the other, each sample's rows picked out of tiff_row(). */
static int tiff_write_planes(TIFF *t, const struct tiff_spec *s)
{
	size_t bps = s->bps / 8;
	uint8_t row[TIFF_W * 8], plane[TIFF_W * 2];

	for (uint16_t c = 0; c < s->spp; c++)
		for (uint32_t y = 0; y < TIFF_H; y++) {
			tiff_row(s, y, row);
			for (uint32_t x = 0; x < TIFF_W; x++)
				memcpy(plane + x * bps, row + ((size_t)x * s->spp + c) * bps, bps);
			if (TIFFWriteScanline(t, plane, y, c) < 0)
				return -EIO;
		}
	return 0;
}

static int tiff_write(const char *path, const struct tiff_spec *s)
{
	TIFF *t = TIFFOpen(path, s->mode);
	uint8_t row[TIFF_W * 8];
	int r = t ? 0 : -EIO;

	if (r == 0)
		tiff_fields(t, s);
	if (r == 0 && s->tile)
		r = tiff_write_tiles(t, s);
	for (uint32_t y = 0; r == 0 && !s->tile && !s->planar && y < TIFF_H; y++) {
		tiff_row(s, y, row);
		if (TIFFWriteScanline(t, row, y, 0) < 0)
			r = -EIO;
	}
	if (r == 0 && s->planar)
		r = tiff_write_planes(t, s);
	if (t)
		TIFFClose(t);
	return r;
}

/* What a decoder gives: the samples at their depth, palette to RGB, 1-bit to 0/255 grey. */
static int tiff_expect(const char *dir, const struct tiff_spec *s)
{
	bool pal = s->photometric == PHOTOMETRIC_PALETTE;
	uint32_t ch = pal ? 3 : s->spp, depth = s->bps == 16 ? 16 : 8;
	struct pic p;
	int r;

	if (s->compression == COMPRESSION_JPEG)
		return 0;
	r = pic_new(&p, TIFF_W, TIFF_H, ch, depth);
	for (uint32_t y = 0; r == 0 && y < TIFF_H; y++)
		for (uint32_t x = 0; x < TIFF_W; x++)
			for (uint32_t c = 0; c < ch; c++) {
				uint32_t v = tiff_sample(s, x, y, pal ? 0 : c);
				size_t i = ((size_t)y * TIFF_W + x) * ch + c;

				if (pal)
					v = c == 0 ? v : c == 1 ? 255 - v : (v * 7) & 0xff;
				if (s->bps == 1)
					v = v ? 255 : 0;
				if (s->photometric == PHOTOMETRIC_MINISWHITE)
					v = 255 - v;
				if (depth == 16) {
					p.px[i * 2] = (uint8_t)(v >> 8);
					p.px[i * 2 + 1] = (uint8_t)v;
				} else {
					p.px[i] = (uint8_t)v;
				}
			}
	if (r == 0)
		r = write_pam(dir, s->name, ".pam", &p);
	free(p.px);
	return r;
}

static void tiff_quiet(const char *module, const char *fmt, va_list ap)
{
	(void)module;
	(void)fmt;
	(void)ap;
}

static int gen_good_tiff(const char *dir)
{
	int r = 0;

	TIFFSetWarningHandler(tiff_quiet);
	for (size_t i = 0; r == 0 && i < sizeof(tiff_specs) / sizeof(tiff_specs[0]); i++) {
		char path[4096];

		path_of(path, sizeof(path), dir, "good", tiff_specs[i].name, "");
		r = tiff_write(path, &tiff_specs[i]);
		if (r == 0)
			r = tiff_expect(dir, &tiff_specs[i]);
	}
	return r;
}

const struct corpus_good_format corpus_formats_good[] = {
	{ "gif-87a-still.gif", 1, "gif2rgb" },
	{ "gif-89a-interlaced.gif", 1, "gif2rgb" },
	{ "gif-transparent-index.gif", 1, "gif2rgb" },
	{ "gif-local-colormap-only.gif", 1, "gif2rgb" },
	{ "gif-iccrgbg1-profile.gif", 1, "gif2rgb" },
	{ "gif-anim-5-frames-disposal.gif", 5, "gif2rgb" },
	{ "gif-anim-first-frame-smaller.gif", 2, NULL },
	{ "webp-lossy-rgb.webp", 1, "dwebp" },
	{ "webp-lossless-rgb.webp", 1, "dwebp" },
	{ "webp-lossless-rgba.webp", 1, "dwebp" },
	{ "webp-lossy-alpha.webp", 1, "dwebp" },
	{ "webp-exif-iccp-chunks.webp", 1, "dwebp" },
	{ "webp-anim-3-frames.webp", 3, "dwebp" },
	{ "tiff-rgb8-none.tif", 1, "tiff2rgba" },
	{ "tiff-rgb8-lzw.tif", 1, "tiff2rgba" },
	{ "tiff-rgb8-deflate.tif", 1, "tiff2rgba" },
	{ "tiff-rgb8-packbits.tif", 1, "tiff2rgba" },
	{ "tiff-rgba8-unassociated.tif", 1, "tiff2rgba" },
	{ "tiff-grey8.tif", 1, "tiff2rgba" },
	{ "tiff-grey-alpha8.tif", 1, "tiff2rgba" },
	{ "tiff-miniswhite8.tif", 1, "tiff2rgba" },
	{ "tiff-grey16.tif", 1, "tiff2rgba" },
	{ "tiff-rgb16.tif", 1, "tiff2rgba" },
	{ "tiff-rgb16-big-endian.tif", 1, "tiff2rgba" },
	{ "tiff-tiled-rgb8-deflate.tif", 1, "tiff2rgba" },
	{ "tiff-palette8.tif", 1, "tiff2rgba" },
	{ "tiff-bilevel1.tif", 1, "tiff2rgba" },
	{ "tiff-jpeg-ycbcr.tif", 1, "tiff2rgba" },
	{ "tiff-bigtiff-rgb8.tif", 1, "tiff2rgba" },
	{ "tiff-orientation6-icc.tif", 1, NULL },
	{ "tiff-planar-rgba8.tif", 1, "tiff2rgba" },
	{ "tiff-planar-grey-alpha16.tif", 1, "tiff2rgba" },
};
const size_t corpus_formats_n_good = sizeof(corpus_formats_good) / sizeof(corpus_formats_good[0]);

/* ---- hostile inputs ---- */

const struct corpus_hostile corpus_formats_hostile[] = {
	{ "gif-lzw-bomb-65535x65535.gif", "limit" },
	{ "gif-frame-outside-canvas.gif", "outside" },
	{ "gif-truncated.gif", "invalid GIF" },
	{ "gif-1001-frames.gif", "max_frames" },
	{ "gif-10001-extension-blocks.gif", "gif_max_extensions" },
	{ "webp-vp8l-huffman-oversubscribed.webp", "libwebp" },
	{ "webp-vp8x-canvas-20000x20000.webp", "webp_max_side" },
	{ "webp-vp8l-16383x16383.webp", "limit" },
	{ "webp-1025-chunks.webp", "webp_max_chunks" },
	{ "webp-exif-chunk-over-limit.webp", "webp_max_chunk_bytes" },
	{ "webp-riff-size-beyond-file.webp", "truncated" },
	{ "webp-vp8-data-cut-short.webp", "libwebp" },
	{ "webp-1001-anmf-frames.webp", "max_frames" },
	{ "tiff-ifd-loop.tif", "loop" },
	{ "tiff-65-ifds.tif", "tiff_max_ifds" },
	{ "tiff-2G-strips.tif", "tiff_max_strips" },
	{ "tiff-strip-bomb-108MB.tif", "tiff_max_strip_bytes" },
	{ "tiff-compression-jbig.tif", "JBIG" },
	{ "tiff-compression-lerc.tif", "LERC" },
	{ "tiff-compression-ccitt-g4.tif", "not allowed" },
	{ "tiff-ifd-beyond-file.tif", "outside" },
	{ "tiff-truncated.tif", "TIFF" },
	{ "tiff-dimensions-beyond-limit.tif", "limit" },
};
const size_t corpus_formats_n_hostile =
	sizeof(corpus_formats_hostile) / sizeof(corpus_formats_hostile[0]);

/* A GIF89a header with a two-colour global table. */
static int gif_head(struct fbuf *b, uint32_t w, uint32_t h)
{
	static const uint8_t gct[6] = { 0, 0, 0, 255, 255, 255 };
	int r = put(b, "GIF89a", 6);

	if (r == 0)
		r = put_le(b, w, 2);
	if (r == 0)
		r = put_le(b, h, 2);
	if (r == 0)
		r = put(b, "\x80\0\0", 3);
	return r ? r : put(b, gct, sizeof(gct));
}

/* One frame: descriptor and the 3-bit LZW codes clear, 0, end (one pixel's worth). */
static int gif_tiny_frame(struct fbuf *b, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	int r = put(b, "\x2c", 1);

	r = r ? r : put_le(b, x, 2);
	r = r ? r : put_le(b, y, 2);
	r = r ? r : put_le(b, w, 2);
	r = r ? r : put_le(b, h, 2);
	return r ? r : put(b, "\0\x02\x02\x44\x01\0", 6);
}

static int hostile_gif(const char *name, struct fbuf *b)
{
	int r;

	if (strstr(name, "truncated")) {
		r = gif_encode(b, true, 37, 23, true, &gif_full, 1);
		b->len /= 2;
		return r;
	}
	if (strstr(name, "lzw-bomb"))
		r = gif_head(b, 65535, 65535);
	else
		r = gif_head(b, 10, 10);
	if (r == 0 && strstr(name, "lzw-bomb")) {
		r = gif_tiny_frame(b, 0, 0, 65535, 65535);
		for (int i = 0; r == 0 && i < 100; i++)
			r = put(b, "\x21\xfe\x01\x00\x00", 5);
	} else if (r == 0 && strstr(name, "outside")) {
		r = gif_tiny_frame(b, 5, 5, 10, 10);
	} else if (r == 0 && strstr(name, "1001-frames")) {
		for (int i = 0; r == 0 && i < 1001; i++)
			r = gif_tiny_frame(b, 0, 0, 1, 1);
	} else if (r == 0) {
		r = put(b, "\x21\xfe", 2);
		for (int i = 0; r == 0 && i < 10001; i++)
			r = put(b, "\x01x", 2);
		r = r ? r : put(b, "", 1);
	}
	return r ? r : put(b, "\x3b", 1);
}

static int riff(struct fbuf *b, const struct fbuf *chunks, uint32_t riff_size)
{
	int r = put(b, "RIFF", 4);

	r = r ? r : put_le(b, riff_size ? riff_size : 4 + chunks->len, 4);
	r = r ? r : put(b, "WEBP", 4);
	return r ? r : put(b, chunks->p, chunks->len);
}

static int chunk(struct fbuf *b, const char *type, const void *d, size_t n)
{
	int r = put(b, type, 4);

	r = r ? r : put_le(b, n, 4);
	r = r ? r : (n ? put(b, d, n) : 0);
	return r || !(n & 1) ? r : put(b, "", 1);
}

/* VP8X: flags, then canvas width-1 and height-1 in 24 bits each. */
static int vp8x(struct fbuf *b, uint8_t flags, uint32_t w, uint32_t h)
{
	uint8_t d[10] = { flags, 0, 0, 0 };

	for (int i = 0; i < 3; i++) {
		d[4 + i] = (uint8_t)((w - 1) >> (8 * i));
		d[7 + i] = (uint8_t)((h - 1) >> (8 * i));
	}
	return chunk(b, "VP8X", d, sizeof(d));
}

struct bits {
	uint8_t d[64];
	size_t n;
};

static void bits_put(struct bits *b, uint32_t v, int n)
{
	for (int i = 0; i < n; i++, b->n++)
		if (v >> i & 1)
			b->d[b->n / 8] |= (uint8_t)(1 << (b->n % 8));
}

/*
 * A 1x1 VP8L image whose first Huffman code has a code-length code of 19 lengths of 1:
 * over-subscribed, the malformed-table shape libwebp's table builder must refuse.
 */
static int vp8l_oversubscribed(struct fbuf *b)
{
	struct bits s = { .d = { 0x2f }, .n = 8 };

	bits_put(&s, 0, 14);
	bits_put(&s, 0, 14);
	bits_put(&s, 0, 1);
	bits_put(&s, 0, 3);
	bits_put(&s, 0, 1); /* no transform */
	bits_put(&s, 0, 1); /* no colour cache */
	bits_put(&s, 0, 1); /* no meta Huffman image */
	bits_put(&s, 0, 1); /* a normal (not simple) code */
	bits_put(&s, 15, 4); /* 19 code-length code lengths follow */
	for (int i = 0; i < 19; i++)
		bits_put(&s, 1, 3);
	return chunk(b, "VP8L", s.d, (s.n + 7) / 8);
}

static int vp8l_header(struct fbuf *b, uint32_t w, uint32_t h)
{
	struct bits s = { .d = { 0x2f }, .n = 8 };

	bits_put(&s, w - 1, 14);
	bits_put(&s, h - 1, 14);
	bits_put(&s, 0, 4);
	return chunk(b, "VP8L", s.d, 16);
}

static int webp_cut(struct fbuf *b)
{
	uint8_t *px = rgba_pattern(64, 48, 3, 20), *out = NULL;
	size_t n = px ? WebPEncodeRGB(px, 64, 48, 64 * 3, 80, &out) : 0;
	int r = n > 40 ? put(b, out, n / 2) : -EIO;

	if (r == 0 && !memcmp(b->p + 12, "VP8 ", 4)) {
		uint32_t riff_size = (uint32_t)b->len - 8, vp8 = (uint32_t)b->len - 20;

		for (int i = 0; i < 4; i++) {
			b->p[4 + i] = (uint8_t)(riff_size >> (8 * i));
			b->p[16 + i] = (uint8_t)(vp8 >> (8 * i));
		}
	}
	WebPFree(out);
	free(px);
	return r;
}

static int hostile_webp_chunks(const char *name, struct fbuf *c)
{
	static const uint8_t anmf[16];
	int r = 0;

	if (strstr(name, "huffman"))
		return vp8l_oversubscribed(c);
	if (strstr(name, "16383x16383"))
		return vp8l_header(c, 16383, 16383);
	if (strstr(name, "canvas"))
		return vp8x(c, 0, 20000, 20000) ?: vp8l_header(c, 1, 1);
	if (strstr(name, "1025-chunks")) {
		r = vp8x(c, 0, 1, 1);
		for (int i = 0; r == 0 && i < 1025; i++)
			r = chunk(c, "XYZW", NULL, 0);
		return r ? r : vp8l_header(c, 1, 1);
	}
	if (strstr(name, "exif")) {
		uint8_t *big = calloc(1, (1 << 20) + 2);

		r = big ? vp8x(c, 0x08, 1, 1) : -ENOMEM;
		r = r ? r : chunk(c, "EXIF", big, (1 << 20) + 2);
		free(big);
		return r ? r : vp8l_header(c, 1, 1);
	}
	r = vp8x(c, 0x02, 1, 1);
	r = r ? r : chunk(c, "ANIM", "\0\0\0\0\0\0", 6);
	for (int i = 0; r == 0 && i < 1001; i++)
		r = chunk(c, "ANMF", anmf, sizeof(anmf));
	return r;
}

static int hostile_webp(const char *name, struct fbuf *b)
{
	struct fbuf c = { 0 };
	int r;

	if (strstr(name, "cut-short"))
		return webp_cut(b);
	if (strstr(name, "riff-size")) {
		r = vp8l_header(&c, 1, 1);
		r = r ? r : riff(b, &c, 1000000);
	} else {
		r = hostile_webp_chunks(name, &c);
		r = r ? r : riff(b, &c, 0);
	}
	free(c.p);
	return r;
}

/* A classic little-endian TIFF IFD entry. */
struct tent {
	uint16_t tag, type;
	uint32_t count, value;
};

static int tiff_ifd(struct fbuf *b, const struct tent *e, uint16_t n, uint32_t next)
{
	int r = put_le(b, n, 2);

	for (uint16_t i = 0; r == 0 && i < n; i++) {
		r = put_le(b, e[i].tag, 2);
		r = r ? r : put_le(b, e[i].type, 2);
		r = r ? r : put_le(b, e[i].count, 4);
		r = r ? r : put_le(b, e[i].value, 4);
	}
	return r ? r : put_le(b, next, 4);
}

/* One grey 8-bit image of w x h in one strip: the IFD at 8, 16 bytes of strip data after. */
static int tiff_hand(struct fbuf *b, uint32_t w, uint32_t h, uint32_t compression, uint32_t strips,
		     uint32_t spp, uint32_t next)
{
	uint32_t data = 8 + 2 + 10 * 12 + 4;
	const struct tent e[10] = {
		{ 256, 4, 1, w },
		{ 257, 4, 1, h },
		{ 258, 3, 1, 8 },
		{ 259, 3, 1, compression },
		{ 262, 3, 1, spp == 3 ? 2 : 1 },
		{ 273, 4, strips, data },
		{ 277, 3, 1, spp },
		{ 278, 4, 1, h },
		{ 279, 4, 1, 16 },
		{ 284, 3, 1, 1 },
	};
	int r = put(b, "II*\0\x08\0\0\0", 8);

	r = r ? r : tiff_ifd(b, e, 10, next);
	return r ? r : put(b, "\x78\x9c\x03\0\0\0\0\x01\0\0\0\0\0\0\0\0", 16);
}

static int tiff_chain(struct fbuf *b, int n, bool loop)
{
	static const struct tent one = { 256, 4, 1, 1 };
	int r = tiff_hand(b, 1, 1, 1, 1, 1, 8 + 2 + 10 * 12 + 4 + 16);

	for (int i = 1; r == 0 && i < n; i++) {
		uint32_t next = loop ? 8 : (i + 1 < n ? (uint32_t)b->len + 18 : 0);

		r = tiff_ifd(b, &one, 1, next);
	}
	return r;
}

static int tiff_truncated(struct fbuf *b)
{
	char path[] = "/tmp/ih-corpus-tiff-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
	uint8_t d[65536];
	size_t n = 0;
	int r = f && tiff_write(path, &tiff_specs[1]) == 0 ? 0 : -EIO;

	if (r == 0)
		n = fread(d, 1, sizeof(d), f);
	if (f)
		fclose(f);
	unlink(path);
	return r ? r : put(b, d, n * 6 / 10);
}

static int hostile_tiff(const char *name, struct fbuf *b)
{
	if (strstr(name, "ifd-loop"))
		return tiff_chain(b, 2, true);
	if (strstr(name, "65-ifds"))
		return tiff_chain(b, 65, false);
	if (strstr(name, "strips"))
		return tiff_hand(b, 1, 1, 1, 0x7fffffff, 1, 0);
	if (strstr(name, "strip-bomb"))
		return tiff_hand(b, 6000, 6000, 8, 1, 3, 0);
	if (strstr(name, "jbig"))
		return tiff_hand(b, 1, 1, 34661, 1, 1, 0);
	if (strstr(name, "lerc"))
		return tiff_hand(b, 1, 1, 34887, 1, 1, 0);
	if (strstr(name, "ccitt"))
		return tiff_hand(b, 1, 1, 4, 1, 1, 0);
	if (strstr(name, "beyond-file"))
		return put(b, "II*\0\0\0\x01\0\0\0\0\0\0\0\0\0", 16);
	if (strstr(name, "truncated"))
		return tiff_truncated(b);
	return tiff_hand(b, 100000, 100000, 1, 1, 1, 0);
}

static int gen_hostile(const char *dir)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < corpus_formats_n_hostile; i++) {
		const char *name = corpus_formats_hostile[i].name;
		struct fbuf b = { 0 };

		if (!strncmp(name, "gif", 3))
			r = hostile_gif(name, &b);
		else if (!strncmp(name, "webp", 4))
			r = hostile_webp(name, &b);
		else
			r = hostile_tiff(name, &b);
		if (r == 0)
			r = write_out(dir, "hostile", name, b.p, b.len);
		free(b.p);
	}
	return r;
}

static int mkdir_in(const char *dir, const char *sub)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

int corpus_formats_generate(const char *dir)
{
	int r = mkdir_in(dir, "good");

	r = r ? r : mkdir_in(dir, "hostile");
	r = r ? r : gen_good_gif(dir);
	r = r ? r : gen_good_webp(dir);
	r = r ? r : gen_good_tiff(dir);
	return r ? r : gen_hostile(dir);
}

/* ---- large images for the benchmark ---- */

int corpus_gif_rgb(uint32_t w, uint32_t h, uint8_t **ret, size_t *ret_len)
{
	struct gif_frame f = { 0, 0, w, h, 0, -1, false, 0, 1 };
	struct fbuf b = { 0 };
	int r = gif_encode(&b, true, w, h, true, &f, 1);

	if (r < 0) {
		free(b.p);
		return r;
	}
	*ret = b.p;
	*ret_len = b.len;
	return 0;
}

int corpus_webp_rgb(uint32_t w, uint32_t h, uint8_t **ret, size_t *ret_len)
{
	uint8_t *px = rgba_pattern(w, h, 3, 50), *out = NULL;
	size_t n = px ? WebPEncodeRGB(px, (int)w, (int)h, (int)w * 3, 80, &out) : 0;

	free(px);
	if (!n)
		return -EIO;
	*ret = malloc(n);
	if (*ret)
		memcpy(*ret, out, n);
	WebPFree(out);
	*ret_len = n;
	return *ret ? 0 : -ENOMEM;
}

int corpus_tiff_rgb(uint32_t w, uint32_t h, uint8_t **ret, size_t *ret_len)
{
	char path[] = "/tmp/ih-bench-tiff-XXXXXX";
	int fd = mkstemp(path);
	TIFF *t = fd >= 0 ? TIFFFdOpen(fd, path, "w") : NULL;
	uint8_t *row = malloc((size_t)w * 3);
	struct stat st;
	FILE *f = NULL;
	int r = t && row ? 0 : -EIO;

	if (r == 0) {
		TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
		TIFFSetField(t, TIFFTAG_IMAGELENGTH, h);
		TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
		TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 3);
		TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
		TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
		TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
		TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 16);
	}
	for (uint32_t y = 0; r == 0 && y < h; y++) {
		for (uint32_t x = 0; x < w * 3; x++)
			row[x] = pat(x / 3, y, x % 3, 60);
		if (TIFFWriteScanline(t, row, y, 0) < 0)
			r = -EIO;
	}
	if (t)
		TIFFClose(t);
	free(row);
	f = r == 0 ? fopen(path, "rbe") : NULL;
	if (!f || fstat(fileno(f), &st) < 0 || !(*ret = malloc((size_t)st.st_size)) ||
	    fread(*ret, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
		r = -EIO;
	else
		*ret_len = (size_t)st.st_size;
	if (f)
		fclose(f);
	unlink(path);
	return r;
}
