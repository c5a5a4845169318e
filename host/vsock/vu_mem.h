/*
 * Guest memory as QEMU describes it in VHOST_USER_SET_MEM_TABLE: up to VU_MEM_MAX_REGIONS
 * shared mappings, each known by its guest-physical and QEMU-virtual start. Every lookup
 * checks that [addr, addr + len) lies wholly inside one region, without integer overflow.
 */
#ifndef IH_HOST_VU_MEM_H
#define IH_HOST_VU_MEM_H

#include <stddef.h>
#include <stdint.h>

#define VU_MEM_MAX_REGIONS 8

/* One region as the vhost-user message carries it. */
struct vu_mem_desc {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
};

struct vu_region {
	uint64_t gpa;
	uint64_t uva;
	uint64_t size;
	uint8_t *host; /* first byte of the region in our address space */
	void *map; /* what to munmap, NULL when not ours (vu_mem_set_static) */
	size_t map_len;
};

struct vu_mem {
	unsigned int nregions;
	struct vu_region r[VU_MEM_MAX_REGIONS];
};

/*
 * Maps n regions, fds[i] backing desc[i]. On success the previous table is unmapped and
 * replaced; on failure it is left as it was. The fds are not closed. 0 or -errno.
 */
int vu_mem_set(struct vu_mem *m, const struct vu_mem_desc *desc, unsigned int n, const int *fds);

/* Installs one region that already lives in our memory (tests and the fuzzer). */
int vu_mem_set_static(struct vu_mem *m, uint64_t gpa, uint64_t uva, void *host, uint64_t size);

/* Unmaps everything. */
void vu_mem_clear(struct vu_mem *m);

/* Host pointer for guest-physical [gpa, gpa + len), or NULL when not inside one region. */
void *vu_mem_gpa(const struct vu_mem *m, uint64_t gpa, uint64_t len);

/* Host pointer for QEMU-virtual [uva, uva + len) (ring addresses), or NULL. */
void *vu_mem_uva(const struct vu_mem *m, uint64_t uva, uint64_t len);

#endif
