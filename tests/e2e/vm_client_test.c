/*
 * The VM backend's protocol client against a fake guest on a socketpair: each fake answer is
 * written ahead into the guest's end, then the client runs, then the request it sent is read
 * back and checked. Proves that lying, oversized, late and cut-off answers are refused before
 * any pixel buffer is handed out, and that an honest answer comes through byte for byte.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "host/vm/vm_client.h"

struct pair {
	int host;
	int guest;
};

static void test_limits(struct ih_limits *lim)
{
	ih_limits_default(lim);
	lim->max_pixels = 64;
	lim->max_input_bytes = 1 << 20;
}

static int pair_open(struct pair *p)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	p->host = sv[0];
	p->guest = sv[1];
	return 0;
}

static void pair_close(struct pair *p)
{
	close(p->host);
	if (p->guest >= 0)
		close(p->guest);
}

static void guest_say(struct pair *p, const struct ih_response *resp, const void *pix, size_t n)
{
	uint8_t hdr[IH_RESP_HDR_LEN];

	ih_response_encode(resp, hdr);
	if (write(p->guest, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr))
		abort();
	if (n && write(p->guest, pix, n) != (ssize_t)n)
		abort();
}

static struct ih_response ok_resp(uint32_t w, uint32_t h, uint32_t ch)
{
	struct ih_response r = {
		.status = IH_STATUS_OK,
		.width = w,
		.height = h,
		.channels = ch,
		.layers = IH_LAYER_ALL,
		.pixel_len = (uint64_t)w * h * ch,
		.depth = 8,
		.src_depth = 8,
		.src_model = IH_MODEL_RGB,
		.frames = 1,
	};
	return r;
}

/* Runs the client with a short deadline; the decoded result is left in *d. */
static int run_client(struct pair *p, const uint8_t *in, size_t n, int ms, struct ih_decoded *d)
{
	struct ih_limits lim;

	test_limits(&lim);
	memset(d, 0, sizeof(*d));
	return ih_vm_client_decode(p->host, -1, &lim, 0, NULL, in, n, ih_now_ms() + ms, d);
}

static void test_honest_answer(void)
{
	static const uint8_t input[] = "not really an image";
	uint8_t pix[4 * 2 * 3], hdr[IH_REQ_HDR_LEN], seen[sizeof(input)];
	struct ih_response resp = ok_resp(4, 2, 3);
	struct ih_request req;
	struct ih_limits lim;
	struct ih_decoded d;
	struct pair p;
	int r;

	for (size_t i = 0; i < sizeof(pix); i++)
		pix[i] = (uint8_t)(i * 7 + 1);
	if (pair_open(&p) < 0)
		abort();
	guest_say(&p, &resp, pix, sizeof(pix));
	r = run_client(&p, input, sizeof(input), 2000, &d);
	tap_ok(r == 0 && d.resp.status == IH_STATUS_OK && d.pixels &&
		       d.resp.pixel_len == sizeof(pix) && !memcmp(d.pixels, pix, sizeof(pix)),
	       "honest answer: pixels arrive byte for byte (r=%d)", r);
	test_limits(&lim);
	r = read(p.guest, hdr, sizeof(hdr)) == (ssize_t)sizeof(hdr) ? 0 : -1;
	r = r ?: ih_request_parse(hdr, &lim, &req);
	tap_ok(r == 0 && req.type == IH_REQ_DECODE && req.input_len == sizeof(input) &&
		       req.limits.max_pixels == 64,
	       "the request on the wire parses and carries the limits and length (r=%d)", r);
	tap_ok(read(p.guest, seen, sizeof(seen)) == (ssize_t)sizeof(seen) &&
		       !memcmp(seen, input, sizeof(input)),
	       "the image bytes follow the request header unchanged");
	free(d.pixels);
	pair_close(&p);
}

static void test_rejection_carried(void)
{
	struct ih_response resp = { .status = IH_STATUS_REJECTED, .layers = IH_LAYER_ALL };
	struct ih_decoded d;
	struct pair p;
	int r;

	strcpy(resp.reason, "png: declared size over max_pixels");
	if (pair_open(&p) < 0)
		abort();
	guest_say(&p, &resp, NULL, 0);
	r = run_client(&p, (const uint8_t *)"x", 1, 2000, &d);
	tap_ok(r == 0 && d.resp.status == IH_STATUS_REJECTED && !d.pixels &&
		       !strcmp(d.resp.reason, "png: declared size over max_pixels"),
	       "a rejection from the guest comes back with its reason (r=%d)", r);
	pair_close(&p);
}

