/* vsock connections: table, local socket, bounded receive buffer, credit. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vsock_cleanup.h"
#include "vsock_conn.h"
#include "vsock_ctl.h"
#include "vsock_log.h"

struct vsock_conn *conn_find(struct vsock_proto *p, uint32_t host_port, uint32_t guest_port)
{
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &p->conn[i];

		if (c->state != CONN_FREE && c->host_port == host_port &&
		    c->guest_port == guest_port)
			return c;
	}
	return NULL;
}

static int watch(struct vsock_proto *p, const struct vsock_conn *c, int fd)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.u64 = (uint64_t)VSOCK_TAG_CONN << 32 | (uint64_t)(c - p->conn),
	};

	if (p->epfd < 0)
		return 0;
	return epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int conn_open(struct vsock_proto *p, uint32_t host_port, uint32_t guest_port,
	      struct vsock_conn **ret, int *ret_peer)
{
	vsock_cleanup_fd int ours = -1;
	vsock_cleanup_fd int peer = -1;
	struct vsock_conn *c = NULL;
	int sv[2], err;

	for (unsigned int i = 0; i < VSOCK_MAX_CONNS && !c; i++)
		if (p->conn[i].state == CONN_FREE)
			c = &p->conn[i];
	if (!c)
		return -EMFILE;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	ours = sv[0];
	peer = sv[1];
	if (fcntl(ours, F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	err = watch(p, c, ours);
	if (err < 0)
		return err;
	memset(c, 0, sizeof(*c));
	c->fd = vsock_steal_fd(&ours);
	c->user_fd = -1;
	c->host_port = host_port;
	c->guest_port = guest_port;
	c->fd_readable = true;
	c->state = CONN_ESTABLISHED;
	*ret = c;
	*ret_peer = vsock_steal_fd(&peer);
	return 0;
}

void conn_free(struct vsock_proto *p, struct vsock_conn *c)
{
	(void)p;
	if (c->fd >= 0)
		close(c->fd);
	if (c->user_fd >= 0)
		close(c->user_fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = c->user_fd = -1;
	c->state = CONN_FREE;
}

/* Queues an RST for a connection we keep no state for (or no longer). */
void conn_queue_rst(struct vsock_proto *p, uint32_t host_port, uint32_t guest_port)
{
	if (p->nrst == VSOCK_MAX_RST) {
		vsock_log("vsock: RST queue full, guest port %u not told", guest_port);
		return;
	}
	p->rst[p->nrst++] = (struct vsock_rst){ host_port, guest_port };
}

void conn_connect_done(struct vsock_proto *p, struct vsock_conn *c, int err)
{
	if (p->ctl_fd >= 0)
		vsock_ctl_reply(p->ctl_fd, err, err ? -1 : c->user_fd);
	if (c->user_fd >= 0)
		close(c->user_fd);
	c->user_fd = -1;
}

void conn_reset(struct vsock_proto *p, struct vsock_conn *c, const char *why)
{
	if (why)
		vsock_log("vsock: reset host port %u <-> guest port %u: %s", c->host_port,
			  c->guest_port, why);
	if (c->state == CONN_CONNECTING)
		conn_connect_done(p, c, -ECONNRESET);
	conn_queue_rst(p, c->host_port, c->guest_port);
	conn_free(p, c);
}

uint32_t conn_peer_credit(const struct vsock_conn *c)
{
	uint32_t used = c->tx_cnt - c->peer_fwd_cnt;

	return used >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - used;
}

uint32_t conn_our_credit(const struct vsock_conn *c)
{
	uint32_t used = c->rx_cnt - c->fwd_sent;

	return used >= VSOCK_BUF_ALLOC ? 0 : VSOCK_BUF_ALLOC - used;
}

/* Appends len bytes of the chain from byte off to the ring buffer. */
static int buffer_put(struct vsock_proto *p, struct vsock_conn *c, uint32_t off, uint32_t len)
{
	uint32_t tail, first;

	if (len > VSOCK_BUF_ALLOC - c->buf_len)
		return -ENOBUFS;
	if (!c->buf) {
		c->buf = malloc(VSOCK_BUF_ALLOC);
		if (!c->buf)
			return -ENOMEM;
	}
	tail = (c->buf_head + c->buf_len) % VSOCK_BUF_ALLOC;
	first = VSOCK_BUF_ALLOC - tail < len ? VSOCK_BUF_ALLOC - tail : len;
	virtq_chain_read(&p->chain, off, c->buf + tail, first);
	virtq_chain_read(&p->chain, off + first, c->buf, len - first);
	c->buf_len += len;
	return 0;
}

/* Non-blocking send of iov to the local socket: bytes sent, 0 when full, or -errno. */
static ssize_t send_iov(int fd, struct iovec *iov, int n)
{
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n };
	ssize_t w = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (w < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	return w;
}

int conn_take(struct vsock_proto *p, struct vsock_conn *c, uint32_t off, uint32_t len)
{
	struct iovec iov[64];
	ssize_t w;

	c->rx_cnt += len;
	if (c->buf_len == 0 && len) {
		w = send_iov(c->fd, iov, virtq_chain_iov(&p->chain, false, off, len, iov, 64));
		if (w < 0)
			return (int)w;
		c->fwd_cnt += (uint32_t)w;
		off += (uint32_t)w;
		len -= (uint32_t)w;
	}
	return len ? buffer_put(p, c, off, len) : 0;
}

void conn_flush(struct vsock_proto *p, struct vsock_conn *c)
{
	while (c->buf_len) {
		uint32_t first = VSOCK_BUF_ALLOC - c->buf_head;
		struct iovec iov[2] = { { c->buf + c->buf_head, first }, { c->buf, 0 } };
		ssize_t w;

		if (first > c->buf_len)
			iov[0].iov_len = c->buf_len;
		else
			iov[1].iov_len = c->buf_len - first;
		w = send_iov(c->fd, iov, 2);
		if (w < 0) {
			conn_reset(p, c, "local side closed with data pending");
			return;
		}
		if (w == 0)
			break;
		c->buf_head = (c->buf_head + (uint32_t)w) % VSOCK_BUF_ALLOC;
		c->buf_len -= (uint32_t)w;
		c->fwd_cnt += (uint32_t)w;
	}
	conn_settle(p, c);
}

void conn_settle(struct vsock_proto *p, struct vsock_conn *c)
{
	if (c->state != CONN_ESTABLISHED || c->buf_len)
		return;
	if (c->guest_shut_send && !c->fd_shut_wr) {
		shutdown(c->fd, SHUT_WR);
		c->fd_shut_wr = true;
	}
	/* Neither side sends any more and all is delivered: close. */
	if (c->guest_shut_send && (c->guest_shut_recv || c->sent_shutdown)) {
		conn_reset(p, c, NULL);
		return;
	}
	if (!c->guest_shut_send && c->fwd_cnt != c->fwd_sent &&
	    conn_our_credit(c) < VSOCK_BUF_ALLOC / 2)
		c->pending |= PEND_CREDIT;
}
