/*
 * One decode VM's life (vm.h). The order is the only safe one: the vsock backend and its
 * listener exist before QEMU starts, QEMU gets the backend's socket and its own process
 * group, and the guest's connection is awaited with QEMU watched through a pidfd, so a QEMU
 * that dies is noticed at once instead of at a timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/jail/jail_vm.h"
#include "vm.h"
#include "vm_client.h"
#include "vm_qemu.h"

#define VM_STOP_GRACE_MS 3000 /* shutdown request to QEMU's exit, before the kill */
#define VM_SLACK_MS 10000 /* beyond the decoder's wall time: transfers, scheduling */
#define VM_MAX_LIVE 16

struct ih_vm {
	struct ih_vsock *vsock;
	int listen_fd; /* owned by vsock */
	int conn_fd;
	int pidfd;
	pid_t pid; /* QEMU, leader of its own process group; 0 once reaped */
	uint64_t mem_bytes;
	struct ih_limits stop_lim; /* any valid limits, for the shutdown request */
};

static const int fatal_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

/* QEMUs alive in this process, killed by the signal handler before the process dies. */
static volatile pid_t live[VM_MAX_LIVE];

static void on_fatal_signal(int sig)
{
	int saved = errno;

	for (int i = 0; i < VM_MAX_LIVE; i++) {
		pid_t pid = live[i];

		if (pid > 0) {
			kill(-pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
	}
	signal(sig, SIG_DFL);
	errno = saved;
	raise(sig);
}

/* Installs the handler for the signals that end the launcher, unless someone else has. */
static void guard_signals(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	for (size_t i = 0; i < sizeof(fatal_sigs) / sizeof(fatal_sigs[0]); i++) {
		struct sigaction old, sa = { .sa_handler = on_fatal_signal };

		if (sigaction(fatal_sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
			sigaction(fatal_sigs[i], &sa, NULL);
	}
}

static void live_set(pid_t old_pid, pid_t new_pid)
{
	for (int i = 0; i < VM_MAX_LIVE; i++)
		if (live[i] == old_pid) {
			live[i] = new_pid;
			return;
		}
}

uint64_t ih_vm_mem_for(const struct ih_limits *lim)
{
	uint64_t base = 96ull << 20; /* kernel, init, page cache of the rootfs, tmpfs */
	uint64_t need = base + lim->max_input_bytes + lim->max_pixels * 4 + lim->max_memory_bytes;

	return (need + (16ull << 20) - 1) & ~((16ull << 20) - 1);
}

static void vm_free(struct ih_vm *vm)
{
	if (vm->conn_fd >= 0)
		close(vm->conn_fd);
	if (vm->pidfd >= 0)
		close(vm->pidfd);
	ih_vsock_free(vm->vsock);
	free(vm);
}

/* Kills the process group and reaps QEMU. */
static void vm_reap(struct ih_vm *vm, bool force)
{
	if (vm->pid <= 0)
		return;
	if (force)
		kill(-vm->pid, SIGKILL);
	while (waitpid(vm->pid, NULL, 0) < 0 && errno == EINTR)
		;
	live_set(vm->pid, 0);
	ih_jail_reaped(vm->pid);
	vm->pid = 0;
}

/* Starts QEMU with the fatal signals held until the handler can find it. */
static int spawn_registered(const struct ih_vm_cfg *cfg, int qemu_fd, pid_t *ret_pid)
{
	sigset_t fatal, old;
	int r;

	sigemptyset(&fatal);
	for (size_t i = 0; i < sizeof(fatal_sigs) / sizeof(fatal_sigs[0]); i++)
		sigaddset(&fatal, fatal_sigs[i]);
	sigprocmask(SIG_BLOCK, &fatal, &old);
	r = ih_vm_qemu_spawn(cfg, qemu_fd, ret_pid);
	if (r == 0)
		live_set(0, *ret_pid);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

static int start_qemu(struct ih_vm *vm, const struct ih_vm_cfg *cfg)
{
	int qemu_fd = -1, r;

	r = ih_vsock_new(cfg->vsock, ih_vm_guest_cid(cfg->vsock), &qemu_fd, &vm->vsock);
	if (r < 0)
		return r;
	r = ih_vsock_listen(vm->vsock, IH_VSOCK_PORT, &vm->listen_fd);
	if (r < 0)
		goto out;
	r = spawn_registered(cfg, qemu_fd, &vm->pid);
	if (r < 0)
		goto out;
	vm->pidfd = (int)syscall(SYS_pidfd_open, vm->pid, 0);
	if (vm->pidfd < 0)
		r = -errno;
out:
	if (qemu_fd >= 0)
		close(qemu_fd);
	return r;
}

/* Waits for the guest's connection while watching QEMU: 0, -ETIMEDOUT or -ECHILD. */
static int await_guest(struct ih_vm *vm, int timeout_ms)
{
	int64_t deadline = ih_now_ms() + timeout_ms;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = vm->listen_fd, .events = POLLIN },
			{ .fd = vm->pidfd, .events = POLLIN },
		};
		int64_t left = deadline - ih_now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(p, 2, (int)left);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0 && p[1].revents)
			return -ECHILD;
		if (r > 0 && p[0].revents) {
			r = ih_vsock_accept(vm->vsock, vm->listen_fd, &vm->conn_fd);
			if (r != -EAGAIN)
				return r;
		}
	}
}

int ih_vm_start(const struct ih_vm_cfg *cfg, struct ih_vm **ret)
{
	struct ih_vm *vm;
	int r;

	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->listen_fd = vm->conn_fd = vm->pidfd = -1;
	vm->mem_bytes = cfg->mem_bytes;
	ih_limits_default(&vm->stop_lim);
	guard_signals();
	r = start_qemu(vm, cfg);
	if (r == 0)
		r = await_guest(vm, cfg->boot_timeout_ms);
	if (r < 0) {
		vm_reap(vm, true);
		vm_free(vm);
		return r;
	}
	*ret = vm;
	return 0;
}

int ih_vm_decode(struct ih_vm *vm, const struct ih_limits *lim, uint32_t flags,
		 const struct ih_decode_opts *opts, const uint8_t *input, size_t input_len,
		 struct ih_decoded *ret)
{
	/* The decoder's own time, then the input moved at the slowest rate a guest may have. */
	int64_t deadline = ih_now_ms() + lim->wall_ms + VM_SLACK_MS +
			   (int64_t)(input_len / IH_VM_CLIENT_MIN_RATE);

	return ih_vm_client_decode(vm->conn_fd, vm->pidfd, lim, flags, opts, input, input_len,
				   deadline, ret);
}

/* Waits up to ms for QEMU to exit by itself: true when it did. */
static bool await_exit(struct ih_vm *vm, int ms)
{
	struct pollfd p = { .fd = vm->pidfd, .events = POLLIN };

	return vm->pidfd >= 0 && poll(&p, 1, ms) == 1;
}

void ih_vm_stop(struct ih_vm *vm)
{
	if (!vm)
		return;
	if (vm->conn_fd >= 0 &&
	    ih_vm_client_shutdown(vm->conn_fd, &vm->stop_lim, ih_now_ms() + 1000) == 0)
		vm_reap(vm, !await_exit(vm, VM_STOP_GRACE_MS));
	vm_reap(vm, true);
	vm_free(vm);
}

void ih_vm_kill(struct ih_vm *vm)
{
	if (!vm)
		return;
	vm_reap(vm, true);
	vm_free(vm);
}

uint64_t ih_vm_mem(const struct ih_vm *vm)
{
	return vm->mem_bytes;
}

pid_t ih_vm_qemu_pid(const struct ih_vm *vm)
{
	return vm->pid;
}

int ih_vm_stream_fd(const struct ih_vm *vm)
{
	return vm->conn_fd;
}