/* A hostile header: the client must refuse it with -EPROTO and hand out nothing. */
static void expect_lie(const char *name, const struct ih_response *resp, size_t extra)
{
	static uint8_t junk[4096];
	struct ih_decoded d;
	struct pair p;
	int r;

	if (pair_open(&p) < 0)
		abort();
	guest_say(&p, resp, junk, extra);
	r = run_client(&p, (const uint8_t *)"x", 1, 2000, &d);
	tap_ok(r == -EPROTO && !d.pixels, "%s is refused as a protocol error (r=%d)", name, r);
	pair_close(&p);
}

/* A guest image of another protocol version is named as such, not as a broken answer. */
static void test_other_version(void)
{
	struct ih_response r = ok_resp(2, 2, 3);
	uint8_t hdr[IH_RESP_HDR_LEN];
	struct ih_decoded d;
	struct pair p;
	int ret;

	ih_response_encode(&r, hdr);
	hdr[4] = IH_PROTO_VERSION + 1;
	if (pair_open(&p) < 0 || write(p.guest, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr))
		abort();
	ret = run_client(&p, (const uint8_t *)"x", 1, 2000, &d);
	tap_ok(ret == -EPROTONOSUPPORT && !d.pixels &&
		       strstr(ih_vm_client_strerror(ret), "protocol version"),
	       "an answer of another protocol version says so (r=%d: %s)", ret,
	       ih_vm_client_strerror(ret));
	pair_close(&p);
}

/* A kept profile travels between the header and the pixels, and arrives whole. */
static void test_kept_profile(void)
{
	struct ih_response r = ok_resp(2, 1, 3);
	uint8_t body[16 + 6];
	struct ih_decoded d;
	struct pair p;
	int ret;

	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)(i * 7 + 1);
	r.color_action = IH_COLOR_KEPT;
	r.icc_len = 16;
	if (pair_open(&p) < 0)
		abort();
	guest_say(&p, &r, body, sizeof(body));
	ret = run_client(&p, (const uint8_t *)"x", 1, 2000, &d);
	tap_ok(ret == 0 && d.icc && !memcmp(d.icc, body, 16) && d.pixels &&
		       !memcmp(d.pixels, body + 16, 6),
	       "a kept profile arrives before the pixels, both whole (r=%d)", ret);
	free(d.pixels);
	free(d.icc);
	pair_close(&p);
}

static void test_lies(void)
{
	struct ih_response r;
	uint8_t hdr[IH_RESP_HDR_LEN];
	struct ih_decoded d;
	struct pair p;
	int ret;

	r = ok_resp(1 << 15, 1 << 15, 4);
	expect_lie("a header claiming 2^30 pixels over a limit of 64", &r, 0);
	r = ok_resp(4, 2, 3);
	r.pixel_len = 1ull << 40;
	expect_lie("a pixel length that is not width*height*channels", &r, 0);
	r = ok_resp(4, 2, 5);
	expect_lie("channels other than 1 to 4", &r, 40);
	r = ok_resp(4, 2, 3);
	r.depth = 12;
	expect_lie("a depth other than 8 or 16", &r, 24);
	r = ok_resp(4, 2, 3);
	r.frame = 1;
	expect_lie("a frame number not below the frame count", &r, 24);
	r = ok_resp(4, 2, 3);
	r.icc_len = 16;
	expect_lie("profile bytes for a profile that was not kept", &r, 40);
	r = ok_resp(4, 2, 3);
	r.color_action = IH_COLOR_KEPT;
	r.icc_len = IH_ICC_MAX_BYTES + 1;
	expect_lie("a kept profile over IH_ICC_MAX_BYTES", &r, 24);
	r = ok_resp(4, 2, 3);
	r.orientation = 9;
	expect_lie("an EXIF orientation past 8", &r, 24);
	r = ok_resp(2, 2, 3);
	r.status = 7;
	expect_lie("an unknown status", &r, 12);

	memset(hdr, 'A', sizeof(hdr));
	if (pair_open(&p) < 0)
		abort();
	if (write(p.guest, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr))
		abort();
	ret = run_client(&p, (const uint8_t *)"x", 1, 2000, &d);
	tap_ok(ret == -EPROTO && !d.pixels, "garbage instead of a header is refused (r=%d)", ret);
	pair_close(&p);
}

static void test_silent_guest(void)
{
	struct ih_decoded d;
	struct pair p;
	int64_t t0;
	int r;

	if (pair_open(&p) < 0)
		abort();
	t0 = ih_now_ms();
	r = run_client(&p, (const uint8_t *)"x", 1, 300, &d);
	tap_ok(r == -ETIMEDOUT && !d.pixels && ih_now_ms() - t0 < 5000,
	       "a guest that never answers times out at the deadline (r=%d)", r);
	pair_close(&p);
}

