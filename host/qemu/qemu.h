/*
 * Booting the guest image under QEMU: the image directory, the QEMU command line, the spawn,
 * and one supervised run (console captured, hard wall-clock timeout, QEMU killed and reaped
 * on every path).
 *
 * The command line for x86_64 is `-M microvm` with no default devices, no network device,
 * the root as a read-only virtio-blk drive, the kernel command line from the image's
 * `cmdline` file (built from kernel/cmdline: the one source of truth) plus the caller's
 * extra tokens, the serial console on QEMU's stdout, -no-reboot (the guest ends a run with
 * a reset, see guest/init/init.c) and QEMU's own seccomp sandbox. QEMU runs in its own process
 * group; spawning is one replaceable function (struct ih_qemu_opts.spawn).
 */
#ifndef IH_HOST_QEMU_H
#define IH_HOST_QEMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum ih_arch {
	IH_ARCH_X86_64 = 0,
	IH_ARCH_ARM64,
};

/* The architecture this launcher was built for (the image it boots by default). */
enum ih_arch ih_arch_native(void);

/*
 * The architecture of the guest to boot: ih_arch_native() unless `ih-vm --arch` selected
 * another with ih_arch_select(). ih_qemu_opts_init() and the decode backend start from it.
 */
enum ih_arch ih_arch_guest(void);
void ih_arch_select(enum ih_arch arch);

/* "x86_64" or "arm64" to *ret: 0, or -EINVAL for any other name. */
int ih_arch_parse(const char *name, enum ih_arch *ret);

/* "x86_64" or "arm64": the name of build/<arch>/ and of the kernel/ files. */
const char *ih_arch_name(enum ih_arch arch);

/*
 * Finds the guest image directory for arch, first match wins:
 *   1. $IH_IMAGE_DIR
 *   2. build/<arch>/ of the source tree, when the launcher runs as <tree>/build/host/ih-vm
 *   3. <prefix>/share/imageharden/<arch>/, when it runs as <prefix>/bin/ih-vm
 * A directory counts only if it holds the kernel, initramfs.cpio.gz, rootfs.squashfs and
 * cmdline. Copies the path to ret_dir (size bytes): 0, -ENOENT when none qualifies, or
 * -ENAMETOOLONG. Prints nothing: ih_image_dir_hint() is the caller's one message.
 */
int ih_image_dir_find(enum ih_arch arch, char *ret_dir, size_t size);

/* The message for -ENOENT from ih_image_dir_find(), with its Hint, for stderr. */
const char *ih_image_dir_hint(void);

/*
 * The file QEMU boots, inside the image directory: "vmlinux" on x86_64 (the kernel itself,
 * entered through PVH: no decompressor, measured faster under TCG; the bzImage beside it is
 * for other boot paths), "Image" on arm64.
 */
const char *ih_kernel_name(enum ih_arch arch);

#define IH_QEMU_MAX_EXTRA 8 /* extra kernel command-line tokens */
#define IH_QEMU_MAX_KEEP_FDS 4 /* fds QEMU inherits besides stdin/stdout/stderr */
#define IH_QEMU_ARGV_MAX 64

/* What a spawn function gets: QEMU's argv and the fds it must inherit. */
struct ih_qemu_spawn_req {
	char *const *argv; /* argv[0] is the QEMU binary (a path or a name to find in PATH) */
	int stdout_fd; /* becomes QEMU's stdout and stderr: the console and QEMU's own errors */
	int keep_fds[IH_QEMU_MAX_KEEP_FDS]; /* inherited at the same number (e.g. vsock) */
	size_t n_keep_fds;
};

/*
 * Starts QEMU for req in a new process group with stdin on /dev/null: 0 with *ret_pid (the
 * process group id too), or -errno. The default is ih_qemu_spawn_plain (fork + exec, QEMU
 * killed when the launcher dies); a jailed spawn replaces it through ih_qemu_opts.spawn.
 */
