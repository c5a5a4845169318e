/* Parses and checks the options of `ih-vm decode` (host/cli/decode_opts.h). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "decode_opts.h"
#include "output.h"
#include "host/jail/jail_vm.h"

enum {
	OPT_ISOLATION = 256,
	OPT_FORMAT,
	OPT_MAX_INPUT,
	OPT_MAX_PIXELS,
	OPT_MAX_MEMORY,
	OPT_MAX_SCANS,
	OPT_MAX_CHUNK,
	OPT_MAX_CHUNKS,
	OPT_CPU_MS,
	OPT_WALL_MS,
	OPT_TIMEOUT,
	OPT_DEGRADED,
	OPT_JSON,
	OPT_ACCEL,
	OPT_FRESH_VM,
	OPT_CONSOLE_LOG,
	OPT_VSOCK,
	OPT_JAIL,
	OPT_CGROUP_ROOT,
	OPT_ORIENT,
	OPT_COLOR,
	OPT_DEPTH,
	OPT_FRAME,
};

static const struct option long_opts[] = {
	{ "isolation", required_argument, NULL, OPT_ISOLATION },
	{ "output", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "max-input-bytes", required_argument, NULL, OPT_MAX_INPUT },
	{ "max-pixels", required_argument, NULL, OPT_MAX_PIXELS },
	{ "max-memory", required_argument, NULL, OPT_MAX_MEMORY },
	{ "max-jpeg-scans", required_argument, NULL, OPT_MAX_SCANS },
	{ "max-png-chunk-bytes", required_argument, NULL, OPT_MAX_CHUNK },
	{ "max-png-chunks", required_argument, NULL, OPT_MAX_CHUNKS },
	{ "cpu-ms", required_argument, NULL, OPT_CPU_MS },
	{ "wall-ms", required_argument, NULL, OPT_WALL_MS },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "allow-degraded", no_argument, NULL, OPT_DEGRADED },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "verbose", no_argument, NULL, 'v' },
	{ "accel", required_argument, NULL, OPT_ACCEL },
	{ "jobs", required_argument, NULL, 'j' },
	{ "fresh-vm", no_argument, NULL, OPT_FRESH_VM },
	{ "console-log", required_argument, NULL, OPT_CONSOLE_LOG },
	{ "vsock", required_argument, NULL, OPT_VSOCK },
	{ "jail", required_argument, NULL, OPT_JAIL },
	{ "cgroup-root", required_argument, NULL, OPT_CGROUP_ROOT },
	{ "orient", required_argument, NULL, OPT_ORIENT },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "depth", required_argument, NULL, OPT_DEPTH },
	{ "frame", required_argument, NULL, OPT_FRAME },
	{ "help", no_argument, NULL, 'h' },
	IH_FARM_LONG_OPTS,
	{ NULL, 0, NULL, 0 },
};

void ih_decode_usage(FILE *f)
{
	fprintf(f,
		"usage: ih-vm decode [OPTIONS] FILE...\n"
		"Decodes untrusted images (format by magic bytes) in a hardened microVM,\n"
		"or in a sandboxed process on this host.\n\n"
		"  --isolation=vm|process  where to decode (default vm)\n"
		"  -o, --output=FILE|DIR|- write the pixels: FILE (one input), DIR (one file\n"
		"                          per input) or - (stdout); none: check only\n"
		"  --format=png|ppm|pam    output format (default: by extension, else png;\n"
		"                          ppm drops alpha; grey gives PGM)\n"
		"  --orient=auto|keep      auto (default): turn the pixels as EXIF says;\n"
		"                          keep: stored order\n"
		"  --color=srgb|keep|ignore  srgb (default): convert an embedded ICC profile\n"
		"                          to sRGB; keep: pixels as stored, profile kept in PNG;\n"
		"                          ignore: pixels as stored, profile dropped\n"
		"  --depth=keep|8          keep (default): 16-bit sources stay 16-bit; 8: scale\n"
		"  --frame=N               the frame of an animation to give (default 0)\n"
		"  --max-input-bytes=N     limits (k/M/G suffixes; defaults in "
		"guest/decode/limits.conf)\n"
		"  --max-pixels=N --max-memory=N --max-jpeg-scans=N\n"
		"  --max-png-chunk-bytes=N --max-png-chunks=N\n"
		"  --cpu-ms=N --wall-ms=N  CPU and wall-clock time per image\n"
		"  --timeout=SECONDS       the same as --wall-ms=SECONDS*1000\n"
		"  --allow-degraded        decode even if the kernel lacks a sandbox layer\n"
		"  --json                  one JSON record per input on stdout\n"
		"  -v, --verbose           say more on stderr\n"
		"  -j, --jobs=N            decode N images at once (a backend, or VM, each)\n"
		"  --accel=auto|kvm|tcg    vm: accelerator (default auto)\n"
		"  --fresh-vm              vm: boot a new VM for every image\n"
		"  --console-log=FILE      vm: write the guest console to FILE\n"
		"  --vsock=user|kernel     vm: vsock transport (default user)\n\n"
		"exit codes: 0 all decoded, 1 an image was rejected, 2 usage, 3 sandbox/system "
		"failure\n");
	fputs("\ndecode farms (README: Running a decode farm):\n" IH_FARM_OPTIONS_HELP, f);
	fputs("\nthe QEMU jail (vm):\n" IH_JAIL_OPTIONS_HELP, f);
}

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int ih_parse_size(const char *s, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end && end[1] == '\0') {
		const char *units = "kMG";
		const char *u = strchr(units, *end);

		if (!u)
			return -EINVAL;
		shift = 10 * (unsigned int)(u - units + 1);
		end++;
	}
	if (*end)
		return -EINVAL;
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	v <<= shift;
	if (v == 0 || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

enum ih_out_format ih_out_format_for(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (!dot || strchr(dot, '/'))
		return IH_OUT_NONE;
	if (!strcasecmp(dot, ".png"))
		return IH_OUT_PNG;
	if (!strcasecmp(dot, ".ppm"))
		return IH_OUT_PPM;
	if (!strcasecmp(dot, ".pam"))
		return IH_OUT_PAM;
	return IH_OUT_NONE;
}

/* A limit option: checked against the ceiling of guest/decode/limits.conf. */
static int set_limit(int opt, const char *arg, struct ih_limits *l, char *err, size_t len)
{
	struct ih_limits c;
	uint64_t v = 0;

	ih_limits_ceiling(&c);
	struct {
		int opt;
		const char *name;
		uint64_t max;
	} const t[] = {
		{ OPT_MAX_INPUT, "max-input-bytes", c.max_input_bytes },
		{ OPT_MAX_PIXELS, "max-pixels", c.max_pixels },
		{ OPT_MAX_MEMORY, "max-memory", c.max_memory_bytes },
		{ OPT_MAX_SCANS, "max-jpeg-scans", c.max_jpeg_scans },
		{ OPT_MAX_CHUNK, "max-png-chunk-bytes", c.max_png_chunk_bytes },
		{ OPT_MAX_CHUNKS, "max-png-chunks", c.max_png_chunks },
		{ OPT_CPU_MS, "cpu-ms", c.cpu_ms },
		{ OPT_WALL_MS, "wall-ms", c.wall_ms },
		{ OPT_TIMEOUT, "timeout", c.wall_ms / 1000 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i].opt != opt)
			continue;
		if (ih_parse_size(arg, t[i].max, &v) < 0)
			return fail(err, len, "--%s=%s: want a number from 1 to %llu", t[i].name,
				    arg, (unsigned long long)t[i].max);
		break;
	}
	switch (opt) {
	case OPT_MAX_INPUT:
		l->max_input_bytes = v;
		break;
	case OPT_MAX_PIXELS:
		l->max_pixels = v;
		break;
	case OPT_MAX_MEMORY:
		l->max_memory_bytes = v;
		break;
	case OPT_MAX_SCANS:
		l->max_jpeg_scans = (uint32_t)v;
		break;
	case OPT_MAX_CHUNK:
		l->max_png_chunk_bytes = (uint32_t)v;
		break;
	case OPT_MAX_CHUNKS:
		l->max_png_chunks = (uint32_t)v;
		break;
	case OPT_CPU_MS:
		l->cpu_ms = (uint32_t)v;
		break;
	case OPT_WALL_MS:
		l->wall_ms = (uint32_t)v;
		break;
	default:
		l->wall_ms = (uint32_t)(v * 1000);
		break;
	}
	return 0;
}

