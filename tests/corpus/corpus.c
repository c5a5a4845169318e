/*
 * Generates the test corpus (tests/corpus/corpus.h) with libpng's and libjpeg's writers,
 * plus hand-built PNG chunks for the hostile files. Pixel values follow a fixed pattern,
 * so every run writes the same files.
 */
#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <jpeglib.h>

#include "corpus.h"

struct buf {
	uint8_t *p;
	size_t len;
	size_t cap;
};

static int buf_put(struct buf *b, const void *d, size_t n)
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

static int write_file(const char *dir, const char *sub, const char *name, const void *d, size_t n)
{
	char path[4096];
	FILE *f;
	int r = 0;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	f = fopen(path, "wbe");
	if (!f)
		return -errno;
	if (n && fwrite(d, 1, n, f) != n)
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	return r;
}

/* ---- PNG: sources, expected pixels, libpng writer ---- */

struct png_spec {
	const char *name;
	int color; /* PNG_COLOR_TYPE_* */
	int depth;
	int interlace;
	int trns;
	uint32_t w, h;
};

static const struct png_spec png_specs[] = {
	{ "png-gray-1bit", PNG_COLOR_TYPE_GRAY, 1, 0, 0, 37, 23 },
	{ "png-gray-2bit", PNG_COLOR_TYPE_GRAY, 2, 0, 0, 37, 23 },
	{ "png-gray-4bit", PNG_COLOR_TYPE_GRAY, 4, 0, 0, 37, 23 },
	{ "png-gray-8bit", PNG_COLOR_TYPE_GRAY, 8, 0, 0, 37, 23 },
	{ "png-gray-16bit", PNG_COLOR_TYPE_GRAY, 16, 0, 0, 37, 23 },
	{ "png-gray-8bit-interlaced", PNG_COLOR_TYPE_GRAY, 8, 1, 0, 37, 23 },
	{ "png-gray-16bit-interlaced", PNG_COLOR_TYPE_GRAY, 16, 1, 0, 37, 23 },
	{ "png-gray-2bit-trns", PNG_COLOR_TYPE_GRAY, 2, 0, 1, 37, 23 },
	{ "png-gray-8bit-trns", PNG_COLOR_TYPE_GRAY, 8, 0, 1, 37, 23 },
	{ "png-gray-16bit-trns", PNG_COLOR_TYPE_GRAY, 16, 0, 1, 37, 23 },
	{ "png-rgb-8bit", PNG_COLOR_TYPE_RGB, 8, 0, 0, 41, 29 },
	{ "png-rgb-16bit", PNG_COLOR_TYPE_RGB, 16, 0, 0, 41, 29 },
	{ "png-rgb-8bit-interlaced", PNG_COLOR_TYPE_RGB, 8, 1, 0, 41, 29 },
	{ "png-rgb-8bit-trns", PNG_COLOR_TYPE_RGB, 8, 0, 1, 41, 29 },
	{ "png-rgb-16bit-trns", PNG_COLOR_TYPE_RGB, 16, 0, 1, 41, 29 },
	{ "png-palette-1bit", PNG_COLOR_TYPE_PALETTE, 1, 0, 0, 33, 17 },
	{ "png-palette-2bit", PNG_COLOR_TYPE_PALETTE, 2, 0, 0, 33, 17 },
	{ "png-palette-4bit", PNG_COLOR_TYPE_PALETTE, 4, 0, 0, 33, 17 },
	{ "png-palette-8bit", PNG_COLOR_TYPE_PALETTE, 8, 0, 0, 33, 17 },
	{ "png-palette-4bit-trns", PNG_COLOR_TYPE_PALETTE, 4, 0, 1, 33, 17 },
	{ "png-palette-8bit-trns", PNG_COLOR_TYPE_PALETTE, 8, 0, 1, 33, 17 },
	{ "png-palette-8bit-trns-interlaced", PNG_COLOR_TYPE_PALETTE, 8, 1, 1, 33, 17 },
	{ "png-gray-alpha-8bit", PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, 0, 35, 19 },
	{ "png-gray-alpha-16bit", PNG_COLOR_TYPE_GRAY_ALPHA, 16, 0, 0, 35, 19 },
	{ "png-rgba-8bit", PNG_COLOR_TYPE_RGB_ALPHA, 8, 0, 0, 35, 19 },
	{ "png-rgba-16bit", PNG_COLOR_TYPE_RGB_ALPHA, 16, 0, 0, 35, 19 },
	{ "png-rgba-8bit-interlaced", PNG_COLOR_TYPE_RGB_ALPHA, 8, 1, 0, 35, 19 },
	{ "png-rgba-16bit-interlaced", PNG_COLOR_TYPE_RGB_ALPHA, 16, 1, 0, 35, 19 },
};

