/*
 * ih-vm boot: boot the guest image once and wait for it to power off by itself.
 *
 * Exit 0 when the guest reported IH-READY and ended the VM by itself with no failure on the
 * console; 3 on timeout (QEMU killed), a guest failure line, or QEMU failing; 2 on usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/qemu/accel.h"
#include "cmd.h"
#include "host/jail/jail_vm.h"
#include "host/qemu/qemu.h"

#define MODE_TOKEN_MAX 80

struct boot_args {
	unsigned int timeout_s;
	const char *console_log;
	const char *mode;
	enum ih_accel_want accel;
	bool verbose;
};

/* Where console lines go, and the last guest failure line seen. */
struct boot_console {
	FILE *out;
	char failure[256];
	bool jail_report; /* --verbose: the jail's measured layers at IH-READY */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: ih-vm boot [--timeout S] [--console-log FILE] [--mode MODE]\n"
		   "                  [--accel auto|kvm|tcg] [--verbose]\n"
		   "Boots the guest image, shows (or saves) its console and waits until the guest\n"
		   "powers off by itself. MODE is the guest's ih.mode= (default: poweroff).\n"
		   "exit: 0 guest ready and powered off, 2 usage, 3 timeout or failure\n");
	fputs(IH_JAIL_OPTIONS_HELP, f);
}

static int parse_seconds(const char *text, unsigned int *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v < 1 || v > 3600)
		return -EINVAL;
	*ret = (unsigned int)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct boot_args *a)
{
	static const struct option longopts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "console-log", required_argument, NULL, 'c' },
		{ "mode", required_argument, NULL, 'm' },
		{ "accel", required_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "jail", required_argument, NULL, 'j' },
		{ "cgroup-root", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*a = (struct boot_args){ .timeout_s = 120, .accel = IH_ACCEL_WANT_AUTO };
	optind = 1;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		int r = 0;

		switch (c) {
		case 't':
			r = parse_seconds(optarg, &a->timeout_s);
			break;
		case 'c':
			a->console_log = optarg;
			break;
		case 'm':
			a->mode = optarg;
			break;
		case 'a':
			r = ih_accel_parse(optarg, &a->accel);
			break;
		case 'v':
			a->verbose = true;
			break;
		case 'j':
			r = ih_jail_set_mode(optarg);
			break;
		case 'g':
			ih_jail_set_cgroup_root(optarg);
			break;
		case 'h':
			usage(stdout);
			exit(IH_EXIT_OK);
		default:
			return -EINVAL;
		}
		if (r < 0) {
			fprintf(stderr, "ih-vm boot: bad value '%s'\n", optarg);
			return r;
		}
	}
	return optind == argc ? 0 : -EINVAL;
}

static void on_console_line(const char *line, void *ctx)
{
	struct boot_console *bc = ctx;

	fprintf(bc->out, "%s\n", line);
	if (strstr(line, ": FAILED: ") || strstr(line, "Kernel panic"))
		snprintf(bc->failure, sizeof(bc->failure), "%s", line);
	if (bc->jail_report && !strcmp(line, "IH-READY"))
		ih_jail_print(0, false, stderr);
}

