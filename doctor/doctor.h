/*
 * ih-doctor: run-time proof of the guest's hardening. Every check reads the system through
 * a root prefix ("" on the live guest) and through probe functions for what only a syscall
 * can tell, so the unit tests can feed it weakened trees and fake kernels on the host.
 *
 * A check never prints: it returns its verdict and a one-line detail, and the caller
 * (ih-doctor's main, the unit tests) turns the results into TAP.
 */
#ifndef IH_DOCTOR_H
#define IH_DOCTOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

enum ih_verdict {
	IH_PASS = 0,
	IH_FAIL = 1,
	IH_SKIP = 2,
};

#define IH_DETAIL_MAX 256

/* Receives every result: name, the reason it matters, the verdict and a detail line. */
typedef void (*ih_report_fn)(void *arg, const char *name, const char *reason, enum ih_verdict v,
			     const char *detail);

/* What only a syscall can tell; the unit tests replace these with fakes. */
struct ih_doctor_probes {
	/* The Landlock ABI version (>= 1), or -errno (-ENOSYS: not built, -EOPNOTSUPP: off). */
	int (*landlock_abi)(void);
	/* The errno of an attempt to load a kernel module (init_module, finit_module). */
	int (*module_load_errno)(void);
	/* 0 when the seccomp filter mode is usable, else -errno. */
	int (*seccomp_filter)(void);
	/*
	 * A write through /proc/self/mem to a read-only page of the caller: 0 refused (EIO),
	 * 1 written (the kernel forces it), else -errno of a probe that could not run.
	 */
	int (*proc_mem_force)(void);
	/*
	 * SIDT from user space: 1 answered with the kernel's UMIP dummy, 0 answered with the
	 * real IDT, -ENODEV the CPU has no UMIP, -EOPNOTSUPP not an x86 CPU.
	 */
	int (*umip)(void);
};

struct ih_doctor {
	const char *root; /* prefix for every path: "" on the live system */
	const char *cmdline_expected; /* text of kernel/cmdline: tokens with # comments */
	const char *sysctl_expected; /* text of doctor/sysctl.expected */
	const struct ih_doctor_probes *probes;
	int landlock_abi_min; /* the ABI of the guest kernel's release */
	int mmap_rnd_bits; /* vm.mmap_rnd_bits at least (kernel/defconfig: the arch maximum) */
	int kfence_interval_ms; /* KFENCE's sample interval (kernel/defconfig); 0: not built */
	pid_t self; /* the doctor's own pid as <root>/proc shows it; 0: getpid() */
	/* Starts a real sandboxed decoder child and inspects it (ih_doctor_sandbox), or NULL. */
	int (*sandbox)(const struct ih_doctor *d, ih_report_fn report, void *arg);
};

/* One named check with the reason it matters. */
struct ih_check {
	const char *name;
	const char *reason;
	enum ih_verdict (*fn)(const struct ih_doctor *d, char *detail, size_t len);
};

/* The check tables: kernel surface (checks_kernel.c), root tree and processes (checks_fs.c). */
extern const struct ih_check ih_checks_kernel[];
extern const size_t ih_checks_kernel_count;
extern const struct ih_check ih_checks_fs[];
extern const size_t ih_checks_fs_count;

/* The probes of the running kernel. */
extern const struct ih_doctor_probes ih_probes_live;

/* Runs every check and every list item; returns the number of failures. */
int ih_doctor_run(const struct ih_doctor *d, ih_report_fn report, void *arg);

/* The list checks, one result per entry of their data: kernel/cmdline tokens, sysctls. */
int ih_doctor_cmdline(const struct ih_doctor *d, ih_report_fn report, void *arg);
int ih_doctor_sysctls(const struct ih_doctor *d, ih_report_fn report, void *arg);

/*
 * The sandbox a decoder child runs under, read from outside through <root>/proc/<pid>:
 * seccomp filter mode, no_new_privs, no capabilities, namespaces other than those of
 * ref_pid, an unprivileged uid. landlock_errno is what the child's own open() attempt
 * reported (EACCES when Landlock denied it). Returns the number of failures.
 */
int ih_doctor_inspect_child(const struct ih_doctor *d, pid_t pid, pid_t ref_pid, int landlock_errno,
			    ih_report_fn report, void *arg);

/* Starts a real sandboxed decoder child and inspects it (doctor/sandbox.c); the failures. */
int ih_doctor_sandbox(const struct ih_doctor *d, ih_report_fn report, void *arg);
/* The same with the layers (IH_LAYER_*) given: the tests weaken the child on purpose. */
int ih_doctor_sandbox_layers(const struct ih_doctor *d, uint32_t layers, ih_report_fn report,
			     void *arg);

/* Helpers shared by the checks (doctor/util.c). */
/* Formats a check's detail line and returns v. */
__attribute__((format(printf, 4, 5))) enum ih_verdict ih_verdictf(enum ih_verdict v, char *detail,
								  size_t len, const char *fmt, ...);
/* The symbolic name of an errno value ("EACCES"), never NULL. */
const char *ih_errname(int e);
int ih_path(const struct ih_doctor *d, const char *path, char *buf, size_t len);
int ih_exists(const struct ih_doctor *d, const char *path);
/* Reads at most len-1 bytes of <root>path, NUL-terminated; the byte count or -errno. */
ssize_t ih_read_text(const struct ih_doctor *d, const char *path, char *buf, size_t len);
/* Reads a whole file of at most max bytes into a new NUL-terminated buffer; 0 or -errno. */
int ih_read_alloc(const struct ih_doctor *d, const char *path, size_t max, char **ret);

/* One line of /proc/self/mounts. */
struct ih_mount {
	char src[256];
	char dir[256];
	char type[64];
	char opts[1024];
};
/* Calls fn for each mount in <root>/proc/self/mounts until fn returns non-zero. */
int ih_mounts_each(const struct ih_doctor *d, int (*fn)(void *arg, const struct ih_mount *m),
		   void *arg);
/* 1 when the comma-separated option list opts holds opt exactly (or opt=...). */
int ih_opt_has(const char *opts, const char *opt);

/*
 * Walks <root> depth-first without following symlinks or entering <root>/proc and
 * <root>/sys, calling fn with the path relative to <root> (starting with '/') and its
 * lstat. fn returns 0 to go on, non-zero to stop (the walk returns that value).
 */
int ih_walk(const struct ih_doctor *d,
	    int (*fn)(void *arg, const char *path, const struct stat *st), void *arg);

#endif
