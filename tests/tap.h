/* Minimal TAP output for the C test programs; tests/run adds up the results. */
#ifndef IH_TESTS_TAP_H
#define IH_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_n;
static int tap_failed;

/* Records one result named by the printf-style fmt; returns ok so callers can chain. */
__attribute__((format(printf, 2, 3), unused)) static int tap_ok(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		tap_failed++;
	return ok;
}

__attribute__((format(printf, 1, 2), unused)) static void tap_skip(const char *fmt, ...)
{
	va_list ap;

	printf("ok %d - # SKIP ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Diagnostic line, shown by tests/run beside the results. */
#define tap_diag(...)                                                                              \
	do {                                                                                       \
		printf("# ");                                                                      \
		printf(__VA_ARGS__);                                                               \
		putchar('\n');                                                                     \
	} while (0)

/* Exit status for main: non-zero when any result failed. */
__attribute__((unused)) static int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
