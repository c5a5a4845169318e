/*
 * The ImageHarden wire protocol, shared by the launcher (host), the guest init and the
 * decoder child. One request carries the limits and the image; one response carries the
 * outcome and the pixels. Every field is little-endian at a fixed offset; the structs
 * below are the decoded, host-order form and are never sent as they are.
 *
 * Request on the wire (IH_REQ_HDR_LEN bytes, then input_len image bytes):
 *   0 magic u32 "IHRQ"   4 version u16   6 type u16   8 flags u32   12 options u32
 *  16 input_len u64     24 max_input_bytes u64      32 max_pixels u64
 *  40 max_memory_bytes u64                          48 max_jpeg_scans u32
 *  52 max_png_chunk_bytes u32  56 max_png_chunks u32  60 cpu_ms u32  64 wall_ms u32
 *  68 frame u32
 *
 * Response on the wire (IH_RESP_HDR_LEN bytes, then icc_len profile bytes, then pixel_len
 * pixel bytes; 16-bit samples most significant byte first):
 *   0 magic u32 "IHRS"   4 version u16   6 status u16   8 width u32   12 height u32
 *  16 channels u32 (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA)   20 layers u32 (IH_LAYER_*)
 *  24 pixel_len u64     32 reason char[IH_REASON_MAX], NUL-padded
 * 128 depth u8 (8/16)  129 src_depth u8  130 src_model u8 (enum ih_model)
 * 131 orientation u8 (EXIF 1-8, 0 none)  132 orient_state u8  133 color_action u8
 * 134 reserved u16 (0) 136 frames u32   140 frame u32   144 icc_len u32   148 reserved u32 (0)
 * 152 color_desc char[IH_DESC_MAX]      216 orient_note char[IH_NOTE_MAX]
 * 296 color_note char[IH_NOTE_MAX]      376 reserved (0) to 384
 * Every text field is printable ASCII, NUL-padded to its end.
 *
 * The receiving side of either message treats it as hostile: ih_*_parse() checks the
 * magic, version, type/status, reserved fields and every length against the limits
 * before anything is allocated.
 */
#ifndef IH_GUEST_PROTO_H
#define IH_GUEST_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define IH_REQ_MAGIC 0x51524849u /* "IHRQ" little-endian */
#define IH_RESP_MAGIC 0x53524849u /* "IHRS" little-endian */
#define IH_PROTO_VERSION 2
#define IH_REQ_HDR_LEN 72
#define IH_RESP_HDR_LEN 384
#define IH_REASON_MAX 96
#define IH_DESC_MAX 64 /* an ICC profile's description, cut */
#define IH_NOTE_MAX 80 /* why metadata was ignored or refused */
/* The most profile bytes a response may carry (--color=keep): larger than any real
 * display or print profile, small enough to read before the pixels. */
#define IH_ICC_MAX_BYTES (4u << 20)

/* The vsock port on the host (CID 2) that the guest init connects to. */
#define IH_VSOCK_PORT 5000

enum ih_req_type {
	IH_REQ_DECODE = 1, /* decode the image that follows */
	IH_REQ_SHUTDOWN = 2, /* no more work: the guest powers off */
};

/* Request flags. */
#define IH_REQ_ALLOW_DEGRADED 0x1u /* decode even if a sandbox layer is unavailable */
#define IH_REQ_FLAGS_KNOWN IH_REQ_ALLOW_DEGRADED

/* Decode options: how the caller wants the picture (the defaults are 0). */
#define IH_OPT_DEPTH8 0x1u /* reduce 16-bit samples to 8 (accurately scaled) */
#define IH_OPT_ORIENT_KEEP 0x2u /* leave the pixels in stored order, ignoring EXIF */
#define IH_OPT_COLOR_KEEP 0x4u /* pixels untouched, the ICC profile kept for the output */
#define IH_OPT_COLOR_IGNORE 0x8u /* pixels untouched, the ICC profile dropped */
#define IH_OPT_KNOWN 0xfu

