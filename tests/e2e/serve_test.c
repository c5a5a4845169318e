/*
 * The guest's decode service loop (ih_serve_stream) on this host, against a fake launcher on
 * a socketpair: the requests are written ahead, the loop runs until it stops, then the
 * answers are read back. Proves that images are decoded in order (pixels equal to a direct
 * decode), that a hostile image is one rejected answer and the service carries on, that
 * SHUTDOWN and the end of the stream stop it cleanly (the images decoded by pre-spawned
 * children, none left behind), and that a request over the guest's ceiling or a stream cut
 * inside an image stop it with an error and no answer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../corpus/corpus.h"
#include "../tap.h"
#include "guest/decode/decode.h"
#include "guest/sandbox/isolate.h"
#include "guest/init/serve.h"

struct img {
	uint8_t *data;
	size_t len;
};

static int sv[2]; /* [0] the launcher's end, [1] the service's */

static void fake_open(void)
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
}

static void fake_close(void)
{
	close(sv[0]);
	close(sv[1]);
}

static void send_req(uint16_t type, const struct ih_limits *lim, const struct img *in)
{
	struct ih_request req = { .type = type, .input_len = in ? in->len : 0, .limits = *lim };
	uint8_t hdr[IH_REQ_HDR_LEN];

	ih_request_encode(&req, hdr);
	if (write(sv[0], hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr))
		abort();
	if (in && in->len && write(sv[0], in->data, in->len) != (ssize_t)in->len)
		abort();
}

/* Reads one answer: 0 with *ret (pixels malloc'd), or -1 when there is none. */
static int read_answer(const struct ih_limits *lim, struct ih_decoded *ret)
{
	uint8_t hdr[IH_RESP_HDR_LEN];

	memset(ret, 0, sizeof(*ret));
	if (recv(sv[0], hdr, sizeof(hdr), MSG_DONTWAIT | MSG_WAITALL) != (ssize_t)sizeof(hdr) ||
	    ih_response_parse(hdr, lim, &ret->resp) < 0)
		return -1;
	if (!ret->resp.pixel_len)
		return 0;
	ret->pixels = malloc(ret->resp.pixel_len);
	if (!ret->pixels || recv(sv[0], ret->pixels, ret->resp.pixel_len, MSG_WAITALL) !=
				    (ssize_t)ret->resp.pixel_len)
		return -1;
	return 0;
}

/* The answer is OK and holds exactly what a direct decode of in gives. */
static int same_as_direct(const struct ih_limits *lim, const struct img *in,
			  const struct ih_decoded *d)
{
	char reason[IH_REASON_MAX];
	struct ih_image img;
	int same;

	if (d->resp.status != IH_STATUS_OK ||
	    ih_decode(lim, NULL, in->data, in->len, &img, reason) < 0)
		return 0;
	same = img.width == d->resp.width && img.height == d->resp.height &&
	       img.len == d->resp.pixel_len && !memcmp(img.pixels, d->pixels, img.len);
	ih_image_free(&img);
	return same;
}

/* The images went to pre-spawned children, and the stream's end left no process behind: we
 * are a subreaper, so an orphaned spare or spawner would be our child now. */
static void check_spares_gone(void)
{
	struct ih_spares_stats st;
	pid_t left;

	ih_isolate_spares_stats(&st);
	left = waitpid(-1, NULL, WNOHANG);
	tap_ok(st.last_pid > 0 && st.spawner_pid == -1 && left < 0 && errno == ECHILD,
	       "the images went to pre-spawned children (last pid %d) and none is left after the "
	       "stream (spawner %d, waitpid %d)",
	       (int)st.last_pid, (int)st.spawner_pid, (int)left);
}

