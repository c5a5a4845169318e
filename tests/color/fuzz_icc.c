/*
 * libFuzzer over the colour step (guest/decode/color.c): the first byte picks the pixel
 * layout and the mode, the rest is the ICC profile, applied to a small image.
 *   bits 0-2: 0 grey, 1 grey+alpha, 2 RGB, 3 RGBA, 4 CMYK (5-7: RGB)
 *   bit 3: 16-bit samples      bits 4-5: 0 --color=srgb, 1 keep, 2 ignore, 3 srgb
 * Seeds: test_color --seeds DIR (tests/color/fuzz_icc.test).
 */
#include <stdlib.h>
#include <string.h>

#include "guest/decode/color.h"

#define W 7
#define H 5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t channels[8] = { 1, 2, 3, 4, 4, 3, 3, 3 };
	static const uint32_t modes[4] = { 0, IH_OPT_COLOR_KEEP, IH_OPT_COLOR_IGNORE, 0 };
	uint8_t px[W * H * 4 * 2];
	struct ih_image img = { .width = W, .height = H };
	struct ih_color_report rep;
	char reason[IH_REASON_MAX];

	if (size < 1)
		return 0;
	img.channels = channels[data[0] & 7];
	img.cmyk = (data[0] & 7) == 4;
	img.depth = data[0] & 8 ? 16 : 8;
	img.len = (size_t)W * H * img.channels * img.depth / 8;
	for (size_t i = 0; i < sizeof(px); i++)
		px[i] = (uint8_t)(i * 37);
	img.pixels = px;
	img.icc_len = size - 1;
	img.icc = img.icc_len ? malloc(img.icc_len) : NULL;
	if (img.icc)
		memcpy(img.icc, data + 1, img.icc_len);
	if (ih_color_apply(&img, modes[data[0] >> 4 & 3], 64u << 20, &rep, reason) < 0)
		abort(); /* a well-formed image is always given */
	if (rep.action > IH_COLOR_REFUSED || (rep.action != IH_COLOR_KEPT && img.icc) || img.cmyk ||
	    strnlen(rep.desc, sizeof(rep.desc)) == sizeof(rep.desc) ||
	    strnlen(rep.note, sizeof(rep.note)) == sizeof(rep.note))
		abort();
	free(img.icc);
	return 0;
}
