/*
 * The vsock fuzzer's findings as regression tests: every input under tests/fuzz/regress/
 * goes through the fuzz target (tests/fuzz/fuzz_vsock.c, built here without libFuzzer) and
 * must finish in well under a second; built also under ASan and UBSan. Inputs that once hung
 * the backend are killed by a watchdog and reported, instead of hanging the suite.
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host/vsock/vsock.h"
#include "tests/fuzz/fuzz_inputs.h"
#include "tests/tap.h"

#define INPUT_MAX_MS 1000
#define WATCHDOG_S 10

/* What each input must make the backend log: the check it once got past. */
static const struct {
	const char *name, *logged;
} expect[] = {
	{ "vsock-indirect-table-over-its-ring", "indirect table inside an indirect table" },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char log_buf[8192];

static void capture_log(void *opaque, const char *line)
{
	(void)opaque;
	if (strlen(log_buf) + strlen(line) + 2 < sizeof(log_buf)) {
		strcat(log_buf, line);
		strcat(log_buf, "\n");
	}
}

static void on_alarm(int sig)
{
	static const char msg[] = "not ok - an input still runs after the watchdog\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

static const char *expected_log(const char *name)
{
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		if (!strcmp(expect[i].name, name))
			return expect[i].logged;
	return NULL;
}

static long long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000LL + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void run_input(const struct fuzz_input *in)
{
	const char *want = expected_log(in->name);
	struct timespec t0;
	long long ms;

	tap_diag("running %s", in->name);
	fflush(stdout);
	log_buf[0] = 0;
	alarm(WATCHDOG_S);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	LLVMFuzzerTestOneInput(in->data, in->len);
	ms = ms_since(&t0);
	alarm(0);
	tap_ok(ms < INPUT_MAX_MS, "%s: runs in %lld ms (limit %d)", in->name, ms, INPUT_MAX_MS);
	if (want)
		tap_ok(strstr(log_buf, want) != NULL, "%s: rejected with \"%s\"", in->name, want);
}

int main(void)
{
	signal(SIGALRM, on_alarm);
	ih_vsock_set_log(capture_log, NULL);
	for (unsigned int i = 0; i < fuzz_ninputs; i++)
		run_input(&fuzz_inputs[i]);
	tap_ok(fuzz_ninputs >= sizeof(expect) / sizeof(expect[0]),
	       "every named finding is in the tree (%u inputs)", fuzz_ninputs);
	return tap_done();
}
