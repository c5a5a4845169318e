/*
 * The doctor's live sandbox check on this host: a decoder child with every layer passes all
 * of its child checks; a child started with one layer left out (no seccomp, no Landlock, no
 * network namespace, no uid drop, capabilities kept) fails exactly the matching check.
 */
#define _GNU_SOURCE
#include <string.h>
#include <unistd.h>

#include "doctor.h"
#include "proto.h"
#include "sandbox.h"
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

int main(void)
{
	const uint32_t full = ih_sandbox_expected_layers();
	static const struct {
		const char *what;
		uint32_t drop;
		const char *check;
		int root_only;
	} cases[] = {
		{ "a child started without seccomp", IH_LAYER_SECCOMP,
		  "decoder child: seccomp filter mode", 0 },
		{ "a child started without Landlock", IH_LAYER_LANDLOCK,
		  "decoder child: landlock denies file access", 0 },
		{ "a child started in the caller's network namespace", IH_LAYER_NS_NET,
		  "decoder child: own namespaces", 0 },
		{ "a child that keeps uid 0", IH_LAYER_UID,
		  "decoder child: unprivileged uid and gid", 1 },
		{ "a child that keeps its capabilities", IH_LAYER_CAPS,
		  "decoder child: no capabilities", 1 },
	};
	static struct results res;

	if ((ih_sandbox_available_layers() & full) != full) {
		tap_skip("this host lacks sandbox layers 0x%x",
			 full & ~ih_sandbox_available_layers());
		return tap_done();
	}
	run(full, &res);
	tap_ok(res.n == 6 && res.failed == 0, "a child with every layer passes all %d child checks",
	       res.n);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].root_only && geteuid() != 0) {
			tap_skip("%s: only a root caller can keep root's powers", cases[i].what);
			continue;
		}
		run(full & ~cases[i].drop, &res);
		tap_ok(failed_only(&res, cases[i].check), "%s: '%s' fails, nothing else",
		       cases[i].what, cases[i].check);
	}
	return tap_done();
}
