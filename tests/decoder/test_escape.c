/*
 * Escape tests: hostile bodies run inside ih_sandbox_spawn() and try to get out. Each
 * attempt must be killed by seccomp (SIGSYS) or fail with EACCES/EPERM. With seccomp off
 * on purpose, Landlock alone must still deny the file accesses; with the sandbox off, the
 * same attempts succeed, which shows that these checks can fail.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "guest/sandbox/sandbox.h"

#define NO_SECCOMP (IH_LAYER_ALL & ~IH_LAYER_SECCOMP)
#define NOTHING_BUT_NS (IH_LAYER_NS_ALL | IH_LAYER_RLIMITS)

/* Under ASan a failed malloc returns NULL, as it does in the production build. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

struct probe {
	int fd; /* the body writes one int here: 0 (it worked) or the errno */
	pid_t parent; /* the test process, as this pid namespace sees it */
	char path[256]; /* a scratch path for file tests */
};

/* How one body ended. */
struct outcome {
	int spawned; /* ih_sandbox_spawn's result */
	int sig; /* the signal that killed it, or 0 */
	int err; /* what it reported, -1 when it reported nothing */
	uint32_t layers;
};

static int report(const struct probe *p, int ok)
{
	int e = ok ? 0 : errno;

	return write(p->fd, &e, sizeof(e)) == sizeof(e) ? 0 : 1;
}

static int body_open_read(void *arg, uint32_t layers)
{
	(void)layers;
	return report(arg, open("/etc/passwd", O_RDONLY | O_CLOEXEC) >= 0);
}

static int body_write_file(void *arg, uint32_t layers)
{
	const struct probe *p = arg;

	(void)layers;
	return report(p, open(p->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600) >= 0);
}

static int body_socket(void *arg, uint32_t layers)
{
	(void)layers;
	return report(arg, socket(AF_UNIX, SOCK_STREAM, 0) >= 0);
}

static int body_execve(void *arg, uint32_t layers)
{
	char *const argv[] = { "/bin/true", NULL };

	(void)layers;
	execve("/bin/true", argv, NULL);
	return report(arg, 0);
}

static int body_ptrace(void *arg, uint32_t layers)
{
	const struct probe *p = arg;

	(void)layers;
	return report(p, ptrace(PTRACE_ATTACH, p->parent, NULL, NULL) == 0);
}

static int body_kill_parent(void *arg, uint32_t layers)
{
	const struct probe *p = arg;

	(void)layers;
	return report(p, kill(p->parent, SIGCONT) == 0);
}

static int body_fork(void *arg, uint32_t layers)
{
	pid_t pid;

	(void)layers;
	pid = fork();
	if (pid == 0)
		_exit(0);
	return report(arg, pid > 0);
}

static int body_inherited_fd(void *arg, uint32_t layers)
{
	(void)layers;
	/* stderr is never kept: it must be closed */
	return report(arg, fcntl(2, F_GETFD) >= 0);
}

static int body_huge_malloc(void *arg, uint32_t layers)
{
	void *p = malloc((size_t)1 << 30);
	int got = p != NULL;

	(void)layers;
	free(p);
	errno = ENOMEM;
	return report(arg, got);
}

#if defined(__x86_64__)
/* A 32-bit getpid through int 0x80: the foreign-architecture path around a 64-bit filter. */
static int body_i386_syscall(void *arg, uint32_t layers)
{
	long ret = 20; /* __NR_getpid on i386 */

	(void)layers;
	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
	errno = ret < 0 ? (int)-ret : 0;
	return report(arg, ret > 0);
}

#endif

static int body_spin(void *arg, uint32_t layers)
{
	volatile unsigned long n = 0;

	(void)arg;
	(void)layers;
	for (;;)
		n++;
	return 0;
}

static struct outcome run(uint32_t layers, ih_sandbox_body body, struct probe *p)
{
	struct outcome o = { .err = -1 };
	struct ih_sandbox_report rep;
	struct ih_sandbox_cfg cfg = {
		.layers = layers,
		.max_memory_bytes = 256u << 20,
		.cpu_ms = 1000,
		.n_keep_fds = 1,
	};
	int fds[2], status = 0, e;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return o;
	p->fd = fds[1];
	cfg.keep_fds = &p->fd;
	o.spawned = ih_sandbox_spawn(&cfg, body, p, &pid, NULL, &rep);
	close(fds[1]);
	o.layers = rep.layers;
	if (o.spawned == 0) {
		if (read(fds[0], &e, sizeof(e)) == sizeof(e))
			o.err = e;
		waitpid(pid, &status, 0);
		o.sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	} else {
		tap_diag("spawn failed at %s: %s", ih_sandbox_step_name(rep.step),
			 strerror(rep.err));
	}
	close(fds[0]);
	return o;
}

static int denied(struct outcome o)
{
	return o.spawned == 0 && (o.sig == SIGSYS || o.err == EACCES || o.err == EPERM);
}

static const char *how(struct outcome o)
{
	static char buf[64];

	if (o.sig)
		snprintf(buf, sizeof(buf), "signal %d", o.sig);
	else
		snprintf(buf, sizeof(buf), "errno %d", o.err);
	return buf;
}

