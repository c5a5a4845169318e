/*
 * Requests from the launcher's threads to the backend's event loop, and fd passing.
 * Both run over SOCK_SEQPACKET socketpairs: one record per request or reply, fds as
 * SCM_RIGHTS. Listen fds use the same framing: each record carries one accepted stream.
 */
#ifndef IH_HOST_VSOCK_CTL_H
#define IH_HOST_VSOCK_CTL_H

#include <stddef.h>
#include <stdint.h>

enum vsock_ctl_op {
	VSOCK_CTL_LISTEN = 1,
	VSOCK_CTL_CONNECT = 2,
};

struct vsock_ctl_req {
	uint32_t op;
	uint32_t port;
};

/* err is 0 or -errno; on success the record carries the fd (listen end or stream). */
struct vsock_ctl_rep {
	int32_t err;
};

/* Sends len bytes and, when fd >= 0, a copy of fd. flags: extra send flags. 0 or -errno. */
int vsock_ctl_send(int sock, const void *buf, size_t len, int fd, int flags);

/*
 * Receives one record into buf and at most one fd (close-on-exec; -1 when none came).
 * Returns the record length (0 at end of file) or -errno. Extra fds are closed.
 */
int vsock_ctl_recv(int sock, void *buf, size_t len, int flags, int *ret_fd);

/* Sends a reply {err} with fd (or -1). */
int vsock_ctl_reply(int sock, int err, int fd);

#endif
