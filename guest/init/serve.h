/*
 * The decode service the guest init (PID 1) runs in ih.mode=serve: harden the kernel's
 * sysctls, connect to the host over AF_VSOCK (CID 2, IH_VSOCK_PORT) and decode one request
 * after another, each image in a fresh sandboxed child (ih_isolate_decode). Each function
 * returns when the VM should power off; it has printed its one line on the console by then.
 */
#ifndef IH_GUEST_SERVE_H
#define IH_GUEST_SERVE_H

#include <stdbool.h>

#include "guest/decode/proto.h"

/* ih.mode=serve. 0 after IH_REQ_SHUTDOWN or the host closing the stream, -errno on failure. */
int ih_serve(void);

/*
 * The service's loop on an established stream fd, requests checked against ceiling: 0 after
 * IH_REQ_SHUTDOWN or the end of the stream, -errno when it must stop (a request it refuses,
 * a broken stream, a failure of its own). bench as in ih_serve_bench(). Images go to
 * pre-spawned children (ih_isolate_spares_start) for the stream's life; none is left when
 * it returns. It prints only the bench lines and a note when a waiting child died (or spares
 * could not start): the host tests run it over a socketpair.
 */
int ih_serve_stream(int fd, const struct ih_limits *ceiling, bool bench);

/*
 * ih.mode=serve-hang, for the launcher's fault tests only: the same hardening and
 * connection, then it takes one request and never answers. Production never sets it: the
 * launcher passes it only when the test hook IH_VM_GUEST_MODE asks, and a guest that hangs
 * is what the launcher must survive anyway.
 */
int ih_serve_hang(void);

/*
 * ih.mode=serve-bench, for `make bench` only: serves like ih_serve() and prints on the
 * console, for every image, the time of a bare in-process decode of it and of the sandboxed
 * decode. The bare decode parses the image outside the sandbox: benchmark inputs only.
 */
int ih_serve_bench(void);

#endif
