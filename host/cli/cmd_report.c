/*
 * ih-vm report: merges the records files of a decode farm's shards (host/cli/records.h)
 * into totals by status and by rejection reason, the slowest inputs, the throughput, and
 * the manifest inputs that no records file has, as text or --json. The last record of an
 * input wins (a resumed run may redo an input whose earlier record was an error). Exit 0
 * when every manifest input has a record (or no manifest was given), 1 when some have
 * none, 2 usage, 3 when a file cannot be read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "manifest.h"
#include "records.h"

#define MAX_KINDS 256 /* distinct statuses or reasons kept; the rest count as "(other)" */
#define MAX_SLOWEST 100
#define MAX_MISSING_SHOWN 20

struct kind {
	char *name;
	size_t count;
};

struct kinds {
	struct kind k[MAX_KINDS];
	size_t n;
};

struct entry {
	char status[IH_RECORD_STATUS_MAX];
	char *reason;
	uint64_t ms, end_ms;
};

struct slow {
	size_t index;
	uint64_t ms;
};

struct report {
	struct ih_inputs files; /* every input with a record */
	struct entry *e; /* parallel to files.paths */
	size_t e_cap;
	size_t lines, malformed, duplicates;
	struct ih_inputs manifest;
	const char *manifest_path;
	int oom;
};

static int grow_entries(struct report *rp)
{
	size_t cap = rp->e_cap ? rp->e_cap * 2 : 1024;
	struct entry *e = realloc(rp->e, cap * sizeof(*e));

	if (!e)
		return -ENOMEM;
	rp->e = e;
	rp->e_cap = cap;
	return 0;
}

/* The index of file in the table, added if new; -1 when out of memory. */
static long long index_of(struct report *rp, const char *file, int *ret_new)
{
	size_t n = rp->files.n;
	long long i = ih_inputs_index(&rp->files, file);

	*ret_new = i < 0;
	if (i >= 0)
		return i;
	if (rp->files.n == rp->e_cap && grow_entries(rp) < 0)
		return -1;
	if (ih_inputs_add(&rp->files, file) < 0)
		return -1;
	rp->e[n] = (struct entry){ .reason = NULL };
	return (long long)n;
}

static int take(const struct ih_record *rec, void *ctx)
{
	struct report *rp = ctx;
	int is_new;
	long long i = index_of(rp, rec->file, &is_new);
	struct entry *e;

	if (i < 0)
		return -ENOMEM;
	e = &rp->e[i];
	rp->duplicates += !is_new;
	free(e->reason);
	snprintf(e->status, sizeof(e->status), "%s", rec->status);
	e->reason = strdup(rec->reason);
	e->ms = rec->ms;
	e->end_ms = rec->end_ms;
	return e->reason ? 0 : -ENOMEM;
}

/* Reads one records file, saying on stderr what was skipped in it. */
static int read_records(struct report *rp, const char *path)
{
	struct ih_records_stats st;
	int r = ih_records_read_file(path, false, take, rp, &st);

	if (r < 0) {
		fprintf(stderr, "ih-vm report: cannot read %s: %s\n", path, strerror(-r));
		return r;
	}
	rp->lines += st.lines;
	rp->malformed += st.malformed;
	if (st.torn_tail)
		fprintf(stderr, "ih-vm report: %s: ignored a torn last line (a killed writer)\n",
			path);
	if (st.malformed)
		fprintf(stderr, "ih-vm report: %s: ignored %zu malformed lines\n", path,
			st.malformed);
	return 0;
}

