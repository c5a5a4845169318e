/*
 * ih-vm decode: reads each input, has a backend decode it (host/vm/backend.h), writes the
 * pixels where -o says, and reports one line (or JSON record) per input. With --jobs N
 * and several inputs, N worker processes each open their own backend (their own VM in vm
 * mode) and each takes the next input no one has taken (work_queue.h); the parent only
 * collects and prints results.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/vm/backend.h"
#include "cmd.h"
#include "decode_opts.h"
#include "host/jail/jail_vm.h"
#include "encode.h"
#include "output.h"
#include "records.h"
#include "work_queue.h"
#include "guest/sandbox/sandbox.h"

#define MSG_MAX 256

/* What an OK response says of the picture, for the record. */
struct picture {
	uint8_t depth, src_depth, src_model, orientation, orient_state, color_action;
	uint32_t frames, frame;
	char color_desc[IH_DESC_MAX];
	char orient_note[IH_NOTE_MAX];
	char color_note[IH_NOTE_MAX];
};

/* One input's outcome; also what a worker sends the parent (one atomic pipe write). */
struct result {
	uint32_t index;
	uint16_t status; /* enum ih_status; meaningful when exit_code is OK or REJECTED */
	uint8_t exit_code; /* enum ih_exit for this input */
	uint8_t wrote; /* an output file or stream was written */
	uint32_t width, height, channels, layers;
	struct picture picture; /* what the picture is and what was done to it */
	uint16_t jail_layers; /* vm: IH_JAIL_BIT mask measured on the VM's QEMU */
	uint8_t jail_known; /* jail_layers is set */
	uint64_t ms;
	uint64_t end_ms; /* wall clock when it ended, ms since the epoch (records, report) */
	char reason[MSG_MAX];
	char hint[MSG_MAX];
	char note[IH_REASON_MAX]; /* "" or an event beside the outcome (a lost spare child) */
};

_Static_assert(sizeof(struct result) <= PIPE_BUF, "a result must cross a pipe atomically");

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void set_msg(char *dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_msg(char *dst, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, MSG_MAX, fmt, ap);
	va_end(ap);
}

static void fail(struct result *res, enum ih_exit code, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fail(struct result *res, enum ih_exit code, const char *hint, const char *fmt, ...)
{
	va_list ap;

	res->exit_code = (uint8_t)code;
	va_start(ap, fmt);
	vsnprintf(res->reason, MSG_MAX, fmt, ap);
	va_end(ap);
	set_msg(res->hint, "%s", hint ? hint : "");
}

static void free_bytes(uint8_t **p)
{
	free(*p);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

/* Reads a regular file of at most max bytes: 0, -E2BIG, or -errno. */
static int read_input(const char *path, uint64_t max, uint8_t **ret, size_t *ret_len)
{
	__attribute__((cleanup(close_fd))) int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	uint8_t *buf;
	size_t done = 0;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EISDIR;
	if ((uint64_t)st.st_size > max)
		return -E2BIG;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -EIO;
		}
		done += (size_t)n;
	}
	*ret = buf;
	*ret_len = done;
	return 0;
}

