/*
 * The GIF, WebP and TIFF decoders against the generated corpus (tests/corpus/formats.h),
 * at the library level (ih_decode) and through the sandboxed child (ih_isolate_decode):
 * every good file gives the generator's pixels (frame 0, and the last frame of an
 * animation) and matches the library's own Debian tool run natively (dwebp -pam,
 * gif2rgb, tiff2rgba) and its frame count (webpmux -info, giftext); every hostile file is
 * rejected with a reason naming its limit or the library's error, in the library and in
 * the sandbox. Controls show the limits named are the ones that stopped each attack.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tiffio.h>

#include "../corpus/formats.h"
#include "../tap.h"
#include "guest/decode/decode.h"
#include "guest/decode/decoder.h"
#include "guest/decode/format_limits.h"
#include "guest/sandbox/isolate.h"

static char dir[] = "/tmp/ih-formats-XXXXXX";

/* The pixels as stored: no turn to the EXIF orientation, no colour conversion. */
static const uint32_t raw_flags = IH_OPT_ORIENT_KEEP | IH_OPT_COLOR_KEEP;

struct blob {
	uint8_t *p;
	size_t len;
};

static int read_path(const char *path, struct blob *ret)
{
	FILE *f = fopen(path, "rbe");
	struct stat st;

	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) < 0 || !(ret->p = malloc((size_t)st.st_size + 1))) {
		fclose(f);
		return -ENOMEM;
	}
	ret->len = fread(ret->p, 1, (size_t)st.st_size, f);
	ret->p[ret->len] = 0;
	fclose(f);
	return 0;
}

static int read_in(const char *sub, const char *name, const char *suffix, struct blob *ret)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s/%s%s", dir, sub, name, suffix);
	return read_path(path, ret);
}

/* Runs argv with stdout to out (or /dev/null): 0 when it exits 0. */
static int run(char *const argv[], const char *out)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			      0600);
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (fd < 0 || null < 0 || dup2(fd, 1) < 0 || dup2(null, 2) < 0)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* A P7 file's header and samples. */
struct pam {
	uint32_t w, h, ch, maxval;
	const uint8_t *px;
};

static int pam_parse(const struct blob *b, struct pam *ret)
{
	const char *end = b->p ? memmem(b->p, b->len, "ENDHDR\n", 7) : NULL;
	unsigned w, h, d, m;

	if (!end || sscanf((const char *)b->p, "P7\nWIDTH %u\nHEIGHT %u\nDEPTH %u\nMAXVAL %u", &w,
			   &h, &d, &m) != 4)
		return -EINVAL;
	*ret = (struct pam){ w, h, d, m, (const uint8_t *)end + 7 };
	if ((size_t)(b->p + b->len - ret->px) != (size_t)w * h * d * (m > 255 ? 2 : 1))
		return -EINVAL;
	return 0;
}

static bool same_as_pam(const struct ih_image *img, const struct pam *p)
{
	return img->width == p->w && img->height == p->h && img->channels == p->ch &&
	       img->depth == (p->maxval > 255 ? 16u : 8u) && !memcmp(img->pixels, p->px, img->len);
}

/*
 * How a reference tool gives what img holds: libtiff's TIFFRGBAImage (tiff2rgba) keeps the
 * high byte of contiguous 16-bit grey (put16bitbwtile) but scales colour and separate
 * planes (Bitdepth16To8), and premultiplies the colour of RGBA and of separate planes with
 * alpha, not of contiguous grey+alpha. gif2rgb knows no transparency: opaque_only skips the
 * pixels img has transparent.
 */
struct ref_rules {
	bool grey16_high_byte;
	bool premultiply;
	bool opaque_only;
};

/* Sample c of pixel i of img at 8 bits, as the rules say. */
static uint32_t sample8(const struct ih_image *img, size_t i, uint32_t c,
			const struct ref_rules *rules)
{
	if (img->depth == 16) {
		uint32_t v = (uint32_t)img->pixels[(i * img->channels + c) * 2] << 8 |
			     img->pixels[(i * img->channels + c) * 2 + 1];

		return img->channels < 3 && rules->grey16_high_byte ? v >> 8 : (v + 128) / 257;
	}
	return img->pixels[i * img->channels + c];
}

