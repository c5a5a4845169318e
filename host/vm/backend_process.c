/*
 * The process backend (host/vm/backend.h): every image in a fresh sandboxed child on this
 * host, through ih_isolate_decode(). open() starts the spare children's spawner (before
 * any image is read), so each image's child is made while the previous one decodes;
 * close() kills the waiting spare and ends the spawner. IH_BENCH_SPARES=off leaves spares
 * off: a switch for `make bench` only (tests/bench_batch.c times the batch both ways).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

static int process_open(const struct ih_backend_opts *opts, struct ih_backend **ret)
{
	struct ih_backend *b = calloc(1, sizeof(*b));
	const char *bench = getenv("IH_BENCH_SPARES");
	int r;

	(void)opts;
	if (!b)
		return -ENOMEM;
	r = bench && !strcmp(bench, "off") ? 0 : ih_isolate_spares_start();
	if (r < 0) {
		free(b);
		return r;
	}
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
	ih_isolate_spares_stop();
	free(b);
}

const struct ih_backend_ops ih_backend_process_ops = {
	.name = "process",
	.open = process_open,
	.decode = process_decode,
	.close = process_close,
};