/* The image, the accelerator and the mode token into opts; prints its own error. */
static int prepare(const struct boot_args *a, struct ih_qemu_opts *opts, char *image_dir,
		   size_t size, char *mode_token)
{
	enum ih_kvm_state kvm_state;
	int r;

	ih_qemu_opts_init(opts);
	r = ih_image_dir_find(opts->arch, image_dir, size);
	if (r < 0) {
		fprintf(stderr, "%s\n", r == -ENOENT ? ih_image_dir_hint() : strerror(-r));
		return r;
	}
	opts->image_dir = image_dir;
	r = ih_accel_choose("/", a->accel, &opts->kvm, &kvm_state);
	if (r < 0) {
		fprintf(stderr, "ih-vm boot: --accel=kvm, but %s\nHint: use --accel=auto or tcg\n",
			ih_kvm_state_str(kvm_state));
		return r;
	}
	if (a->mode) {
		if (!a->mode[0] || strlen(a->mode) > 32 ||
		    strspn(a->mode, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(a->mode)) {
			fprintf(stderr,
				"ih-vm boot: bad mode '%s' (lower-case letters, digits, -)\n",
				a->mode);
			return -EINVAL;
		}
		snprintf(mode_token, MODE_TOKEN_MAX, "ih.mode=%s", a->mode);
		opts->extra_cmdline[opts->n_extra_cmdline++] = mode_token;
	}
	opts->timeout_ms = a->timeout_s * 1000;
	if (a->verbose)
		fprintf(stderr, "ih-vm boot: image %s, accelerator %s%s%s\n", image_dir,
			opts->kvm ? "kvm" : "tcg", opts->kvm ? "" : ": ",
			opts->kvm ? "" : ih_kvm_state_str(ih_kvm_probe("/")));
	return 0;
}

/* Turns the run's outcome into the exit code, with one line saying why when it failed. */
static int verdict(const struct boot_args *a, const struct ih_qemu_result *res,
		   const struct boot_console *bc)
{
	if (res->console_truncated)
		fprintf(stderr, "ih-vm boot: console output past %u MiB was dropped\n",
			IH_QEMU_CONSOLE_MAX >> 20);
	if (res->timed_out) {
		fprintf(stderr,
			"ih-vm boot: the guest did not power off within %u s; QEMU killed\n",
			a->timeout_s);
		return IH_EXIT_SYSTEM;
	}
	if (res->guest_failed) {
		fprintf(stderr, "ih-vm boot: the guest failed: %s\n", bc->failure);
		return IH_EXIT_SYSTEM;
	}
	if (!WIFEXITED(res->wait_status) || WEXITSTATUS(res->wait_status) != 0) {
		fprintf(stderr,
			"ih-vm boot: QEMU failed (wait status 0x%x); see its output above\n",
			(unsigned int)res->wait_status);
		return IH_EXIT_SYSTEM;
	}
	if (res->ready_ns < 0) {
		fprintf(stderr, "ih-vm boot: the VM ended without the guest reporting IH-READY\n");
		return IH_EXIT_SYSTEM;
	}
	if (a->verbose)
		fprintf(stderr, "ih-vm boot: IH-READY after %.3f s, QEMU exited after %.3f s\n",
			(double)res->ready_ns / 1e9, (double)res->exit_ns / 1e9);
	return IH_EXIT_OK;
}

int cmd_boot(int argc, char **argv)
{
	struct boot_console bc = { .out = stdout };
	char image_dir[4096], mode_token[MODE_TOKEN_MAX];
	struct ih_qemu_result res;
	struct ih_qemu_opts opts;
	struct boot_args a;
	int r;

	if (parse_args(argc, argv, &a) < 0) {
		usage(stderr);
		return IH_EXIT_USAGE;
	}
	if (prepare(&a, &opts, image_dir, sizeof(image_dir), mode_token) < 0)
		return IH_EXIT_SYSTEM;
	if (a.console_log) {
		bc.out = fopen(a.console_log, "we");
		if (!bc.out) {
			fprintf(stderr, "ih-vm boot: cannot write %s: %s\n", a.console_log,
				strerror(errno));
			return IH_EXIT_SYSTEM;
		}
	}
	opts.on_line = on_console_line;
	opts.line_ctx = &bc;
	opts.spawn = ih_jail_hook;
	opts.spawn_ctx = &opts;
	bc.jail_report = a.verbose;
	r = ih_qemu_run(&opts, &res);
	if (bc.out != stdout)
		fclose(bc.out);
	if (r < 0) {
		fprintf(stderr, "ih-vm boot: cannot start QEMU: %s\n%s", strerror(-r),
			r == -ENOENT ? "Hint: install qemu-system-x86 (make deps)\n" : "");
		return IH_EXIT_SYSTEM;
	}
	return verdict(&a, &res, &bc);
}
