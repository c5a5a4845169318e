/* Output writers and the atomic file replacement of host/output.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"

static int png_stream(FILE *f, const struct ih_response *r, const uint8_t *pixels)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	size_t stride = (size_t)r->width * r->channels;
	int ret = -EIO;

	if (!png || !info)
		goto done;
	if (setjmp(png_jmpbuf(png)))
		goto done;
	png_init_io(png, f);
	png_set_IHDR(png, info, r->width, r->height, 8,
		     r->channels == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (uint32_t y = 0; y < r->height; y++)
		png_write_row(png, pixels + (size_t)y * stride);
	png_write_end(png, NULL);
	ret = 0;
done:
	png_destroy_write_struct(&png, &info);
	return ret;
}

/* P6 keeps RGB: the alpha of an RGBA image is dropped, as pamtopnm does. */
static int ppm_stream(FILE *f, const struct ih_response *r, const uint8_t *pixels)
{
	size_t n = (size_t)r->width * r->height;

	if (fprintf(f, "P6\n%u %u\n255\n", r->width, r->height) < 0)
		return -EIO;
	if (r->channels == 3)
		return fwrite(pixels, 3, n, f) == n ? 0 : -EIO;
	for (size_t i = 0; i < n; i++)
		if (fwrite(pixels + i * 4, 3, 1, f) != 1)
			return -EIO;
	return 0;
}

static int pam_stream(FILE *f, const struct ih_response *r, const uint8_t *pixels)
{
	if (fprintf(f, "P7\nWIDTH %u\nHEIGHT %u\nDEPTH %u\nMAXVAL 255\nTUPLTYPE %s\nENDHDR\n",
		    r->width, r->height, r->channels, r->channels == 4 ? "RGB_ALPHA" : "RGB") < 0)
		return -EIO;
	return fwrite(pixels, 1, r->pixel_len, f) == r->pixel_len ? 0 : -EIO;
}

int ih_output_stream(FILE *f, enum ih_out_format fmt, const struct ih_response *r,
		     const uint8_t *pixels)
{
	int ret;

	switch (fmt) {
	case IH_OUT_PNG:
		ret = png_stream(f, r, pixels);
		break;
	case IH_OUT_PPM:
		ret = ppm_stream(f, r, pixels);
		break;
	case IH_OUT_PAM:
		ret = pam_stream(f, r, pixels);
		break;
	default:
		return -EINVAL;
	}
	if (ret == 0 && fflush(f) != 0)
		ret = -errno;
	return ret;
}

/* -EEXIST if path exists and is the same file as input_path. */
static int check_not_input(const char *path, const char *input_path)
{
	struct stat a, b;

	if (stat(path, &a) < 0 || stat(input_path, &b) < 0)
		return 0;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino ? -EEXIST : 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Writes the encoded image to the open temp file fd and makes it durable. */
static int write_temp(int fd, enum ih_out_format fmt, const struct ih_response *r,
		      const uint8_t *pixels)
{
	mode_t mask = umask(0);
	FILE *f;
	int ret;

	umask(mask);
	f = fchmod(fd, 0666 & ~mask) == 0 ? fdopen(fd, "wb") : NULL;
	if (!f) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = ih_output_stream(f, fmt, r, pixels);
	if (ret == 0 && fsync(fileno(f)) < 0)
		ret = -errno;
	if (fclose(f) != 0 && ret == 0)
		ret = -errno;
	return ret;
}

int ih_output_file(const char *path, const char *input_path, enum ih_out_format fmt,
		   const struct ih_response *r, const uint8_t *pixels)
{
	char copy[PATH_MAX], tmp[PATH_MAX + 16];
	const char *dir;
	int fd, ret;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return -ENAMETOOLONG;
	ret = check_not_input(path, input_path);
	if (ret < 0)
		return ret;
	dir = dirname(copy);
	snprintf(tmp, sizeof(tmp), "%s/.ih-vm-XXXXXX", dir);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write_temp(fd, fmt, r, pixels);
	if (ret == 0 && rename(tmp, path) < 0)
		ret = -errno;
	if (ret < 0) {
		unlink(tmp);
		return ret;
	}
	return fsync_dir(dir);
}

size_t ih_output_stem(const char *input, const char **ret_base)
{
	const char *base = strrchr(input, '/');
	const char *dot;

	base = base ? base + 1 : input;
	dot = strrchr(base, '.');
	*ret_base = base;
	return dot && dot != base ? (size_t)(dot - base) : strlen(base);
}

int ih_output_path_in_dir(const char *dir, const char *input, enum ih_out_format fmt, char *buf,
			  size_t len)
{
	static const char *const ext[] = { "", "png", "ppm", "pam" };
	const char *base;
	size_t stem = ih_output_stem(input, &base);
	int n;

	n = snprintf(buf, len, "%s/%.*s.%s", dir, (int)stem, base, ext[fmt]);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
