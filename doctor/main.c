/*
 * ih-doctor: proves the guest's hardening at run time and prints TAP, one result per
 * property. Run by the guest init in ih.mode=doctor; its stdout goes to the host.
 *
 *   ih-doctor [--root DIR] [--no-sandbox]
 *
 * Exit: 0 every check passed, 1 at least one failed, 2 usage.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "doctor.h"
#include "doctor_cmdline.h"
#include "doctor_kconfig.h"
#include "sysctl_conf.h"

#define GUEST_LANDLOCK_ABI 6 /* the Landlock ABI of Linux 6.12 */

struct tap {
	int n;
};

static void tap_report(void *arg, const char *name, const char *reason, enum ih_verdict v,
		       const char *detail)
{
	struct tap *t = arg;

	t->n++;
	if (v == IH_SKIP)
		printf("ok %d - %s # SKIP %s\n", t->n, name, detail);
	else
		printf("%sok %d - %s\n#   %s; why: %s\n", v == IH_FAIL ? "not " : "", t->n, name,
		       detail, reason);
	fflush(stdout);
}

/* The lockdown state lives in securityfs; mount it where the kernel has it. */
static void prepare_live(void)
{
	if (access("/sys/kernel/security", F_OK) == 0 &&
	    access("/sys/kernel/security/lsm", F_OK) != 0)
		mount("securityfs", "/sys/kernel/security", "securityfs",
		      MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

static int usage(void)
{
	fprintf(stderr, "usage: ih-doctor [--root DIR] [--no-sandbox]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct ih_doctor d = {
		.root = "",
		.cmdline_expected = ih_cmdline_expected,
		.sysctl_expected = ih_sysctl_conf,
		.probes = &ih_probes_live,
		.landlock_abi_min = GUEST_LANDLOCK_ABI,
		.mmap_rnd_bits = IH_KCONFIG_ARCH_MMAP_RND_BITS,
		.kfence_interval_ms = IH_KCONFIG_KFENCE_SAMPLE_INTERVAL,
		.sandbox = ih_doctor_sandbox,
	};
	struct tap t = { 0 };
	int failed;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--root") && i + 1 < argc)
			d.root = argv[++i];
		else if (!strcmp(argv[i], "--no-sandbox"))
			d.sandbox = NULL;
		else
			return usage();
	}
	if (!d.root[0])
		prepare_live();
	printf("TAP version 13\n");
	failed = ih_doctor_run(&d, tap_report, &t);
	printf("1..%d\n# ih-doctor: %d of %d checks failed\n", t.n, failed, t.n);
	return failed ? 1 : 0;
}
