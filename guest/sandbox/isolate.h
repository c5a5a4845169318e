/*
 * One image, one fresh sandboxed decoder child. Used by the guest init for every request
 * and by the launcher for `--isolation=process`. The child's answer crosses the boundary
 * as a wire-protocol response header on a pipe, checked against the request's limits
 * here; its pixels are written straight into shared memory made for it (guest/sandbox/isolate.c).
 * With spares on, that child was made in advance (guest/sandbox/spare.h) and finds the
 * image in shared memory it maps read-only.
 */
#ifndef IH_GUEST_ISOLATE_H
#define IH_GUEST_ISOLATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "guest/decode/proto.h"

struct ih_decoded {
	struct ih_response resp; /* status, reason, geometry and the layers the child had */
	uint8_t *pixels; /* resp.pixel_len bytes when resp.status is IH_STATUS_OK, else NULL */
	size_t map_len; /* 0: pixels is malloc'd; else a mapping of map_len bytes */
	const char *hint; /* a static "Hint: ..." for the user when one applies, else NULL */
	uint8_t *icc; /* resp.icc_len profile bytes (--color=keep), malloc'd, else NULL */
	char note[IH_REASON_MAX]; /* "" or an event of the decode to tell the user beside its
				     outcome: a pre-spawned child lost while waiting */
};

/*
 * Decodes input in a fresh child sandboxed with every layer (guest/sandbox/sandbox.h), bounded by
 * lim (its wall_ms is enforced here: the child is killed and reaped), as opts asks (NULL:
 * the defaults). flags are IH_REQ_*.
 *
 * Returns 0 when *ret holds an outcome, including a rejected image, a crashed or killed
 * child (IH_STATUS_REJECTED) and a sandbox layer that failed (IH_STATUS_SANDBOX); -errno
 * when the parent itself failed (no child could be made). No child outlives the call.
 */
int ih_isolate_decode(const struct ih_limits *lim, uint32_t flags,
		      const struct ih_decode_opts *opts, const uint8_t *input, size_t input_len,
		      struct ih_decoded *ret);

/* Releases d's pixels. Call it before the next decode where possible: the pixels of the
 * last freed result are recycled (zeroed) for the next child. Not thread-safe: both run in
 * one thread of a process that may fork. */
void ih_decoded_free(struct ih_decoded *d);

/*
 * Pre-spawned children, from now until ih_isolate_spares_stop(): while an image decodes, the
 * next one's child is already cloned in its sandbox (by a spawner process forked here, which
 * holds no image: call this before reading any), its pixel memory faulted in, waiting. Each
 * child still decodes one image only. A spare made for other limits than the request's is
 * killed and another made; one that died while waiting is replaced, never used, and named in
 * that decode's note. 0 or -errno (no spawner: decodes go on as without spares).
 */
int ih_isolate_spares_start(void);

/* Kills the waiting spare and ends the spawner; no child is left once it returns. */
void ih_isolate_spares_stop(void);

/* What the spares did, for tests. */
struct ih_spares_stats {
	pid_t spawner_pid; /* -1: spares are off */
	pid_t waiting_pid; /* the spare waiting for the next image, -1: none */
	pid_t last_pid; /* the child that decoded the last image */
	size_t last_pixel_page; /* the page size of its pixel memory (2 MiB: huge pages) */
	unsigned int lost; /* spares that died while waiting (replaced, not used) */
};
void ih_isolate_spares_stats(struct ih_spares_stats *ret);

#endif