/* A rejection reason with its numbers made N, so that reasons group by kind. */
static char *reason_kind(const char *reason)
{
	char *k = malloc(strlen(reason) + 1), *o = k;

	if (!k)
		return NULL;
	for (const char *p = reason; *p;) {
		if (*p >= '0' && *p <= '9') {
			*o++ = 'N';
			while (*p >= '0' && *p <= '9')
				p++;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return k;
}

static void count_kind(struct kinds *ks, const char *name)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (!strcmp(ks->k[i].name, name))
			break;
	if (i == ks->n) {
		if (ks->n == MAX_KINDS - 1 && strcmp(name, "(other)")) {
			count_kind(ks, "(other)");
			return;
		}
		ks->k[i].name = strdup(name);
		ks->k[i].count = 0;
		if (!ks->k[i].name)
			return;
		ks->n++;
	}
	ks->k[i].count++;
}

static int by_count(const void *a, const void *b)
{
	const struct kind *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void free_kinds(struct kinds *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		free(ks->k[i].name);
}

struct interval {
	uint64_t start, end;
};

static int by_start(const void *a, const void *b)
{
	const struct interval *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/* The time (ms) during which some input was being decoded: the union of the records'
 * [end - ms, end] intervals, so idle time between a killed run and its resume is left out. */
static uint64_t busy_ms(const struct report *rp)
{
	struct interval *iv = malloc((rp->files.n ? rp->files.n : 1) * sizeof(*iv));
	size_t n = 0;
	uint64_t total = 0, cur_s = 0, cur_e = 0;

	if (!iv)
		return 0;
	for (size_t i = 0; i < rp->files.n; i++)
		if (rp->e[i].end_ms >= rp->e[i].ms && rp->e[i].end_ms)
			iv[n++] =
				(struct interval){ rp->e[i].end_ms - rp->e[i].ms, rp->e[i].end_ms };
	qsort(iv, n, sizeof(*iv), by_start);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || iv[i].start > cur_e) {
			total += cur_e - cur_s;
			cur_s = iv[i].start;
			cur_e = iv[i].end;
		} else if (iv[i].end > cur_e) {
			cur_e = iv[i].end;
		}
	}
	total += cur_e - cur_s;
	free(iv);
	return total;
}

static size_t slowest(const struct report *rp, struct slow *top, size_t want)
{
	size_t n = 0;

	for (size_t i = 0; i < rp->files.n; i++) {
		size_t at = n < want ? n++ : want;

		if (at == want && (want == 0 || rp->e[i].ms <= top[want - 1].ms))
			continue;
		if (at == want)
			at = want - 1;
		while (at > 0 && top[at - 1].ms < rp->e[i].ms) {
			top[at] = top[at - 1];
			at--;
		}
		top[at] = (struct slow){ i, rp->e[i].ms };
	}
	return n;
}

struct summary {
	struct kinds status, reasons;
	struct slow top[MAX_SLOWEST];
	size_t n_top;
	uint64_t busy, sum_ms;
	size_t missing, extra;
};

static void summarize(const struct report *rp, size_t want_slowest, struct summary *s)
{
	for (size_t i = 0; i < rp->files.n; i++) {
		count_kind(&s->status, rp->e[i].status);
		s->sum_ms += rp->e[i].ms;
		if (!strcmp(rp->e[i].status, "rejected")) {
			char *k = reason_kind(rp->e[i].reason);

			count_kind(&s->reasons, k ? k : "(out of memory)");
			free(k);
		}
		if (rp->manifest_path && !ih_inputs_has(&rp->manifest, rp->files.paths[i]))
			s->extra++;
	}
	qsort(s->status.k, s->status.n, sizeof(struct kind), by_count);
	qsort(s->reasons.k, s->reasons.n, sizeof(struct kind), by_count);
	s->n_top = slowest(rp, s->top, want_slowest);
	s->busy = busy_ms(rp);
	for (size_t i = 0; i < rp->manifest.n; i++)
		s->missing += !ih_inputs_has(&rp->files, rp->manifest.paths[i]);
}

static void print_text(const struct report *rp, const struct summary *s)
{
	size_t shown = 0;

	printf("records: %zu inputs in %zu lines (%zu malformed, %zu inputs recorded more than "
	       "once: the last record counts)\n",
	       rp->files.n, rp->lines, rp->malformed, rp->duplicates);
	printf("by status:\n");
	for (size_t i = 0; i < s->status.n; i++)
		printf("  %8zu  %s\n", s->status.k[i].count, s->status.k[i].name);
	printf("rejected, by reason:\n");
	for (size_t i = 0; i < s->reasons.n; i++)
		printf("  %8zu  %s\n", s->reasons.k[i].count, s->reasons.k[i].name);
	printf("slowest:\n");
	for (size_t i = 0; i < s->n_top; i++)
		printf("  %8llu ms  %s\n", (unsigned long long)s->top[i].ms,
		       rp->files.paths[s->top[i].index]);
	printf("throughput: %.2f images/s (%zu inputs over %.3f s during which one was being "
	       "decoded; %.3f s of decode time in all)\n",
	       s->busy ? (double)rp->files.n * 1000.0 / (double)s->busy : 0.0, rp->files.n,
	       (double)s->busy / 1000.0, (double)s->sum_ms / 1000.0);
	if (!rp->manifest_path) {
		printf("manifest: none given, missing inputs not known\n");
		return;
	}
	printf("manifest: %zu inputs, %zu with a record, %zu missing, %zu records of inputs "
	       "not in it\n",
	       rp->manifest.n, rp->manifest.n - s->missing, s->missing, s->extra);
	for (size_t i = 0; i < rp->manifest.n && shown < MAX_MISSING_SHOWN; i++)
		if (!ih_inputs_has(&rp->files, rp->manifest.paths[i])) {
			printf("  missing: %s\n", rp->manifest.paths[i]);
			shown++;
		}
	if (s->missing > shown)
		printf("  ... and %zu more (--json lists them all)\n", s->missing - shown);
}

static void json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void json_kinds(const char *key, const struct kinds *ks)
{
	printf(",\"%s\":{", key);
	for (size_t i = 0; i < ks->n; i++) {
		printf("%s", i ? "," : "");
		json_str(ks->k[i].name);
		printf(":%zu", ks->k[i].count);
	}
	printf("}");
}

static void print_json(const struct report *rp, const struct summary *s)
{
	bool first = true;

	printf("{\"inputs\":%zu,\"lines\":%zu,\"malformed\":%zu,\"duplicates\":%zu", rp->files.n,
	       rp->lines, rp->malformed, rp->duplicates);
	json_kinds("status", &s->status);
	json_kinds("rejected_reasons", &s->reasons);
	printf(",\"slowest\":[");
	for (size_t i = 0; i < s->n_top; i++) {
		printf("%s{\"file\":", i ? "," : "");
		json_str(rp->files.paths[s->top[i].index]);
		printf(",\"ms\":%llu}", (unsigned long long)s->top[i].ms);
	}
	printf("],\"busy_ms\":%llu,\"decode_ms\":%llu,\"images_per_s\":%.3f",
	       (unsigned long long)s->busy, (unsigned long long)s->sum_ms,
	       s->busy ? (double)rp->files.n * 1000.0 / (double)s->busy : 0.0);
	if (rp->manifest_path) {
		printf(",\"manifest\":%zu,\"extra\":%zu,\"missing\":[", rp->manifest.n, s->extra);
		for (size_t i = 0; i < rp->manifest.n; i++)
			if (!ih_inputs_has(&rp->files, rp->manifest.paths[i])) {
				printf("%s", first ? "" : ",");
				json_str(rp->manifest.paths[i]);
				first = false;
			}
		printf("]");
	}
	printf("}\n");
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ih-vm report [--manifest=FILE|--manifest0=FILE] [--json] "
		   "[--slowest=N] RECORDS...\n"
		   "Merges the records files (--records) of a decode farm's shards: totals by\n"
		   "status and rejection reason, the slowest inputs, the throughput, and the\n"
		   "manifest inputs that no file records.\n\n"
		   "  --manifest=FILE|-   the farm's manifest, one path a line (--manifest0: NUL)\n"
		   "  --json              one JSON object instead of text\n"
		   "  --slowest=N         how many of the slowest inputs to list (default 5, max "
		   "100)\n\n"
		   "exit codes: 0 every manifest input has a record, 1 some have none,\n"
		   "2 usage, 3 a file cannot be read\n");
}

