/*
 * The VMM jail: forks, confines the child layer by layer, then execs QEMU. The child reports
 * each layer (applied, skipped, failed) to the launcher over a close-on-exec pipe, so the
 * launcher learns that exec happened when the pipe closes with no failure on it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "jail.h"
#include "jail_int.h"

enum msg_kind { MSG_APPLIED, MSG_SKIPPED, MSG_FAILED };

struct child_msg {
	int32_t kind;
	int32_t layer;
	int32_t err;
	int32_t abi;
};

/* State of the child between steps. */
struct child {
	const struct ih_jail_cfg *cfg;
	char *const *argv;
	const char *cgroup;
	int chan;
	pid_t parent;
	unsigned int applied;
	int landlock_abi;
};

/* 1 = the layer does not apply here (e.g. a user namespace when already root). */
#define STEP_NOT_NEEDED 1

static int step_cgroup(struct child *c)
{
	/* No leaf: the launcher already recorded why (skipped, or it stopped the start). */
	return c->cgroup[0] ? ih_jail_cgroup_enter(c->cgroup) : STEP_NOT_NEEDED;
}

static int write_file(const char *path, const char *val)
{
	cleanup_fd int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(val);

	if (fd < 0)
		return -errno;
	return write(fd, val, n) == (ssize_t)n ? 0 : -errno;
}

/* Maps the caller's own uid and gid, nothing else: root inside is not root outside. */
static int step_userns(struct child *c)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];
	int r;

	(void)c;
	if (uid == 0)
		return STEP_NOT_NEEDED;
	if (unshare(CLONE_NEWUSER) < 0)
		return -errno;
	snprintf(map, sizeof(map), "%u %u 1\n", uid, uid);
	r = write_file("/proc/self/uid_map", map);
	if (r == 0)
		r = write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "%u %u 1\n", gid, gid);
	return r ? r : write_file("/proc/self/gid_map", map);
}

static int unshare_one(int flag)
{
	return unshare(flag) < 0 ? -errno : 0;
}

static int step_netns(struct child *c)
{
	(void)c;
	return unshare_one(CLONE_NEWNET);
}

static int step_ipcns(struct child *c)
{
	(void)c;
	return unshare_one(CLONE_NEWIPC);
}

static int step_utsns(struct child *c)
{
	(void)c;
	return unshare_one(CLONE_NEWUTS);
}

static int step_mntns(struct child *c)
{
	(void)c;
	if (unshare(CLONE_NEWNS) < 0)
		return -errno;
	return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ? -errno : 0;
}

/* Both need the new mount namespace: without it they would change the host's mounts. */
static int step_tmp(struct child *c)
{
	if (!(c->applied & IH_JAIL_BIT(IH_JAIL_MNTNS)))
		return -EOPNOTSUPP;
	return ih_jail_private_tmp(c->cfg, c->argv[0]);
}

static int step_dev(struct child *c)
{
	if (!(c->applied & IH_JAIL_BIT(IH_JAIL_MNTNS)))
		return -EOPNOTSUPP;
	return ih_jail_private_dev(c->cfg);
}

static int limit(int resource, rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) < 0)
		return -errno;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
		want = rl.rlim_max;
	rl.rlim_cur = rl.rlim_max = want;
	return setrlimit(resource, &rl) < 0 ? -errno : 0;
}

static int step_rlimits(struct child *c)
{
	const struct {
		int resource;
		rlim_t value;
	} limits[] = {
		{ RLIMIT_AS, c->cfg->guest_mem + IH_JAIL_AS_MARGIN },
		{ RLIMIT_CORE, 0 },
		/* A vhost-user VM's RAM is a memfd QEMU sizes with ftruncate: a file too. */
		{ RLIMIT_FSIZE, c->cfg->guest_mem + IH_JAIL_FSIZE },
		{ RLIMIT_NOFILE, IH_JAIL_NOFILE },
		{ RLIMIT_MSGQUEUE, 0 },
		{ RLIMIT_NPROC, IH_JAIL_NPROC },
	};
	size_t n = sizeof(limits) / sizeof(limits[0]);

	/* RLIMIT_NPROC counts every process and thread of the uid in its user namespace: only
	 * a fresh one (or root, which it exempts) makes it a bound on QEMU alone. */
	if (geteuid() != 0 && !(c->applied & IH_JAIL_BIT(IH_JAIL_USERNS)))
		n--;
	for (size_t i = 0; i < n; i++) {
		int r = limit(limits[i].resource, limits[i].value);

		if (r < 0)
			return r;
	}
	return 0;
}

