/* vhost-user server side for the vsock device: message framing, checks and handlers. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vhost_user.h"
#include "vsock_log.h"

enum vu_request {
	VU_GET_FEATURES = 1,
	VU_SET_FEATURES = 2,
	VU_SET_OWNER = 3,
	VU_RESET_OWNER = 4,
	VU_SET_MEM_TABLE = 5,
	VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9,
	VU_SET_VRING_BASE = 10,
	VU_GET_VRING_BASE = 11,
	VU_SET_VRING_KICK = 12,
	VU_SET_VRING_CALL = 13,
	VU_SET_VRING_ERR = 14,
	VU_GET_PROTOCOL_FEATURES = 15,
	VU_SET_PROTOCOL_FEATURES = 16,
	VU_GET_QUEUE_NUM = 17,
	VU_SET_VRING_ENABLE = 18,
	VU_GET_CONFIG = 24,
	VU_SET_CONFIG = 25,
};

#define VU_VERSION 1u
#define VU_FLAG_REPLY 4u
#define VU_MAX_FDS 8
#define VU_CONFIG_MAX 256
#define VU_VRING_NOFD (1ull << 8)

#define F_INDIRECT_DESC (1ull << 28)
#define F_EVENT_IDX (1ull << 29)
#define F_PROTOCOL_FEATURES (1ull << 30)
#define F_VERSION_1 (1ull << 32)
#define VU_FEATURES (F_VERSION_1 | F_EVENT_IDX | F_INDIRECT_DESC | F_PROTOCOL_FEATURES)
#define VU_PROTOCOL_F_CONFIG (1ull << 9)
#define VU_PROTOCOL_FEATURES VU_PROTOCOL_F_CONFIG

struct vu_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
};

struct vu_state {
	uint32_t index;
	uint32_t num;
};

struct vu_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc;
	uint64_t used;
	uint64_t avail;
	uint64_t log;
};

struct vu_memory {
	uint32_t nregions;
	uint32_t padding;
	struct vu_mem_desc region[VU_MEM_MAX_REGIONS];
};

struct vu_config {
	uint32_t offset;
	uint32_t size;
	uint32_t flags;
	uint8_t data[VU_CONFIG_MAX];
};

struct vu_msg {
	struct vu_hdr hdr;
	union {
		uint64_t u64;
		struct vu_state state;
		struct vu_addr addr;
		struct vu_memory memory;
		struct vu_config config;
	} p;
	int fds[VU_MAX_FDS];
	unsigned int nfds;
	uint32_t reply_size; /* > 0: send p back with this size */
};