struct attempt {
	const char *name;
	ih_sandbox_body body;
};

static const struct attempt attempts[] = {
	{ "open(/etc/passwd)", body_open_read },
	{ "create a file", body_write_file },
	{ "socket()", body_socket },
	{ "execve(/bin/true)", body_execve },
	{ "ptrace(ATTACH) of the parent", body_ptrace },
	{ "kill() of the parent", body_kill_parent },
	{ "fork()", body_fork },
};

static void test_full_sandbox(struct probe *p)
{
	struct outcome o;

	for (size_t i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
		o = run(IH_LAYER_ALL, attempts[i].body, p);
		tap_ok(denied(o) && o.sig == SIGSYS, "full sandbox: %s is killed by SIGSYS (%s)",
		       attempts[i].name, how(o));
	}
	o = run(IH_LAYER_ALL, body_huge_malloc, p);
	tap_ok(o.spawned == 0 && o.err == ENOMEM,
	       "full sandbox: 1 GiB malloc fails under a 256 MiB budget (%s)", how(o));
	tap_ok(o.layers == ih_sandbox_expected_layers(),
	       "full sandbox: every expected layer is reported (0x%x of 0x%x)", o.layers,
	       ih_sandbox_expected_layers());
}

static void test_landlock_only(struct probe *p)
{
	struct outcome o;

	o = run(NO_SECCOMP, body_open_read, p);
	tap_ok(o.spawned == 0 && o.sig == 0 && o.err == EACCES,
	       "seccomp off: Landlock still denies open(/etc/passwd) (%s)", how(o));
	o = run(NO_SECCOMP, body_write_file, p);
	tap_ok(o.spawned == 0 && o.sig == 0 && o.err == EACCES,
	       "seccomp off: Landlock still denies creating a file (%s)", how(o));
	tap_ok(access(p->path, F_OK) < 0, "seccomp off: no file was created");
	o = run(NO_SECCOMP, body_ptrace, p);
	tap_ok(o.spawned == 0 && o.sig == 0 && o.err != 0,
	       "seccomp off: ptrace of the parent fails (%s)", how(o));
	o = run(NO_SECCOMP, body_fork, p);
	tap_ok(o.spawned == 0 && o.sig == 0 && o.err == EAGAIN,
	       "seccomp off: RLIMIT_NPROC 0 stops fork() (%s)", how(o));
	o = run(NO_SECCOMP, body_inherited_fd, p);
	tap_ok(o.spawned == 0 && o.err == EBADF, "seccomp off: stderr is closed in the child (%s)",
	       how(o));
}

static void test_cpu_limit(struct probe *p)
{
	struct outcome o = run(IH_LAYER_ALL, body_spin, p);

	tap_ok(o.spawned == 0 && o.sig == SIGKILL,
	       "a spinning body is killed at its 1 s CPU limit (%s)", how(o));
}

/* Negative controls: the same bodies with the layer under test removed succeed. */
static void test_controls(struct probe *p)
{
	struct outcome o;

	o = run(NOTHING_BUT_NS, body_open_read, p);
	tap_ok(o.spawned == 0 && o.err == 0,
	       "control: without Landlock and seccomp open(/etc/passwd) works (%s)", how(o));
	o = run(NOTHING_BUT_NS, body_socket, p);
	tap_ok(o.spawned == 0 && o.err == 0, "control: without seccomp socket() works (%s)",
	       how(o));
	o = run(NOTHING_BUT_NS, body_write_file, p);
	tap_ok(o.spawned == 0 && o.err == 0 && access(p->path, F_OK) == 0,
	       "control: without Landlock and seccomp a file can be created (%s)", how(o));
	unlink(p->path);
}

#if defined(__x86_64__)
static void test_foreign_arch(struct probe *p)
{
	struct outcome o = run(NOTHING_BUT_NS, body_i386_syscall, p);

	if (o.spawned != 0 || o.err != 0) {
		tap_skip("this kernel has no i386 syscall entry (%s)", how(o));
		return;
	}
	tap_ok(1, "control: without seccomp an i386 getpid via int 0x80 works");
	o = run(IH_LAYER_ALL, body_i386_syscall, p);
	tap_ok(o.spawned == 0 && o.sig == SIGSYS,
	       "full sandbox: an i386 system call (foreign architecture) is killed (%s)", how(o));
}
#else
static void test_foreign_arch(struct probe *p)
{
	(void)p;
	tap_skip("the foreign-architecture probe is written for x86_64");
}
#endif

int main(void)
{
	struct probe p = { .parent = getpid() };
	char dir[] = "/tmp/ih-escape-XXXXXX";

	if (!mkdtemp(dir)) {
		tap_ok(0, "mkdtemp");
		return tap_done();
	}
	/* The scratch dir must be writable by the unprivileged ids the child runs as. */
	chmod(dir, 0777);
	snprintf(p.path, sizeof(p.path), "%s/escaped", dir);
	test_full_sandbox(&p);
	test_landlock_only(&p);
	test_controls(&p);
	test_foreign_arch(&p);
	test_cpu_limit(&p);
	unlink(p.path);
	rmdir(dir);
	return tap_done();
}
