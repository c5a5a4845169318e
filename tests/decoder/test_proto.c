/*
 * Wire protocol: requests and responses survive a round trip, and every lying or
 * out-of-range header is refused before anything would be allocated from it.
 */
#include <errno.h>
#include <string.h>

#include "guest/decode/proto.h"
#include "../tap.h"

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static struct ih_request sample_request(void)
{
	struct ih_request req = { .type = IH_REQ_DECODE,
				  .flags = IH_REQ_ALLOW_DEGRADED,
				  .opts = { .flags = IH_OPT_DEPTH8 | IH_OPT_COLOR_KEEP,
					    .frame = 3 } };

	ih_limits_default(&req.limits);
	req.input_len = 1000;
	return req;
}

static struct ih_response sample_response(void)
{
	struct ih_response r = { .status = IH_STATUS_OK,
				 .width = 640,
				 .height = 480,
				 .channels = 4,
				 .layers = IH_LAYER_ALL,
				 .depth = 8,
				 .src_depth = 16,
				 .src_model = IH_MODEL_PALETTE,
				 .orientation = 6,
				 .orient_state = IH_ORIENT_APPLIED,
				 .color_action = IH_COLOR_CONVERTED,
				 .frames = 5,
				 .frame = 4 };

	r.pixel_len = 640ull * 480 * 4;
	strcpy(r.reason, "fine");
	strcpy(r.color_desc, "Display P3");
	strcpy(r.orient_note, "n1");
	strcpy(r.color_note, "n2");
	return r;
}

static int limits_equal(const struct ih_limits *a, const struct ih_limits *b)
{
	return a->max_input_bytes == b->max_input_bytes && a->max_pixels == b->max_pixels &&
	       a->max_memory_bytes == b->max_memory_bytes &&
	       a->max_jpeg_scans == b->max_jpeg_scans &&
	       a->max_png_chunk_bytes == b->max_png_chunk_bytes &&
	       a->max_png_chunks == b->max_png_chunks && a->cpu_ms == b->cpu_ms &&
	       a->wall_ms == b->wall_ms;
}

static void test_request_round_trip(void)
{
	struct ih_request req = sample_request(), got;
	struct ih_limits ceiling;
	uint8_t buf[IH_REQ_HDR_LEN];

	ih_limits_ceiling(&ceiling);
	ih_request_encode(&req, buf);
	tap_ok(ih_request_parse(buf, &ceiling, &got) == 0 && got.type == req.type &&
		       got.flags == req.flags && got.input_len == req.input_len &&
		       limits_equal(&got.limits, &req.limits) && got.opts.flags == req.opts.flags &&
		       got.opts.frame == req.opts.frame,
	       "request round trip keeps every field");
	tap_ok(buf[0] == 'I' && buf[1] == 'H' && buf[2] == 'R' && buf[3] == 'Q',
	       "request starts with the magic IHRQ");
}

/* Encodes a good request, lets edit() corrupt it, expects want from the parser. */
static void request_lie(const char *name, void (*edit)(uint8_t *), int want)
{
	struct ih_request req = sample_request(), got = { 0 };
	struct ih_limits ceiling;
	uint8_t buf[IH_REQ_HDR_LEN];

	ih_limits_ceiling(&ceiling);
	ih_request_encode(&req, buf);
	edit(buf);
	tap_ok(ih_request_parse(buf, &ceiling, &got) == want && got.type == 0,
	       "request refused: %s", name);
}

static void rq_magic(uint8_t *b)
{
	b[0] ^= 1;
}
static void rq_version(uint8_t *b)
{
	b[4] = IH_PROTO_VERSION + 1;
}
static void rq_type(uint8_t *b)
{
	b[6] = 9;
}
static void rq_flags(uint8_t *b)
{
	put32(b + 8, 0x80);
}
static void rq_reserved(uint8_t *b)
{
	put32(b + 12, 0x100);
}
static void rq_keep_and_ignore(uint8_t *b)
{
	put32(b + 12, IH_OPT_COLOR_KEEP | IH_OPT_COLOR_IGNORE);
}
static void rq_shutdown_frame(uint8_t *b)
{
	b[6] = IH_REQ_SHUTDOWN;
	put64(b + 16, 0);
	put32(b + 12, 0);
	put32(b + 68, 1);
}
static void rq_input_over_limit(uint8_t *b)
{
	put64(b + 16, 67108864ull + 1);
}
static void rq_pixels_over_ceiling(uint8_t *b)
{
	put64(b + 32, 1ull << 40);
}
static void rq_zero_memory(uint8_t *b)
{
	put64(b + 40, 0);
}
static void rq_scans_over_ceiling(uint8_t *b)
{
	put32(b + 48, 1000000);
}
static void rq_zero_wall(uint8_t *b)
{
	put32(b + 64, 0);
}
static void rq_shutdown_with_input(uint8_t *b)
{
	b[6] = IH_REQ_SHUTDOWN;
}

