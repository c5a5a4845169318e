/*
 * The HEIF and AVIF decoders (guest/decode/heif.c, avif.c, isobmff.c): files made here by
 * Debian's encoders (heif-enc, avifenc) from generated pictures decode, in the library and
 * in the sandboxed child, to the pixels Debian's reference decoders (heif-convert,
 * avifdec) give natively; hostile files built here box by box, named for the attack, are
 * each rejected with a reason naming the limit or the error, in the library and in the
 * sandbox.
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

#include <lcms2.h>

#include "../tap.h"
#include "bmff_boxes.h"
#include "guest/decode/decode.h"
#include "guest/sandbox/isolate.h"

static char dir[] = "/tmp/ih-bmff-XXXXXX";

/* Stored order, profile untouched: what the reference decoders give. */
static const uint32_t raw_flags = IH_OPT_ORIENT_KEEP | IH_OPT_COLOR_IGNORE;

static int run(char *const argv[], const char *out)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			      0600);
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (fd < 0 || null < 0 || dup2(fd, 1) < 0 || dup2(null, 2) < 0)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static char *path_of(const char *name)
{
	static char path[4][4096];
	static int k;

	k = (k + 1) % 4;
	snprintf(path[k], sizeof(path[k]), "%s/%s", dir, name);
	return path[k];
}

/* A w x h picture of ch 8-bit (or 16-bit) samples with gradients and edges, as a PAM. */
static int write_source(const char *name, uint32_t w, uint32_t h, uint32_t ch, bool wide,
			uint32_t seed)
{
	static const char *tuple[] = { "", "GRAYSCALE", "GRAYSCALE_ALPHA", "RGB", "RGB_ALPHA" };
	FILE *f = fopen(path_of(name), "we");

	if (!f)
		return -errno;
	fprintf(f, "P7\nWIDTH %u\nHEIGHT %u\nDEPTH %u\nMAXVAL %d\nTUPLTYPE %s\nENDHDR\n", w, h, ch,
		wide ? 65535 : 255, tuple[ch]);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			for (uint32_t c = 0; c < ch; c++) {
				uint32_t v = (x * (c + 3) * 2 + y * (5 - c) + seed * 37 +
					      ((x / 8 + y / 8) % 2) * 90) %
					     256;

				if (ch % 2 == 0 && c == ch - 1)
					v = 255 - (x * 255 / w) / 2; /* alpha: a ramp */
				if (wide)
					fputc((int)v, f);
				fputc((int)(wide ? (v * 7 + x) % 256 : v), f);
			}
	return fclose(f) == 0 ? 0 : -EIO;
}

struct good {
	const char *name; /* the file; its extension names the format */
	uint32_t w, h, ch;
	bool wide; /* a 16-bit source */
	const char *args[6]; /* encoder options */
	uint32_t frames;
};

static const struct good goods[] = {
	{ "heic-8bit-rgb.heic", 96, 64, 3, false, { "-q", "70" }, 1 },
	{ "heic-10bit-rgb.heic", 96, 64, 3, true, { "-b", "10", "-q", "80" }, 1 },
	{ "heic-12bit-rgb.heic", 64, 48, 3, true, { "-b", "12" }, 1 },
	{ "heic-alpha.heic", 80, 64, 4, false, { "-q", "60" }, 1 },
	{ "heic-lossless.heic", 64, 64, 3, false, { "-L" }, 1 },
	{ "heic-odd-size.heic", 77, 51, 3, false, { "-q", "50" }, 1 },
	{ "avif-8bit-420.avif", 96, 64, 3, false, { "-s", "10" }, 1 },
	{ "avif-10bit.avif", 96, 64, 3, true, { "-s", "10", "-d", "10" }, 1 },
	{ "avif-12bit-444.avif", 64, 48, 3, true, { "-s", "10", "-d", "12", "-y", "444" }, 1 },
	{ "avif-alpha.avif", 80, 64, 4, false, { "-s", "10" }, 1 },
	{ "avif-lossless.avif", 64, 64, 3, false, { "-s", "10", "-l" }, 1 },
	{ "avif-grey-400.avif", 64, 48, 3, false, { "-s", "10", "-y", "400" }, 1 },
	{ "avif-odd-size.avif", 77, 51, 3, false, { "-s", "10" }, 1 },
	{ "avif-anim-3.avif", 48, 32, 3, false, { "-s", "10" }, 3 },
};

static bool is_avif(const char *name)
{
	return strstr(name, ".avif") != NULL;
}

