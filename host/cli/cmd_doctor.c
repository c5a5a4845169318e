/*
 * `ih-vm doctor`: boots the guest in ih.mode=doctor and relays the TAP its doctor streams
 * back over vsock; exit 0 only when every check passed. `ih-vm doctor --host` checks this
 * host instead (host/doctor/doctor_host.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/vm/backend.h"
#include "cmd.h"
#include "host/doctor/doctor_host.h"
#include "host/doctor/doctor_tap.h"
#include "host/jail/jail_vm.h"
#include "host/vm/vm.h"
#include "host/vm/vm_qemu.h"

#define DEFAULT_TIMEOUT_S 600 /* TCG on a busy host: boot, the root walk, two sandboxes */

struct doctor_opts {
	bool host;
	struct ih_backend_opts backend;
	unsigned long timeout_s;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ih-vm doctor [--host] [--accel=auto|kvm|tcg] [--vsock=user|kernel]\n"
		"                    [--timeout=SECONDS] [--console-log=FILE] [--verbose]\n"
		"                    [--jail=MODE] [--cgroup-root=DIR]\n"
		"\n"
		"Boots the guest image in doctor mode and prints, as TAP, every hardening check\n"
		"its doctor ran inside the VM. --host checks this machine instead.\n"
		"exit: 0 every check passed, 1 a check failed, 2 usage, 3 VM or system failure\n"
		"\n" IH_JAIL_OPTIONS_HELP);
}

