/*
 * make bench: `ih-vm decode` through the microVM, each figure next to its baseline from the
 * same run (medians; runs alternate so both sides see the same machine load).
 *
 *   cold   one `ih-vm decode small.jpg -o out.png` process, start to exit, against the
 *          floor (the same kernel, QEMU command line and jail booting a do-nothing init that
 *          powers off at once) plus the bare decode of the same image timed inside the guest.
 *          Goal: cold <= 1.25 x (floor + bare in-guest decode).
 *   warm   per image in one running VM (host side: request sent to pixels received), against
 *          the bare in-guest decode (guest mode serve-bench, printed on its console).
 *          Goals: overhead <= 8 ms per small image, <= 5 % at 12 MP. The serve-bench VM
 *          also splits its own warm time: bare decode, sandboxed decode, and the rest (the
 *          request in, the pixels out over vsock, the protocol), all timed in that one VM.
 *   native the same decodes on this host without any sandbox, for reference (under TCG the
 *          guest computes about ten times slower than the host).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/vm/backend.h"
#include "corpus/corpus.h"
#include "guest/decode/decode.h"
#include "host/qemu/qemu.h"
#include "host/vm/vm.h"
#include "host/vm/vm_client.h"
#include "host/vm/vm_qemu.h"
#include "host/vsock/vsock.h"

#define RUNS 5
#define WARM_SMALL 20
#define WARM_BIG 3

struct image {
	const char *name;
	uint8_t *data;
	size_t len;
};

static char tmp[64];

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static double median_ms(int64_t *v, int n, double unit)
{
	qsort(v, (size_t)n, sizeof(v[0]), cmp_i64);
	return (n % 2 ? (double)v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0) / unit;
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* One `ih-vm decode` process for the small image: its wall time in us, or -1. */
static int64_t cold_once(const char *ihvm, const char *in)
{
	char out[128];
	int64_t t0 = now_us();
	int status;
	pid_t pid;

	snprintf(out, sizeof(out), "%s/cold.png", tmp);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		dup2(null, 1);
		dup2(null, 2);
		execl(ihvm, ihvm, "decode", "-o", out, in, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -1;
	return now_us() - t0;
}

/* The floor: the decode VM's QEMU, jail and vsock backend, booting the do-nothing init. */
static int64_t floor_once(const struct ih_vm_cfg *base, const char *floor_initramfs)
{
	struct ih_vm_cfg cfg = *base;
	struct ih_vsock *v = NULL;
	int qemu_fd = -1, status;
	int64_t t0 = now_us(), t;
	pid_t pid;

	cfg.initramfs = floor_initramfs;
	if (ih_vsock_new(IH_VSOCK_USER, 3, &qemu_fd, &v) < 0)
		return -1;
	if (ih_vm_qemu_spawn(&cfg, qemu_fd, &pid) < 0) {
		close(qemu_fd);
		ih_vsock_free(v);
		return -1;
	}
	close(qemu_fd);
	waitpid(pid, &status, 0);
	t = now_us() - t0;
	ih_vsock_free(v);
	return t;
}

/* Warm: host-side time per decode of img in one VM, median over n, in us. */
static double warm(struct ih_backend *b, const struct ih_limits *lim, const struct image *img,
		   int n)
{
	int64_t t[WARM_SMALL];

	for (int i = 0; i < n; i++) {
		struct ih_decoded d = { 0 };
		int64_t t0 = now_us();

		if (b->ops->decode(b, lim, 0, NULL, img->data, img->len, &d) < 0 ||
		    d.resp.status != IH_STATUS_OK)
			return -1;
		t[i] = now_us() - t0;
		ih_decoded_free(&d);
	}
	return median_ms(t, n, 1000.0);
}

/* Median of the "ih-bench: KEY=us" console lines number from .. from+count-1, in ms. */
static double console_median(const char *log, const char *key, int from, int count)
{
	int64_t v[64];
	int n = 0, seen = 0;
	char pat[64];
	FILE *f = fopen(log, "re");
	char line[256];

	snprintf(pat, sizeof(pat), "ih-bench: %s=", key);
	while (f && fgets(line, sizeof(line), f) && n < 64) {
		const char *p = strstr(line, pat);

		if (p && seen >= from && seen < from + count)
			v[n++] = strtoll(p + strlen(pat), NULL, 10);
		seen += p != NULL;
	}
	if (f)
		fclose(f);
	return n ? median_ms(v, n, 1000.0) : -1;
}

static double native(const struct ih_limits *lim, const struct image *img, int n)
{
	int64_t t[WARM_SMALL];
	char reason[IH_REASON_MAX];

	for (int i = 0; i < n; i++) {
		struct ih_image out;
		int64_t t0 = now_us();

		if (ih_decode(lim, NULL, img->data, img->len, &out, reason) < 0)
			return -1;
		t[i] = now_us() - t0;
		ih_image_free(&out);
	}
	return median_ms(t, n, 1000.0);
}

static int write_file(const char *path, const struct image *img)
{
	FILE *f = fopen(path, "we");
	int ok = f && fwrite(img->data, 1, img->len, f) == img->len;

	if (f && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

static int make_images(struct image *small, struct image *big, char *small_path, size_t len)
{
	small->name = "256x192 JPEG";
	big->name = "4000x3000 (12 MP) JPEG";
	if (corpus_jpeg_rgb(256, 192, 90, 0, &small->data, &small->len) < 0 ||
	    corpus_jpeg_rgb(4000, 3000, 90, 0, &big->data, &big->len) < 0)
		return -1;
	snprintf(small_path, len, "%s/small.jpg", tmp);
	return write_file(small_path, small);
}

struct figures {
	double cold, floor, bare_small, bare_big, iso_small, iso_big;
	double warm_small, warm_big, native_small, native_big;
	double sb_small, sb_big; /* warm in the serve-bench VM: bare + sandboxed + transfer */
};

static int measure_cold(const char *ihvm, const char *small_path, const struct ih_vm_cfg *cfg,
			struct figures *f)
{
	int64_t cold[RUNS], floor[RUNS];
	char floor_initramfs[4200];

	snprintf(floor_initramfs, sizeof(floor_initramfs), "%s/initramfs-floor.cpio.gz",
		 cfg->image_dir);
	for (int i = 0; i < RUNS; i++) {
		floor[i] = floor_once(cfg, floor_initramfs);
		cold[i] = cold_once(ihvm, small_path);
		if (floor[i] < 0 || cold[i] < 0)
			return -1;
	}
	f->cold = median_ms(cold, RUNS, 1000.0);
	f->floor = median_ms(floor, RUNS, 1000.0);
	return 0;
}

/* Warm figures from a normal VM, in-guest figures from a serve-bench VM. */
static int measure_warm(const struct image *small, const struct image *big, struct figures *f)
{
	struct ih_backend_opts opts = { .isolation = IH_ISOLATION_VM, .vsock = IH_VSOCK_USER };
	char log[128];
	struct ih_backend *b;
	struct ih_limits lim;

	ih_limits_default(&lim);
	if (ih_backend_vm_ops.open(&opts, &b) < 0)
		return -1;
	f->warm_small = warm(b, &lim, small, WARM_SMALL);
	f->warm_big = warm(b, &lim, big, WARM_BIG);
	b->ops->close(b);
	snprintf(log, sizeof(log), "%s/bench-console.log", tmp);
	opts.console_log = log;
	setenv("IH_VM_GUEST_MODE", "serve-bench", 1);
	if (ih_backend_vm_ops.open(&opts, &b) < 0)
		return -1;
	unsetenv("IH_VM_GUEST_MODE");
	f->sb_small = warm(b, &lim, small, WARM_SMALL);
	f->sb_big = warm(b, &lim, big, WARM_BIG);
	if (f->sb_small < 0 || f->sb_big < 0)
		return -1;
	b->ops->close(b);
	f->bare_small = console_median(log, "bare_us", 0, WARM_SMALL);
	f->iso_small = console_median(log, "isolate_us", 0, WARM_SMALL);
	f->bare_big = console_median(log, "bare_us", WARM_SMALL, WARM_BIG);
	f->iso_big = console_median(log, "isolate_us", WARM_SMALL, WARM_BIG);
	f->native_small = native(&lim, small, WARM_SMALL);
	f->native_big = native(&lim, big, WARM_BIG);
	return f->warm_small < 0 || f->warm_big < 0 || f->bare_small < 0 || f->bare_big < 0 ? -1
											    : 0;
}

static void report(const struct image *small, const struct image *big, const struct figures *f)
{
	double base = f->floor + f->bare_small;

	printf("cold single decode, %s (ih-vm start to exit, median of %d):\n", small->name, RUNS);
	printf("  cold %.0f ms   floor %.0f ms + bare in-guest decode %.1f ms = %.0f ms   "
	       "ratio %.2fx (goal <= 1.25x)\n",
	       f->cold, f->floor, f->bare_small, base, f->cold / base);
	printf("warm, per image in one VM (host side; in-guest figures from serve-bench):\n");
	printf("  %-24s warm %8.1f ms   bare in-guest %8.1f ms   sandboxed in-guest %8.1f ms   "
	       "overhead %+.1f ms (goal <= 8 ms)\n",
	       small->name, f->warm_small, f->bare_small, f->iso_small,
	       f->warm_small - f->bare_small);
	printf("  %-24s warm %8.1f ms   bare in-guest %8.1f ms   sandboxed in-guest %8.1f ms   "
	       "overhead %+.1f%% (goal <= 5%%)\n",
	       big->name, f->warm_big, f->bare_big, f->iso_big,
	       100.0 * (f->warm_big - f->bare_big) / f->bare_big);
	printf("the serve-bench VM's warm time, split (request in, pixels out, protocol = warm - "
	       "bare - sandboxed):\n");
	printf("  %-24s warm %8.1f ms   request in, pixels out, protocol %8.1f ms\n", small->name,
	       f->sb_small, f->sb_small - f->bare_small - f->iso_small);
	printf("  %-24s warm %8.1f ms   request in, pixels out, protocol %8.1f ms\n", big->name,
	       f->sb_big, f->sb_big - f->bare_big - f->iso_big);
	printf("native host decode, no sandbox (reference):\n");
	printf("  %-24s %8.2f ms   in-guest bare / native %.1fx\n", small->name, f->native_small,
	       f->bare_small / f->native_small);
	printf("  %-24s %8.2f ms   in-guest bare / native %.1fx\n", big->name, f->native_big,
	       f->bare_big / f->native_big);
}

/* Run from the top of the tree (make bench): its build/<arch> image, unless told otherwise. */
static void use_tree_image(void)
{
	char dir[64], *real;

	if (getenv("IH_IMAGE_DIR"))
		return;
	snprintf(dir, sizeof(dir), "build/%s", ih_arch_name(ih_arch_native()));
	real = realpath(dir, NULL);
	if (real)
		setenv("IH_IMAGE_DIR", real, 1);
	free(real);
}

int main(int argc, char **argv)
{
	struct ih_backend_opts opts = { .isolation = IH_ISOLATION_VM, .vsock = IH_VSOCK_USER };
	const char *ihvm = argc > 1 ? argv[1] : "build/host/ih-vm";
	struct image small, big;
	struct figures f = { 0 };
	struct ih_vm_cfg cfg = { .vsock = IH_VSOCK_USER };
	struct ih_limits lim;
	char small_path[128], cmd[128];
	int r;

	strcpy(tmp, "/tmp/ih-bench-e2e.XXXXXX");
	if (!mkdtemp(tmp) || make_images(&small, &big, small_path, sizeof(small_path)) < 0) {
		fprintf(stderr, "bench_e2e: cannot make the test images\n");
		return 1;
	}
	use_tree_image();
	ih_limits_default(&lim);
	cfg.mem_bytes = ih_vm_mem_for(&lim);
	r = ih_vm_qemu_prepare(&opts, &cfg);
	r = r ?: measure_cold(ihvm, small_path, &cfg, &f);
	r = r ?: measure_warm(&small, &big, &f);
	if (r == 0)
		report(&small, &big, &f);
	else
		fprintf(stderr, "bench_e2e: a run failed (is the image built? make image)\n");
	ih_vm_qemu_release(&cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_e2e: cannot remove %s\n", tmp);
	free(small.data);
	free(big.data);
	return r ? 1 : 0;
}
