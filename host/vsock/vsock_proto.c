/* virtio-vsock packets: parse the tx ring, answer on the rx ring, listeners and connects. */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vsock_cleanup.h"
#include "vsock_conn.h"
#include "vsock_ctl.h"
#include "vsock_log.h"
#include "vsock_proto.h"

void vsock_proto_init(struct vsock_proto *p, struct vu_dev *dev, int epfd, int ctl_fd)
{
	memset(p, 0, sizeof(*p));
	p->dev = dev;
	p->epfd = epfd;
	p->ctl_fd = ctl_fd;
	p->next_port = VSOCK_EPHEMERAL_FIRST;
	for (unsigned int i = 0; i < VSOCK_MAX_LISTENERS; i++)
		p->lst[i].fd = -1;
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++)
		p->conn[i].fd = p->conn[i].user_fd = -1;
}

uint64_t vsock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void hdr_from_le(struct vsock_hdr *h)
{
	h->src_cid = le64toh(h->src_cid);
	h->dst_cid = le64toh(h->dst_cid);
	h->src_port = le32toh(h->src_port);
	h->dst_port = le32toh(h->dst_port);
	h->len = le32toh(h->len);
	h->type = le16toh(h->type);
	h->op = le16toh(h->op);
	h->flags = le32toh(h->flags);
	h->buf_alloc = le32toh(h->buf_alloc);
	h->fwd_cnt = le32toh(h->fwd_cnt);
}

/* ---- guest -> host (tx ring) ---- */

static struct vsock_listener *listener_find(struct vsock_proto *p, uint32_t port)
{
	for (unsigned int i = 0; i < VSOCK_MAX_LISTENERS; i++)
		if (p->lst[i].fd >= 0 && p->lst[i].port == port)
			return &p->lst[i];
	return NULL;
}

/* A guest REQUEST for a host port: hand a new stream to the listener, or RST. */
static void on_request(struct vsock_proto *p, const struct vsock_hdr *h)
{
	struct vsock_listener *l = listener_find(p, h->dst_port);
	vsock_cleanup_fd int peer = -1;
	struct vsock_conn *c;
	char one = 0;
	int err;

	if (!l) {
		conn_queue_rst(p, h->dst_port, h->src_port);
		return;
	}
	err = conn_open(p, h->dst_port, h->src_port, &c, &peer);
	if (err < 0) {
		vsock_log("vsock: guest port %u -> host port %u refused: %s", h->src_port,
			  h->dst_port, strerror(-err));
		conn_queue_rst(p, h->dst_port, h->src_port);
		return;
	}
	err = vsock_ctl_send(l->fd, &one, 1, peer, MSG_DONTWAIT);
	if (err < 0) {
		conn_reset(p, c, "listener backlog full or closed");
		return;
	}
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	c->pending |= PEND_RESPONSE;
}

static void on_shutdown(struct vsock_proto *p, struct vsock_conn *c, uint32_t flags)
{
	if (flags & VSOCK_SHUTDOWN_RCV)
		c->guest_shut_recv = true;
	if (flags & VSOCK_SHUTDOWN_SEND)
		c->guest_shut_send = true;
	conn_flush(p, c);
}

static void on_rw(struct vsock_proto *p, struct vsock_conn *c, const struct vsock_hdr *h)
{
	int err;

	if (c->guest_shut_send) {
		conn_reset(p, c, "data after the guest's SHUTDOWN");
		return;
	}
	if (h->len > conn_our_credit(c)) {
		conn_reset(p, c, "guest sent more than the credit it was given");
		return;
	}
	err = conn_take(p, c, VSOCK_HDR_LEN, h->len);
	if (err < 0) {
		conn_reset(p, c, err == -ENOMEM ? "out of memory" : "local side closed");
		return;
	}
	conn_settle(p, c);
}

/* A packet for an existing connection. */
static void on_conn_packet(struct vsock_proto *p, struct vsock_conn *c, const struct vsock_hdr *h)
{
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	if (c->state == CONN_CONNECTING) {
		if (h->op == VSOCK_OP_RESPONSE) {
			c->state = CONN_ESTABLISHED;
			conn_connect_done(p, c, 0);
		} else if (h->op == VSOCK_OP_RST) {
			conn_connect_done(p, c, -ECONNRESET);
			conn_free(p, c);
		} else {
			conn_reset(p, c, "unexpected packet while connecting");
		}
		return;
	}
	switch (h->op) {
	case VSOCK_OP_RW:
		on_rw(p, c, h);
		break;
	case VSOCK_OP_CREDIT_UPDATE:
		break;
	case VSOCK_OP_CREDIT_REQUEST:
		c->pending |= PEND_CREDIT;
		break;
	case VSOCK_OP_SHUTDOWN:
		on_shutdown(p, c, h->flags);
		break;
	case VSOCK_OP_RST:
		conn_flush(p, c);
		if (c->state != CONN_FREE)
			conn_free(p, c);
		break;
	default:
		conn_reset(p, c, "unexpected operation on an open connection");
	}
}