/* --name=a|b|c: the index of arg among the choices. */
static int choose(const char *name, const char *arg, const char *const *choices, size_t n,
		  char *err, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(arg, choices[i]))
			return (int)i;
	return fail(err, len, "--%s=%s: unknown value", name, arg);
}

static int set_choice(int opt, const char *arg, struct ih_decode_args *o, char *err, size_t len)
{
	static const char *const iso[] = { "vm", "process" };
	static const char *const fmt[] = { "png", "ppm", "pam" };
	static const char *const accel[] = { "auto", "kvm", "tcg" };
	static const char *const vsock[] = { "user", "kernel" };
	int i;

	switch (opt) {
	case OPT_ISOLATION:
		i = choose("isolation", arg, iso, 2, err, len);
		o->backend.isolation = i == 1 ? IH_ISOLATION_PROCESS : IH_ISOLATION_VM;
		break;
	case OPT_FORMAT:
		i = choose("format", arg, fmt, 3, err, len);
		o->format = (enum ih_out_format)(i + 1);
		break;
	case OPT_ACCEL:
		i = choose("accel", arg, accel, 3, err, len);
		o->backend.accel = (enum ih_accel)i;
		break;
	default:
		i = choose("vsock", arg, vsock, 2, err, len);
		o->backend.vsock = i == 1 ? IH_VSOCK_KERNEL : IH_VSOCK_USER;
		break;
	}
	return i < 0 ? i : 0;
}

