/*
 * Decoding through the sandbox (ih_isolate_decode) against the generated corpus, with a
 * fresh child per image and again with pre-spawned children (ih_isolate_spares_start):
 * every good PNG matches the pixels its generator says a correct decoder produces, every
 * good JPEG matches djpeg's native decode byte for byte, and every hostile file is
 * rejected by the decoder itself (its reason names the attack) with the parent unharmed.
 * Controls show each limit is what stopped its attack.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../corpus/corpus.h"
#include "../tap.h"
#include "guest/sandbox/isolate.h"
#include "guest/sandbox/sandbox.h"

struct pnm {
	uint32_t w, h, ch, depth;
	uint8_t *px;
	size_t len;
};

static int read_file(const char *path, uint8_t **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "rbe");
	struct stat st;
	uint8_t *p;

	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) < 0 || !(p = malloc((size_t)st.st_size + 1))) {
		fclose(f);
		return -ENOMEM;
	}
	*ret_len = fread(p, 1, (size_t)st.st_size, f);
	fclose(f);
	*ret = p;
	return 0;
}

/* P5/P6 or P7 with DEPTH 1-4, maxval 255 or 65535. */
static int pnm_parse(const uint8_t *d, size_t n, struct pnm *ret)
{
	unsigned w = 0, h = 0, depth = 3, maxval = 0, bps;
	int off = 0;
	const char *s = (const char *)d;

	if (n > 2 && d[0] == 'P' && (d[1] == '5' || d[1] == '6')) {
		if (sscanf(s + 2, " %u %u %u%n", &w, &h, &maxval, &off) != 3)
			return -EINVAL;
		off += 3;
		depth = d[1] == '5' ? 1 : 3;
	} else if (n > 2 && d[0] == 'P' && d[1] == '7') {
		const char *end = memmem(d, n, "ENDHDR\n", 7);

		if (!end || sscanf(s, "P7\nWIDTH %u\nHEIGHT %u\nDEPTH %u\nMAXVAL %u", &w, &h,
				   &depth, &maxval) != 4)
			return -EINVAL;
		off = (int)(end - s) + 7;
	} else {
		return -EINVAL;
	}
	bps = maxval == 65535 ? 2 : 1;
	if ((maxval != 255 && maxval != 65535) || depth < 1 || depth > 4 ||
	    (size_t)off + (size_t)w * h * depth * bps != n)
		return -EINVAL;
	*ret = (struct pnm){
		w, h, depth, 8 * bps, (uint8_t *)d + off, (size_t)w * h * depth * bps
	};
	return 0;
}

