/* The launcher's VMM jail settings and its jailed QEMUs (see jail_vm.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "jail_qemu.h"
#include "jail_vm.h"

#define MAX_VMS 8

static enum ih_jail_mode mode = IH_JAIL_BEST_EFFORT;
static const char *cgroup_root;
static bool warned;
static struct ih_jail_qemu vms[MAX_VMS];
static pid_t latest; /* the last QEMU started */

int ih_jail_set_mode(const char *arg)
{
	return ih_jail_parse_mode(arg, &mode);
}

void ih_jail_set_cgroup_root(const char *dir)
{
	cgroup_root = dir;
}

enum ih_jail_mode ih_jail_get_mode(void)
{
	return mode;
}

/* A free slot: never used, or its QEMU is gone (reaped without ih_jail_reaped). */
static struct ih_jail_qemu *slot(void)
{
	for (size_t i = 0; i < MAX_VMS; i++) {
		if (vms[i].pid > 0 && kill(vms[i].pid, 0) < 0 && errno == ESRCH) {
			ih_jail_release(&vms[i].report);
			vms[i].pid = 0;
		}
		if (vms[i].pid <= 0)
			return &vms[i];
	}
	return NULL;
}

static struct ih_jail_qemu *find(pid_t pid)
{
	for (size_t i = 0; pid > 0 && i < MAX_VMS; i++)
		if (vms[i].pid == pid)
			return &vms[i];
	return NULL;
}

/* The launcher's one line about the jail: the failing layer, or (once) what was skipped. */
static void tell(const struct ih_jail_report *rep, int r)
{
	char msg[768];

	if (r < 0) {
		ih_jail_describe(rep, msg, sizeof(msg));
		fprintf(stderr, "ih-vm: %s\n", msg);
		return;
	}
	ih_jail_warning(rep, msg, sizeof(msg));
	if (msg[0] && !warned)
		fprintf(stderr, "ih-vm: warning: %s\n", msg);
	warned = warned || msg[0];
}

static int spawn(const struct ih_qemu_opts *opts, const struct ih_qemu_spawn_req *req,
		 pid_t *ret_pid)
{
	struct ih_jail_qemu *jq = slot();
	int r;

	if (!jq)
		return -EMFILE;
	r = ih_jail_qemu_init(jq, opts, mode, cgroup_root);
	if (r < 0)
		return r;
	r = ih_jail_qemu_spawn(req, jq, ret_pid);
	tell(&jq->report, r);
	jq->pid = r < 0 ? 0 : *ret_pid;
	latest = jq->pid;
	return r;
}

int ih_jail_hook(const struct ih_qemu_spawn_req *req, void *ctx, pid_t *ret_pid)
{
	return spawn(ctx, req, ret_pid);
}

int ih_jail_vm_spawn(const char *image_dir, const char *initramfs, uint64_t mem_bytes, bool kvm,
		     const struct ih_qemu_spawn_req *req, pid_t *ret_pid)
{
	struct ih_qemu_opts o;

	ih_qemu_opts_init(&o);
	o.image_dir = image_dir;
	o.initramfs = initramfs;
	o.mem_mib = (unsigned int)(mem_bytes >> 20);
	o.kvm = kvm;
	return spawn(&o, req, ret_pid);
}

void ih_jail_reaped(pid_t pid)
{
	struct ih_jail_qemu *jq = find(pid);

	if (!jq)
		return;
	ih_jail_release(&jq->report);
	jq->pid = 0;
}

int ih_jail_layers(pid_t pid, unsigned int *ret_layers)
{
	const struct ih_jail_qemu *jq = find(pid);
	struct ih_jail_measured m;
	int r = jq ? ih_jail_measure(pid, &m) : -ESRCH;

	if (r < 0)
		return r;
	*ret_layers = m.active | (jq->report.applied & IH_JAIL_BIT(IH_JAIL_LANDLOCK));
	return 0;
}

int ih_jail_print(pid_t pid, bool json, FILE *f)
{
	const struct ih_jail_qemu *jq = find(pid ? pid : latest);

	return jq ? ih_jail_qemu_print(jq, json, f) : -ESRCH;
}
