/*
 * The guest's decode service (serve.h). The host is the only peer; its requests are still
 * parsed against the guest's own ceiling before anything is allocated. Each image goes to a
 * decoder child made in advance (guest/sandbox/spare.h) while the last one decoded. A crashed or
 * killed decoder child is a rejected image and the service carries on; anything wrong on the
 * service's side ends it, and the init powers the VM off.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest/decode/decode.h"
#include "guest/sandbox/isolate.h"
#include "guest/decode/proto.h"
#include "serve.h"
#include "vsock_host.h"

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * What the guest accepts whatever the host asks for: the protocol's ceiling, narrowed to what
 * fits this VM's memory (the service holds the image and the pixels, the child its own
 * address space).
 */
static void guest_ceiling(struct ih_limits *ret)
{
	struct sysinfo si;
	uint64_t ram = 64ull << 20;

	if (sysinfo(&si) == 0)
		ram = (uint64_t)si.totalram * si.mem_unit;
	ih_limits_ceiling(ret);
	ret->max_input_bytes = min_u64(ret->max_input_bytes, ram / 4);
	ret->max_pixels = min_u64(ret->max_pixels, ram / 8);
	ret->max_memory_bytes = min_u64(ret->max_memory_bytes, ram);
}

/* 0 when len bytes were read, 1 on a clean end of stream before the first byte, -errno. */
static int read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return done == 0 ? 1 : -ECONNRESET;
		done += (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_response(int fd, const struct ih_decoded *d)
{
	uint8_t hdr[IH_RESP_HDR_LEN];
	int r;

	ih_response_encode(&d->resp, hdr);
	r = write_full(fd, hdr, sizeof(hdr));
	if (r < 0 || d->resp.status != IH_STATUS_OK)
		return r;
	r = write_full(fd, d->icc, d->resp.icc_len);
	if (r < 0)
		return r;
	return write_full(fd, d->pixels, d->resp.pixel_len);
}

/* A launcher of another protocol version: answered in ours (its parser names the versions
 * when it checks ours), then the stream ends. */
static void send_version_mismatch(int fd)
{
	struct ih_decoded d = { .resp = { .status = IH_STATUS_INTERNAL } };

	snprintf(d.resp.reason, sizeof(d.resp.reason),
		 "guest: the launcher speaks another protocol version than this guest (%d)",
		 IH_PROTO_VERSION);
	send_response(fd, &d);
}

/*
 * Reads one request: 0 with *ret and *ret_input (malloc'd, ret->input_len bytes) for a
 * decode, 1 for a shutdown or the end of the stream, -errno otherwise.
 */
static int read_request(int fd, const struct ih_limits *ceiling, struct ih_request *ret,
			uint8_t **ret_input)
{
	uint8_t hdr[IH_REQ_HDR_LEN];
	uint8_t *input;
	int r;

	r = read_full(fd, hdr, sizeof(hdr));
	if (r != 0)
		return r;
	r = ih_request_parse(hdr, ceiling, ret);
	if (r == -EPROTONOSUPPORT)
		send_version_mismatch(fd);
	if (r < 0)
		return r;
	if (ret->type == IH_REQ_SHUTDOWN)
		return 1;
	input = malloc(ret->input_len ? ret->input_len : 1);
	if (!input)
		return -ENOMEM;
	r = read_full(fd, input, ret->input_len);
	if (r != 0) {
		free(input);
		return r < 0 ? r : -ECONNRESET;
	}
	*ret_input = input;
	return 0;
}

/* A failure of the decoding parent itself: the host is told, then the VM goes down. */
static void send_internal(int fd, int err)
{
	struct ih_decoded d = { .resp = { .status = IH_STATUS_INTERNAL } };

	snprintf(d.resp.reason, sizeof(d.resp.reason), "guest: decoder parent failed: %s",
		 strerror(-err));
	send_response(fd, &d);
}

/* Children of the sandbox are reaped by ih_isolate_decode; this takes any stray one. */
static void reap_strays(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* serve-bench: the same image decoded bare, in this process, timed for the benchmark. */
static void bench_bare(const struct ih_request *req, const uint8_t *input)
{
	char reason[IH_REASON_MAX] = "";
	struct ih_image img;
	int64_t t0 = now_us();
	int r;

	r = ih_decode(&req->limits, NULL, input, req->input_len, &img, reason);
	printf("ih-bench: bare_us=%lld ok=%d\n", (long long)(now_us() - t0), r == 0);
	if (r == 0)
		ih_image_free(&img);
}

static int serve_one(int fd, const struct ih_limits *ceiling, bool bench)
{
	struct ih_decoded d = { 0 };
	struct ih_request req;
	uint8_t *input = NULL;
	int64_t t0;
	int r;

	r = read_request(fd, ceiling, &req, &input);
	if (r != 0)
		return r;
	if (bench)
		bench_bare(&req, input);
	t0 = now_us();
	r = ih_isolate_decode(&req.limits, req.flags, &req.opts, input, req.input_len, &d);
	if (bench)
		printf("ih-bench: isolate_us=%lld\n", (long long)(now_us() - t0));
	free(input);
	if (r < 0) {
		send_internal(fd, r);
		return r;
	}
	if (d.note[0])
		printf("ih-serve: note: %s\n", d.note);
	r = send_response(fd, &d);
	ih_decoded_free(&d);
	return r;
}

static int start(int *ret_fd)
{
	int r = ih_vsock_connect_host(IH_VSOCK_PORT, IH_VSOCK_CONNECT_TRIES, ret_fd);

	if (r < 0)
		printf("ih-serve: cannot reach the host on vsock port %d: %s\n", IH_VSOCK_PORT,
		       strerror(-r));
	return r;
}

int ih_serve_stream(int fd, const struct ih_limits *ceiling, bool bench)
{
	int r = ih_isolate_spares_start(); /* before any image is read: the spawner holds none */

	if (r < 0)
		printf("ih-serve: no pre-spawned decoders (%s): each image waits for a fresh "
		       "child\n",
		       strerror(-r));
	do {
		r = serve_one(fd, ceiling, bench);
		reap_strays();
	} while (r == 0);
	ih_isolate_spares_stop();
	return r < 0 ? r : 0;
}

static int serve(bool bench)
{
	struct ih_limits ceiling;
	int fd = -1, r;

	guest_ceiling(&ceiling);
	r = start(&fd);
	if (r < 0)
		return r;
	printf("ih-serve: ready\n");
	fflush(stdout);
	r = ih_serve_stream(fd, &ceiling, bench);
	close(fd);
	if (r < 0)
		printf("ih-serve: stopping: %s\n", strerror(-r));
	return r;
}

int ih_serve(void)
{
	return serve(false);
}

int ih_serve_bench(void)
{
	return serve(true);
}

int ih_serve_hang(void)
{
	struct ih_limits ceiling;
	struct ih_request req;
	uint8_t *input = NULL;
	int fd = -1, r;

	guest_ceiling(&ceiling);
	r = start(&fd);
	if (r < 0)
		return r;
	printf("ih-serve: test mode serve-hang: taking one request, answering none\n");
	fflush(stdout);
	if (read_request(fd, &ceiling, &req, &input) == 0)
		free(input);
	for (;;)
		pause();
}
