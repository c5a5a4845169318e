/* Internal interfaces between the VMM jail's files (jail*.c); not for the launcher. */
#ifndef IH_HOST_JAIL_INT_H
#define IH_HOST_JAIL_INT_H

#include <stddef.h>

#include "jail.h"
#include "jail_cleanup.h"

/* jail_cgroup.c */
int ih_jail_cgroup_default_root(char *buf, size_t len);
int ih_jail_cgroup_create(const struct ih_jail_cfg *cfg, char *ret_path, size_t len);
int ih_jail_cgroup_enter(const char *leaf);
void ih_jail_cgroup_remove(const char *leaf);

/* jail_mount.c: in the child, inside its new mount namespace. */
/* exe: the program about to be exec'd, kept executable when it lives under /tmp. */
int ih_jail_private_tmp(const struct ih_jail_cfg *cfg, const char *exe);
int ih_jail_private_dev(const struct ih_jail_cfg *cfg);

/* jail_landlock.c: the highest ABI, or -ENOSYS / -EOPNOTSUPP when Landlock is absent. */
int ih_jail_landlock_abi(void);
/* Restricts the calling process: exe may run, cfg's files and QEMU's own may be read, the
 * devices used, nothing else. Call after NO_NEW_PRIVS. */
int ih_jail_landlock_apply(const struct ih_jail_cfg *cfg, const char *exe, int *ret_abi);

#endif
