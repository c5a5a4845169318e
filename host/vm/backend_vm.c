/*
 * The vm backend (host/vm/backend.h): images are decoded in a hardened microVM, one after
 * another through one warm VM. A VM whose guest misbehaves (a lying answer, a protocol
 * error, a timeout, QEMU gone) is discarded at once: that image is rejected with the reason,
 * and the next image gets a freshly booted VM. --fresh-vm boots a new VM for every image.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "host/jail/jail_vm.h"
#include "vm.h"
#include "vm_client.h"
#include "vm_qemu.h"

#define BOOT_TIMEOUT_MS 60000 /* QEMU start to the guest's connection, TCG on a busy host */

struct vm_backend {
	struct ih_backend base; /* first: the interface's handle */
	struct ih_backend_opts opts;
	struct ih_vm_cfg cfg;
	struct ih_vm *vm; /* NULL: the next image boots one */
	int jail_err; /* 0 when jail_layers holds what was measured on vm at its boot */
	unsigned int jail_layers;
};

static struct vm_backend *to_vm(struct ih_backend *b)
{
	return (struct vm_backend *)b;
}

static const char *boot_error(int r)
{
	switch (r) {
	case -ECHILD:
		return "QEMU exited before the guest's service connected";
	case -ETIMEDOUT:
		return "the guest's service did not connect in time";
	default:
		return strerror(-r);
	}
}

/* Boots a VM big enough for lim; says why in one line (and a Hint) when it cannot. */
static int boot(struct vm_backend *vb, const struct ih_limits *lim)
{
	int64_t t0 = ih_now_ms();
	int r;

	vb->cfg.mem_bytes = ih_vm_mem_for(lim);
	r = ih_vm_start(&vb->cfg, &vb->vm);
	if (r == -ECHILD || r == -ETIMEDOUT) /* QEMU ran: the guest's console tells why */
		fprintf(stderr, "ih-vm: the VM did not come up: %s\n%s\n", boot_error(r),
			vb->cfg.console_log ? "Hint: its console is in the --console-log file"
					    : "Hint: --console-log FILE keeps the guest's console");
	else if (r < 0) /* QEMU never ran: the jail or the start said why, with its Hint */
		fprintf(stderr, "ih-vm: the VM did not start: %s\n", boot_error(r));
	else if (vb->opts.verbose)
		fprintf(stderr, "ih-vm: VM up (QEMU pid %d, %llu MiB, %s) in %lld ms\n",
			(int)ih_vm_qemu_pid(vb->vm), (unsigned long long)(vb->cfg.mem_bytes >> 20),
			vb->cfg.kvm ? "kvm" : "tcg", (long long)(ih_now_ms() - t0));
	if (r < 0)
		return r;
	vb->jail_err = ih_jail_layers(ih_vm_qemu_pid(vb->vm), &vb->jail_layers);
	if (vb->opts.verbose)
		ih_jail_print(ih_vm_qemu_pid(vb->vm), false, stderr);
	return 0;
}

static int vm_open(const struct ih_backend_opts *opts, struct ih_backend **ret)
{
	struct vm_backend *vb;
	struct ih_limits lim;
	int r;

	vb = calloc(1, sizeof(*vb));
	if (!vb)
		return -ENOMEM;
	vb->base.ops = &ih_backend_vm_ops;
	vb->opts = *opts;
	vb->cfg.vsock = opts->vsock;
	vb->cfg.console_log = opts->console_log;
	vb->cfg.boot_timeout_ms = BOOT_TIMEOUT_MS;
	/* A test hook only: the fault tests run a guest that never answers (guest/init/serve.h). */
	vb->cfg.guest_mode = getenv("IH_VM_GUEST_MODE");
	r = ih_vm_qemu_prepare(opts, &vb->cfg);
	if (r == 0) {
		ih_limits_default(&lim);
		r = boot(vb, &lim);
	}
	if (r < 0) {
		free(vb);
		return r;
	}
	*ret = &vb->base;
	return 0;
}

static void reject(struct ih_decoded *ret, const char *why)
{
	memset(ret, 0, sizeof(*ret));
	ret->resp.status = IH_STATUS_REJECTED;
	snprintf(ret->resp.reason, sizeof(ret->resp.reason), "vm: %s; VM discarded", why);
}

static int vm_decode(struct ih_backend *b, const struct ih_limits *lim, uint32_t flags,
		     const struct ih_decode_opts *opts, const uint8_t *input, size_t input_len,
		     struct ih_decoded *ret)
{
	struct vm_backend *vb = to_vm(b);
	int r;

	if (vb->vm && ih_vm_mem(vb->vm) < ih_vm_mem_for(lim)) {
		ih_vm_stop(vb->vm);
		vb->vm = NULL;
	}
	if (!vb->vm) {
		r = boot(vb, lim);
		if (r < 0)
			return r;
	}
	r = ih_vm_decode(vb->vm, lim, flags, opts, input, input_len, ret);
	if (r < 0) {
		ih_vm_kill(vb->vm);
		vb->vm = NULL;
		reject(ret, ih_vm_client_strerror(r));
		return 0;
	}
	/* The guest powers off after a failure of its own; a --fresh-vm VM serves one image. */
	if (ret->resp.status == IH_STATUS_INTERNAL || vb->opts.fresh_vm) {
		ih_vm_stop(vb->vm);
		vb->vm = NULL;
	}
	return 0;
}

static void vm_close(struct ih_backend *b)
{
	struct vm_backend *vb;

	if (!b)
		return;
	vb = to_vm(b);
	ih_vm_stop(vb->vm);
	ih_vm_qemu_release(&vb->cfg);
	free(vb);
}

static int vm_jail_layers(struct ih_backend *b, unsigned int *ret_layers)
{
	struct vm_backend *vb = to_vm(b);

	if (!vb->vm || vb->jail_err < 0)
		return -ENODATA;
	*ret_layers = vb->jail_layers;
	return 0;
}

const struct ih_backend_ops ih_backend_vm_ops = {
	.name = "vm",
	.open = vm_open,
	.decode = vm_decode,
	.close = vm_close,
	.jail_layers = vm_jail_layers,
};
