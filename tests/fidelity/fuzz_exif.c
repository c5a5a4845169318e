/*
 * libFuzzer harness of the EXIF orientation reader (guest/decode/exif.c): any bytes give
 * an orientation of 0-8 or a printable note, never a read outside the block.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest/decode/exif.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so that ASan sees any read past the block. */
	uint8_t *copy = malloc(size ? size : 1);
	char note[IH_NOTE_MAX] = "";
	uint32_t o = 99;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (ih_exif_orientation(copy, size, &o, note) == 0) {
		if (o > 8)
			abort();
	} else if (!note[0] || o != 99 || strnlen(note, IH_NOTE_MAX) == IH_NOTE_MAX) {
		abort();
	}
	free(copy);
	return 0;
}
