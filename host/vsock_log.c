/* Log hook of the vsock backend (see vsock_log.h and ih_vsock_set_log()). */
#include <stdarg.h>
#include <stdio.h>

#include "vsock.h"
#include "vsock_log.h"

static ih_vsock_log_fn log_fn;
static void *log_opaque;

void ih_vsock_set_log(ih_vsock_log_fn fn, void *opaque)
{
	log_fn = fn;
	log_opaque = opaque;
}

void vsock_log(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_fn(log_opaque, line);
}
