/*
 * The decoder sandbox: a fresh child process with every layer applied, in the only safe
 * order, before it runs a body of the caller's choosing:
 *
 *   clone3 with new PID, NET, MNT, IPC, UTS namespaces (and USER when not root)
 *   -> close every fd but the kept ones -> mounts private -> rlimits (AS, CPU, FSIZE 0,
 *   NPROC 0, CORE 0, NOFILE, MEMLOCK 0, MSGQUEUE 0) -> bounding set dropped -> uid/gid
 *   65534 when root -> every capability dropped -> PR_SET_NO_NEW_PRIVS ->
 *   PR_SET_DUMPABLE 0 -> Landlock denying every right the kernel knows -> seccomp
 *   allow-list (guest/sandbox/seccomp.policy) -> body.
 *
 * Used by guest/sandbox/isolate.c for every decode, by the doctor (which inspects a live child's
 * /proc/<pid>/status from outside) and by the escape tests (which run hostile bodies).
 * Call it from a single-threaded process only: the child is a fork-like clone.
 */
#ifndef IH_GUEST_SANDBOX_H
#define IH_GUEST_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "guest/decode/proto.h"

/* The unprivileged ids a root caller's child runs as. */
#define IH_SANDBOX_UID 65534
#define IH_SANDBOX_GID 65534

/* The most fds a child may keep. */
#define IH_SANDBOX_MAX_FDS 8

/* How long the setup may take before the child is killed (IH_STEP_REPORT, ETIMEDOUT). */
#define IH_SANDBOX_SETUP_MS 10000

/* Setup steps, in order; a failure names the one that failed. */
enum ih_sandbox_step {
	IH_STEP_NONE = 0,
	IH_STEP_SPAWN, /* clone3 with the namespaces */
	IH_STEP_FDS, /* close every fd but the kept ones */
	IH_STEP_MOUNTS, /* make every mount private to the new mount namespace */
	IH_STEP_RLIMITS,
	IH_STEP_BOUNDING, /* drop the capability bounding set and ambient set */
	IH_STEP_IDS, /* setgroups/setresgid/setresuid to 65534 when root */
	IH_STEP_CAPS, /* clear every capability, then verify */
	IH_STEP_NO_NEW_PRIVS,
	IH_STEP_DUMPABLE,
	IH_STEP_LANDLOCK,
	IH_STEP_SECCOMP,
	IH_STEP_REPORT, /* the child's setup report did not arrive */
};

struct ih_sandbox_cfg {
	/*
	 * Layers to apply (IH_LAYER_*), normally IH_LAYER_ALL. IH_LAYER_NS_USER is applied
	 * only when the caller is not root (it is what lets an unprivileged caller make the
	 * other namespaces); IH_LAYER_UID means "not running as uid 0", by setresuid when
	 * root. Tests clear bits to weaken the sandbox on purpose (e.g. no seccomp).
	 */
	uint32_t layers;
	/* Skip a wanted layer the kernel lacks (it is then missing from the report) instead
	 * of refusing. A layer the kernel has that fails to apply always refuses. */
	bool allow_degraded;
	/* RLIMIT_AS: this much address space on top of what the child has at its start. */
	uint64_t max_memory_bytes;
	/* RLIMIT_CPU, rounded up to whole seconds; the kernel SIGKILLs the child past it. */
	uint32_t cpu_ms;
	/* The fds the child keeps (at most IH_SANDBOX_MAX_FDS); seccomp lets it write only
	 * to these. Every other fd, stdin/stdout/stderr included, is closed. */
	const int *keep_fds;
	size_t n_keep_fds;
};

struct ih_sandbox_report {
	uint32_t layers; /* IH_LAYER_* active in the child */
	enum ih_sandbox_step step; /* the step that failed, IH_STEP_NONE on success */
	int err; /* its error, a positive errno (EOPNOTSUPP: the kernel lacks the layer) */
};

/* The body runs inside the finished sandbox; its return value is the child's exit code. */
typedef int (*ih_sandbox_body)(void *arg, uint32_t layers);

/*
 * Starts a sandboxed child running body(arg, layers) and returns once every layer is in
 * place (or has failed). 0: *ret_pid runs the body, *ret_pidfd (if not NULL) is a
 * close-on-exec pidfd for it, *ret_report lists the active layers; the caller reaps the
 * child. -errno: no child is left (it was reaped); *ret_report names the failed step.
 */
int ih_sandbox_spawn(const struct ih_sandbox_cfg *cfg, ih_sandbox_body body, void *arg,
		     pid_t *ret_pid, int *ret_pidfd, struct ih_sandbox_report *ret_report);

/* The layers a full sandbox has for this caller: IH_LAYER_ALL less NS_USER when root. */
uint32_t ih_sandbox_expected_layers(void);

/* The layers this kernel can provide (namespaces built in, Landlock, seccomp). */
uint32_t ih_sandbox_available_layers(void);

const char *ih_sandbox_step_name(enum ih_sandbox_step step);

/* A one-line "Hint: ..." for a failed step, or NULL. */
const char *ih_sandbox_hint(const struct ih_sandbox_report *report);

/* The rlimits the child gets besides AS and CPU, for `ih-vm policy`. */
struct ih_sandbox_rlimit {
	int resource;
	const char *name;
	uint64_t value; /* UINT64_MAX: computed per child (see reason) */
	const char *reason;
};
extern const struct ih_sandbox_rlimit ih_sandbox_rlimits[];
extern const size_t ih_sandbox_n_rlimits;

/* The namespaces the child gets, with their IH_LAYER_NS_* bit, for `ih-vm policy`. */
struct ih_sandbox_ns {
	uint32_t layer;
	const char *name; /* as in /proc/self/ns */
	int clone_flag;
};
extern const struct ih_sandbox_ns ih_sandbox_namespaces[];
extern const size_t ih_sandbox_n_namespaces;

#endif
