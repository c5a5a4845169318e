/*
 * What the VMM jail measures on a running process (/proc/<pid>/{status,ns,net/dev,mountinfo,
 * cgroup} and its rlimits), how it names layers, and how the launcher words them for people
 * (--verbose), programs (--json) and errors (one line with a Hint).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "jail_cleanup.h"
#include "jail_measure.h"

static const char *const layer_names[IH_JAIL_NLAYERS] = {
	[IH_JAIL_CGROUP] = "cgroup",	[IH_JAIL_USERNS] = "userns",
	[IH_JAIL_NETNS] = "netns",	[IH_JAIL_IPCNS] = "ipcns",
	[IH_JAIL_UTSNS] = "utsns",	[IH_JAIL_MNTNS] = "mntns",
	[IH_JAIL_TMP] = "private-tmp",	[IH_JAIL_DEV] = "private-dev",
	[IH_JAIL_RLIMITS] = "rlimits",	[IH_JAIL_CAPS] = "capabilities",
	[IH_JAIL_NNP] = "no-new-privs", [IH_JAIL_LANDLOCK] = "landlock",
	[IH_JAIL_SECCOMP] = "seccomp",
};

static const char *const layer_hints[IH_JAIL_NLAYERS] = {
	[IH_JAIL_CGROUP] = "pass --cgroup-root a writable cgroup v2 directory whose "
			   "cgroup.controllers lists memory and cpu (root, or a delegated subtree)",
	[IH_JAIL_USERNS] = "allow unprivileged user namespaces (sysctl user.max_user_namespaces, "
			   "kernel.unprivileged_userns_clone=1) or run as root",
	[IH_JAIL_NETNS] = "the kernel needs CONFIG_NET_NS and the right to create namespaces",
	[IH_JAIL_IPCNS] = "the kernel needs CONFIG_IPC_NS and the right to create namespaces",
	[IH_JAIL_UTSNS] = "the kernel needs CONFIG_UTS_NS and the right to create namespaces",
	[IH_JAIL_MNTNS] = "mount namespaces need root or a user namespace",
	[IH_JAIL_TMP] = "a private /tmp needs a mount namespace",
	[IH_JAIL_DEV] = "a private /dev needs a mount namespace and the device nodes to exist",
	[IH_JAIL_RLIMITS] = "raise the hard limits (ulimit -H) to at least the jail's values",
	[IH_JAIL_CAPS] = "emptying the bounding set needs CAP_SETPCAP: run as root or allow user "
			 "namespaces",
	[IH_JAIL_NNP] = "the kernel refused PR_SET_NO_NEW_PRIVS",
	[IH_JAIL_LANDLOCK] = "add landlock to CONFIG_LSM or the lsm= boot parameter",
	[IH_JAIL_SECCOMP] = "QEMU's command line must carry -sandbox on,... and the kernel "
			    "CONFIG_SECCOMP_FILTER",
};

int ih_jail_parse_mode(const char *s, enum ih_jail_mode *ret_mode)
{
	static const char *const names[] = { "off", "best-effort", "strict" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i])) {
			*ret_mode = (enum ih_jail_mode)i;
			return 0;
		}
	return -EINVAL;
}

const char *ih_jail_mode_name(enum ih_jail_mode mode)
{
	return mode == IH_JAIL_OFF ? "off" : mode == IH_JAIL_STRICT ? "strict" : "best-effort";
}

const char *ih_jail_layer_name(enum ih_jail_layer layer)
{
	return (unsigned int)layer < IH_JAIL_NLAYERS ? layer_names[layer] : "setup";
}

static uint64_t parse_hex(const char *s)
{
	return strtoull(s, NULL, 16);
}

static void parse_status_line(const char *line, struct ih_jail_measured *m)
{
	if (!strncmp(line, "Seccomp:", 8))
		m->seccomp = atoi(line + 8);
	else if (!strncmp(line, "NoNewPrivs:", 11))
		m->no_new_privs = atoi(line + 11);
	else if (!strncmp(line, "CapEff:", 7))
		m->cap_eff = parse_hex(line + 7);
	else if (!strncmp(line, "CapPrm:", 7))
		m->cap_prm = parse_hex(line + 7);
	else if (!strncmp(line, "CapBnd:", 7))
		m->cap_bnd = parse_hex(line + 7);
	else if (!strncmp(line, "CapAmb:", 7))
		m->cap_amb = parse_hex(line + 7);
}

static int read_status(const char *proc, struct ih_jail_measured *m)
{
	char path[64], line[256];
	cleanup_file FILE *f = NULL;

	snprintf(path, sizeof(path), "%s/status", proc);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	m->seccomp = m->no_new_privs = -1;
	m->cap_eff = m->cap_prm = m->cap_bnd = m->cap_amb = UINT64_MAX;
	while (fgets(line, sizeof(line), f))
		parse_status_line(line, m);
	return m->seccomp < 0 || m->no_new_privs < 0 ? -EPROTO : 0;
}

/* 1 when pid's namespace of this kind differs from ours, 0 when shared, -errno unknown. */
static int ns_differs(const char *proc, const char *kind)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "%s/ns/%s", proc, kind);
	if (stat(path, &a) < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/self/ns/%s", kind);
	if (stat(path, &b) < 0)
		return -errno;
	return a.st_ino != b.st_ino || a.st_dev != b.st_dev;
}

