/*
 * The decoder child's seccomp filter: the allow-list of guest/sandbox/seccomp.policy (compiled
 * into the binary), default SECCOMP_RET_KILL_PROCESS, foreign architectures killed.
 */
#ifndef IH_GUEST_SECCOMP_FILTER_H
#define IH_GUEST_SECCOMP_FILTER_H

#include <stddef.h>
#include <stdint.h>

enum ih_seccomp_op {
	IH_SECCOMP_EQ = 1, /* arg == a */
	IH_SECCOMP_MASKED_EQ = 2, /* (arg & a) == b */
};

/* Stands for "each fd the child keeps" in a rule's value. */
#define IH_SECCOMP_KEEP_FD UINT64_MAX

struct ih_seccomp_arg {
	unsigned int arg; /* 0..5 */
	enum ih_seccomp_op op;
	uint64_t a;
	uint64_t b;
};

struct ih_seccomp_rule {
	const char *name;
	const char *filter; /* as written in the policy, "-" for none */
	unsigned int n_args;
	struct ih_seccomp_arg args[2];
	const char *reason;
};

extern const struct ih_seccomp_rule ih_seccomp_rules[];
extern const size_t ih_seccomp_n_rules;

/* 0 when the kernel has seccomp filters, else -errno (-EINVAL: CONFIG_SECCOMP_FILTER off). */
int ih_seccomp_available(void);

/*
 * Loads the filter on the calling thread; write-like rules with IH_SECCOMP_KEEP_FD allow
 * exactly the fds in keep_fds. The caller has set PR_SET_NO_NEW_PRIVS. 0 or -errno.
 */
int ih_seccomp_apply(const int *keep_fds, size_t n_keep_fds);

#endif
