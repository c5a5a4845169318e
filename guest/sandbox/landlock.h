/*
 * Landlock for the decoder child: a ruleset that handles every access right the running
 * kernel knows and holds no rule, so every handled filesystem access, TCP bind/connect,
 * abstract unix socket connection and signal outside the domain is denied.
 */
#ifndef IH_GUEST_LANDLOCK_H
#define IH_GUEST_LANDLOCK_H

#include <stddef.h>
#include <stdint.h>

/* The newest ABI this code knows every right of. */
#define IH_LANDLOCK_ABI_KNOWN 7

struct ih_landlock_rights {
	uint64_t fs;
	uint64_t net;
	uint64_t scoped;
};

/*
 * The running kernel's Landlock ABI (>= 1), or -ENOSYS (not built into the kernel) /
 * -EOPNOTSUPP (built in but not enabled at boot).
 */
int ih_landlock_abi(void);

/* Every right that ABI abi handles (rights newer than IH_LANDLOCK_ABI_KNOWN are unknown). */
void ih_landlock_rights_for_abi(int abi, struct ih_landlock_rights *ret);

/* Enforces the deny-everything ruleset of abi on the calling thread: 0 or -errno. The
 * caller has set PR_SET_NO_NEW_PRIVS (or holds CAP_SYS_ADMIN). */
int ih_landlock_deny_all(int abi);

/* A one-line fix for an ih_landlock_abi() error, or NULL. */
const char *ih_landlock_hint(int err);

/* The landlockconfig name of right number bit (0..63) of kind "fs", "net" or "scoped". */
const char *ih_landlock_right_name(const char *kind, unsigned int bit);

#endif