/* The option a rejection's reason points at, as a Hint. */
static const char *hint_for_rejection(const char *reason)
{
	static const struct {
		const char *words;
		const char *hint;
	} t[] = {
		{ "pixels is over the limit", "Hint: raise --max-pixels if you trust this image" },
		{ "bytes is over the limit of",
		  "Hint: raise --max-input-bytes or --max-png-chunk-bytes if you trust it" },
		{ "scans", "Hint: raise --max-jpeg-scans if you trust this image" },
		{ "ancillary PNG chunks", "Hint: raise --max-png-chunks if you trust this image" },
		{ "memory limit", "Hint: raise --max-memory if you trust this image" },
		{ "wall time limit", "Hint: raise --timeout (or --wall-ms) if the host is slow" },
		{ "CPU limit", "Hint: raise --cpu-ms if you trust this image" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strstr(reason, t[i].words))
			return t[i].hint;
	return NULL;
}

static void output_path(const struct ih_decode_args *o, const char *input, char *buf, size_t len)
{
	if (o->target == IH_TARGET_DIR) {
		if (ih_farm_output_path(o, input, buf, len) < 0)
			buf[0] = '\0';
	} else {
		snprintf(buf, len, "%s", o->output ? o->output : "");
	}
}

static void write_output(const struct ih_decode_args *o, const char *input,
			 const struct ih_decoded *d, struct result *res)
{
	char path[4096];
	int r;

	if (o->target == IH_TARGET_NONE)
		return;
	if (o->target == IH_TARGET_STDOUT) {
		r = ih_encode(stdout, o->format, d);
		if (r < 0)
			fail(res, IH_EXIT_SYSTEM, NULL, "cannot write to stdout: %s", strerror(-r));
		res->wrote = r == 0;
		return;
	}
	output_path(o, input, path, sizeof(path));
	r = path[0] ? ih_output_file(path, input, o->format, d) : -ENAMETOOLONG;
	if (r == -EEXIST)
		fail(res, IH_EXIT_USAGE, "Hint: choose another -o name or directory",
		     "refusing to overwrite the input with %s", path);
	else if (r < 0)
		fail(res, IH_EXIT_SYSTEM,
		     "Hint: check that the output directory exists and is writable",
		     "cannot write %s: %s", path, strerror(-r));
	res->wrote = r == 0;
}

static void picture_take(const struct ih_response *r, struct picture *p)
{
	*p = (struct picture){
		.depth = (uint8_t)r->depth,
		.src_depth = (uint8_t)r->src_depth,
		.src_model = (uint8_t)r->src_model,
		.orientation = (uint8_t)r->orientation,
		.orient_state = (uint8_t)r->orient_state,
		.color_action = (uint8_t)r->color_action,
		.frames = r->frames,
		.frame = r->frame,
	};
	memcpy(p->color_desc, r->color_desc, IH_DESC_MAX);
	memcpy(p->orient_note, r->orient_note, IH_NOTE_MAX);
	memcpy(p->color_note, r->color_note, IH_NOTE_MAX);
}

static void take_outcome(const struct ih_decode_args *o, const char *input,
			 const struct ih_decoded *d, struct result *res)
{
	res->status = d->resp.status;
	res->layers = d->resp.layers;
	memcpy(res->note, d->note, sizeof(res->note));
	res->note[sizeof(res->note) - 1] = '\0';
	switch (d->resp.status) {
	case IH_STATUS_OK:
		res->width = d->resp.width;
		res->height = d->resp.height;
		res->channels = d->resp.channels;
		picture_take(&d->resp, &res->picture);
		write_output(o, input, d, res);
		break;
	case IH_STATUS_REJECTED:
		fail(res, IH_EXIT_REJECTED, hint_for_rejection(d->resp.reason), "%s",
		     d->resp.reason);
		break;
	case IH_STATUS_SANDBOX:
		fail(res, IH_EXIT_SYSTEM,
		     d->hint ? d->hint : "Hint: --allow-degraded decodes without a missing layer",
		     "%s", d->resp.reason);
		break;
	default:
		fail(res, IH_EXIT_SYSTEM, NULL, "decoder failure: %s", d->resp.reason);
		break;
	}
}

static void read_failed(const struct ih_decode_args *o, int r, struct result *res)
{
	if (r == -E2BIG)
		fail(res, IH_EXIT_REJECTED, "Hint: raise --max-input-bytes if you trust this image",
		     "input is over the limit of %llu bytes",
		     (unsigned long long)o->limits.max_input_bytes);
	else if (r == -ENOENT || r == -EACCES || r == -EISDIR)
		fail(res, IH_EXIT_USAGE, NULL, "cannot read: %s",
		     r == -EISDIR ? "not a regular file" : strerror(-r));
	else
		fail(res, IH_EXIT_SYSTEM, NULL, "cannot read: %s", strerror(-r));
}

/* The QEMU jail layers of the VM that decoded (vm backend only). */
static void take_jail_layers(struct ih_backend *b, struct result *res)
{
	unsigned int layers;

	_Static_assert(IH_JAIL_NLAYERS <= 16, "jail layers fit in result.jail_layers");
	if (b->ops->jail_layers && b->ops->jail_layers(b, &layers) == 0) {
		res->jail_layers = (uint16_t)layers;
		res->jail_known = 1;
	}
}

/* Decodes input number i with backend b; the outcome goes to *res. */
static void decode_one(struct ih_backend *b, const struct ih_decode_args *o, uint32_t i,
		       struct result *res)
{
	__attribute__((cleanup(free_bytes))) uint8_t *in = NULL;
	struct ih_decoded d = { 0 };
	uint64_t start = now_ms();
	size_t len = 0;
	int r;

	*res = (struct result){ .index = i, .exit_code = IH_EXIT_OK };
	r = read_input(o->inputs[i], o->limits.max_input_bytes, &in, &len);
	if (r < 0) {
		read_failed(o, r, res);
		return;
	}
	r = b->ops->decode(b, &o->limits, o->flags, &o->decode_opts, in, len, &d);
	/* The next image's decoder starts from a copy of this process: leave it nothing. */
	explicit_bzero(in, len);
	if (r < 0)
		fail(res, IH_EXIT_SYSTEM, NULL, "%s backend failed: %s", b->ops->name,
		     strerror(-r));
	else
		take_outcome(o, o->inputs[i], &d, res);
	ih_decoded_free(&d);
	take_jail_layers(b, res);
	res->ms = now_ms() - start;
	res->end_ms = wall_ms();
}

/* ---- reporting, in the parent ---- */

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static const char *result_status(const struct result *res)
{
	if (res->exit_code == IH_EXIT_OK || res->exit_code == IH_EXIT_REJECTED ||
	    res->status != IH_STATUS_OK)
		return ih_status_name(res->status);
	return "error";
}

static const char *status_prefix(const struct result *res)
{
	if (res->exit_code == IH_EXIT_REJECTED)
		return "rejected: ";
	if (res->status == IH_STATUS_SANDBOX)
		return "sandbox: ";
	return "";
}

/* vm: ,"jail":{"mode":M,"active":[layers measured in force on the VM's QEMU]} */
static void print_json_jail(FILE *f, const struct result *res)
{
	bool first = true;

	if (!res->jail_known)
		return;
	fprintf(f, ",\"jail\":{\"mode\":\"%s\",\"active\":[",
		ih_jail_mode_name(ih_jail_get_mode()));
	for (int l = 0; l < IH_JAIL_NLAYERS; l++)
		if (res->jail_layers & IH_JAIL_BIT(l)) {
			fprintf(f, "%s\"%s\"", first ? "" : ",", ih_jail_layer_name(l));
			first = false;
		}
	fprintf(f, "]}");
}

/* Depth, frames, the source, and what became of orientation and colour (OK only). */
static void print_json_picture(FILE *f, const struct result *res)
{
	const struct picture *p = &res->picture;

	if (res->status != IH_STATUS_OK || res->exit_code != IH_EXIT_OK || !p->depth)
		return;
	fprintf(f, ",\"depth\":%u,\"frames\":%u,\"frame\":%u", p->depth, p->frames, p->frame);
	fprintf(f, ",\"source\":{\"depth\":%u,\"model\":\"%s\"}", p->src_depth,
		ih_model_name(p->src_model));
	fprintf(f, ",\"orientation\":{\"exif\":%u,\"state\":\"%s\",\"note\":", p->orientation,
		ih_orient_state_name(p->orient_state));
	json_string(f, p->orient_note);
	fprintf(f, "},\"color\":{\"action\":\"%s\",\"profile\":",
		ih_color_action_name(p->color_action));
	json_string(f, p->color_desc);
	fprintf(f, ",\"note\":");
	json_string(f, p->color_note);
	fprintf(f, "}");
}

static void print_json(FILE *f, const struct ih_decode_args *o, const struct result *res)
{
	char path[4096];
	bool first = true;

	fprintf(f, "{\"file\":");
	json_string(f, o->inputs[res->index]);
	fprintf(f, ",\"status\":\"%s\",\"reason\":", result_status(res));
	json_string(f, res->reason);
	fprintf(f, ",\"width\":%u,\"height\":%u,\"channels\":%u,\"layers\":[", res->width,
		res->height, res->channels);
	for (uint32_t bit = 1; bit <= IH_LAYER_ALL; bit <<= 1)
		if (res->layers & bit) {
			fprintf(f, "%s\"%s\"", first ? "" : ",", ih_layer_name(bit));
			first = false;
		}
	fprintf(f, "]");
	if (res->note[0]) {
		fprintf(f, ",\"note\":");
		json_string(f, res->note);
	}
	print_json_picture(f, res);
	print_json_jail(f, res);
	fprintf(f, ",\"ms\":%llu,\"end_ms\":%llu,\"output\":", (unsigned long long)res->ms,
		(unsigned long long)res->end_ms);
	output_path(o, o->inputs[res->index], path, sizeof(path));
	if (res->wrote && o->target != IH_TARGET_STDOUT)
		json_string(f, path);
	else
		fprintf(f, "null");
	fprintf(f, "}\n");
	fflush(f);
}

/* The layers a full sandbox has where the decoder runs (the guest's init is root). */
static uint32_t expected_layers(const struct ih_decode_args *o)
{
	if (o->backend.isolation == IH_ISOLATION_PROCESS)
		return ih_sandbox_expected_layers();
	return IH_LAYER_ALL & ~IH_LAYER_NS_USER;
}

/* A decode that ran without some layer (--allow-degraded) says so, whatever the output;
 * no layers at all means no decoder ran (e.g. the input was over its limit). */
static void warn_degraded(const struct ih_decode_args *o, const struct result *res)
{
	uint32_t missing = expected_layers(o) & ~res->layers;

	if (!missing || !res->layers ||
	    (res->status != IH_STATUS_OK && res->status != IH_STATUS_REJECTED) ||
	    (res->exit_code != IH_EXIT_OK && res->exit_code != IH_EXIT_REJECTED))
		return;
	fprintf(stderr, "ih-vm decode: %s: warning: decoded without sandbox layers:",
		o->inputs[res->index]);
	for (uint32_t bit = 1; bit <= IH_LAYER_ALL; bit <<= 1)
		if (missing & bit)
			fprintf(stderr, " %s", ih_layer_name(bit));
	fprintf(stderr, " (--allow-degraded)\n");
}

static const char *channels_name(uint32_t channels)
{
	static const char *const names[] = { "grey", "grey+alpha", "RGB", "RGBA" };

	return channels >= 1 && channels <= 4 ? names[channels - 1] : "?";
}

/* --verbose: what the record says of the source, orientation and colour, on stderr. */
static void print_picture_verbose(const char *name, const struct picture *p)
{
	fprintf(stderr, "%s: source %s %u-bit, frame %u of %u\n", name, ih_model_name(p->src_model),
		p->src_depth, p->frame, p->frames);
	fprintf(stderr, "%s: orientation %u: %s%s%s\n", name, p->orientation,
		ih_orient_state_name(p->orient_state), p->orient_note[0] ? ": " : "",
		p->orient_note);
	fprintf(stderr, "%s: colour profile \"%s\": %s%s%s\n", name, p->color_desc,
		ih_color_action_name(p->color_action), p->color_note[0] ? ": " : "", p->color_note);
}

static void print_result(const struct ih_decode_args *o, const struct result *res)
{
	const char *name = o->inputs[res->index];

	warn_degraded(o, res);
	if (res->note[0])
		fprintf(stderr, "ih-vm decode: %s: note: %s\n", name, res->note);
	if (o->json) {
		print_json(stdout, o, res);
		return;
	}
	if (res->exit_code != IH_EXIT_OK) {
		fprintf(stderr, "ih-vm decode: %s: %s%s%s%s\n", name, status_prefix(res),
			res->reason, res->hint[0] ? ". " : "", res->hint);
		return;
	}
	if (o->target == IH_TARGET_NONE || o->verbose)
		fprintf(o->target == IH_TARGET_STDOUT ? stderr : stdout,
			"%s: ok %ux%u %s %u-bit, %llu ms, layers 0x%x\n", name, res->width,
			res->height, channels_name(res->channels), res->picture.depth,
			(unsigned long long)res->ms, res->layers);
	if (o->verbose)
		print_picture_verbose(name, &res->picture);
}

/* A progress bar on a terminal, for batches only. */
static void progress(const struct ih_decode_args *o, size_t done)
{
	enum { WIDTH = 30 };
	size_t fill;

	if (o->n_inputs < 2 || !isatty(STDERR_FILENO))
		return;
	fill = done * WIDTH / o->n_inputs;
	fprintf(stderr, "\r[%.*s%*s] %zu/%zu", (int)fill,
		"==============================", (int)(WIDTH - fill), "", done, o->n_inputs);
	if (done == o->n_inputs)
		fputs("\r\033[K", stderr);
}

static enum ih_exit worse(enum ih_exit a, enum ih_exit b)
{
	return a > b ? a : b;
}

/* ---- running the inputs ---- */

static int open_backend(const struct ih_decode_args *o, struct ih_backend **ret, struct result *res)
{
	const struct ih_backend_ops *ops = ih_backend_ops_for(o->backend.isolation);
	int r = ops->open(&o->backend, ret);

	if (r == -ENOSYS)
		fail(res, IH_EXIT_SYSTEM, "Hint: use --isolation=process until it is",
		     "the %s backend is not built yet", ops->name);
	else if (r < 0)
		fail(res, IH_EXIT_SYSTEM, NULL, "cannot start the %s backend: %s", ops->name,
		     strerror(-r));
	return r;
}

typedef void (*emit_fn)(const struct result *res, void *ctx);

/* Decodes the inputs it takes from q; a backend that cannot start fails each of them.
 * -errno, having started nothing, when it cannot keep q from the processes it starts. */
static int run_share(const struct ih_decode_args *o, const struct ih_work_queue *q, emit_fn emit,
		     void *ctx)
{
	struct ih_backend *b = NULL;
	struct result res = { 0 };
	size_t i;
	int r = ih_work_queue_worker(q);

	if (r < 0) {
		fprintf(stderr,
			"ih-vm decode: cannot keep the inputs' queue from the decoders: %s\n",
			strerror(-r));
		return r;
	}
	r = open_backend(o, &b, &res);
	while (ih_work_queue_take(q, &i)) {
		if (r < 0) {
			res.index = (uint32_t)i;
			emit(&res, ctx);
			continue;
		}
		decode_one(b, o, (uint32_t)i, &res);
		emit(&res, ctx);
	}
	if (r == 0)
		b->ops->close(b);
	return 0;
}

struct collect {
	const struct ih_decode_args *o;
	size_t done;
	enum ih_exit code;
	int records_fd; /* --records, else -1 */
};

/* --records: the record of res appended as one whole line (host/cli/records.h). A failure
 * is said once and ends the recording (exit 3); a later --resume run picks up from there. */
static void append_record(struct collect *c, const struct result *res)
{
	char *line = NULL;
	size_t len = 0;
	FILE *mem;
	int r = -ENOMEM;

	if (c->records_fd < 0)
		return;
	mem = open_memstream(&line, &len);
	if (mem) {
		print_json(mem, c->o, res);
		r = fclose(mem) == 0 ? ih_records_append(c->records_fd, line, len) : -ENOMEM;
	}
	free(line);
	if (r == 0)
		return;
	fprintf(stderr, "ih-vm decode: cannot append to the records %s: %s\n", c->o->farm.records,
		strerror(-r));
	close(c->records_fd);
	c->records_fd = -1;
	c->code = worse(c->code, IH_EXIT_SYSTEM);
}

static void emit_print(const struct result *res, void *ctx)
{
	struct collect *c = ctx;

	c->done++;
	c->code = worse(c->code, (enum ih_exit)res->exit_code);
	append_record(c, res);
	print_result(c->o, res);
	progress(c->o, c->done);
}

static void emit_pipe(const struct result *res, void *ctx)
{
	const int *fd = ctx;

	if (write(*fd, res, sizeof(*res)) != (ssize_t)sizeof(*res))
		_exit(IH_EXIT_SYSTEM);
}

static pid_t start_worker(const struct ih_decode_args *o, const struct ih_work_queue *q, int fd)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == 0) {
		/* A worker ends with the parent (its vm backend then kills its QEMU). */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
			_exit(IH_EXIT_SYSTEM);
		_exit(run_share(o, q, emit_pipe, &fd) < 0 ? IH_EXIT_SYSTEM : 0);
	}
	return pid;
}

