/*
 * The process backend (host/vm/backend.h): every image in a fresh sandboxed child on this
 * host, through ih_isolate_decode(). It holds no state between images.
 */
#include <errno.h>
#include <stdlib.h>

#include "backend.h"

static int process_open(const struct ih_backend_opts *opts, struct ih_backend **ret)
{
	struct ih_backend *b = calloc(1, sizeof(*b));

	(void)opts;
	if (!b)
		return -ENOMEM;
	b->ops = &ih_backend_process_ops;
	*ret = b;
	return 0;
}

static int process_decode(struct ih_backend *b, const struct ih_limits *lim, uint32_t flags,
			  const struct ih_decode_opts *opts, const uint8_t *input, size_t input_len,
			  struct ih_decoded *ret)
{
	(void)b;
	return ih_isolate_decode(lim, flags, opts, input, input_len, ret);
}

static void process_close(struct ih_backend *b)
{
	free(b);
}

const struct ih_backend_ops ih_backend_process_ops = {
	.name = "process",
	.open = process_open,
	.decode = process_decode,
	.close = process_close,
};