/* Checks the header against the chain; NULL when fine, else why it is malformed. */
static const char *hdr_check(const struct vsock_proto *p, const struct vsock_hdr *h)
{
	if (h->len > VSOCK_MAX_PAYLOAD)
		return "payload length above 64 KiB";
	if (h->len > p->chain.out_len - VSOCK_HDR_LEN)
		return "payload length beyond the descriptors";
	if (h->len && h->op != VSOCK_OP_RW)
		return "payload on a control packet";
	if (h->type != VSOCK_TYPE_STREAM)
		return "socket type other than stream";
	return NULL;
}

static void on_packet(struct vsock_proto *p)
{
	struct vsock_hdr h;
	struct vsock_conn *c;
	const char *why;

	if (p->chain.out_len < VSOCK_HDR_LEN) {
		vsock_log("vsock: tx packet shorter than its header dropped");
		return;
	}
	virtq_chain_read(&p->chain, 0, &h, sizeof(h));
	hdr_from_le(&h);
	if (h.src_cid != p->dev->guest_cid || h.dst_cid != VSOCK_HOST_CID) {
		vsock_log("vsock: tx packet from cid %llu to cid %llu dropped",
			  (unsigned long long)h.src_cid, (unsigned long long)h.dst_cid);
		return;
	}
	c = conn_find(p, h.dst_port, h.src_port);
	why = hdr_check(p, &h);
	if (why) {
		vsock_log("vsock: malformed packet guest port %u -> host port %u: %s", h.src_port,
			  h.dst_port, why);
		if (c)
			conn_reset(p, c, why);
		else if (h.op != VSOCK_OP_RST)
			conn_queue_rst(p, h.dst_port, h.src_port);
	} else if (c) {
		on_conn_packet(p, c, &h);
	} else if (h.op == VSOCK_OP_REQUEST) {
		on_request(p, &h);
	} else if (h.op != VSOCK_OP_RST) {
		conn_queue_rst(p, h.dst_port, h.src_port);
	}
}

bool vsock_proto_stopping(const struct vsock_proto *p)
{
	return p->stop && atomic_load_explicit(p->stop, memory_order_relaxed);
}

/* Chains one pass may take from a ring: its size, so a guest moving the avail index under us
 * (or a ring overlapping buffers) cannot keep the pass going. 0 once asked to stop. */
static unsigned int ring_budget(const struct vsock_proto *p, const struct virtq *vq)
{
	return vsock_proto_stopping(p) ? 0 : vq->num;
}

/* Returns true when the budget ran out before the ring did. */
static bool process_tx(struct vsock_proto *p)
{
	struct virtq *vq = &p->dev->vq[VU_TX];
	unsigned int budget = ring_budget(p, vq);
	const char *why = NULL;
	bool head_ok;
	int r = 1;

	while (budget && (r = virtq_pop(vq, &p->dev->mem, &p->chain, &head_ok, &why)) != 0) {
		budget--;
		if (r < 0)
			vsock_log("vsock: tx ring: %s", why);
		else if (p->chain.nin)
			vsock_log("vsock: tx chain with device-writable buffers dropped");
		else
			on_packet(p);
		if (r > 0 || head_ok)
			virtq_push(vq, p->chain.head, 0);
		if (r == -EIO)
			break;
	}
	virtq_notify(vq);
	return budget == 0 && r != 0 && virtq_ready(vq);
}

/* ---- host -> guest (rx ring) ---- */

/* Pops the next usable rx buffer into p->chain: 1, or 0 when there is none or *budget chains
 * were taken. Malformed buffers count against *budget too. */
static int rx_pop(struct vsock_proto *p, unsigned int *budget)
{
	struct virtq *vq = &p->dev->vq[VU_RX];
	const char *why = NULL;
	bool head_ok;
	int r;

	while (*budget) {
		r = virtq_pop(vq, &p->dev->mem, &p->chain, &head_ok, &why);
		if (r != 0)
			(*budget)--;
		if (r == 0)
			return 0;
		if (r > 0 && !p->chain.nout && p->chain.in_len >= VSOCK_HDR_LEN)
			return 1;
		vsock_log("vsock: rx ring: %s",
			  r < 0 ? why : "buffer too small or device-readable");
		if (r > 0 || head_ok)
			virtq_push(vq, p->chain.head, 0);
		if (r == -EIO)
			return 0;
	}
	return 0;
}

