/* libFuzzer over the HEIF decoder (guest/decode/heif.c): see tests/formats/fuzz_format.h.
 * The decoders' one-time set-up (libheif's single-threaded HEVC plugin) runs first. */
#include "tests/formats/fuzz_format.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ih_decoders_prepare();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_one(&ih_decoder_heif, data, size);
}