typedef int (*ih_qemu_spawn_fn)(const struct ih_qemu_spawn_req *req, void *ctx, pid_t *ret_pid);
int ih_qemu_spawn_plain(const struct ih_qemu_spawn_req *req, void *ctx, pid_t *ret_pid);

/*
 * Called with each console line (no newline), e.g. to stream or log it; at most about
 * IH_QEMU_CONSOLE_MAX bytes per run (the rest is still read, and scanned for the marker).
 */
#define IH_QEMU_CONSOLE_MAX (4u << 20)
typedef void (*ih_qemu_line_fn)(const char *line, void *ctx);

struct ih_qemu_opts {
	enum ih_arch arch;
	const char *image_dir; /* from ih_image_dir_find() */
	bool kvm; /* from ih_accel_choose(); false means TCG */
	unsigned int mem_mib; /* guest memory; 0 means IH_QEMU_DEFAULT_MEM_MIB */
	/* Extra kernel command-line tokens, e.g. "ih.mode=serve"; each checked by ih_qemu_argv */
	const char *extra_cmdline[IH_QEMU_MAX_EXTRA];
	size_t n_extra_cmdline;
	/* Files overriding the image's own (NULL: the image directory's file). */
	const char *kernel, *initramfs, *rootfs;
	/* vhost-user vsock: the socket QEMU talks to the backend on, or -1 for no vsock. */
	int vsock_chardev_fd;
	const char *qemu_binary; /* NULL: qemu-system-x86_64 / qemu-system-aarch64 from PATH */
	unsigned int timeout_ms; /* hard wall-clock limit on the run; 0 means 60 s */
	const char *ready_marker; /* console line that marks readiness; NULL: "IH-READY" */
	ih_qemu_spawn_fn spawn; /* NULL: ih_qemu_spawn_plain */
	void *spawn_ctx;
	ih_qemu_line_fn on_line; /* NULL: console lines are not passed on */
	void *line_ctx;
};

#define IH_QEMU_DEFAULT_MEM_MIB 256
#define IH_QEMU_DEFAULT_TIMEOUT_MS 60000

/* Defaults: the guest arch (ih_arch_guest()), TCG, no vsock, no overrides, default limits. */
void ih_qemu_opts_init(struct ih_qemu_opts *opts);

/* QEMU's argv for opts, built into storage owned by the caller. */
struct ih_qemu_argv {
	char *argv[IH_QEMU_ARGV_MAX];
	size_t argc;
	char buf[16384]; /* the strings argv points into */
	size_t used;
};

/*
 * Builds QEMU's command line for opts: 0, -EINVAL for an extra token that is empty or holds
 * a space or a control character, -ENOENT when the image's cmdline file is unreadable,
 * -E2BIG when it does not fit, -ENOTSUP for an arch without a machine model yet.
 */
int ih_qemu_argv(const struct ih_qemu_opts *opts, struct ih_qemu_argv *ret_argv);

/* How one run ended. Times are nanoseconds since just before the spawn, or -1. */
struct ih_qemu_result {
	int64_t ready_ns; /* ready_marker seen on the console */
	int64_t exit_ns; /* QEMU exited */
	bool timed_out; /* the timeout hit; QEMU was killed */
	int wait_status; /* QEMU's status from waitpid() (valid when exit_ns >= 0) */
	bool guest_failed; /* the console showed a guest failure ("FAILED:", "Kernel panic") */
	int64_t cpu_ns; /* QEMU's user + system CPU time (load-independent), or -1 */
	bool console_truncated; /* lines past IH_QEMU_CONSOLE_MAX were not passed to on_line */
};

/*
 * Runs QEMU once for opts: spawns it, reads the console until QEMU exits or the timeout
 * hits, then kills the whole process group and reaps it (also on every error path).
 * 0 with *ret_result filled (even on timeout: check it), or -errno when QEMU could not be
 * started (argv, pipe, spawn).
 */
int ih_qemu_run(const struct ih_qemu_opts *opts, struct ih_qemu_result *ret_result);

#endif