/* Reads results until every worker has closed the pipe; reaps them. */
static enum ih_exit collect_workers(struct collect *c, int fd, const pid_t *pids, size_t n)
{
	struct result res;
	enum ih_exit code = IH_EXIT_OK;
	int status;

	while (read(fd, &res, sizeof(res)) == (ssize_t)sizeof(res))
		if (res.index < c->o->n_inputs)
			emit_print(&res, c);
	for (size_t i = 0; i < n; i++)
		if (pids[i] > 0 && (waitpid(pids[i], &status, 0) < 0 || status != 0))
			code = IH_EXIT_SYSTEM;
	if (c->done != c->o->n_inputs) {
		fprintf(stderr, "ih-vm decode: %zu of %zu inputs got no result (a worker died)\n",
			c->o->n_inputs - c->done, c->o->n_inputs);
		code = IH_EXIT_SYSTEM;
	}
	return worse(code, c->code);
}

static enum ih_exit run_workers(const struct ih_decode_args *o, const struct ih_work_queue *q,
				struct collect *c)
{
	pid_t pids[IH_DECODE_MAX_JOBS] = { 0 };
	size_t n = o->jobs < o->n_inputs ? o->jobs : o->n_inputs;
	int fds[2];
	enum ih_exit code;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		fprintf(stderr, "ih-vm decode: pipe: %s\n", strerror(errno));
		return IH_EXIT_SYSTEM;
	}
	fflush(NULL);
	for (size_t w = 0; w < n; w++)
		pids[w] = start_worker(o, q, fds[1]);
	close(fds[1]);
	code = collect_workers(c, fds[0], pids, n);
	close(fds[0]);
	return code;
}

