/*
 * Log hook of the vsock backend (see vsock_log.h and ih_vsock_set_log()). A hostile guest
 * can make the backend log on every packet, so at most VSOCK_LOG_BURST lines a second reach
 * the hook; the number dropped is reported with the next line that gets through.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "vsock.h"
#include "vsock_log.h"

#define VSOCK_LOG_BURST 50

static ih_vsock_log_fn log_fn;
static void *log_opaque;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static time_t window;
static unsigned int in_window, dropped;

void ih_vsock_set_log(ih_vsock_log_fn fn, void *opaque)
{
	pthread_mutex_lock(&log_lock);
	log_fn = fn;
	log_opaque = opaque;
	pthread_mutex_unlock(&log_lock);
}

/* True when this line may go out now; reports the lines dropped before it. */
static bool admit(void)
{
	struct timespec ts;
	char line[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ts.tv_sec != window) {
		window = ts.tv_sec;
		in_window = 0;
	}
	if (in_window >= VSOCK_LOG_BURST) {
		dropped++;
		return false;
	}
	in_window++;
	if (dropped) {
		snprintf(line, sizeof(line), "vsock: %u log lines dropped (rate limit)", dropped);
		log_fn(log_opaque, line);
		dropped = 0;
	}
	return true;
}

void vsock_log(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	pthread_mutex_lock(&log_lock);
	if (log_fn && admit()) {
		va_start(ap, fmt);
		vsnprintf(line, sizeof(line), fmt, ap);
		va_end(ap);
		log_fn(log_opaque, line);
	}
	pthread_mutex_unlock(&log_lock);
}