/* --orient, --color, --depth, --frame: how the picture is given (IH_OPT_*). */
static int set_picture(int opt, const char *arg, struct ih_decode_opts *p, char *err, size_t len)
{
	static const char *const orient[] = { "auto", "keep" };
	static const char *const color[] = { "srgb", "keep", "ignore" };
	static const char *const depth[] = { "keep", "8" };
	static const uint32_t color_flag[] = { 0, IH_OPT_COLOR_KEEP, IH_OPT_COLOR_IGNORE };
	uint64_t v;
	int i;

	switch (opt) {
	case OPT_ORIENT:
		i = choose("orient", arg, orient, 2, err, len);
		p->flags = (p->flags & ~IH_OPT_ORIENT_KEEP) | (i == 1 ? IH_OPT_ORIENT_KEEP : 0);
		return i < 0 ? i : 0;
	case OPT_COLOR:
		i = choose("color", arg, color, 3, err, len);
		p->flags &= ~(IH_OPT_COLOR_KEEP | IH_OPT_COLOR_IGNORE);
		p->flags |= i < 0 ? 0 : color_flag[i];
		return i < 0 ? i : 0;
	case OPT_DEPTH:
		i = choose("depth", arg, depth, 2, err, len);
		p->flags = (p->flags & ~IH_OPT_DEPTH8) | (i == 1 ? IH_OPT_DEPTH8 : 0);
		return i < 0 ? i : 0;
	default:
		if (!strcmp(arg, "0")) {
			p->frame = 0;
			return 0;
		}
		if (ih_parse_size(arg, UINT32_MAX - 1, &v) < 0 || strpbrk(arg, "kMG"))
			return fail(err, len, "--frame=%s: want a frame number from 0", arg);
		p->frame = (uint32_t)v;
		return 0;
	}
}

static int set_jobs(const char *arg, struct ih_decode_args *o, char *err, size_t len)
{
	uint64_t v;

	if (ih_parse_size(arg, IH_DECODE_MAX_JOBS, &v) < 0)
		return fail(err, len, "--jobs=%s: want a number from 1 to %d", arg,
			    IH_DECODE_MAX_JOBS);
	o->jobs = (unsigned int)v;
	return 0;
}

static int parse_one(int opt, const char *arg, struct ih_decode_args *o, char *err, size_t len)
{
	switch (opt) {
	case 'h':
		return 1;
	case 'o':
		o->output = arg;
		return 0;
	case 'v':
		o->verbose = o->backend.verbose = true;
		return 0;
	case 'j':
		return set_jobs(arg, o, err, len);
	case OPT_DEGRADED:
		o->flags |= IH_REQ_ALLOW_DEGRADED;
		return 0;
	case OPT_JSON:
		o->json = true;
		return 0;
	case OPT_FRESH_VM:
		o->backend.fresh_vm = true;
		return 0;
	case OPT_CONSOLE_LOG:
		o->backend.console_log = arg;
		return 0;
	case OPT_JAIL:
		if (ih_jail_set_mode(arg) < 0)
			return fail(err, len, "--jail=%s: want strict, best-effort or off", arg);
		return 0;
	case OPT_CGROUP_ROOT:
		ih_jail_set_cgroup_root(arg);
		return 0;
	case OPT_ISOLATION:
	case OPT_FORMAT:
	case OPT_ACCEL:
	case OPT_VSOCK:
		return set_choice(opt, arg, o, err, len);
	case OPT_ORIENT:
	case OPT_COLOR:
	case OPT_DEPTH:
	case OPT_FRAME:
		return set_picture(opt, arg, &o->decode_opts, err, len);
	case 'r':
	case IH_FARM_MANIFEST ... IH_FARM_RESUME:
		return ih_farm_option(opt == 'r' ? IH_FARM_WALK : opt, arg, &o->farm, err, len);
	case '?':
		return fail(err, len, "unknown option or missing argument (see --help)");
	default:
		return set_limit(opt, arg, &o->limits, err, len);
	}
}

