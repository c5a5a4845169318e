/*
 * Test double for everything on the far side of the vhost-user socket: it speaks the
 * vhost-user master's messages the way QEMU 7.2 does, and plays the guest's virtio-vsock
 * driver on rings and buffers laid out in a memfd, as a driver would lay them out.
 * Hostile layouts are built with the raw helpers (fg_desc, fg_avail_add).
 */
#ifndef IH_TESTS_FAKE_GUEST_H
#define IH_TESTS_FAKE_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/vsock/vsock_proto.h"

#define FG_MEM_SIZE (16u << 20)
#define FG_UVA_BASE 0x7f0000000000ull /* the QEMU-virtual address we claim for gpa 0 */
#define FG_QNUM 256
#define FG_RX_BUF (VSOCK_HDR_LEN + 4096) /* what Linux posts per rx buffer */
#define FG_TX_SLOT (VSOCK_HDR_LEN + 65536)
#define FG_SCRATCH (12u << 20) /* free guest memory for hand-built tables and buffers */

struct fg_queue {
	uint64_t desc, avail, used; /* guest-physical */
	uint16_t avail_idx, last_used;
	int kick, call;
};

struct fg {
	int sock; /* master end of the vhost-user socket */
	int memfd;
	uint8_t *mem;
	uint64_t cid;
	uint32_t buf_alloc, fwd_cnt; /* what this guest advertises */
	uint16_t used_event_ahead; /* EVENT_IDX: ask for a call only this many entries on */
	struct fg_queue q[2];
};

/* Creates guest memory and rings; sock is the socket the backend serves. 0 or -errno. */
int fg_init(struct fg *g, int sock, uint64_t cid);
void fg_free(struct fg *g);

/* vhost-user: one request, optional fds, optional reply (rep_len bytes expected). */
int fg_msg(struct fg *g, uint32_t req, const void *p, uint32_t len, const int *fds, int nfds,
	   void *rep, uint32_t rep_len);

/* The whole QEMU start sequence: features, memory table, both rings enabled. */
int fg_start(struct fg *g, uint64_t *ret_features, uint64_t *ret_protocol, uint64_t *ret_cid);

/* Sends the ring setup for queue i (NUM, BASE base, ADDR, KICK, CALL, ENABLE). */
int fg_ring_setup(struct fg *g, int i, uint16_t base);

/* Moves guest memory to a new memfd (same contents) and sends SET_MEM_TABLE for it. */
int fg_remap(struct fg *g);

/* Writes descriptor idx of queue q. */
void fg_desc(struct fg *g, int q, uint16_t idx, uint64_t addr, uint32_t len, uint16_t flags,
	     uint16_t next);

/* Makes head available on queue q and kicks. */
void fg_avail_add(struct fg *g, int q, uint16_t head);

/* Posts n rx buffers of FG_RX_BUF bytes. */
void fg_rx_fill(struct fg *g, int n);

/* Sends one tx packet; split puts header and payload in two descriptors. Waits for it to
 * come back used. 0, or -ETIMEDOUT. */
int fg_send(struct fg *g, uint32_t src_port, uint32_t dst_port, uint16_t op, uint32_t flags,
	    const void *payload, uint32_t len, bool split);

/* Sends a raw header (fields as given) with len bytes of payload room, no checks. */
int fg_send_raw(struct fg *g, const struct vsock_hdr *h, uint32_t room);

/* Waits up to timeout_ms for tx used idx to catch up with avail idx. */
int fg_tx_wait(struct fg *g, int timeout_ms);

/*
 * Waits up to timeout_ms for one rx packet: header into *h, payload (up to max) into
 * payload, reposts the buffer. 1 got one, 0 timed out.
 */
int fg_recv(struct fg *g, struct vsock_hdr *h, void *payload, size_t max, int timeout_ms);

/* Number of call eventfd signals seen on queue q since the last call. */
uint64_t fg_calls(struct fg *g, int q);

#endif
