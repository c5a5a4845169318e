/*
 * The wire protocol (guest/decode/proto.h): fixed little-endian encoding and the checks that the
 * receiving side of every message runs before it trusts a single field.
 */
#include <errno.h>
#include <string.h>

#include "proto.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

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

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

int ih_limits_check(const struct ih_limits *lim, const struct ih_limits *ceiling)
{
	const uint64_t want[] = { lim->max_input_bytes,
				  lim->max_pixels,
				  lim->max_memory_bytes,
				  lim->max_jpeg_scans,
				  lim->max_png_chunk_bytes,
				  lim->max_png_chunks,
				  lim->cpu_ms,
				  lim->wall_ms };
	const uint64_t most[] = { ceiling->max_input_bytes,
				  ceiling->max_pixels,
				  ceiling->max_memory_bytes,
				  ceiling->max_jpeg_scans,
				  ceiling->max_png_chunk_bytes,
				  ceiling->max_png_chunks,
				  ceiling->cpu_ms,
				  ceiling->wall_ms };

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (want[i] == 0 || want[i] > most[i])
			return -EINVAL;
	return 0;
}

void ih_request_encode(const struct ih_request *req, uint8_t out[IH_REQ_HDR_LEN])
{
	const struct ih_limits *l = &req->limits;

	memset(out, 0, IH_REQ_HDR_LEN);
	put32(out + 0, IH_REQ_MAGIC);
	put16(out + 4, IH_PROTO_VERSION);
	put16(out + 6, req->type);
	put32(out + 8, req->flags);
	put32(out + 12, req->opts.flags);
	put64(out + 16, req->input_len);
	put64(out + 24, l->max_input_bytes);
	put64(out + 32, l->max_pixels);
	put64(out + 40, l->max_memory_bytes);
	put32(out + 48, l->max_jpeg_scans);
	put32(out + 52, l->max_png_chunk_bytes);
	put32(out + 56, l->max_png_chunks);
	put32(out + 60, l->cpu_ms);
	put32(out + 64, l->wall_ms);
	put32(out + 68, req->opts.frame);
}

static void request_decode(const uint8_t *in, struct ih_request *r)
{
	r->type = get16(in + 6);
	r->flags = get32(in + 8);
	r->opts.flags = get32(in + 12);
	r->opts.frame = get32(in + 68);
	r->input_len = get64(in + 16);
	r->limits = (struct ih_limits){
		.max_input_bytes = get64(in + 24),
		.max_pixels = get64(in + 32),
		.max_memory_bytes = get64(in + 40),
		.max_jpeg_scans = get32(in + 48),
		.max_png_chunk_bytes = get32(in + 52),
		.max_png_chunks = get32(in + 56),
		.cpu_ms = get32(in + 60),
		.wall_ms = get32(in + 64),
	};
}

int ih_request_parse(const uint8_t in[IH_REQ_HDR_LEN], const struct ih_limits *ceiling,
		     struct ih_request *ret)
{
	struct ih_request r;

