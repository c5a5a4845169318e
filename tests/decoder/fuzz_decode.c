/*
 * libFuzzer target over everything that parses hostile bytes in the decoding library,
 * in-process and without the sandbox so that ASan sees it: the PNG chunk walk and libpng
 * under our limits, libjpeg with fatal warnings and the scan limit, and the wire
 * protocol's request and response parsers. Limits are small so each run stays fast.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decode.h"
#include "proto.h"

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
	    resp.pixel_len != (uint64_t)resp.width * resp.height * resp.channels)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ih_limits lim;
	struct ih_image img;
	char reason[IH_REASON_MAX];

	fuzz_proto(data, size);
	ih_limits_default(&lim);
	lim.max_pixels = 1 << 20;
	lim.max_memory_bytes = 64u << 20;
	if (ih_decode(&lim, data, size, &img, reason) == 0) {
		if (img.len != (size_t)img.width * img.height * img.channels)
			__builtin_trap();
		ih_image_free(&img);
	} else if (!memchr(reason, '\0', sizeof(reason)) || reason[0] == '\0') {
		__builtin_trap();
	}
	return 0;
}
