/*
 * What the decode VM needs from the host before QEMU starts (the guest image, the QEMU
 * binary, the accelerator) and the start itself, through host/qemu/qemu.h: the hardened command
 * line plus the vsock device, the guest's ih.mode= and the console's destination.
 */
#ifndef IH_HOST_VM_QEMU_H
#define IH_HOST_VM_QEMU_H

#include <stdint.h>
#include <sys/types.h>

#include "backend.h"
#include "vm.h"

/*
 * Finds the guest image (ih_image_dir_find), QEMU (IH_QEMU, else PATH) and the accelerator
 * opts->accel allows (KVM only where it is real). Fills cfg->image_dir, cfg->qemu and
 * cfg->kvm. On failure prints one line with a Hint (the caller only sees the errno) and
 * returns -errno.
 */
int ih_vm_qemu_prepare(const struct ih_backend_opts *opts, struct ih_vm_cfg *cfg);

/* Frees what ih_vm_qemu_prepare() allocated in cfg. */
void ih_vm_qemu_release(struct ih_vm_cfg *cfg);

/*
 * The guest's CID: 3 with the built-in backend (each VM has its own), else one unique on
 * this host for the kernel's vhost-vsock (derived from the launcher's pid: --jobs workers
 * each have their own).
 */
uint32_t ih_vm_guest_cid(enum ih_vsock_kind kind);

/*
 * Starts QEMU for cfg in its own process group, with chardev_fd as the vhost-user vsock
 * socket (or -1 for the kernel's vhost-vsock). QEMU is killed if the launcher dies. 0 with
 * *ret_pid, or -errno.
 */
int ih_vm_qemu_spawn(const struct ih_vm_cfg *cfg, int chardev_fd, pid_t *ret_pid);

#endif
