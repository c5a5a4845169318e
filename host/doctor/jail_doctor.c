/* `ih-vm doctor --host`: the jail layers this host allows (see jail_doctor.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host/jail/jail.h"
#include "jail_doctor.h"

static const char *const hints[IH_JAIL_NLAYERS] = {
	[IH_JAIL_CGROUP] = "give --cgroup-root a writable cgroup v2 directory with the memory and "
			   "cpu controllers",
	[IH_JAIL_USERNS] = "allow unprivileged user namespaces (sysctl user.max_user_namespaces)",
	[IH_JAIL_LANDLOCK] = "add landlock to CONFIG_LSM or the lsm= boot parameter",
	[IH_JAIL_SECCOMP] = "a kernel with CONFIG_SECCOMP_FILTER=y",
};

/* Appends " name" for each layer in mask; returns the lowest layer in it, or -1. */
static int list(unsigned int mask, const int err[IH_JAIL_NLAYERS], char *buf, size_t len)
{
	size_t used = strlen(buf);
	int first = -1;

	for (int l = 0; l < IH_JAIL_NLAYERS && used < len; l++) {
		if (!(mask & IH_JAIL_BIT(l)))
			continue;
		if (first < 0)
			first = l;
		used += (size_t)snprintf(buf + used, len - used, " %s", ih_jail_layer_name(l));
		if (err && err[l] && used < len)
			used += (size_t)snprintf(buf + used, len - used, " (%s)", strerror(err[l]));
	}
	return first;
}

void ih_jail_host_check(const struct ih_host_ctx *ctx, struct ih_host_result *ret)
{
	struct ih_jail_cfg cfg = { .mode = IH_JAIL_BEST_EFFORT, .guest_mem = 256ULL << 20 };
	unsigned int all = (1U << IH_JAIL_NLAYERS) - 1, avail = 0, missing;
	int err[IH_JAIL_NLAYERS] = { 0 }, first;

	memset(ret, 0, sizeof(*ret));
	ret->v = IH_HOST_ABSENT;
	if (ctx->sysroot && ctx->sysroot[0]) {
		snprintf(ret->detail, sizeof(ret->detail), "probed on the live host only");
		return;
	}
	if (ih_jail_probe(&cfg, &avail, err) < 0) {
		snprintf(ret->detail, sizeof(ret->detail), "the probe could not run");
		return;
	}
	if (geteuid() == 0)
		all &= ~IH_JAIL_BIT(IH_JAIL_USERNS); /* root needs none */
	missing = all & ~avail;
	snprintf(ret->detail, sizeof(ret->detail),
		 "%s:", missing ? "lacks" : "applies every layer");
	first = list(missing ? missing : avail, missing ? err : NULL, ret->detail,
		     sizeof(ret->detail));
	if (!missing) {
		ret->v = IH_HOST_PASS;
		return;
	}
	snprintf(ret->hint, sizeof(ret->hint),
		 "Hint: --jail=best-effort runs without these, --jail=strict refuses; %s",
		 first >= 0 && hints[first] ? hints[first] : "see ih-vm decode --help");
}