static void test_request_lies(void)
{
	request_lie("bad magic", rq_magic, -EPROTO);
	request_lie("another protocol version", rq_version, -EPROTONOSUPPORT);
	request_lie("unknown type", rq_type, -EINVAL);
	request_lie("unknown flag bit", rq_flags, -EINVAL);
	request_lie("unknown decode option bit", rq_reserved, -EINVAL);
	request_lie("colour keep and ignore at once", rq_keep_and_ignore, -EINVAL);
	request_lie("a frame on a shutdown", rq_shutdown_frame, -EINVAL);
	request_lie("input_len over max_input_bytes", rq_input_over_limit, -EINVAL);
	request_lie("max_pixels over the ceiling", rq_pixels_over_ceiling, -EINVAL);
	request_lie("max_memory_bytes zero", rq_zero_memory, -EINVAL);
	request_lie("max_jpeg_scans over the ceiling", rq_scans_over_ceiling, -EINVAL);
	request_lie("wall_ms zero", rq_zero_wall, -EINVAL);
	request_lie("shutdown carrying input", rq_shutdown_with_input, -EINVAL);
}

static void test_response_round_trip(void)
{
	struct ih_response r = sample_response(), got;
	struct ih_limits lim;
	uint8_t buf[IH_RESP_HDR_LEN];

	ih_limits_default(&lim);
	ih_response_encode(&r, buf);
	tap_ok(ih_response_parse(buf, &lim, &got) == 0 && got.width == 640 && got.height == 480 &&
		       got.channels == 4 && got.pixel_len == r.pixel_len &&
		       got.layers == IH_LAYER_ALL && !strcmp(got.reason, "fine") &&
		       got.depth == 8 && got.src_depth == 16 && got.src_model == IH_MODEL_PALETTE &&
		       got.orientation == 6 && got.orient_state == IH_ORIENT_APPLIED &&
		       got.color_action == IH_COLOR_CONVERTED && got.frames == 5 &&
		       got.frame == 4 && !strcmp(got.color_desc, "Display P3") &&
		       !strcmp(got.orient_note, "n1") && !strcmp(got.color_note, "n2"),
	       "response round trip keeps every field");
	r = (struct ih_response){ .status = IH_STATUS_REJECTED };
	strcpy(r.reason, "truncated PNG");
	ih_response_encode(&r, buf);
	tap_ok(ih_response_parse(buf, &lim, &got) == 0 && got.status == IH_STATUS_REJECTED &&
		       !strcmp(got.reason, "truncated PNG"),
	       "a rejection with its reason round-trips");
}

static void response_lie(const char *name, void (*edit)(uint8_t *), int want)
{
	struct ih_response r = sample_response(), got = { 0 };
	struct ih_limits lim;
	uint8_t buf[IH_RESP_HDR_LEN];

	ih_limits_default(&lim);
	ih_response_encode(&r, buf);
	edit(buf);
	tap_ok(ih_response_parse(buf, &lim, &got) == want && got.width == 0, "response refused: %s",
	       name);
}

