/*
 * One image, one fresh sandboxed child (guest/sandbox/isolate.h). The child inherits the input
 * in its copy of our memory, decodes straight into a shared anonymous mapping (see
 * arena below), and writes a wire-protocol response header to a pipe. We read that
 * header as hostile (ih_response_parse against the request's limits and the mapping's
 * size), enforce the wall clock, reap the child, and only then hand out the pixels: no
 * one else can write the mapping any more.
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
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest/decode/decode.h"
#include "isolate.h"
#include "sandbox.h"

struct decode_job {
	const struct ih_limits *lim;
	const struct ih_decode_opts *opts;
	const uint8_t *input;
	size_t input_len;
	int out_fd;
	struct ih_pixel_dest dest; /* the shared mapping */
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

/* What the decoded image says of itself, in the response's terms. */
static void response_fill(const struct ih_image *img, struct ih_response *resp)
{
	resp->status = IH_STATUS_OK;
	resp->width = img->width;
	resp->height = img->height;
	resp->channels = img->channels;
	resp->pixel_len = img->len;
	resp->depth = img->depth;
	resp->src_depth = img->src_depth;
	resp->src_model = img->src_model;
	resp->orientation = img->orientation;
	resp->orient_state = img->orient_state;
	resp->color_action = img->color_action;
	resp->frames = img->frames;
	resp->icc_len = (uint32_t)img->icc_len;
	memcpy(resp->color_desc, img->color_desc, IH_DESC_MAX);
	memcpy(resp->orient_note, img->orient_note, IH_NOTE_MAX);
	memcpy(resp->color_note, img->color_note, IH_NOTE_MAX);
}

/* The child's body: decode, then answer (the header, then any kept profile). Runs under
 * seccomp: write and memory only. */