/* img against a reference of w x h pixels of ref_ch 8-bit channels (RGB or RGBA); grey is
 * compared on every colour channel. */
static bool same_as_ref(const struct ih_image *img, const uint8_t *ref, uint32_t w, uint32_t h,
			uint32_t ref_ch, const struct ref_rules *rules)
{
	bool alpha = img->channels == 2 || img->channels == 4;

	if (img->width != w || img->height != h)
		return false;
	for (size_t i = 0; i < (size_t)w * h; i++) {
		uint32_t a = alpha ? sample8(img, i, img->channels - 1, rules) : 255;

		if (rules->opaque_only && a != 255)
			continue;
		for (uint32_t c = 0; c < 3; c++) {
			uint32_t v = sample8(img, i, img->channels < 3 ? 0 : c, rules);

			if (rules->premultiply && alpha)
				v = (v * a + 127) / 255;
			if (ref[i * ref_ch + c] != v)
				return false;
		}
		if (ref_ch == 4 && ref[i * 4 + 3] != a)
			return false;
	}
	return true;
}

static int tiff2rgba_ref(const char *path, const struct ih_image *img, bool planar)
{
	const struct ref_rules rules = { .grey16_high_byte = !planar,
					 .premultiply = planar || img->channels == 4 };
	char out[4200];
	char *argv[] = { "tiff2rgba", "-c", "none", (char *)path, out, NULL };
	TIFF *t;
	uint8_t *px = NULL;
	uint32_t w = 0, h = 0;
	bool ok = false;

	snprintf(out, sizeof(out), "%s.ref.tif", path);
	if (run(argv, NULL) < 0 || !(t = TIFFOpen(out, "r")))
		return -EIO;
	TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
	TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
	px = malloc((size_t)w * h * 4);
	for (uint32_t s = 0, y = 0; px && y < h; s++) {
		tmsize_t n = TIFFReadEncodedStrip(t, s, px + (size_t)y * w * 4, -1);

		if (n <= 0)
			break;
		y += (uint32_t)(n / ((tmsize_t)w * 4));
		ok = y >= h;
	}
	TIFFClose(t);
	ok = ok && same_as_ref(img, px, w, h, 4, &rules);
	free(px);
	return ok ? 0 : -EBADMSG;
}

static int gif2rgb_ref(const char *path, const struct ih_image *img)
{
	char out[4200];
	char *argv[] = { "gif2rgb", "-1", "-o", out, (char *)path, NULL };
	struct blob b = { 0 };
	int r;

	snprintf(out, sizeof(out), "%s.ref.rgb", path);
	r = run(argv, NULL);
	if (r == 0)
		r = read_path(out, &b);
	if (r == 0 && (b.len != (size_t)img->width * img->height * 3 ||
		       !same_as_ref(img, b.p, img->width, img->height, 3,
				    &(struct ref_rules){ .opaque_only = true })))
		r = -EBADMSG;
	free(b.p);
	return r;
}

/* dwebp of the file, or for an animation of its first frame as webpmux extracts it. */
static int dwebp_ref(const char *path, const struct ih_image *img, uint32_t frames)
{
	char frame[4200], out[4200];
	char *mux[] = { "webpmux", "-get", "frame", "1", (char *)path, "-o", frame, NULL };
	char *dw[] = { "dwebp", "-pam", frames > 1 ? frame : (char *)path, "-o", out, NULL };
	struct blob b = { 0 };
	struct pam p;
	int r;

	snprintf(frame, sizeof(frame), "%s.frame1.webp", path);
	snprintf(out, sizeof(out), "%s.ref.pam", path);
	r = frames > 1 ? run(mux, NULL) : 0;
	if (r == 0)
		r = run(dw, NULL);
	if (r == 0)
		r = read_path(out, &b);
	if (r == 0)
		r = pam_parse(&b, &p);
	if (r == 0 && (p.ch != 4 || !same_as_ref(img, p.px, p.w, p.h, 4, &(struct ref_rules){ 0 })))
		r = -EBADMSG;
	free(b.p);
	return r;
}

