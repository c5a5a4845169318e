/*
 * The generator and checker of the decode farm tests (tests/farm/slurm.test, bench_farm.sh).
 *
 *   farm_check gen DIR            writes DIR/corpus (the generated corpus: good images
 *                                 with 8-bit references and every hostile file), DIR/gen
 *                                 (small JPEGs and PNGs), DIR/same-a/photo.jpg and
 *                                 DIR/same-b/photo.jpg (one base name, two images), and
 *                                 DIR/manifest listing them all by absolute path
 *   farm_check verify DIR OUTDIR RECORDS...
 *                                 checks the farm's work; prints "PASS what" or
 *                                 "FAIL what" lines (and "# " details); exit 1 on a FAIL
 *
 * verify proves: every manifest entry has exactly one record across the records files
 * and every line is a whole record of a manifest entry; every "ok" record's output is
 * pixel-exact against a native decode (the corpus's .pam, djpeg, or libpng); every hostile
 * input has a "rejected" record, output null; OUTDIR holds only the outputs the records
 * name; the two inputs with one base name have two different outputs. The PNGs of DIR/gen
 * get their reference (libpng's decode, as RGBA) written beside them as .pam by gen.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <png.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../corpus/corpus.h"
#include "../e2e/e2e.h"

#define N_GENERATED 160
#define MAX_INPUTS 1024

static int failed;

static void result(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void result(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "PASS" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	failed += !ok;
}

static int write_file(const char *path, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path, "we");
	int ok = f && fwrite(data, 1, len, f) == len;

	if (f && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

/* libpng's own decode of the PNG at path, as RGBA, written beside it as a .pam. */
static int png_reference(const char *path)
{
	png_image img = { .version = PNG_IMAGE_VERSION };
	char ref[4300];
	uint8_t *px = NULL;
	size_t len = strlen(path);
	FILE *f;
	int ok;

	if (!png_image_begin_read_from_file(&img, path))
		return -EIO;
	img.format = PNG_FORMAT_RGBA;
	px = malloc(PNG_IMAGE_SIZE(img));
	ok = px && png_image_finish_read(&img, NULL, px, 0, NULL);
	snprintf(ref, sizeof(ref), "%.*s.pam", (int)(len - 4), path);
	f = ok ? fopen(ref, "we") : NULL;
	ok = f &&
	     fprintf(f,
		     "P7\nWIDTH %u\nHEIGHT %u\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n",
		     img.width, img.height) > 0 &&
	     fwrite(px, 1, PNG_IMAGE_SIZE(img), f) == PNG_IMAGE_SIZE(img);
	if (f && fclose(f) != 0)
		ok = 0;
	if (!px || !ok)
		png_image_free(&img);
	free(px);
	return ok ? 0 : -EIO;
}