	if (get32(in) != IH_REQ_MAGIC)
		return -EPROTO;
	if (get16(in + 4) != IH_PROTO_VERSION)
		return -EPROTONOSUPPORT;
	request_decode(in, &r);
	if ((r.flags & ~IH_REQ_FLAGS_KNOWN) || (r.opts.flags & ~IH_OPT_KNOWN) ||
	    ((r.opts.flags & IH_OPT_COLOR_KEEP) && (r.opts.flags & IH_OPT_COLOR_IGNORE)))
		return -EINVAL;
	switch (r.type) {
	case IH_REQ_SHUTDOWN:
		if (r.input_len != 0 || r.opts.flags || r.opts.frame)
			return -EINVAL;
		break;
	case IH_REQ_DECODE:
		if (ih_limits_check(&r.limits, ceiling) < 0 ||
		    r.input_len > r.limits.max_input_bytes)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	*ret = r;
	return 0;
}

static void put_text(uint8_t *p, const char *text, size_t size)
{
	memcpy(p, text, strnlen(text, size - 1));
}

void ih_response_encode(const struct ih_response *resp, uint8_t out[IH_RESP_HDR_LEN])
{
	memset(out, 0, IH_RESP_HDR_LEN);
	put32(out + 0, IH_RESP_MAGIC);
	put16(out + 4, IH_PROTO_VERSION);
	put16(out + 6, resp->status);
	put32(out + 8, resp->width);
	put32(out + 12, resp->height);
	put32(out + 16, resp->channels);
	put32(out + 20, resp->layers);
	put64(out + 24, resp->pixel_len);
	put_text(out + 32, resp->reason, IH_REASON_MAX);
	out[128] = (uint8_t)resp->depth;
	out[129] = (uint8_t)resp->src_depth;
	out[130] = (uint8_t)resp->src_model;
	out[131] = (uint8_t)resp->orientation;
	out[132] = (uint8_t)resp->orient_state;
	out[133] = (uint8_t)resp->color_action;
	put32(out + 136, resp->frames);
	put32(out + 140, resp->frame);
	put32(out + 144, resp->icc_len);
	put_text(out + 152, resp->color_desc, IH_DESC_MAX);
	put_text(out + 216, resp->orient_note, IH_NOTE_MAX);
	put_text(out + 296, resp->color_note, IH_NOTE_MAX);
}

/* A text field is printable ASCII, then NUL bytes to the end of its size. */
static int text_check(const uint8_t *p, size_t size)
{
	size_t n = 0;

	while (n < size && p[n] != 0) {
		if (p[n] < 0x20 || p[n] > 0x7e)
			return -EINVAL;
		n++;
	}
	if (n == size)
		return -EINVAL;
	for (; n < size; n++)
		if (p[n] != 0)
			return -EINVAL;
	return 0;
}

static int zero_check(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return -EINVAL;
	return 0;
}

/* Geometry of an OK response: non-empty, within max_pixels and max_memory, consistent. */
static int geometry_check(const struct ih_response *r, const struct ih_limits *lim)
{
	uint64_t pixels = (uint64_t)r->width * r->height;

	if (r->width == 0 || r->height == 0 || r->channels < 1 || r->channels > 4 ||
	    (r->depth != 8 && r->depth != 16))
		return -EINVAL;
	if (pixels > lim->max_pixels || pixels > UINT64_MAX / 8)
		return -EINVAL;
	if (r->pixel_len != pixels * r->channels * (r->depth / 8) ||
	    r->pixel_len > lim->max_memory_bytes)
		return -EINVAL;
	return 0;
}

/* What an OK response says of the picture: known values, consistent with each other. */
static int meta_check(const struct ih_response *r)
{
	if (r->src_depth < 1 || r->src_depth > 16 || r->src_model > IH_MODEL_MAX ||
	    r->orientation > 8 || r->orient_state > IH_ORIENT_STATE_MAX ||
	    r->color_action > IH_COLOR_ACTION_MAX || r->frames == 0 || r->frame >= r->frames ||
	    r->icc_len > IH_ICC_MAX_BYTES)
		return -EINVAL;
	/* A profile travels only when it was kept. */
	if ((r->icc_len != 0) != (r->color_action == IH_COLOR_KEPT))
		return -EINVAL;
	return 0;
}

static void response_decode(const uint8_t *in, struct ih_response *r)
{
	r->status = get16(in + 6);
	r->width = get32(in + 8);
	r->height = get32(in + 12);
	r->channels = get32(in + 16);
	r->layers = get32(in + 20);
	r->pixel_len = get64(in + 24);
	r->depth = in[128];
	r->src_depth = in[129];
	r->src_model = in[130];
	r->orientation = in[131];
	r->orient_state = in[132];
	r->color_action = in[133];
	r->frames = get32(in + 136);
	r->frame = get32(in + 140);
	r->icc_len = get32(in + 144);
	memcpy(r->reason, in + 32, IH_REASON_MAX);
	memcpy(r->color_desc, in + 152, IH_DESC_MAX);
	memcpy(r->orient_note, in + 216, IH_NOTE_MAX);
	memcpy(r->color_note, in + 296, IH_NOTE_MAX);
}

static int texts_check(const uint8_t *in)
{
	if (text_check(in + 32, IH_REASON_MAX) < 0 || text_check(in + 152, IH_DESC_MAX) < 0 ||
	    text_check(in + 216, IH_NOTE_MAX) < 0 || text_check(in + 296, IH_NOTE_MAX) < 0)
		return -EINVAL;
	if (zero_check(in + 134, 2) < 0 || zero_check(in + 148, 4) < 0)
		return -EINVAL;
	return zero_check(in + 376, IH_RESP_HDR_LEN - 376);
}

/* A response that is not OK carries its status, layers and reason, and nothing else. */
static int bare_check(const struct ih_response *r, const uint8_t *in)
{
	if (r->width || r->height || r->channels || r->pixel_len || r->depth || r->src_depth ||
	    r->src_model || r->orientation || r->orient_state || r->color_action || r->frames ||
	    r->frame || r->icc_len)
		return -EINVAL;
	return zero_check(in + 152, IH_RESP_HDR_LEN - 152);
}

int ih_response_parse(const uint8_t in[IH_RESP_HDR_LEN], const struct ih_limits *lim,
		      struct ih_response *ret)
{
	struct ih_response r = { 0 };