/* Interfaces in pid's network namespace: /proc/<pid>/net/dev has two header lines. */
static int count_ifaces(const char *proc)
{
	char path[64], line[512];
	cleanup_file FILE *f = NULL;
	int n = 0;

	snprintf(path, sizeof(path), "%s/net/dev", proc);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n++;
	return n >= 2 ? n - 2 : -1;
}

/* Last mount on mnt in pid's mountinfo: its id, and whether it is a tmpfs. */
static int last_mount(const char *proc, const char *mnt, int *ret_id, bool *ret_tmpfs)
{
	char path[64], line[4096], point[4096];
	cleanup_file FILE *f = NULL;
	int id, found = -ENOENT;

	snprintf(path, sizeof(path), "%s/mountinfo", proc);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%d %*d %*s %*s %4095s", &id, point) != 2)
			continue;
		if (strcmp(point, mnt))
			continue;
		*ret_id = id;
		*ret_tmpfs = !strncmp(sep, " - tmpfs ", 9);
		found = 0;
	}
	return found;
}

/* A private tmpfs on mnt: pid's last mount there is a tmpfs this process does not see. */
static bool private_tmpfs(const char *proc, const char *mnt)
{
	int theirs, ours = -1;
	bool tmpfs, ours_tmpfs;

	if (last_mount(proc, mnt, &theirs, &tmpfs) < 0 || !tmpfs)
		return false;
	return last_mount("/proc/self", mnt, &ours, &ours_tmpfs) < 0 || ours != theirs;
}

static void read_cgroup(const char *proc, struct ih_jail_measured *m)
{
	char path[64], line[512];
	cleanup_file FILE *f = NULL;

	snprintf(path, sizeof(path), "%s/cgroup", proc);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(m->cgroup, sizeof(m->cgroup), "%.*s", (int)sizeof(m->cgroup) - 1,
				 line + 3);
		}
}