static int last_cap(void)
{
	char buf[16] = { 0 };
	cleanup_fd int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		return CAP_LAST_CAP;
	return (int)strtol(buf, NULL, 10);
}

/* No capability in any set, none to regain by exec'ing as root, none in the bounding set. */
static int step_caps(struct child *c)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };
	const unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
				   SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
				   SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;

	(void)c;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return -errno;
	for (int cap = 0; cap <= last_cap(); cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -errno;
	if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
		return -errno;
	return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

static int step_nnp(struct child *c)
{
	(void)c;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0;
}

static int step_landlock(struct child *c)
{
	if (!(c->applied & IH_JAIL_BIT(IH_JAIL_NNP)))
		return -EPERM;
	return ih_jail_landlock_apply(c->cfg, c->argv[0], &c->landlock_abi);
}

/* The order is the only safe one: enter the cgroup and make namespaces while privileged,
 * mount inside the new mount namespace, lower limits, drop capabilities, then lock. */
static const struct {
	enum ih_jail_layer layer;
	int (*run)(struct child *c);
} steps[] = {
	{ IH_JAIL_CGROUP, step_cgroup },   { IH_JAIL_USERNS, step_userns },
	{ IH_JAIL_NETNS, step_netns },	   { IH_JAIL_IPCNS, step_ipcns },
	{ IH_JAIL_UTSNS, step_utsns },	   { IH_JAIL_MNTNS, step_mntns },
	{ IH_JAIL_TMP, step_tmp },	   { IH_JAIL_DEV, step_dev },
	{ IH_JAIL_RLIMITS, step_rlimits }, { IH_JAIL_CAPS, step_caps },
	{ IH_JAIL_NNP, step_nnp },	   { IH_JAIL_LANDLOCK, step_landlock },
};

/*
 * The errors that mean "this host does not offer the layer" (best-effort skips the layer on
 * these, and says so); any other error is a failure and stops the start, in every mode.
 * EOPNOTSUPP is also what a forbidden layer, or one missing its prerequisite, reports.
 */
static const int unavailable_errs[IH_JAIL_NLAYERS][6] = {
	[IH_JAIL_CGROUP] = { EOPNOTSUPP, ENOENT, EACCES, EPERM, EROFS, ENODEV },
	[IH_JAIL_USERNS] = { EOPNOTSUPP, EPERM, EACCES, EINVAL, ENOSPC, EUSERS },
	[IH_JAIL_NETNS] = { EOPNOTSUPP, EPERM, EINVAL, ENOSPC, EUSERS },
	[IH_JAIL_IPCNS] = { EOPNOTSUPP, EPERM, EINVAL, ENOSPC, EUSERS },
	[IH_JAIL_UTSNS] = { EOPNOTSUPP, EPERM, EINVAL, ENOSPC, EUSERS },
	[IH_JAIL_MNTNS] = { EOPNOTSUPP, EPERM, EINVAL, ENOSPC, EUSERS },
	[IH_JAIL_TMP] = { EOPNOTSUPP, EPERM },
	[IH_JAIL_DEV] = { EOPNOTSUPP, EPERM },
	[IH_JAIL_RLIMITS] = { EOPNOTSUPP, EPERM },
	[IH_JAIL_CAPS] = { EOPNOTSUPP, EPERM },
	[IH_JAIL_NNP] = { EOPNOTSUPP, EINVAL },
	[IH_JAIL_LANDLOCK] = { EOPNOTSUPP, ENOSYS, EPERM },
	[IH_JAIL_SECCOMP] = { EOPNOTSUPP, EINVAL },
};

static bool unavailable(int layer, int err)
{
	for (size_t i = 0; i < sizeof(unavailable_errs[0]) / sizeof(int); i++)
		if (unavailable_errs[layer][i] == err)
			return true;
	return false;
}

static void send_msg(const struct child *c, enum msg_kind kind, int layer, int err)
{
	struct child_msg m = { kind, layer, err, c->landlock_abi };
	ssize_t n = write(c->chan, &m, sizeof(m));

	(void)n;
}

static __attribute__((noreturn)) void child_fail(const struct child *c, int layer, int err)
{
	send_msg(c, MSG_FAILED, layer, err);
	_exit(127);
}

static void run_steps(struct child *c)
{
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int layer = steps[i].layer;
		int r;

		if (c->cfg->optout & IH_JAIL_BIT(layer))
			continue;
		r = (c->cfg->forbid & IH_JAIL_BIT(layer)) ? -EOPNOTSUPP : steps[i].run(c);
		if (r == STEP_NOT_NEEDED)
			continue;
		if (r == 0) {
			c->applied |= IH_JAIL_BIT(layer);
			send_msg(c, MSG_APPLIED, layer, 0);
		} else if (c->cfg->mode == IH_JAIL_BEST_EFFORT && unavailable(layer, -r)) {
			send_msg(c, MSG_SKIPPED, layer, -r);
		} else {
			child_fail(c, layer, -r);
		}
	}
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Closes every fd from 3 up except keep and chan; the kept ones lose FD_CLOEXEC. */
static int close_fds(const int *keep, size_t nkeep, int chan)
{
	int sorted[64];
	size_t n = 0;
	unsigned int lo = 3;

	if (nkeep >= sizeof(sorted) / sizeof(sorted[0]))
		return -E2BIG;
	for (size_t i = 0; i < nkeep; i++) {
		if (keep[i] < 3 || fcntl(keep[i], F_SETFD, 0) < 0)
			return -EBADF;
		sorted[n++] = keep[i];
	}
	sorted[n++] = chan;
	qsort(sorted, n, sizeof(sorted[0]), cmp_int);
	for (size_t i = 0; i < n; i++) {
		if ((unsigned int)sorted[i] > lo)
			close_range(lo, (unsigned int)sorted[i] - 1, 0);
		lo = (unsigned int)sorted[i] + 1;
	}
	return close_range(lo, ~0U, 0) < 0 ? -errno : 0;
}

static int setup_stdio(const struct ih_jail_cfg *cfg)
{
	int null_fd;

	if (cfg->own_pgrp && setpgid(0, 0) < 0)
		return -errno;
	if (!cfg->redirect_stdio)
		return 0;
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0)
		return -errno;
	if (null_fd == 0 ? fcntl(0, F_SETFD, 0) < 0 : dup2(null_fd, 0) < 0)
		return -errno;
	if (dup2(cfg->stdio_fd, 1) < 0 || dup2(cfg->stdio_fd, 2) < 0)
		return -errno;
	return 0;
}

