/*
 * make bench: boot time of the guest image, next to its floor.
 *
 * The floor is the same kernel with a do-nothing init (initramfs-floor.cpio.gz, guest/init/floor.c)
 * that ends the VM at once: QEMU start to QEMU exit. The image figure is QEMU start to the
 * IH-READY line of the real image (initramfs, squashfs root, overlay, /sbin/init). Runs
 * alternate floor and image so both see the same machine load; medians are printed with
 * every run, and the image as a ratio of the floor. QEMU's CPU time is printed too: on a
 * loaded machine it moves far less than the wall clock. IH_BENCH_RUNS sets the run count
 * (default 5); IH_BENCH_KERNEL boots another kernel file (e.g. a PVH vmlinux) for both.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/qemu/accel.h"
#include "host/qemu/qemu.h"

#define MAX_RUNS 50

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static double median_s(const int64_t *v, int n)
{
	int64_t s[MAX_RUNS];

	memcpy(s, v, sizeof(*v) * (size_t)n);
	qsort(s, (size_t)n, sizeof(*s), cmp_i64);
	return (double)(n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2) / 1e9;
}

static void print_runs(const char *name, const int64_t *v, int n)
{
	int64_t min = v[0];

	for (int i = 1; i < n; i++)
		min = v[i] < min ? v[i] : min;
	printf("  %-34s median %.3f s  min %.3f s  runs:", name, median_s(v, n), (double)min / 1e9);
	for (int i = 0; i < n; i++)
		printf(" %.3f", (double)v[i] / 1e9);
	printf("\n");
}

/* One boot: 0 with the time of interest in *ret_ns, or -1 (printed). */
static int boot_once(const struct ih_qemu_opts *opts, bool floor, int64_t *ret_ns,
		     int64_t *ret_exit_ns, int64_t *ret_cpu_ns)
{
	struct ih_qemu_result res;
	int r = ih_qemu_run(opts, &res);

	if (r < 0) {
		fprintf(stderr, "bench_boot: cannot start QEMU: %s\n", strerror(-r));
		return -1;
	}
	if (res.timed_out || res.guest_failed || res.exit_ns < 0 || (!floor && res.ready_ns < 0)) {
		fprintf(stderr, "bench_boot: %s boot failed (timeout %d, guest failure %d)\n",
			floor ? "floor" : "image", res.timed_out, res.guest_failed);
		return -1;
	}
	*ret_ns = floor ? res.exit_ns : res.ready_ns;
	*ret_exit_ns = res.exit_ns;
	*ret_cpu_ns = res.cpu_ns;
	return 0;
}

static int runs_from_env(void)
{
	const char *e = getenv("IH_BENCH_RUNS");
	char *end;
	long v;

	if (!e)
		return 5;
	v = strtol(e, &end, 10);
	return *end || v < 1 || v > MAX_RUNS ? 5 : (int)v;
}

static void print_size(const char *dir, const char *name)
{
	char path[4200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &st) == 0)
		printf("  %-34s %lld bytes\n", name, (long long)st.st_size);
}

int main(void)
{
	static char dir[4096], floor_initramfs[4200];
	int64_t floor_ns[MAX_RUNS], ready_ns[MAX_RUNS], exit_ns[MAX_RUNS], unused;
	int64_t floor_cpu[MAX_RUNS], image_cpu[MAX_RUNS];
	struct ih_qemu_opts img, flr;
	int runs = runs_from_env();
	double f, i;

	ih_qemu_opts_init(&img);
	/* make bench runs from the top of the tree: its image is build/<arch>/. */
	snprintf(dir, sizeof(dir), "build/%s", ih_arch_name(img.arch));
	setenv("IH_IMAGE_DIR", dir, 0);
	if (ih_image_dir_find(img.arch, dir, sizeof(dir)) < 0) {
		fprintf(stderr, "%s\n", ih_image_dir_hint());
		return 1;
	}
	img.image_dir = dir;
	img.kernel = getenv("IH_BENCH_KERNEL");
	if (ih_accel_choose("/", IH_ACCEL_WANT_AUTO, &img.kvm, NULL) < 0)
		return 1;
	flr = img;
	snprintf(floor_initramfs, sizeof(floor_initramfs), "%s/initramfs-floor.cpio.gz", dir);
	flr.initramfs = floor_initramfs;
	printf("boot time, %s, %d runs each, image %s%s%s\n", img.kvm ? "KVM" : "TCG", runs, dir,
	       img.kernel ? ", kernel " : "", img.kernel ? img.kernel : "");
	for (int n = 0; n < runs; n++)
		if (boot_once(&flr, true, &floor_ns[n], &unused, &floor_cpu[n]) < 0 ||
		    boot_once(&img, false, &ready_ns[n], &exit_ns[n], &image_cpu[n]) < 0)
			return 1;
	print_runs("floor: start to exit (do-nothing)", floor_ns, runs);
	print_runs("image: start to IH-READY", ready_ns, runs);
	print_runs("image: start to exit", exit_ns, runs);
	print_runs("floor: QEMU CPU time (user+sys)", floor_cpu, runs);
	print_runs("image: QEMU CPU time (user+sys)", image_cpu, runs);
	f = median_s(floor_ns, runs);
	i = median_s(ready_ns, runs);
	printf("  IH-READY / floor = %.2f (image adds %.3f s over the floor)\n", i / f, i - f);
	print_size(dir, ih_kernel_name(img.arch));
	print_size(dir, "initramfs.cpio.gz");
	print_size(dir, "initramfs-floor.cpio.gz");
	print_size(dir, "rootfs.squashfs");
	return 0;
}
