/*
 * Unit test of the arm64 QEMU command line (host/qemu/qemu.c) and of the guest architecture
 * choice behind `ih-vm --arch`: QEMU virt with the CPU features the arm64 kernel config
 * hardens with (pointer authentication, BTI, MTE) under TCG, the host's CPU under KVM, the
 * Image kernel, and the same no-network, read-only-root, shared-memory vsock setup as x86_64.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "host/qemu/qemu.h"

static char dir[128];

/* The value after option opt, or "". */
static const char *opt_value(const struct ih_qemu_argv *a, const char *opt)
{
	for (size_t i = 0; i + 1 < a->argc; i++)
		if (!strcmp(a->argv[i], opt))
			return a->argv[i + 1];
	return "";
}

static bool any_arg_contains(const struct ih_qemu_argv *a, const char *s)
{
	for (size_t i = 0; i < a->argc; i++)
		if (strstr(a->argv[i], s))
			return true;
	return false;
}

static void arm64_opts(struct ih_qemu_opts *o)
{
	ih_qemu_opts_init(o);
	o->arch = IH_ARCH_ARM64;
	o->image_dir = dir;
}

static void test_tcg(struct ih_qemu_argv *a)
{
	struct ih_qemu_opts o;
	char kernel[256];

	arm64_opts(&o);
	tap_ok(ih_qemu_argv(&o, a) == 0, "argv builds for an arm64 TCG boot");
	tap_ok(!strcmp(a->argv[0], "qemu-system-aarch64"),
	       "the QEMU binary is qemu-system-aarch64");
	tap_ok(!strncmp(opt_value(a, "-M"), "virt,", 5), "the machine is virt");
	tap_ok(strstr(opt_value(a, "-M"), "gic-version=3") != NULL, "TCG: GICv3");
	tap_ok(strstr(opt_value(a, "-M"), "mte=on") != NULL,
	       "TCG: MTE on, so the guest's ARM64_MTE has hardware to use");
	tap_ok(!strcmp(opt_value(a, "-cpu"), "max,pauth-impdef=on"),
	       "TCG: cpu max (PAC, BTI) with the cheap PAC algorithm");
	tap_ok(!strcmp(opt_value(a, "-accel"), "tcg"), "TCG: -accel tcg");
	snprintf(kernel, sizeof(kernel), "%s/Image", dir);
	tap_ok(!strcmp(opt_value(a, "-kernel"), kernel), "the kernel is the image's Image");
	tap_ok(!strcmp(opt_value(a, "-append"), "console=ttyAMA0 ro"),
	       "the kernel command line is the image's cmdline file");
	tap_ok(strstr(opt_value(a, "-drive"), "readonly=on") != NULL, "the root is read-only");
	tap_ok(!any_arg_contains(a, "-nic") && !any_arg_contains(a, "netdev") &&
		       !any_arg_contains(a, "virtio-net"),
	       "no network device of any kind");
	tap_ok(any_arg_contains(a, "-nodefaults"), "no default devices");
	tap_ok(!any_arg_contains(a, "memory-backend"), "without vsock, no shared guest memory");
}

static void test_kvm_and_vsock(struct ih_qemu_argv *a)
{
	struct ih_qemu_opts o;

	arm64_opts(&o);
	o.kvm = true;
	tap_ok(ih_qemu_argv(&o, a) == 0 && !strcmp(opt_value(a, "-cpu"), "host") &&
		       !strcmp(opt_value(a, "-accel"), "kvm"),
	       "KVM: the host's CPU under -accel kvm");
	tap_ok(strstr(opt_value(a, "-M"), "gic-version=host") &&
		       !strstr(opt_value(a, "-M"), "mte=on"),
	       "KVM: the host's GIC, no MTE demanded of the host");
	arm64_opts(&o);
	o.vsock_chardev_fd = 7;
	tap_ok(ih_qemu_argv(&o, a) == 0 &&
		       !strcmp(opt_value(a, "-object"),
			       "memory-backend-memfd,id=mem,size=256M,share=on") &&
		       strstr(opt_value(a, "-M"), ",memory-backend=mem"),
	       "vsock: guest memory is a shared memfd the backend can map");
	tap_ok(!strcmp(opt_value(a, "-chardev"), "socket,id=vs,fd=7") &&
		       any_arg_contains(a, "vhost-user-vsock-device,chardev=vs"),
	       "vsock: the built-in vhost-user backend on the given fd");
}

static void test_arch_choice(void)
{
	struct ih_qemu_opts o;
	enum ih_arch arch = IH_ARCH_X86_64;

	tap_ok(ih_arch_parse("arm64", &arch) == 0 && arch == IH_ARCH_ARM64, "--arch=arm64 parses");
	tap_ok(ih_arch_parse("x86_64", &arch) == 0 && arch == IH_ARCH_X86_64,
	       "--arch=x86_64 parses");
	tap_ok(ih_arch_parse("aarch64", &arch) == -EINVAL && ih_arch_parse("", &arch) == -EINVAL &&
		       ih_arch_parse("arm64 ", &arch) == -EINVAL,
	       "other arch names are refused, not guessed");
	tap_ok(ih_arch_guest() == ih_arch_native(), "the guest arch is the host's by default");
	ih_arch_select(ih_arch_native() == IH_ARCH_ARM64 ? IH_ARCH_X86_64 : IH_ARCH_ARM64);
	ih_qemu_opts_init(&o);
	tap_ok(ih_arch_guest() != ih_arch_native() && o.arch == ih_arch_guest(),
	       "a selected arch is what new QEMU options boot");
	tap_ok(!strcmp(ih_kernel_name(IH_ARCH_ARM64), "Image") &&
		       !strcmp(ih_arch_name(IH_ARCH_ARM64), "arm64"),
	       "arm64 images live in build/arm64 with an Image kernel");
}

int main(void)
{
	struct ih_qemu_argv *a = calloc(1, sizeof(*a));
	char path[256];
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/ih-arm64-argv-XXXXXX");
	if (!a || !mkdtemp(dir)) {
		free(a);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/cmdline", dir);
	f = fopen(path, "we");
	if (!f) {
		free(a);
		return 1;
	}
	fputs("console=ttyAMA0 ro\n", f);
	fclose(f);
	test_tcg(a);
	test_kvm_and_vsock(a);
	test_arch_choice();
	unlink(path);
	rmdir(dir);
	free(a);
	return tap_done();
}
