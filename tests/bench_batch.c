/*
 * make bench: a batch of 100 mixed generated images (JPEG and PNG, 0.3 to 6 MP) decoded by
 * `ih-vm decode --isolation=process --jobs 2` (start to exit, nothing written), against
 * the best native decode of the same files in this process, one thread, into one reused
 * buffer whose pages are already mapped. Goal: the batch at >= 1.7x native's images per
 * second. The batch runs three ways: pre-spawned children with 2 MiB huge pages reserved for
 * their pixel memory (vm.nr_hugepages, set here when run as root and put back after), the
 * same with none reserved (the pool falls back to 4 KiB pages), and without pre-spawned
 * children (IH_BENCH_SPARES=off, a switch of the process backend for this bench only); runs
 * alternate so every side sees the same machine load.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "hugepages.h"
#include "corpus/corpus.h"
#include "guest/decode/decode.h"

#define N_IMAGES 100
#define RUNS 3
/* Two pixel buffers a job (guest/sandbox/pool.h) of 153 pages each at the default limits. */
#define HUGE_PAGES_NEEDED (2 * 2 * 160)

struct image {
	char path[64];
	uint8_t *data;
	size_t len;
};

/* Image i of the mix: sizes cycle through five, JPEG and PNG alternate. */
static int make_image(const char *dir, int i, struct image *ret)
{
	static const uint32_t sizes[5][2] = {
		{ 640, 480 }, { 1600, 1200 }, { 1024, 768 }, { 3000, 2000 }, { 800, 600 }
	};
	uint32_t w = sizes[i % 5][0], h = sizes[i % 5][1];
	bool jpeg = i % 2 == 0;
	int r = jpeg ? corpus_jpeg_rgb(w, h, 85, i % 4 == 0, &ret->data, &ret->len)
		     : corpus_png_rgba(w / 2, h / 2, &ret->data, &ret->len);
	FILE *f;

	if (r < 0)
		return r;
	snprintf(ret->path, sizeof(ret->path), "%s/%03d.%s", dir, i, jpeg ? "jpg" : "png");
	f = fopen(ret->path, "we");
	if (!f)
		return -1;
	r = fwrite(ret->data, 1, ret->len, f) == ret->len ? 0 : -1;
	return fclose(f) == 0 ? r : -1;
}

/* Seconds to decode every image natively, one after the other, into dest. */
static double native_all(const struct ih_limits *lim, const struct ih_pixel_dest *dest,
			 const struct image *img)
{
	char reason[IH_REASON_MAX];
	double t = now_s();

	for (int i = 0; i < N_IMAGES; i++) {
		struct ih_image out;

		if (ih_decode_into(lim, NULL, img[i].data, img[i].len, dest, &out, reason) < 0) {
			fprintf(stderr, "bench: native decode of %s failed: %s\n", img[i].path,
				reason);
			exit(1);
		}
		ih_image_free(&out);
	}
	return now_s() - t;
}

/* Seconds of one `ih-vm decode --isolation=process --jobs 2` over every image. */
static double batch(const char *ihvm, const struct image *img, bool spares)
{
	char *argv[N_IMAGES + 5];
	double t;
	int status;
	pid_t pid;

	argv[0] = (char *)ihvm;
	argv[1] = "decode";
	argv[2] = "--isolation=process";
	argv[3] = "--jobs=2";
	for (int i = 0; i < N_IMAGES; i++)
		argv[4 + i] = (char *)img[i].path;
	argv[N_IMAGES + 4] = NULL;
	t = now_s();
	pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr) ||
		    (!spares && setenv("IH_BENCH_SPARES", "off", 1) < 0))
			_exit(127);
		execv(ihvm, argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench: %s decode of the batch failed\n", ihvm);
		exit(1);
	}
	return now_s() - t;
}

int main(int argc, char **argv)
{
	const char *ihvm = argc > 1 ? argv[1] : "build/host/ih-vm";
	char dir[] = "/tmp/ih-bench-batch-XXXXXX";
	static struct image img[N_IMAGES];
	double nat[RUNS], huge[RUNS], on[RUNS], off[RUNS];
	long had = hugepages_get();
	bool can_huge = had >= 0 && hugepages_set(HUGE_PAGES_NEEDED);
	struct ih_pixel_dest dest = { .cap = 3000u * 2000u * 4 };
	struct ih_limits lim;

	ih_limits_default(&lim);
	if (!mkdtemp(dir)) {
		perror("bench: mkdtemp");
		return 1;
	}
	for (int i = 0; i < N_IMAGES; i++)
		if (make_image(dir, i, &img[i]) < 0) {
			fprintf(stderr, "bench: cannot generate image %d\n", i);
			return 1;
		}
	dest.buf = mmap(NULL, dest.cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dest.buf == MAP_FAILED)
		return 1;
	madvise(dest.buf, dest.cap, MADV_DONTFORK);
	memset(dest.buf, 1, dest.cap);
	native_all(&lim, &dest, img); /* warm the caches and the allocator */
	for (int r = 0; r < RUNS; r++) {
		nat[r] = native_all(&lim, &dest, img);
		if (can_huge && hugepages_set(HUGE_PAGES_NEEDED))
			huge[r] = batch(ihvm, img, true);
		if (can_huge && !hugepages_set(0))
			can_huge = false;
		on[r] = batch(ihvm, img, true);
		off[r] = batch(ihvm, img, false);
	}
	qsort(nat, RUNS, sizeof(double), by_value);
	qsort(on, RUNS, sizeof(double), by_value);
	qsort(huge, RUNS, sizeof(double), by_value);
	qsort(off, RUNS, sizeof(double), by_value);
	printf("batch of %d mixed images: native, one thread %.1f images/s; --isolation=process "
	       "--jobs 2, median of %d (goal >= 1.7x native):\n",
	       N_IMAGES, N_IMAGES / nat[RUNS / 2], RUNS);
	if (can_huge)
		printf("%-25s %d huge pages reserved: %.1f images/s: %.2fx native\n", "",
		       HUGE_PAGES_NEEDED, N_IMAGES / huge[RUNS / 2],
		       nat[RUNS / 2] / huge[RUNS / 2]);
	else
		printf("%-25s huge pages: not measured (reserving them needs root)\n", "");
	printf("%-25s %ld huge pages reserved: %.1f images/s: %.2fx native\n", "",
	       can_huge ? 0 : had, N_IMAGES / on[RUNS / 2], nat[RUNS / 2] / on[RUNS / 2]);
	printf("%-25s spares off, as above: %.1f images/s: %.2fx native\n", "",
	       N_IMAGES / off[RUNS / 2], nat[RUNS / 2] / off[RUNS / 2]);
	if (had >= 0 && can_huge)
		hugepages_set(had);
	for (int i = 0; i < N_IMAGES; i++) {
		unlink(img[i].path);
		free(img[i].data);
	}
	rmdir(dir);
	return 0;
}
