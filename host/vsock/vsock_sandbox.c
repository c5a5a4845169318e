/* seccomp allow-list of the vsock backend thread, as a classic BPF program (no library). */
#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "vsock_sandbox.h"

#if defined(__x86_64__)
#define VSOCK_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define VSOCK_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "vsock_sandbox.c: unknown architecture"
#endif

#define MAX_INSNS 256
#define ARG2_LO (offsetof(struct seccomp_data, args) + 2 * sizeof(__u64))

struct prog {
	struct sock_filter insn[MAX_INSNS];
	unsigned int n;
};

static void emit(struct prog *p, __u16 code, __u8 jt, __u8 jf, __u32 k)
{
	if (p->n < MAX_INSNS)
		p->insn[p->n] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
	p->n++;
}

/* One rule: "nr matches" falls into allow (or the PROT_EXEC test), else skip over it. */
static void emit_rule(struct prog *p, const struct vsock_seccomp_rule *r)
{
	if (!r->noexec2) {
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, (__u32)r->nr);
		emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
		return;
	}
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 4, (__u32)r->nr);
	emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG2_LO);
	emit(p, BPF_JMP | BPF_JSET | BPF_K, 0, 1, PROT_EXEC);
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
}

static void build(struct prog *p)
{
	p->n = 0;
	emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch));
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, VSOCK_AUDIT_ARCH);
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
	for (unsigned int i = 0; i < vsock_seccomp_n_rules; i++) {
		/* Each rule starts with nr in the accumulator (the PROT_EXEC test reloads it). */
		emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
		emit_rule(p, &vsock_seccomp_rules[i]);
	}
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
}

int vsock_sandbox_apply(void)
{
	struct prog p;
	struct sock_fprog fprog;

	build(&p);
	if (p.n > MAX_INSNS)
		return -E2BIG;
	fprog.len = (unsigned short)p.n;
	fprog.filter = p.insn;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
		return -errno;
	return 0;
}
