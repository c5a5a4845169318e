/*
 * Format dispatch by magic bytes, the decoders' memory budget and reason text
 * (guest/decode.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "decode.h"

static const uint8_t png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
static const uint8_t jpeg_magic[3] = { 0xff, 0xd8, 0xff };

/* Every budget block starts with its size, kept at max_align_t alignment. */
#define BUDGET_HDR sizeof(max_align_t)

int ih_budget_charge(struct ih_budget *b, size_t n)
{
	if (b->used > b->max || n > b->max - b->used || BUDGET_HDR > b->max - b->used - n)
		return -ENOMEM;
	b->used += BUDGET_HDR + n;
	return 0;
}

void *ih_budget_alloc(struct ih_budget *b, size_t n)
{
	unsigned char *p;

	if (ih_budget_charge(b, n) < 0)
		return NULL;
	p = malloc(BUDGET_HDR + n);
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
	size_t n;

	if (!p)
		return;
	p -= BUDGET_HDR;
	memcpy(&n, p, sizeof(n));
	b->used -= BUDGET_HDR + n;
	free(p);
}

void ih_reason_set(char reason[IH_REASON_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, IH_REASON_MAX, fmt, ap);
	va_end(ap);
	for (size_t i = 0; reason[i]; i++)
		if ((unsigned char)reason[i] < 0x20 || (unsigned char)reason[i] > 0x7e)
			reason[i] = '?';
}

const char *ih_decode_format(const uint8_t *in, size_t len)
{
	if (len >= sizeof(png_magic) && !memcmp(in, png_magic, sizeof(png_magic)))
		return "png";
	if (len >= sizeof(jpeg_magic) && !memcmp(in, jpeg_magic, sizeof(jpeg_magic)))
		return "jpeg";
	return NULL;
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

int ih_decode(const struct ih_limits *lim, const uint8_t *in, size_t len, struct ih_image *ret,
	      char reason[IH_REASON_MAX])
{
	return ih_decode_into(lim, in, len, NULL, ret, reason);
}

int ih_decode_into(const struct ih_limits *lim, const uint8_t *in, size_t len,
		   const struct ih_pixel_dest *dest, struct ih_image *ret,
		   char reason[IH_REASON_MAX])
{
	const char *format;

	reason[0] = '\0';
	if (len == 0) {
		ih_reason_set(reason, "empty input");
		return -EINVAL;
	}
	if (len > lim->max_input_bytes) {
		ih_reason_set(reason, "input of %zu bytes is over the limit of %llu", len,
			      (unsigned long long)lim->max_input_bytes);
		return -E2BIG;
	}
	format = ih_decode_format(in, len);
	if (!format) {
		ih_reason_set(reason, "unknown format (not PNG or JPEG by its magic bytes)");
		return -EINVAL;
	}
	if (!strcmp(format, "png"))
		return ih_decode_png(lim, in, len, dest, ret, reason);
	return ih_decode_jpeg(lim, in, len, dest, ret, reason);
}

void ih_image_free(struct ih_image *img)
{
	if (img->owned)
		free(img->pixels);
	img->pixels = NULL;
	img->len = 0;
}