static int src_channels(int color)
{
	switch (color) {
	case PNG_COLOR_TYPE_GRAY_ALPHA:
		return 2;
	case PNG_COLOR_TYPE_RGB:
		return 3;
	case PNG_COLOR_TYPE_RGB_ALPHA:
		return 4;
	default:
		return 1;
	}
}

/* Source sample c of pixel (x, y); every 4th column of every 3rd row repeats (0, 0). */
static uint32_t src_sample(uint32_t x, uint32_t y, int c, uint32_t maxval)
{
	if (x % 4 == 0 && y % 3 == 0)
		x = y = 0;
	return (x * 2731u + y * 4999u + (uint32_t)c * 7919u + x * y * 31u + 5u) % (maxval + 1);
}

static uint32_t spec_maxval(const struct png_spec *s)
{
	return (1u << s->depth) - 1;
}

static void palette_entry(uint32_t i, png_color *ret)
{
	ret->red = (png_byte)(i * 53);
	ret->green = (png_byte)(i * 101 + 7);
	ret->blue = (png_byte)(i * 197 + 3);
}

static png_byte palette_alpha(uint32_t i)
{
	return (png_byte)(i * 37 + 1);
}

static uint32_t palette_trns_count(const struct png_spec *s)
{
	return s->trns ? (spec_maxval(s) + 1) / 2 : 0;
}

/* A sample below 8 bits scaled to 8 (exact: 255 is a multiple of 1, 3 and 15). */
static uint32_t to8(uint32_t v, int depth)
{
	return depth >= 8 ? v : v * 255 / ((1u << depth) - 1);
}

static int spec_has_alpha(const struct png_spec *s)
{
	return s->trns || s->color == PNG_COLOR_TYPE_GRAY_ALPHA ||
	       s->color == PNG_COLOR_TYPE_RGB_ALPHA;
}

/* What a correct decoder outputs: grey stays grey, palette becomes RGB, tRNS becomes an
 * alpha channel, samples below 8 bits become 8 and 16 bits stay 16. */
static int expected_channels(const struct png_spec *s)
{
	int colour =
		s->color == PNG_COLOR_TYPE_GRAY || s->color == PNG_COLOR_TYPE_GRAY_ALPHA ? 1 : 3;

	return colour + (spec_has_alpha(s) ? 1 : 0);
}

static int expected_depth(const struct png_spec *s)
{
	return s->depth == 16 ? 16 : 8;
}

/* The samples of pixel (x, y) a correct decoder outputs, at expected_depth. */
static void expected_pixel(const struct png_spec *s, uint32_t x, uint32_t y, uint32_t *out)
{
	uint32_t m = spec_maxval(s), v[4] = { 0 }, opaque = s->depth == 16 ? 65535 : 255;
	int n = src_channels(s->color), ch = expected_channels(s), key = 1;

	for (int c = 0; c < n; c++) {
		v[c] = src_sample(x, y, c, m);
		key = key && v[c] == src_sample(0, 0, c, m);
	}
	if (s->color == PNG_COLOR_TYPE_PALETTE) {
		png_color pc;

		palette_entry(v[0], &pc);
		out[0] = pc.red;
		out[1] = pc.green;
		out[2] = pc.blue;
		if (ch == 4)
			out[3] = v[0] < palette_trns_count(s) ? palette_alpha(v[0]) : 255;
		return;
	}
	for (int c = 0; c < n; c++)
		out[c] = to8(v[c], s->depth);
	if (s->trns)
		out[ch - 1] = key ? 0 : opaque;
}

