/* The host checks of `ih-vm doctor --host` (doctor_host.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/qemu/accel.h"
#include "doctor_host.h"
#include "jail_doctor.h"

#define QEMU_OUTPUT_MAX 65536
#define QEMU_TIMEOUT_MS 20000

#if defined(__x86_64__)
#define QEMU_NAME "qemu-system-x86_64"
#define QEMU_PKG "qemu-system-x86"
#else
#define QEMU_NAME "qemu-system-aarch64"
#define QEMU_PKG "qemu-system-arm"
#endif

__attribute__((format(printf, 3, 4))) static void set(struct ih_host_result *r,
						      enum ih_host_verdict v, const char *fmt, ...)
{
	va_list ap;

	r->v = v;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

static void hint(struct ih_host_result *r, const char *text)
{
	snprintf(r->hint, sizeof(r->hint), "Hint: %s", text);
}

/* Reads what QEMU prints for one option into buf (NUL-terminated): 0 or -errno. */
static int qemu_output(const char *qemu, const char *arg1, const char *arg2, char *buf, size_t len)
{
	int fds[2], status;
	size_t got = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char *const argv[] = { (char *)qemu, (char *)arg1, (char *)arg2, NULL };
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		dup2(fds[1], STDOUT_FILENO);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execv(qemu, argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, QEMU_TIMEOUT_MS) <= 0)
			break;
		n = read(fds[0], buf + got, len - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == len - 1)
			break;
	}
	buf[got] = '\0';
	close(fds[0]);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return got ? 0 : -EIO;
}

static void qemu_present(const struct ih_host_ctx *ctx, struct ih_host_result *r)
{
	char out[512];

	if (!ctx->qemu) {
		set(r, IH_HOST_FAIL, "%s not found (IH_QEMU, PATH)", QEMU_NAME);
		hint(r, "apt-get install " QEMU_PKG);
		return;
	}
	if (qemu_output(ctx->qemu, "--version", NULL, out, sizeof(out)) < 0 ||
	    strncmp(out, "QEMU emulator version ", 22)) {
		set(r, IH_HOST_FAIL, "%s does not report a QEMU version", ctx->qemu);
		hint(r, "reinstall " QEMU_PKG " or point IH_QEMU at a working QEMU");
		return;
	}
	out[strcspn(out, "\n")] = '\0';
	set(r, IH_HOST_PASS, "%s: %s", ctx->qemu, out);
}

/* 1 when QEMU's device list names dev as a device (a `name "dev"` entry). */
static int has_device(const char *list, const char *dev)
{
	char quoted[64];

	snprintf(quoted, sizeof(quoted), "name \"%s\"", dev);
	return strstr(list, quoted) != NULL;
}

static void qemu_vsock_devices(const struct ih_host_ctx *ctx, struct ih_host_result *r)
{
	static char list[QEMU_OUTPUT_MAX];
	int user, kernel;

	if (!ctx->qemu || qemu_output(ctx->qemu, "-device", "help", list, sizeof(list)) < 0) {
		set(r, IH_HOST_FAIL, "cannot list QEMU's devices");
		hint(r, "apt-get install " QEMU_PKG);
		return;
	}
	user = has_device(list, "vhost-user-vsock-device");
	kernel = has_device(list, "vhost-vsock-device");
	set(r, user ? IH_HOST_PASS : IH_HOST_FAIL,
	    "vhost-user-vsock-device %s, vhost-vsock-device %s", user ? "yes" : "no",
	    kernel ? "yes" : "no");
	if (!user)
		hint(r,
		     "ih-vm's built-in vsock backend needs vhost-user-vsock-device (QEMU >= 4.1)");
}

static void accelerator(const struct ih_host_ctx *ctx, struct ih_host_result *r)
{
	enum ih_kvm_state st = ih_kvm_probe(ctx->sysroot);

	if (st == IH_KVM_USABLE) {
		set(r, IH_HOST_PASS, "KVM is real: --accel=auto chooses kvm");
		return;
	}
	set(r, IH_HOST_ABSENT, "KVM not usable (%s): --accel=auto chooses tcg",
	    ih_kvm_state_str(st));
	hint(r,
	     st == IH_KVM_NO_DEVICE
		     ? "load kvm_intel or kvm_amd and give this user /dev/kvm for full speed"
		     : "TCG works everywhere, only slower; run on bare metal or a VM with nested "
		       "virtualization for KVM");
}

static void vhost_vsock(const struct ih_host_ctx *ctx, struct ih_host_result *r)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/dev/vhost-vsock", ctx->sysroot);
	if (access(p, R_OK | W_OK) == 0) {
		set(r, IH_HOST_PASS, "/dev/vhost-vsock usable: --vsock=kernel works too");
		return;
	}
	set(r, IH_HOST_ABSENT, "/dev/vhost-vsock %s: --vsock=user (the built-in backend) is used",
	    errno == ENOENT ? "absent" : "not accessible");
	hint(r, "modprobe vhost_vsock for --vsock=kernel; the default needs nothing");
}

