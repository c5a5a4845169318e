/*
 * The ImageHarden wire protocol, shared by the launcher (host), the guest init and the
 * decoder child. One request carries the limits and the image; one response carries the
 * outcome and the pixels. Every field is little-endian at a fixed offset; the structs
 * below are the decoded, host-order form and are never sent as they are.
 *
 * Request on the wire (IH_REQ_HDR_LEN bytes, then input_len image bytes):
 *   0 magic u32 "IHRQ"   4 version u16   6 type u16   8 flags u32   12 reserved u32 (0)
 *  16 input_len u64     24 max_input_bytes u64      32 max_pixels u64
 *  40 max_memory_bytes u64                          48 max_jpeg_scans u32
 *  52 max_png_chunk_bytes u32  56 max_png_chunks u32  60 cpu_ms u32  64 wall_ms u32
 *  68 reserved u32 (0)
 *
 * Response on the wire (IH_RESP_HDR_LEN bytes, then pixel_len pixel bytes):
 *   0 magic u32 "IHRS"   4 version u16   6 status u16   8 width u32   12 height u32
 *  16 channels u32      20 layers u32 (IH_LAYER_* active in the decoder child)
 *  24 pixel_len u64     32 reason char[IH_REASON_MAX], NUL-padded
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
#define IH_PROTO_VERSION 1
#define IH_REQ_HDR_LEN 72
#define IH_RESP_HDR_LEN 128
#define IH_REASON_MAX 96

/* The vsock port on the host (CID 2) that the guest init connects to. */
#define IH_VSOCK_PORT 5000

enum ih_req_type {
	IH_REQ_DECODE = 1, /* decode the image that follows */
	IH_REQ_SHUTDOWN = 2, /* no more work: the guest powers off */
};

/* Request flags. */
#define IH_REQ_ALLOW_DEGRADED 0x1u /* decode even if a sandbox layer is unavailable */
#define IH_REQ_FLAGS_KNOWN IH_REQ_ALLOW_DEGRADED

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
};

struct ih_response {
	uint16_t status; /* enum ih_status */
	uint32_t width;
	uint32_t height;
	uint32_t channels; /* 3 (RGB) or 4 (RGBA) when status is OK, else 0 */
	uint32_t layers; /* IH_LAYER_* */
	uint64_t pixel_len; /* width * height * channels when OK, else 0 */
	char reason[IH_REASON_MAX]; /* always NUL-terminated after parsing */
};

/* The safe defaults, and the most a request may ask for (both from guest/limits.conf). */
void ih_limits_default(struct ih_limits *ret);
void ih_limits_ceiling(struct ih_limits *ret);

/*
 * Bounds a peer's limits by our own ceiling: 0 if every field of lim is non-zero and at
 * most the same field of ceiling, else -EINVAL.
 */
int ih_limits_check(const struct ih_limits *lim, const struct ih_limits *ceiling);

void ih_request_encode(const struct ih_request *req, uint8_t out[IH_REQ_HDR_LEN]);
/*
 * 0, or -EPROTO (not this protocol) / -EINVAL (a field out of range, input over limit).
 * A DECODE request's limits are checked with ih_limits_check() against ceiling and its
 * input_len against its own max_input_bytes; a SHUTDOWN request carries input_len 0 and
 * its limits are not looked at.
 */
int ih_request_parse(const uint8_t in[IH_REQ_HDR_LEN], const struct ih_limits *ceiling,
		     struct ih_request *ret);

void ih_response_encode(const struct ih_response *resp, uint8_t out[IH_RESP_HDR_LEN]);
/*
 * Parses a response to a request made with limits lim: 0, or -EPROTO / -EINVAL when the
 * header lies (pixel_len != width*height*channels, over max_pixels, channels not 3 or 4,
 * pixels on a non-OK status, unknown status or layer bits, a reason that is not printable
 * ASCII NUL-padded to the end). A non-OK response has width, height and channels 0.
 */
int ih_response_parse(const uint8_t in[IH_RESP_HDR_LEN], const struct ih_limits *lim,
		      struct ih_response *ret);

const char *ih_status_name(uint16_t status);

/* The name of one IH_LAYER_* bit ("ns_pid", "seccomp", ...), or NULL. */
const char *ih_layer_name(uint32_t bit);

#endif
