/*
 * The JPEG XL decoder (guest/decode/jxl.c) against files this test makes with Debian's
 * cjxl from PAM, PNG and GIF sources it writes itself: every good file decodes pixel-exact
 * with Debian's djxl run natively (djxl's PNG at the source depth, 8 or 16 bits, read back
 * as stored), a lossless one also with the source samples, in the library and in the
 * sandboxed child, also in a child of a parent that ran no libjxl before. Orientation,
 * the ICC profile and the frames of an animation as the common steps expect them. Every
 * hostile file (generated here, named for its attack) is rejected with a reason, without
 * output, in both; controls show the limit named is the one that stopped each attack.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gif_lib.h>
#include <lcms2.h>
#include <zlib.h>

#include "../tap.h"
#include "guest/decode/decode.h"
#include "guest/decode/decoder.h"
#include "guest/decode/format_limits.h"
#include "guest/sandbox/isolate.h"

static char dir[] = "/tmp/ih-jxl-XXXXXX";

/* The pixels as stored: no turn to the orientation, no colour conversion. */
static const uint32_t raw_flags = IH_OPT_ORIENT_KEEP | IH_OPT_COLOR_KEEP;

#define W 67u /* not a multiple of 8: partial blocks and groups */
#define H 45u
#define ANIM_FRAMES 3

struct blob {
	uint8_t *p;
	size_t len;
};

static void path_of(char *path, size_t n, const char *name)
{
	snprintf(path, n, "%s/%s", dir, name);
}

static int read_file(const char *name, struct blob *ret)
{
	char path[4096];
	struct stat st;
	FILE *f;

	path_of(path, sizeof(path), name);
	f = fopen(path, "rbe");
	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) < 0 || !(ret->p = malloc((size_t)st.st_size + 1))) {
		fclose(f);
		return -ENOMEM;
	}
	ret->len = fread(ret->p, 1, (size_t)st.st_size, f);
	fclose(f);
	return 0;
}

static int write_file(const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;
	int r = 0;

	path_of(path, sizeof(path), name);
	f = fopen(path, "wbe");
	if (!f)
		return -errno;
	if (fwrite(p, 1, n, f) != n)
		r = -EIO;
	if (fclose(f) != 0)
		r = -EIO;
	return r;
}

