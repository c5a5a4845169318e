/*
 * The launcher's side of `ih-vm doctor`: relay the guest doctor's TAP to the user and add
 * it up. The guest is not trusted: lines are bounded in length and number, every byte that
 * is not printable ASCII is shown as '?', and a run counts as passed only with a plan that
 * matches the results it announced.
 */
#ifndef IH_HOST_DOCTOR_TAP_H
#define IH_HOST_DOCTOR_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define IH_TAP_LINE_MAX 1024
#define IH_TAP_LINES_MAX 4096

struct ih_tap_summary {
	unsigned int passed, failed, skipped;
	unsigned int plan; /* the "1..N" line's N */
	bool have_plan;
	bool out_of_order; /* a result numbered other than the one expected */
};

/* Replaces every byte outside printable ASCII and tab with '?'. */
void ih_tap_sanitize(char *line, size_t len);

/* Adds one (sanitized) line to *s. */
void ih_tap_line(struct ih_tap_summary *s, const char *line);

/* true when the run is complete and clean: a plan, as many results, none failed. */
bool ih_tap_all_passed(const struct ih_tap_summary *s);

/* true when the plan is there and matches the number of results (pass or fail). */
bool ih_tap_complete(const struct ih_tap_summary *s);

/*
 * Relays TAP from fd to out, line by line, until end of stream or deadline_ms (on the
 * CLOCK_MONOTONIC clock, in ms). 0 at the end of the stream; -ETIMEDOUT; -EPROTO when a line
 * is longer than IH_TAP_LINE_MAX or there are more than IH_TAP_LINES_MAX; -errno.
 */
int ih_tap_relay(int fd, int64_t deadline_ms, FILE *out, struct ih_tap_summary *ret);

int64_t ih_tap_now_ms(void);

#endif
