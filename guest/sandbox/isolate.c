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
#include <limits.h>
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
#include "pool.h"
#include "sandbox.h"
#include "spare.h"

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

/* Decodes, then answers on out_fd (the header, then any kept profile). Runs in the child
 * under seccomp: write and memory only. Also what a pre-spawned child runs (spare.h). */
static int decode_answer(const struct ih_limits *lim, const struct ih_decode_opts *opts,
			 const uint8_t *input, size_t input_len, const struct ih_pixel_dest *dest,
			 int out_fd, uint32_t layers)
{
	struct ih_response resp = { .layers = layers };
	struct ih_image img = { 0 };
	uint8_t hdr[IH_RESP_HDR_LEN];
	int r;

	r = ih_decode_into(lim, opts, input, input_len, dest, &img, resp.reason);
	if (r == 0 && img.icc_len > IH_ICC_MAX_BYTES) {
		ih_reason_set(resp.reason, "kept ICC profile of %zu bytes is over %u", img.icc_len,
			      IH_ICC_MAX_BYTES);
		r = -E2BIG;
	}
	if (r == 0) {
		response_fill(&img, &resp);
		resp.frame = opts ? opts->frame : 0;
	} else {
		resp.status = IH_STATUS_REJECTED;
	}
	ih_response_encode(&resp, hdr);
	if (write_full(out_fd, hdr, sizeof(hdr)) < 0)
		return 1;
	return r == 0 && write_full(out_fd, img.icc, img.icc_len) < 0 ? 1 : 0;
}

/* The fresh child's body. */
static int decode_body(void *arg, uint32_t layers)
{
	struct decode_job *job = arg;

	return decode_answer(job->lim, job->opts, job->input, job->input_len, &job->dest,
			     job->out_fd, layers);
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

/* Waits for the child to end, killing it at the deadline. */
static void child_end(struct child_watch *w)
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
}

