/* Builds and loads the seccomp filter of guest/sandbox/seccomp.policy with libseccomp. */
#include <errno.h>
#include <seccomp.h>
#include <sys/prctl.h>

#include "seccomp_filter.h"

static void seccomp_ctx_release(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

int ih_seccomp_available(void)
{
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

static struct scmp_arg_cmp arg_cmp(const struct ih_seccomp_arg *a, uint64_t value)
{
	if (a->op == IH_SECCOMP_MASKED_EQ)
		return (struct scmp_arg_cmp){ a->arg, SCMP_CMP_MASKED_EQ, a->a, a->b };
	return (struct scmp_arg_cmp){ a->arg, SCMP_CMP_EQ, value, 0 };
}

/* One rule of the policy; a KEEP_FD value becomes one libseccomp rule per kept fd. */
static int rule_add(scmp_filter_ctx ctx, const struct ih_seccomp_rule *rule, int nr,
		    const int *keep_fds, size_t n_keep_fds)
{
	struct scmp_arg_cmp cmp[2];
	int per_fd = -1;

	for (unsigned int i = 0; i < rule->n_args && i < 2; i++) {
		cmp[i] = arg_cmp(&rule->args[i], rule->args[i].a);
		if (rule->args[i].op == IH_SECCOMP_EQ && rule->args[i].a == IH_SECCOMP_KEEP_FD)
			per_fd = (int)i;
	}
	if (per_fd < 0)
		return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, rule->n_args, cmp);
	for (size_t f = 0; f < n_keep_fds; f++) {
		int r;

		cmp[per_fd].datum_a = (scmp_datum_t)keep_fds[f];
		r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, rule->n_args, cmp);
		if (r < 0)
			return r;
	}
	return 0;
}

int ih_seccomp_apply(const int *keep_fds, size_t n_keep_fds)
{
	__attribute__((cleanup(seccomp_ctx_release))) scmp_filter_ctx ctx = NULL;
	int r;

	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ih_seccomp_n_rules; i++) {
		const struct ih_seccomp_rule *rule = &ih_seccomp_rules[i];
		int nr = seccomp_syscall_resolve_name(rule->name);

		if (nr == __NR_SCMP_ERROR)
			return -EINVAL;
		r = rule_add(ctx, rule, nr, keep_fds, n_keep_fds);
		if (r < 0)
			return r;
	}
	return seccomp_load(ctx);
}
