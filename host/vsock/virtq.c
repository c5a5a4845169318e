/* Split virtqueue processing, device side: pop validated chains, push used entries, notify. */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>

#include "virtq.h"

/* Byte offsets inside the avail and used rings. */
#define AVAIL_FLAGS 0
#define AVAIL_IDX 2
#define AVAIL_RING 4
#define USED_IDX 2
#define USED_RING 4
#define VRING_AVAIL_F_NO_INTERRUPT 1

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static uint16_t load16(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE));
}

static void store16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELEASE);
}

static void store32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)p, htole32(v), __ATOMIC_RELAXED);
}

void virtq_init(struct virtq *vq)
{
	memset(vq, 0, sizeof(*vq));
	vq->kick_fd = -1;
	vq->call_fd = -1;
}

static bool overlap(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	return (uintptr_t)a < (uintptr_t)b + b_len && (uintptr_t)b < (uintptr_t)a + a_len;
}

/*
 * The three parts of a split ring are separate areas: a device writing the used ring must
 * not change the descriptors or the avail ring it reads, or each push could make new work
 * for the next pop.
 */
static bool parts_overlap(const struct virtq *vq)
{
	size_t n = vq->num, desc = 16 * n, avail = AVAIL_RING + 2 * n + 2;
	size_t used = USED_RING + 8 * n + 2;

	return overlap(vq->desc, desc, vq->avail, avail) ||
	       overlap(vq->desc, desc, vq->used, used) || overlap(vq->avail, avail, vq->used, used);
}

int virtq_map(struct virtq *vq, const struct vu_mem *mem)
{
	size_t n = vq->num;
	int err = 0;

	vq->desc = vq->avail = vq->used = NULL;
	if (!vq->addr_set || n == 0)
		return 0;
	vq->desc = vu_mem_uva(mem, vq->desc_uva, 16 * n);
	vq->avail = vu_mem_uva(mem, vq->avail_uva, AVAIL_RING + 2 * n + 2);
	vq->used = vu_mem_uva(mem, vq->used_uva, USED_RING + 8 * n + 2);
	if (!vq->desc || !vq->avail || !vq->used || (uintptr_t)vq->desc % 16 ||
	    (uintptr_t)vq->avail % 2 || (uintptr_t)vq->used % 4)
		err = -EFAULT;
	else if (parts_overlap(vq))
		err = -EINVAL;
	if (err)
		vq->desc = vq->avail = vq->used = NULL;
	return err;
}

void virtq_sync_used(struct virtq *vq)
{
	if (vq->used)
		vq->used_idx = load16(vq->used + USED_IDX);
	vq->signalled_valid = false;
	vq->dirty = false;
}

bool virtq_ready(const struct virtq *vq)
{
	return vq->num && vq->desc && vq->enabled && vq->started && !vq->broken;
}

static void set_avail_event(struct virtq *vq)
{
	if (vq->event_idx)
		store16(vq->used + USED_RING + 8 * (size_t)vq->num, vq->last_avail);
}

static void read_desc(const uint8_t *table, uint16_t i, struct desc *d)
{
	struct desc raw;

	memcpy(&raw, table + 16 * (size_t)i, sizeof(raw));
	d->addr = le64toh(raw.addr);
	d->len = le32toh(raw.len);
	d->flags = le16toh(raw.flags);
	d->next = le16toh(raw.next);
}

/*
 * Switches the walk to the indirect table d points to, after validating it. Whether the walk
 * is already inside an indirect table is known from the walk, never from where the table
 * lies: a table placed over the ring's own descriptor table is still an indirect one.
 */
static int enter_indirect(const struct virtq *vq, const struct vu_mem *mem, const struct desc *d,
			  unsigned int steps, bool nested, const uint8_t **table,
			  unsigned int *table_n, const char **why)
{
	if (!vq->indirect)
		*why = "indirect descriptor without VIRTIO_RING_F_INDIRECT_DESC";
	else if (nested)
		*why = "indirect table inside an indirect table";
	else if (steps != 1 || (d->flags & VIRTQ_DESC_F_NEXT))
		*why = "indirect descriptor that is not alone in its chain";
	else if (d->len == 0 || d->len % 16 || d->len / 16 > VIRTQ_MAX_SEGS)
		*why = "indirect table length not a non-zero multiple of 16 within bounds";
	else if (!(*table = vu_mem_gpa(mem, d->addr, d->len)))
		*why = "indirect table outside guest memory";
	else {
		*table_n = d->len / 16;
		return 0;
	}
	return -EBADMSG;
}

static int add_seg(struct virtq_chain *c, const struct vu_mem *mem, const struct desc *d,
		   const char **why)
{
	struct virtq_seg *s;

	if (c->nout + c->nin >= VIRTQ_MAX_SEGS) {
		*why = "chain has too many buffers";
		return -EBADMSG;
	}
	s = &c->seg[c->nout + c->nin];
	s->p = vu_mem_gpa(mem, d->addr, d->len);
	s->len = d->len;
	if (!s->p) {
		*why = "buffer outside guest memory";
		return -EBADMSG;
	}
	if (d->flags & VIRTQ_DESC_F_WRITE) {
		c->nin++;
		c->in_len += d->len;
	} else if (c->nin) {
		*why = "device-readable buffer after a writable one";
		return -EBADMSG;
	} else {
		c->nout++;
		c->out_len += d->len;
	}
	return 0;
}

