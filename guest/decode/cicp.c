/*
 * CICP (nclx) primaries and transfer to an ICC profile (guest/decode/cicp.h), with the
 * primaries' chromaticities and white points of ITU-T H.273 and the transfer curves as
 * Little CMS 2 parametric curves.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lcms2.h>

#include "cicp.h"

struct primaries {
	uint16_t code;
	double rx, ry, gx, gy, bx, by, wx, wy;
};

/* H.273 table 2 (1 BT.709 is sRGB's own; 2 unspecified is taken as it). */
static const struct primaries table[] = {
	{ 4, 0.67, 0.33, 0.21, 0.71, 0.14, 0.08, 0.310, 0.316 }, /* BT.470 M */
	{ 5, 0.64, 0.33, 0.29, 0.60, 0.15, 0.06, 0.3127, 0.3290 }, /* BT.601 625 */
	{ 6, 0.630, 0.340, 0.310, 0.595, 0.155, 0.070, 0.3127, 0.3290 }, /* BT.601 525 */
	{ 7, 0.630, 0.340, 0.310, 0.595, 0.155, 0.070, 0.3127, 0.3290 }, /* SMPTE 240M */
	{ 8, 0.681, 0.319, 0.243, 0.692, 0.145, 0.049, 0.310, 0.316 }, /* generic film */
	{ 9, 0.708, 0.292, 0.170, 0.797, 0.131, 0.046, 0.3127, 0.3290 }, /* BT.2020 */
	{ 11, 0.680, 0.320, 0.265, 0.690, 0.150, 0.060, 0.314, 0.351 }, /* DCI-P3 */
	{ 12, 0.680, 0.320, 0.265, 0.690, 0.150, 0.060, 0.3127, 0.3290 }, /* Display P3 */
	{ 22, 0.630, 0.340, 0.295, 0.605, 0.155, 0.077, 0.3127, 0.3290 }, /* EBU 3213 */
};

static const struct primaries bt709 = { 1, 0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290 };

static bool is_srgb_curve(uint16_t t)
{
	return t == 1 || t == 2 || t == 6 || t == 13 || t == 14 || t == 15;
}

static const struct primaries *primaries_of(uint16_t code)
{
	if (code == 1 || code == 2)
		return &bt709;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].code == code)
			return &table[i];
	return NULL;
}

/* The decoding curve of transfer code t as a parametric curve, or NULL. */
static cmsToneCurve *curve_of(uint16_t t)
{
	static const double srgb[5] = { 2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045 };
	static const double bt709_curve[5] = { 1 / 0.45, 1 / 1.099, 0.099 / 1.099, 1 / 4.5, 0.081 };

	switch (t) {
	case 2:
	case 13:
		return cmsBuildParametricToneCurve(NULL, 4, srgb);
	case 1:
	case 6:
	case 14:
	case 15:
		return cmsBuildParametricToneCurve(NULL, 4, bt709_curve);
	case 4:
		return cmsBuildGamma(NULL, 2.2);
	case 5:
		return cmsBuildGamma(NULL, 2.8);
	case 8:
		return cmsBuildGamma(NULL, 1.0);
	default:
		return NULL;
	}
}

static int save(cmsHPROFILE p, struct ih_image *img)
{
	cmsUInt32Number n = 0;

	if (!cmsSaveProfileToMem(p, NULL, &n) || n == 0 || !(img->icc = malloc(n)))
		return -ENOMEM;
	if (!cmsSaveProfileToMem(p, img->icc, &n)) {
		free(img->icc);
		img->icc = NULL;
		return -ENOMEM;
	}
	img->icc_len = n;
	return 0;
}

/* The description the record shows as the profile's. */
static void describe(cmsHPROFILE p, uint16_t primaries, uint16_t transfer)
{
	cmsMLU *mlu = cmsMLUalloc(NULL, 1);
	char text[64];

	if (!mlu)
		return;
	snprintf(text, sizeof(text), "CICP primaries %u, transfer %u", primaries, transfer);
	if (cmsMLUsetASCII(mlu, "en", "US", text))
		cmsWriteTag(p, cmsSigProfileDescriptionTag, mlu);
	cmsMLUfree(mlu);
}

int ih_cicp_profile(uint16_t primaries, uint16_t transfer, struct ih_image *img)
{
	const struct primaries *pr = primaries_of(primaries);
	cmsToneCurve *curve;
	cmsHPROFILE p;
	int r;

	if (pr == &bt709 && is_srgb_curve(transfer))
		return 0;
	curve = pr ? curve_of(transfer) : NULL;
	if (!curve) {
		img->color_action = IH_COLOR_REFUSED;
		ih_note_set(
			img->color_note,
			"colour primaries %u, transfer %u (CICP) not converted: left as decoded",
			primaries, transfer);
		return 0;
	}
	{
		cmsCIExyY white = { pr->wx, pr->wy, 1.0 };
		cmsCIExyYTRIPLE rgb = { { pr->rx, pr->ry, 1.0 },
					{ pr->gx, pr->gy, 1.0 },
					{ pr->bx, pr->by, 1.0 } };
		cmsToneCurve *curves[3] = { curve, curve, curve };

		p = cmsCreateRGBProfile(&white, &rgb, curves);
	}
	cmsFreeToneCurve(curve);
	if (!p)
		return -ENOMEM;
	cmsSetProfileVersion(p, 4.3);
	describe(p, primaries, transfer);
	r = save(p, img);
	cmsCloseProfile(p);
	return r;
}