/* The guest's QEMU exits mid-decode: the wait ends then, not at the deadline. */
static void test_guest_gone(void)
{
	struct ih_limits lim;
	struct ih_decoded d = { 0 };
	struct pair p;
	int gone[2];
	int64_t t0;
	int r;

	test_limits(&lim);
	if (pair_open(&p) < 0 || pipe(gone) < 0)
		abort();
	close(gone[1]);
	t0 = ih_now_ms();
	r = ih_vm_client_decode(p.host, gone[0], &lim, 0, NULL, (const uint8_t *)"x", 1,
				ih_now_ms() + 10000, &d);
	tap_ok(r == -ECONNRESET && !d.pixels && ih_now_ms() - t0 < 5000,
	       "a guest whose VM is gone ends the wait at once (r=%d)", r);
	close(gone[0]);
	pair_close(&p);
}

/* Pixels of 2 MiB and more take the huge-page-advised buffer; a writer process feeds them. */
static void test_big_answer(void)
{
	struct ih_response resp = ok_resp(1024, 768, 4);
	size_t n = (size_t)resp.pixel_len;
	uint8_t *pix = malloc(n);
	struct ih_limits lim;
	struct ih_decoded d = { 0 };
	struct pair p;
	pid_t writer;
	int r;

	if (!pix || pair_open(&p) < 0)
		abort();
	for (size_t i = 0; i < n; i++)
		pix[i] = (uint8_t)(i * 131 + (i >> 12));
	writer = fork();
	if (writer == 0) {
		guest_say(&p, &resp, pix, n);
		_exit(0);
	}
	test_limits(&lim);
	lim.max_pixels = 1024 * 768;
	r = writer < 0 ? -errno
		       : ih_vm_client_decode(p.host, -1, &lim, 0, NULL, (const uint8_t *)"x", 1,
					     ih_now_ms() + 5000, &d);
	tap_ok(r == 0 && d.pixels && d.resp.pixel_len == n && !memcmp(d.pixels, pix, n),
	       "a 3 MiB answer (huge-page buffer) arrives byte for byte (r=%d)", r);
	free(d.pixels);
	if (writer > 0)
		waitpid(writer, NULL, 0);
	pair_close(&p);
	free(pix);
}

static void test_guest_not_reading(void)
{
	size_t n = 16u << 20;
	uint8_t *big = calloc(1, n);
	struct ih_decoded d;
	struct pair p;
	int r;

	if (!big || pair_open(&p) < 0)
		abort();
	r = run_client(&p, big, n, 300, &d);
	tap_ok(r == -ETIMEDOUT, "a guest that never takes the image times out (r=%d)", r);
	pair_close(&p);
	free(big);
}

static void test_cut_off(void)
{
	struct ih_response resp = ok_resp(4, 4, 4);
	uint8_t pix[10] = { 0 };
	struct ih_decoded d;
	struct pair p;
	int r;

	if (pair_open(&p) < 0)
		abort();
	guest_say(&p, &resp, pix, sizeof(pix));
	close(p.guest);
	p.guest = -1;
	r = run_client(&p, (const uint8_t *)"x", 1, 2000, &d);
	tap_ok(r == -ECONNRESET && !d.pixels,
	       "pixels cut off by a closed stream are refused (r=%d)", r);
	pair_close(&p);

	if (pair_open(&p) < 0)
		abort();
	close(p.guest);
	p.guest = -1;
	r = run_client(&p, (const uint8_t *)"x", 1, 2000, &d);
	tap_ok(r == -ECONNRESET, "a guest that is gone is a broken stream, not a hang (r=%d)", r);
	pair_close(&p);
}

static void test_shutdown(void)
{
	uint8_t hdr[IH_REQ_HDR_LEN];
	struct ih_request req;
	struct ih_limits lim;
	struct pair p;
	int r;

	test_limits(&lim);
	if (pair_open(&p) < 0)
		abort();
	r = ih_vm_client_shutdown(p.host, &lim, ih_now_ms() + 1000);
	r = r ?: (read(p.guest, hdr, sizeof(hdr)) == (ssize_t)sizeof(hdr) ? 0 : -EIO);
	r = r ?: ih_request_parse(hdr, &lim, &req);
	tap_ok(r == 0 && req.type == IH_REQ_SHUTDOWN && req.input_len == 0,
	       "shutdown is a valid request of type SHUTDOWN with no input (r=%d)", r);
	pair_close(&p);
}

int main(void)
{
	test_honest_answer();
	test_big_answer();
	test_rejection_carried();
	test_lies();
	test_other_version();
	test_kept_profile();
	test_silent_guest();
	test_guest_gone();
	test_guest_not_reading();
	test_cut_off();
	test_shutdown();
	return tap_done();
}
