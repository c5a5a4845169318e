/* Relays and adds up the guest doctor's TAP (doctor_tap.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "doctor_tap.h"

int64_t ih_tap_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ih_tap_sanitize(char *line, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (line[i] != '\t' && (line[i] < 0x20 || line[i] > 0x7e))
			line[i] = '?';
}

/* Parses the decimal number at p (at most 9 digits): its value, or -1. */
static long number(const char *p, const char **end)
{
	long v = 0;
	int n = 0;

	while (*p >= '0' && *p <= '9' && n < 9) {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	*end = p;
	return n ? v : -1;
}

/* Counts one result line numbered n; expects the next number in sequence. */
static void result(struct ih_tap_summary *s, const char *rest, bool ok)
{
	unsigned int seen = s->passed + s->failed + s->skipped;
	const char *end;
	long n = number(rest, &end);

	if (n != (long)seen + 1)
		s->out_of_order = true;
	if (!ok)
		s->failed++;
	else if (strstr(end, "# SKIP"))
		s->skipped++;
	else
		s->passed++;
}

void ih_tap_line(struct ih_tap_summary *s, const char *line)
{
	const char *end;
	long n;

	if (!strncmp(line, "ok ", 3)) {
		result(s, line + 3, true);
	} else if (!strncmp(line, "not ok ", 7)) {
		result(s, line + 7, false);
	} else if (!strncmp(line, "1..", 3)) {
		n = number(line + 3, &end);
		if (n < 0 || *end != '\0' || s->have_plan) {
			s->out_of_order = true;
			return;
		}
		s->plan = (unsigned int)n;
		s->have_plan = true;
	}
}

bool ih_tap_complete(const struct ih_tap_summary *s)
{
	return s->have_plan && !s->out_of_order && s->plan == s->passed + s->failed + s->skipped &&
	       s->plan > 0;
}

bool ih_tap_all_passed(const struct ih_tap_summary *s)
{
	return ih_tap_complete(s) && s->failed == 0;
}

/* Waits until fd is readable or the deadline passes: 0, -ETIMEDOUT or -errno. */
static int wait_readable(int fd, int64_t deadline_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int64_t left = deadline_ms - ih_tap_now_ms();
	int r;

	if (left <= 0)
		return -ETIMEDOUT;
	r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	return r == 0 && ih_tap_now_ms() >= deadline_ms ? -ETIMEDOUT : 0;
}

/* Emits the complete lines of buf[0..*len), keeps the partial rest; -EPROTO on limits. */
static int emit_lines(char *buf, size_t *len, unsigned int *lines, FILE *out,
		      struct ih_tap_summary *s)
{
	char *start = buf, *nl;

	while ((nl = memchr(start, '\n', *len - (size_t)(start - buf)))) {
		*nl = '\0';
		ih_tap_sanitize(start, (size_t)(nl - start));
		if (++*lines > IH_TAP_LINES_MAX)
			return -EPROTO;
		fprintf(out, "%s\n", start);
		ih_tap_line(s, start);
		start = nl + 1;
	}
	*len -= (size_t)(start - buf);
	memmove(buf, start, *len);
	return *len >= IH_TAP_LINE_MAX ? -EPROTO : 0;
}

int ih_tap_relay(int fd, int64_t deadline_ms, FILE *out, struct ih_tap_summary *ret)
{
	char buf[IH_TAP_LINE_MAX + 1];
	unsigned int lines = 0;
	size_t len = 0;
	int r;

	memset(ret, 0, sizeof(*ret));
	for (;;) {
		ssize_t n;

		r = wait_readable(fd, deadline_ms);
		if (r < 0)
			return r;
		n = read(fd, buf + len, IH_TAP_LINE_MAX - len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
		r = emit_lines(buf, &len, &lines, out, ret);
		if (r < 0)
			return r;
	}
	if (len) {
		buf[len] = '\0';
		ih_tap_sanitize(buf, len);
		fprintf(out, "%s\n", buf);
		ih_tap_line(ret, buf);
	}
	fflush(out);
	return 0;
}
