/*
 * Boots the TEST image (rootfs-test.squashfs, ih.mode=vsock-test) with the built-in vsock
 * backend, in a thread running ih_qemu_run() (hard timeout, QEMU killed and reaped on every
 * path), and keeps the console lines the guest test program prints ("IH-..." and failures).
 */
#ifndef IH_TESTS_VSOCK_VM_HARNESS_H
#define IH_TESTS_VSOCK_VM_HARNESS_H

#include <pthread.h>
#include <stdbool.h>

#include "host/qemu/qemu.h"
#include "host/vsock/vsock.h"

#define VM_CID 3
#define VM_LINES 64

struct vm {
	struct ih_vsock *vsock;
	int qemu_fd;
	int done_fd; /* eventfd, readable once QEMU has exited */
	pthread_t thread;
	bool started;
	int run_err;
	struct ih_qemu_opts opts;
	struct ih_qemu_result res;
	char image_dir[1024], rootfs[1200];
	pthread_mutex_t lock;
	char lines[VM_LINES][200];
	unsigned int nlines;
};

/*
 * Finds the test image of arch: 0, or -ENOENT with a reason in why (the caller skips).
 * extra: one more kernel command-line token or NULL.
 */
int vm_prepare(struct vm *vm, enum ih_arch arch, const char *extra, unsigned int timeout_ms,
	       const char **why);

/*
 * Creates the vsock transport of kind and listens on port; *ret_listen_fd. For
 * IH_VSOCK_KERNEL, QEMU also gets `-device vhost-vsock-device,guest-cid=VM_CID`. 0 or -errno.
 */
int vm_vsock(struct vm *vm, enum ih_vsock_kind kind, unsigned int port, int *ret_listen_fd);

/* Starts QEMU in the thread. 0 or -errno. */
int vm_start(struct vm *vm);

/* Waits for QEMU to end, frees the backend. Returns the ih_qemu_run() error or 0. */
int vm_finish(struct vm *vm);

/* Copies the first kept console line starting with prefix into out; false if none. */
bool vm_console_line(struct vm *vm, const char *prefix, char *out, size_t size);

/* Prints every kept console line as a TAP diagnostic. */
void vm_console_dump(struct vm *vm);

#endif