/* Runs a native decoder: djpeg -rgb -pnm, or netpbm's pngtopam -alphapam. */
static int native(const char *in, const char *out)
{
	int status;
	pid_t pid = fork();

	if (pid == 0 && strstr(in, ".jpg")) {
		execlp("djpeg", "djpeg", "-pnm", "-outfile", out, in, (char *)NULL);
		_exit(127);
	}
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
			_exit(127);
		execlp("pngtopam", "pngtopam", "-alphapam", in, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* One sample of maxval brought to the decoder's depth (maxval 1, 3, 15 scale to 255). */
static uint32_t scale_sample(uint32_t v, unsigned maxval, uint32_t depth)
{
	if (maxval == 255 || maxval == 65535)
		return v;
	return (v * (depth == 16 ? 65535u : 255u) + maxval / 2) / maxval;
}

static void put_sample(uint8_t *out, uint32_t v, uint32_t depth)
{
	if (depth == 16) {
		out[0] = (uint8_t)(v >> 8);
		out[1] = (uint8_t)v;
	} else {
		out[0] = (uint8_t)v;
	}
}

/*
 * pngtopam -alphapam output (gray or RGB, always with alpha, maxval 1..65535) brought to
 * what the decoder must produce: channels channels of depth bits (grey stays grey); without
 * alpha, every reference alpha must be opaque.
 */
static int pam_normalize(const uint8_t *d, size_t n, uint32_t channels, uint32_t depth_out,
			 struct pnm *ret)
{
	unsigned w, h, depth, maxval;
	const char *end = memmem(d, n, "ENDHDR\n", 7);
	const uint8_t *p;
	size_t bps, px, obps = depth_out / 8;
	uint8_t *out;
	bool opaque = true;

	if (!end ||
	    sscanf((const char *)d, "P7\nWIDTH %u\nHEIGHT %u\nDEPTH %u\nMAXVAL %u", &w, &h, &depth,
		   &maxval) != 4 ||
	    (depth != 2 && depth != 4) || !maxval)
		return -EINVAL;
	p = (const uint8_t *)end + 7;
	bps = maxval > 255 ? 2 : 1;
	px = (size_t)w * h;
	if ((size_t)(d + n - p) != px * depth * bps || channels < 1 || channels > 4 ||
	    (channels <= 2) != (depth == 2) || !(out = malloc(px * channels * obps)))
		return -EINVAL;
	for (size_t i = 0; i < px; i++) {
		uint32_t s[4] = { 0 }, full = depth_out == 16 ? 65535 : 255;
		uint8_t *o = out + i * channels * obps;

		for (unsigned c = 0; c < depth; c++, p += bps)
			s[c] = scale_sample(bps == 2 ? (uint32_t)p[0] << 8 | p[1] : p[0], maxval,
					    depth_out);
		for (uint32_t c = 0; c < (channels <= 2 ? 1u : 3u); c++)
			put_sample(o + c * obps, s[c], depth_out);
		if (channels == 2 || channels == 4)
			put_sample(o + (channels - 1) * obps, s[depth - 1], depth_out);
		else
			opaque = opaque && s[depth - 1] == full;
	}
	if (!opaque) {
		free(out);
		return -EINVAL;
	}
	*ret = (struct pnm){ w, h, channels, depth_out, out, px * channels * obps };
	return 0;
}

static int same_pixels(const struct ih_decoded *d, const struct pnm *want)
{
	return d->resp.status == IH_STATUS_OK && d->resp.width == want->w &&
	       d->resp.height == want->h && d->resp.channels == want->ch &&
	       d->resp.depth == want->depth && d->resp.pixel_len == want->len &&
	       !memcmp(d->pixels, want->px, want->len);
}

/* The color channels only: the alpha of a truecolor tRNS key, which pngtopam leaves opaque. */
static int same_colors(const struct ih_decoded *d, const struct pnm *want)
{
	size_t bps = want->depth / 8;

	if (d->resp.width != want->w || d->resp.height != want->h || want->ch != 4 ||
	    d->resp.channels != 4 || d->resp.depth != want->depth)
		return 0;
	for (size_t i = 0; i < want->len; i += 4 * bps)
		if (memcmp(d->pixels + i, want->px + i, 3 * bps))
			return 0;
	return 1;
}

/*
 * A PNG against netpbm's own decode of it. netpbm 11.1's pngtopam ignores the tRNS key
 * color of truecolor images (it leaves them opaque, against the PNG spec), so for those
 * only the colors are compared; their alpha is checked against the generator above.
 */
static void check_png_netpbm(const char *dir, const char *name, const struct ih_decoded *d)
{
	bool rgb_key = strstr(name, "png-rgb-") && strstr(name, "-trns");
	char path[4096], ref[4096];
	struct pnm want = { 0 };
	uint8_t *refdata = NULL;
	size_t reflen = 0;
	int r;

	snprintf(path, sizeof(path), "%s/good/%s", dir, name);
	snprintf(ref, sizeof(ref), "%s/good/%s.netpbm.pam", dir, name);
	r = native(path, ref);
	if (r == 0)
		r = read_file(ref, &refdata, &reflen);
	if (r == 0)
		r = pam_normalize(refdata, reflen, rgb_key ? 4 : d->resp.channels, d->resp.depth,
				  &want);
	tap_ok(r == 0 && (rgb_key ? same_colors(d, &want) : same_pixels(d, &want)),
	       "%s: %s with netpbm's pngtopam (%s)", name,
	       rgb_key ? "colors pixel-exact (netpbm drops the tRNS key)" : "pixel-exact",
	       r ? strerror(-r) : "");
	free(want.px);
	free(refdata);
}

static int decode_path(const char *path, const struct ih_limits *lim, struct ih_decoded *ret)
{
	uint8_t *in;
	size_t len;
	int r = read_file(path, &in, &len);

	if (r == 0)
		r = ih_isolate_decode(lim, 0, NULL, in, len, ret);
	free(in);
	return r;
}

/* Compares one good file with its reference (a .pam beside it, or djpeg's output). */
static void check_good(const char *dir, const char *name, const struct ih_limits *lim)
{
	char path[4096], ref[4096];
	struct ih_decoded d = { 0 };
	struct pnm want;
	uint8_t *refdata = NULL;
	size_t reflen = 0;
	int r, is_png = strstr(name, ".png") != NULL;

	snprintf(path, sizeof(path), "%s/good/%s", dir, name);
	snprintf(ref, sizeof(ref), "%s/good/%.*s.%s", dir, (int)(strlen(name) - 4), name,
		 is_png ? "pam" : "ppm");
	r = is_png ? 0 : native(path, ref);
	if (r == 0)
		r = read_file(ref, &refdata, &reflen);
	if (r == 0)
		r = pnm_parse(refdata, reflen, &want);
	if (r == 0)
		r = decode_path(path, lim, &d);
	tap_ok(r == 0 && same_pixels(&d, &want), "%s: pixel-exact with %s (%s)", name,
	       is_png ? "the generator's pixels" : "djpeg", r ? strerror(-r) : d.resp.reason);
	if (is_png && d.resp.status == IH_STATUS_OK)
		check_png_netpbm(dir, name, &d);
	ih_decoded_free(&d);
	free(refdata);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_image(const struct dirent *e)
{
	return strstr(e->d_name, ".png") || strstr(e->d_name, ".jpg");
}

static void test_good(const char *dir, const struct ih_limits *lim)
{
	char path[4096];
	struct dirent **list;
	int n;

	snprintf(path, sizeof(path), "%s/good", dir);
	n = scandir(path, &list, is_image, by_name);
	tap_ok(n >= 30, "the corpus has %d good images", n);
	for (int i = 0; i < n; i++) {
		check_good(dir, list[i]->d_name, lim);
		free(list[i]);
	}
	free(n >= 0 ? list : NULL);
}

static void test_hostile(const char *dir, const struct ih_limits *lim)
{
	for (size_t i = 0; i < corpus_n_hostile; i++) {
		const struct corpus_hostile *h = &corpus_hostile[i];
		struct ih_decoded d = { 0 };
		char path[4096];
		int r;

		snprintf(path, sizeof(path), "%s/hostile/%s", dir, h->name);
		r = decode_path(path, lim, &d);
		tap_ok(r == 0 && d.resp.status == IH_STATUS_REJECTED && !d.pixels &&
			       strcasestr(d.resp.reason, h->reason_word),
		       "%s: rejected, reason names '%s' (%s)", h->name, h->reason_word,
		       r ? strerror(-r) : d.resp.reason);
		ih_decoded_free(&d);
	}
}

/* Each limit, loosened, lets its attack file through: the limit is what stopped it. */
static void test_controls(const char *dir, const struct ih_limits *def)
{
	struct ih_limits lim = *def;
	struct ih_decoded d = { 0 };
	char path[4096];

	lim.max_jpeg_scans = 1000;
	snprintf(path, sizeof(path), "%s/hostile/jpeg-progressive-scan-bomb-379-scans.jpg", dir);
	tap_ok(decode_path(path, &lim, &d) == 0 && d.resp.status == IH_STATUS_OK,
	       "control: the 379-scan JPEG decodes with max_jpeg_scans 1000 (%s)", d.resp.reason);
	ih_decoded_free(&d);

	lim = *def;
	lim.max_png_chunk_bytes = 4u << 20;
	snprintf(path, sizeof(path), "%s/hostile/png-huge-ztxt-2MiB.png", dir);
	tap_ok(decode_path(path, &lim, &d) == 0 && d.resp.status == IH_STATUS_OK,
	       "control: the 2 MiB zTXt PNG decodes with a 4 MiB chunk limit (%s)", d.resp.reason);
	ih_decoded_free(&d);

	lim = *def;
	lim.max_pixels = 100;
	snprintf(path, sizeof(path), "%s/good/png-rgb-8bit.png", dir);
	tap_ok(decode_path(path, &lim, &d) == 0 && d.resp.status == IH_STATUS_REJECTED &&
		       strstr(d.resp.reason, "limit"),
	       "control: a good 41x29 PNG is rejected with max_pixels 100 (%s)", d.resp.reason);
	ih_decoded_free(&d);
}

static void test_wall_limit(const struct ih_limits *def)
{
	struct ih_limits lim = *def;
	struct ih_decoded d = { 0 };
	uint8_t *jpg = NULL;
	size_t len = 0;
	int r = corpus_jpeg_rgb(3000, 2000, 95, 1, &jpg, &len);

	lim.wall_ms = 1;
	if (r == 0)
		r = ih_isolate_decode(&lim, 0, NULL, jpg, len, &d);
	tap_ok(r == 0 && d.resp.status == IH_STATUS_REJECTED && strstr(d.resp.reason, "wall"),
	       "a 6 MP decode under a 1 ms wall limit is killed and rejected (%s)", d.resp.reason);
	ih_decoded_free(&d);
	free(jpg);
}

/* A progressive JPEG's whole-image coefficient arrays count against max_memory_bytes. */
static void test_jpeg_memory(const struct ih_limits *def)
{
	struct ih_limits lim = *def;
	struct ih_decoded d = { 0 };
	uint8_t *jpg = NULL;
	size_t len = 0;
	int r = corpus_jpeg_rgb(2000, 2000, 90, 1, &jpg, &len);

	if (r == 0)
		r = ih_isolate_decode(&lim, 0, NULL, jpg, len, &d);
	tap_ok(r == 0 && d.resp.status == IH_STATUS_OK,
	       "control: a 4 MP progressive JPEG decodes under the default memory limit (%s)",
	       d.resp.reason);
	ih_decoded_free(&d);
	lim.max_memory_bytes = 8u << 20;
	if (r == 0)
		r = ih_isolate_decode(&lim, 0, NULL, jpg, len, &d);
	tap_ok(r == 0 && d.resp.status == IH_STATUS_REJECTED &&
		       strstr(d.resp.reason, "JPEG needs more than the memory limit"),
	       "its 12 MB of coefficient arrays are refused under an 8 MiB memory limit (%s)",
	       d.resp.reason);
	ih_decoded_free(&d);
	free(jpg);
}

/* Under ASan a fault stays a plain SIGSEGV (its handler would die of seccomp instead). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "handle_segv=0";
}

/* A hostile later child: scribbles over pixels its parent holds. */
static int body_scribble(void *arg, uint32_t layers)
{
	volatile uint8_t *p = arg;

	(void)layers;
	p[0] ^= 0xff;
	return 0;
}

/* Pixels a caller holds are not even mapped in the next sandboxed child. */
static void test_held_not_inherited(const struct ih_decoded *a, const uint8_t *copy)
{
	struct ih_sandbox_cfg cfg = { .layers = IH_LAYER_ALL,
				      .max_memory_bytes = 64u << 20,
				      .cpu_ms = 1000 };
	struct ih_sandbox_report rep;
	int status = 0;
	pid_t pid;

	if (ih_sandbox_spawn(&cfg, body_scribble, a->pixels, &pid, NULL, &rep) == 0)
		waitpid(pid, &status, 0);
	tap_ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV &&
		       !memcmp(copy, a->pixels, a->resp.pixel_len),
	       "a later child cannot touch held pixels (it faults; they are unchanged)");
}

/* Results held at once each keep their own pixels; the next decode gets clean memory. */
static void test_held_results(const char *dir, const struct ih_limits *lim)
{
	struct ih_decoded a = { 0 }, b = { 0 }, c = { 0 };
	char pa[4096], pb[4096];
	uint8_t *copy = NULL;
	int r;

	snprintf(pa, sizeof(pa), "%s/good/png-rgba-8bit.png", dir);
	snprintf(pb, sizeof(pb), "%s/good/jpeg-baseline-444.jpg", dir);
	r = decode_path(pa, lim, &a);
	if (r == 0 && a.resp.status == IH_STATUS_OK && (copy = malloc(a.resp.pixel_len)))
		memcpy(copy, a.pixels, a.resp.pixel_len);
	if (copy)
		r = decode_path(pb, lim, &b);
	tap_ok(copy && r == 0 && b.resp.status == IH_STATUS_OK && a.pixels != b.pixels &&
		       !memcmp(copy, a.pixels, a.resp.pixel_len),
	       "a held result keeps its pixels while the next image decodes elsewhere");
	if (copy)
		test_held_not_inherited(&a, copy);
	ih_decoded_free(&a);
	ih_decoded_free(&b);
	r = copy ? decode_path(pa, lim, &c) : -ENOMEM;
	tap_ok(r == 0 && c.resp.status == IH_STATUS_OK && c.resp.pixel_len == a.resp.pixel_len &&
		       !memcmp(copy, c.pixels, c.resp.pixel_len),
	       "after both are freed, decoding again into reused memory gives the same pixels");
	ih_decoded_free(&c);
	free(copy);
}

static void test_oversized_input(const struct ih_limits *def)
{
	struct ih_limits lim = *def;
	struct ih_decoded d = { 0 };
	static const uint8_t png[16] = { 0x89, 'P', 'N', 'G' };

	lim.max_input_bytes = 8;
	tap_ok(ih_isolate_decode(&lim, 0, NULL, png, sizeof(png), &d) == 0 &&
		       d.resp.status == IH_STATUS_REJECTED && strstr(d.resp.reason, "limit"),
	       "input over max_input_bytes is rejected before decoding (%s)", d.resp.reason);
}

static void cleanup(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
}

int main(void)
{
	char dir[] = "/tmp/ih-decode-XXXXXX", dir2[] = "/tmp/ih-decode-XXXXXX";
	struct ih_limits lim;

	ih_limits_default(&lim);
	if (!mkdtemp(dir) || corpus_generate(dir) < 0) {
		tap_ok(0, "generate the corpus");
		return tap_done();
	}
	test_good(dir, &lim);
	test_hostile(dir, &lim);
	test_controls(dir, &lim);
	test_wall_limit(&lim);
	test_jpeg_memory(&lim);
	test_held_results(dir, &lim);
	test_oversized_input(&lim);
	cleanup(dir);
	/* The same again on a fresh corpus (the first pass left references beside it). */
	if (!mkdtemp(dir2) || corpus_generate(dir2) < 0 || ih_isolate_spares_start() < 0) {
		tap_ok(0, "generate the corpus again and start the spare children's spawner");
		return tap_done();
	}
	tap_diag("the same again, each image in a pre-spawned child (spares on):");
	test_good(dir2, &lim);
	test_hostile(dir2, &lim);
	test_controls(dir2, &lim);
	test_wall_limit(&lim);
	test_jpeg_memory(&lim);
	test_held_results(dir2, &lim);
	ih_isolate_spares_stop();
	cleanup(dir2);
	return tap_done();
}