static void pack_row(const struct png_spec *s, uint32_t y, uint8_t *row)
{
	int n = src_channels(s->color);
	size_t bit = 0;

	for (uint32_t x = 0; x < s->w; x++)
		for (int c = 0; c < n; c++) {
			uint32_t v = src_sample(x, y, c, spec_maxval(s));

			if (s->depth == 16) {
				row[bit / 8] = (uint8_t)(v >> 8);
				row[bit / 8 + 1] = (uint8_t)v;
			} else if (s->depth == 8) {
				row[bit / 8] = (uint8_t)v;
			} else {
				row[bit / 8] |= (uint8_t)(v << (8 - s->depth - bit % 8));
			}
			bit += (size_t)s->depth;
		}
}

static void png_buf_write(png_structp png, png_bytep d, size_t n)
{
	if (buf_put(png_get_io_ptr(png), d, n) < 0)
		png_error(png, "out of memory");
}

static void png_buf_flush(png_structp png)
{
	(void)png;
}

static void png_set_colors(png_structp png, png_infop info, const struct png_spec *s)
{
	png_color plte[256];
	png_byte alpha[256];
	png_color_16 key = { 0 };

	if (s->color == PNG_COLOR_TYPE_PALETTE) {
		for (uint32_t i = 0; i <= spec_maxval(s); i++) {
			palette_entry(i, &plte[i]);
			alpha[i] = palette_alpha(i);
		}
		png_set_PLTE(png, info, plte, (int)spec_maxval(s) + 1);
		if (s->trns)
			png_set_tRNS(png, info, alpha, (int)palette_trns_count(s), NULL);
		return;
	}
	if (!s->trns)
		return;
	key.gray = (png_uint_16)src_sample(0, 0, 0, spec_maxval(s));
	key.red = key.gray;
	key.green = (png_uint_16)src_sample(0, 0, 1, spec_maxval(s));
	key.blue = (png_uint_16)src_sample(0, 0, 2, spec_maxval(s));
	png_set_tRNS(png, info, NULL, 0, &key);
}

/* Runs libpng's writer on the pattern of spec s. */
static int png_encode(const struct png_spec *s, struct buf *out)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	size_t stride = ((size_t)s->w * (size_t)src_channels(s->color) * (size_t)s->depth + 7) / 8;
	uint8_t *volatile row = calloc(1, stride);
	int r = -EIO;

	if (!png || !info || !row)
		goto done;
	if (setjmp(png_jmpbuf(png)))
		goto done;
	png_set_write_fn(png, out, png_buf_write, png_buf_flush);
	png_set_IHDR(png, info, s->w, s->h, s->depth, s->color,
		     s->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_set_colors(png, info, s);
	png_write_info(png, info);
	for (int pass = png_set_interlace_handling(png); pass > 0; pass--)
		for (uint32_t y = 0; y < s->h; y++) {
			memset(row, 0, stride);
			pack_row(s, y, row);
			png_write_row(png, row);
		}
	png_write_end(png, NULL);
	r = 0;
done:
	png_destroy_write_struct(&png, &info);
	free(row);
	return r;
}

static int write_expected_pam(const char *dir, const struct png_spec *s)
{
	static const char *const tuple[] = { "GRAYSCALE", "GRAYSCALE_ALPHA", "RGB", "RGB_ALPHA" };
	int ch = expected_channels(s), bps = expected_depth(s) / 8;
	struct buf b = { 0 };
	char hdr[160], name[160];
	uint32_t px[4];
	int n, r;

	n = snprintf(hdr, sizeof(hdr),
		     "P7\nWIDTH %u\nHEIGHT %u\nDEPTH %d\nMAXVAL %d\nTUPLTYPE %s\nENDHDR\n", s->w,
		     s->h, ch, bps == 2 ? 65535 : 255, tuple[ch - 1]);
	r = buf_put(&b, hdr, (size_t)n);
	for (uint32_t y = 0; r == 0 && y < s->h; y++)
		for (uint32_t x = 0; r == 0 && x < s->w; x++) {
			expected_pixel(s, x, y, px);
			for (int c = 0; r == 0 && c < ch; c++) {
				uint8_t be[2] = { (uint8_t)(px[c] >> 8), (uint8_t)px[c] };

				r = buf_put(&b, bps == 2 ? be : be + 1, (size_t)bps);
			}
		}
	snprintf(name, sizeof(name), "%s.pam", s->name);
	if (r == 0)
		r = write_file(dir, "good", name, b.p, b.len);
	free(b.p);
	return r;
}

