/*
 * Booting the guest image under QEMU (qemu.h): image directory, QEMU argv, plain spawn, and
 * one supervised run with a hard timeout that always ends with QEMU killed and reaped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qemu.h"

#define CMDLINE_MAX 2048
#define CONSOLE_LINE_MAX 1024

static const char *const image_files[] = { "initramfs.cpio.gz", "rootfs.squashfs", "cmdline" };

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static void free_ptr(void *p)
{
	free(*(void **)p);
}

#define cleanup_fd __attribute__((cleanup(close_fd)))
#define cleanup_free __attribute__((cleanup(free_ptr)))

enum ih_arch ih_arch_native(void)
{
#if defined(__aarch64__)
	return IH_ARCH_ARM64;
#else
	return IH_ARCH_X86_64;
#endif
}

static bool arch_selected;
static enum ih_arch arch_selection;

enum ih_arch ih_arch_guest(void)
{
	return arch_selected ? arch_selection : ih_arch_native();
}

void ih_arch_select(enum ih_arch arch)
{
	arch_selection = arch;
	arch_selected = true;
}

int ih_arch_parse(const char *name, enum ih_arch *ret)
{
	if (!strcmp(name, "x86_64"))
		*ret = IH_ARCH_X86_64;
	else if (!strcmp(name, "arm64"))
		*ret = IH_ARCH_ARM64;
	else
		return -EINVAL;
	return 0;
}

const char *ih_arch_name(enum ih_arch arch)
{
	return arch == IH_ARCH_ARM64 ? "arm64" : "x86_64";
}

const char *ih_kernel_name(enum ih_arch arch)
{
	return arch == IH_ARCH_ARM64 ? "Image" : "vmlinux";
}

/* A directory is an image directory when it holds the kernel and every image file. */
static bool is_image_dir(const char *dir, enum ih_arch arch)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, ih_kernel_name(arch));
	if (access(path, R_OK) < 0)
		return false;
	for (size_t i = 0; i < sizeof(image_files) / sizeof(image_files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, image_files[i]);
		if (access(path, R_OK) < 0)
			return false;
	}
	return true;
}

/* The image directories next to the running launcher: <tree>/build/<arch>, <prefix>/share. */
static int candidate_from_exe(enum ih_arch arch, bool installed, char *out, size_t size)
{
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int r;

	if (n < 0)
		return -errno;
	exe[n] = '\0';
	slash = strrchr(exe, '/'); /* .../build/host/ih-vm or <prefix>/bin/ih-vm */
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	if (installed)
		r = snprintf(out, size, "%s/share/imageharden/%s", exe, ih_arch_name(arch));
	else
		r = snprintf(out, size, "%s/%s", exe, ih_arch_name(arch));
	return r < 0 || (size_t)r >= size ? -ENAMETOOLONG : 0;
}

int ih_image_dir_find(enum ih_arch arch, char *ret_dir, size_t size)
{
	const char *env = getenv("IH_IMAGE_DIR");
	char dir[PATH_MAX];

	if (env && *env) {
		if (strlen(env) >= size)
			return -ENAMETOOLONG;
		if (!is_image_dir(env, arch))
			return -ENOENT;
		strcpy(ret_dir, env);
		return 0;
	}
	for (int installed = 0; installed <= 1; installed++) {
		if (candidate_from_exe(arch, installed, dir, sizeof(dir)) < 0)
			continue;
		if (!is_image_dir(dir, arch))
			continue;
		if (strlen(dir) >= size)
			return -ENAMETOOLONG;
		strcpy(ret_dir, dir);
		return 0;
	}
	return -ENOENT;
}

const char *ih_image_dir_hint(void)
{
	return "ih-vm: no guest image found (kernel, initramfs.cpio.gz, rootfs.squashfs, cmdline)"
	       " in $IH_IMAGE_DIR, build/<arch>/ beside the launcher, or"
	       " <prefix>/share/imageharden/<arch>/\n"
	       "Hint: run 'make image' in the source tree, or point IH_IMAGE_DIR at an image";
}

void ih_qemu_opts_init(struct ih_qemu_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->arch = ih_arch_guest();
	opts->vsock_chardev_fd = -1;
}

