/*
 * Confines the vsock backend thread, the one part of the launcher that parses what the
 * guest writes: PR_SET_NO_NEW_PRIVS and a seccomp allow-list (host/vsock/vsock_seccomp.policy)
 * on the calling thread only; the launcher's other threads are not affected.
 */
#ifndef IH_HOST_VSOCK_SANDBOX_H
#define IH_HOST_VSOCK_SANDBOX_H

struct vsock_seccomp_rule {
	int nr;
	int noexec2; /* argument 2 must not hold PROT_EXEC */
};

extern const struct vsock_seccomp_rule vsock_seccomp_rules[];
extern const unsigned int vsock_seccomp_n_rules;

/* Applies the filter to the calling thread. 0 or -errno (nothing is applied then). */
int vsock_sandbox_apply(void);

#endif
