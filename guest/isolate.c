/*
 * One image, one fresh sandboxed child (guest/isolate.h). The child inherits the input
 * in its copy of our memory, decodes it and writes a wire-protocol response and the
 * pixels to a pipe; we read that answer as hostile (ih_response_parse against the
 * request's limits), enforce the wall clock, reap the child and turn how it ended into
 * the outcome.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "decode.h"
#include "isolate.h"
#include "sandbox.h"

/* Pipe buffer asked for: fewer wake-ups while megabytes of pixels cross. */
#define ISOLATE_PIPE_BYTES (1 << 20)

struct decode_job {
	const struct ih_limits *lim;
	const uint8_t *input;
	size_t input_len;
	int out_fd;
};

/* What the parent saw of one child. */
struct child_watch {
	pid_t pid;
	int pidfd;
	int out_fd;
	uint64_t deadline_ms;
	bool timed_out;
	int status; /* wait status */
	struct rusage ru;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The child's body: decode, then answer. Runs under seccomp: write and memory only. */
static int decode_body(void *arg, uint32_t layers)
{
	struct decode_job *job = arg;
	struct ih_response resp = { .layers = layers };
	struct ih_image img = { 0 };
	uint8_t hdr[IH_RESP_HDR_LEN];
	int r;

	r = ih_decode(job->lim, job->input, job->input_len, &img, resp.reason);
	if (r == 0) {
		resp.status = IH_STATUS_OK;
		resp.width = img.width;
		resp.height = img.height;
		resp.channels = img.channels;
		resp.pixel_len = img.len;
	} else {
		resp.status = IH_STATUS_REJECTED;
	}
	ih_response_encode(&resp, hdr);
	if (write_full(job->out_fd, hdr, sizeof(hdr)) < 0 ||
	    (r == 0 && write_full(job->out_fd, img.pixels, img.len) < 0))
		return 1;
	return 0;
}

/* Reads exactly len bytes before the deadline: 0, -ETIMEDOUT, -EPIPE (early EOF), -errno. */
static int read_full(struct child_watch *w, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		struct pollfd pfd = { .fd = w->out_fd, .events = POLLIN };
		uint64_t now = now_ms();
		ssize_t n;
		int r;

		if (now >= w->deadline_ms)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)(w->deadline_ms - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		n = read(w->out_fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reaps the child, killing it at the deadline. */
static void child_reap(struct child_watch *w)
{
	struct pollfd pfd = { .fd = w->pidfd, .events = POLLIN };
	uint64_t now = now_ms();
	int r = 0;

	if (!w->timed_out && now < w->deadline_ms) {
		do
			r = poll(&pfd, 1, (int)(w->deadline_ms - now));
		while (r < 0 && errno == EINTR);
	}
	if (r <= 0) {
		w->timed_out = w->timed_out || r == 0;
		kill(w->pid, SIGKILL);
	}
	while (wait4(w->pid, &w->status, 0, &w->ru) < 0 && errno == EINTR)
		;
	close(w->pidfd);
}

static void set_rejected(struct ih_decoded *d, const char *reason)
{
	free(d->pixels);
	d->pixels = NULL;
	d->resp.status = IH_STATUS_REJECTED;
	d->resp.width = d->resp.height = d->resp.channels = 0;
	d->resp.pixel_len = 0;
	ih_reason_set(d->resp.reason, "%s", reason);
}

/* Reads and checks the answer; on any lie or timeout *d says so. */
static void read_answer(struct child_watch *w, const struct ih_limits *lim, struct ih_decoded *d)
{
	uint8_t hdr[IH_RESP_HDR_LEN], extra;
	int r;

	r = read_full(w, hdr, sizeof(hdr));
	if (r == 0 && ih_response_parse(hdr, lim, &d->resp) < 0)
		r = -EPROTO;
	if (r == 0 && d->resp.status == IH_STATUS_OK) {
		d->pixels = malloc(d->resp.pixel_len);
		r = d->pixels ? read_full(w, d->pixels, d->resp.pixel_len) : -ENOMEM;
	}
	if (r == 0 && read_full(w, &extra, 1) != -EPIPE)
		r = -EPROTO;
	if (r == -ETIMEDOUT)
		w->timed_out = true;
	else if (r == -ENOMEM)
		set_rejected(d, "no memory for the decoded pixels");
	else if (r == -EPIPE)
		set_rejected(d, "the decoder ended without an answer");
	else if (r < 0)
		set_rejected(d, "the decoder sent an invalid answer");
}

static const char *signal_reason(int sig)
{
	switch (sig) {
	case SIGSYS:
		return "killed by SIGSYS (a forbidden system call)";
	case SIGXCPU:
		return "CPU limit";
	case SIGSEGV:
		return "the decoder crashed (SIGSEGV)";
	case SIGABRT:
		return "the decoder aborted (SIGABRT)";
	default:
		return NULL;
	}
}

/* How the child ended overrides its answer unless it exited 0. */
static void judge_exit(const struct child_watch *w, const struct ih_limits *lim,
		       struct ih_decoded *d)
{
	uint64_t cpu = (uint64_t)(w->ru.ru_utime.tv_sec + w->ru.ru_stime.tv_sec) * 1000 +
		       (uint64_t)(w->ru.ru_utime.tv_usec + w->ru.ru_stime.tv_usec) / 1000;
	char why[IH_REASON_MAX];

	if (w->timed_out) {
		snprintf(why, sizeof(why), "wall time limit (%u ms)", lim->wall_ms);
	} else if (WIFSIGNALED(w->status)) {
		int sig = WTERMSIG(w->status);

		if (sig == SIGKILL && cpu + 50 >= ((uint64_t)lim->cpu_ms + 999) / 1000 * 1000)
			snprintf(why, sizeof(why), "CPU limit (%u ms)", lim->cpu_ms);
		else if (signal_reason(sig))
			snprintf(why, sizeof(why), "%s", signal_reason(sig));
		else
			snprintf(why, sizeof(why), "the decoder was killed by signal %d (%s)", sig,
				 sig == SIGKILL ? "memory limit?" : "crash");
	} else if (WEXITSTATUS(w->status) != 0) {
		snprintf(why, sizeof(why), "the decoder exited with status %d",
			 WEXITSTATUS(w->status));
	} else {
		return;
	}
	set_rejected(d, why);
}

static void sandbox_refused(const struct ih_sandbox_report *rep, struct ih_decoded *d)
{
	d->resp.status = IH_STATUS_SANDBOX;
	d->resp.layers = rep->layers;
	ih_reason_set(d->resp.reason, "sandbox layer '%s' failed: %s",
		      ih_sandbox_step_name(rep->step), strerror(rep->err));
	d->hint = ih_sandbox_hint(rep);
}

/* A failure to make the child at all that is ours, not the sandbox's. */
static bool parent_failure(const struct ih_sandbox_report *rep)
{
	return rep->step == IH_STEP_SPAWN && (rep->err == ENOMEM || rep->err == EAGAIN ||
					      rep->err == EMFILE || rep->err == ENFILE);
}

static int run_child(const struct ih_limits *lim, uint32_t flags, struct decode_job *job,
		     struct ih_decoded *d)
{
	struct ih_sandbox_cfg cfg = {
		.layers = IH_LAYER_ALL,
		.allow_degraded = flags & IH_REQ_ALLOW_DEGRADED,
		.max_memory_bytes = lim->max_memory_bytes,
		.cpu_ms = lim->cpu_ms,
		.keep_fds = &job->out_fd,
		.n_keep_fds = 1,
	};
	struct child_watch w = { .deadline_ms = now_ms() + lim->wall_ms };
	struct ih_sandbox_report rep;
	int pipefd[2], r;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	fcntl(pipefd[1], F_SETPIPE_SZ, ISOLATE_PIPE_BYTES);
	job->out_fd = pipefd[1];
	r = ih_sandbox_spawn(&cfg, decode_body, job, &w.pid, &w.pidfd, &rep);
	close(pipefd[1]);
	if (r < 0) {
		close(pipefd[0]);
		if (parent_failure(&rep))
			return r;
		sandbox_refused(&rep, d);
		return 0;
	}
	w.out_fd = pipefd[0];
	read_answer(&w, lim, d);
	close(pipefd[0]);
	child_reap(&w);
	judge_exit(&w, lim, d);
	d->resp.layers = rep.layers;
	return 0;
}

int ih_isolate_decode(const struct ih_limits *lim, uint32_t flags, const uint8_t *input,
		      size_t input_len, struct ih_decoded *ret)
{
	struct decode_job job = { .lim = lim, .input = input, .input_len = input_len };
	struct ih_decoded d = { 0 };
	int r;

	if (input_len > lim->max_input_bytes) {
		d.resp.status = IH_STATUS_REJECTED;
		ih_reason_set(d.resp.reason, "input of %zu bytes is over the limit of %llu",
			      input_len, (unsigned long long)lim->max_input_bytes);
		*ret = d;
		return 0;
	}
	r = run_child(lim, flags, &job, &d);
	if (r < 0)
		return r;
	*ret = d;
	return 0;
}

void ih_decoded_free(struct ih_decoded *d)
{
	free(d->pixels);
	d->pixels = NULL;
}
