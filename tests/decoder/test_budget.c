/*
 * The decoders' memory budget (guest/decode/decoder.h): a block of 2 MiB or more (a GIF
 * canvas, a TIFF strip buffer, libjxl's planes) is on transparent huge pages where the
 * kernel offers them, so a fresh decoder child touching it faults once per 2 MiB instead of
 * once per 4 KiB; the control, the same size mapped without advice, gets none. Every block
 * keeps its bytes, is given back to the budget when freed (a huge one is unmapped), and the
 * budget still refuses what would go over its maximum.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../tap.h"
#include "guest/decode/decoder.h"

#define BIG (16u << 20)
#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"

/* The kernel's transparent huge page mode: "always", "madvise", "never", or "" (none). */
static void thp_mode(char *ret, size_t size)
{
	char line[128] = "";
	FILE *f = fopen(THP_ENABLED, "re");
	char *a, *b;

	ret[0] = '\0';
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	a = strchr(line, '[');
	b = a ? strchr(a, ']') : NULL;
	if (a && b && (size_t)(b - a) < size)
		snprintf(ret, size, "%.*s", (int)(b - a - 1), a + 1);
}

/* Bytes of the mapping holding p that are on anonymous huge pages, or -1 when not found. */
static long huge_bytes(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[256];
	bool in = false;
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

static bool mapped(const void *p)
{
	unsigned char v;
	void *page = (void *)((uintptr_t)p & ~(uintptr_t)(sysconf(_SC_PAGESIZE) - 1));

	return mincore(page, 1, &v) == 0 || errno != ENOMEM;
}

static void test_huge_block(const char *mode)
{
	struct ih_budget b = { .max = 64u << 20 };
	uint8_t *p = ih_budget_alloc(&b, BIG), *plain;
	long got, control;
	bool ok = true;

	if (!tap_ok(p != NULL, "a %u MiB block is given within a 64 MiB budget", BIG >> 20))
		return;
	memset(p, 0x5a, BIG);
	for (size_t i = 0; i < BIG && ok; i += 4096)
		ok = p[i] == 0x5a && p[i + 4095] == 0x5a;
	tap_ok(ok, "the block holds all %u MiB written to it", BIG >> 20);
	got = huge_bytes(p);
	plain = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (plain != MAP_FAILED)
		memset(plain, 0x5a, BIG);
	control = plain != MAP_FAILED ? huge_bytes(plain) : -1;
	if (strcmp(mode, "madvise") && strcmp(mode, "always")) {
		tap_skip("the kernel offers no transparent huge pages (mode '%s')", mode);
		tap_skip("control: needs the 'madvise' mode");
	} else {
		tap_ok(got >= BIG / 2, "the block is on huge pages: %ld of %u bytes", got, BIG);
		if (strcmp(mode, "madvise") == 0)
			tap_ok(control == 0,
			       "control: the same size mapped without advice gets none (%ld bytes)",
			       control);
		else
			tap_skip("control: the 'always' mode gives every mapping huge pages");
	}
	if (plain != MAP_FAILED)
		munmap(plain, BIG);
	ih_budget_free(&b, p);
	tap_ok(b.used == 0, "freeing it gives everything back to the budget (%zu used)", b.used);
	tap_ok(!mapped(p), "a freed huge block is unmapped");
}

static void test_small_and_limits(void)
{
	struct ih_budget b = { .max = 4u << 20 };
	uint8_t *small = ih_budget_alloc(&b, 1000), *over;
	uint8_t *edge;

	tap_ok(small != NULL, "a small block is given");
	if (small)
		memset(small, 1, 1000);
	over = ih_budget_alloc(&b, 4u << 20);
	tap_ok(over == NULL, "a block that would take the budget over its maximum is refused");
	ih_budget_free(&b, over);
	edge = ih_budget_alloc(&b, IH_HUGE_PAGE - sizeof(max_align_t));
	tap_ok(edge != NULL && ((uintptr_t)edge & 15) == 0,
	       "a block whose header makes it exactly 2 MiB is given, 16-byte aligned");
	if (edge)
		memset(edge, 2, IH_HUGE_PAGE - sizeof(max_align_t));
	ih_budget_free(&b, edge);
	ih_budget_free(&b, small);
	tap_ok(b.used == 0, "small and edge blocks freed: nothing left used (%zu)", b.used);
}

int main(void)
{
	char mode[32];

	thp_mode(mode, sizeof(mode));
	test_huge_block(mode);
	test_small_and_limits();
	return tap_done();
}
