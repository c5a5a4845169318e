/*
 * Unit test of the QEMU command line (host/qemu/qemu.c) on a fake image directory: the hardening
 * options are all there, nothing network-like is, the root is read-only, the kernel command
 * line is the image's plus the extra tokens, and hostile tokens and paths are refused or
 * escaped.
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

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

/* Index of the argument equal to s, or -1. */
static int find_arg(const struct ih_qemu_argv *a, const char *s)
{
	for (size_t i = 0; i < a->argc; i++)
		if (!strcmp(a->argv[i], s))
			return (int)i;
	return -1;
}

/* The value after option opt, or "". */
static const char *opt_value(const struct ih_qemu_argv *a, const char *opt)
{
	int i = find_arg(a, opt);

	return i >= 0 && (size_t)i + 1 < a->argc ? a->argv[i + 1] : "";
}

static bool any_arg_contains(const struct ih_qemu_argv *a, const char *s)
{
	for (size_t i = 0; i < a->argc; i++)
		if (strstr(a->argv[i], s))
			return true;
	return false;
}

static void base_opts(struct ih_qemu_opts *o)
{
	ih_qemu_opts_init(o);
	o->arch = IH_ARCH_X86_64;
	o->image_dir = dir;
}

static void test_hardening(struct ih_qemu_argv *a)
{
	struct ih_qemu_opts o;

	base_opts(&o);
	tap_ok(ih_qemu_argv(&o, a) == 0, "argv builds for a plain TCG boot");
	tap_ok(a->argv[a->argc] == NULL, "argv is NULL-terminated");
	tap_ok(find_arg(a, "-nodefaults") > 0 && find_arg(a, "-no-user-config") > 0,
	       "no default devices, no user config");
	tap_ok(find_arg(a, "-no-reboot") > 0, "a guest reset ends QEMU (-no-reboot)");
	tap_ok(!strcmp(opt_value(a, "-sandbox"),
		       "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"),
	       "QEMU's own seccomp sandbox with every deny");
	tap_ok(!strncmp(opt_value(a, "-M"), "microvm,", 8) &&
		       strstr(opt_value(a, "-M"), "rtc=on") &&
		       strstr(opt_value(a, "-M"), "acpi=off"),
	       "microvm with rtc=on and acpi=off");
	tap_ok(!any_arg_contains(a, "netdev") && find_arg(a, "-nic") < 0 &&
		       find_arg(a, "-net") < 0 && !any_arg_contains(a, "virtio-net"),
	       "no network device of any kind");
	tap_ok(strstr(opt_value(a, "-drive"), ",readonly=on") != NULL,
	       "the root drive is read-only at QEMU's level");
	tap_ok(!strcmp(opt_value(a, "-accel"), "tcg") && find_arg(a, "-cpu") < 0,
	       "TCG without -cpu host");
	tap_ok(!strcmp(opt_value(a, "-append"), "root=/dev/vda ro quiet noapictimer"),
	       "under TCG the command line is the image's cmdline plus its cmdline-tcg");
	tap_ok(!any_arg_contains(a, "vhost-user") && !any_arg_contains(a, "memfd"),
	       "no vsock device unless asked");
}

static void test_extra_and_vsock(struct ih_qemu_argv *a)
{
	struct ih_qemu_opts o;

	base_opts(&o);
	o.kvm = true;
	o.mem_mib = 128;
	o.vsock_chardev_fd = 7;
	o.extra_cmdline[o.n_extra_cmdline++] = "ih.mode=serve";
	tap_ok(ih_qemu_argv(&o, a) == 0, "argv builds with KVM, vsock and a mode");
	tap_ok(!strcmp(opt_value(a, "-append"), "root=/dev/vda ro quiet ih.mode=serve"),
	       "under KVM: no cmdline-tcg tokens, extra tokens appended");
	tap_ok(!strcmp(opt_value(a, "-accel"), "kvm") && !strcmp(opt_value(a, "-cpu"), "host"),
	       "KVM uses -cpu host");
	tap_ok(!strcmp(opt_value(a, "-m"), "128M"), "guest memory as asked");
	tap_ok(!strcmp(opt_value(a, "-object"), "memory-backend-memfd,id=mem,size=128M,share=on") &&
		       strstr(opt_value(a, "-M"), "memory-backend=mem"),
	       "vsock: guest memory is a shared memfd backend");
	tap_ok(!strcmp(opt_value(a, "-chardev"), "socket,id=vs,fd=7") &&
		       any_arg_contains(a, "vhost-user-vsock-device,chardev=vs") &&
		       !strcmp(opt_value(a, "-global"), "virtio-mmio.force-legacy=false"),
	       "vsock: vhost-user device on the given fd, modern virtio-mmio");
}

static void test_hostile(struct ih_qemu_argv *a)
{
	static const char *const bad[] = { "", "ih.mode=a b", "init=/bin/sh\n", "x\t" };
	struct ih_qemu_opts o;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		base_opts(&o);
		o.extra_cmdline[o.n_extra_cmdline++] = bad[i];
		tap_ok(ih_qemu_argv(&o, a) == -EINVAL,
		       "an extra token with a space, control character or nothing is refused "
		       "(#%zu)",
		       i);
	}
	base_opts(&o);
	o.rootfs = "/tmp/a,file=/etc/shadow";
	tap_ok(ih_qemu_argv(&o, a) == 0 &&
		       !strcmp(opt_value(a, "-drive"), "id=root,file=/tmp/a,,file=/etc/"
						       "shadow,format=raw,if=none,readonly=on"),
	       "a comma in the root path is escaped, not a new drive option");
	base_opts(&o);
	o.arch = (enum ih_arch)(IH_ARCH_ARM64 + 1);
	tap_ok(ih_qemu_argv(&o, a) == -ENOTSUP, "an arch without a machine model is refused");
	base_opts(&o);
	o.image_dir = "/nonexistent-ih-image";
	tap_ok(ih_qemu_argv(&o, a) == -ENOENT, "a missing cmdline file is an error");
}

static void test_image_dir(void)
{
	char found[256];

	setenv("IH_IMAGE_DIR", dir, 1);
	tap_ok(ih_image_dir_find(IH_ARCH_X86_64, found, sizeof(found)) == -ENOENT,
	       "IH_IMAGE_DIR without a kernel does not count as an image");
	write_file("vmlinux", "k");
	tap_ok(ih_image_dir_find(IH_ARCH_X86_64, found, sizeof(found)) == 0 && !strcmp(found, dir),
	       "IH_IMAGE_DIR with every image file is found");
	tap_ok(ih_image_dir_find(IH_ARCH_X86_64, found, 8) == -ENAMETOOLONG,
	       "a result buffer too small is an error, not a truncation");
	unsetenv("IH_IMAGE_DIR");
	tap_ok(strstr(ih_image_dir_hint(), "Hint: ") != NULL,
	       "the missing-image message has a Hint");
}

int main(void)
{
	struct ih_qemu_argv *a = calloc(1, sizeof(*a));
	char cmd[160];

	snprintf(dir, sizeof(dir), "/tmp/ih-qemu-argv-XXXXXX");
	if (!a || !mkdtemp(dir)) {
		tap_ok(0, "set up a fake image directory");
		return tap_done();
	}
	write_file("cmdline", "root=/dev/vda ro quiet\n");
	write_file("cmdline-tcg", "noapictimer\n");
	write_file("initramfs.cpio.gz", "i");
	write_file("rootfs.squashfs", "r");
	test_hardening(a);
	test_extra_and_vsock(a);
	test_hostile(a);
	test_image_dir();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
	free(a);
	return tap_done();
}
