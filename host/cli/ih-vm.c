/* ih-vm: the launcher's entry point. It only picks the subcommand; each lives in cmd_*.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "host/qemu/qemu.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

static const struct subcommand subcommands[] = {
	{ "decode", cmd_decode, "decode images in a hardened microVM (or --isolation=process)" },
	{ "doctor", cmd_doctor, "prove the guest's hardening at run time (--host: this host)" },
	{ "policy", cmd_policy, "print the decoder sandbox policy of this host" },
	{ "boot", cmd_boot, "boot the guest image and wait for it to power off" },
	{ "report", cmd_report, "merge a decode farm's records: totals, slowest, missing" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: ih-vm [--arch=x86_64|arm64] COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-8s %s\n", subcommands[i].name, subcommands[i].help);
	fprintf(f,
		"\n--arch boots the guest image of that architecture (default: $IH_ARCH, else\n"
		"this host's).\n"
		"'ih-vm COMMAND --help' describes each command.\n"
		"exit codes: 0 ok, 1 image rejected or check failed, 2 usage, 3 system failure\n");
}

/*
 * A leading --arch=NAME (or --arch NAME) selects the guest, else $IH_ARCH when set (so a
 * whole test suite can run against the other architecture's image); *ret_skip counts the
 * option's words.
 */
static int parse_arch(int argc, char **argv, int *ret_skip)
{
	const char *name = getenv("IH_ARCH");
	enum ih_arch arch;

	*ret_skip = 0;
	if (argc > 1 && !strncmp(argv[1], "--arch=", 7)) {
		name = argv[1] + 7;
		*ret_skip = 1;
	} else if (argc > 2 && !strcmp(argv[1], "--arch")) {
		name = argv[2];
		*ret_skip = 2;
	}
	if (!name)
		return 0;
	if (ih_arch_parse(name, &arch) < 0) {
		fprintf(stderr, "ih-vm: unknown %s '%s' (x86_64 or arm64)\n",
			*ret_skip ? "--arch" : "IH_ARCH", name);
		return -1;
	}
	ih_arch_select(arch);
	return 0;
}

int main(int argc, char **argv)
{
	int skip;

	if (parse_arch(argc, argv, &skip) < 0) {
		usage(stderr);
		return IH_EXIT_USAGE;
	}
	argc -= skip;
	argv += skip;
	if (argc < 2) {
		usage(stderr);
		return IH_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return IH_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "ih-vm: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return IH_EXIT_USAGE;
}