static void landlock(const struct ih_host_ctx *ctx, struct ih_host_result *r)
{
	int abi = ctx->landlock_abi();

	if (abi > 0) {
		set(r, IH_HOST_PASS, "Landlock ABI %d", abi);
		return;
	}
	set(r, IH_HOST_FAIL, "Landlock unavailable (%s)",
	    abi == -EOPNOTSUPP ? "built, not enabled" : strerrorname_np(-abi) ?: "?");
	hint(r, "add landlock to CONFIG_LSM or to the lsm= boot parameter (--isolation=process "
		"and the QEMU jail need it)");
}

static void seccomp(const struct ih_host_ctx *ctx, struct ih_host_result *r)
{
	int e = ctx->seccomp_filter();

	if (e == 0) {
		set(r, IH_HOST_PASS, "seccomp filter mode available");
		return;
	}
	set(r, IH_HOST_FAIL, "seccomp filter mode unavailable (%s)", strerrorname_np(-e) ?: "?");
	hint(r, "a kernel with CONFIG_SECCOMP_FILTER=y (QEMU's -sandbox and the decoder need it)");
}

static void user_namespaces(const struct ih_host_ctx *ctx, struct ih_host_result *r)
{
	char p[PATH_MAX], v[32] = "";
	FILE *f;
	int e;

	snprintf(p, sizeof(p), "%s/proc/sys/user/max_user_namespaces", ctx->sysroot);
	f = fopen(p, "re");
	if (f) {
		if (!fgets(v, sizeof(v), f))
			v[0] = '\0';
		fclose(f);
		v[strcspn(v, "\n")] = '\0';
	}
	e = ctx->userns();
	if (e == 0 && strcmp(v, "0")) {
		set(r, IH_HOST_PASS, "a user namespace can be made (max_user_namespaces %s)",
		    v[0] ? v : "?");
		return;
	}
	set(r, IH_HOST_FAIL, "no user namespace (%s, max_user_namespaces %s)",
	    e ? strerrorname_np(-e) ?: "?" : "ok", v[0] ? v : "?");
	hint(r, "sysctl user.max_user_namespaces=10000 (and kernel.unprivileged_userns_clone=1 "
		"where it exists): an unprivileged --isolation=process needs one");
}

const struct ih_host_check ih_host_checks[] = {
	{ "QEMU present", "every VM is a QEMU microvm", qemu_present },
	{ "QEMU vsock devices", "the guest talks to the launcher over virtio-vsock only",
	  qemu_vsock_devices },
	{ "KVM", "under KVM the guest runs natively; TCG emulates every instruction", accelerator },
	{ "/dev/vhost-vsock", "the kernel's vsock backend, an alternative to the built-in one",
	  vhost_vsock },
	{ "Landlock on the host", "confines the process decoder and QEMU", landlock },
	{ "seccomp on the host", "QEMU's -sandbox and the process decoder filter syscalls",
	  seccomp },
	{ "user namespaces", "an unprivileged launcher builds its sandboxes in them",
	  user_namespaces },
	{ "QEMU jail", "every QEMU runs confined: namespaces, no capabilities, rlimits, Landlock",
	  ih_jail_host_check },
};
const size_t ih_host_checks_count = sizeof(ih_host_checks) / sizeof(ih_host_checks[0]);

static int live_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return abi < 0 ? -errno : (int)abi;
}

static int live_seccomp_filter(void)
{
	unsigned int action = SECCOMP_RET_KILL_PROCESS;

	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) < 0 ? -errno : 0;
}

/* Tries unshare(CLONE_NEWUSER) in a throw-away child. */
static int live_userns(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER) < 0 ? (errno & 0x7f) : 0);
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status))
		return -ECHILD;
	return -WEXITSTATUS(status);
}

/* Finds QEMU as the launcher does: IH_QEMU, else the first QEMU_NAME in PATH. */
static const char *find_qemu(char *buf, size_t len)
{
	const char *env = getenv("IH_QEMU"), *path = getenv("PATH");
	char dirs[4096];
	char *save = NULL;

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return access(buf, X_OK) == 0 ? buf : NULL;
	}
	snprintf(dirs, sizeof(dirs), "%s", path && *path ? path : "/usr/bin:/bin");
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if (d[0] != '/' || (size_t)snprintf(buf, len, "%s/%s", d, QEMU_NAME) >= len)
			continue;
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return NULL;
}

void ih_host_ctx_live(struct ih_host_ctx *ret, char *qemu_buf, size_t len)
{
	ret->sysroot = "";
	ret->qemu = find_qemu(qemu_buf, len);
	ret->landlock_abi = live_landlock_abi;
	ret->seccomp_filter = live_seccomp_filter;
	ret->userns = live_userns;
}
