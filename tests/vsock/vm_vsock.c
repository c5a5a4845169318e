/*
 * VM test of the built-in vsock backend with the real QEMU under TCG: the test image's
 * ih-vsock-test streams VSOCK_TEST_BYTES to the host over VSOCK_TEST_CONNS connections at
 * once; this host side echoes every byte and checks each stream's SHA-256 against the one
 * the guest computed; the guest checks the echo and the host's hash the same way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../tap.h"
#include "sha256.h"
#include "vm_harness.h"
#include "vm_test.h"

#define RING (256u << 10)

struct echo {
	int fd;
	uint8_t hdr[8];
	size_t hdr_got;
	uint64_t len, in, out;
	struct sha256 sha;
	uint8_t trailer[32], digest[32];
	size_t trailer_got, digest_sent;
	bool hashed, match, done, broken;
	uint8_t ring[RING];
	size_t head, cnt;
};

static void echo_read(struct echo *e)
{
	ssize_t n;

	if (e->hdr_got < 8) {
		n = read(e->fd, e->hdr + e->hdr_got, 8 - e->hdr_got);
		if (n > 0 && (e->hdr_got += (size_t)n) == 8)
			memcpy(&e->len, e->hdr, 8);
	} else if (e->in < e->len) {
		size_t tail = (e->head + e->cnt) % RING, room = RING - e->cnt;
		size_t want = room < RING - tail ? room : RING - tail;

		if (want > e->len - e->in)
			want = (size_t)(e->len - e->in);
		if (!want)
			return;
		n = read(e->fd, e->ring + tail, want);
		if (n > 0) {
			sha256_update(&e->sha, e->ring + tail, (size_t)n);
			e->in += (uint64_t)n;
			e->cnt += (size_t)n;
		}
	} else if (e->trailer_got < 32) {
		n = read(e->fd, e->trailer + e->trailer_got, 32 - e->trailer_got);
		if (n > 0)
			e->trailer_got += (size_t)n;
	} else {
		return;
	}
	if (n == 0 || (n < 0 && errno != EAGAIN))
		e->broken = true;
}

static void echo_write(struct echo *e)
{
	ssize_t n;

	if (e->cnt) {
		size_t run = e->cnt < RING - e->head ? e->cnt : RING - e->head;

		n = write(e->fd, e->ring + e->head, run);
		if (n > 0) {
			e->head = (e->head + (size_t)n) % RING;
			e->cnt -= (size_t)n;
			e->out += (uint64_t)n;
		}
	} else if (e->hashed && e->digest_sent < 32) {
		n = write(e->fd, e->digest + e->digest_sent, 32 - e->digest_sent);
		if (n > 0 && (e->digest_sent += (size_t)n) == 32)
			e->done = true;
	} else {
		return;
	}
	if (n < 0 && errno != EAGAIN)
		e->broken = true;
}

static void echo_step(struct echo *e, short revents)
{
	if (revents & (POLLIN | POLLHUP | POLLERR))
		echo_read(e);
	if (revents & POLLOUT)
		echo_write(e);
	if (!e->hashed && e->hdr_got == 8 && e->in == e->len && e->trailer_got == 32) {
		sha256_final(&e->sha, e->digest);
		e->match = !memcmp(e->digest, e->trailer, 32);
		e->hashed = true;
	}
}

static short echo_events(const struct echo *e)
{
	short ev = 0;

	if (e->hdr_got < 8 || (e->in < e->len && e->cnt < RING) ||
	    (e->in == e->len && e->trailer_got < 32))
		ev |= POLLIN;
	if (e->cnt || (e->hashed && e->digest_sent < 32))
		ev |= POLLOUT;
	return ev;
}

/* Accepts the guest's connections and echoes them until all are done or QEMU ended. */
static int serve(struct vm *vm, int listen_fd, struct echo *e, unsigned int *ret_n)
{
	unsigned int n = 0;

	for (;;) {
		struct pollfd p[VSOCK_TEST_CONNS + 2];
		unsigned int done = 0;

		p[0] = (struct pollfd){ listen_fd, n < VSOCK_TEST_CONNS ? POLLIN : 0, 0 };
		p[1] = (struct pollfd){ vm->done_fd, POLLIN, 0 };
		for (unsigned int i = 0; i < n; i++) {
			done += e[i].done || e[i].broken;
			p[2 + i] = (struct pollfd){
				e[i].fd, e[i].done || e[i].broken ? 0 : echo_events(&e[i]), 0
			};
		}
		if (n == VSOCK_TEST_CONNS && done == n)
			break;
		if (poll(p, 2 + n, 1000) < 0 && errno != EINTR)
			return -errno;
		if (p[1].revents)
			break;
		if (p[0].revents && ih_vsock_accept(vm->vsock, listen_fd, &e[n].fd) == 0) {
			fcntl(e[n].fd, F_SETFL, O_NONBLOCK);
			sha256_init(&e[n].sha);
			n++;
		}
		for (unsigned int i = 0; i < n; i++)
			if (p[2 + i].revents)
				echo_step(&e[i], p[2 + i].revents);
	}
	*ret_n = n;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The program's own name picks the variant: vm_vsock_kernel takes AF_VSOCK through
 * /dev/vhost-vsock instead of the backend, vm_vsock_arm64 boots the arm64 image. */
static bool named(const char *argv0, const char *what)
{
	const char *base = strrchr(argv0, '/');

	return strstr(base ? base + 1 : argv0, what) != NULL;
}

int main(int argc, char **argv)
{
	const char *name = argc > 0 ? argv[0] : "";
	enum ih_vsock_kind kind = named(name, "kernel") ? IH_VSOCK_KERNEL : IH_VSOCK_USER;
	enum ih_arch arch = named(name, "arm64") ? IH_ARCH_ARM64 : ih_arch_native();
	static struct echo e[VSOCK_TEST_CONNS];
	static struct vm vm;
	unsigned int n = 0;
	const char *why = NULL;
	char line[200];
	int listen_fd = -1, err;
	uint64_t total = 0;
	double t0;

	if (kind == IH_VSOCK_KERNEL && access("/dev/vhost-vsock", F_OK) < 0) {
		struct ih_vsock *v = NULL;
		int qfd;

		tap_ok(ih_vsock_new(kind, VM_CID, &qfd, &v) == -ENOENT && !v,
		       "--vsock=kernel without /dev/vhost-vsock fails with -ENOENT");
		tap_skip("no /dev/vhost-vsock on this host (modprobe vhost_vsock): kernel path "
			 "not run");
		return tap_done();
	}
	if (vm_prepare(&vm, arch, NULL, 600000, &why) < 0) {
		tap_skip("%s", why);
		return tap_done();
	}
	err = vm_vsock(&vm, kind, VSOCK_TEST_PORT, &listen_fd);
	tap_ok(err == 0, "%s: %s vsock up, listening on port %d", ih_arch_name(arch),
	       kind == IH_VSOCK_KERNEL ? "kernel" : "vhost-user", VSOCK_TEST_PORT);
	err = err ?: vm_start(&vm);
	t0 = now_s();
	if (!err)
		err = serve(&vm, listen_fd, e, &n);
	tap_ok(!err && n == VSOCK_TEST_CONNS, "the guest opened %u connections at once (%u)",
	       VSOCK_TEST_CONNS, n);
	for (unsigned int i = 0; i < VSOCK_TEST_CONNS; i++) {
		tap_ok(i < n && e[i].done && e[i].match && e[i].out == e[i].len &&
			       e[i].len == VSOCK_TEST_BYTES / VSOCK_TEST_CONNS,
		       "connection %u: %llu bytes guest->host, SHA-256 equals the guest's, echoed "
		       "back",
		       i, (unsigned long long)e[i].in);
		total += e[i].in;
	}
	tap_diag("%.1f MiB each way in %.1f s", total / 1048576.0, now_s() - t0);
	err = vm_finish(&vm);
	tap_ok(!err && !vm.res.timed_out, "QEMU ran and exited before the timeout");
	for (unsigned int i = 0; i < VSOCK_TEST_CONNS; i++) {
		char want[64];

		snprintf(want, sizeof(want), "IH-VSOCK-TEST conn %u ", i);
		tap_ok(vm_console_line(&vm, want, line, sizeof(line)) && strstr(line, " ok:"),
		       "guest: connection %u echo and host hash match what it sent", i);
	}
	if (tap_failed)
		vm_console_dump(&vm);
	for (unsigned int i = 0; i < n; i++)
		close(e[i].fd);
	close(listen_fd);
	return tap_done();
}
