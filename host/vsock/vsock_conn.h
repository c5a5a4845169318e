/*
 * Connection table of the vsock backend: allocation, lookup, the local stream socket of
 * each connection, the bounded buffer of guest data the socket has not taken yet, and the
 * credit arithmetic of both directions. Used by vsock_proto.c.
 */
#ifndef IH_HOST_VSOCK_CONN_H
#define IH_HOST_VSOCK_CONN_H

#include "vsock_proto.h"

struct vsock_conn *conn_find(struct vsock_proto *p, uint32_t host_port, uint32_t guest_port);

/* A free slot with a fresh socketpair: our end in c->fd (in epoll), the other in *ret_peer. */
int conn_open(struct vsock_proto *p, uint32_t host_port, uint32_t guest_port,
	      struct vsock_conn **ret, int *ret_peer);

/* Closes the local socket and frees the slot; the guest is not told. */
void conn_free(struct vsock_proto *p, struct vsock_conn *c);

/* Resets c: RST to the guest (queued), local socket closed. why goes to the log, or NULL. */
void conn_reset(struct vsock_proto *p, struct vsock_conn *c, const char *why);

/* Queues an RST for ports we keep no connection for. */
void conn_queue_rst(struct vsock_proto *p, uint32_t host_port, uint32_t guest_port);

/* Answers the pending connect of c (err 0: hands c->user_fd over) and closes user_fd. */
void conn_connect_done(struct vsock_proto *p, struct vsock_conn *c, int err);

/* Bytes the guest can still take from us. */
uint32_t conn_peer_credit(const struct vsock_conn *c);

/* Bytes the guest may still send before it overruns the credit we told it. */
uint32_t conn_our_credit(const struct vsock_conn *c);

/*
 * Takes len payload bytes of chain starting at byte off: to the socket when possible, the
 * rest into the buffer. The caller has checked the credit. 0, or -errno when the local
 * side is gone (the caller resets).
 */
int conn_take(struct vsock_proto *p, struct vsock_conn *c, uint32_t off, uint32_t len);

/* Writes buffered bytes to the socket; then applies shutdowns and credit updates. */
void conn_flush(struct vsock_proto *p, struct vsock_conn *c);

/* After any change: half-close the socket, schedule a credit update or the final RST. */
void conn_settle(struct vsock_proto *p, struct vsock_conn *c);

#endif
