/*
 * The doctor's live sandbox check on this host: a decoder child with every layer passes all
 * of its child checks; a child started with one layer left out (no seccomp, no Landlock, no
 * network namespace, no uid drop, capabilities kept) fails exactly the matching check.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "doctor.h"
#include "guest/decode/proto.h"
#include "guest/sandbox/sandbox.h"
#include "tap.h"

#define MAX_RESULTS 16

struct result {
	char name[96];
	enum ih_verdict v;
};

struct results {
	int n, failed;
	struct result r[MAX_RESULTS];
};

static void collect(void *arg, const char *name, const char *reason, enum ih_verdict v,
		    const char *detail)
{
	struct results *res = arg;

	(void)reason;
	tap_diag("  %s %s: %s", v == IH_FAIL ? "FAIL" : "pass", name, detail);
	if (res->n >= MAX_RESULTS)
		return;
	snprintf(res->r[res->n].name, sizeof(res->r[0].name), "%s", name);
	res->r[res->n++].v = v;
	res->failed += v == IH_FAIL;
}

static void run(uint32_t layers, struct results *res)
{
	const struct ih_doctor d = { .root = "", .probes = &ih_probes_live };

	memset(res, 0, sizeof(*res));
	ih_doctor_sandbox_layers(&d, layers, collect, res);
}

static int failed_only(const struct results *res, const char *check)
{
	int hit = 0;

	for (int i = 0; i < res->n; i++)
		if (res->r[i].v == IH_FAIL)
			hit += strcmp(res->r[i].name, check) ? 100 : 1;
	return hit == 1;
}

/*
 * A root caller's uid drop alone clears dumpable (fs.suid_dumpable=0), so a child left
 * dumpable needs an unprivileged caller: this program again, executed as nobody (the exec
 * makes it dumpable again), with --dumpable-child. As nobody the doctor cannot read the
 * child's namespaces (it needs root for that), so only the dumpable verdict counts.
 */
static int dumpable_child(void)
{
	static struct results res;

	run(ih_sandbox_expected_layers() & ~IH_LAYER_NOT_DUMPABLE, &res);
	for (int i = 0; i < res.n; i++)
		if (!strcmp(res.r[i].name, "decoder child: not dumpable"))
			return res.r[i].v == IH_FAIL ? 0 : 1;
	return 3;
}

/* Runs dumpable_child() as nobody: 1 when the dumpable check failed, as it must. */
static int dumpable_child_fails(void)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		execl("/proc/self/exe", "sandbox_test", "--dumpable-child", (char *)NULL);
		_exit(2);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 0;
	tap_diag("nobody's run ended with status 0x%x", (unsigned int)status);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv)
{
	const uint32_t full = ih_sandbox_expected_layers();
	static const struct {
		const char *what;
		uint32_t drop;
		const char *check;
		bool root_only;
	} cases[] = {
		{ "a child started without seccomp", IH_LAYER_SECCOMP,
		  "decoder child: seccomp filter mode", false },
		{ "a child started without Landlock", IH_LAYER_LANDLOCK,
		  "decoder child: landlock denies file access", false },
		{ "a child started in the caller's network namespace", IH_LAYER_NS_NET,
		  "decoder child: own namespaces", false },
		{ "a child that keeps uid 0", IH_LAYER_UID,
		  "decoder child: unprivileged uid and gid", true },
		{ "a child that keeps its capabilities", IH_LAYER_CAPS,
		  "decoder child: no capabilities", true },
		{ "a child without rlimits", IH_LAYER_RLIMITS, "decoder child: resource limits",
		  false },
	};
	static struct results res;

	if (argc == 2 && !strcmp(argv[1], "--dumpable-child"))
		return dumpable_child();
	if ((ih_sandbox_available_layers() & full) != full) {
		tap_skip("this host lacks sandbox layers 0x%x",
			 full & ~ih_sandbox_available_layers());
		return tap_done();
	}
	if (geteuid() != 0) {
		tap_skip("run as root: the doctor reads a non-dumpable child's namespaces as root");
		return tap_done();
	}
	run(full, &res);
	tap_ok(res.n == 8 && res.failed == 0, "a child with every layer passes all %d child checks",
	       res.n);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run(full & ~cases[i].drop, &res);
		tap_ok(failed_only(&res, cases[i].check), "%s: '%s' fails, nothing else",
		       cases[i].what, cases[i].check);
	}
	tap_ok(dumpable_child_fails(),
	       "a dumpable child (started by nobody): 'decoder child: not dumpable' fails");
	return tap_done();
}