/* Writes the header of a packet of len payload bytes into p->chain and returns the chain. */
static void rx_put(struct vsock_proto *p, struct vsock_conn *c, const struct vsock_rst *ports,
		   uint16_t op, uint32_t flags, uint32_t len)
{
	struct vsock_hdr h = {
		.src_cid = htole64(VSOCK_HOST_CID),
		.dst_cid = htole64(p->dev->guest_cid),
		.src_port = htole32(ports->host_port),
		.dst_port = htole32(ports->guest_port),
		.len = htole32(len),
		.type = htole16(VSOCK_TYPE_STREAM),
		.op = htole16(op),
		.flags = htole32(flags),
		.buf_alloc = htole32(c ? VSOCK_BUF_ALLOC : 0),
		.fwd_cnt = htole32(c ? c->fwd_cnt : 0),
	};

	if (c)
		c->fwd_sent = c->fwd_cnt;
	virtq_chain_write(&p->chain, 0, &h, sizeof(h));
	virtq_push(&p->dev->vq[VU_RX], p->chain.head, VSOCK_HDR_LEN + len);
}

static void conn_emit_ctl(struct vsock_proto *p, struct vsock_conn *c)
{
	struct vsock_rst ports = { c->host_port, c->guest_port };
	uint16_t op = VSOCK_OP_CREDIT_UPDATE;

	if (c->pending & PEND_REQUEST)
		op = VSOCK_OP_REQUEST;
	else if (c->pending & PEND_RESPONSE)
		op = VSOCK_OP_RESPONSE;
	c->pending &= op == VSOCK_OP_REQUEST	? ~PEND_REQUEST
		      : op == VSOCK_OP_RESPONSE ? ~PEND_RESPONSE
						: ~PEND_CREDIT;
	rx_put(p, c, &ports, op, 0, 0);
}

/* Moves bytes from c's socket into the popped rx buffer as one RW packet. */
static void conn_emit_data(struct vsock_proto *p, struct vsock_conn *c)
{
	struct vsock_rst ports = { c->host_port, c->guest_port };
	uint32_t max = conn_peer_credit(c);
	struct iovec iov[64];
	ssize_t r;
	int n;

	if (max > p->chain.in_len - VSOCK_HDR_LEN)
		max = (uint32_t)(p->chain.in_len - VSOCK_HDR_LEN);
	if (max > VSOCK_MAX_PAYLOAD)
		max = VSOCK_MAX_PAYLOAD;
	if (max == 0) {
		/* A buffer with room for the header only: no data fits, say where we stand. */
		rx_put(p, c, &ports, VSOCK_OP_CREDIT_UPDATE, 0, 0);
		return;
	}
	n = virtq_chain_iov(&p->chain, true, VSOCK_HDR_LEN, max, iov, 64);
	r = readv(c->fd, iov, n);
	if (r > 0) {
		c->tx_cnt += (uint32_t)r;
		c->fd_readable = (size_t)r == max;
		c->pending &= ~PEND_CREDIT;
		rx_put(p, c, &ports, VSOCK_OP_RW, 0, (uint32_t)r);
	} else if (r == 0) {
		c->fd_eof = c->sent_shutdown = true;
		rx_put(p, c, &ports, VSOCK_OP_SHUTDOWN, VSOCK_SHUTDOWN_SEND, 0);
		conn_settle(p, c);
	} else {
		virtq_unpop(&p->dev->vq[VU_RX]);
		c->fd_readable = false;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_reset(p, c, "local socket read failed");
	}
}

static bool conn_wants_rx(const struct vsock_conn *c)
{
	if (c->state == CONN_FREE)
		return false;
	if (c->pending)
		return true;
	return c->state == CONN_ESTABLISHED && c->fd_readable && !c->fd_eof &&
	       !c->guest_shut_recv && conn_peer_credit(c) > 0;
}

static struct vsock_conn *next_conn(struct vsock_proto *p)
{
	for (unsigned int k = 0; k < VSOCK_MAX_CONNS; k++) {
		unsigned int i = (p->rr + k) % VSOCK_MAX_CONNS;

		if (conn_wants_rx(&p->conn[i])) {
			p->rr = i + 1;
			return &p->conn[i];
		}
	}
	return NULL;
}

/* Returns true when the budget ran out while packets were still waiting. */
static bool process_rx(struct vsock_proto *p)
{
	struct virtq *vq = &p->dev->vq[VU_RX];
	unsigned int budget = ring_budget(p, vq);
	bool waiting = false;

	while (virtq_ready(vq)) {
		struct vsock_conn *c = p->nrst ? NULL : next_conn(p);

		waiting = c || p->nrst;
		if (!waiting || !rx_pop(p, &budget))
			break;
		waiting = false;
		if (!c) {
			rx_put(p, NULL, &p->rst[0], VSOCK_OP_RST, 0, 0);
			memmove(&p->rst[0], &p->rst[1], --p->nrst * sizeof(p->rst[0]));
		} else if (c->pending) {
			conn_emit_ctl(p, c);
		} else {
			conn_emit_data(p, c);
		}
	}
	virtq_notify(vq);
	return waiting && budget == 0 && virtq_ready(vq);
}

