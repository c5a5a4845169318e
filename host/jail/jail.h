/*
 * The VMM jail: starts QEMU confined (namespaces, private /tmp and /dev, no capabilities,
 * NO_NEW_PRIVS, rlimits, Landlock, a cgroup v2 leaf) and measures what is really in force on
 * the running process. QEMU adds its own seccomp filter (-sandbox on,... in its argv).
 *
 * Library code: every function returns 0 or -errno and prints nothing; the launcher prints
 * the one error line (ih_jail_describe) or the one best-effort warning (ih_jail_warning).
 */
#ifndef IH_HOST_JAIL_H
#define IH_HOST_JAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "jail_measure.h"

struct ih_jail_cfg {
	enum ih_jail_mode mode;
	/* Guest RAM: RLIMIT_AS is this plus IH_JAIL_AS_MARGIN, memory.max the same. */
	uint64_t guest_mem;
	/* Files or directories QEMU may read (kernel, initrd, rootfs image); NULL-terminated. */
	const char *const *ro_paths;
	unsigned int cpus; /* cpu.max quota in whole CPUs; 0 means 1 */
	bool use_kvm; /* expose /dev/kvm */
	/* cgroup v2 directory to create the VM's leaf in; NULL: the one this process is in. */
	const char *cgroup_root;
	/* Layers to treat as unavailable on this host (IH_JAIL_BIT mask): simulates a weaker
	 * host, so strict refuses and best-effort skips and warns. */
	unsigned int forbid;
	/* Layers the caller turns off on purpose (e.g. its own supervisor owns the cgroup):
	 * neither applied nor counted as missing, even by strict; reported as off. */
	unsigned int optout;
	/* With redirect_stdio, stdin becomes /dev/null and stdout and stderr stdio_fd (QEMU's
	 * console and its own errors); otherwise 0-2 are inherited as they are. */
	bool redirect_stdio;
	int stdio_fd;
	bool own_pgrp; /* the child leads a new process group (the caller kills the group) */
};

/*
 * Starts argv (argv[0] an absolute path) jailed as cfg says. Every fd except 0-2 and keep_fds
 * is closed in the child; the kept ones stay at their numbers with FD_CLOEXEC cleared. On
 * success *ret_pid is the running QEMU (the caller reaps it, then calls ih_jail_release).
 * ret is filled in every case; on failure it names the layer that stopped the start.
 */
int ih_jail_spawn(const struct ih_jail_cfg *cfg, char *const argv[], const int *keep_fds,
		  size_t nkeep, pid_t *ret_pid, struct ih_jail_report *ret);

/* After the jailed process was reaped: removes its cgroup leaf. */
void ih_jail_release(struct ih_jail_report *rep);

/* Layers this host allows: probes each in a short-lived child. */
int ih_jail_probe(const struct ih_jail_cfg *cfg, unsigned int *ret_available,
		  int ret_err[IH_JAIL_NLAYERS]);

#endif
