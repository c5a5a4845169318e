/* Guest memory map for the vhost-user backend: mapping, re-mapping and bounded lookups. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "vu_mem.h"

/* True when [addr, addr + len) lies inside [start, start + size); no sum can overflow. */
static int range_inside(uint64_t addr, uint64_t len, uint64_t start, uint64_t size)
{
	if (addr < start)
		return 0;
	if (addr - start > size)
		return 0;
	return len <= size - (addr - start);
}

static void region_unmap(struct vu_region *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	memset(r, 0, sizeof(*r));
}

static int region_map(struct vu_region *r, const struct vu_mem_desc *d, int fd)
{
	struct stat st;
	uint64_t total;
	void *p;

	if (d->memory_size == 0 || fd < 0)
		return -EINVAL;
	if (d->mmap_offset > UINT64_MAX - d->memory_size)
		return -EOVERFLOW;
	total = d->mmap_offset + d->memory_size;
	if (total > SIZE_MAX || d->guest_phys_addr > UINT64_MAX - d->memory_size ||
	    d->userspace_addr > UINT64_MAX - d->memory_size)
		return -EOVERFLOW;
	/* A mapping past the end of the file would fault on first touch. */
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < total)
		return -EINVAL;
	p = mmap(NULL, (size_t)total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	r->gpa = d->guest_phys_addr;
	r->uva = d->userspace_addr;
	r->size = d->memory_size;
	r->map = p;
	r->map_len = (size_t)total;
	r->host = (uint8_t *)p + d->mmap_offset;
	return 0;
}

int vu_mem_set(struct vu_mem *m, const struct vu_mem_desc *desc, unsigned int n, const int *fds)
{
	struct vu_mem next = { 0 };
	int err;

	if (n == 0 || n > VU_MEM_MAX_REGIONS)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		err = region_map(&next.r[i], &desc[i], fds[i]);
		if (err < 0) {
			next.nregions = i;
			vu_mem_clear(&next);
			return err;
		}
	}
	next.nregions = n;
	vu_mem_clear(m);
	*m = next;
	return 0;
}

int vu_mem_set_static(struct vu_mem *m, uint64_t gpa, uint64_t uva, void *host, uint64_t size)
{
	if (!host || size == 0 || gpa > UINT64_MAX - size || uva > UINT64_MAX - size)
		return -EINVAL;
	vu_mem_clear(m);
	m->r[0] = (struct vu_region){ .gpa = gpa, .uva = uva, .size = size, .host = host };
	m->nregions = 1;
	return 0;
}

void vu_mem_clear(struct vu_mem *m)
{
	for (unsigned int i = 0; i < m->nregions && i < VU_MEM_MAX_REGIONS; i++)
		region_unmap(&m->r[i]);
	m->nregions = 0;
}

void *vu_mem_gpa(const struct vu_mem *m, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < m->nregions; i++) {
		const struct vu_region *r = &m->r[i];

		if (range_inside(gpa, len, r->gpa, r->size))
			return r->host + (gpa - r->gpa);
	}
	return NULL;
}

void *vu_mem_uva(const struct vu_mem *m, uint64_t uva, uint64_t len)
{
	for (unsigned int i = 0; i < m->nregions; i++) {
		const struct vu_region *r = &m->r[i];

		if (range_inside(uva, len, r->uva, r->size))
			return r->host + (uva - r->uva);
	}
	return NULL;
}
