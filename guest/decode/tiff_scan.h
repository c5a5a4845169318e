/*
 * The TIFF structure walked before libtiff sees a byte (guest/decode/tiff_scan.c): the IFD
 * chain (count, loops, every offset inside the input), and in the first IFD the
 * compression (against the allow-list, by name) and the strip or tile count.
 */
#ifndef IH_GUEST_TIFF_SCAN_H
#define IH_GUEST_TIFF_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "guest/decode/proto.h"

struct tiff_scan {
	uint64_t ifds; /* directories in the chain */
	uint32_t compression; /* of the first IFD (1: none, when the tag is absent) */
	uint64_t strips; /* strip or tile offsets of the first IFD */
};

/* 0 with *ret filled, -EINVAL (malformed) or -E2BIG (over a limit) with the reason. */
int ih_tiff_scan(const uint8_t *in, size_t len, struct tiff_scan *ret, char reason[IH_REASON_MAX]);

/* The name of a TIFF compression code ("LZW", "JBIG", ...), or "unknown". */
const char *ih_tiff_compression_name(uint32_t code);

#endif
