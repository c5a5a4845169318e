/*
 * Unit test of host/qemu/accel.c against fake sysroots: KVM is chosen only when /dev/kvm opens,
 * the CPU flags show vmx or svm, and the host is not PVM; every other machine gets TCG.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "host/qemu/accel.h"

struct fake {
	const char *flags; /* the cpuinfo flags line, NULL for no cpuinfo at all */
	bool dev_kvm;
	bool pvm;
};

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

/* Builds a fake machine below a fresh directory; returns its path (static storage). */
static const char *make_sysroot(const struct fake *m)
{
	static char root[64];
	char path[256], text[512];

	snprintf(root, sizeof(root), "/tmp/ih-accel-XXXXXX");
	if (!mkdtemp(root))
		return NULL;
	snprintf(path, sizeof(path), "%s/dev", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/proc", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sys", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sys/module", root);
	mkdir(path, 0755);
	if (m->dev_kvm) {
		snprintf(path, sizeof(path), "%s/dev/kvm", root);
		write_text(path, "");
	}
	if (m->flags) {
		snprintf(path, sizeof(path), "%s/proc/cpuinfo", root);
		snprintf(text, sizeof(text),
			 "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: %s\n\n", m->flags);
		write_text(path, text);
	}
	if (m->pvm) {
		snprintf(path, sizeof(path), "%s/sys/module/kvm_pvm", root);
		mkdir(path, 0755);
	}
	return root;
}

static void remove_sysroot(const char *root)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", root);
}

/* One case: the probe's verdict and what auto picks. */
static void check(const char *name, const struct fake *m, enum ih_kvm_state want_state)
{
	const char *root = make_sysroot(m);
	enum ih_kvm_state state = IH_KVM_USABLE;
	bool kvm = true;
	int r;

	if (!root) {
		tap_ok(0, "%s: cannot make a fake sysroot", name);
		return;
	}
	tap_ok(ih_kvm_probe(root) == want_state, "%s: probe says '%s'", name,
	       ih_kvm_state_str(want_state));
	r = ih_accel_choose(root, IH_ACCEL_WANT_AUTO, &kvm, &state);
	tap_ok(r == 0 && kvm == (want_state == IH_KVM_USABLE) && state == want_state,
	       "%s: auto picks %s", name, want_state == IH_KVM_USABLE ? "KVM" : "TCG");
	r = ih_accel_choose(root, IH_ACCEL_WANT_KVM, &kvm, &state);
	tap_ok(want_state == IH_KVM_USABLE ? r == 0 && kvm : r == -ENODEV, "%s: --accel=kvm %s",
	       name, want_state == IH_KVM_USABLE ? "is granted" : "fails");
	r = ih_accel_choose(root, IH_ACCEL_WANT_TCG, &kvm, NULL);
	tap_ok(r == 0 && !kvm, "%s: --accel=tcg is TCG", name);
	remove_sysroot(root);
}

int main(void)
{
	enum ih_accel_want want;

	check("real Intel KVM", &(struct fake){ "fpu vme vmx sse2", true, false }, IH_KVM_USABLE);
	check("real AMD KVM", &(struct fake){ "fpu svm sse2", true, false }, IH_KVM_USABLE);
	check("PVM host with vmx and /dev/kvm", &(struct fake){ "fpu vmx sse2", true, true },
	      IH_KVM_PVM);
	check("no vmx or svm flag", &(struct fake){ "fpu vme sse2", true, false },
	      IH_KVM_NO_VIRT_FLAGS);
	check("flag that only starts with vmx", &(struct fake){ "fpu vmxnope sse2", true, false },
	      IH_KVM_NO_VIRT_FLAGS);
	check("no cpuinfo", &(struct fake){ NULL, true, false }, IH_KVM_NO_VIRT_FLAGS);
	check("no /dev/kvm", &(struct fake){ "fpu vmx", false, false }, IH_KVM_NO_DEVICE);

	tap_ok(ih_accel_parse("auto", &want) == 0 && want == IH_ACCEL_WANT_AUTO, "parse auto");
	tap_ok(ih_accel_parse("kvm", &want) == 0 && want == IH_ACCEL_WANT_KVM, "parse kvm");
	tap_ok(ih_accel_parse("tcg", &want) == 0 && want == IH_ACCEL_WANT_TCG, "parse tcg");
	tap_ok(ih_accel_parse("KVM", &want) == -EINVAL && ih_accel_parse("", &want) == -EINVAL,
	       "parse rejects unknown names");
	return tap_done();
}
