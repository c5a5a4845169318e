/*
 * Writes decoded pixels to files (encoded by host/cli/encode.h). A file is written under a
 * temporary name in its target directory, fsynced and renamed over the target, so a
 * failure leaves no partial file; the input file is never the target.
 */
#ifndef IH_HOST_OUTPUT_H
#define IH_HOST_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "decode_opts.h"
#include "guest/sandbox/isolate.h"

/*
 * Writes path atomically. input_path is the file the pixels came from: -EEXIST if path
 * names that same file. 0 or -errno; on failure nothing is left at path or beside it.
 */
int ih_output_file(const char *path, const char *input_path, enum ih_out_format fmt,
		   const struct ih_decoded *d);

/* The name input's output takes under -o DIR: *ret_base (its last path component) up to
 * the returned length (the extension cut off). */
size_t ih_output_stem(const char *input, const char **ret_base);

/* The output path for input under -o DIR: DIR/<input's name without extension>.<fmt>,
 * into buf. 0 or -ENAMETOOLONG. */
int ih_output_path_in_dir(const char *dir, const char *input, enum ih_out_format fmt, char *buf,
			  size_t len);

#endif