/* Runs argv (quietly) in dir: 0 when it exits 0. */
static int run(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (null < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0 || chdir(dir) < 0)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* Sample c of pixel (x, y) of a source: a pattern that uses the whole range. */
static uint32_t sample(uint32_t x, uint32_t y, uint32_t c, uint32_t bits)
{
	uint32_t v = x * 1021 + y * 331 + c * 12345 + (x * y) % 97;

	return bits == 16 ? v & 0xffff : v & 0xff;
}

/* w x h x ch samples of the pattern, stored as the output holds them (16 bits big-endian). */
static uint8_t *pattern(uint32_t w, uint32_t h, uint32_t ch, uint32_t bits, size_t *ret_len)
{
	size_t bps = bits / 8, n = (size_t)w * h * ch * bps;
	uint8_t *px = malloc(n);

	for (uint32_t y = 0; px && y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			for (uint32_t c = 0; c < ch; c++) {
				uint32_t v = sample(x, y, c, bits);
				uint8_t *p = px + (((size_t)y * w + x) * ch + c) * bps;

				if (bps == 2)
					*p++ = (uint8_t)(v >> 8);
				*p = (uint8_t)v;
			}
	*ret_len = n;
	return px;
}

static int write_pam(const char *name, uint32_t ch, uint32_t bits)
{
	static const char *const tupl[] = { "", "GRAYSCALE", "GRAYSCALE_ALPHA", "RGB",
					    "RGB_ALPHA" };
	char hdr[200];
	size_t n, k = (size_t)snprintf(hdr, sizeof(hdr),
				       "P7\nWIDTH %u\nHEIGHT %u\nDEPTH %u\nMAXVAL %u\nTUPLTYPE "
				       "%s\nENDHDR\n",
				       W, H, ch, bits == 16 ? 65535u : 255u, tupl[ch]);
	uint8_t *px = pattern(W, H, ch, bits, &n), *all = px ? malloc(k + n) : NULL;
	int r = -ENOMEM;

	if (all) {
		memcpy(all, hdr, k);
		memcpy(all + k, px, n);
		r = write_file(name, all, k + n);
	}
	free(all);
	free(px);
	return r;
}

static size_t png_chunk(uint8_t *out, const char *type, const uint8_t *d, uint32_t n)
{
	uint32_t crc;

	out[0] = (uint8_t)(n >> 24);
	out[1] = (uint8_t)(n >> 16);
	out[2] = (uint8_t)(n >> 8);
	out[3] = (uint8_t)n;
	memcpy(out + 4, type, 4);
	if (n)
		memcpy(out + 8, d, n);
	crc = (uint32_t)crc32(0, out + 4, 4 + n);
	out[8 + n] = (uint8_t)(crc >> 24);
	out[9 + n] = (uint8_t)(crc >> 16);
	out[10 + n] = (uint8_t)(crc >> 8);
	out[11 + n] = (uint8_t)crc;
	return 12 + (size_t)n;
}

/* An 8-bit RGB PNG of the pattern with one extra chunk (eXIf, iCCP) before its IDAT. */
static int write_png(const char *name, const char *type, const uint8_t *d, uint32_t n)
{
	uint8_t ihdr[13] = { 0, 0, 0, W, 0, 0, 0, H, 8, 2, 0, 0, 0 };
	size_t len, raw_len = (size_t)(W * 3 + 1) * H;
	uLongf z_len = compressBound(raw_len);
	uint8_t *px = pattern(W, H, 3, 8, &len), *raw = malloc(raw_len), *z = malloc(z_len);
	uint8_t *out = malloc(8 + 25 + 12 + n + 12 + z_len + 12);
	int r = -ENOMEM;

	if (px && raw && z && out) {
		for (uint32_t y = 0; y < H; y++) {
			raw[(size_t)y * (W * 3 + 1)] = 0;
			memcpy(raw + (size_t)y * (W * 3 + 1) + 1, px + (size_t)y * W * 3, W * 3);
		}
		r = compress(z, &z_len, raw, raw_len) == Z_OK ? 0 : -EIO;
	}
	if (r == 0) {
		memcpy(out, "\x89PNG\r\n\x1a\n", 8);
		len = 8 + png_chunk(out + 8, "IHDR", ihdr, 13);
		len += png_chunk(out + len, type, d, n);
		len += png_chunk(out + len, "IDAT", z, (uint32_t)z_len);
		len += png_chunk(out + len, "IEND", NULL, 0);
		r = write_file(name, out, len);
	}
	free(px);
	free(raw);
	free(z);
	free(out);
	return r;
}

/* The PNG with an eXIf chunk saying orientation 6 (cjxl puts it into the codestream). */
static int write_png_orient6(const char *name)
{
	static const uint8_t exif[26] = { 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0,
					  3,   0,   0, 0,  1, 0, 6, 0, 0, 0, 0,	   0,	 0 };

	return write_png(name, "eXIf", exif, sizeof(exif));
}

/* A matrix-shaper ICC profile (Adobe RGB primaries, gamma 2.2), made by Little CMS. */
static uint8_t *make_icc(uint32_t *ret_len)
{
	cmsCIExyY d65 = { 0.3127, 0.3290, 1.0 };
	cmsCIExyYTRIPLE prim = { { 0.64, 0.33, 1.0 }, { 0.21, 0.71, 1.0 }, { 0.15, 0.06, 1.0 } };
	cmsToneCurve *g = cmsBuildGamma(NULL, 2.2);
	cmsToneCurve *curves[3] = { g, g, g };
	cmsHPROFILE p = g ? cmsCreateRGBProfile(&d65, &prim, curves) : NULL;
	cmsUInt32Number n = 0;
	uint8_t *icc = NULL;

	if (p && cmsSaveProfileToMem(p, NULL, &n) && (icc = malloc(n)) &&
	    !cmsSaveProfileToMem(p, icc, &n)) {
		free(icc);
		icc = NULL;
	}
	if (p)
		cmsCloseProfile(p);
	if (g)
		cmsFreeToneCurve(g);
	*ret_len = n;
	return icc;
}

/* The PNG with an iCCP chunk: "p\0", method 0, the deflated profile. */
static int write_png_icc(const char *name, uint8_t **ret_icc, uint32_t *ret_len)
{
	uint32_t n;
	uint8_t *icc = make_icc(&n);
	uLongf z_len = compressBound(n);
	uint8_t *chunk = icc ? malloc(3 + z_len) : NULL;
	int r = -ENOMEM;

	if (chunk && compress(chunk + 3, &z_len, icc, n) == Z_OK) {
		memcpy(chunk, "p\0\0", 3);
		r = write_png(name, "iCCP", chunk, (uint32_t)(3 + z_len));
	}
	free(chunk);
	*ret_icc = icc;
	*ret_len = n;
	return r;
}

/* Palette index of pixel (x, y) of frame f of the animated GIF, and the palette. */
static uint8_t gif_index(uint32_t x, uint32_t y, uint32_t f)
{
	return (uint8_t)(x * 3 + y * 5 + f * 40);
}

static GifColorType gif_color(uint8_t i)
{
	return (GifColorType){ i, (uint8_t)(255 - i), (uint8_t)(i * 7) };
}

/* frames full-size frames of w x h, each shown 100 ms (a zero delay would make them layers
 * of one frame for libjxl). */
static int write_gif(const char *name, uint32_t w, uint32_t h, uint32_t frames)
{
	GraphicsControlBlock gcb = { .DisposalMode = DISPOSE_DO_NOT,
				     .DelayTime = 10,
				     .TransparentColor = NO_TRANSPARENT_COLOR };
	GifByteType ext[4], row[W];
	char path[4096];
	int err = 0, ok;
	ColorMapObject *cm = GifMakeMapObject(256, NULL);
	GifFileType *g;

	path_of(path, sizeof(path), name);
	if (!cm || !(g = EGifOpenFileName(path, false, &err))) {
		GifFreeMapObject(cm);
		return -EIO;
	}
	for (int i = 0; i < 256; i++)
		cm->Colors[i] = gif_color((uint8_t)i);
	EGifSetGifVersion(g, true);
	ok = EGifPutScreenDesc(g, (int)w, (int)h, 8, 0, cm) == GIF_OK;
	for (uint32_t f = 0; ok && f < frames; f++) {
		size_t n = EGifGCBToExtension(&gcb, ext);

		ok = EGifPutExtension(g, GRAPHICS_EXT_FUNC_CODE, (int)n, ext) == GIF_OK &&
		     EGifPutImageDesc(g, 0, 0, (int)w, (int)h, false, NULL) == GIF_OK;
		for (uint32_t y = 0; ok && y < h; y++) {
			for (uint32_t x = 0; x < w; x++)
				row[x] = gif_index(x, y, f);
			ok = EGifPutLine(g, row, (int)w) == GIF_OK;
		}
	}
	ok = EGifCloseFile(g, &err) == GIF_OK && ok;
	GifFreeMapObject(cm);
	return ok ? 0 : -EIO;
}

/* A 32-bit float RGB PFM (rows bottom to top, little-endian): the pattern over 65535. */
static int write_pfm(const char *name)
{
	char hdr[64];
	size_t k = (size_t)snprintf(hdr, sizeof(hdr), "PF\n%u %u\n-1.0\n", W, H);
	size_t n = (size_t)W * H * 3 * sizeof(float);
	uint8_t *all = malloc(k + n);
	int r = -ENOMEM;

	if (all) {
		memcpy(all, hdr, k);
		for (uint32_t y = 0; y < H; y++)
			for (uint32_t x = 0; x < W; x++)
				for (uint32_t c = 0; c < 3; c++) {
					float v = (float)sample(x, H - 1 - y, c, 16) / 65535.0f;

					memcpy(all + k + (((size_t)y * W + x) * 3 + c) * 4, &v, 4);
				}
		r = write_file(name, all, k + n);
	}
	free(all);
	return r;
}

/* A good file: made by cjxl from src with the distance given ("0": lossless). */
struct good {
	const char *name;
	const char *src;
	const char *distance;
	const char *extra; /* one more cjxl option, or NULL */
	uint32_t ch, bits; /* of the source; 0 bits: no source pixels to compare (lossy) */
};

static const struct good goods[] = {
	{ "jxl-rgb8-lossless.jxl", "rgb8.pam", "0", NULL, 3, 8 },
	{ "jxl-rgba8-lossless.jxl", "rgba8.pam", "0", NULL, 4, 8 },
	{ "jxl-grey8-lossless.jxl", "grey8.pam", "0", NULL, 1, 8 },
	{ "jxl-grey-alpha8-lossless.jxl", "grey-alpha8.pam", "0", NULL, 2, 8 },
	{ "jxl-rgb16-lossless.jxl", "rgb16.pam", "0", NULL, 3, 16 },
	{ "jxl-grey16-lossless.jxl", "grey16.pam", "0", NULL, 1, 16 },
	{ "jxl-float32-lossless.jxl", "rgbf.pfm", "0", NULL, 3, 0 },
	{ "jxl-rgb8-lossy.jxl", "rgb8.pam", "1", NULL, 3, 0 },
	{ "jxl-rgba8-lossy.jxl", "rgba8.pam", "1", NULL, 4, 0 },
	{ "jxl-rgb16-lossy.jxl", "rgb16.pam", "1", NULL, 3, 0 },
	{ "jxl-big-rgb8-lossy.jxl", "big.pam", "2", NULL, 3, 0 },
	{ "jxl-container-rgb8.jxl", "rgb8.pam", "0", "--container=1", 3, 8 },
	{ "jxl-orientation6.jxl", "orient6.png", "0", NULL, 3, 8 },
	{ "jxl-icc-profile.jxl", "icc.png", "0", NULL, 3, 8 },
	{ "jxl-anim-3-frames.jxl", "anim.gif", "0", NULL, 4, 0 },
};

#define N_GOODS (sizeof(goods) / sizeof(goods[0]))

static uint8_t *icc_written;
static uint32_t icc_written_len;

/* The sources, then every good file through cjxl. */
static int make_goods(void)
{
	char out[300];
	int r = write_pam("rgb8.pam", 3, 8);

	r = r ?: write_pam("rgba8.pam", 4, 8);
	r = r ?: write_pam("grey8.pam", 1, 8);
	r = r ?: write_pam("grey-alpha8.pam", 2, 8);
	r = r ?: write_pam("rgb16.pam", 3, 16);
	r = r ?: write_pam("grey16.pam", 1, 16);
	r = r ?: write_pfm("rgbf.pfm");
	r = r ?: write_png_orient6("orient6.png");
	r = r ?: write_png_icc("icc.png", &icc_written, &icc_written_len);
	r = r ?: write_gif("anim.gif", W, H, ANIM_FRAMES);
	r = r ?: write_gif("anim-1001.gif", 2, 2, 1001);
	for (size_t i = 0; r == 0 && i < N_GOODS; i++) {
		const struct good *g = &goods[i];

		if (!strcmp(g->src, "big.pam"))
			continue; /* made by make_big() */
		snprintf(out, sizeof(out), "%s", g->name);
		r = run((char *[]){ "cjxl", (char *)g->src, out, "-d", (char *)g->distance,
				    "--num_threads=1", g->extra ? (char *)g->extra : NULL, NULL });
	}
	return r;
}

/* A 640 x 520 source (groups of 256: more than one in each direction). */
static int make_big(void)
{
	char hdr[100];
	size_t n, k = (size_t)snprintf(hdr, sizeof(hdr), "P6\n640 520\n255\n");
	uint8_t *px = pattern(640, 520, 3, 8, &n), *all = px ? malloc(k + n) : NULL;
	int r = -ENOMEM;

	if (all) {
		memcpy(all, hdr, k);
		memcpy(all + k, px, n);
		r = write_file("big.pam", all, k + n);
	}
	free(all);
	free(px);
	return r
		       ?: run((char *[]){ "cjxl", "big.pam", "jxl-big-rgb8-lossy.jxl", "-d", "2",
					  "--num_threads=1", NULL });
}

static int decode_as(const struct blob *in, uint32_t flags, uint32_t frame, struct ih_image *img,
		     char reason[IH_REASON_MAX])
{
	struct ih_limits lim;
	struct ih_decode_opts opts = { .flags = flags, .frame = frame };

	ih_limits_default(&lim);
	return ih_decode(&lim, &opts, in->p, in->len, img, reason);
}

static bool same_image(const struct ih_image *a, const struct ih_image *b)
{
	return a->width == b->width && a->height == b->height && a->channels == b->channels &&
	       a->depth == b->depth && a->len == b->len && !memcmp(a->pixels, b->pixels, a->len);
}

/* djxl's PNG of the file (frame 0 for an animation: the APNG's default image), as stored. */
static int djxl_ref(const char *name, struct ih_image *ret)
{
	char out[300], reason[IH_REASON_MAX];
	struct blob b = { 0 };
	int r;

	snprintf(out, sizeof(out), "%s.djxl.png", name);
	/* djxl 0.7 cannot write a 32-bit source to PNG unless told the depth to write */
	r = run((char *[]){ "djxl", (char *)name, out,
			    strstr(name, "float") ? "--bits_per_sample=16" : NULL, NULL });
	if (r == 0)
		r = read_file(out, &b);
	if (r == 0)
		r = decode_as(&b, raw_flags, 0, ret, reason);
	free(b.p);
	return r;
}

static void check_djxl(const struct good *g, const struct blob *in)
{
	struct ih_image ref = { 0 }, img = { 0 };
	char reason[IH_REASON_MAX] = "";
	/* djxl turns the pixels to the codestream orientation: compared with --orient=auto */
	uint32_t flags = strstr(g->name, "orientation") ? IH_OPT_COLOR_KEEP : raw_flags;
	int r = djxl_ref(g->name, &ref);

	if (r == 0)
		r = decode_as(in, flags, 0, &img, reason);
	tap_ok(r == 0 && same_image(&img, &ref),
	       "%s: pixel-exact with Debian's djxl (%u x %u x %u at %u bits, both) (%s)", g->name,
	       img.width, img.height, img.channels, img.depth, r ? reason : "ok");
	ih_image_free(&ref);
	ih_image_free(&img);
}

/* A lossless file against the source's own samples, as stored. */
static void check_source(const struct good *g, const struct ih_image *img)
{
	size_t n;
	uint8_t *want = pattern(W, H, g->ch, g->bits, &n);

	tap_ok(want && img->width == W && img->height == H && img->channels == g->ch &&
		       img->depth == g->bits && img->len == n && !memcmp(img->pixels, want, n),
	       "%s: lossless, the source's %u-bit samples exactly (%u channels)", g->name, g->bits,
	       g->ch);
	free(want);
}

/* The same decode through the sandboxed child: the same pixels and frame count. */
static void check_sandboxed(const char *name, const struct blob *in, uint32_t frame,
			    const struct ih_image *img)
{
	struct ih_limits lim;
	struct ih_decode_opts opts = { .flags = raw_flags, .frame = frame };
	struct ih_decoded d = { 0 };
	int r;

	ih_limits_default(&lim);
	r = ih_isolate_decode(&lim, 0, &opts, in->p, in->len, &d);
	tap_ok(r == 0 && d.resp.status == IH_STATUS_OK && d.resp.width == img->width &&
		       d.resp.height == img->height && d.resp.channels == img->channels &&
		       d.resp.depth == img->depth && d.resp.frames == img->frames &&
		       d.resp.pixel_len == img->len && !memcmp(d.pixels, img->pixels, img->len),
	       "%s: frame %u the same in the sandboxed child (%u channels, %u-bit, %u frames) (%s)",
	       name, frame, img->channels, img->depth, img->frames,
	       r == 0 && d.resp.status == IH_STATUS_OK ? "ok" : d.resp.reason);
	ih_decoded_free(&d);
}

/* Frame f of the animation: the GIF's palette colours, opaque, and the same sandboxed. */
static void check_anim_frame(const struct blob *in, uint32_t f)
{
	struct ih_image img = { 0 };
	char reason[IH_REASON_MAX] = "";
	bool ok = decode_as(in, raw_flags, f, &img, reason) == 0 && img.channels == 4 &&
		  img.depth == 8 && img.width == W && img.height == H;

	for (uint32_t y = 0; ok && y < H; y++)
		for (uint32_t x = 0; ok && x < W; x++) {
			GifColorType c = gif_color(gif_index(x, y, f));
			const uint8_t *p = img.pixels + ((size_t)y * W + x) * 4;

			ok = p[0] == c.Red && p[1] == c.Green && p[2] == c.Blue && p[3] == 255;
		}
	tap_ok(ok, "jxl-anim-3-frames.jxl: frame %u is the GIF's frame %u exactly (%s)", f, f,
	       reason[0] ? reason : "ok");
	if (ok)
		check_sandboxed("jxl-anim-3-frames.jxl", in, f, &img);
	ih_image_free(&img);
}

static void check_anim(const struct blob *in)
{
	struct ih_image img = { 0 };
	char reason[IH_REASON_MAX] = "";
	int r;

	for (uint32_t f = 0; f < ANIM_FRAMES; f++)
		check_anim_frame(in, f);
	r = decode_as(in, raw_flags, ANIM_FRAMES, &img, reason);
	tap_ok(r == -EINVAL && strstr(reason, "frame"),
	       "jxl-anim-3-frames.jxl: frame %u (past the last) is refused: %s", ANIM_FRAMES,
	       reason);
	if (r == 0)
		ih_image_free(&img);
}

/* Orientation 6: kept as stored and reported, or turned (W x H becomes H x W). */
static void check_orientation(const struct blob *in, const struct ih_image *kept)
{
	struct ih_image auto_img = { 0 };
	char reason[IH_REASON_MAX] = "";
	int r = decode_as(in, IH_OPT_COLOR_KEEP, 0, &auto_img, reason);

	tap_ok(kept->orientation == 6 && kept->orient_state == IH_ORIENT_KEPT && kept->width == W &&
		       kept->height == H,
	       "jxl-orientation6.jxl: --orient=keep gives the stored %u x %u and reports "
	       "orientation %u kept",
	       kept->width, kept->height, kept->orientation);
	tap_ok(r == 0 && auto_img.orientation == 6 && auto_img.orient_state == IH_ORIENT_APPLIED &&
		       auto_img.width == H && auto_img.height == W,
	       "jxl-orientation6.jxl: --orient=auto turns it to %u x %u (%s)", auto_img.width,
	       auto_img.height, r ? reason : "ok");
	ih_image_free(&auto_img);
}

/* The ICC profile reaches the colour step (the decoder's copy is djxl's --icc_out), and
 * the default decode converts the pixels to sRGB. */
static void check_icc(const struct blob *in)
{
	struct ih_limits lim;
	struct ih_decode_opts opts = { 0 };
	struct ih_image raw = { 0 }, conv = { 0 };
	struct blob want = { 0 };
	char reason[IH_REASON_MAX] = "";
	int r = run((char *[]){ "djxl", "jxl-icc-profile.jxl", "icc.djxl.png", "--icc_out",
				"icc.djxl.icc", NULL });

	ih_limits_default(&lim);
	r = r ?: read_file("icc.djxl.icc", &want);
	r = r ?: ih_decoder_jxl.decode(&lim, &opts, in->p, in->len, NULL, &raw, reason);
	tap_ok(r == 0 && raw.icc && raw.icc_len == want.len && !memcmp(raw.icc, want.p, want.len),
	       "jxl-icc-profile.jxl: the decoder hands on the pixels' ICC profile, as djxl's "
	       "--icc_out (%zu bytes; %u written into the source)",
	       raw.icc_len, icc_written_len);
	r = r ?: decode_as(in, IH_OPT_ORIENT_KEEP, 0, &conv, reason);
	tap_ok(r == 0 && conv.color_action == IH_COLOR_CONVERTED,
	       "jxl-icc-profile.jxl: the default decode converts it to sRGB (%s)",
	       r ? reason : conv.color_desc);
	ih_image_free(&raw);
	ih_image_free(&conv);
	free(want.p);
}

static void check_good(const struct good *g)
{
	struct blob in = { 0 };
	struct ih_image img = { 0 };
	char reason[IH_REASON_MAX] = "";
	uint32_t frames = strstr(g->name, "anim") ? ANIM_FRAMES : 1;
	int r = read_file(g->name, &in);

	r = r ?: decode_as(&in, raw_flags, 0, &img, reason);
	if (tap_ok(r == 0 && img.frames == frames, "%s: decodes, %u frame(s) (%s)", g->name,
		   img.frames, r ? reason : "ok")) {
		check_djxl(g, &in);
		if (g->bits)
			check_source(g, &img);
		check_sandboxed(g->name, &in, 0, &img);
		if (strstr(g->name, "orientation"))
			check_orientation(&in, &img);
		if (strstr(g->name, "icc"))
			check_icc(&in);
		if (frames > 1)
			check_anim(&in);
	}
	ih_image_free(&img);
	free(in.p);
}

static void put_bits(uint8_t *b, uint32_t *pos, uint64_t v, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++, (*pos)++)
		if (v >> i & 1)
			b[*pos / 8] |= (uint8_t)(1u << (*pos % 8));
}

/*
 * A bare codestream of only a size header and default metadata: w x h declared with
 * nothing after it (the "declared size far beyond the data" bomb). Bits are LSB first:
 * small=0, ysize-1 as U32 selector 3 (30 bits), ratio 0, xsize-1 likewise, all_default=1.
 */
static int write_header_only(const char *name, uint32_t w, uint32_t h)
{
	uint8_t b[20] = { 0xff, 0x0a };
	uint32_t pos = 16;

	put_bits(b, &pos, 0, 1);
	put_bits(b, &pos, 3, 2);
	put_bits(b, &pos, h - 1, 30);
	put_bits(b, &pos, 0, 3);
	put_bits(b, &pos, 3, 2);
	put_bits(b, &pos, w - 1, 30);
	put_bits(b, &pos, 1, 1);
	return write_file(name, b, sizeof(b));
}

/* The container file with k 8-byte "free" boxes after its signature and ftyp boxes. */
static int write_boxes(const char *name, const struct blob *c, uint32_t k)
{
	uint8_t *p = malloc(c->len + 8 * (size_t)k);
	int r = -ENOMEM;

	if (p && c->len > 32) {
		memcpy(p, c->p, 32);
		for (uint32_t i = 0; i < k; i++)
			memcpy(p + 32 + 8 * i,
			       "\0\0\0\x08"
			       "free",
			       8);
		memcpy(p + 32 + 8 * (size_t)k, c->p + 32, c->len - 32);
		r = write_file(name, p, c->len + 8 * (size_t)k);
	}
	free(p);
	return r;
}

static int make_hostiles(void)
{
	struct blob lossy = { 0 }, c = { 0 };
	int r = read_file("jxl-big-rgb8-lossy.jxl", &lossy);

	r = r ?: read_file("jxl-container-rgb8.jxl", &c);
	r = r ?: write_file("jxl-truncated-codestream.jxl", lossy.p, lossy.len / 2);
	for (size_t i = 20; r == 0 && i < 60 && i < lossy.len; i++)
		lossy.p[i] ^= 0x5a;
	r = r ?: write_file("jxl-corrupt-codestream.jxl", lossy.p, lossy.len);
	r = r ?: write_header_only("jxl-declares-18000x18000-in-20-bytes.jxl", 18000, 18000);
	r = r ?: write_header_only("jxl-side-100000x10.jxl", 100000, 10);
	r = r ?: write_header_only("control-side-60000x10.jxl", 60000, 10);
	r = r ?: write_boxes("jxl-container-65-boxes.jxl", &c, 62);
	r = r ?: write_boxes("control-container-64-boxes.jxl", &c, 61);
	if (r == 0 && c.len > 40) {
		c.p[32] = 0x7f; /* the codestream box's size: 2 GiB past the end */
		r = write_file("jxl-container-box-past-end.jxl", c.p, c.len);
	}
	r = r
		    ?: run((char *[]){ "cjxl", "anim-1001.gif", "jxl-anim-1001-frames.jxl", "-d",
				       "0", "--num_threads=1", NULL });
	free(lossy.p);
	free(c.p);
	return r;
}

/* A hostile file and a word its rejection reason must contain (case-insensitive). */
static const struct {
	const char *name;
	const char *word;
} hostiles[] = {
	{ "jxl-truncated-codestream.jxl", "truncated" },
	{ "jxl-corrupt-codestream.jxl", "invalid JPEG XL" },
	{ "jxl-declares-18000x18000-in-20-bytes.jxl", "over the limit" },
	{ "jxl-side-100000x10.jxl", "jxl_max_side" },
	{ "jxl-container-65-boxes.jxl", "jxl_max_boxes" },
	{ "jxl-container-box-past-end.jxl", "truncated JPEG XL container" },
	{ "jxl-anim-1001-frames.jxl", "max_frames" },
};

static void check_hostile(const char *name, const char *word)
{
	struct blob in = { 0 };
	struct ih_image img = { 0 };
	struct ih_limits lim;
	struct ih_decoded d = { 0 };
	char reason[IH_REASON_MAX] = "";
	int r = read_file(name, &in);

	ih_limits_default(&lim);
	if (r == 0)
		r = ih_decode(&lim, NULL, in.p, in.len, &img, reason);
	tap_ok(r < 0 && r != -ENOENT && strcasestr(reason, word) && !img.pixels,
	       "%s: rejected for '%s' by the library, no pixels: %s", name, word, reason);
	if (r == 0)
		ih_image_free(&img);
	r = ih_isolate_decode(&lim, 0, NULL, in.p, in.len, &d);
	tap_ok(r == 0 && d.resp.status == IH_STATUS_REJECTED && strcasestr(d.resp.reason, word) &&
		       d.resp.pixel_len == 0,
	       "%s: rejected for '%s' in the sandbox, no pixels: %s", name, word, d.resp.reason);
	ih_decoded_free(&d);
	free(in.p);
}

static int decode_with(const char *name, const struct ih_limits *lim, char reason[IH_REASON_MAX])
{
	struct blob in = { 0 };
	struct ih_image img = { 0 };
	int r = read_file(name, &in);

	r = r ?: ih_decode(lim, NULL, in.p, in.len, &img, reason);
	ih_image_free(&img);
	free(in.p);
	return r;
}

/* Each limit is what stopped its attack: weaken the attack or the limit, and it passes it. */
static void check_controls(void)
{
	struct ih_limits lim;
	char reason[IH_REASON_MAX] = "";
	int r;

	ih_limits_default(&lim);
	r = decode_with("control-side-60000x10.jxl", &lim, reason);
	tap_ok(r < 0 && !strstr(reason, "jxl_max_side") && strstr(reason, "truncated"),
	       "control: a 60000 x 10 header passes the side limit (then ends): %s", reason);
	r = decode_with("control-container-64-boxes.jxl", &lim, reason);
	tap_ok(r == 0, "control: the container with 64 boxes (the limit) decodes (%s)",
	       r ? reason : "ok");
	lim.max_pixels = 4000000000ull;
	lim.max_memory_bytes = 1ull << 30;
	r = decode_with("jxl-declares-18000x18000-in-20-bytes.jxl", &lim, reason);
	tap_ok(r == -ENOMEM && strstr(reason, "memory limit"),
	       "control: with max_pixels raised, the 18000 x 18000 header is stopped by the "
	       "memory estimate before any pixel buffer: %s",
	       reason);
}

/*
 * A parent that has run no libjxl yet: a library's first use may make a system call the
 * child may not, which the decoder's prepare step must have made in the parent. This runs
 * in a process forked before any decode; it sends one status byte per good file.
 */
static void fresh_parent_decodes(int go, int out)
{
	struct ih_limits lim;
	char c;

	ih_limits_default(&lim);
	if (read(go, &c, 1) != 1)
		_exit(1);
	for (size_t i = 0; i < N_GOODS; i++) {
		struct ih_decoded d = { 0 };
		struct blob in = { 0 };
		uint8_t ok = read_file(goods[i].name, &in) == 0 &&
			     ih_isolate_decode(&lim, 0, NULL, in.p, in.len, &d) == 0 &&
			     d.resp.status == IH_STATUS_OK;

		if (write(out, &ok, 1) != 1)
			_exit(1);
		ih_decoded_free(&d);
		free(in.p);
	}
	_exit(0);
}

static void check_fresh_parent(pid_t pid, int go, int out)
{
	uint8_t ok[N_GOODS] = { 0 };
	size_t n = 0;
	ssize_t k;

	if (write(go, "g", 1) != 1)
		return;
	while (n < N_GOODS && (k = read(out, ok + n, N_GOODS - n)) > 0)
		n += (size_t)k;
	waitpid(pid, NULL, 0);
	for (size_t i = 0; i < N_GOODS; i++)
		tap_ok(i < n && ok[i],
		       "%s: decodes in a sandboxed child of a parent that ran "
		       "no libjxl before",
		       goods[i].name);
}

int main(void)
{
	int go[2], out[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || !mkdtemp(dir))
		return 1;
	pid = fork();
	if (pid == 0)
		fresh_parent_decodes(go[0], out[1]);
	close(out[1]);
	if (!tap_ok(pid > 0 && make_goods() == 0 && make_big() == 0 && make_hostiles() == 0,
		    "JPEG XL files made with cjxl in %s", dir))
		return tap_done();
	check_fresh_parent(pid, go[1], out[0]);
	for (size_t i = 0; i < N_GOODS; i++)
		check_good(&goods[i]);
	for (size_t i = 0; i < sizeof(hostiles) / sizeof(hostiles[0]); i++)
		check_hostile(hostiles[i].name, hostiles[i].word);
	check_controls();
	free(icc_written);
	if (!getenv("IH_KEEP"))
		run((char *[]){ "rm", "-rf", dir, NULL });
	return tap_done();
}
