/*
 * `ih-vm decode` when things go wrong around the VM: no image, no QEMU or no real KVM for
 * --accel=kvm, a missing input, an output directory
 * that cannot be written, QEMU killed in the middle of a decode, a guest that takes a
 * request and never answers (the test-only guest mode serve-hang), and the launcher itself
 * killed by SIGTERM, alone or with --jobs workers. Each must end with a clear error and the
 * documented exit code, leave no output file, and leave no QEMU behind. (A guest whose answer
 * claims more pixels than allowed is the fake guest of tests/e2e/vm_client_test.c.)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../corpus/corpus.h"
#include "../tap.h"
#include "e2e.h"

struct ctx {
	struct e2e e;
	char small[128]; /* a small good JPEG */
	char big[128]; /* a 12 MP JPEG: seconds of decoding under TCG */
	char out[128], so[128], se[128], console[128];
	char outdir[128], big_out[160], small_out[160]; /* -o DIR for the big, small pair */
};

static int write_file(const char *path, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path, "we");
	int ok = f && fwrite(data, 1, len, f) == len;

	if (f && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

static int make_inputs(struct ctx *c)
{
	uint8_t *data;
	size_t len;
	int r;

	snprintf(c->small, sizeof(c->small), "%s/small.jpg", c->e.tmp);
	snprintf(c->big, sizeof(c->big), "%s/big-12mp.jpg", c->e.tmp);
	snprintf(c->out, sizeof(c->out), "%s/out.png", c->e.tmp);
	snprintf(c->so, sizeof(c->so), "%s/stdout", c->e.tmp);
	snprintf(c->se, sizeof(c->se), "%s/stderr", c->e.tmp);
	snprintf(c->console, sizeof(c->console), "%s/console.log", c->e.tmp);
	snprintf(c->outdir, sizeof(c->outdir), "%s/outdir", c->e.tmp);
	snprintf(c->big_out, sizeof(c->big_out), "%s/big-12mp.png", c->outdir);
	snprintf(c->small_out, sizeof(c->small_out), "%s/small.png", c->outdir);
	if (mkdir(c->outdir, 0755) < 0)
		return -1;
	if (corpus_jpeg_rgb(64, 48, 90, 0, &data, &len) < 0)
		return -1;
	r = write_file(c->small, data, len);
	free(data);
	if (r < 0 || corpus_jpeg_rgb(4000, 3000, 90, 1, &data, &len) < 0)
		return -1;
	r = write_file(c->big, data, len);
	free(data);
	return r;
}

/* The launcher's stderr contains text (the clear error line). */
static int said(const struct ctx *c, const char *text)
{
	char *err = e2e_slurp(c->se, NULL);
	int found = err && strstr(err, text);

	if (!found && err)
		printf("# stderr: %.600s\n", err);
	free(err);
	return found;
}

/* The launcher's stderr holds text exactly n times. */
static int said_times(const struct ctx *c, const char *text, int n)
{
	char *err = e2e_slurp(c->se, NULL);
	int seen = err ? e2e_count(err, text) : -1;

	free(err);
	if (seen != n)
		printf("# '%s' %d times, not %d\n", text, seen, n);
	return seen == n;
}

/* Runs a decode of the small image with one environment variable set: the exit status. */
static int run_with(struct ctx *c, const char *var, const char *value, const char *opt)
{
	const char *argv[] = { c->e.ihvm, "decode", opt ? opt : "--verbose", c->small, NULL };
	char *old = getenv(var) ? strdup(getenv(var)) : NULL;
	int rc;

	if (value)
		setenv(var, value, 1);
	rc = e2e_run(argv, c->so, c->se, 300);
	if (old)
		setenv(var, old, 1);
	else
		unsetenv(var);
	free(old);
	return rc;
}

/* No image, no QEMU, KVM asked for where it is not real: one line and a Hint each. */
static void test_prerequisites(struct ctx *c)
{
	char empty[160];
	int rc;

	snprintf(empty, sizeof(empty), "%s/empty-image-dir", c->e.tmp);
	if (mkdir(empty, 0755) < 0)
		abort();
	rc = run_with(c, "IH_IMAGE_DIR", empty, NULL);
	tap_ok(rc == 3 && said(c, "Hint:"), "no guest image: exit 3 and a Hint (rc=%d)", rc);
	rc = run_with(c, "IH_QEMU", "/nonexistent/qemu-system", NULL);
	tap_ok(rc == 3 && said(c, "not found") && said(c, "Hint:"),
	       "no QEMU: exit 3 and a Hint (rc=%d)", rc);
	if (access("/sys/module/kvm_pvm", F_OK) == 0 || access("/dev/kvm", R_OK | W_OK) < 0) {
		rc = run_with(c, "IH_NO_SUCH_VAR", NULL, "--accel=kvm");
		tap_ok(rc == 3 && said(c, "Hint: use --accel=auto"),
		       "--accel=kvm where KVM is not real: exit 3 and a Hint (rc=%d)", rc);
	} else {
		tap_skip("KVM is real on this host: --accel=kvm is usable");
	}
	tap_ok(e2e_no_qemu_left(&c->e), "a missing prerequisite leaves no QEMU");
}

static void test_missing_input(struct ctx *c)
{
	char missing[160];
	int rc;

	snprintf(missing, sizeof(missing), "%s/no-such-photo.jpg", c->e.tmp);
	{
		const char *argv[] = { c->e.ihvm, "decode", "-o", c->out, missing, NULL };

		rc = e2e_run(argv, c->so, c->se, 300);
	}
	tap_ok(rc == 2 && said(c, "no-such-photo.jpg: cannot read") && access(c->out, F_OK) < 0,
	       "a missing input: exit 2, one line naming it, no output (rc=%d)", rc);
	tap_ok(e2e_no_qemu_left(&c->e), "a missing input leaves no QEMU");
}

static void test_unwritable_output(struct ctx *c)
{
	char not_dir[160], target[200];
	int rc;

	snprintf(not_dir, sizeof(not_dir), "%s/a-file", c->e.tmp);
	snprintf(target, sizeof(target), "%s/out.png", not_dir);
	if (write_file(not_dir, (const uint8_t *)"x", 1) < 0)
		abort();
	{
		const char *argv[] = { c->e.ihvm, "decode", "-o", target, c->small, NULL };

		rc = e2e_run(argv, c->so, c->se, 300);
	}
	tap_ok(rc == 3 && said(c, "cannot write") && access(target, F_OK) < 0,
	       "an output directory that is a file: exit 3, one line, nothing written (rc=%d)", rc);
	{
		const char *argv[] = { c->e.ihvm, "decode", "-o", "/proc/ih-e2e-out.png",
				       c->small,  NULL };

		rc = e2e_run(argv, c->so, c->se, 300);
	}
	tap_ok(rc == 3 && said(c, "cannot write") && access("/proc/ih-e2e-out.png", F_OK) < 0,
	       "a read-only output directory (/proc): exit 3, one line, nothing written (rc=%d)",
	       rc);
	tap_ok(e2e_no_qemu_left(&c->e), "an unwritable output leaves no QEMU");
}

/* Waits until the guest's service is up (its line on the console): the QEMU pid, or 0. */
static pid_t await_service(const struct ctx *c, int seconds)
{
	const struct timespec tick = { .tv_nsec = 50 * 1000 * 1000 };

	for (int i = 0; i < seconds * 20; i++) {
		char *log = e2e_slurp(c->console, NULL);
		int up = log && strstr(log, "ih-serve: ready");

		free(log);
		if (up)
			return e2e_qemu_pid(&c->e);
		nanosleep(&tick, NULL);
	}
	return 0;
}

/* Starts a decode of the big image, then the small one, with the console logged. */
static pid_t start_big(struct ctx *c, pid_t *ret_qemu)
{
	const char *argv[] = { c->e.ihvm, "decode",  "--verbose", "--console-log", c->console,
			       "-o",	  c->outdir, c->big,	  c->small,	   NULL };
	const struct timespec settle = { .tv_nsec = 100 * 1000 * 1000 };
	pid_t pid;

	unlink(c->console);
	pid = e2e_start(argv, c->so, c->se, 300);
	*ret_qemu = pid > 0 ? await_service(c, 120) : 0;
	nanosleep(&settle, NULL); /* the image is on its way or being decoded */
	return pid;
}

static void test_qemu_killed(struct ctx *c)
{
	pid_t qemu, pid = start_big(c, &qemu);
	int rc;

	if (pid < 0 || qemu <= 0) {
		tap_ok(0, "the VM for the QEMU-kill test came up");
		if (pid > 0)
			e2e_wait(pid);
		return;
	}
	kill(qemu, SIGKILL);
	rc = e2e_wait(pid);
	tap_ok(rc == 1 && said(c, "rejected: vm:") && access(c->big_out, F_OK) < 0,
	       "QEMU killed mid-decode: the image is rejected (exit 1), no output (rc=%d)", rc);
	tap_ok(access(c->small_out, R_OK) == 0 && said_times(c, "VM up", 2),
	       "the next image is decoded by a freshly booted VM");
	unlink(c->small_out);
	tap_ok(e2e_no_qemu_left(&c->e), "QEMU killed mid-decode leaves no QEMU");
}

static void test_launcher_killed(struct ctx *c)
{
	pid_t qemu, pid = start_big(c, &qemu);
	int rc;

	if (pid < 0 || qemu <= 0) {
		tap_ok(0, "the VM for the SIGTERM test came up");
		if (pid > 0)
			e2e_wait(pid);
		return;
	}
	kill(pid, SIGTERM);
	rc = e2e_wait(pid);
	tap_ok(rc == 128 + SIGTERM && access(c->big_out, F_OK) < 0 &&
		       access(c->small_out, F_OK) < 0,
	       "ih-vm killed by SIGTERM mid-decode dies of it and writes nothing (rc=%d)", rc);
	tap_ok(e2e_no_qemu_left(&c->e), "SIGTERM to the launcher leaves no QEMU");
}

/* Waits until the console shows text n times: 1 when it did. */
static int await_console(const struct ctx *c, const char *text, int n, int seconds)
{
	const struct timespec tick = { .tv_nsec = 50 * 1000 * 1000 };

	for (int i = 0; i < seconds * 20; i++) {
		char *log = e2e_slurp(c->console, NULL);
		int seen = log ? e2e_count(log, text) : 0;

		free(log);
		if (seen >= n)
			return 1;
		nanosleep(&tick, NULL);
	}
	return 0;
}

/* --jobs 2: the workers' VMs both hold a request when the parent gets SIGTERM. */
static void test_jobs_launcher_killed(struct ctx *c)
{
	const char *argv[] = { c->e.ihvm,  "decode", "--jobs=2", "--console-log",
			       c->console, c->small, c->big,	 NULL };
	int rc, up;
	pid_t pid;

	unlink(c->console);
	setenv("IH_VM_GUEST_MODE", "serve-hang", 1);
	pid = e2e_start(argv, c->so, c->se, 300);
	unsetenv("IH_VM_GUEST_MODE");
	up = pid > 0 && await_console(c, "answering none", 2, 120);
	if (pid > 0)
		kill(pid, SIGTERM);
	rc = pid > 0 ? e2e_wait(pid) : -1;
	tap_ok(up && rc == 128 + SIGTERM,
	       "ih-vm --jobs 2 killed by SIGTERM while both VMs hold a request (rc=%d)", rc);
	tap_ok(e2e_no_qemu_left(&c->e), "SIGTERM to a --jobs launcher leaves no worker's QEMU");
}

static void test_silent_guest(struct ctx *c)
{
	const char *argv[] = {
		c->e.ihvm, "decode", "--wall-ms=1000", "-o", c->out, c->small, NULL
	};
	time_t t0 = time(NULL);
	int rc;

	setenv("IH_VM_GUEST_MODE", "serve-hang", 1);
	rc = e2e_run(argv, c->so, c->se, 300);
	unsetenv("IH_VM_GUEST_MODE");
	tap_ok(rc == 1 && said(c, "did not answer in time") && access(c->out, F_OK) < 0,
	       "a guest that never answers: rejected at the deadline (exit 1), no output (rc=%d, "
	       "%lds)",
	       rc, (long)(time(NULL) - t0));
	tap_ok(e2e_no_qemu_left(&c->e), "a guest that never answers leaves no QEMU");
}

/* Entries in dir besides . and .., or -1. */
static int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

int main(void)
{
	struct ctx c = { 0 };
	int r = e2e_begin(&c.e), n_image;

	if (r)
		return r > 0 ? 0 : 1;
	n_image = dir_entries(c.e.image);
	if (make_inputs(&c) < 0) {
		tap_ok(0, "the test images are generated");
		e2e_end(&c.e);
		return tap_done();
	}
	test_prerequisites(&c);
	test_missing_input(&c);
	test_unwritable_output(&c);
	test_qemu_killed(&c);
	test_launcher_killed(&c);
	test_silent_guest(&c);
	test_jobs_launcher_killed(&c);
	tap_ok(dir_entries(c.outdir) == 0 && dir_entries(c.e.image) == n_image,
	       "no temporary or partial file is left in the output directory or the image");
	e2e_end(&c.e);
	return tap_done();
}
