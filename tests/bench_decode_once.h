/*
 * What the decode benchmarks share: one timed decode natively (in this process, into a
 * reused and already faulted-in buffer, or a fresh one) and one sandboxed (ih_isolate_decode:
 * a fresh child with every layer), and the interleaved native-against-sandboxed run.
 */
#ifndef IH_TESTS_BENCH_DECODE_ONCE_H
#define IH_TESTS_BENCH_DECODE_ONCE_H

#include <stddef.h>
#include <stdint.h>

#include "guest/decode/decode.h"

/* Seconds for one decode of in; dest NULL: a fresh malloc'd buffer. Exits on failure. */
double bench_native_once(const struct ih_limits *lim, const struct ih_pixel_dest *dest,
			 const uint8_t *in, size_t len);
double bench_sandboxed_once(const struct ih_limits *lim, const uint8_t *in, size_t len);

/* Maps a reused pixel buffer of cap bytes, faulted in and kept out of forks. */
void bench_dest_map(struct ih_pixel_dest *dest, size_t cap);

/* runs (<= 15) interleaved native and sandboxed decodes of in (mp megapixels) with the
 * default limits; prints both medians and their ratio as one line named what. */
void bench_native_vs_sandboxed(const char *what, double mp, const uint8_t *in, size_t len,
			       int runs);

#endif
