/* libFuzzer over the JPEG XL decoder (guest/decode/jxl.c): see tests/formats/fuzz_format.h. */
#include "fuzz_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_one(&ih_decoder_jxl, data, size);
}
