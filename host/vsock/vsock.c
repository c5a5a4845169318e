/*
 * The launcher's vsock transport (host/vsock/vsock.h). IH_VSOCK_USER starts the built-in
 * vhost-user backend in a thread and talks to it over a SOCK_SEQPACKET control socket;
 * IH_VSOCK_KERNEL is plain AF_VSOCK through /dev/vhost-vsock.
 *
 * The backend is a thread, not a process: it shares nothing with the launcher but the
 * sockets below, and it confines itself (no_new_privs and a seccomp allow-list, on that
 * thread only) before it reads anything QEMU or the guest wrote; ih_vsock_new() fails
 * when it cannot.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "vsock.h"
#include "vsock_cleanup.h"
#include "vsock_ctl.h"
#include "vsock_loop.h"

struct ih_vsock {
	enum ih_vsock_kind kind;
	uint64_t guest_cid;
	int ctl_fd; /* our end of the control socket (IH_VSOCK_USER) */
	int loop_ctl_fd; /* the backend's end */
	int loop_vu_fd; /* the backend's end of QEMU's socket, owned by the loop once running */
	bool running;
	atomic_bool stop; /* tells the loop to end, whatever the guest keeps it busy with */
	pthread_t thread;
	pthread_mutex_t lock; /* one control request at a time */
};

static void *backend_main(void *arg)
{
	struct ih_vsock *v = arg;

	vsock_loop_run(v->loop_vu_fd, v->loop_ctl_fd, v->guest_cid, &v->stop);
	return NULL;
}

/* Starts the loop thread with every signal blocked (the launcher keeps its handlers). */
static int start_backend(struct ih_vsock *v)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&v->thread, NULL, backend_main, v);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return -err;
	v->running = true;
	return 0;
}

/* The loop's first record: 0 once it runs confined, else why it could not start. */
static int wait_ready(struct ih_vsock *v)
{
	struct vsock_ctl_rep rep = { 0 };
	vsock_cleanup_fd int fd = -1;
	int n = vsock_ctl_recv(v->ctl_fd, &rep, sizeof(rep), 0, &fd);

	if (n < 0)
		return n;
	return (size_t)n == sizeof(rep) ? rep.err : -EPIPE;
}

static int new_user(struct ih_vsock *v, int *ret_qemu_fd)
{
	vsock_cleanup_fd int vu_ours = -1;
	vsock_cleanup_fd int vu_qemu = -1;
	int vu[2], ctl[2], err;

	/* QEMU's end must survive exec: no SOCK_CLOEXEC on the pair, set it on ours. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, vu) < 0)
		return -errno;
	vu_ours = vu[0];
	vu_qemu = vu[1];
	if (fcntl(vu_ours, F_SETFD, FD_CLOEXEC) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0)
		return -errno;
	v->ctl_fd = ctl[0];
	v->loop_ctl_fd = ctl[1];
	v->loop_vu_fd = vsock_steal_fd(&vu_ours); /* ih_vsock_free() or the loop closes it */
	err = start_backend(v);
	if (err == 0)
		err = wait_ready(v);
	if (err < 0)
		return err;
	*ret_qemu_fd = vsock_steal_fd(&vu_qemu);
	return 0;
}

int ih_vsock_new(enum ih_vsock_kind kind, uint64_t guest_cid, int *ret_qemu_fd,
		 struct ih_vsock **ret)
{
	struct ih_vsock *v;
	int err, qemu_fd = -1;

	if (guest_cid < 3 || guest_cid >= UINT32_MAX)
		return -EINVAL;
	if (kind != IH_VSOCK_USER && kind != IH_VSOCK_KERNEL)
		return -EINVAL;
	if (kind == IH_VSOCK_KERNEL && access("/dev/vhost-vsock", R_OK | W_OK) < 0)
		return -errno;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->kind = kind;
	v->guest_cid = guest_cid;
	v->ctl_fd = v->loop_ctl_fd = v->loop_vu_fd = -1;
	pthread_mutex_init(&v->lock, NULL);
	if (kind == IH_VSOCK_USER) {
		err = new_user(v, &qemu_fd);
		if (err < 0) {
			ih_vsock_free(v);
			return err;
		}
	}
	*ret_qemu_fd = qemu_fd;
	*ret = v;
	return 0;
}

