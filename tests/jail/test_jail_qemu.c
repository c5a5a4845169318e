/*
 * The VMM jail on a real QEMU under TCG, started through the qemu.h spawn hook: a paused
 * machine (-S) whose /proc shows Seccomp 2, NoNewPrivs 1, CapEff 0, its own network
 * namespace with only lo and the rlimits; a -drive outside the allowed files that QEMU may
 * not open; and --jail=strict refusing on a host that lacks a layer. As root and as nobody.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "host/jail/jail_qemu.h"
#include "jail_test.h"

#define GUEST_MEM_MIB 128
#define START_TIMEOUT_MS 20000

static char tmpdir[64];
static char allowed[128];

static bool is_arm64(void)
{
	struct utsname u;

	return uname(&u) == 0 && !strcmp(u.machine, "aarch64");
}

/* A paused machine, with a read-only drive when drive is not NULL. */
static void qemu_argv(const char *drive, char **argv, char *drive_arg, size_t len)
{
	size_t n = 0;

	argv[n++] = is_arm64() ? "qemu-system-aarch64" : "qemu-system-x86_64";
	argv[n++] = "-M";
	/* shared guest memory, as the vhost-user vsock needs: a memfd QEMU sizes with ftruncate */
	argv[n++] = is_arm64() ? "virt,memory-backend=mem" : "microvm,memory-backend=mem";
	const char *rest[] = {
		"-object",
		"memory-backend-memfd,id=mem,size=128M,share=on",
		"-nodefaults",
		"-display",
		"none",
		"-S",
		"-m",
		"128",
		"-accel",
		"tcg",
		"-monitor",
		"none",
		"-serial",
		"none",
		"-sandbox",
		"on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
		NULL
	};
	for (size_t i = 0; rest[i]; i++)
		argv[n++] = (char *)rest[i];
	if (drive) {
		snprintf(drive_arg, len, "file=%s,format=raw,if=none,id=d0,readonly=on", drive);
		argv[n++] = "-drive";
		argv[n++] = drive_arg;
	}
	argv[n] = NULL;
}

static void init_jail(struct ih_jail_qemu *jq, enum ih_jail_mode mode)
{
	static const char *ro[2];

	ro[0] = allowed;
	ro[1] = NULL;
	memset(jq, 0, sizeof(*jq));
	jq->cfg.mode = mode;
	jq->cfg.guest_mem = (uint64_t)GUEST_MEM_MIB << 20;
	jq->cfg.ro_paths = ro;
}

/* Starts QEMU with its console/errors into out_fd; 0 and *ret_pid, or -errno. */
static int start(struct ih_jail_qemu *jq, const char *drive, int out_fd, pid_t *ret_pid)
{
	char *argv[32], drive_arg[256];
	struct ih_qemu_spawn_req req = { .stdout_fd = out_fd };

	qemu_argv(drive, argv, drive_arg, sizeof(drive_arg));
	req.argv = argv;
	return ih_jail_qemu_spawn(&req, jq, ret_pid);
}

/* Waits until QEMU's own seccomp filter is in place (it installs it early in main). */
static int measure_running(pid_t pid, struct ih_jail_measured *m)
{
	for (int waited = 0; waited < START_TIMEOUT_MS; waited += 20) {
		if (ih_jail_measure(pid, m) == 0 && m->seccomp == 2)
			return 0;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -ECHILD;
		nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
	}
	return -ETIMEDOUT;
}

static void stop(pid_t pid, struct ih_jail_qemu *jq)
{
	kill(pid, SIGKILL);
	wait_timeout(pid, 5000);
	ih_jail_release(&jq->report);
}

static void check_running(const char *who, const struct ih_jail_qemu *jq,
			  const struct ih_jail_measured *m)
{
	char json[2048] = "";
	FILE *f = fmemopen(json, sizeof(json) - 1, "w");
	int layer = -1;
	bool ok;

	tap_ok(m->seccomp == 2, "%s: QEMU shows Seccomp 2", who);
	tap_ok(m->no_new_privs == 1, "%s: QEMU shows NoNewPrivs 1", who);
	tap_ok(!m->cap_eff && !m->cap_prm && !m->cap_bnd && !m->cap_amb,
	       "%s: QEMU shows CapEff 0 and an empty bounding set", who);
	tap_ok((m->active & IH_JAIL_BIT(IH_JAIL_NETNS)) && m->netns_ifaces == 1,
	       "%s: QEMU has its own network namespace with only lo", who);
	tap_ok(m->rlimit_as == jq->cfg.guest_mem + IH_JAIL_AS_MARGIN && m->rlimit_core == 0 &&
		       m->rlimit_nofile == IH_JAIL_NOFILE,
	       "%s: QEMU's RLIMIT_AS is guest memory + margin, no core dumps, %d fds", who,
	       IH_JAIL_NOFILE);
	ok = ih_jail_verify(&jq->report, m, ih_jail_expected(&jq->report), &layer) == 0;
	tap_ok(ok, "%s: every layer applied, and QEMU's seccomp, is measured (missing: %s)", who,
	       ok ? "none" : ih_jail_layer_name(layer));
	if (f) {
		ih_jail_print_json(&jq->report, m, f);
		fclose(f);
	}
	tap_ok(strstr(json, "\"seccomp\":\"active\"") && strstr(json, "\"netns\":\"active\""),
	       "%s: --json reports the measured layers: %s", who, json);
	ih_jail_print_text(&jq->report, m, stdout);
}

