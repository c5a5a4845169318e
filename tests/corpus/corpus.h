/*
 * The test corpus, generated rather than downloaded so that every file documents what it
 * is for: good/ holds PNGs of every color type, bit depth and interlacing (each with a
 * .pam of the pixels a correct decoder must produce) and JPEGs of every sampling and
 * coding mode; hostile/ holds inputs named for the attack they carry.
 */
#ifndef IH_TESTS_CORPUS_H
#define IH_TESTS_CORPUS_H

#include <stddef.h>
#include <stdint.h>

/* Writes dir/good and dir/hostile (dir must exist). 0 or -errno. */
int corpus_generate(const char *dir);

/* Hostile files and a word their rejection reason must contain (case-insensitive). */
struct corpus_hostile {
	const char *name;
	const char *reason_word;
};
extern const struct corpus_hostile corpus_hostile[];
extern const size_t corpus_n_hostile;

/* A w x h RGB JPEG of quality q (progressive or not) in memory, for benchmarks. */
int corpus_jpeg_rgb(uint32_t w, uint32_t h, int quality, int progressive, uint8_t **ret,
		    size_t *ret_len);
/* A w x h RGBA 8-bit PNG in memory, for benchmarks. */
int corpus_png_rgba(uint32_t w, uint32_t h, uint8_t **ret, size_t *ret_len);

#endif