/* QEMU dies with the launcher, even if the launcher died before this line. */
static int tie_to_parent(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return -errno;
	return getppid() == parent ? 0 : -ESRCH;
}

static char *const clean_env[] = { "PATH=/usr/bin:/bin", "LC_ALL=C", NULL };

static __attribute__((noreturn)) void child_main(struct child *c, const int *keep, size_t nkeep,
						 bool exec)
{
	sigset_t all;
	int r;

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	r = setup_stdio(c->cfg);
	if (r == 0)
		r = close_fds(keep, nkeep, c->chan);
	if (r == 0)
		r = tie_to_parent(c->parent);
	if (r < 0)
		child_fail(c, -1, -r);
	if (c->cfg->mode != IH_JAIL_OFF)
		run_steps(c);
	if (!exec)
		_exit(0);
	execve(c->argv[0], c->argv, clean_env);
	child_fail(c, -1, errno);
}

/* Reads the child's reports until the pipe closes (exec done, or the child gave up). */
static int collect(int chan, struct ih_jail_report *rep)
{
	struct child_msg m;
	ssize_t n;

	while ((n = read(chan, &m, sizeof(m))) == (ssize_t)sizeof(m)) {
		if (m.layer >= IH_JAIL_NLAYERS)
			return -EPROTO;
		rep->landlock_abi = m.abi;
		if (m.kind == MSG_APPLIED && m.layer >= 0) {
			rep->applied |= IH_JAIL_BIT(m.layer);
		} else if (m.kind == MSG_SKIPPED && m.layer >= 0) {
			rep->skipped |= IH_JAIL_BIT(m.layer);
			rep->skip_err[m.layer] = m.err;
		} else if (m.kind == MSG_FAILED) {
			rep->failed_layer = m.layer;
			rep->failed_err = m.err;
			return -(m.err ? m.err : EIO);
		}
	}
	return n < 0 ? -errno : 0;
}

