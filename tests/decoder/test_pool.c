/*
 * The shared memory of pre-spawned children (guest/sandbox/pool.h): an input buffer is sealed
 * so that another process mapping its memfd gets it read-only for good (a writable mapping
 * and an mprotect to writable both fail), while the caller's own mapping still writes; an
 * unsealed buffer, the control, lets both through. A buffer handed out again is all zero,
 * whatever the last image left in it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "guest/sandbox/pool.h"

#define CAP (1u << 20)

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

int main(void)
{
	check_sealing(true, "input memory, sealed");
	check_sealing(false, "pixel memory, unsealed");
	check_clean();
	return tap_done();
}
