/*
 * The launcher's side of one decode over a guest stream: send the request and the image,
 * read the response header, check it against the request's limits, and only then allocate
 * and read the pixels. Every wait is bounded by the caller's deadline.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "vm_client.h"

int64_t ih_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events or the deadline passes: 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, int64_t deadline_ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int64_t left = deadline_ms - ih_now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int send_all(int fd, const void *buf, size_t len, int64_t deadline_ms)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
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
		r = wait_fd(fd, POLLOUT, deadline_ms);
		if (r < 0)
			return r;
	}
	return 0;
}

static int recv_all(int fd, void *buf, size_t len, int64_t deadline_ms)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = recv(fd, p, len, MSG_DONTWAIT);
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
		r = wait_fd(fd, POLLIN, deadline_ms);
		if (r < 0)
			return r;
	}
	return 0;
}

static int send_request(int fd, uint16_t type, const struct ih_limits *lim, uint32_t flags,
			const uint8_t *input, size_t input_len, int64_t deadline_ms)
{
	struct ih_request req = {
		.type = type,
		.flags = flags,
		.input_len = input_len,
		.limits = *lim,
	};
	uint8_t hdr[IH_REQ_HDR_LEN];
	int r;

	ih_request_encode(&req, hdr);
	r = send_all(fd, hdr, sizeof(hdr), deadline_ms);
	if (r < 0 || input_len == 0)
		return r;
	return send_all(fd, input, input_len, deadline_ms);
}

/* Reads and checks the header; the pixels are allocated only once it has passed. */
static int recv_response(int fd, const struct ih_limits *lim, int64_t deadline_ms,
			 struct ih_decoded *ret)
{
	uint8_t hdr[IH_RESP_HDR_LEN];
	struct ih_response resp;
	uint8_t *pixels = NULL;
	int r;

	r = recv_all(fd, hdr, sizeof(hdr), deadline_ms);
	if (r < 0)
		return r;
	if (ih_response_parse(hdr, lim, &resp) < 0)
		return -EPROTO;
	if (resp.pixel_len > 0) {
		pixels = malloc(resp.pixel_len);
		if (!pixels)
			return -ENOMEM;
		r = recv_all(fd, pixels, resp.pixel_len, deadline_ms);
		if (r < 0) {
			free(pixels);
			return r;
		}
	}
	ret->resp = resp;
	ret->pixels = pixels;
	return 0;
}

int ih_vm_client_decode(int fd, const struct ih_limits *lim, uint32_t flags, const uint8_t *input,
			size_t input_len, int64_t deadline_ms, struct ih_decoded *ret)
{
	int r;

	r = send_request(fd, IH_REQ_DECODE, lim, flags, input, input_len, deadline_ms);
	if (r < 0)
		return r;
	return recv_response(fd, lim, deadline_ms, ret);
}

int ih_vm_client_shutdown(int fd, const struct ih_limits *lim, int64_t deadline_ms)
{
	return send_request(fd, IH_REQ_SHUTDOWN, lim, 0, NULL, 0, deadline_ms);
}

const char *ih_vm_client_strerror(int err)
{
	switch (err) {
	case -ETIMEDOUT:
		return "the VM did not answer in time";
	case -EPROTO:
		return "the VM's answer broke the protocol or its limits";
	case -ECONNRESET:
		return "the VM closed the connection or stopped";
	case -ENOMEM:
		return "out of memory for the VM's answer";
	default:
		return "the connection to the VM failed";
	}
}
