/* The fidelity tests' image makers (tests/fidelity/images.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jpeglib.h>

#include "images.h"

void blob_free(struct blob *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
}

int blob_put(struct blob *b, const void *d, size_t n)
{
	uint8_t *p = realloc(b->p, b->len + n + 1);

	if (!p)
		return -ENOMEM;
	memcpy(p + b->len, d, n);
	b->p = p;
	b->len += n;
	return 0;
}

static void put16(uint8_t *p, bool big, uint16_t v)
{
	p[big ? 0 : 1] = (uint8_t)(v >> 8);
	p[big ? 1 : 0] = (uint8_t)v;
}

static void put32(uint8_t *p, bool big, uint32_t v)
{
	put16(p + (big ? 0 : 2), big, (uint16_t)(v >> 16));
	put16(p + (big ? 2 : 0), big, (uint16_t)v);
}

size_t exif_block(uint8_t out[32], bool big, uint16_t o)
{
	memset(out, 0, 32);
	memcpy(out, big ? "MM" : "II", 2);
	put16(out + 2, big, 42);
	put32(out + 4, big, 8);
	put16(out + 8, big, 1);
	put16(out + 10, big, 0x0112);
	put16(out + 12, big, 3);
	put32(out + 14, big, 1);
	put16(out + 18, big, o);
	return 26; /* next-IFD offset 0 included */
}

void picture_fill(uint8_t *px, uint32_t w, uint32_t h, uint32_t ch, uint32_t depth)
{
	size_t bps = depth / 8;

	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			for (uint32_t c = 0; c < ch; c++) {
				uint32_t v = (x * 37 + y * 101 + c * 53) * (depth == 16 ? 251 : 1) +
					     (x ^ y) * 7;
				uint8_t *p = px + (((size_t)y * w + x) * ch + c) * bps;

				if (bps == 2) {
					p[0] = (uint8_t)(v >> 8);
					p[1] = (uint8_t)v;
				} else {
					p[0] = (uint8_t)v;
				}
			}
}

static void png_put(png_structp png, png_bytep d, size_t n)
{
	if (blob_put(png_get_io_ptr(png), d, n) < 0)
		png_error(png, "no memory");
}

static void png_flush_none(png_structp png)
{
	(void)png;
}

int png_make(const uint8_t *px, uint32_t w, uint32_t h, uint32_t ch, uint32_t depth,
	     const uint8_t *exif, size_t exif_len, struct blob *ret)
{
	static const int types[] = { PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
				     PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA };
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	size_t stride = (size_t)w * ch * (depth / 8);
	int r = -EIO;

	*ret = (struct blob){ 0 };
	if (!png || !info || setjmp(png_jmpbuf(png)))
		goto out;
	png_set_write_fn(png, ret, png_put, png_flush_none);
	png_set_IHDR(png, info, w, h, (int)depth, types[ch - 1], PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (exif_len)
		png_set_eXIf_1(png, info, (png_uint_32)exif_len, (png_bytep)exif);
	png_write_info(png, info);
	for (uint32_t y = 0; y < h; y++)
		png_write_row(png, px + y * stride);
	png_write_end(png, NULL);
	r = 0;
out:
	png_destroy_write_struct(&png, &info);
	if (r < 0)
		blob_free(ret);
	return r;
}

int jpeg_make(const uint8_t *px, uint32_t w, uint32_t h, uint32_t ch, bool ycck, struct blob *ret)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr err;
	unsigned char *out = NULL;
	unsigned long out_len = 0;

	c.err = jpeg_std_error(&err);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &out, &out_len);
	c.image_width = w;
	c.image_height = h;
	c.input_components = (int)ch;
	c.in_color_space = ch == 1 ? JCS_GRAYSCALE : ch == 4 ? JCS_CMYK : JCS_RGB;
	jpeg_set_defaults(&c);
	if (ycck)
		jpeg_set_colorspace(&c, JCS_YCCK);
	jpeg_set_quality(&c, 95, TRUE);
	for (int i = 0; i < c.num_components; i++)
		c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < h) {
		JSAMPROW row = (JSAMPROW)px + (size_t)c.next_scanline * w * ch;

		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	*ret = (struct blob){ out, out_len };
	return 0;
}

int jpeg_add_marker(const struct blob *in, int app, const uint8_t *payload, size_t n,
		    struct blob *ret)
{
	uint8_t hdr[4] = { 0xff, (uint8_t)(0xe0 + app), (uint8_t)((n + 2) >> 8), (uint8_t)(n + 2) };
	int r;

	*ret = (struct blob){ 0 };
	if (in->len < 2 || n + 2 > 0xffff)
		return -EINVAL;
	r = blob_put(ret, in->p, 2);
	if (r == 0)
		r = blob_put(ret, hdr, 4);
	if (r == 0)
		r = blob_put(ret, payload, n);
	if (r == 0)
		r = blob_put(ret, in->p + 2, in->len - 2);
	if (r < 0)
		blob_free(ret);
	return r;
}

static int read_all(int fd, struct blob *ret)
{
	uint8_t buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (blob_put(ret, buf, (size_t)n) < 0)
			return -ENOMEM;
	return n < 0 ? -errno : 0;
}

int jpegtran(const struct blob *in, const char *const *args, struct blob *ret)
{
	char src[] = "/tmp/ih-fidelity-XXXXXX";
	int fd = mkstemp(src), pipefd[2], status, r;
	const char *argv[12] = { "jpegtran", "-perfect", "-copy", "none" };
	size_t n = 4;
	pid_t pid;

	*ret = (struct blob){ 0 };
	if (fd < 0)
		return -errno;
	r = write(fd, in->p, in->len) == (ssize_t)in->len ? 0 : -EIO;
	close(fd);
	for (; r == 0 && *args && n < 10; args++)
		argv[n++] = *args;
	argv[n++] = src;
	argv[n] = NULL;
	if (r == 0 && pipe2(pipefd, O_CLOEXEC) < 0)
		r = -errno;
	if (r == 0 && (pid = fork()) == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		execvp("jpegtran", (char *const *)argv);
		_exit(127);
	}
	if (r == 0) {
		close(pipefd[1]);
		r = read_all(pipefd[0], ret);
		close(pipefd[0]);
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			r = r ? r : -EIO;
	}
	unlink(src);
	if (r < 0)
		blob_free(ret);
	return r;
}
