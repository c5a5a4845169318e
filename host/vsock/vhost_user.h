/*
 * vhost-user message layer for a vsock device: reads one request from QEMU (the master),
 * checks its size and fds, applies it to the device state (features, guest memory, rings)
 * and answers the requests that need a reply. Data-path work is left to the caller.
 */
#ifndef IH_HOST_VHOST_USER_H
#define IH_HOST_VHOST_USER_H

#include <stdbool.h>
#include <stdint.h>

#include "virtq.h"
#include "vu_mem.h"

#define VU_NUM_QUEUES 2 /* rx (0) and tx (1); the event queue stays in QEMU */
#define VU_RX 0
#define VU_TX 1

/* What a request changed, for the caller to act on (vu_dev.events). */
#define VU_EV_RINGS 1u /* a ring started, stopped or got new fds: re-arm kicks, process */
#define VU_EV_RESET 2u /* the device was reset: drop every connection */

struct vu_dev {
	int sock; /* our end of QEMU's chardev, -1 once closed */
	uint64_t guest_cid;
	uint64_t features; /* acked by SET_FEATURES */
	uint64_t protocol_features;
	unsigned int events;
	bool broken; /* rings refused at setup: no ring is processed until a reset */
	struct vu_mem mem;
	struct virtq vq[VU_NUM_QUEUES];
};

/* Sets d up for a master on sock (d does not own sock until then; vu_dev_close closes it). */
void vu_dev_init(struct vu_dev *d, int sock, uint64_t guest_cid);

/*
 * Reads and handles one message. 0 on success; -EPIPE when QEMU closed the socket;
 * -EPROTO (or another -errno) when the message is malformed or cannot be applied, after
 * which the caller should log and close the device.
 */
int vu_dev_handle(struct vu_dev *d);

/* Closes the socket and every fd, unmaps guest memory, resets the rings. */
void vu_dev_close(struct vu_dev *d);

/* Name of a request for log lines. */
const char *vu_request_name(uint32_t request);

#endif