static const char *const request_names[] = {
	[VU_GET_FEATURES] = "GET_FEATURES",
	[VU_SET_FEATURES] = "SET_FEATURES",
	[VU_SET_OWNER] = "SET_OWNER",
	[VU_RESET_OWNER] = "RESET_OWNER",
	[VU_SET_MEM_TABLE] = "SET_MEM_TABLE",
	[VU_SET_VRING_NUM] = "SET_VRING_NUM",
	[VU_SET_VRING_ADDR] = "SET_VRING_ADDR",
	[VU_SET_VRING_BASE] = "SET_VRING_BASE",
	[VU_GET_VRING_BASE] = "GET_VRING_BASE",
	[VU_SET_VRING_KICK] = "SET_VRING_KICK",
	[VU_SET_VRING_CALL] = "SET_VRING_CALL",
	[VU_SET_VRING_ERR] = "SET_VRING_ERR",
	[VU_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
	[VU_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
	[VU_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
	[VU_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
	[VU_GET_CONFIG] = "GET_CONFIG",
	[VU_SET_CONFIG] = "SET_CONFIG",
};

const char *vu_request_name(uint32_t request)
{
	if (request < sizeof(request_names) / sizeof(request_names[0]) && request_names[request])
		return request_names[request];
	return "unknown request";
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Takes the only fd of msg; -EPROTO unless exactly one came. */
static int take_one_fd(struct vu_msg *m, int *ret_fd)
{
	if (m->nfds != 1)
		return -EPROTO;
	*ret_fd = m->fds[0];
	m->fds[0] = -1;
	return 0;
}

static int reply_u64(struct vu_msg *m, uint64_t v)
{
	m->p.u64 = v;
	m->reply_size = sizeof(m->p.u64);
	return 0;
}

/* The vring index of a state/addr message, or -EPROTO. */
static struct virtq *msg_vq(struct vu_dev *d, uint32_t index)
{
	return index < VU_NUM_QUEUES ? &d->vq[index] : NULL;
}

static int set_features(struct vu_dev *d, struct vu_msg *m)
{
	if (m->p.u64 & ~VU_FEATURES) {
		vsock_log("vhost-user: SET_FEATURES acks unoffered bits %#llx",
			  (unsigned long long)(m->p.u64 & ~VU_FEATURES));
		return -EPROTO;
	}
	d->features = m->p.u64;
	for (int i = 0; i < VU_NUM_QUEUES; i++) {
		d->vq[i].event_idx = !!(d->features & F_EVENT_IDX);
		d->vq[i].indirect = !!(d->features & F_INDIRECT_DESC);
	}
	return 0;
}

static void reset_rings(struct vu_dev *d)
{
	for (int i = 0; i < VU_NUM_QUEUES; i++) {
		close_fd(&d->vq[i].kick_fd);
		close_fd(&d->vq[i].call_fd);
		virtq_init(&d->vq[i]);
	}
	d->broken = false;
	d->events |= VU_EV_RINGS | VU_EV_RESET;
}

/* Stops every ring until the device is reset; the caller has logged why, once. */
static void mark_broken(struct vu_dev *d)
{
	d->broken = true;
	for (int i = 0; i < VU_NUM_QUEUES; i++)
		d->vq[i].broken = true;
	d->events |= VU_EV_RINGS;
}

static int set_mem_table(struct vu_dev *d, struct vu_msg *m)
{
	uint32_t n = m->p.memory.nregions;
	int err;

	if (n == 0 || n > VU_MEM_MAX_REGIONS || m->hdr.size != 8 + n * sizeof(struct vu_mem_desc) ||
	    m->nfds != n)
		return -EPROTO;
	err = vu_mem_set(&d->mem, m->p.memory.region, n, m->fds);
	if (err < 0)
		return err;
	/* Rings keep running across a new table: look their addresses up again. */
	for (int i = 0; i < VU_NUM_QUEUES; i++) {
		if (virtq_map(&d->vq[i], &d->mem) < 0) {
			vsock_log("vhost-user: vring %d is outside the new memory table", i);
			d->vq[i].broken = true;
		}
	}
	d->events |= VU_EV_RINGS;
	return 0;
}

static int set_vring_num(struct vu_dev *d, struct vu_msg *m)
{
	struct virtq *vq = msg_vq(d, m->p.state.index);
	uint32_t num = m->p.state.num;

	if (!vq || num == 0 || num > VIRTQ_MAX_NUM || (num & (num - 1)) || vq->started)
		return -EPROTO;
	vq->num = (uint16_t)num;
	return 0;
}

static int set_vring_addr(struct vu_dev *d, struct vu_msg *m)
{
	struct virtq *vq = msg_vq(d, m->p.addr.index);
	int err;

	if (!vq)
		return -EPROTO;
	vq->desc_uva = m->p.addr.desc;
	vq->avail_uva = m->p.addr.avail;
	vq->used_uva = m->p.addr.used;
	vq->addr_set = true;
	vq->broken = d->broken;
	err = virtq_map(vq, &d->mem);
	if (err == -EINVAL) {
		if (!d->broken)
			vsock_log("vhost-user: vring %u refused: its descriptor table, avail ring "
				  "and used ring overlap; device broken until reset",
				  m->p.addr.index);
		mark_broken(d);
		return 0;
	}
	if (err < 0) {
		vsock_log("vhost-user: vring %u addresses are outside guest memory",
			  m->p.addr.index);
		return err;
	}
	virtq_sync_used(vq);
	return 0;
}

static int set_vring_base(struct vu_dev *d, struct vu_msg *m)
{
	struct virtq *vq = msg_vq(d, m->p.state.index);

	if (!vq || m->p.state.num > UINT16_MAX || vq->started)
		return -EPROTO;
	vq->last_avail = (uint16_t)m->p.state.num;
	return 0;
}

/* Stops the ring and reports where it stopped, so that QEMU can restart it there. */
static int get_vring_base(struct vu_dev *d, struct vu_msg *m)
{
	struct virtq *vq = msg_vq(d, m->p.state.index);

	if (!vq)
		return -EPROTO;
	vq->started = false;
	close_fd(&vq->kick_fd);
	m->p.state.num = vq->last_avail;
	m->reply_size = sizeof(m->p.state);
	d->events |= VU_EV_RINGS;
	return 0;
}

/* SET_VRING_KICK, _CALL and _ERR: a vring index and an eventfd (we never poll rings). */
static int set_vring_fd(struct vu_dev *d, struct vu_msg *m)
{
	struct virtq *vq = msg_vq(d, (uint32_t)(m->p.u64 & 0xff));
	int fd = -1, err;

	if (!vq || (m->p.u64 & ~(0xffull | VU_VRING_NOFD)))
		return -EPROTO;
	if (!(m->p.u64 & VU_VRING_NOFD)) {
		err = take_one_fd(m, &fd);
		if (err < 0)
			return err;
	} else if (m->hdr.request == VU_SET_VRING_KICK) {
		vsock_log("vhost-user: polled rings (kick without fd) are not supported");
		return -EPROTO;
	}
	if (m->hdr.request == VU_SET_VRING_ERR) {
		close_fd(&fd); /* we never report ring errors through it */
	} else if (m->hdr.request == VU_SET_VRING_CALL) {
		close_fd(&vq->call_fd);
		vq->call_fd = fd;
	} else {
		close_fd(&vq->kick_fd);
		vq->kick_fd = fd;
		vq->started = true;
		if (!(d->features & F_PROTOCOL_FEATURES))
			vq->enabled = true;
		virtq_sync_used(vq);
	}
	d->events |= VU_EV_RINGS;
	return 0;
}

static int set_vring_enable(struct vu_dev *d, struct vu_msg *m)
{
	struct virtq *vq = msg_vq(d, m->p.state.index);

	if (!vq || m->p.state.num > 1)
		return -EPROTO;
	vq->enabled = m->p.state.num;
	d->events |= VU_EV_RINGS;
	return 0;
}

/* The vsock config space is one le64, the guest CID; the rest reads as zero. */
static int get_config(struct vu_dev *d, struct vu_msg *m)
{
	struct vu_config *c = &m->p.config;
	uint8_t space[VU_CONFIG_MAX] = { 0 };
	uint64_t cid = htole64(d->guest_cid);

	if (m->hdr.size < 12 || c->size > VU_CONFIG_MAX || c->offset > VU_CONFIG_MAX - c->size ||
	    m->hdr.size != 12 + c->size)
		return -EPROTO;
	memcpy(space, &cid, sizeof(cid));
	memcpy(c->data, space + c->offset, c->size);
	m->reply_size = 12 + c->size;
	return 0;
}

static int dispatch(struct vu_dev *d, struct vu_msg *m)
{
	switch (m->hdr.request) {
	case VU_GET_FEATURES:
		return reply_u64(m, VU_FEATURES);
	case VU_SET_FEATURES:
		return set_features(d, m);
	case VU_SET_OWNER:
		return 0;
	case VU_RESET_OWNER:
		reset_rings(d);
		return 0;
	case VU_SET_MEM_TABLE:
		return set_mem_table(d, m);
	case VU_SET_VRING_NUM:
		return set_vring_num(d, m);
	case VU_SET_VRING_ADDR:
		return set_vring_addr(d, m);
	case VU_SET_VRING_BASE:
		return set_vring_base(d, m);
	case VU_GET_VRING_BASE:
		return get_vring_base(d, m);
	case VU_SET_VRING_KICK:
	case VU_SET_VRING_CALL:
	case VU_SET_VRING_ERR:
		return set_vring_fd(d, m);
	case VU_GET_PROTOCOL_FEATURES:
		return reply_u64(m, VU_PROTOCOL_FEATURES);
	case VU_SET_PROTOCOL_FEATURES:
		d->protocol_features = m->p.u64 & VU_PROTOCOL_FEATURES;
		return 0;
	case VU_GET_QUEUE_NUM:
		return reply_u64(m, VU_NUM_QUEUES);
	case VU_SET_VRING_ENABLE:
		return set_vring_enable(d, m);
	case VU_GET_CONFIG:
		return get_config(d, m);
	case VU_SET_CONFIG:
		return 0; /* the CID is read-only for the driver */
	default:
		return -EOPNOTSUPP;
	}
}

/* Payload size each request must carry; -1: checked by its handler. */
static int expected_size(uint32_t request)
{
	switch (request) {
	case VU_SET_FEATURES:
	case VU_SET_PROTOCOL_FEATURES:
	case VU_SET_VRING_KICK:
	case VU_SET_VRING_CALL:
	case VU_SET_VRING_ERR:
		return sizeof(uint64_t);
	case VU_SET_VRING_NUM:
	case VU_SET_VRING_BASE:
	case VU_GET_VRING_BASE:
	case VU_SET_VRING_ENABLE:
		return sizeof(struct vu_state);
	case VU_SET_VRING_ADDR:
		return sizeof(struct vu_addr);
	default:
		return -1;
	}
}

static void collect_fds(struct vu_msg *m, struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (m->nfds < VU_MAX_FDS)
				m->fds[m->nfds++] = fd;
			else
				close(fd);
		}
	}
}

static int read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = recv(fd, (uint8_t *)buf + done, len - done, MSG_WAITALL);

		if (n == 0)
			return -EPIPE;
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			done += (size_t)n;
	}
	return 0;
}

static int read_msg(int sock, struct vu_msg *m)
{
	union {
		char buf[CMSG_SPACE(VU_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { &m->hdr, sizeof(m->hdr) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	mh.msg_control = cbuf.buf;
	mh.msg_controllen = sizeof(cbuf.buf);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	collect_fds(m, &mh);
	if (n == 0)
		return -EPIPE;
	if ((size_t)n != sizeof(m->hdr) || (mh.msg_flags & MSG_CTRUNC))
		return -EPROTO;
	if ((m->hdr.flags & 3) != VU_VERSION || m->hdr.size > sizeof(m->p))
		return -EPROTO;
	return read_full(sock, &m->p, m->hdr.size);
}

static int send_reply(int sock, struct vu_msg *m)
{
	struct vu_hdr h = { m->hdr.request, VU_VERSION | VU_FLAG_REPLY, m->reply_size };
	struct iovec iov[2] = { { &h, sizeof(h) }, { &m->p, m->reply_size } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);

	if (n < 0)
		return -errno;
	return (size_t)n == sizeof(h) + m->reply_size ? 0 : -EIO;
}

int vu_dev_handle(struct vu_dev *d)
{
	struct vu_msg m = { .nfds = 0 };
	int err, want;

	if (d->sock < 0)
		return -EPIPE;
	err = read_msg(d->sock, &m);
	if (err == 0) {
		want = expected_size(m.hdr.request);
		err = want >= 0 && m.hdr.size != (uint32_t)want ? -EPROTO : dispatch(d, &m);
		if (err < 0)
			vsock_log("vhost-user: %s (%u, %u bytes, %u fds) rejected: %s",
				  vu_request_name(m.hdr.request), m.hdr.request, m.hdr.size, m.nfds,
				  strerror(-err));
	}
	if (err == 0 && m.reply_size)
		err = send_reply(d->sock, &m);
	for (unsigned int i = 0; i < m.nfds; i++)
		close_fd(&m.fds[i]);
	return err;
}

void vu_dev_init(struct vu_dev *d, int sock, uint64_t guest_cid)
{
	memset(d, 0, sizeof(*d));
	d->sock = sock;
	d->guest_cid = guest_cid;
	for (int i = 0; i < VU_NUM_QUEUES; i++)
		virtq_init(&d->vq[i]);
}

void vu_dev_close(struct vu_dev *d)
{
	close_fd(&d->sock);
	reset_rings(d);
	vu_mem_clear(&d->mem);
}
