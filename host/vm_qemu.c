/*
 * The decode VM's host prerequisites and QEMU command line (vm_qemu.h). The command line is
 * the hardened one of the image issue: -M microvm, -nodefaults, no network device, the root
 * a read-only virtio-blk drive, memfd guest memory shared with the vsock backend, -no-reboot,
 * and QEMU's own seccomp sandbox with every optional deny.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "vm_qemu.h"

#if defined(__x86_64__)
#define ARCH_DIR "x86_64"
#define KERNEL_FILE "bzImage"
#define QEMU_NAME "qemu-system-x86_64"
#define QEMU_MACHINE "microvm,rtc=on,memory-backend=mem"
#define CONSOLE "console=ttyS0"
#elif defined(__aarch64__)
#define ARCH_DIR "arm64"
#define KERNEL_FILE "Image"
#define QEMU_NAME "qemu-system-aarch64"
#define QEMU_MACHINE "virt,gic-version=max,memory-backend=mem"
#define CONSOLE "console=ttyAMA0"
#else
#error "the decode VM supports x86_64 and arm64 hosts"
#endif

#define CMDLINE_MAX 2048

static const char *const image_files[] = { KERNEL_FILE, "initramfs.cpio.gz", "rootfs.squashfs",
					   "cmdline" };

static int has_image(const char *dir)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(image_files) / sizeof(image_files[0]); i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, image_files[i]) >= (int)sizeof(path))
			return 0;
		if (access(path, R_OK) < 0)
			return 0;
	}
	return 1;
}

/* IH_IMAGE_DIR, else build/<arch> beside build/host/ih-vm, else <prefix>/share/imageharden. */
static int find_image(char **ret_dir)
{
	const char *env = getenv("IH_IMAGE_DIR");
	char exe[PATH_MAX], cand[PATH_MAX + 64];
	ssize_t n;

	if (env && *env) {
		if (!has_image(env))
			return -ENOENT;
		*ret_dir = strdup(env);
		return *ret_dir ? 0 : -ENOMEM;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(cand, sizeof(cand), "%s/../" ARCH_DIR, exe);
	if (!has_image(cand))
		snprintf(cand, sizeof(cand), "%s/../share/imageharden/" ARCH_DIR, exe);
	if (!has_image(cand))
		return -ENOENT;
	*ret_dir = realpath(cand, NULL);
	return *ret_dir ? 0 : -errno;
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
		if (snprintf(ret, PATH_MAX, "%s/" QEMU_NAME, d) >= PATH_MAX)
			continue;
		if (d[0] == '/' && access(ret, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

/* KVM is real only with a usable /dev/kvm, hardware virtualisation and no PVM host. */
static int kvm_is_real(void)
{
	char line[4096];
	int fd, virt = 0;
	FILE *f;

	if (access("/sys/module/kvm_pvm", F_OK) == 0)
		return 0;
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0;
	close(fd);
#if defined(__x86_64__)
	f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return 0;
	while (!virt && fgets(line, sizeof(line), f))
		virt = !strncmp(line, "flags", 5) && (strstr(line, " vmx") || strstr(line, " svm"));
	fclose(f);
#else
	(void)line;
	(void)f;
	virt = 1;
#endif
	return virt;
}

static int choose_accel(enum ih_accel want, bool *ret_kvm)
{
	bool real = kvm_is_real();

	if (want == IH_ACCEL_KVM && !real)
		return -ENODEV;
	*ret_kvm = want != IH_ACCEL_TCG && real;
	return 0;
}

int ih_vm_qemu_prepare(const struct ih_backend_opts *opts, struct ih_vm_cfg *cfg)
{
	char qemu[PATH_MAX], *dir = NULL;
	int r;

	r = find_image(&dir);
	if (r < 0) {
		fprintf(stderr,
			"ih-vm: no guest image (%s, initramfs.cpio.gz, rootfs.squashfs, cmdline)\n"
			"Hint: run 'make image' in the source tree, or set IH_IMAGE_DIR\n",
			KERNEL_FILE);
		return r;
	}
	r = find_qemu(qemu);
	if (r < 0) {
		fprintf(stderr, "ih-vm: %s not found in PATH\nHint: apt-get install %s\n",
			QEMU_NAME, "qemu-system-x86 (or qemu-system-arm on arm64)");
		free(dir);
		return r;
	}
	r = choose_accel(opts->accel, &cfg->kvm);
	if (r < 0) {
		fprintf(stderr, "ih-vm: --accel=kvm, but KVM is not usable here (no /dev/kvm, no "
				"vmx/svm, or a PVM host)\nHint: use --accel=auto or --accel=tcg\n");
		free(dir);
		return r;
	}
	cfg->image_dir = dir;
	cfg->qemu = strdup(qemu);
	if (!cfg->qemu) {
		ih_vm_qemu_release(cfg);
		return -ENOMEM;
	}
	if (opts->verbose)
		fprintf(stderr, "ih-vm: image %s, %s, accelerator %s\n", dir, qemu,
			cfg->kvm ? "kvm" : "tcg (KVM is not real here)");
	return 0;
}

void ih_vm_qemu_release(struct ih_vm_cfg *cfg)
{
	free((char *)cfg->image_dir);
	free((char *)cfg->qemu);
	cfg->image_dir = NULL;
	cfg->qemu = NULL;
}

/* The kernel command line: the image's cmdline file, the console, the guest's mode. */
static int build_cmdline(const struct ih_vm_cfg *cfg, char *out, size_t size)
{
	char path[PATH_MAX], base[CMDLINE_MAX];
	const char *mode = cfg->guest_mode;
	size_t n;
	FILE *f;
	int r;

	if (mode && (!*mode || strspn(mode, "abcdefghijklmnopqrstuvwxyz-") != strlen(mode)))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/cmdline", cfg->image_dir);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(base, 1, sizeof(base) - 1, f);
	fclose(f);
	base[n] = '\0';
	base[strcspn(base, "\n")] = '\0';
	r = snprintf(out, size, "%s%s%s%s%s", base, strstr(base, "console=") ? "" : " " CONSOLE,
		     cfg->console_log ? "" : " quiet", mode ? " ih.mode=" : "", mode ? mode : "");
	return r < 0 || (size_t)r >= size ? -E2BIG : 0;
}

/* Doubles every comma, as QEMU's option syntax wants in a value. */
static int qemu_escape(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in; in++) {
		if (o + 3 > size)
			return -E2BIG;
		out[o++] = *in;
		if (*in == ',')
			out[o++] = ',';
	}
	out[o] = '\0';
	return 0;
}

struct qemu_argv {
	char mem[32], memobj[96], kernel[PATH_MAX + 16], initrd[PATH_MAX + 32];
	char drive[2 * PATH_MAX + 64], chardev[48], serial[2 * PATH_MAX + 16];
	char cmdline[CMDLINE_MAX + 128];
	const char *argv[64];
};

static int build_argv(const struct ih_vm_cfg *cfg, int chardev_fd, struct qemu_argv *q)
{
	unsigned long long mib = (unsigned long long)(cfg->mem_bytes >> 20);
	char esc[2 * PATH_MAX];
	const char **a = q->argv;
	int r;

	r = build_cmdline(cfg, q->cmdline, sizeof(q->cmdline));
	if (r < 0)
		return r;
	snprintf(q->mem, sizeof(q->mem), "%lluM", mib);
	snprintf(q->memobj, sizeof(q->memobj), "memory-backend-memfd,id=mem,size=%lluM,share=on",
		 mib);
	snprintf(q->kernel, sizeof(q->kernel), "%s/" KERNEL_FILE, cfg->image_dir);
	snprintf(q->initrd, sizeof(q->initrd), "%s/initramfs.cpio.gz", cfg->image_dir);
	if (qemu_escape(cfg->image_dir, esc, sizeof(esc)) < 0)
		return -E2BIG;
	snprintf(q->drive, sizeof(q->drive),
		 "if=none,id=root,format=raw,readonly=on,file=%s/rootfs.squashfs", esc);
	snprintf(q->chardev, sizeof(q->chardev), "socket,id=vsock,fd=%d", chardev_fd);
	strcpy(q->serial, "none");
	if (cfg->console_log) {
		if (qemu_escape(cfg->console_log, esc, sizeof(esc)) < 0)
			return -E2BIG;
		snprintf(q->serial, sizeof(q->serial), "file:%s", esc);
	}
	*a++ = cfg->qemu;
	*a++ = "-M";
	*a++ = QEMU_MACHINE;
	*a++ = "-accel";
	*a++ = cfg->kvm ? "kvm" : "tcg";
	*a++ = "-cpu";
	*a++ = cfg->kvm ? "host" : "max";
	*a++ = "-smp";
	*a++ = "1";
	*a++ = "-m";
	*a++ = q->mem;
	*a++ = "-object";
	*a++ = q->memobj;
	*a++ = "-nodefaults";
	*a++ = "-no-user-config";
	*a++ = "-display";
	*a++ = "none";
	*a++ = "-nic";
	*a++ = "none";
	*a++ = "-no-reboot";
	*a++ = "-sandbox";
	*a++ = "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";
	*a++ = "-kernel";
	*a++ = q->kernel;
	*a++ = "-initrd";
	*a++ = q->initrd;
	*a++ = "-append";
	*a++ = q->cmdline;
	*a++ = "-drive";
	*a++ = q->drive;
	*a++ = "-device";
	*a++ = "virtio-blk-device,drive=root";
	*a++ = "-global";
	*a++ = "virtio-mmio.force-legacy=false";
	if (chardev_fd >= 0) {
		*a++ = "-chardev";
		*a++ = q->chardev;
		*a++ = "-device";
		*a++ = "vhost-user-vsock-device,chardev=vsock";
	} else {
		*a++ = "-device";
		*a++ = "vhost-vsock-device,guest-cid=3";
	}
	*a++ = "-serial";
	*a++ = q->serial;
	*a = NULL;
	return 0;
}

/* In the child: own process group, die with the launcher, only fds 0-2 and the chardev. */
static __attribute__((noreturn)) void exec_qemu(const struct qemu_argv *q, int chardev_fd,
						pid_t parent)
{
	sigset_t all;
	int null;

	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0)
		_exit(127);
	if (chardev_fd >= 0 && fcntl(chardev_fd, F_SETFD, 0) < 0)
		_exit(127);
	for (int fd = 3; fd < 1024; fd++)
		if (fd != chardev_fd)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	execv(q->argv[0], (char *const *)q->argv);
	_exit(127);
}

int ih_vm_qemu_spawn(const struct ih_vm_cfg *cfg, int chardev_fd, pid_t *ret_pid)
{
	struct qemu_argv *q;
	pid_t parent = getpid(), pid;
	int r;

	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	r = build_argv(cfg, chardev_fd, q);
	if (r < 0) {
		free(q);
		return r;
	}
	pid = fork();
	if (pid == 0)
		exec_qemu(q, chardev_fd, parent);
	r = pid < 0 ? -errno : 0;
	if (pid > 0) {
		setpgid(pid, pid);
		*ret_pid = pid;
	}
	free(q);
	return r;
}
