/*
 * make bench: boot time of the arm64 guest (QEMU virt) beside the x86_64 guest (microvm) on
 * this host, both from QEMU start to the IH-READY line of the real image. On an x86_64 host
 * the arm64 guest runs under TCG whatever happens to x86_64, so the x86_64 figure is printed
 * with its accelerator. Runs alternate the two so both see the same machine load; medians
 * and every run are printed, and arm64 as a ratio of x86_64. QEMU's CPU time is printed too.
 * IH_BENCH_RUNS sets the run count (default 5). An image that is not built is reported with
 * the command that builds it, and nothing is measured.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/qemu/accel.h"
#include "host/qemu/qemu.h"

#define MAX_RUNS 50

struct guest {
	struct ih_qemu_opts opts;
	char dir[4096];
	int64_t ready_ns[MAX_RUNS], cpu_ns[MAX_RUNS];
};

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
	printf("  %-40s median %.3f s  runs:", name, median_s(v, n));
	for (int i = 0; i < n; i++)
		printf(" %.3f", (double)v[i] / 1e9);
	printf("\n");
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

/* The image of arch under build/<arch>/ (make bench runs from the top of the tree). */
static int guest_init(struct guest *g, enum ih_arch arch)
{
	ih_qemu_opts_init(&g->opts);
	g->opts.arch = arch;
	snprintf(g->dir, sizeof(g->dir), "build/%s", ih_arch_name(arch));
	if (access(g->dir, R_OK) < 0 || setenv("IH_IMAGE_DIR", g->dir, 1) < 0 ||
	    ih_image_dir_find(arch, g->dir, sizeof(g->dir)) < 0) {
		printf("  %s image not built: make image ARCH=%s; nothing measured\n",
		       ih_arch_name(arch), ih_arch_name(arch));
		return -ENOENT;
	}
	g->opts.image_dir = g->dir;
	/* arm64 uses KVM only on an arm64 host, x86_64 only on an x86_64 one. */
	if (arch == ih_arch_native())
		return ih_accel_choose("/", IH_ACCEL_WANT_AUTO, &g->opts.kvm, NULL);
	g->opts.kvm = false;
	return 0;
}

/* One boot to IH-READY: 0, or -1 (printed). */
static int boot_once(struct guest *g, int n)
{
	struct ih_qemu_result res;
	int r = ih_qemu_run(&g->opts, &res);

	if (r < 0) {
		fprintf(stderr, "bench_arm64: cannot start QEMU for %s: %s\n",
			ih_arch_name(g->opts.arch), strerror(-r));
		return -1;
	}
	if (res.timed_out || res.guest_failed || res.ready_ns < 0) {
		fprintf(stderr, "bench_arm64: %s boot failed (timeout %d, guest failure %d)\n",
			ih_arch_name(g->opts.arch), res.timed_out, res.guest_failed);
		return -1;
	}
	g->ready_ns[n] = res.ready_ns;
	g->cpu_ns[n] = res.cpu_ns;
	return 0;
}

int main(void)
{
	static struct guest x86, arm;
	int runs = runs_from_env();
	int rx = guest_init(&x86, IH_ARCH_X86_64), ra = guest_init(&arm, IH_ARCH_ARM64);
	double fx, fa;

	if (rx < 0 || ra < 0)
		return rx == -ENOENT || ra == -ENOENT ? 0 : 1;
	printf("boot to IH-READY, arm64 (QEMU virt, %s) beside x86_64 (microvm, %s), %d runs "
	       "each\n",
	       arm.opts.kvm ? "KVM" : "TCG", x86.opts.kvm ? "KVM" : "TCG", runs);
	for (int n = 0; n < runs; n++)
		if (boot_once(&x86, n) < 0 || boot_once(&arm, n) < 0)
			return 1;
	print_runs("x86_64: start to IH-READY", x86.ready_ns, runs);
	print_runs("arm64:  start to IH-READY", arm.ready_ns, runs);
	print_runs("x86_64: QEMU CPU time (user+sys)", x86.cpu_ns, runs);
	print_runs("arm64:  QEMU CPU time (user+sys)", arm.cpu_ns, runs);
	fx = median_s(x86.ready_ns, runs);
	fa = median_s(arm.ready_ns, runs);
	printf("  arm64 / x86_64 = %.2f (arm64 takes %+.3f s)\n", fa / fx, fa - fx);
	return 0;
}
