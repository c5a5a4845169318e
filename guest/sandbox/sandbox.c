/*
 * The decoder sandbox (guest/sandbox/sandbox.h). The parent picks the namespaces and clones; the
 * child runs the setup steps of child_steps[] in order, stops at the first failure, and
 * reports over a pipe either the failed step or the layers it now has. Only then does the
 * body run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "landlock.h"
#include "sandbox.h"
#include "seccomp_filter.h"

const struct ih_sandbox_ns ih_sandbox_namespaces[] = {
	{ IH_LAYER_NS_USER, "user", CLONE_NEWUSER }, { IH_LAYER_NS_PID, "pid", CLONE_NEWPID },
	{ IH_LAYER_NS_NET, "net", CLONE_NEWNET },    { IH_LAYER_NS_MNT, "mnt", CLONE_NEWNS },
	{ IH_LAYER_NS_IPC, "ipc", CLONE_NEWIPC },    { IH_LAYER_NS_UTS, "uts", CLONE_NEWUTS },
};
const size_t ih_sandbox_n_namespaces =
	sizeof(ih_sandbox_namespaces) / sizeof(ih_sandbox_namespaces[0]);

const struct ih_sandbox_rlimit ih_sandbox_rlimits[] = {
	{ RLIMIT_FSIZE, "FSIZE", 0, "the decoder writes no file" },
	{ RLIMIT_NPROC, "NPROC", 0, "the decoder starts no process or thread" },
	{ RLIMIT_CORE, "CORE", 0, "a crash leaves no core dump with image data" },
	{ RLIMIT_NOFILE, "NOFILE", UINT64_MAX, "highest kept fd + 1: no new fd numbers" },
	{ RLIMIT_MEMLOCK, "MEMLOCK", 0, "nothing to lock in memory" },
	{ RLIMIT_MSGQUEUE, "MSGQUEUE", 0, "no POSIX message queues" },
};
const size_t ih_sandbox_n_rlimits = sizeof(ih_sandbox_rlimits) / sizeof(ih_sandbox_rlimits[0]);

/* The child's side of the setup. */
struct child {
	const struct ih_sandbox_cfg *cfg;
	int keep[IH_SANDBOX_MAX_FDS + 1]; /* cfg->keep_fds and the report fd, sorted */
	size_t n_keep;
	int report_fd;
	bool root; /* the caller ran as uid 0 */
	uint32_t layers; /* applied so far */
};

/* What the child sends once setup ends, either way. */
struct setup_report {
	uint32_t layers;
	int32_t step;
	int32_t err;
};

struct child_step {
	enum ih_sandbox_step step;
	uint32_t layer; /* 0: always runs */
	int (*run)(struct child *c);
};

static void sorted_insert(int *fds, size_t n, int fd)
{
	size_t i = n;

	while (i > 0 && fds[i - 1] > fd) {
		fds[i] = fds[i - 1];
		i--;
	}
	fds[i] = fd;
}

static int step_close_fds(struct child *c)
{
	unsigned int lo = 0;

	for (size_t i = 0; i < c->n_keep; i++) {
		unsigned int fd = (unsigned int)c->keep[i];

		if (fd > lo && close_range(lo, fd - 1, 0) < 0)
			return -errno;
		lo = fd + 1;
	}
	if (close_range(lo, ~0u, 0) < 0)
		return -errno;
	return 0;
}

static int step_mounts(struct child *c)
{
	(void)c;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	return 0;
}

/* Address space mapped now (VmSize), or 0 when /proc is not there. */
static uint64_t address_space_now(void)
{
	unsigned long long pages = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (!f)
		return 0;
	if (fscanf(f, "%llu", &pages) != 1)
		pages = 0;
	fclose(f);
	return pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Lowers a limit (never raises a hard limit that is already lower). */
static int rlimit_lower(int resource, uint64_t value)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) < 0)
		return -errno;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < value)
		value = rl.rlim_max;
	rl.rlim_cur = rl.rlim_max = value;
	if (setrlimit(resource, &rl) < 0)
		return -errno;
	return 0;
}