/* Input i of DIR/gen: a JPEG (some progressive) or an RGBA PNG of varying size. */
static int gen_one(const char *dir, int i, FILE *manifest)
{
	char sub[4200], path[4300];
	uint8_t *data = NULL;
	size_t len;
	int r;

	snprintf(sub, sizeof(sub), "%s/gen/%02d", dir, i % 10);
	if (mkdir(sub, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/img-%03d.%s", sub, i, i % 2 ? "jpg" : "png");
	if (i % 2)
		r = corpus_jpeg_rgb(8 + (uint32_t)i % 40, 8 + (uint32_t)i % 24, 80, i % 6 == 1,
				    &data, &len);
	else
		r = corpus_png_rgba(8 + (uint32_t)i % 40, 8 + (uint32_t)i % 24, &data, &len);
	if (r == 0)
		r = write_file(path, data, len);
	free(data);
	if (r == 0 && i % 2 == 0)
		r = png_reference(path);
	if (r == 0)
		fprintf(manifest, "%s\n", path);
	return r;
}

static int gen_same_name(const char *dir, FILE *manifest)
{
	static const char *const sub[] = { "same-a", "same-b" };
	char path[4300];

	for (int i = 0; i < 2; i++) {
		uint8_t *data = NULL;
		size_t len;
		int r;

		snprintf(path, sizeof(path), "%s/%s", dir, sub[i]);
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		snprintf(path, sizeof(path), "%s/%s/photo.jpg", dir, sub[i]);
		r = corpus_jpeg_rgb(20 + 13 * (uint32_t)i, 16 + 5 * (uint32_t)i, 90, i, &data,
				    &len);
		if (r == 0)
			r = write_file(path, data, len);
		free(data);
		if (r < 0)
			return r;
		fprintf(manifest, "%s\n", path);
	}
	return 0;
}

/* The good corpus images with 8-bit references (.pam for PNG, djpeg for JPEG). */
static int list_corpus(const char *dir, FILE *manifest)
{
	char good[4200];
	struct dirent **names;
	int n;

	snprintf(good, sizeof(good), "%s/corpus/good", dir);
	n = scandir(good, &names, NULL, alphasort);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name, *ext = strrchr(name, '.');

		if (ext && (!strcmp(ext, ".jpg") || !strcmp(ext, ".png")) && !strstr(name, "16bit"))
			fprintf(manifest, "%s/%s\n", good, name);
		free(names[i]);
	}
	free(names);
	for (size_t i = 0; i < corpus_n_hostile; i++)
		fprintf(manifest, "%s/corpus/hostile/%s\n", dir, corpus_hostile[i].name);
	return 0;
}

static int gen(const char *dir_arg)
{
	char dir[4096], path[4200];
	FILE *m;
	int r;

	if (mkdir(dir_arg, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (!realpath(dir_arg, dir))
		return -errno;
	snprintf(path, sizeof(path), "%s/corpus", dir);
	if (mkdir(path, 0755) < 0 || corpus_generate(path) < 0)
		return -EIO;
	snprintf(path, sizeof(path), "%s/gen", dir);
	if (mkdir(path, 0755) < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s/manifest", dir);
	m = fopen(path, "we");
	if (!m)
		return -errno;
	r = list_corpus(dir, m);
	for (int i = 0; i < N_GENERATED && r == 0; i++)
		r = gen_one(dir, i, m);
	if (r == 0)
		r = gen_same_name(dir, m);
	if (fclose(m) != 0 && r == 0)
		r = -EIO;
	return r;
}

/* ---- verify ---- */

struct input {
	char *path;
	int records;
	int ok; /* its record says ok */
	char output[4096];
};

struct farm {
	struct input in[MAX_INPUTS];
	size_t n;
	const char *dir, *outdir;
	int stray_lines; /* lines that are no record of a manifest entry */
};

static int read_manifest(struct farm *f)
{
	char path[4200], *text, *save = NULL;

	snprintf(path, sizeof(path), "%s/manifest", f->dir);
	text = e2e_slurp(path, NULL);
	if (!text)
		return -1;
	for (char *l = strtok_r(text, "\n", &save); l && f->n < MAX_INPUTS;
	     l = strtok_r(NULL, "\n", &save))
		f->in[f->n++].path = strdup(l);
	free(text);
	return 0;
}

static struct input *find(struct farm *f, const char *path)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->in[i].path, path))
			return &f->in[i];
	return NULL;
}

/* One line of a records file; returns 0 when it is a record of a manifest entry. */
static int take_line(struct farm *f, const char *line)
{
	char file[4096], status[64], output[4096];
	struct input *in;

	if (line[0] != '{' || line[strlen(line) - 1] != '}' ||
	    e2e_json_get(line, "file", file, sizeof(file)) < 0 ||
	    e2e_json_get(line, "status", status, sizeof(status)) < 0 ||
	    e2e_json_get(line, "output", output, sizeof(output)) < 0)
		return -1;
	in = find(f, file);
	if (!in)
		return -1;
	in->records++;
	in->ok = !strcmp(status, "ok");
	if (!in->ok && strcmp(status, "rejected")) {
		printf("# %s: status %s\n", file, status);
		return -1;
	}
	snprintf(in->output, sizeof(in->output), "%s", output);
	return 0;
}

static void read_records(struct farm *f, int n, char **files)
{
	for (int i = 0; i < n; i++) {
		size_t len;
		char *text = e2e_slurp(files[i], &len), *save = NULL;

		if (!text) {
			printf("# cannot read %s\n", files[i]);
			f->stray_lines++;
			continue;
		}
		if (len && text[len - 1] != '\n') {
			printf("# %s ends in a torn line\n", files[i]);
			f->stray_lines++;
		}
		for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			if (take_line(f, l) < 0) {
				printf("# not a record of the manifest: %.200s\n", l);
				f->stray_lines++;
			}
		free(text);
	}
}

static int is_hostile(const char *path)
{
	return strstr(path, "/corpus/hostile/") != NULL;
}

/* The native decode of an input: its .pam beside it for PNG (the corpus's, or libpng's
 * written by gen), djpeg's output for JPEG. */
static int native(const struct farm *f, const char *file, struct e2e_pixmap *ret)
{
	char ref[4200];
	size_t len = strlen(file);

	if (!strcmp(file + len - 4, ".png")) {
		snprintf(ref, sizeof(ref), "%.*s.pam", (int)(len - 4), file);
		return e2e_read_netpbm(ref, ret);
	}
	snprintf(ref, sizeof(ref), "%s/native.pnm", f->dir);
	{
		const char *argv[] = { "djpeg", "-pnm", "-outfile", ref, file, NULL };

		if (e2e_run(argv, "/dev/null", "/dev/null", 60) != 0)
			return -1;
	}
	return e2e_read_netpbm(ref, ret);
}

static int pixel_exact(const struct farm *f, const struct input *in)
{
	struct e2e_pixmap got = { 0 }, want = { 0 };
	int same = e2e_read_netpbm(in->output, &got) == 0 && native(f, in->path, &want) == 0 &&
		   e2e_same_pixels(&got, &want);

	free(got.data);
	free(want.data);
	return same;
}

/* Non-hidden files in OUTDIR that no ok record names; hidden ones (temporary) counted. */
static int stray_outputs(struct farm *f, int *ret_hidden)
{
	struct dirent *de;
	DIR *d = opendir(f->outdir);
	char path[4200];
	int stray = 0;

	*ret_hidden = 0;
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		int named = 0;

		if (de->d_name[0] == '.') {
			*ret_hidden += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", f->outdir, de->d_name);
		for (size_t i = 0; i < f->n && !named; i++) {
			const char *base = strrchr(f->in[i].output, '/');

			named = f->in[i].ok &&
				!strcmp(base ? base + 1 : f->in[i].output, de->d_name);
		}
		if (!named) {
			printf("# stray output %s\n", path);
			stray++;
		}
	}
	closedir(d);
	return stray;
}

static void check_inputs(struct farm *f)
{
	int once = 0, exact = 0, n_ok = 0, hostile = 0, hostile_ok = 0;

	for (size_t i = 0; i < f->n; i++) {
		struct input *in = &f->in[i];

		once += in->records == 1;
		if (in->records != 1)
			printf("# %s: %d records\n", in->path, in->records);
		if (is_hostile(in->path)) {
			hostile++;
			hostile_ok += in->records == 1 && !in->ok && !strcmp(in->output, "null");
		} else if (in->ok) {
			n_ok++;
			exact += pixel_exact(f, in);
		} else if (in->records) {
			printf("# %s: a good image was not decoded\n", in->path);
		}
	}
	result(once == (int)f->n, "every manifest entry has exactly one record: %d of %zu", once,
	       f->n);
	result(f->stray_lines == 0,
	       "every line of the records files is a whole record of a "
	       "manifest entry (%d others)",
	       f->stray_lines);
	result(exact == n_ok && n_ok == (int)f->n - hostile,
	       "every good image decoded pixel-exact against a native decode: %d of %d", exact,
	       (int)f->n - hostile);
	result(hostile_ok == hostile && hostile > 0,
	       "every hostile input has a rejection record and no output: %d of %d", hostile_ok,
	       hostile);
}

static void check_same_name(struct farm *f)
{
	char a[4200], b[4200];
	struct input *x, *y;

	snprintf(a, sizeof(a), "%s/same-a/photo.jpg", f->dir);
	snprintf(b, sizeof(b), "%s/same-b/photo.jpg", f->dir);
	x = find(f, a);
	y = find(f, b);
	result(x && y && x->ok && y->ok && strcmp(x->output, y->output) && pixel_exact(f, x) &&
		       pixel_exact(f, y),
	       "same-a/photo.jpg and same-b/photo.jpg: two outputs, each pixel-exact (%s, %s)",
	       x ? x->output : "?", y ? y->output : "?");
}

static int verify(const char *dir, const char *outdir, int n, char **files)
{
	static struct farm f;
	int stray, hidden;

	f.dir = dir;
	f.outdir = outdir;
	if (read_manifest(&f) < 0 || f.n == 0) {
		result(0, "the manifest %s/manifest is readable", dir);
		return 1;
	}
	read_records(&f, n, files);
	check_inputs(&f);
	check_same_name(&f);
	stray = stray_outputs(&f, &hidden);
	result(stray == 0,
	       "the output directory holds only the outputs of ok records (%d "
	       "others)",
	       stray);
	if (hidden)
		printf("# %d hidden temporary files in %s (a writer killed mid-file)\n", hidden,
		       outdir);
	for (size_t i = 0; i < f.n; i++)
		free(f.in[i].path);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	int r;

	if (argc == 3 && !strcmp(argv[1], "gen")) {
		r = gen(argv[2]);
		if (r < 0)
			fprintf(stderr, "farm_check gen %s: %s\n", argv[2], strerror(-r));
		return r < 0 ? 1 : 0;
	}
	if (argc >= 5 && !strcmp(argv[1], "verify"))
		return verify(argv[2], argv[3], argc - 4, argv + 4);
	fprintf(stderr, "usage: farm_check gen DIR | verify DIR OUTDIR RECORDS...\n");
	return 2;
}
