/*
 * The decode VM's host prerequisites and QEMU start (vm_qemu.h), on top of host/qemu/qemu.h: the
 * image directory, the hardened command line (microvm, no network device, read-only root,
 * -no-reboot, QEMU's own seccomp) and the plain spawn in QEMU's own process group come from
 * there; this file adds the vsock device, the guest's mode, and the console's destination.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/qemu/accel.h"
#include "host/jail/jail_vm.h"
#include "host/qemu/qemu.h"
#include "vm_qemu.h"

#define IH_MODE_TOKEN_MAX 64

static const char *qemu_name(void)
{
	return ih_arch_guest() == IH_ARCH_ARM64 ? "qemu-system-aarch64" : "qemu-system-x86_64";
}

/* Looks QEMU up in PATH (IH_QEMU overrides): an absolute path in ret (size PATH_MAX). */
static int find_qemu(char *ret)
{
	const char *env = getenv("IH_QEMU"), *path = getenv("PATH");
	char dirs[4096];

	if (env && *env) {
		snprintf(ret, PATH_MAX, "%s", env);
		return access(ret, X_OK) == 0 ? 0 : -ENOENT;
	}
	snprintf(dirs, sizeof(dirs), "%s", path && *path ? path : "/usr/bin:/bin");
	for (char *save, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if (snprintf(ret, PATH_MAX, "%s/%s", d, qemu_name()) >= PATH_MAX)
			continue;
		if (d[0] == '/' && access(ret, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

static enum ih_accel_want accel_want(enum ih_accel accel)
{
	switch (accel) {
	case IH_ACCEL_KVM:
		return IH_ACCEL_WANT_KVM;
	case IH_ACCEL_TCG:
		return IH_ACCEL_WANT_TCG;
	default:
		return IH_ACCEL_WANT_AUTO;
	}
}

int ih_vm_qemu_prepare(const struct ih_backend_opts *opts, struct ih_vm_cfg *cfg)
{
	char qemu[PATH_MAX], path[PATH_MAX];
	enum ih_kvm_state kvm = IH_KVM_USABLE;
	int r;

	r = ih_image_dir_find(ih_arch_guest(), path, sizeof(path));
	if (r < 0) {
		fprintf(stderr, "%s\n", r == -ENOENT ? ih_image_dir_hint() : strerror(-r));
		return r;
	}
	r = find_qemu(qemu);
	if (r < 0) {
		fprintf(stderr, "ih-vm: %s not found in PATH\nHint: apt-get install %s\n",
			qemu_name(),
			ih_arch_guest() == IH_ARCH_ARM64 ? "qemu-system-arm" : "qemu-system-x86");
		return r;
	}
	r = ih_accel_choose("", accel_want(opts->accel), &cfg->kvm, &kvm);
	if (r < 0) {
		fprintf(stderr,
			"ih-vm: --accel=kvm, but KVM is not usable here: %s\n"
			"Hint: use --accel=auto or --accel=tcg\n",
			ih_kvm_state_str(kvm));
		return r;
	}
	cfg->image_dir = strdup(path);
	cfg->qemu = strdup(qemu);
	if (!cfg->image_dir || !cfg->qemu) {
		ih_vm_qemu_release(cfg);
		return -ENOMEM;
	}
	if (opts->verbose)
		fprintf(stderr, "ih-vm: image %s, %s, accelerator %s%s%s\n", path, qemu,
			cfg->kvm ? "kvm" : "tcg", cfg->kvm ? "" : ": KVM ",
			cfg->kvm ? "" : ih_kvm_state_str(ih_kvm_probe("")));
	return 0;
}

void ih_vm_qemu_release(struct ih_vm_cfg *cfg)
{
	free((char *)cfg->image_dir);
	free((char *)cfg->qemu);
	cfg->image_dir = NULL;
	cfg->qemu = NULL;
}

uint32_t ih_vm_guest_cid(enum ih_vsock_kind kind)
{
	return kind == IH_VSOCK_KERNEL ? 3 + (uint32_t)getpid() : 3;
}

/* The console goes to the log file, or nowhere: an fd for QEMU's stdout and stderr. */
static int open_console(const struct ih_vm_cfg *cfg)
{
	int fd;

	if (!cfg->console_log)
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	else
		fd = open(cfg->console_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY,
			  0600);
	return fd < 0 ? -errno : fd;
}

/* The kernel's vhost-vsock: no backend socket, the guest's CID set on the device. */
static int add_kernel_vsock(struct ih_qemu_argv *a)
{
	char dev[48];
	size_t len;

	snprintf(dev, sizeof(dev), "vhost-vsock-device,guest-cid=%u",
		 ih_vm_guest_cid(IH_VSOCK_KERNEL));
	len = strlen(dev) + 1;
	if (a->argc + 2 >= IH_QEMU_ARGV_MAX || a->used + len > sizeof(a->buf))
		return -E2BIG;
	memcpy(a->buf + a->used, dev, len);
	a->argv[a->argc++] = (char *)"-device";
	a->argv[a->argc++] = a->buf + a->used;
	a->argv[a->argc] = NULL;
	a->used += len;
	return 0;
}

static int build_argv(const struct ih_vm_cfg *cfg, int chardev_fd, struct ih_qemu_argv *ret)
{
	const char *mode = cfg->guest_mode;
	struct ih_qemu_opts o;
	char token[IH_MODE_TOKEN_MAX];
	int r;

	if (mode && (!*mode || strspn(mode, "abcdefghijklmnopqrstuvwxyz-") != strlen(mode) ||
		     strlen(mode) + 9 > sizeof(token)))
		return -EINVAL;
	snprintf(token, sizeof(token), "ih.mode=%s", mode ? mode : "serve");
	ih_qemu_opts_init(&o);
	o.arch = ih_arch_guest();
	o.image_dir = cfg->image_dir;
	o.kvm = cfg->kvm;
	o.mem_mib = (unsigned int)(cfg->mem_bytes >> 20);
	o.extra_cmdline[o.n_extra_cmdline++] = token;
	o.initramfs = cfg->initramfs;
	o.vsock_chardev_fd = chardev_fd;
	o.qemu_binary = cfg->qemu;
	r = ih_qemu_argv(&o, ret);
	return r < 0 || chardev_fd >= 0 ? r : add_kernel_vsock(ret);
}

int ih_vm_qemu_spawn(const struct ih_vm_cfg *cfg, int chardev_fd, pid_t *ret_pid)
{
	struct ih_qemu_spawn_req req = { .stdout_fd = -1 };
	struct ih_qemu_argv *argv;
	int r;

	argv = calloc(1, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	r = build_argv(cfg, chardev_fd, argv);
	if (r == 0)
		r = req.stdout_fd = open_console(cfg);
	if (r >= 0) {
		req.argv = argv->argv;
		if (chardev_fd >= 0)
			req.keep_fds[req.n_keep_fds++] = chardev_fd;
		r = ih_jail_vm_spawn(cfg->image_dir, cfg->initramfs, cfg->mem_bytes, cfg->kvm, &req,
				     ret_pid);
	}
	if (req.stdout_fd >= 0)
		close(req.stdout_fd);
	free(argv);
	return r;
}
