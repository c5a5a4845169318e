/*
 * virtio-vsock stream protocol on top of the vhost-user device: packets on the tx ring
 * (guest -> host) and the rx ring (host -> guest), one connection per (host port, guest
 * port), each bridged to a local stream socket, with credit flow control both ways.
 *
 * The guest is hostile: a packet whose header does not fit its descriptors, which breaks
 * the credit we advertised, or which makes no sense in the connection's state resets that
 * connection (RST) with a logged reason. Memory per connection is bounded by the credit.
 */
#ifndef IH_HOST_VSOCK_PROTO_H
#define IH_HOST_VSOCK_PROTO_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vhost_user.h"

#define VSOCK_HOST_CID 2
#define VSOCK_HDR_LEN 44
#define VSOCK_BUF_ALLOC (256u * 1024) /* credit we give the guest per connection */
#define VSOCK_MAX_PAYLOAD (64u * 1024) /* largest packet payload either way */
#define VSOCK_MAX_CONNS 128
#define VSOCK_MAX_LISTENERS 32
#define VSOCK_MAX_RST 64 /* RSTs for unknown connections waiting for an rx buffer */
#define VSOCK_CONNECT_TIMEOUT_MS 10000
#define VSOCK_EPHEMERAL_FIRST 49152u

enum vsock_op {
	VSOCK_OP_REQUEST = 1,
	VSOCK_OP_RESPONSE = 2,
	VSOCK_OP_RST = 3,
	VSOCK_OP_SHUTDOWN = 4,
	VSOCK_OP_RW = 5,
	VSOCK_OP_CREDIT_UPDATE = 6,
	VSOCK_OP_CREDIT_REQUEST = 7,
};

#define VSOCK_TYPE_STREAM 1
#define VSOCK_SHUTDOWN_RCV 1u
#define VSOCK_SHUTDOWN_SEND 2u

/* The packet header, little-endian on the wire. */
struct vsock_hdr {
	uint64_t src_cid;
	uint64_t dst_cid;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t len;
	uint16_t type;
	uint16_t op;
	uint32_t flags;
	uint32_t buf_alloc;
	uint32_t fwd_cnt;
} __attribute__((packed));

enum vsock_conn_state {
	CONN_FREE = 0,
	CONN_CONNECTING, /* host connect: REQUEST sent or queued, waiting for RESPONSE */
	CONN_ESTABLISHED,
};

/* Control packets a connection still owes the guest (vsock_conn.pending). */
#define PEND_REQUEST 1u
#define PEND_RESPONSE 2u
#define PEND_CREDIT 4u

struct vsock_conn {
	enum vsock_conn_state state;
	uint32_t host_port, guest_port;
	int fd; /* our end of the local stream, non-blocking, in epoll */
	int user_fd; /* CONNECTING: the end handed to the connect caller on RESPONSE */
	uint64_t deadline_ms; /* CONNECTING: give up then */
	unsigned int pending;
	/* guest -> host: bytes received, delivered to fd, and last fwd_cnt told to the guest */
	uint32_t rx_cnt, fwd_cnt, fwd_sent;
	uint8_t *buf; /* VSOCK_BUF_ALLOC ring of received bytes fd has not taken yet */
	uint32_t buf_head, buf_len;
	/* host -> guest: the guest's credit and what we sent */
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
	bool fd_readable, fd_eof, fd_shut_wr;
	bool guest_shut_send, guest_shut_recv, sent_shutdown;
};

struct vsock_listener {
	uint32_t port;
	int fd; /* our end; -1 when the slot is free */
};

struct vsock_rst {
	uint32_t host_port, guest_port;
};

struct vsock_proto {
	struct vu_dev *dev;
	const atomic_bool *stop; /* set by another thread: drop ring work at once; NULL: none */
	int epfd; /* connection fds are added here, tagged VSOCK_TAG_CONN; -1: none */
	int ctl_fd; /* where pending connects are answered */
	uint64_t now_ms;
	unsigned int rr; /* round-robin start for rx work */
	uint32_t next_port;
	unsigned int nrst;
	struct vsock_rst rst[VSOCK_MAX_RST];
	struct vsock_listener lst[VSOCK_MAX_LISTENERS];
	struct vsock_conn conn[VSOCK_MAX_CONNS];
	struct virtq_chain chain; /* scratch for the chain being processed */
};

/* epoll tags: u64 = tag << 32 | index */
enum vsock_tag {
	VSOCK_TAG_VU = 1,
	VSOCK_TAG_CTL,
	VSOCK_TAG_KICK,
	VSOCK_TAG_LISTENER,
	VSOCK_TAG_CONN,
};

void vsock_proto_init(struct vsock_proto *p, struct vu_dev *dev, int epfd, int ctl_fd);

/*
 * Takes at most one ring's worth of chains from the tx ring, then fills at most one ring's
 * worth of rx buffers with what is waiting, then notifies. Returns true when a ring may
 * still hold work (a budget ran out): call again after other events had their turn, without
 * waiting for a kick. A guest that keeps adding chains cannot hold the caller longer.
 */
bool vsock_proto_process(struct vsock_proto *p);

/* True once p->stop is set. */
bool vsock_proto_stopping(const struct vsock_proto *p);

/* epoll reported events on connection idx / listener idx. */
void vsock_proto_conn_event(struct vsock_proto *p, unsigned int idx, uint32_t events);
void vsock_proto_listener_event(struct vsock_proto *p, unsigned int idx, uint32_t events);

/* Opens a listener on host port; *ret_fd is the launcher's end. 0 or -errno. */
int vsock_proto_listen(struct vsock_proto *p, uint32_t port, int *ret_fd);

/* Starts a connect to guest port; the answer goes to ctl_fd later. 0 or -errno now. */
int vsock_proto_connect(struct vsock_proto *p, uint32_t port);

/* Gives up on connects past their deadline. Returns ms to the next deadline, or -1. */
int vsock_proto_expire(struct vsock_proto *p);

/* The device went away: close every connection without telling the guest. */
void vsock_proto_reset_all(struct vsock_proto *p);

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t vsock_now_ms(void);

/* Closes connections and listeners. */
void vsock_proto_free(struct vsock_proto *p);

#endif
