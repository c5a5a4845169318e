/* Fake QEMU master and fake guest driver for the vsock backend's unit tests. */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fake_guest.h"
#include "host/vsock/vsock_ctl.h"

/* Guest-physical layout. */
#define RING_BASE(q) (0x1000u + (q)*0x10000u)
#define RX_BUFS 0x40000u
#define TX_BUFS (RX_BUFS + FG_QNUM * FG_RX_BUF)

struct hdr {
	uint32_t request, flags, size;
};

static uint8_t *gpa(struct fg *g, uint64_t a)
{
	return g->mem + a;
}

int fg_init(struct fg *g, int sock, uint64_t cid)
{
	memset(g, 0, sizeof(*g));
	g->sock = sock;
	g->cid = cid;
	g->buf_alloc = 1u << 20;
	g->memfd = memfd_create("fake-guest-ram", MFD_CLOEXEC);
	if (g->memfd < 0 || ftruncate(g->memfd, FG_MEM_SIZE) < 0)
		return -errno;
	g->mem = mmap(NULL, FG_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, g->memfd, 0);
	if (g->mem == MAP_FAILED)
		return -errno;
	for (int i = 0; i < 2; i++) {
		g->q[i].desc = RING_BASE(i);
		g->q[i].avail = RING_BASE(i) + 16 * FG_QNUM;
		g->q[i].used = RING_BASE(i) + 0x8000;
		g->q[i].kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		g->q[i].call = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	}
	return 0;
}

void fg_free(struct fg *g)
{
	for (int i = 0; i < 2; i++) {
		close(g->q[i].kick);
		close(g->q[i].call);
	}
	if (g->mem && g->mem != MAP_FAILED)
		munmap(g->mem, FG_MEM_SIZE);
	if (g->memfd >= 0)
		close(g->memfd);
	if (g->sock >= 0)
		close(g->sock);
}

