/*
 * The colour step (guest/decode/color.h): Little CMS 2 applies the image's embedded ICC
 * profile, inside the decoder child, after the decoder.
 *
 * The profile is hostile bytes. Before lcms2 sees it, it must be at most max_icc_bytes
 * (guest/decode/limits.conf) and no shorter than the length it declares. lcms2 runs in a
 * context of its own whose every allocation goes through a counter that refuses past
 * mem_max, and whose errors become the report's note (nothing is printed). A profile lcms2
 * refuses, of a class that does not describe pixels (device link, abstract, named colour)
 * or of a colour space that is not the pixels' (a CMYK or grey profile on RGB pixels...)
 * leaves the pixels unconverted: action "refused", the note says why.
 *
 * Conversion: perceptual intent, no black point compensation (what lcms2's tificc and
 * jpgicc do by default), one transform over the whole buffer, in place, alpha copied
 * through (cmsFLAGS_COPY_ALPHA). RGB goes to sRGB; grey with a grey profile stays grey,
 * converted to a grey of sRGB's tone curve and D65 white. 16-bit samples are big-endian
 * (lcms2's byte-swapped formats on a little-endian host).
 *
 * CMYK pixels (0 = no ink) always leave as RGB: through a CMYK profile when the image has
 * one that lcms2 accepts, else by the usual uncalibrated formula, per channel
 *   R = (255 - C) * (255 - K) / 255   (G from M, B from Y; rounded to nearest)
 * and with 65535 in place of 255 for 16-bit samples. It ignores ink and paper, so its
 * colours are only approximate, but it is what most viewers do without a profile.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lcms2.h>
#include <lcms2_plugin.h>

#include "color.h"
#include "format_limits.h"

/* The size of an ICC header plus the tag count: the least a profile can be. */
#define ICC_HEADER_LEN 132

/* Every block lcms2 gets starts with its size, kept at max_align_t alignment. */
#define MEM_HDR sizeof(max_align_t)

/* One run of the colour step: lcms2's context, its memory counter, the first error. */
struct color_run {
	size_t used;
	size_t max;
	cmsContext ctx;
	char note[IH_NOTE_MAX];
};