/* The encoder's argv for g: sources src0.png... (frames of an animation) into the file. */
static int encode(const struct good *g)
{
	char *argv[16], src[3][64];
	int n = 0;

	argv[n++] = is_avif(g->name) ? "avifenc" : "heif-enc";
	for (int i = 0; i < 6 && g->args[i]; i++)
		argv[n++] = (char *)g->args[i];
	for (uint32_t f = 0; f < g->frames; f++) {
		snprintf(src[f], sizeof(src[f]), "%s/%s.%u.png", dir, g->name, f);
		argv[n++] = src[f];
	}
	if (!is_avif(g->name))
		argv[n++] = "-o";
	argv[n++] = path_of(g->name);
	argv[n] = NULL;
	return run(argv, NULL);
}

static int make_good(const struct good *g)
{
	for (uint32_t f = 0; f < g->frames; f++) {
		char pam[128], png[128];
		int r;

		snprintf(pam, sizeof(pam), "%s.%u.pam", g->name, f);
		snprintf(png, sizeof(png), "%s.%u.png", g->name, f);
		r = write_source(pam, g->w, g->h, g->ch, g->wide, f);
		if (r == 0)
			r = run((char *[]){ "pamtopng", path_of(pam), NULL }, path_of(png));
		if (r < 0)
			return r;
	}
	return encode(g);
}

struct blob {
	uint8_t *p;
	size_t len;
};

