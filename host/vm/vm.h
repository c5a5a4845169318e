/*
 * One decode VM's life: start the vsock backend and QEMU, wait for the guest's service to
 * connect, decode images over that stream, and stop it (politely or by force). QEMU runs in
 * its own process group; every way out of this module kills and reaps it.
 */
#ifndef IH_HOST_VM_H
#define IH_HOST_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "guest/sandbox/isolate.h"
#include "guest/decode/proto.h"
#include "host/vsock/vsock.h"

struct ih_vm_cfg {
	const char *image_dir; /* kernel, initramfs.cpio.gz, rootfs.squashfs, cmdline */
	const char *qemu; /* absolute path of the QEMU binary */
	bool kvm; /* accelerator, already chosen: KVM, else TCG */
	enum ih_vsock_kind vsock;
	uint64_t mem_bytes; /* guest RAM (ih_vm_mem_for) */
	const char *console_log; /* guest console to this file, or NULL for nowhere */
	const char *guest_mode; /* ih.mode= for the init: NULL is "serve" */
	const char *initramfs; /* NULL: the image's; the benchmark boots the floor's */
	int boot_timeout_ms; /* QEMU start to the guest's connection */
};

struct ih_vm;

/* Guest RAM for requests up to lim: the service's buffers plus the decoder child's. */
uint64_t ih_vm_mem_for(const struct ih_limits *lim);

/*
 * Boots a VM and waits for its guest to connect: 0 with *ret, or -errno (-ETIMEDOUT: no
 * connection in time; -ECHILD: QEMU exited first; -ENOENT: an image file is missing).
 * Nothing is left running on failure.
 */
int ih_vm_start(const struct ih_vm_cfg *cfg, struct ih_vm **ret);

/*
 * Decodes one image in the VM (ih_vm_client_decode, with a deadline of lim->wall_ms plus the
 * transfer time). On a negative return the VM is out of step: ih_vm_kill() it.
 */
int ih_vm_decode(struct ih_vm *vm, const struct ih_limits *lim, uint32_t flags,
		 const struct ih_decode_opts *opts, const uint8_t *input, size_t input_len,
		 struct ih_decoded *ret);

/* Asks the guest to power off, waits a moment, then kills; reaps QEMU and frees. NULL ok. */
void ih_vm_stop(struct ih_vm *vm);

/* Kills QEMU's process group at once, reaps it and frees. NULL is fine. */
void ih_vm_kill(struct ih_vm *vm);

uint64_t ih_vm_mem(const struct ih_vm *vm);
pid_t ih_vm_qemu_pid(const struct ih_vm *vm);
/* The guest's stream (owned by vm), for modes that are not the decode service: the doctor. */
int ih_vm_stream_fd(const struct ih_vm *vm);

#endif
