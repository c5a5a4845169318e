/*
 * libFuzzer target over everything that parses hostile bytes in the decoding library,
 * in-process and without the sandbox so that ASan sees it: the PNG chunk walk and libpng
 * under our limits, libjpeg with fatal warnings and the scan limit, and the wire
 * protocol's request and response parsers. Limits are small so each run stays fast.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "guest/decode/decode.h"
#include "guest/decode/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_proto(const uint8_t *data, size_t size)
{
	struct ih_limits ceiling, lim;
	struct ih_request req;
	struct ih_response resp;

	ih_limits_ceiling(&ceiling);
	ih_limits_default(&lim);
	if (size >= IH_REQ_HDR_LEN)
		ih_request_parse(data, &ceiling, &req);
	if (size >= IH_RESP_HDR_LEN && ih_response_parse(data, &lim, &resp) == 0 &&
	    resp.status == IH_STATUS_OK &&
	    resp.pixel_len != (uint64_t)resp.width * resp.height * resp.channels * (resp.depth / 8))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ih_limits lim;
	struct ih_image img;
	char reason[IH_REASON_MAX];
	/* The last byte picks the decode options, so that every step after the decoder
	 * (colour keep/ignore, depth, orientation keep) is fuzzed too; images do not care. */
	struct ih_decode_opts opts = { .flags = size ? data[size - 1] & IH_OPT_KNOWN : 0 };

	fuzz_proto(data, size);
	ih_limits_default(&lim);
	lim.max_pixels = 1 << 20;
	lim.max_memory_bytes = 64u << 20;
	if ((opts.flags & IH_OPT_COLOR_KEEP) && (opts.flags & IH_OPT_COLOR_IGNORE))
		opts.flags &= ~IH_OPT_COLOR_KEEP;
	if (ih_decode(&lim, &opts, data, size, &img, reason) == 0) {
		if (img.len != (size_t)img.width * img.height * img.channels * (img.depth / 8) ||
		    img.channels < 1 || img.channels > 4 || img.cmyk || img.exif)
			__builtin_trap();
		ih_image_free(&img);
	} else if (!memchr(reason, '\0', sizeof(reason)) || reason[0] == '\0') {
		__builtin_trap();
	}
	return 0;
}
