/*
 * The VMM jail as a drop-in spawn function for host/qemu.h (struct ih_qemu_opts.spawn): QEMU
 * starts jailed, in its own process group, stdin on /dev/null, its console on req->stdout_fd.
 */
#ifndef IH_HOST_JAIL_QEMU_H
#define IH_HOST_JAIL_QEMU_H

#include "jail.h"
#include "qemu.h"

/* The spawn context: the caller fills cfg (mode, guest_mem, ro_paths: kernel, initramfs,
 * rootfs; use_kvm; cgroup_root); the spawn fills report for --verbose/--json and errors. */
struct ih_jail_qemu {
	struct ih_jail_cfg cfg;
	struct ih_jail_report report;
};

/* An ih_qemu_spawn_fn: ctx is a struct ih_jail_qemu. argv[0] may be a name found in PATH. */
int ih_jail_qemu_spawn(const struct ih_qemu_spawn_req *req, void *ctx, pid_t *ret_pid);

#endif
