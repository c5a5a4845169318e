/*
 * make bench: what the VMM jail costs on a VM's cold start. Times QEMU (TCG, -M microvm) from
 * the spawn call to its exit for a do-nothing machine, jailed (best-effort) and --jail=off,
 * interleaved in the same run, and prints the medians and their ratio (goal: under 1.05).
 * The machine's firmware is 64 KiB generated here: at the reset vector it writes 0 to an
 * isa-debug-exit port, so QEMU exits with status 1 as soon as the guest runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "host/jail/jail.h"
#include "host/jail/jail_qemu.h"
#include "jail_test.h"

#define RUNS 21
#define BOOT_RUNS 5
#define BIOS_SIZE 65536
#define EXIT_STATUS 1 /* isa-debug-exit: (0 << 1) | 1 */

static char bios[96];

/* mov al, 0; out 0xf4, al; hlt, at the reset vector (16 bytes below the top). */
static int write_bios(void)
{
	static const unsigned char code[] = { 0xb0, 0x00, 0xe6, 0xf4, 0xf4 };
	unsigned char *img = malloc(BIOS_SIZE);
	FILE *f = fopen(bios, "we");
	int r = 0;

	if (!img || !f)
		r = -ENOMEM;
	if (r == 0) {
		memset(img, 0xf4, BIOS_SIZE);
		memcpy(img + BIOS_SIZE - 16, code, sizeof(code));
		r = fwrite(img, 1, BIOS_SIZE, f) == BIOS_SIZE ? 0 : -EIO;
	}
	if (f)
		fclose(f);
	free(img);
	return r;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One start-to-exit in ms (and in *spawn_ms the spawn call alone), or a negative errno. */
static double run_once(enum ih_jail_mode mode, double *spawn_ms)
{
	const char *ro[] = { bios, NULL };
	struct ih_jail_cfg cfg = { .mode = mode, .guest_mem = 128ULL << 20, .ro_paths = ro };
	char *argv[] = { "/usr/bin/qemu-system-x86_64",
			 "-M",
			 "microvm",
			 "-nodefaults",
			 "-display",
			 "none",
			 "-no-reboot",
			 "-bios",
			 bios,
			 "-device",
			 "isa-debug-exit,iobase=0xf4,iosize=4",
			 "-m",
			 "128",
			 "-accel",
			 "tcg",
			 "-monitor",
			 "none",
			 "-serial",
			 "none",
			 "-sandbox",
			 "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
			 NULL };
	struct ih_jail_report rep;
	double t0 = now_ms();
	pid_t pid;
	int r = ih_jail_spawn(&cfg, argv, NULL, 0, &pid, &rep);

	if (r < 0)
		return r;
	*spawn_ms = now_ms() - t0;
	r = wait_timeout(pid, 30 * 1000);
	ih_jail_release(&rep);
	if (r != EXIT_STATUS)
		return r < 0 ? r : -EPROTO;
	return now_ms() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int measure(void)
{
	double off[RUNS], jail[RUNS], so[RUNS], sj[RUNS], mo, mj;

	/* one warm-up each: page cache and dynamic loader, not the jail */
	if (run_once(IH_JAIL_OFF, &so[0]) < 0 || run_once(IH_JAIL_BEST_EFFORT, &sj[0]) < 0)
		return -1;
	for (int i = 0; i < RUNS; i++) {
		off[i] = run_once(IH_JAIL_OFF, &so[i]);
		jail[i] = run_once(IH_JAIL_BEST_EFFORT, &sj[i]);
		if (off[i] < 0 || jail[i] < 0)
			return -1;
	}
	mo = median(off, RUNS);
	mj = median(jail, RUNS);
	printf("QEMU cold start to exit (TCG, microvm, do-nothing firmware), median of %d:\n",
	       RUNS);
	printf("  --jail=off          %8.1f ms (baseline)\n", mo);
	printf("  --jail=best-effort  %8.1f ms (%+.1f ms)\n", mj, mj - mo);
	printf("  ratio jail/off      %8.3f (goal < 1.050: %s)\n", mj / mo,
	       mj / mo < 1.05 ? "met" : "missed");
	printf("  the spawn call alone (fork to exec, and the jail's /proc check): off %.2f ms, "
	       "jailed %.2f ms\n",
	       median(so, RUNS), median(sj, RUNS));
	return 0;
}

/* The real guest image: spawn to IH-READY and to power-off in ms, or a negative errno. */
static int boot_once(const char *dir, enum ih_jail_mode mode, double *ready, double *exit)
{
	struct ih_qemu_opts opts;
	struct ih_jail_qemu jq;
	struct ih_qemu_result res = { .ready_ns = -1, .exit_ns = -1 };
	int r;

	ih_qemu_opts_init(&opts);
	opts.image_dir = dir;
	opts.spawn = ih_jail_qemu_spawn;
	opts.spawn_ctx = &jq;
	r = ih_jail_qemu_init(&jq, &opts, mode, NULL);
	if (r == 0)
		r = ih_qemu_run(&opts, &res);
	ih_jail_release(&jq.report);
	if (r < 0)
		return r;
	if (res.ready_ns < 0 || res.exit_ns < 0 || res.guest_failed)
		return -EPROTO;
	*ready = res.ready_ns / 1e6;
	*exit = res.exit_ns / 1e6;
	return 0;
}

static int measure_boot(void)
{
	double ro[BOOT_RUNS], eo[BOOT_RUNS], rj[BOOT_RUNS], ej[BOOT_RUNS], mo, mj;
	struct ih_qemu_opts opts;
	char dir[PATH_MAX];

	ih_qemu_opts_init(&opts);
	if (ih_image_dir_find(opts.arch, dir, sizeof(dir)) < 0 &&
	    (!realpath("build/x86_64", dir) || access("build/x86_64/bzImage", R_OK) < 0)) {
		printf("guest boot: no image built; skipped\n");
		return 0;
	}
	for (int i = 0; i < BOOT_RUNS; i++)
		if (boot_once(dir, IH_JAIL_OFF, &ro[i], &eo[i]) < 0 ||
		    boot_once(dir, IH_JAIL_BEST_EFFORT, &rj[i], &ej[i]) < 0)
			return -1;
	mo = median(ro, BOOT_RUNS);
	mj = median(rj, BOOT_RUNS);
	printf("guest boot to IH-READY (TCG, the real image), median of %d:\n", BOOT_RUNS);
	printf("  --jail=off          %8.1f ms (baseline)\n", mo);
	printf("  --jail=best-effort  %8.1f ms (%+.1f ms)\n", mj, mj - mo);
	printf("  ratio jail/off      %8.3f (goal < 1.050: %s)\n", mj / mo,
	       mj / mo < 1.05 ? "met" : "missed");
	printf("  to power-off: off %.1f ms, jailed %.1f ms\n", median(eo, BOOT_RUNS),
	       median(ej, BOOT_RUNS));
	return 0;
}

int main(void)
{
	struct utsname u;
	int r;

	if (uname(&u) < 0 || strcmp(u.machine, "x86_64") ||
	    access("/usr/bin/qemu-system-x86_64", X_OK) < 0) {
		printf("bench_jail: needs qemu-system-x86_64 on an x86_64 host; skipped\n");
		return 0;
	}
	snprintf(bios, sizeof(bios), "/tmp/ih-bench-jail-%d.bin", (int)getpid());
	r = write_bios();
	if (r == 0)
		r = measure();
	unlink(bios);
	if (r == 0)
		r = measure_boot();
	if (r < 0)
		fprintf(stderr, "bench_jail: a QEMU run failed\n");
	return r < 0 ? 1 : 0;
}
