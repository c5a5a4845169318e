/*
 * ih-vsock-test: the guest side of the vsock VM test and benchmark (tests/vsock/vm_test.h).
 * Only in the TEST rootfs (rootfs/contents.test); started by ih.mode=vsock-test.
 * Prints "IH-VSOCK-TEST conn <i> ok|FAILED ..." per connection and exits 0 when all passed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "sha256.h"
#include "vm_test.h"
#include "guest/init/vsock_host.h"

#define CHUNK (64u << 10)

static uint64_t gen_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void gen_fill(uint64_t *state, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i + 8 <= len; i += 8) {
		uint64_t v = gen_next(state);

		memcpy(buf + i, &v, 8);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_all(int fd, const void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, (const uint8_t *)buf + done, len - done);

		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			done += (size_t)n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = read(fd, (uint8_t *)buf + done, len - done);

		if (n == 0)
			return -EPIPE;
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			done += (size_t)n;
	}
	return 0;
}

/* The test's stream to the host: an fd, or -errno (5 s for the host's listener). */
static int connect_host(void)
{
	int fd, r = ih_vsock_connect_host(VSOCK_TEST_PORT, 250, &fd);

	return r < 0 ? r : fd;
}

/* Writer: length, data, hash of the data; the hash also goes to the reader over pipe_w. */
static int send_stream(int fd, unsigned int idx, uint64_t len, int pipe_w)
{
	static uint8_t buf[CHUNK];
	uint64_t state = 0x9e3779b97f4a7c15ull * (idx + 1), sent = 0;
	uint8_t digest[32];
	struct sha256 s;
	int err = write_all(fd, &len, sizeof(len));

	sha256_init(&s);
	while (!err && sent < len) {
		size_t n = len - sent < CHUNK ? (size_t)(len - sent) : CHUNK;

		gen_fill(&state, buf, n);
		sha256_update(&s, buf, n);
		err = write_all(fd, buf, n);
		sent += n;
	}
	sha256_final(&s, digest);
	if (!err)
		err = write_all(fd, digest, sizeof(digest));
	if (!err)
		err = write_all(pipe_w, digest, sizeof(digest));
	return err;
}

/* Reader: the echo, then the host's hash; both must equal the writer's hash. */
static int check_echo(int fd, uint64_t len, int pipe_r, unsigned int idx)
{
	static uint8_t buf[CHUNK];
	uint8_t echo_digest[32], host_digest[32], sent_digest[32];
	struct sha256 s;
	uint64_t got = 0;
	int err = 0;

	sha256_init(&s);
	while (!err && got < len) {
		size_t n = len - got < CHUNK ? (size_t)(len - got) : CHUNK;

		err = read_all(fd, buf, n);
		sha256_update(&s, buf, n);
		got += n;
	}
	sha256_final(&s, echo_digest);
	err = err ?: read_all(fd, host_digest, sizeof(host_digest));
	err = err ?: read_all(pipe_r, sent_digest, sizeof(sent_digest));
	if (err) {
		printf("IH-VSOCK-TEST conn %u FAILED: %s after %llu bytes back\n", idx,
		       strerror(-err), (unsigned long long)got);
		return 1;
	}
	printf("IH-VSOCK-TEST conn %u %s: host hash %s, echo hash %s\n", idx,
	       !memcmp(host_digest, sent_digest, 32) && !memcmp(echo_digest, sent_digest, 32)
		       ? "ok"
		       : "FAILED",
	       memcmp(host_digest, sent_digest, 32) ? "differs" : "matches",
	       memcmp(echo_digest, sent_digest, 32) ? "differs" : "matches");
	return memcmp(host_digest, sent_digest, 32) || memcmp(echo_digest, sent_digest, 32);
}

/* One connection: a reader child and the writer (this process). Exit status 0 = ok. */
static int run_conn(unsigned int idx)
{
	uint64_t len = VSOCK_TEST_BYTES / VSOCK_TEST_CONNS;
	int fd = connect_host(), p[2], status;
	pid_t reader;

	if (fd < 0 || pipe(p) < 0) {
		printf("IH-VSOCK-TEST conn %u FAILED: connect: %s\n", idx, strerror(-fd));
		return 1;
	}
	fflush(stdout);
	reader = fork();
	if (reader == 0)
		_exit(check_echo(fd, len, p[0], idx));
	if (reader < 0 || send_stream(fd, idx, len, p[1]) < 0)
		printf("IH-VSOCK-TEST conn %u FAILED: sending\n", idx);
	if (reader < 0 || waitpid(reader, &status, 0) < 0)
		return 1;
	return !WIFEXITED(status) || WEXITSTATUS(status);
}