/* The frame count the format's own tool reports (giftext, webpmux -info), or 0. */
static uint32_t tool_frames(const char *path)
{
	char out[4200], *line;
	char *gt[] = { "giftext", (char *)path, NULL };
	char *wm[] = { "webpmux", "-info", (char *)path, NULL };
	struct blob b = { 0 };
	uint32_t n = 0;
	bool gif = strstr(path, ".gif") != NULL;

	snprintf(out, sizeof(out), "%s.frames.txt", path);
	if (run(gif ? gt : wm, out) < 0 || read_path(out, &b) < 0)
		return 0;
	for (line = (char *)b.p; gif && (line = strstr(line, "Image #")); line++)
		n++;
	if (!gif && (line = strstr((char *)b.p, "Number of frames:")))
		n = (uint32_t)strtoul(line + 17, NULL, 10);
	else if (!gif)
		n = 1;
	free(b.p);
	return n;
}

static int decode_frame(const struct blob *in, uint32_t frame, struct ih_image *img,
			char reason[IH_REASON_MAX])
{
	struct ih_limits lim;
	struct ih_decode_opts opts = { .flags = raw_flags, .frame = frame };

	ih_limits_default(&lim);
	return ih_decode(&lim, &opts, in->p, in->len, img, reason);
}

static void check_expected(const char *name, const struct blob *in, uint32_t frame,
			   const char *suffix)
{
	struct blob want = { 0 };
	struct ih_image img = { 0 };
	char reason[IH_REASON_MAX];
	struct pam p;

	if (read_in("good", name, suffix, &want) < 0)
		return; /* lossy: no generator pixels */
	tap_ok(pam_parse(&want, &p) == 0 && decode_frame(in, frame, &img, reason) == 0 &&
		       same_as_pam(&img, &p),
	       "%s: frame %u pixel-exact with the generator (%u x %u x %u, %u-bit)", name, frame,
	       img.width, img.height, img.channels, img.depth);
	ih_image_free(&img);
	free(want.p);
}

static void check_reference(const struct corpus_good_format *g, const struct ih_image *img)
{
	char path[4096];
	int r;

	if (!g->tool)
		return;
	snprintf(path, sizeof(path), "%s/good/%s", dir, g->name);
	if (!strcmp(g->tool, "tiff2rgba"))
		r = tiff2rgba_ref(path, img, strstr(g->name, "planar") != NULL);
	else if (!strcmp(g->tool, "dwebp"))
		r = dwebp_ref(path, img, g->frames);
	else if (g->frames == 1)
		r = gif2rgb_ref(path, img);
	else
		return; /* gif2rgb draws every frame over the last: no first-frame reference */
	tap_ok(r == 0, "%s: frame 0 pixel-exact with Debian's %s%s (%s)", g->name, g->tool,
	       g->frames > 1 ? " of webpmux's frame 1" : "", r ? strerror(-r) : "ok");
}

/* The same decode through the sandboxed child: the same pixels (8-bit RGB/RGBA for now). */
static void check_sandboxed(const char *name, const struct blob *in, const struct ih_image *img)
{
	struct ih_limits lim;
	struct ih_decode_opts opts = { .flags = IH_OPT_ORIENT_KEEP | IH_OPT_COLOR_IGNORE };
	struct ih_decoded d = { 0 };
	int r;

	ih_limits_default(&lim);
	r = ih_isolate_decode(&lim, 0, &opts, in->p, in->len, &d);
	tap_ok(r == 0 && d.resp.status == IH_STATUS_OK && d.resp.width == img->width &&
		       d.resp.height == img->height && d.resp.channels == img->channels &&
		       d.resp.depth == img->depth && d.resp.frames == img->frames &&
		       d.resp.pixel_len == img->len && !memcmp(d.pixels, img->pixels, img->len),
	       "%s: the sandboxed child gives the same %u-channel %u-bit pixels and %u frame(s) "
	       "(%s)",
	       name, img->channels, img->depth, img->frames,
	       d.resp.status == IH_STATUS_OK ? "ok" : d.resp.reason);
	ih_decoded_free(&d);
}