static int step_rlimits(struct child *c)
{
	uint64_t as = address_space_now() + c->cfg->max_memory_bytes;
	uint64_t cpu_s = ((uint64_t)c->cfg->cpu_ms + 999) / 1000;
	int r;

	r = rlimit_lower(RLIMIT_AS, as);
	if (r == 0)
		r = rlimit_lower(RLIMIT_CPU, cpu_s ? cpu_s : 1);
	for (size_t i = 0; r == 0 && i < ih_sandbox_n_rlimits; i++) {
		uint64_t v = ih_sandbox_rlimits[i].value;

		if (v == UINT64_MAX)
			v = (uint64_t)c->keep[c->n_keep - 1] + 1;
		r = rlimit_lower(ih_sandbox_rlimits[i].resource, v);
	}
	return r;
}

static int step_bounding(struct child *c)
{
	(void)c;
	for (int cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
			break;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -errno;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

static int step_ids(struct child *c)
{
	uid_t ru, eu, su;

	if (c->root) {
		if (setgroups(0, NULL) < 0 ||
		    setresgid(IH_SANDBOX_GID, IH_SANDBOX_GID, IH_SANDBOX_GID) < 0 ||
		    setresuid(IH_SANDBOX_UID, IH_SANDBOX_UID, IH_SANDBOX_UID) < 0)
			return -errno;
	}
	if (getresuid(&ru, &eu, &su) < 0)
		return -errno;
	return (ru == 0 || eu == 0 || su == 0) ? -EPERM : 0;
}

static int step_caps(struct child *c)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { { 0 } };

	(void)c;
	if (syscall(SYS_capset, &hdr, data) < 0 || syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (data[i].effective || data[i].permitted || data[i].inheritable)
			return -EPERM;
	return 0;
}

static int step_no_new_privs(struct child *c)
{
	(void)c;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : -EPERM;
}

static int step_dumpable(struct child *c)
{
	(void)c;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : -EPERM;
}

static int step_landlock(struct child *c)
{
	int abi = ih_landlock_abi();

	(void)c;
	if (abi < 0)
		return abi;
	return ih_landlock_deny_all(abi);
}

static int step_seccomp(struct child *c)
{
	int r = ih_seccomp_available();

	if (r < 0)
		return r == -EINVAL ? -EOPNOTSUPP : r;
	return ih_seccomp_apply(c->keep, c->n_keep);
}

static const struct child_step child_steps[] = {
	{ IH_STEP_FDS, 0, step_close_fds },
	{ IH_STEP_MOUNTS, IH_LAYER_NS_MNT, step_mounts },
	{ IH_STEP_RLIMITS, IH_LAYER_RLIMITS, step_rlimits },
	{ IH_STEP_BOUNDING, IH_LAYER_CAPS, step_bounding },
	{ IH_STEP_IDS, IH_LAYER_UID, step_ids },
	{ IH_STEP_CAPS, IH_LAYER_CAPS, step_caps },
	{ IH_STEP_NO_NEW_PRIVS, IH_LAYER_NO_NEW_PRIVS, step_no_new_privs },
	{ IH_STEP_DUMPABLE, IH_LAYER_NOT_DUMPABLE, step_dumpable },
	{ IH_STEP_LANDLOCK, IH_LAYER_LANDLOCK, step_landlock },
	{ IH_STEP_SECCOMP, IH_LAYER_SECCOMP, step_seccomp },
};

static bool kernel_lacks(int err)
{
	return err == -ENOSYS || err == -EOPNOTSUPP;
}

/* Runs every step; the layers of the steps before a failure stay in c->layers. */
static int child_setup(struct child *c, struct setup_report *rep)
{
	for (size_t i = 0; i < sizeof(child_steps) / sizeof(child_steps[0]); i++) {
		const struct child_step *s = &child_steps[i];
		int r;

		if (s->layer && !(c->cfg->layers & s->layer))
			continue;
		r = s->run(c);
		if (r < 0 && kernel_lacks(r) && c->cfg->allow_degraded)
			continue;
		if (r < 0) {
			rep->step = (int32_t)s->step;
			rep->err = -r;
			return r;
		}
		c->layers |= s->layer;
	}
	return 0;
}

static ssize_t write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static __attribute__((noreturn)) void child_main(struct child *c, ih_sandbox_body body, void *arg)
{
	struct setup_report rep = { 0 };

	if (child_setup(c, &rep) < 0) {
		write_all(c->report_fd, &rep, sizeof(rep));
		_exit(127);
	}
	rep.layers = c->layers;
	if (write_all(c->report_fd, &rep, sizeof(rep)) < 0)
		_exit(127);
	_exit(body(arg, c->layers));
}

static bool ns_supported(const char *name)
{
	char path[64];

	if (access("/proc/self/ns", F_OK) < 0)
		return true; /* no /proc: try, and let clone3 fail closed */
	snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	return access(path, F_OK) == 0;
}

/* The clone flags and layers of the wanted namespaces; -EOPNOTSUPP if one is missing. */
static int ns_pick(const struct ih_sandbox_cfg *cfg, bool root, uint64_t *ret_flags,
		   uint32_t *ret_layers)
{
	uint64_t flags = 0;
	uint32_t layers = 0;

	for (size_t i = 0; i < ih_sandbox_n_namespaces; i++) {
		const struct ih_sandbox_ns *ns = &ih_sandbox_namespaces[i];

		if (!(cfg->layers & ns->layer) || (ns->layer == IH_LAYER_NS_USER && root))
			continue;
		if (!ns_supported(ns->name)) {
			if (!cfg->allow_degraded)
				return -EOPNOTSUPP;
			continue;
		}
		flags |= (uint64_t)ns->clone_flag;
		layers |= ns->layer;
	}
	*ret_flags = flags;
	*ret_layers = layers;
	return 0;
}

static pid_t clone_child(uint64_t flags, int *ret_pidfd)
{
	struct clone_args args = {
		.flags = flags | CLONE_PIDFD,
		.pidfd = (uint64_t)(uintptr_t)ret_pidfd,
		.exit_signal = SIGCHLD,
	};

	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

static int child_prepare(struct child *c, const struct ih_sandbox_cfg *cfg, int report_fd)
{
	*c = (struct child){ .cfg = cfg, .report_fd = report_fd, .root = geteuid() == 0 };
	if (cfg->n_keep_fds > IH_SANDBOX_MAX_FDS)
		return -E2BIG;
	for (size_t i = 0; i < cfg->n_keep_fds; i++) {
		if (cfg->keep_fds[i] < 0)
			return -EBADF;
		sorted_insert(c->keep, c->n_keep++, cfg->keep_fds[i]);
	}
	sorted_insert(c->keep, c->n_keep++, report_fd);
	return 0;
}

/* Reads the report, or gives up after IH_SANDBOX_SETUP_MS: -ETIMEDOUT, or read's result. */
static ssize_t read_report(int fd, struct setup_report *r)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int p;

	do
		p = poll(&pfd, 1, IH_SANDBOX_SETUP_MS);
	while (p < 0 && errno == EINTR);
	if (p == 0)
		return -ETIMEDOUT;
	do
		n = read(fd, r, sizeof(*r));
	while (n < 0 && errno == EINTR);
	return n;
}

/* Reads the child's setup report; a failed setup leaves no child behind. */
static int await_setup(pid_t pid, int pidfd, int fd, struct ih_sandbox_report *rep)
{
	struct setup_report r;
	ssize_t n = read_report(fd, &r);

	if (n == (ssize_t)sizeof(r) && r.step == IH_STEP_NONE) {
		rep->layers |= r.layers;
		return 0;
	}
	if (n == (ssize_t)sizeof(r) && r.err > 0) {
		rep->step = (enum ih_sandbox_step)r.step;
		rep->err = r.err;
	} else {
		rep->step = IH_STEP_REPORT;
		rep->err = n == -ETIMEDOUT ? ETIMEDOUT : EPROTO;
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	close(pidfd);
	return -rep->err;
}

/* Clones with the wanted namespaces, or (degraded) with none if the kernel refuses them. */
static pid_t clone_sandboxed(const struct ih_sandbox_cfg *cfg, uint64_t flags, int *ret_pidfd,
			     struct ih_sandbox_report *rep)
{
	pid_t pid = clone_child(flags, ret_pidfd);

	if (pid < 0 && flags && cfg->allow_degraded) {
		rep->layers &= ~IH_LAYER_NS_ALL;
		pid = clone_child(0, ret_pidfd);
	}
	return pid;
}

static int sandbox_spawn(const struct ih_sandbox_cfg *cfg, ih_sandbox_body body, void *arg,
			 pid_t *ret_pid, int *ret_pidfd, struct ih_sandbox_report *rep)
{
	struct child c;
	uint64_t flags;
	int pipefd[2], pidfd = -1, r;
	pid_t pid;

	rep->step = IH_STEP_SPAWN;
	r = ns_pick(cfg, geteuid() == 0, &flags, &rep->layers);
	if (r < 0)
		return r;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	r = child_prepare(&c, cfg, pipefd[1]);
	pid = r < 0 ? -1 : clone_sandboxed(cfg, flags, &pidfd, rep);
	if (pid == 0)
		child_main(&c, body, arg);
	if (pid < 0 && r == 0)
		r = -errno;
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return r;
	}
	rep->step = IH_STEP_NONE;
	r = await_setup(pid, pidfd, pipefd[0], rep);
	close(pipefd[0]);
	if (r < 0)
		return r;
	*ret_pid = pid;
	if (ret_pidfd)
		*ret_pidfd = pidfd;
	else
		close(pidfd);
	return 0;
}

int ih_sandbox_spawn(const struct ih_sandbox_cfg *cfg, ih_sandbox_body body, void *arg,
		     pid_t *ret_pid, int *ret_pidfd, struct ih_sandbox_report *ret_report)
{
	struct ih_sandbox_report rep = { 0 };
	int r = sandbox_spawn(cfg, body, arg, ret_pid, ret_pidfd, &rep);

	if (r < 0 && rep.err == 0)
		rep.err = -r;
	if (r == 0)
		rep.step = IH_STEP_NONE;
	*ret_report = rep;
	return r;
}

uint32_t ih_sandbox_expected_layers(void)
{
	return geteuid() == 0 ? IH_LAYER_ALL & ~IH_LAYER_NS_USER : IH_LAYER_ALL;
}

uint32_t ih_sandbox_available_layers(void)
{
	uint32_t layers = IH_LAYER_RLIMITS | IH_LAYER_CAPS | IH_LAYER_UID | IH_LAYER_NO_NEW_PRIVS |
			  IH_LAYER_NOT_DUMPABLE;

	for (size_t i = 0; i < ih_sandbox_n_namespaces; i++)
		if (ns_supported(ih_sandbox_namespaces[i].name))
			layers |= ih_sandbox_namespaces[i].layer;
	if (ih_landlock_abi() > 0)
		layers |= IH_LAYER_LANDLOCK;
	if (ih_seccomp_available() == 0)
		layers |= IH_LAYER_SECCOMP;
	return layers;
}

const char *ih_sandbox_step_name(enum ih_sandbox_step step)
{
	static const char *const names[] = {
		[IH_STEP_NONE] = "none",
		[IH_STEP_SPAWN] = "namespaces (clone3)",
		[IH_STEP_FDS] = "closing inherited fds",
		[IH_STEP_MOUNTS] = "private mounts",
		[IH_STEP_RLIMITS] = "rlimits",
		[IH_STEP_BOUNDING] = "capability bounding set",
		[IH_STEP_IDS] = "unprivileged uid/gid",
		[IH_STEP_CAPS] = "capabilities",
		[IH_STEP_NO_NEW_PRIVS] = "no_new_privs",
		[IH_STEP_DUMPABLE] = "not dumpable",
		[IH_STEP_LANDLOCK] = "Landlock",
		[IH_STEP_SECCOMP] = "seccomp",
		[IH_STEP_REPORT] = "setup report",
	};

	if ((unsigned int)step >= sizeof(names) / sizeof(names[0]))
		return "unknown step";
	return names[step];
}

const char *ih_sandbox_hint(const struct ih_sandbox_report *rep)
{
	if (rep->step == IH_STEP_LANDLOCK)
		return ih_landlock_hint(-rep->err);
	if (rep->step == IH_STEP_SECCOMP && rep->err == EOPNOTSUPP)
		return "Hint: build the kernel with CONFIG_SECCOMP_FILTER=y";
	if (rep->step == IH_STEP_SPAWN && rep->err == EOPNOTSUPP)
		return "Hint: build the kernel with CONFIG_NAMESPACES and the PID, NET, IPC, UTS "
		       "(and USER) namespaces, or pass --allow-degraded";
	if (rep->step == IH_STEP_SPAWN && geteuid() != 0 &&
	    (rep->err == EPERM || rep->err == ENOSPC || rep->err == EUSERS))
		return "Hint: unprivileged user namespaces are off; set user.max_user_namespaces "
		       "above 0, run as root, or pass --allow-degraded";
	return NULL;
}