static void test_in_order(const struct ih_limits *lim, const struct ih_limits *ceiling,
			  const struct img *jpg, const struct img *png)
{
	static const uint8_t junk[] = "neither PNG nor JPEG, just hostile bytes";
	const struct img bad = { (uint8_t *)junk, sizeof(junk) };
	struct ih_decoded d[3];
	int r;

	fake_open();
	send_req(IH_REQ_DECODE, lim, jpg);
	send_req(IH_REQ_DECODE, lim, &bad);
	send_req(IH_REQ_DECODE, lim, png);
	send_req(IH_REQ_SHUTDOWN, lim, NULL);
	r = ih_serve_stream(sv[1], ceiling, false);
	tap_ok(r == 0, "three images then SHUTDOWN: the service stops cleanly (r=%d)", r);
	for (int i = 0; i < 3; i++)
		if (read_answer(lim, &d[i]) < 0)
			d[i].resp.status = 0xffff;
	tap_ok(same_as_direct(lim, jpg, &d[0]), "a JPEG comes back as its direct decode");
	tap_ok(d[1].resp.status == IH_STATUS_REJECTED && d[1].resp.reason[0],
	       "hostile bytes are one rejected answer with a reason (%s)", d[1].resp.reason);
	tap_ok(same_as_direct(lim, png, &d[2]),
	       "the service carries on: the next PNG comes back as its direct decode");
	tap_ok(d[0].resp.layers == d[2].resp.layers && d[0].resp.layers != 0,
	       "every answer reports the sandbox layers (0x%x)", d[0].resp.layers);
	check_spares_gone();
	for (int i = 0; i < 3; i++)
		free(d[i].pixels);
	fake_close();
}

static void test_end_of_stream(const struct ih_limits *lim, const struct ih_limits *ceiling,
			       const struct img *jpg)
{
	struct ih_decoded d;
	int r;

	fake_open();
	send_req(IH_REQ_DECODE, lim, jpg);
	shutdown(sv[0], SHUT_WR);
	r = ih_serve_stream(sv[1], ceiling, false);
	tap_ok(r == 0 && read_answer(lim, &d) == 0 && d.resp.status == IH_STATUS_OK,
	       "the end of the stream after a request stops the service cleanly (r=%d)", r);
	free(d.pixels);
	fake_close();
}

static void test_refusals(const struct ih_limits *lim, const struct ih_limits *ceiling,
			  const struct img *jpg)
{
	struct ih_limits over = *lim;
	struct ih_decoded d;
	int r;

	over.max_pixels = ceiling->max_pixels + 1;
	fake_open();
	send_req(IH_REQ_DECODE, &over, jpg);
	r = ih_serve_stream(sv[1], ceiling, false);
	tap_ok(r == -EINVAL && read_answer(lim, &d) < 0,
	       "a request over the guest's ceiling stops the service, unanswered (r=%d)", r);
	fake_close();

	fake_open();
	{
		struct ih_request req = { .type = IH_REQ_DECODE,
					  .input_len = jpg->len,
					  .limits = *lim };
		uint8_t hdr[IH_REQ_HDR_LEN];

		ih_request_encode(&req, hdr);
		if (write(sv[0], hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr) ||
		    write(sv[0], jpg->data, jpg->len / 2) != (ssize_t)(jpg->len / 2))
			abort();
	}
	shutdown(sv[0], SHUT_WR);
	r = ih_serve_stream(sv[1], ceiling, false);
	tap_ok(r == -ECONNRESET && read_answer(lim, &d) < 0,
	       "a stream cut inside an image stops the service, unanswered (r=%d)", r);
	fake_close();
}

int main(void)
{
	struct ih_limits lim, ceiling;
	struct img jpg, png;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		abort();
	ih_limits_default(&lim);
	ih_limits_ceiling(&ceiling);
	if (corpus_jpeg_rgb(37, 29, 90, 1, &jpg.data, &jpg.len) < 0 ||
	    corpus_png_rgba(23, 17, &png.data, &png.len) < 0)
		abort();
	test_in_order(&lim, &ceiling, &jpg, &png);
	test_end_of_stream(&lim, &ceiling, &jpg);
	test_refusals(&lim, &ceiling, &jpg);
	free(jpg.data);
	free(png.data);
	return tap_done();
}