	if (get32(in) != IH_RESP_MAGIC)
		return -EPROTO;
	if (get16(in + 4) != IH_PROTO_VERSION)
		return -EPROTONOSUPPORT;
	response_decode(in, &r);
	if (r.status > IH_STATUS_MAX || (r.layers & ~IH_LAYER_ALL) || texts_check(in) < 0)
		return -EINVAL;
	if (r.status == IH_STATUS_OK) {
		if (geometry_check(&r, lim) < 0 || meta_check(&r) < 0)
			return -EINVAL;
	} else if (bare_check(&r, in) < 0) {
		return -EINVAL;
	}
	*ret = r;
	return 0;
}

const char *ih_status_name(uint16_t status)
{
	switch (status) {
	case IH_STATUS_OK:
		return "ok";
	case IH_STATUS_REJECTED:
		return "rejected";
	case IH_STATUS_SANDBOX:
		return "sandbox";
	case IH_STATUS_INTERNAL:
		return "internal";
	default:
		return "unknown";
	}
}

static const char *name_of(uint32_t v, const char *const *names, size_t n)
{
	return v < n ? names[v] : "unknown";
}

const char *ih_model_name(uint32_t model)
{
	static const char *const names[] = { "unknown", "grey",	   "grey_alpha", "rgb",
					     "rgba",	"palette", "cmyk",	 "ycck" };

	return name_of(model, names, sizeof(names) / sizeof(names[0]));
}

const char *ih_orient_state_name(uint32_t state)
{
	static const char *const names[] = { "none", "applied", "kept", "ignored" };

	return name_of(state, names, sizeof(names) / sizeof(names[0]));
}

const char *ih_color_action_name(uint32_t action)
{
	static const char *const names[] = { "none", "converted", "kept", "ignored", "refused" };

	return name_of(action, names, sizeof(names) / sizeof(names[0]));
}

const char *ih_layer_name(uint32_t bit)
{
	static const char *const names[] = {
		"ns_user",	"ns_pid",   "ns_net",  "ns_mnt", "ns_ipc",
		"ns_uts",	"rlimits",  "caps",    "uid",	 "no_new_privs",
		"not_dumpable", "landlock", "seccomp",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (bit == 1u << i)
			return names[i];
	return NULL;
}
