/*
 * The system's reserved 2 MiB huge pages (vm.nr_hugepages), for tests and benches that
 * reserve some for the pixel pool (guest/sandbox/pool.h) and put the setting back after.
 */
#ifndef IH_TESTS_HUGEPAGES_H
#define IH_TESTS_HUGEPAGES_H

#include <stdbool.h>
#include <stdio.h>

#define IH_NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"

/* The reserved huge pages now, or -1 when unreadable. */
__attribute__((unused)) static long hugepages_get(void)
{
	FILE *f = fopen(IH_NR_HUGEPAGES, "re");
	long n = -1;

	if (f && fscanf(f, "%ld", &n) != 1)
		n = -1;
	if (f)
		fclose(f);
	return n;
}

/* Asks the kernel to reserve n huge pages: whether it now has n (root only). */
__attribute__((unused)) static bool hugepages_set(long n)
{
	FILE *f = fopen(IH_NR_HUGEPAGES, "we");

	if (!f)
		return false;
	fprintf(f, "%ld\n", n);
	return fclose(f) == 0 && hugepages_get() == n;
}

#endif