/* Appends one printf-formatted argument to argv. */
static __attribute__((format(printf, 2, 3))) int arg(struct ih_qemu_argv *a, const char *fmt, ...)
{
	size_t room = sizeof(a->buf) - a->used;
	va_list ap;
	int n;

	if (a->argc + 1 >= IH_QEMU_ARGV_MAX)
		return -E2BIG;
	va_start(ap, fmt);
	n = vsnprintf(a->buf + a->used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return -E2BIG;
	a->argv[a->argc++] = a->buf + a->used;
	a->argv[a->argc] = NULL;
	a->used += (size_t)n + 1;
	return 0;
}

/* A path in a QEMU option value: commas doubled, as QEMU's option syntax wants. */
static int escape_commas(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in; in++) {
		if (o + 3 > size)
			return -E2BIG;
		out[o++] = *in;
		if (*in == ',')
			out[o++] = ',';
	}
	out[o] = '\0';
	return 0;
}

/* A command-line token: non-empty, printable, no space (one token, not several). */
static bool token_ok(const char *t)
{
	if (!t || !*t)
		return false;
	for (; *t; t++)
		if (*t <= ' ' || *t == 0x7f)
			return false;
	return true;
}

/* Appends " word" (or "word" to an empty out); -E2BIG when it does not fit. */
static int append_word(char *out, size_t size, const char *word)
{
	size_t len = strlen(out), wlen = strlen(word);

	if (!wlen)
		return 0;
	if (len + 1 + wlen + 1 > size)
		return -E2BIG;
	if (len)
		out[len++] = ' ';
	memcpy(out + len, word, wlen + 1);
	return 0;
}

/* Appends the first line of the image file name; a missing optional file adds nothing. */
static int append_image_line(const struct ih_qemu_opts *opts, const char *name, bool required,
			     char *out, size_t size)
{
	char path[PATH_MAX], line[CMDLINE_MAX];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", opts->image_dir, name);
	f = fopen(path, "re");
	if (!f)
		return required || errno != ENOENT ? -ENOENT : 0;
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	if (n == sizeof(line) - 1)
		return -E2BIG;
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	return append_word(out, size, line);
}

/*
 * The kernel command line: the image's cmdline file, under TCG its cmdline-tcg file (tokens
 * that only pay off without KVM, see kernel/cmdline-tcg.*), then the caller's tokens.
 */
static int build_cmdline(const struct ih_qemu_opts *opts, char *out, size_t size)
{
	int r;

	out[0] = '\0';
	r = append_image_line(opts, "cmdline", true, out, size);
	if (r == 0 && !opts->kvm)
		r = append_image_line(opts, "cmdline-tcg", false, out, size);
	for (size_t i = 0; r == 0 && i < opts->n_extra_cmdline; i++)
		r = token_ok(opts->extra_cmdline[i])
			    ? append_word(out, size, opts->extra_cmdline[i])
			    : -EINVAL;
	return r;
}

