/*
 * What the per-format decoders share (guest/decode/decoder.h): the memory budget, the
 * pixel destination, the reason text, and freeing an image.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "decoder.h"

/* Every budget block starts with its size, kept at max_align_t alignment; a huge block's
 * header also holds how far into its mapping it starts. */
#define BUDGET_HDR sizeof(max_align_t)

_Static_assert(BUDGET_HDR >= 2 * sizeof(size_t), "a huge block's header holds two sizes");

int ih_huge_map(size_t len, struct ih_huge *ret)
{
	void *m;

	if (len > SIZE_MAX - IH_HUGE_PAGE)
		return -ENOMEM;
	m = mmap(NULL, len + IH_HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		 0);
	if (m == MAP_FAILED)
		return -ENOMEM;
	ret->map = m;
	ret->map_len = len + IH_HUGE_PAGE;
	ret->p = (uint8_t *)(((uintptr_t)m + IH_HUGE_PAGE - 1) & ~(uintptr_t)(IH_HUGE_PAGE - 1));
	madvise(ret->p, len, MADV_HUGEPAGE); /* EINVAL without huge pages: ordinary ones */
	return 0;
}

void ih_huge_unmap(const struct ih_huge *h)
{
	munmap(h->map, h->map_len);
}

int ih_budget_charge(struct ih_budget *b, size_t n)
{
	if (b->used > b->max || n > b->max - b->used || BUDGET_HDR > b->max - b->used - n)
		return -ENOMEM;
	b->used += BUDGET_HDR + n;
	return 0;
}

/* A block of n bytes after its header: malloc'd, or on huge pages when that large. */
static unsigned char *block_get(size_t n)
{
	struct ih_huge h;
	size_t off;

	if (BUDGET_HDR + n < IH_HUGE_PAGE)
		return malloc(BUDGET_HDR + n);
	if (ih_huge_map(BUDGET_HDR + n, &h) < 0)
		return NULL;
	off = (size_t)(h.p - h.map);
	memcpy(h.p + sizeof(size_t), &off, sizeof(off));
	return h.p;
}

void *ih_budget_alloc(struct ih_budget *b, size_t n)
{
	unsigned char *p;

	if (ih_budget_charge(b, n) < 0)
		return NULL;
	p = block_get(n);
	if (!p) {
		b->used -= BUDGET_HDR + n;
		return NULL;
	}
	memcpy(p, &n, sizeof(n));
	return p + BUDGET_HDR;
}

void ih_budget_free(struct ih_budget *b, void *ptr)
{
	unsigned char *p = ptr;
	size_t n, off;

	if (!p)
		return;
	p -= BUDGET_HDR;
	memcpy(&n, p, sizeof(n));
	b->used -= BUDGET_HDR + n;
	if (BUDGET_HDR + n < IH_HUGE_PAGE) {
		free(p);
		return;
	}
	memcpy(&off, p + sizeof(size_t), sizeof(off));
	munmap(p - off, BUDGET_HDR + n + IH_HUGE_PAGE);
}

static void text_set(char *text, size_t size, const char *fmt, va_list ap)
{
	vsnprintf(text, size, fmt, ap);
	for (size_t i = 0; text[i]; i++)
		if ((unsigned char)text[i] < 0x20 || (unsigned char)text[i] > 0x7e)
			text[i] = '?';
}

void ih_reason_set(char reason[IH_REASON_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	text_set(reason, IH_REASON_MAX, fmt, ap);
	va_end(ap);
}

void ih_note_set(char note[IH_NOTE_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	text_set(note, IH_NOTE_MAX, fmt, ap);
	va_end(ap);
}

/*
 * A shared destination is mapped in this process but not faulted in (a forked child does not
 * inherit a shared mapping's page tables): one MADV_POPULATE_WRITE maps the pages the image
 * needs at once instead of one page fault per 4 KiB of pixels (a sandboxed 12 MP JPEG on
 * the host: 122-128 ms against 171-188 ms without it). Best effort: a kernel without it
 * (before 5.14) faults them in as they are written.
 */
uint8_t *ih_pixels_alloc(const struct ih_pixel_dest *dest, size_t len)
{
	size_t page;

	if (!dest)
		return malloc(len);
	if (len > dest->cap)
		return NULL;
	page = (size_t)sysconf(_SC_PAGESIZE);
	if (len)
		madvise(dest->buf, (len + page - 1) / page * page, MADV_POPULATE_WRITE);
	return dest->buf;
}

void ih_image_free(struct ih_image *img)
{
	if (img->owned)
		free(img->pixels);
	img->pixels = NULL;
	img->len = 0;
	free(img->exif);
	img->exif = NULL;
	img->exif_len = 0;
	free(img->icc);
	img->icc = NULL;
	img->icc_len = 0;
}

int ih_library_charge(const struct ih_limits *lim, struct ih_budget *b, const char *format,
		      uint64_t w, uint64_t h, char reason[IH_REASON_MAX])
{
	if (w == 0 || h == 0 || w * h > lim->max_pixels) {
		ih_reason_set(reason, "%llu x %llu pixels is over the limit of %llu",
			      (unsigned long long)w, (unsigned long long)h,
			      (unsigned long long)lim->max_pixels);
		return -E2BIG;
	}
	if (w * h * 16 > SIZE_MAX || ih_budget_charge(b, (size_t)(w * h * 16)) < 0) {
		ih_reason_set(reason, "%llu x %llu %s is over the memory limit",
			      (unsigned long long)w, (unsigned long long)h, format);
		return -ENOMEM;
	}
	return 0;
}