static int echo_test(void)
{
	int failed = 0, status;

	for (unsigned int i = 0; i < VSOCK_TEST_CONNS; i++) {
		fflush(stdout);
		if (fork() == 0)
			_exit(run_conn(i));
	}
	while (wait(&status) > 0)
		failed += !WIFEXITED(status) || WEXITSTATUS(status);
	printf("IH-VSOCK-TEST %s\n", failed ? "FAILED" : "all ok");
	return failed ? 1 : 0;
}

/* MiB/s of n bytes in time t. */
static double rate(double n, double t)
{
	return n / (1 << 20) / t;
}

/* MiB/s of moving VSOCK_BENCH_BYTES through a pipe between two processes into buf. */
static double pipe_rate(uint8_t *buf)
{
	static uint8_t chunk[CHUNK];
	int p[2];
	double t0;

	if (pipe(p) < 0)
		return 0;
	t0 = now_s();
	if (fork() == 0) {
		close(p[0]);
		for (uint32_t n = 0; n < VSOCK_BENCH_BYTES; n += CHUNK)
			write_all(p[1], chunk, CHUNK);
		_exit(0);
	}
	close(p[1]);
	read_all(p[0], buf, VSOCK_BENCH_BYTES);
	wait(NULL);
	close(p[0]);
	return rate(VSOCK_BENCH_BYTES, now_s() - t0);
}

static double memcpy_rate(void)
{
	static uint8_t a[1 << 20], b[1 << 20];
	double t0 = now_s();

	for (unsigned int i = 0; i < VSOCK_BENCH_BYTES / sizeof(a); i++) {
		a[i % sizeof(a)] = (uint8_t)i;
		memcpy(b, a, sizeof(a));
		__asm__ volatile("" : : "r"(b) : "memory");
	}
	return rate(VSOCK_BENCH_BYTES, now_s() - t0);
}

static int by_rate(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v)
{
	qsort(v, VSOCK_BENCH_ROUNDS, sizeof(v[0]), by_rate);
	return v[VSOCK_BENCH_ROUNDS / 2];
}

/* One round: both directions over fd (rates in *g2h and *h2g), then memcpy and a pipe. */
static int bench_round(int fd, uint8_t *buf, double *g2h, double *h2g, double *pipe, double *mcpy)
{
	double t0 = now_s();
	char ack;

	if (write_all(fd, buf, VSOCK_BENCH_BYTES) < 0 || read_all(fd, &ack, 1) < 0)
		return -1;
	*g2h = rate(VSOCK_BENCH_BYTES, now_s() - t0);
	t0 = now_s();
	if (read_all(fd, buf, VSOCK_BENCH_BYTES) < 0)
		return -1;
	*h2g = rate(VSOCK_BENCH_BYTES, now_s() - t0);
	*pipe = pipe_rate(buf);
	*mcpy = memcpy_rate();
	return 0;
}

static int bench(void)
{
	double g2h[VSOCK_BENCH_ROUNDS], h2g[VSOCK_BENCH_ROUNDS];
	double pipe[VSOCK_BENCH_ROUNDS], mcpy[VSOCK_BENCH_ROUNDS];
	uint8_t *buf = malloc(VSOCK_BENCH_BYTES);
	int fd = connect_host();

	if (fd < 0 || !buf || write_all(fd, "B", 1) < 0)
		return 1;
	memset(buf, 0x5a, VSOCK_BENCH_BYTES); /* mapped before the first round */
	for (unsigned int r = 0; r < VSOCK_BENCH_ROUNDS; r++)
		if (bench_round(fd, buf, &g2h[r], &h2g[r], &pipe[r], &mcpy[r]) < 0)
			return 1;
	printf("IH-VSOCK-BENCH g2h=%.1f h2g=%.1f pipe=%.1f memcpy=%.1f\n", median(g2h), median(h2g),
	       median(pipe), median(mcpy));
	return 0;
}

static int want_bench(void)
{
	char line[4096] = "";
	FILE *f = fopen("/proc/cmdline", "re");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
	}
	return strstr(line, "ih.vsocktest=bench") != NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	return want_bench() ? bench() : echo_test();
}