int fg_msg(struct fg *g, uint32_t req, const void *p, uint32_t len, const int *fds, int nfds,
	   void *rep, uint32_t rep_len)
{
	union {
		char buf[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct hdr h = { req, 1, len }, rh;
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)p, len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	if (nfds) {
		struct cmsghdr *c;

		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	if (sendmsg(g->sock, &mh, MSG_NOSIGNAL) != (ssize_t)(sizeof(h) + len))
		return -EPIPE;
	if (!rep)
		return 0;
	if (recv(g->sock, &rh, sizeof(rh), MSG_WAITALL) != sizeof(rh) || rh.request != req ||
	    rh.flags != 5 || rh.size != rep_len)
		return -EPROTO;
	if (recv(g->sock, rep, rep_len, MSG_WAITALL) != (ssize_t)rep_len)
		return -EPROTO;
	return 0;
}

static int msg_u64(struct fg *g, uint32_t req, uint64_t v, const int *fd)
{
	return fg_msg(g, req, &v, sizeof(v), fd, fd ? 1 : 0, NULL, 0);
}

static int msg_state(struct fg *g, uint32_t req, uint32_t index, uint32_t num)
{
	uint32_t s[2] = { index, num };

	return fg_msg(g, req, s, sizeof(s), NULL, 0, NULL, 0);
}

int fg_ring_setup(struct fg *g, int i, uint16_t base)
{
	struct {
		uint32_t index, flags;
		uint64_t desc, used, avail, log;
	} a = { (uint32_t)i,
		0,
		FG_UVA_BASE + g->q[i].desc,
		FG_UVA_BASE + g->q[i].used,
		FG_UVA_BASE + g->q[i].avail,
		0 };
	int err = 0;

	err = err ?: msg_state(g, 8, i, FG_QNUM);
	err = err ?: msg_state(g, 10, i, base);
	err = err ?: fg_msg(g, 9, &a, sizeof(a), NULL, 0, NULL, 0);
	err = err ?: msg_u64(g, 12, i, &g->q[i].kick);
	err = err ?: msg_u64(g, 13, i, &g->q[i].call);
	err = err ?: msg_state(g, 18, i, 1);
	return err;
}

static int set_mem_table(struct fg *g)
{
	struct {
		uint32_t n, pad;
		uint64_t gpa, size, uva, off;
	} m = { 1, 0, 0, FG_MEM_SIZE, FG_UVA_BASE, 0 };

	return fg_msg(g, 5, &m, sizeof(m), &g->memfd, 1, NULL, 0);
}

int fg_remap(struct fg *g)
{
	int fd = memfd_create("fake-guest-ram-2", MFD_CLOEXEC);
	uint8_t *mem;

	if (fd < 0 || ftruncate(fd, FG_MEM_SIZE) < 0)
		return -errno;
	mem = mmap(NULL, FG_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		close(fd);
		return -errno;
	}
	memcpy(mem, g->mem, FG_MEM_SIZE);
	munmap(g->mem, FG_MEM_SIZE);
	close(g->memfd);
	g->mem = mem;
	g->memfd = fd;
	return set_mem_table(g);
}

int fg_start(struct fg *g, uint64_t *ret_features, uint64_t *ret_protocol, uint64_t *ret_cid)
{
	struct {
		uint32_t offset, size, flags;
		uint64_t cid;
	} __attribute__((packed)) cfg = { 0, 8, 0, 0 };
	uint64_t f = 0, pf = 0;
	int err;

	err = fg_msg(g, 1, NULL, 0, NULL, 0, &f, 8);
	err = err ?: fg_msg(g, 15, NULL, 0, NULL, 0, &pf, 8);
	err = err ?: msg_u64(g, 16, pf & (1ull << 9), NULL);
	err = err ?: fg_msg(g, 3, NULL, 0, NULL, 0, NULL, 0);
	err = err ?: fg_msg(g, 24, &cfg, sizeof(cfg), NULL, 0, &cfg, sizeof(cfg));
	err = err
		      ?: msg_u64(g, 2,
				 f & ((1ull << 32) | (1ull << 30) | (1ull << 29) | (1ull << 28)),
				 NULL);
	err = err ?: set_mem_table(g);
	err = err ?: fg_ring_setup(g, 0, 0);
	err = err ?: fg_ring_setup(g, 1, 0);
	/* Like QEMU without REPLY_ACK: a request with a reply as a barrier. */
	err = err ?: fg_msg(g, 1, NULL, 0, NULL, 0, &f, 8);
	*ret_features = f;
	*ret_protocol = pf;
	*ret_cid = cfg.cid;
	return err;
}

void fg_desc(struct fg *g, int q, uint16_t idx, uint64_t addr, uint32_t len, uint16_t flags,
	     uint16_t next)
{
	uint8_t *d = gpa(g, g->q[q].desc + 16 * (uint64_t)idx);
	uint64_t a = htole64(addr);
	uint32_t l = htole32(len);
	uint16_t f = htole16(flags), n = htole16(next);

	memcpy(d, &a, 8);
	memcpy(d + 8, &l, 4);
	memcpy(d + 12, &f, 2);
	memcpy(d + 14, &n, 2);
}

void fg_avail_add(struct fg *g, int q, uint16_t head)
{
	struct fg_queue *fq = &g->q[q];
	uint8_t *avail = gpa(g, fq->avail);
	uint16_t v = htole16(head);

	memcpy(avail + 4 + 2 * (fq->avail_idx % FG_QNUM), &v, 2);
	fq->avail_idx++;
	/* used_event: call us for every used entry (or only that far ahead) */
	v = htole16((uint16_t)(fq->last_used + g->used_event_ahead));
	memcpy(avail + 4 + 2 * FG_QNUM, &v, 2);
	__atomic_store_n((uint16_t *)(avail + 2), htole16(fq->avail_idx), __ATOMIC_RELEASE);
	eventfd_write(fq->kick, 1);
}

void fg_rx_fill(struct fg *g, int n)
{
	for (int i = 0; i < n; i++) {
		uint16_t slot = g->q[0].avail_idx % FG_QNUM;

		fg_desc(g, 0, slot, RX_BUFS + (uint64_t)slot * FG_RX_BUF, FG_RX_BUF, 2, 0);
		fg_avail_add(g, 0, slot);
	}
}

static uint16_t used_idx(struct fg *g, int q)
{
	return le16toh(__atomic_load_n((uint16_t *)(gpa(g, g->q[q].used) + 2), __ATOMIC_ACQUIRE));
}

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int fg_tx_wait(struct fg *g, int timeout_ms)
{
	int64_t end = ms_now() + timeout_ms;
	struct pollfd pfd = { g->q[1].call, POLLIN, 0 };

	while (used_idx(g, 1) != g->q[1].avail_idx) {
		if (ms_now() >= end)
			return -ETIMEDOUT;
		poll(&pfd, 1, 10);
	}
	g->q[1].last_used = g->q[1].avail_idx;
	return 0;
}

static void hdr_to_le(struct vsock_hdr *h)
{
	h->src_cid = htole64(h->src_cid);
	h->dst_cid = htole64(h->dst_cid);
	h->src_port = htole32(h->src_port);
	h->dst_port = htole32(h->dst_port);
	h->len = htole32(h->len);
	h->type = htole16(h->type);
	h->op = htole16(h->op);
	h->flags = htole32(h->flags);
	h->buf_alloc = htole32(h->buf_alloc);
	h->fwd_cnt = htole32(h->fwd_cnt);
}

int fg_send_raw(struct fg *g, const struct vsock_hdr *h, uint32_t room)
{
	uint16_t slot = g->q[1].avail_idx % (FG_QNUM / 2);
	uint64_t buf = TX_BUFS + (uint64_t)slot * FG_TX_SLOT;
	struct vsock_hdr le = *h;

	hdr_to_le(&le);
	memcpy(gpa(g, buf), &le, sizeof(le));
	fg_desc(g, 1, 2 * slot, buf, VSOCK_HDR_LEN + room, 0, 0);
	fg_avail_add(g, 1, 2 * slot);
	return fg_tx_wait(g, 2000);
}

int fg_send(struct fg *g, uint32_t src_port, uint32_t dst_port, uint16_t op, uint32_t flags,
	    const void *payload, uint32_t len, bool split)
{
	uint16_t slot = g->q[1].avail_idx % (FG_QNUM / 2);
	uint64_t buf = TX_BUFS + (uint64_t)slot * FG_TX_SLOT;
	struct vsock_hdr h = { g->cid,	     VSOCK_HOST_CID,	src_port, dst_port,
			       len,	     VSOCK_TYPE_STREAM, op,	  flags,
			       g->buf_alloc, g->fwd_cnt };

	hdr_to_le(&h);
	memcpy(gpa(g, buf), &h, sizeof(h));
	if (len)
		memcpy(gpa(g, buf + VSOCK_HDR_LEN), payload, len);
	if (split && len) {
		fg_desc(g, 1, 2 * slot, buf, VSOCK_HDR_LEN, 1, 2 * slot + 1);
		fg_desc(g, 1, 2 * slot + 1, buf + VSOCK_HDR_LEN, len, 0, 0);
	} else {
		fg_desc(g, 1, 2 * slot, buf, VSOCK_HDR_LEN + len, 0, 0);
	}
	fg_avail_add(g, 1, 2 * slot);
	return fg_tx_wait(g, 2000);
}

int fg_recv(struct fg *g, struct vsock_hdr *h, void *payload, size_t max, int timeout_ms)
{
	struct fg_queue *q = &g->q[0];
	int64_t end = ms_now() + timeout_ms;
	struct pollfd pfd = { q->call, POLLIN, 0 };
	uint32_t id, len;
	uint8_t *e;

	while (used_idx(g, 0) == q->last_used) {
		if (ms_now() >= end)
			return 0;
		poll(&pfd, 1, 10);
	}
	e = gpa(g, q->used) + 4 + 8 * (q->last_used % FG_QNUM);
	memcpy(&id, e, 4);
	memcpy(&len, e + 4, 4);
	id = le32toh(id) % FG_QNUM;
	memcpy(h, gpa(g, RX_BUFS + (uint64_t)id * FG_RX_BUF), sizeof(*h));
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
	if (payload && h->len <= max && h->len <= FG_RX_BUF - VSOCK_HDR_LEN)
		memcpy(payload, gpa(g, RX_BUFS + (uint64_t)id * FG_RX_BUF + VSOCK_HDR_LEN), h->len);
	(void)len;
	q->last_used++;
	fg_rx_fill(g, 1);
	return 1;
}

uint64_t fg_calls(struct fg *g, int q)
{
	eventfd_t v = 0;

	eventfd_read(g->q[q].call, &v);
	return v;
}
