/*
 * Helpers of the end-to-end tests that drive `ih-vm decode` as a user would: a private copy
 * of the guest image (its path marks every QEMU the test starts, so leftovers can be found),
 * running the launcher with its output captured, reading its --json records and netpbm
 * files, and counting QEMU processes.
 */
#ifndef IH_TESTS_E2E_H
#define IH_TESTS_E2E_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct e2e {
	char tmp[64]; /* private scratch directory, removed by e2e_end() */
	char image[96]; /* tmp/image: symlinks to the built guest image, IH_IMAGE_DIR */
	const char *ihvm; /* the launcher under test */
};

/* 0, or 1 after printing a SKIP line when the launcher or the image is not built. */
int e2e_begin(struct e2e *e);
void e2e_end(struct e2e *e);

/*
 * Runs argv (argv[0] the program) with stdout and stderr to the given files, killed after
 * timeout_s. Returns the exit status (0-255), 128+signal, or -errno.
 */
int e2e_run(const char *const argv[], const char *out_path, const char *err_path,
	    unsigned int timeout_s);

/* The same, started in the background: the pid, or -errno; e2e_wait() reaps it. */
pid_t e2e_start(const char *const argv[], const char *out_path, const char *err_path,
		unsigned int timeout_s);
int e2e_wait(pid_t pid);

/* Number of QEMU processes whose command line holds e->image; the pid of one, or 0. */
int e2e_qemus(const struct e2e *e);
pid_t e2e_qemu_pid(const struct e2e *e);
/* Waits up to 2 s for e2e_qemus() to reach 0: 1 when it did. */
int e2e_no_qemu_left(const struct e2e *e);

/* The whole file in a NUL-terminated buffer (free it), or NULL. */
char *e2e_slurp(const char *path, size_t *ret_len);

/* The --json record (one line) whose "file" is file, copied into buf: 0 or -ENOENT. */
int e2e_json_record(const char *json, const char *file, char *buf, size_t len);
/* The value of key in a record (a string unquoted, or a number), into buf: 0 or -ENOENT. */
int e2e_json_get(const char *record, const char *key, char *buf, size_t len);

/* Netpbm pixels (P5, P6 or P7, maxval 255) as 8-bit samples: depth 1 to 4. */
struct e2e_pixmap {
	uint32_t width, height, depth; /* depth: samples a pixel (1-4) */
	uint32_t bps; /* bytes a sample: 1 (maxval 255) or 2 (maxval 65535) */
	uint8_t *data;
};
/* 0 or -errno. */
int e2e_read_netpbm(const char *path, struct e2e_pixmap *ret);
/* 1 when both hold the same samples: same size, channels and depth (grey stays grey). */
int e2e_same_pixels(const struct e2e_pixmap *a, const struct e2e_pixmap *b);

/* Occurrences of needle in haystack. */
int e2e_count(const char *haystack, const char *needle);

#endif
