/* The test profiles of tests/color/profiles.h, made and serialised by lcms2. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include <lcms2.h>

#include "profiles.h"

static const cmsCIExyY d65 = { 0.3127, 0.3290, 1.0 };

/* Serialises h (and closes it). */
static int save(cmsHPROFILE h, uint8_t **ret, size_t *ret_len)
{
	cmsUInt32Number n = 0;
	uint8_t *buf = NULL;

	if (!h)
		return -ENOMEM;
	if (cmsSaveProfileToMem(h, NULL, &n) && (buf = malloc(n)) &&
	    cmsSaveProfileToMem(h, buf, &n)) {
		cmsCloseProfile(h);
		*ret = buf;
		*ret_len = n;
		return 0;
	}
	free(buf);
	cmsCloseProfile(h);
	return -ENOMEM;
}

static int describe(cmsHPROFILE h, const wchar_t *desc)
{
	cmsMLU *mlu = cmsMLUalloc(NULL, 1);
	int ok = mlu && cmsMLUsetWide(mlu, "en", "US", desc) &&
		 cmsWriteTag(h, cmsSigProfileDescriptionTag, mlu);

	cmsMLUfree(mlu);
	return ok ? 0 : -ENOMEM;
}

static cmsHPROFILE rgb(const cmsCIExyYTRIPLE *prim, cmsToneCurve *trc, const wchar_t *desc)
{
	cmsToneCurve *curves[3] = { trc, trc, trc };
	cmsHPROFILE h = trc ? cmsCreateRGBProfile(&d65, prim, curves) : NULL;

	cmsFreeToneCurve(trc);
	if (h && describe(h, desc) < 0) {
		cmsCloseProfile(h);
		return NULL;
	}
	return h;
}

static cmsToneCurve *srgb_trc(void)
{
	static const cmsFloat64Number p[5] = { 2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045 };

	return cmsBuildParametricToneCurve(NULL, 4, p);
}

int profile_p3_described(const wchar_t *desc, uint8_t **ret, size_t *ret_len)
{
	static const cmsCIExyYTRIPLE p3 = { { 0.680, 0.320, 1 },
					    { 0.265, 0.690, 1 },
					    { 0.150, 0.060, 1 } };

	return save(rgb(&p3, srgb_trc(), desc), ret, ret_len);
}

int profile_display_p3(uint8_t **ret, size_t *ret_len)
{
	return profile_p3_described(L"Display P3 (test)", ret, ret_len);
}

int profile_adobe_rgb(uint8_t **ret, size_t *ret_len)
{
	static const cmsCIExyYTRIPLE adobe = { { 0.64, 0.33, 1 },
					       { 0.21, 0.71, 1 },
					       { 0.15, 0.06, 1 } };

	return save(rgb(&adobe, cmsBuildGamma(NULL, 563.0 / 256.0), L"Adobe RGB-like (test)"), ret,
		    ret_len);
}

static int grey(cmsToneCurve *trc, const cmsCIExyY *white, const wchar_t *desc, uint8_t **ret,
		size_t *ret_len)
{
	cmsHPROFILE h = trc ? cmsCreateGrayProfile(white, trc) : NULL;

	cmsFreeToneCurve(trc);
	if (h && describe(h, desc) < 0) {
		cmsCloseProfile(h);
		h = NULL;
	}
	return save(h, ret, ret_len);
}

int profile_grey18(uint8_t **ret, size_t *ret_len)
{
	return grey(cmsBuildGamma(NULL, 1.8), cmsD50_xyY(), L"Grey gamma 1.8 (test)", ret, ret_len);
}

int profile_grey_srgb(uint8_t **ret, size_t *ret_len)
{
	return grey(srgb_trc(), &d65, L"Grey sRGB TRC (test)", ret, ret_len);
}

/* One CLUT node: CMYK (0 = no ink) to Lab through the formula with dot gain and sRGB. */
static int cmyk_node(const cmsUInt16Number in[], cmsUInt16Number out[], void *xf)
{
	double k = 1 - pow(in[3] / 65535.0, 0.9), rgb_d[3];
	cmsCIELab lab;

	for (int i = 0; i < 3; i++)
		rgb_d[i] = (1 - pow(in[i] / 65535.0, 0.9)) * k;
	cmsDoTransform(xf, rgb_d, &lab, 1);
	cmsFloat2LabEncoded(out, &lab);
	return 1;
}

/* The lutAtoBType (v4) that holds the CLUT: identity A curves, the CLUT, identity B curves. */
static cmsPipeline *cmyk_lut(void)
{
	cmsHPROFILE srgb = cmsCreate_sRGBProfile(), lab = cmsCreateLab4Profile(NULL);
	cmsHTRANSFORM xf = cmsCreateTransform(srgb, TYPE_RGB_DBL, lab, TYPE_Lab_DBL,
					      INTENT_RELATIVE_COLORIMETRIC, 0);
	cmsPipeline *lut = cmsPipelineAlloc(NULL, 4, 3);
	cmsStage *clut = cmsStageAllocCLut16bit(NULL, 9, 4, 3, NULL);
	int ok = xf && lut && clut && cmsStageSampleCLut16bit(clut, cmyk_node, xf, 0) &&
		 cmsPipelineInsertStage(lut, cmsAT_END, cmsStageAllocToneCurves(NULL, 4, NULL)) &&
		 cmsPipelineInsertStage(lut, cmsAT_END, clut);

	if (ok)
		clut = NULL;
	ok = ok && cmsPipelineInsertStage(lut, cmsAT_END, cmsStageAllocToneCurves(NULL, 3, NULL));
	if (clut)
		cmsStageFree(clut);
	if (xf)
		cmsDeleteTransform(xf);
	cmsCloseProfile(srgb);
	cmsCloseProfile(lab);
	if (!ok && lut) {
		cmsPipelineFree(lut);
		lut = NULL;
	}
	return lut;
}

int profile_cmyk(uint8_t **ret, size_t *ret_len)
{
	cmsHPROFILE h = cmsCreateProfilePlaceholder(NULL);
	cmsPipeline *lut = cmyk_lut();
	int ok = h && lut;

	if (ok) {
		cmsSetProfileVersion(h, 4.3);
		cmsSetDeviceClass(h, cmsSigOutputClass);
		cmsSetColorSpace(h, cmsSigCmykData);
		cmsSetPCS(h, cmsSigLabData);
		ok = cmsWriteTag(h, cmsSigAToB0Tag, lut) &&
		     cmsWriteTag(h, cmsSigMediaWhitePointTag, cmsD50_XYZ()) &&
		     describe(h, L"CMYK formula with dot gain (test)") == 0;
	}
	if (lut)
		cmsPipelineFree(lut);
	if (!ok) {
		if (h)
			cmsCloseProfile(h);
		return -ENOMEM;
	}
	return save(h, ret, ret_len);
}

int profile_link(uint8_t **ret, size_t *ret_len)
{
	cmsHPROFILE srgb = cmsCreate_sRGBProfile();
	cmsHTRANSFORM xf =
		cmsCreateTransform(srgb, TYPE_RGB_8, srgb, TYPE_RGB_8, INTENT_PERCEPTUAL, 0);
	cmsHPROFILE link = xf ? cmsTransform2DeviceLink(xf, 4.3, 0) : NULL;

	if (xf)
		cmsDeleteTransform(xf);
	cmsCloseProfile(srgb);
	return save(link, ret, ret_len);
}
