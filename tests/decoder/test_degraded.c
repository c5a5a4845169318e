/*
 * Fail closed: each case makes the kernel look as if it lacked a layer (or failed to
 * apply one) by loading a seccomp filter that answers the layer's system call with an
 * error, in a helper process, then asks for a sandbox. A missing layer must refuse the
 * decode unless degraded mode is allowed, and then be absent from the reported layers; a
 * layer that is present but fails must refuse even in degraded mode. The control case has
 * no filter and gets every layer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../corpus/corpus.h"
#include "../tap.h"
#include "guest/sandbox/isolate.h"
#include "guest/sandbox/sandbox.h"

/* A kernel change, simulated: syscall `name` (with arg0 == arg0 if set) fails with err. */
struct fault {
	const char *what;
	const char *name; /* NULL: the control, no fault */
	int has_arg0;
	uint64_t arg0;
	int err;
	int reported; /* the errno the sandbox reports for it */
};

/* What one sandbox request (strict or degraded) came to. */
struct probe {
	int spawned; /* ih_sandbox_spawn's result */
	int step;
	int err;
	uint32_t layers;
	char hint[160];
	uint16_t status; /* ih_isolate_decode's outcome */
	uint32_t decoded_layers;
	char reason[IH_REASON_MAX];
};

static int body_ok(void *arg, uint32_t layers)
{
	(void)arg;
	(void)layers;
	return 0;
}

static void probe(bool degraded, const uint8_t *png, size_t len, struct probe *p)
{
	struct ih_sandbox_cfg cfg = {
		.layers = IH_LAYER_ALL,
		.allow_degraded = degraded,
		.max_memory_bytes = 256u << 20,
		.cpu_ms = 5000,
	};
	struct ih_sandbox_report rep;
	struct ih_limits lim;
	struct ih_decoded d = { 0 };
	const char *hint;
	pid_t pid;

	p->spawned = ih_sandbox_spawn(&cfg, body_ok, NULL, &pid, NULL, &rep);
	if (p->spawned == 0)
		waitpid(pid, NULL, 0);
	p->step = (int)rep.step;
	p->err = rep.err;
	p->layers = rep.layers;
	hint = ih_sandbox_hint(&rep);
	snprintf(p->hint, sizeof(p->hint), "%s", hint ? hint : "");
	ih_limits_default(&lim);
	if (ih_isolate_decode(&lim, degraded ? IH_REQ_ALLOW_DEGRADED : 0, NULL, png, len, &d) ==
	    0) {
		p->status = d.resp.status;
		p->decoded_layers = d.resp.layers;
		memcpy(p->reason, d.resp.reason, sizeof(p->reason));
	} else {
		p->status = IH_STATUS_INTERNAL;
	}
	ih_decoded_free(&d);
}

static int install_fault(const struct fault *f)
{
	scmp_filter_ctx ctx;
	int r;

	if (!f->name)
		return 0;
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	if (f->has_arg0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO((uint32_t)f->err),
				     seccomp_syscall_resolve_name(f->name), 1,
				     SCMP_A0(SCMP_CMP_EQ, f->arg0));
	else
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO((uint32_t)f->err),
				     seccomp_syscall_resolve_name(f->name), 0);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

/* Runs both probes in a helper process that carries the fault; 0 when both came back. */
static int run_case(const struct fault *f, const uint8_t *png, size_t len, struct probe out[2])
{
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct probe p[2] = { 0 };

		if (install_fault(f) < 0)
			_exit(1);
		probe(false, png, len, &p[0]);
		probe(true, png, len, &p[1]);
		_exit(write(fds[1], p, sizeof(p)) == (ssize_t)sizeof(p) ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], out, 2 * sizeof(*out));
	close(fds[0]);
	waitpid(pid, &status, 0);
	return n == (ssize_t)(2 * sizeof(*out)) ? 0 : -EIO;
}

static void check_missing(const struct fault *f, uint32_t layer, int step, const char *hint_word,
			  const uint8_t *png, size_t len)
{
	struct probe p[2] = { 0 };
	int r = run_case(f, png, len, p);

	tap_ok(r == 0 && p[0].spawned < 0 && p[0].step == step && p[0].err == f->reported,
	       "%s: the sandbox refuses at step %s (err %d)", f->what,
	       ih_sandbox_step_name((enum ih_sandbox_step)p[0].step), p[0].err);
	tap_ok(r == 0 && strstr(p[0].hint, hint_word), "%s: the refusal has a Hint (%s)", f->what,
	       p[0].hint);
	tap_ok(r == 0 && p[0].status == IH_STATUS_SANDBOX && p[0].decoded_layers == p[0].layers,
	       "%s: the decode is refused with status sandbox (%s)", f->what, p[0].reason);
	tap_ok(r == 0 && p[1].spawned == 0 && !(p[1].layers & layer) &&
		       (p[1].layers | layer) == ih_sandbox_expected_layers(),
	       "%s: degraded, the child runs without that one layer (0x%x)", f->what, p[1].layers);
	tap_ok(r == 0 && p[1].status == IH_STATUS_OK && !(p[1].decoded_layers & layer),
	       "%s: degraded, the decode succeeds and reports the layer missing (0x%x)", f->what,
	       p[1].decoded_layers);
}