/* The colour model of the source, as the record reports it. */
enum ih_model {
	IH_MODEL_UNKNOWN = 0,
	IH_MODEL_GREY,
	IH_MODEL_GREY_ALPHA,
	IH_MODEL_RGB,
	IH_MODEL_RGBA,
	IH_MODEL_PALETTE,
	IH_MODEL_CMYK,
	IH_MODEL_YCCK,
};
#define IH_MODEL_MAX IH_MODEL_YCCK

/* What became of the EXIF orientation. */
enum ih_orient_state {
	IH_ORIENT_NONE = 0, /* no orientation tag (or 1): nothing to do */
	IH_ORIENT_APPLIED, /* the pixels were turned to the orientation the tag names */
	IH_ORIENT_KEPT, /* --orient=keep: stored order, the tag reported only */
	IH_ORIENT_IGNORED, /* the EXIF data was unusable: stored order, orient_note says why */
};
#define IH_ORIENT_STATE_MAX IH_ORIENT_IGNORED

/* What became of an embedded ICC profile (guest/decode/color.h). */
enum ih_color_action {
	IH_COLOR_NONE = 0, /* no embedded profile: pixels as decoded (CMYK by the formula) */
	IH_COLOR_CONVERTED, /* converted to sRGB through the profile; profile dropped */
	IH_COLOR_KEPT, /* --color=keep: pixels untouched, the profile re-serialised by lcms2 */
	IH_COLOR_IGNORED, /* --color=ignore: profile dropped unread */
	IH_COLOR_REFUSED, /* lcms2 refused the profile: pixels unconverted, note says why */
};
#define IH_COLOR_ACTION_MAX IH_COLOR_REFUSED

/* How the caller wants the picture (carried in the request). */
struct ih_decode_opts {
	uint32_t flags; /* IH_OPT_* */
	uint32_t frame; /* the frame of an animation to give, 0 the first */
};

enum ih_status {
	IH_STATUS_OK = 0, /* pixels follow */
	IH_STATUS_REJECTED = 1, /* the image is invalid, over a limit, or crashed its decoder */
	IH_STATUS_SANDBOX = 2, /* a sandbox layer could not be applied: nothing was decoded */
	IH_STATUS_INTERNAL = 3, /* a system failure on the decoding side */
};
#define IH_STATUS_MAX IH_STATUS_INTERNAL

/* Sandbox layers, reported in every response. */
#define IH_LAYER_NS_USER 0x0001u
#define IH_LAYER_NS_PID 0x0002u
#define IH_LAYER_NS_NET 0x0004u
#define IH_LAYER_NS_MNT 0x0008u
#define IH_LAYER_NS_IPC 0x0010u
#define IH_LAYER_NS_UTS 0x0020u
#define IH_LAYER_RLIMITS 0x0040u
#define IH_LAYER_CAPS 0x0080u /* every capability and the bounding set dropped */
#define IH_LAYER_UID 0x0100u /* running as an unprivileged uid/gid */
#define IH_LAYER_NO_NEW_PRIVS 0x0200u
#define IH_LAYER_NOT_DUMPABLE 0x0400u
#define IH_LAYER_LANDLOCK 0x0800u
#define IH_LAYER_SECCOMP 0x1000u
#define IH_LAYER_ALL 0x1fffu
#define IH_LAYER_NS_ALL 0x003fu /* the six namespaces */

struct ih_limits {
	uint64_t max_input_bytes;
	uint64_t max_pixels; /* width x height */
	uint64_t max_memory_bytes; /* address space of the decoder child */
	uint32_t max_jpeg_scans;
	uint32_t max_png_chunk_bytes; /* largest ancillary chunk */
	uint32_t max_png_chunks; /* ancillary chunks per image */
	uint32_t cpu_ms;
	uint32_t wall_ms;
};

struct ih_request {
	uint16_t type; /* enum ih_req_type */
	uint32_t flags; /* IH_REQ_* */
	uint64_t input_len;
	struct ih_limits limits;
	struct ih_decode_opts opts;
};

