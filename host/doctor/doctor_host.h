/*
 * `ih-vm doctor --host`: can this host run the hardened guest, and how. Each check is a
 * table entry with its name and reason; a missing piece comes with a Hint. Paths are read
 * below a sysroot and QEMU is whatever binary the context names, so a unit test can point
 * the checks at a fake tree and a fake QEMU.
 */
#ifndef IH_HOST_DOCTOR_HOST_H
#define IH_HOST_DOCTOR_HOST_H

#include <stddef.h>

enum ih_host_verdict {
	IH_HOST_PASS = 0,
	IH_HOST_FAIL = 1, /* ih-vm cannot work as intended without it */
	IH_HOST_ABSENT = 2, /* an optional feature is missing; ih-vm falls back (shown as SKIP) */
};

struct ih_host_ctx {
	const char *sysroot; /* "" for this machine */
	const char *qemu; /* absolute path of QEMU, or NULL when none was found */
	int (*landlock_abi)(void); /* ABI or -errno */
	int (*seccomp_filter)(void); /* 0 or -errno */
	int (*userns)(void); /* 0 when a user namespace can be made, else -errno */
};

struct ih_host_result {
	enum ih_host_verdict v;
	char detail[256];
	char hint[256]; /* "" when there is nothing to do */
};

struct ih_host_check {
	const char *name;
	const char *reason;
	void (*fn)(const struct ih_host_ctx *ctx, struct ih_host_result *ret);
};

extern const struct ih_host_check ih_host_checks[];
extern const size_t ih_host_checks_count;

/* The live probes and QEMU found like the launcher finds it (IH_QEMU, else PATH). */
void ih_host_ctx_live(struct ih_host_ctx *ret, char *qemu_buf, size_t len);

#endif
