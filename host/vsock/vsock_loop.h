/*
 * The vsock backend's event loop: one epoll set driving QEMU's vhost-user socket, the
 * two kick eventfds, the control socket of the launcher and every connection's socket.
 * It runs in its own thread (started by host/vsock/vsock.c); all backend state is touched only
 * from that thread.
 */
#ifndef IH_HOST_VSOCK_LOOP_H
#define IH_HOST_VSOCK_LOOP_H

#include <stdatomic.h>
#include <stdint.h>

/*
 * Sets up, confines the calling thread (vsock_sandbox.h) and sends the outcome on ctl_fd
 * as one vsock_ctl_rep; then serves the vhost-user master on vu_sock and the requests
 * arriving on ctl_fd until ctl_fd reaches end of file or *stop is set (set it, then shut
 * ctl_fd down to wake the loop). Each pass of the loop does bounded ring work, so the loop
 * sees either within one pass whatever the guest writes. Takes ownership of vu_sock (closes
 * it); ctl_fd stays the caller's. Returns 0, or -errno when the loop could not be set up.
 */
int vsock_loop_run(int vu_sock, int ctl_fd, uint64_t guest_cid, const atomic_bool *stop);

#endif
