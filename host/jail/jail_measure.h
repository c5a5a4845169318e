/*
 * The VMM jail's vocabulary and its measurement (host/jail/jail_measure.c): the modes, the
 * layers, what a start applied (struct ih_jail_report) and what /proc shows in force on the
 * running process (struct ih_jail_measured), and their one-line and --verbose/--json texts.
 * Library code: returns 0 or -errno and prints nothing but to the FILE it is given.
 */
#ifndef IH_HOST_JAIL_MEASURE_H
#define IH_HOST_JAIL_MEASURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

enum ih_jail_mode {
	IH_JAIL_OFF, /* plain fork/exec (fd hygiene only): the baseline */
	IH_JAIL_BEST_EFFORT, /* skip a layer the host does not offer, say so in one line */
	IH_JAIL_STRICT, /* refuse to start when any layer cannot be applied */
};

/* One bit per layer, in the order the child applies them. */
enum ih_jail_layer {
	IH_JAIL_CGROUP, /* cgroup v2 leaf with memory.max, cpu.max, pids.max */
	IH_JAIL_USERNS, /* user namespace (only when not root) */
	IH_JAIL_NETNS, /* empty network namespace: only lo */
	IH_JAIL_IPCNS,
	IH_JAIL_UTSNS,
	IH_JAIL_MNTNS,
	IH_JAIL_TMP, /* private, empty /tmp */
	IH_JAIL_DEV, /* /dev holding only the devices QEMU needs */
	IH_JAIL_RLIMITS, /* address space, core, file size, fds, processes */
	IH_JAIL_CAPS, /* effective, permitted, inheritable, ambient and bounding sets empty */
	IH_JAIL_NNP, /* PR_SET_NO_NEW_PRIVS */
	IH_JAIL_LANDLOCK, /* read-only files, no writes, no TCP, scoped signals and sockets */
	IH_JAIL_SECCOMP, /* QEMU's own -sandbox filter: measured only */
	IH_JAIL_NLAYERS,
};

#define IH_JAIL_BIT(l) (1U << (l))

/* The rlimits the jail sets (measurement checks them in force). */
/* QEMU under TCG maps about 1.26 GiB beyond guest RAM (measured on 7.2: 1 GiB of translation
 * buffer, libraries, thread stacks); the rest covers per-thread malloc arenas while running. */
#define IH_JAIL_AS_MARGIN (2ULL << 30)
/* memory.max: guest RAM plus QEMU's resident overhead (about 40 MiB under TCG). */
#define IH_JAIL_MEM_MARGIN (256ULL << 20)
#define IH_JAIL_NOFILE 256
#define IH_JAIL_NPROC 256 /* threads count: TCG vCPUs, RCU, the block thread pool */
/* RLIMIT_FSIZE is guest RAM plus this: QEMU sizes its shared guest memory (a memfd) with
 * ftruncate, which the limit covers; the console log is the only file it writes. */
#define IH_JAIL_FSIZE (64ULL << 20)

struct ih_jail_report {
	enum ih_jail_mode mode;
	unsigned int applied; /* layers the child applied before exec */
	unsigned int skipped; /* layers the host does not offer (best-effort only) */
	int skip_err[IH_JAIL_NLAYERS]; /* why each skipped layer was skipped (errno) */
	int failed_layer; /* layer that stopped the start, or -1 */
	int failed_err; /* its errno */
	int landlock_abi;
	char cgroup[256]; /* leaf created for the VM, "" when none */
};

/* What was measured on a running process from /proc/<pid>/{status,ns,limits,cgroup}. */
struct ih_jail_measured {
	unsigned int active; /* IH_JAIL_BIT mask of layers found in force */
	int seccomp; /* Seccomp: field (0 none, 1 strict, 2 filter) */
	int no_new_privs;
	uint64_t cap_eff, cap_prm, cap_bnd, cap_amb;
	int netns_ifaces; /* interfaces seen in its network namespace, -1 unknown */
	uint64_t rlimit_as; /* soft limits, UINT64_MAX for unlimited */
	uint64_t rlimit_core, rlimit_fsize, rlimit_nofile, rlimit_nproc;
	char cgroup[256]; /* its cgroup v2 path */
};

int ih_jail_parse_mode(const char *s, enum ih_jail_mode *ret_mode);
const char *ih_jail_mode_name(enum ih_jail_mode mode);
const char *ih_jail_layer_name(enum ih_jail_layer layer);

/* Reads the layers in force on pid; netns is compared with this process's own. */
int ih_jail_measure(pid_t pid, struct ih_jail_measured *ret);

/* The layers expected in force on the running QEMU (those applied, plus its seccomp when its
 * argv asked for it), minus Landlock, which /proc does not show. */
unsigned int ih_jail_expected(const struct ih_jail_report *rep);
/* 0 when every expected layer is measured in force, else -EPERM and the first missing one. */
int ih_jail_verify(const struct ih_jail_report *rep, const struct ih_jail_measured *m,
		   unsigned int expected, int *ret_layer);

/* One line naming the failed layer, its errno and a Hint. */
void ih_jail_describe(const struct ih_jail_report *rep, char *buf, size_t len);
/* One line naming the skipped layers, or "" when none were skipped. */
void ih_jail_warning(const struct ih_jail_report *rep, char *buf, size_t len);
/* Human-readable (multi-line) or JSON (one object) description of the measured layers. */
void ih_jail_print_text(const struct ih_jail_report *rep, const struct ih_jail_measured *m,
			FILE *f);
void ih_jail_print_json(const struct ih_jail_report *rep, const struct ih_jail_measured *m,
			FILE *f);

#endif
