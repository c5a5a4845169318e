/*
 * Device side of a split virtqueue (virtio 1.x, little-endian) living in guest memory.
 * The driver is hostile: every index is bounded, every chain is walked at most once per
 * descriptor of its table, every buffer is checked against the guest memory map, and
 * each descriptor is copied before it is looked at, so the guest cannot change it between
 * the check and the use.
 */
#ifndef IH_HOST_VIRTQ_H
#define IH_HOST_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vu_mem.h"

#define VIRTQ_MAX_NUM 1024 /* largest queue size we accept */
#define VIRTQ_MAX_SEGS 1024 /* buffers in one chain, indirect ones included */

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4

struct virtq_seg {
	uint8_t *p;
	uint32_t len;
};

/* One popped chain: the nout device-readable buffers come first, then nin writable ones. */
struct virtq_chain {
	uint16_t head;
	unsigned int nout, nin;
	uint64_t out_len, in_len;
	struct virtq_seg seg[VIRTQ_MAX_SEGS];
};

struct virtq {
	uint16_t num; /* 0 until SET_VRING_NUM */
	uint16_t last_avail; /* next avail entry we will take */
	uint16_t used_idx; /* our copy of used->idx */
	uint16_t signalled_used;
	bool signalled_valid;
	bool dirty; /* pushed since the last notify */
	bool enabled; /* SET_VRING_ENABLE */
	bool started; /* kick fd received, not stopped by GET_VRING_BASE */
	bool addr_set;
	bool broken; /* the driver corrupted the ring; no more processing */
	bool event_idx, indirect; /* negotiated features */
	uint64_t desc_uva, avail_uva, used_uva;
	uint8_t *desc, *avail, *used; /* host pointers, valid while addr_set and mapped */
	int kick_fd, call_fd;
};

/* Puts vq in its initial state (no fds, nothing mapped). */
void virtq_init(struct virtq *vq);

/* Looks the ring addresses up in mem again (after SET_VRING_ADDR or SET_MEM_TABLE).
 * -EFAULT when a ring is not wholly inside guest memory or misaligned; -EINVAL when the
 * descriptor table, avail ring and used ring overlap one another. */
int virtq_map(struct virtq *vq, const struct vu_mem *mem);

/* Reads used->idx into our copy: where processing resumes after (re)start. */
void virtq_sync_used(struct virtq *vq);

bool virtq_ready(const struct virtq *vq);

/*
 * Takes the next available chain. 1: *c holds it. 0: the ring is empty (with EVENT_IDX
 * the driver has been asked to kick for the next one). -EBADMSG: the chain is malformed;
 * its head was consumed and *c->head is valid when *head_ok, so the caller can return it
 * with length 0. -EIO: the ring itself is corrupt; vq->broken is set. *why says what.
 */
int virtq_pop(struct virtq *vq, const struct vu_mem *mem, struct virtq_chain *c, bool *head_ok,
	      const char **why);

/* Gives back the chain just popped and not pushed (nothing could be put in it). */
void virtq_unpop(struct virtq *vq);

/* Returns chain head to the driver with len bytes written into it. */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t len);

/* Signals the call eventfd if the driver asked for it since the last pushes. */
void virtq_notify(struct virtq *vq);

/* Copies up to len bytes from the readable part of c, starting at byte off. */
size_t virtq_chain_read(const struct virtq_chain *c, size_t off, void *dst, size_t len);

/* Copies up to len bytes into the writable part of c, starting at byte off. */
size_t virtq_chain_write(const struct virtq_chain *c, size_t off, const void *src, size_t len);

/*
 * Describes at most max bytes of the readable (in == false) or writable part of c from byte
 * off as at most niov iovecs. Returns the number of iovecs used.
 */
int virtq_chain_iov(const struct virtq_chain *c, bool in, size_t off, size_t max, struct iovec *iov,
		    int niov);

#endif
