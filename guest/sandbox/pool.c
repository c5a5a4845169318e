/* Shared memory kept mapped between children (guest/sandbox/pool.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/memfd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pool.h"

#define POOL_IDLE_MAX 2 /* clean buffers kept for the next children; more are unmapped */

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

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

/* Our mapping of [off, off + len) of fd, at `at` (replacing what is there) or where the
 * kernel picks: writable, not inherited by our forks. A huge one reserves its pages (no
 * MAP_NORESERVE). NULL with errno on failure. */
static uint8_t *buf_map(uint8_t *at, int fd, size_t off, size_t len, bool huge)
{
	void *m = mmap(at, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | (at ? MAP_FIXED : 0) | (huge ? 0 : MAP_NORESERVE), fd,
		       (off_t)off);
	int e;

	if (m == MAP_FAILED)
		return NULL;
	if (madvise(m, len, MADV_DONTFORK) == 0)
		return m;
	e = errno;
	munmap(m, len);
	errno = e;
	return NULL;
}

static int buf_make_page(struct ih_pool_buf *b, size_t cap, bool sealed, bool huge)
{
	unsigned int flags = MFD_CLOEXEC | (sealed ? MFD_ALLOW_SEALING : 0) |
			     (huge ? MFD_HUGETLB | MFD_HUGE_2MB : 0);
	int fd = memfd_create("ih-shared", flags);
	uint8_t *m = NULL;
	int e;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)cap) == 0)
		m = buf_map(NULL, fd, 0, cap, huge);
	if (m && (!sealed || seal(fd) == 0)) {
		*b = (struct ih_pool_buf){ .fd = fd,
					   .buf = m,
					   .cap = cap,
					   .busy = true,
					   .page = huge ? IH_POOL_HUGE_PAGE : page_size() };
		return 0;
	}
	e = errno;
	if (m)
		munmap(m, cap);
	close(fd);
	return -e;
}

/* Huge pages when the pool asks and the system has enough of them free, else base pages. */
static int buf_make(struct ih_pool_buf *b, size_t cap, const struct ih_pool *p)
{
	if (p->huge && !p->sealed && cap % IH_POOL_HUGE_PAGE == 0 &&
	    buf_make_page(b, cap, false, true) == 0)
		return 0;
	return buf_make_page(b, cap, p->sealed, false);
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
	r = buf_make(&p->bufs[empty], cap, p);
	return r < 0 ? r : empty;
}

int ih_pool_trim(struct ih_pool *p, int i, size_t keep)
{
	struct ih_pool_buf *b = &p->bufs[i];
	size_t from = (keep + b->page - 1) / b->page * b->page;
	int r = 0;

	if (from < b->cap) {
		/* The hole takes the pages and, on hugetlbfs, their reservation: mapping the
		 * range again reserves them again. */
		if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)from,
			      (off_t)(b->cap - from)) < 0)
			r = -errno;
		else if (b->page == IH_POOL_HUGE_PAGE &&
			 !buf_map(b->buf + from, b->fd, from, b->cap - from, true))
			r = -errno;
	}
	if (r < 0) {
		buf_drop(b);
		return r;
	}
	b->dirty = from;
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
