/*
 * Where `ih-vm decode` decodes: the interface between the command line and a decoding
 * backend. Two implementations:
 *
 *   process  host/vm/backend_process.c: one fresh sandboxed child per image on this host
 *            (ih_isolate_decode, guest/sandbox/isolate.h).
 *   vm       host/vm/backend_vm.c: a hardened microVM is booted once by open() and then
 *            decodes many images in order over vsock (each in a fresh sandboxed child
 *            inside the guest); close() shuts it down.
 *
 * A backend instance is used by one process and one thread at a time. `--jobs N` gives
 * each worker process its own instance (its own VM in vm mode).
 */
#ifndef IH_HOST_BACKEND_H
#define IH_HOST_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest/sandbox/isolate.h"
#include "guest/decode/proto.h"
#include "host/vsock/vsock.h"

enum ih_isolation {
	IH_ISOLATION_VM = 0,
	IH_ISOLATION_PROCESS = 1,
};

enum ih_accel {
	IH_ACCEL_AUTO = 0, /* KVM when /dev/kvm works, else TCG */
	IH_ACCEL_KVM = 1,
	IH_ACCEL_TCG = 2,
};

/* Options of `ih-vm decode` that concern the backend, as parsed (host/cli/decode_opts.c). */
struct ih_backend_opts {
	enum ih_isolation isolation;
	enum ih_accel accel; /* vm only */
	enum ih_vsock_kind vsock; /* vm only: --vsock=user|kernel */
	bool fresh_vm; /* vm only: boot a new VM for every image */
	const char *console_log; /* vm only: guest console to this file, or NULL */
	bool verbose; /* the backend may print progress on stderr */
};

struct ih_backend_ops;

/* Each implementation embeds this as its first member and recovers its own state. */
struct ih_backend {
	const struct ih_backend_ops *ops;
};

struct ih_backend_ops {
	const char *name;
	/* Makes an instance ready to decode (boots the VM): 0 or -errno, *ret set on 0. */
	int (*open)(const struct ih_backend_opts *opts, struct ih_backend **ret);
	/*
	 * Decodes one image under lim, flags (IH_REQ_*) and opts, with the contract of
	 * ih_isolate_decode(): 0 when *ret holds an outcome (OK, REJECTED, SANDBOX,
	 * INTERNAL), -errno when the backend itself failed (the instance is then unusable).
	 * The response has been checked with ih_response_parse() against lim.
	 */
	int (*decode)(struct ih_backend *b, const struct ih_limits *lim, uint32_t flags,
		      const struct ih_decode_opts *opts, const uint8_t *input, size_t input_len,
		      struct ih_decoded *ret);
	/* Releases the instance (powers the VM off, reaps every child). NULL is fine. */
	void (*close)(struct ih_backend *b);
	/*
	 * vm only (NULL elsewhere): the QEMU jail layers (IH_JAIL_BIT mask, host/jail/jail.h)
	 * measured on the VM that decoded the last image, when it booted. 0, or -ENODATA.
	 */
	int (*jail_layers)(struct ih_backend *b, unsigned int *ret_layers);
};

extern const struct ih_backend_ops ih_backend_process_ops;
extern const struct ih_backend_ops ih_backend_vm_ops;

static inline const struct ih_backend_ops *ih_backend_ops_for(enum ih_isolation isolation)
{
	return isolation == IH_ISOLATION_PROCESS ? &ih_backend_process_ops : &ih_backend_vm_ops;
}

#endif
