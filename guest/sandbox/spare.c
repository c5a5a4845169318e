/*
 * Pre-spawned decoder children (guest/sandbox/spare.h): the spawner process, its messages
 * with the caller (fixed-size structs on two pipes; fds are numbers in the fd table both
 * share), and the body a spare runs inside its sandbox while it waits for its image.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spare.h"

enum { ASK_SPAWN = 1, ASK_REAP = 2 };

struct ask {
	uint32_t type;
	pid_t pid; /* ASK_REAP */
	int pixel_fd, input_fd; /* ASK_SPAWN */
	struct ih_spare_want want; /* ASK_SPAWN */
};

struct spawned {
	int32_t r; /* 0: a spare waits */
	struct ih_spare spare;
};

struct reaped {
	int32_t r;
	int status;
	struct rusage ru;
};

_Static_assert(sizeof(struct ask) <= PIPE_BUF && sizeof(struct spawned) <= PIPE_BUF &&
		       sizeof(struct reaped) <= PIPE_BUF,
	       "a message must cross a pipe in one write");

/* What the spare's body has, inherited from the spawner at the clone. */
struct spare_job {
	ih_spare_decode_fn fn;
	const struct ih_spare_want *want;
	struct ih_pixel_dest dest; /* shared with the caller */
	const uint8_t *input; /* shared, read-only, input_cap bytes */
	size_t input_cap;
	int in_fd, out_fd;
};

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static size_t page_round(size_t n)
{
	return (n + page_size() - 1) / page_size() * page_size();
}

static int write_msg(int fd, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EPROTO;
}

/* Reads one message; 1 on EOF. A message is written whole (at most PIPE_BUF bytes). */
static int read_msg(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 1;
	return n == (ssize_t)len ? 0 : -EPROTO;
}

/* ---- the spare, inside its sandbox ---- */

#define TOUCH_CHUNK (1u << 20) /* pages made ready between looks at the handed word */

/* Whether the caller has put the image in (the word it sets after the bytes). */
static bool handed(const uint8_t *input)
{
	return __atomic_load_n((const uint32_t *)input, __ATOMIC_ACQUIRE) != 0;
}

/*
 * Makes the pages of p ready now, while the spare waits, so that the decode pays no first
 * touch, until the image is handed over (then the rest fault in as the decoder reaches
 * them). Two costs per page: the kernel's page tables (one MADV_POPULATE_* per chunk fills
 * them without a fault per page; before Linux 5.14 the accesses below fault them in), and,
 * on a hypervisor with shadow page tables, its own entry, made on this process's first
 * access whatever the kernel's tables hold: only an access to every page pays that ahead
 * (measured here: a 12 MP JPEG's decode in a fresh child 110 ms with the tables populated,
 * 54 ms with its pages also written first; 53 ms in the parent). write: the spare writes
 * these pages, so a write makes them ready (the memory holds zeros); else a read.
 */
static void touch(const uint8_t *p, size_t len, bool write, const uint8_t *input)
{
	for (size_t at = 0; at < len && !handed(input); at += TOUCH_CHUNK) {
		size_t n = len - at < TOUCH_CHUNK ? len - at : TOUCH_CHUNK;
		uint8_t sum = 0;

		madvise((void *)(p + at), page_round(n),
			write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
		for (size_t off = at; off < at + n; off += page_size()) {
			if (write)
				((volatile uint8_t *)p)[off] = 0;
			else
				sum ^= ((const volatile uint8_t *)p)[off];
		}
		(void)sum;
	}
}

/* 0 when len bytes were read, 1 on a clean end before the first byte, -1 otherwise. */
static int read_exact(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 && done == 0 ? 1 : -1;
		done += (size_t)n;
	}
	return 0;
}

static int spare_body(void *arg, uint32_t layers)
{
	const struct spare_job *job = arg;
	struct ih_spare_image img;
	int r;

	touch(job->input, IH_SPARE_INPUT_OFF + (size_t)job->want->input_touch, false, job->input);
	touch(job->dest.buf, (size_t)job->want->pixel_touch, true, job->input);
	r = read_exact(job->in_fd, &img, sizeof(img));
	if (r == 1)
		return 0; /* never used: the caller closed the pipe */
	if (r < 0 || img.len > job->want->lim.max_input_bytes)
		return 3;
	return job->fn(&job->want->lim, &img.opts, job->input + IH_SPARE_INPUT_OFF, (size_t)img.len,
		       &job->dest, job->out_fd, layers);
}

