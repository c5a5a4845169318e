/* Event loop of the vhost-user-vsock backend (see vsock_loop.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vhost_user.h"
#include "vsock_cleanup.h"
#include "vsock_ctl.h"
#include "vsock_log.h"
#include "vsock_loop.h"
#include "vsock_proto.h"
#include "vsock_sandbox.h"

#define MAX_EVENTS 32

struct loop {
	int epfd;
	int ctl_fd;
	struct vu_dev dev;
	struct vsock_proto proto;
};

static int watch(int epfd, int fd, uint32_t events, enum vsock_tag tag, unsigned int idx)
{
	struct epoll_event ev = { .events = events, .data.u64 = (uint64_t)tag << 32 | idx };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* Re-registers the kick eventfd of every started ring (fds may have been replaced). */
static void sync_kicks(struct loop *l)
{
	for (unsigned int i = 0; i < VU_NUM_QUEUES; i++) {
		struct virtq *vq = &l->dev.vq[i];

		if (vq->kick_fd < 0)
			continue;
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, vq->kick_fd, NULL);
		if (watch(l->epfd, vq->kick_fd, EPOLLIN, VSOCK_TAG_KICK, i) < 0)
			vsock_log("vhost-user: cannot watch the kick of vring %u", i);
	}
}

/* QEMU went away or broke the protocol: the device is gone, and so is every connection. */
static void device_down(struct loop *l, int err)
{
	if (err == -EPIPE)
		vsock_log("vhost-user: QEMU closed the connection");
	else
		vsock_log("vhost-user: device stopped after a protocol error: %s", strerror(-err));
	vu_dev_close(&l->dev);
	vsock_proto_reset_all(&l->proto);
}

static void on_vu(struct loop *l)
{
	int err = vu_dev_handle(&l->dev);

	if (err < 0) {
		device_down(l, err);
		return;
	}
	if (l->dev.events & VU_EV_RESET)
		vsock_proto_reset_all(&l->proto);
	if (l->dev.events & VU_EV_RINGS)
		sync_kicks(l);
	l->dev.events = 0;
}

static void on_kick(struct loop *l, unsigned int idx)
{
	uint64_t v;

	if (idx < VU_NUM_QUEUES && l->dev.vq[idx].kick_fd >= 0 &&
	    read(l->dev.vq[idx].kick_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		vsock_log("vhost-user: reading the kick of vring %u: %s", idx, strerror(errno));
}

/* One request from the launcher. Returns -EPIPE when the launcher closed its end. */
static int on_ctl(struct loop *l)
{
	struct vsock_ctl_req req = { 0 };
	vsock_cleanup_fd int unexpected = -1;
	vsock_cleanup_fd int fd = -1;
	int n, err;

	n = vsock_ctl_recv(l->ctl_fd, &req, sizeof(req), MSG_DONTWAIT, &unexpected);
	if (n == -EAGAIN)
		return 0;
	if (n <= 0)
		return -EPIPE;
	if ((size_t)n != sizeof(req))
		return vsock_ctl_reply(l->ctl_fd, -EINVAL, -1);
	if (req.op == VSOCK_CTL_LISTEN) {
		err = vsock_proto_listen(&l->proto, req.port, &fd);
		vsock_ctl_reply(l->ctl_fd, err, fd); /* a copy goes; ours closes here */
		return 0;
	}
	if (req.op != VSOCK_CTL_CONNECT)
		return vsock_ctl_reply(l->ctl_fd, -EINVAL, -1);
	err = l->dev.sock < 0 ? -ENOTCONN : vsock_proto_connect(&l->proto, req.port);
	if (err)
		vsock_ctl_reply(l->ctl_fd, err, -1);
	return 0;
}

/* Handles one event; -EPIPE ends the loop. */
static int dispatch(struct loop *l, const struct epoll_event *ev)
{
	unsigned int tag = (unsigned int)(ev->data.u64 >> 32), idx = (uint32_t)ev->data.u64;

	switch (tag) {
	case VSOCK_TAG_VU:
		if (l->dev.sock >= 0)
			on_vu(l);
		return 0;
	case VSOCK_TAG_CTL:
		return on_ctl(l);
	case VSOCK_TAG_KICK:
		on_kick(l, idx);
		return 0;
	case VSOCK_TAG_LISTENER:
		vsock_proto_listener_event(&l->proto, idx, ev->events);
		return 0;
	case VSOCK_TAG_CONN:
		vsock_proto_conn_event(&l->proto, idx, ev->events);
		return 0;
	default:
		return 0;
	}
}

/* Waits for events (not at all while a ring still has work) and handles them; -EPIPE when
 * the launcher closed the control socket. */
static int wait_and_dispatch(struct loop *l, bool more)
{
	struct epoll_event ev[MAX_EVENTS];
	int n = epoll_wait(l->epfd, ev, MAX_EVENTS, more ? 0 : vsock_proto_expire(&l->proto));

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++)
		if (dispatch(l, &ev[i]) == -EPIPE)
			return -EPIPE;
	return 0;
}

/*
 * Passes of events, then one budget of ring work each, until the launcher stops the loop.
 * However busy the guest keeps the rings, the stop is seen within one pass.
 */
static int serve(struct loop *l)
{
	uint64_t last_cut_ms = 0; /* when a pass last ended with ring work left */
	bool more = false;
	int err = 0;

	while (!err && !vsock_proto_stopping(&l->proto)) {
		err = wait_and_dispatch(l, more);
		if (!err)
			more = vsock_proto_process(&l->proto);
		if (more)
			last_cut_ms = vsock_now_ms();
	}
	if (vsock_proto_stopping(&l->proto) && last_cut_ms + 1000 > vsock_now_ms())
		vsock_log("vsock: stopped by the launcher while the guest kept its rings busy");
	return err == -EPIPE ? 0 : err;
}

int vsock_loop_run(int vu_sock, int ctl_fd, uint64_t guest_cid, const atomic_bool *stop)
{
	struct loop *l = calloc(1, sizeof(*l));
	int err;

	if (!l) {
		close(vu_sock);
		return -ENOMEM;
	}
	vu_dev_init(&l->dev, vu_sock, guest_cid);
	l->ctl_fd = ctl_fd;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	err = l->epfd < 0 ? -errno : 0;
	if (!err)
		err = watch(l->epfd, vu_sock, EPOLLIN, VSOCK_TAG_VU, 0);
	if (!err)
		err = watch(l->epfd, ctl_fd, EPOLLIN, VSOCK_TAG_CTL, 0);
	/* Confined before the first byte from QEMU or the guest is read. */
	if (!err)
		err = vsock_sandbox_apply();
	/* The launcher waits for this: the backend runs confined, or ih_vsock_new() fails. */
	vsock_ctl_reply(ctl_fd, err, -1);
	if (!err) {
		vsock_proto_init(&l->proto, &l->dev, l->epfd, ctl_fd);
		l->proto.stop = stop;
		err = serve(l);
		vsock_proto_free(&l->proto);
	}
	if (err)
		vsock_log("vsock: backend loop failed: %s", strerror(-err));
	vu_dev_close(&l->dev);
	if (l->epfd >= 0)
		close(l->epfd);
	free(l);
	return err;
}
