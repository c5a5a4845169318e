/*
 * The inputs of `ih-vm decode --jobs N`, handed out one at a time to the N workers (forked
 * processes): a worker that is free takes the next input no one has taken, so a worker given
 * slow images does not hold the batch up while the other waits idle (a fixed split of every
 * Nth input did: with JPEG and PNG alternating, one worker got every JPEG). One counter in a
 * shared anonymous page. Each worker, first thing after its fork, keeps that page out of
 * every process it starts itself (MADV_DONTFORK): no spawner, decoder child or QEMU of its
 * can read or move the counter.
 */
#ifndef IH_HOST_WORK_QUEUE_H
#define IH_HOST_WORK_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ih_work_queue {
	uint64_t *next; /* in the shared page: the next index to hand out */
	size_t n; /* indexes 0 .. n-1 */
};

/* A queue of n inputs, shared with processes forked after it: 0 or -errno. */
int ih_work_queue_open(struct ih_work_queue *q, size_t n);

/* In a worker, right after its fork: keeps the queue out of the worker's own children.
 * 0 or -errno (the worker must then not start any). */
int ih_work_queue_worker(const struct ih_work_queue *q);

/* The next input no one has taken (false: none left). */
bool ih_work_queue_take(const struct ih_work_queue *q, size_t *ret);

void ih_work_queue_close(struct ih_work_queue *q);

#endif