static void rs_magic(uint8_t *b)
{
	b[3] = 0;
}
static void rs_status(uint8_t *b)
{
	b[6] = 7;
}
static void rs_pixel_len_short(uint8_t *b)
{
	put64(b + 24, 640ull * 480 * 4 - 1);
}
static void rs_pixel_len_huge(uint8_t *b)
{
	put64(b + 24, UINT64_MAX);
}
static void rs_overflowing_geometry(uint8_t *b)
{
	put32(b + 8, 0xffffffffu);
	put32(b + 12, 0xffffffffu);
	put64(b + 24, 0xfffffffe00000001ull * 4);
}
static void rs_over_max_pixels(uint8_t *b)
{
	put32(b + 8, 20000);
	put32(b + 12, 20000);
	put64(b + 24, 20000ull * 20000 * 3);
	put32(b + 16, 3);
}
static void rs_channels(uint8_t *b)
{
	put32(b + 16, 5);
	put64(b + 24, 640ull * 480 * 5);
}
static void rs_depth(uint8_t *b)
{
	b[128] = 12;
}
static void rs_depth16_short(uint8_t *b)
{
	b[128] = 16;
}
static void rs_version(uint8_t *b)
{
	b[4] = IH_PROTO_VERSION + 1;
}
static void rs_model(uint8_t *b)
{
	b[130] = IH_MODEL_MAX + 1;
}
static void rs_orientation(uint8_t *b)
{
	b[131] = 9;
}
static void rs_frame_past_end(uint8_t *b)
{
	put32(b + 140, 5);
}
static void rs_icc_not_kept(uint8_t *b)
{
	put32(b + 144, 100);
}
static void rs_reserved(uint8_t *b)
{
	b[134] = 1;
}
static void rs_desc_escape(uint8_t *b)
{
	b[152] = 0x07;
}
static void rs_note_unterminated(uint8_t *b)
{
	memset(b + 216, 'n', IH_NOTE_MAX);
}
static void rs_tail(uint8_t *b)
{
	b[IH_RESP_HDR_LEN - 1] = 1;
}
static void rs_meta_on_rejection(uint8_t *b)
{
	b[6] = IH_STATUS_REJECTED;
	put32(b + 8, 0);
	put32(b + 12, 0);
	put32(b + 16, 0);
	put64(b + 24, 0);
}
static void rs_zero_width(uint8_t *b)
{
	put32(b + 8, 0);
	put64(b + 24, 0);
}
static void rs_layers(uint8_t *b)
{
	put32(b + 20, 0x80000000u);
}
static void rs_pixels_on_rejection(uint8_t *b)
{
	b[6] = IH_STATUS_REJECTED;
}
static void rs_reason_unterminated(uint8_t *b)
{
	memset(b + 32, 'A', IH_REASON_MAX);
}
static void rs_reason_escape(uint8_t *b)
{
	b[33] = 0x1b;
}
static void rs_reason_hidden_tail(uint8_t *b)
{
	b[32 + IH_REASON_MAX - 1] = 'x';
}

static void test_response_lies(void)
{
	response_lie("bad magic", rs_magic, -EPROTO);
	response_lie("unknown status", rs_status, -EINVAL);
	response_lie("pixel_len one short of w*h*c", rs_pixel_len_short, -EINVAL);
	response_lie("pixel_len 2^64-1", rs_pixel_len_huge, -EINVAL);
	response_lie("w*h*c overflowing 64 bits", rs_overflowing_geometry, -EINVAL);
	response_lie("400 MP over max_pixels", rs_over_max_pixels, -EINVAL);
	response_lie("5 channels", rs_channels, -EINVAL);
	response_lie("depth 12", rs_depth, -EINVAL);
	response_lie("depth 16 with an 8-bit pixel_len", rs_depth16_short, -EINVAL);
	response_lie("another protocol version", rs_version, -EPROTONOSUPPORT);
	response_lie("an unknown source model", rs_model, -EINVAL);
	response_lie("orientation 9", rs_orientation, -EINVAL);
	response_lie("frame 5 of 5", rs_frame_past_end, -EINVAL);
	response_lie("profile bytes for a profile not kept", rs_icc_not_kept, -EINVAL);
	response_lie("a reserved byte set", rs_reserved, -EINVAL);
	response_lie("a profile description with a control byte", rs_desc_escape, -EINVAL);
	response_lie("a note without NUL", rs_note_unterminated, -EINVAL);
	response_lie("a byte set in the header's tail", rs_tail, -EINVAL);
	response_lie("picture metadata on a rejection", rs_meta_on_rejection, -EINVAL);
	response_lie("zero width", rs_zero_width, -EINVAL);
	response_lie("unknown layer bit", rs_layers, -EINVAL);
	response_lie("pixels on a rejection", rs_pixels_on_rejection, -EINVAL);
	response_lie("reason without NUL", rs_reason_unterminated, -EINVAL);
	response_lie("reason with an escape byte", rs_reason_escape, -EINVAL);
	response_lie("bytes hidden after the reason's NUL", rs_reason_hidden_tail, -EINVAL);
}

static void test_limits(void)
{
	struct ih_limits def, ceil, lim;

	ih_limits_default(&def);
	ih_limits_ceiling(&ceil);
	tap_ok(ih_limits_check(&def, &ceil) == 0, "the defaults are within the ceiling");
	lim = ceil;
	lim.max_pixels++;
	tap_ok(ih_limits_check(&lim, &ceil) == -EINVAL, "one pixel over the ceiling is refused");
	lim = def;
	lim.cpu_ms = 0;
	tap_ok(ih_limits_check(&lim, &ceil) == -EINVAL, "a zero limit is refused");
}

int main(void)
{
	test_request_round_trip();
	test_request_lies();
	test_response_round_trip();
	test_response_lies();
	test_limits();
	return tap_done();
}