static int parse_number(const char *text, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v == 0 || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_value(int opt, const char *arg, struct doctor_opts *o)
{
	switch (opt) {
	case 'a':
		if (!strcmp(arg, "auto"))
			o->backend.accel = IH_ACCEL_AUTO;
		else if (!strcmp(arg, "kvm"))
			o->backend.accel = IH_ACCEL_KVM;
		else if (!strcmp(arg, "tcg"))
			o->backend.accel = IH_ACCEL_TCG;
		else
			return -EINVAL;
		return 0;
	case 's':
		if (!strcmp(arg, "user"))
			o->backend.vsock = IH_VSOCK_USER;
		else if (!strcmp(arg, "kernel"))
			o->backend.vsock = IH_VSOCK_KERNEL;
		else
			return -EINVAL;
		return 0;
	case 't':
		return parse_number(arg, 86400, &o->timeout_s);
	case 'c':
		o->backend.console_log = arg;
		return 0;
	case 'j':
		return ih_jail_set_mode(arg);
	case 'g':
		ih_jail_set_cgroup_root(arg);
		return 0;
	}
	return -EINVAL;
}

/* 0, 1 for --help, or -EINVAL (the message is printed). */
static int parse_args(int argc, char **argv, struct doctor_opts *o)
{
	static const struct option longopts[] = {
		{ "host", no_argument, NULL, 'H' },
		{ "accel", required_argument, NULL, 'a' },
		{ "vsock", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "console-log", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "jail", required_argument, NULL, 'j' },
		{ "cgroup-root", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		if (opt == 'h')
			return 1;
		if (opt == 'H')
			o->host = true;
		else if (opt == 'v')
			o->backend.verbose = true;
		else if (opt == '?' || parse_value(opt, optarg, o) < 0) {
			fprintf(stderr, "ih-vm doctor: %s '%s'\n",
				opt == '?' ? "unknown option or missing value in" : "bad value",
				opt == '?' ? argv[optind - 1] : optarg);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ih-vm doctor: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static int doctor_host(void)
{
	char qemu[PATH_MAX];
	struct ih_host_ctx ctx;
	int failed = 0;

	ih_host_ctx_live(&ctx, qemu, sizeof(qemu));
	for (size_t i = 0; i < ih_host_checks_count; i++) {
		struct ih_host_result r = { .v = IH_HOST_PASS };

		ih_host_checks[i].fn(&ctx, &r);
		if (r.v == IH_HOST_ABSENT)
			printf("ok %zu - %s # SKIP %s\n", i + 1, ih_host_checks[i].name, r.detail);
		else
			printf("%sok %zu - %s\n#   %s\n", r.v == IH_HOST_FAIL ? "not " : "", i + 1,
			       ih_host_checks[i].name, r.detail);
		if (r.v != IH_HOST_PASS)
			printf("#   why it matters: %s\n#   %s\n", ih_host_checks[i].reason,
			       r.hint);
		failed += r.v == IH_HOST_FAIL;
	}
	printf("1..%zu\n", ih_host_checks_count);
	if (failed)
		fprintf(stderr, "ih-vm doctor --host: %d of %zu checks failed\n", failed,
			ih_host_checks_count);
	return failed ? IH_EXIT_REJECTED : IH_EXIT_OK;
}

/* Relays the guest doctor's TAP; the exit code from what it said and how it ended. */
static int relay(struct ih_vm *vm, int64_t deadline)
{
	struct ih_tap_summary s;
	int r = ih_tap_relay(ih_vm_stream_fd(vm), deadline, stdout, &s);

	if (r < 0) {
		fprintf(stderr, "ih-vm doctor: the guest's report %s\n",
			r == -ETIMEDOUT ? "did not finish in time"
			: r == -EPROTO	? "broke the line limits"
					: "stream failed");
		if (r == -ETIMEDOUT)
			fprintf(stderr, "Hint: raise --timeout (TCG is slow on a busy host)\n");
		return IH_EXIT_SYSTEM;
	}
	if (!ih_tap_complete(&s)) {
		fprintf(stderr,
			"ih-vm doctor: incomplete report (%u results, plan %u): the doctor died\n",
			s.passed + s.failed + s.skipped, s.plan);
		return IH_EXIT_SYSTEM;
	}
	fprintf(stderr, "ih-vm doctor: %u passed, %u failed, %u skipped\n", s.passed, s.failed,
		s.skipped);
	return ih_tap_all_passed(&s) ? IH_EXIT_OK : IH_EXIT_REJECTED;
}

static int doctor_vm(const struct doctor_opts *o)
{
	struct ih_vm_cfg cfg = { .vsock = o->backend.vsock };
	int64_t deadline = ih_tap_now_ms() + (int64_t)o->timeout_s * 1000;
	struct ih_limits lim;
	struct ih_vm *vm;
	int r;

	r = ih_vm_qemu_prepare(&o->backend, &cfg);
	if (r < 0)
		return IH_EXIT_SYSTEM;
	ih_limits_default(&lim);
	cfg.mem_bytes = ih_vm_mem_for(&lim);
	cfg.console_log = o->backend.console_log;
	cfg.guest_mode = "doctor";
	cfg.boot_timeout_ms = (int)(o->timeout_s * 1000);
	r = ih_vm_start(&cfg, &vm);
	if (r < 0) {
		fprintf(stderr, "ih-vm doctor: the guest did not start: %s\n%s",
			r == -ECHILD	  ? "QEMU exited before the guest connected"
			: r == -ETIMEDOUT ? "no connection from the guest in time"
					  : strerror(-r),
			o->backend.console_log ? "" : "Hint: --console-log=FILE shows its boot\n");
		ih_vm_qemu_release(&cfg);
		return IH_EXIT_SYSTEM;
	}
	r = relay(vm, deadline);
	ih_vm_kill(vm);
	ih_vm_qemu_release(&cfg);
	return r;
}

int cmd_doctor(int argc, char **argv)
{
	struct doctor_opts o = { .timeout_s = DEFAULT_TIMEOUT_S };
	int r = parse_args(argc, argv, &o);

	if (r == 1) {
		usage(stdout);
		return IH_EXIT_OK;
	}
	if (r < 0) {
		usage(stderr);
		return IH_EXIT_USAGE;
	}
	return o.host ? doctor_host() : doctor_vm(&o);
}
