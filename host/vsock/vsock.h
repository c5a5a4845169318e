/*
 * Host side of virtio-vsock, whatever carries it. Above this interface every connection
 * is a plain stream fd (read/write/poll/close), exactly as with a kernel AF_VSOCK socket.
 *
 *   IH_VSOCK_USER:   the built-in vhost-user backend (host/vhost_user*.c, host/virtq*.c,
 *                    host/vsock_*.c). QEMU gets one end of a socketpair as the chardev of
 *                    `-device vhost-user-vsock-device`; no /dev/vhost-vsock is needed.
 *   IH_VSOCK_KERNEL: AF_VSOCK through /dev/vhost-vsock and `-device vhost-vsock-device`.
 */
#ifndef IH_HOST_VSOCK_H
#define IH_HOST_VSOCK_H

#include <stdint.h>

enum ih_vsock_kind {
	IH_VSOCK_USER = 0,
	IH_VSOCK_KERNEL = 1,
};

struct ih_vsock;

/*
 * Creates the transport for a guest with CID guest_cid (>= 3). IH_VSOCK_USER starts the
 * backend thread, which confines itself with seccomp before it serves (an error here means
 * it could not); IH_VSOCK_KERNEL fails with -ENOENT without /dev/vhost-vsock. For IH_VSOCK_USER,
 * *ret_qemu_fd is the socketpair end to hand to QEMU (`-chardev socket,id=..,fd=N`; it is
 * not close-on-exec; close it in the launcher once QEMU has started); for IH_VSOCK_KERNEL
 * it is -1. The backend runs until ih_vsock_free(). Returns 0 or -errno.
 */
int ih_vsock_new(enum ih_vsock_kind kind, uint64_t guest_cid, int *ret_qemu_fd,
		 struct ih_vsock **ret);

/*
 * Listens on host port `port` for guest connections. *ret_fd becomes readable when a
 * connection is waiting; ih_vsock_accept() then returns it. Returns 0 or -errno.
 */
int ih_vsock_listen(struct ih_vsock *v, uint32_t port, int *ret_fd);

/* Takes the next waiting connection on a listen fd: *ret_fd is the stream. 0 or -errno
 * (-EAGAIN when none is waiting, -EPIPE when the backend has stopped). Closing the listen
 * fd stops listening; guest connects then get RST. */
int ih_vsock_accept(struct ih_vsock *v, int listen_fd, int *ret_fd);

/* Connects to guest port `port`; 0 with *ret_fd the stream, or -errno (-ECONNRESET when
 * nothing listens there, -ETIMEDOUT when the guest did not answer within 10 s,
 * -ENOTCONN when QEMU is gone, -EPIPE when the backend has stopped). Blocks until then. */
int ih_vsock_connect(struct ih_vsock *v, uint32_t port, int *ret_fd);

/* Stops the backend, resets every connection and releases guest memory. NULL is fine. */
void ih_vsock_free(struct ih_vsock *v);

/*
 * Receives every line the backend logs (why a connection or the device was reset, ...),
 * without a newline, from the backend's thread. Set it before ih_vsock_new(); with none
 * (the default) lines are dropped. The library itself never prints. The hook runs under
 * that thread's seccomp filter (host/vsock/vsock_seccomp.policy): writing to an fd that is
 * already open (e.g. fprintf to stderr) is fine; opening files or sockets kills the
 * process. At most 50 lines a second get through.
 */
typedef void (*ih_vsock_log_fn)(void *opaque, const char *line);
void ih_vsock_set_log(ih_vsock_log_fn fn, void *opaque);

#endif