struct report_opts {
	const char *manifest;
	char sep;
	bool json;
	size_t slowest;
};

/* 0, 1 for --help, or -EINVAL (said on stderr). */
static int parse(int argc, char **argv, struct report_opts *ro)
{
	static const struct option opts[] = {
		{ "manifest", required_argument, NULL, 'm' },
		{ "manifest0", required_argument, NULL, '0' },
		{ "json", no_argument, NULL, 'J' },
		{ "slowest", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int opt;

	*ro = (struct report_opts){ .sep = '\n', .slowest = 5 };
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			return 1;
		case 'm':
		case '0':
			ro->manifest = optarg;
			ro->sep = opt == 'm' ? '\n' : '\0';
			break;
		case 'J':
			ro->json = true;
			break;
		case 's':
			errno = 0;
			ro->slowest = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] < '0' || optarg[0] > '9' ||
			    ro->slowest > MAX_SLOWEST)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	return optind < argc ? 0 : -EINVAL;
}

static int load(struct report *rp, const struct report_opts *ro, int n, char **files)
{
	size_t entry;
	int r;

	if (ro->manifest) {
		r = ih_manifest_read(ro->manifest, ro->sep, &rp->manifest, &entry);
		if (r < 0) {
			fprintf(stderr, "ih-vm report: cannot read the manifest %s: %s%s\n",
				ro->manifest, strerror(-r),
				r == -EINVAL ? " (a NUL byte: use --manifest0)" : "");
			return r;
		}
		rp->manifest_path = ro->manifest;
	}
	for (int i = 0; i < n; i++) {
		r = read_records(rp, files[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static void free_report(struct report *rp, struct summary *s)
{
	for (size_t i = 0; i < rp->files.n; i++)
		free(rp->e[i].reason);
	free(rp->e);
	ih_inputs_free(&rp->files);
	ih_inputs_free(&rp->manifest);
	free_kinds(&s->status);
	free_kinds(&s->reasons);
}

int cmd_report(int argc, char **argv)
{
	struct report_opts ro;
	struct report rp = { 0 };
	struct summary *s;
	int r = parse(argc, argv, &ro), code;

	if (r == 1) {
		usage(stdout);
		return IH_EXIT_OK;
	}
	if (r < 0) {
		fprintf(stderr, "ih-vm report: bad option or no records file\n");
		usage(stderr);
		return IH_EXIT_USAGE;
	}
	s = calloc(1, sizeof(*s));
	if (!s || load(&rp, &ro, argc - optind, argv + optind) < 0) {
		if (!s)
			fprintf(stderr, "ih-vm report: out of memory\n");
		free_report(&rp, s ? s : &(struct summary){ 0 });
		free(s);
		return IH_EXIT_SYSTEM;
	}
	summarize(&rp, ro.slowest, s);
	if (ro.json)
		print_json(&rp, s);
	else
		print_text(&rp, s);
	code = s->missing ? IH_EXIT_REJECTED : IH_EXIT_OK;
	free_report(&rp, s);
	free(s);
	return code;
}