bool vsock_proto_process(struct vsock_proto *p)
{
	bool more = process_tx(p);

	return process_rx(p) || more;
}

/* ---- events, listeners, connects ---- */

void vsock_proto_conn_event(struct vsock_proto *p, unsigned int idx, uint32_t events)
{
	struct vsock_conn *c = &p->conn[idx % VSOCK_MAX_CONNS];

	if (c->state == CONN_FREE)
		return;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->fd_readable = true;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		conn_flush(p, c);
}

void vsock_proto_listener_event(struct vsock_proto *p, unsigned int idx, uint32_t events)
{
	struct vsock_listener *l = &p->lst[idx % VSOCK_MAX_LISTENERS];

	if (l->fd >= 0 && (events & (EPOLLHUP | EPOLLERR))) {
		close(l->fd);
		l->fd = -1;
	}
}

int vsock_proto_listen(struct vsock_proto *p, uint32_t port, int *ret_fd)
{
	struct vsock_listener *l = NULL;
	struct epoll_event ev = { .events = 0 };
	vsock_cleanup_fd int ours = -1;
	vsock_cleanup_fd int theirs = -1;
	int sv[2];

	if (listener_find(p, port))
		return -EADDRINUSE;
	for (unsigned int i = 0; i < VSOCK_MAX_LISTENERS && !l; i++)
		if (p->lst[i].fd < 0)
			l = &p->lst[i];
	if (!l)
		return -ENOSPC;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	ours = sv[0];
	theirs = sv[1];
	ev.data.u64 = (uint64_t)VSOCK_TAG_LISTENER << 32 | (uint64_t)(l - p->lst);
	if (p->epfd >= 0 && epoll_ctl(p->epfd, EPOLL_CTL_ADD, ours, &ev) < 0)
		return -errno;
	l->fd = vsock_steal_fd(&ours);
	l->port = port;
	*ret_fd = vsock_steal_fd(&theirs);
	return 0;
}

static uint32_t ephemeral_port(struct vsock_proto *p)
{
	for (;;) {
		uint32_t port = p->next_port++;
		bool used = false;

		if (p->next_port == 0 || p->next_port == UINT32_MAX)
			p->next_port = VSOCK_EPHEMERAL_FIRST;
		for (unsigned int i = 0; i < VSOCK_MAX_CONNS && !used; i++)
			used = p->conn[i].state != CONN_FREE && p->conn[i].host_port == port;
		if (!used && !listener_find(p, port))
			return port;
	}
}

int vsock_proto_connect(struct vsock_proto *p, uint32_t port)
{
	struct vsock_conn *c;
	int peer, err;

	err = conn_open(p, ephemeral_port(p), port, &c, &peer);
	if (err < 0)
		return err;
	c->user_fd = peer;
	c->state = CONN_CONNECTING;
	c->pending = PEND_REQUEST;
	c->deadline_ms = vsock_now_ms() + VSOCK_CONNECT_TIMEOUT_MS;
	return 0;
}

int vsock_proto_expire(struct vsock_proto *p)
{
	uint64_t now = vsock_now_ms(), next = UINT64_MAX;

	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &p->conn[i];

		if (c->state != CONN_CONNECTING)
			continue;
		if (c->deadline_ms > now) {
			next = c->deadline_ms - now < next ? c->deadline_ms - now : next;
			continue;
		}
		vsock_log("vsock: connect to guest port %u timed out", c->guest_port);
		conn_connect_done(p, c, -ETIMEDOUT);
		conn_queue_rst(p, c->host_port, c->guest_port);
		conn_free(p, c);
	}
	return next == UINT64_MAX ? -1 : (int)next;
}

void vsock_proto_reset_all(struct vsock_proto *p)
{
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &p->conn[i];

		if (c->state == CONN_CONNECTING)
			conn_connect_done(p, c, -ECONNRESET);
		if (c->state != CONN_FREE)
			conn_free(p, c);
	}
	p->nrst = 0;
}

void vsock_proto_free(struct vsock_proto *p)
{
	vsock_proto_reset_all(p);
	for (unsigned int i = 0; i < VSOCK_MAX_LISTENERS; i++) {
		if (p->lst[i].fd >= 0)
			close(p->lst[i].fd);
		p->lst[i].fd = -1;
	}
}