/* One request to the backend and its answer; *ret_fd gets the fd it carries. */
static int ctl_call(struct ih_vsock *v, uint32_t op, uint32_t port, int *ret_fd)
{
	struct vsock_ctl_req req = { .op = op, .port = port };
	struct vsock_ctl_rep rep = { 0 };
	vsock_cleanup_fd int fd = -1;
	int n;

	pthread_mutex_lock(&v->lock);
	n = vsock_ctl_send(v->ctl_fd, &req, sizeof(req), -1, 0);
	if (n == 0)
		n = vsock_ctl_recv(v->ctl_fd, &rep, sizeof(rep), 0, &fd);
	pthread_mutex_unlock(&v->lock);
	if (n < 0)
		return n == -ECONNRESET ? -EPIPE : n;
	if ((size_t)n != sizeof(rep))
		n = -EPIPE; /* the backend is gone */
	else if (rep.err < 0)
		n = rep.err;
	else if (fd < 0)
		n = -EPROTO;
	if (n < 0)
		return n;
	*ret_fd = vsock_steal_fd(&fd);
	return 0;
}

static int kernel_listen(uint32_t port, int *ret_fd)
{
	struct sockaddr_vm a = { .svm_family = AF_VSOCK,
				 .svm_cid = VMADDR_CID_ANY,
				 .svm_port = port };
	vsock_cleanup_fd int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0)
		return -errno;
	*ret_fd = vsock_steal_fd(&fd);
	return 0;
}

int ih_vsock_listen(struct ih_vsock *v, uint32_t port, int *ret_fd)
{
	if (v->kind == IH_VSOCK_KERNEL)
		return kernel_listen(port, ret_fd);
	return ctl_call(v, VSOCK_CTL_LISTEN, port, ret_fd);
}

int ih_vsock_accept(struct ih_vsock *v, int listen_fd, int *ret_fd)
{
	vsock_cleanup_fd int fd = -1;
	char one = 0;
	int n;

	if (v->kind == IH_VSOCK_KERNEL) {
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		*ret_fd = vsock_steal_fd(&fd);
		return 0;
	}
	n = vsock_ctl_recv(listen_fd, &one, sizeof(one), MSG_DONTWAIT, &fd);
	if (n < 0)
		return n;
	if (n == 0 || fd < 0)
		return -EPIPE; /* the backend is gone */
	*ret_fd = vsock_steal_fd(&fd);
	return 0;
}

static int kernel_connect(struct ih_vsock *v, uint32_t port, int *ret_fd)
{
	struct sockaddr_vm a = { .svm_family = AF_VSOCK,
				 .svm_cid = (unsigned int)v->guest_cid,
				 .svm_port = port };
	vsock_cleanup_fd int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return errno == ECONNREFUSED ? -ECONNRESET : -errno;
	*ret_fd = vsock_steal_fd(&fd);
	return 0;
}

int ih_vsock_connect(struct ih_vsock *v, uint32_t port, int *ret_fd)
{
	if (v->kind == IH_VSOCK_KERNEL)
		return kernel_connect(v, port, ret_fd);
	return ctl_call(v, VSOCK_CTL_CONNECT, port, ret_fd);
}

void ih_vsock_free(struct ih_vsock *v)
{
	if (!v)
		return;
	/* The flag stops the loop within one pass of bounded ring work; end of file on the
	 * control socket wakes it from epoll_wait and also wakes a thread still blocked in
	 * ih_vsock_connect() (-EPIPE). The loop then closes everything. */
	atomic_store(&v->stop, true);
	if (v->ctl_fd >= 0)
		shutdown(v->ctl_fd, SHUT_RDWR);
	vsock_closep(&v->ctl_fd);
	if (v->running)
		pthread_join(v->thread, NULL);
	vsock_closep(&v->loop_ctl_fd);
	if (!v->running)
		vsock_closep(&v->loop_vu_fd); /* else the loop closed it */
	pthread_mutex_destroy(&v->lock);
	free(v);
}
