/*
 * The shared memory of pre-spawned children (guest/sandbox/pool.h): an input buffer is sealed
 * so that another process mapping its memfd gets it read-only for good (a writable mapping
 * and an mprotect to writable both fail), while the caller's own mapping still writes; an
 * unsealed buffer, the control, lets both through. A buffer handed out again is all zero,
 * whatever the last image left in it.
 *
 * On 2 MiB huge pages (reserved here for the test, as root; put back after): a pixel buffer
 * gets them; after a child wrote all of it, the trim leaves everything past the kept page
 * zero and every page of the buffer reserved again (a later child cannot fault on a page the
 * system ran out of); a buffer handed out again is all zero; with no huge page free, the
 * pool falls back to 4 KiB pages.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../hugepages.h"
#include "../tap.h"
#include "guest/sandbox/pool.h"

#define CAP (1u << 20)
#define HUGE_CAP (4 * IH_POOL_HUGE_PAGE)

/* In a child, as a spare maps its input: 0 when neither a writable mapping nor an mprotect
 * to writable of a read-only mapping works, 1 when one of them does. */
static int child_can_write(int fd)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		void *w = mmap(NULL, CAP, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		uint8_t *r = mmap(NULL, CAP, PROT_READ, MAP_SHARED, fd, 0);

		if (r == MAP_FAILED)
			_exit(2);
		if (w != MAP_FAILED || mprotect(r, CAP, PROT_READ | PROT_WRITE) == 0)
			_exit(1);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void check_sealing(bool sealed, const char *what)
{
	struct ih_pool p = { .sealed = sealed };
	int i = ih_pool_get(&p, CAP), can;

	if (!tap_ok(i >= 0, "%s: a buffer of %u bytes (%d)", what, CAP, i))
		return;
	memset(p.bufs[i].buf, 0xa5, 4096); /* ours writes, sealed or not */
	can = child_can_write(p.bufs[i].fd);
	if (sealed)
		tap_ok(can == 0, "%s: another process maps it read-only only (child said %d)", what,
		       can);
	else
		tap_ok(can == 1, "control, %s: another process can map it writable (child said %d)",
		       what, can);
	ih_pool_release(&p, i, false);
	free(p.bufs);
}

static void check_clean(void)
{
	struct ih_pool p = { .sealed = true };
	int i = ih_pool_get(&p, CAP), j;
	size_t nonzero = 0;

	if (i < 0)
		return;
	memset(p.bufs[i].buf, 0x5a, 3 * 4096 + 7);
	p.bufs[i].dirty = 3 * 4096 + 7;
	ih_pool_release(&p, i, true);
	j = ih_pool_get(&p, CAP);
	for (size_t k = 0; j >= 0 && k < CAP; k++)
		nonzero += p.bufs[j].buf[k] != 0;
	tap_ok(j == i && nonzero == 0,
	       "the buffer handed out again is the same one, all zero (%zu bytes were not)",
	       nonzero);
	if (j >= 0)
		ih_pool_release(&p, j, false);
	free(p.bufs);
}

static long meminfo(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[128];
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key), NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/* Huge pages free and not reserved: what a new mapping could still get. */
static long huge_available(void)
{
	return meminfo("HugePages_Free:") - meminfo("HugePages_Rsvd:");
}

/* In a child, as a spare writes its pixels: 0 when all of the buffer took the writes. */
static int child_fills(int fd, size_t cap)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		uint8_t *w = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (w == MAP_FAILED)
			_exit(2);
		memset(w, 0x77, cap);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static size_t count_nonzero(const uint8_t *p, size_t from, size_t to)
{
	size_t n = 0;

	for (size_t k = from; k < to; k++)
		n += p[k] != 0;
	return n;
}

static void check_huge_trim(void)
{
	struct ih_pool p = { .huge = true };
	int i = ih_pool_get(&p, HUGE_CAP), j, r;
	long avail;

	if (!tap_ok(i >= 0 && p.bufs[i].page == IH_POOL_HUGE_PAGE,
		    "pixel memory is on 2 MiB pages when they are reserved (page %zu)",
		    i >= 0 ? p.bufs[i].page : 0))
		return;
	avail = huge_available(); /* before reading: a read allocates the pages it reaches */
	tap_ok(child_fills(p.bufs[i].fd, HUGE_CAP) == 0, "a child writes all of it");
	r = ih_pool_trim(&p, i, 4096);
	if (!tap_ok(r == 0 && p.bufs[i].dirty == IH_POOL_HUGE_PAGE,
		    "the trim keeps the first huge page (%d, dirty %zu)", r, p.bufs[i].dirty))
		return;
	tap_ok(huge_available() == avail,
	       "every page of the buffer is reserved again after the trim (%ld available, %ld "
	       "before the child)",
	       huge_available(), avail);
	tap_ok(count_nonzero(p.bufs[i].buf, IH_POOL_HUGE_PAGE, HUGE_CAP) == 0,
	       "past the kept page the memory is zero again");
	ih_pool_release(&p, i, true);
	j = ih_pool_get(&p, HUGE_CAP);
	tap_ok(j == i && count_nonzero(p.bufs[j].buf, 0, HUGE_CAP) == 0,
	       "the huge buffer handed out again is the same one, all zero");
	if (j >= 0)
		ih_pool_release(&p, j, false);
	free(p.bufs);
}

static void check_huge_fallback(void)
{
	struct ih_pool p = { .huge = true };
	int i = ih_pool_get(&p, HUGE_CAP);

	tap_ok(i >= 0 && p.bufs[i].page == (size_t)sysconf(_SC_PAGESIZE),
	       "with no huge page free, pixel memory falls back to base pages (page %zu)",
	       i >= 0 ? p.bufs[i].page : 0);
	if (i >= 0)
		ih_pool_release(&p, i, false);
	free(p.bufs);
}

static void check_huge(void)
{
	long had = meminfo("HugePages_Total:");
	long busy = had - huge_available();

	if (had < 0 || !hugepages_set(busy + 8)) {
		tap_skip(
			"huge pages: cannot reserve them (needs root and a kernel with hugetlbfs)");
		hugepages_set(had);
		return;
	}
	check_huge_trim();
	if (hugepages_set(busy))
		check_huge_fallback();
	hugepages_set(had);
}

int main(void)
{
	check_sealing(true, "input memory, sealed");
	check_sealing(false, "pixel memory, unsealed");
	check_clean();
	check_huge();
	return tap_done();
}