static void check_failing(const struct fault *f, int step, const uint8_t *png, size_t len)
{
	struct probe p[2];
	int r = run_case(f, png, len, p);

	tap_ok(r == 0 && p[0].spawned < 0 && p[0].step == step && p[0].status == IH_STATUS_SANDBOX,
	       "%s: refused (%s)", f->what, p[0].reason);
	tap_ok(r == 0 && p[1].spawned < 0 && p[1].step == step && p[1].status == IH_STATUS_SANDBOX,
	       "%s: refused even with degraded mode allowed (%s)", f->what, p[1].reason);
}

/* The launcher the CLI cases run, from the top of the tree (where tests/run starts). */
#define IH_VM "build/host/ih-vm"

/* Runs `ih-vm decode --isolation=process [--allow-degraded] file` under fault f: its exit
 * status, and its stderr in err. */
static int cli_case(const struct fault *f, bool degraded, const char *file, char *err, size_t len)
{
	int fds[2], status = -1;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (install_fault(f) < 0 || dup2(fds[1], STDERR_FILENO) < 0 ||
		    dup2(null, STDOUT_FILENO) < 0)
			_exit(126);
		execl(IH_VM, "ih-vm", "decode", "--isolation=process",
		      degraded ? "--allow-degraded" : "--verbose", file, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (got + 1 < len && (n = read(fds[0], err + got, len - got - 1)) > 0)
		got += (size_t)n;
	err[got] = '\0';
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The command line tells the user about a refused or degraded sandbox. */
static void test_cli(const struct fault *control, const struct fault *no_landlock,
		     const uint8_t *png, size_t len)
{
	char file[] = "/tmp/ih-degraded-XXXXXX", err[2048];
	int fd, rc;

	if (access(IH_VM, X_OK) < 0) {
		tap_skip("%s is not built", IH_VM);
		return;
	}
	fd = mkstemp(file);
	if (fd < 0 || write(fd, png, len) != (ssize_t)len) {
		tap_ok(0, "write a test PNG");
		return;
	}
	close(fd);
	rc = cli_case(no_landlock, false, file, err, sizeof(err));
	tap_ok(rc == 3 && strstr(err, "sandbox") && strstr(err, "CONFIG_SECURITY_LANDLOCK"),
	       "ih-vm decode without Landlock: exit 3 and a Hint (exit %d)", rc);
	rc = cli_case(no_landlock, true, file, err, sizeof(err));
	tap_ok(rc == 0 && strstr(err, "warning: decoded without sandbox layers: landlock"),
	       "ih-vm decode --allow-degraded without Landlock: exit 0 with a warning (exit %d)",
	       rc);
	rc = cli_case(control, true, file, err, sizeof(err));
	tap_ok(rc == 0 && !strstr(err, "warning"),
	       "control: --allow-degraded with every layer present warns of nothing (exit %d)", rc);
	unlink(file);
}

int main(void)
{
	static const struct fault control = { "control, no fault", NULL, 0, 0, 0, 0 };
	static const struct fault no_landlock = {
		"kernel without Landlock", "landlock_create_ruleset", 0, 0, ENOSYS, ENOSYS
	};
	static const struct fault landlock_off = {
		"Landlock not in lsm=", "landlock_create_ruleset", 0, 0, EOPNOTSUPP, EOPNOTSUPP
	};
	static const struct fault no_seccomp = { "kernel without seccomp", "prctl", 1,
						 PR_GET_SECCOMP,	   EINVAL,  EOPNOTSUPP };
	static const struct fault restrict_fails = {
		"Landlock present but enforcing fails", "landlock_restrict_self", 0, 0, EPERM, EPERM
	};
	static const struct fault nnp_fails = { "no_new_privs cannot be set", "prctl", 1,
						PR_SET_NO_NEW_PRIVS,	      EPERM,   EPERM };
	struct probe p[2];
	uint8_t *png;
	size_t len;
	int r;

	if (corpus_png_rgba(4, 4, &png, &len) < 0) {
		tap_ok(0, "make a test PNG");
		return tap_done();
	}
	r = run_case(&control, png, len, p);
	tap_ok(r == 0 && p[0].spawned == 0 && p[0].layers == ih_sandbox_expected_layers() &&
		       p[0].status == IH_STATUS_OK,
	       "control: every layer, and the decode succeeds (0x%x)", p[0].layers);
	check_missing(&no_landlock, IH_LAYER_LANDLOCK, IH_STEP_LANDLOCK, "CONFIG_SECURITY_LANDLOCK",
		      png, len);
	check_missing(&landlock_off, IH_LAYER_LANDLOCK, IH_STEP_LANDLOCK, "lsm=", png, len);
	check_missing(&no_seccomp, IH_LAYER_SECCOMP, IH_STEP_SECCOMP, "CONFIG_SECCOMP_FILTER", png,
		      len);
	check_failing(&restrict_fails, IH_STEP_LANDLOCK, png, len);
	check_failing(&nnp_fails, IH_STEP_NO_NEW_PRIVS, png, len);
	test_cli(&control, &no_landlock, png, len);
	free(png);
	return tap_done();
}