/*
 * A parent that has run no library yet (the generator ran libtiff in this process): a
 * library's first use may make a system call the child may not (libtiff's first qsort asks
 * sysinfo), which the decoder's prepare step must have made in the parent. This runs in a
 * process forked before the corpus was generated; it sends one status byte per good file.
 */
static void fresh_parent_decodes(int go, int out)
{
	struct ih_limits lim;
	char c;

	ih_limits_default(&lim);
	if (read(go, &c, 1) != 1)
		_exit(1);
	for (size_t i = 0; i < corpus_formats_n_good; i++) {
		struct ih_decoded d = { 0 };
		struct blob in = { 0 };
		uint8_t ok = read_in("good", corpus_formats_good[i].name, "", &in) == 0 &&
			     ih_isolate_decode(&lim, 0, NULL, in.p, in.len, &d) == 0 &&
			     d.resp.status == IH_STATUS_OK;

		if (write(out, &ok, 1) != 1)
			_exit(1);
		ih_decoded_free(&d);
		free(in.p);
	}
	_exit(0);
}

static void check_fresh_parent(pid_t pid, int go, int out)
{
	uint8_t ok[256] = { 0 };
	size_t n = 0;
	ssize_t k;

	if (write(go, "g", 1) != 1)
		return;
	while (n < corpus_formats_n_good && (k = read(out, ok + n, corpus_formats_n_good - n)) > 0)
		n += (size_t)k;
	waitpid(pid, NULL, 0);
	for (size_t i = 0; i < corpus_formats_n_good; i++)
		tap_ok(i < n && ok[i],
		       "%s: decodes in a sandboxed child of a parent that ran no "
		       "decoder library before",
		       corpus_formats_good[i].name);
}

static void check_good(const struct corpus_good_format *g)
{
	struct blob in = { 0 };
	struct ih_image img = { 0 };
	char reason[IH_REASON_MAX] = "", path[4096];
	int r = read_in("good", g->name, "", &in);

	if (r == 0)
		r = decode_frame(&in, 0, &img, reason);
	snprintf(path, sizeof(path), "%s/good/%s", dir, g->name);
	if (!tap_ok(r == 0 && img.frames == g->frames, "%s: decodes, %u frame(s) (%s)", g->name,
		    img.frames, r ? reason : "ok")) {
		free(in.p);
		return;
	}
	if (strstr(g->name, ".tif") == NULL)
		tap_ok(tool_frames(path) == img.frames, "%s: frame count %u as the tool reports",
		       g->name, img.frames);
	check_expected(g->name, &in, 0, ".pam");
	check_reference(g, &img);
	check_sandboxed(g->name, &in, &img);
	if (g->frames > 1) {
		struct ih_image past = { 0 };

		check_expected(g->name, &in, g->frames - 1, ".last.pam");
		r = decode_frame(&in, g->frames, &past, reason);
		tap_ok(r == -EINVAL && strstr(reason, "frame"),
		       "%s: frame %u (past the last) is refused: %s", g->name, g->frames, reason);
		if (r == 0)
			ih_image_free(&past);
	}
	ih_image_free(&img);
	free(in.p);
}

static void check_hostile(const struct corpus_hostile *h)
{
	struct blob in = { 0 };
	struct ih_image img = { 0 };
	struct ih_limits lim;
	struct ih_decoded d = { 0 };
	char reason[IH_REASON_MAX] = "";
	int r = read_in("hostile", h->name, "", &in);

	ih_limits_default(&lim);
	if (r == 0)
		r = ih_decode(&lim, NULL, in.p, in.len, &img, reason);
	tap_ok(r < 0 && r != -ENOENT && strcasestr(reason, h->reason_word),
	       "%s: rejected for '%s' by the library: %s", h->name, h->reason_word, reason);
	if (r == 0)
		ih_image_free(&img);
	r = ih_isolate_decode(&lim, 0, NULL, in.p, in.len, &d);
	tap_ok(r == 0 && d.resp.status == IH_STATUS_REJECTED &&
		       strcasestr(d.resp.reason, h->reason_word),
	       "%s: rejected for '%s' in the sandbox: %s", h->name, h->reason_word, d.resp.reason);
	ih_decoded_free(&d);
	free(in.p);
}

