/* One timed decode natively and sandboxed, and the interleaved run of both. */
#include "tests/bench_decode_once.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "guest/sandbox/isolate.h"
#include "tests/bench.h"

double bench_native_once(const struct ih_limits *lim, const struct ih_pixel_dest *dest,
			 const uint8_t *in, size_t len)
{
	char reason[IH_REASON_MAX];
	struct ih_image img;
	double t = now_s();

	if (ih_decode_into(lim, NULL, in, len, dest, &img, reason) < 0) {
		fprintf(stderr, "bench: native decode failed: %s\n", reason);
		exit(1);
	}
	t = now_s() - t;
	ih_image_free(&img);
	return t;
}

double bench_sandboxed_once(const struct ih_limits *lim, const uint8_t *in, size_t len)
{
	struct ih_decoded d;
	double t = now_s();

	if (ih_isolate_decode(lim, 0, NULL, in, len, &d) < 0 || d.resp.status != IH_STATUS_OK) {
		fprintf(stderr, "bench: sandboxed decode failed: %s\n", d.resp.reason);
		exit(1);
	}
	t = now_s() - t;
	ih_decoded_free(&d);
	return t;
}

void bench_dest_map(struct ih_pixel_dest *dest, size_t cap)
{
	dest->cap = cap;
	dest->buf = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dest->buf == MAP_FAILED) {
		fprintf(stderr, "bench: cannot map %zu bytes\n", cap);
		exit(1);
	}
	/* Fault every page in once; keep them out of the sandboxed runs' forks, which would
	 * otherwise make each page copy-on-write and the next native run fault on it again. */
	madvise(dest->buf, cap, MADV_DONTFORK);
	for (size_t i = 0; i < cap; i += 4096)
		((volatile uint8_t *)dest->buf)[i] = 1;
}

void bench_native_vs_sandboxed(const char *what, double mp, const uint8_t *in, size_t len, int runs)
{
	struct ih_limits lim;
	struct ih_pixel_dest dest;
	double nat[15] = { 0 }, box[15] = { 0 };

	if (runs < 1 || runs > 15)
		runs = runs < 1 ? 1 : 15;
	ih_limits_default(&lim);
	bench_dest_map(&dest, (size_t)(mp * 1e6) * 8);
	bench_native_once(&lim, &dest, in, len); /* warm the caches and the allocator */
	for (int i = 0; i < runs; i++) {
		nat[i] = bench_native_once(&lim, &dest, in, len);
		box[i] = bench_sandboxed_once(&lim, in, len);
	}
	munmap(dest.buf, dest.cap);
	qsort(nat, (size_t)runs, sizeof(double), by_value);
	qsort(box, (size_t)runs, sizeof(double), by_value);
	printf("%-16s native %7.1f ms (%5.2f MP/s)  sandboxed %7.1f ms (%5.2f MP/s)  "
	       "ratio %.3fx native, median of %d\n",
	       what, nat[runs / 2] * 1e3, mp / nat[runs / 2], box[runs / 2] * 1e3,
	       mp / box[runs / 2], nat[runs / 2] / box[runs / 2], runs);
}
