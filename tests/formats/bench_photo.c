/*
 * make bench: a 12 MP HEIC, AVIF and JPEG XL (made by Debian's heif-enc, avifenc and cjxl
 * from a generated picture, lossy as a phone or a browser saves them) decoded natively in
 * this process and sandboxed (ih_isolate_decode: a fresh child per image with every layer),
 * runs interleaved, medians and their ratio from the same run. The native baseline is the
 * best case: the pixels go to one reused buffer whose pages are already mapped. The
 * decoders are single-threaded both ways.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/bench_decode_once.h"

#define RUNS 5
#define W 4000
#define H 3000

/* A 12 MP picture with gradients and texture, as a PPM, then PNG for the encoders. */
static int make_source(const char *dir)
{
	char cmd[512];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "pnmtopng >%s/src.png", dir);
	f = popen(cmd, "w");
	if (!f)
		return -1;
	fprintf(f, "P6\n%d %d\n255\n", W, H);
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			fputc((x * 255 / W + (x * y) % 17) & 0xff, f);
			fputc((y * 255 / H + (x ^ y) % 23) & 0xff, f);
			fputc(((x + y) * 255 / (W + H)) & 0xff, f);
		}
	return pclose(f) == 0 ? 0 : -1;
}

static int read_file(const char *path, uint8_t **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "rbe");
	struct stat st;

	if (!f || fstat(fileno(f), &st) < 0 || !(*ret = malloc((size_t)st.st_size))) {
		if (f)
			fclose(f);
		return -1;
	}
	*ret_len = fread(*ret, 1, (size_t)st.st_size, f);
	fclose(f);
	return 0;
}

int main(void)
{
	static const struct {
		const char *what, *file, *encoder, *out_opt;
	} f[] = {
		{ "HEIC 4000x3000", "a.heic", "heif-enc -q 80", "-o" },
		{ "AVIF 4000x3000", "a.avif", "avifenc -s 10", "" },
		{ "JXL 4000x3000", "a.jxl", "cjxl -d 1", "" },
	};
	char dir[] = "/tmp/ih-bench-photo-XXXXXX", cmd[512], path[256];
	int rc = 0;

	if (!mkdtemp(dir) || make_source(dir) < 0) {
		fprintf(stderr, "bench: cannot make the 12 MP source picture\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]) && rc == 0; i++) {
		uint8_t *in;
		size_t len;

		snprintf(cmd, sizeof(cmd), "%s %s/src.png %s %s/%s >/dev/null 2>&1", f[i].encoder,
			 dir, f[i].out_opt, dir, f[i].file);
		snprintf(path, sizeof(path), "%s/%s", dir, f[i].file);
		if (system(cmd) != 0 || read_file(path, &in, &len) < 0) {
			fprintf(stderr, "bench: %s could not be made (%s)\n", f[i].what, cmd);
			rc = 1;
			break;
		}
		printf("%s: %zu bytes\n", f[i].what, len);
		bench_native_vs_sandboxed(f[i].what, (double)W * H / 1e6, in, len, RUNS);
		free(in);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
