/*
 * The body of the per-format libFuzzer harnesses (fuzz_gif.c, fuzz_webp.c, fuzz_tiff.c):
 * one decoder of guest/decode/ in-process, without the sandbox so that ASan sees it, with
 * small limits so each input stays fast. The first byte picks the frame asked for, so
 * composing later frames is fuzzed too. A decode that succeeds must hold together.
 */
#ifndef IH_TESTS_FUZZ_FORMAT_H
#define IH_TESTS_FUZZ_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "guest/decode/decoder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_one(const struct ih_decoder *d, const uint8_t *data, size_t size)
{
	struct ih_limits lim;
	struct ih_decode_opts opts = { 0 };
	struct ih_image img = { 0 };
	char reason[IH_REASON_MAX] = "";

	if (size < 1)
		return 0;
	opts.frame = data[0] % 4;
	ih_limits_default(&lim);
	lim.max_pixels = 1 << 20;
	lim.max_memory_bytes = 64u << 20;
	if (d->decode(&lim, &opts, data + 1, size - 1, NULL, &img, reason) == 0) {
		if (img.len != (size_t)img.width * img.height * img.channels * (img.depth / 8) ||
		    img.channels < 1 || img.channels > 4 || (img.depth != 8 && img.depth != 16) ||
		    opts.frame >= img.frames)
			__builtin_trap();
		ih_image_free(&img);
	} else if (!memchr(reason, '\0', sizeof(reason)) || reason[0] == '\0') {
		__builtin_trap();
	}
	return 0;
}

#endif