/* ---- the spawner ---- */

static void fds_close(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Maps what the spare inherits: the pixels and the input, both shared with the caller (the
 * input read-only: its memfd is sealed against any writable mapping but the caller's). Both
 * count in the spare's address space at the rlimits step as an inherited input would. */
static int spawn_maps(const struct ih_spare_want *want, int pixel_fd, int input_fd,
		      struct spare_job *job)
{
	void *p;

	if (want->pixel_cap == 0 || want->pixel_cap > SIZE_MAX / 2 ||
	    want->lim.max_input_bytes > SIZE_MAX / 2 ||
	    want->input_cap <= IH_SPARE_INPUT_OFF + want->lim.max_input_bytes ||
	    want->input_cap > SIZE_MAX / 2 || want->pixel_touch > want->pixel_cap ||
	    want->input_touch > want->lim.max_input_bytes)
		return -EINVAL;
	job->dest.cap = (size_t)want->pixel_cap;
	p = mmap(NULL, job->dest.cap, PROT_READ | PROT_WRITE, MAP_SHARED, pixel_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	job->dest.buf = p;
	job->input_cap = (size_t)want->input_cap;
	p = mmap(NULL, job->input_cap, PROT_READ, MAP_SHARED, input_fd, 0);
	if (p == MAP_FAILED) {
		munmap(job->dest.buf, job->dest.cap);
		return -errno;
	}
	job->input = p;
	return 0;
}

/* The spare's pipes: in[0] and out[1] are its; in[1] and out[0] become the caller's. */
static int spawn_pipes(int in[2], int out[2])
{
	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(out, O_CLOEXEC) < 0) {
		fds_close(in, 2);
		in[0] = in[1] = -1;
		return -errno;
	}
	return 0;
}

static void do_spawn(int ans_fd, const struct ask *ask, ih_spare_decode_fn fn)
{
	const struct ih_spare_want *want = &ask->want;
	struct spare_job job = { .fn = fn, .want = want };
	struct spawned ans = { .spare = { .pid = -1,
					  .pidfd = -1,
					  .in_fd = -1,
					  .out_fd = -1,
					  .rep = { .step = IH_STEP_SPAWN } } };
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, keep[2];

	ih_decoders_prepare_lazy(want->lazy); /* inherited by the spare: done once here */
	ans.r = spawn_maps(want, ask->pixel_fd, ask->input_fd, &job);
	if (ans.r == 0) {
		ans.r = spawn_pipes(in, out);
		if (ans.r < 0)
			munmap(job.dest.buf, job.dest.cap);
		if (ans.r < 0)
			munmap((void *)job.input, job.input_cap);
	}
	if (ans.r == 0) {
		struct ih_sandbox_cfg cfg = {
			.layers = IH_LAYER_ALL,
			.allow_degraded = want->allow_degraded,
			.max_memory_bytes = want->lim.max_memory_bytes,
			.cpu_ms = want->lim.cpu_ms,
			.keep_fds = keep,
			.n_keep_fds = 2,
		};

		keep[0] = job.in_fd = in[0];
		keep[1] = job.out_fd = out[1];
		ans.r = ih_sandbox_spawn(&cfg, spare_body, &job, &ans.spare.pid, &ans.spare.pidfd,
					 &ans.spare.rep);
		munmap(job.dest.buf, job.dest.cap);
		munmap((void *)job.input, job.input_cap);
	} else {
		ans.spare.rep.err = -ans.r;
	}
	fds_close((int[]){ in[0], out[1] }, 2);
	if (ans.r == 0) {
		ans.spare.in_fd = in[1];
		ans.spare.out_fd = out[0];
	} else {
		fds_close((int[]){ in[1], out[0] }, 2);
	}
	write_msg(ans_fd, &ans, sizeof(ans));
}

static void do_reap(int ans_fd, pid_t pid)
{
	struct reaped ans = { 0 };

	while (wait4(pid, &ans.status, 0, &ans.ru) < 0) {
		if (errno != EINTR) {
			ans.r = -errno;
			break;
		}
	}
	write_msg(ans_fd, &ans, sizeof(ans));
}

/* The spawner's life: answer asks in order until the caller closes the asks' pipe, then
 * reap every spare left (they end when their input pipe closes) and exit. It shares the
 * caller's fd table: it closes only the fds it made for itself. */
static __attribute__((noreturn)) void spawner_main(int ask_fd, int ans_fd, pid_t parent,
						   ih_spare_decode_fn fn)
{
	struct ask ask;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	signal(SIGCHLD, SIG_DFL);
	ih_decoders_prepare_eager();
	while (read_msg(ask_fd, &ask, sizeof(ask)) == 0) {
		if (ask.type == ASK_SPAWN)
			do_spawn(ans_fd, &ask, fn);
		else if (ask.type == ASK_REAP)
			do_reap(ans_fd, ask.pid);
		else
			break;
	}
	while (wait(NULL) > 0 || errno == EINTR)
		;
	_exit(0);
}

static pid_t clone_files(int *ret_pidfd)
{
	struct clone_args args = {
		.flags = CLONE_FILES | CLONE_PIDFD,
		.pidfd = (uint64_t)(uintptr_t)ret_pidfd,
		.exit_signal = SIGCHLD,
	};

	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

int ih_spawner_start(ih_spare_decode_fn fn, struct ih_spawner *ret)
{
	pid_t parent = getpid(), pid;
	int ask[2], ans[2], pidfd = -1;

	if (pipe2(ask, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(ans, O_CLOEXEC) < 0) {
		fds_close(ask, 2);
		return -errno;
	}
	pid = clone_files(&pidfd);
	if (pid == 0)
		spawner_main(ask[0], ans[1], parent, fn);
	if (pid < 0) {
		int e = errno;

		fds_close(ask, 2);
		fds_close(ans, 2);
		return -e;
	}
	/* The table is shared: these ends are closed for the spawner too, which keeps its own
	 * (ask[0], ans[1]) open. Until the spawner ends, ans[1] stays open, so a read waits on
	 * the pidfd as well. */
	*ret = (struct ih_spawner){
		.pid = pid, .pidfd = pidfd, .ask_fd = ask[1], .ans_fd = ans[0]
	};
	return 0;
}

/* Reads an answer, or -EPIPE once the spawner has ended without one. */
static int read_answer(const struct ih_spawner *s, void *buf, size_t len)
{
	struct pollfd pfd[2] = { { .fd = s->ans_fd, .events = POLLIN },
				 { .fd = s->pidfd, .events = POLLIN } };
	int r;

	do
		r = poll(pfd, 2, -1);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (!(pfd[0].revents & POLLIN))
		return -EPIPE;
	r = read_msg(s->ans_fd, buf, len);
	return r == 1 ? -EPIPE : r;
}

int ih_spawner_ask(const struct ih_spawner *s, const struct ih_spare_want *want, int pixel_fd,
		   int input_fd)
{
	struct ask ask = {
		.type = ASK_SPAWN, .pixel_fd = pixel_fd, .input_fd = input_fd, .want = *want
	};

	return write_msg(s->ask_fd, &ask, sizeof(ask));
}

int ih_spawner_answer(const struct ih_spawner *s, struct ih_spare *ret)
{
	struct spawned ans;
	int r = read_answer(s, &ans, sizeof(ans));

	if (r < 0)
		return r;
	if ((ans.r == 0) != (ans.spare.rep.step == IH_STEP_NONE))
		return -EPROTO;
	*ret = ans.spare;
	return 0;
}

int ih_spawner_reap(const struct ih_spawner *s, pid_t pid, int *ret_status, struct rusage *ret_ru)
{
	struct ask ask = { .type = ASK_REAP, .pid = pid };
	struct reaped ans;
	int r;

	r = write_msg(s->ask_fd, &ask, sizeof(ask));
	if (r == 0)
		r = read_answer(s, &ans, sizeof(ans));
	if (r < 0)
		return r;
	if (ans.r < 0)
		return ans.r;
	*ret_status = ans.status;
	*ret_ru = ans.ru;
	return 0;
}

void ih_spawner_stop(struct ih_spawner *s)
{
	close(s->ask_fd); /* its read sees the end */
	while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
		;
	close(s->ans_fd);
	close(s->pidfd);
	*s = (struct ih_spawner){ .pid = -1, .pidfd = -1, .ask_fd = -1, .ans_fd = -1 };
}