/* The seccomp layer is QEMU's: its argv must ask for "-sandbox on...". */
static bool argv_has_sandbox(char *const argv[])
{
	for (size_t i = 0; argv[i] && argv[i + 1]; i++)
		if (!strcmp(argv[i], "-sandbox") && !strncmp(argv[i + 1], "on", 2) &&
		    (argv[i + 1][2] == '\0' || argv[i + 1][2] == ','))
			return true;
	return false;
}

static int fail_layer(struct ih_jail_report *rep, int layer, int err)
{
	rep->failed_layer = layer;
	rep->failed_err = err;
	return -err;
}

/* The seccomp layer is QEMU's own: asked for in its argv, measured once it runs. */
static int prepare_seccomp(const struct ih_jail_cfg *cfg, char *const argv[],
			   struct ih_jail_report *rep)
{
	if (cfg->optout & IH_JAIL_BIT(IH_JAIL_SECCOMP))
		return 0;
	if (argv_has_sandbox(argv) && !(cfg->forbid & IH_JAIL_BIT(IH_JAIL_SECCOMP))) {
		rep->applied |= IH_JAIL_BIT(IH_JAIL_SECCOMP);
		return 0;
	}
	if (cfg->mode == IH_JAIL_STRICT)
		return fail_layer(rep, IH_JAIL_SECCOMP, EINVAL);
	rep->skip_err[IH_JAIL_SECCOMP] = EINVAL;
	rep->skipped |= IH_JAIL_BIT(IH_JAIL_SECCOMP);
	return 0;
}

/* The cgroup leaf is made by the launcher, which can write the cgroup tree. */
static int prepare_cgroup(const struct ih_jail_cfg *cfg, struct ih_jail_report *rep)
{
	int r;

	if (cfg->optout & IH_JAIL_BIT(IH_JAIL_CGROUP))
		return 0;
	r = (cfg->forbid & IH_JAIL_BIT(IH_JAIL_CGROUP))
		    ? -EOPNOTSUPP
		    : ih_jail_cgroup_create(cfg, rep->cgroup, sizeof(rep->cgroup));
	if (r == 0)
		return 0;
	rep->cgroup[0] = '\0';
	if (cfg->mode != IH_JAIL_BEST_EFFORT || !unavailable(IH_JAIL_CGROUP, -r))
		return fail_layer(rep, IH_JAIL_CGROUP, -r);
	rep->skipped |= IH_JAIL_BIT(IH_JAIL_CGROUP);
	rep->skip_err[IH_JAIL_CGROUP] = -r;
	return 0;
}

/* Layers decided in the launcher, before the fork. */
static int prepare(const struct ih_jail_cfg *cfg, char *const argv[], struct ih_jail_report *rep)
{
	int r;

	if (cfg->mode == IH_JAIL_OFF)
		return 0;
	r = prepare_seccomp(cfg, argv, rep);
	return r < 0 ? r : prepare_cgroup(cfg, rep);
}

