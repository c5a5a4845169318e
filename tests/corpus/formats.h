/*
 * The GIF, WebP and TIFF part of the test corpus (tests/corpus/formats.c), written beside
 * tests/corpus/corpus.h's files: good/ gets files of every layout each decoder handles,
 * each with NAME.pam (the pixels a correct decoder gives for frame 0, at the source's
 * depth and channels) and, for an animation, NAME.last.pam (its last frame composed);
 * hostile/ gets inputs named for the attack they carry.
 */
#ifndef IH_TESTS_CORPUS_FORMATS_H
#define IH_TESTS_CORPUS_FORMATS_H

#include <stddef.h>
#include <stdint.h>

#include "corpus.h"

/* Writes the files into dir/good and dir/hostile (created if needed). 0 or -errno. */
int corpus_formats_generate(const char *dir);

/* A good file, the frames it has and its reference tool ("gif2rgb", "dwebp", "tiff2rgba"). */
struct corpus_good_format {
	const char *name;
	uint32_t frames;
	const char *tool;
};
extern const struct corpus_good_format corpus_formats_good[];
extern const size_t corpus_formats_n_good;

/* Hostile files and a word their rejection reason must contain (case-insensitive). */
extern const struct corpus_hostile corpus_formats_hostile[];
extern const size_t corpus_formats_n_hostile;

/* Large images in memory for the benchmark: RGB GIF (256 colours), lossy WebP, LZW TIFF. */
int corpus_gif_rgb(uint32_t w, uint32_t h, uint8_t **ret, size_t *ret_len);
int corpus_webp_rgb(uint32_t w, uint32_t h, uint8_t **ret, size_t *ret_len);
int corpus_tiff_rgb(uint32_t w, uint32_t h, uint8_t **ret, size_t *ret_len);

#endif
