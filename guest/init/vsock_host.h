/* The guest's side of a vsock stream to the host (CID 2): connect, retrying while the
 * launcher's listener comes up. */
#ifndef IH_GUEST_VSOCK_HOST_H
#define IH_GUEST_VSOCK_HOST_H

/* The init's modes wait this many tries (20 ms apart: 3 s) for the host's listener. */
#define IH_VSOCK_CONNECT_TRIES 150

/*
 * Connects a stream to host port, trying up to tries times, 20 ms apart. Returns 0 with a
 * close-on-exec fd in *ret_fd, or the -errno of the last attempt.
 */
int ih_vsock_connect_host(unsigned int port, unsigned int tries, int *ret_fd);

#endif
