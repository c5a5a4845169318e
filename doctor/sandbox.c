/*
 * The doctor's live check of the decoder sandbox: it starts real children through
 * ih_sandbox_spawn, exactly as a decode does, and reads them from outside.
 *
 *   1. a child with the layers asked for blocks on a pipe while its /proc/<pid> is read;
 *   2. a child with the same layers but seccomp (which would kill it on open) tries to
 *      open "/" and reports the errno: EACCES is Landlock at work.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "doctor.h"
#include "guest/sandbox/sandbox.h"

#define CHILD_MEMORY (64ull << 20)
#define CHILD_CPU_MS 5000

struct child_io {
	int fd; /* the pipe end the child keeps */
};

/*
 * Blocks in write() on a pipe the doctor has filled: the seccomp allow-list has no read of
 * an fd the child does not keep, no sleep or wait, but a write to a kept fd is allowed and blocks
 * on a full pipe. It ends when the doctor kills it.
 */
static int body_block(void *arg, uint32_t layers)
{
	const struct child_io *io = arg;
	const char c = 0;

	(void)layers;
	while (write(io->fd, &c, 1) == 1 || errno == EINTR)
		;
	return 0;
}

/* Tries to open the root directory and writes the errno (0 when it opened) to the pipe. */
static int body_open(void *arg, uint32_t layers)
{
	const struct child_io *io = arg;
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int e = fd < 0 ? errno : 0;

	(void)layers;
	return write(io->fd, &e, sizeof(e)) == sizeof(e) ? 0 : 1;
}

static int spawn(uint32_t layers, ih_sandbox_body body, struct child_io *io, pid_t *ret_pid,
		 struct ih_sandbox_report *ret_report)
{
	const struct ih_sandbox_cfg cfg = {
		.layers = layers,
		.max_memory_bytes = CHILD_MEMORY,
		.cpu_ms = CHILD_CPU_MS,
		.keep_fds = &io->fd,
		.n_keep_fds = 1,
	};

	return ih_sandbox_spawn(&cfg, body, io, ret_pid, NULL, ret_report);
}

static void report_spawn_failure(const struct ih_sandbox_report *rep, int r, ih_report_fn report,
				 void *arg)
{
	char detail[IH_DETAIL_MAX];
	const char *hint = ih_sandbox_hint(rep);

	snprintf(detail, sizeof(detail), "step %s failed (%s)%s%s", ih_sandbox_step_name(rep->step),
		 ih_errname(rep->err ? rep->err : -r), hint ? "; " : "", hint ? hint : "");
	report(arg, "decoder child: sandbox starts", "no decode can run without it", IH_FAIL,
	       detail);
}

/* The errno the Landlock probe child saw, or -errno when it could not be run. */
static int landlock_probe(uint32_t layers)
{
	_cleanup_close_ int rd = -1;
	struct ih_sandbox_report rep;
	struct child_io io;
	int fds[2], e = -EIO;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	rd = fds[0];
	io.fd = fds[1];
	if (spawn(layers & ~IH_LAYER_SECCOMP, body_open, &io, &pid, &rep) < 0) {
		close(fds[1]);
		return -(rep.err ? rep.err : EIO);
	}
	close(fds[1]);
	if (read(rd, &e, sizeof(e)) != sizeof(e))
		e = -EIO;
	waitpid(pid, NULL, 0);
	return e;
}

/* Fills the pipe whose write end is fd, then leaves fd blocking: the next write blocks. */
static int fill_pipe(int fd)
{
	static const char page[4096];
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	while (write(fd, page, sizeof(page)) > 0 || errno == EINTR)
		;
	while (write(fd, page, 1) > 0 || errno == EINTR)
		;
	if (errno != EAGAIN)
		return -errno;
	return fcntl(fd, F_SETFL, flags) < 0 ? -errno : 0;
}

int ih_doctor_sandbox_layers(const struct ih_doctor *d, uint32_t layers, ih_report_fn report,
			     void *arg)
{
	struct ih_sandbox_report rep;
	struct child_io io;
	int fds[2], failed, landlock_errno, r;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		report(arg, "decoder child: sandbox starts", "no decode can run without it",
		       IH_FAIL, "pipe failed");
		return 1;
	}
	r = fill_pipe(fds[1]);
	if (r < 0) {
		close(fds[0]);
		close(fds[1]);
		report(arg, "decoder child: sandbox starts", "no decode can run without it",
		       IH_FAIL, "cannot fill the pipe the child blocks on");
		return 1;
	}
	io.fd = fds[1];
	r = spawn(layers, body_block, &io, &pid, &rep);
	close(fds[1]);
	if (r < 0) {
		close(fds[1]);
		report_spawn_failure(&rep, r, report, arg);
		return 1;
	}
	landlock_errno = landlock_probe(layers);
	failed = ih_doctor_inspect_child(d, pid, getpid(),
					 landlock_errno < 0 ? -landlock_errno : landlock_errno,
					 report, arg);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fds[0]);
	return failed;
}

int ih_doctor_sandbox(const struct ih_doctor *d, ih_report_fn report, void *arg)
{
	return ih_doctor_sandbox_layers(d, ih_sandbox_expected_layers(), report, arg);
}
