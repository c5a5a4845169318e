/*
 * The guest image boots to IH-READY and powers off under the VMM jail, started through
 * ih_qemu_run's spawn hook; the layers are measured on the running QEMU when the guest
 * reports ready. As root and as nobody.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/jail/jail_qemu.h"
#include "host/jail/jail_vm.h"
#include "jail_test.h"

struct watch {
	struct ih_jail_qemu *jq;
	struct ih_jail_measured m;
	int measured; /* 0 not yet, 1 ok, -errno failed */
};

static void on_line(const char *line, void *ctx)
{
	struct watch *w = ctx;
	int r;

	if (strcmp(line, "IH-READY") || w->measured)
		return;
	r = ih_jail_measure(w->jq->pid, &w->m);
	w->measured = r < 0 ? r : 1;
}

/* The launcher's search, then build/<arch>/ under the current directory (make test). */
static int find_image(enum ih_arch arch, char *dir)
{
	char kernel[PATH_MAX + 32];

	if (ih_image_dir_find(arch, dir, PATH_MAX) == 0)
		return 0;
	if (!realpath("build", dir))
		return -ENOENT;
	snprintf(dir + strlen(dir), PATH_MAX - strlen(dir), "/%s", ih_arch_name(arch));
	snprintf(kernel, sizeof(kernel), "%s/%s", dir, ih_kernel_name(arch));
	return access(kernel, R_OK);
}

/* The launcher's path: --jail=MODE, the spawn hook, --json printed at IH-READY. */
struct hook_watch {
	char json[2048];
	int printed;
};

static void on_line_json(const char *line, void *ctx)
{
	struct hook_watch *w = ctx;
	FILE *f;

	if (strcmp(line, "IH-READY") || w->printed)
		return;
	f = fmemopen(w->json, sizeof(w->json) - 1, "w");
	if (!f)
		return;
	w->printed = ih_jail_print(0, true, f) == 0 ? 1 : -1;
	fclose(f);
}

static void hook_run(const char *who, const char *dir)
{
	struct ih_qemu_opts opts;
	struct ih_qemu_result res = { .ready_ns = -1, .exit_ns = -1 };
	struct hook_watch w = { .printed = 0 };
	int r;

	ih_qemu_opts_init(&opts);
	opts.image_dir = dir;
	opts.timeout_ms = 120 * 1000;
	opts.on_line = on_line_json;
	opts.line_ctx = &w;
	opts.spawn = ih_jail_hook;
	opts.spawn_ctx = &opts;
	r = ih_jail_set_mode("best-effort");
	if (r == 0)
		r = ih_qemu_run(&opts, &res);
	tap_ok(r == 0 && res.ready_ns >= 0 && !res.guest_failed && w.printed == 1 &&
		       strstr(w.json, "\"seccomp\":\"active\"") &&
		       strstr(w.json, "\"no-new-privs\":\"active\"") &&
		       strstr(w.json, "\"netns\":\"active\""),
	       "%s: through the launcher's spawn hook the guest boots and --json shows the layers: "
	       "%s",
	       who, w.json);
}

static void suite(const char *who)
{
	char dir[PATH_MAX], warn[512];
	struct ih_qemu_opts opts;
	struct ih_jail_qemu jq;
	struct ih_qemu_result res = { .ready_ns = -1, .exit_ns = -1 };
	struct watch w = { .jq = &jq };
	int layer = -1, r;
	bool ok;

	ih_qemu_opts_init(&opts);
	if (find_image(opts.arch, dir) < 0) {
		tap_skip("%s: no guest image built (make image)", who);
		return;
	}
	opts.image_dir = dir;
	opts.timeout_ms = 120 * 1000;
	opts.on_line = on_line;
	opts.line_ctx = &w;
	opts.spawn = ih_jail_qemu_spawn;
	opts.spawn_ctx = &jq;
	r = ih_jail_qemu_init(&jq, &opts, IH_JAIL_BEST_EFFORT, NULL);
	if (r == 0)
		r = ih_qemu_run(&opts, &res);
	ih_jail_release(&jq.report);
	ih_jail_warning(&jq.report, warn, sizeof(warn));
	if (warn[0])
		tap_diag("%s: %s", who, warn);
	if (!tap_ok(r == 0, "%s: jailed QEMU starts from the image (%s)", who, strerror(-r)))
		return;
	tap_ok(res.ready_ns >= 0 && !res.guest_failed && !res.timed_out && res.exit_ns >= 0,
	       "%s: the guest boots to IH-READY and powers off under the jail (%.2f s)", who,
	       res.exit_ns / 1e9);
	if (!tap_ok(w.measured == 1, "%s: the running QEMU was measured at IH-READY", who))
		return;
	ok = ih_jail_verify(&jq.report, &w.m, ih_jail_expected(&jq.report), &layer) == 0;
	tap_ok(ok && w.m.seccomp == 2 && w.m.no_new_privs == 1 && !w.m.cap_eff,
	       "%s: Seccomp 2, NoNewPrivs 1, CapEff 0 and every applied layer in force (missing: "
	       "%s)",
	       who, ok ? "none" : ih_jail_layer_name(layer));
	ih_jail_print_text(&jq.report, &w.m, stdout);
	hook_run(who, dir);
}

int main(void)
{
	run_as_users(suite);
	return tap_done();
}
