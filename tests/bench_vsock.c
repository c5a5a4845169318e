/*
 * make bench: throughput of the built-in vsock backend under the real QEMU, guest->host and
 * host->guest (VSOCK_BENCH_ROUNDS rounds of VSOCK_BENCH_BYTES each way, timed by the guest),
 * next to the rate of a pipe between two guest processes and of memcpy in the guest, timed
 * in the same rounds; medians. The host end reads into memory it has mapped before the first
 * round: the figure is the transport's, not the host's first touch of fresh pages.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "vsock/vm_harness.h"
#include "vsock/vm_test.h"

static int read_all(int fd, void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = read(fd, (char *)buf + done, len - done);

		if (n <= 0)
			return n ? -errno : -EPIPE;
		done += (size_t)n;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);

		if (n <= 0)
			return -errno;
		done += (size_t)n;
	}
	return 0;
}

/* The host end of the benchmark connection (protocol in vm_test.h). */
static int serve(struct vm *vm, int listen_fd)
{
	struct pollfd p[2] = { { listen_fd, POLLIN, 0 }, { vm->done_fd, POLLIN, 0 } };
	char *buf = malloc(VSOCK_BENCH_BYTES), tag = 0;
	int fd = -1, err;

	if (!buf)
		return -ENOMEM;
	memset(buf, 0, VSOCK_BENCH_BYTES);
	while (poll(p, 2, -1) < 0 && errno == EINTR)
		;
	err = p[0].revents ? ih_vsock_accept(vm->vsock, listen_fd, &fd) : -ECONNRESET;
	err = err ?: read_all(fd, &tag, 1);
	for (unsigned int r = 0; r < VSOCK_BENCH_ROUNDS && !err; r++) {
		err = read_all(fd, buf, VSOCK_BENCH_BYTES);
		err = err ?: write_all(fd, "A", 1);
		err = err ?: write_all(fd, buf, VSOCK_BENCH_BYTES);
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return err;
}

int main(void)
{
	static struct vm vm;
	double g2h = 0, h2g = 0, pipe = 0, mcpy = 0;
	const char *why = NULL;
	char line[200];
	int listen_fd = -1, err;

	if (vm_prepare(&vm, ih_arch_native(), "ih.vsocktest=bench", 600000, &why) < 0) {
		printf("bench_vsock: skipped: %s\n", why);
		return 0;
	}
	err = vm_vsock(&vm, IH_VSOCK_USER, VSOCK_TEST_PORT, &listen_fd);
	err = err ?: vm_start(&vm);
	err = err ?: serve(&vm, listen_fd);
	if (vm_finish(&vm) < 0 && !err)
		err = -ECHILD;
	close(listen_fd);
	if (err || !vm_console_line(&vm, "IH-VSOCK-BENCH ", line, sizeof(line)) ||
	    sscanf(line, "IH-VSOCK-BENCH g2h=%lf h2g=%lf pipe=%lf memcpy=%lf", &g2h, &h2g, &pipe,
		   &mcpy) != 4 ||
	    pipe <= 0) {
		fprintf(stderr, "bench_vsock: no figures (%s)\n", err ? strerror(-err) : line);
		vm_console_dump(&vm);
		return 1;
	}
	printf("vsock (vhost-user backend, TCG), medians of %u rounds of %u MiB each way, one "
	       "boot:\n",
	       VSOCK_BENCH_ROUNDS, VSOCK_BENCH_BYTES >> 20);
	printf("  guest->host   %8.1f MiB/s   ratio to in-guest pipe %.3f\n", g2h, g2h / pipe);
	printf("  host->guest   %8.1f MiB/s   ratio to in-guest pipe %.3f\n", h2g, h2g / pipe);
	printf("  in-guest pipe %8.1f MiB/s   (baseline)\n", pipe);
	printf("  in-guest memcpy %6.1f MiB/s   vsock g->h / memcpy %.3f (goal >= 0.3)\n", mcpy,
	       g2h / mcpy);
	return 0;
}