/* A farm run (farm.h): opens --records, drops what --resume finds done; says so once. */
static int start_farm(struct ih_decode_args *o, struct collect *c)
{
	struct ih_farm_resume rs;
	char err[MSG_MAX];
	int r = ih_farm_start(o, &c->records_fd, &rs, err, sizeof(err));

	if (r < 0) {
		fprintf(stderr, "ih-vm decode: %s\n", err);
		return r;
	}
	if (rs.cut_bytes)
		fprintf(stderr,
			"ih-vm decode: %s: cut a torn last line (%zu bytes) left by a killed run\n",
			o->farm.records, rs.cut_bytes);
	if (rs.malformed)
		fprintf(stderr, "ih-vm decode: %s: ignored %zu lines that are not records\n",
			o->farm.records, rs.malformed);
	if (o->farm.shard.n)
		fprintf(stderr, "ih-vm decode: shard %u/%u: %zu of %zu inputs\n", o->farm.shard.k,
			o->farm.shard.n, o->farm.n_mine, o->farm.inputs.n);
	if (o->farm.resume)
		fprintf(stderr, "ih-vm decode: resume: %zu already done, %zu to decode\n", rs.done,
			o->n_inputs);
	return 0;
}

int cmd_decode(int argc, char **argv)
{
	struct ih_decode_args o;
	struct collect c = { .o = &o, .records_fd = -1 };
	struct ih_work_queue q;
	char err[MSG_MAX];
	int r = ih_decode_opts_parse(argc, argv, &o, err, sizeof(err));

	if (r == 1) {
		ih_decode_usage(stdout);
		return IH_EXIT_OK;
	}
	if (r < 0) {
		fprintf(stderr, "ih-vm decode: %s\n", err);
		return IH_EXIT_USAGE;
	}
	if (start_farm(&o, &c) < 0)
		return IH_EXIT_SYSTEM;
	if (o.n_inputs == 0)
		return IH_EXIT_OK;
	r = ih_work_queue_open(&q, o.n_inputs);
	if (r < 0) {
		fprintf(stderr, "ih-vm decode: cannot map the inputs' queue: %s\n", strerror(-r));
		return IH_EXIT_SYSTEM;
	}
	if (o.jobs > 1 && o.n_inputs > 1)
		c.code = run_workers(&o, &q, &c);
	else if (run_share(&o, &q, emit_print, &c) < 0)
		c.code = IH_EXIT_SYSTEM;
	ih_work_queue_close(&q);
	return c.code;
}