static int gen_good_png(const char *dir)
{
	for (size_t i = 0; i < sizeof(png_specs) / sizeof(png_specs[0]); i++) {
		struct buf b = { 0 };
		char name[160];
		int r = png_encode(&png_specs[i], &b);

		snprintf(name, sizeof(name), "%s.png", png_specs[i].name);
		if (r == 0)
			r = write_file(dir, "good", name, b.p, b.len);
		free(b.p);
		if (r == 0)
			r = write_expected_pam(dir, &png_specs[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int corpus_png_rgba(uint32_t w, uint32_t h, uint8_t **ret, size_t *ret_len)
{
	const struct png_spec s = { "bench", PNG_COLOR_TYPE_RGB_ALPHA, 8, 0, 0, w, h };
	struct buf b = { 0 };
	int r = png_encode(&s, &b);

	if (r < 0) {
		free(b.p);
		return r;
	}
	*ret = b.p;
	*ret_len = b.len;
	return 0;
}

/* ---- JPEG: libjpeg writer ---- */

struct jpeg_spec {
	const char *name;
	int gray;
	int h_samp, v_samp; /* luma sampling: 2x2 is 4:2:0, 2x1 4:2:2, 1x1 4:4:4 */
	int progressive;
	int restart_rows;
	int cmyk;
	uint32_t w, h;
};

static const struct jpeg_spec jpeg_specs[] = {
	{ "jpeg-baseline-420", 0, 2, 2, 0, 0, 0, 101, 67 },
	{ "jpeg-baseline-422", 0, 2, 1, 0, 0, 0, 101, 67 },
	{ "jpeg-baseline-444", 0, 1, 1, 0, 0, 0, 101, 67 },
	{ "jpeg-grayscale", 1, 1, 1, 0, 0, 0, 101, 67 },
	{ "jpeg-progressive-420", 0, 2, 2, 1, 0, 0, 101, 67 },
	{ "jpeg-progressive-grayscale", 1, 1, 1, 1, 0, 0, 101, 67 },
	{ "jpeg-restart-markers-420", 0, 2, 2, 0, 1, 0, 101, 67 },
	{ "jpeg-restart-markers-progressive-444", 0, 1, 1, 1, 1, 0, 101, 67 },
};

/* A smooth gradient with texture: the kind of content JPEG is made for. */
static uint8_t jpeg_sample(uint32_t x, uint32_t y, int c)
{
	return (uint8_t)((x * (3u + (uint32_t)c) + y * (5u - (uint32_t)c) + ((x ^ y) & 15u) * 4u) &
			 255u);
}

struct jpeg_out {
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr err;
	unsigned char *mem;
	unsigned long mem_len;
};

/* A 1000+ scan script would be refused by libjpeg's own writer limits; this one has
 * 1 + 2 * 63 * components scans: every AC coefficient alone, in two approximations. */
static jpeg_scan_info *scan_bomb_script(int components, int *ret_n)
{
	int n = 1 + 2 * 63 * components, i = 0;
	jpeg_scan_info *s = calloc((size_t)n, sizeof(*s));

	if (!s)
		return NULL;
	s[i].comps_in_scan = components;
	for (int c = 0; c < components; c++)
		s[i].component_index[c] = c;
	i++;
	for (int al = 1; al >= 0; al--)
		for (int c = 0; c < components; c++)
			for (int k = 1; k <= 63; k++, i++) {
				s[i].comps_in_scan = 1;
				s[i].component_index[0] = c;
				s[i].Ss = k;
				s[i].Se = k;
				s[i].Ah = al == 1 ? 0 : 1;
				s[i].Al = al;
			}
	*ret_n = n;
	return s;
}

static void jpeg_configure(struct jpeg_out *o, const struct jpeg_spec *s, int quality)
{
	struct jpeg_compress_struct *c = &o->c;

	c->image_width = s->w;
	c->image_height = s->h;
	c->input_components = s->gray ? 1 : s->cmyk ? 4 : 3;
	c->in_color_space = s->gray ? JCS_GRAYSCALE : s->cmyk ? JCS_CMYK : JCS_RGB;
	jpeg_set_defaults(c);
	jpeg_set_quality(c, quality, TRUE);
	if (!s->gray && !s->cmyk) {
		c->comp_info[0].h_samp_factor = s->h_samp;
		c->comp_info[0].v_samp_factor = s->v_samp;
	}
	if (s->progressive)
		jpeg_simple_progression(c);
	if (s->restart_rows)
		c->restart_in_rows = s->restart_rows;
}

static int jpeg_encode(const struct jpeg_spec *s, int quality, int scan_bomb, struct buf *out)
{
	struct jpeg_out o = { 0 };
	int comps = s->gray ? 1 : s->cmyk ? 4 : 3, n_scans = 0;
	size_t stride = (size_t)s->w * (size_t)comps;
	uint8_t *row = malloc(stride);
	jpeg_scan_info *script = scan_bomb ? scan_bomb_script(3, &n_scans) : NULL;
	int r = -ENOMEM;

	o.c.err = jpeg_std_error(&o.err);
	if (!row || (scan_bomb && !script))
		goto done;
	jpeg_create_compress(&o.c);
	jpeg_mem_dest(&o.c, &o.mem, &o.mem_len);
	jpeg_configure(&o, s, quality);
	if (script) {
		o.c.scan_info = script;
		o.c.num_scans = n_scans;
	}
	jpeg_start_compress(&o.c, TRUE);
	while (o.c.next_scanline < o.c.image_height) {
		for (size_t i = 0; i < stride; i++)
			row[i] = jpeg_sample((uint32_t)(i / (size_t)comps), o.c.next_scanline,
					     (int)(i % (size_t)comps));
		jpeg_write_scanlines(&o.c, &row, 1);
	}
	jpeg_finish_compress(&o.c);
	r = buf_put(out, o.mem, o.mem_len);
	jpeg_destroy_compress(&o.c);
done:
	free(o.mem);
	free(row);
	free(script);
	return r;
}

static int gen_good_jpeg(const char *dir)
{
	for (size_t i = 0; i < sizeof(jpeg_specs) / sizeof(jpeg_specs[0]); i++) {
		struct buf b = { 0 };
		char name[160];
		int r = jpeg_encode(&jpeg_specs[i], 90, 0, &b);

		snprintf(name, sizeof(name), "%s.jpg", jpeg_specs[i].name);
		if (r == 0)
			r = write_file(dir, "good", name, b.p, b.len);
		free(b.p);
		if (r < 0)
			return r;
	}
	return 0;
}

int corpus_jpeg_rgb(uint32_t w, uint32_t h, int quality, int progressive, uint8_t **ret,
		    size_t *ret_len)
{
	const struct jpeg_spec s = { "bench", 0, 2, 2, progressive, 0, 0, w, h };
	struct buf b = { 0 };
	int r = jpeg_encode(&s, quality, 0, &b);

	if (r < 0) {
		free(b.p);
		return r;
	}
	*ret = b.p;
	*ret_len = b.len;
	return 0;
}

/* ---- hostile inputs ---- */

const struct corpus_hostile corpus_hostile[] = {
	{ "empty.bin", "empty" },
	{ "random-garbage.bin", "unknown format" },
	{ "png-magic-then-garbage.png", "png" },
	{ "png-dimensions-beyond-limit.png", "limit" },
	{ "png-zlib-bomb-64MiB-of-zeros.png", "png" },
	{ "png-truncated.png", "truncated" },
	{ "png-idat-stream-cut-short.png", "png" },
	{ "png-bad-crc-idat.png", "crc" },
	{ "png-bad-adler32.png", "data check" },
	{ "png-bad-crc-text.png", "crc" },
	{ "png-huge-iccp-2MiB.png", "iccp" },
	{ "png-huge-ztxt-2MiB.png", "ztxt" },
	{ "png-too-many-chunks-300-text.png", "chunks" },
	{ "jpeg-dimensions-beyond-limit.jpg", "limit" },
	{ "jpeg-progressive-scan-bomb-379-scans.jpg", "scans" },
	{ "jpeg-truncated.jpg", "premature end" },
};
const size_t corpus_n_hostile = sizeof(corpus_hostile) / sizeof(corpus_hostile[0]);

static void be32put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* One PNG chunk with its CRC (flipped when bad_crc). */
static int png_chunk(struct buf *b, const char *type, const void *data, uint32_t len, int bad_crc)
{
	uint8_t hdr[8], crc[4];
	uLong c = crc32(0, (const Bytef *)type, 4);

	be32put(hdr, len);
	memcpy(hdr + 4, type, 4);
	if (len)
		c = crc32(c, data, len);
	be32put(crc, (uint32_t)c ^ (bad_crc ? 1u : 0u));
	if (buf_put(b, hdr, 8) < 0 || (len && buf_put(b, data, len) < 0))
		return -ENOMEM;
	return buf_put(b, crc, 4);
}

static int png_head(struct buf *b, uint32_t w, uint32_t h)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	uint8_t ihdr[13] = { 0 };

	be32put(ihdr, w);
	be32put(ihdr + 4, h);
	ihdr[8] = 8; /* 8-bit gray */
	if (buf_put(b, sig, 8) < 0)
		return -ENOMEM;
	return png_chunk(b, "IHDR", ihdr, 13, 0);
}

/* What a hostile file does to its zlib stream. */
enum zlib_damage {
	ZLIB_INTACT = 0,
	ZLIB_CUT_IN_HALF,
	ZLIB_BAD_ADLER32, /* the stream's checksum is off by one bit */
};

/* zlib stream of `zeros` zero bytes, damaged as asked, made without holding them all. */
static int zlib_zeros(size_t zeros, enum zlib_damage damage, struct buf *out)
{
	static const uint8_t zero[65536];
	uint8_t chunk[65536];
	z_stream z = { 0 };
	int r = 0;

	if (deflateInit(&z, 9) != Z_OK)
		return -ENOMEM;
	while (r == 0) {
		size_t n = zeros < sizeof(zero) ? zeros : sizeof(zero);
		int flush = zeros == n ? Z_FINISH : Z_NO_FLUSH, zr = Z_OK;

		z.next_in = (Bytef *)zero;
		z.avail_in = (uInt)n;
		do {
			z.next_out = chunk;
			z.avail_out = sizeof(chunk);
			zr = deflate(&z, flush);
			r = buf_put(out, chunk, sizeof(chunk) - z.avail_out);
		} while (r == 0 && z.avail_out == 0);
		zeros -= n;
		if (zr == Z_STREAM_END)
			break;
	}
	deflateEnd(&z);
	if (r == 0 && damage == ZLIB_CUT_IN_HALF)
		out->len /= 2;
	if (r == 0 && damage == ZLIB_BAD_ADLER32)
		out->p[out->len - 1] ^= 1;
	return r;
}

/* IDAT inflating to `zeros` bytes (its zlib stream damaged as asked), then IEND. */
static int png_tail(struct buf *b, size_t zeros, enum zlib_damage damage, int bad_idat_crc)
{
	struct buf z = { 0 };
	int r = zlib_zeros(zeros, damage, &z);

	if (r == 0)
		r = png_chunk(b, "IDAT", z.p, (uint32_t)z.len, bad_idat_crc);
	if (r == 0)
		r = png_chunk(b, "IEND", NULL, 0, 0);
	free(z.p);
	return r;
}

/* The zero bytes a w x h gray 8-bit image inflates to (a filter byte per row). */
static size_t gray_bytes(uint32_t w, uint32_t h)
{
	return (size_t)(w + 1) * h;
}

static void lcg_fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/* A 16x16 PNG with `count` copies of an ancillary chunk of `len` bytes before IDAT. */
static int png_with_ancillary(struct buf *b, const char *type, uint32_t len, int count, int bad_crc)
{
	uint8_t *data = calloc(1, len ? len : 1);
	int r = data ? png_head(b, 16, 16) : -ENOMEM;

	if (data && len > 8) {
		memcpy(data, "comment", 8); /* keyword, NUL, then compression method 0 */
		lcg_fill(data + 9, len - 9, 7);
	}
	for (int i = 0; r == 0 && i < count; i++)
		r = png_chunk(b, type, data, len, bad_crc);
	if (r == 0)
		r = png_tail(b, gray_bytes(16, 16), 0, 0);
	free(data);
	return r;
}

static int hostile_png(const char *name, struct buf *b)
{
	int r;

	if (!strcmp(name, "png-magic-then-garbage.png")) {
		uint8_t junk[500];

		lcg_fill(junk, sizeof(junk), 3);
		r = png_head(b, 1, 1);
		b->len = 8;
		return r ? r : buf_put(b, junk, sizeof(junk));
	}
	if (!strcmp(name, "png-dimensions-beyond-limit.png"))
		return png_head(b, 100000, 100000) ?: png_tail(b, 100, 0, 0);
	if (!strcmp(name, "png-zlib-bomb-64MiB-of-zeros.png"))
		return png_head(b, 64, 64) ?: png_tail(b, (size_t)64 << 20, 0, 0);
	if (!strcmp(name, "png-truncated.png")) {
		r = png_encode(&png_specs[10], b);
		b->len = b->len * 6 / 10;
		return r;
	}
	if (!strcmp(name, "png-idat-stream-cut-short.png"))
		return png_head(b, 64, 64) ?: png_tail(b, gray_bytes(64, 64), ZLIB_CUT_IN_HALF, 0);
	if (!strcmp(name, "png-bad-adler32.png"))
		return png_head(b, 16, 16) ?: png_tail(b, gray_bytes(16, 16), ZLIB_BAD_ADLER32, 0);
	if (!strcmp(name, "png-bad-crc-idat.png"))
		return png_head(b, 16, 16) ?: png_tail(b, gray_bytes(16, 16), 0, 1);
	if (!strcmp(name, "png-bad-crc-text.png"))
		return png_with_ancillary(b, "tEXt", 20, 1, 1);
	if (!strcmp(name, "png-huge-iccp-2MiB.png"))
		return png_with_ancillary(b, "iCCP", 2u << 20, 1, 0);
	if (!strcmp(name, "png-huge-ztxt-2MiB.png"))
		return png_with_ancillary(b, "zTXt", 2u << 20, 1, 0);
	if (!strcmp(name, "png-too-many-chunks-300-text.png"))
		return png_with_ancillary(b, "tEXt", 20, 300, 0);
	return -ENOENT;
}

/* Sets the SOF dimensions of a baseline JPEG. */
static int jpeg_patch_size(struct buf *b, uint16_t w, uint16_t h)
{
	for (size_t i = 2; i + 9 < b->len; i++)
		if (b->p[i] == 0xff && b->p[i + 1] == 0xc0) {
			b->p[i + 5] = (uint8_t)(h >> 8);
			b->p[i + 6] = (uint8_t)h;
			b->p[i + 7] = (uint8_t)(w >> 8);
			b->p[i + 8] = (uint8_t)w;
			return 0;
		}
	return -ENOENT;
}

static int hostile_jpeg(const char *name, struct buf *b)
{
	static const struct jpeg_spec small444 = { "bomb", 0, 1, 1, 1, 0, 0, 64, 64 };
	int r;

	if (!strcmp(name, "jpeg-dimensions-beyond-limit.jpg"))
		return jpeg_encode(&jpeg_specs[0], 90, 0, b) ?: jpeg_patch_size(b, 65000, 65000);
	if (!strcmp(name, "jpeg-progressive-scan-bomb-379-scans.jpg"))
		return jpeg_encode(&small444, 90, 1, b);
	if (!strcmp(name, "jpeg-truncated.jpg")) {
		r = jpeg_encode(&jpeg_specs[0], 90, 0, b);
		b->len /= 2;
		return r;
	}
	return -ENOENT;
}

static int hostile_one(const char *name, struct buf *b)
{
	if (!strcmp(name, "empty.bin"))
		return 0;
	if (!strcmp(name, "random-garbage.bin")) {
		uint8_t junk[4096];

		lcg_fill(junk, sizeof(junk), 1);
		return buf_put(b, junk, sizeof(junk));
	}
	if (!strncmp(name, "png-", 4))
		return hostile_png(name, b);
	return hostile_jpeg(name, b);
}

static int gen_hostile(const char *dir)
{
	for (size_t i = 0; i < corpus_n_hostile; i++) {
		struct buf b = { 0 };
		int r = hostile_one(corpus_hostile[i].name, &b);

		if (r == 0)
			r = write_file(dir, "hostile", corpus_hostile[i].name, b.p, b.len);
		free(b.p);
		if (r < 0)
			return r;
	}
	return 0;
}

static int mkdir_in(const char *dir, const char *sub)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int corpus_generate(const char *dir)
{
	int r = mkdir_in(dir, "good");

	if (r == 0)
		r = mkdir_in(dir, "hostile");
	if (r == 0)
		r = gen_good_png(dir);
	if (r == 0)
		r = gen_good_jpeg(dir);
	if (r == 0)
		r = gen_hostile(dir);
	return r;
}
