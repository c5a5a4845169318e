/*
 * The launcher's side of the wire protocol over one guest stream (a vsock connection, or a
 * socketpair in the tests). The guest is hostile: every answer is bounded by a deadline and
 * its header is checked against the request's limits before any pixel buffer is allocated.
 */
#ifndef IH_HOST_VM_CLIENT_H
#define IH_HOST_VM_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "guest/sandbox/isolate.h"
#include "guest/decode/proto.h"

/* CLOCK_MONOTONIC in milliseconds, the clock every deadline below is on. */
int64_t ih_now_ms(void);

/* The slowest transfer a guest may make, in bytes per millisecond (4 MB/s): the answer's
 * pixels, once its header has passed the checks, get pixel_len / this many more ms. */
#define IH_VM_CLIENT_MIN_RATE 4096

/*
 * Sends one decode request (lim, flags, input) on the stream socket fd and reads the answer
 * until deadline_ms (then more for the pixels, see above). gone_fd (or -1) turns readable when the
 * guest is gone for good (a pidfd of its QEMU): the wait then ends at once. Returns 0 when *ret
 * holds the guest's outcome (OK with pixels, or a rejection the guest reported), or: -ETIMEDOUT the
 * guest did not take the image or answer in time -EPROTO      the answer is not this protocol, or
 * its header lies (over lim, bad lengths) -ECONNRESET  the stream ended or broke, or the guest is
 * gone, before the whole answer -ENOMEM      no memory for the pixels On a negative return the
 * stream is out of step with the guest: discard the VM.
 */
int ih_vm_client_decode(int fd, int gone_fd, const struct ih_limits *lim, uint32_t flags,
			const struct ih_decode_opts *opts, const uint8_t *input, size_t input_len,
			int64_t deadline_ms, struct ih_decoded *ret);

/* Asks the guest to power off (an IH_REQ_SHUTDOWN request). 0 or -errno as above. */
int ih_vm_client_shutdown(int fd, const struct ih_limits *lim, int64_t deadline_ms);

/* A short text for a negative return of the two calls above, for the image's reason. */
const char *ih_vm_client_strerror(int err);

#endif
