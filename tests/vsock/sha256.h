/* SHA-256 (FIPS 180-4) for the vsock VM test: both ends hash the streams they exchange. */
#ifndef IH_TESTS_SHA256_H
#define IH_TESTS_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;
	uint8_t block[64];
	size_t fill;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[32]);

#endif
