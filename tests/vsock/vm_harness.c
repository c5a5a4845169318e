/* Boot the test image with the built-in vsock backend (see vm_harness.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../tap.h"
#include "vm_harness.h"

static void keep_line(const char *line, void *ctx)
{
	struct vm *vm = ctx;

	if (strncmp(line, "IH-", 3) && !strstr(line, "FAILED") && !strstr(line, "panic") &&
	    strncmp(line, "ih-", 3) && !strstr(line, "qemu"))
		return;
	pthread_mutex_lock(&vm->lock);
	if (vm->nlines < VM_LINES)
		snprintf(vm->lines[vm->nlines++], sizeof(vm->lines[0]), "%s", line);
	pthread_mutex_unlock(&vm->lock);
}

static void log_line(void *opaque, const char *line)
{
	(void)opaque;
	fprintf(stderr, "backend: %s\n", line);
}

/* $IH_IMAGE_DIR, else build/<arch> beside build/host/tests/ where this program lives. */
static int find_image(struct vm *vm, enum ih_arch arch)
{
	char exe[900];
	ssize_t n;
	char *cut;

	if (ih_image_dir_find(arch, vm->image_dir, sizeof(vm->image_dir)) == 0)
		return 0;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -ENOENT;
	exe[n] = 0;
	cut = strstr(exe, "/host/tests/");
	if (!cut)
		return -ENOENT;
	*cut = 0;
	snprintf(vm->image_dir, sizeof(vm->image_dir), "%s/%s", exe, ih_arch_name(arch));
	return access(vm->image_dir, R_OK) < 0 ? -ENOENT : 0;
}

int vm_prepare(struct vm *vm, enum ih_arch arch, const char *extra, unsigned int timeout_ms,
	       const char **why)
{
	memset(vm, 0, sizeof(*vm));
	vm->qemu_fd = vm->done_fd = -1;
	pthread_mutex_init(&vm->lock, NULL);
	if (find_image(vm, arch) < 0) {
		*why = "no guest image: run make image";
		return -ENOENT;
	}
	snprintf(vm->rootfs, sizeof(vm->rootfs), "%s/rootfs-test.squashfs", vm->image_dir);
	if (access(vm->rootfs, R_OK) < 0) {
		*why = "no rootfs-test.squashfs: run make build/<arch>/rootfs-test.squashfs";
		return -ENOENT;
	}
	ih_qemu_opts_init(&vm->opts);
	vm->opts.arch = arch;
	vm->opts.image_dir = vm->image_dir;
	vm->opts.rootfs = vm->rootfs;
	vm->opts.extra_cmdline[vm->opts.n_extra_cmdline++] = "ih.mode=vsock-test";
	if (extra)
		vm->opts.extra_cmdline[vm->opts.n_extra_cmdline++] = extra;
	vm->opts.timeout_ms = timeout_ms;
	vm->opts.on_line = keep_line;
	vm->opts.line_ctx = vm;
	return 0;
}

/* QEMU's argv plus the kernel vhost-vsock device, then the plain spawn. */
static int spawn_kernel_vsock(const struct ih_qemu_spawn_req *req, void *ctx, pid_t *ret_pid)
{
	static char dev[] = "-device", arg[64];
	char *argv[IH_QEMU_ARGV_MAX + 3];
	struct ih_qemu_spawn_req r = *req;
	size_t n = 0;

	(void)ctx;
	while (n < IH_QEMU_ARGV_MAX && req->argv[n]) {
		argv[n] = req->argv[n];
		n++;
	}
	snprintf(arg, sizeof(arg), "vhost-vsock-device,guest-cid=%d", VM_CID);
	argv[n++] = dev;
	argv[n++] = arg;
	argv[n] = NULL;
	r.argv = argv;
	return ih_qemu_spawn_plain(&r, NULL, ret_pid);
}

int vm_vsock(struct vm *vm, enum ih_vsock_kind kind, unsigned int port, int *ret_listen_fd)
{
	int err;

	ih_vsock_set_log(log_line, NULL);
	err = ih_vsock_new(kind, VM_CID, &vm->qemu_fd, &vm->vsock);
	if (err < 0)
		return err;
	if (kind == IH_VSOCK_KERNEL)
		vm->opts.spawn = spawn_kernel_vsock;
	vm->opts.vsock_chardev_fd = vm->qemu_fd;
	return ih_vsock_listen(vm->vsock, port, ret_listen_fd);
}

static void *run(void *arg)
{
	struct vm *vm = arg;

	vm->run_err = ih_qemu_run(&vm->opts, &vm->res);
	eventfd_write(vm->done_fd, 1);
	return NULL;
}

int vm_start(struct vm *vm)
{
	int err;

	vm->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->done_fd < 0)
		return -errno;
	err = pthread_create(&vm->thread, NULL, run, vm);
	if (err)
		return -err;
	vm->started = true;
	return 0;
}

int vm_finish(struct vm *vm)
{
	if (vm->started)
		pthread_join(vm->thread, NULL);
	vm->started = false;
	if (vm->qemu_fd >= 0)
		close(vm->qemu_fd);
	vm->qemu_fd = -1;
	ih_vsock_free(vm->vsock);
	vm->vsock = NULL;
	if (vm->done_fd >= 0)
		close(vm->done_fd);
	vm->done_fd = -1;
	return vm->run_err;
}

bool vm_console_line(struct vm *vm, const char *prefix, char *out, size_t size)
{
	bool found = false;

	pthread_mutex_lock(&vm->lock);
	for (unsigned int i = 0; i < vm->nlines && !found; i++) {
		if (!strncmp(vm->lines[i], prefix, strlen(prefix))) {
			snprintf(out, size, "%s", vm->lines[i]);
			found = true;
		}
	}
	pthread_mutex_unlock(&vm->lock);
	return found;
}

void vm_console_dump(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	for (unsigned int i = 0; i < vm->nlines; i++)
		tap_diag("console: %s", vm->lines[i]);
	pthread_mutex_unlock(&vm->lock);
}
