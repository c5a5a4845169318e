/*
 * The launcher's VMM jail settings (--jail, --cgroup-root), set once from the command line,
 * and the two ways its QEMUs start under them: the ih_qemu_opts.spawn hook (ih_qemu_run
 * callers) and a direct call (host/vm/vm_qemu.c). Each jailed QEMU is remembered by pid until
 * it is reaped, so --verbose and --json can measure it and its cgroup leaf can be removed.
 */
#ifndef IH_HOST_JAIL_VM_H
#define IH_HOST_JAIL_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "jail.h"
#include "host/qemu/qemu.h"

#define IH_JAIL_OPTIONS_HELP                                                                       \
	"  --jail=strict|best-effort|off  confine QEMU (default best-effort: skip what this\n"     \
	"                                 host lacks, with one warning; strict: refuse)\n"         \
	"  --cgroup-root=DIR              cgroup v2 directory for each VM's memory/cpu limits\n"

/* --jail=MODE: 0, or -EINVAL (the caller prints its usage error). */
int ih_jail_set_mode(const char *mode);
/* --cgroup-root=DIR (kept by reference: argv outlives every VM). */
void ih_jail_set_cgroup_root(const char *dir);
enum ih_jail_mode ih_jail_get_mode(void);

/* An ih_qemu_spawn_fn whose ctx is the struct ih_qemu_opts being run (set both
 * opts.spawn = ih_jail_hook and opts.spawn_ctx = &opts). Prints the one best-effort warning
 * line, or the failing layer with its Hint. */
int ih_jail_hook(const struct ih_qemu_spawn_req *req, void *ctx, pid_t *ret_pid);

/* The same for a decode VM described by its image, memory and accelerator. */
int ih_jail_vm_spawn(const char *image_dir, const char *initramfs, uint64_t mem_bytes, bool kvm,
		     const struct ih_qemu_spawn_req *req, pid_t *ret_pid);

/* After the caller reaped pid: removes its cgroup leaf and forgets it. Unknown pids are fine. */
void ih_jail_reaped(pid_t pid);

/* The layers in force on the running QEMU pid: those measured from /proc, plus Landlock when
 * it was applied before exec (/proc does not show it). 0, or -ESRCH for an unknown pid. */
int ih_jail_layers(pid_t pid, unsigned int *ret_layers);

/* --verbose (text) or --json (one object): the layers measured on the running QEMU pid
 * (0: the one started last, for ih_qemu_run callers, which do not see the pid). */
int ih_jail_print(pid_t pid, bool json, FILE *f);

#endif
