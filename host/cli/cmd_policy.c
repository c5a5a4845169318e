/*
 * ih-vm policy: the decoder sandbox as it would be applied on this host, from the same
 * data the sandbox uses: Landlock rights of the running ABI (landlockconfig JSON),
 * the seccomp allow-list (guest/sandbox/seccomp.policy), rlimits, namespaces and layers.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "guest/sandbox/landlock.h"
#include "guest/decode/proto.h"
#include "guest/sandbox/sandbox.h"
#include "guest/sandbox/seccomp_filter.h"

static void json_rights(const char *key, const char *kind, uint64_t rights, bool *first)
{
	bool any = false;

	if (!rights)
		return;
	printf("%s\"%s\":[", *first ? "" : ",", key);
	for (unsigned int bit = 0; bit < 64; bit++)
		if (rights & (1ull << bit)) {
			const char *name = ih_landlock_right_name(kind, bit);

			printf("%s\"%s\"", any ? "," : "", name ? name : "unknown");
			any = true;
		}
	printf("]");
	*first = false;
}

/* The ruleset in landlockconfig's JSON form; no pathBeneath/netPort: nothing allowed. */
static void print_landlock_json(int abi)
{
	struct ih_landlock_rights r;
	bool first = true;

	ih_landlock_rights_for_abi(abi, &r);
	printf("{\"abi\":%d,\"ruleset\":[{", abi);
	json_rights("handledAccessFs", "fs", r.fs, &first);
	json_rights("handledAccessNet", "net", r.net, &first);
	json_rights("scoped", "scoped", r.scoped, &first);
	printf("}]}\n");
}

static int print_landlock(void)
{
	int abi = ih_landlock_abi();

	if (abi < 0) {
		const char *hint = ih_landlock_hint(abi);

		printf("# Landlock: unavailable (%s)%s%s\n", strerror(-abi), hint ? ". " : "",
		       hint ? hint : "");
		return abi;
	}
	printf("# Landlock ABI %d (this code knows up to %d): every right handled, no rule added,\n"
	       "# so every handled access is denied. landlockconfig JSON:\n",
	       abi, IH_LANDLOCK_ABI_KNOWN);
	print_landlock_json(abi);
	return 0;
}

static void print_seccomp(void)
{
	printf("\n# seccomp (%s): default kill_process, foreign architectures killed; allowed:\n",
	       ih_seccomp_available() == 0 ? "available" : "UNAVAILABLE");
	for (size_t i = 0; i < ih_seccomp_n_rules; i++)
		printf("%-12s %-18s %s\n", ih_seccomp_rules[i].name, ih_seccomp_rules[i].filter,
		       ih_seccomp_rules[i].reason);
}

static void print_rlimits(void)
{
	struct ih_limits lim;

	ih_limits_default(&lim);
	printf("\n# rlimits of the decoder child\n");
	printf("%-9s %-12s %s\n", "AS", "+max-memory",
	       "address space: what the child has at its start plus --max-memory");
	printf("%-9s %-12u %s\n", "CPU", (lim.cpu_ms + 999) / 1000,
	       "seconds, from --cpu-ms; SIGKILL past it");
	for (size_t i = 0; i < ih_sandbox_n_rlimits; i++) {
		const struct ih_sandbox_rlimit *r = &ih_sandbox_rlimits[i];

		if (r->value == UINT64_MAX)
			printf("%-9s %-12s %s\n", r->name, "computed", r->reason);
		else
			printf("%-9s %-12llu %s\n", r->name, (unsigned long long)r->value,
			       r->reason);
	}
}

static void print_namespaces(uint32_t available)
{
	printf("\n# namespaces (new for every child)\n");
	for (size_t i = 0; i < ih_sandbox_n_namespaces; i++) {
		const struct ih_sandbox_ns *ns = &ih_sandbox_namespaces[i];
		const char *use = "yes";

		if (!(available & ns->layer))
			use = "MISSING in this kernel";
		else if (ns->layer == IH_LAYER_NS_USER && geteuid() == 0)
			use = "no: root drops to uid/gid 65534 instead";
		printf("%-5s %s\n", ns->name, use);
	}
}

static void print_layers(uint32_t available)
{
	uint32_t expected = ih_sandbox_expected_layers();

	printf("\n# layers a decode needs here, and whether this host has them\n");
	for (uint32_t bit = 1; bit <= IH_LAYER_ALL; bit <<= 1)
		if (expected & bit)
			printf("%-13s %s\n", ih_layer_name(bit),
			       available & bit ? "available" : "MISSING (needs --allow-degraded)");
}

int cmd_policy(int argc, char **argv)
{
	uint32_t available = ih_sandbox_available_layers();

	if (argc == 2 && !strcmp(argv[1], "--landlock-json")) {
		int abi = ih_landlock_abi();

		if (abi < 0) {
			fprintf(stderr, "ih-vm policy: Landlock unavailable: %s\n", strerror(-abi));
			return IH_EXIT_SYSTEM;
		}
		print_landlock_json(abi);
		return IH_EXIT_OK;
	}
	if (argc > 1) {
		fprintf(stderr, "usage: ih-vm policy [--landlock-json]\n");
		return strcmp(argv[1], "--help") ? IH_EXIT_USAGE : IH_EXIT_OK;
	}
	print_landlock();
	print_seccomp();
	print_rlimits();
	print_namespaces(available);
	print_layers(available);
	return (available & ih_sandbox_expected_layers()) == ih_sandbox_expected_layers()
		       ? IH_EXIT_OK
		       : IH_EXIT_SYSTEM;
}
