/* The command line of `ih-vm decode`, parsed and checked (no decoding happens here). */
#ifndef IH_HOST_DECODE_OPTS_H
#define IH_HOST_DECODE_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "host/vm/backend.h"
#include "farm.h"
#include "guest/decode/proto.h"

enum ih_out_format {
	IH_OUT_NONE = 0, /* no -o: decode and report only */
	IH_OUT_PNG,
	IH_OUT_PPM, /* P6 (P5 for grey); alpha is dropped */
	IH_OUT_PAM, /* P7 GRAYSCALE, GRAYSCALE_ALPHA, RGB or RGB_ALPHA */
};

/* Where -o points. */
enum ih_out_target {
	IH_TARGET_NONE = 0,
	IH_TARGET_STDOUT, /* -o - */
	IH_TARGET_FILE, /* -o FILE, one input */
	IH_TARGET_DIR, /* -o DIR, one file per input named after it */
};

#define IH_DECODE_MAX_JOBS 64

struct ih_decode_args {
	struct ih_backend_opts backend;
	struct ih_limits limits;
	uint32_t flags; /* IH_REQ_* */
	struct ih_decode_opts decode_opts; /* --orient, --color, --depth, --frame */
	enum ih_out_target target;
	const char *output; /* the -o argument */
	enum ih_out_format format; /* --format, else the -o extension, else PNG */
	bool json;
	bool verbose;
	unsigned int jobs;
	char **inputs;
	size_t n_inputs;
	struct ih_farm_opts farm; /* --manifest, -r, --shard, --records, --resume */
};

/*
 * Parses argv (argv[0] is "decode"). 0: *ret is ready; 1: --help was asked for;
 * -EINVAL: a usage error, described in err[] (one line, no "Hint:").
 */
int ih_decode_opts_parse(int argc, char **argv, struct ih_decode_args *ret, char *err,
			 size_t err_len);

void ih_decode_usage(FILE *f);

/* Safe number parsing: decimal, optional k/M/G (powers of 1024), no sign, no overflow,
 * at least 1 and at most max. 0 or -EINVAL / -ERANGE. */
int ih_parse_size(const char *s, uint64_t max, uint64_t *ret);

/* The format an output name's extension names (.png .ppm .pam), or IH_OUT_NONE. */
enum ih_out_format ih_out_format_for(const char *name);

#endif