/* Reaps our own child, killing it at the deadline. */
static void child_reap(struct child_watch *w)
{
	child_end(w);
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

/* Room for the largest image lim allows (within its memory), or 0 if absurd; a whole number
 * of 2 MiB pages, so that the pixel pool can put it on huge pages (pool.h). */
static size_t pixel_cap(const struct ih_limits *lim)
{
	/* 16-bit RGBA (or CMYK) is the widest: 8 bytes a pixel. */
	uint64_t most = lim->max_pixels > UINT64_MAX / 8 ? UINT64_MAX : lim->max_pixels * 8;

	if (most > lim->max_memory_bytes)
		most = lim->max_memory_bytes;
	if (most > SIZE_MAX / 2)
		return 0;
	return ((size_t)most + IH_POOL_HUGE_PAGE - 1) / IH_POOL_HUGE_PAGE * IH_POOL_HUGE_PAGE;
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

/*
 * ---- Pre-spawned children (guest/sandbox/spare.h) ----
 *
 * When spares are on, every image goes to a spare made by the spawner: the next image's
 * spare is asked for as soon as this image has been handed to its spare, so its clone,
 * sandbox setup and page faults happen while this image decodes. Its pixels and its image
 * are memfds from two pools (guest/sandbox/pool.h), mapped here for good (our page tables
 * stay filled: writing the image and reading the pixels cost no faults) and cleaned between
 * children as the arena is; the image's is sealed, read-only to the spare. A spare made for
 * other limits, or one that died while waiting, is never used: it is reaped (a dead one is
 * named in the result's note) and another is made.
 */
#define SPARE_TRIES 3
#define SEEN_IMAGES 4 /* images whose sizes the next spare's page faults follow */

enum next_state { NEXT_NONE, NEXT_ASKED, NEXT_READY };

/* A spare's two pool slots: its pixels (it writes them) and its image (read-only to it). */
struct spare_bufs {
	int pixels, input;
};

static struct {
	struct ih_spawner spawner; /* pid -1: spares are off */
	enum next_state state;
	struct ih_spare_want want; /* what the next spare is made for */
	struct ih_spare spare; /* NEXT_READY: the next spare, or its refused setup */
	struct spare_bufs bufs; /* its pool slots */
	struct ih_pool pixels, inputs;
	/* The sizes of the last images: the next spare faults in their smallest while waiting
	 * (until its image arrives), so that a batch of mixed sizes does not fault in pages a
	 * small image never uses. */
	uint64_t seen_pixels[SEEN_IMAGES], seen_input[SEEN_IMAGES];
	unsigned int n_seen;
	uint32_t lazy; /* the lazy decoders images have needed (ih_decode_lazy_need) */
	struct ih_spares_stats stats;
} sp = { .spawner = { .pid = -1, .pidfd = -1, .ask_fd = -1, .ans_fd = -1 },
	 .pixels = { .huge = true },
	 .inputs = { .sealed = true } };

static void bufs_release(const struct spare_bufs *b)
{
	bool keep = sp.spawner.pid > 0;

	ih_pool_release(&sp.pixels, b->pixels, keep);
	ih_pool_release(&sp.inputs, b->input, keep);
}

/* Clean slots for the next spare: 0 with *ret, or -errno. */
static int bufs_get(const struct ih_spare_want *want, struct spare_bufs *ret)
{
	ret->pixels = ih_pool_get(&sp.pixels, (size_t)want->pixel_cap);
	if (ret->pixels < 0)
		return ret->pixels;
	ret->input = ih_pool_get(&sp.inputs, (size_t)want->input_cap);
	if (ret->input < 0) {
		ih_pool_release(&sp.pixels, ret->pixels, true);
		return ret->input;
	}
	return 0;
}

/* After the reaped spare: its pixels (if OK) become the caller's, the rest is discarded;
 * its image stays in the input slot until the slot is next cleaned. */
static void bufs_take(const struct spare_bufs *b, struct ih_decoded *d)
{
	size_t keep = d->resp.status == IH_STATUS_OK ? page_round(d->resp.pixel_len) : 0;

	ih_pool_release(&sp.inputs, b->input, sp.spawner.pid > 0);
	if (ih_pool_trim(&sp.pixels, b->pixels, keep) < 0) {
		if (keep) { /* cannot clean it: no one gets it again */
			free(d->icc);
			d->icc = NULL;
			response_clear(&d->resp, IH_STATUS_INTERNAL);
			ih_reason_set(d->resp.reason, "cannot clean the pixel memory");
		}
		return;
	}
	if (!keep) {
		ih_pool_release(&sp.pixels, b->pixels, sp.spawner.pid > 0);
		return;
	}
	d->pixels = sp.pixels.bufs[b->pixels].buf;
	d->map_len = keep;
}

/* The smallest of the last sizes seen (0 when none): pages the next image very likely needs.
 * Touching more would cost as much as the faults it saves whenever a small image follows. */
static uint64_t least_of(const uint64_t *v, uint64_t cap)
{
	uint64_t m = 0;

	for (int i = 0; i < SEEN_IMAGES; i++)
		if (v[i] && (!m || v[i] < m))
			m = v[i];
	return m < cap ? m : cap;
}

static void seen_add(uint64_t pixels, uint64_t input)
{
	unsigned int i = sp.n_seen++ % SEEN_IMAGES;

	sp.seen_pixels[i] = pixels;
	sp.seen_input[i] = input;
}

/* What the spare for this request must be; lazy decoders seen so far stay prepared. */
static void want_fill(const struct ih_limits *lim, uint32_t flags, const uint8_t *input,
		      size_t input_len, struct ih_spare_want *ret)
{
	uint64_t cap = pixel_cap(lim);

	sp.lazy |= ih_decode_lazy_need(input, input_len);

	*ret = (struct ih_spare_want){
		.lim = *lim,
		.allow_degraded = flags & IH_REQ_ALLOW_DEGRADED,
		.pixel_cap = cap,
		.input_cap = page_round(IH_SPARE_INPUT_OFF + (size_t)lim->max_input_bytes + 1),
		.pixel_touch = least_of(sp.seen_pixels, cap),
		.input_touch = least_of(sp.seen_input, lim->max_input_bytes),
		.lazy = sp.lazy,
	};
}

static bool want_same(const struct ih_spare_want *a, const struct ih_spare_want *b)
{
	const struct ih_limits *x = &a->lim, *y = &b->lim;

	return a->allow_degraded == b->allow_degraded && a->pixel_cap == b->pixel_cap &&
	       (b->lazy & ~a->lazy) == 0 && x->max_input_bytes == y->max_input_bytes &&
	       x->max_pixels == y->max_pixels && x->max_memory_bytes == y->max_memory_bytes &&
	       x->max_jpeg_scans == y->max_jpeg_scans &&
	       x->max_png_chunk_bytes == y->max_png_chunk_bytes &&
	       x->max_png_chunks == y->max_png_chunks && x->cpu_ms == y->cpu_ms &&
	       x->wall_ms == y->wall_ms;
}

/* Asks the spawner for the next spare, unless one is asked for or waiting. 0, -errno. */
static int next_ask(const struct ih_spare_want *want)
{
	struct spare_bufs b;
	int r;

	if (sp.state != NEXT_NONE)
		return 0;
	r = bufs_get(want, &b);
	if (r < 0)
		return r;
	r = ih_spawner_ask(&sp.spawner, want, sp.pixels.bufs[b.pixels].fd,
			   sp.inputs.bufs[b.input].fd);
	if (r < 0) {
		bufs_release(&b);
		return r;
	}
	sp.want = *want;
	sp.bufs = b;
	sp.state = NEXT_ASKED;
	return 0;
}

/* Takes the spawner's answer to the pending ask, if any. */
static int next_collect(void)
{
	int r;

	if (sp.state != NEXT_ASKED)
		return 0;
	r = ih_spawner_answer(&sp.spawner, &sp.spare);
	if (r < 0)
		return r;
	sp.state = NEXT_READY;
	return 0;
}

static int spawner_reap(pid_t pid, int *ret_status, struct rusage *ret_ru)
{
	int r = next_collect(); /* its answer comes first */

	return r < 0 ? r : ih_spawner_reap(&sp.spawner, pid, ret_status, ret_ru);
}

static void spare_close(struct ih_spare *s)
{
	if (s->pidfd >= 0)
		close(s->pidfd);
	if (s->in_fd >= 0)
		close(s->in_fd);
	if (s->out_fd >= 0)
		close(s->out_fd);
	s->pidfd = s->in_fd = s->out_fd = -1;
}

/* Kills and reaps the waiting spare, unused; then frees its buffers. */
static int next_discard(int *ret_status)
{
	struct ih_spare s = sp.spare;
	struct rusage ru;
	int r = 0;

	sp.state = NEXT_NONE;
	if (s.pid > 0) {
		kill(s.pid, SIGKILL);
		spare_close(&s);
		r = spawner_reap(s.pid, ret_status, &ru);
	}
	bufs_release(&sp.bufs);
	return r;
}

static bool spare_dead(const struct ih_spare *s)
{
	struct pollfd pfd = { .fd = s->pidfd, .events = POLLIN };

	return s->pid > 0 && poll(&pfd, 1, 0) > 0;
}

static void note_lost(pid_t pid, int status, struct ih_decoded *d)
{
	sp.stats.lost++;
	snprintf(d->note, sizeof(d->note),
		 "a pre-spawned decoder (pid %d) ended waiting (%s %d): replaced, not used",
		 (int)pid, WIFSIGNALED(status) ? "signal" : "exit status",
		 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

/* Discards the waiting spare if it died (named in d's note) or was made for other limits. */
static int next_check(const struct ih_spare_want *want, struct ih_decoded *d)
{
	pid_t pid = sp.spare.pid;
	int status = 0, r;

	if (sp.state != NEXT_READY)
		return 0;
	if (spare_dead(&sp.spare)) {
		r = next_discard(&status);
		if (r == 0)
			note_lost(pid, status, d);
		return r;
	}
	return want_same(&sp.want, want) ? 0 : next_discard(&status);
}

/* A spare made for want, alive, taken out of sp (its pool slots in *ret_bufs); or a refused
 * setup (rep names the step). -errno when the spawner failed. */
static int spare_take(const struct ih_spare_want *want, struct ih_decoded *d, struct ih_spare *ret,
		      struct spare_bufs *ret_bufs)
{
	for (int tries = 0; tries < SPARE_TRIES; tries++) {
		int r = next_collect();

		if (r == 0)
			r = next_check(want, d);
		if (r == 0 && sp.state == NEXT_NONE)
			r = next_ask(want);
		if (r == 0)
			r = next_collect();
		if (r == 0)
			r = next_check(want, d);
		if (r < 0)
			return r;
		if (sp.state == NEXT_READY) {
			*ret = sp.spare;
			*ret_bufs = sp.bufs;
			sp.state = NEXT_NONE;
			return 0;
		}
	}
	return -ECHILD;
}

/* Sends the image: its bytes into the spare's input memory (its mapping is read-only and
 * made before ours was sealed: it sees them without a copy of its own), then the header on
 * its pipe, which wakes it. The header is one write of less than PIPE_BUF bytes into an empty
 * pipe: it never blocks. A spare that died meanwhile is left to read_answer and judge_exit,
 * like any child that ended without an answer; its pipe's SIGPIPE is taken here. */
static void send_image(int fd, const struct ih_decode_opts *opts, const uint8_t *input,
		       size_t input_len, uint8_t *input_mem)
{
	struct ih_spare_image img = { .len = input_len };
	const struct timespec zero = { 0 };
	sigset_t pipe_sig, old;

	if (opts)
		img.opts = *opts;
	memcpy(input_mem + IH_SPARE_INPUT_OFF, input, input_len);
	__atomic_store_n((uint32_t *)input_mem, 1, __ATOMIC_RELEASE); /* it stops touching */
	sigemptyset(&pipe_sig);
	sigaddset(&pipe_sig, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_sig, &old);
	if (write_full(fd, &img, sizeof(img)) < 0)
		sigtimedwait(&pipe_sig, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* The spare's decode, from the image to the judged outcome; -errno if the spawner failed.
 * The next image's spare is asked for once this one has its image: its buffers are cleaned
 * and it is made while this one decodes. */
static int spare_run(const struct ih_spare_want *want, const struct ih_decode_opts *opts,
		     const uint8_t *input, size_t input_len, struct ih_spare *s,
		     const struct spare_bufs *b, struct ih_decoded *d)
{
	const struct ih_limits *lim = &want->lim;
	struct child_watch w = { .pid = s->pid, .deadline_ms = now_ms() + lim->wall_ms };
	int r;

	_Static_assert(sizeof(struct ih_spare_image) < PIPE_BUF, "the header is one write");
	send_image(s->in_fd, opts, input, input_len, sp.inputs.bufs[b->input].buf);
	sp.inputs.bufs[b->input].dirty = IH_SPARE_INPUT_OFF + input_len; /* the word too */
	close(s->in_fd);
	s->in_fd = -1;
	next_ask(want);
	w.pidfd = s->pidfd;
	w.out_fd = s->out_fd;
	read_answer(&w, lim, sp.pixels.bufs[b->pixels].cap, d);
	child_end(&w);
	spare_close(s);
	r = spawner_reap(w.pid, &w.status, &w.ru);
	if (r < 0)
		return r;
	judge_exit(&w, lim, d);
	d->resp.layers = s->rep.layers;
	return 0;
}

static int spare_decode(const struct ih_limits *lim, uint32_t flags,
			const struct ih_decode_opts *opts, const uint8_t *input, size_t input_len,
			struct ih_decoded *d)
{
	struct ih_spare_want want;
	struct spare_bufs b;
	struct ih_spare s;
	int r;

	want_fill(lim, flags, input, input_len, &want);
	if (!want.pixel_cap)
		return -ENOMEM;
	r = spare_take(&want, d, &s, &b);
	if (r < 0)
		return r;
	if (s.rep.step != IH_STEP_NONE) {
		bufs_release(&b);
		if (parent_failure(&s.rep))
			return -s.rep.err;
		sandbox_refused(&s.rep, d);
		return 0;
	}
	sp.stats.last_pid = s.pid;
	sp.stats.last_pixel_page = sp.pixels.bufs[b.pixels].page;
	r = spare_run(&want, opts, input, input_len, &s, &b, d);
	if (r < 0) { /* the spawner failed: what the spare wrote is not cleaned, but unmapped */
		ih_pool_release(&sp.pixels, b.pixels, false);
		ih_pool_release(&sp.inputs, b.input, false);
		return r;
	}
	bufs_take(&b, d);
	seen_add(d->resp.status == IH_STATUS_OK ? page_round(d->resp.pixel_len) : 0, input_len);
	return 0;
}

int ih_isolate_spares_start(void)
{
	if (sp.spawner.pid > 0)
		return 0;
	arena_drop(); /* shared with every child of ours: the spawner must not inherit it */
	ih_decoders_prepare_eager(); /* the lazy ones in the spawner, once an image needs them */
	return ih_spawner_start(decode_answer, &sp.spawner);
}

void ih_isolate_spares_stop(void)
{
	if (sp.spawner.pid <= 0)
		return;
	if (sp.state == NEXT_ASKED)
		next_collect(); /* if it fails, the spawner is gone and its spare with it */
	if (sp.state == NEXT_READY) {
		if (sp.spare.pid > 0)
			kill(sp.spare.pid, SIGKILL);
		spare_close(&sp.spare);
	}
	ih_spawner_stop(&sp.spawner); /* it reaps what is left, then exits */
	if (sp.state != NEXT_NONE)
		bufs_release(&sp.bufs);
	sp.state = NEXT_NONE;
	ih_pool_drop_idle(&sp.pixels);
	ih_pool_drop_idle(&sp.inputs);
}

void ih_isolate_spares_stats(struct ih_spares_stats *ret)
{
	*ret = sp.stats;
	ret->spawner_pid = sp.spawner.pid;
	ret->waiting_pid = -1;
	if (sp.spawner.pid > 0 && next_collect() == 0 && sp.state == NEXT_READY)
		ret->waiting_pid = sp.spare.pid;
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
	if (sp.spawner.pid > 0) {
		r = spare_decode(lim, flags, opts, input, input_len, &d);
		if (r < 0)
			return r;
		*ret = d;
		return 0;
	}
	ih_decoders_prepare_eager();
	ih_decoders_prepare_lazy(ih_decode_lazy_need(input, input_len));
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
	int i = d->map_len ? ih_pool_find(&sp.pixels, d->pixels) : -1;

	if (i >= 0) {
		ih_pool_release(&sp.pixels, i, sp.spawner.pid > 0);
	} else if (d->map_len && d->pixels == arena.buf && arena.lent) {
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