/* An image file: the override when set, else the file in the image directory. */
static int image_file(const struct ih_qemu_opts *opts, const char *override, const char *name,
		      char *out, size_t size)
{
	int n;

	if (override)
		n = snprintf(out, size, "%s", override);
	else
		n = snprintf(out, size, "%s/%s", opts->image_dir, name);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/*
 * x86_64 microvm: no option ROMs, the RTC on (without it the kernel waits about a second
 * for the CMOS clock), no ACPI (the kernel has none: devices come from the command line
 * QEMU extends with virtio_mmio.device=). With vsock, guest memory is a shared memfd the
 * vhost-user backend maps.
 */
static int machine_args_x86_64(const struct ih_qemu_opts *opts, unsigned int mem,
			       struct ih_qemu_argv *a)
{
	bool vsock = opts->vsock_chardev_fd >= 0;
	int r = 0;

	if (vsock)
		r = arg(a, "-object")
			    ?: arg(a, "memory-backend-memfd,id=mem,size=%uM,share=on", mem);
	return r ?: arg(a, "-M") ?:
		    arg(a, "microvm,x-option-roms=off,rtc=on,acpi=off%s",
			vsock ? ",memory-backend=mem" : "") ?:
		    arg(a, "-m") ?: arg(a, "%uM", mem) ?: arg(a, "-accel") ?:
		    arg(a, "%s", opts->kvm ? "kvm" : "tcg") ?:
		    (opts->kvm ? arg(a, "-cpu") ?: arg(a, "host") : 0);
}

/*
 * arm64 virt: GICv3 (the host's under KVM), devices are virtio-mmio transports in the device
 * tree QEMU builds, console on the PL011. Under TCG the CPU is "max" so the guest has
 * pointer authentication, BTI and (mte=on) MTE; pauth-impdef=on takes QEMU's cheap
 * implementation-defined PAC algorithm instead of QARMA, which tripled the boot time under
 * TCG (0.76 s vs 2.19 s measured). Under KVM: the host CPU, MTE only if the host has it.
 */
static int machine_args_arm64(const struct ih_qemu_opts *opts, unsigned int mem,
			      struct ih_qemu_argv *a)
{
	bool vsock = opts->vsock_chardev_fd >= 0;
	int r = 0;

	if (vsock)
		r = arg(a, "-object")
			    ?: arg(a, "memory-backend-memfd,id=mem,size=%uM,share=on", mem);
	return r ?: arg(a, "-M") ?:
		    arg(a, "virt,gic-version=%s%s", opts->kvm ? "host" : "3,mte=on",
			vsock ? ",memory-backend=mem" : "") ?:
		    arg(a, "-m") ?: arg(a, "%uM", mem) ?: arg(a, "-accel") ?:
		    arg(a, "%s", opts->kvm ? "kvm" : "tcg") ?: arg(a, "-cpu") ?:
		    arg(a, "%s", opts->kvm ? "host" : "max,pauth-impdef=on");
}

static int machine_args(const struct ih_qemu_opts *opts, unsigned int mem, struct ih_qemu_argv *a)
{
	switch (opts->arch) {
	case IH_ARCH_X86_64:
		return machine_args_x86_64(opts, mem, a);
	case IH_ARCH_ARM64:
		return machine_args_arm64(opts, mem, a);
	}
	return -ENOTSUP;
}

static int device_args(const struct ih_qemu_opts *opts, struct ih_qemu_argv *a)
{
	char file[PATH_MAX], esc[2 * PATH_MAX];
	int r;

	r = image_file(opts, opts->rootfs, "rootfs.squashfs", file, sizeof(file))
		    ?: escape_commas(file, esc, sizeof(esc));
	if (r < 0)
		return r;
	/* The root: read-only at QEMU's level too, whatever the guest asks. */
	r = arg(a, "-drive") ?: arg(a, "id=root,file=%s,format=raw,if=none,readonly=on", esc) ?:
		arg(a, "-device") ?: arg(a, "virtio-blk-device,drive=root");
	if (r < 0 || opts->vsock_chardev_fd < 0)
		return r;
	return arg(a, "-chardev") ?: arg(a, "socket,id=vs,fd=%d", opts->vsock_chardev_fd) ?:
		arg(a, "-device") ?: arg(a, "vhost-user-vsock-device,chardev=vs") ?:
		arg(a, "-global") ?: arg(a, "virtio-mmio.force-legacy=false");
}

static int boot_args(const struct ih_qemu_opts *opts, struct ih_qemu_argv *a)
{
	char file[PATH_MAX], cmdline[CMDLINE_MAX];
	int r;

	r = image_file(opts, opts->kernel, ih_kernel_name(opts->arch), file, sizeof(file)) ?:
		arg(a, "-kernel") ?: arg(a, "%s", file);
	r = r ?: image_file(opts, opts->initramfs, "initramfs.cpio.gz", file, sizeof(file)) ?:
		   arg(a, "-initrd") ?: arg(a, "%s", file);
	r = r ?: build_cmdline(opts, cmdline, sizeof(cmdline)) ?: arg(a, "-append") ?:
		   arg(a, "%s", cmdline);
	return r;
}

int ih_qemu_argv(const struct ih_qemu_opts *opts, struct ih_qemu_argv *ret_argv)
{
	unsigned int mem = opts->mem_mib ? opts->mem_mib : IH_QEMU_DEFAULT_MEM_MIB;
	const char *qemu = opts->qemu_binary;
	struct ih_qemu_argv *a = ret_argv;
	int r;

	if (!qemu)
		qemu = opts->arch == IH_ARCH_ARM64 ? "qemu-system-aarch64" : "qemu-system-x86_64";
	a->argc = 0;
	a->used = 0;
	a->argv[0] = NULL;
	/*
	 * No default devices, no user config, no display, no network: the console (the one
	 * serial port) is QEMU's stdout. A guest reset ends QEMU (-no-reboot). QEMU's own
	 * seccomp filter denies obsolete calls, privilege changes, spawning and resource control.
	 */
	r = arg(a, "%s", qemu) ?: arg(a, "-nodefaults") ?: arg(a, "-no-user-config") ?:
		arg(a, "-display") ?: arg(a, "none") ?: arg(a, "-serial") ?: arg(a, "stdio") ?:
		arg(a, "-no-reboot") ?: arg(a, "-sandbox") ?:
		arg(a, "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
	r = r ?: machine_args(opts, mem, a) ?: device_args(opts, a) ?: boot_args(opts, a);
	return r;
}

/* In the child: the fds QEMU keeps, stdin on /dev/null, everything else closed. */
static int child_fds(const struct ih_qemu_spawn_req *req)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (null < 0 || dup2(null, 0) < 0 || dup2(req->stdout_fd, 1) < 0 ||
	    dup2(req->stdout_fd, 2) < 0)
		return -errno;
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return -errno;
	for (size_t i = 0; i < req->n_keep_fds; i++)
		if (fcntl(req->keep_fds[i], F_SETFD, 0) < 0)
			return -errno;
	return 0;
}

static __attribute__((noreturn)) void child_exec(const struct ih_qemu_spawn_req *req, pid_t parent,
						 int err_fd)
{
	int e = 0;

	if (setpgid(0, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		e = errno;
	else if (getppid() != parent)
		e = ESRCH; /* the launcher died before PDEATHSIG was armed */
	else if (child_fds(req) < 0)
		e = errno;
	if (!e) {
		execvp(req->argv[0], req->argv);
		e = errno;
	}
	if (write(err_fd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

int ih_qemu_spawn_plain(const struct ih_qemu_spawn_req *req, void *ctx, pid_t *ret_pid)
{
	cleanup_fd int err_r = -1;
	cleanup_fd int err_w = -1;
	int fds[2], e = 0;
	pid_t parent = getpid(), pid;
	ssize_t n;

	(void)ctx;
	for (size_t i = 0; i < req->n_keep_fds; i++)
		if (req->keep_fds[i] <= 2)
			return -EINVAL;
	if (req->n_keep_fds > IH_QEMU_MAX_KEEP_FDS || req->stdout_fd < 0 || !req->argv[0])
		return -EINVAL;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	err_r = fds[0];
	err_w = fds[1];
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		child_exec(req, parent, err_w);
	setpgid(pid, pid); /* also done by the child: whichever runs first */
	close(err_w);
	err_w = -1;
	do
		n = read(err_r, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n == sizeof(e)) {
		waitpid(pid, NULL, 0);
		return -(e ? e : EIO);
	}
	*ret_pid = pid;
	return 0;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Console state of one run: the line being assembled and what was seen so far. */
struct console {
	const struct ih_qemu_opts *opts;
	struct ih_qemu_result *res;
	int64_t t0;
	char line[CONSOLE_LINE_MAX];
	size_t len;
	size_t passed; /* bytes handed to opts->on_line so far */
};

static void console_line(struct console *c)
{
	const char *marker = c->opts->ready_marker ? c->opts->ready_marker : "IH-READY";

	while (c->len && (c->line[c->len - 1] == '\r' || c->line[c->len - 1] == '\n'))
		c->len--;
	c->line[c->len] = '\0';
	if (c->res->ready_ns < 0 && !strcmp(c->line, marker))
		c->res->ready_ns = now_ns() - c->t0;
	if (strstr(c->line, ": FAILED: ") || strstr(c->line, "Kernel panic"))
		c->res->guest_failed = true;
	/* The guest writes as fast as TCG runs: what reaches the caller (a log file) is capped. */
	if (c->opts->on_line && c->passed < IH_QEMU_CONSOLE_MAX) {
		c->passed += c->len + 1;
		c->opts->on_line(c->line, c->opts->line_ctx);
	} else if (c->opts->on_line) {
		c->res->console_truncated = true;
	}
	c->len = 0;
}

static void console_feed(struct console *c, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		c->line[c->len++] = buf[i];
		if (buf[i] == '\n' || c->len == sizeof(c->line) - 1)
			console_line(c);
	}
}

/* Reads what the console has: 1 while open, 0 at end of file, -errno. */
static int console_read(struct console *c, int fd)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -errno;
	if (n == 0) {
		if (c->len)
			console_line(c);
		return 0;
	}
	console_feed(c, buf, (size_t)n);
	return 1;
}

static int64_t tv_ns(struct timeval tv)
{
	return (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
}

/* waitpid() that also records QEMU's CPU time. */
static pid_t reap(pid_t pid, int flags, struct ih_qemu_result *res)
{
	struct rusage ru;
	pid_t r = wait4(pid, &res->wait_status, flags, &ru);

	if (r == pid)
		res->cpu_ns = tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
	return r;
}

/* Waits for QEMU to exit and the console to close, or the deadline. */
static void supervise(struct console *c, int console_fd, int pidfd, pid_t pid, int64_t deadline)
{
	bool console_open = true, exited = false;

	while (console_open || !exited) {
		struct pollfd p[2] = { { .fd = console_open ? console_fd : -1, .events = POLLIN },
				       { .fd = exited ? -1 : pidfd, .events = POLLIN } };
		int64_t left = deadline - now_ns();

		if (left <= 0) {
			c->res->timed_out = true;
			return;
		}
		if (poll(p, 2, (int)(left / 1000000) + 1) < 0 && errno != EINTR)
			return;
		if (p[0].revents && console_read(c, console_fd) <= 0)
			console_open = false;
		if (p[1].revents && reap(pid, WNOHANG, c->res) == pid) {
			exited = true;
			c->res->exit_ns = now_ns() - c->t0;
		}
	}
}

/* Ends a QEMU that has not exited by itself (timeout, error): its whole group, then reaps. */
static void kill_and_reap(pid_t pid, struct ih_qemu_result *res)
{
	if (res->exit_ns >= 0)
		return;
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (reap(pid, 0, res) < 0 && errno == EINTR)
		;
}

int ih_qemu_run(const struct ih_qemu_opts *opts, struct ih_qemu_result *ret_result)
{
	unsigned int timeout = opts->timeout_ms ? opts->timeout_ms : IH_QEMU_DEFAULT_TIMEOUT_MS;
	cleanup_free struct ih_qemu_argv *argv = calloc(1, sizeof(*argv));
	struct console con = { .opts = opts };
	struct ih_qemu_result res = { .ready_ns = -1, .exit_ns = -1, .cpu_ns = -1 };
	struct ih_qemu_spawn_req req = { .stdout_fd = -1 };
	cleanup_fd int console_r = -1;
	cleanup_fd int pidfd = -1;
	int fds[2], r;
	pid_t pid;

	if (!argv)
		return -ENOMEM;
	r = ih_qemu_argv(opts, argv);
	if (r < 0)
		return r;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	console_r = fds[0];
	req.argv = argv->argv;
	req.stdout_fd = fds[1];
	if (opts->vsock_chardev_fd >= 0)
		req.keep_fds[req.n_keep_fds++] = opts->vsock_chardev_fd;
	con.res = &res;
	con.t0 = now_ns();
	r = (opts->spawn ? opts->spawn : ih_qemu_spawn_plain)(&req, opts->spawn_ctx, &pid);
	close(fds[1]);
	if (r < 0)
		return r;
	pidfd = (int)pidfd_open(pid, 0);
	if (pidfd < 0) {
		r = -errno;
		kill_and_reap(pid, &res);
		return r;
	}
	supervise(&con, console_r, pidfd, pid, con.t0 + (int64_t)timeout * 1000000);
	kill_and_reap(pid, &res);
	*ret_result = res;
	return 0;
}
