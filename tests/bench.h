/* What the benchmarks share: a monotonic clock in seconds and a qsort order for medians. */
#ifndef IH_TESTS_BENCH_H
#define IH_TESTS_BENCH_H

#include <time.h>

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#endif