/* One decoder alone, before decode.c's common steps use up the EXIF and ICC it copied. */
static int decoder_only(const struct ih_decoder *dec, const char *name, struct ih_image *img)
{
	struct ih_limits lim;
	struct ih_decode_opts opts = { 0 };
	struct blob in = { 0 };
	char reason[IH_REASON_MAX];
	int r = read_in("good", name, "", &in);

	ih_limits_default(&lim);
	if (r == 0)
		r = dec->decode(&lim, &opts, in.p, in.len, NULL, img, reason);
	free(in.p);
	return r;
}

/* Metadata: WebP EXIF (without "Exif\0\0") and ICCP; TIFF orientation and ICC; GIF ICC. */
static void check_metadata(void)
{
	struct ih_image a = { 0 }, b = { 0 }, c = { 0 };
	bool ok;

	ok = decoder_only(&ih_decoder_webp, "webp-exif-iccp-chunks.webp", &a) == 0;
	tap_ok(ok && a.exif_len == 26 && !memcmp(a.exif, "MM\0*", 4) && a.icc_len == 42 &&
		       !memcmp(a.icc, "not a real ICC", 14),
	       "webp: EXIF chunk copied without its Exif header (%zu bytes), ICCP copied (%zu)",
	       a.exif_len, a.icc_len);
	ok = decoder_only(&ih_decoder_tiff, "tiff-orientation6-icc.tif", &b) == 0;
	tap_ok(ok && b.exif_len == 26 && !memcmp(b.exif, "MM\0*", 4) && b.exif[19] == 6 &&
		       b.icc_len == 42 && !memcmp(b.icc, "an ICC profile", 14),
	       "tiff: Orientation 6 handed on as an EXIF block, the ICC profile tag copied");
	ok = decoder_only(&ih_decoder_gif, "gif-iccrgbg1-profile.gif", &c) == 0;
	tap_ok(ok && c.icc_len == 51 && !memcmp(c.icc, "an ICC profile in an ICCRGBG1", 29),
	       "gif: the ICCRGBG1012 extension's sub-blocks copied as one profile (%zu bytes)",
	       c.icc_len);
	ih_image_free(&a);
	ih_image_free(&b);
	ih_image_free(&c);
}

/* The LZW limit is what stops a frame larger than it once max_pixels lets the canvas by. */
static void check_lzw_control(void)
{
	struct blob in = { 0 };
	struct ih_image img = { 0 };
	struct ih_limits lim;
	char reason[IH_REASON_MAX] = "";
	int r;

	ih_limits_ceiling(&lim);
	lim.max_memory_bytes = 1ull << 30;
	r = read_in("hostile", "gif-lzw-bomb-65535x65535.gif", "", &in);
	if (r == 0)
		r = ih_decode(&lim, NULL, in.p, in.len, &img, reason);
	tap_ok(r < 0 && (strstr(reason, "gif_max_lzw_bytes") || strstr(reason, "limit")),
	       "gif-lzw-bomb under the ceiling limits: still refused before decoding: %s", reason);
	if (r == 0)
		ih_image_free(&img);
	free(in.p);
}

int main(void)
{
	int go[2], out[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || !mkdtemp(dir))
		return 1;
	pid = fork();
	if (pid == 0)
		fresh_parent_decodes(go[0], out[1]);
	close(out[1]);
	if (pid < 0 || corpus_formats_generate(dir) < 0) {
		tap_ok(0, "corpus generated in %s", dir);
		return tap_done();
	}
	check_fresh_parent(pid, go[1], out[0]);
	for (size_t i = 0; i < corpus_formats_n_good; i++)
		check_good(&corpus_formats_good[i]);
	for (size_t i = 0; i < corpus_formats_n_hostile; i++)
		check_hostile(&corpus_formats_hostile[i]);
	check_metadata();
	check_lzw_control();
	if (!getenv("IH_KEEP"))
		run((char *[]){ "rm", "-rf", dir, NULL }, NULL);
	return tap_done();
}
