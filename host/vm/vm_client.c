/*
 * The launcher's side of one decode over a guest stream: send the request and the image,
 * read the response header, check it against the request's limits, and only then allocate
 * and read the pixels. Every wait is bounded by the caller's deadline.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>

#include "vm_client.h"

int64_t ih_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The guest's stream, and an fd that turns readable once the guest is gone (or -1). */
struct peer {
	int fd;
	int gone_fd;
	int64_t deadline_ms;
};

/* Waits until the stream is ready for events: 0, -ETIMEDOUT, -ECONNRESET or -errno. */
static int wait_peer(const struct peer *peer, short events)
{
	struct pollfd p[2] = {
		{ .fd = peer->fd, .events = events },
		{ .fd = peer->gone_fd, .events = POLLIN },
	};

	for (;;) {
		int64_t left = peer->deadline_ms - ih_now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(p, peer->gone_fd >= 0 ? 2 : 1, left > 60000 ? 60000 : (int)left);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0 && p[0].revents)
			return 0;
		if (r > 0 && p[1].revents)
			return -ECONNRESET;
	}
}

static int send_all(const struct peer *peer, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = send(peer->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		int r;

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return errno == EPIPE ? -ECONNRESET : -errno;
		r = wait_peer(peer, POLLOUT);
		if (r < 0)
			return r;
	}
	return 0;
}

static int recv_all(const struct peer *peer, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = recv(peer->fd, p, len, MSG_DONTWAIT);
		int r;

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return errno == EPIPE ? -ECONNRESET : -errno;
		r = wait_peer(peer, POLLIN);
		if (r < 0)
			return r;
	}
	return 0;
}

#define HUGE_PAGE (2u << 20)

/*
 * Memory for the pixels, released with free(). A fresh anonymous 4 KiB page costs about
 * 12 us to fault in on these hosts (36 MB of 12 MP pixels: over 100 ms), so a buffer of
 * 2 MiB or more starts on a 2 MiB boundary and is advised to take transparent huge pages:
 * one fault per 2 MiB. The advice is only that: without THP the pages stay 4 KiB.
 */
static void *pixels_alloc(size_t len)
{
	void *p = NULL;

	if (len < HUGE_PAGE)
		return malloc(len);
	if (posix_memalign(&p, HUGE_PAGE, len) != 0)
		return NULL;
	(void)madvise(p, (len + 4095) & ~(size_t)4095, MADV_HUGEPAGE);
	return p;
}

static int send_request(const struct peer *peer, uint16_t type, const struct ih_limits *lim,
			uint32_t flags, const struct ih_decode_opts *opts, const uint8_t *input,
			size_t input_len)
{
	struct ih_request req = {
		.type = type,
		.flags = flags,
		.opts = opts ? *opts : (struct ih_decode_opts){ 0 },
		.input_len = input_len,
		.limits = *lim,
	};
	uint8_t hdr[IH_REQ_HDR_LEN];
	int r;

	ih_request_encode(&req, hdr);
	r = send_all(peer, hdr, sizeof(hdr));
	if (r < 0 || input_len == 0)
		return r;
	return send_all(peer, input, input_len);
}

/* Reads and checks the header; the pixels are allocated only once it has passed. */
static int recv_response(const struct peer *peer, const struct ih_limits *lim,
			 struct ih_decoded *ret)
{
	uint8_t hdr[IH_RESP_HDR_LEN];
	struct ih_response resp;
	uint8_t *pixels = NULL;
	int r;

	r = recv_all(peer, hdr, sizeof(hdr));
	if (r < 0)
		return r;
	r = ih_response_parse(hdr, lim, &resp);
	if (r < 0)
		return r == -EPROTONOSUPPORT ? r : -EPROTO;
	if (resp.icc_len > 0) {
		ret->icc = malloc(resp.icc_len);
		if (!ret->icc)
			return -ENOMEM;
		r = recv_all(peer, ret->icc, resp.icc_len);
		if (r < 0) {
			free(ret->icc);
			ret->icc = NULL;
			return r;
		}
	}
	if (resp.pixel_len > 0) {
		struct peer longer = *peer;

		longer.deadline_ms += (int64_t)(resp.pixel_len / IH_VM_CLIENT_MIN_RATE);
		pixels = pixels_alloc(resp.pixel_len);
		if (!pixels)
			return -ENOMEM;
		r = recv_all(&longer, pixels, resp.pixel_len);
		if (r < 0) {
			free(pixels);
			free(ret->icc);
			ret->icc = NULL;
			return r;
		}
	}
	ret->resp = resp;
	ret->pixels = pixels;
	return 0;
}

int ih_vm_client_decode(int fd, int gone_fd, const struct ih_limits *lim, uint32_t flags,
			const struct ih_decode_opts *opts, const uint8_t *input, size_t input_len,
			int64_t deadline_ms, struct ih_decoded *ret)
{
	const struct peer peer = { .fd = fd, .gone_fd = gone_fd, .deadline_ms = deadline_ms };
	int r;

	r = send_request(&peer, IH_REQ_DECODE, lim, flags, opts, input, input_len);
	if (r < 0)
		return r;
	return recv_response(&peer, lim, ret);
}

int ih_vm_client_shutdown(int fd, const struct ih_limits *lim, int64_t deadline_ms)
{
	const struct peer peer = { .fd = fd, .gone_fd = -1, .deadline_ms = deadline_ms };

	return send_request(&peer, IH_REQ_SHUTDOWN, lim, 0, NULL, NULL, 0);
}

const char *ih_vm_client_strerror(int err)
{
	switch (err) {
	case -ETIMEDOUT:
		return "the VM did not answer in time";
	case -EPROTO:
		return "the VM's answer broke the protocol or its limits";
	case -EPROTONOSUPPORT:
		return "the guest image speaks another protocol version than this ih-vm "
		       "(rebuild or reinstall the image with this ih-vm: make image)";
	case -ECONNRESET:
		return "the VM closed the connection or stopped";
	case -ENOMEM:
		return "out of memory for the VM's answer";
	default:
		return "the connection to the VM failed";
	}
}