static int stem_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b, *bx, *by;
	size_t nx = ih_output_stem(x, &bx), ny = ih_output_stem(y, &by);
	int c = memcmp(bx, by, nx < ny ? nx : ny);

	return c ? c : (nx > ny) - (nx < ny);
}

/* Under -o DIR, two inputs named alike (a/x.png, b/x.jpg) would write the same file. */
static int check_distinct_outputs(const struct ih_decode_args *o, char *err, size_t len)
{
	char **sorted = malloc(o->n_inputs * sizeof(*sorted));
	int r = 0;

	if (!sorted)
		return fail(err, len, "out of memory");
	memcpy(sorted, o->inputs, o->n_inputs * sizeof(*sorted));
	qsort(sorted, o->n_inputs, sizeof(*sorted), stem_cmp);
	for (size_t i = 1; i < o->n_inputs && r == 0; i++)
		if (stem_cmp(&sorted[i - 1], &sorted[i]) == 0)
			r = fail(err, len, "%s and %s would both write the same file in %s",
				 sorted[i - 1], sorted[i], o->output);
	free(sorted);
	return r;
}

/* Where -o points and in which format; the inputs are known by now. */
static int resolve_output(struct ih_decode_args *o, char *err, size_t len)
{
	struct stat st;

	if (!o->output) {
		o->target = IH_TARGET_NONE;
		if (o->format)
			return fail(err, len, "--format needs -o");
		return 0;
	}
	if (!strcmp(o->output, "-")) {
		if (o->n_inputs != 1 || o->farm.active)
			return fail(err, len, "-o - takes exactly one input");
		if (o->json)
			return fail(err, len, "-o - and --json both want stdout");
		o->target = IH_TARGET_STDOUT;
	} else if (stat(o->output, &st) == 0 && S_ISDIR(st.st_mode)) {
		o->target = IH_TARGET_DIR;
		/* farm outputs carry a hash of the input path: always distinct */
		if (!o->farm.active && check_distinct_outputs(o, err, len) < 0)
			return -EINVAL;
	} else if (o->n_inputs > 1 || o->farm.active) {
		return fail(err, len, "-o %s: several inputs need an existing directory",
			    o->output);
	} else {
		enum ih_out_format by_name = ih_out_format_for(o->output);

		if (!o->format && !by_name)
			return fail(err, len, "-o %s: name it .png, .ppm or .pam, or pass --format",
				    o->output);
		o->target = IH_TARGET_FILE;
		if (!o->format)
			o->format = by_name;
	}
	if (!o->format)
		o->format = IH_OUT_PNG;
	return 0;
}

int ih_decode_opts_parse(int argc, char **argv, struct ih_decode_args *ret, char *err,
			 size_t err_len)
{
	struct ih_decode_args o = { .jobs = 1 };
	int opt, r;

	ih_limits_default(&o.limits);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "o:vj:hr:", long_opts, NULL)) != -1) {
		r = parse_one(opt, optarg, &o, err, err_len);
		if (r != 0)
			return r;
	}
	if (optind >= argc && !ih_farm_has_inputs(&o.farm))
		return fail(err, err_len, "no input file (see --help)");
	o.inputs = argv + optind;
	o.n_inputs = (size_t)(argc - optind);
	r = ih_farm_inputs(&o.farm, o.inputs, o.n_inputs, &o.inputs, &o.n_inputs, err, err_len);
	if (r == 0)
		r = resolve_output(&o, err, err_len);
	if (r < 0)
		return r;
	*ret = o;
	return 0;
}
