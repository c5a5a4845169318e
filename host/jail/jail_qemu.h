/*
 * The VMM jail as a drop-in spawn function for host/qemu/qemu.h (struct ih_qemu_opts.spawn): QEMU
 * starts jailed, in its own process group, stdin on /dev/null, its console on req->stdout_fd.
 */
#ifndef IH_HOST_JAIL_QEMU_H
#define IH_HOST_JAIL_QEMU_H

#include "jail.h"
#include "host/qemu/qemu.h"

#include <limits.h>

/* The spawn context: ih_jail_qemu_init fills cfg (or the caller does); the spawn fills
 * report (for errors, the warning, --verbose and --json) and pid. */
struct ih_jail_qemu {
	struct ih_jail_cfg cfg;
	struct ih_jail_report report;
	pid_t pid; /* the jailed QEMU once started, else -1 */
	char files[3][PATH_MAX]; /* kernel, initramfs, rootfs: all QEMU may read of the image */
	const char *ro[4];
};

/* The jail for the QEMU that opts describe: guest memory, the image's three files, KVM.
 * cgroup_root may be NULL (the launcher's own cgroup v2). 0 or -ENAMETOOLONG. */
int ih_jail_qemu_init(struct ih_jail_qemu *jq, const struct ih_qemu_opts *opts,
		      enum ih_jail_mode mode, const char *cgroup_root);

/* Measures the running QEMU and prints its layers (text for --verbose, or one JSON object). */
int ih_jail_qemu_print(const struct ih_jail_qemu *jq, bool json, FILE *f);

/* An ih_qemu_spawn_fn: ctx is a struct ih_jail_qemu. argv[0] may be a name found in PATH. */
int ih_jail_qemu_spawn(const struct ih_qemu_spawn_req *req, void *ctx, pid_t *ret_pid);

#endif
