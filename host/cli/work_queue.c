/* Inputs handed out to the workers of `decode --jobs N` (host/cli/work_queue.h). */
#include "work_queue.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t queue_page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

int ih_work_queue_open(struct ih_work_queue *q, size_t n)
{
	void *p =
		mmap(NULL, queue_page(), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	q->next = p;
	q->n = n;
	__atomic_store_n(q->next, 0, __ATOMIC_RELAXED);
	return 0;
}

int ih_work_queue_worker(const struct ih_work_queue *q)
{
	return madvise(q->next, queue_page(), MADV_DONTFORK) < 0 ? -errno : 0;
}

bool ih_work_queue_take(const struct ih_work_queue *q, size_t *ret)
{
	uint64_t i;

	if (__atomic_load_n(q->next, __ATOMIC_RELAXED) >= q->n)
		return false; /* keeps the counter from growing once everything is taken */
	i = __atomic_fetch_add(q->next, 1, __ATOMIC_RELAXED);
	if (i >= q->n)
		return false;
	*ret = (size_t)i;
	return true;
}

void ih_work_queue_close(struct ih_work_queue *q)
{
	if (q->next)
		munmap(q->next, queue_page());
	q->next = NULL;
}