static int read_path(const char *path, struct blob *ret)
{
	FILE *f = fopen(path, "rbe");
	struct stat st;

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

/* A netpbm P6 or P7 file (pngtopam's output). */
struct pnm {
	uint32_t w, h, ch, maxval;
	const uint8_t *px;
};

static int pnm_parse(const struct blob *b, struct pnm *ret)
{
	unsigned w, h, d, m;
	int off = 0;
	const char *end;

	if (b->len > 2 && !memcmp(b->p, "P6", 2)) {
		if (sscanf((const char *)b->p, "P6 %u %u %u%n", &w, &h, &m, &off) != 3)
			return -EINVAL;
		*ret = (struct pnm){ w, h, 3, m, b->p + off + 1 };
	} else {
		end = memmem(b->p, b->len, "ENDHDR\n", 7);
		if (!end ||
		    sscanf((const char *)b->p, "P7\nWIDTH %u\nHEIGHT %u\nDEPTH %u\nMAXVAL %u", &w,
			   &h, &d, &m) != 4)
			return -EINVAL;
		*ret = (struct pnm){ w, h, d, m, (const uint8_t *)end + 7 };
	}
	if ((size_t)(b->p + b->len - ret->px) != (size_t)w * h * ret->ch * (m > 255 ? 2 : 1))
		return -EINVAL;
	return 0;
}

/* The reference decoder's pixels of frame 0, through PNG and pngtopam. */
static int reference(const struct good *g, struct blob *ret, struct pnm *pnm)
{
	char png[128], pam[128];
	int r;

	snprintf(png, sizeof(png), "%s.ref.png", g->name);
	snprintf(pam, sizeof(pam), "%s.ref.pam", g->name);
	r = is_avif(g->name)
		    ? run((char *[]){ "avifdec", path_of(g->name), path_of(png), NULL }, NULL)
		    : run((char *[]){ "heif-convert", path_of(g->name), path_of(png), NULL }, NULL);
	if (r == 0)
		r = run((char *[]){ "pngtopam", "-alphapam", path_of(png), NULL }, path_of(pam));
	if (r == 0)
		r = read_path(path_of(pam), ret);
	if (r == 0)
		r = pnm_parse(ret, pnm);
	return r;
}

static uint32_t sample(const uint8_t *p, size_t i, bool wide)
{
	return wide ? (uint32_t)p[2 * i] << 8 | p[2 * i + 1] : p[i];
}

/*
 * Ours against the reference, sample by sample. pngtopam -alphapam adds an opaque alpha to
 * an image without one. A HEIF of more than 8 bits: heif-convert writes the source's
 * samples shifted up (v << (16 - bits)), ours are scaled to the full 16-bit range (bit
 * replication): both are compared at the source's bits, exactly.
 */
static bool same_pixels(const struct ih_image *img, const struct pnm *ref, bool heif)
{
	bool wide = img->depth == 16;
	uint32_t shift = heif && wide ? 16 - img->src_depth : 0;

	if (img->width != ref->w || img->height != ref->h || wide != (ref->maxval > 255))
		return false;
	for (size_t i = 0; i < (size_t)img->width * img->height; i++)
		for (uint32_t c = 0; c < ref->ch; c++) {
			uint32_t mine = c < img->channels
						? sample(img->pixels, i * img->channels + c, wide)
						: ref->maxval;
			uint32_t theirs = sample(ref->px, i * ref->ch + c, wide);

			if (mine >> shift != theirs >> shift)
				return false;
		}
	return true;
}

static int decode_file(const char *name, uint32_t flags, uint32_t frame, struct ih_image *img,
		       char *reason)
{
	struct ih_limits lim;
	struct ih_decode_opts opts = { .flags = flags, .frame = frame };
	struct blob in = { 0 };
	int r = read_path(path_of(name), &in);

	ih_limits_default(&lim);
	if (r == 0)
		r = ih_decode(&lim, &opts, in.p, in.len, img, reason);
	else
		snprintf(reason, IH_REASON_MAX, "cannot read %s", name);
	free(in.p);
	return r;
}

static void check_sandboxed(const char *name, const struct ih_image *img)
{
	struct ih_limits lim;
	struct ih_decode_opts opts = { .flags = raw_flags };
	struct ih_decoded d = { 0 };
	struct blob in = { 0 };
	int r = read_path(path_of(name), &in);

	ih_limits_default(&lim);
	if (r == 0)
		r = ih_isolate_decode(&lim, 0, &opts, in.p, in.len, &d);
	tap_ok(r == 0 && d.resp.status == IH_STATUS_OK && d.resp.width == img->width &&
		       d.resp.height == img->height && d.resp.channels == img->channels &&
		       d.resp.depth == img->depth && d.resp.frames == img->frames &&
		       d.resp.pixel_len == img->len && !memcmp(d.pixels, img->pixels, img->len),
	       "%s: the sandboxed child gives the same %u-channel %u-bit pixels, %u frame(s) (%s)",
	       name, img->channels, img->depth, img->frames,
	       r			       ? strerror(-r)
	       : d.resp.status == IH_STATUS_OK ? "ok"
					       : d.resp.reason);
	ih_decoded_free(&d);
	free(in.p);
}

static void check_good(const struct good *g)
{
	struct ih_image img = { 0 };
	struct blob refb = { 0 };
	struct pnm ref;
	char reason[IH_REASON_MAX] = "";
	int r = make_good(g);

	if (!tap_ok(r == 0, "%s: made by %s", g->name, is_avif(g->name) ? "avifenc" : "heif-enc"))
		return;
	r = decode_file(g->name, raw_flags, 0, &img, reason);
	if (!tap_ok(r == 0 && img.frames == g->frames,
		    "%s: decodes, %u frame(s), %u-bit source (%s)", g->name, img.frames,
		    img.src_depth, r ? reason : "ok"))
		return;
	r = reference(g, &refb, &ref);
	tap_ok(r == 0 && same_pixels(&img, &ref, !is_avif(g->name)),
	       "%s: pixel-exact with Debian's %s run natively (%u-bit output compared%s)", g->name,
	       is_avif(g->name) ? "avifdec" : "heif-convert", img.depth,
	       !is_avif(g->name) && img.depth == 16 ? " at the source's bits" : "");
	check_sandboxed(g->name, &img);
	if (g->frames > 1) {
		struct ih_image past = { 0 };

		r = decode_file(g->name, raw_flags, g->frames, &past, reason);
		tap_ok(r == -EINVAL && strstr(reason, "frame"),
		       "%s: frame %u (past the last) is refused: %s", g->name, g->frames, reason);
		if (r == 0)
			ih_image_free(&past);
	}
	ih_image_free(&img);
	free(refb.p);
}

/* --depth=8 gives the 16-bit output scaled, v * 255 / 65535 rounded. */
static void check_depth8(void)
{
	struct ih_image a = { 0 }, b = { 0 };
	char reason[IH_REASON_MAX] = "";
	bool ok = decode_file("avif-10bit.avif", raw_flags, 0, &a, reason) == 0 &&
		  decode_file("avif-10bit.avif", raw_flags | IH_OPT_DEPTH8, 0, &b, reason) == 0 &&
		  a.depth == 16 && b.depth == 8 && b.len * 2 == a.len;

	for (size_t i = 0; ok && i < b.len; i++)
		ok = b.pixels[i] == (sample(a.pixels, i, true) * 255 + 32767) / 65535;
	tap_ok(ok, "avif-10bit.avif: --depth=8 is the 16-bit output scaled and rounded");
	ih_image_free(&a);
	ih_image_free(&b);
}

/* irot/imir: avifenc writes them, libavif leaves them; the orientation step turns the
 * pixels as heif-convert (libheif applies them) does; --orient=keep leaves them. */
static void check_transforms(void)
{
	static const struct {
		const char *name, *opt, *val;
		uint32_t exif;
	} t[] = {
		{ "avif-irot1.avif", "--irot", "1", 8 },
		{ "avif-irot3.avif", "--irot", "3", 6 },
		{ "avif-imir0.avif", "--imir", "0", 4 },
		{ "avif-imir1.avif", "--imir", "1", 2 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct good g = { t[i].name, 40,    24,
				  3,	     false, { "-s", "10", "-l", t[i].opt, t[i].val },
				  1 };
		struct ih_image img = { 0 }, kept = { 0 };
		struct blob refb = { 0 };
		struct pnm ref;
		char reason[IH_REASON_MAX] = "", png[128], pam[128];
		bool ok = make_good(&g) == 0 &&
			  decode_file(t[i].name, IH_OPT_COLOR_IGNORE, 0, &img, reason) == 0 &&
			  decode_file(t[i].name, raw_flags, 0, &kept, reason) == 0;

		snprintf(png, sizeof(png), "%s.heif-convert.png", t[i].name);
		snprintf(pam, sizeof(pam), "%s.heif-convert.pam", t[i].name);
		ok = ok &&
		     run((char *[]){ "heif-convert", path_of(t[i].name), path_of(png), NULL },
			 NULL) == 0 &&
		     run((char *[]){ "pngtopam", "-alphapam", path_of(png), NULL }, path_of(pam)) ==
			     0 &&
		     read_path(path_of(pam), &refb) == 0 && pnm_parse(&refb, &ref) == 0;
		tap_ok(ok && img.orientation == t[i].exif &&
			       img.orient_state == IH_ORIENT_APPLIED &&
			       same_pixels(&img, &ref, false),
		       "%s (%s %s): turned as EXIF %u, pixel-exact with heif-convert's (%s)",
		       t[i].name, t[i].opt, t[i].val, img.orientation, ok ? "ok" : reason);
		tap_ok(ok && kept.orient_state == IH_ORIENT_KEPT && kept.width == 40,
		       "%s: --orient=keep leaves the stored 40 x 24 order", t[i].name);
		ih_image_free(&img);
		ih_image_free(&kept);
		free(refb.p);
	}
}

/* avifdec's pixels of name (stored values, no conversion) through a Display P3 profile
 * made here from H.273's numbers for code point 12 and the sRGB curve, to sRGB by lcms2,
 * perceptual as the colour step converts: what a P3-tagged file must give. */
static bool p3_reference(const struct pnm *ref, uint8_t *out)
{
	static const double curve[5] = { 2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045 };
	cmsCIExyY d65 = { 0.3127, 0.3290, 1 };
	cmsCIExyYTRIPLE p3 = { { 0.680, 0.320, 1 }, { 0.265, 0.690, 1 }, { 0.150, 0.060, 1 } };
	cmsToneCurve *t = cmsBuildParametricToneCurve(NULL, 4, curve);
	cmsToneCurve *t3[3] = { t, t, t };
	cmsHPROFILE src = cmsCreateRGBProfile(&d65, &p3, t3), dst = cmsCreate_sRGBProfile();
	cmsHTRANSFORM xf = src && dst ? cmsCreateTransform(src, TYPE_RGBA_8, dst, TYPE_RGBA_8,
							   INTENT_PERCEPTUAL, 0)
				      : NULL;

	if (xf)
		cmsDoTransform(xf, ref->px, out, ref->w * ref->h);
	if (xf)
		cmsDeleteTransform(xf);
	cmsCloseProfile(src);
	cmsCloseProfile(dst);
	cmsFreeToneCurve(t);
	return xf != NULL;
}

/* Colour stated by CICP code points: avifenc's default (sRGB) is left alone; Display P3
 * is converted to sRGB as its profile says; PQ (HDR) is left as decoded with a note. */
static void check_cicp(void)
{
	struct good srgb = {
		"avif-cicp-srgb.avif", 48, 32, 3, false, { "-s", "10", "-y", "444" }, 1
	};
	struct good p3 = { "avif-cicp-p3.avif",
			   48,
			   32,
			   3,
			   false,
			   { "-s", "10", "-y", "444", "--cicp", "12/13/6" },
			   1 };
	struct good pq = { "avif-cicp-pq.avif",
			   48,
			   32,
			   3,
			   false,
			   { "-s", "10", "-y", "444", "--cicp", "9/16/9" },
			   1 };
	struct ih_image a = { 0 }, b = { 0 }, c = { 0 };
	struct blob refb = { 0 };
	struct pnm ref;
	char reason[IH_REASON_MAX] = "";
	uint8_t *want = NULL;
	int worst = 256;
	bool ok = make_good(&srgb) == 0 &&
		  decode_file(srgb.name, IH_OPT_ORIENT_KEEP, 0, &a, reason) == 0;

	tap_ok(ok && a.color_action == IH_COLOR_NONE,
	       "avif-cicp-srgb.avif: sRGB code points (1/13/6): no conversion (%s)",
	       ok ? a.color_note : reason);
	ok = make_good(&p3) == 0 && decode_file(p3.name, IH_OPT_ORIENT_KEEP, 0, &b, reason) == 0 &&
	     reference(&p3, &refb, &ref) == 0 && ref.maxval == 255 &&
	     (want = malloc((size_t)ref.w * ref.h * 4)) && p3_reference(&ref, want);
	for (size_t i = 0; ok && i < (size_t)b.width * b.height; i++)
		for (int ch = 0; ch < 3; ch++) {
			int d = abs((int)b.pixels[i * 3 + ch] - (int)want[i * 4 + ch]);

			worst = i || ch ? (d > worst ? d : worst) : d;
		}
	tap_ok(ok && b.color_action == IH_COLOR_CONVERTED && worst <= 1,
	       "avif-cicp-p3.avif: Display P3 code points (12/13/6) converted to sRGB, within "
	       "%d level(s) of lcms2 through a profile of H.273's P3 numbers (%s)",
	       worst, ok ? b.color_desc : reason);
	ok = make_good(&pq) == 0 && decode_file(pq.name, IH_OPT_ORIENT_KEEP, 0, &c, reason) == 0;
	tap_ok(ok && c.color_action == IH_COLOR_REFUSED && strstr(c.color_note, "not converted"),
	       "avif-cicp-pq.avif: BT.2020 PQ (9/16/9) left as decoded, the record says so: %s",
	       ok ? c.color_note : reason);
	free(want);
	free(refb.p);
	ih_image_free(&a);
	ih_image_free(&b);
	ih_image_free(&c);
}

/* A hostile file: rejected by the library and by the sandboxed child, the reason holding
 * word. */
static void check_hostile_under(const char *name, const struct blob *in, const char *word,
				uint64_t max_pixels)
{
	struct ih_image img = { 0 };
	struct ih_limits lim;
	struct ih_decoded d = { 0 };
	char reason[IH_REASON_MAX] = "";
	int r;

	ih_limits_default(&lim);
	if (max_pixels)
		lim.max_pixels = max_pixels;
	r = ih_decode(&lim, NULL, in->p, in->len, &img, reason);
	tap_ok(r < 0 && strcasestr(reason, word), "%s: rejected for '%s' by the library: %s", name,
	       word, reason);
	if (r == 0)
		ih_image_free(&img);
	r = ih_isolate_decode(&lim, 0, NULL, in->p, in->len, &d);
	tap_ok(r == 0 && d.resp.status == IH_STATUS_REJECTED && strcasestr(d.resp.reason, word),
	       "%s: rejected for '%s' in the sandbox: %s", name, word, d.resp.reason);
	ih_decoded_free(&d);
}

static void check_hostile(const char *name, const struct blob *in, const char *word)
{
	check_hostile_under(name, in, word, 0);
}

/* The HEVC stream's own picture size (its SPS) is checked too, not only the ispe the
 * container claims: a 96 x 64 HEIC whose ispe says 8 x 8, under a limit of 1000 pixels. */
static void check_sps(const struct blob *heic)
{
	struct blob m = { malloc(heic->len), heic->len };

	if (!m.p)
		return;
	memcpy(m.p, heic->p, heic->len);
	bmff_set_ispe(m.p, m.len, 8, 8);
	check_hostile_under("heic-ispe-8x8-over-a-96x64-hevc-stream", &m, "SPS", 1000);
	{ /* control: under a limit the stream fits, the SPS check lets it through */
		struct ih_limits lim;
		struct ih_image img = { 0 };
		char reason[IH_REASON_MAX] = "";
		int r;

		ih_limits_default(&lim);
		lim.max_pixels = 96 * 64;
		r = ih_decode(&lim, NULL, m.p, m.len, &img, reason);
		tap_ok(r == 0 || !strstr(reason, "SPS"),
		       "control: the same file under a 6144-pixel limit passes the SPS check (%s)",
		       r ? reason : "decodes");
		if (r == 0)
			ih_image_free(&img);
	}
	free(m.p);
}

/* Hostile variants of a good file, each changed in one place. */
static void check_mutants(void)
{
	struct blob heic = { 0 }, avif = { 0 };

	if (!tap_ok(read_path(path_of("heic-8bit-rgb.heic"), &heic) == 0 &&
			    read_path(path_of("avif-8bit-420.avif"), &avif) == 0,
		    "the good files to mutate are there"))
		return;
	for (int k = 0; k < 2; k++) {
		const struct blob *b = k ? &avif : &heic;
		const char *f = k ? "avif" : "heic";
		struct blob m = { malloc(b->len + 16), 0 };
		char name[96];

		if (!m.p)
			return;
		m.len = b->len * 6 / 10;
		memcpy(m.p, b->p, b->len);
		snprintf(name, sizeof(name), "%s-truncated-at-60-percent", f);
		check_hostile(name, &m, "truncated");
		m.len = b->len;
		bmff_set_size(m.p, m.len, "meta", 0x7fffff00u);
		snprintf(name, sizeof(name), "%s-meta-size-past-the-end", f);
		check_hostile(name, &m, "truncated");
		memcpy(m.p, b->p, b->len);
		bmff_set_ispe(m.p, m.len, 40000, 40000);
		snprintf(name, sizeof(name), "%s-ispe-40000x40000-declared-far-beyond-the-data", f);
		check_hostile(name, &m, "over the limit");
		memcpy(m.p, b->p, b->len);
		bmff_set_ispe(m.p, m.len, 70000, 16);
		snprintf(name, sizeof(name), "%s-ispe-70000x16-a-side-past-bmff_max_side", f);
		check_hostile(name, &m, "(bmff_max_side)");
		memcpy(m.p, b->p, b->len);
		bmff_zero_box(m.p, m.len, "mdat");
		snprintf(name, sizeof(name), "%s-corrupt-codestream-zeroed", f);
		check_hostile(name, &m, k ? "(libavif)" : "(libheif)");
		free(m.p);
	}
	check_sps(&heic);
	free(heic.p);
	free(avif.p);
}

/* Files built box by box: they are refused by the walk before libheif reads them. */
static void check_built(void)
{
	static const struct {
		enum bmff_attack attack;
		const char *name, *word;
	} t[] = {
		{ BMFF_GRID_OF_HUGE_TILES, "heif-grid-of-64-tiles-of-6000x6000",
		  "twice the limit" },
		{ BMFF_TILE_FLOOD, "heif-grid-of-3000-tiles", "bmff_max_tiles" },
		{ BMFF_RECURSIVE_REFS, "heif-grid-referencing-itself-through-another",
		  "bmff_max_ref_depth" },
		{ BMFF_SELF_REF, "heif-grid-referencing-itself", "bmff_max_ref_depth" },
		{ BMFF_ITEM_FLOOD, "heif-5000-items", "bmff_max_items" },
		{ BMFF_DEEP_NESTING, "heif-boxes-nested-40-deep", "bmff_max_depth" },
		{ BMFF_BOX_FLOOD, "heif-30000-free-boxes", "bmff_max_boxes" },
		{ BMFF_DANGLING_REF, "heif-grid-naming-a-missing-tile", "not there" },
		{ BMFF_AV1_IN_HEIF, "heif-av1-item-without-an-avif-brand", "av01" },
		{ BMFF_NO_PITM, "heif-without-a-primary-item", "pitm" },
		{ BMFF_GRID_OVER_ISPE, "heif-grid-header-30000x30000-over-its-ispe", "declares" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct blob b = { 0 };

		if (bmff_build(t[i].attack, &b.p, &b.len) < 0) {
			tap_ok(0, "%s: built", t[i].name);
			continue;
		}
		check_hostile(t[i].name, &b, t[i].word);
		free(b.p);
	}
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	ih_decoders_prepare(); /* libheif's HEVC plugin for the library's decodes too */
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++)
		check_good(&goods[i]);
	check_depth8();
	check_transforms();
	check_cicp();
	check_mutants();
	check_built();
	if (!getenv("IH_KEEP"))
		run((char *[]){ "rm", "-rf", dir, NULL }, NULL);
	return tap_done();
}
