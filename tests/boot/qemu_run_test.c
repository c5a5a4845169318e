/*
 * Unit test of the supervised QEMU run (host/qemu/qemu.c ih_qemu_run) with fake "QEMU" programs
 * the test writes itself: readiness is timestamped, a guest failure line is seen, a QEMU
 * that never ends is killed at the timeout and leaves no process, a console flood is capped,
 * and a QEMU that cannot be started is an error, not a run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "host/qemu/qemu.h"

static char dir[64];

/* Writes an executable shell script name with body; returns its path (static storage). */
static const char *fake_qemu(const char *name, const char *body)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f)
		return "/nonexistent";
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(path, 0755);
	return path;
}

static size_t lines_seen, bytes_seen;

static void count_line(const char *line, void *ctx)
{
	(void)ctx;
	lines_seen++;
	bytes_seen += strlen(line) + 1;
}

static int run(const char *qemu, unsigned int timeout_ms, struct ih_qemu_result *res)
{
	struct ih_qemu_opts o;

	ih_qemu_opts_init(&o);
	o.arch = IH_ARCH_X86_64;
	o.image_dir = dir;
	o.qemu_binary = qemu;
	o.timeout_ms = timeout_ms;
	o.on_line = count_line;
	lines_seen = bytes_seen = 0;
	return ih_qemu_run(&o, res);
}

/*
 * True when the pid written to dir/pid names no live process: gone, or a zombie (killed,
 * waiting for whoever inherited it to reap it).
 */
static bool pidfile_process_gone(void)
{
	char path[128], stat[256] = "", *paren;
	long pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/pid", dir);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 1)
		return false;
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT;
	if (!fgets(stat, sizeof(stat), f))
		stat[0] = '\0';
	fclose(f);
	paren = strrchr(stat, ')');
	if (paren && paren[1] == ' ' && paren[2] == 'Z')
		return true;
	tap_diag("process %ld still running: %s", pid, stat);
	return false;
}

int main(void)
{
	struct ih_qemu_result res;
	char path[128], cmd[256];
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/ih-qemu-run-XXXXXX");
	if (!mkdtemp(dir))
		return tap_ok(0, "make a scratch directory"), tap_done();
	snprintf(path, sizeof(path), "%s/cmdline", dir);
	f = fopen(path, "we");
	if (f) {
		fputs("console=ttyS0\n", f);
		fclose(f);
	}

	tap_ok(run(fake_qemu("ready", "echo boot; printf 'IH-READY\\r\\n'; echo bye"), 20000,
		   &res) == 0 &&
		       res.ready_ns >= 0 && res.exit_ns >= res.ready_ns && !res.timed_out &&
		       !res.guest_failed && WIFEXITED(res.wait_status) &&
		       WEXITSTATUS(res.wait_status) == 0 && lines_seen == 3,
	       "a QEMU that prints IH-READY and exits: ready and exit timed, every line passed");
	tap_ok(run(fake_qemu("notready", "echo IH-READY-NOT; echo ' IH-READY'"), 20000, &res) ==
			       0 &&
		       res.ready_ns < 0,
	       "only a line that is exactly IH-READY counts as ready");
	tap_ok(run(fake_qemu("failed", "echo 'ih-initramfs: FAILED: cannot mount'; exit 0"), 20000,
		   &res) == 0 &&
		       res.guest_failed,
	       "a FAILED: line on the console marks the guest as failed");
	tap_ok(run(fake_qemu("status", "exit 3"), 20000, &res) == 0 && WIFEXITED(res.wait_status) &&
		       WEXITSTATUS(res.wait_status) == 3,
	       "QEMU's own exit status is reported");

	snprintf(cmd, sizeof(cmd), "echo $$ >%s/pid; echo IH-READY; exec sleep 600", dir);
	tap_ok(run(fake_qemu("hang", cmd), 500, &res) == 0 && res.timed_out && res.ready_ns >= 0,
	       "a QEMU that never exits hits the timeout");
	tap_ok(pidfile_process_gone(), "the timed-out QEMU was killed and reaped");

	snprintf(cmd, sizeof(cmd), "sleep 600 & echo $! >%s/pid; exec sleep 600", dir);
	tap_ok(run(fake_qemu("group", cmd), 300, &res) == 0 && res.timed_out,
	       "a QEMU with a child process hits the timeout");
	usleep(300000); /* the orphaned child is reaped by whoever inherits it */
	tap_ok(pidfile_process_gone(), "the child went with QEMU: the whole group is killed");

	tap_ok(run(fake_qemu("flood", "yes 0123456789012345678901234567890123456789 | head -c "
				      "20000000; echo; echo IH-READY"),
		   60000, &res) == 0 &&
		       res.console_truncated && bytes_seen <= IH_QEMU_CONSOLE_MAX + 1100 &&
		       res.ready_ns >= 0,
	       "a 20 MB console flood is capped at %u MiB and still scanned for IH-READY",
	       IH_QEMU_CONSOLE_MAX >> 20);

	tap_ok(run("/nonexistent/qemu-system-x86_64", 20000, &res) == -ENOENT,
	       "a QEMU binary that does not exist is -ENOENT, not a run");

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
	return tap_done();
}