static void note_set(char note[IH_NOTE_MAX], const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* printf into note[], cut to fit, non-printable bytes replaced by '?'. */
static void note_set(char note[IH_NOTE_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(note, IH_NOTE_MAX, fmt, ap);
	va_end(ap);
	for (size_t i = 0; note[i]; i++)
		if ((unsigned char)note[i] < 0x20 || (unsigned char)note[i] > 0x7e)
			note[i] = '?';
}

static void *mem_malloc(cmsContext id, cmsUInt32Number n)
{
	struct color_run *run = cmsGetContextUserData(id);
	unsigned char *p;
	size_t sz = n;

	if (run->used > run->max || MEM_HDR > run->max - run->used ||
	    sz > run->max - run->used - MEM_HDR)
		return NULL;
	p = malloc(MEM_HDR + sz);
	if (!p)
		return NULL;
	run->used += MEM_HDR + sz;
	memcpy(p, &sz, sizeof(sz));
	return p + MEM_HDR;
}

static void mem_free(cmsContext id, void *ptr)
{
	struct color_run *run = cmsGetContextUserData(id);
	unsigned char *p = ptr;
	size_t sz;

	if (!p)
		return;
	p -= MEM_HDR;
	memcpy(&sz, p, sizeof(sz));
	run->used -= MEM_HDR + sz;
	free(p);
}

static void *mem_realloc(cmsContext id, void *ptr, cmsUInt32Number n)
{
	unsigned char *p = mem_malloc(id, n);
	size_t old;

	if (!p || !ptr)
		return p;
	memcpy(&old, (unsigned char *)ptr - MEM_HDR, sizeof(old));
	memcpy(p, ptr, old < n ? old : n);
	mem_free(id, ptr);
	return p;
}

static cmsPluginMemHandler mem_plugin = {
	.base = { cmsPluginMagicNumber, 2000, cmsPluginMemHandlerSig, NULL },
	.MallocPtr = mem_malloc,
	.FreePtr = mem_free,
	.ReallocPtr = mem_realloc,
};

/* lcms2's errors: the first one is the note, the rest add nothing a user can act on. */
static void log_error(cmsContext id, cmsUInt32Number code, const char *text)
{
	struct color_run *run = cmsGetContextUserData(id);

	(void)code;
	if (!run->note[0])
		note_set(run->note, "lcms2: %s", text);
}

static int run_start(struct color_run *run, size_t mem_max)
{
	*run = (struct color_run){ .max = mem_max };
	run->ctx = cmsCreateContext(&mem_plugin, run);
	if (!run->ctx)
		return -ENOMEM;
	cmsSetLogErrorHandlerTHR(run->ctx, log_error);
	return 0;
}

static void run_end(struct color_run *run)
{
	if (run->ctx)
		cmsDeleteContext(run->ctx);
	run->ctx = NULL;
}

static void profile_close(cmsHPROFILE *p)
{
	if (*p)
		cmsCloseProfile(*p);
}

static void transform_free(cmsHTRANSFORM *t)
{
	if (*t)
		cmsDeleteTransform(*t);
}

#define cleanup_profile __attribute__((cleanup(profile_close)))
#define cleanup_transform __attribute__((cleanup(transform_free)))

static bool host_little_endian(void)
{
	const uint16_t one = 1;

	return *(const uint8_t *)&one == 1;
}

static void drop_icc(struct ih_image *img)
{
	free(img->icc);
	img->icc = NULL;
	img->icc_len = 0;
}

/* The geometry the decoder left must hold together before a byte is touched. */
static int check_image(const struct ih_image *img, char reason[IH_REASON_MAX])
{
	size_t n;

	if (img->channels < 1 || img->channels > 4 || (img->depth != 8 && img->depth != 16) ||
	    (img->cmyk && img->channels != 4) || !img->pixels) {
		ih_reason_set(reason, "colour: %u channels of %u bits is not an image layout",
			      img->channels, img->depth);
		return -EINVAL;
	}
	if (__builtin_mul_overflow((size_t)img->width, img->height, &n) ||
	    __builtin_mul_overflow(n, (size_t)img->channels * img->depth / 8, &n) ||
	    n != img->len || (uint64_t)img->width * img->channels * 2 > UINT32_MAX ||
	    img->height > UINT32_MAX) {
		ih_reason_set(reason, "colour: %zu pixel bytes do not make %ux%u", img->len,
			      img->width, img->height);
		return -EINVAL;
	}
	if (img->icc_len && !img->icc) {
		ih_reason_set(reason, "colour: a profile length without a profile");
		return -EINVAL;
	}
	return 0;
}

static unsigned cmyk_8(unsigned ink, unsigned k)
{
	return ((255 - ink) * (255 - k) + 127) / 255;
}

static unsigned cmyk_16(uint32_t ink, uint32_t k)
{
	return ((65535 - ink) * (65535 - k) + 32767) / 65535;
}

/* The uncalibrated formula, in place, front to back: each pixel is read before the
 * (shorter) RGB pixel is written at or before it. */
static void cmyk_by_formula(struct ih_image *img)
{
	size_t npx = img->len / (img->depth == 16 ? 8 : 4);
	uint8_t *px = img->pixels;

	for (size_t i = 0; i < npx; i++) {
		if (img->depth == 8) {
			unsigned c = px[4 * i], m = px[4 * i + 1], y = px[4 * i + 2];
			unsigned k = px[4 * i + 3];

			px[3 * i] = (uint8_t)cmyk_8(c, k);
			px[3 * i + 1] = (uint8_t)cmyk_8(m, k);
			px[3 * i + 2] = (uint8_t)cmyk_8(y, k);
		} else {
			const uint8_t *s = px + 8 * i;
			uint32_t v[4];
			uint8_t *d = px + 6 * i;

			for (int j = 0; j < 4; j++)
				v[j] = (uint32_t)s[2 * j] << 8 | s[2 * j + 1];
			for (int j = 0; j < 3; j++) {
				unsigned o = cmyk_16(v[j], v[3]);

				d[2 * j] = (uint8_t)(o >> 8);
				d[2 * j + 1] = (uint8_t)o;
			}
		}
	}
	img->channels = 3;
	img->len = npx * 3 * (img->depth / 8);
	img->cmyk = false;
}

/* The colour space the pixels are in, as lcms2 names it. */
static cmsColorSpaceSignature pixel_space(const struct ih_image *img)
{
	if (img->cmyk)
		return cmsSigCmykData;
	return img->channels <= 2 ? cmsSigGrayData : cmsSigRgbData;
}

static const char *space_name(cmsColorSpaceSignature s)
{
	switch (s) {
	case cmsSigGrayData:
		return "grey";
	case cmsSigRgbData:
		return "RGB";
	case cmsSigCmykData:
		return "CMYK";
	case cmsSigLabData:
		return "Lab";
	case cmsSigXYZData:
		return "XYZ";
	default:
		return "another colour space";
	}
}

/* The most profile bytes lcms2 reads or a response carries (--color=keep). */
static size_t icc_max(void)
{
	uint64_t n = ih_format_limits.max_icc_bytes;

	return n < IH_ICC_MAX_BYTES ? (size_t)n : IH_ICC_MAX_BYTES;
}

/* Checks on the raw bytes that need no parser: the length, and that it is all there. */
static int profile_precheck(const struct ih_image *img, char note[IH_NOTE_MAX])
{
	const uint8_t *p = img->icc;
	uint32_t declared;

	if (img->icc_len > icc_max()) {
		note_set(note, "profile of %zu bytes is over the limit of %zu", img->icc_len,
			 icc_max());
		return -E2BIG;
	}
	if (img->icc_len < ICC_HEADER_LEN) {
		note_set(note, "profile of %zu bytes is shorter than its header", img->icc_len);
		return -EINVAL;
	}
	declared = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	if (declared > img->icc_len) {
		note_set(note, "profile truncated: %zu of its %u bytes", img->icc_len, declared);
		return -EINVAL;
	}
	return 0;
}

/* The profile's description, printable ASCII only, cut to fit; "" when it has none. */
static void profile_desc(cmsHPROFILE h, char desc[IH_DESC_MAX])
{
	char buf[IH_DESC_MAX];
	size_t o = 0;

	desc[0] = '\0';
	if (!cmsGetProfileInfoASCII(h, cmsInfoDescription, "en", "US", buf, sizeof(buf)))
		return;
	buf[sizeof(buf) - 1] = '\0';
	for (size_t i = 0; buf[i] && o < IH_DESC_MAX - 1; i++)
		desc[o++] = (unsigned char)buf[i] >= 0x20 && (unsigned char)buf[i] <= 0x7e ? buf[i]
											   : '?';
	desc[o] = '\0';
}

/* A profile that can describe these pixels: an input, display, output or colour-space
 * profile, of the pixels' colour space. */
static int profile_fits(cmsHPROFILE h, const struct ih_image *img, char note[IH_NOTE_MAX])
{
	cmsProfileClassSignature cls = cmsGetDeviceClass(h);
	cmsColorSpaceSignature have = cmsGetColorSpace(h), want = pixel_space(img);

	if (cls != cmsSigInputClass && cls != cmsSigDisplayClass && cls != cmsSigOutputClass &&
	    cls != cmsSigColorSpaceClass) {
		note_set(note, "a %s profile does not describe pixels",
			 cls == cmsSigLinkClass		? "device link"
			 : cls == cmsSigAbstractClass	? "abstract"
			 : cls == cmsSigNamedColorClass ? "named colour"
							: "unknown class of");
		return -EINVAL;
	}
	if (have != want) {
		note_set(note, "profile is %s, pixels are %s", space_name(have), space_name(want));
		return -EINVAL;
	}
	return 0;
}

/* Opens the profile and checks it fits the pixels; *ret_desc is filled when it opens. */
static int profile_open(struct color_run *run, const struct ih_image *img, cmsHPROFILE *ret,
			char desc[IH_DESC_MAX])
{
	cmsHPROFILE h;
	int r;

	r = profile_precheck(img, run->note);
	if (r < 0)
		return r;
	h = cmsOpenProfileFromMemTHR(run->ctx, img->icc, (cmsUInt32Number)img->icc_len);
	if (!h) {
		if (!run->note[0])
			note_set(run->note, "lcms2 could not open the profile");
		return -EINVAL;
	}
	profile_desc(h, desc);
	run->note[0] = '\0'; /* an unreadable description is no reason to refuse */
	r = profile_fits(h, img, run->note);
	if (r < 0) {
		cmsCloseProfile(h);
		return r;
	}
	*ret = h;
	return 0;
}

/* --color=keep: the profile as lcms2 writes it back, in place of the bytes of the file. */
static int profile_keep(struct color_run *run, cmsHPROFILE h, struct ih_image *img)
{
	cmsUInt32Number n = 0;
	uint8_t *buf;

	if (!cmsSaveProfileToMem(h, NULL, &n) || n < ICC_HEADER_LEN) {
		if (!run->note[0])
			note_set(run->note, "lcms2 could not write the profile back");
		return -EINVAL;
	}
	if (n > icc_max()) {
		note_set(run->note, "profile written back is %u bytes, over the limit of %zu", n,
			 icc_max());
		return -E2BIG;
	}
	if (run->used > run->max || n > run->max - run->used)
		goto nomem;
	buf = malloc(n);
	if (!buf)
		goto nomem;
	if (!cmsSaveProfileToMem(h, buf, &n)) {
		free(buf);
		if (!run->note[0])
			note_set(run->note, "lcms2 could not write the profile back");
		return -EINVAL;
	}
	free(img->icc);
	img->icc = buf;
	img->icc_len = n;
	return 0;
nomem:
	note_set(run->note, "no memory left to keep a profile of %u bytes", n);
	return -ENOMEM;
}

/* lcms2's name for the layout of img's pixels (rgb_out: the 3 RGB channels CMYK becomes). */
static cmsUInt32Number pixel_format(const struct ih_image *img, bool rgb_out)
{
	bool alpha = !img->cmyk && (img->channels == 2 || img->channels == 4);
	cmsUInt32Number colour = img->channels - alpha, space;

	if (rgb_out) {
		colour = 3;
		space = PT_RGB;
	} else {
		space = img->cmyk ? PT_CMYK : colour == 1 ? PT_GRAY : PT_RGB;
	}
	return COLORSPACE_SH(space) | CHANNELS_SH(colour) | EXTRA_SH(alpha) |
	       BYTES_SH(img->depth / 8) | ENDIAN16_SH(img->depth == 16 && host_little_endian());
}

/* sRGB, or for grey pixels a grey of sRGB's tone curve and D65 white. */
static cmsHPROFILE srgb_for(struct color_run *run, const struct ih_image *img)
{
	static const cmsFloat64Number srgb_trc[5] = { 2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92,
						      0.04045 };
	static const cmsCIExyY d65 = { 0.3127, 0.3290, 1.0 };
	cmsToneCurve *trc;
	cmsHPROFILE h;

	if (pixel_space(img) != cmsSigGrayData)
		return cmsCreate_sRGBProfileTHR(run->ctx);
	trc = cmsBuildParametricToneCurve(run->ctx, 4, srgb_trc);
	if (!trc)
		return NULL;
	h = cmsCreateGrayProfileTHR(run->ctx, &d65, trc);
	cmsFreeToneCurve(trc);
	return h;
}

/* The transform from src to sRGB for img's pixels, or NULL with the note set. */
static cmsHTRANSFORM transform_for(struct color_run *run, cmsHPROFILE src,
				   const struct ih_image *img)
{
	cleanup_profile cmsHPROFILE dst = srgb_for(run, img);
	cmsUInt32Number in_fmt = pixel_format(img, false), out_fmt = pixel_format(img, img->cmyk);
	cmsHTRANSFORM xf = NULL;

	if (dst)
		xf = cmsCreateTransformTHR(run->ctx, src, in_fmt, dst, out_fmt, INTENT_PERCEPTUAL,
					   T_EXTRA(in_fmt) ? cmsFLAGS_COPY_ALPHA : 0);
	if (!xf && !run->note[0])
		note_set(run->note, "lcms2 could not make a transform from the profile");
	return xf;
}

/* --color=srgb (and every CMYK image with a profile): one transform, in place, row by row
 * front to back (CMYK rows shrink from 4 samples a pixel to 3). */
static int profile_convert(struct color_run *run, cmsHPROFILE src, struct ih_image *img)
{
	cleanup_transform cmsHTRANSFORM xf = transform_for(run, src, img);
	size_t bps = img->depth / 8, out_ch = img->cmyk ? 3 : img->channels;
	size_t bpl_in = (size_t)img->width * img->channels * bps;
	size_t bpl_out = (size_t)img->width * out_ch * bps;

	if (!xf)
		return -EINVAL;
	cmsDoTransformLineStride(xf, img->pixels, img->pixels, img->width, img->height,
				 (cmsUInt32Number)bpl_in, (cmsUInt32Number)bpl_out, 0, 0);
	if (img->cmyk) {
		img->channels = 3;
		img->len = bpl_out * img->height;
		img->cmyk = false;
	}
	return 0;
}

/* --color=keep keeps only a profile lcms2 can also convert from: one whose tags make a
 * transform (a tag lcms2 skipped as out of bounds would be missing from the copy). */
static int profile_check_and_keep(struct color_run *run, cmsHPROFILE h, struct ih_image *img)
{
	cleanup_transform cmsHTRANSFORM xf = transform_for(run, h, img);

	if (!xf)
		return -EINVAL;
	return profile_keep(run, h, img);
}

/* Opens the profile once for what flags ask; a refusal leaves the pixels as they are. */
static void color_with_profile(struct ih_image *img, uint32_t flags, size_t mem_max,
			       struct ih_color_report *rep)
{
	__attribute__((cleanup(run_end))) struct color_run run = { 0 };
	cleanup_profile cmsHPROFILE h = NULL;
	bool keep = (flags & IH_OPT_COLOR_KEEP) && !img->cmyk;
	int r;

	r = run_start(&run, mem_max);
	if (r < 0)
		note_set(run.note, "no memory for lcms2 within the limit of %zu bytes", mem_max);
	if (r == 0)
		r = profile_open(&run, img, &h, rep->desc);
	if (r == 0)
		r = keep ? profile_check_and_keep(&run, h, img) : profile_convert(&run, h, img);
	if (r < 0) {
		rep->action = IH_COLOR_REFUSED;
		memcpy(rep->note, run.note, sizeof(rep->note));
		drop_icc(img);
		return;
	}
	rep->action = keep ? IH_COLOR_KEPT : IH_COLOR_CONVERTED;
	if (keep)
		return;
	drop_icc(img);
	if (flags & IH_OPT_COLOR_KEEP)
		note_set(rep->note, "CMYK pixels converted to sRGB: a CMYK profile is not kept");
}

int ih_color_apply(struct ih_image *img, uint32_t flags, size_t mem_max,
		   struct ih_color_report *ret, char reason[IH_REASON_MAX])
{
	struct ih_color_report rep = { .action = IH_COLOR_NONE };
	int r;

	reason[0] = '\0';
	if ((flags & IH_OPT_COLOR_KEEP) && (flags & IH_OPT_COLOR_IGNORE)) {
		ih_reason_set(reason, "colour: keep and ignore asked at once");
		return -EINVAL;
	}
	r = check_image(img, reason);
	if (r < 0)
		return r;
	if (img->icc && (flags & IH_OPT_COLOR_IGNORE)) {
		drop_icc(img);
		rep.action = IH_COLOR_IGNORED;
	} else if (img->icc) {
		color_with_profile(img, flags, mem_max, &rep);
	}
	if (img->cmyk)
		cmyk_by_formula(img);
	*ret = rep;
	return 0;
}

/*
 * lcms2 stamps every profile it creates (the sRGB target among them) with the time, and
 * glibc reads /etc/localtime the first time a process asks: a sandboxed child, whose
 * seccomp filter kills openat(), would die of SIGSYS on its first conversion. Creating one
 * profile here, in the parent before any child is forked, makes that read once for all.
 */
void ih_color_prepare(void)
{
	static bool done;
	cmsHPROFILE h;

	if (done)
		return;
	done = true;
	h = cmsCreate_sRGBProfile();
	if (h)
		cmsCloseProfile(h);
}