static int decode_body(void *arg, uint32_t layers)
{
	struct decode_job *job = arg;
	struct ih_response resp = { .layers = layers };
	struct ih_image img = { 0 };
	uint8_t hdr[IH_RESP_HDR_LEN];
	int r;

	r = ih_decode_into(job->lim, job->opts, job->input, job->input_len, &job->dest, &img,
			   resp.reason);
	if (r == 0 && img.icc_len > IH_ICC_MAX_BYTES) {
		ih_reason_set(resp.reason, "kept ICC profile of %zu bytes is over %u", img.icc_len,
			      IH_ICC_MAX_BYTES);
		r = -E2BIG;
	}
	if (r == 0) {
		response_fill(&img, &resp);
		resp.frame = job->opts ? job->opts->frame : 0;
	} else {
		resp.status = IH_STATUS_REJECTED;
	}
	ih_response_encode(&resp, hdr);
	if (write_full(job->out_fd, hdr, sizeof(hdr)) < 0)
		return 1;
	return r == 0 && write_full(job->out_fd, img.icc, img.icc_len) < 0 ? 1 : 0;
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

/* Only status, layers and reason remain of a response that did not end OK. */
static void response_clear(struct ih_response *resp, uint16_t status)
{
	uint32_t layers = resp->layers;

	*resp = (struct ih_response){ .status = status, .layers = layers };
}

static void set_rejected(struct ih_decoded *d, const char *reason)
{
	ih_decoded_free(d);
	response_clear(&d->resp, IH_STATUS_REJECTED);
	ih_reason_set(d->resp.reason, "%s", reason);
}

/* Reads and checks the answer's header; on any lie or timeout *d says so. */
static void read_answer(struct child_watch *w, const struct ih_limits *lim, size_t cap,
			struct ih_decoded *d)
{
	uint8_t hdr[IH_RESP_HDR_LEN], extra;
	int r;

	r = read_full(w, hdr, sizeof(hdr));
	if (r == 0 && (ih_response_parse(hdr, lim, &d->resp) < 0 || d->resp.pixel_len > cap))
		r = -EPROTO;
	if (r == 0 && d->resp.icc_len) {
		d->icc = malloc(d->resp.icc_len);
		r = d->icc ? read_full(w, d->icc, d->resp.icc_len) : -ENOMEM;
		r = r == -EPIPE ? -EPROTO : r;
	}
	if (r == 0 && read_full(w, &extra, 1) != -EPIPE)
		r = -EPROTO;
	if (r == -ETIMEDOUT)
		w->timed_out = true;
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

static size_t page_round(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (n + page - 1) / page * page;
}

/*
 * The shared mappings children decode into. One is kept between decodes (the arena) so
 * its pages stay faulted in: a fresh mapping per image costs a page fault per 4 KiB of
 * pixels, more than the decode itself saves. Nothing crosses from one child to the next
 * through it: after a child, everything past its legitimate pixels is punched out
 * (MADV_REMOVE) wherever that child wrote, and before the next child gets the arena the
 * previous pixels are zeroed. Pixels handed to a caller are MADV_DONTFORK: later children
 * do not inherit them; while a caller holds the arena's, decodes use fresh mappings.
 */
static struct {
	uint8_t *buf;
	size_t cap;
	size_t dirty; /* bytes from the start that hold the last image's pixels */
	bool lent; /* those pixels are a caller's ih_decoded.pixels */
} arena;

/* Room for the largest image lim allows (within its memory), or 0 if absurd. */
static size_t pixel_cap(const struct ih_limits *lim)
{
	/* 16-bit RGBA (or CMYK) is the widest: 8 bytes a pixel. */
	uint64_t most = lim->max_pixels > UINT64_MAX / 8 ? UINT64_MAX : lim->max_pixels * 8;

	if (most > lim->max_memory_bytes)
		most = lim->max_memory_bytes;
	return most > SIZE_MAX / 2 ? 0 : page_round((size_t)most);
}

static int map_shared(size_t cap, uint8_t **ret)
{
	void *p = mmap(NULL, cap, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	*ret = p;
	return 0;
}

static void arena_drop(void)
{
	if (arena.buf)
		munmap(arena.buf, arena.cap);
	arena.buf = NULL;
	arena.cap = arena.dirty = 0;
}

/* The mapping for the next child: the arena when no caller holds it. */
static int pixels_get(const struct ih_limits *lim, struct ih_pixel_dest *ret, bool *ret_arena)
{
	size_t cap = pixel_cap(lim);
	int r;

	if (!cap)
		return -ENOMEM;
	*ret_arena = !arena.lent;
	if (arena.lent) {
		ret->cap = cap;
		return map_shared(cap, &ret->buf);
	}
	if (arena.buf && arena.cap < cap)
		arena_drop();
	if (!arena.buf) {
		r = map_shared(cap, &arena.buf);
		if (r < 0)
			return r;
		arena.cap = cap;
	}
	memset(arena.buf, 0, arena.dirty);
	arena.dirty = 0;
	*ret = (struct ih_pixel_dest){ arena.buf, cap };
	return 0;
}

/* After the reaped child: its pixels (if OK) become the caller's, the rest is discarded. */
static void pixels_take(const struct ih_pixel_dest *map, bool from_arena, struct ih_decoded *d)
{
	size_t keep = d->resp.status == IH_STATUS_OK ? page_round(d->resp.pixel_len) : 0;

	if (!from_arena) {
		munmap(map->buf + keep, map->cap - keep);
	} else if (keep < arena.cap &&
		   madvise(arena.buf + keep, arena.cap - keep, MADV_REMOVE) < 0) {
		arena_drop(); /* cannot clean it: no one gets it again */
	} else {
		arena.dirty = keep;
		arena.lent = keep > 0;
	}
	if (!keep)
		return;
	/* Pixels a caller holds are not inherited by the next children. */
	if (madvise(map->buf, keep, MADV_DONTFORK) < 0) {
		if (from_arena)
			arena_drop();
		else
			munmap(map->buf, keep);
		free(d->icc);
		d->icc = NULL;
		response_clear(&d->resp, IH_STATUS_INTERNAL);
		ih_reason_set(d->resp.reason, "cannot keep the pixels from later children");
		return;
	}
	d->pixels = map->buf;
	d->map_len = keep;
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
	read_answer(&w, lim, job->dest.cap, d);
	close(pipefd[0]);
	child_reap(&w);
	judge_exit(&w, lim, d);
	d->resp.layers = rep.layers;
	return 0;
}

int ih_isolate_decode(const struct ih_limits *lim, uint32_t flags,
		      const struct ih_decode_opts *opts, const uint8_t *input, size_t input_len,
		      struct ih_decoded *ret)
{
	struct decode_job job = {
		.lim = lim, .opts = opts, .input = input, .input_len = input_len
	};
	struct ih_decoded d = { 0 };
	bool from_arena;
	int r;

	if (input_len > lim->max_input_bytes) {
		d.resp.status = IH_STATUS_REJECTED;
		ih_reason_set(d.resp.reason, "input of %zu bytes is over the limit of %llu",
			      input_len, (unsigned long long)lim->max_input_bytes);
		*ret = d;
		return 0;
	}
	ih_decoders_prepare();
	r = pixels_get(lim, &job.dest, &from_arena);
	if (r < 0)
		return r;
	r = run_child(lim, flags, &job, &d);
	if (r < 0)
		response_clear(&d.resp, IH_STATUS_INTERNAL);
	pixels_take(&job.dest, from_arena, &d);
	if (r < 0)
		return r;
	*ret = d;
	return 0;
}

void ih_decoded_free(struct ih_decoded *d)
{
	if (d->map_len && d->pixels == arena.buf && arena.lent) {
		arena.lent = false;
		if (madvise(arena.buf, d->map_len, MADV_DOFORK) < 0)
			arena_drop();
	} else if (d->map_len)
		munmap(d->pixels, d->map_len);
	else
		free(d->pixels);
	d->pixels = NULL;
	d->map_len = 0;
	free(d->icc);
	d->icc = NULL;
}