/*
 * Walks the chain from c->head; each table is visited at most once per entry, and at most
 * one indirect table is entered: at most 1 + VIRTQ_MAX_SEGS descriptors in all.
 */
static int walk_chain(const struct virtq *vq, const struct vu_mem *mem, struct virtq_chain *c,
		      const char **why)
{
	const uint8_t *table = vq->desc;
	unsigned int table_n = vq->num, steps = 0;
	bool in_indirect = false;
	uint16_t i = c->head;
	struct desc d;
	int err;

	c->nout = c->nin = 0;
	c->out_len = c->in_len = 0;
	for (;;) {
		if (++steps > table_n) {
			*why = "descriptor chain loops or is longer than its table";
			return -EBADMSG;
		}
		read_desc(table, i, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			err = enter_indirect(vq, mem, &d, steps, in_indirect, &table, &table_n,
					     why);
			if (err < 0)
				return err;
			in_indirect = true;
			i = 0;
			steps = 0;
			continue;
		}
		err = add_seg(c, mem, &d, why);
		if (err < 0)
			return err;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d.next;
		if (i >= table_n) {
			*why = "next index outside the descriptor table";
			return -EBADMSG;
		}
	}
}

/* Number of new avail entries, or -EIO when the driver moved the index impossibly far. */
static int avail_pending(struct virtq *vq, const char **why)
{
	uint16_t n = (uint16_t)(load16(vq->avail + AVAIL_IDX) - vq->last_avail);

	if (n > vq->num) {
		vq->broken = true;
		*why = "avail index moved further than the queue size";
		return -EIO;
	}
	return n;
}

int virtq_pop(struct virtq *vq, const struct vu_mem *mem, struct virtq_chain *c, bool *head_ok,
	      const char **why)
{
	int n;

	*head_ok = false;
	if (!virtq_ready(vq))
		return 0;
	n = avail_pending(vq, why);
	if (n == 0 && vq->event_idx) {
		/* Ask for a kick, then look again: the driver may have added one meanwhile. */
		set_avail_event(vq);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		n = avail_pending(vq, why);
	}
	if (n <= 0)
		return n;
	c->head = load16(vq->avail + AVAIL_RING + 2 * (size_t)(vq->last_avail % vq->num));
	vq->last_avail++;
	set_avail_event(vq);
	if (c->head >= vq->num) {
		*why = "avail entry names a descriptor outside the table";
		return -EBADMSG;
	}
	*head_ok = true;
	n = walk_chain(vq, mem, c, why);
	return n < 0 ? n : 1;
}

void virtq_unpop(struct virtq *vq)
{
	vq->last_avail--;
	set_avail_event(vq);
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	uint8_t *e = vq->used + USED_RING + 8 * (size_t)(vq->used_idx % vq->num);

	store32(e, head);
	store32(e + 4, len);
	vq->used_idx++;
	store16(vq->used + USED_IDX, vq->used_idx);
	vq->dirty = true;
}

static bool need_notify(struct virtq *vq)
{
	uint16_t old = vq->signalled_used, now = vq->used_idx, event;
	bool valid = vq->signalled_valid;

	if (!vq->event_idx)
		return !(load16(vq->avail + AVAIL_FLAGS) & VRING_AVAIL_F_NO_INTERRUPT);
	vq->signalled_used = now;
	vq->signalled_valid = true;
	event = load16(vq->avail + AVAIL_RING + 2 * (size_t)vq->num);
	return !valid || (uint16_t)(now - event - 1) < (uint16_t)(now - old);
}

void virtq_notify(struct virtq *vq)
{
	if (!vq->dirty || !vq->avail)
		return;
	vq->dirty = false;
	/* Our used idx store must be visible before we read the driver's used_event. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (need_notify(vq) && vq->call_fd >= 0)
		eventfd_write(vq->call_fd, 1);
}

size_t virtq_chain_read(const struct virtq_chain *c, size_t off, void *dst, size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < c->nout && done < len; i++) {
		size_t n, seg = c->seg[i].len;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		n = seg - off < len - done ? seg - off : len - done;
		memcpy((uint8_t *)dst + done, c->seg[i].p + off, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t virtq_chain_write(const struct virtq_chain *c, size_t off, const void *src, size_t len)
{
	size_t done = 0;

	for (unsigned int i = c->nout; i < c->nout + c->nin && done < len; i++) {
		size_t n, seg = c->seg[i].len;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		n = seg - off < len - done ? seg - off : len - done;
		memcpy(c->seg[i].p + off, (const uint8_t *)src + done, n);
		done += n;
		off = 0;
	}
	return done;
}

int virtq_chain_iov(const struct virtq_chain *c, bool in, size_t off, size_t max, struct iovec *iov,
		    int niov)
{
	unsigned int first = in ? c->nout : 0, end = in ? c->nout + c->nin : c->nout;
	int k = 0;

	for (unsigned int i = first; i < end && k < niov && max; i++) {
		size_t n, seg = c->seg[i].len;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		n = seg - off < max ? seg - off : max;
		iov[k].iov_base = c->seg[i].p + off;
		iov[k].iov_len = n;
		k++;
		max -= n;
		off = 0;
	}
	return k;
}
