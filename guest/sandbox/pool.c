/* Shared memory kept mapped between children (guest/sandbox/pool.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pool.h"

#define POOL_IDLE_MAX 2 /* clean buffers kept for the next children; more are unmapped */

static void buf_drop(struct ih_pool_buf *b)
{
	munmap(b->buf, b->cap);
	close(b->fd);
	*b = (struct ih_pool_buf){ .fd = -1 };
}

/* No mapping made from now on may write the memfd, nor may its size change; ours, made
 * before, still writes. */
static int seal(int fd)
{
	return fcntl(fd, F_ADD_SEALS,
		     F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
}

static int buf_make(struct ih_pool_buf *b, size_t cap, bool sealed)
{
	int fd = memfd_create("ih-shared", MFD_CLOEXEC | (sealed ? MFD_ALLOW_SEALING : 0));
	void *m = MAP_FAILED;
	int e;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)cap) == 0)
		m = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (m != MAP_FAILED && madvise(m, cap, MADV_DONTFORK) == 0 && (!sealed || seal(fd) == 0)) {
		*b = (struct ih_pool_buf){ .fd = fd, .buf = m, .cap = cap, .busy = true };
		return 0;
	}
	e = errno;
	if (m != MAP_FAILED)
		munmap(m, cap);
	close(fd);
	return -e;
}

static int idle_count(const struct ih_pool *p)
{
	int idle = 0;

	for (int k = 0; k < p->n; k++)
		idle += p->bufs[k].fd >= 0 && !p->bufs[k].busy;
	return idle;
}

void ih_pool_release(struct ih_pool *p, int i, bool keep)
{
	p->bufs[i].busy = false;
	if (!keep || idle_count(p) > POOL_IDLE_MAX)
		buf_drop(&p->bufs[i]);
}

static int grow(struct ih_pool *p)
{
	struct ih_pool_buf *b = realloc(p->bufs, (size_t)(p->n + 1) * sizeof(*b));

	if (!b)
		return -ENOMEM;
	p->bufs = b;
	p->bufs[p->n] = (struct ih_pool_buf){ .fd = -1 };
	return p->n++;
}

int ih_pool_get(struct ih_pool *p, size_t cap)
{
	int empty = -1, r;

	for (int i = 0; i < p->n; i++) {
		struct ih_pool_buf *b = &p->bufs[i];

		if (b->fd >= 0 && !b->busy && b->cap == cap) {
			memset(b->buf, 0, b->dirty);
			b->dirty = 0;
			b->busy = true;
			return i;
		}
		if (b->fd >= 0 && !b->busy && empty < 0)
			buf_drop(b); /* made for other limits */
		if (b->fd < 0 && empty < 0)
			empty = i;
	}
	if (empty < 0)
		empty = grow(p);
	if (empty < 0)
		return empty;
	r = buf_make(&p->bufs[empty], cap, p->sealed);
	return r < 0 ? r : empty;
}

int ih_pool_trim(struct ih_pool *p, int i, size_t keep)
{
	struct ih_pool_buf *b = &p->bufs[i];

	if (keep < b->cap && madvise(b->buf + keep, b->cap - keep, MADV_REMOVE) < 0) {
		int e = errno;

		buf_drop(b);
		return -e;
	}
	b->dirty = keep;
	return 0;
}

int ih_pool_find(const struct ih_pool *p, const uint8_t *buf)
{
	for (int i = 0; i < p->n; i++)
		if (p->bufs[i].fd >= 0 && p->bufs[i].busy && p->bufs[i].buf == buf)
			return i;
	return -1;
}

void ih_pool_drop_idle(struct ih_pool *p)
{
	for (int i = 0; i < p->n; i++)
		if (p->bufs[i].fd >= 0 && !p->bufs[i].busy)
			buf_drop(&p->bufs[i]);
}