struct ih_response {
	uint16_t status; /* enum ih_status */
	uint32_t width;
	uint32_t height;
	uint32_t channels; /* 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA when OK, else 0 */
	uint32_t layers; /* IH_LAYER_* */
	uint64_t pixel_len; /* width * height * channels * depth / 8 when OK, else 0 */
	char reason[IH_REASON_MAX]; /* always NUL-terminated after parsing */
	/* What the picture is and what was done to it; all 0 / "" unless OK. */
	uint32_t depth; /* 8 or 16 bits per sample */
	uint32_t src_depth; /* bits per sample in the file (1-16) */
	uint32_t src_model; /* enum ih_model */
	uint32_t orientation; /* the EXIF orientation found (1-8), 0 none */
	uint32_t orient_state; /* enum ih_orient_state */
	uint32_t color_action; /* enum ih_color_action (guest/decode/color.h) */
	uint32_t frames; /* frames in the file, at least 1 */
	uint32_t frame; /* the frame given, below frames */
	uint32_t icc_len; /* profile bytes that follow the header (--color=keep), else 0 */
	char color_desc[IH_DESC_MAX];
	char orient_note[IH_NOTE_MAX];
	char color_note[IH_NOTE_MAX];
};

/* The safe defaults, and the most a request may ask for (both from guest/decode/limits.conf). */
void ih_limits_default(struct ih_limits *ret);
void ih_limits_ceiling(struct ih_limits *ret);

/*
 * Bounds a peer's limits by our own ceiling: 0 if every field of lim is non-zero and at
 * most the same field of ceiling, else -EINVAL.
 */
int ih_limits_check(const struct ih_limits *lim, const struct ih_limits *ceiling);

void ih_request_encode(const struct ih_request *req, uint8_t out[IH_REQ_HDR_LEN]);
/*
 * 0, or -EPROTO (not this protocol) / -EPROTONOSUPPORT (this protocol, another version) /
 * -EINVAL (a field out of range, input over limit).
 * A DECODE request's limits are checked with ih_limits_check() against ceiling and its
 * input_len against its own max_input_bytes; a SHUTDOWN request carries input_len 0 and
 * its limits are not looked at.
 */
int ih_request_parse(const uint8_t in[IH_REQ_HDR_LEN], const struct ih_limits *ceiling,
		     struct ih_request *ret);

void ih_response_encode(const struct ih_response *resp, uint8_t out[IH_RESP_HDR_LEN]);
/*
 * Parses a response to a request made with limits lim: 0, or -EPROTONOSUPPORT for another
 * version of this protocol, or -EPROTO / -EINVAL when the
 * header lies (pixel_len != width*height*channels*depth/8, over max_pixels, channels not
 * 1-4, depth not 8 or 16, a frame not below frames, a profile over IH_ICC_MAX_BYTES or
 * without --color=keep's action, pixels or metadata on a non-OK status, unknown status,
 * layer bits or enum values, a text field that is not printable ASCII NUL-padded to its
 * end, non-zero reserved bytes). A non-OK response has every geometry and metadata field 0.
 */
int ih_response_parse(const uint8_t in[IH_RESP_HDR_LEN], const struct ih_limits *lim,
		      struct ih_response *ret);

const char *ih_status_name(uint16_t status);

/* The records' names of enum ih_model ("grey", "rgb", "cmyk", ...), enum ih_orient_state
 * ("none", "applied", "kept", "ignored") and enum ih_color_action ("none", "converted",
 * "kept", "ignored", "refused"); "unknown" for a value out of range. */
const char *ih_model_name(uint32_t model);
const char *ih_orient_state_name(uint32_t state);
const char *ih_color_action_name(uint32_t action);

/* The name of one IH_LAYER_* bit ("ns_pid", "seccomp", ...), or NULL. */
const char *ih_layer_name(uint32_t bit);

#endif