static void report_init(const struct ih_jail_cfg *cfg, struct ih_jail_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->mode = cfg->mode;
	rep->failed_layer = -1;
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Forks the child, gathers its reports; on failure the child is reaped and the leaf removed. */
static int launch(const struct ih_jail_cfg *cfg, char *const argv[], const int *keep_fds,
		  size_t nkeep, bool exec, pid_t *ret_pid, struct ih_jail_report *rep)
{
	int chan[2];
	struct child c = { cfg, argv, rep->cgroup, -1, getpid(), 0, 0 };
	pid_t pid;
	int r;

	if (pipe2(chan, O_CLOEXEC) < 0)
		return -errno;
	c.chan = chan[1];
	pid = fork();
	if (pid == 0)
		child_main(&c, keep_fds, nkeep, exec);
	r = pid < 0 ? -errno : 0;
	close(chan[1]);
	if (r == 0)
		r = collect(chan[0], rep);
	close(chan[0]);
	if (r < 0 && pid > 0) {
		kill(pid, SIGKILL);
		reap(pid);
	}
	if (r < 0)
		ih_jail_release(rep);
	else
		*ret_pid = pid;
	return r;
}

/* True once pid has exited (it stays a zombie for the caller to reap). */
static bool exited(pid_t pid)
{
	siginfo_t si = { 0 };

	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

/* Pre-exec layers must show in /proc now; QEMU's seccomp comes later and Landlock never shows.
 * A process that has already exited cannot be measured, and no longer needs to be. */
static int verify_started(pid_t pid, struct ih_jail_report *rep)
{
	unsigned int want = ih_jail_expected(rep) & ~IH_JAIL_BIT(IH_JAIL_SECCOMP);
	struct ih_jail_measured m;
	int layer = -1, r = 0;

	for (int tries = 0; tries < 20; tries++) {
		if (ih_jail_measure(pid, &m) == 0) {
			r = ih_jail_verify(rep, &m, want, &layer);
			if (r == 0)
				return 0;
		}
		if (exited(pid))
			return 0;
		nanosleep(&(struct timespec){ 0, 5 * 1000 * 1000 }, NULL);
	}
	rep->failed_layer = layer;
	rep->failed_err = EPERM;
	return r < 0 ? r : -EPERM;
}

int ih_jail_spawn(const struct ih_jail_cfg *cfg, char *const argv[], const int *keep_fds,
		  size_t nkeep, pid_t *ret_pid, struct ih_jail_report *ret)
{
	pid_t pid;
	int r;

	report_init(cfg, ret);
	if (!argv[0] || argv[0][0] != '/')
		return -EINVAL;
	r = prepare(cfg, argv, ret);
	if (r < 0)
		return r;
	r = launch(cfg, argv, keep_fds, nkeep, true, &pid, ret);
	if (r < 0)
		return r;
	if (cfg->mode != IH_JAIL_OFF) {
		r = verify_started(pid, ret);
		if (r < 0) {
			kill(pid, SIGKILL);
			reap(pid);
			ih_jail_release(ret);
			return r;
		}
	}
	*ret_pid = pid;
	return 0;
}

void ih_jail_release(struct ih_jail_report *rep)
{
	ih_jail_cgroup_remove(rep->cgroup);
	rep->cgroup[0] = '\0';
}

int ih_jail_probe(const struct ih_jail_cfg *cfg, unsigned int *ret_available,
		  int ret_err[IH_JAIL_NLAYERS])
{
	struct ih_jail_cfg probe = *cfg;
	struct ih_jail_report rep;
	char *const argv[] = { "/", "-sandbox", "on", NULL };
	pid_t pid;
	int r;

	probe.mode = IH_JAIL_BEST_EFFORT;
	report_init(&probe, &rep);
	r = prepare(&probe, argv, &rep);
	if (r == 0)
		r = launch(&probe, argv, NULL, 0, false, &pid, &rep);
	if (r == 0)
		reap(pid);
	ih_jail_release(&rep);
	if (r < 0)
		return r;
	/* QEMU's filter needs only the kernel's seccomp filter mode. */
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 || (probe.forbid & IH_JAIL_BIT(IH_JAIL_SECCOMP)))
		rep.applied &= ~IH_JAIL_BIT(IH_JAIL_SECCOMP);
	*ret_available = rep.applied;
	memcpy(ret_err, rep.skip_err, sizeof(rep.skip_err));
	return 0;
}