static uint64_t soft_limit(pid_t pid, int resource)
{
	struct rlimit rl;

	if (prlimit(pid, resource, NULL, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return UINT64_MAX;
	return rl.rlim_cur;
}

static void read_limits(pid_t pid, struct ih_jail_measured *m)
{
	m->rlimit_as = soft_limit(pid, RLIMIT_AS);
	m->rlimit_core = soft_limit(pid, RLIMIT_CORE);
	m->rlimit_fsize = soft_limit(pid, RLIMIT_FSIZE);
	m->rlimit_nofile = soft_limit(pid, RLIMIT_NOFILE);
	m->rlimit_nproc = soft_limit(pid, RLIMIT_NPROC);
}

static bool limits_in_force(const struct ih_jail_measured *m)
{
	return m->rlimit_as != UINT64_MAX && m->rlimit_core == 0 && m->rlimit_fsize != UINT64_MAX &&
	       m->rlimit_nofile <= IH_JAIL_NOFILE;
}

static unsigned int ns_layers(const char *proc, const struct ih_jail_measured *m)
{
	static const struct {
		int layer;
		const char *kind;
	} ns[] = { { IH_JAIL_USERNS, "user" },
		   { IH_JAIL_NETNS, "net" },
		   { IH_JAIL_IPCNS, "ipc" },
		   { IH_JAIL_UTSNS, "uts" },
		   { IH_JAIL_MNTNS, "mnt" } };
	unsigned int active = 0;

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		if (ns_differs(proc, ns[i].kind) == 1)
			active |= IH_JAIL_BIT(ns[i].layer);
	if (m->netns_ifaces != 1)
		active &= ~IH_JAIL_BIT(IH_JAIL_NETNS);
	return active;
}

int ih_jail_measure(pid_t pid, struct ih_jail_measured *ret)
{
	struct ih_jail_measured m = { 0 };
	char proc[32];
	int r;

	snprintf(proc, sizeof(proc), "/proc/%d", (int)pid);
	r = read_status(proc, &m);
	if (r < 0)
		return r;
	m.netns_ifaces = count_ifaces(proc);
	read_limits(pid, &m);
	read_cgroup(proc, &m);
	m.active = ns_layers(proc, &m);
	if (private_tmpfs(proc, "/tmp"))
		m.active |= IH_JAIL_BIT(IH_JAIL_TMP);
	if (private_tmpfs(proc, "/dev"))
		m.active |= IH_JAIL_BIT(IH_JAIL_DEV);
	if (limits_in_force(&m))
		m.active |= IH_JAIL_BIT(IH_JAIL_RLIMITS);
	if (!m.cap_eff && !m.cap_prm && !m.cap_amb && !m.cap_bnd)
		m.active |= IH_JAIL_BIT(IH_JAIL_CAPS);
	if (m.no_new_privs == 1)
		m.active |= IH_JAIL_BIT(IH_JAIL_NNP);
	if (m.seccomp == 2)
		m.active |= IH_JAIL_BIT(IH_JAIL_SECCOMP);
	if (strstr(m.cgroup, "/ih-vm-"))
		m.active |= IH_JAIL_BIT(IH_JAIL_CGROUP);
	*ret = m;
	return 0;
}

unsigned int ih_jail_expected(const struct ih_jail_report *rep)
{
	return rep->applied & ~IH_JAIL_BIT(IH_JAIL_LANDLOCK);
}

int ih_jail_verify(const struct ih_jail_report *rep, const struct ih_jail_measured *m,
		   unsigned int expected, int *ret_layer)
{
	unsigned int missing = expected & ~m->active;

	(void)rep;
	if (!missing)
		return 0;
	*ret_layer = __builtin_ctz(missing);
	return -EPERM;
}

void ih_jail_describe(const struct ih_jail_report *rep, char *buf, size_t len)
{
	int l = rep->failed_layer;

	if (l < 0 || l >= IH_JAIL_NLAYERS) {
		snprintf(buf, len, "jail setup failed: %s", strerror(rep->failed_err));
		return;
	}
	snprintf(buf, len, "jail layer '%s' could not be applied (%s)%s. Hint: %s%s",
		 layer_names[l], strerror(rep->failed_err),
		 rep->mode == IH_JAIL_STRICT ? " and --jail=strict requires every layer" : "",
		 layer_hints[l],
		 rep->mode == IH_JAIL_STRICT ? "; or use --jail=best-effort to run without it"
					     : "");
}

void ih_jail_warning(const struct ih_jail_report *rep, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	if (!rep->skipped)
		return;
	used = (size_t)snprintf(buf, len, "jail: this host does not offer, skipped:");
	for (int l = 0; l < IH_JAIL_NLAYERS && used < len; l++)
		if (rep->skipped & IH_JAIL_BIT(l))
			used += (size_t)snprintf(buf + used, len - used, " %s (%s)", layer_names[l],
						 strerror(rep->skip_err[l]));
}

static const char *state(const struct ih_jail_report *rep, const struct ih_jail_measured *m, int l)
{
	if (l == IH_JAIL_LANDLOCK)
		return rep->applied & IH_JAIL_BIT(l) ? "applied" : "off";
	if (m->active & IH_JAIL_BIT(l))
		return "active";
	if (rep->skipped & IH_JAIL_BIT(l))
		return "skipped";
	return rep->applied & IH_JAIL_BIT(l) ? "MISSING" : "off";
}

void ih_jail_print_text(const struct ih_jail_report *rep, const struct ih_jail_measured *m, FILE *f)
{
	fprintf(f, "jail (%s), measured on the running QEMU:\n", ih_jail_mode_name(rep->mode));
	for (int l = 0; l < IH_JAIL_NLAYERS; l++)
		fprintf(f, "  %-13s %s\n", layer_names[l], state(rep, m, l));
	fprintf(f, "  Seccomp %d, NoNewPrivs %d, CapEff %016" PRIx64 ", CapBnd %016" PRIx64 "\n",
		m->seccomp, m->no_new_privs, m->cap_eff, m->cap_bnd);
	fprintf(f, "  interfaces in its netns %d, RLIMIT_AS %" PRIu64 " MiB, cgroup %s\n",
		m->netns_ifaces, m->rlimit_as == UINT64_MAX ? 0 : m->rlimit_as >> 20,
		m->cgroup[0] ? m->cgroup : "-");
	if (rep->applied & IH_JAIL_BIT(IH_JAIL_LANDLOCK))
		fprintf(f, "  landlock ABI %d (applied before exec; /proc does not show it)\n",
			rep->landlock_abi);
}

void ih_jail_print_json(const struct ih_jail_report *rep, const struct ih_jail_measured *m, FILE *f)
{
	fprintf(f, "{\"mode\":\"%s\",\"layers\":{", ih_jail_mode_name(rep->mode));
	for (int l = 0; l < IH_JAIL_NLAYERS; l++)
		fprintf(f, "%s\"%s\":\"%s\"", l ? "," : "", layer_names[l], state(rep, m, l));
	fprintf(f,
		"},\"seccomp\":%d,\"no_new_privs\":%d,\"cap_eff\":\"%016" PRIx64
		"\",\"cap_bnd\":\"%016" PRIx64 "\",\"netns_interfaces\":%d,\"rlimit_as\":%" PRIu64
		",\"landlock_abi\":%d}",
		m->seccomp, m->no_new_privs, m->cap_eff, m->cap_bnd, m->netns_ifaces,
		m->rlimit_as == UINT64_MAX ? 0 : m->rlimit_as, rep->landlock_abi);
}