static void test_running(const char *who)
{
	struct ih_jail_qemu jq;
	struct ih_jail_measured m;
	pid_t pid;
	int r;

	init_jail(&jq, IH_JAIL_BEST_EFFORT);
	r = start(&jq, allowed, -1, &pid);
	if (!tap_ok(r == 0, "%s: jailed QEMU starts with its image file (%s)", who, strerror(-r)))
		return;
	r = measure_running(pid, &m);
	if (tap_ok(r == 0, "%s: QEMU runs and installs its filter (%s)", who, strerror(-r)))
		check_running(who, &jq, &m);
	stop(pid, &jq);
}

/* QEMU's exit status (or -ETIMEDOUT while it still runs after ms) and its stderr. */
static int run_drive(enum ih_jail_mode mode, const char *drive, int ms, char *out, size_t len)
{
	struct ih_jail_qemu jq;
	int p[2], status;
	pid_t pid;
	ssize_t n;

	init_jail(&jq, mode);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	status = start(&jq, drive, p[1], &pid);
	close(p[1]);
	if (status == 0) {
		status = wait_timeout(pid, ms);
		ih_jail_release(&jq.report);
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	n = read(p[0], out, len - 1);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	close(p[0]);
	return status;
}

static void test_landlock(const char *who)
{
	char out[512];
	int r;

	r = run_drive(IH_JAIL_OFF, "/etc/passwd", 1500, out, sizeof(out));
	tap_ok(r == -ETIMEDOUT, "%s: control: unjailed QEMU opens -drive /etc/passwd and runs",
	       who);
	r = run_drive(IH_JAIL_BEST_EFFORT, "/etc/passwd", START_TIMEOUT_MS, out, sizeof(out));
	tap_ok(r > 0 && strstr(out, "Permission denied"),
	       "%s: Landlock: jailed QEMU may not open -drive /etc/passwd (exit %d: %s)", who, r,
	       out);
	r = run_drive(IH_JAIL_BEST_EFFORT, allowed, 1500, out, sizeof(out));
	tap_ok(r == -ETIMEDOUT, "%s: jailed QEMU opens the image file it was given and runs (%s)",
	       who, out);
}

/* Strict on this very host: refuses exactly when the probe finds a layer missing. */
static void test_strict(const char *who)
{
	struct ih_jail_qemu jq;
	unsigned int avail = 0, want;
	int err[IH_JAIL_NLAYERS];
	char msg[512];
	pid_t pid;
	int r;

	init_jail(&jq, IH_JAIL_STRICT);
	ih_jail_probe(&jq.cfg, &avail, err);
	want = ((1U << IH_JAIL_NLAYERS) - 1) & ~(geteuid() ? 0 : IH_JAIL_BIT(IH_JAIL_USERNS));
	r = start(&jq, allowed, -1, &pid);
	if (r == 0)
		stop(pid, &jq);
	ih_jail_describe(&jq.report, msg, sizeof(msg));
	if ((avail & want) == want)
		tap_ok(r == 0, "%s: --jail=strict starts QEMU where every layer is offered", who);
	else
		tap_ok(r < 0 && strstr(msg, "Hint:") && jq.report.failed_layer >= 0 &&
			       !(avail & IH_JAIL_BIT(jq.report.failed_layer)),
		       "%s: --jail=strict refuses, naming a layer this host lacks: %s", who, msg);
}

static void suite(const char *who)
{
	FILE *f;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ih-jail-qemu-XXXXXX");
	if (!tap_ok(mkdtemp(tmpdir) != NULL, "%s: make a scratch directory", who))
		return;
	snprintf(allowed, sizeof(allowed), "%s/rootfs.img", tmpdir);
	f = fopen(allowed, "we");
	if (f) {
		fputs("a raw image\n", f);
		fclose(f);
	}
	test_running(who);
	test_landlock(who);
	test_strict(who);
	unlink(allowed);
	rmdir(tmpdir);
}

int main(void)
{
	char qemu[PATH_MAX];
	const char *name = is_arm64() ? "qemu-system-aarch64" : "qemu-system-x86_64";

	snprintf(qemu, sizeof(qemu), "/usr/bin/%s", name);
	if (access(qemu, X_OK) < 0) {
		tap_skip("%s is not installed", name);
		return tap_done();
	}
	run_as_users(suite);
	return tap_done();
}
