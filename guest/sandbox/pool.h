/*
 * Shared memory for pre-spawned children (guest/sandbox/isolate.c): memfds that the caller
 * keeps mapped between children, so that its own page tables stay filled, and that are
 * cleaned before another child sees them. One pool holds the pixels children write; another
 * the images they read, sealed so that no mapping made after the caller's can write them.
 *
 * The pixel pool asks for 2 MiB huge pages (hugetlbfs) when the system has them reserved
 * (vm.nr_hugepages): a process's first access to a 4 KiB page of shared memory is costly on
 * hosts with shadow page tables, and a new child makes that first access to every page it
 * writes; with huge pages it makes one per 2 MiB. A huge buffer reserves every page of it
 * when made (no child can fault on a page the system ran out of); a buffer that cannot get
 * them is made of ordinary pages. Shared memory gets no transparent huge pages by default.
 */
#ifndef IH_GUEST_POOL_H
#define IH_GUEST_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ih_pool_buf {
	int fd; /* the memfd; -1: an empty slot */
	uint8_t *buf; /* our mapping, MADV_DONTFORK: no fork of ours inherits it */
	size_t cap;
	size_t dirty; /* bytes from the start that may hold the last image's data */
	size_t page; /* IH_POOL_HUGE_PAGE (hugetlbfs, every page reserved) or the base page */
	bool busy; /* a child's, or a caller's */
};

struct ih_pool {
	struct ih_pool_buf *bufs; /* grows while callers hold many buffers */
	int n;
	bool sealed; /* F_SEAL_FUTURE_WRITE: children map it read-only, for good */
	bool huge; /* try huge pages (unsealed pools, caps a multiple of IH_POOL_HUGE_PAGE) */
};

#define IH_POOL_HUGE_PAGE ((size_t)2 << 20)

/* A clean (all zero) buffer of cap bytes, now busy: its index, or -errno. Idle buffers of
 * another size are unmapped. */
int ih_pool_get(struct ih_pool *p, size_t cap);

/* Buffer i is free again: kept clean-able for the next child, or unmapped if enough are
 * idle or keep is false. */
void ih_pool_release(struct ih_pool *p, int i, bool keep);

/* After buffer i's child ended: everything past its first keep bytes (rounded up to its page)
 * is freed (zero again; a huge buffer reserves those pages again); only those bytes are
 * cleaned at the next ih_pool_get. 0, or -errno when the memory could not be freed or
 * reserved again (the buffer is then unmapped: no child gets it again). */
int ih_pool_trim(struct ih_pool *p, int i, size_t keep);

/* The busy buffer whose mapping starts at buf, or -1. */
int ih_pool_find(const struct ih_pool *p, const uint8_t *buf);

/* Unmaps every idle buffer. */
void ih_pool_drop_idle(struct ih_pool *p);

#endif
